//! A sign-in session: what the product crates call. It holds the environment variables, the one HTTP
//! client (built on first use, so work that never touches the network never sets up TLS), the token
//! cache, the store of saved connections the layer above gives it ([`SavedConnections`]), and how to talk
//! to the person; it runs a [`SignInRequest`] with whichever flow its [`SignInMethod`] names, and later
//! serves tokens for a connection silently.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::cache::{CachedAccessToken, SilentRequest, TokenCache};
use crate::cert::{Certificate, CertificateCredential, CertificateStore};
use crate::claims::ClaimsChallenge;
use crate::flows::{BrowserOpener, DeviceCodeFlow, InteractiveBrowser, PortPolicy, SystemBrowser};
use crate::interaction::{Interaction, StderrInteraction};
use crate::secret::ClientSecret;

use crate::authority::Authority;
use crate::cloud::Environment;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::federated::FetchedAssertion;
use crate::flows::{AccessTokenPassthrough, ClientCredential, RefreshTokenGrant, UsernamePassword};
use crate::http::{HttpClient, HttpOptions};
use crate::ids::{ClientId, Tenant};
use crate::secret::{AccessToken, Password, RefreshToken};
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
pub use crate::cert::{CertificateSource, SavedCertificate};

mod connection;
pub use connection::{
    AppCredential, CONNECTION_VERSION, CacheLocation, Connection, SignedIn, UserMethod, secret_fingerprint,
};

