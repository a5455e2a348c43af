//! Interactive sign-in in the system browser: the authorization code grant with PKCE (S256), a `state`
//! checked on return (and for a generic OIDC issuer its `iss`, RFC 9207) and a `nonce` checked in the ID
//! token, the answer received on a loopback listener at `http://localhost:{port}/`, and device code
//! sign-in when no browser opens and the caller allows it.
//!
//! The browser is given neither the authorize URL nor a file: it is given a single-use start address
//! on the listener, `http://localhost:{port}/start/{random}`, which sends it on to the authorize URL
//! and sets a cookie the answer must bring back. So the sign-in works wherever the loopback redirect
//! does (a browser run as another user, or on the person's own machine through VS Code Remote's or
//! Codespaces' forwarded ports), and no other local user learns `state`, `nonce` or the PKCE challenge
//! from a command line: whoever opens the start address first gets them, and the browser's visit after
//! them, or their answer without the cookie, ends the sign-in with an error. SECURITY.md compares the
//! alternatives.

use std::time::Duration;

use base64::Engine as _;
use ring::rand::SecureRandom as _;
use serde_json::Value;
use url::Url;

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::flows::device_code::check_claims;
use crate::flows::{ClientCredential, DeviceCodeFlow, TokenRequest, delegated_scope, normalize_scopes};
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::interaction::{DEFAULT_INTERACTION, FinishOnDrop, Interaction};
use crate::secret::CodeVerifier;
use crate::token::TokenResult;

mod listener;
mod opener;

pub use opener::SystemBrowser;
// what the session's options name is compiled without the feature too
use crate::flows::browser_options::{BrowserOpener, PortPolicy};

use listener::{Expected, LoopbackListener, StartAddress};

/// The default of [`InteractiveBrowser::timeout`].
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// `prompt` values the Microsoft identity platform accepts.
const PROMPTS: [&str; 5] = ["login", "none", "consent", "select_account", "create"];

/// The interactive sign-in: opens the sign-in's start address in a browser, which the loopback listener
/// sends on to the authorize page, receives the code on that listener, and redeems it. Dropping the future returned by [`send`](Self::send) cancels it and closes
/// the listener.
pub struct InteractiveBrowser<'a> {
    authority: &'a Authority,
    client_id: &'a ClientId,
    scopes: Vec<String>,
    ports: PortPolicy,
    prompt: Option<String>,
    login_hint: Option<String>,
    domain_hint: Option<String>,
    claims: Option<String>,
    amr_values: Option<String>,
    timeout: Duration,
    opener: Option<&'a dyn BrowserOpener>,
    interaction: &'a dyn Interaction,
    credential: Option<&'a ClientCredential>,
    fallback_to_device_code: bool,
}

impl std::fmt::Debug for InteractiveBrowser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InteractiveBrowser")
            .field("authority", &self.authority.authorize_endpoint().as_str())
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("ports", &self.ports)
            .field("prompt", &self.prompt)
            .field("login_hint", &self.login_hint)
            .field("domain_hint", &self.domain_hint)
            .field("timeout", &self.timeout)
            .field("credential", &self.credential.map(ClientCredential::kind))
            .field("fallback_to_device_code", &self.fallback_to_device_code)
            .finish_non_exhaustive()
    }
}

impl<'a> InteractiveBrowser<'a> {
    /// A browser sign-in to `authority` for `client_id`, on any free port, waiting up to 5 minutes.
    pub fn new(authority: &'a Authority, client_id: &'a ClientId) -> Self {
        Self {
            authority,
            client_id,
            scopes: Vec::new(),
            ports: PortPolicy::Any,
            prompt: None,
            login_hint: None,
            domain_hint: None,
            claims: None,
            amr_values: None,
            timeout: DEFAULT_TIMEOUT,
            opener: None,
            interaction: &DEFAULT_INTERACTION,
            credential: None,
            fallback_to_device_code: false,
        }
    }

