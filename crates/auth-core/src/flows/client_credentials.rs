//! The client credentials grant: an application signs in as itself with a secret or a certificate.

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::flows::{ClientCredential, TokenRequest, normalize_scopes, with_claims};
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::token::TokenResult;

/// `grant_type=client_credentials`.
#[derive(Debug, Clone)]
pub struct ClientCredentials<'a> {
    authority: &'a Authority,
    client_id: &'a ClientId,
    credential: &'a ClientCredential,
    scopes: Vec<String>,
    claims: Option<String>,
}

impl<'a> ClientCredentials<'a> {
    /// An app-only token request for `client_id`, authenticated by `credential`.
    pub fn new(authority: &'a Authority, client_id: &'a ClientId, credential: &'a ClientCredential) -> Self {
        Self {
            authority,
            client_id,
            credential,
            scopes: Vec::new(),
            claims: None,
        }
    }

    /// The scopes: for app-only tokens, `{resource}/.default`.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// The `claims` parameter: a claims challenge and the client capabilities announced, as JSON
    /// (`claims_parameter`).
    pub fn claims(mut self, claims: Option<String>) -> Self {
        self.claims = claims;
        self
    }

    /// Asks the authority.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        if self.scopes.is_empty() {
            return Err(Error::invalid(
                "scopes",
                "an app-only token needs a scope such as https://graph.microsoft.com/.default",
            ));
        }
        if !self.authority.tenant().is_specific() && self.authority.issuer().is_none() {
            return Err(Error::invalid(
                "tenant",
                format!(
                    "a service principal signs in to one tenant, not '{}': give the tenant id or domain",
                    self.authority.tenant()
                ),
            ));
        }
        TokenRequest {
            authority: self.authority,
            client_id: self.client_id,
            credential: Some(self.credential),
            scopes: &self.scopes,
            scope_param: self.scopes.join(" "),
            fields: with_claims(vec![("grant_type", "client_credentials".into())], self.claims),
        }
        .send(http)
        .await
    }
}