mod saved;
pub use saved::SavedConnections;

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

    /// Signs in and keeps the tokens in the cache: [`authenticate`](Self::authenticate) then
    /// [`keep_tokens`](Self::keep_tokens), for callers with nothing to check in between.
    pub async fn sign_in(&self, request: &SignInRequest) -> Result<TokenResult> {
        let tokens = self.authenticate(request).await?;
        self.keep_tokens(request, &tokens)?;
        Ok(tokens.result)
    }

    /// Signs in and validates the answer ([`validate_response`]) but saves nothing yet, so that a sign-in
    /// the caller then refuses (MFA not used, another tenant) leaves no token behind. Application
    /// sign-ins are the exception: their tokens are shared through the cache across a fleet, so they are
    /// looked up and saved by the cache's single-flight renewal, as before.
    pub async fn authenticate(&self, request: &SignInRequest) -> Result<SignedInTokens> {
        let authority = request.authority()?;
        if request.scopes.is_empty() {
            return Err(Error::invalid("scopes", "no scope to ask for"));
        }
        refuse_empty_secret(&request.method)?;
        let interaction = self.inner.options.interaction.as_ref();
        if !matches!(request.method, SignInMethod::AzureCli { .. }) {
            // before any credential is sent: a token that could not be kept must not be bought (a
            // read-only MSCONNECT_HOME would otherwise fail only after the secret went out). The Azure
            // CLI's sign-in checks the CLI's cache, which it writes instead.
            self.inner.options.cache.check_writable()?;
        }
        let (result, source) = match request.method.effective() {
            SignInMethod::AccessToken(token) => {
                let result = AccessTokenPassthrough::new(token, &authority.environment(), &request.client_id)
                    .read(self.now())?;
                (result, None)
            }
            SignInMethod::Application(credential) => {
                // A federated source proves itself at every sign-in, as a secret does by being presented:
                // its token is fetched now (the file read, GitHub Actions or Azure Pipelines asked), even
                // when the cache holds a token for it, so a job whose request token is bogus does not
                // connect from the cache. That one token is what a token request then sends.
                let fetched;
                let credential = match credential {
                    ClientCredential::Assertion(source) if source.federated_description().is_some() => {
                        fetched = FetchedAssertion::fetch(
                            source,
                            self.http()?,
                            authority.token_endpoint().as_str(),
                            &request.client_id,
                            self.now(),
                        )
                        .await?;
                        &fetched
                    }
                    credential => credential,
                };
                // As MSAL's acquire_token_for_client: the cache first, so that a second worker connecting
                // as the same service principal is served the first one's token; renewing it is
                // single-flight across a fleet sharing a Redis cache, and saves the new token.
                let result = SilentRequest::new(&self.inner.options.cache, &authority, &request.client_id)
                    .scopes(&request.scopes)
                    .client_capabilities(&request.client_capabilities)
                    .claims(request.claims.as_ref())
                    .credential(Some(credential))
                    .send(self.http()?)
                    .await?;
                validate_response(request, &result, self.now())?;
                return Ok(SignedInTokens {
                    result,
                    source: None,
                    saved: true,
                    token_cache: None,
                });
            }
            SignInMethod::RefreshToken { token, credential } => {
                let result = RefreshTokenGrant::new(&authority, &request.client_id, token)
                    .scopes(&request.scopes)
                    .claims(request.claims_parameter())
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
                .claims(request.claims_parameter())
                .send(self.http()?)
                .await?;
                (result, Some("password"))
            }
            SignInMethod::AzureCli { account } => {
                return self
                    .authenticate_with_azure_cli(request, &authority, account.as_deref())
                    .await;
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
                let mut flow = DeviceCodeFlow::new(&authority, &request.client_id);
                if let Some(claims) = request.claims_parameter() {
                    flow = flow.claims(claims);
                }
                let result = flow
                    .scopes(&request.scopes)
                    .interaction(interaction)
                    .send(self.http()?)
                    .await?;
                (result, Some(crate::flows::DEVICE_CODE_GRANT_TYPE))
            }
            SignInMethod::EnvironmentVariable(_) => {
                return Err(Error::invalid(
                    "AZURE_* variables",
                    "the AZURE_* variables describe one sign-in, not another set of variables",
                ));
            }
            SignInMethod::Browser(options) => {
                let system;
                let opener: &dyn BrowserOpener = match &self.inner.options.opener {
                    Some(opener) => opener.as_ref(),
                    None => {
                        system = SystemBrowser::new(self.env().clone())
                            .hiding(self.inner.options.secret_variables.iter().cloned());
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
                // a challenge of the options (a library caller's) or of the request, with the capabilities
                let challenge = match &options.claims {
                    Some(claims) => Some(ClaimsChallenge::parse(claims)?),
                    None => request.claims.clone(),
                };
                let capabilities: Vec<&str> =
                    request.client_capabilities.iter().map(String::as_str).collect();
                if let Some(claims) = crate::claims::claims_parameter(challenge.as_ref(), &capabilities) {
                    flow = flow.claims(claims);
                }
                if let Some(timeout) = self.inner.options.browser_timeout {
                    flow = flow.timeout(timeout);
                }
                (flow.send(self.http()?).await?, Some("authorization_code"))
            }
        };
        validate_response(request, &result, self.now())?;
        if source.is_some() && result.refresh_token.is_none() {
            // nothing can renew this sign-in: say so now, not when `token` fails in an hour
            tracing::warn!(
                "{} gave no refresh token: this sign-in lasts until its access token expires ({}), then sign in again",
                authority.environment(),
                crate::time::format_rfc3339(result.expires_on)
            );
        }
        Ok(SignedInTokens {
            result,
            source,
            saved: false,
            token_cache: None,
        })
    }

    /// `--from-azure-cli`: the token from the Azure CLI's cache, or bought with the account's refresh
    /// token there (and saved there, by the silent request); nothing goes to the session's cache.
    async fn authenticate_with_azure_cli(
        &self,
        request: &SignInRequest,
        authority: &Authority,
        account: Option<&str>,
    ) -> Result<SignedInTokens> {
        let cli = crate::azure_cli::AzureCli::locate(self.env())?;
        let tenant = request.tenant.is_specific().then_some(&request.tenant);
        let signed = cli
            .sign_in(
                self.http()?,
                crate::azure_cli::FromAzureCli {
                    authority,
                    client_id: &request.client_id,
                    scopes: &request.scopes,
                    username: account,
                    tenant,
                },
            )
            .await?;
        let mut result = signed.token;
        if result.account.is_none() {
            // a token served from the cache names its account through the cache's entry
            result.account = Some(signed.account);
        }
        validate_response(request, &result, self.now())?;
        Ok(SignedInTokens {
            result,
            source: None,
            saved: true,
            token_cache: Some(CacheLocation::AzureCli {
                config_dir: cli.config_dir().to_path_buf(),
            }),
        })
    }

    /// Saves the tokens of a sign-in in the cache (once: a second call does nothing).
    pub fn keep_tokens(&self, request: &SignInRequest, tokens: &SignedInTokens) -> Result<()> {
        if tokens.saved {
            return Ok(());
        }
        self.inner.options.cache.save_at(
            &tokens.result,
            &request.cached_scopes(),
            tokens.source,
            self.now(),
        )
    }

    /// Completes a connection once the product crate has checked the sign-in: keeps its tokens in the
    /// cache and returns the handle, `name` of `module`, that gives tokens for it. Saving the connection
    /// (and which one is the module's current one) is the layer above's, which keeps the store.
    pub fn complete_unsaved(
        &self,
        module: &str,
        name: &str,
        request: &SignInRequest,
        tokens: &SignedInTokens,
    ) -> Result<Connected> {
        let mut connection = Connection::new(request, &tokens.result)?;
        connection.token_cache = tokens.token_cache.clone();
        self.keep_tokens(request, tokens)?;
        // an application's credential stays with the handle, to renew every scope in this process
        let credential = match request.method.effective() {
            SignInMethod::Application(credential) => Some(credential.clone()),
            _ => None,
        };
        Ok(self.handle(module, name, connection, credential))
    }

    /// The handle of `connection`, saved as `name` of `module` and loaded again by the layer above.
    /// It holds no credential: an application's is renewed with what [`SessionOptions::renewal`] supplies.
    pub fn handle_of(&self, module: &str, name: &str, connection: Connection) -> Connected {
        self.handle(module, name, connection, None)
    }

    /// Where the layer above saves its connections; `None` when nothing is.
    pub fn saved(&self) -> Option<&Arc<dyn SavedConnections>> {
        self.inner.options.saved.as_ref()
    }

    /// Forgets the connection saved as `name` of `module` and removes the tokens it acquired, but none
    /// that another saved connection (of any module, under any name) or a live handle of this session
    /// still uses: see the rules of a disconnect in auth-core's README. Returns whether there was such a
    /// connection.
    pub fn disconnect_saved(&self, module: &str, name: &str) -> Result<bool> {
        let Some(store) = &self.inner.options.saved else {
            return Ok(false);
        };
        let Some(connection) = store.connection(module, name)? else {
            return Ok(false);
        };
        if connection.azure_cli_dir().is_some() {
            // the tokens are the Azure CLI's: forgetting the connection leaves them to `az logout`
            return store.forget(module, name);
        }
        let mut others = self.saved_connections(Some((module, name)))?;
        // a live handle of this very connection does not keep it: it is what is being disconnected
        others.extend(
            self.live_connections()
                .into_iter()
                .filter(|live| *live != connection),
        );
        self.forget_tokens(&connection, &others)?;
        store.forget(module, name)
    }

    /// The connections of the handles of this session not disconnected yet.
    fn live_connections(&self) -> Vec<Connection> {
        lock(&self.inner.live)
            .iter()
            .map(|(_, connection)| connection.clone())
            .collect()
    }

    /// A handle of `connection`, counted among the session's live ones until it is disconnected.
    fn handle(
        &self,
        module: &str,
        name: &str,
        connection: Connection,
        credential: Option<ClientCredential>,
    ) -> Connected {
        let id = self
            .inner
            .next_handle
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&self.inner.live).push((id, connection.clone()));
        Connected {
            session: self.clone(),
            connection,
            module: module.to_owned(),
            name: name.to_owned(),
            handle: Arc::new(Handle {
                session: self.clone(),
                id,
                state: std::sync::Mutex::new(HandleState::Live { credential }),
            }),
        }
    }

    /// [`Connected::disconnect`]: the saved connection as [`disconnect`](Self::disconnect) does when it is
    /// still the one saved under the handle's name; else (an in-memory session, or that name connected
    /// again since) this connection's tokens, but none a saved connection or another live handle still
    /// uses.
    fn forget_handle(&self, id: u64, module: &str, name: &str, connection: &Connection) -> Result<()> {
        lock(&self.inner.live).retain(|(other, _)| *other != id);
        let saved = match &self.inner.options.saved {
            Some(store) => store.connection(module, name)?,
            None => None,
        };
        if saved.is_some_and(|saved| saved == *connection) {
            return self.disconnect_saved(module, name).map(drop);
        }
        if connection.azure_cli_dir().is_some() {
            return Ok(());
        }
        let mut others = self.live_connections();
        others.extend(self.saved_connections(None)?);
        self.forget_tokens(connection, &others)
    }

    /// The saved connections of every module and name but `except`: what a disconnect must leave tokens
    /// to.
    fn saved_connections(&self, except: Option<(&str, &str)>) -> Result<Vec<Connection>> {
        let Some(store) = &self.inner.options.saved else {
            return Ok(Vec::new());
        };
        Ok(store
            .connections()?
            .into_iter()
            .filter(|(module, name, _)| Some((module.as_str(), name.as_str())) != except)
            .map(|(_, _, connection)| connection)
            .collect())
    }

    /// Removes the tokens `connection` acquired from the session's cache, but none that one of `others`
    /// still uses.
    fn forget_tokens(&self, connection: &Connection, others: &[Connection]) -> Result<()> {
        let authority = self.authority_of(connection)?;
        let environment = authority.environment();
        let same_place = |other: &Connection| {
            self.authority_of(other)
                .is_ok_and(|a| a.environment() == environment)
        };
        // the account's tokens of this client, but none its other connections keep
        let forget_account_tokens = |home: &str| {
            let clients_kept: Vec<ClientId> = others
                .iter()
                .filter(|other| same_place(other) && other.home_account_id() == Some(home))
                .map(|other| other.client_id.clone())
                .collect();
            let account_kept = !clients_kept.is_empty();
            self.inner.options.cache.remove_connection_tokens(
                &environment,
                home,
                &connection.client_id,
                &clients_kept,
                account_kept,
            )
        };
        match &connection.signed_in {
            SignedIn::User { home_account_id, .. } => forget_account_tokens(home_account_id)?,
            SignedIn::App { .. } => {
                let shared = others.iter().any(|other| {
                    same_place(other)
                        && other.is_app_only()
                        && other.client_id == connection.client_id
                        && other.tenant == connection.tenant
                });
                if !shared {
                    self.inner.options.cache.remove_app_tokens(
                        &environment,
                        &connection.client_id,
                        connection.tenant.as_str(),
                    )?;
                }
            }
            _ => {
                // a passthrough token: only its own access token, kept under its account (if its claims
                // name one) or as the app's
                let shared = others.iter().any(|other| {
                    same_place(other)
                        && other.client_id == connection.client_id
                        && other.home_account_id() == connection.home_account_id()
                        && other.tenant == connection.tenant
                });
                match (shared, connection.home_account_id()) {
                    (true, _) => {}
                    (false, Some(home)) => forget_account_tokens(home)?,
                    (false, None) => self.inner.options.cache.remove_app_tokens(
                        &environment,
                        &connection.client_id,
                        connection.tenant.as_str(),
                    )?,
                }
            }
        }
        Ok(())
    }

    /// The cache a connection's tokens live in: the session's, or the Azure CLI's for a connection made
    /// with `--from-azure-cli` (its error says "signed out in the Azure CLI" when the file is gone).
    fn cache_of(&self, connection: &Connection) -> Result<TokenCache> {
        match connection.azure_cli_dir() {
            None => Ok(self.inner.options.cache.clone()),
            Some(dir) => crate::azure_cli::AzureCli::at(dir)
                .token_cache()
                .map_err(|error| match error {
                    Error::SignInRequired(_) => azure_cli_signed_out(connection),
                    other => other,
                }),
        }
    }

    fn silent<'a>(
        &'a self,
        cache: &'a TokenCache,
        connection: &'a Connection,
        authority: &'a Authority,
        scopes: &'a [String],
    ) -> SilentRequest<'a> {
        let fingerprint = match &connection.signed_in {
            SignedIn::App { credential } => credential.fingerprint(),
            _ => None,
        };
        SilentRequest::new(cache, authority, &connection.client_id)
            .account(connection.home_account_id())
            .client_capabilities(&connection.client_capabilities)
            .credential_fingerprint(fingerprint.as_deref())
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
        self.cached_token_with(connection, scopes, &TokenOptions::default())
    }

    /// [`cached_token`](Self::cached_token) as [`TokenOptions`] ask: in their tenant, none when forced
    /// or challenged, none with less than their minimum validity left.
    pub fn cached_token_with(
        &self,
        connection: &Connection,
        scopes: &[String],
        options: &TokenOptions,
    ) -> Result<Option<CachedAccessToken>> {
        let connection = options.connection(connection)?;
        let authority = self.authority_of(&connection)?;
        if let SignedIn::AccessToken { scope, .. } = &connection.signed_in {
            other_scope(scope, scopes)?;
        }
        let cache = self.cache_of(&connection)?;
        options
            .apply(self.silent(&cache, &connection, &authority, scopes))
            .cached(self.now())
    }

    /// An access token for a saved connection: from the cache, else renewed with the refresh token (users)
    /// or the application's credential (apps: the certificate found again, or one of the client secrets
    /// of [`SessionOptions::renewal`], the one with the fingerprint of the secret that connected first).
    pub async fn token(&self, connection: &Connection, scopes: &[String]) -> Result<TokenResult> {
        self.token_full(connection, scopes, None, &TokenOptions::default())
            .await
    }

    /// [`token`](Self::token), but never the cached access token: a new one from the authority (or the
    /// host, for a managed identity), which proves the connection can still be renewed. A connection made
    /// with an access token cannot be, and says so. The same as [`token_with`](Self::token_with) with
    /// [`TokenOptions::force_refresh`].
    pub async fn renewed_token(&self, connection: &Connection, scopes: &[String]) -> Result<TokenResult> {
        let options = TokenOptions {
            force_refresh: true,
            ..TokenOptions::default()
        };
        self.token_full(connection, scopes, None, &options).await
    }

    /// [`token`](Self::token) as [`TokenOptions`] ask: for another tenant (a user's refresh token
    /// redeemed there, an application signed in there), renewed even though cached (`force_refresh`) or
    /// when less than `min_validity` is left, or answering a claims challenge.
    pub async fn token_with(
        &self,
        connection: &Connection,
        scopes: &[String],
        options: &TokenOptions,
    ) -> Result<TokenResult> {
        self.token_full(connection, scopes, None, options).await
    }

    /// [`token_with`](Self::token_with), an application's renewal made with `credential` when given (the
    /// one a [`Connected`] handle keeps) instead of what [`SessionOptions::renewal`] supplies.
    pub(crate) async fn token_full(
        &self,
        connection: &Connection,
        scopes: &[String],
        credential: Option<&ClientCredential>,
        options: &TokenOptions,
    ) -> Result<TokenResult> {
        let connection = &*options.connection(connection)?;
        let authority = self.authority_of(connection)?;
        let cache = self.cache_of(connection)?;
        let silent = options.apply(self.silent(&cache, connection, &authority, scopes));
        if let SignedIn::AccessToken { scope, .. } = &connection.signed_in {
            other_scope(scope, scopes)?;
            if options.force_refresh || options.claims.is_some() {
                return Err(Error::SignInRequired(format!(
                    "this connection holds one access token, for {scope}, brought as it is, which nothing \
                     renews: connect again with a new one"
                )));
            }
            if silent.cached(self.now())?.is_none() {
                // the token it holds is still good, for its own scope only: say that, not "expired"
                let held = self
                    .silent(&cache, connection, &authority, &[])
                    .cached(self.now())?;
                if let (Some(_), Some(other)) = (held, scopes.first()) {
                    return Err(Error::SignInRequired(format!(
                        "this connection holds one access token, for {scope}; connect again to get a token for {other}"
                    )));
                }
                return Err(Error::AccessTokenExpired);
            }
            return silent.send(self.http()?).await;
        }
        if connection.azure_cli_dir().is_some() {
            // `az logout` (MSAL's remove_account) took the account's refresh token away
            return silent.send(self.http()?).await.map_err(|error| match error {
                Error::SignInRequired(_) => azure_cli_signed_out(connection),
                other => other,
            });
        }
        if let SignedIn::ManagedIdentity { id } = &connection.signed_in {
            return self
                .managed_identity_token(connection, &authority, id, scopes, options)
                .await;
        }
        let credential = match (credential, &connection.signed_in) {
            (Some(kept), SignedIn::App { .. }) => Some(kept.clone()),
            _ => self.renewal_credential(connection, &authority, scopes, options)?,
        };
        silent.credential(credential.as_ref()).send(self.http()?).await
    }

    /// A managed identity connection's token: from the cache, else asked of the host again (its
    /// endpoint found from the environment as when connecting) and cached like an app token.
    async fn managed_identity_token(
        &self,
        connection: &Connection,
        authority: &Authority,
        id: &crate::flows::ManagedIdentityId,
        scopes: &[String],
        options: &TokenOptions,
    ) -> Result<TokenResult> {
        let scopes = if scopes.is_empty() {
            &connection.scopes
        } else {
            scopes
        };
        let cache = self.cache_of(connection)?;
        let silent = options.apply(self.silent(&cache, connection, authority, scopes));
        if silent.cached(self.now())?.is_some() {
            return silent.send(self.http()?).await;
        }
        let result = crate::flows::ManagedIdentity::new(self.env())
            .id(id.clone())
            .scopes(scopes)
            .environment(authority.environment())
            .send(self.http()?)
            .await?;
        if let Err(error) = self
            .inner
            .options
            .cache
            .save_at(&result, scopes, None, self.now())
        {
            tracing::warn!(target: "msconnect::cache", "the new token was not saved in the token cache: {error}");
        }
        Ok(result)
    }

    /// The credential that renews an application's token; `None` for a user (whose refresh token does),
    /// or when a cached token will do (never when forced). When one is needed and none is found, the
    /// error says why a renewal is needed and where the secret is read from.
    fn renewal_credential(
        &self,
        connection: &Connection,
        authority: &Authority,
        scopes: &[String],
        options: &TokenOptions,
    ) -> Result<Option<ClientCredential>> {
        let SignedIn::App { credential } = &connection.signed_in else {
            return Ok(None);
        };
        let fingerprint = match credential {
            AppCredential::Certificate(saved) => {
                let password = self.inner.options.renewal.certificate_password.clone();
                return self.certificate_credential(&saved.reload(password)).map(Some);
            }
            AppCredential::Federated(saved) => {
                // the file is read, or the CI system asked, when the token request is made: a token
                // that expired since connecting is replaced by the current one
                return match saved.reload(self.env()) {
                    Ok(source) => Ok(Some(ClientCredential::assertion(source))),
                    Err(error) => self.cached_or(connection, authority, scopes, options, error),
                };
            }
            AppCredential::Environment { method, .. } => {
                return match self.environment_credential(connection, method) {
                    Ok(credential) => Ok(Some(credential)),
                    Err(error) => self.cached_or(connection, authority, scopes, options, error),
                };
            }
            AppCredential::Secret { fingerprint } => fingerprint.clone(),
            _ => None,
        };
        // The secret that connected is preferred (several may be offered, for different things);
        // another one is still tried, as a rotated secret is, and the authority is the judge.
        let offered = &self.inner.options.renewal.client_secrets;
        let same = |secret: &&ClientSecret| {
            fingerprint
                .as_deref()
                .is_some_and(|f| f == secret_fingerprint(secret, &connection.client_id))
        };
        if let Some(secret) = offered.iter().find(same).or(offered.first()) {
            return Ok(Some(ClientCredential::Secret(secret.clone())));
        }
        let silent = self.silent(&self.inner.options.cache, connection, authority, scopes);
        if options.apply(silent.clone()).cached(self.now())?.is_some() {
            return Ok(None);
        }
        // A token that existed but expired is still found when asked "as of the epoch".
        let reason = if options.force_refresh || options.claims.is_some() {
            crate::error::RenewalReason::Asked
        } else if silent.cached(std::time::UNIX_EPOCH)?.is_some() {
            crate::error::RenewalReason::Expired
        } else {
            crate::error::RenewalReason::NotCached
        };
        let wanted = if scopes.is_empty() {
            connection.scopes.join(" ")
        } else {
            scopes.join(" ")
        };
        Err(Error::SecretRequired {
            client_id: connection.client_id.to_string(),
            scopes: wanted,
            reason,
        })
    }
}

