//! The kernel keyring (keyrings(7)) through linux-keyutils' safe system calls: a `user` key named
//! `msconnect:cache-key:<id>` in the user's persistent keyring (persistent-keyring(7): it outlives the
//! login sessions, not a reboot, and expires after `/proc/sys/kernel/keys/persistent_keyring_expiry`
//! seconds, three days by default, unused), else in the user keyring where the kernel has no persistent
//! keyrings. Each use links the persistent keyring into the process keyring, which renews its expiry.
//!
//! The key is readable by its possessor and by the user (any process of the user, which the Secret
//! Service allows as well): a process in another session (cron, `keyctl session`) must find it too.

use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

use super::{DataKey, KeyStore, KeyStoreKind, Unavailable};

/// The prefix of the keys' descriptions.
pub(super) const DESCRIPTION_PREFIX: &str = "msconnect:cache-key:";

pub(super) struct KernelKeyring {
    ring: KeyRing,
}

impl KernelKeyring {
    /// The persistent keyring, else the user keyring; an error when the system refuses both (a container
    /// whose seccomp profile blocks `keyctl`, a kernel without keys).
    pub(super) fn open() -> Result<Self, Unavailable> {
        let ring = KeyRing::get_persistent(KeyRingIdentifier::Process)
            .or_else(|_| KeyRing::from_special_id(KeyRingIdentifier::User, true))
            .map_err(|e| Unavailable(format!("the system refuses the kernel keyring ({})", describe(e))))?;
        Ok(Self { ring })
    }
}

impl KeyStore for KernelKeyring {
    fn kind(&self) -> KeyStoreKind {
        KeyStoreKind::KernelKeyring
    }

    fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable> {
        let key = match self.ring.search(&format!("{DESCRIPTION_PREFIX}{id}")) {
            Ok(key) => key,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => return Ok(None),
            Err(e) => {
                return Err(Unavailable(format!(
                    "searching the kernel keyring failed ({})",
                    describe(e)
                )));
            }
        };
        let mut buffer = zeroize::Zeroizing::new([0u8; 64]);
        match key.read(&mut *buffer) {
            Ok(32) => Ok(DataKey::from_bytes(&buffer[..32])),
            // not a key of ours: someone else's key of that name
            Ok(_) => Ok(None),
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => Ok(None),
            Err(e) => Err(Unavailable(format!(
                "reading the kernel keyring failed ({})",
                describe(e)
            ))),
        }
    }

    fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable> {
        let added = self
            .ring
            .add_key(&format!("{DESCRIPTION_PREFIX}{id}"), key.0.as_slice())
            .map_err(|e| {
                Unavailable(format!(
                    "adding a key to the kernel keyring failed ({})",
                    describe(e)
                ))
            })?;
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::VIEW | Permission::READ | Permission::SEARCH)
            .build();
        added.set_perms(perms).map_err(|e| {
            Unavailable(format!(
                "setting the permissions of the key failed ({})",
                describe(e)
            ))
        })
    }
}

fn describe(error: KeyError) -> String {
    match error {
        KeyError::AccessDenied | KeyError::PermissionDenied => "access denied".into(),
        KeyError::QuotaExceeded => "the user's key quota is exceeded".into(),
        KeyError::OperationNotSupported => "not supported by this kernel".into(),
        KeyError::Unknown(errno) => format!("error {errno}"),
        other => format!("{other:?}"),
    }
}
