//! The saved connections of each module (account, tenant, environment, client id, flow, scopes), kept
//! under `MSCONNECT_HOME/contexts` so a later process finds them: any number a module, each under a name,
//! and which of them is the module's current one. A context never holds a secret: tokens live in the
//! token cache, and a client secret is supplied again when it is needed.
//!
//! The layout: `contexts/<module>/<name>.json` for each connection, written whole, and
//! `contexts/<module>/current` holding the current one's name, written whole and apart from them, so
//! processes connecting different names at once never overwrite each other's connection, and a reader
//! never sees half a file. The previous release kept one connection a module in `contexts/<module>.json`:
//! it is read as the connection named [`DEFAULT_NAME`], and current when no `current` file says otherwise.
//!
//! Each file holds the connection (auth-core's [`Connection`]) and the module's context
//! ([`ConnectionFile`]). The store is what a [`Session`] is given as its [`SavedConnections`], and
//! [`SaveConnections`] is how the layers above save, load and disconnect through a session.

use std::path::{Path, PathBuf};

use auth_core::EnvVars;
use auth_core::SECRET_FIELDS;
use auth_core::files::{
    MAX_SAVED_FILE_BYTES, TEMP_MARKER, create_private_dir, private_options, read_regular, write_private_file,
};
use auth_core::{
    Cloud, Connected, Connection, Error, Result, SavedConnections, Session, SignInRequest, SignedInTokens,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::home::msconnect_home;

/// Members that would make a context hold a secret, besides the token and credential fields.
const MORE_SECRET_FIELDS: &[&str] = &[
    "certificate_password",
    "clientsecret",
    "refreshtoken",
    "accesstoken",
];

/// The name of a connection made without one, and of a connection saved by the previous release.
pub const DEFAULT_NAME: &str = "default";

/// The file holding the name of a module's current connection.
const CURRENT_FILE: &str = "current";

/// The longest name of a module or a connection.
pub const MAX_NAME_LEN: usize = 64;

/// Which saved connection: a module's, under a name. A module alone (`"partnercenter".into()`) means
/// its connection named [`DEFAULT_NAME`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContextKey<'a> {
    /// The module (`partnercenter`).
    pub module: &'a str,
    /// The connection's name (`default`, `contoso`).
    pub name: &'a str,
}

impl<'a> ContextKey<'a> {
    /// The connection `name` of `module`.
    pub const fn new(module: &'a str, name: &'a str) -> Self {
        Self { module, name }
    }
}

impl<'a> From<&'a str> for ContextKey<'a> {
    fn from(module: &'a str) -> Self {
        Self::new(module, DEFAULT_NAME)
    }
}

impl std::fmt::Display for ContextKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} connection '{}'", self.module, self.name)
    }
}

/// Why `name` cannot name a module or a connection, if it cannot: it becomes a file name, so only
/// letters, digits, `-`, `_` and `.` (not first), at most [`MAX_NAME_LEN`] of them.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    let valid = name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!valid).then(|| {
        format!(
            "'{}' is not a name: letters, digits, '-', '_' and '.' (not first), at most {MAX_NAME_LEN}",
            name.escape_debug()
        )
    })
}

/// Where the contexts are kept: one JSON file a connection, mode 0600, written whole.
#[derive(Debug, Clone)]
pub struct ContextStore {
    dir: PathBuf,
}

impl ContextStore {
    /// Contexts kept in `dir`, created (mode 0700) on the first save.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// msconnect's contexts: `$MSCONNECT_HOME/contexts`.
    pub fn default_for(env: &EnvVars) -> Result<Self> {
        Ok(Self::in_home(&msconnect_home(env)?))
    }

