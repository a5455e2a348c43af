//! The refresh lock in Redis: taken with `SET NX PX` under a random owner, extended and released by that
//! owner only, and the [`Lease`] of the worker holding it.

use super::store::{RedisStore, millis};
use crate::cache::TokenQuery;
use crate::error::Result;

/// Makes `KEYS[1]` live `ARGV[2]` ms more only if it still holds `ARGV[1]`: the lock's owner extending it.
const EXTEND_IF_EQUAL: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

impl RedisStore {
    /// The refresh lock of the token a query asks for.
    pub(in crate::cache) fn lock_key(&self, query: &TokenQuery) -> String {
        self.keys().lock(query)
    }

    /// `SET key owner NX PX ttl`: whether this worker now holds the lock.
    pub(in crate::cache) fn try_lock(&self, key: &str, owner: &str) -> Result<bool> {
        let ttl = millis(self.options().lock_ttl);
        let set: Option<String> = self.run(|c| {
            redis::cmd("SET")
                .arg(key)
                .arg(owner)
                .arg("NX")
                .arg("PX")
                .arg(ttl)
                .query(c)
        })?;
        Ok(set.is_some())
    }

    /// Releases the lock if `owner` still holds it; says whether it did.
    pub(in crate::cache) fn unlock(&self, key: &str, owner: &str) -> Result<bool> {
        self.delete_if_equal(key, owner)
    }

    /// Gives the lock its whole time to live again if `owner` still holds it; says whether it did.
    pub(in crate::cache) fn extend_lock(&self, key: &str, owner: &str) -> Result<bool> {
        let extended: i64 = self.run(|c| {
            redis::cmd("EVAL")
                .arg(EXTEND_IF_EQUAL)
                .arg(1)
                .arg(key)
                .arg(owner)
                .arg(millis(self.options().lock_ttl))
                .query(c)
        })?;
        Ok(extended == 1)
    }
}

/// The refresh lock of one token, held by this worker until dropped: dropping releases it, if this
/// worker still owns it. While held, a thread gives the lock its whole time to live again every third of
/// it, so a renewal slower than the time to live (an authority answering slowly, retries backing off)
/// keeps the others waiting instead of letting them ask too; a worker that dies stops extending it, and
/// the others wait at most one time to live.
#[must_use]
pub(crate) struct Lease {
    store: std::sync::Arc<RedisStore>,
    key: String,
    owner: String,
    // Dropped (closed) to stop the extending thread, which is then joined.
    stop: Option<std::sync::mpsc::Sender<()>>,
    extender: Option<std::thread::JoinHandle<()>>,
}

impl Lease {
    pub(in crate::cache) fn new(store: std::sync::Arc<RedisStore>, key: String, owner: String) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let every = store.options().lock_ttl / 3;
        let (thread_store, thread_key, thread_owner) = (store.clone(), key.clone(), owner.clone());
        let extender = std::thread::Builder::new()
            .name("msconnect-lock".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    match thread_store.extend_lock(&thread_key, &thread_owner) {
                        Ok(true) => {}
                        // expired and taken by another worker: nothing more to extend
                        Ok(false) => break,
                        Err(error) => {
                            tracing::warn!(target: "msconnect::cache", "extending the refresh lock {thread_key}: {error}");
                            break;
                        }
                    }
                }
            })
            // without a thread the lock still works: it only expires after its time to live
            .map_err(|error| tracing::warn!(target: "msconnect::cache", "no thread to extend the refresh lock: {error}"))
            .ok();
        Self {
            store,
            key,
            owner,
            stop: Some(stop),
            extender,
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(extender) = self.extender.take() {
            let _ = extender.join();
        }
        if let Err(error) = self.store.unlock(&self.key, &self.owner) {
            // it expires by itself: the others wait at most its time to live
            tracing::warn!(target: "msconnect::cache", "releasing the refresh lock {}: {error}", self.key);
        }
    }
}
