//! TEST-ONLY saved connections for auth-core's own tests, which cannot use cmdlet's `ContextStore` (cmdlet
//! depends on auth-core): the same layout (`<dir>/<module>/<name>.json` holding `{"Connection", "Context"}`,
//! and the previous release's `<dir>/<module>.json`), so that cmdlet finds a product test's connections
//! in the same folder; and [`Saves`], what cmdlet's `SaveConnections` does through a session.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use auth_core::Cloud;
use auth_core::{Connected, Connection, SavedConnections, Session, SignInRequest, SignedInTokens};
use auth_core::{Error, Result};

/// The name of a connection saved without one.
const DEFAULT_NAME: &str = "default";

/// Connections saved as files in a folder, as cmdlet's `ContextStore` keeps them.
#[derive(Debug, Clone)]
pub struct TestStore {
    dir: PathBuf,
}

impl TestStore {
    /// The store in `dir` (`<home>/contexts`).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The store as a session's [`SavedConnections`].
    pub fn shared(dir: PathBuf) -> Arc<dyn SavedConnections> {
        Arc::new(Self::new(dir))
    }

    fn path(&self, module: &str, name: &str) -> PathBuf {
        self.dir.join(module).join(format!("{name}.json"))
    }

    fn legacy(&self, module: &str) -> PathBuf {
        self.dir.join(format!("{module}.json"))
    }

    /// Saves a connection and its context.
    pub fn save(&self, module: &str, name: &str, connection: &Connection, context: &Value) -> Result<()> {
        let path = self.path(module, name);
        let io = |source| Error::Io {
            action: "writing",
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(""))).map_err(io)?;
        let saved = serde_json::json!({"Connection": connection, "Context": context});
        let mut text = serde_json::to_vec_pretty(&saved).unwrap_or_default();
        text.push(b'\n');
        std::fs::write(&path, text).map_err(io)?;
        if name == DEFAULT_NAME {
            let _ = std::fs::remove_file(self.legacy(module));
        }
        Ok(())
    }

    /// The connection and context saved as `name` of `module` (for `default`, also the previous release's
    /// file), its built-in cloud found again by name.
    pub fn load(&self, module: &str, name: &str) -> Result<Option<(Connection, Value)>> {
        let mut path = self.path(module, name);
        if !path.exists() && name == DEFAULT_NAME {
            path = self.legacy(module);
        }
        let Ok(text) = std::fs::read(&path) else {
            return Ok(None);
        };
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Saved {
            connection: Connection,
            context: Value,
        }
        let saved: Saved = serde_json::from_slice(&text).map_err(|e| Error::InvalidFile {
            path: path.clone(),
            reason: format!(
                "not a saved {module} context ({e}); connect again, or delete the file to forget it"
            ),
        })?;
        let mut connection = saved.connection;
        connection.environment.cloud = Cloud::find(&connection.environment.name);
        Ok(Some((connection, saved.context)))
    }

    fn entries(dir: &Path) -> Vec<(String, bool)> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let is_dir = entry.file_type().ok()?.is_dir();
                Some((entry.file_name().into_string().ok()?, is_dir))
            })
            .collect()
    }
}

impl SavedConnections for TestStore {
    fn connection(&self, module: &str, name: &str) -> Result<Option<Connection>> {
        Ok(self.load(module, name)?.map(|(connection, _)| connection))
    }

    fn connections(&self) -> Result<Vec<(String, String, Connection)>> {
        let mut saved = Vec::new();
        for (entry, is_dir) in Self::entries(&self.dir) {
            let names: Vec<(String, String)> = if is_dir {
                Self::entries(&self.dir.join(&entry))
                    .into_iter()
                    .filter_map(|(file, _)| Some((entry.clone(), file.strip_suffix(".json")?.to_owned())))
                    .collect()
            } else {
                entry
                    .strip_suffix(".json")
                    .map(|module| (module.to_owned(), DEFAULT_NAME.to_owned()))
                    .into_iter()
                    .collect()
            };
            for (module, name) in names {
                if let Ok(Some((connection, _))) = self.load(&module, &name) {
                    saved.push((module, name, connection));
                }
            }
        }
        saved.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        saved.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        Ok(saved)
    }