    /// The contexts of msconnect's folder `home`, already found: `home/contexts`.
    pub fn in_home(home: &Path) -> Self {
        Self::new(home.join("contexts"))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Saves a connection's context, replacing the one saved under that name before; the module's other
    /// connections and its current one are left alone. A context with a member named like a secret
    /// (`secret`, `password`, `refresh_token`…) is refused: secrets do not belong in contexts.
    pub fn save<'a, T: Serialize>(&self, key: impl Into<ContextKey<'a>>, context: &T) -> Result<()> {
        let key = key.into();
        let path = self.path(key)?;
        let value = serde_json::to_value(context)
            .map_err(|e| Error::invalid("context", format!("it cannot be written as JSON: {e}")))?;
        if let Some(member) = secret_member(&value) {
            return Err(Error::invalid(
                "context",
                format!("its member '{member}' looks like a secret, and contexts never hold secrets"),
            ));
        }
        let mut text = serde_json::to_vec_pretty(&value)
            .map_err(|e| Error::invalid("context", format!("it cannot be written as JSON: {e}")))?;
        text.push(b'\n');
        write_private_file(&path, &text)?;
        if key.name == DEFAULT_NAME {
            // the previous release's file would otherwise stand for a connection just replaced
            remove_if_present(&self.legacy_path(key.module)?)?;
        }
        Ok(())
    }

    /// A connection's context, if one was saved under that name (for [`DEFAULT_NAME`], also the
    /// previous release's file).
    pub fn load<'a, T: DeserializeOwned>(&self, key: impl Into<ContextKey<'a>>) -> Result<Option<T>> {
        let key = key.into();
        let mut path = self.path(key)?;
        let mut text = read_if_present(&path)?;
        if text.is_none() && key.name == DEFAULT_NAME {
            path = self.legacy_path(key.module)?;
            text = read_if_present(&path)?;
        }
        let Some(text) = text else {
            return Ok(None);
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| Error::InvalidFile {
                path,
                reason: format!(
                    "not a saved {} context ({e}); connect again, or delete the file to forget it",
                    key.module
                ),
            })
    }

    /// Forgets a connection; says whether there was one. The current-connection file is left as it is:
    /// a module whose current connection was forgotten has none until another is connected or chosen.
    pub fn remove<'a>(&self, key: impl Into<ContextKey<'a>>) -> Result<bool> {
        let key = key.into();
        let mut removed = remove_if_present(&self.path(key)?)?;
        if key.name == DEFAULT_NAME {
            removed |= remove_if_present(&self.legacy_path(key.module)?)?;
        }
        Ok(removed)
    }

    /// Whether a context could be saved now: the folder exists (or is made, mode 0700) and takes a new
    /// file. Called before a sign-in sends a credential, so that a connection that could not be saved is
    /// not signed in for (a read-only `contexts/` used to be found only after the secret went out).
    pub fn check_writable(&self) -> Result<()> {
        create_private_dir(&self.dir)?;
        let probe = self
            .dir
            .join(format!(".probe{TEMP_MARKER}{}", uuid::Uuid::new_v4().simple()));
        private_options()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|source| Error::Io {
                action: "writing in the folder",
                path: self.dir.clone(),
                source,
            })?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    /// The modules that have a saved connection, sorted.
    pub fn modules(&self) -> Result<Vec<String>> {
        // a module's folder, or the previous release's `<module>.json`
        let mut modules: Vec<String> = entries(&self.dir)?
            .into_iter()
            .filter_map(|(name, is_dir)| {
                if is_dir {
                    Some(name)
                } else {
                    name.strip_suffix(".json").map(str::to_owned)
                }
            })
            .filter(|module| name_problem(module).is_none())
            .filter(|module| self.names(module).is_ok_and(|names| !names.is_empty()))
            .collect();
        modules.sort();
        modules.dedup();
        Ok(modules)
    }

    /// The names of a module's saved connections, sorted.
    pub fn names(&self, module: &str) -> Result<Vec<String>> {
        check_name("module", module)?;
        let mut names: Vec<String> = entries(&self.dir.join(module))?
            .into_iter()
            .filter(|(_, is_dir)| !is_dir)
            .filter_map(|(file, _)| file.strip_suffix(".json").map(str::to_owned))
            .filter(|name| name_problem(name).is_none())
            .collect();
        if present(&self.legacy_path(module)?) {
            names.push(DEFAULT_NAME.to_owned());
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The name of the module's current connection: what was last [set](Self::set_current), else
    /// [`DEFAULT_NAME`] when a connection of that name (or the previous release's) is saved. It may name a
    /// connection since forgotten.
    pub fn current(&self, module: &str) -> Result<Option<String>> {
        check_name("module", module)?;
        let path = self.dir.join(module).join(CURRENT_FILE);
        match read_if_present(&path)? {
            Some(text) => {
                let name = String::from_utf8_lossy(&text).trim().to_owned();
                match name_problem(&name) {
                    None => Ok(Some(name)),
                    Some(reason) => Err(Error::InvalidFile {
                        path,
                        reason: format!(
                            "not the name of a connection ({reason}); choose one with `switch`, or delete the file"
                        ),
                    }),
                }
            }
            None if present(&self.path(module.into())?) || present(&self.legacy_path(module)?) => {
                Ok(Some(DEFAULT_NAME.to_owned()))
            }
            None => Ok(None),
        }
    }

    /// Makes `name` the module's current connection: one small file, replaced whole, so concurrent
    /// writers leave one of their names and never a mix.
    pub fn set_current<'a>(&self, key: impl Into<ContextKey<'a>>) -> Result<()> {
        let key = key.into();
        check_name("module", key.module)?;
        check_name("context", key.name)?;
        let path = self.dir.join(key.module).join(CURRENT_FILE);
        write_private_file(&path, format!("{}\n", key.name).as_bytes())?;
        Ok(())
    }

    /// The file of a connection. Module names are our own (`partnercenter`) and connection names are
    /// checked where they enter, but both become file names, so anything that could leave the folder is
    /// refused here too.
    fn path(&self, key: ContextKey<'_>) -> Result<PathBuf> {
        check_name("module", key.module)?;
        check_name("context", key.name)?;
        Ok(self.dir.join(key.module).join(format!("{}.json", key.name)))
    }

    /// The previous release's file of a module's one connection.
    fn legacy_path(&self, module: &str) -> Result<PathBuf> {
        check_name("module", module)?;
        Ok(self.dir.join(format!("{module}.json")))
    }
}

