//! A sign-in session: what the product crates call. It holds the environment variables, the one HTTP
//! client (built on first use, so work that never touches the network never sets up TLS), the token
//! cache, the saved connections, and how to talk to the person; it runs a [`SignInRequest`] with whichever
//! flow its [`SignInMethod`] names, and later serves tokens for the saved connection silently.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cache::{CachedAccessToken, SilentRequest, TokenCache};
use crate::cert::{Certificate, CertificateCredential, CertificateStore};
use crate::cloud::Cloud;
use crate::context::ContextStore;
use crate::flows::{BrowserOpener, DeviceCodeFlow, InteractiveBrowser, PortPolicy, SystemBrowser};
use crate::interaction::{Interaction, StderrInteraction};
use crate::secret::ClientSecret;

use crate::authority::Authority;
use crate::cloud::Environment;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::{AccessTokenPassthrough, ClientCredential, RefreshTokenGrant, UsernamePassword};
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

impl Credential {
    /// The client secret of a `-Credential` that names an application: its user name must be the
    /// application id the caller gave (`-ApplicationId`), else the error names both.
    pub fn client_secret_for(&self, application_id: &ClientId) -> Result<ClientCredential> {
        if !self.username.trim().eq_ignore_ascii_case(application_id.as_str()) {
            return Err(Error::invalid(
                "-Credential",
                format!(
                    "its user name '{}' must be the application id given in -ApplicationId ({application_id})",
                    self.username.trim()
                ),
            ));
        }
        Ok(ClientCredential::secret(self.password.secret()))
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
    /// A person signs in in a browser (authorization code with PKCE on a loopback listener).
    Browser(BrowserOptions),
    /// A person signs in on another device with a code.
    DeviceCode,
    /// The host's managed identity (`--identity`): no credential in the process, the host hands out
    /// the token (see [`crate::flows::ManagedIdentity`]).
    ManagedIdentity(crate::flows::ManagedIdentityId),
}

/// Options of browser sign-in.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Which loopback ports to listen on (PartnerCenter and SecMgmt: 8400 to 8999).
    pub ports: PortPolicy,
    /// `prompt` (`login`, `consent`, `select_account`…).
    pub prompt: Option<String>,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `domain_hint`.
    pub domain_hint: Option<String>,
    /// A claims challenge.
    pub claims: Option<String>,
    /// `amr_values` (`mfa` for `-EnforceMFA`).
    pub amr_values: Vec<String>,
    /// Fall back to device code when no browser opens (the originals promised it; here it happens).
    pub fallback_to_device_code: bool,
    /// The web app's credential, when the code is redeemed by a confidential client.
    pub credential: Option<ClientCredential>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            ports: PortPolicy::Any,
            prompt: None,
            login_hint: None,
            domain_hint: None,
            claims: None,
            amr_values: Vec::new(),
            fallback_to_device_code: true,
            credential: None,
        }
    }
}

impl SignInMethod {
    /// A short name for contexts and `--what-if`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Application(ClientCredential::Secret(_)) => "ClientSecret",
            // a certificate, or a federated token's source (`FederatedTokenFile`, `GitHubActions`…)
            Self::Application(ClientCredential::Assertion(source)) => source.kind(),
            Self::RefreshToken { .. } => "RefreshToken",
            Self::Password(_) => "UsernamePassword",
            Self::AccessToken(_) => "AccessToken",
            Self::Browser(_) => "Browser",
            Self::DeviceCode => "DeviceCode",
            Self::ManagedIdentity(_) => "ManagedIdentity",
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

/// Where a certificate comes from. Only the source's description (never a password) is saved with a
/// connection, so a later process can load the same certificate to renew an app-only token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CertificateSource {
    /// A thumbprint looked up in the certificate stores (current user, then machine).
    Thumbprint(String),
    /// A subject name looked up in the stores: the newest valid certificate with a private key.
    Subject(String),
    /// A PFX/PKCS#12 file and its password.
    Pkcs12 {
        /// The file.
        path: PathBuf,
        /// Its password, if it has one.
        password: Option<Password>,
    },
    /// A PEM certificate and its PEM private key (the key may sit in the certificate file).
    Pem {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A certificate loaded by the caller.
    Loaded(Arc<Certificate>),
}

/// A saved pointer to a certificate: enough to find it again, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SavedCertificate {
    /// The thumbprint of the certificate used.
    pub thumbprint: String,
    /// How it was found: `Thumbprint`, `Subject`, `Pkcs12`, `Pem` or `Loaded`.
    pub source: String,
    /// The subject it was searched by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The file it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The key file of a PEM pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_path: Option<PathBuf>,
}

