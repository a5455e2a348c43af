//! Tests of the token cache: the schema and its search, the file and its lock, silent sign-in.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::Value;

use super::*;
use crate::authority::Authority;
use crate::ids::Tenant;
use crate::testing::{NOW, app_token_response, user_token_response};
use crate::time::from_epoch_seconds;

mod file;
mod protection;
mod reading;
mod schema;
#[cfg(feature = "redis")]
mod shared;
mod silent;

pub(super) const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
pub(super) const OTHER_CLIENT: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
pub(super) const HOME_TENANT: &str = "aaaaaaaa-0000-0000-0000-00000000000a";
pub(super) const CUSTOMER: &str = "cccccccc-0000-0000-0000-00000000000c";
pub(super) const OID: &str = "11111111-0000-0000-0000-000000000001";
pub(super) const GRAPH: &str = "https://graph.microsoft.com/.default";
pub(super) const ENV: &str = "login.microsoftonline.com";

pub(super) fn home() -> String {
    format!("{OID}.{HOME_TENANT}")
}

pub(super) fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

pub(super) fn at(seconds: i64) -> SystemTime {
    from_epoch_seconds(seconds)
}

pub(super) fn microsoft(tenant: &str) -> Authority {
    Authority::from_host(
        "https://login.microsoftonline.com",
        &Tenant::parse(tenant).unwrap(),
    )
    .unwrap()
}

/// A user's token as a sign-in at `now` returns it, in the tenant of `authority`.
pub(super) fn user_result(
    authority: &Authority,
    access_token: &str,
    refresh_token: &str,
    scope: &str,
    now: i64,
) -> TokenResult {
    let json = user_token_response(
        access_token,
        refresh_token,
        OID,
        authority.tenant().as_str(),
        "admin@contoso.com",
        scope,
    );
    // client_info names the home tenant whatever tenant the token is for
    let mut json = json;
    json["client_info"] = crate::testing::client_info(OID, HOME_TENANT).into();
    TokenResult::from_response(&json, authority, &client(), &[], at(now)).unwrap()
}

/// An app's token as client credentials at `now` return it.
pub(super) fn app_result(authority: &Authority, access_token: &str, now: i64) -> TokenResult {
    TokenResult::from_response(
        &app_token_response(access_token),
        authority,
        &client(),
        &[GRAPH.to_owned()],
        at(now),
    )
    .unwrap()
}

pub(super) fn user_query(realm: &str, scopes: &[&str]) -> TokenQuery {
    TokenQuery {
        environment: ENV.into(),
        client_id: client(),
        realm: Some(realm.into()),
        home_account_id: Some(home()),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
    }
}

pub(super) fn app_query(realm: &str) -> TokenQuery {
    TokenQuery {
        environment: ENV.into(),
        client_id: client(),
        realm: Some(realm.into()),
        home_account_id: None,
        scopes: vec![GRAPH.into()],
    }
}

/// The cache file as JSON.
pub(super) fn file_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A JSON document with every `secret` replaced by a placeholder, for snapshots.
pub(super) fn without_secrets(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if key == "secret" {
                        *member = Value::String("<secret>".into());
                    } else {
                        walk(member);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

/// The keys of one map of a cache file.
pub(super) fn keys(doc: &Value, map: &str) -> Vec<String> {
    doc[map]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// `tracing` warnings of this thread, captured while the value lives.
pub(crate) struct Warnings {
    buffer: Buffer,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Warnings {
    /// Starts capturing (a current-thread runtime polls on this thread, so async code is captured too).
    pub(crate) fn capture() -> Self {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .without_time()
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// What was printed so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.buffer.0.lock().unwrap().clone()).unwrap()
    }
}

/// Writes a file by hand (for files other tools made).
pub(super) fn write_file(path: &std::path::Path, text: &str) {
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}
