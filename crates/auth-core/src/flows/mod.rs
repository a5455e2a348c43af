//! The OAuth grants. Each is a small builder ending in `.send(&http).await` that returns a
//! [`TokenResult`]; the request plumbing they share (client authentication, `client_info=1`, the OIDC
//! scopes of delegated requests, reading the answer) lives here once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use crate::authority::Authority;
use crate::cert::CertificateCredential;
use crate::error::Result;
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::secret::{ClientAssertion, ClientSecret};
use crate::token::{OIDC_SCOPES, TokenResult};

mod access_token;
#[cfg(feature = "browser")]
pub(crate) mod browser;
mod browser_options;
pub(crate) mod chain;
mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod environment;
pub(crate) mod federated;
pub(crate) mod fingerprint;
mod from_azure_cli;
pub(crate) mod managed_identity;
pub(crate) mod password;
mod refresh_token;
pub(crate) mod silent;

pub use access_token::AccessTokenPassthrough;
#[cfg(feature = "browser")]
pub use browser::{InteractiveBrowser, SystemBrowser};
#[cfg(not(feature = "browser"))]
pub(crate) use browser_options::needs_browser;
pub use browser_options::{BrowserOpener, PortPolicy};
pub use chain::{ChainAnswer, ChainSource, DefaultChain};
pub use client_credentials::ClientCredentials;
pub(crate) use device_code::DEVICE_CODE_GRANT_TYPE;
pub use device_code::DeviceCodeFlow;
pub use environment::{EnvironmentCredential, EnvironmentMethod};
pub use federated::{
    AzurePipelinesToken, FederatedTokenFile, FederatedTokenSource, GitHubActionsToken, SavedFederatedSource,
    WorkloadIdentity,
};
pub use fingerprint::secret_fingerprint;
pub use managed_identity::{ManagedIdentity, ManagedIdentityId, ManagedIdentitySource};
pub use password::{Credential, UsernamePassword};
pub use refresh_token::RefreshTokenGrant;
pub use silent::SilentRequest;

/// `client_assertion_type` of a signed JWT.
pub(crate) const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The future of [`AssertionSource::fetch_assertion`].
pub type AssertionFuture<'a> = Pin<Box<dyn Future<Output = Result<ClientAssertion>> + Send + 'a>>;

/// Something that signs client assertions (a certificate), or fetches them (a federated token source).
pub trait AssertionSource: Send + Sync + fmt::Debug {
    /// A client assertion for `client_id`, addressed to `audience` (the token endpoint), valid at `now`,
    /// made without a network request. A source that must ask a server (GitHub Actions, Azure
    /// Pipelines) answers with an error here and does its work in [`Self::fetch_assertion`].
    fn assertion(&self, audience: &str, client_id: &ClientId, now: SystemTime) -> Result<ClientAssertion>;

    /// The assertion as the token request gets it: asked anew for every token request, over `http` when
    /// the source needs to. By default the synchronous [`Self::assertion`].
    fn fetch_assertion<'a>(
        &'a self,
        http: &'a HttpClient,
        audience: &'a str,
        client_id: &'a ClientId,
        now: SystemTime,
    ) -> AssertionFuture<'a> {
        let _ = http;
        Box::pin(std::future::ready(self.assertion(audience, client_id, now)))
    }

    /// The source's name for contexts and messages (`Certificate`, `FederatedTokenFile`, `GitHubActions`…).
    fn kind(&self) -> &'static str {
        "Certificate"
    }

    /// How to find the signing certificate again, for saved connections; `None` for other sources.
    fn certificate_description(&self) -> Option<crate::cert::SavedCertificate> {
        None
    }

    /// How to find a federated token source again, for saved connections; `None` for other sources.
    fn federated_description(&self) -> Option<SavedFederatedSource> {
        None
    }
}

/// A certificate signs its assertions itself, without a network request.
impl AssertionSource for CertificateCredential {
    fn assertion(&self, audience: &str, client_id: &ClientId, now: SystemTime) -> Result<ClientAssertion> {
        self.assertion_at(audience, client_id, now)
    }
}

