//! A sign-in session: what the product crates call. It holds the environment variables, the one HTTP
//! client (built on first use, so work that never touches the network never sets up TLS), the token
//! cache, the store of saved connections the layer above gives it ([`SavedConnections`]), and how to talk
//! to the person; it runs a [`SignInRequest`] with whichever flow its [`SignInMethod`] names, and later
//! serves tokens for a connection silently.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::cache::{CachedAccessToken, TokenCache};
use crate::cert::{Certificate, CertificateCredential, CertificateStore};
use crate::claims::ClaimsChallenge;
use crate::flows::{BrowserOpener, DeviceCodeFlow, PortPolicy};
#[cfg(feature = "browser")]
use crate::flows::{InteractiveBrowser, SystemBrowser};
use crate::interaction::{Interaction, StderrInteraction};
use crate::secret::ClientSecret;

use crate::authority::Authority;
use crate::cloud::Environment;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::federated::FetchedAssertion;
use crate::flows::{
    AccessTokenPassthrough, ClientCredential, RefreshTokenGrant, SilentRequest, UsernamePassword,
};
use crate::http::{HttpClient, HttpOptions};
use crate::ids::{ClientId, Tenant};
use crate::secret::{AccessToken, Password, RefreshToken};
use crate::token::TokenResult;

// the password grant's credential is the grant's; it stays nameable here
pub use crate::flows::Credential;

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
    /// The Azure CLI's sign-in (`--from-azure-cli`): the account's refresh token in the Azure CLI's cache
    /// (`AZURE_CONFIG_DIR`, else `~/.azure`), silently; the tenant is the request's when it names one,
    /// else the account's in the CLI. The connection then keeps its tokens in that cache.
    AzureCli {
        /// The account's sign-in name, when the CLI has several.
        account: Option<String>,
    },
    /// `--environment-variable`: the sign-in the `AZURE_*` variables describe
    /// ([`crate::flows::EnvironmentCredential::sign_in_method`]), an application's or a user's. The
    /// saved connection remembers that the variables connected, so renewal reads them again.
    EnvironmentVariable(Box<SignInMethod>),
}

