//! The macOS Keychain, through security-framework: a generic password of the service `msconnect` and the
//! account `cache-key:<id>` in the user's default (login) keychain holds the key, as msal-extensions keeps
//! its cache in a generic password. The Keychain may ask the user to allow access the first time another
//! build of msconnect reads the item; a refusal or a locked keychain without a person to unlock it reads
//! as "not available now", never as a lost key.
//!
//! Compiled only on macOS; no test of this workspace runs there yet (ARCHITECTURE.md says what is tested
//! where).

use security_framework::passwords::{get_generic_password, set_generic_password};

use super::{DataKey, KeyStore, KeyStoreKind, Unavailable};

const SERVICE: &str = "msconnect";
/// `errSecItemNotFound`: the keychain answers that it has no such item.
const ITEM_NOT_FOUND: i32 = -25300;

pub(super) struct Keychain;

impl Keychain {
    pub(super) fn open() -> Result<Self, Unavailable> {
        Ok(Self)
    }
}

fn account(id: &str) -> String {
    format!("cache-key:{id}")
}

impl KeyStore for Keychain {
    fn kind(&self) -> KeyStoreKind {
        KeyStoreKind::Keychain
    }

    fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable> {
        match get_generic_password(SERVICE, &account(id)) {
            Ok(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                // not a key of ours: someone else's item of that name
                Ok(DataKey::from_bytes(&bytes))
            }
            Err(e) if e.code() == ITEM_NOT_FOUND => Ok(None),
            Err(e) => Err(Unavailable(format!("the Keychain refused ({e})"))),
        }
    }

    fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable> {
        set_generic_password(SERVICE, &account(id), key.0.as_slice())
            .map_err(|e| Unavailable(format!("the Keychain refused to keep the key ({e})")))
    }
}