/// An empty client secret is refused before anything is sent: the authority would only answer
/// `invalid_client` after a round trip, and the request would carry an application id for nothing.
fn refuse_empty_secret(method: &SignInMethod) -> Result<()> {
    let credential = match method.effective() {
        SignInMethod::Application(credential) => Some(credential),
        SignInMethod::RefreshToken { credential, .. } => credential.as_ref(),
        SignInMethod::Browser(options) => options.credential.as_ref(),
        _ => None,
    };
    match credential {
        Some(ClientCredential::Secret(secret)) if secret.secret().trim().is_empty() => Err(Error::invalid(
            "client secret",
            "is empty: give the application's client secret",
        )),
        _ => Ok(()),
    }
}

/// A connection made with `--from-azure-cli` whose account the Azure CLI signed out.
fn azure_cli_signed_out(connection: &Connection) -> Error {
    let username = match &connection.signed_in {
        SignedIn::User {
            username: Some(username),
            ..
        } => username.as_str(),
        _ => "the account",
    };
    crate::azure_cli::signed_out(username)
}

impl Session {
    /// No credential is needed when a cached token will do; else the error that says why none was found.
    fn cached_or(
        &self,
        connection: &Connection,
        authority: &Authority,
        scopes: &[String],
        options: &TokenOptions,
        error: Error,
    ) -> Result<Option<ClientCredential>> {
        let cache = self.cache_of(connection)?;
        if options
            .apply(self.silent(&cache, connection, authority, scopes))
            .cached(self.now())?
            .is_some()
        {
            Ok(None)
        } else {
            Err(error)
        }
    }