    fn forget(&self, module: &str, name: &str) -> Result<bool> {
        let mut removed = std::fs::remove_file(self.path(module, name)).is_ok();
        if name == DEFAULT_NAME {
            removed |= std::fs::remove_file(self.legacy(module)).is_ok();
        }
        Ok(removed)
    }

    fn folder(&self) -> Option<&Path> {
        Some(&self.dir)
    }
}

/// Which saved connection: a module alone is its `default` one.
pub trait Key<'a> {
    /// The module and the name.
    fn key(self) -> (&'a str, &'a str);
}

impl<'a> Key<'a> for &'a str {
    fn key(self) -> (&'a str, &'a str) {
        (self, DEFAULT_NAME)
    }
}

impl<'a> Key<'a> for (&'a str, &'a str) {
    fn key(self) -> (&'a str, &'a str) {
        self
    }
}

/// What cmdlet's `SaveConnections` does through a session, on a session whose store is a folder.
pub trait Saves {
    /// The session's store, when it saves in a folder.
    fn store(&self) -> Option<TestStore>;

    /// Saves a connection and its context.
    fn save_connection<'a>(&self, key: impl Key<'a>, connection: &Connection, context: &Value) -> Result<()> {
        let (module, name) = key.key();
        match self.store() {
            Some(store) => store.save(module, name, connection, context),
            None => Ok(()),
        }
    }

    /// The connection and context saved under `key`.
    fn load_connection<'a, C: serde::de::DeserializeOwned>(
        &self,
        key: impl Key<'a>,
    ) -> Result<Option<(Connection, C)>> {
        let (module, name) = key.key();
        let Some(store) = self.store() else {
            return Ok(None);
        };
        Ok(store.load(module, name)?.map(|(connection, context)| {
            let context = serde_json::from_value(context).unwrap_or_else(|e| panic!("context: {e}"));
            (connection, context)
        }))
    }

    /// The connection saved under `key`, or the error that it is not connected.
    fn connection<'a>(&self, key: impl Key<'a>) -> Result<Connection> {
        let (module, name) = key.key();
        self.load_connection::<Value>((module, name))?
            .map(|(connection, _)| connection)
            .ok_or_else(|| {
                Error::SignInRequired(format!(
                    "not connected: no {module} connection '{name}' is saved; connect first"
                ))
            })
    }

    /// Completes a connection and saves it under `key`.
    fn complete<'a>(
        &self,
        key: impl Key<'a>,
        request: &SignInRequest,
        tokens: &SignedInTokens,
        context: &Value,
    ) -> Result<Connected>;

    /// The handle of the connection saved under `key`.
    fn connected<'a>(&self, key: impl Key<'a>) -> Result<Connected>;

    /// Disconnects the connection saved under `key`.
    fn disconnect<'a>(&self, key: impl Key<'a>) -> Result<bool>;
}

impl Saves for Session {
    fn store(&self) -> Option<TestStore> {
        Some(TestStore::new(self.saved()?.folder()?.to_path_buf()))
    }

    fn complete<'a>(
        &self,
        key: impl Key<'a>,
        request: &SignInRequest,
        tokens: &SignedInTokens,
        context: &Value,
    ) -> Result<Connected> {
        let (module, name) = key.key();
        let connected = self.complete_unsaved(module, name, request, tokens)?;
        self.save_connection((module, name), connected.connection(), context)?;
        Ok(connected)
    }

    fn connected<'a>(&self, key: impl Key<'a>) -> Result<Connected> {
        let (module, name) = key.key();
        let connection = self.connection((module, name))?;
        Ok(self.handle_of(module, name, connection))
    }

    fn disconnect<'a>(&self, key: impl Key<'a>) -> Result<bool> {
        let (module, name) = key.key();
        self.disconnect_saved(module, name)
    }
}
