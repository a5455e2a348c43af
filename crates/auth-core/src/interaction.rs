//! How the interactive flows talk to the person signing in: the device code message, a progress
//! indicator while waiting, and what happened to the browser. The CLI implements [`Interaction`];
//! library users get [`StderrInteraction`] by default, or [`SilentInteraction`] for no output at all.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::secret::DeviceCode;

/// What the person must do: open `verification_uri` and type `user_code`. `message` says exactly that,
/// in the language Microsoft chose.
#[derive(Clone)]
pub struct DeviceCodeChallenge {
    /// The code to type on the verification page.
    pub user_code: String,
    /// The page to open (`https://microsoft.com/devicelogin`).
    pub verification_uri: String,
    /// Microsoft's instruction for the person, naming the page and the code.
    pub message: String,
    /// How long the code can be used.
    pub expires_in: Duration,
    /// How long to wait between polls.
    pub interval: Duration,
    /// What the polls send: never shown.
    pub(crate) device_code: DeviceCode,
}

impl std::fmt::Debug for DeviceCodeChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeChallenge")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("message", &self.message)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("device_code", &self.device_code)
            .finish()
    }
}

/// What the interactive flows tell the person signing in. Every method but
/// [`device_code`](Interaction::device_code) has a default that does nothing.
pub trait Interaction: Send + Sync {
    /// The device code sign-in started: show `challenge.message` (it names the page and the code).
    fn device_code(&self, challenge: &DeviceCodeChallenge);

    /// A progress tick while polling or listening: `elapsed` since the wait began, `remaining` until it
    /// gives up.
    fn waiting(&self, elapsed: Duration, remaining: Duration) {
        let _ = (elapsed, remaining);
    }

    /// The browser was asked to open `url` (the sign-in's single-use start address on the loopback
    /// listener); the answer is awaited on `redirect_uri`.
    fn browser_opened(&self, url: &str, redirect_uri: &str) {
        let _ = (url, redirect_uri);
    }

    /// No browser could be opened (`reason` says why): show `url` (the sign-in's single-use start
    /// address) so the person can open it.
    fn browser_failed(&self, url: &str, reason: &str) {
        let _ = (url, reason);
    }

    /// No browser could be opened (`reason` says why), and the sign-in goes on with a device code
    /// instead: say so, and nothing about an address to open, since none will be listened on.
    fn browser_unavailable(&self, reason: &str) {
        let _ = reason;
    }

    /// The wait is over (signed in, failed, or cancelled by dropping the flow): clear any progress.
    fn finished(&self) {}
}

/// Writes to stderr: the device code message, the browser's fate, and, when stderr is a terminal, a
/// one-line progress indicator redrawn in place.
#[derive(Debug, Default)]
pub struct StderrInteraction {
    /// `None`: draw progress only when stderr is a terminal.
    progress: Option<bool>,
    drawn: AtomicBool,
    /// Where tests read what would have gone to stderr.
    captured: Option<Mutex<String>>,
}

impl StderrInteraction {
    /// Progress only when stderr is a terminal (never in pipes, logs or CI).
    pub const fn new() -> Self {
        Self {
            progress: None,
            drawn: AtomicBool::new(false),
            captured: None,
        }
    }

    /// Progress forced on or off.
    pub const fn with_progress(progress: bool) -> Self {
        Self {
            progress: Some(progress),
            drawn: AtomicBool::new(false),
            captured: None,
        }
    }

    /// Writes into a buffer instead of stderr, for tests.
    #[cfg(test)]
    pub(crate) fn capturing(progress: bool) -> Self {
        Self {
            captured: Some(Mutex::new(String::new())),
            ..Self::with_progress(progress)
        }
    }

    /// What was written, for tests.
    #[cfg(test)]
    pub(crate) fn output(&self) -> String {
        self.captured
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default()
    }

    fn progress(&self) -> bool {
        self.progress.unwrap_or_else(|| std::io::stderr().is_terminal())
    }

    /// Writes to stderr, ignoring failures: a closed stderr must not end a sign-in.
    fn write(&self, text: &str) {
        if let Some(captured) = &self.captured {
            captured.lock().unwrap_or_else(|p| p.into_inner()).push_str(text);
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }
}

/// Erases the current terminal line.
const CLEAR_LINE: &str = "\r\x1b[2K";

impl Interaction for StderrInteraction {
    fn device_code(&self, challenge: &DeviceCodeChallenge) {
        // the server wrote it: nothing in it may drive the terminal
        self.write(&format!("{}\n", crate::printable::printable(&challenge.message)));
    }

