//! User-defined environments (clouds beyond the built-in table, like `Add-EntraEnvironment`), persisted
//! as `environments.json` in msconnect's folder. A user-defined name may not shadow a built-in cloud's
//! name or alias, so a name always means the same cloud.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use auth_core::files::{MAX_SAVED_FILE_BYTES, read_regular, write_private_file};
use auth_core::{Cloud, Environment, Error, Result};

/// The file name inside msconnect's folder.
pub const ENVIRONMENTS_FILE_NAME: &str = "environments.json";

/// The longest name `add` accepts, in characters: longer than any cloud's, short enough for a table.
pub const MAX_NAME_CHARS: usize = 64;

/// Refuses a name too long to show ([`MAX_NAME_CHARS`]) or holding control characters (line breaks,
/// escape sequences, bidirectional overrides), which would make `environment list` lie or drive the
/// terminal. The error names the environment name and the limit.
pub fn check_name(name: &str) -> Result<()> {
    let length = name.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "environment name",
            format!("it is {length} characters long; the limit is {MAX_NAME_CHARS}"),
        ));
    }
    if auth_core::printable_line(name) != name {
        return Err(Error::invalid(
            "environment name",
            "it holds control characters (line breaks, tabs, escape sequences or direction overrides): \
             use letters, digits, spaces and punctuation",
        ));
    }
    Ok(())
}

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    #[serde(default)]
    environments: Vec<Environment>,
}

/// The user-defined environments of one msconnect folder.
#[derive(Debug, Clone)]
pub struct EnvironmentStore {
    path: PathBuf,
}

impl EnvironmentStore {
    /// The store in `dir` (msconnect's folder); nothing is read or created until it is used.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self {
            path: dir.as_ref().join(ENVIRONMENTS_FILE_NAME),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every user-defined environment, in the order they were added; none when the file does not exist.
    pub fn list(&self) -> Result<Vec<Environment>> {
        let Some(text) = read_regular(
            &self.path,
            MAX_SAVED_FILE_BYTES,
            "reading",
            "an environments file",
        )?
        else {
            return Ok(Vec::new());
        };
        let document: Document = serde_json::from_slice(&text).map_err(|e| Error::InvalidFile {
            path: self.path.clone(),
            reason: format!("not an environments file: {e}"),
        })?;
        Ok(document.environments)
    }

    /// The user-defined environment called `name`, ignoring case.
    pub fn find(&self, name: &str) -> Result<Option<Environment>> {
        let name = name.trim();
        Ok(self
            .list()?
            .into_iter()
            .find(|e| e.name.eq_ignore_ascii_case(name)))
    }

    /// Adds an environment after checking it; its name must be new and not a built-in cloud's.
    pub fn add(&self, environment: Environment) -> Result<()> {
        environment.validate()?;
        check_name(&environment.name)?;
        if let Some(cloud) = Cloud::find(&environment.name) {
            return Err(Error::invalid(
                "environment name",
                format!("'{}' is the built-in cloud {cloud}", environment.name),
            ));
        }
        let mut all = self.list()?;
        if all.iter().any(|e| e.name.eq_ignore_ascii_case(&environment.name)) {
            return Err(Error::invalid(
                "environment name",
                format!(
                    "'{}' exists already; remove it first to change it",
                    environment.name
                ),
            ));
        }
        all.push(Environment {
            cloud: None,
            ..environment
        });
        self.write(all)
    }

    /// Removes the environment called `name`, ignoring case; says whether there was one.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let mut all = self.list()?;
        let before = all.len();
        all.retain(|e| !e.name.eq_ignore_ascii_case(name.trim()));
        if all.len() == before {
            return Ok(false);
        }
        self.write(all)?;
        Ok(true)
    }

    /// Writes the file whole, mode 0600, through a temporary file renamed into place (the cache's own
    /// writer), so a reader never sees half.
    fn write(&self, environments: Vec<Environment>) -> Result<()> {
        let mut text =
            serde_json::to_string_pretty(&Document { environments }).map_err(|e| Error::InvalidFile {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        text.push('\n');
        write_private_file(&self.path, text.as_bytes()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::Url;

    fn sovereign(name: &str) -> Environment {
        Environment {
            name: name.to_owned(),
            authority_host: Url::parse("https://login.sovereign.example").unwrap(),
            graph: Url::parse("https://graph.sovereign.example").unwrap(),
            partner_center: None,
            aad_graph: None,
            resource_manager: None,
            oidc_issuer: None,
            oidc_endpoints: None,
            cloud: None,
        }
    }

    #[test]
    fn environments_are_added_found_ignoring_case_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = EnvironmentStore::new(dir.path().join("home"));
        assert!(store.list().unwrap().is_empty());
        store.add(sovereign("Sovereign")).unwrap();
        let found = store.find("SOVEREIGN").unwrap().unwrap();
        assert_eq!(found.authority_host.as_str(), "https://login.sovereign.example/");
        assert!(store.remove("sovereign").unwrap());
        assert!(!store.remove("sovereign").unwrap());
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn the_file_is_pretty_json_readable_by_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = EnvironmentStore::new(dir.path());
        store.add(sovereign("Sovereign")).unwrap();
        insta::assert_snapshot!(std::fs::read_to_string(store.path()).unwrap(), @r#"
        {
          "environments": [
            {
              "name": "Sovereign",
              "authority_host": "https://login.sovereign.example/",
              "graph": "https://graph.sovereign.example/"
            }
          ]
        }
        "#);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn names_of_built_in_clouds_duplicates_and_plain_http_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = EnvironmentStore::new(dir.path());
        store.add(sovereign("Sovereign")).unwrap();
        let mut insecure = sovereign("Insecure");
        insecure.authority_host = Url::parse("http://login.example").unwrap();
        let errors = [
            store.add(sovereign("usgov")).unwrap_err(),
            store.add(sovereign("sovereign")).unwrap_err(),
            store.add(insecure).unwrap_err(),
        ];
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(text.join("\n"), @r"
        invalid value for environment name: 'usgov' is the built-in cloud AzureUSGovernment
        invalid value for environment name: 'sovereign' exists already; remove it first to change it
        invalid value for authority host: 'http://login.example/' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)
        ");
    }

    #[test]
    fn long_names_and_names_with_control_characters_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = EnvironmentStore::new(dir.path());
        let errors = [
            store.add(sovereign(&"n".repeat(65_536))).unwrap_err(),
            store.add(sovereign("two\nlines")).unwrap_err(),
            store.add(sovereign("evil\u{1b}]0;owned\u{7}")).unwrap_err(),
            store.add(sovereign("rtl\u{202e}exe")).unwrap_err(),
        ];
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(text.join("\n"), @r"
        invalid value for environment name: it is 65536 characters long; the limit is 64
        invalid value for environment name: it holds control characters (line breaks, tabs, escape sequences or direction overrides): use letters, digits, spaces and punctuation
        invalid value for environment name: it holds control characters (line breaks, tabs, escape sequences or direction overrides): use letters, digits, spaces and punctuation
        invalid value for environment name: it holds control characters (line breaks, tabs, escape sequences or direction overrides): use letters, digits, spaces and punctuation
        ");
        assert!(!store.path().exists());
        store.add(sovereign(&"n".repeat(MAX_NAME_CHARS))).unwrap();
        store.add(sovereign("Souverän Wolke 2")).unwrap();
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = EnvironmentStore::new(dir.path());
        std::fs::write(store.path(), "not json").unwrap();
        let error = store.list().unwrap_err().to_string();
        assert!(error.starts_with(&store.path().display().to_string()), "{error}");
        assert!(error.contains("not an environments file"), "{error}");
    }
}
