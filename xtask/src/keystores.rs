//! The keystores the encrypted-cache tests run against: Debian's `dbus` (a private session bus of the
//! test's own), `gnome-keyring` (the Secret Service on it) and `libsecret-tools` (`secret-tool`, to look
//! at what msconnect stored), installed with apt-get when missing. The kernel keyring needs nothing: the
//! tests reach it through system calls.

use std::path::Path;

/// The programs the tests run, and the package of each.
const PROGRAMS: [(&str, &str); 3] = [
    ("/usr/bin/dbus-daemon", "dbus"),
    ("/usr/bin/gnome-keyring-daemon", "gnome-keyring"),
    ("/usr/bin/secret-tool", "libsecret-tools"),
];

/// Installs the packages whose programs are missing.
pub(crate) fn install() -> Result<(), String> {
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .filter(|(program, _)| !Path::new(program).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        eprintln!("keystores: dbus, gnome-keyring and secret-tool already present");
        return Ok(());
    }
    eprintln!("keystores: installing Debian's {}", missing.join(", "));
    crate::redis::apt_install(&missing, "the encrypted token cache tests need them")?;
    match PROGRAMS.iter().find(|(program, _)| !Path::new(program).exists()) {
        Some((program, package)) => Err(format!("{package} was installed but {program} is missing")),
        None => Ok(()),
    }
}
