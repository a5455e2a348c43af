//! How the interactive sign-ins talk to the person at the terminal: auth-core's stderr messages and
//! progress indicator, plus what a command line owes its user when no progress line is drawn (stderr is
//! a pipe or a log): where the sign-in is awaited, for how long, and that Ctrl-C cancels it; and
//! `--confirm`'s question.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use auth_core::DeviceCodeChallenge;
use auth_core::{Interaction, StderrInteraction, Url};

use crate::exit::{Failure, usage};

/// auth-core's [`StderrInteraction`], with a "how to cancel" line where no progress line says it.
#[derive(Debug, Default)]
pub(crate) struct CliInteraction {
    inner: StderrInteraction,
}

impl CliInteraction {
    /// Whether the progress line (which names Ctrl-C) is drawn.
    fn progress_drawn() -> bool {
        std::io::stderr().is_terminal()
    }
}

impl Interaction for CliInteraction {
    fn device_code(&self, challenge: &DeviceCodeChallenge) {
        self.inner.device_code(challenge);
        if !Self::progress_drawn() {
            eprintln!("{}", device_code_waiting(challenge.expires_in));
        }
    }

    fn waiting(&self, elapsed: Duration, remaining: Duration) {
        self.inner.waiting(elapsed, remaining);
    }

    fn browser_opened(&self, url: &str, redirect_uri: &str) {
        self.inner.browser_opened(url, redirect_uri);
    }

    fn browser_failed(&self, url: &str, reason: &str) {
        self.inner.browser_failed(url, reason);
        eprintln!("{}", browser_waiting(url));
    }

    fn browser_unavailable(&self, reason: &str) {
        self.inner.browser_unavailable(reason);
    }

    fn finished(&self) {
        self.inner.finished();
    }
}

fn device_code_waiting(expires_in: Duration) -> String {
    let minutes = expires_in.as_secs().div_ceil(60);
    format!("waiting up to {minutes} min for the sign-in to finish; Ctrl-C cancels")
}

/// Where the browser's answer is awaited: the `redirect_uri` of the authorize URL.
fn browser_waiting(url: &str) -> String {
    let redirect = Url::parse(url).ok().and_then(|url| {
        url.query_pairs()
            .find(|(name, _)| name == "redirect_uri")
            .map(|(_, value)| value.into_owned())
    });
    match redirect {
        Some(redirect) => format!("waiting for the sign-in on {redirect}; Ctrl-C cancels"),
        None => "waiting for the sign-in; Ctrl-C cancels".to_owned(),
    }
}

/// `--confirm`: asks on the terminal; anything but yes cancels.
pub(crate) fn confirm(operation: &str, target: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(usage(
            "--confirm asks on a terminal, and stdin is not one; leave --confirm out in scripts",
        ));
    }
    eprint!(
        "Confirm\nAre you sure you want to perform this action?\n\
         Performing the operation \"{operation}\" on target \"{target}\".\n[Y] Yes  [N] No  (default is \"N\"): "
    );
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("reading the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::Cancelled("cancelled: nothing was done".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_lines_say_where_for_how_long_and_how_to_cancel() {
        insta::assert_snapshot!(device_code_waiting(Duration::from_secs(900)), @"waiting up to 15 min for the sign-in to finish; Ctrl-C cancels");
        insta::assert_snapshot!(
            browser_waiting("https://login.example/organizations/oauth2/v2.0/authorize?client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F&state=s"),
            @"waiting for the sign-in on http://localhost:8400/; Ctrl-C cancels"
        );
    }
}
