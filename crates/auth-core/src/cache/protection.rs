//! The cache file at rest: MSAL's JSON as it is, or sealed with AES-256-GCM (ring) under a random 256-bit
//! data key that a keystore of the system keeps. Bytes in, bytes out: `file.rs` reads, locks and writes
//! the file; this module turns what it read into the document's text ([`Protection::open`]) and the text
//! into what it writes ([`Protection::seal`]).
//!
//! A sealed file is one header line, then the 12-byte nonce, the ciphertext and the 16-byte tag:
//!
//! ```text
//! msconnect-sealed-cache 1 aes-256-gcm <keystore> <key id>\n
//! ```
//!
//! `<keystore>` is `secret-service`, `kernel-keyring`, `keychain` or `dpapi`, `<key id>` 32 hex digits. The header is the
//! associated data: a file whose header is changed to name another key does not open. A file that does
//! not start with the header is read as plain JSON, whatever the protection, so switching it (`none` to
//! `auto` and back) converts the file at its next write and loses nothing.
//!
//! Reading a sealed file whose key the keystore no longer has (the kernel keyring after a reboot, a wiped
//! keyring), or that fails to authenticate (altered, damaged), gives [`Opened::Unreadable`]: the caller
//! moves it aside with a warning and starts empty. A keystore that is not there now (no session bus) is
//! an error instead, and the file stays: the key may be back with the desktop session.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

use super::keystore::{DataKey, KeyStore, KeyStoreKind, KeyStores, SystemKeyStores, Unavailable};

/// What a sealed file starts with.
const MAGIC: &[u8] = b"msconnect-sealed-cache ";
/// The version of the format this code writes and reads.
const VERSION: &str = "1";
const CIPHER: &str = "aes-256-gcm";
/// A header is far shorter; a longer first line is not one.
const MAX_HEADER: usize = 160;

/// How the token cache file is kept at rest (`MSCONNECT_CACHE_PROTECTION` of the command line).
///
/// A file is read whatever it holds (plain or sealed, the header names the keystore); the protection
/// decides what is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CacheProtection {
    /// Sealed under a key the Secret Service keeps when a session bus answers within a second, else the
    /// kernel keyring where the system allows it, else plain JSON (mode 0600), said once, when the file
    /// is created. On macOS the Keychain keeps the key, on Windows DPAPI wraps it.
    #[default]
    Auto,
    /// Sealed under a key the user's keyring keeps (the Secret Service on Linux, the Keychain on macOS,
    /// DPAPI on Windows); an error when it is not there.
    Keyring,
    /// Sealed under a key the kernel keyring keeps; an error when the system refuses it (and on every
    /// system but Linux).
    Kernel,
    /// MSAL's plain JSON, mode 0600: what MSAL Python and the Azure CLI read.
    None,
}

impl CacheProtection {
    /// The words [`FromStr`] takes, in order.
    pub const VALUES: [&'static str; 4] = ["auto", "keyring", "kernel", "none"];

    /// The keystore this protection requires, if it requires one.
    fn required(self) -> Option<KeyStoreKind> {
        match self {
            Self::Keyring => Some(KeyStoreKind::USERS_KEYRING),
            Self::Kernel => Some(KeyStoreKind::KernelKeyring),
            Self::Auto | Self::None => None,
        }
    }
}

impl FromStr for CacheProtection {
    type Err = String;

    /// `auto`, `keyring`, `kernel` or `none`, in any case.
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "keyring" => Ok(Self::Keyring),
            "kernel" => Ok(Self::Kernel),
            "none" => Ok(Self::None),
            _ => Err(format!("use one of {}", Self::VALUES.join(", "))),
        }
    }
}

impl fmt::Display for CacheProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Keyring => "keyring",
            Self::Kernel => "kernel",
            Self::None => "none",
        })
    }
}

