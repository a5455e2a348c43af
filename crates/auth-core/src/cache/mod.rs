//! The token cache, in the unified schema of Microsoft's own libraries (PROTOCOL section 5), so MSAL
//! Python and the Azure CLI can read what we write and we can read what they write: five maps of entries,
//! searched by their fields rather than their keys, with every field and entry we do not know kept as it
//! was when the file is rewritten.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::home::msconnect_home;
use crate::ids::ClientId;
use crate::secret::{AccessToken, RefreshToken};
use crate::time::epoch_seconds;
use crate::token::{Account, OIDC_SCOPES, TokenResult};

use self::index::{Field, Index};

pub(crate) mod file;
pub use file::DEFAULT_LOCK_WAIT;
mod index;
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
mod seal;
mod silent;

#[cfg(feature = "redis")]
pub use redis_store::{CACHE_FALLBACK_VARIABLE, CACHE_LOCK_VARIABLE, CACHE_PASSWORD_VARIABLE, RedisOptions};
#[cfg(feature = "redis")]
pub use seal::{CACHE_KEY_VARIABLE, CacheKey};
pub use silent::SilentRequest;

/// The variable naming a shared token cache: `redis://[user[:password]@]host[:port][/db]`, or
/// `rediss://…` for TLS (feature `redis`).
pub const CACHE_URL_VARIABLE: &str = "MSCONNECT_CACHE_URL";

/// The file name of the cache inside `MSCONNECT_HOME` (the Azure CLI's name for the same schema).
pub const CACHE_FILE_NAME: &str = "msal_token_cache.json";

/// An access token with this many seconds left, or fewer, counts as expired (MSAL's margin).
pub const EXPIRY_MARGIN_SECONDS: i64 = 300;

const ACCESS_TOKEN: &str = "AccessToken";
const REFRESH_TOKEN: &str = "RefreshToken";
const ID_TOKEN: &str = "IdToken";
const ACCOUNT: &str = "Account";
const APP_METADATA: &str = "AppMetadata";
/// The five maps, in the order MSAL writes them.
const CREDENTIAL_MAPS: [&str; 5] = [ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, ACCOUNT, APP_METADATA];

/// The whole cache file: the five maps and whatever else other libraries put there.
type Document = Map<String, Value>;

/// The token cache. Cheap to clone: clones share one in-memory copy, one lock and one set of in-flight
/// requests.
///
/// Where it is kept: in memory, in a file (the default), or in Redis (feature `redis`), shared by a
/// fleet of workers.
///
/// A file-backed cache reads its file lazily, keeps the parsed content in memory and reads the file again
/// only when it changed; every change takes an exclusive lock on `<file>.lock`, reads the file again,
/// applies the change and writes the file whole, so several processes can share one file and none loses
/// another's entries.
///
/// A Redis-backed cache keeps one key per entry, partitioned by environment, client, tenant and account,
/// each living as long as its token; renewing a token takes a lock in Redis so that a fleet asks the
/// authority once per token (see the crate's Decisions).
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// The file; for a Redis-backed cache, the file to fall back to.
    file: Option<file::CacheFile>,
    loaded: Mutex<file::Loaded>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    #[cfg(feature = "redis")]
    shared: Option<Arc<redis_store::RedisStore>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("path", &self.inner.file.as_ref().map(file::CacheFile::path))
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// What trying the refresh lock of a shared cache gave.
pub(crate) enum RefreshLock {
    /// The cache is not shared (or fell back to its file): the turn in this process is enough.
    Unshared,
    /// This worker holds the lock until the lease is dropped.
    #[cfg(feature = "redis")]
    Held(redis_store::Lease),
    /// Another worker holds it: look for its token again after `poll`, for at most `ttl` in all.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Busy {
        /// How long to wait before looking again.
        poll: std::time::Duration,
        /// The lock's time to live: the longest a dead holder delays others.
        ttl: std::time::Duration,
    },
}

/// The extra member of an app-only access token entry that names the credential that earned it: a
/// certificate's thumbprint (`x5t:…`) or a client secret's keyed hash (`s1:…`, never the secret). MSAL
/// keeps or drops unknown members; a dropped one costs one more request, never a wrong token, because an
/// app-only token is served only to the credential whose fingerprint it carries.
pub const CREDENTIAL_MEMBER: &str = "msconnect_credential";

/// Which app-only tokens a credential may be served ([`CREDENTIAL_MEMBER`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredentialFilter<'a> {
    /// The fingerprint a token must carry.
    pub(crate) fingerprint: &'a str,
    /// Whether a token with no fingerprint (written by MSAL or the Azure CLI) is refused too: when a
    /// credential is presented to be proved (connect), yes; when a saved connection already proved it
    /// and only asks for its token, no.
    pub(crate) strict: bool,
}

/// What to look for in the cache: an access token for a client and an account (or the app itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenQuery {
    /// The authority host, lower-case, no port (`login.microsoftonline.com`).
    pub environment: String,
    /// The client the token was issued to.
    pub client_id: ClientId,
    /// The tenant id the token was issued in; `None` matches any tenant.
    pub realm: Option<String>,
    /// The account's `home_account_id` (`{uid}.{utid}`); `None` for an app-only token.
    pub home_account_id: Option<String>,
    /// Scopes the token must carry (it may carry more); `openid`, `profile` and `offline_access` are ignored.
    pub scopes: Vec<String>,
}

