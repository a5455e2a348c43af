//! The cache file on disk: private files written whole (temporary file beside the file, fsync, rename; a
//! symlinked file is written through to its target), two locks around every read-modify-write (our
//! `.lock` and msal-extensions' `.lockfile`, each waited for a bounded time, a `.lockfile` left by a
//! program that died taken over, see `lockfile.rs`), re-reading only when the file
//! changed, every document Python's `json.loads` accepts read, and only a file that is not JSON at all
//! moved aside to a named backup instead of being lost.

use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::read_file::open_regular;
use crate::time::epoch_seconds;

use super::index::{Index, Refused};
use super::lockfile::{self, Backoff, HeldLockfile};
use super::protection::{Opened, Protection, ProtectionInForce};
use super::schema::{CREDENTIAL_MAPS, Document, to_text};
use crate::private_file::{
    TEMP_MARKER, create_private_dir, private_options, resolve_symlinks, write_private_file,
};

/// What identifies one version of the file: a rewrite renames a new file into place, so the inode changes
/// even when size and modification time happen to be equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            inode: (metadata.dev(), metadata.ino()),
        }
    }
}

/// The cache as last read, and which version of the file it came from.
#[derive(Debug, Default)]
pub(super) struct Loaded {
    /// What searches read.
    pub(super) index: Index,
    /// The whole document, which changes are made to: the cache itself when it is in memory only; for a
    /// file, the version read under the lock while a change is made, and empty otherwise.
    pub(super) doc: Document,
    pub(super) stamp: Option<Stamp>,
    pub(super) fresh: bool,
    /// The document was read by the lenient reader: its lone surrogates and non-finite numbers stand as
    /// markers that writing turns back into the text they were.
    pub(super) lenient: bool,
}

/// How long a change waits for another program's lock before it gives up, naming the lock file.
pub(crate) const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

/// A cache file and its lock files.
#[derive(Debug)]
pub(super) struct CacheFile {
    path: PathBuf,
    /// msconnect's own lock: an advisory lock on `<file>.lock`, which earlier versions take.
    lock_path: PathBuf,
    /// MSAL's persistence library's lock (msal-extensions `CrossPlatLock`, used by the Azure CLI and
    /// azure-identity): `<file>.lockfile`, held by whoever created it, removed when done.
    lockfile_path: PathBuf,
    lock_wait: Duration,
    /// Plain or sealed at rest (`protection.rs`): what is read is opened, what is written sealed.
    protection: Protection,
}

/// Holds both locks until dropped: the `.lockfile` is removed first (see [`lockfile`](super::lockfile)),
/// then closing the `.lock` file releases that one.
#[must_use]
pub(super) struct LockGuard {
    // fields drop in order: the `.lockfile` before our `.lock`
    _lockfile: HeldLockfile,
    _own: File,
}

impl CacheFile {
    pub(super) fn new(path: PathBuf) -> Self {
        let sibling = |suffix: &str| {
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            path.with_file_name(name)
        };
        Self {
            lock_path: sibling(".lock"),
            lockfile_path: sibling(".lockfile"),
            path,
            lock_wait: DEFAULT_LOCK_WAIT,
            protection: Protection::default(),
        }
    }

    pub(super) fn set_protection(&mut self, protection: Protection) {
        self.protection = protection;
    }

    pub(super) fn protection(&self) -> &Protection {
        &self.protection
    }

    /// What protects the file now, or for a new or plain one, what its next write gives it.
    pub(super) fn protection_in_force(&self) -> Result<ProtectionInForce> {
        let sealed_with = match self.open()? {
            Some((mut file, _)) => {
                let mut first = Vec::new();
                (&mut file)
                    .take(256)
                    .read_to_end(&mut first)
                    .map_err(|source| self.io("reading the token cache", source))?;
                Protection::sealed_with(&first)
            }
            None => None,
        };
        Ok(self.protection.in_force(sealed_with))
    }

    pub(super) fn set_lock_wait(&mut self, wait: Duration) {
        self.lock_wait = wait;
    }

