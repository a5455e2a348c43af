//! The one error type of auth-core. Microsoft's error responses stay structured ([`ServerError`]) so a
//! caller can act on the AADSTS code, and every message is safe to show: no variant carries a secret.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// A `Result` with auth-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong signing in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller is not acceptable; `parameter` names it as the user typed it.
    #[error("invalid value for {parameter}: {reason}")]
    InvalidParameter {
        /// The parameter at fault (`-Tenant`, `ClientId`, a file path…).
        parameter: String,
        /// Why it was refused.
        reason: String,
    },

    /// The authority answered with an OAuth error.
    #[error("{0}")]
    Server(Box<ServerError>),

    /// The server answered with something that is not the expected JSON (a proxy's HTML page, say).
    #[error("unexpected HTTP {status} response from {url}: {excerpt}")]
    UnexpectedResponse {
        /// The HTTP status code.
        status: u16,
        /// The URL asked, without its query.
        url: String,
        /// A short excerpt of the body, with anything that looks like a token removed.
        excerpt: String,
    },

    /// The request did not reach the server or its answer did not arrive.
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL asked, without its query.
        url: String,
        /// What went wrong, from the HTTP stack.
        reason: String,
        /// The cause.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// An access token given by the caller has expired.
    #[error("The access token has expired. Generate a new one and try again.")]
    AccessTokenExpired,

    /// A token could not be decoded.
    #[error("the {what} is not a valid token: {reason}")]
    InvalidToken {
        /// Which token (`access token`, `ID token`).
        what: &'static str,
        /// Why it could not be read.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`, `writing`, `locking`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// A file exists but its content cannot be used.
    #[error("{}: {reason}", path.display())]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// No usable token and no way to get one without the user.
    #[error("{0}")]
    SignInRequired(String),

    /// The user cancelled, or the caller's cancellation fired.
    #[error("cancelled")]
    Cancelled,

    /// Waiting for the user or the server took longer than allowed.
    #[error("{0}")]
    TimedOut(String),

    /// A certificate could not be loaded or used; the message starts with where it came from.
    #[error("{0}")]
    Certificate(String),

    /// What was asked needs a part of auth-core that this build leaves out: a Cargo feature, on by
    /// default (`certificates`, `browser`), that the program turned off.
    #[error("{needs} needs msconnect-auth-core's `{feature}` feature, which this build leaves out")]
    FeatureOff {
        /// What could not be done (`reading a certificate`).
        needs: &'static str,
        /// The feature that does it.
        feature: &'static str,
    },

    /// No certificate matched in any of the stores searched.
    #[error("no certificate {wanted} in {}{detail}", .searched.join("; "))]
    CertificateNotFound {
        /// What was looked for (`with thumbprint …`, `with subject '…'`).
        wanted: String,
        /// Each store searched, as `label (directory)`.
        searched: Vec<String>,
        /// Why near misses were passed over, or empty.
        detail: String,
    },

    /// The password of a PFX/PKCS#12 file did not open it.
    #[error("{origin}: wrong password for the PFX file{}", password_hint(*.given))]
    CertificatePassword {
        /// The file (or the name the caller gave the bytes).
        origin: String,
        /// Whether a password was given at all.
        given: bool,
    },

    /// A check on the sign-in result failed (state, nonce, MFA claim).
    #[error("{0}")]
    Rejected(String),

    /// The Azure CLI's sign-in cannot be shared: its account has no refresh token msconnect can use, or
    /// its token cache is encrypted. (The command line names its options instead of the ways to sign in.)
    #[error("{0}")]
    AzureCliUnusable(AzureCliProblem),

    /// Device code sign-in ended without a token: the person declined, or the authority refused the
    /// code. (An expired code is [`Error::TimedOut`].)
    #[error("{message}")]
    DeviceCodeFailed {
        /// What happened and what to do.
        message: String,
        /// The authority's answer, every field kept.
        #[source]
        server: Box<ServerError>,
    },

    /// The loopback listener that receives the browser's answer could not be opened.
    #[error("{message}")]
    Loopback {
        /// Which address and ports were tried.
        message: String,
        /// The last failure.
        #[source]
        source: std::io::Error,
    },

    /// The system could not provide random numbers (for PKCE, `state` and `nonce`).
    #[error("the system's random number generator failed")]
    Random,

    /// No managed identity answers on this machine (no App Service, Arc or Cloud Shell variables, and
    /// IMDS unreachable).
    #[error("no managed identity is available: {0}")]
    ManagedIdentityUnavailable(String),

    /// A credential source named by an environment variable refused or failed: a CI system's token
    /// endpoint, a managed identity endpoint. The message never holds the credential itself.
    #[error("{variable}: {message}")]
    IdentitySource {
        /// The variable the source came from (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`, `IDENTITY_HEADER`…).
        variable: String,
        /// What happened and what to do.
        message: String,
    },

    /// The keystore the cache file's protection requires (the Secret Service, the kernel keyring) is not
    /// available; nothing was written in the clear.
    #[error("{setting}={protection}: {message}")]
    KeyStoreUnavailable {
        /// How the setting is named (`MSCONNECT_CACHE_PROTECTION` on the command line).
        setting: String,
        /// Its value (`keyring`, `kernel`).
        protection: String,
        /// Which keystore, why it is not there, and what to do.
        message: String,
    },

    /// An application's saved connection needs a new token, and the session was given no client secret
    /// to renew it with ([`crate::RenewalCredentials`]); the handle that connected keeps its own.
    #[error(
        "application {client_id} needs a new token for {scopes} ({}) and no client secret was supplied \
         to renew it: give it in SessionOptions::renewal, or connect again",
        .reason
    )]
    SecretRequired {
        /// The application.
        client_id: String,
        /// The scopes asked for, space-separated.
        scopes: String,
        /// Why a new token was needed.
        reason: RenewalReason,
    },

    /// The connection handle was disconnected ([`crate::Connected::disconnect`]): it gives no token.
    #[error("the {module} connection was disconnected: connect again to get tokens")]
    Disconnected {
        /// The module the connection was made for.
        module: String,
    },

    /// A tenant wants the person to act before it gives a token silently: multi-factor authentication
    /// (AADSTS50076, 50079), a conditional access policy (50158), consent, or `interaction_required`,
    /// perhaps with a claims challenge that the interactive sign-in must carry. The refresh token is kept:
    /// it still works for every other tenant.
    #[error("tenant {tenant} needs you to sign in ({server}): sign in again with `connect`")]
    InteractionRequired {
        /// The tenant that asks (as the request named it).
        tenant: String,
        /// The claims challenge of the answer (JSON), for the interactive sign-in.
        claims: Option<String>,
        /// The authority's answer, every field kept.
        #[source]
        server: Box<ServerError>,
    },

    /// The shared token cache (Redis) failed. `url` never holds the password.
    #[error("token cache {url}: {reason}")]
    CacheServer {
        /// The cache's URL, without its password.
        url: String,
        /// What went wrong.
        reason: String,
        /// Whether the server could not be reached at all (down, refusing connections, not answering in
        /// time): the case `MSCONNECT_CACHE_FALLBACK=file` falls back to the local file on.
        unreachable: bool,
    },
}