/// An access token found in the cache.
#[derive(Debug, Clone)]
pub struct CachedAccessToken {
    /// The token.
    pub access_token: AccessToken,
    /// When it expires (epoch seconds).
    pub expires_on: i64,
    /// The scopes it was cached with (the entry's `target`).
    pub scopes: Vec<String>,
    /// The tenant it was issued in.
    pub realm: String,
    /// The account's home account id; `None` for an app-only token.
    pub home_account_id: Option<String>,
    /// `Bearer`, usually.
    pub token_type: String,
}

/// A refresh token found in the cache, and whose it is.
pub(crate) struct FoundRefreshToken {
    pub(crate) token: RefreshToken,
    /// Whether a refusal of this token may remove it: it is this client's own, or the family's and this
    /// client is known to be in the family (a speculative try of a family token proves nothing).
    pub(crate) owned: bool,
}

/// Access tokens matching a query: one still good, and one past `refresh_on` but not yet expired, which
/// stands in when renewing it fails (as MSAL does).
#[derive(Default)]
pub(crate) struct AccessTokenSearch {
    pub(crate) fresh: Option<CachedAccessToken>,
    pub(crate) aging: Option<CachedAccessToken>,
}

impl TokenCache {
    /// A cache that lives in this process only.
    pub fn in_memory() -> Self {
        Self::with_file(None)
    }

    /// A cache kept in `path`. Nothing is read until the cache is first used; the file and its folder are
    /// created on the first write.
    pub fn open(path: impl Into<PathBuf>) -> Self {
        Self::with_file(Some(file::CacheFile::new(path.into())))
    }

