//! msal-extensions' lock on a cache file, `<file>.lockfile`: whoever creates it (exclusively) holds the
//! lock, writes `{pid} {program}` in it and removes it when done; the portalocker flavour also holds an
//! advisory lock (`flock`) on it meanwhile, which we take too.
//!
//! A program killed while holding it leaves the file behind, and the kernel releases its advisory lock. Such
//! a file is taken over (as msal-extensions goes ahead after its own timeout) when nobody holds its advisory
//! lock and either the process it names is not running on this host or the file is older than any write
//! takes ([`STALE_AFTER`]). Taking over is safe against other takers and against the holder's successor:
//! the taker holds the stale file's advisory lock, checks that the path still names that file, and renames
//! a new lock file of its own (already locked, naming its process) over it; anyone who opened the stale file
//! finds, once they get its lock, that the path names another file, and starts again.

use std::fs::File;
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
use crate::private_file::private_options;
use crate::read_file::{open_regular, read_regular};

/// A lock file nobody holds the advisory lock of, naming a process that is still running, is taken over
/// once it is this old: longer than any read-modify-write of the cache takes (msal-extensions itself goes
/// ahead after 5 s of waiting to create it, and 5 s more for its advisory lock). The process it names may be
/// another one that reused the PID, or one in another PID namespace sharing the folder.
pub(super) const STALE_AFTER: Duration = Duration::from_secs(10);

/// The first pause between two tries of a lock another process holds, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// The pauses between two tries of a lock: 1 ms at first, doubling up to 50 ms, each lengthened by up to
/// half of itself at random. A lock held for the few milliseconds of a cache write is retaken a
/// millisecond or two after its release (a fixed 50 ms poll cost a fleet of processes on one file most of
/// its time asleep), a long wait wakes at most twenty times a second, and many waiters do not wake in
/// step.
pub(super) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(super) fn new() -> Self {
        Self { next: FIRST_PAUSE }
    }

    /// The next pause, never past `deadline`.
    fn pause(&mut self, deadline: Instant) -> Duration {
        let base = self.next;
        self.next = (base * 2).min(LONGEST_PAUSE);
        let half = u64::try_from(base.as_micros() / 2).unwrap_or(0);
        let jitter = Duration::from_micros(uuid::Uuid::new_v4().as_u64_pair().0 % (half + 1));
        (base + jitter).min(deadline.saturating_duration_since(Instant::now()))
    }

    /// Sleeps for the next pause.
    pub(super) fn sleep(&mut self, deadline: Instant) {
        std::thread::sleep(self.pause(deadline));
    }
}

/// The most of a lock file read to learn its holder: `{pid} {program}` is short.
const MAX_HOLDER_BYTES: u64 = 4096;

/// A lock file held (the `.lockfile`, or a token's lock of `token_lock.rs`): removed when dropped, while its
/// advisory lock is still held (so that a taker, which needs that lock, cannot mistake our release for a
/// file left behind), and only if the path still names it.
#[must_use]
pub(crate) struct HeldLockfile {
    file: File,
    path: PathBuf,
}

impl HeldLockfile {
    /// `file`, whose advisory lock the caller holds, and the path it was opened at.
    pub(super) fn new(file: File, path: &Path) -> Self {
        Self {
            file,
            path: path.to_path_buf(),
        }
    }
}