/// What a saved connection's file holds: the connection (never a secret) and the module's context.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionFile<C> {
    /// How to renew the connection's tokens.
    pub connection: Connection,
    /// The module's context (`PartnerContext`…).
    pub context: C,
}

impl ContextStore {
    /// Saves a connection and its context under `key` (no secrets in either).
    pub fn save_connection<'a, C: Serialize>(
        &self,
        key: impl Into<ContextKey<'a>>,
        connection: &Connection,
        context: &C,
    ) -> Result<()> {
        self.save(
            key,
            &ConnectionFile {
                connection: connection.clone(),
                context,
            },
        )
    }

    /// The connection and context saved under `key`, when there is one.
    pub fn load_connection<'a, C: DeserializeOwned>(
        &self,
        key: impl Into<ContextKey<'a>>,
    ) -> Result<Option<(Connection, C)>> {
        Ok(self.load::<ConnectionFile<C>>(key)?.map(|mut saved| {
            // the built-in cloud is not saved: it is found again by name
            saved.connection.environment.cloud = Cloud::find(&saved.connection.environment.name);
            (saved.connection, saved.context)
        }))
    }
}

impl SavedConnections for ContextStore {
    fn connection(&self, module: &str, name: &str) -> Result<Option<Connection>> {
        Ok(self
            .load_connection::<Value>(ContextKey::new(module, name))?
            .map(|(connection, _)| connection))
    }

    fn connections(&self) -> Result<Vec<(String, String, Connection)>> {
        let mut saved = Vec::new();
        for module in self.modules()? {
            for name in self.names(&module)? {
                // a context that cannot be read protects nothing, and must not block a disconnect
                if let Ok(Some(context)) = self.load::<ConnectionFile<Value>>(ContextKey::new(&module, &name))
                {
                    saved.push((module.clone(), name, context.connection));
                }
            }
        }
        Ok(saved)
    }

    fn forget(&self, module: &str, name: &str) -> Result<bool> {
        self.remove(ContextKey::new(module, name))
    }

    fn folder(&self) -> Option<&Path> {
        Some(&self.dir)
    }
}