    /// How long a change waits for another program's lock on the cache file (msconnect's `.lock` and
    /// MSAL's `.lockfile`) before giving up with an error naming the lock file; 30 s unless set. Set it
    /// before sharing the cache (clones made earlier keep the old wait).
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner)
            && let Some(file) = inner.file.as_mut()
        {
            file.set_lock_wait(wait);
        }
        self
    }

    /// Checks that a change could be saved now: for a file, both locks can be taken and its folder (its
    /// target's, for a symlink) takes a new file. A sign-in calls this before it sends a credential, so
    /// that no token is bought that could not be kept. Memory and Redis caches have nothing to check.
    pub fn check_writable(&self) -> Result<()> {
        if self.url().is_some() {
            return Ok(());
        }
        match &self.inner.file {
            Some(file) => file.check_writable(),
            None => Ok(()),
        }
    }

    /// The cache of msconnect: `$MSCONNECT_HOME/msal_token_cache.json`.
    pub fn default_for(env: &EnvVars) -> Result<Self> {
        Ok(Self::open(msconnect_home(env)?.join(CACHE_FILE_NAME)))
    }

    /// The cache the environment names: Redis when `MSCONNECT_CACHE_URL` is set (`redis://` or
    /// `rediss://`, with `MSCONNECT_CACHE_PASSWORD`, `MSCONNECT_CACHE_KEY`, `MSCONNECT_CACHE_FALLBACK` and
    /// `MSCONNECT_CACHE_LOCK_SECONDS`, see [`RedisOptions::from_env`]), else the file of
    /// [`default_for`](Self::default_for). Nothing is connected until the cache is first used.
    pub fn from_env(env: &EnvVars) -> Result<Self> {
        let Some(url) = env.get(CACHE_URL_VARIABLE) else {
            return Self::default_for(env);
        };
        #[cfg(feature = "redis")]
        {
            Self::redis_from(url, RedisOptions::from_env(env)?, CACHE_URL_VARIABLE)
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            Err(Error::invalid(
                CACHE_URL_VARIABLE,
                "this build has no Redis token cache: enable auth-core's `redis` feature, or unset it",
            ))
        }
    }

    /// A cache in Redis at `url` (`redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS),
    /// shared by every worker that names the same server and key prefix. The URL is checked now; the
    /// connection is made on first use.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str, options: RedisOptions) -> Result<Self> {
        Self::redis_from(url, options, "url")
    }

    #[cfg(feature = "redis")]
    fn redis_from(url: &str, options: RedisOptions, parameter: &str) -> Result<Self> {
        let fallback = options.fallback.clone().map(file::CacheFile::new);
        let store = redis_store::RedisStore::new(url, options, parameter)?;
        let mut cache = Self::with_file(fallback);
        if let Some(inner) = Arc::get_mut(&mut cache.inner) {
            inner.shared = Some(Arc::new(store));
        }
        Ok(cache)
    }

    fn with_file(file: Option<file::CacheFile>) -> Self {
        Self {
            inner: Arc::new(Inner {
                file,
                loaded: Mutex::new(file::Loaded::default()),
                flights: Mutex::new(HashMap::new()),
                #[cfg(feature = "redis")]
                shared: None,
            }),
        }
    }

    /// The file, for a file-backed cache (`None` for a Redis-backed one, even with a fallback file).
    pub fn path(&self) -> Option<&Path> {
        if self.url().is_some() {
            return None;
        }
        self.inner.file.as_ref().map(file::CacheFile::path)
    }

    /// The Redis URL (without its password), for a Redis-backed cache.
    pub fn url(&self) -> Option<&str> {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.shared {
            return Some(store.url());
        }
        None
    }

    /// Where the tokens are, for messages: the Redis URL, the file, or this process's memory.
    pub(crate) fn location(&self) -> String {
        match (self.url(), self.path()) {
            (Some(url), _) => format!("the token cache {url}"),
            (None, Some(path)) => format!("the token cache {}", path.display()),
            (None, None) => "the token cache".into(),
        }
    }

    /// Runs `op` on Redis when the cache is Redis-backed: `Ok(None)` when it is not, or when Redis is
    /// unreachable and a fallback file is configured (then once with a warning, and for good).
    #[cfg(feature = "redis")]
    fn on_shared<R>(&self, op: impl FnOnce(&Arc<redis_store::RedisStore>) -> Result<R>) -> Result<Option<R>> {
        let Some(store) = &self.inner.shared else {
            return Ok(None);
        };
        if store.fallen_back() {
            return Ok(None);
        }
        match op(store) {
            Ok(value) => Ok(Some(value)),
            Err(
                error @ Error::CacheServer {
                    unreachable: true, ..
                },
            ) => match &self.inner.file {
                Some(file) => {
                    if store.fall_back() {
                        tracing::warn!(target: "msconnect::cache", "{error}; using the local token cache {} instead ({}=file)", file.path().display(), CACHE_FALLBACK_VARIABLE);
                    }
                    Ok(None)
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// Stores everything a token response brings: the access token (app-only ones too, with
    /// `home_account_id` null), and when present the refresh token, ID token and account, plus the app's
    /// metadata. `requested_scopes` join the granted ones in the entry's `target`, so that asking again
    /// for the same scopes (notably `{resource}/.default`, answered with the list of granted permissions)
    /// finds the token.
    pub fn save(&self, result: &TokenResult, requested_scopes: &[String]) -> Result<()> {
        self.save_at(result, requested_scopes, None, SystemTime::now())
    }

    /// [`save`](Self::save) at a given time, naming the grant that established the account (MSAL's
    /// `account_source`: `authorization_code`, `urn:ietf:params:oauth:grant-type:device_code`, `password`).
    pub fn save_at(
        &self,
        result: &TokenResult,
        requested_scopes: &[String],
        account_source: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        self.save_with_credential(result, requested_scopes, account_source, None, now)
    }

    /// [`save_at`](Self::save_at), an app-only access token marked with the fingerprint of the credential
    /// that earned it ([`CREDENTIAL_MEMBER`]).
    pub fn save_with_credential(
        &self,
        result: &TokenResult,
        requested_scopes: &[String],
        account_source: Option<&str>,
        credential: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        let entries_for = |result, requested_scopes, account_source, now| {
            let mut entries = entries_for(result, requested_scopes, account_source, now);
            if let Some(credential) = credential {
                for (map, entry) in &mut entries {
                    if *map == ACCESS_TOKEN && is_app_only(entry) {
                        entry.insert(CREDENTIAL_MEMBER.into(), credential.into());
                    }
                }
            }
            entries
        };
        let now = epoch_seconds(now);
        #[cfg(feature = "redis")]
        if let Some(()) = self
            .on_shared(|store| store.save(&entries_for(result, requested_scopes, account_source, now), now))?
        {
            return Ok(());
        }
        self.modify(|doc| {
            prune_expired_access_tokens(doc, now);
            for (map, entry) in entries_for(result, requested_scopes, account_source, now) {
                upsert(doc, map, entry);
            }
            true
        })
    }

    /// An access token for `query` with more than five minutes left and not past its `refresh_on`; no
    /// network, no async runtime.
    pub fn find_access_token(
        &self,
        query: &TokenQuery,
        now: SystemTime,
    ) -> Result<Option<CachedAccessToken>> {
        Ok(self.search_access_tokens(query, None, now)?.fresh)
    }

    /// Access tokens for `query`; with `credential`, app-only ones only when they carry that credential
    /// fingerprint ([`CREDENTIAL_MEMBER`]), or, unless it is [`CredentialFilter::strict`], no fingerprint
    /// at all (written by another tool).
    pub(crate) fn search_access_tokens(
        &self,
        query: &TokenQuery,
        credential: Option<CredentialFilter<'_>>,
        now: SystemTime,
    ) -> Result<AccessTokenSearch> {
        let scopes = normalized_scopes(&query.scopes);
        if scopes.is_empty() {
            return Err(Error::invalid(
                "scopes",
                "name at least one scope to look for a token",
            ));
        }
        let now = epoch_seconds(now);
        #[cfg(feature = "redis")]
        if let Some(candidates) = self.on_shared(|store| store.access_tokens(query))? {
            let index = Index::of_entries(ACCESS_TOKEN, &candidates);
            return Ok(best_access_tokens(&index, query, &scopes, credential, now));
        }
        self.read(|index| best_access_tokens(index, query, &scopes, credential, now))
    }

    /// The refresh token of an account for a client: its own, else one of its family's (FOCI). Refresh
    /// tokens are not tied to a tenant.
    pub fn find_refresh_token(
        &self,
        environment: &str,
        client_id: &ClientId,
        home_account_id: &str,
    ) -> Result<Option<RefreshToken>> {
        Ok(self
            .find_refresh_entry(environment, client_id, home_account_id)?
            .map(|found| found.token))
    }

    pub(crate) fn find_refresh_entry(
        &self,
        environment: &str,
        client_id: &ClientId,
        home_account_id: &str,
    ) -> Result<Option<FoundRefreshToken>> {
        #[cfg(feature = "redis")]
        if let Some(found) =
            self.on_shared(|store| store.refresh_token(environment, client_id, home_account_id))?
        {
            return Ok(found);
        }
        self.read(|index| {
            let of_account = || {
                index.refresh_tokens.iter().filter(|e| {
                    index.field_is(e, Field::HomeAccountId, home_account_id)
                        && index.field_is(e, Field::Environment, environment)
                        && index.str(e, Field::Secret).is_some_and(|s| !s.is_empty())
                })
            };
            let newest = |candidates: &mut dyn Iterator<Item = &index::Entry>| {
                candidates
                    .max_by_key(|e| index.number(e, Field::LastModificationTime).unwrap_or(0))
                    .and_then(|e| index.str(e, Field::Secret))
                    .map(RefreshToken::new)
            };
            let own =
                newest(&mut of_account().filter(|e| index.field_is(e, Field::ClientId, client_id.as_str())));
            if let Some(token) = own {
                return Some(FoundRefreshToken { token, owned: true });
            }
            // MSAL's rule: an app whose metadata names its family uses the family's tokens; an app never
            // seen before tries family "1"; an app known to be in no family uses only its own.
            let metadata = index.app_metadata.iter().find(|e| {
                index.field_is(e, Field::Environment, environment)
                    && index.field_is(e, Field::ClientId, client_id.as_str())
            });
            let (family, owned) = match metadata {
                Some(metadata) => (index.str(metadata, Field::FamilyId)?, true),
                None => ("1", false),
            };
            let token = newest(&mut of_account().filter(|e| index.field_is(e, Field::FamilyId, family)))?;
            Some(FoundRefreshToken { token, owned })
        })
    }

    /// Every account in the cache (one entry per account and tenant), in file order.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        #[cfg(feature = "redis")]
        if let Some(accounts) = self.on_shared(|store| store.accounts())? {
            return Ok(accounts);
        }
        self.read(|index| {
            index
                .accounts
                .iter()
                .filter_map(|e| indexed_account(index, e))
                .collect()
        })
    }

    /// The account entry of `home_account_id`, preferring the one for `realm`.
    pub(crate) fn account(
        &self,
        environment: &str,
        home_account_id: &str,
        realm: &str,
    ) -> Result<Option<Account>> {
        #[cfg(feature = "redis")]
        if let Some(account) = self.on_shared(|store| store.account(environment, home_account_id, realm))? {
            return Ok(account);
        }
        self.read(|index| {
            let mut of_home = index.accounts.iter().filter(|e| {
                index
                    .str(e, Field::HomeAccountId)
                    .is_some_and(|h| !h.is_empty() && h.eq_ignore_ascii_case(home_account_id))
                    && index
                        .str(e, Field::Environment)
                        .unwrap_or_default()
                        .eq_ignore_ascii_case(environment)
            });
            let realm_is = |e: &index::Entry| {
                index
                    .str(e, Field::Realm)
                    .unwrap_or_default()
                    .eq_ignore_ascii_case(realm)
            };
            let first = of_home.next()?;
            let chosen = if realm_is(first) {
                first
            } else {
                of_home.find(|e| realm_is(e)).unwrap_or(first)
            };
            indexed_account(index, chosen)
        })
    }

    /// Forgets an account: its access, refresh and ID tokens and its account entries, in every tenant and
    /// for every client. The apps' metadata stays.
    pub fn remove_account(&self, environment: &str, home_account_id: &str) -> Result<()> {
        #[cfg(feature = "redis")]
        if let Some(()) = self.on_shared(|store| store.remove_account(environment, home_account_id))? {
            return Ok(());
        }
        self.modify(|doc| {
            let mut changed = false;
            for map in [ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, ACCOUNT] {
                changed |= remove_where(doc, map, |e| {
                    field_is(e, "environment", environment) && field_is(e, "home_account_id", home_account_id)
                });
            }
            changed
        })
    }

    /// Forgets what one connection of a user acquired: the account's access and ID tokens and refresh
    /// token for `client_id` (unless `clients_kept` has it); that refresh token, if it is a family (FOCI)
    /// one, only when `account_kept` is false or every client in `clients_kept` has a refresh token of its
    /// own, as a family client of the account without one may rely on it; the
    /// account entries only when `account_kept` is false and no token of the account is left. Tokens of
    /// other clients (another module's, the Azure CLI's, MSAL Python's) stay. A shared (Redis)
    /// cache forgets the whole account when no other connection uses it, and nothing otherwise.
    pub fn remove_connection_tokens(
        &self,
        environment: &str,
        home_account_id: &str,
        client_id: &ClientId,
        clients_kept: &[ClientId],
        account_kept: bool,
    ) -> Result<()> {
        #[cfg(feature = "redis")]
        if let Some(()) = self.on_shared(|store| {
            if account_kept {
                Ok(())
            } else {
                store.remove_account(environment, home_account_id)
            }
        })? {
            return Ok(());
        }
        let client_kept = clients_kept.contains(client_id);
        self.modify(|doc| {
            let of_account = |e: &Map<String, Value>| {
                field_is(e, "environment", environment) && field_is(e, "home_account_id", home_account_id)
            };
            // a family refresh token is a fallback for the account's other family clients: needed only
            // by one that has no refresh token of its own
            let others_have_their_own = clients_kept.iter().all(|c| {
                entries(doc, REFRESH_TOKEN).any(|e| of_account(e) && field_is(e, "client_id", c.as_str()))
            });
            let mut changed = false;
            if !client_kept {
                for map in [ACCESS_TOKEN, ID_TOKEN] {
                    changed |= remove_where(doc, map, |e| {
                        of_account(e) && field_is(e, "client_id", client_id.as_str())
                    });
                }
                changed |= remove_where(doc, REFRESH_TOKEN, |e| {
                    of_account(e)
                        && field_is(e, "client_id", client_id.as_str())
                        && (string(e, "family_id").is_none_or(|f| f.is_empty())
                            || !account_kept
                            || others_have_their_own)
                });
            }
            if !account_kept {
                let left = [ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN]
                    .iter()
                    .any(|map| entries(doc, map).any(&of_account));
                if !left {
                    changed |= remove_where(doc, ACCOUNT, |e| of_account(e));
                }
            }
            changed
        })
    }

    /// Forgets the app-only access tokens of a client in a tenant.
    pub fn remove_app_tokens(&self, environment: &str, client_id: &ClientId, realm: &str) -> Result<()> {
        #[cfg(feature = "redis")]
        if let Some(()) = self.on_shared(|store| store.remove_app_tokens(environment, client_id, realm))? {
            return Ok(());
        }
        self.modify(|doc| {
            remove_where(doc, ACCESS_TOKEN, |e| {
                is_app_only(e)
                    && field_is(e, "environment", environment)
                    && field_is(e, "client_id", client_id.as_str())
                    && field_is(e, "realm", realm)
            })
        })
    }

    /// Removes a refresh token the authority refused, if it is still the one in the cache (another process
    /// may have put a newer one there meanwhile).
    pub(crate) fn remove_refresh_token(
        &self,
        environment: &str,
        client_id: &ClientId,
        home_account_id: &str,
        dead: &RefreshToken,
    ) -> Result<()> {
        #[cfg(feature = "redis")]
        if let Some(()) =
            self.on_shared(|store| store.remove_refresh_token(environment, client_id, home_account_id, dead))?
        {
            return Ok(());
        }
        #[cfg(not(feature = "redis"))]
        let _ = client_id;
        self.modify(|doc| {
            remove_where(doc, REFRESH_TOKEN, |e| {
                field_is(e, "environment", environment)
                    && field_is(e, "home_account_id", home_account_id)
                    && string(e, "secret").is_some_and(|s| s == dead.secret())
            })
        })
    }

    /// The lock that makes concurrent silent requests for one token wait for the first.
    pub(crate) fn flight(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = lock(&self.inner.flights);
        flights.retain(|_, turn| Arc::strong_count(turn) > 1);
        flights.entry(key).or_default().clone()
    }

    /// Tries to take the shared cache's lock for renewing the token `query` names, so that one worker of
    /// the fleet asks the authority while the others wait for its token.
    pub(crate) fn try_refresh_lock(&self, query: &TokenQuery) -> Result<RefreshLock> {
        #[cfg(feature = "redis")]
        {
            let attempt = self.on_shared(|store| {
                let key = store.lock_key(query);
                let owner = uuid::Uuid::new_v4().simple().to_string();
                Ok(if store.try_lock(&key, &owner)? {
                    RefreshLock::Held(redis_store::Lease::new(store.clone(), key, owner))
                } else {
                    RefreshLock::Busy {
                        poll: store.options().lock_poll,
                        ttl: store.options().lock_ttl,
                    }
                })
            })?;
            if let Some(attempt) = attempt {
                return Ok(attempt);
            }
        }
        let _ = query;
        Ok(RefreshLock::Unshared)
    }

    fn read<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R> {
        let mut loaded = lock(&self.inner.loaded);
        if let Some(file) = &self.inner.file {
            file.refresh(&mut loaded)?;
        }
        Ok(f(&loaded.index))
    }

    /// The whole document, for tests that look at what searches do not read.
    #[cfg(test)]
    fn read_document<R>(&self, f: impl FnOnce(&Document) -> R) -> Result<R> {
        match &self.inner.file {
            Some(file) => Ok(f(&file.read_document()?)),
            None => Ok(f(&lock(&self.inner.loaded).doc)),
        }
    }

    /// A read-modify-write: under the file lock, the file is read again, changed, and written when `f`
    /// says it changed something.
    fn modify(&self, f: impl FnOnce(&mut Document) -> bool) -> Result<()> {
        let mut loaded = lock(&self.inner.loaded);
        let Some(file) = &self.inner.file else {
            file::ensure_maps(&mut loaded.doc);
            if f(&mut loaded.doc) {
                loaded.index = Index::of_document(&loaded.doc);
            }
            return Ok(());
        };
        let _lock = file.lock()?;
        file.reload_locked(&mut loaded)?;
        file::ensure_maps(&mut loaded.doc);
        let changed = f(&mut loaded.doc);
        let written = if changed {
            file.write_locked(&mut loaded)
        } else {
            Ok(())
        };
        // Searches read the index; the next change reads the file again under the lock.
        loaded.doc = Document::new();
        written
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data is a parsed copy of the file; a panic elsewhere cannot leave it half-changed in a way that
    // matters, since every change re-reads the file first.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The cache file's text for these sign-ins, as [`TokenCache::save_at`] would leave it after saving them
/// one by one at `now`, built without the search for an entry to merge into: the sign-ins must not overlap
/// (one per account). For large test caches, which saving one by one would take minutes to write.
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn file_text_of(
    results: &[TokenResult],
    requested_scopes: &[String],
    account_source: Option<&str>,
    now: i64,
) -> Vec<u8> {
    let mut doc = Document::new();
    file::ensure_maps(&mut doc);
    for result in results {
        for (map, entry) in entries_for(result, requested_scopes, account_source, now) {
            if let Some(Value::Object(entries)) = doc.get_mut(map) {
                entries.insert(key_of(map, &entry), Value::Object(entry));
            }
        }
    }
    file::to_text(&doc)
}

// ---- the schema ----

/// `{a}-{b}-…`, lower-case: how MSAL spells keys (searching never relies on it).
fn key(parts: &[&str]) -> String {
    parts.join("-").to_lowercase()
}

/// Scopes without the OIDC ones, deduplicated without regard to case, sorted as MSAL sorts them.
fn normalized_scopes<S: AsRef<str>>(scopes: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        for scope in scope.as_ref().split_whitespace() {
            if !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(scope))
                && !out.iter().any(|s| s.eq_ignore_ascii_case(scope))
            {
                out.push(scope.to_owned());
            }
        }
    }
    out.sort();
    out
}

/// An entry's `target` as MSAL Python spells it, so both libraries give one token the same key and each
/// overwrites the other's entry instead of adding one beside it: the scopes of the response's `scope` as
/// the server wrote them, OIDC ones included, sorted. The requested scopes the server did not name join
/// them (a `{resource}/.default` comes back as the permissions it stands for), so asking again finds the
/// token; without a `scope` in the response, the requested scopes are all there is.
fn target_of(result: &TokenResult, requested_scopes: &[String]) -> String {
    let mut scopes: Vec<String> = Vec::new();
    let granted = result.granted_scope.as_deref().map(str::split_whitespace);
    for scope in granted
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .chain(normalized_scopes(result.scopes.iter().chain(requested_scopes)))
    {
        if !scopes.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
            scopes.push(scope);
        }
    }
    scopes.sort();
    scopes.join(" ")
}

/// The entries a token result becomes, each with the map it goes in.
fn entries_for(
    result: &TokenResult,
    requested_scopes: &[String],
    account_source: Option<&str>,
    now: i64,
) -> Vec<(&'static str, Map<String, Value>)> {
    let home = result
        .account
        .as_ref()
        .map(|a| a.home_account_id.clone())
        .or_else(|| result.client_info.as_ref().map(|c| c.home_account_id()))
        .filter(|h| !h.is_empty());
    let environment = result.environment.to_ascii_lowercase();
    let client_id = result.client_id.as_str();
    let realm = result.tenant_id.to_ascii_lowercase();
    let target = target_of(result, requested_scopes);
    let object = |value: Value| match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut out = Vec::new();

    let mut at = object(json!({
        "credential_type": ACCESS_TOKEN,
        "secret": result.access_token.secret(),
        "home_account_id": home,
        "environment": environment,
        "client_id": client_id,
        "target": target,
        "realm": realm,
        "token_type": result.token_type,
        "cached_at": now.to_string(),
        "expires_on": result.expires_on.to_string(),
        "extended_expires_on": result.ext_expires_on.unwrap_or(result.expires_on).to_string(),
    }));
    if let Some(refresh_on) = result.refresh_on {
        at.insert("refresh_on".into(), refresh_on.to_string().into());
    }
    out.push((ACCESS_TOKEN, at));

    if let (Some(home), Some(account)) = (&home, &result.account) {
        let mut entry = object(json!({
            "home_account_id": home,
            "environment": environment,
            "realm": realm,
            "local_account_id": account.local_account_id,
            "username": account.username,
            "authority_type": "MSSTS",
        }));
        if let Some(source) = account_source {
            entry.insert("account_source".into(), source.into());
        }
        out.push((ACCOUNT, entry));
    }
    if let (Some(home), Some(id_token)) = (&home, &result.id_token) {
        out.push((
            ID_TOKEN,
            object(json!({
                "credential_type": ID_TOKEN,
                "secret": id_token.secret(),
                "home_account_id": home,
                "environment": environment,
                "realm": realm,
                "client_id": client_id,
            })),
        ));
    }
    if let (Some(home), Some(refresh_token)) = (&home, &result.refresh_token) {
        let mut rt = object(json!({
            "credential_type": REFRESH_TOKEN,
            "secret": refresh_token.secret(),
            "home_account_id": home,
            "environment": environment,
            "client_id": client_id,
            "target": target,
            "last_modification_time": now.to_string(),
        }));
        if let Some(family) = &result.family_id {
            rt.insert("family_id".into(), family.as_str().into());
        }
        out.push((REFRESH_TOKEN, rt));
    }
    let mut metadata = object(json!({ "client_id": client_id, "environment": environment }));
    if let Some(family) = &result.family_id {
        metadata.insert("family_id".into(), family.as_str().into());
    }
    out.push((APP_METADATA, metadata));
    out
}

/// The key MSAL Python gives an entry (`TokenCache.key_makers`): built from the entry's fields, so every
/// tool that shares the file finds, replaces and removes the same entry. A refresh token's realm part is
/// empty (refresh tokens are cross-tenant); an access token cached under extra request parameters is an
/// `atext` entry with its `ext_cache_key` appended; the app metadata key keeps its case.
pub(crate) fn key_of(map: &str, e: &Map<String, Value>) -> String {
    let f = |name: &str| string(e, name).unwrap_or_default();
    match map {
        ACCESS_TOKEN => {
            let ext = f("ext_cache_key");
            let kind = if ext.is_empty() { "AccessToken" } else { "atext" };
            let mut parts = vec![
                f("home_account_id"),
                f("environment"),
                kind.to_owned(),
                f("client_id"),
                f("realm"),
                f("target"),
            ];
            if !ext.is_empty() {
                parts.push(ext);
            }
            key(&parts.iter().map(String::as_str).collect::<Vec<_>>())
        }
        REFRESH_TOKEN => key(&[
            &f("home_account_id"),
            &f("environment"),
            REFRESH_TOKEN,
            &f("client_id"),
            "",
            &f("target"),
        ]),
        ID_TOKEN => key(&[
            &f("home_account_id"),
            &f("environment"),
            ID_TOKEN,
            &f("client_id"),
            &f("realm"),
            "",
        ]),
        ACCOUNT => key(&[&f("home_account_id"), &f("environment"), &f("realm")]),
        _ => format!("appmetadata-{}-{}", f("environment"), f("client_id")),
    }
}

/// Whether two entries of a map stand for the same thing, whatever their keys. A refresh token is one per
/// account and client, whatever its target.
fn same_identity(map: &str, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let same = |name: &str| match (string(a, name), string(b, name)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        (x, y) => x.unwrap_or_default().is_empty() && y.unwrap_or_default().is_empty(),
    };
    let fields: &[&str] = match map {
        ACCESS_TOKEN => &["home_account_id", "environment", "client_id", "realm"],
        REFRESH_TOKEN => &["home_account_id", "environment", "client_id"],
        ID_TOKEN => &["home_account_id", "environment", "client_id", "realm"],
        ACCOUNT => &["home_account_id", "environment", "realm"],
        _ => &["environment", "client_id"],
    };
    fields.iter().all(|f| same(f))
        && (map != ACCESS_TOKEN
            || (normalized_scopes(string(a, "target")) == normalized_scopes(string(b, "target"))
                && [a, b]
                    .iter()
                    .all(|e| !e.contains_key("ext_cache_key") && !e.contains_key("key_id"))))
}

/// Puts an entry in, merged into the entry that stands for the same thing when there is one (keeping the
/// fields we do not know, `family_id` among them), always under MSAL's key for the merged fields: when a
/// field that is part of the key changed, the entry moves to its new key and the old key goes, so MSAL
/// Python and the Azure CLI, which rebuild keys from fields, find, replace and remove this very entry.
/// Further entries that stand for the same thing (left by a tool that keyed them differently) go too:
/// one account and client has one refresh token.
///
/// A renewed refresh token keeps the target of the entry it replaces, as MSAL's `update_rt` does (only
/// the secret and `last_modification_time` change): its key stays put, so a tool that found the entry
/// before our write and updates it after still updates the one entry instead of adding a second.
fn upsert(doc: &mut Document, map: &str, mut entry: Map<String, Value>) {
    let Some(Value::Object(entries)) = doc.get_mut(map) else {
        return;
    };
    let same: Vec<String> = entries
        .iter()
        .filter(|(_, e)| e.as_object().is_some_and(|e| same_identity(map, e, &entry)))
        .map(|(k, _)| k.clone())
        .collect();
    let mut merged = match same
        .first()
        .and_then(|k| entries.get(k))
        .and_then(Value::as_object)
    {
        Some(old) => {
            let mut old = old.clone();
            // a new access token without `refresh_on` must not inherit the old one's
            if map == ACCESS_TOKEN && !entry.contains_key("refresh_on") {
                old.shift_remove("refresh_on");
            }
            if map == REFRESH_TOKEN && string(&old, "target").is_some() {
                entry.shift_remove("target");
            }
            old
        }
        None => Map::new(),
    };
    merged.extend(entry);
    let new_key = key_of(map, &merged);
    for old_key in same.iter().filter(|k| **k != new_key) {
        entries.shift_remove(old_key);
    }
    entries.insert(new_key, Value::Object(merged));
}

/// Removes the entries of a map that `pred` picks; says whether any went.
fn remove_where(doc: &mut Document, map: &str, pred: impl Fn(&Map<String, Value>) -> bool) -> bool {
    let Some(Value::Object(entries)) = doc.get_mut(map) else {
        return false;
    };
    let before = entries.len();
    entries.retain(|_, e| !e.as_object().is_some_and(&pred));
    entries.len() != before
}

/// Access tokens past their expiry are useless to every reader; MSAL Python drops them too.
fn prune_expired_access_tokens(doc: &mut Document, now: i64) {
    remove_where(doc, ACCESS_TOKEN, |e| {
        number(e, "expires_on").is_some_and(|t| t < now)
    });
}

/// The object entries of one map (searches read the index instead).
fn entries<'d>(doc: &'d Document, map: &str) -> impl Iterator<Item = &'d Map<String, Value>> {
    doc.get(map)
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_object)
}