    /// The credential of an `--environment-variable` connection, from the `AZURE_*` variables now: they
    /// must still name the application that connected, with the same kind of credential.
    fn environment_credential(&self, connection: &Connection, method: &str) -> Result<ClientCredential> {
        let variables = crate::flows::EnvironmentCredential::from_env(self.env())?;
        if variables.client_id != connection.client_id {
            return Err(Error::invalid(
                "AZURE_CLIENT_ID",
                format!(
                    "the connection is application {}, but AZURE_CLIENT_ID now names {}: connect again",
                    connection.client_id, variables.client_id
                ),
            ));
        }
        if variables.name() != method {
            return Err(Error::invalid(
                "environment variables",
                format!(
                    "the connection signed in with {method} from the AZURE_* variables, which now hold {}: \
                     connect again",
                    variables.name()
                ),
            ));
        }
        match variables.sign_in_method(self)? {
            SignInMethod::Application(credential) => Ok(credential),
            _ => Err(Error::invalid(
                "environment variables",
                "the AZURE_* variables no longer hold an application's credential: connect again",
            )),
        }
    }
}

/// A passthrough connection asked for a scope it does not hold.
fn other_scope(held: &str, asked: &[String]) -> Result<()> {
    let held_resource = resource_of(held);
    match asked.iter().find(|s| resource_of(s) != held_resource) {
        Some(other) => Err(Error::SignInRequired(format!(
            "this connection holds one access token, for {held}; connect again to get a token for {other}"
        ))),
        None => Ok(()),
    }
}

