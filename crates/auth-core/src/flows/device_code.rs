//! The device authorization grant (RFC 8628): ask `/devicecode` for a code, show Microsoft's message,
//! then poll `/token` at the pace the authority asks until the person signs in elsewhere, declines, or
//! the code expires. Every wait goes through the HTTP client's [`Timer`](crate::time::Timer).

use std::time::Duration;

use serde_json::Value;

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::flows::{TokenRequest, delegated_scope, normalize_scopes};
use crate::http::{HttpClient, MAX_SERVER_TEXT, cap_text};
use crate::ids::ClientId;
use crate::interaction::{DEFAULT_INTERACTION, DeviceCodeChallenge, FinishOnDrop, Interaction};
use crate::secret::DeviceCode;
use crate::token::{TokenResult, number};

/// `grant_type` of the polling requests.
pub(crate) const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long to wait between polls when the authority does not say (RFC 8628 section 3.2).
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `slow_down` adds to the interval (RFC 8628 section 3.5).
pub(crate) const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// How long a code lives when the authority does not say (Microsoft's codes last 15 minutes).
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(900);

/// The longest `expires_in` and `interval` believed: one day.
const MAX_EXPIRES_IN: Duration = Duration::from_secs(86_400);

impl DeviceCodeChallenge {
    /// Reads the `/devicecode` answer. `verification_url` (the v1 spelling) is accepted too, and a missing
    /// `message` is written from the page and the code.
    fn from_response(json: &Value) -> Result<Self> {
        let text = |name: &str| json.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
        let missing = |field: &str| Error::InvalidToken {
            what: "device code response",
            reason: format!("it has no {field}"),
        };
        let device_code = text("device_code").ok_or_else(|| missing("device_code"))?;
        let user_code = text("user_code").ok_or_else(|| missing("user_code"))?;
        let verification_uri = text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?;
        // a hostile authority may send any number: a day is longer than any real code lives, and keeps
        // every later sum of durations and clock times far from overflow
        let seconds = |name: &str| {
            number(json, name)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.unsigned_abs()).min(MAX_EXPIRES_IN))
        };
        let message = text("message").map(str::to_owned).unwrap_or_else(|| {
            format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
        });
        // shown to the person as they are: cut to a few KiB, as every server text is
        let shown = |text: &str| cap_text(text, MAX_SERVER_TEXT).into_owned();
        Ok(Self {
            user_code: shown(user_code),
            verification_uri: shown(verification_uri),
            message: shown(&message),
            expires_in: seconds("expires_in").unwrap_or(DEFAULT_EXPIRES_IN),
            interval: seconds("interval").unwrap_or(DEFAULT_INTERVAL),
            device_code: DeviceCode::new(device_code),
        })
    }
}

/// The device code sign-in: for a person at a headless server, or whose browser cannot reach this
/// computer. Dropping the future returned by [`send`](Self::send) cancels it.
pub struct DeviceCodeFlow<'a> {
    authority: &'a Authority,
    client_id: &'a ClientId,
    scopes: Vec<String>,
    claims: Option<String>,
    interaction: &'a dyn Interaction,
}