fn string(e: &Map<String, Value>, name: &str) -> Option<String> {
    match e.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A timestamp or count, written as a string (the schema) or a number (some SDKs).
fn number(e: &Map<String, Value>, name: &str) -> Option<i64> {
    string(e, name)?.trim().parse().ok()
}

/// Whether a field holds `value`, compared without regard to case (ids and hosts are case-insensitive).
fn field_is(e: &Map<String, Value>, name: &str, value: &str) -> bool {
    string(e, name).is_some_and(|v| v.eq_ignore_ascii_case(value))
}

/// An app-only entry: `home_account_id` null (what MSAL writes), absent or empty.
fn is_app_only(e: &Map<String, Value>) -> bool {
    string(e, "home_account_id").is_none_or(|h| h.is_empty())
}

/// Whether an entry is a bearer token for the query; `scopes` are the query's, normalized. The cheapest
/// and most telling comparisons come first: a large cache is mostly other accounts' tokens.
fn access_token_matches(index: &Index, e: &index::Entry, q: &TokenQuery, scopes: &[String]) -> bool {
    let home_matches = match &q.home_account_id {
        Some(home) => index.field_is(e, Field::HomeAccountId, home),
        None => index.str(e, Field::HomeAccountId).is_none_or(str::is_empty),
    };
    // Tokens bound to a key (PoP, SSH certificates) or cached under extra request parameters are not
    // bearer tokens for this query: leave them to whoever asked for them.
    let bearer = || {
        index
            .str(e, Field::TokenType)
            .is_none_or(|t| t.eq_ignore_ascii_case("bearer"))
            && !e.has_ext_cache_key
            && !e.has_key_id
    };
    // The target's scopes without the OIDC ones carry every scope asked for (which has none of those).
    let carries = |scope: &String| {
        index
            .str(e, Field::Target)
            .unwrap_or_default()
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case(scope))
    };
    home_matches
        && index.field_is(e, Field::ClientId, q.client_id.as_str())
        && q.realm
            .as_ref()
            .is_none_or(|realm| index.field_is(e, Field::Realm, realm))
        && index.field_is(e, Field::Environment, &q.environment)
        && index
            .str(e, Field::CredentialType)
            .is_none_or(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN))
        && bearer()
        && scopes.iter().all(carries)
}

