//! The keystores that keep the data key of an encrypted cache file: on Linux the Secret Service (a
//! desktop's gnome-keyring or KWallet, over D-Bus) and the kernel keyring (a server's), on macOS the
//! Keychain, on Windows DPAPI (the key wrapped under the user's logon credentials). The file
//! names its key by an id; a keystore answers with the key, with "no such key" (a reboot cleared the
//! kernel keyring, a wiped keyring) or with "not available now" (no session bus, system calls refused),
//! which are told apart: a lost key makes the file unreadable for good, an absent keystore does not.
//!
//! Each system compiles only its own: a file sealed under another system's keystore (a home copied from a
//! Mac to Linux) reads as "not available now". On other systems none is compiled in: there `auto` keeps
//! the plain file and `keyring`/`kernel` say they are not available.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

#[cfg(windows)]
mod dpapi;
#[cfg(target_os = "linux")]
mod kernel;
#[cfg(target_os = "macos")]
mod keychain;
#[cfg(target_os = "linux")]
mod secret_service;

/// Which keystore keeps a cache file's data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyStoreKind {
    /// The freedesktop Secret Service on the session bus (gnome-keyring, KWallet).
    SecretService,
    /// The Linux kernel keyring: the user's persistent keyring, else the user keyring.
    KernelKeyring,
    /// The macOS Keychain: a generic password in the user's default keychain.
    Keychain,
    /// Windows' Data Protection API: the key wrapped under the user's logon credentials.
    Dpapi,
}

impl KeyStoreKind {
    /// Every kind, of every system.
    const ALL: [Self; 4] = [
        Self::SecretService,
        Self::KernelKeyring,
        Self::Keychain,
        Self::Dpapi,
    ];

    /// The kinds `auto` tries on this system, in order: the user's keyring of a desktop, then the
    /// kernel's of a server.
    pub(in crate::cache) const OF_THIS_SYSTEM: &'static [Self] = if cfg!(target_os = "linux") {
        &[Self::SecretService, Self::KernelKeyring]
    } else if cfg!(target_os = "macos") {
        &[Self::Keychain]
    } else if cfg!(windows) {
        &[Self::Dpapi]
    } else {
        &[]
    };

    /// The user's keyring on this system, which the setting `keyring` requires: the Secret Service on
    /// Linux (and where none is compiled in, for its error), the Keychain on macOS, DPAPI on Windows.
    pub(in crate::cache) const USERS_KEYRING: Self = if cfg!(target_os = "macos") {
        Self::Keychain
    } else if cfg!(windows) {
        Self::Dpapi
    } else {
        Self::SecretService
    };

    /// The word the file's header holds.
    pub(in crate::cache) fn word(self) -> &'static str {
        match self {
            Self::SecretService => "secret-service",
            Self::KernelKeyring => "kernel-keyring",
            Self::Keychain => "keychain",
            Self::Dpapi => "dpapi",
        }
    }

    pub(in crate::cache) fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.word() == word)
    }

    /// The value of the setting that requires this keystore: `kernel` for the kernel keyring, `keyring`
    /// for the user's keyring of each system.
    pub(in crate::cache) fn setting_word(self) -> &'static str {
        match self {
            Self::KernelKeyring => "kernel",
            Self::SecretService | Self::Keychain | Self::Dpapi => "keyring",
        }
    }
}

impl fmt::Display for KeyStoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SecretService => "the Secret Service",
            Self::KernelKeyring => "the kernel keyring",
            Self::Keychain => "the macOS Keychain",
            Self::Dpapi => "Windows DPAPI",
        })
    }
}

/// A 256-bit data key; zeroized on drop, never printed.
#[derive(Clone)]
pub(in crate::cache) struct DataKey(pub(in crate::cache) Zeroizing<[u8; 32]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

impl DataKey {
    /// The key from a keystore's bytes; `None` unless there are exactly 32 of them.
    pub(in crate::cache) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(key)))
    }
}

