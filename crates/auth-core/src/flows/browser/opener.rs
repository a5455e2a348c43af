//! Opening the system browser: `$BROWSER` first (a `:`-separated list of commands, `%s` standing for the
//! URL, as xdg-utils and Python's `webbrowser` read it), then the platform's opener (`xdg-open`, `open`,
//! `rundll32 url.dll`).
//!
//! The browser is given the sign-in's single-use start address on its loopback listener
//! (`http://localhost:{port}/start/{random}`), never the authorize URL: that URL carries `state`, `nonce`
//! and `code_challenge`, and in a command line every local user could read them in /proc and deliver a
//! code of their own first. Nothing is written to disk (an earlier version handed over a private
//! `file://` page, which a browser run as another user, or on the person's own machine through VS Code
//! Remote or Codespaces, could not open). The browser's environment has no secret variables.

use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::BrowserOpener;
use crate::env::{EnvVars, remove_secret_variables};

/// How long a launcher may take to fail before it counts as having opened the browser. Launchers
/// (`xdg-open`, `open`) hand the URL over and exit; a browser started directly keeps running.
const LAUNCH_GRACE: Duration = Duration::from_millis(1500);

/// The system browser, found through `$BROWSER` and then the platform's opener.
#[derive(Debug, Clone)]
pub struct SystemBrowser {
    env: EnvVars,
    /// The caller's secret variables, kept out of the browser's environment with the Azure ecosystem's.
    hidden: Vec<String>,
    grace: Duration,
}

impl Default for SystemBrowser {
    fn default() -> Self {
        Self::new(EnvVars::from_process())
    }
}

/// One way to open the URL.
#[derive(Debug, PartialEq, Eq)]
struct Launch {
    program: String,
    args: Vec<String>,
    /// `$BROWSER` commands may be text browsers, which need the terminal.
    inherit_stdio: bool,
}

impl SystemBrowser {
    /// A browser opener reading `BROWSER`, `DISPLAY`, `WAYLAND_DISPLAY` and `WSL_DISTRO_NAME` from `env`.
    pub fn new(env: EnvVars) -> Self {
        Self {
            env,
            hidden: Vec::new(),
            grace: LAUNCH_GRACE,
        }
    }

    /// Keeps the variables `names` (secrets of the caller's own, such as the command line's) out of the
    /// browser's environment too, besides the Azure ecosystem's ([`crate::env::SECRET_VARIABLES`]).
    pub fn hiding(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.hidden.extend(names.into_iter().map(Into::into));
        self
    }

    /// The commands to try in order, and why the platform opener was skipped when it was.
    fn launches(&self, url: &str) -> (Vec<Launch>, Option<String>) {
        let mut launches: Vec<Launch> = self
            .env
            .get("BROWSER")
            .into_iter()
            .flat_map(|list| list.split(':'))
            .filter_map(|entry| {
                let mut words = entry.split_whitespace();
                let program = words.next()?.to_owned();
                let mut args: Vec<String> = words.map(str::to_owned).collect();
                if args.iter().any(|a| a.contains("%s")) {
                    for arg in &mut args {
                        *arg = arg.replace("%s", url);
                    }
                } else {
                    args.push(url.to_owned());
                }
                Some(Launch {
                    program,
                    args,
                    inherit_stdio: true,
                })
            })
            .collect();
        let platform = |program: &str, args: &[&str]| Launch {
            program: program.to_owned(),
            args: args
                .iter()
                .map(|a| (*a).to_owned())
                .chain([url.to_owned()])
                .collect(),
            inherit_stdio: false,
        };
        let mut skipped = None;
        if cfg!(target_os = "macos") {
            launches.push(platform("open", &[]));
        } else if cfg!(windows) {
            // rundll32 takes the URL as one argument; `cmd /c start` would reinterpret its `&`s
            launches.push(platform("rundll32", &["url.dll,FileProtocolHandler"]));
        } else if self
            .env
            .get_any(&["DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"])
            .is_some()
        {
            launches.push(platform("xdg-open", &[]));
        } else {
            // on a server xdg-open would start a text browser behind our back, or fail slowly
            skipped = Some("no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)".to_owned());
        }
        (launches, skipped)
    }
}

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &str) -> io::Result<()> {
        let (launches, skipped) = self.launches(url);
        let mut failures: Vec<String> = Vec::new();
        for launch in &launches {
            match run(launch, &self.hidden, self.grace) {
                Ok(()) => return Ok(()),
                Err(reason) => failures.push(format!("{}: {reason}", launch.program)),
            }
        }
        if self.env.get("BROWSER").is_none() {
            failures.insert(0, "BROWSER is not set".into());
        }
        failures.extend(skipped);
        Err(io::Error::new(io::ErrorKind::NotFound, failures.join("; ")))
    }
}

