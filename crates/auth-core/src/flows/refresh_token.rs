//! The refresh token grant, for public clients and for confidential ones with a secret or certificate.
//! Refresh tokens are cross-tenant: the same token buys a token for a customer's tenant when the
//! authority names that tenant.

use crate::authority::Authority;
use crate::error::Result;
use crate::flows::{ClientCredential, TokenRequest, delegated_scope, normalize_scopes, with_claims};
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::secret::RefreshToken;
use crate::token::TokenResult;

/// `grant_type=refresh_token`.
#[derive(Debug, Clone)]
pub struct RefreshTokenGrant<'a> {
    authority: &'a Authority,
    client_id: &'a ClientId,
    refresh_token: &'a RefreshToken,
    credential: Option<&'a ClientCredential>,
    scopes: Vec<String>,
    claims: Option<String>,
}

impl<'a> RefreshTokenGrant<'a> {
    /// Redeems `refresh_token`, which was issued to `client_id`.
    pub fn new(authority: &'a Authority, client_id: &'a ClientId, refresh_token: &'a RefreshToken) -> Self {
        Self {
            authority,
            client_id,
            refresh_token,
            credential: None,
            scopes: Vec::new(),
            claims: None,
        }
    }

    /// The scopes of the new access token.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// Authenticates as a confidential client (the token was issued to a web app).
    pub fn credential(mut self, credential: Option<&'a ClientCredential>) -> Self {
        self.credential = credential;
        self
    }

    /// The `claims` parameter: a claims challenge and the client capabilities announced, as JSON
    /// (`claims_parameter`).
    pub fn claims(mut self, claims: Option<String>) -> Self {
        self.claims = claims;
        self
    }

    /// Asks the authority. When the answer carries no new refresh token, the result keeps the one that
    /// was redeemed: it is still valid, and callers should never be handed an empty one.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        let mut result = TokenRequest {
            authority: self.authority,
            client_id: self.client_id,
            credential: self.credential,
            scopes: &self.scopes,
            scope_param: delegated_scope(&self.scopes),
            fields: with_claims(
                vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", self.refresh_token.secret().to_owned()),
                ],
                self.claims,
            ),
        }
        .send(http)
        .await?;
        if result.refresh_token.is_none() {
            result.refresh_token = Some(self.refresh_token.clone());
        }
        Ok(result)
    }
}