/// Why a keystore could not be used: it is absent, refused, locked or did not answer. The text says
/// which, and holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::cache) struct Unavailable(pub(in crate::cache) String);

/// A place the system keeps secrets for the user, holding data keys by id.
pub(in crate::cache) trait KeyStore: Send + Sync {
    /// Which keystore this is.
    fn kind(&self) -> KeyStoreKind;
    /// The key `id` names; `Ok(None)` when the keystore answers that it has no such key.
    fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable>;
    /// Keeps `key` under `id`.
    fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable>;
}

/// How the cache finds a keystore of a kind: the system's, or (in tests) fakes.
pub(in crate::cache) trait KeyStores: Send + Sync {
    /// The keystore of `kind`, connected; an error when it is not available here and now. The Secret
    /// Service is given one second to answer.
    fn get(&self, kind: KeyStoreKind) -> Result<Arc<dyn KeyStore>, Unavailable>;
}

/// The keystores of this system.
#[derive(Debug, Default)]
pub(in crate::cache) struct SystemKeyStores;

impl KeyStores for SystemKeyStores {
    fn get(&self, kind: KeyStoreKind) -> Result<Arc<dyn KeyStore>, Unavailable> {
        match kind {
            #[cfg(target_os = "linux")]
            KeyStoreKind::KernelKeyring => Ok(Arc::new(kernel::KernelKeyring::open()?)),
            #[cfg(target_os = "linux")]
            KeyStoreKind::SecretService => Ok(Arc::new(secret_service::SecretService::connect()?)),
            #[cfg(target_os = "macos")]
            KeyStoreKind::Keychain => Ok(Arc::new(keychain::Keychain::open()?)),
            #[cfg(windows)]
            KeyStoreKind::Dpapi => Ok(Arc::new(dpapi::Dpapi::open()?)),
            #[allow(unreachable_patterns)] // every kind is compiled on none of the systems
            _ => Err(Unavailable(format!("{kind} is not supported on this system"))),
        }
    }
}

/// A keystore in memory, for the unit tests: keys can be forgotten and the store made absent.
#[cfg(test)]
pub(in crate::cache) mod fake {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::{DataKey, KeyStore, KeyStoreKind, KeyStores, Unavailable};

    #[derive(Default)]
    pub(in crate::cache) struct FakeStores {
        pub(in crate::cache) keys: Mutex<HashMap<(KeyStoreKind, String), DataKey>>,
        /// The kinds that answer.
        pub(in crate::cache) present: Mutex<Vec<KeyStoreKind>>,
    }

    impl FakeStores {
        pub(in crate::cache) fn with(present: &[KeyStoreKind]) -> Arc<Self> {
            let stores = Self::default();
            *stores.present.lock().unwrap() = present.to_vec();
            Arc::new(stores)
        }

        pub(in crate::cache) fn forget_all(&self) {
            self.keys.lock().unwrap().clear();
        }

        pub(in crate::cache) fn count(&self, kind: KeyStoreKind) -> usize {
            self.keys
                .lock()
                .unwrap()
                .keys()
                .filter(|(k, _)| *k == kind)
                .count()
        }
    }

    struct Fake(KeyStoreKind, Arc<FakeStores>);

    impl KeyStore for Fake {
        fn kind(&self) -> KeyStoreKind {
            self.0
        }

        fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable> {
            Ok(self.1.keys.lock().unwrap().get(&(self.0, id.to_owned())).cloned())
        }

        fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable> {
            self.1
                .keys
                .lock()
                .unwrap()
                .insert((self.0, id.to_owned()), key.clone());
            Ok(())
        }
    }

    impl KeyStores for Arc<FakeStores> {
        fn get(&self, kind: KeyStoreKind) -> Result<Arc<dyn KeyStore>, Unavailable> {
            if self.present.lock().unwrap().contains(&kind) {
                Ok(Arc::new(Fake(kind, self.clone())))
            } else {
                Err(Unavailable(format!("{kind} is absent in this test")))
            }
        }
    }
}
