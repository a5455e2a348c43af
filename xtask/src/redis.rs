//! The Redis the shared-cache tests run against: Debian's `redis-server`, installed with apt-get when
//! `/usr/bin/redis-server` is missing. The tests start their own servers on free ports; the package's
//! service is not needed (and in a container without systemd, not started).

use std::process::Command;

const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// Installs `redis-server` when it is missing.
pub(crate) fn install() -> Result<(), String> {
    if std::path::Path::new(REDIS_SERVER).exists() {
        eprintln!("redis: {REDIS_SERVER} already present");
        return Ok(());
    }
    eprintln!("redis: installing Debian's redis-server");
    apt_install(&["redis-server"], "the shared-cache tests need it")?;
    if std::path::Path::new(REDIS_SERVER).exists() {
        Ok(())
    } else {
        Err(format!(
            "redis-server was installed but {REDIS_SERVER} is missing"
        ))
    }
}

/// `apt-get install` of `packages` (no recommends); a fresh machine has no package lists yet, so a failed
/// install is tried again after `apt-get update`. `why` ends the error.
pub(crate) fn apt_install(packages: &[&str], why: &str) -> Result<(), String> {
    let apt = |args: &[&str]| -> Result<bool, String> {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|status| status.success())
            .map_err(|e| format!("could not run apt-get: {e}"))
    };
    let mut install = vec!["install", "--yes", "--no-install-recommends"];
    install.extend_from_slice(packages);
    let installed = apt(&install)? || (apt(&["update"])? && apt(&install)?);
    if installed {
        Ok(())
    } else {
        Err(format!(
            "`apt-get install {}` failed: install Debian's {} ({why})",
            packages.join(" "),
            packages.join(", ")
        ))
    }
}
