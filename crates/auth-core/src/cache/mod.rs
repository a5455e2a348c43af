//! The token cache, in the unified schema of Microsoft's own libraries (PROTOCOL section 5), so MSAL
//! Python and the Azure CLI can read what we write and we can read what they write: five maps of entries,
//! searched by their fields rather than their keys, with every field and entry we do not know kept as it
//! was when the file is rewritten.
//!
//! This module is the front: the public [`TokenCache`] API, which checks its arguments, builds the entries
//! of a token response (`schema.rs`) and keeps the in-process turns of silent requests. Where entries are
//! kept is a `backend::Backend`: memory or a file (`backend::Local`), or Redis with its fallback file
//! (`backend::Shared`, feature `redis`). Searching the parsed cache is `search.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::{AccessToken, RefreshToken};
use crate::time::epoch_seconds;
use crate::token::{Account, TokenResult};

use self::backend::Backend;
pub(crate) use self::schema::normalized_scopes;
use self::schema::{ACCESS_TOKEN, entries_for, is_app_only};
// The tests reach the schema and search helpers through `super::*`.
#[cfg(test)]
use self::schema::*;

mod backend;
mod file;
mod index;
mod keystore;
mod protection;
pub use keystore::KeyStoreKind;
pub use protection::{CacheProtection, ProtectionInForce};
mod lockfile;
#[cfg(feature = "redis")]
mod redis;
mod schema;
pub(crate) use schema::CAPABILITY_SCOPE_PREFIX;
// for the large test caches of msconnect-test-support (tests/support), which builds on the public API
#[doc(hidden)]
pub use schema::file_text_of;
#[cfg(feature = "redis")]
mod seal;
mod search;
mod token_lock;

#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisSettingNames};
#[cfg(feature = "redis")]
pub use seal::CacheKey;

/// The file name of the cache inside msconnect's folder (the Azure CLI's name for the same schema).
pub const CACHE_FILE_NAME: &str = "msal_token_cache.json";

/// An access token with this many seconds left, or fewer, counts as expired (MSAL's margin).
pub(crate) const EXPIRY_MARGIN_SECONDS: i64 = 300;

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
    /// Where the entries are kept.
    backend: Box<dyn Backend>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("path", &self.inner.backend.file().map(file::CacheFile::path))
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// The refresh lock of a token, held until dropped: a Redis store's lease, or a cache file's lock for
/// that token.
#[must_use]
// never read: each is held for what its `Drop` releases
#[allow(dead_code)]
pub(crate) enum Lease {
    #[cfg(feature = "redis")]
    Redis(redis::Lease),
    File(lockfile::HeldLockfile),
}

