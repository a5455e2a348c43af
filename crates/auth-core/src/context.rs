//! Each module's current connection (account, tenant, environment, client id, flow, scopes), saved under
//! `MSCONNECT_HOME/contexts/<module>.json` so a later process finds it. A context never holds a secret:
//! tokens live in the token cache, and a client secret is supplied again when it is needed.

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::home::msconnect_home;
use crate::private_file::{TEMP_MARKER, create_private_dir, private_options, write_private_file};
use crate::read_file::{MAX_SAVED_FILE_BYTES, read_regular};
use crate::secret::SECRET_FIELDS;

/// Members that would make a context hold a secret, besides the token and credential fields.
const MORE_SECRET_FIELDS: &[&str] = &[
    "certificate_password",
    "clientsecret",
    "refreshtoken",
    "accesstoken",
];

/// Where the contexts are kept: one JSON file a module, mode 0600, written whole.
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
    pub(crate) fn in_home(home: &std::path::Path) -> Self {
        Self::new(home.join("contexts"))
    }

    /// The folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Saves a module's context, replacing the one before. A context with a member named like a secret
    /// (`secret`, `password`, `refresh_token`…) is refused: secrets do not belong in contexts.
    pub fn save<T: Serialize>(&self, module: &str, context: &T) -> Result<()> {
        let path = self.path(module)?;
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
        Ok(())
    }

    /// A module's context, if one was saved.
    pub fn load<T: DeserializeOwned>(&self, module: &str) -> Result<Option<T>> {
        let path = self.path(module)?;
        let Some(text) = read_regular(&path, MAX_SAVED_FILE_BYTES, "reading", "a saved context")? else {
            return Ok(None);
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|e| Error::InvalidFile {
                path,
                reason: format!(
                    "not a saved {module} context ({e}); connect again, or delete the file to forget it"
                ),
            })
    }

    /// Forgets a module's context; says whether there was one.
    pub fn remove(&self, module: &str) -> Result<bool> {
        let path = self.path(module)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(Error::Io {
                action: "removing",
                path,
                source,
            }),
        }
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

    /// The modules that have a saved context (files whose names are module names), sorted.
    pub fn modules(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::Io {
                    action: "reading",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut modules: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
            .filter(|module| self.path(module).is_ok())
            .collect();
        modules.sort();
        Ok(modules)
    }

    /// The file of a module. Module names are our own (`partnercenter`), but they become file names, so
    /// anything that could leave the folder is refused.
    fn path(&self, module: &str) -> Result<PathBuf> {
        let valid = !module.is_empty()
            && module.len() <= 64
            && module
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(Error::invalid(
                "module",
                format!("'{module}' is not a module name (letters, digits, '-' and '_')"),
            ));
        }
        Ok(self.dir.join(format!("{module}.json")))
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
        let file = home.join("contexts/partnercenter.json");
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
        assert_eq!(mode(dir.path().join("contexts/entra.json")), 0o600);
        assert_eq!(mode(dir.path().join("contexts")), 0o700);
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
        insta::assert_snapshot!(store.save("../evil", &context()).unwrap_err(), @"invalid value for module: '../evil' is not a module name (letters, digits, '-' and '_')");
        std::fs::write(dir.path().join("entra.json"), "{not json").unwrap();
        let error = store.load::<PartnerContext>("entra").unwrap_err().to_string();
        let error = error.replace(dir.path().to_str().unwrap(), "<dir>");
        insta::assert_snapshot!(error, @"<dir>/entra.json: not a saved entra context (key must be a string at line 1 column 2); connect again, or delete the file to forget it");
        // a corrupt context can still be forgotten
        assert!(store.remove("entra").unwrap());
    }
}
