//! `cargo xtask test`: formatting, clippy with warnings as errors (the workspace; the product crates
//! alone, as a user depending on one of them builds them, and one without its default features; the
//! workspace for Windows), the docs with their links checked, the test peers (oidc-provider, Chromium,
//! MSAL Python, Redis, gnome-keyring on D-Bus), then every test of the workspace. Clippy and the tests
//! share the dev profile, so dependencies are built once.

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
    // A user may depend on one product crate alone: check them without the features the CLI turns on
    // in auth-core (a workspace build unifies features and would hide a missing cfg).
    sh(
        "cargo",
        &[
            "clippy",
            "--locked",
            "--package",
            "msconnect-partnercenter",
            "--package",
            "msconnect-secmgmt",
            "--package",
            "msconnect-entra",
            "--package",
            "msconnect-psentra",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // ... and one of them without its default features (`certificates`, `browser`), as a program that
    // signs in with a client secret builds it: every cfg of those features must hold.
    sh(
        "cargo",
        &[
            "clippy",
            "--locked",
            "--package",
            "msconnect-partnercenter",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The library crates' docs are their READMEs: a link a move broke fails here, not on docs.rs.
    crate::run_with_env(
        "cargo",
        &["doc", "--no-deps", "--workspace", "--locked"],
        &[("RUSTDOCFLAGS", std::path::Path::new("-D warnings"))],
    )?;
    crate::windows::check()?;
    let peers = crate::peers::install()?;
    crate::redis::install()?;
    crate::keystores::install()?;
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
