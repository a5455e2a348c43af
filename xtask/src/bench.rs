//! `cargo xtask bench [--runs N] [--module NAME] [--no-criterion]`: measures msconnect against what users
//! would use instead, and writes BENCHMARKS.md. `cargo xtask bench --fleet WORKERSxCUSTOMERS` instead runs
//! only the fleet tests of one Redis and one cache file at that size (`64x999`: 64 workers, 1,000 tenants)
//! and prints the lines BENCHMARKS.md's hand-written "Shared cache" section quotes.
//!
//! Steps: the criterion benches of auth-core (`benches/token.rs`) and the concurrency bench
//! (`benches/concurrency.rs`, one JSON line per cache kind); a release build of `msconnect` and of the
//! `bench_fixture` example; then, for a cache of one account and one of 1,000, `msconnect <module> token`
//! against MSAL Python (`benches/msal_token.py`) reading the same cache file, run alternately N times each
//! (after warm-up runs), every output checked against the cached token; medians, their ratio, and peak
//! memory (`/usr/bin/time`, else the children's `getrusage` maximum through `cargo xtask max-rss`).
//! BENCHMARKS.md keeps everything below its notes marker, which is written by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::{project_root, run};

mod protection;

/// BENCHMARKS.md from this line on is written by hand and kept by every run.
const NOTES_MARKER: &str = "<!-- notes: written by hand, kept by `cargo xtask bench` -->";

/// The whole-process goals of issue 9.
const GOAL_PROCESS_MS: f64 = 10.0;
const GOAL_RATIO: f64 = 20.0;
const GOAL_RSS_MB: f64 = 15.0;

struct Options {
    runs: usize,
    module: String,
    criterion: bool,
    /// `WORKERSxCUSTOMERS`: only the shared-cache fleets, at this size.
    fleet: Option<String>,
}

pub(crate) fn run_bench(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    if let Some(size) = &options.fleet {
        return fleets(size);
    }
    let root = project_root();
    let target = crate::target_dir()?;
    if options.criterion {
        run(
            "cargo",
            &[
                "bench",
                "--locked",
                "-p",
                "msconnect-auth-core",
                "--bench",
                "token",
            ],
        )?;
    }
    let criterion = criterion_results(&target.join("criterion"))?;
    let concurrency = concurrency()?;
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
            "--example",
            "cached_token",
        ],
    )?;
    let python = msal_python()?;
    let mut processes = Vec::new();
    for accounts in [1, 1_000] {
        processes.push(compare_processes(&root, &target, &python, accounts, &options)?);
    }
    let protection = protection::measure(&target, &options.module, options.runs)?;
    let report = Report {
        protection,
        criterion,
        concurrency,
        processes,
        runs: options.runs,
        module: options.module.clone(),
        msal_version: msal_version(&python)?,
    };
    let path = root.join("BENCHMARKS.md");
    let notes = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| text.find(NOTES_MARKER).map(|at| text[at..].to_owned()))
        .unwrap_or_else(|| format!("{NOTES_MARKER}\n"));
    let text = format!("{}\n{notes}", report.markdown()?);
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        runs: 50,
        module: "partnercenter".into(),
        criterion: true,
        fleet: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                options.runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--runs takes a positive number")?
            }
            "--module" => options.module = args.next().ok_or("--module takes a module name")?.clone(),
            "--no-criterion" => options.criterion = false,
            "--fleet" => {
                let size = args
                    .next()
                    .ok_or("--fleet takes WORKERSxCUSTOMERS, such as 64x999")?;
                let valid = size
                    .split_once('x')
                    .is_some_and(|(w, c)| w.parse::<usize>().is_ok() && c.parse::<usize>().is_ok());
                if !valid {
                    return Err(format!(
                        "--fleet takes WORKERSxCUSTOMERS, such as 64x999 (got '{size}')"
                    ));
                }
                options.fleet = Some(size.clone());
            }
            other => {
                return Err(format!(
                    "usage: cargo xtask bench [--runs N] [--module NAME] [--no-criterion] | --fleet WxC (got '{other}')"
                ));
            }
        }
    }
    Ok(options)
}