impl SavedCertificate {
    fn describe(source: &CertificateSource, certificate: &Certificate) -> Self {
        let (kind, subject, path, key_path) = match source {
            CertificateSource::Thumbprint(_) => ("Thumbprint", None, None, None),
            CertificateSource::Subject(subject) => ("Subject", Some(subject.clone()), None, None),
            CertificateSource::Pkcs12 { path, .. } => ("Pkcs12", None, Some(path.clone()), None),
            CertificateSource::Pem { certificate, key } => {
                ("Pem", None, Some(certificate.clone()), Some(key.clone()))
            }
            CertificateSource::Loaded(_) => ("Loaded", None, None, None),
        };
        Self {
            thumbprint: certificate.thumbprint(),
            source: kind.to_owned(),
            subject,
            path,
            key_path,
        }
    }

    /// The source to load the certificate again. A PFX file's password is read from
    /// `MSCONNECT_CERTIFICATE_PASSWORD`; a certificate loaded by a library caller is found again by its
    /// thumbprint in the stores.
    fn reload(&self, env: &EnvVars) -> CertificateSource {
        match (self.source.as_str(), &self.path, &self.key_path, &self.subject) {
            ("Subject", _, _, Some(subject)) => CertificateSource::Subject(subject.clone()),
            ("Pkcs12", Some(path), _, _) => CertificateSource::Pkcs12 {
                path: path.clone(),
                password: env.get("MSCONNECT_CERTIFICATE_PASSWORD").map(Password::new),
            },
            ("Pem", Some(certificate), Some(key), _) => CertificateSource::Pem {
                certificate: certificate.clone(),
                key: key.clone(),
            },
            _ => CertificateSource::Thumbprint(self.thumbprint.clone()),
        }
    }
}

/// What a module remembers of its current connection so a later process can get tokens silently. Never
/// a secret: a client secret is supplied again (`MSCONNECT_CLIENT_SECRET`), a certificate is found again
/// from [`SavedCertificate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Connection {
    /// The environment, with its endpoints as they were when connecting.
    pub environment: Environment,
    /// The tenant id the token was issued in (the token's `tid`).
    pub tenant_id: String,
    /// The application.
    pub client_id: String,
    /// The signed-in user's home account id; `None` for an application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_account_id: Option<String>,
    /// The user's sign-in name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The scopes asked for when connecting.
    pub scopes: Vec<String>,
    /// The flow that connected ([`SignInMethod::name`]).
    pub method: String,
    /// The certificate an application signed in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<SavedCertificate>,
}

impl Connection {
    /// The connection a sign-in established.
    pub fn new(request: &SignInRequest, result: &TokenResult) -> Self {
        let certificate = match &request.method {
            SignInMethod::Application(ClientCredential::Assertion(source)) => {
                source.certificate_description()
            }
            _ => None,
        };
        Self {
            environment: request.environment.clone(),
            tenant_id: result.tenant_id.clone(),
            client_id: request.client_id.to_string(),
            home_account_id: result.home_account_id().map(str::to_owned),
            username: result
                .account
                .as_ref()
                .map(|a| a.username.clone())
                .filter(|u| !u.is_empty()),
            scopes: request.scopes.clone(),
            method: request.method.name().to_owned(),
            certificate,
        }
    }

