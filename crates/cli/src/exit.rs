//! How a run ends: the exit codes (0 success, 1 sign-in or request failed, 2 usage error, 130 cancelled)
//! and the one or two lines on stderr that say why, with the AADSTS code, the hint and the correlation id
//! of a Microsoft error; `-v` adds every field the server sent.

use std::fmt::Write as _;

use auth_core::{AzureCliProblem, Error};
use cmdlet::{Cmdlet, Parameter};

/// The run succeeded.
pub(crate) const SUCCESS: u8 = 0;
/// The sign-in or a request failed.
pub(crate) const FAILED: u8 = 1;
/// The command line was wrong.
pub(crate) const USAGE: u8 = 2;
/// The user cancelled (Ctrl-C, or declined `--confirm`).
pub(crate) const CANCELLED: u8 = 130;

/// Why a run did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command line was wrong: what is wrong and how to put it right.
    Usage(String),
    /// The user cancelled.
    Cancelled(String),
    /// Something the command needed failed.
    Failed(String),
    /// auth-core (or a product crate) failed.
    Auth(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Auth(error)
    }
}

/// A usage error.
pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

impl Failure {
    /// The process's exit code.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => USAGE,
            Self::Cancelled(_) => CANCELLED,
            Self::Failed(_) => FAILED,
            Self::Auth(error) => match error {
                // a value the user typed was refused before anything was sent
                Error::InvalidParameter { .. } => USAGE,
                Error::Cancelled => CANCELLED,
                _ => FAILED,
            },
        }
    }

    /// What to print on stderr: one or two lines, more with `verbose`; never an escape sequence or a
    /// control character, whatever a server put in its error or a file in its values.
    pub(crate) fn report(&self, verbose: bool) -> String {
        auth_core::printable(&self.unfiltered_report(verbose)).into_owned()
    }

    fn unfiltered_report(&self, verbose: bool) -> String {
        match self {
            Self::Usage(message) => {
                format!("error: {message}\n\nFor more information, try '--help'.\n")
            }
            Self::Cancelled(message) => format!("{message}\n"),
            Self::Failed(message) => format!("error: {message}\n"),
            Self::Auth(error) => report_auth(error, verbose),
        }
    }
}

/// Why the Azure CLI's sign-in cannot be shared, in the command line's options.
fn azure_cli_problem(problem: &AzureCliProblem) -> String {
    match problem {
        AzureCliProblem::ServicePrincipal { username } => format!(
            "the Azure CLI uses a service principal ({username}), whose secret msconnect cannot read: use \
             --service-principal with its secret or certificate instead of --from-azure-cli"
        ),
        AzureCliProblem::OtherAccount { username, kind } => format!(
            "the Azure CLI is signed in as {username} of type '{kind}', which has no refresh token to share: \
             use --managed-identity or --service-principal instead of --from-azure-cli"
        ),
        AzureCliProblem::EncryptedCache { path } => format!(
            "the Azure CLI keeps its token cache encrypted ({}), which msconnect cannot read: run `az config \
             set core.encrypt_token_cache=false` and az login again, or connect without --from-azure-cli",
            path.display()
        ),
        other => other.to_string(),
    }
}