    /// How long a change waits for another program's lock (and a token's lock is waited for).
    pub(super) fn lock_wait(&self) -> Duration {
        self.lock_wait
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Brings `loaded.index` up to date with the file, reading it only when it changed since the last
    /// read. Needs no lock: every writer renames a complete file into place, so a read sees the old or the
    /// new version, never half of one. Only the index is built; the document is parsed to make a change.
    pub(super) fn refresh(&self, loaded: &mut Loaded) -> Result<()> {
        let stamp = match std::fs::metadata(&self.path) {
            Ok(metadata) => Some(Stamp::of(&metadata)),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(source) => return Err(self.io("reading the token cache", source)),
        };
        if loaded.fresh && stamp == loaded.stamp {
            return Ok(());
        }
        let Some((file, stamp)) = self.open()? else {
            self.set_empty(loaded);
            return Ok(());
        };
        // MSAL's persistence truncates the file and then writes it in place: an empty file may be one
        // halfway through a write, so look again under the lock, which that writer holds.
        if stamp.len == 0 {
            let _lock = self.lock()?;
            self.reload_locked(loaded)?;
            loaded.doc = Document::new();
            return Ok(());
        }
        let mut file = file;
        if starts_sealed(&mut file).map_err(|source| self.io("reading the token cache", source))? {
            return self.refresh_sealed(loaded, file, stamp);
        }
        match Index::read_file(file) {
            Ok(index) => {
                *loaded = Loaded {
                    index,
                    doc: Document::new(),
                    stamp: Some(stamp),
                    fresh: true,
                    lenient: false,
                }
            }
            Err(Refused::Io(source)) => return Err(self.io("reading the token cache", source)),
            // Look again under the lock before touching the file: another tool may have been writing it.
            Err(Refused::Text) => {
                let _lock = self.lock()?;
                self.reload_locked(loaded)?;
                loaded.doc = Document::new();
            }
        }
        Ok(())
    }

    /// [`refresh`](Self::refresh) of a sealed file: opened whole, then indexed. One that cannot be opened
    /// is looked at again under the lock, where [`reload_locked`](Self::reload_locked) moves it aside.
    fn refresh_sealed(&self, loaded: &mut Loaded, mut file: File, stamp: Stamp) -> Result<()> {
        let mut bytes = Vec::with_capacity(usize::try_from(stamp.len).unwrap_or(0));
        file.read_to_end(&mut bytes)
            .map_err(|source| self.io("reading the token cache", source))?;
        if let Opened::Unsealed(text) = self.protection.open(&self.path, bytes)?
            && let Ok(index) = Index::parse(text.to_vec())
        {
            *loaded = Loaded {
                index,
                doc: Document::new(),
                stamp: Some(stamp),
                fresh: true,
                lenient: false,
            };
            return Ok(());
        }
        let _lock = self.lock()?;
        self.reload_locked(loaded)?;
        loaded.doc = Document::new();
        Ok(())
    }

    /// The text of the file's bytes: opened when sealed; `None` when it cannot be opened ever, after
    /// moving it aside.
    fn unseal(&self, bytes: Vec<u8>) -> Result<Option<Vec<u8>>> {
        Ok(match self.protection.open(&self.path, bytes)? {
            Opened::Plain(bytes) => Some(bytes),
            Opened::Unsealed(text) => Some(text.to_vec()),
            Opened::Unreadable(reason) => {
                self.move_aside(&reason)?;
                None
            }
        })
    }

    /// Reads the document and its index again; the caller holds the lock. A file that is not JSON at all
    /// is moved aside; JSON that is not a token cache is an error, and the file stays as it is.
    pub(super) fn reload_locked(&self, loaded: &mut Loaded) -> Result<()> {
        let Some((bytes, stamp)) = self.read()? else {
            // a new file gets a key of its own: the one read before may be one another process found lost
            self.protection.forget_key();
            self.set_empty(loaded);
            return Ok(());
        };
        let Some(bytes) = self.unseal(bytes)? else {
            self.set_empty(loaded);
            return Ok(());
        };
        match parse(&bytes) {
            Ok((doc, lenient)) => {
                let index = if lenient {
                    Index::of_document(&doc)
                } else {
                    Index::parse(bytes).unwrap_or_else(|_| Index::of_document(&doc))
                };
                *loaded = Loaded {
                    index,
                    doc,
                    stamp: Some(stamp),
                    fresh: true,
                    lenient,
                }
            }
            Err(Unreadable::NotJson(reason)) => {
                self.move_aside(&reason)?;
                self.set_empty(loaded);
            }
            Err(Unreadable::NotACache(reason)) => {
                return Err(Error::InvalidFile {
                    path: self.path.clone(),
                    reason: format!(
                        "{reason}: it is JSON but not a token cache; msconnect leaves it as it is: move it away \
                         or repair it"
                    ),
                });
            }
        }
        Ok(())
    }

    fn set_empty(&self, loaded: &mut Loaded) {
        *loaded = Loaded {
            index: Index::default(),
            doc: Document::new(),
            stamp: None,
            fresh: true,
            lenient: false,
        };
    }

    /// The file, open, and which version it is; `None` when there is no file. Only a regular file is
    /// opened: a FIFO planted in its place (or a link to one, or to `/dev/zero`) would block the open or
    /// never end the read. The type is that of the open file, so it cannot be swapped after the look.
    fn open(&self) -> Result<Option<(File, Stamp)>> {
        Ok(open_regular(&self.path, "reading the token cache")?
            .map(|(file, metadata)| (file, Stamp::of(&metadata))))
    }

    /// The file's bytes and which version they are; `None` when there is no file.
    fn read(&self) -> Result<Option<(Vec<u8>, Stamp)>> {
        let Some((mut file, stamp)) = self.open()? else {
            return Ok(None);
        };
        let mut bytes = Vec::with_capacity(usize::try_from(stamp.len).unwrap_or(0));
        file.read_to_end(&mut bytes)
            .map_err(|source| self.io("reading the token cache", source))?;
        Ok(Some((bytes, stamp)))
    }

    /// The document as the file holds it now, for tests that look at what searches do not read.
    #[cfg(test)]
    pub(super) fn read_document(&self) -> Result<Document> {
        Ok(match self.read()? {
            Some((bytes, _)) => match self.protection.open(&self.path, bytes)? {
                Opened::Plain(bytes) => parse(&bytes).map(|(doc, _)| doc).unwrap_or_default(),
                Opened::Unsealed(text) => parse(&text).map(|(doc, _)| doc).unwrap_or_default(),
                Opened::Unreadable(_) => Document::new(),
            },
            None => Document::new(),
        })
    }

    fn move_aside(&self, reason: &str) -> Result<()> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".corrupt-{}", epoch_seconds(SystemTime::now())));
        let mut backup = self.path.with_file_name(&name);
        let mut n = 1;
        while backup.exists() {
            let mut numbered = name.clone();
            numbered.push(format!("-{n}"));
            backup = self.path.with_file_name(numbered);
            n += 1;
        }
        std::fs::rename(&self.path, &backup)
            .map_err(|source| self.io("moving aside the corrupt token cache", source))?;
        tracing::warn!(
            target: "msconnect::cache",
            "the token cache {} could not be read ({reason}); it was moved to {} and a new cache is started: \
             sign in again",
            self.path.display(),
            backup.display()
        );
        Ok(())
    }

    /// Takes both locks, waiting for other processes (and other handles of this one) to finish: first our
    /// `.lock`, then msal-extensions' `.lockfile`, so that neither msconnect nor an MSAL client (the Azure
    /// CLI, azure-identity) writes the file meanwhile. Each is waited for at most the lock wait (30 s by
    /// default); then the error names the lock file. A `.lockfile` a program that died left behind is taken
    /// over rather than waited for.
    pub(super) fn lock(&self) -> Result<LockGuard> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        let deadline = Instant::now() + self.lock_wait;
        let own = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|source| Error::Io {
                action: "opening the lock file",
                path: self.lock_path.clone(),
                source,
            })?;
        let mut backoff = Backoff::new();
        loop {
            match own.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    backoff.sleep(deadline);
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::TimedOut(format!(
                        "the token cache {} is in use: another msconnect process has held the lock {} for \
                         more than {} s; try again when it is done",
                        self.path.display(),
                        self.lock_path.display(),
                        self.lock_wait.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(Error::Io {
                        action: "locking",
                        path: self.lock_path.clone(),
                        source,
                    });
                }
            }
        }
        let lockfile = lockfile::take(&self.lockfile_path, &self.path, deadline, self.lock_wait)?;
        Ok(LockGuard {
            _lockfile: lockfile,
            _own: own,
        })
    }

    /// Whether a change could be written now: the locks can be taken and the folder of the file (of its
    /// target, for a symlink) takes a new file. Called before a sign-in sends a credential, so that a
    /// token is not bought only to be lost.
    pub(super) fn check_writable(&self) -> Result<()> {
        let _lock = self.lock()?;
        let target = resolve_symlinks(&self.path);
        let dir = target.parent().unwrap_or(Path::new(""));
        create_private_dir(dir)?;
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!("{TEMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
        let probe = target.with_file_name(name);
        private_options()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|source| Error::Io {
                action: "writing in the folder of",
                path: target.clone(),
                source,
            })?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    /// Writes the document whole; the caller holds the lock. Temporary files left by a writer that
    /// crashed are removed first: while we hold the lock, no other writer can be midway.
    pub(super) fn write_locked(&self, loaded: &mut Loaded) -> Result<()> {
        self.remove_stray_temporaries();
        let text = if loaded.lenient {
            to_text_restoring(&loaded.doc).ok_or_else(|| Error::InvalidFile {
                path: self.path.clone(),
                reason: "not written: a new entry holds the character U+10FFFF, which stands for what \
                         this file holds beyond strict JSON (lone surrogates, NaN); the file is left as it was"
                    .into(),
            })?
        } else {
            to_text(&loaded.doc)
        };
        let sealed = self.protection.seal(&self.path, &text, loaded.stamp.is_none())?;
        let metadata = write_private_file(&self.path, sealed.as_deref().unwrap_or(&text))?;
        loaded.index = Index::parse(text).unwrap_or_else(|_| Index::of_document(&loaded.doc));
        loaded.stamp = Some(Stamp::of(&metadata));
        loaded.fresh = true;
        Ok(())
    }

    fn remove_stray_temporaries(&self) {
        let target = resolve_symlinks(&self.path);
        let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
            return;
        };
        let prefix = format!("{}{TEMP_MARKER}", name.to_string_lossy());
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                tracing::debug!(target: "msconnect::cache", "removing {}, left by an interrupted write", entry.path().display());
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }
}

