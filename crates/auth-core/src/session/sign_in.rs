//! Sign-in dispatch: [`Session::authenticate`] refuses what it can locally (no scope, an empty secret, a
//! cache it could not write), runs the flow the request's [`SignInMethod`] names and validates the answer;
//! [`Session::keep_tokens`] and [`Session::complete_unsaved`] then keep the tokens and hand back the handle.

use super::*;

impl Session {
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
            #[cfg(not(feature = "browser"))]
            SignInMethod::Browser(_) => return Err(crate::flows::needs_browser()),
            #[cfg(feature = "browser")]
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
            // the session's target, as before the session was split by job
            tracing::warn!(
                target: "auth_core::session",
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
        let cli = crate::azure_cli::AzureCli::locate(self.env(), &self.inner.options.shared_folders)?;
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
