//! `cargo xtask`: the repository's automation. `cargo xtask test` runs every gate CI runs; `cargo xtask
//! bench` measures msconnect against MSAL Python.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job

mod bench;
mod peers;
mod redis;
mod release;
mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("release") => release::run_release(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("max-rss") => bench::max_rss(&args[1..]),
        Some("peers") => peers::install().map(|dir| println!("{}", dir.display())),
        Some("help") | Some("--help") | Some("-h") | None => {
            eprintln!(
                "usage: cargo xtask <test|release|peers|bench>\n\n  test                 fmt, clippy and every test, installing the test peers first\n  release [--dry-run]  the gates, then the release archive, checksums and package checks\n  peers                only install the test peers (into target/peers) and print where they are\n  bench [--runs N] [--module NAME] [--no-criterion]\n                       benchmarks against MSAL Python, written to BENCHMARKS.md"
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