    /// The scopes to consent to; `openid profile offline_access` are added.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// Which loopback ports to listen on ([`PortPolicy::Any`] by default).
    pub fn ports(mut self, ports: PortPolicy) -> Self {
        self.ports = ports;
        self
    }

    /// `prompt`: `login`, `none`, `consent`, `select_account` or `create`. Without one, a generic OpenID
    /// Connect authority (made from discovery) is sent `prompt=consent`, which OpenID Connect requires
    /// before it grants a refresh token; a Microsoft authority is sent none.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// `login_hint`: the account to preselect (`admin@contoso.com`).
    pub fn login_hint(mut self, login_hint: impl Into<String>) -> Self {
        self.login_hint = Some(login_hint.into());
        self
    }

    /// `domain_hint`: skip home realm discovery (`contoso.com`, `consumers`, `organizations`).
    pub fn domain_hint(mut self, domain_hint: impl Into<String>) -> Self {
        self.domain_hint = Some(domain_hint.into());
        self
    }

    /// `claims`: a claims challenge (JSON) from an earlier answer, such as a conditional access demand.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// `amr_values`: authentication methods to require; `["mfa"]` enforces multi-factor sign-in.
    pub fn amr_values<S: AsRef<str>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        let joined = normalize_scopes(values).join(" ");
        self.amr_values = (!joined.is_empty()).then_some(joined);
        self
    }

    /// How long to wait for the browser's answer (`DEFAULT_TIMEOUT` by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How to open the browser; [`SystemBrowser`] on the process environment by default. The opener is
    /// given the start address (`http://localhost:{port}/start/{random}`), which a browser must visit
    /// once and follow, keeping the cookie it sets.
    pub fn opener(mut self, opener: &'a dyn BrowserOpener) -> Self {
        self.opener = Some(opener);
        self
    }

    /// Where messages and progress go; [`StderrInteraction`](crate::StderrInteraction) by default.
    pub fn interaction(mut self, interaction: &'a dyn Interaction) -> Self {
        self.interaction = interaction;
        self
    }

    /// Authenticates the code redemption as a confidential client (a web app with a loopback redirect).
    pub fn credential(mut self, credential: Option<&'a ClientCredential>) -> Self {
        self.credential = credential;
        self
    }

    /// When no browser opens, sign in with a device code instead of waiting for the URL to be opened by
    /// hand (off by default).
    pub fn fallback_to_device_code(mut self, fallback: bool) -> Self {
        self.fallback_to_device_code = fallback;
        self
    }

    /// Opens the browser, waits for the answer, and redeems the code.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        self.check()?;
        let listener = LoopbackListener::bind(&self.ports).await?;
        let redirect_uri = listener.redirect_uri();
        let verifier = CodeVerifier::new(random_text(32)?);
        let state = random_text(16)?;
        let nonce = random_text(16)?;
        let url = self.authorize_url(&redirect_uri, &code_challenge(&verifier), &state, &nonce);
        let start = StartAddress::new(url.into(), &random_text(32)?, random_text(32)?);
        let start_url = listener.start_url(&start);
        tracing::debug!(target: "msconnect::browser", "listening on {redirect_uri} (port {})", listener.port());

        let system_browser;
        let opener = match self.opener {
            Some(opener) => opener,
            None => {
                system_browser = SystemBrowser::default();
                &system_browser
            }
        };
        match opener.open(&start_url) {
            Ok(()) => self.interaction.browser_opened(&start_url, &redirect_uri),
            // say one thing and do it: no address to open by hand when the listener is about to close
            Err(error) if self.fallback_to_device_code => {
                drop(listener);
                self.interaction.browser_unavailable(&error.to_string());
                return self.device_code(http).await;
            }
            Err(error) => self.interaction.browser_failed(&start_url, &error.to_string()),
        }

        let code = {
            let _finished = FinishOnDrop(self.interaction);
            listener
                .wait_for_code(
                    &Expected {
                        state: &state,
                        issuer: self.authority.response_issuer(),
                        start: &start,
                    },
                    http.timer(),
                    self.timeout,
                    self.interaction,
                )
                .await?
        };
        let result = TokenRequest {
            authority: self.authority,
            client_id: self.client_id,
            credential: self.credential,
            scopes: &self.scopes,
            scope_param: delegated_scope(&self.scopes),
            fields: vec![
                ("grant_type", "authorization_code".into()),
                ("code", code.secret().to_owned()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier.secret().to_owned()),
            ],
        }
        .send(http)
        .await?;
        check_nonce(&result, &nonce)?;
        Ok(result)
    }

    fn check(&self) -> Result<()> {
        if let Some(prompt) = &self.prompt
            && !PROMPTS.contains(&prompt.as_str())
        {
            return Err(Error::invalid(
                "prompt",
                format!("'{prompt}' is not one of {}", PROMPTS.join(", ")),
            ));
        }
        if let Some(claims) = &self.claims {
            check_claims(claims)?;
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be more than zero"));
        }
        if let PortPolicy::Range(range) = &self.ports
            && (range.is_empty() || *range.start() == 0)
        {
            return Err(Error::invalid(
                "ports",
                format!(
                    "{}-{} is not a range of ports (to let the system choose, use any free port)",
                    range.start(),
                    range.end()
                ),
            ));
        }
        Ok(())
    }

    fn authorize_url(&self, redirect_uri: &str, code_challenge: &str, state: &str, nonce: &str) -> Url {
        let mut url = self.authority.authorize_endpoint().clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", self.client_id.as_str())
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &delegated_scope(&self.scopes))
                .append_pair("state", state)
                .append_pair("nonce", nonce)
                .append_pair("code_challenge", code_challenge)
                .append_pair("code_challenge_method", "S256");
            // OpenID Connect Core §11: an authority grants offline_access (a refresh token) from the
            // authorization endpoint only with prompt=consent. Microsoft's endpoints do not apply the
            // rule, and asking them would make every sign-in a consent page; a generic issuer does.
            if self.prompt.is_none() && self.authority.issuer().is_some() {
                query.append_pair("prompt", "consent");
            }
            for (name, value) in [
                ("prompt", &self.prompt),
                ("login_hint", &self.login_hint),
                ("domain_hint", &self.domain_hint),
                ("claims", &self.claims),
                ("amr_values", &self.amr_values),
            ] {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
        }
        url
    }

    /// The fallback: the same sign-in as a device code, for a person whose browser cannot reach us.
    async fn device_code(&self, http: &HttpClient) -> Result<TokenResult> {
        let mut flow = DeviceCodeFlow::new(self.authority, self.client_id)
            .scopes(&self.scopes)
            .interaction(self.interaction);
        if let Some(claims) = &self.claims {
            flow = flow.claims(claims.as_str());
        }
        flow.send(http).await
    }
}

/// `count` random bytes as base64url: 32 give a PKCE verifier of 43 characters (RFC 7636 asks for 43 to
/// 128) or a start address and cookie, 16 give a `state` or `nonce` no one can guess.
fn random_text(count: usize) -> Result<String> {
    let mut bytes = vec![0u8; count];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `code_challenge` for S256: base64url(SHA-256(verifier)).
fn code_challenge(verifier: &CodeVerifier) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.secret().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// The ID token must carry the nonce this sign-in sent: otherwise it answers another request.
fn check_nonce(result: &TokenResult, nonce: &str) -> Result<()> {
    let claims = result.id_token_claims.as_ref().ok_or_else(|| {
        Error::Rejected("the token response has no ID token, so its nonce could not be checked".into())
    })?;
    match claims.get("nonce").and_then(Value::as_str) {
        Some(found) if found == nonce => Ok(()),
        Some(_) => Err(Error::Rejected(
            "the ID token's nonce is not this sign-in's, so the answer was refused: sign in again".into(),
        )),
        None => Err(Error::Rejected(
            "the ID token has no nonce, so it cannot be tied to this sign-in".into(),
        )),
    }
}

#[cfg(test)]
mod tests;