    /// Whether the connection is an application's rather than a user's.
    pub fn is_app_only(&self) -> bool {
        self.home_account_id.is_none()
    }

    fn authority(&self, env: &EnvVars) -> Result<(Authority, ClientId)> {
        let environment = self.environment.clone().with_env_overrides(env)?;
        let tenant = Tenant::parse(&self.tenant_id)?;
        Ok((
            Authority::for_environment(&environment, &tenant)?,
            ClientId::parse(&self.client_id)?,
        ))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SavedContext<C> {
    connection: Connection,
    context: C,
}

/// Options of [`Session::new`].
#[derive(Clone)]
pub struct SessionOptions {
    /// HTTP settings; `http.env` is also where the session reads its other variables.
    pub http: HttpOptions,
    /// Where tokens are kept (in memory unless told otherwise).
    pub cache: TokenCache,
    /// Where each module's current connection is saved; `None` saves nothing.
    pub contexts: Option<ContextStore>,
    /// How flows talk to the person (device code message, progress, browser notices).
    pub interaction: Arc<dyn Interaction>,
    /// How the browser is opened; `None` uses `$BROWSER`, then the platform's opener.
    pub opener: Option<Arc<dyn BrowserOpener>>,
    /// How long browser sign-in waits for the person.
    pub browser_timeout: Option<Duration>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            http: HttpOptions::default(),
            cache: TokenCache::in_memory(),
            contexts: None,
            interaction: Arc::new(StderrInteraction::default()),
            opener: None,
            browser_timeout: None,
        }
    }
}

impl SessionOptions {
    /// What the command line uses: the token cache and contexts under `MSCONNECT_HOME`, or the token
    /// cache in Redis when `MSCONNECT_CACHE_URL` names one ([`TokenCache::from_env`]).
    pub fn persistent(env: EnvVars) -> Result<Self> {
        Ok(Self {
            cache: TokenCache::from_env(&env)?,
            contexts: Some(ContextStore::default_for(&env)?),
            http: HttpOptions {
                env,
                ..HttpOptions::default()
            },
            ..Self::default()
        })
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("http", &self.http)
            .field("cache", &self.cache.location())
            .field("contexts", &self.contexts.as_ref().map(ContextStore::dir))
            .finish_non_exhaustive()
    }
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

    /// The token cache.
    pub fn cache(&self) -> &TokenCache {
        &self.options.cache
    }