/// How the cache file is kept: what it holds now, or for a new or plain file under `auto`, `keyring` or
/// `kernel`, what its next write makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtectionInForce {
    /// Plain JSON, mode 0600.
    Plain,
    /// AES-256-GCM under a data key this keystore keeps.
    Sealed(KeyStoreKind),
}

impl ProtectionInForce {
    /// One word for scripts: `none`, `keyring` or `kernel` (the values of the setting).
    pub fn word(self) -> &'static str {
        match self {
            Self::Plain => "none",
            Self::Sealed(store) => store.setting_word(),
        }
    }
}

impl fmt::Display for ProtectionInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain => f.write_str("plain JSON, mode 0600"),
            Self::Sealed(store) => write!(f, "AES-256-GCM, key in {store}"),
        }
    }
}

/// What a file's bytes were.
pub(super) enum Opened {
    /// Not sealed: the bytes are the text.
    Plain(Vec<u8>),
    /// Sealed, and opened: the text.
    Unsealed(Zeroizing<Vec<u8>>),
    /// Sealed, and it cannot be opened ever: its key is gone or it fails to authenticate. Why, to say.
    Unreadable(String),
}

/// The key the file was last read or written with.
struct CurrentKey {
    store: Arc<dyn KeyStore>,
    id: String,
    key: DataKey,
}

/// The protection of one cache file, and the key it is sealed with.
pub(super) struct Protection {
    mode: CacheProtection,
    /// How the setting is named in errors (`MSCONNECT_CACHE_PROTECTION` for the command line).
    setting: String,
    stores: Arc<dyn KeyStores>,
    /// Set when a sealed file is opened or written with it, cleared by every other read.
    current: Mutex<Option<CurrentKey>>,
    /// Whether the plain fallback of `auto` was said.
    warned: AtomicBool,
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Protection")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Default for Protection {
    /// Plain, as files were before protection existed and as the Azure CLI's file stays.
    fn default() -> Self {
        Self::new(
            CacheProtection::None,
            "protection".into(),
            Arc::new(SystemKeyStores),
        )
    }
}

impl Protection {
    pub(super) fn new(mode: CacheProtection, setting: String, stores: Arc<dyn KeyStores>) -> Self {
        Self {
            mode,
            setting,
            stores,
            current: Mutex::new(None),
            warned: AtomicBool::new(false),
        }
    }

    pub(super) fn mode(&self) -> CacheProtection {
        self.mode
    }

    /// Whether `bytes` (a file's first bytes, or all of them) are a sealed file's.
    pub(super) fn is_sealed(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// The length of [`MAGIC`], which [`is_sealed`](Self::is_sealed) needs to see.
    pub(super) const MAGIC_LEN: usize = MAGIC.len();

    /// Checks that the keystore a `keyring` or `kernel` protection requires is there; nothing for `auto`
    /// and `none`.
    pub(super) fn check(&self) -> Result<()> {
        match self.mode.required() {
            Some(kind) => self
                .stores
                .get(kind)
                .map(drop)
                .map_err(|e| self.required_error(kind, e)),
            None => Ok(()),
        }
    }

    /// Forgets the key the file was last read with: there is no file now.
    pub(super) fn forget_key(&self) {
        *super::lock(&self.current) = None;
    }

    /// The text of a file's bytes. `path` is for messages.
    pub(super) fn open(&self, path: &Path, bytes: Vec<u8>) -> Result<Opened> {
        // kept only when this file opens with it: a key that opened an earlier version may be gone now
        self.forget_key();
        if !Self::is_sealed(&bytes) {
            return Ok(Opened::Plain(bytes));
        }
        let header = Header::parse(&bytes).map_err(|reason| Error::InvalidFile {
            path: path.to_path_buf(),
            reason: format!(
                "{reason}; msconnect leaves it as it is: a newer msconnect may have written it, or move it away"
            ),
        })?;
        let store = self.stores.get(header.store).map_err(|e| Error::InvalidFile {
            path: path.to_path_buf(),
            reason: format!(
                "the token cache is encrypted with a key {} keeps, which is not available now: {}; the file \
                 stays as it is",
                header.store, e.0
            ),
        })?;
        let key = match store.load(&header.id) {
            Ok(Some(key)) => key,
            Ok(None) => {
                return Ok(Opened::Unreadable(format!(
                    "its key is gone from {}: a reboot empties the kernel keyring, a keyring can be wiped",
                    header.store
                )));
            }
            Err(e) => {
                return Err(Error::InvalidFile {
                    path: path.to_path_buf(),
                    reason: format!(
                        "reading its key from {} failed: {}; the file stays as it is",
                        header.store, e.0
                    ),
                });
            }
        };
        let sealed = &bytes[header.len..];
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Ok(Opened::Unreadable("it is cut short".into()));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::Random)?;
        let mut text = Zeroizing::new(ciphertext.to_vec());
        let Ok(plain) = aead(&key).open_in_place(nonce, Aad::from(&bytes[..header.len]), &mut text) else {
            return Ok(Opened::Unreadable(
                "it fails to authenticate: it was altered or damaged".into(),
            ));
        };
        let len = plain.len();
        text.truncate(len);
        *super::lock(&self.current) = Some(CurrentKey {
            store,
            id: header.id,
            key,
        });
        Ok(Opened::Unsealed(text))
    }