/// A session's saved connections, kept in the folder of its [`SavedConnections`] as a [`ContextStore`]
/// keeps them: save, load, connect and disconnect a module's connection by its [`ContextKey`]. A session
/// without one saves nothing and finds nothing saved.
pub trait SaveConnections {
    /// The context store, when the session saves its connections in a folder.
    fn contexts(&self) -> Option<ContextStore>;

    /// Whether a connection could be saved now ([`ContextStore::check_writable`]): a connect calls it
    /// before the sign-in sends anything. Without a context store there is nothing to check.
    fn check_can_save_connection(&self) -> Result<()> {
        match self.contexts() {
            Some(store) => store.check_writable(),
            None => Ok(()),
        }
    }

    /// Saves a connection and its context under `key` (no secrets in either). Without a context store
    /// nothing is saved.
    fn save_connection<'k, C: Serialize>(
        &self,
        key: impl Into<ContextKey<'k>>,
        connection: &Connection,
        context: &C,
    ) -> Result<()> {
        match self.contexts() {
            Some(store) => store.save_connection(key, connection, context),
            None => Ok(()),
        }
    }

    /// The connection and context saved under `key`, when there is one.
    fn load_connection<'k, C: DeserializeOwned>(
        &self,
        key: impl Into<ContextKey<'k>>,
    ) -> Result<Option<(Connection, C)>> {
        match self.contexts() {
            Some(store) => store.load_connection(key),
            None => Ok(None),
        }
    }

    /// The connection saved under `key`, or an error saying it is not connected.
    fn connection<'k>(&self, key: impl Into<ContextKey<'k>>) -> Result<Connection> {
        let key = key.into();
        self.load_connection::<Value>(key)?
            .map(|(connection, _)| connection)
            .ok_or_else(|| Error::SignInRequired(format!("not connected: no {key} is saved; connect first")))
    }

    /// Completes a connection once the product crate has checked the sign-in: keeps its tokens
    /// ([`Session::complete_unsaved`]), saves the connection and context under `key` (a module alone: its
    /// connection named `default`), and returns the handle that gives tokens for it. Which connection is
    /// the module's current one is the caller's choice ([`ContextStore::set_current`]).
    fn complete<'k, C: Serialize>(
        &self,
        key: impl Into<ContextKey<'k>>,
        request: &SignInRequest,
        tokens: &SignedInTokens,
        context: &C,
    ) -> Result<Connected>;

    /// The handle of the connection saved under `key`, when it is connected. It holds no credential: an
    /// application's is renewed with what [`SessionOptions::renewal`](auth_core::SessionOptions::renewal) supplies.
    fn connected<'k>(&self, key: impl Into<ContextKey<'k>>) -> Result<Connected>;

    /// Forgets the connection saved under `key` and removes the tokens it acquired, but none another
    /// saved connection or a live handle still uses ([`Session::disconnect_saved`]).
    fn disconnect<'k>(&self, key: impl Into<ContextKey<'k>>) -> Result<bool>;
}

impl SaveConnections for Session {
    fn contexts(&self) -> Option<ContextStore> {
        let dir = self.saved()?.folder()?;
        Some(ContextStore::new(dir.to_path_buf()))
    }

    fn complete<'k, C: Serialize>(
        &self,
        key: impl Into<ContextKey<'k>>,
        request: &SignInRequest,
        tokens: &SignedInTokens,
        context: &C,
    ) -> Result<Connected> {
        let key = key.into();
        let connected = Session::complete_unsaved(self, key.module, key.name, request, tokens)?;
        self.save_connection(key, connected.connection(), context)?;
        Ok(connected)
    }

    fn connected<'k>(&self, key: impl Into<ContextKey<'k>>) -> Result<Connected> {
        let key = key.into();
        let connection = self.connection(key)?;
        Ok(self.handle_of(key.module, key.name, connection))
    }

    fn disconnect<'k>(&self, key: impl Into<ContextKey<'k>>) -> Result<bool> {
        let key = key.into();
        self.disconnect_saved(key.module, key.name)
    }
}

/// The files and folders in `dir` (none when it does not exist), each with whether it is a folder.
fn entries(dir: &Path) -> Result<Vec<(String, bool)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                action: "reading",
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    Ok(entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let is_dir = entry.file_type().ok()?.is_dir();
            Some((entry.file_name().into_string().ok()?, is_dir))
        })
        .collect())
}

