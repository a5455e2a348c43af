//! Silent sign-in: a token from the cache when one is good for five more minutes, else a new one bought
//! with the cached refresh token (for any tenant: refresh tokens are cross-tenant) or, for an app, with
//! the client credential the caller supplies again. Concurrent requests for one token make one request:
//! in one process through a turn per token, and across a fleet sharing a Redis cache or a cache file
//! through a lock per token (in Redis, or beside the file), whose holder asks while the others wait for
//! its token.

use std::time::SystemTime;

use crate::authority::Authority;
use crate::claims::ClaimsChallenge;
use crate::error::{Error, Result};
use crate::flows::{ClientCredential, ClientCredentials, RefreshTokenGrant, normalize_scopes};
use crate::http::HttpClient;
use crate::ids::ClientId;
use crate::token::{ClientInfo, OIDC_SCOPES, TokenResult, answer_problem};

use crate::cache::{
    AccessTokenSearch, CAPABILITY_SCOPE_PREFIX, CachedAccessToken, CredentialFilter, Lease, RefreshLock,
    TokenCache, TokenQuery, normalized_scopes,
};

/// AAD answers `invalid_grant` both when the refresh token is dead and when this tenant or resource wants
/// the user to do something (MFA, consent, a conditional access policy). Only the first kind is removed:
/// a partner's refresh token that one customer's MFA policy refuses still works for every other tenant.
const NEEDS_THE_USER_SUBERRORS: &[&str] = &[
    "basic_action",
    "additional_action",
    "message_only",
    "consent_required",
    "user_password_expired",
    "client_mismatch",
];
const NEEDS_THE_USER_CODES: &[i64] = &[
    50076, 50079, 50158, 65001, 50105, 53000, 53001, 53003, 50097, 530002, 530003,
];

/// A token without the user: from the cache, else renewed.
#[derive(Debug, Clone)]
pub struct SilentRequest<'a> {
    cache: &'a TokenCache,
    authority: &'a Authority,
    client_id: &'a ClientId,
    account: Option<&'a str>,
    scopes: Vec<String>,
    credential: Option<&'a ClientCredential>,
    /// The fingerprint of the credential, which app-only tokens must carry to be served (issue 14).
    fingerprint: Option<String>,
    /// Whether the fingerprint came with a credential being proved (no unmarked token will do).
    strict: bool,
    /// Whether a credential is presented that no fingerprint identifies (a federated token, a caller's
    /// own assertion): no cached app-only token can be proved to be its, so none is served to it.
    unproved: bool,
    force_refresh: bool,
    /// A cached token with less than this left is renewed.
    min_validity: Option<std::time::Duration>,
    /// A claims challenge to answer: no cached token will do.
    challenge: Option<&'a ClaimsChallenge>,
    /// The client capabilities announced (`cp1`): sent with every renewal, and their tokens cached
    /// apart ([`CAPABILITY_SCOPE_PREFIX`]).
    capabilities: &'a [String],
}

/// The mark no saved token carries: what an [`unproved`](SilentRequest::credential) credential asks for.
const UNPROVABLE: &str = "\u{0}unprovable";

impl<'a> SilentRequest<'a> {
    /// A silent request to `authority` (whose tenant is the tenant the token is for) for `client_id`.
    pub fn new(cache: &'a TokenCache, authority: &'a Authority, client_id: &'a ClientId) -> Self {
        Self {
            cache,
            authority,
            client_id,
            account: None,
            scopes: Vec::new(),
            credential: None,
            fingerprint: None,
            strict: false,
            unproved: false,
            force_refresh: false,
            min_validity: None,
            challenge: None,
            capabilities: &[],
        }
    }

    /// The account by its home account id (`{uid}.{utid}`); `None` asks for an app-only token, which can
    /// be renewed only with a [`credential`](Self::credential).
    pub fn account(mut self, home_account_id: Option<&'a str>) -> Self {
        self.account = home_account_id;
        self
    }

    /// The scopes the token must carry.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// The client credential of a confidential client: needed to renew an app-only token, and used when
    /// redeeming a refresh token issued to a confidential client. It is never stored, so the caller
    /// supplies it again each time (the CLI reads `MSCONNECT_CLIENT_SECRET` or prompts).
    pub fn credential(mut self, credential: Option<&'a ClientCredential>) -> Self {
        self.credential = credential;
        if let Some(credential) = credential {
            self.fingerprint = credential.fingerprint(self.client_id);
            self.strict = true;
            self.unproved = self.fingerprint.is_none();
        }
        self
    }