    fn waiting(&self, elapsed: Duration, remaining: Duration) {
        if self.progress() {
            self.drawn.store(true, Ordering::Relaxed);
            self.write(&format!("{CLEAR_LINE}{}", progress_line(elapsed, remaining)));
        }
    }

    fn browser_opened(&self, _url: &str, redirect_uri: &str) {
        self.write(&format!("{}\n", browser_opened_message(redirect_uri)));
    }

    fn browser_failed(&self, url: &str, reason: &str) {
        self.write(&format!("{}\n", browser_failed_message(url, reason)));
    }

    fn browser_unavailable(&self, reason: &str) {
        self.write(&format!("{}\n", browser_unavailable_message(reason)));
    }

    fn finished(&self) {
        if self.drawn.swap(false, Ordering::Relaxed) {
            self.write(CLEAR_LINE);
        }
    }
}

/// No output at all: for library callers that show nothing, or that get the device code message some
/// other way.
#[derive(Debug, Clone, Copy, Default)]
pub struct SilentInteraction;

impl Interaction for SilentInteraction {
    fn device_code(&self, _challenge: &DeviceCodeChallenge) {}
}

/// The flows' interaction when the caller sets none.
pub(crate) static DEFAULT_INTERACTION: StderrInteraction = StderrInteraction::new();

/// Calls [`Interaction::finished`] when dropped, so progress is cleared however the wait ends,
/// cancellation included.
pub(crate) struct FinishOnDrop<'a>(pub(crate) &'a dyn Interaction);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finished();
    }
}

/// The progress line: a spinner that turns once a tick, and the time left.
pub(crate) fn progress_line(elapsed: Duration, remaining: Duration) -> String {
    const SPINNER: [char; 4] = ['|', '/', '-', '\\'];
    let spinner = SPINNER[(elapsed.as_secs() % 4) as usize];
    let left = remaining.as_secs();
    format!(
        "{spinner} waiting for sign-in, {}:{:02} left (Ctrl-C to cancel)",
        left / 60,
        left % 60
    )
}

pub(crate) fn browser_opened_message(redirect_uri: &str) -> String {
    format!("a browser window opened for sign-in; waiting on {redirect_uri}, Ctrl-C to cancel")
}

pub(crate) fn browser_unavailable_message(reason: &str) -> String {
    format!("could not open a browser: {reason}\nsigning in with a device code instead")
}

pub(crate) fn browser_failed_message(url: &str, reason: &str) -> String {
    format!(
        "could not open a browser: {reason}\nto sign in, open this address once, in a browser that reaches this computer's localhost:\n{url}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_counts_down_in_minutes_and_seconds() {
        insta::assert_snapshot!(progress_line(Duration::from_secs(0), Duration::from_secs(300)), @r"| waiting for sign-in, 5:00 left (Ctrl-C to cancel)");
        insta::assert_snapshot!(progress_line(Duration::from_secs(5), Duration::from_secs(59)), @r"/ waiting for sign-in, 0:59 left (Ctrl-C to cancel)");
    }

    #[test]
    fn browser_messages_name_the_listener_and_give_the_address() {
        insta::assert_snapshot!(browser_opened_message("http://localhost:8400/"), @"a browser window opened for sign-in; waiting on http://localhost:8400/, Ctrl-C to cancel");
        insta::assert_snapshot!(browser_failed_message("http://localhost:8400/start/x", "xdg-open: exited with status 3"), @r"
        could not open a browser: xdg-open: exited with status 3
        to sign in, open this address once, in a browser that reaches this computer's localhost:
        http://localhost:8400/start/x
        ");
    }

    #[test]
    fn progress_is_drawn_in_place_only_on_a_terminal_and_cleared_at_the_end() {
        let piped = StderrInteraction::capturing(false);
        piped.waiting(Duration::ZERO, Duration::from_secs(61));
        drop(FinishOnDrop(&piped));
        piped.browser_opened("http://localhost:8400/start/x", "http://localhost:8400/");
        insta::assert_snapshot!(piped.output(), @"a browser window opened for sign-in; waiting on http://localhost:8400/, Ctrl-C to cancel");

        let terminal = StderrInteraction::capturing(true);
        terminal.waiting(Duration::ZERO, Duration::from_secs(61));
        terminal.waiting(Duration::from_secs(1), Duration::from_secs(60));
        drop(FinishOnDrop(&terminal));
        drop(FinishOnDrop(&terminal));
        insta::assert_snapshot!(terminal.output().replace('\r', "<CR>").replace('\x1b', "<ESC>"), @"<CR><ESC>[2K| waiting for sign-in, 1:01 left (Ctrl-C to cancel)<CR><ESC>[2K/ waiting for sign-in, 1:00 left (Ctrl-C to cancel)<CR><ESC>[2K");
    }
}