/// Why the Azure CLI's sign-in cannot be shared ([`Error::AzureCliUnusable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AzureCliProblem {
    /// The CLI is signed in as a service principal, whose secret is not in its cache.
    ServicePrincipal {
        /// Its application id, as the CLI names it.
        username: String,
    },
    /// The CLI is signed in as an account of another type (a managed identity), with no refresh token.
    OtherAccount {
        /// The account's name, as the CLI shows it.
        username: String,
        /// The CLI's type of the account.
        kind: String,
    },
    /// The CLI keeps its token cache encrypted (`msal_token_cache.bin`).
    EncryptedCache {
        /// The encrypted file.
        path: PathBuf,
    },
}

impl fmt::Display for AzureCliProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServicePrincipal { username } => write!(
                f,
                "the Azure CLI uses a service principal ({username}), whose secret msconnect cannot read: \
                 sign in as the service principal with its secret or certificate instead of from the Azure CLI"
            ),
            Self::OtherAccount { username, kind } => write!(
                f,
                "the Azure CLI is signed in as {username} of type '{kind}', which has no refresh token to \
                 share: sign in with a managed identity or a service principal instead of from the Azure CLI"
            ),
            Self::EncryptedCache { path } => write!(
                f,
                "the Azure CLI keeps its token cache encrypted ({}), which msconnect cannot read: run `az \
                 config set core.encrypt_token_cache=false` and az login again, or sign in without the \
                 Azure CLI",
                path.display()
            ),
        }
    }
}

/// Why an application's connection needed a new token ([`Error::SecretRequired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenewalReason {
    /// A token existed and expired.
    Expired,
    /// No token was ever cached for these scopes.
    NotCached,
    /// A renewal was asked for (a forced refresh), whatever the cache held.
    Asked,
}

impl std::fmt::Display for RenewalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Expired => "its token has expired",
            Self::NotCached => "the token cache holds no token of it for these scopes",
            Self::Asked => "a renewal was asked for",
        })
    }
}

fn password_hint(given: bool) -> &'static str {
    if given {
        ""
    } else {
        " (no password was given: pass the file's password)"
    }
}