/// The resource a scope names (`https://graph.microsoft.com/.default` -> `https://graph.microsoft.com`).
fn resource_of(scope: &str) -> String {
    let scope = scope.trim().to_ascii_lowercase();
    match scope.rfind('/') {
        Some(at) if scope.contains("://") && at > scope.find("://").unwrap_or(0) + 2 => {
            scope[..at].to_owned()
        }
        _ => scope,
    }
}

/// The tokens of a sign-in, validated and not yet saved ([`Session::authenticate`]).
#[derive(Debug)]
pub struct SignedInTokens {
    result: TokenResult,
    source: Option<&'static str>,
    saved: bool,
    /// The cache the tokens were kept in, when not the session's (the Azure CLI's).
    token_cache: Option<CacheLocation>,
}

impl SignedInTokens {
    /// The token response.
    pub fn result(&self) -> &TokenResult {
        &self.result
    }
}

/// The largest `expires_in` accepted: a day longer than the longest lifetime Entra ID issues (24 hours
/// for configurable lifetimes), so that a hostile or broken answer cannot pin a token for years.
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 2 * 24 * 3600;

/// Checks a token response before anything is saved: a non-empty access token, a lifetime that is
/// positive and bounded, for a user's sign-in the ID token that says who signed in, and the tenant: a
/// token from another tenant than the GUID asked for is logged as a warning naming both. One small
/// function, so the time arithmetic lives in one place.
/// What is wrong with a token answer of the authority, whatever asked for it (a sign-in, a renewal):
/// an empty access token, or a lifetime of zero or less, or over [`MAX_TOKEN_LIFETIME_SECONDS`]. Such an
/// answer is never saved: one hostile answer must not pin a token in the cache for years.
pub(crate) fn answer_problem(result: &TokenResult, now: std::time::SystemTime) -> Option<String> {
    if result.access_token.secret().trim().is_empty() {
        return Some("has an empty access_token".into());
    }
    let lifetime = result.expires_on.saturating_sub(crate::time::epoch_seconds(now));
    if lifetime <= 0 {
        return Some(format!(
            "gives a token that is already expired (expires_in {lifetime})"
        ));
    }
    if lifetime > MAX_TOKEN_LIFETIME_SECONDS {
        return Some(format!(
            "gives a token valid for {lifetime} seconds, more than the {MAX_TOKEN_LIFETIME_SECONDS} accepted"
        ));
    }
    None
}

