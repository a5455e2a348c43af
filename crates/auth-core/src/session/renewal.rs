//! Renewal: a connection's token from the cache, else renewed silently with the refresh token (users), the
//! application's credential (kept by the handle, found again, or offered by [`SessionOptions::renewal`]),
//! the federated source or the managed identity, as [`TokenOptions`] ask.

use super::*;

impl Session {
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
