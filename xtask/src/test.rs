//! `cargo xtask test`: formatting, clippy with warnings as errors, the test peers (oidc-provider,
//! Chromium, MSAL Python, Redis), then every test of the workspace. Clippy and the tests share the dev
//! profile, so dependencies are built once.

use crate::run as sh;

pub(crate) fn run_all() -> Result<(), String> {
    sh("cargo", &["fmt", "--all", "--check"])?;
    sh(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    let peers = crate::peers::install()?;
    crate::redis::install()?;
    crate::run_with_env(
        "cargo",
        &["test", "--workspace", "--locked"],
        &[("MSCONNECT_PEERS_DIR", &peers)],
    )
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(extra) = args.first() {
        return Err(format!("`cargo xtask test` takes no arguments (got '{extra}')"));
    }
    let started = std::time::Instant::now();
    run_all()?;
    eprintln!("xtask test: every gate passed in {:.0?}", started.elapsed());
    Ok(())
}