/// The fleets of `tests/it/shared_cache.rs` on one Redis and on one cache file, at `size`; their lines
/// (requests to the authority, wall time) are printed for BENCHMARKS.md.
fn fleets(size: &str) -> Result<(), String> {
    let peers = crate::peers::install()?;
    crate::run_with_env(
        "cargo",
        &[
            "test",
            "--locked",
            "-p",
            "msconnect-tests",
            "--test",
            "it",
            "shared_cache::a_fleet_on_one",
            "--",
            "--nocapture",
            "--test-threads",
            "1",
        ],
        &[
            ("MSCONNECT_PEERS_DIR", &peers),
            ("MSCONNECT_BENCH_FLEET", Path::new(size)),
        ],
    )
}

// ---- criterion ----

/// One criterion benchmark: its id (`group/function`) and its median and mean, in nanoseconds.
struct Estimate {
    id: String,
    median_ns: f64,
    mean_ns: f64,
}

/// What the benches wrote: `target/criterion/<group>/<function>/new/estimates.json`.
fn criterion_results(dir: &Path) -> Result<Vec<Estimate>, String> {
    let mut found = Vec::new();
    let groups = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "no criterion results in {} ({e}): run without --no-criterion",
            dir.display()
        )
    })?;
    for group in groups.flatten().filter(|g| g.path().is_dir()) {
        for function in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let estimates = function.path().join("new/estimates.json");
            let Ok(text) = std::fs::read_to_string(&estimates) else {
                continue;
            };
            let json: Value =
                serde_json::from_str(&text).map_err(|e| format!("reading {}: {e}", estimates.display()))?;
            let point = |name: &str| json[name]["point_estimate"].as_f64().unwrap_or(f64::NAN);
            found.push(Estimate {
                id: format!(
                    "{}/{}",
                    group.file_name().to_string_lossy(),
                    function.file_name().to_string_lossy()
                ),
                median_ns: point("median"),
                mean_ns: point("mean"),
            });
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

/// The concurrency bench's JSON lines.
fn concurrency() -> Result<Vec<Value>, String> {
    let args = [
        "bench",
        "--locked",
        "-p",
        "msconnect-auth-core",
        "--bench",
        "concurrency",
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let output = Command::new("cargo")
        .args(args)
        .current_dir(project_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the concurrency bench failed ({})", output.status));
    }
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the concurrency bench printed something else than JSON: {e}"))?;
    if lines.is_empty() {
        return Err("the concurrency bench printed no result".into());
    }
    Ok(lines)
}

// ---- msconnect against MSAL Python, whole processes ----

/// The Python of the test peers' virtual environment, with the MSAL Python the tests pin.
fn msal_python() -> Result<PathBuf, String> {
    let venv = crate::peers::install()?.join("venv");
    Ok(if cfg!(windows) {
        venv.join("Scripts/python.exe")
    } else {
        venv.join("bin/python")
    })
}

fn msal_version(python: &Path) -> Result<String, String> {
    let output = Command::new(python)
        .args(["-c", "import msal; print(msal.__version__)"])
        .output()
        .map_err(|e| format!("could not start {}: {e}", python.display()))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One program's runs: wall times and peak resident memory.
pub(crate) struct Runs {
    pub(crate) times: Vec<Duration>,
    pub(crate) peak_rss_kb: Option<u64>,
}

impl Runs {
    pub(crate) fn median_ms(&self) -> f64 {
        let mut times = self.times.clone();
        times.sort();
        let mid = times.len() / 2;
        let median = if times.len().is_multiple_of(2) {
            (times[mid - 1] + times[mid]) / 2
        } else {
            times[mid]
        };
        median.as_secs_f64() * 1e3
    }

    pub(crate) fn min_ms(&self) -> f64 {
        self.times
            .iter()
            .min()
            .map_or(f64::NAN, |t| t.as_secs_f64() * 1e3)
    }
}

/// What ran as msconnect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Program {
    /// `msconnect <module> token`.
    Cli,
    /// auth-core's `cached_token` example: the command line's path through auth-core, without clap.
    Example,
}

struct ProcessComparison {
    accounts: usize,
    cache_bytes: u64,
    program: Program,
    msconnect: Runs,
    msal: Runs,
}

fn compare_processes(
    root: &Path,
    target: &Path,
    python: &Path,
    accounts: usize,
    options: &Options,
) -> Result<ProcessComparison, String> {
    let dir = target.join(format!("bench/{accounts}-accounts"));
    let _ = std::fs::remove_dir_all(&dir);
    let fixture = target.join("release/examples/bench_fixture");
    let dir_arg = dir.to_string_lossy().into_owned();
    let expected =
        output_of(Command::new(&fixture).args([dir_arg.as_str(), &accounts.to_string(), &options.module]))?;
    let script = root.join("benches/msal_token.py");
    output_of(
        Command::new(python)
            .arg(&script)
            .args(["prime", dir_arg.as_str()]),
    )?;
    let cli = || {
        let mut command = Command::new(target.join("release/msconnect"));
        command
            .args([options.module.as_str(), "token"])
            .env("MSCONNECT_HOME", &dir)
            // the file MSAL Python reads: plain (the cache at rest is measured on its own)
            .env("MSCONNECT_CACHE_PROTECTION", "none");
        command
    };
    // Until the command line has its `token` command, auth-core's share of it runs as a program of its
    // own; the report says which one ran.
    let program = match output_of_quietly(&mut cli()) {
        Some(printed) if printed.trim() == expected.trim() => Program::Cli,
        _ => Program::Example,
    };
    let msconnect = || match program {
        Program::Cli => cli(),
        Program::Example => {
            let mut command = Command::new(target.join("release/examples/cached_token"));
            command.arg(&options.module).env("MSCONNECT_HOME", &dir);
            command
        }
    };
    let msal = || {
        let mut command = Command::new(python);
        command.arg(&script).args(["token", dir_arg.as_str()]);
        command
    };
    eprintln!(
        "bench: {accounts} account(s): `msconnect {} token` against MSAL Python, {} runs each",
        options.module, options.runs
    );
    // warm-up: the page cache, Python's bytecode cache
    for _ in 0..3 {
        check(&expected, &output_of(&mut msconnect())?, "msconnect")?;
        check(&expected, &output_of(&mut msal())?, "MSAL Python")?;
    }
    let mut ours = Vec::with_capacity(options.runs);
    let mut theirs = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        ours.push(timed(&mut msconnect(), &expected, "msconnect")?);
        theirs.push(timed(&mut msal(), &expected, "MSAL Python")?);
    }
    let cache_bytes = std::fs::metadata(dir.join("msal_token_cache.json"))
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(ProcessComparison {
        accounts,
        cache_bytes,
        program,
        msconnect: Runs {
            times: ours,
            peak_rss_kb: peak_rss_kb(&mut msconnect())?,
        },
        msal: Runs {
            times: theirs,
            peak_rss_kb: peak_rss_kb(&mut msal())?,
        },
    })
}

/// Runs a command to its end, its stdout captured: the wall time, checked to have printed the token.
pub(crate) fn timed(command: &mut Command, expected: &str, who: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {who}: {e}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!("{who} failed ({})", output.status));
    }
    check(expected, &String::from_utf8_lossy(&output.stdout), who)?;
    Ok(elapsed)
}