/// Options of browser sign-in.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Which loopback ports to listen on (a range, for apps registered with a fixed port).
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
            Self::AzureCli { .. } => "AzureCli",
            Self::EnvironmentVariable(_) => "EnvironmentVariable",
        }
    }

    /// The flow that runs: the method itself, or the one the `AZURE_*` variables named.
    pub fn effective(&self) -> &SignInMethod {
        match self {
            Self::EnvironmentVariable(inner) => inner.effective(),
            other => other,
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
    /// The client capabilities to announce (`cp1`: continuous access evaluation), on this sign-in and
    /// every renewal of its connection.
    pub client_capabilities: Vec<String>,
    /// A claims challenge the sign-in must answer (a conditional access demand), for interactive
    /// sign-ins and redeemed refresh tokens.
    pub claims: Option<ClaimsChallenge>,
}

impl SignInRequest {
    /// A sign-in of `client_id` at `tenant` (`organizations` when none is given) in `environment`, for
    /// `scopes`, by `method`.
    pub fn new(
        environment: Environment,
        tenant: Option<Tenant>,
        client_id: ClientId,
        scopes: Vec<String>,
        method: SignInMethod,
    ) -> Self {
        Self {
            environment,
            tenant: tenant.unwrap_or_default(),
            client_id,
            scopes,
            method,
            client_capabilities: Vec::new(),
            claims: None,
        }
    }

    /// The `claims` parameter of the sign-in: its challenge and its capabilities.
    fn claims_parameter(&self) -> Option<String> {
        let capabilities: Vec<&str> = self.client_capabilities.iter().map(String::as_str).collect();
        crate::claims::claims_parameter(self.claims.as_ref(), &capabilities)
    }

    /// The scopes the cache keeps its tokens under: its scopes, and the mark of its capabilities.
    fn cached_scopes(&self) -> Vec<String> {
        let mut scopes = self.scopes.clone();
        scopes.extend(crate::flows::silent::capability_scopes(&self.client_capabilities));
        scopes
    }

    /// The authority the request signs in at.
    pub fn authority(&self) -> Result<Authority> {
        Authority::for_environment(&self.environment, &self.tenant)
    }
}

// The certificate's source and its saved description live with the certificates (`cert/source.rs`), so
// that the flows need not reach into the session; they stay nameable here.
pub(crate) use crate::cert::{CertificateSource, SavedCertificate};

mod connection;
pub use connection::{AppCredential, CacheLocation, Connection, SignedIn, UserMethod};
// a credential's fingerprint is the credential's; it stays nameable here
pub use crate::flows::secret_fingerprint;

mod handle;
mod renewal;
mod saved;
mod sign_in;
mod validate;
pub use handle::Connected;
pub use renewal::TokenOptions;
pub use saved::SavedConnections;
pub use sign_in::SignedInTokens;
pub use validate::validate_response;
// what every token answer must have is the token's own check; it stays nameable here
pub use crate::token::MAX_TOKEN_LIFETIME_SECONDS;

/// Options of [`Session::new`].
#[derive(Clone)]
pub struct SessionOptions {
    /// HTTP settings: timeouts, retries, extra trusted root certificates ([`HttpOptions::root_certificates`])
    /// and the transport ([`HttpOptions::transport`]); `http.env` is also where the session reads the
    /// Azure variables (`AZURE_AUTHORITY_HOST`, `AZURE_*` credentials, `SSL_CERT_FILE`, proxies).
    pub http: HttpOptions,
    /// The authority host every sign-in and renewal goes to in place of the cloud's
    /// (`https://login.microsoftonline.com`): an https URL, or http on loopback. It wins over
    /// `AZURE_AUTHORITY_HOST`.
    pub authority_host: Option<url::Url>,
    /// What renews the application connections this session loads from the saved ones: a handle this
    /// process connected keeps its own credential and needs none of it.
    pub renewal: RenewalCredentials,
    /// Where tokens are kept (in memory unless told otherwise).
    pub cache: TokenCache,
    /// Where the layer above saves its connections, which a disconnect leaves their tokens to; `None`
    /// when nothing is saved (only this session's live handles then keep tokens).
    pub saved: Option<Arc<dyn SavedConnections>>,
    /// How flows talk to the person (device code message, progress, browser notices).
    pub interaction: Arc<dyn Interaction>,
    /// How the browser is opened; `None` uses `$BROWSER`, then the platform's opener.
    pub opener: Option<Arc<dyn BrowserOpener>>,
    /// How long browser sign-in waits for the person.
    pub browser_timeout: Option<Duration>,
    /// The variables holding the caller's own secrets (the command line's `MSCONNECT_PASSWORD`…): a
    /// browser started for a sign-in gets an environment without them, nor the Azure ecosystem's
    /// ([`crate::env::SECRET_VARIABLES`]).
    pub secret_variables: Vec<String>,
    /// The current user's folder of certificates searched by thumbprint or subject after .NET's store
    /// (the command line's `$MSCONNECT_HOME/certificates`); `None` searches .NET's and the machine's only.
    pub certificates: Option<std::path::PathBuf>,
    /// How the Azure CLI's folder is checked when another user owns it or may write to it (refused
    /// unless accepted; the command line accepts it with `MSCONNECT_INSECURE_HOME=1`).
    pub shared_folders: crate::home::SharedFolders,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            http: HttpOptions::default(),
            authority_host: None,
            renewal: RenewalCredentials::default(),
            cache: TokenCache::in_memory(),
            saved: None,
            interaction: Arc::new(StderrInteraction::default()),
            opener: None,
            browser_timeout: None,
            secret_variables: Vec::new(),
            certificates: None,
            shared_folders: crate::home::SharedFolders::default(),
        }
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("http", &self.http)
            .field(
                "authority_host",
                &self.authority_host.as_ref().map(url::Url::as_str),
            )
            .field("renewal", &self.renewal)
            .field("cache", &self.cache.location())
            .field("saved", &self.saved)
            .finish_non_exhaustive()
    }
}

/// The credentials a session offers to renew an application's saved connection in a process that did
/// not connect it (the command line reads them from its variables). Never saved; zeroized when dropped.
#[derive(Clone, Default)]
pub struct RenewalCredentials {
    /// Client secrets to try, in order: the one whose fingerprint is the connecting secret's is
    /// preferred, else the first (a rotated secret), and the authority is the judge.
    pub client_secrets: Vec<ClientSecret>,
    /// The password of the PFX file a saved connection's certificate is read from again.
    pub certificate_password: Option<Password>,
}

impl std::fmt::Debug for RenewalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewalCredentials")
            .field("client_secrets", &self.client_secrets.len())
            .field("certificate_password", &self.certificate_password.is_some())
            .finish()
    }
}

/// A sign-in session. Cloning it is cheap and shares everything (the HTTP client, the cache): a
/// [`Connected`] handle keeps a clone to renew its tokens.
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