fn check_name(what: &str, name: &str) -> Result<()> {
    match name_problem(name) {
        None => Ok(()),
        Some(reason) => Err(Error::invalid(what, reason)),
    }
}

/// Whether something is at `path`: a FIFO or a device in a connection's place is found, and then refused
/// by the read that follows, rather than passed over as no connection.
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// A saved file's bytes (bounded, a regular file only), or `None` when there is none.
fn read_if_present(path: &Path) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
    read_regular(path, MAX_SAVED_FILE_BYTES, "reading", "a saved context")
}

fn remove_if_present(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Io {
            action: "removing",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The first member, at any depth, whose name says it holds a secret.
fn secret_member(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, member)| {
            let name = key.to_ascii_lowercase();
            let secret =
                SECRET_FIELDS.contains(&name.as_str()) || MORE_SECRET_FIELDS.contains(&name.as_str());
            if secret && !member.is_null() {
                Some(key.clone())
            } else {
                secret_member(member)
            }
        }),
        Value::Array(items) => items.iter().find_map(secret_member),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct PartnerContext {
        account: String,
        environment: String,
        tenant: String,
        client_id: String,
        flow: String,
        scopes: Vec<String>,
    }

    fn context() -> PartnerContext {
        PartnerContext {
            account: "admin@contoso.com".into(),
            environment: "AzureCloud".into(),
            tenant: "aaaaaaaa-0000-0000-0000-000000000001".into(),
            client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46".into(),
            flow: "DeviceCode".into(),
            scopes: vec!["https://api.partnercenter.microsoft.com/user_impersonation".into()],
        }
    }

    #[test]
    fn a_saved_context_is_found_by_a_new_store_and_forgotten_on_remove() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let env = EnvVars::from_pairs([("MSCONNECT_HOME", home.to_str().unwrap())]);
        ContextStore::default_for(&env)
            .unwrap()
            .save("partnercenter", &context())
            .unwrap();
        let file = home.join("contexts/partnercenter/default.json");
        insta::assert_snapshot!(std::fs::read_to_string(&file).unwrap(), @r#"
        {
          "Account": "admin@contoso.com",
          "Environment": "AzureCloud",
          "Tenant": "aaaaaaaa-0000-0000-0000-000000000001",
          "ClientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          "Flow": "DeviceCode",
          "Scopes": [
            "https://api.partnercenter.microsoft.com/user_impersonation"
          ]
        }
        "#);
        let later = ContextStore::default_for(&env).unwrap();
        assert_eq!(
            later.load::<PartnerContext>("partnercenter").unwrap(),
            Some(context())
        );
        assert_eq!(later.load::<PartnerContext>("secmgmt").unwrap(), None);
        assert!(later.remove("partnercenter").unwrap());
        assert!(!later.remove("partnercenter").unwrap());
        assert_eq!(later.load::<PartnerContext>("partnercenter").unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn context_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path().join("contexts"));
        store.save("entra", &context()).unwrap();
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path().join("contexts/entra/default.json")), 0o600);
        assert_eq!(mode(dir.path().join("contexts/entra")), 0o700);
        assert_eq!(mode(dir.path().join("contexts")), 0o700);
        store.set_current(ContextKey::new("entra", "work")).unwrap();
        assert_eq!(mode(dir.path().join("contexts/entra/current")), 0o600);
    }

    #[test]
    fn a_context_holding_a_secret_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path().to_path_buf());
        let with_secret = serde_json::json!({"Account": "app", "Extended": {"ClientSecret": "hunter2"}});
        let error = store.save("partnercenter", &with_secret).unwrap_err();
        insta::assert_snapshot!(error, @"invalid value for context: its member 'ClientSecret' looks like a secret, and contexts never hold secrets");
        let with_token = serde_json::json!({"Account": "u", "refresh_token": "RT"});
        assert!(store.save("partnercenter", &with_token).is_err());
        assert!(!dir.path().join("partnercenter.json").exists());
        // a credential's kind is not a secret, and an absent secret is fine
        let kind = serde_json::json!({"Credential": "ClientSecret", "ClientSecret": null});
        store.save("partnercenter", &kind).unwrap();
    }

    #[test]
    fn bad_module_names_and_corrupt_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path().to_path_buf());
        insta::assert_snapshot!(store.save("../evil", &context()).unwrap_err(), @"invalid value for module: '../evil' is not a name: letters, digits, '-', '_' and '.' (not first), at most 64");
        insta::assert_snapshot!(store.save(ContextKey::new("entra", ".."), &context()).unwrap_err(), @"invalid value for context: '..' is not a name: letters, digits, '-', '_' and '.' (not first), at most 64");
        assert!(
            store
                .load::<PartnerContext>(ContextKey::new("entra", "a/b"))
                .is_err()
        );
        assert!(store.set_current(ContextKey::new("entra", "")).is_err());
        std::fs::write(dir.path().join("entra.json"), "{not json").unwrap();
        let error = store.load::<PartnerContext>("entra").unwrap_err().to_string();
        let error = error.replace(dir.path().to_str().unwrap(), "<dir>");
        insta::assert_snapshot!(error, @"<dir>/entra.json: not a saved entra context (key must be a string at line 1 column 2); connect again, or delete the file to forget it");
        // a corrupt context can still be forgotten
        assert!(store.remove("entra").unwrap());
    }

    #[test]
    fn named_connections_live_side_by_side_and_one_is_current() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path().to_path_buf());
        assert_eq!(store.current("partnercenter").unwrap(), None);
        let mut other = context();
        other.tenant = "bbbbbbbb-0000-0000-0000-000000000002".into();
        store
            .save(ContextKey::new("partnercenter", "contoso"), &context())
            .unwrap();
        store
            .save(ContextKey::new("partnercenter", "fabrikam"), &other)
            .unwrap();
        store
            .set_current(ContextKey::new("partnercenter", "fabrikam"))
            .unwrap();
        assert_eq!(store.names("partnercenter").unwrap(), ["contoso", "fabrikam"]);
        assert_eq!(store.modules().unwrap(), ["partnercenter"]);
        assert_eq!(
            store.current("partnercenter").unwrap().as_deref(),
            Some("fabrikam")
        );
        let load = |name| {
            store
                .load::<PartnerContext>(ContextKey::new("partnercenter", name))
                .unwrap()
        };
        assert_eq!(load("contoso"), Some(context()));
        assert_eq!(load("fabrikam"), Some(other));
        // forgetting one leaves the other, and the pointer names a connection that is gone
        assert!(
            store
                .remove(ContextKey::new("partnercenter", "fabrikam"))
                .unwrap()
        );
        assert_eq!(load("contoso"), Some(context()));
        assert_eq!(store.names("partnercenter").unwrap(), ["contoso"]);
        assert_eq!(
            store.current("partnercenter").unwrap().as_deref(),
            Some("fabrikam")
        );
    }

    #[test]
    fn the_previous_releases_file_is_the_current_default_until_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContextStore::new(dir.path().to_path_buf());
        let legacy = dir.path().join("secmgmt.json");
        std::fs::write(&legacy, serde_json::to_vec(&context()).unwrap()).unwrap();
        assert_eq!(store.modules().unwrap(), ["secmgmt"]);
        assert_eq!(store.names("secmgmt").unwrap(), ["default"]);
        assert_eq!(store.current("secmgmt").unwrap().as_deref(), Some("default"));
        assert_eq!(store.load::<PartnerContext>("secmgmt").unwrap(), Some(context()));
        // a new default replaces it; a named connection beside it does not
        store
            .save(ContextKey::new("secmgmt", "work"), &context())
            .unwrap();
        assert!(legacy.exists());
        store.save("secmgmt", &context()).unwrap();
        assert!(!legacy.exists());
        assert_eq!(store.names("secmgmt").unwrap(), ["default", "work"]);
        std::fs::write(&legacy, "{}").unwrap();
        assert!(store.remove("secmgmt").unwrap());
        assert!(
            !legacy.exists(),
            "forgetting the default forgets the old file too"
        );
        assert_eq!(store.names("secmgmt").unwrap(), ["work"]);
    }
}