fn check(expected: &str, printed: &str, who: &str) -> Result<(), String> {
    if printed.trim() == expected.trim() {
        Ok(())
    } else {
        Err(format!(
            "{who} printed something else than the cached token ({} bytes instead of {})",
            printed.trim().len(),
            expected.trim().len()
        ))
    }
}

/// What a command printed when it succeeded; its errors are not shown.
fn output_of_quietly(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(crate) fn output_of(command: &mut Command) -> Result<String, String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {:?}: {e}", command.get_program()))?;
    if !output.status.success() {
        return Err(format!("{:?} failed ({})", command.get_program(), output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The largest peak resident set of five runs, in KiB: `/usr/bin/time -f %M` when it is there, else
/// `cargo xtask max-rss` (this program again, reading its children's `getrusage`). `None` where neither
/// works (not Unix).
fn peak_rss_kb(command: &mut Command) -> Result<Option<u64>, String> {
    let wrapper: (PathBuf, Vec<String>) = if Path::new("/usr/bin/time").is_file() {
        ("/usr/bin/time".into(), vec!["-f".into(), "%M".into()])
    } else if cfg!(unix) {
        let me = std::env::current_exe().map_err(|e| format!("finding xtask itself: {e}"))?;
        (me, vec!["max-rss".into()])
    } else {
        return Ok(None);
    };
    let mut peak = 0;
    for _ in 0..5 {
        let output = Command::new(&wrapper.0)
            .args(&wrapper.1)
            .arg(command.get_program())
            .args(command.get_args())
            .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("could not start {}: {e}", wrapper.0.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let kb = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<u64>().ok())
            .ok_or_else(|| format!("{} printed no peak memory: {stderr}", wrapper.0.display()))?;
        peak = peak.max(kb);
    }
    Ok(Some(peak))
}

/// `cargo xtask max-rss PROGRAM ARGS…`: runs the program and prints on stderr the peak resident set of
/// its process tree in KiB, as `/usr/bin/time -f %M` does.
pub(crate) fn max_rss(args: &[String]) -> Result<(), String> {
    let (program, rest) = args
        .split_first()
        .ok_or("usage: cargo xtask max-rss PROGRAM ARGS…")?;
    let status = Command::new(program)
        .args(rest)
        .status()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    if !status.success() {
        return Err(format!("{program} failed ({status})"));
    }
    match children_max_rss_kb() {
        Some(kb) => {
            eprintln!("{kb}");
            Ok(())
        }
        None => Err("the peak memory of a child cannot be read on this system".into()),
    }
}

#[cfg(unix)]
#[allow(unsafe_code)] // getrusage has no safe wrapper in std
fn children_max_rss_kb() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable rusage; getrusage only writes it.
    let done = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if done != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so it filled `usage`.
    let max = unsafe { usage.assume_init() }.ru_maxrss;
    // Linux counts in KiB, macOS in bytes.
    Some(if cfg!(target_os = "macos") {
        max as u64 / 1024
    } else {
        max as u64
    })
}

#[cfg(not(unix))]
fn children_max_rss_kb() -> Option<u64> {
    None
}

// ---- BENCHMARKS.md ----

struct Report {
    criterion: Vec<Estimate>,
    concurrency: Vec<Value>,
    processes: Vec<ProcessComparison>,
    runs: usize,
    module: String,
    msal_version: String,
    protection: protection::Protections,
}

impl Report {
    fn markdown(&self) -> Result<String, String> {
        let mut out = String::new();
        let line = |out: &mut String, text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        line(&mut out, "# Benchmarks");
        line(&mut out, "");
        line(
            &mut out,
            "Written by `cargo xtask bench` (everything above the notes marker is replaced on each run).",
        );
        line(&mut out, "");
        line(&mut out, &format!("- Date: {}", utc_now()));
        line(&mut out, &format!("- Machine: {}", machine()));
        line(
            &mut out,
            &format!("- Rust: {}", version_of("rustc", &["--version"])),
        );
        line(
            &mut out,
            &format!(
                "- MSAL Python: {} on {}",
                self.msal_version,
                version_of("python3", &["--version"])
            ),
        );
        line(
            &mut out,
            &format!(
                "- Reproduce: `cargo xtask bench` (this run: `--runs {} --module {}`)",
                self.runs, self.module
            ),
        );
        line(&mut out, "");

        line(&mut out, "## Whole process: a cached token, as a user runs it");
        line(&mut out, "");
        line(
            &mut out,
            &format!(
                "`msconnect {} token` against a Python program using MSAL Python ([benches/msal_token.py](benches/msal_token.py)) \
                 that loads the same cache file and gets the same token silently (its discovery documents from its \
                 persisted HTTP cache, any request failing the run). {} alternating runs of each after 3 warm-up runs; \
                 every run's output is checked to be the cached token. Peak memory: the largest maximum resident set \
                 of 5 more runs.",
                self.module, self.runs
            ),
        );
        line(&mut out, "");
        line(
            &mut out,
            "| cache file | msconnect program | msconnect median (min) | MSAL Python median (min) | ratio | msconnect peak memory | MSAL Python peak memory |",
        );
        line(&mut out, "|---|---|---|---|---|---|---|");
        for p in &self.processes {
            line(
                &mut out,
                &format!(
                    "| {} ({}) | {} | {:.2} ms ({:.2}) | {:.1} ms ({:.1}) | {:.0}x | {} | {} |",
                    plural(p.accounts, "account"),
                    size(p.cache_bytes),
                    match p.program {
                        Program::Cli => format!("`msconnect {} token`", self.module),
                        Program::Example => "auth-core's `cached_token` example".to_owned(),
                    },
                    p.msconnect.median_ms(),
                    p.msconnect.min_ms(),
                    p.msal.median_ms(),
                    p.msal.min_ms(),
                    p.msal.median_ms() / p.msconnect.median_ms(),
                    rss(p.msconnect.peak_rss_kb),
                    rss(p.msal.peak_rss_kb),
                ),
            );
        }
        if self.processes.iter().any(|p| p.program == Program::Example) {
            line(&mut out, "");
            line(
                &mut out,
                &format!(
                    "`msconnect {} token` did not print the cached token (the command line has no `token` command \
                     yet), so auth-core's `cached_token` example ran in its place: the same path through auth-core \
                     (saved connection, token cache, no runtime, no TLS) without the command line's argument parsing.",
                    self.module
                ),
            );
        }
        line(&mut out, "");

        line(&mut out, "## In process (criterion)");
        line(&mut out, "");
        line(
            &mut out,
            &format!(
                "`crates/auth-core/benches/token.rs`; the 1,000-account file is the one above ({}, tokens at \
                 Microsoft's sizes).",
                size(self.processes.last().map_or(0, |p| p.cache_bytes))
            ),
        );
        line(&mut out, "");
        line(&mut out, "| benchmark | median | mean |");
        line(&mut out, "|---|---|---|");
        for e in &self.criterion {
            line(
                &mut out,
                &format!(
                    "| `{}` | {} | {} |",
                    e.id,
                    duration(e.median_ns),
                    duration(e.mean_ns)
                ),
            );
        }
        line(&mut out, "");

        line(&mut out, "## Concurrency: one token, many callers");
        line(&mut out, "");
        line(
            &mut out,
            "`crates/auth-core/benches/concurrency.rs`: concurrent silent requests in one process for the same \
             expired token, against a local mock that takes the time shown to answer.",
        );
        line(&mut out, "");
        line(
            &mut out,
            "| cache | callers | requests reaching the server | all got the new token | server time | last caller | median caller |",
        );
        line(&mut out, "|---|---|---|---|---|---|---|");
        for c in &self.concurrency {
            line(
                &mut out,
                &format!(
                    "| {} | {} | {} | {} | {:.0} ms | {:.1} ms | {:.1} ms |",
                    c["cache"].as_str().unwrap_or("?"),
                    c["callers"],
                    c["requests"],
                    if c["same_token"].as_bool() == Some(true) {
                        "yes"
                    } else {
                        "NO"
                    },
                    c["server_ms"].as_f64().unwrap_or(f64::NAN),
                    c["last_caller_ms"].as_f64().unwrap_or(f64::NAN),
                    c["median_caller_ms"].as_f64().unwrap_or(f64::NAN),
                ),
            );
        }
        line(&mut out, "");

        let (at_rest, at_rest_ratio, at_rest_met) = self.protection.markdown(&self.module, self.runs);
        out.push_str(&at_rest);

        line(&mut out, "## Goals (issue 9)");
        line(&mut out, "");
        line(&mut out, "| goal | measured | met |");
        line(&mut out, "|---|---|---|");
        let typical = self.processes.first().ok_or("no whole-process result")?;
        let large = self.processes.last().ok_or("no whole-process result")?;
        let estimate = |id: &str| self.criterion.iter().find(|e| e.id == id).map(|e| e.median_ns);
        let mut goal = |name: &str, measured: String, met: Option<bool>| {
            let met = match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            };
            line(&mut out, &format!("| {name} | {measured} | {met} |"));
        };
        for p in [typical, large] {
            let median = p.msconnect.median_ms();
            let ratio = p.msal.median_ms() / median;
            goal(
                &format!(
                    "cached token, whole process, {}: under {GOAL_PROCESS_MS} ms",
                    plural(p.accounts, "account")
                ),
                format!("{median:.2} ms"),
                Some(median < GOAL_PROCESS_MS),
            );
            goal(
                &format!(
                    "… and at least {GOAL_RATIO}x faster than MSAL Python ({})",
                    plural(p.accounts, "account")
                ),
                format!("{ratio:.0}x"),
                Some(ratio >= GOAL_RATIO),
            );
            goal(
                &format!(
                    "peak memory of `msconnect token` under {GOAL_RSS_MB} MB ({})",
                    plural(p.accounts, "account")
                ),
                rss(p.msconnect.peak_rss_kb),
                p.msconnect
                    .peak_rss_kb
                    .map(|kb| (kb as f64) * 1024.0 / 1e6 < GOAL_RSS_MB),
            );
        }
        let memory = estimate("cached_token/memory");
        goal(
            "in-process cached token from memory: under 5 µs",
            memory.map_or("-".into(), duration),
            memory.map(|ns| ns < 5_000.0),
        );
        let parse = estimate("cache_file/parse_1000_accounts");
        goal(
            "parsing a 1,000-account cache file: under 20 ms",
            parse.map_or("-".into(), duration),
            parse.map(|ns| ns < 20e6),
        );
        goal(
            &format!(
                "cached token, cache sealed under a kernel keyring key: at most {}x plain (issue 25)",
                protection::GOAL_RATIO
            ),
            at_rest_ratio,
            at_rest_met,
        );
        let one_request = self.concurrency.iter().all(|c| c["requests"].as_u64() == Some(1));
        goal(
            "1,000 concurrent callers: one request reaches the server",
            self.concurrency
                .iter()
                .map(|c| format!("{} ({})", c["requests"], c["cache"].as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", "),
            Some(one_request),
        );
        Ok(out)
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(n))
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} KB", bytes as f64 / 1e3)
    }
}

fn rss(kb: Option<u64>) -> String {
    kb.map_or("not measured".into(), |kb| {
        format!("{:.1} MB", kb as f64 * 1024.0 / 1e6)
    })
}

fn duration(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The CPU model and count, and the memory, from /proc where there is one.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, v)| v.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(String::new(), |kb| {
            format!(", {:.0} GiB", kb as f64 / 1024.0 / 1024.0)
        });
    format!(
        "{model}, {cores} cores (nproc){memory}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn version_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
        .unwrap_or_else(|| format!("{program}: not found"))
}

/// Now as `2026-05-01 12:34 UTC`.
pub(crate) fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(plural(1, "account"), "1 account");
        assert_eq!(plural(1_000, "account"), "1,000 accounts");
        assert_eq!(duration(1_234.0), "1.23 µs");
        assert_eq!(duration(12_345_678.0), "12.35 ms");
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(size(4_500_000), "4.5 MB");
        assert_eq!(rss(Some(2_048)), "2.1 MB");
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let runs = Runs {
            times: [4, 1, 3, 2].map(Duration::from_millis).to_vec(),
            peak_rss_kb: None,
        };
        assert_eq!(runs.median_ms(), 2.5);
        assert_eq!(runs.min_ms(), 1.0);
    }

    #[test]
    fn options_are_checked() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = parse(&args(&["--runs", "7", "--module", "entra", "--no-criterion"])).unwrap();
        assert_eq!(
            (options.runs, options.module.as_str(), options.criterion),
            (7, "entra", false)
        );
        assert_eq!(
            parse(&args(&["--runs", "0"])).err().unwrap(),
            "--runs takes a positive number"
        );
        assert!(parse(&args(&["--fast"])).err().unwrap().contains("got '--fast'"));
    }
}