    /// The HTTP client, built on first use.
    pub fn http(&self) -> Result<&HttpClient> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let http = HttpClient::new(self.options.http.clone())?;
        Ok(self.http.get_or_init(|| http))
    }

    fn now(&self) -> std::time::SystemTime {
        self.options.http.timer.now()
    }

    /// An environment ready to sign in to: `AZURE_AUTHORITY_HOST` applied, a warning logged when its cloud
    /// is retired, and for a generic OIDC issuer its discovery document fetched (once: the endpoints are
    /// kept in the environment, and so in the saved connection).
    pub async fn resolve_environment(&self, environment: &Environment) -> Result<Environment> {
        if let Some(warning) = environment.retirement() {
            tracing::warn!("{warning}");
        }
        let mut environment = environment.clone().with_env_overrides(self.env())?;
        if let (Some(issuer), None) = (&environment.oidc_issuer, &environment.oidc_endpoints) {
            environment.oidc_endpoints = Some(discover(self.http()?, issuer).await?);
        }
        Ok(environment)
    }

    /// Loads a certificate from its source (stores searched as [`CertificateStore::new`] describes).
    pub fn certificate(&self, source: &CertificateSource) -> Result<Arc<Certificate>> {
        let certificate = match source {
            CertificateSource::Thumbprint(thumbprint) => {
                CertificateStore::new(self.env()).find_by_thumbprint(thumbprint)?
            }
            CertificateSource::Subject(subject) => {
                CertificateStore::new(self.env()).find_by_subject(subject, self.now())?
            }
            CertificateSource::Pkcs12 { path, password } => {
                Certificate::from_pkcs12_file(path, password.as_ref())?
            }
            CertificateSource::Pem { certificate, key } => Certificate::from_pem_files(certificate, key)?,
            CertificateSource::Loaded(certificate) => return Ok(certificate.clone()),
        };
        Ok(Arc::new(certificate))
    }

    /// A client credential that signs assertions with the certificate of `source`; the connection saved
    /// after signing in with it remembers how to find the certificate again.
    pub fn certificate_credential(&self, source: &CertificateSource) -> Result<ClientCredential> {
        let certificate = self.certificate(source)?;
        let saved = SavedCertificate::describe(source, &certificate);
        Ok(ClientCredential::assertion(DescribedCertificate {
            credential: CertificateCredential::new((*certificate).clone()),
            saved,
        }))
    }

    /// Signs in and keeps the tokens in the cache.
    pub async fn sign_in(&self, request: &SignInRequest) -> Result<TokenResult> {
        let authority = request.authority()?;
        if request.scopes.is_empty() {
            return Err(Error::invalid("scopes", "no scope to ask for"));
        }
        let interaction = self.options.interaction.as_ref();
        let (result, source) = match &request.method {
            SignInMethod::AccessToken(token) => {
                let result = AccessTokenPassthrough::new(token, &authority.environment(), &request.client_id)
                    .read(self.now())?;
                (result, None)
            }
            SignInMethod::Application(credential) => {
                // As MSAL's acquire_token_for_client: the cache first, so that a second worker connecting
                // as the same service principal is served the first one's token; renewing it is
                // single-flight across a fleet sharing a Redis cache, and saves the new token.
                return SilentRequest::new(&self.options.cache, &authority, &request.client_id)
                    .scopes(&request.scopes)
                    .credential(Some(credential))
                    .send(self.http()?)
                    .await;
            }
            SignInMethod::RefreshToken { token, credential } => {
                let result = RefreshTokenGrant::new(&authority, &request.client_id, token)
                    .scopes(&request.scopes)
                    .credential(credential.as_ref())
                    .send(self.http()?)
                    .await?;
                (result, Some("refresh_token"))
            }
            SignInMethod::Password(credential) => {
                let result = UsernamePassword::new(
                    &authority,
                    &request.client_id,
                    &credential.username,
                    &credential.password,
                )
                .scopes(&request.scopes)
                .send(self.http()?)
                .await?;
                (result, Some("password"))
            }
            SignInMethod::ManagedIdentity(id) => {
                let result = crate::flows::ManagedIdentity::new(self.env())
                    .id(id.clone())
                    .scopes(&request.scopes)
                    .environment(authority.environment())
                    .send(self.http()?)
                    .await?;
                (result, None)
            }
            SignInMethod::DeviceCode => {
                let result = DeviceCodeFlow::new(&authority, &request.client_id)
                    .scopes(&request.scopes)
                    .interaction(interaction)
                    .send(self.http()?)
                    .await?;
                (result, Some(crate::flows::DEVICE_CODE_GRANT_TYPE))
            }
            SignInMethod::Browser(options) => {
                let system;
                let opener: &dyn BrowserOpener = match &self.options.opener {
                    Some(opener) => opener.as_ref(),
                    None => {
                        system = SystemBrowser::new(self.env().clone());
                        &system
                    }
                };
                let mut flow = InteractiveBrowser::new(&authority, &request.client_id)
                    .scopes(&request.scopes)
                    .ports(options.ports.clone())
                    .amr_values(&options.amr_values)
                    .opener(opener)
                    .interaction(interaction)
                    .credential(options.credential.as_ref())
                    .fallback_to_device_code(options.fallback_to_device_code);
                if let Some(prompt) = &options.prompt {
                    flow = flow.prompt(prompt.as_str());
                }
                if let Some(hint) = &options.login_hint {
                    flow = flow.login_hint(hint.as_str());
                }
                if let Some(hint) = &options.domain_hint {
                    flow = flow.domain_hint(hint.as_str());
                }
                if let Some(claims) = &options.claims {
                    flow = flow.claims(claims.as_str());
                }
                if let Some(timeout) = self.options.browser_timeout {
                    flow = flow.timeout(timeout);
                }
                (flow.send(self.http()?).await?, Some("authorization_code"))
            }
        };
        if source.is_some() && result.refresh_token.is_none() {
            // nothing can renew this sign-in: say so now, not when `token` fails in an hour
            tracing::warn!(
                "{} gave no refresh token: this sign-in lasts until its access token expires ({}), then sign in again",
                authority.environment(),
                crate::time::format_rfc3339(result.expires_on)
            );
        }
        self.options
            .cache
            .save_at(&result, &request.scopes, source, self.now())?;
        Ok(result)
    }

    /// Saves `module`'s current connection and its context (no secrets in either). Without a context
    /// store nothing is saved.
    pub fn save_connection<C: Serialize>(
        &self,
        module: &str,
        connection: &Connection,
        context: &C,
    ) -> Result<()> {
        match &self.options.contexts {
            Some(store) => store.save(
                module,
                &SavedContext {
                    connection: connection.clone(),
                    context,
                },
            ),
            None => Ok(()),
        }
    }

    /// `module`'s current connection and context, when it is connected.
    pub fn load_connection<C: DeserializeOwned>(&self, module: &str) -> Result<Option<(Connection, C)>> {
        let Some(store) = &self.options.contexts else {
            return Ok(None);
        };
        Ok(store.load::<SavedContext<C>>(module)?.map(|mut saved| {
            // the built-in cloud is not saved: it is found again by name
            saved.connection.environment.cloud = Cloud::find(&saved.connection.environment.name);
            (saved.connection, saved.context)
        }))
    }

    /// Forgets `module`'s connection and removes its tokens from the cache: the user's account (its
    /// access, refresh and ID tokens) or the application's tokens in that tenant. Returns whether the
    /// module was connected.
    pub fn disconnect(&self, module: &str) -> Result<bool> {
        let Some(store) = &self.options.contexts else {
            return Ok(false);
        };
        let Some(saved) = store.load::<SavedContext<serde_json::Value>>(module)? else {
            return Ok(false);
        };
        let connection = saved.connection;
        let (authority, client_id) = connection.authority(self.env())?;
        match &connection.home_account_id {
            Some(home) => self
                .options
                .cache
                .remove_account(&authority.environment(), home)?,
            None => self.options.cache.remove_app_tokens(
                &authority.environment(),
                &client_id,
                &connection.tenant_id,
            )?,
        }
        store.remove(module)
    }

    /// `module`'s saved connection, or an error saying it is not connected.
    pub fn connection(&self, module: &str) -> Result<Connection> {
        self.load_connection::<serde_json::Value>(module)?
            .map(|(connection, _)| connection)
            .ok_or_else(|| Error::SignInRequired(format!("not connected to {module}: connect first")))
    }

    fn silent<'a>(
        &'a self,
        connection: &'a Connection,
        authority: &'a Authority,
        client_id: &'a ClientId,
        scopes: &'a [String],
    ) -> SilentRequest<'a> {
        SilentRequest::new(&self.options.cache, authority, client_id)
            .account(connection.home_account_id.as_deref())
            .scopes(if scopes.is_empty() {
                &connection.scopes
            } else {
                scopes
            })
    }

    /// A cached access token for the connection (its scopes, or `scopes`), with no network and no async
    /// runtime: the fast path of `token`.
    pub fn cached_token(
        &self,
        connection: &Connection,
        scopes: &[String],
    ) -> Result<Option<CachedAccessToken>> {
        let (authority, client_id) = connection.authority(self.env())?;
        self.silent(connection, &authority, &client_id, scopes)
            .cached(self.now())
    }

    /// An access token for the connection: from the cache, else renewed with the refresh token (users) or
    /// the application's credential (apps: the certificate found again, or the client secret from
    /// `MSCONNECT_CLIENT_SECRET`).
    pub async fn token(&self, connection: &Connection, scopes: &[String]) -> Result<TokenResult> {
        let (authority, client_id) = connection.authority(self.env())?;
        let credential = self.renewal_credential(connection)?;
        if connection.method == "AccessToken"
            && self
                .silent(connection, &authority, &client_id, scopes)
                .cached(self.now())?
                .is_none()
        {
            return Err(Error::AccessTokenExpired);
        }
        if credential.is_none()
            && connection.is_app_only()
            && connection.method != "AccessToken"
            && self
                .silent(connection, &authority, &client_id, scopes)
                .cached(self.now())?
                .is_none()
        {
            return Err(Error::SignInRequired(format!(
                "the token of application {} has expired and no client secret was supplied to renew it: set \
                 MSCONNECT_CLIENT_SECRET, or connect again",
                connection.client_id
            )));
        }
        self.silent(connection, &authority, &client_id, scopes)
            .credential(credential.as_ref())
            .send(self.http()?)
            .await
    }

    fn renewal_credential(&self, connection: &Connection) -> Result<Option<ClientCredential>> {
        if !connection.is_app_only() || connection.method == "AccessToken" {
            return Ok(None);
        }
        if let Some(saved) = &connection.certificate {
            return self.certificate_credential(&saved.reload(self.env())).map(Some);
        }
        Ok(self
            .env()
            .get("MSCONNECT_CLIENT_SECRET")
            .map(|secret| ClientCredential::Secret(ClientSecret::new(secret))))
    }
}