#[derive(Debug)]
struct SessionInner {
    options: SessionOptions,
    http: OnceLock<HttpClient>,
    /// The connections of the live [`Connected`] handles, which a disconnect must not take tokens from.
    live: std::sync::Mutex<Vec<(u64, Connection)>>,
    next_handle: std::sync::atomic::AtomicU64,
}

impl Session {
    /// A session; nothing is set up until it is needed.
    pub fn new(options: SessionOptions) -> Self {
        Self {
            inner: Arc::new(SessionInner {
                options,
                http: OnceLock::new(),
                live: std::sync::Mutex::default(),
                next_handle: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// The environment variables the session reads.
    pub fn env(&self) -> &EnvVars {
        &self.inner.options.http.env
    }

    /// The token cache.
    pub fn cache(&self) -> &TokenCache {
        &self.inner.options.cache
    }

    /// The HTTP client, built on first use.
    pub fn http(&self) -> Result<&HttpClient> {
        if let Some(http) = self.inner.http.get() {
            return Ok(http);
        }
        let http = HttpClient::new(self.inner.options.http.clone())?;
        Ok(self.inner.http.get_or_init(|| http))
    }

    fn now(&self) -> std::time::SystemTime {
        self.inner.options.http.timer.now()
    }

    /// An environment ready to sign in to: `AZURE_AUTHORITY_HOST` applied, a warning logged when its cloud
    /// is retired, and for a generic OIDC issuer its discovery document fetched (once: the endpoints are
    /// kept in the environment, and so in the saved connection).
    pub async fn resolve_environment(&self, environment: &Environment) -> Result<Environment> {
        if let Some(warning) = environment.retirement() {
            tracing::warn!("{warning}");
        }
        let mut environment = self.with_overrides(environment.clone())?;
        if let (Some(issuer), None) = (&environment.oidc_issuer, &environment.oidc_endpoints) {
            environment.oidc_endpoints = Some(discover(self.http()?, issuer).await?);
        }
        Ok(environment)
    }

    /// `environment` with `AZURE_AUTHORITY_HOST`, then [`SessionOptions::authority_host`], applied.
    fn with_overrides(&self, environment: Environment) -> Result<Environment> {
        let mut environment = environment.with_env_overrides(self.env())?;
        if let Some(host) = &self.inner.options.authority_host {
            environment = environment.with_authority_host(host)?;
        }
        Ok(environment)
    }

    /// The authority a saved connection renews at, the session's overrides applied.
    fn authority_of(&self, connection: &Connection) -> Result<Authority> {
        let environment = self.with_overrides(connection.environment.clone())?;
        Authority::for_environment(&environment, &connection.tenant)
    }

    /// Loads a certificate from its source (stores searched as [`CertificateStore::new`] describes, with
    /// [`SessionOptions::certificates`]).
    pub fn certificate(&self, source: &CertificateSource) -> Result<Arc<Certificate>> {
        let stores = || CertificateStore::new(self.env(), self.inner.options.certificates.as_deref());
        let certificate = match source {
            CertificateSource::Thumbprint(thumbprint) => stores().find_by_thumbprint(thumbprint)?,
            CertificateSource::Subject(subject) => stores().find_by_subject(subject, self.now())?,
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
}

// The session turns the `AZURE_*` variables into its sign-in method, so the flow that reads them needs
// no session.
impl crate::flows::EnvironmentCredential {
    /// The sign-in method for [`Session::sign_in`]: the certificate is loaded now (so a wrong password
    /// or an unreadable file is reported before any request), through the session so the saved
    /// connection remembers where it is.
    pub fn sign_in_method(&self, session: &Session) -> Result<SignInMethod> {
        use crate::flows::EnvironmentMethod;
        Ok(match &self.method {
            EnvironmentMethod::ClientSecret(secret) => {
                SignInMethod::Application(ClientCredential::Secret(secret.clone()))
            }
            EnvironmentMethod::Certificate(source) => {
                SignInMethod::Application(session.certificate_credential(source)?)
            }
            EnvironmentMethod::FederatedTokenFile(file) => {
                SignInMethod::Application(ClientCredential::assertion(file.clone()))
            }
            EnvironmentMethod::UsernamePassword(credential) => SignInMethod::Password(credential.clone()),
        })
    }
}

/// Fetches an issuer's OpenID Connect discovery document and checks it names that issuer.
pub(crate) async fn discover(
    http: &HttpClient,
    issuer: &url::Url,
) -> Result<crate::authority::DiscoveryDocument> {
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
