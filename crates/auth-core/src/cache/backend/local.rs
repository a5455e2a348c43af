//! The cache in this process's memory, or in a file: one parsed index that searches read, and whole-document
//! read-modify-writes under the file's locks (see [`file`](super::super::file)).

use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::Result;
use crate::ids::ClientId;
use crate::secret::RefreshToken;
use crate::token::Account;

use super::super::file::{CacheFile, Loaded};
use super::super::index::{self, Field, Index};
use super::super::schema::{
    ACCESS_TOKEN, ACCOUNT, Document, ID_TOKEN, REFRESH_TOKEN, ensure_maps, entries, field_is, is_app_only,
    prune_expired_access_tokens, remove_where, string, upsert,
};
use super::super::search::{best_access_tokens, indexed_account};
use super::super::{AccessTokenSearch, FoundRefreshToken, RefreshLock, TokenQuery, lock, token_lock};
use super::{AccessTokenLookup, Backend, ConnectionTokens, Entry, RefreshTokenOwner};

/// A cache in memory (no file) or in a file.
pub(in crate::cache) struct Local {
    file: Option<CacheFile>,
    loaded: Mutex<Loaded>,
}

impl Local {
    /// In memory when `file` is `None`.
    pub(in crate::cache) fn new(file: Option<CacheFile>) -> Self {
        Self {
            file,
            loaded: Mutex::new(Loaded::default()),
        }
    }

    fn read<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R> {
        let mut loaded = lock(&self.loaded);
        if let Some(file) = &self.file {
            file.refresh(&mut loaded)?;
        }
        Ok(f(&loaded.index))
    }

    /// A read-modify-write: under the file lock, the file is read again, changed, and written when `f`
    /// says it changed something.
    fn modify(&self, f: impl FnOnce(&mut Document) -> bool) -> Result<()> {
        let mut loaded = lock(&self.loaded);
        let Some(file) = &self.file else {
            ensure_maps(&mut loaded.doc);
            if f(&mut loaded.doc) {
                loaded.index = Index::of_document(&loaded.doc);
            }
            return Ok(());
        };
        let _lock = file.lock()?;
        file.reload_locked(&mut loaded)?;
        ensure_maps(&mut loaded.doc);
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

impl Backend for Local {
    fn file(&self) -> Option<&CacheFile> {
        self.file.as_ref()
    }

    fn file_mut(&mut self) -> Option<&mut CacheFile> {
        self.file.as_mut()
    }

    fn check_writable(&self) -> Result<()> {
        match &self.file {
            Some(file) => file.check_writable(),
            None => Ok(()),
        }
    }

    fn save(&self, new: &[Entry], now: i64) -> Result<()> {
        self.modify(|doc| {
            prune_expired_access_tokens(doc, now);
            for (map, entry) in new {
                upsert(doc, map, entry.clone());
            }
            true
        })
    }

    fn access_tokens(&self, lookup: AccessTokenLookup<'_>) -> Result<AccessTokenSearch> {
        let AccessTokenLookup {
            query,
            scopes,
            credential,
            now,
        } = lookup;
        self.read(|index| best_access_tokens(index, query, scopes, credential, now))
    }

    fn refresh_token(&self, owner: RefreshTokenOwner<'_>) -> Result<Option<FoundRefreshToken>> {
        let RefreshTokenOwner {
            environment,
            client_id,
            home_account_id,
        } = owner;
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

    fn accounts(&self) -> Result<Vec<Account>> {
        self.read(|index| {
            index
                .accounts
                .iter()
                .filter_map(|e| indexed_account(index, e))
                .collect()
        })
    }

    fn account(&self, environment: &str, home_account_id: &str, realm: &str) -> Result<Option<Account>> {
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

    fn remove_account(&self, environment: &str, home_account_id: &str) -> Result<()> {
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

    fn remove_connection_tokens(&self, connection: ConnectionTokens<'_>) -> Result<()> {
        let ConnectionTokens {
            environment,
            home_account_id,
            client_id,
            clients_kept,
            account_kept,
        } = connection;
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

    fn remove_app_tokens(&self, environment: &str, client_id: &ClientId, realm: &str) -> Result<()> {
        self.modify(|doc| {
            remove_where(doc, ACCESS_TOKEN, |e| {
                is_app_only(e)
                    && field_is(e, "environment", environment)
                    && field_is(e, "client_id", client_id.as_str())
                    && field_is(e, "realm", realm)
            })
        })
    }

    /// The file holds one refresh token per account and client at most; any of the account's entries
    /// holding the refused secret goes, whichever client it was found for.
    fn remove_refresh_token(&self, owner: RefreshTokenOwner<'_>, dead: &RefreshToken) -> Result<()> {
        let RefreshTokenOwner {
            environment,
            home_account_id,
            ..
        } = owner;
        self.modify(|doc| {
            remove_where(doc, REFRESH_TOKEN, |e| {
                field_is(e, "environment", environment)
                    && field_is(e, "home_account_id", home_account_id)
                    && string(e, "secret").is_some_and(|s| s == dead.secret())
            })
        })
    }

    /// A file shared by several processes has one lock per token beside it (see `token_lock.rs`).
    fn try_refresh_lock(&self, query: &TokenQuery) -> Result<RefreshLock> {
        Ok(match &self.file {
            Some(file) => token_lock::try_lock(file.path(), query, file.lock_wait()),
            None => RefreshLock::Unshared,
        })
    }

    #[cfg(test)]
    fn document(&self) -> Result<Document> {
        match &self.file {
            Some(file) => file.read_document(),
            None => Ok(lock(&self.loaded).doc.clone()),
        }
    }
}