/// Whether the file starts as a sealed one does; it is read from its start again afterwards.
fn starts_sealed(file: &mut File) -> std::io::Result<bool> {
    use std::io::Seek as _;
    let mut first = [0u8; Protection::MAGIC_LEN];
    let sealed = match file.read_exact(&mut first) {
        Ok(()) => Protection::is_sealed(&first),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => false,
        Err(e) => return Err(e),
    };
    file.rewind()?;
    Ok(sealed)
}

/// How a file's text was not a token cache.
#[derive(Debug)]
enum Unreadable {
    /// Not JSON at all (what Python's `json.loads` refuses too): moved aside.
    NotJson(String),
    /// JSON, but not a token cache, or beyond what this reader takes: an error, and the file stays.
    NotACache(String),
}

/// Python's `json.loads` stops at about this depth (its recursion limit); so does our lenient reader.
const MAX_LENIENT_DEPTH: usize = 1000;

/// Stands in for text serde_json cannot hold: a lone surrogate escape (`\uD800`) and the non-finite
/// numbers Python writes (`NaN`, `Infinity`, `-Infinity`). A noncharacter, which the lenient reader first
/// checks the file does not already hold.
const MARKER: char = '\u{10FFFF}';

/// Parses a cache file; says whether the lenient reader was needed. An empty file is an empty cache
/// (MSAL Python reads it so too); anything else must be a JSON object whose credential maps are objects.
fn parse(bytes: &[u8]) -> std::result::Result<(Document, bool), Unreadable> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Document::new(), false));
    }
    let (value, lenient) = match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => (value, false),
        Err(strict) => (parse_lenient(bytes, &strict.to_string())?, true),
    };
    let Value::Object(doc) = value else {
        return Err(Unreadable::NotACache("its top level is not a JSON object".into()));
    };
    for name in CREDENTIAL_MAPS {
        if let Some(map) = doc.get(name)
            && !map.is_object()
        {
            return Err(Unreadable::NotACache(format!(
                "its {name} member is not an object"
            )));
        }
    }
    Ok((doc, lenient))
}