impl Error {
    /// An [`Error::InvalidParameter`].
    pub fn invalid(parameter: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            parameter: parameter.into(),
            reason: reason.into(),
        }
    }

    /// The server error, when the authority answered with one.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            Self::Server(error)
            | Self::DeviceCodeFailed { server: error, .. }
            | Self::InteractionRequired { server: error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether this is the OAuth error `code` (`invalid_grant`, `authorization_pending`…).
    pub fn is_oauth(&self, code: &str) -> bool {
        self.server().is_some_and(|e| e.error == code)
    }
}

/// An OAuth error response from the Microsoft identity platform, every field kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct ServerError {
    /// The HTTP status it came with.
    #[serde(skip)]
    pub status: u16,
    /// The OAuth error code (`invalid_grant`).
    #[serde(default)]
    pub error: String,
    /// The description, usually starting `AADSTS…:` and ending with trace and correlation ids.
    #[serde(default)]
    pub error_description: Option<String>,
    /// The AADSTS numbers.
    #[serde(default)]
    pub error_codes: Vec<i64>,
    /// When the server saw the error.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The server's trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// The correlation id to quote to Microsoft support.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// A finer classification (`consent_required`, `bad_token`…).
    #[serde(default)]
    pub suberror: Option<String>,
    /// A claims challenge to send back on the next interactive request.
    #[serde(default)]
    pub claims: Option<String>,
    /// A link describing the error.
    #[serde(default)]
    pub error_uri: Option<String>,
}

impl ServerError {
    /// Parses an OAuth error body; `None` when the body is not one.
    pub fn parse(status: u16, body: &str) -> Option<Self> {
        let mut error: Self = serde_json::from_str(body).ok()?;
        if error.error.is_empty() {
            return None;
        }
        error.status = status;
        // the fields shown to the user are cut to a few KiB (issue 18: a 50 MB description was printed)
        error.cap_shown_text();
        Some(error)
    }

    /// Cuts every field shown to the user to [`MAX_SERVER_TEXT`](crate::printable::MAX_SERVER_TEXT) bytes,
    /// with a marker; `claims` is left whole, since it is sent back, not shown.
    pub(crate) fn cap_shown_text(&mut self) {
        let cap = |text: &mut String| {
            if text.len() > crate::printable::MAX_SERVER_TEXT {
                *text = crate::printable::cap_text(text, crate::printable::MAX_SERVER_TEXT).into_owned();
            }
        };
        cap(&mut self.error);
        for text in [
            &mut self.error_description,
            &mut self.timestamp,
            &mut self.trace_id,
            &mut self.correlation_id,
            &mut self.suberror,
            &mut self.error_uri,
        ]
        .into_iter()
        .flatten()
        {
            cap(text);
        }
        self.error_codes.truncate(16);
    }

    /// The first AADSTS code, from `error_codes` or else from the description.
    pub fn aadsts(&self) -> Option<i64> {
        self.error_codes.first().copied().or_else(|| {
            let description = self.error_description.as_deref()?;
            let rest = description.strip_prefix("AADSTS")?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }

    /// The description's first line: Microsoft appends trace and correlation ids after `\r\n`.
    pub fn summary(&self) -> &str {
        self.error_description
            .as_deref()
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or(&self.error)
    }

    /// What the user can do about it, for the common AADSTS codes.
    pub fn hint(&self) -> Option<&'static str> {
        hint_for(self.aadsts()?)
    }
}

/// The hint of PROTOCOL section 4 for an AADSTS code.
pub(crate) fn hint_for(code: i64) -> Option<&'static str> {
    Some(match code {
        50011 => {
            "register http://localhost:8400 (or the port used) as a redirect URI of the mobile and desktop \
             platform in the app registration"
        }
        50076 | 50079 => "multi-factor authentication is required: use interactive or device code sign-in",
        50126 => {
            "the user name or password is wrong (password sign-in works only for cloud accounts without MFA)"
        }
        65001 => "consent is missing: an administrator must consent to the application",
        70008 | 700082 => "the refresh token has expired: sign in again",
        700007 => "the refresh token was issued to another client: use the client id the token was issued to",
        700016 => "the application was not found in the tenant: check the client id and the tenant",
        7000215 | 7000222 => {
            "the client secret is invalid or expired: create a new one in the app registration"
        }
        7000218 => {
            "the application is confidential: pass a client secret or certificate, or enable public client \
             flows in the app registration"
        }
        700027 => {
            "the assertion's signature did not verify: check that the certificate is registered on the app"
        }
        90002 => "the tenant was not found: check the tenant id or domain and the environment",
        _ => return None,
    })
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.summary())?;
        if let Some(hint) = self.hint() {
            write!(f, " (hint: {hint})")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

impl From<ServerError> for Error {
    fn from(error: ServerError) -> Self {
        Self::Server(Box::new(error))
    }
}

#[cfg(test)]
mod tests;