/// Starts a launcher and watches it for `grace`: exiting with an error there means it failed; exiting
/// cleanly, or still running (a browser started directly), means the URL is open. A launcher still
/// running when `grace` ends is left to run: the browser is the person's now.
fn run(launch: &Launch, hidden: &[String], grace: Duration) -> Result<(), String> {
    let mut command = Command::new(&launch.program);
    command.args(&launch.args);
    // the browser, and all it starts, gets no secret from our environment
    remove_secret_variables(&mut command, hidden);
    if launch.inherit_stdio {
        command.stdin(Stdio::inherit());
    } else {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "not found".to_owned(),
        _ => e.to_string(),
    })?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("exited with {status}")),
            Ok(None) if started.elapsed() >= grace => return Ok(()),
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn browser(pairs: &[(&str, &str)]) -> SystemBrowser {
        SystemBrowser::new(EnvVars::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn browser_entries_come_first_with_the_url_appended_or_put_in_place_of_percent_s() {
        let (launches, _) = browser(&[
            ("BROWSER", "firefox --new-window:w3m -o x=%s:"),
            ("DISPLAY", ":0"),
        ])
        .launches("https://login.example/a?b=c");
        let shown: Vec<String> = launches
            .iter()
            .map(|l| format!("{} {:?} {}", l.program, l.args, l.inherit_stdio))
            .collect();
        if cfg!(target_os = "linux") {
            insta::assert_snapshot!(shown.join("\n"), @r#"
            firefox ["--new-window", "https://login.example/a?b=c"] true
            w3m ["-o", "x=https://login.example/a?b=c"] true
            xdg-open ["https://login.example/a?b=c"] false
            "#);
        }
        assert_eq!(launches.len(), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_graphical_session_only_browser_is_tried() {
        let (launches, skipped) = browser(&[]).launches("https://x.example/");
        assert!(launches.is_empty());
        let error = browser(&[]).open("https://x.example/").unwrap_err();
        insta::assert_snapshot!(error, @"BROWSER is not set; no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)");
        assert!(skipped.is_some());
    }

    /// A `$BROWSER` script that records its arguments.
    #[cfg(unix)]
    fn recording_browser(dir: &Path) -> PathBuf {
        let script = dir.join("record");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$@\" > '{}/args'\n", dir.display()),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        script
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_command_falls_through_to_the_next_and_a_working_one_gets_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let script = recording_browser(dir.path());
        let list = format!("no-such-browser-here:false:{} --tab %s", script.display());
        let opener = browser(&[("BROWSER", list.as_str())]);
        opener.open("http://localhost:8400/start/x").unwrap();
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(args, "--tab http://localhost:8400/start/x\n");

        let error = browser(&[("BROWSER", "no-such-browser-here:false")])
            .open("https://x.example/")
            .unwrap_err();
        let shown = error.to_string();
        assert!(
            shown.starts_with("no-such-browser-here: not found; false: exited with exit status: 1"),
            "{shown}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_browser_gets_no_secret_variable() {
        // issue 18: the browser inherited MSCONNECT_PASSWORD, MSCONNECT_CLIENT_SECRET and the rest
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("env");
        let mut command = Command::new("sh");
        command.args(["-c", &format!("env > '{}'", out.display())]);
        let callers = vec![
            "MSCONNECT_PASSWORD".to_owned(),
            "MSCONNECT_CLIENT_SECRET".to_owned(),
        ];
        for name in crate::env::SECRET_VARIABLES
            .iter()
            .copied()
            .chain(callers.iter().map(String::as_str))
        {
            command.env(name, "s3cret-value");
        }
        command.env("MSCONNECT_BROWSER_LOGIN", "kept");
        remove_secret_variables(&mut command, &callers);
        assert!(command.status().unwrap().success());
        let env = std::fs::read_to_string(&out).unwrap();
        assert!(!env.contains("s3cret-value"), "{env}");
        assert!(
            env.contains("MSCONNECT_BROWSER_LOGIN=kept"),
            "the rest is inherited"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_browser_still_running_after_the_grace_period_counts_as_opened() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("browser");
        std::fs::write(&script, "#!/bin/sh\nsleep 1\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let opener = SystemBrowser {
            grace: Duration::from_millis(30),
            ..browser(&[("BROWSER", script.to_str().unwrap())])
        };
        // the script runs on like a browser started directly: it has not failed when the grace ends
        let started = Instant::now();
        opener.open("https://x.example/").unwrap();
        assert!(started.elapsed() < Duration::from_millis(300));
    }
}
