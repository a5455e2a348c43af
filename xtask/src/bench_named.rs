//! `cargo xtask bench-named [--runs N]`: issue 23's goals for named connections, on a release build: a
//! cached `partnercenter token --context NAME` against the cached plain `token` (goal: within 10%), and
//! `msconnect status` over 100 named connections whose tokens are valid (goal: under 100 ms, no request).
//! The fixture is `bench_fixture`'s 100-account cache with `--named`; every request would go through a loopback proxy
//! listener that must see no connection. Writes its section of BENCHMARKS.md, between its own markers in
//! the hand-written part, so `cargo xtask bench` keeps it.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::bench::{Runs, output_of, timed, utc_now};
use crate::{project_root, run};

const CONNECTIONS: usize = 100;
const BEGIN: &str = "<!-- bench-named: written by `cargo xtask bench-named` -->";
const END: &str = "<!-- /bench-named -->";
const GOAL_RATIO: f64 = 1.10;
const GOAL_STATUS_MS: f64 = 100.0;

pub(crate) fn run_bench_named(args: &[String]) -> Result<(), String> {
    let runs = match args {
        [] => 30,
        [flag, n] if flag == "--runs" => n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or("--runs takes a positive number")?,
        _ => return Err("usage: cargo xtask bench-named [--runs N]".into()),
    };
    let target = crate::target_dir()?;
    run("cargo", &["build", "--release", "--locked", "-p", "msconnect"])?;
    run(
        "cargo",
        &[
            "build",
            "--release",
            "--locked",
            "-p",
            "msconnect-auth-core",
            "--example",
            "bench_fixture",
        ],
    )?;
    let dir = target.join("bench/named");
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_string_lossy().into_owned();
    let expected = output_of(Command::new(target.join("release/examples/bench_fixture")).args([
        dir_arg.as_str(),
        &CONNECTIONS.to_string(),
        "partnercenter",
        "--named",
    ]))?;
    // any request would go through this proxy, which never answers (the tokens are the global cloud's)
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("a loopback listener: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("a loopback listener: {e}"))?;
    let proxy = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().map_err(|e| e.to_string())?.port()
    );
    let msconnect = |args: &[&str]| {
        let mut command = Command::new(target.join("release/msconnect"));
        command
            .args(args)
            .env_clear()
            .env("MSCONNECT_HOME", &dir)
            .env("HTTPS_PROXY", &proxy);
        command
    };
    let named = format!("bench-{}", CONNECTIONS - 1);
    let plain_args = ["partnercenter", "token"];
    let named_args = ["partnercenter", "token", "--context", named.as_str()];
    let status_args = ["status"];
    let (mut plain, mut by_name, mut status) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..runs + 3 {
        let times = [
            timed(
                &mut msconnect(&plain_args),
                &expected,
                "msconnect partnercenter token",
            )?,
            timed(
                &mut msconnect(&named_args),
                &expected,
                "msconnect partnercenter token --context",
            )?,
            status_time(&mut msconnect(&status_args))?,
        ];
        // the first rounds warm the page cache
        if round >= 3 {
            plain.push(times[0]);
            by_name.push(times[1]);
            status.push(times[2]);
        }
    }
    if listener.accept().is_ok() {
        return Err("a command made a request, though every token was cached".into());
    }
    let runs_of = |times| Runs {
        times,
        peak_rss_kb: None,
    };
    let (plain, by_name, status) = (runs_of(plain), runs_of(by_name), runs_of(status));
    let ratio = by_name.median_ms() / plain.median_ms();
    let goal = |met: bool| if met { "met" } else { "**missed**" };
    let section = format!(
        "{BEGIN}\n## Named connections (issue 23)\n\n\
         Measured {} with `cargo xtask bench-named --runs {runs}` on a release build: a token cache of {CONNECTIONS} \
         users (Microsoft-sized tokens, all valid), a named connection for each (`bench-0` … `bench-{}`) and the \
         unnamed `default` one for the last; `HTTPS_PROXY` is a loopback listener, which saw no connection. \
         Runs alternate, after 3 warm-up rounds; every token printed is checked.\n\n\
         | command | median | min |\n|---|---|---|\n\
         | `msconnect partnercenter token` (cached) | {:.2} ms | {:.2} ms |\n\
         | `msconnect partnercenter token --context {named}` (cached) | {:.2} ms | {:.2} ms |\n\
         | `msconnect status` ({} connections, every token valid, no request) | {:.2} ms | {:.2} ms |\n\n\
         Goals: `token --context` within 10% of `token`: {:.3}× ({}); `status` over {CONNECTIONS} connections under \
         {GOAL_STATUS_MS:.0} ms: {}.\n{END}\n",
        utc_now(),
        CONNECTIONS - 1,
        plain.median_ms(),
        plain.min_ms(),
        by_name.median_ms(),
        by_name.min_ms(),
        CONNECTIONS + 1,
        status.median_ms(),
        status.min_ms(),
        ratio,
        goal(ratio <= GOAL_RATIO),
        goal(status.median_ms() < GOAL_STATUS_MS),
    );
    eprint!("{section}");
    write_section(&project_root().join("BENCHMARKS.md"), &section)
}

/// `status`'s wall time, checked to have found every connection able to give a token.
fn status_time(command: &mut Command) -> Result<Duration, String> {
    let started = std::time::Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("could not start msconnect status: {e}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "msconnect status failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let rows = String::from_utf8_lossy(&output.stdout).lines().count();
    if rows != CONNECTIONS + 1 + 2 {
        return Err(format!(
            "msconnect status listed {} rows, not {}",
            rows - 2,
            CONNECTIONS + 1
        ));
    }
    Ok(elapsed)
}

/// Replaces this bench's section of BENCHMARKS.md, or adds it at the end.
fn write_section(path: &Path, section: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let text = match (text.find(BEGIN), text.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{section}{}",
                &text[..begin],
                &text[end + END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n\n{section}", text.trim_end()),
    };
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
