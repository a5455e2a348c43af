//! Where a token cache keeps its entries: one [`Backend`] trait, and its implementations for this
//! process's memory or a file ([`Local`]) and for Redis with its fallback file ([`Shared`], feature
//! `redis`). The front ([`TokenCache`](super::TokenCache)) checks arguments, builds entries and keeps the
//! in-process turns; a backend only stores and searches, so adding a store means implementing this trait
//! rather than adding a branch to every operation.

use crate::error::Result;
use crate::ids::ClientId;
use crate::secret::RefreshToken;
use crate::token::Account;

use super::file::CacheFile;
#[cfg(test)]
use super::schema::Document;
use super::{AccessTokenSearch, CredentialFilter, FoundRefreshToken, RefreshLock, TokenQuery};

mod local;
#[cfg(feature = "redis")]
mod shared;

pub(super) use local::Local;
#[cfg(feature = "redis")]
pub(super) use shared::Shared;

/// An MSAL entry and the map it goes in.
pub(super) type Entry = (&'static str, serde_json::Map<String, serde_json::Value>);

/// What to look for in [`Backend::access_tokens`]: the query, its scopes normalized, which app-only
/// tokens the credential may be served, and the time (epoch seconds).
#[derive(Debug, Clone, Copy)]
pub(super) struct AccessTokenLookup<'a> {
    pub(super) query: &'a TokenQuery,
    pub(super) scopes: &'a [String],
    pub(super) credential: Option<CredentialFilter<'a>>,
    pub(super) now: i64,
}

/// Whose refresh token: an account's, for a client, at an authority host.
#[derive(Debug, Clone, Copy)]
pub(super) struct RefreshTokenOwner<'a> {
    pub(super) environment: &'a str,
    pub(super) client_id: &'a ClientId,
    pub(super) home_account_id: &'a str,
}

/// What one connection of a user acquired, to forget: see
/// [`TokenCache::remove_connection_tokens`](super::TokenCache::remove_connection_tokens).
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnectionTokens<'a> {
    pub(super) environment: &'a str,
    pub(super) home_account_id: &'a str,
    pub(super) client_id: &'a ClientId,
    pub(super) clients_kept: &'a [ClientId],
    pub(super) account_kept: bool,
}

/// A store of cache entries. Times are epoch seconds; every method is blocking and bounded (file locks
/// and Redis commands wait a bounded time).
pub(super) trait Backend: Send + Sync {
    /// The cache file: a file-backed cache's, or the file a shared cache falls back to.
    fn file(&self) -> Option<&CacheFile>;

    /// [`file`](Self::file), to change its settings before the cache is shared.
    fn file_mut(&mut self) -> Option<&mut CacheFile>;

    /// The URL (without its password) of a shared cache.
    fn url(&self) -> Option<&str> {
        None
    }

    /// Whether a change could be saved now (see [`TokenCache::check_writable`](super::TokenCache::check_writable)).
    fn check_writable(&self) -> Result<()>;

    /// Stores the entries of one token response, dropping expired access tokens on the way.
    fn save(&self, entries: &[Entry], now: i64) -> Result<()>;

    /// The best access tokens for a lookup.
    fn access_tokens(&self, lookup: AccessTokenLookup<'_>) -> Result<AccessTokenSearch>;

    /// The refresh token of an account for a client: its own, else its family's.
    fn refresh_token(&self, owner: RefreshTokenOwner<'_>) -> Result<Option<FoundRefreshToken>>;

    /// Every account entry.
    fn accounts(&self) -> Result<Vec<Account>>;

    /// The account entry of `home_account_id`, preferring the one for `realm`.
    fn account(&self, environment: &str, home_account_id: &str, realm: &str) -> Result<Option<Account>>;

    /// Forgets an account's tokens and account entries.
    fn remove_account(&self, environment: &str, home_account_id: &str) -> Result<()>;

    /// Forgets what one connection of a user acquired.
    fn remove_connection_tokens(&self, connection: ConnectionTokens<'_>) -> Result<()>;

    /// Forgets the app-only access tokens of a client in a tenant.
    fn remove_app_tokens(&self, environment: &str, client_id: &ClientId, realm: &str) -> Result<()>;

    /// Removes a refused refresh token if it is still the one stored.
    fn remove_refresh_token(&self, owner: RefreshTokenOwner<'_>, dead: &RefreshToken) -> Result<()>;

    /// Tries to take the lock for renewing the token `query` names; a store that only this process uses
    /// has none to take.
    fn try_refresh_lock(&self, query: &TokenQuery) -> Result<RefreshLock>;

    /// The whole document, for tests that look at what searches do not read.
    #[cfg(test)]
    fn document(&self) -> Result<Document>;

    /// The Redis store, for tests that look at its keys.
    #[cfg(all(test, feature = "redis"))]
    fn store(&self) -> Option<&std::sync::Arc<super::redis::RedisStore>> {
        None
    }
}