impl std::fmt::Debug for DeviceCodeFlow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeFlow")
            .field("authority", &self.authority.token_endpoint().as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl<'a> DeviceCodeFlow<'a> {
    /// A device code sign-in to `authority` for the public client `client_id`.
    pub fn new(authority: &'a Authority, client_id: &'a ClientId) -> Self {
        Self {
            authority,
            client_id,
            scopes: Vec::new(),
            claims: None,
            interaction: &DEFAULT_INTERACTION,
        }
    }

    /// The scopes to consent to; `openid profile offline_access` are added.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// A claims challenge (JSON) from an earlier answer, such as a conditional access demand.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Where the message and progress go; [`StderrInteraction`](crate::StderrInteraction) by default.
    pub fn interaction(mut self, interaction: &'a dyn Interaction) -> Self {
        self.interaction = interaction;
        self
    }

    /// Asks `/devicecode` for a code, shows the message, then polls `/token` until the person has
    /// signed in. Ends with an error when they decline, when the authority refuses the code, or when
    /// the code expires.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        let endpoint = self.authority.device_code_endpoint()?;
        if let Some(claims) = &self.claims {
            check_claims(claims)?;
        }
        let scope = delegated_scope(&self.scopes);
        let mut form = vec![("client_id", self.client_id.as_str()), ("scope", scope.as_str())];
        if let Some(claims) = &self.claims {
            form.push(("claims", claims));
        }
        let json = http.post_oauth(endpoint, &form).await?;
        let challenge = DeviceCodeChallenge::from_response(&json)?;
        self.interaction.device_code(&challenge);
        let _finished = FinishOnDrop(self.interaction);
        self.poll(http, &challenge).await
    }

    async fn poll(&self, http: &HttpClient, challenge: &DeviceCodeChallenge) -> Result<TokenResult> {
        let timer = http.timer();
        let started = timer.now();
        let elapsed = || timer.now().duration_since(started).unwrap_or_default();
        // RFC 8628 asks for at least `interval` between polls; a zero interval would hammer the server
        let mut interval = challenge.interval.max(Duration::from_secs(1));
        loop {
            let remaining = challenge.expires_in.saturating_sub(elapsed());
            if remaining.is_zero() {
                return Err(expired(challenge));
            }
            // the person cannot have signed in yet, so wait before the first poll too
            timer.sleep(interval.min(remaining)).await;
            if elapsed() >= challenge.expires_in {
                return Err(expired(challenge));
            }
            let outcome = TokenRequest {
                authority: self.authority,
                client_id: self.client_id,
                credential: None,
                scopes: &self.scopes,
                scope_param: String::new(),
                fields: vec![
                    ("grant_type", DEVICE_CODE_GRANT_TYPE.into()),
                    ("device_code", challenge.device_code.secret().to_owned()),
                ],
            }
            .send(http)
            .await;
            let server = match outcome {
                Ok(result) => return Ok(result),
                Err(Error::Server(server)) => server,
                Err(other) => return Err(other),
            };
            match server.error.as_str() {
                "authorization_pending" => {}
                "slow_down" => interval = interval.saturating_add(SLOW_DOWN_STEP),
                "authorization_declined" => {
                    return Err(Error::DeviceCodeFailed {
                        message: "sign-in was declined on the device code page".into(),
                        server,
                    });
                }
                "bad_verification_code" => {
                    return Err(Error::DeviceCodeFailed {
                        message: "the authority did not recognise the device code: sign in again".into(),
                        server,
                    });
                }
                // the server's word, whatever it said before: the message gives the time really waited
                "expired_token" | "code_expired" => return Err(expired_early(challenge, elapsed())),
                _ => return Err(Error::Server(server)),
            }
            let elapsed = elapsed();
            self.interaction
                .waiting(elapsed, challenge.expires_in.saturating_sub(elapsed));
        }
    }
}

/// The code outlived the `expires_in` the authority gave it (or 15 minutes, when it gave none).
fn expired(challenge: &DeviceCodeChallenge) -> Error {
    Error::TimedOut(format!(
        "the device code {} expired after {} before sign-in completed: sign in again",
        challenge.user_code,
        minutes_and_seconds(challenge.expires_in)
    ))
}

/// The authority said the code expired, after `waited`: that, not the lifetime it first announced, is
/// what the person saw happen.
fn expired_early(challenge: &DeviceCodeChallenge, waited: Duration) -> Error {
    let announced = if waited.as_secs() < challenge.expires_in.as_secs() {
        format!(" (it was to last {})", minutes_and_seconds(challenge.expires_in))
    } else {
        String::new()
    };
    Error::TimedOut(format!(
        "the authority expired the device code {} after {}{announced}, before sign-in completed: sign in again",
        challenge.user_code,
        minutes_and_seconds(waited)
    ))
}

/// `15 minutes`, `90 seconds`, `1 second`: how long a wait was, for messages.
pub(crate) fn minutes_and_seconds(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 60, seconds % 60) {
        (1, 0) => "1 minute".into(),
        (0, 1) => "1 second".into(),
        (minutes, 0) if minutes > 0 => format!("{minutes} minutes"),
        _ => format!("{seconds} seconds"),
    }
}

/// A claims challenge must be JSON; sending anything else only earns an opaque server error.
pub(crate) fn check_claims(claims: &str) -> Result<()> {
    match serde_json::from_str::<Value>(claims) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(Error::invalid(
            "claims",
            "a claims challenge is a JSON object such as {\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c1\"}}}",
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests;
