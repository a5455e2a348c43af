//! The process environment as a value, so configuration can be read from a map in tests instead of
//! `std::env::set_var` (which is unsafe in edition 2024 and racy across test threads).

use std::collections::BTreeMap;
use std::sync::Arc;

/// Every variable of the Azure ecosystem that holds a secret auth-core reads, or that another tool reads
/// to hand one over (the Azure SDKs' `AZURE_*`, GitHub's and Azure Pipelines' OIDC and access tokens, the
/// managed identity header). Children auth-core starts (the browser) get an environment without them, nor
/// the layer above's own secret variables ([`crate::SessionOptions::secret_variables`]), since a child's
/// environment is readable by the child and whatever it starts in turn.
pub const SECRET_VARIABLES: [&str; 7] = [
    "AZURE_CLIENT_SECRET",
    "AZURE_PASSWORD",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_ACCESSTOKEN",
    "IDENTITY_HEADER",
    "MSI_SECRET",
];

/// Removes every [`SECRET_VARIABLES`] entry, and each of `more`, from the environment `command` will
/// start with (it inherits the rest). On Windows, where names ignore case, `env_remove` does too. The
/// browser's opener is its one user, so it is compiled with the `browser` feature.
#[cfg(feature = "browser")]
pub(crate) fn remove_secret_variables<'a>(
    command: &'a mut std::process::Command,
    more: &[String],
) -> &'a mut std::process::Command {
    for name in SECRET_VARIABLES
        .iter()
        .copied()
        .chain(more.iter().map(String::as_str))
    {
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