/// Checks a sign-in's token answer before anything is saved: what every answer must have (a non-empty
/// access token, a lifetime above zero and at most [`MAX_TOKEN_LIFETIME_SECONDS`]; a passthrough token's
/// own `exp` stands), an ID token for delegated sign-ins, a tenant id (GUID) in a passthrough token, and
/// a warning when the token is for another tenant than the GUID asked for.
pub fn validate_response(
    request: &SignInRequest,
    result: &TokenResult,
    now: std::time::SystemTime,
) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::SignInRequired(format!(
            "the sign-in was refused because the token response of {} {reason}; nothing was saved",
            result.environment
        )))
    };
    let passthrough = matches!(request.method, SignInMethod::AccessToken(_));
    // a token the caller brought is not an answer of the authority: its own exp is what it is
    if let Some(reason) = answer_problem(result, now).filter(|_| !passthrough) {
        return refuse(reason);
    }
    if passthrough && result.access_token.secret().trim().is_empty() {
        return refuse("has an empty access_token".into());
    }
    let delegated = matches!(
        request.method.effective(),
        SignInMethod::Browser(_)
            | SignInMethod::DeviceCode
            | SignInMethod::Password(_)
            | SignInMethod::RefreshToken { .. }
    );
    if delegated && result.id_token.is_none() {
        return refuse("has no id_token, so it does not say who signed in".into());
    }
    if passthrough && !crate::ids::is_guid(&result.tenant_id.to_ascii_lowercase()) {
        return Err(Error::invalid(
            "access token",
            format!(
                "its tenant (tid) '{}' is not a tenant id (GUID): give a token issued by Microsoft Entra ID",
                result.tenant_id.escape_debug()
            ),
        ));
    }
    if crate::ids::is_guid(request.tenant.as_str())
        && !result.tenant_id.eq_ignore_ascii_case(request.tenant.as_str())
    {
        tracing::warn!(
            "the token is for tenant {}, not the tenant asked for ({})",
            result.tenant_id.escape_debug(),
            request.tenant
        );
    }
    Ok(())
}