impl From<CertificateCredential> for ClientCredential {
    fn from(credential: CertificateCredential) -> Self {
        Self::assertion(credential)
    }
}

/// How a confidential client proves who it is.
#[derive(Clone, Debug)]
pub enum ClientCredential {
    /// A client secret, sent as `client_secret`.
    Secret(ClientSecret),
    /// A signed assertion, sent as `client_assertion`.
    Assertion(Arc<dyn AssertionSource>),
}

impl ClientCredential {
    /// A client secret credential.
    pub fn secret(secret: impl Into<ClientSecret>) -> Self {
        Self::Secret(secret.into())
    }

    /// An assertion credential.
    pub fn assertion(source: impl AssertionSource + 'static) -> Self {
        Self::Assertion(Arc::new(source))
    }

    /// The credential's name for contexts and messages (never its value).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Secret(_) => "ClientSecret",
            Self::Assertion(_) => "ClientAssertion",
        }
    }
}

/// Scopes as typed by users: split on spaces and commas, empty entries dropped, order kept.
pub fn normalize_scopes<S: AsRef<str>>(scopes: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        for part in scope.as_ref().split([' ', ',']).filter(|s| !s.is_empty()) {
            if !out.iter().any(|s| s == part) {
                out.push(part.to_owned());
            }
        }
    }
    out
}

/// The `scope` of a delegated request: the caller's scopes plus `openid profile offline_access`, so the
/// answer carries an ID token (the account) and a refresh token (silent sign-in later).
pub(crate) fn delegated_scope(scopes: &[String]) -> String {
    let mut all: Vec<&str> = scopes.iter().map(String::as_str).collect();
    for oidc in OIDC_SCOPES {
        if !all.contains(&oidc) {
            all.push(oidc);
        }
    }
    all.join(" ")
}

/// A grant's fields with the `claims` parameter added, when there is one.
pub(crate) fn with_claims(
    mut fields: Vec<(&'static str, String)>,
    claims: Option<String>,
) -> Vec<(&'static str, String)> {
    if let Some(claims) = claims {
        fields.push(("claims", claims));
    }
    fields
}

/// One request to the token endpoint: the grant's own fields plus client authentication, then the answer
/// read into a [`TokenResult`].
pub(crate) struct TokenRequest<'a> {
    pub(crate) authority: &'a Authority,
    pub(crate) client_id: &'a ClientId,
    pub(crate) credential: Option<&'a ClientCredential>,
    pub(crate) scopes: &'a [String],
    pub(crate) scope_param: String,
    pub(crate) fields: Vec<(&'static str, String)>,
}

impl TokenRequest<'_> {
    pub(crate) async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        let now = http.timer().now();
        let mut form: Vec<(&str, String)> = vec![("client_id", self.client_id.to_string())];
        form.extend(self.fields);
        if !self.scope_param.is_empty() {
            form.push(("scope", self.scope_param));
        }
        form.push(("client_info", "1".into()));
        match self.credential {
            Some(ClientCredential::Secret(secret)) => {
                form.push(("client_secret", secret.secret().to_owned()))
            }
            Some(ClientCredential::Assertion(source)) => {
                let assertion = source
                    .fetch_assertion(
                        http,
                        self.authority.token_endpoint().as_str(),
                        self.client_id,
                        now,
                    )
                    .await?;
                form.push(("client_assertion_type", JWT_BEARER_ASSERTION_TYPE.into()));
                form.push(("client_assertion", assertion.secret().to_owned()));
            }
            None => {}
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let json = http.post_oauth(self.authority.token_endpoint(), &pairs).await?;
        let result = TokenResult::from_response(&json, self.authority, self.client_id, self.scopes, now);
        // the form holds secrets: wipe it rather than leave copies in freed memory
        for (_, value) in &mut form {
            zeroize::Zeroize::zeroize(value);
        }
        result
    }
}

#[cfg(test)]
mod tests;
