//! The resource owner password grant (ROPC). It works only for cloud accounts without MFA, so its
//! failures say so.

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::flows::{ClientCredential, TokenRequest, delegated_scope, normalize_scopes, with_claims};
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::secret::Password;
use crate::token::TokenResult;

/// A user name and its password (for the resource owner password grant), or an application id and its
/// client secret.
#[derive(Clone)]
pub struct Credential {
    /// The user name, or the application id of a service principal.
    pub username: String,
    /// The password or client secret.
    pub password: Password,
}

impl Credential {
    /// A credential.
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// `grant_type=password`.
#[derive(Debug, Clone)]
pub struct UsernamePassword<'a> {
    authority: &'a Authority,
    client_id: &'a ClientId,
    username: &'a str,
    password: &'a Password,
    credential: Option<&'a ClientCredential>,
    scopes: Vec<String>,
    claims: Option<String>,
}

impl<'a> UsernamePassword<'a> {
    /// Signs `username` in with `password`.
    pub fn new(
        authority: &'a Authority,
        client_id: &'a ClientId,
        username: &'a str,
        password: &'a Password,
    ) -> Self {
        Self {
            authority,
            client_id,
            username,
            password,
            credential: None,
            scopes: Vec::new(),
            claims: None,
        }
    }

    /// The scopes of the access token.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// Authenticates as a confidential client as well.
    pub fn credential(mut self, credential: Option<&'a ClientCredential>) -> Self {
        self.credential = credential;
        self
    }

    /// The `claims` parameter (`claims_parameter`).
    pub fn claims(mut self, claims: Option<String>) -> Self {
        self.claims = claims;
        self
    }

    /// Asks the authority.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        if self.username.trim().is_empty() {
            return Err(Error::invalid("credential", "the user name is empty"));
        }
        TokenRequest {
            authority: self.authority,
            client_id: self.client_id,
            credential: self.credential,
            scopes: &self.scopes,
            scope_param: delegated_scope(&self.scopes),
            fields: with_claims(
                vec![
                    ("grant_type", "password".into()),
                    ("username", self.username.trim().to_owned()),
                    ("password", self.password.secret().to_owned()),
                ],
                self.claims,
            ),
        }
        .send(http)
        .await
        .map_err(|error| match error.server().and_then(|e| e.aadsts()) {
            Some(50076 | 50079 | 50126) => Error::SignInRequired(format!(
                "{error}. Password sign-in works only for cloud accounts without multi-factor authentication; \
                 use interactive or device code sign-in instead"
            )),
            _ => error,
        })
    }
}