fn report_auth(error: &Error, verbose: bool) -> String {
    let mut out = String::new();
    if let Error::SecretRequired {
        client_id,
        scopes,
        reason,
    } = error
    {
        // auth-core says what the library caller supplies; here, what the command line reads
        let _ = writeln!(
            out,
            "error: application {client_id} needs a new token for {scopes} ({}) and no client secret was \
             supplied to renew it: set MSCONNECT_CLIENT_SECRET (what --client-secret and \
             --client-secret-credential read) or MSCONNECT_PASSWORD (what --credential reads), or connect again",
            reason
        );
        return out;
    }
    if let Error::AzureCliUnusable(problem) = error {
        // auth-core says which way to sign in instead; here, which option
        let _ = writeln!(out, "error: {}", azure_cli_problem(problem));
        return out;
    }
    let Some(server) = error.server() else {
        let _ = writeln!(out, "error: {error}");
        if verbose {
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                let _ = writeln!(out, "  caused by: {cause}");
                source = cause.source();
            }
        }
        return out;
    };
    let summary = server.summary();
    match server.aadsts() {
        Some(code) if !summary.starts_with("AADSTS") => {
            let _ = writeln!(out, "error: AADSTS{code}: {summary}");
        }
        // Another authority's description carries no code of its own: the OAuth error is the only
        // name of what went wrong (`invalid_client`), so it leads
        None if summary != server.error && !server.error.is_empty() => {
            let _ = writeln!(out, "error: {}: {summary}", server.error);
        }
        _ => {
            let _ = writeln!(out, "error: {summary}");
        }
    }
    let mut second = Vec::new();
    if let Some(hint) = server.hint() {
        second.push(format!("hint: {hint}"));
    }
    if let Some(id) = &server.correlation_id {
        second.push(format!("correlation id: {id}"));
    }
    if !second.is_empty() {
        let _ = writeln!(out, "{}", second.join("; "));
    }
    if verbose {
        let _ = writeln!(out, "  HTTP status: {}", server.status);
        let _ = writeln!(out, "  error: {}", server.error);
        let optional = [
            ("suberror", &server.suberror),
            ("trace id", &server.trace_id),
            ("timestamp", &server.timestamp),
            ("error uri", &server.error_uri),
            ("claims", &server.claims),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                // `claims` is kept whole to be sent back, and only shown cut
                let shown = auth_core::cap_text(value, auth_core::MAX_SERVER_TEXT);
                let _ = writeln!(out, "  {name}: {shown}");
            }
        }
        if let Some(description) = &server.error_description {
            let _ = writeln!(out, "  description:");
            for line in description.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// A product crate's error as the command line reports it: what the user typed wrong is a usage error
/// in option names; a refused value names its option; the rest keeps its structure (the AADSTS code and
/// the hint).
pub(crate) fn failure(cmdlet: &Cmdlet, error: cmdlet::Error) -> Failure {
    // a refused value's parameter is its declaration, which names its option
    let option = |parameter: &Parameter| parameter.is_option().then(|| parameter.option());
    match error {
        cmdlet::Error::Binding { problem, .. } => usage(problem.for_command_line(cmdlet)),
        cmdlet::Error::Refused { parameter, reason } => match option(parameter) {
            Some(long) => Failure::Failed(format!("--{long}: {reason}")),
            None => Failure::Failed(format!("-{}: {reason}", parameter.name)),
        },
        cmdlet::Error::Invalid { parameter, reason } | cmdlet::Error::Value { parameter, reason } => {
            match option(parameter) {
                Some(long) => usage(format!("--{long}: {reason}")),
                None => usage(format!("invalid value for -{}: {reason}", parameter.name)),
            }
        }
        // auth-core names a value in its words (`access token`); the declaration knows which option
        // gave it
        cmdlet::Error::Core(auth_core::Error::InvalidParameter { parameter, reason }) => {
            match cmdlet.find(&parameter).and_then(option) {
                Some(long) => usage(format!("--{long}: {reason}")),
                None => usage(format!("invalid value for {parameter}: {reason}")),
            }
        }
        cmdlet::Error::Core(other) => Failure::Auth(other),
        other => Failure::Failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::ServerError;

    #[test]
    fn the_azure_clis_refusals_name_the_command_lines_options() {
        let report = |problem| Failure::Auth(Error::AzureCliUnusable(problem)).report(false);
        let principal = report(AzureCliProblem::ServicePrincipal {
            username: "app".into(),
        });
        assert_eq!(
            principal,
            "error: the Azure CLI uses a service principal (app), whose secret msconnect cannot read: use \
             --service-principal with its secret or certificate instead of --from-azure-cli\n"
        );
        let other = report(AzureCliProblem::OtherAccount {
            username: "mi".into(),
            kind: "managedIdentity".into(),
        });
        assert!(other.contains("use --managed-identity or --service-principal instead of --from-azure-cli"));
        let encrypted = report(AzureCliProblem::EncryptedCache {
            path: "/h/.azure/msal_token_cache.bin".into(),
        });
        assert!(
            encrypted.ends_with("or connect without --from-azure-cli\n"),
            "{encrypted}"
        );
    }

    fn expired() -> Failure {
        let body = r#"{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.\r\nTrace ID: 0a1b\r\nCorrelation ID: 5e6f\r\nTimestamp: 2026-11-22 10:00:00Z","error_codes":[70008],"timestamp":"2026-11-22 10:00:00Z","trace_id":"0a1b","correlation_id":"5e6f"}"#;
        Failure::Auth(ServerError::parse(400, body).unwrap().into())
    }

    #[test]
    fn a_server_error_is_the_code_the_hint_and_the_correlation_id() {
        insta::assert_snapshot!(expired().report(false), @r"
        error: AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.
        hint: the refresh token has expired: sign in again; correlation id: 5e6f
        ");
        assert_eq!(expired().code(), FAILED);
    }

    #[test]
    fn another_authoritys_error_leads_with_its_oauth_error_code() {
        let failure = |body: &str| Failure::Auth(ServerError::parse(401, body).unwrap().into());
        let described =
            failure(r#"{"error":"invalid_client","error_description":"client authentication failed"}"#);
        insta::assert_snapshot!(described.report(false), @"error: invalid_client: client authentication failed");
        let bare = failure(r#"{"error":"invalid_client"}"#);
        insta::assert_snapshot!(bare.report(false), @"error: invalid_client");
    }

    #[test]
    fn verbose_adds_every_field() {
        insta::assert_snapshot!(expired().report(true), @r"
        error: AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.
        hint: the refresh token has expired: sign in again; correlation id: 5e6f
          HTTP status: 400
          error: invalid_grant
          trace id: 0a1b
          timestamp: 2026-11-22 10:00:00Z
          description:
            AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.
            Trace ID: 0a1b
            Correlation ID: 5e6f
            Timestamp: 2026-11-22 10:00:00Z
        ");
    }

    #[test]
    fn a_servers_escape_sequences_never_reach_the_terminal() {
        let body = r#"{"error":"invalid_client\u001b[2J","error_description":"bad\u001b]0;owned\u0007 client\u001b[2J","correlation_id":"c\u009b1"}"#;
        let failure = Failure::Auth(ServerError::parse(401, body).unwrap().into());
        insta::assert_snapshot!(failure.report(true), @r"
        error: invalid_client: bad client
        correlation id: c1
          HTTP status: 401
          error: invalid_client
          description:
            bad client
        ");
    }

    #[test]
    fn exit_codes_follow_the_kind_of_failure() {
        assert_eq!(usage("x").code(), USAGE);
        assert_eq!(Failure::Auth(Error::invalid("--tenant", "bad")).code(), USAGE);
        assert_eq!(Failure::Auth(Error::Cancelled).code(), CANCELLED);
        assert_eq!(Failure::Auth(Error::AccessTokenExpired).code(), FAILED);
    }
}
