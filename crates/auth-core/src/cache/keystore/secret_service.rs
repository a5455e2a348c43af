//! The freedesktop Secret Service (gnome-keyring, KWallet) over the session bus, with zbus: an item of the
//! default collection with the attributes `application=msconnect` and `msconnect-cache-key=<id>` holds the
//! key. The session is a "plain" one: the key crosses the user's own bus socket unencrypted, which only
//! the user's processes can connect to, and they could ask the Secret Service for the key anyway; the
//! Diffie-Hellman session would add a big-number and a second cipher crate for no defence that holds.
//!
//! zbus's blocking calls run on a runtime of its own, which must not be started from inside another one
//! (a sign-in reads the cache from inside the command line's runtime): every call runs on a thread of its
//! own, which also bounds how long a bus that does not answer is waited for.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};
use zeroize::Zeroizing;

use super::{DataKey, KeyStore, KeyStoreKind, Unavailable};

const SERVICE: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const DEFAULT_COLLECTION: &str = "/org/freedesktop/secrets/aliases/default";
/// The attribute that names the key.
pub(super) const KEY_ATTRIBUTE: &str = "msconnect-cache-key";

/// How long the bus is given to answer at first: a desktop answers in milliseconds.
const CONNECT_WAIT: Duration = Duration::from_secs(1);
/// How long a later call may take (a keyring may be slow to unlock its file).
const CALL_WAIT: Duration = Duration::from_secs(10);

pub(super) struct SecretService {
    connection: Connection,
    session: OwnedObjectPath,
}

impl SecretService {
    /// Connects to the session bus and opens a session with the Secret Service; an error when there is
    /// no session bus, nothing owns the Secret Service's name, or no answer comes within a second.
    pub(super) fn connect() -> Result<Self, Unavailable> {
        off_runtime(CONNECT_WAIT, || {
            let connection = zbus::blocking::connection::Builder::session()
                .and_then(|builder| builder.method_timeout(CALL_WAIT).build())
                .map_err(|e| Unavailable(format!("no session bus ({e})")))?;
            let service = Proxy::new(
                &connection,
                SERVICE,
                SERVICE_PATH,
                "org.freedesktop.Secret.Service",
            )
            .map_err(failed)?;
            let (_, session): (OwnedValue, OwnedObjectPath) = service
                .call("OpenSession", &("plain", Value::from("")))
                .map_err(failed)?;
            Ok(Self { connection, session })
        })
    }
}

impl KeyStore for SecretService {
    fn kind(&self) -> KeyStoreKind {
        KeyStoreKind::SecretService
    }

    fn load(&self, id: &str) -> Result<Option<DataKey>, Unavailable> {
        let (connection, session, id) = (self.connection.clone(), self.session.clone(), id.to_owned());
        off_runtime(CALL_WAIT, move || {
            let service = Proxy::new(
                &connection,
                SERVICE,
                SERVICE_PATH,
                "org.freedesktop.Secret.Service",
            )
            .map_err(failed)?;
            let (mut unlocked, locked): (Vec<OwnedObjectPath>, Vec<OwnedObjectPath>) =
                service.call("SearchItems", &(attributes(&id),)).map_err(failed)?;
            if unlocked.is_empty() && !locked.is_empty() {
                let (done, _prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) =
                    service.call("Unlock", &(locked,)).map_err(failed)?;
                if done.is_empty() {
                    return Err(locked_keyring());
                }
                unlocked = done;
            }
            let Some(item) = unlocked.first() else {
                return Ok(None);
            };
            let item = Proxy::new(&connection, SERVICE, item.as_str(), "org.freedesktop.Secret.Item")
                .map_err(failed)?;
            let (_, _, value, _): (OwnedObjectPath, Vec<u8>, Vec<u8>, String) =
                item.call("GetSecret", &(&session,)).map_err(failed)?;
            let value = Zeroizing::new(value);
            Ok(DataKey::from_bytes(&value))
        })
    }

    fn store(&self, id: &str, key: &DataKey) -> Result<(), Unavailable> {
        let (connection, session, id) = (self.connection.clone(), self.session.clone(), id.to_owned());
        let key = key.clone();
        off_runtime(CALL_WAIT, move || {
            let collection = Proxy::new(
                &connection,
                SERVICE,
                DEFAULT_COLLECTION,
                "org.freedesktop.Secret.Collection",
            )
            .map_err(failed)?;
            let properties = HashMap::from([
                (
                    "org.freedesktop.Secret.Item.Label",
                    Value::from("msconnect token cache key"),
                ),
                (
                    "org.freedesktop.Secret.Item.Attributes",
                    Value::from(attributes(&id)),
                ),
            ]);
            let value = Zeroizing::new(key.0.to_vec());
            let secret = (&session, Vec::<u8>::new(), &*value, "application/octet-stream");
            let (item, _prompt): (OwnedObjectPath, OwnedObjectPath) = collection
                .call("CreateItem", &(properties, secret, true))
                .map_err(failed)?;
            if item.as_str() == "/" {
                return Err(locked_keyring());
            }
            Ok(())
        })
    }
}

fn attributes(id: &str) -> HashMap<&'static str, String> {
    HashMap::from([
        ("application", "msconnect".to_owned()),
        (KEY_ATTRIBUTE, id.to_owned()),
    ])
}

fn failed(error: zbus::Error) -> Unavailable {
    Unavailable(format!("the Secret Service failed ({error})"))
}

fn locked_keyring() -> Unavailable {
    Unavailable(
        "the keyring is locked and msconnect does not prompt: unlock it (log in to the desktop, or \
         `gnome-keyring-daemon --unlock`) and try again"
            .into(),
    )
}

/// Runs `call` on a thread of its own and waits for it at most `wait`; a call that does not return in
/// time is left to finish on its own.
fn off_runtime<T: Send + 'static>(
    wait: Duration,
    call: impl FnOnce() -> Result<T, Unavailable> + Send + 'static,
) -> Result<T, Unavailable> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("msconnect-secret-service".into())
        .spawn(move || {
            let _ = sender.send(call());
        })
        .map_err(|e| Unavailable(format!("starting a thread failed ({e})")))?;
    receiver.recv_timeout(wait).unwrap_or_else(|_| {
        Err(Unavailable(format!(
            "the session bus did not answer within {} s",
            wait.as_secs()
        )))
    })
}
