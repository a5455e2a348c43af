//! The cache file on disk: private files written whole (temporary file in the same folder, fsync, rename),
//! an exclusive lock on a sibling `.lock` file around every read-modify-write, re-reading only when the
//! file changed, and corrupt files moved aside to a named backup instead of being lost.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::time::epoch_seconds;

use super::index::{Index, Refused};
use super::{CREDENTIAL_MAPS, Document};

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
}

/// A cache file and its lock file.
#[derive(Debug)]
pub(super) struct CacheFile {
    path: PathBuf,
    lock_path: PathBuf,
}

/// Holds the exclusive lock until dropped (closing the file releases it).
#[must_use]
pub(super) struct LockGuard(#[allow(dead_code)] File);

impl CacheFile {
    pub(super) fn new(path: PathBuf) -> Self {
        let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
        lock_name.push(".lock");
        Self {
            lock_path: path.with_file_name(lock_name),
            path,
        }
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
        match Index::read_file(file) {
            Ok(index) => {
                *loaded = Loaded {
                    index,
                    doc: Document::new(),
                    stamp: Some(stamp),
                    fresh: true,
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

    /// Reads the document and its index again; the caller holds the lock. A corrupt file is moved aside.
    pub(super) fn reload_locked(&self, loaded: &mut Loaded) -> Result<()> {
        let Some((bytes, stamp)) = self.read()? else {
            self.set_empty(loaded);
            return Ok(());
        };
        match parse(&bytes) {
            Ok(doc) => {
                let index = Index::parse(bytes).unwrap_or_else(|_| Index::of_document(&doc));
                *loaded = Loaded {
                    index,
                    doc,
                    stamp: Some(stamp),
                    fresh: true,
                }
            }
            Err(reason) => {
                self.move_aside(&reason)?;
                self.set_empty(loaded);
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
        };
    }

    /// The file, open, and which version it is; `None` when there is no file.
    fn open(&self) -> Result<Option<(File, Stamp)>> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.io("reading the token cache", source)),
        };
        let metadata = file
            .metadata()
            .map_err(|source| self.io("reading the token cache", source))?;
        Ok(Some((file, Stamp::of(&metadata))))
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
            Some((bytes, _)) => parse(&bytes).unwrap_or_default(),
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

    /// Takes the exclusive lock, waiting for other processes (and other handles of this one) to finish.
    pub(super) fn lock(&self) -> Result<LockGuard> {
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir)?;
        }
        let file = private_options()
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
        file.lock().map_err(|source| Error::Io {
            action: "locking",
            path: self.lock_path.clone(),
            source,
        })?;
        Ok(LockGuard(file))
    }

    /// Writes the document whole; the caller holds the lock. Temporary files left by a writer that
    /// crashed are removed first: while we hold the lock, no other writer can be midway.
    pub(super) fn write_locked(&self, loaded: &mut Loaded) -> Result<()> {
        self.remove_stray_temporaries();
        let text = to_text(&loaded.doc);
        let metadata = write_private_file(&self.path, &text)?;
        loaded.index = Index::parse(text).unwrap_or_else(|_| Index::of_document(&loaded.doc));
        loaded.stamp = Some(Stamp::of(&metadata));
        loaded.fresh = true;
        Ok(())
    }

    fn remove_stray_temporaries(&self) {
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
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

/// Parses a cache file. An empty file is an empty cache (MSAL Python reads it so too); anything else must
/// be a JSON object whose credential maps are objects.
fn parse(bytes: &[u8]) -> std::result::Result<Document, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Document::new());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(doc) = value else {
        return Err("not a JSON object".into());
    };
    for name in CREDENTIAL_MAPS {
        if let Some(map) = doc.get(name)
            && !map.is_object()
        {
            return Err(format!("its {name} member is not an object"));
        }
    }
    Ok(doc)
}

/// The file's text: JSON indented by four spaces, as MSAL Python writes it.
pub(super) fn to_text(doc: &Document) -> Vec<u8> {
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    // A map of JSON values with string keys always serializes; there is no I/O to fail on a Vec.
    let _ = serde::Serialize::serialize(doc, &mut serializer);
    text
}

/// Marks the temporary files of an interrupted write: `<name>.tmp-<random>`.
const TEMP_MARKER: &str = ".tmp-";

fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a folder (and its parents) readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::Io {
        action: "creating the folder",
        path: dir.to_path_buf(),
        source,
    })
}

/// Replaces `path` with `bytes` so that no reader ever sees a partial file: a new file, mode 0600 from its
/// creation, in the same folder, fsynced, then renamed over the old one (and the folder fsynced so the
/// rename survives a crash). Returns the new file's metadata.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<std::fs::Metadata> {
    let io = |action: &'static str, path: &Path, source: std::io::Error| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    create_private_dir(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{TEMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
    let temporary = path.with_file_name(name);
    let written = (|| {
        let mut file = private_options().write(true).create_new(true).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        file.metadata()
    })();
    let metadata = match written {
        Ok(metadata) => metadata,
        Err(source) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(io("writing", path, source));
        }
    };
    if let Err(source) = std::fs::rename(&temporary, path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(io("replacing", path, source));
    }
    #[cfg(unix)]
    if let Ok(folder) = File::open(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        // Without this the rename may be lost in a crash; the data is already safe, so failure is not fatal.
        let _ = folder.sync_all();
    }
    Ok(metadata)
}

/// An empty map for a new cache document, with the five maps in MSAL's order.
pub(super) fn ensure_maps(doc: &mut Document) {
    for name in CREDENTIAL_MAPS {
        if !doc.contains_key(name) {
            doc.insert(name.to_owned(), Value::Object(Map::new()));
        }
    }
}