/// Reads what `json.loads` accepts and serde_json does not: lone surrogate escapes, `NaN` and
/// `Infinity`, nesting deeper than 128. They become marked strings, which [`to_text_restoring`] writes
/// back as they were.
fn parse_lenient(bytes: &[u8], strict: &str) -> std::result::Result<Value, Unreadable> {
    let text = std::str::from_utf8(bytes).map_err(|_| Unreadable::NotJson(format!("not JSON: {strict}")))?;
    if text.contains(MARKER) || text.to_ascii_lowercase().contains("\\udbff\\udfff") {
        return Err(Unreadable::NotACache(format!("not read: {strict}")));
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    let (mut depth, mut deepest, mut in_string) = (0usize, 0usize, false);
    while let Some((at, c)) = chars.next() {
        if in_string {
            match c {
                '"' => in_string = false,
                '\\' => {
                    let rest = &text[at..];
                    if let Some(code) = rest
                        .get(2..6)
                        .filter(|_| rest[1..].starts_with('u'))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                    {
                        let paired_low = || {
                            rest.get(6..8) == Some("\\u")
                                && rest
                                    .get(8..12)
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .is_some_and(|l| (0xDC00..=0xDFFF).contains(&l))
                        };
                        let lone = match code {
                            0xD800..=0xDBFF => !paired_low(),
                            0xDC00..=0xDFFF => true,
                            _ => false,
                        };
                        if lone {
                            out.push(MARKER);
                            out.push_str(&rest[1..6]);
                        } else {
                            out.push_str(&rest[..6]);
                            if (0xD800..=0xDBFF).contains(&code) {
                                out.push_str(&rest[6..12]);
                                for _ in 0..6 {
                                    chars.next();
                                }
                            }
                        }
                        for _ in 0..5 {
                            chars.next();
                        }
                        continue;
                    }
                    out.push(c);
                    if let Some((_, next)) = chars.next() {
                        out.push(next);
                    }
                    continue;
                }
                _ => {}
            }
            out.push(c);
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            'N' | 'I' | '-' => {
                let rest = &text[at..];
                if let Some(word) = ["NaN", "Infinity", "-Infinity"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))
                {
                    out.push('"');
                    out.push(MARKER);
                    out.push_str(word);
                    out.push('"');
                    for _ in 1..word.len() {
                        chars.next();
                    }
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
    }
    if deepest > MAX_LENIENT_DEPTH {
        return Err(Unreadable::NotACache(format!(
            "it is nested {deepest} deep, more than the {MAX_LENIENT_DEPTH} levels a token cache reader takes"
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_str(&out);
    deserializer.disable_recursion_limit();
    let value = <Value as serde::Deserialize>::deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|_| Unreadable::NotJson(format!("not JSON: {strict}")))?;
    Ok(value)
}

/// [`to_text`] of a document the lenient reader read: its markers become the text they stood for again.
/// `None` when a string holds the marker character itself (from a server: it chooses its tokens), which
/// could not be told from a marker when the file is read again.
fn to_text_restoring(doc: &Document) -> Option<Vec<u8>> {
    let text = String::from_utf8(to_text(doc)).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(MARKER) {
        let after = &rest[at + MARKER.len_utf8()..];
        // A marker stands for what the reader replaced only in the shapes it wrote: a whole string
        // `"<marker>NaN"` (whose opening quote is not an escaped one), or `<marker>u` and four hex digits
        // of a surrogate. Anything else is the character itself in a string: restoring it would make
        // invalid JSON (and slicing it by bytes could cut a character), keeping it would make a marker
        // of it at the next read, so the write is refused. (A string that is exactly a marker's shape,
        // such as `"<U+10FFFF>NaN"`, cannot be told from one: no real server sends the noncharacter.)
        let opening_quote = rest[..at]
            .strip_suffix('"')
            .is_some_and(|before| before.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 0);
        let surrogate = after
            .strip_prefix('u')
            .and_then(|hex| hex.get(..4))
            .filter(|hex| {
                hex.bytes().all(|b| b.is_ascii_hexdigit())
                    && matches!(hex.as_bytes()[0], b'd' | b'D')
                    && matches!(hex.as_bytes()[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
            });
        if let Some(word) = ["NaN\"", "Infinity\"", "-Infinity\""]
            .into_iter()
            .find(|w| after.starts_with(w))
            && opening_quote
        {
            out.push_str(&rest[..at - 1]);
            out.push_str(&word[..word.len() - 1]);
            rest = &after[word.len()..];
        } else if let Some(hex) = surrogate {
            out.push_str(&rest[..at]);
            out.push_str("\\u");
            out.push_str(hex);
            rest = &after[5..];
        } else {
            return None;
        }
    }
    out.push_str(rest);
    Some(out.into_bytes())
}