    /// The fingerprint of the credential an app-only token must have been earned with
    /// (`CREDENTIAL_MEMBER`), when the caller knows it without the credential
    /// (a saved connection). [`credential`](Self::credential) sets it from the credential.
    pub fn credential_fingerprint(mut self, fingerprint: Option<&str>) -> Self {
        if let Some(fingerprint) = fingerprint {
            self.fingerprint = Some(fingerprint.to_owned());
            self.strict = false;
        }
        self
    }

    /// Skips the cached access token and asks the authority for a new one.
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }

    /// Renews a cached token that has less than `min_validity` left (besides the five minutes of
    /// `EXPIRY_MARGIN_SECONDS`, which always apply).
    pub fn min_validity(mut self, min_validity: Option<std::time::Duration>) -> Self {
        self.min_validity = min_validity;
        self
    }

    /// A claims challenge (from a 401's `WWW-Authenticate`) to answer: no cached token answers it, so
    /// the authority is asked, with the challenge in `claims`.
    pub fn claims(mut self, challenge: Option<&'a ClaimsChallenge>) -> Self {
        self.challenge = challenge;
        self
    }

    /// The client capabilities to announce (`cp1` for continuous access evaluation), merged into the
    /// `claims` of every renewal; their tokens are cached apart from others.
    pub fn client_capabilities(mut self, capabilities: &'a [String]) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// Whether the cache is skipped: forced, or a claims challenge to answer.
    fn skips_cache(&self) -> bool {
        self.force_refresh || self.challenge.is_some()
    }

    /// The `claims` parameter of a renewal: the challenge and the capabilities.
    fn claims_parameter(&self) -> Option<String> {
        let capabilities: Vec<&str> = self.capabilities.iter().map(String::as_str).collect();
        crate::claims::claims_parameter(self.challenge, &capabilities)
    }

    /// The scopes the cache keeps the token under: the scopes, and the capabilities' mark.
    fn cached_scopes(&self) -> Vec<String> {
        let mut scopes = self.scopes.clone();
        scopes.extend(capability_scopes(self.capabilities));
        scopes
    }

    /// A cached token that is fresh and has at least the minimum validity asked for.
    fn good_enough(&self, hit: Option<CachedAccessToken>, now: SystemTime) -> Option<CachedAccessToken> {
        let hit = hit?;
        match self.min_validity {
            Some(min) => {
                let left = hit.expires_on.saturating_sub(crate::time::epoch_seconds(now));
                (left >= i64::try_from(min.as_secs()).unwrap_or(i64::MAX)).then_some(hit)
            }
            None => Some(hit),
        }
    }

    /// The cached token that [`send`](Self::send) would return without a request, if there is one: no
    /// network and no async runtime, for the fast path of a command that only prints a token.
    pub fn cached(&self, now: SystemTime) -> Result<Option<CachedAccessToken>> {
        if self.skips_cache() {
            return Ok(None);
        }
        let fresh = self
            .cache
            .search_access_tokens(&self.query()?, self.filter(), now)?
            .fresh;
        Ok(self.good_enough(fresh, now))
    }

    /// A token from the cache, else a renewed one, which is saved in the cache. A refresh token the
    /// authority refuses as dead is removed from the cache, and the answer is
    /// [`Error::SignInRequired`]: the user must sign in again with `connect`.
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        let query = self.query()?;
        let now = http.timer().now();
        if !self.skips_cache()
            && let Some(hit) = self.good_enough(
                self.cache.search_access_tokens(&query, self.filter(), now)?.fresh,
                now,
            )
        {
            return self.cached_result(hit);
        }
        // One request per token at a time in this process: whoever waited finds the first one's token.
        let turn = self.cache.flight(flight_key(&query));
        let _turn = turn.lock().await;
        // Across the fleet: one worker holds the lock and asks, the others wait for its token. The lease
        // lives until this function returns, so the token is saved before the lock is released.
        let _lease = if self.skips_cache() {
            None
        } else {
            match self.shared_turn(http, &query).await? {
                SharedTurn::Served(hit) => return self.cached_result(hit),
                SharedTurn::Proceed(lease) => lease,
            }
        };
        let now = http.timer().now();
        let AccessTokenSearch { fresh, aging } =
            self.cache.search_access_tokens(&query, self.filter(), now)?;
        if !self.skips_cache()
            && let Some(hit) = self.good_enough(fresh, now)
        {
            return self.cached_result(hit);
        }
        let renewed = match self.account {
            Some(home) => self.redeem_refresh_token(http, &query, home).await,
            None => self.client_credentials(http).await,
        };
        match renewed {
            Ok(mut result) => {
                if let Some(reason) = answer_problem(&result, now) {
                    return Err(Error::SignInRequired(format!(
                        "the token was not renewed because the answer of {} {reason}; nothing was saved",
                        result.environment
                    )));
                }
                if result.client_info.is_none() && result.account.is_none() {
                    // the answer did not say whose token it is: it is the account we asked for
                    result.client_info = self.account.and_then(client_info_of);
                }
                if let Err(error) = self.cache.save_with_credential(
                    &result,
                    &self.cached_scopes(),
                    None,
                    self.fingerprint.as_deref(),
                    now,
                ) {
                    // The token is good; failing the command for the cache would help no one.
                    tracing::warn!(target: "msconnect::cache", "the new token was not saved in the token cache: {error}");
                }
                Ok(result)
            }
            Err(error) => match aging {
                Some(old)
                    if !self.skips_cache()
                        && self.min_validity.is_none()
                        && !matches!(
                            error,
                            Error::SignInRequired(_) | Error::InteractionRequired { .. }
                        ) =>
                {
                    tracing::warn!(target: "msconnect::cache", "renewing the token failed ({error}); using the cached one, which is still valid");
                    self.cached_result(old)
                }
                _ => Err(error),
            },
        }
    }

    /// Waits for the shared cache's refresh lock of this token, polling through the HTTP client's timer:
    /// the holder's token when it appears, else the lock once it is free or its holder's time to live has
    /// passed. Never longer than the lock's time to live and one poll.
    async fn shared_turn(&self, http: &HttpClient, query: &TokenQuery) -> Result<SharedTurn> {
        let timer = http.timer();
        let started = timer.now();
        loop {
            let (poll, ttl) = match self.cache.try_refresh_lock(query)? {
                RefreshLock::Unshared => return Ok(SharedTurn::Proceed(None)),
                RefreshLock::Held(lease) => return Ok(SharedTurn::Proceed(Some(lease))),
                RefreshLock::Busy { poll, ttl } => (poll, ttl),
            };
            let waited = timer.now().duration_since(started).unwrap_or_default();
            if waited >= ttl + poll {
                tracing::warn!(target: "msconnect::cache", "another worker has held the refresh lock of this token for {waited:?}; asking the authority without it");
                return Ok(SharedTurn::Proceed(None));
            }
            timer.sleep(poll).await;
            let now = timer.now();
            if let Some(hit) = self.good_enough(
                self.cache.search_access_tokens(query, self.filter(), now)?.fresh,
                now,
            ) {
                return Ok(SharedTurn::Served(hit));
            }
        }
    }

    fn filter(&self) -> Option<CredentialFilter<'_>> {
        if self.unproved {
            return Some(CredentialFilter {
                fingerprint: UNPROVABLE,
                strict: true,
            });
        }
        self.fingerprint.as_deref().map(|fingerprint| CredentialFilter {
            fingerprint,
            strict: self.strict,
        })
    }

    fn query(&self) -> Result<TokenQuery> {
        if normalized_scopes(&self.scopes).is_empty() {
            return Err(Error::invalid(
                "scopes",
                "name at least one scope, such as https://graph.microsoft.com/.default",
            ));
        }
        let tenant = self.authority.tenant();
        // `common` and `organizations` mean the account's home tenant; a domain name matches only tokens
        // cached under that name (the cache holds tenant ids), so such a request renews its token.
        let realm = if tenant.is_specific() {
            Some(tenant.as_str().to_owned())
        } else {
            self.account.and_then(client_info_of).map(|info| info.utid)
        };
        Ok(TokenQuery {
            environment: self.authority.environment(),
            client_id: self.client_id.clone(),
            realm,
            home_account_id: self.account.map(str::to_owned),
            scopes: self.cached_scopes(),
        })
    }

    async fn redeem_refresh_token(
        &self,
        http: &HttpClient,
        query: &TokenQuery,
        home: &str,
    ) -> Result<TokenResult> {
        let environment = &query.environment;
        let Some(found) = self.cache.find_refresh_entry(environment, self.client_id, home)? else {
            return Err(Error::SignInRequired(format!(
                "no refresh token for account {home} and client {} in {}: sign in again with `connect`",
                self.client_id,
                self.where_cached()
            )));
        };
        let renewed = RefreshTokenGrant::new(self.authority, self.client_id, &found.token)
            .scopes(&self.scopes)
            .credential(self.credential)
            .claims(self.claims_parameter())
            .send(http)
            .await;
        match renewed {
            Err(error) if error.is_oauth("interaction_required") => {
                let server = error.server().cloned().unwrap_or_default();
                Err(self.needs_the_user(server))
            }
            Err(error) if error.is_oauth("invalid_grant") => {
                let server = error.server().cloned().unwrap_or_default();
                let needs_the_user = server
                    .suberror
                    .as_deref()
                    .is_some_and(|s| NEEDS_THE_USER_SUBERRORS.contains(&s))
                    || server.aadsts().is_some_and(|c| NEEDS_THE_USER_CODES.contains(&c));
                if needs_the_user {
                    return Err(self.needs_the_user(server));
                }
                if found.owned {
                    self.cache
                        .remove_refresh_token(environment, self.client_id, home, &found.token)?;
                }
                Err(Error::SignInRequired(format!(
                    "the cached refresh token was refused ({server}); it was removed from the cache: sign in again \
                     with `connect`"
                )))
            }
            other => other,
        }
    }

    /// The tenant wants the person: the refresh token stays (it still works elsewhere), and the error
    /// carries the tenant and the claims challenge the interactive sign-in must send.
    fn needs_the_user(&self, server: crate::error::ServerError) -> Error {
        Error::InteractionRequired {
            tenant: self.authority.tenant().to_string(),
            claims: server.claims.clone().filter(|c| !c.trim().is_empty()),
            server: Box::new(server),
        }
    }

    async fn client_credentials(&self, http: &HttpClient) -> Result<TokenResult> {
        let Some(credential) = self.credential else {
            return Err(Error::SignInRequired(format!(
                "no app-only token for client {} in {}, and renewing it needs the client secret or certificate, \
                 which is never stored: supply it again or connect again",
                self.client_id,
                self.where_cached()
            )));
        };
        ClientCredentials::new(self.authority, self.client_id, credential)
            .scopes(&self.scopes)
            .claims(self.claims_parameter())
            .send(http)
            .await
    }

    fn where_cached(&self) -> String {
        self.cache.location()
    }

    /// A cached token in the shape every flow returns.
    fn cached_result(&self, hit: CachedAccessToken) -> Result<TokenResult> {
        let environment = self.authority.environment();
        let account = match &hit.home_account_id {
            Some(home) => self.cache.account(&environment, home, &hit.realm)?,
            None => None,
        };
        Ok(TokenResult {
            client_info: hit.home_account_id.as_deref().and_then(client_info_of),
            access_token: hit.access_token,
            token_type: hit.token_type,
            expires_on: hit.expires_on,
            ext_expires_on: None,
            refresh_on: None,
            refresh_token: None,
            id_token: None,
            id_token_claims: None,
            account,
            // the target is spelled as MSAL spells it, OIDC scopes included; a result has none of those
            scopes: hit
                .scopes
                .into_iter()
                .filter(|s| {
                    !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s))
                        && !s.starts_with(CAPABILITY_SCOPE_PREFIX)
                })
                .collect(),
            granted_scope: None,
            tenant_id: hit.realm,
            client_id: self.client_id.clone(),
            environment,
            family_id: None,
        })
    }
}

/// What waiting for the fleet's refresh lock gave.
enum SharedTurn {
    /// Another worker's new token.
    Served(CachedAccessToken),
    /// Ask the authority, holding the lock when the cache is shared.
    Proceed(Option<Lease>),
}

/// The marks of `capabilities` among a token's scopes ([`CAPABILITY_SCOPE_PREFIX`]).
pub(crate) fn capability_scopes(capabilities: &[String]) -> impl Iterator<Item = String> + '_ {
    capabilities
        .iter()
        .map(|capability| format!("{CAPABILITY_SCOPE_PREFIX}{capability}"))
}

/// `{uid}.{utid}` split back into `client_info`.
fn client_info_of(home_account_id: &str) -> Option<ClientInfo> {
    let (uid, utid) = home_account_id.rsplit_once('.')?;
    Some(ClientInfo {
        uid: uid.to_owned(),
        utid: utid.to_owned(),
    })
}

fn flight_key(query: &TokenQuery) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        query.environment,
        query.client_id,
        query.realm.as_deref().unwrap_or_default(),
        query.home_account_id.as_deref().unwrap_or_default(),
        normalized_scopes(&query.scopes).join(" ").to_lowercase()
    )
}
