//! The `msconnect` binary end to end: each test runs the real binary with an empty environment, its own
//! `MSCONNECT_HOME` in a temporary folder, and `AZURE_AUTHORITY_HOST` pointing at its own mockito server.
//! The cache file is plain (`MSCONNECT_CACHE_PROTECTION=none`) unless a test says otherwise.

mod aliases;
mod auto;
mod az;
mod bounded;
mod cae;
pub(crate) mod connect;
mod connection;
mod environment;
#[cfg(unix)]
mod files;
mod from_azure_cli;
mod git;
mod help;
#[cfg(unix)]
mod home;
mod interactive;
mod kubectl;
mod malformed;
mod named;
#[cfg(target_os = "linux")]
mod protection;
#[cfg(unix)]
mod read_only_home;
mod secrets;
mod state;
mod terminal;
mod tokens;
mod usage;
mod workload;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tempfile::TempDir;

/// The tenant id the fake authority puts in its tokens.
pub(crate) const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The user's object id in those tokens.
pub(crate) const OID: &str = "6f1d8a3c-2f54-4e0b-9a55-0c9a8f0c1d2e";
/// The cache at rest: MSAL's plain JSON unless a test sets another protection, so that the suites about
/// other things neither depend on the machine's keystores nor fill the user's kernel keyring with keys
/// (`protection.rs` owns the keystores).
const PROTECTION: &str = "MSCONNECT_CACHE_PROTECTION";
/// A client id for the tests.
pub(crate) const APP_ID: &str = "00000000-0000-0000-0000-00000000a11c";

/// The binary, built once per test run. It belongs to another package of the workspace, which cargo
/// does not build for this one's tests, so this asks cargo (a no-op when it is up to date).
pub(crate) fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let test_exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/it-<hash>
        let profile_dir = test_exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary lives in target/<profile>/deps");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--package", "msconnect", "--bin", "msconnect"]);
        // What cargo set for this test binary is not the nested build's: left in, build scripts that
        // watch CARGO_MANIFEST_DIR (ring's) would rebuild half the tree on every run.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let per_package = name.starts_with("CARGO_PKG_")
                || matches!(
                    name.as_ref(),
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "CARGO_RUSTC_CURRENT_DIR"
                );
            if per_package {
                build.env_remove(name.as_ref());
            }
        }
        if profile_dir.file_name().is_some_and(|name| name == "release") {
            build.arg("--release");
        }
        let status = build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build of msconnect failed");
        profile_dir.join(format!("msconnect{}", std::env::consts::EXE_SUFFIX))
    })
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code.
    pub(crate) code: i32,
    /// Standard output, the home folder's path replaced by `[HOME]`.
    pub(crate) stdout: String,
    /// Standard error, likewise.
    pub(crate) stderr: String,
}

/// A clean environment to run msconnect in.
pub(crate) struct Cli {
    home: TempDir,
    vars: Vec<(String, String)>,
}

impl Cli {
    /// An empty `MSCONNECT_HOME`, `MSCONNECT_CACHE_PROTECTION=none`, no other variable.
    pub(crate) fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("a temporary folder"),
            vars: Vec::new(),
        }
    }

    /// Sign-ins go to `url` (a mockito server).
    pub(crate) fn authority(self, url: &str) -> Self {
        self.env("AZURE_AUTHORITY_HOST", url)
    }

    /// Sets a variable for every run.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// msconnect's folder.
    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Runs `msconnect <args>` with an empty stdin (a pipe, never a terminal).
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// Runs `msconnect <args>` with `stdin` piped in.
    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, stdin, &[])
    }

    /// Runs `msconnect <args>` with `stdin` piped in and these variables besides the usual ones.
    pub(crate) fn run_with(&self, args: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Run {
        let output = assert_cmd::Command::new(binary())
            .args(args)
            .env_clear()
            .env("MSCONNECT_HOME", self.home.path())
            .env(PROTECTION, "none")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(vars.iter().copied())
            .write_stdin(stdin)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("running msconnect");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: self.text(&output.stdout),
            stderr: self.text(&output.stderr),
        }
    }

    /// Starts `msconnect <args>` in the background, stdin empty, stdout and stderr piped.
    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        Command::new(binary())
            .args(args)
            .env_clear()
            .env("MSCONNECT_HOME", self.home.path())
            .env(PROTECTION, "none")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starting msconnect")
    }

    /// Output with the home folder's path replaced by `[HOME]`.
    pub(crate) fn text(&self, bytes: &[u8]) -> String {
        let home = self.home.path().display().to_string();
        String::from_utf8_lossy(bytes).replace(&home, "[HOME]")
    }
}

/// Asserts on a snapshot with the shared filters, snapshot files in `tests/it/snapshots`.
#[macro_export]
macro_rules! snapshot {
    ($($arg:tt)*) => {{
        let mut settings = $crate::support::filters::settings();
        settings.set_snapshot_path("../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!($($arg)*));
    }};
}
