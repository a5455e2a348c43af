//! The cache in Redis, shared by a fleet of workers ([`RedisStore`]), with the local file it falls back to
//! when the server cannot be reached (`MSCONNECT_CACHE_FALLBACK=file`): once, with a warning, and for the
//! rest of the process. The fallback rule lives here once instead of in every operation.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::RefreshToken;
use crate::token::Account;

use super::super::file::CacheFile;
use super::super::index::Index;
use super::super::redis::{Lease, RedisStore};
use super::super::schema::ACCESS_TOKEN;
#[cfg(test)]
use super::super::schema::Document;
use super::super::search::best_access_tokens;
use super::super::{AccessTokenSearch, FoundRefreshToken, RefreshLock, TokenQuery};
use super::{AccessTokenLookup, Backend, ConnectionTokens, Entry, Local, RefreshTokenOwner};

/// Redis, and the fallback: a file, or (without one) this process's memory, which is never used because
/// an unreachable server is then an error.
pub(in crate::cache) struct Shared {
    store: Arc<RedisStore>,
    fallback: Local,
}

impl Shared {
    pub(in crate::cache) fn new(store: RedisStore, fallback: Option<CacheFile>) -> Self {
        Self {
            store: Arc::new(store),
            fallback: Local::new(fallback),
        }
    }

    /// Runs `op` on Redis: `Ok(None)` when Redis is unreachable and a fallback file is configured (then
    /// once with a warning, and for good).
    fn on_store<R>(&self, op: impl FnOnce(&Arc<RedisStore>) -> Result<R>) -> Result<Option<R>> {
        if self.store.fallen_back() {
            return Ok(None);
        }
        match op(&self.store) {
            Ok(value) => Ok(Some(value)),
            Err(
                error @ Error::CacheServer {
                    unreachable: true, ..
                },
            ) => match self.fallback.file() {
                Some(file) => {
                    if self.store.fall_back() {
                        tracing::warn!(target: "msconnect::cache", "{error}; using the local token cache {} instead ({}=file)", file.path().display(), self.store.options().names.fallback);
                    }
                    Ok(None)
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// `shared` on Redis, or `local` on the fallback when Redis has been given up.
    fn either<R>(
        &self,
        shared: impl FnOnce(&Arc<RedisStore>) -> Result<R>,
        local: impl FnOnce(&Local) -> Result<R>,
    ) -> Result<R> {
        match self.on_store(shared)? {
            Some(value) => Ok(value),
            None => local(&self.fallback),
        }
    }
}

impl Backend for Shared {
    fn file(&self) -> Option<&CacheFile> {
        self.fallback.file()
    }

    fn file_mut(&mut self) -> Option<&mut CacheFile> {
        self.fallback.file_mut()
    }

    fn url(&self) -> Option<&str> {
        Some(self.store.url())
    }

    /// Nothing to check before a sign-in: a server that cannot take the token is an error at the write.
    fn check_writable(&self) -> Result<()> {
        Ok(())
    }

    fn save(&self, entries: &[Entry], now: i64) -> Result<()> {
        self.either(|store| store.save(entries, now), |local| local.save(entries, now))
    }

    fn access_tokens(&self, lookup: AccessTokenLookup<'_>) -> Result<AccessTokenSearch> {
        self.either(
            |store| {
                let candidates = store.access_tokens(lookup.query)?;
                let index = Index::of_entries(ACCESS_TOKEN, &candidates);
                Ok(best_access_tokens(
                    &index,
                    lookup.query,
                    lookup.scopes,
                    lookup.credential,
                    lookup.now,
                ))
            },
            |local| local.access_tokens(lookup),
        )
    }

    fn refresh_token(&self, owner: RefreshTokenOwner<'_>) -> Result<Option<FoundRefreshToken>> {
        self.either(
            |store| store.refresh_token(owner.environment, owner.client_id, owner.home_account_id),
            |local| local.refresh_token(owner),
        )
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.either(|store| store.accounts(), |local| local.accounts())
    }

    fn account(&self, environment: &str, home_account_id: &str, realm: &str) -> Result<Option<Account>> {
        self.either(
            |store| store.account(environment, home_account_id, realm),
            |local| local.account(environment, home_account_id, realm),
        )
    }

    fn remove_account(&self, environment: &str, home_account_id: &str) -> Result<()> {
        self.either(
            |store| store.remove_account(environment, home_account_id),
            |local| local.remove_account(environment, home_account_id),
        )
    }

    /// A shared cache forgets the whole account when no other connection uses it (only msconnect writes
    /// its keys), else what the client acquired for the account, as the file does.
    fn remove_connection_tokens(&self, connection: ConnectionTokens<'_>) -> Result<()> {
        self.either(
            |store| {
                if connection.account_kept {
                    store.remove_client_tokens(
                        connection.environment,
                        connection.home_account_id,
                        connection.client_id,
                        connection.clients_kept,
                    )
                } else {
                    // only msconnect writes these keys: the account's are all its connections' tokens
                    store.remove_account(connection.environment, connection.home_account_id)
                }
            },
            |local| local.remove_connection_tokens(connection),
        )
    }

    fn remove_app_tokens(&self, environment: &str, client_id: &ClientId, realm: &str) -> Result<()> {
        self.either(
            |store| store.remove_app_tokens(environment, client_id, realm),
            |local| local.remove_app_tokens(environment, client_id, realm),
        )
    }

    fn remove_refresh_token(&self, owner: RefreshTokenOwner<'_>, dead: &RefreshToken) -> Result<()> {
        self.either(
            |store| {
                store.remove_refresh_token(owner.environment, owner.client_id, owner.home_account_id, dead)
            },
            |local| local.remove_refresh_token(owner, dead),
        )
    }

    /// One worker of the fleet asks the authority while the others wait for its token.
    fn try_refresh_lock(&self, query: &TokenQuery) -> Result<RefreshLock> {
        let attempt = self.on_store(|store| {
            let key = store.lock_key(query);
            let owner = uuid::Uuid::new_v4().simple().to_string();
            Ok(if store.try_lock(&key, &owner)? {
                RefreshLock::Held(super::super::Lease::Redis(Lease::new(store.clone(), key, owner)))
            } else {
                RefreshLock::Busy {
                    poll: store.options().lock_poll,
                    ttl: store.options().lock_ttl,
                }
            })
        })?;
        match attempt {
            Some(lock) => Ok(lock),
            None => self.fallback.try_refresh_lock(query),
        }
    }

    #[cfg(test)]
    fn document(&self) -> Result<Document> {
        self.fallback.document()
    }

    #[cfg(test)]
    fn store(&self) -> Option<&Arc<RedisStore>> {
        Some(&self.store)
    }
}