impl Drop for HeldLockfile {
    fn drop(&mut self) {
        if names(&self.path, &self.file) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

/// Takes the lock file at `path`, waiting until `deadline` for its holder, taking it over when the holder
/// is gone (see the module's notes). The error names the file and its holder.
pub(super) fn take(path: &Path, cache: &Path, deadline: Instant, waited: Duration) -> Result<HeldLockfile> {
    let mut backoff = Backoff::new();
    loop {
        match private_options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut file) => {
                let _ = write!(file, "{}", holder_line());
                // Another process may hold the advisory lock on a file it did not manage to create.
                while !matches!(file.try_lock(), Ok(())) {
                    if Instant::now() >= deadline {
                        let _ = std::fs::remove_file(path);
                        return Err(busy(path, cache, waited));
                    }
                    backoff.sleep(deadline);
                }
                return Ok(HeldLockfile::new(file, path));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if let Some(taken) = take_over_if_stale(path)? {
                    return Ok(taken);
                }
                if Instant::now() >= deadline {
                    return Err(busy(path, cache, waited));
                }
                backoff.sleep(deadline);
            }
            Err(source) => {
                return Err(Error::Io {
                    action: "creating the lock file",
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
}

/// What a holder writes in the lock file, as msal-extensions does: `{pid} {program}`.
fn holder_line() -> String {
    let program = std::env::args().next().unwrap_or_else(|| "msconnect".into());
    format!("{} {program}", std::process::id())
}

/// The lock file, ours, when the one at `path` was left by a holder that is gone; `None` when it is held,
/// young, or changed meanwhile (the caller tries again).
fn take_over_if_stale(path: &Path) -> Result<Option<HeldLockfile>> {
    // removed meanwhile (its holder finished), not ours to open, or not a regular file: wait as before
    let Ok(Some((mut stale, metadata))) = open_regular(path, "reading the lock file") else {
        return Ok(None);
    };
    // A live holder of the portalocker flavour, and every msconnect, holds its advisory lock.
    if stale.try_lock().is_err() {
        return Ok(None);
    }
    // Holding its lock, check that it is still the file the path names: its holder may have removed it
    // and another created a new one since we opened it.
    if !names(path, &stale) {
        return Ok(None);
    }
    let mut text = Vec::new();
    let _ = (&mut stale).take(MAX_HOLDER_BYTES).read_to_end(&mut text);
    let holder = printable_holder(&text);
    let pid = holder
        .split_whitespace()
        .next()
        .and_then(|pid| pid.parse::<i32>().ok())
        .filter(|pid| *pid > 0);
    let age = metadata
        .modified()
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .unwrap_or_default();
    let gone = pid.is_some_and(|pid| !is_running(pid));
    if !gone && age < STALE_AFTER {
        return Ok(None);
    }
    let ours = replace_with_ours(path)?;
    let why = if gone {
        "its process is no longer running".to_owned()
    } else {
        format!("nobody holds it and it is {} s old", age.as_secs())
    };
    let held_by = if holder.is_empty() {
        String::new()
    } else {
        format!(" by process {holder}")
    };
    tracing::warn!(
        target: "msconnect::cache",
        "took over the lock file {}, left{held_by}: {why}",
        path.display()
    );
    Ok(ours)
}

/// A new lock file, locked and naming this process, renamed over the stale one (whose advisory lock the
/// caller holds): `None` if the path no longer names ours afterwards (the caller tries again).
fn replace_with_ours(path: &Path) -> Result<Option<HeldLockfile>> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".takeover-{}", uuid::Uuid::new_v4().simple()));
    let temporary = path.with_file_name(name);
    let io = |source| Error::Io {
        action: "taking over the lock file",
        path: path.to_path_buf(),
        source,
    };
    let mut ours = private_options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(io)?;
    let prepared = ours
        .try_lock()
        .map_err(|e| match e {
            std::fs::TryLockError::Error(source) => source,
            std::fs::TryLockError::WouldBlock => ErrorKind::WouldBlock.into(),
        })
        .and_then(|()| write!(ours, "{}", holder_line()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(source) = prepared {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(source));
    }
    // The stale file is gone from the path; whoever waits for its lock (the caller releases it) finds
    // that and starts again.
    if !names(path, &ours) {
        return Ok(None);
    }
    Ok(Some(HeldLockfile::new(ours, path)))
}

/// Whether `path` names `file` now (the same inode on the same device).
pub(super) fn names(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}

/// Whether a process with this id runs on this host (one we may not signal runs too).
fn is_running(pid: i32) -> bool {
    #[cfg(unix)]
    {
        // only a positive id names one process (0 and negative ones name groups)
        let Some(pid) = rustix::process::Pid::from_raw(pid).filter(|_| pid > 0) else {
            return true;
        };
        if matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        ) {
            return false;
        }
        // a zombie (killed, and its parent has not collected it yet) holds no lock and writes nothing
        !is_zombie(pid)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Whether `/proc` says the process has ended and waits for its parent to collect it (Linux).
#[cfg(unix)]
fn is_zombie(pid: rustix::process::Pid) -> bool {
    let path = format!("/proc/{}/stat", pid.as_raw_nonzero());
    let Ok(Some(stat)) = read_regular(Path::new(&path), 4096, "reading", "a process's status") else {
        return false;
    };
    // `pid (command) state …`: the command may hold spaces and parentheses, the state follows the last `)`
    let text = String::from_utf8_lossy(&stat);
    text.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

/// `{pid} {program}`, written by another program: only its printable text, and short.
fn printable_holder(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn busy(path: &Path, cache: &Path, waited: Duration) -> Error {
    let text = read_regular(path, MAX_HOLDER_BYTES as usize, "reading", "a lock file")
        .ok()
        .flatten()
        .unwrap_or_default();
    let holder = printable_holder(&text);
    let holder = if holder.is_empty() {
        String::new()
    } else {
        format!(" (held by process {holder})")
    };
    Error::TimedOut(format!(
        "the token cache {} is in use: the lock file {} has been held for more than {} s{holder}, by a \
         program that is still running; if no program is using the cache, remove that file",
        cache.display(),
        path.display(),
        waited.as_secs()
    ))
}

#[cfg(test)]
mod backoff_tests {
    use super::*;

    #[test]
    fn the_pauses_start_at_a_millisecond_double_up_to_fifty_and_never_pass_the_deadline() {
        let far = Instant::now() + Duration::from_secs(60);
        let mut backoff = Backoff::new();
        let pauses: Vec<Duration> = (0..10).map(|_| backoff.pause(far)).collect();
        for (pause, base) in pauses.iter().zip([1, 2, 4, 8, 16, 32, 50, 50, 50, 50]) {
            let base = Duration::from_millis(base);
            assert!(
                *pause >= base && *pause <= base + base / 2,
                "{pause:?} for {base:?}"
            );
        }
        let soon = Instant::now() + Duration::from_millis(3);
        assert!(backoff.pause(soon) <= Duration::from_millis(3));
        assert_eq!(backoff.pause(Instant::now()), Duration::ZERO);
    }
}