/// Fetches an issuer's OpenID Connect discovery document and checks it names that issuer.
pub async fn discover(http: &HttpClient, issuer: &url::Url) -> Result<crate::authority::DiscoveryDocument> {
    let url = url::Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        issuer.as_str().trim_end_matches('/')
    ))
    .map_err(|e| {
        Error::invalid(
            "OIDC issuer",
            format!("'{issuer}' does not make a discovery URL: {e}"),
        )
    })?;
    let response = http.get(&url, &[("Accept", "application/json")]).await?;
    let document: crate::authority::DiscoveryDocument = match response.status {
        200..=299 => serde_json::from_str(&response.body).map_err(|e| Error::InvalidFile {
            path: url.to_string().into(),
            reason: format!("not an OpenID Connect discovery document: {e}"),
        })?,
        status => {
            return Err(Error::UnexpectedResponse {
                status,
                url: url.to_string(),
                excerpt: crate::http::excerpt(&response.body),
            });
        }
    };
    let named = document.issuer.as_deref().map(|i| i.trim_end_matches('/'));
    if named.is_some_and(|named| named != issuer.as_str().trim_end_matches('/')) {
        return Err(Error::invalid(
            "OIDC issuer",
            format!(
                "the discovery document at {url} names another issuer: {}",
                named.unwrap_or_default()
            ),
        ));
    }
    // every endpoint is checked (https, or http on loopback) before use
    Authority::from_discovery(issuer, &document)?;
    Ok(document)
}

/// A certificate credential that remembers how its certificate was found, for the saved connection.
#[derive(Debug)]
struct DescribedCertificate {
    credential: CertificateCredential,
    saved: SavedCertificate,
}

impl crate::flows::AssertionSource for DescribedCertificate {
    fn assertion(
        &self,
        audience: &str,
        client_id: &ClientId,
        now: std::time::SystemTime,
    ) -> Result<crate::secret::ClientAssertion> {
        self.credential.assertion(audience, client_id, now)
    }

    fn certificate_description(&self) -> Option<SavedCertificate> {
        Some(self.saved.clone())
    }
}

#[cfg(test)]
mod tests;
