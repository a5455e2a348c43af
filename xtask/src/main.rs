//! `cargo xtask`: the repository's automation. `cargo xtask test` runs every gate CI runs; `cargo xtask
//! bench` measures msconnect against MSAL Python.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job

mod bench;
mod bench_named;
mod keystores;
mod peers;
mod redis;
mod release;
mod tenants;
mod test;
mod windows;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("release") => release::run_release(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("bench-named") => bench_named::run_bench_named(&args[1..]),
        Some("max-rss") => bench::max_rss(&args[1..]),
        Some("bench-tenants") => tenants::run_bench_tenants(&args[1..]),
        Some("peers") => peers::install().map(|dir| println!("{}", dir.display())),
        Some("help") | Some("--help") | Some("-h") | None => {
            eprintln!(
                "usage: cargo xtask <test|release|peers|bench>\n\n  test                 fmt, clippy and every test, installing the test peers first\n  release [--dry-run]  the gates, then the release archive, checksums and package checks\n  peers                only install the test peers (into target/peers) and print where they are\n  bench [--runs N] [--module NAME] [--no-criterion]\n                       benchmarks against MSAL Python, written to BENCHMARKS.md\n  bench --fleet WxC    only the shared-cache fleets (Redis, one file) of W workers and C customers\n  bench-named [--runs N]\n                       named connections: token --context and status, written to BENCHMARKS.md\n  bench-tenants [--tenants N] [--debug]\n                       token --tenant for N tenants from one sign-in, twice: the requests counted"
            );
            Ok(())
        }
        Some(other) => Err(format!("unknown task '{other}'; try `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where cargo puts build outputs, as `cargo metadata` reports it: `CARGO_TARGET_DIR`, a `build.target-dir`
/// of a config file, or `<root>/target`. Asked of cargo rather than guessed, so every task finds the
/// binaries cargo built wherever the user keeps them.
fn target_dir() -> Result<PathBuf, String> {
    target_dir_with(&[])
}

/// [`target_dir`] as cargo sees it with `env` added to this process's variables.
fn target_dir_with(env: &[(&str, &str)]) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .envs(env.iter().copied())
        .current_dir(project_root())
        .output()
        .map_err(|e| format!("could not start {cargo} metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`cargo metadata` printed no JSON: {e}"))?;
    metadata
        .get("target_directory")
        .and_then(serde_json::Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| "`cargo metadata` named no target_directory".to_owned())
}

/// Runs a command in the workspace root, echoing it; fails with its name when it fails.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_with_env(program, args, &[])
}

/// [`run`] with extra environment variables.
fn run_with_env(program: &str, args: &[&str], env: &[(&str, &Path)]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(project_root())
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_is_where_cargo_puts_builds() {
        let elsewhere = tempfile::tempdir().expect("a temporary folder");
        let elsewhere = elsewhere.path().to_str().expect("a UTF-8 path");
        assert_eq!(
            target_dir_with(&[("CARGO_TARGET_DIR", elsewhere)]),
            Ok(PathBuf::from(elsewhere))
        );
        let default = target_dir_with(&[]).expect("cargo metadata answers");
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(set) => assert_eq!(default, PathBuf::from(set)),
            None => assert_eq!(default, project_root().join("target")),
        }
    }
}
