//! A sign-in session: what the product crates call. It holds the environment variables and the one HTTP
//! client (built on first use, so work that never touches the network never sets up TLS), and runs a
//! [`SignInRequest`] with whichever flow its [`SignInMethod`] names.

use std::sync::OnceLock;

use crate::authority::Authority;
use crate::cloud::Environment;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::{
    AccessTokenPassthrough, ClientCredential, ClientCredentials, RefreshTokenGrant, UsernamePassword,
};
use crate::http::{HttpClient, HttpOptions};
use crate::ids::{ClientId, Tenant};
use crate::secret::{AccessToken, Password, RefreshToken};
use crate::token::TokenResult;

/// A user name (or application id) and its password (or client secret): PowerShell's `PSCredential`.
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

/// How to sign in.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignInMethod {
    /// An application with a client secret or certificate (client credentials).
    Application(ClientCredential),
    /// A refresh token, redeemed as a public client or, with a credential, as a confidential one.
    RefreshToken {
        /// The refresh token.
        token: RefreshToken,
        /// The web app's credential, when the token was issued to a confidential client.
        credential: Option<ClientCredential>,
    },
    /// A user name and password (resource owner password).
    Password(Credential),
    /// An access token the caller already has: no request is made.
    AccessToken(AccessToken),
}

impl SignInMethod {
    /// A short name for contexts and `--what-if`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Application(ClientCredential::Secret(_)) => "ClientSecret",
            Self::Application(ClientCredential::Assertion(_)) => "Certificate",
            Self::RefreshToken { .. } => "RefreshToken",
            Self::Password(_) => "UsernamePassword",
            Self::AccessToken(_) => "AccessToken",
        }
    }
}

/// Everything one sign-in needs.
#[derive(Debug, Clone)]
pub struct SignInRequest {
    /// The cloud.
    pub environment: Environment,
    /// The tenant (`organizations` when the user gave none).
    pub tenant: Tenant,
    /// The application.
    pub client_id: ClientId,
    /// The scopes of the access token.
    pub scopes: Vec<String>,
    /// The flow.
    pub method: SignInMethod,
}

impl SignInRequest {
    /// The authority the request signs in at.
    pub fn authority(&self) -> Result<Authority> {
        Authority::for_environment(&self.environment, &self.tenant)
    }
}

/// Options of [`Session::new`].
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// HTTP settings; `http.env` is also where the session reads its other variables.
    pub http: HttpOptions,
}

/// A sign-in session.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    http: OnceLock<HttpClient>,
}

impl Session {
    /// A session; nothing is set up until it is needed.
    pub fn new(options: SessionOptions) -> Self {
        Self {
            options,
            http: OnceLock::new(),
        }
    }

    /// The environment variables the session reads.
    pub fn env(&self) -> &EnvVars {
        &self.options.http.env
    }

    /// The HTTP client, built on first use.
    pub fn http(&self) -> Result<&HttpClient> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let http = HttpClient::new(self.options.http.clone())?;
        Ok(self.http.get_or_init(|| http))
    }

    /// An environment ready to sign in to: `AZURE_AUTHORITY_HOST` applied, and a warning logged when its
    /// cloud is retired.
    pub fn resolve_environment(&self, environment: &Environment) -> Result<Environment> {
        if let Some(warning) = environment.retirement() {
            tracing::warn!("{warning}");
        }
        environment.clone().with_env_overrides(self.env())
    }

    /// Signs in.
    pub async fn sign_in(&self, request: &SignInRequest) -> Result<TokenResult> {
        let authority = request.authority()?;
        if request.scopes.is_empty() {
            return Err(Error::invalid("scopes", "no scope to ask for"));
        }
        match &request.method {
            SignInMethod::AccessToken(token) => {
                let now = self.options.http.timer.now();
                AccessTokenPassthrough::new(token, &authority.environment(), &request.client_id).read(now)
            }
            SignInMethod::Application(credential) => {
                ClientCredentials::new(&authority, &request.client_id, credential)
                    .scopes(&request.scopes)
                    .send(self.http()?)
                    .await
            }
            SignInMethod::RefreshToken { token, credential } => {
                RefreshTokenGrant::new(&authority, &request.client_id, token)
                    .scopes(&request.scopes)
                    .credential(credential.as_ref())
                    .send(self.http()?)
                    .await
            }
            SignInMethod::Password(credential) => {
                UsernamePassword::new(
                    &authority,
                    &request.client_id,
                    &credential.username,
                    &credential.password,
                )
                .scopes(&request.scopes)
                .send(self.http()?)
                .await
            }
        }
    }
}