/// The best access tokens of `index` for `query` (whose scopes, normalized, are `scopes`): the fresh one
/// and the aging one that expire last, each with more than [`EXPIRY_MARGIN_SECONDS`] left. The winners are
/// found first; only their secrets are copied out of the text.
fn best_access_tokens(
    index: &Index,
    query: &TokenQuery,
    scopes: &[String],
    credential: Option<CredentialFilter<'_>>,
    now: i64,
) -> AccessTokenSearch {
    let mut best: [Option<(&index::Entry, i64)>; 2] = [None, None];
    // An app-only token is served only to the credential that earned it; a user's token is the user's.
    let same_credential = |e: &index::Entry| {
        credential.is_none_or(|filter| {
            query.home_account_id.is_some()
                || match index.str(e, Field::Credential) {
                    Some(mark) => mark.eq_ignore_ascii_case(filter.fingerprint),
                    None => !filter.strict,
                }
        })
    };
    for entry in index
        .access_tokens
        .iter()
        .filter(|e| access_token_matches(index, e, query, scopes) && same_credential(e))
    {
        let Some(expires_on) = index.number(entry, Field::ExpiresOn) else {
            continue;
        };
        if index.str(entry, Field::Secret).is_none_or(str::is_empty)
            // saturating: a planted or corrupt `expires_on` of i64::MIN once overflowed here (issue 18)
            || expires_on.saturating_sub(now) <= EXPIRY_MARGIN_SECONDS
        {
            continue;
        }
        let aging = index
            .number(entry, Field::RefreshOn)
            .is_some_and(|refresh_on| refresh_on <= now);
        let slot = &mut best[usize::from(aging)];
        if slot.is_none_or(|(_, best)| best < expires_on) {
            *slot = Some((entry, expires_on));
        }
    }
    let [fresh, aging] = best;
    AccessTokenSearch {
        fresh: fresh.and_then(|(e, _)| cached_access_token(index, e)),
        aging: aging.and_then(|(e, _)| cached_access_token(index, e)),
    }
}

