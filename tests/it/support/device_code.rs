//! A device code sign-in through the `msconnect` binary, finished by headless Chromium on the
//! oidc-provider peer's verification page: what the device code suites share.

use std::io::{BufRead, BufReader, Read};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cli::{Cli, Run};
use crate::support::peers::{OidcProvider, chromium_browser_command, peers_dir};

/// How long a sign-in through the binary may take: bounded so a hung one fails the test, generous
/// because the suites share two cores (the device code flow alone waits 5 s before its first poll).
const SIGN_IN_BUDGET: Duration = Duration::from_secs(90);

/// What a device code sign-in showed, and how msconnect ended.
pub(crate) struct DeviceCodeSignIn {
    /// The device code message msconnect printed on stderr.
    pub(crate) message: String,
    /// The verification page the message names.
    pub(crate) page: String,
    /// The user code the message names.
    pub(crate) code: String,
    /// msconnect's run: its stdout, and its stderr lines other than the message.
    pub(crate) run: Run,
}

/// Runs `msconnect <args>` (a device code sign-in) in `cli`, waits for its device code message, has
/// `tests/peers/browser/login.mjs` sign `login` in on the page it names (with `browser_env` besides), and
/// waits for msconnect to end. Each wait is bounded by [`SIGN_IN_BUDGET`]; a step that does not happen
/// fails the test with the provider's output.
pub(crate) fn device_code_sign_in(
    cli: &Cli,
    provider: &OidcProvider,
    args: &[&str],
    login: &str,
    browser_env: &[(&str, &str)],
) -> DeviceCodeSignIn {
    let driven = drive_device_code(cli.spawn(args), provider, login, browser_env);
    DeviceCodeSignIn {
        message: driven.message,
        page: driven.page,
        code: driven.code,
        run: Run {
            code: driven.status.code().unwrap_or(-1),
            stdout: cli.text(&driven.stdout),
            stderr: cli.text(driven.other_lines.join("\n").as_bytes()),
        },
    }
}

/// How a device code sign-in by any program ended: its message, and its output besides.
pub(crate) struct DrivenSignIn {
    pub(crate) message: String,
    pub(crate) page: String,
    pub(crate) code: String,
    pub(crate) status: std::process::ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) other_lines: Vec<String>,
}

/// The sign-in of [`device_code_sign_in`] for any program (`child`, with piped stdout and stderr) that
/// prints Microsoft's device code message on stderr: MSAL Python playing the Azure CLI, for one.
pub(crate) fn drive_device_code(
    mut child: std::process::Child,
    provider: &OidcProvider,
    login: &str,
    browser_env: &[(&str, &str)],
) -> DrivenSignIn {
    let mut stdout_pipe = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout_pipe.read_to_end(&mut text);
        text
    });
    let (lines, stderr) = mpsc::channel();
    let stderr_pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });

    // "To sign in, use a web browser to open the page <url> and enter the code <code> to authenticate."
    let mut other_lines = Vec::new();
    let message = loop {
        match stderr.recv_timeout(SIGN_IN_BUDGET) {
            Ok(line) if line.contains(" and enter the code ") => break line,
            Ok(line) => other_lines.push(line),
            Err(e) => {
                let _ = child.kill();
                panic!(
                    "the program showed no device code ({e}); it said {other_lines:?}; the provider said:\n{}",
                    provider.output()
                );
            }
        }
    };
    let word_after = |marker: &str| {
        message
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default()
            .to_owned()
    };
    let (page, code) = (word_after("open the page "), word_after("enter the code "));

    let browser = Command::new(chromium_browser_command())
        .arg(&page)
        .env("MSCONNECT_BROWSER_USER_CODE", &code)
        .env("MSCONNECT_BROWSER_LOGIN", login)
        .env("MSCONNECT_PEERS_DIR", peers_dir())
        .envs(browser_env.iter().copied())
        .output()
        .unwrap();
    if !browser.status.success() {
        let _ = child.kill();
    }
    provider.assert_ran("login.mjs", &browser);

    let deadline = Instant::now() + SIGN_IN_BUDGET;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "the program did not finish; the provider said:\n{}",
                provider.output()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // the reader ends when the program's stderr closes, so this is all of it
    other_lines.extend(stderr.iter());
    DrivenSignIn {
        message,
        page,
        code,
        status,
        stdout: stdout.join().unwrap(),
        other_lines,
    }
}