/// What trying the refresh lock of a token gave.
pub(crate) enum RefreshLock {
    /// The cache is only this process's (in memory): the turn in this process is enough.
    Unshared,
    /// This worker holds the lock until the lease is dropped.
    Held(Lease),
    /// Another worker holds it: look for its token again after `poll`, for at most `ttl` in all.
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
pub(crate) const CREDENTIAL_MEMBER: &str = "msconnect_credential";

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
        Self::with_backend(backend::Local::new(None))
    }

    /// A cache kept in `path`. Nothing is read until the cache is first used; the file and its folder are
    /// created on the first write.
    pub fn open(path: impl Into<PathBuf>) -> Self {
        Self::with_backend(backend::Local::new(Some(file::CacheFile::new(path.into()))))
    }

    /// How long a change waits for another program's lock on the cache file (msconnect's `.lock` and
    /// MSAL's `.lockfile`) before giving up with an error naming the lock file; 30 s unless set. Set it
    /// before sharing the cache (clones made earlier keep the old wait).
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner)
            && let Some(file) = inner.backend.file_mut()
        {
            file.set_lock_wait(wait);
        }
        self
    }

    /// How the file is kept at rest (see [`CacheProtection`]); plain unless set. `setting` names the
    /// setting in errors (`MSCONNECT_CACHE_PROTECTION` on the command line). A file is read whatever it
    /// holds; the protection decides what is written, so switching it converts the file at its next write.
    /// Set it before sharing the cache (clones made earlier keep the old protection). Memory and Redis
    /// caches have no file to protect (a Redis cache's fallback file does).
    pub fn with_protection(self, protection: CacheProtection, setting: &str) -> Self {
        self.with_protection_from(protection, setting, Arc::new(keystore::SystemKeyStores))
    }

    fn with_protection_from(
        mut self,
        protection: CacheProtection,
        setting: &str,
        stores: Arc<dyn keystore::KeyStores>,
    ) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner)
            && let Some(file) = inner.backend.file_mut()
        {
            file.set_protection(protection::Protection::new(
                protection,
                setting.to_owned(),
                stores,
            ));
        }
        self
    }

    /// Checks that the keystore the protection requires (`keyring`, `kernel`) is there; an error naming
    /// the setting and the keystore when it is not. Nothing to check for `auto`, `none`, or a cache
    /// without a file.
    pub fn check_protection(&self) -> Result<()> {
        match self.inner.backend.file() {
            Some(file) => file.protection().check(),
            None => Ok(()),
        }
    }

    /// How the file is kept at rest: what it holds now, or for a new or plain file, what its next write
    /// makes of it (for `auto`, this looks for the keystores). `None` for a cache without a file.
    pub fn protection_in_force(&self) -> Result<Option<ProtectionInForce>> {
        match self.inner.backend.file() {
            Some(file) => file.protection_in_force().map(Some),
            None => Ok(None),
        }
    }

    /// The protection set ([`with_protection`](Self::with_protection)); `None` for a cache without a file.
    pub fn protection(&self) -> Option<CacheProtection> {
        self.inner.backend.file().map(|file| file.protection().mode())
    }

    /// Checks that a change could be saved now: for a file, both locks can be taken and its folder (its
    /// target's, for a symlink) takes a new file. A sign-in calls this before it sends a credential, so
    /// that no token is bought that could not be kept. Memory and Redis caches have nothing to check.
    pub fn check_writable(&self) -> Result<()> {
        self.inner.backend.check_writable()
    }

    /// A cache in Redis at `url` (`redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS),
    /// shared by every worker that names the same server and key prefix. The URL is checked now; the
    /// connection is made on first use. Errors name the URL as [`RedisSettingNames::url`] says.
    #[cfg(feature = "redis")]
    pub fn redis(url: &str, options: RedisOptions) -> Result<Self> {
        let fallback = options.fallback.clone().map(file::CacheFile::new);
        let url_setting = options.names.url.clone();
        let store = redis::RedisStore::new(url, options, &url_setting)?;
        Ok(Self::with_backend(backend::Shared::new(store, fallback)))
    }

    fn with_backend(backend: impl Backend + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend: Box::new(backend),
                flights: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The file, for a file-backed cache (`None` for a Redis-backed one, even with a fallback file).
    pub fn path(&self) -> Option<&Path> {
        if self.url().is_some() {
            return None;
        }
        self.inner.backend.file().map(file::CacheFile::path)
    }

    /// The Redis URL (without its password), for a Redis-backed cache.
    pub fn url(&self) -> Option<&str> {
        self.inner.backend.url()
    }

    /// Where the tokens are, for messages: the Redis URL, the file, or this process's memory.
    pub(crate) fn location(&self) -> String {
        match (self.url(), self.path()) {
            (Some(url), _) => format!("the token cache {url}"),
            (None, Some(path)) => format!("the token cache {}", path.display()),
            (None, None) => "the token cache".into(),
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
    /// that earned it (`CREDENTIAL_MEMBER`).
    pub fn save_with_credential(
        &self,
        result: &TokenResult,
        requested_scopes: &[String],
        account_source: Option<&str>,
        credential: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        let now = epoch_seconds(now);
        let mut entries = entries_for(result, requested_scopes, account_source, now);
        if let Some(credential) = credential {
            for (map, entry) in &mut entries {
                if *map == ACCESS_TOKEN && is_app_only(entry) {
                    entry.insert(CREDENTIAL_MEMBER.into(), credential.into());
                }
            }
        }
        self.inner.backend.save(&entries, now)
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
        self.inner.backend.access_tokens(backend::AccessTokenLookup {
            query,
            scopes: &scopes,
            credential,
            now: epoch_seconds(now),
        })
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
        self.inner.backend.refresh_token(backend::RefreshTokenOwner {
            environment,
            client_id,
            home_account_id,
        })
    }

    /// Every account in the cache (one entry per account and tenant), in file order.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.inner.backend.accounts()
    }

    /// The account entry of `home_account_id`, preferring the one for `realm`.
    pub(crate) fn account(
        &self,
        environment: &str,
        home_account_id: &str,
        realm: &str,
    ) -> Result<Option<Account>> {
        self.inner.backend.account(environment, home_account_id, realm)
    }

    /// Forgets an account: its access, refresh and ID tokens and its account entries, in every tenant and
    /// for every client. The apps' metadata stays.
    pub fn remove_account(&self, environment: &str, home_account_id: &str) -> Result<()> {
        self.inner.backend.remove_account(environment, home_account_id)
    }

    /// Forgets what one connection of a user acquired: the account's access and ID tokens and refresh
    /// token for `client_id` (unless `clients_kept` has it); that refresh token, if it is a family (FOCI)
    /// one, only when `account_kept` is false or every client in `clients_kept` has a refresh token of its
    /// own, as a family client of the account without one may rely on it; the
    /// account entries only when `account_kept` is false and no token of the account is left. Tokens of
    /// other clients (another module's, the Azure CLI's, MSAL Python's) stay. A shared (Redis)
    /// cache forgets the whole account when no other connection uses it (only msconnect writes its
    /// keys), else the same client's keys as the file's entries.
    pub fn remove_connection_tokens(
        &self,
        environment: &str,
        home_account_id: &str,
        client_id: &ClientId,
        clients_kept: &[ClientId],
        account_kept: bool,
    ) -> Result<()> {
        self.inner
            .backend
            .remove_connection_tokens(backend::ConnectionTokens {
                environment,
                home_account_id,
                client_id,
                clients_kept,
                account_kept,
            })
    }

    /// Forgets the app-only access tokens of a client in a tenant.
    pub fn remove_app_tokens(&self, environment: &str, client_id: &ClientId, realm: &str) -> Result<()> {
        self.inner
            .backend
            .remove_app_tokens(environment, client_id, realm)
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
        let owner = backend::RefreshTokenOwner {
            environment,
            client_id,
            home_account_id,
        };
        self.inner.backend.remove_refresh_token(owner, dead)
    }

    /// The lock that makes concurrent silent requests for one token wait for the first.
    pub(crate) fn flight(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = lock(&self.inner.flights);
        flights.retain(|_, turn| Arc::strong_count(turn) > 1);
        flights.entry(key).or_default().clone()
    }

    /// Tries to take the lock for renewing the token `query` names (in Redis, or beside the cache file), so
    /// that one worker of the fleet asks the authority while the others wait for its token.
    pub(crate) fn try_refresh_lock(&self, query: &TokenQuery) -> Result<RefreshLock> {
        self.inner.backend.try_refresh_lock(query)
    }

    /// The whole document, for tests that look at what searches do not read.
    #[cfg(test)]
    fn read_document<R>(&self, f: impl FnOnce(&schema::Document) -> R) -> Result<R> {
        Ok(f(&self.inner.backend.document()?))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data is a parsed copy of the file; a panic elsewhere cannot leave it half-changed in a way that
    // matters, since every change re-reads the file first.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
pub(crate) mod tests;
