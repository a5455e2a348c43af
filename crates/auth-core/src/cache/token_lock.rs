//! One lock per token for a cache file shared by several processes, as the Redis store has its lease: the
//! process that finds a token missing takes that token's lock, reads the cache again and only then asks the
//! authority; the others wait for its token. Only that token is locked, never the whole cache, so tokens
//! for other tenants are renewed meanwhile.
//!
//! The lock is an advisory lock (`flock`) on `<cache file>.locks/<hash of the token's key>.lock` (folder
//! mode 0700, file mode 0600). The kernel releases it when its holder dies, so a dead holder delays no one;
//! a live one is waited for at most the cache's lock wait. The holder removes the file while it still
//! holds the lock, so the folder does not fill with one file per token ever asked for; whoever locked a file
//! that was removed meanwhile finds that the path names another file (or none) and tries again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::lockfile::{HeldLockfile, names};
use super::{RefreshLock, TokenQuery, normalized_scopes};
use crate::private_file::{create_private_dir, private_options};

/// How long a waiter sleeps between two looks at the cache: a token request takes tens of milliseconds at
/// least, and every look costs a `stat` of the cache file and a try of the lock.
const POLL: Duration = Duration::from_millis(10);

/// Tries to take the lock of the token `query` names, for the cache file `cache`: held, or busy (wait at
/// most `wait` for its holder). A lock that cannot be made (a read-only folder) is no reason to fail a
/// token request: the process then asks without it, as it did before these locks.
pub(super) fn try_lock(cache: &Path, query: &TokenQuery, wait: Duration) -> RefreshLock {
    let path = lock_path(cache, query);
    match try_lock_at(&path) {
        Ok(Some(lock)) => RefreshLock::Held(super::Lease::File(lock)),
        Ok(None) => RefreshLock::Busy {
            poll: POLL,
            ttl: wait,
        },
        Err(error) => {
            tracing::debug!(target: "msconnect::cache", "no lock for this token ({}: {error}); asking without it", path.display());
            RefreshLock::Unshared
        }
    }
}

fn try_lock_at(path: &Path) -> std::io::Result<Option<HeldLockfile>> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(std::io::Error::other)?;
    }
    // a file removed by its holder between our open and our lock is tried again, a few times at most
    for _ in 0..3 {
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        match file.try_lock() {
            Ok(()) if names(path, &file) => return Ok(Some(HeldLockfile::new(file, path))),
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(error)) => return Err(error),
        }
    }
    Ok(None)
}

/// `<cache>.locks/<hash>.lock`: the hash of everything that tells one token from another (as the Redis
/// store's lock key), so that the name is short and holds nothing of the query.
fn lock_path(cache: &Path, query: &TokenQuery) -> PathBuf {
    let mut folder = cache.file_name().unwrap_or_default().to_os_string();
    folder.push(".locks");
    let key = [
        query.environment.to_lowercase(),
        query.client_id.as_str().to_lowercase(),
        query.realm.as_deref().unwrap_or_default().to_lowercase(),
        query
            .home_account_id
            .as_deref()
            .unwrap_or_default()
            .to_lowercase(),
        normalized_scopes(&query.scopes).join(" ").to_lowercase(),
    ]
    .join("\n");
    let digest = Sha256::digest(key.as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    cache.with_file_name(folder).join(format!("{name}.lock"))
}