/// A module's connection and the session it lives in: what a product crate's `connect` returns, and
/// what a program holds to get access tokens for any scope, renewed silently.
///
/// The handle that connected an application keeps the credential it connected with (a client secret, a
/// certificate with its key) in memory, zeroized when the last clone is dropped or the handle is
/// disconnected, and renews every scope with it. A handle of a saved connection that a later process
/// loads ([`Session::handle_of`]) has none: it renews with what [`SessionOptions::renewal`] supplies.
/// Clones share their state: [`disconnect`](Self::disconnect) on one disconnects them all.
#[derive(Debug, Clone)]
pub struct Connected {
    session: Session,
    connection: Connection,
    module: String,
    name: String,
    handle: Arc<Handle>,
}

/// What the clones of a handle share. While one lives, its connection counts among the session's live
/// ones ([`SessionInner::live`]), whose tokens another handle's disconnect leaves alone.
struct Handle {
    session: Session,
    id: u64,
    state: std::sync::Mutex<HandleState>,
}

/// Whether a handle is connected, and with what.
enum HandleState {
    /// Connected; the application's credential when this process connected it.
    Live { credential: Option<ClientCredential> },
    /// [`Connected::disconnect`] ran: no token is given any more.
    Disconnected,
}

impl Drop for Handle {
    fn drop(&mut self) {
        lock(&self.session.inner.live).retain(|(id, _)| *id != self.id);
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*lock(&self.state) {
            HandleState::Live { credential: None } => "connected",
            HandleState::Live { credential: Some(_) } => "connected, with the application's credential",
            HandleState::Disconnected => "disconnected",
        };
        f.write_str(state)
    }
}