    /// What to write for `text`: `None` to write it as it is, else the sealed file. Under `auto`,
    /// `keyring` and `kernel`, a file read with a key of the keystore wanted keeps that key; else a new
    /// key is made and stored first. `creating` says the file does not exist yet (for the one notice of
    /// `auto`'s plain fallback).
    pub(super) fn seal(&self, path: &Path, text: &[u8], creating: bool) -> Result<Option<Vec<u8>>> {
        let mut current = super::lock(&self.current);
        let wanted = match self.mode {
            CacheProtection::None => {
                *current = None;
                return Ok(None);
            }
            CacheProtection::Auto => None,
            required => required.required(),
        };
        let keep = current
            .as_ref()
            .is_some_and(|key| wanted.is_none_or(|kind| key.store.kind() == kind));
        if !keep {
            *current = match wanted {
                Some(kind) => {
                    let store = self.stores.get(kind).map_err(|e| self.required_error(kind, e))?;
                    Some(new_key(store).map_err(|e| self.required_error(kind, e))?)
                }
                None => self.auto_key(),
            };
        }
        let Some(key) = current.as_ref() else {
            if creating && !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    target: "msconnect::cache",
                    "no keystore is available ({}): the token cache {} is kept as plain JSON, readable \
                     only by you (mode 0600)",
                    if cfg!(target_os = "linux") {
                        "no Secret Service on a session bus, no kernel keyring"
                    } else {
                        "the system's keystore refused"
                    },
                    path.display()
                );
            }
            return Ok(None);
        };
        let header = format!(
            "{}{VERSION} {CIPHER} {} {}\n",
            as_text(MAGIC),
            key.store.kind().word(),
            key.id
        );
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| Error::Random)?;
        let mut sealed = Zeroizing::new(text.to_vec());
        aead(&key.key)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header.as_bytes()),
                &mut *sealed,
            )
            .map_err(|_| Error::Random)?;
        let mut out = Vec::with_capacity(header.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(Some(out))
    }

    /// The protection the file has (a sealed one keeps it until its next write, whatever the setting), or
    /// for a new or plain file, the one its next write gives it.
    /// `sealed_with` is the keystore the file's header names, if it is sealed.
    pub(super) fn in_force(&self, sealed_with: Option<KeyStoreKind>) -> ProtectionInForce {
        if let Some(kind) = sealed_with {
            return ProtectionInForce::Sealed(kind);
        }
        match self.mode {
            CacheProtection::None => ProtectionInForce::Plain,
            CacheProtection::Auto => KeyStoreKind::OF_THIS_SYSTEM
                .iter()
                .copied()
                .find(|kind| self.stores.get(*kind).is_ok())
                .map_or(ProtectionInForce::Plain, ProtectionInForce::Sealed),
            required => required
                .required()
                .map_or(ProtectionInForce::Plain, ProtectionInForce::Sealed),
        }
    }

    /// The keystore a sealed file's header names; `None` for anything else.
    pub(super) fn sealed_with(first_line: &[u8]) -> Option<KeyStoreKind> {
        Header::parse(first_line).ok().map(|header| header.store)
    }

    /// `auto`'s key: a new one in the first keystore of this system that takes one (on Linux the Secret
    /// Service, else the kernel keyring; the Keychain on macOS; DPAPI on Windows); `None` when none does
    /// (the file stays plain).
    fn auto_key(&self) -> Option<CurrentKey> {
        for &kind in KeyStoreKind::OF_THIS_SYSTEM {
            let made = self.stores.get(kind).and_then(new_key);
            match made {
                Ok(key) => return Some(key),
                Err(e) => tracing::debug!(target: "msconnect::cache", "{kind} not used: {}", e.0),
            }
        }
        None
    }

    fn required_error(&self, kind: KeyStoreKind, e: Unavailable) -> Error {
        Error::KeyStoreUnavailable {
            setting: self.setting.clone(),
            protection: self.mode.to_string(),
            message: format!(
                "the token cache needs {kind}, which is not available: {}; nothing was written in the clear \
                 (set {}=none to keep the cache as plain JSON)",
                e.0, self.setting
            ),
        }
    }
}

