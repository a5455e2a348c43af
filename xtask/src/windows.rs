//! The Windows gate of `cargo xtask test`: clippy over the workspace for `x86_64-pc-windows-gnu`, with
//! warnings as errors, so that the code behind `cfg(windows)` (DPAPI's keystore, the file locks and
//! paths) compiles and stays clean although no test runs on Windows. Installs what that needs when it is
//! missing: the target's standard library (rustup) and Debian's MinGW C compiler, which ring's build script
//! uses for the target's assembly and C.

use std::path::Path;
use std::process::Command;

const TARGET: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "/usr/bin/x86_64-w64-mingw32-gcc";
const MINGW_PACKAGE: &str = "gcc-mingw-w64-x86-64-win32";

pub(crate) fn check() -> Result<(), String> {
    install()?;
    crate::run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--locked",
            "--target",
            TARGET,
            "--",
            "-D",
            "warnings",
        ],
    )
}

fn install() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("could not run rustup (the Windows check needs it): {e}"))?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == TARGET)
    {
        eprintln!("windows: adding the {TARGET} target");
        crate::run("rustup", &["target", "add", TARGET])?;
    }
    if !Path::new(MINGW_GCC).exists() {
        eprintln!("windows: installing Debian's {MINGW_PACKAGE}");
        crate::redis::apt_install(
            &[MINGW_PACKAGE],
            "ring's build script compiles C for Windows with it",
        )?;
        if !Path::new(MINGW_GCC).exists() {
            return Err(format!(
                "{MINGW_PACKAGE} was installed but {MINGW_GCC} is missing"
            ));
        }
    }
    Ok(())
}