impl Connected {
    /// The connection.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The module it is saved under.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The name it is saved under (`default` unless one was given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// An access token for `scopes` (none: the scopes the connection was made for), from the cache or
    /// renewed silently: a user's with the refresh token, an application's with the credential this
    /// handle keeps. A disconnected handle refuses ([`Error::Disconnected`]).
    pub async fn token(&self, scopes: &[&str]) -> Result<TokenResult> {
        let credential = self.credential()?;
        let scopes = crate::flows::normalize_scopes(scopes);
        self.session
            .token_full(
                &self.connection,
                &scopes,
                credential.as_ref(),
                &TokenOptions::default(),
            )
            .await
    }

    /// [`token`](Self::token) as `options` ask: in another tenant, renewed even though cached or when
    /// less than a minimum validity is left, answering a claims challenge (see [`TokenOptions`]).
    pub async fn token_with(&self, scopes: &[&str], options: &TokenOptions) -> Result<TokenResult> {
        let credential = self.credential()?;
        let scopes = crate::flows::normalize_scopes(scopes);
        self.session
            .token_full(&self.connection, &scopes, credential.as_ref(), options)
            .await
    }

    /// The credential kept for renewals, or [`Error::Disconnected`].
    pub(crate) fn credential(&self) -> Result<Option<ClientCredential>> {
        match &*lock(&self.handle.state) {
            HandleState::Live { credential } => Ok(credential.clone()),
            HandleState::Disconnected => Err(Error::Disconnected {
                module: self.module.clone(),
            }),
        }
    }

    /// Whether [`disconnect`](Self::disconnect) has not run on this handle or a clone of it.
    pub fn is_connected(&self) -> bool {
        matches!(&*lock(&self.handle.state), HandleState::Live { .. })
    }

    /// Disconnects: forgets the credential kept in memory, removes the tokens this connection acquired
    /// from the session's cache (but none another live handle or saved connection of the session still
    /// uses), and, when the session saves connections and this one is the module's current one, the
    /// saved connection too. Afterwards this handle and its clones refuse to give tokens. Returns
    /// whether it was connected (`false` the second time).
    pub fn disconnect(&self) -> Result<bool> {
        let previous = std::mem::replace(&mut *lock(&self.handle.state), HandleState::Disconnected);
        if matches!(previous, HandleState::Disconnected) {
            return Ok(false);
        }
        // the credential in `previous` is dropped (and zeroized) here, whatever happens next
        drop(previous);
        self.session
            .forget_handle(self.handle.id, &self.module, &self.name, &self.connection)?;
        Ok(true)
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How [`Connected::token_with`] (and [`Session::token_with`]) get a token; the default is
/// [`Connected::token`]'s: the connection's tenant, a cached token when one is good for five more
/// minutes.
#[derive(Debug, Clone, Default)]
pub struct TokenOptions {
    /// A token in this tenant instead of the connection's: a user's refresh token is redeemed at that
    /// tenant's authority, an application signs in there with its credential (it must be multi-tenant
    /// and consented there). Tokens are cached per tenant. A managed identity or an access token the
    /// caller brought cannot: that is an error naming `tenant`.
    pub tenant: Option<Tenant>,
    /// Renew even though a cached token is still good.
    pub force_refresh: bool,
    /// Renew when less than this is left of the cached token.
    pub min_validity: Option<Duration>,
    /// A claims challenge (a 401's `WWW-Authenticate` `claims`): no cached token answers it, the refresh
    /// token (or the application's credential) is redeemed with it. When the person must act, the error
    /// is [`Error::InteractionRequired`].
    pub claims: Option<ClaimsChallenge>,
}

impl TokenOptions {
    /// The connection the token is for: `connection`, or the same sign-in in [`Self::tenant`].
    fn connection<'a>(&self, connection: &'a Connection) -> Result<std::borrow::Cow<'a, Connection>> {
        let Some(tenant) = &self.tenant else {
            return Ok(std::borrow::Cow::Borrowed(connection));
        };
        let refuse = |what: &str| {
            Err(Error::invalid(
                "tenant",
                format!(
                    "{what} gives tokens for its own tenant ({}) only",
                    connection.tenant
                ),
            ))
        };
        match &connection.signed_in {
            SignedIn::ManagedIdentity { .. } => return refuse("a managed identity"),
            SignedIn::AccessToken { .. } => {
                return refuse("an access token connection (one token, brought as it is)");
            }
            _ => {}
        }
        let mut other = connection.clone();
        other.tenant = tenant.clone();
        Ok(std::borrow::Cow::Owned(other))
    }

    /// The silent request with these options.
    fn apply<'a>(&'a self, silent: SilentRequest<'a>) -> SilentRequest<'a> {
        silent
            .force_refresh(self.force_refresh)
            .min_validity(self.min_validity)
            .claims(self.claims.as_ref())
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