fn cached_access_token(index: &Index, e: &index::Entry) -> Option<CachedAccessToken> {
    Some(CachedAccessToken {
        access_token: AccessToken::new(index.str(e, Field::Secret).filter(|s| !s.is_empty())?),
        expires_on: crate::time::clamp_epoch(index.number(e, Field::ExpiresOn)?),
        scopes: index
            .str(e, Field::Target)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        realm: index.str(e, Field::Realm).unwrap_or_default().to_owned(),
        home_account_id: index
            .str(e, Field::HomeAccountId)
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        token_type: index.str(e, Field::TokenType).unwrap_or("Bearer").to_owned(),
    })
}

/// An account entry as the Redis store holds it (searches of the file read the index instead).
#[cfg(feature = "redis")]
fn account_of(e: &Map<String, Value>) -> Option<Account> {
    Some(Account {
        home_account_id: string(e, "home_account_id").filter(|h| !h.is_empty())?,
        environment: string(e, "environment").unwrap_or_default(),
        realm: string(e, "realm").unwrap_or_default(),
        local_account_id: string(e, "local_account_id").unwrap_or_default(),
        username: string(e, "username").unwrap_or_default(),
    })
}

fn indexed_account(index: &Index, e: &index::Entry) -> Option<Account> {
    let text = |field| index.str(e, field).unwrap_or_default().to_owned();
    Some(Account {
        home_account_id: index
            .str(e, Field::HomeAccountId)
            .filter(|h| !h.is_empty())?
            .to_owned(),
        environment: text(Field::Environment),
        realm: text(Field::Realm),
        local_account_id: text(Field::LocalAccountId),
        username: text(Field::Username),
    })
}

#[cfg(test)]
pub(crate) mod tests;
