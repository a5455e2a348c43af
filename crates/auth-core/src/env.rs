//! The process environment as a value, so configuration can be read from a map in tests instead of
//! `std::env::set_var` (which is unsafe in edition 2024 and racy across test threads).

use std::collections::BTreeMap;
use std::sync::Arc;

/// Every environment variable that holds a secret msconnect reads, or that another tool reads to hand
/// one over (the Azure SDKs' `AZURE_*`, GitHub's and Azure Pipelines' OIDC and access tokens, the managed
/// identity header). The one list: children msconnect starts (the browser) get an environment without
/// them, since a child's environment is readable by the child and whatever it starts in turn.
pub const SECRET_VARIABLES: [&str; 15] = [
    "MSCONNECT_PASSWORD",
    "MSCONNECT_CLIENT_SECRET",
    "MSCONNECT_REFRESH_TOKEN",
    "MSCONNECT_ACCESS_TOKEN",
    "MSCONNECT_CERTIFICATE_PASSWORD",
    "MSCONNECT_CACHE_KEY",
    "MSCONNECT_CACHE_PASSWORD",
    // its URL may carry the Redis password (`rediss://:password@host`)
    "MSCONNECT_CACHE_URL",
    "AZURE_CLIENT_SECRET",
    "AZURE_PASSWORD",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_ACCESSTOKEN",
    "IDENTITY_HEADER",
    "MSI_SECRET",
];

/// Removes every [`SECRET_VARIABLES`] entry from the environment `command` will start with (it inherits
/// the rest). On Windows, where names ignore case, `env_remove` does too.
pub fn remove_secret_variables(command: &mut std::process::Command) -> &mut std::process::Command {
    for name in SECRET_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// A snapshot of environment variables. Shared when cloned (a session keeps copies for its HTTP options
/// and its stores); `set` copies it first.
#[derive(Clone, Default)]
pub struct EnvVars {
    vars: Arc<BTreeMap<String, String>>,
}

impl EnvVars {
    /// The variables of this process, as they are now.
    pub fn from_process() -> Self {
        Self {
            vars: Arc::new(
                std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                    .collect(),
            ),
        }
    }

    /// An environment holding exactly these variables.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            vars: Arc::new(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
        }
    }

    /// A variable's value; an empty value counts as unset, as most tools treat it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The first set variable of several spellings (`HTTPS_PROXY`, `https_proxy`).
    pub fn get_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| self.get(name))
    }

    /// Sets a variable in this snapshot (not in the process).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        Arc::make_mut(&mut self.vars).insert(name.into(), value.into());
    }
}

impl std::fmt::Debug for EnvVars {
    // Values may be secrets (MSCONNECT_CLIENT_SECRET): list the names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}