/// A new random key with a new random id, stored in `store`.
fn new_key(store: Arc<dyn KeyStore>) -> std::result::Result<CurrentKey, Unavailable> {
    let random = SystemRandom::new();
    let mut key = Zeroizing::new([0u8; 32]);
    let mut id = [0u8; 16];
    random
        .fill(&mut *key)
        .and_then(|()| random.fill(&mut id))
        .map_err(|_| Unavailable("the system's random number generator failed".into()))?;
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let key = DataKey(key);
    store.store(&id, &key)?;
    Ok(CurrentKey { store, id, key })
}

fn aead(key: &DataKey) -> LessSafeKey {
    // 32 bytes is always a valid AES-256 key
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.0.as_slice()).unwrap_or_else(|_| unreachable!()))
}

fn as_text(bytes: &'static [u8]) -> &'static str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A sealed file's header line.
struct Header {
    store: KeyStoreKind,
    id: String,
    /// Its length, newline included.
    len: usize,
}

impl Header {
    fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        if !bytes.starts_with(MAGIC) {
            return Err("it has no encryption header".into());
        }
        let end = bytes
            .iter()
            .take(MAX_HEADER)
            .position(|b| *b == b'\n')
            .ok_or("its encryption header is cut short or too long")?;
        let line =
            std::str::from_utf8(&bytes[MAGIC.len()..end]).map_err(|_| "its encryption header is not text")?;
        let words: Vec<&str> = line.split(' ').collect();
        let [version, cipher, store, id] = words.as_slice() else {
            return Err("its encryption header is not one msconnect writes".into());
        };
        if *version != VERSION || *cipher != CIPHER {
            return Err(format!(
                "it is encrypted in a format this msconnect does not read (version {}, {})",
                printable(version),
                printable(cipher)
            ));
        }
        let store = KeyStoreKind::from_word(store).ok_or_else(|| {
            format!(
                "its key is kept in a keystore this msconnect does not know ({})",
                printable(store)
            )
        })?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("its encryption header names no valid key id".into());
        }
        Ok(Self {
            store,
            id: (*id).to_owned(),
            len: end + 1,
        })
    }
}

/// A word of a header, as it may be shown: short, without control characters.
fn printable(word: &str) -> String {
    word.chars().filter(|c| !c.is_control()).take(40).collect()
}
