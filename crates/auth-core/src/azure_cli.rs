//! Signing in with the Azure CLI's sign-in (`--from-azure-cli`): its config folder (`AZURE_CONFIG_DIR`,
//! else `~/.azure`), the accounts of its `azureProfile.json` (UTF-8 with a byte order mark, as the CLI
//! writes it), and its MSAL token cache `msal_token_cache.json`, which msconnect then reads and writes in
//! place, so both tools stay in step: a token either renews serves the other, and `az logout` signs
//! msconnect out of that account too. No browser and no device code: the account's (family) refresh
//! token buys the token, in the flow `AzureCli::sign_in` (`flows/from_azure_cli.rs`, so that this module,
//! which the default chain reads, uses no flow).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::authority::Authority;
use crate::cache::TokenCache;
use crate::env::EnvVars;
use crate::error::{AzureCliProblem, Error, Result};
use crate::home::SharedFolders;
use crate::ids::{ClientId, Tenant};
use crate::read_file::read_regular;
use crate::token::{Account, TokenResult};

/// The variable naming the Azure CLI's config folder (the CLI's own).
pub(crate) const AZURE_CONFIG_DIR: &str = "AZURE_CONFIG_DIR";
/// The Azure CLI's list of subscriptions and the accounts that see them.
pub(crate) const AZURE_PROFILE_FILE: &str = "azureProfile.json";
/// The Azure CLI's MSAL token cache when it is kept in plain text (Linux, macOS).
pub(crate) const AZURE_CLI_CACHE_FILE: &str = "msal_token_cache.json";
/// The Azure CLI's MSAL token cache when it is encrypted (Windows, or `core.encrypt_token_cache=true`).
pub(crate) const AZURE_CLI_ENCRYPTED_CACHE_FILE: &str = "msal_token_cache.bin";

/// The Azure CLI's own application id: the client its refresh tokens are issued to (a member of
/// Microsoft's family of client ids, FOCI).
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// A cache file larger than this is not read for its clients (the token lookup reads it anyway).
const MAX_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// A profile larger than this is not the Azure CLI's (it lists subscriptions, a few hundred bytes each).
const MAX_PROFILE_BYTES: usize = 64 * 1024 * 1024;

/// What kind of identity an Azure CLI account is (`user.type` of `azureProfile.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzureCliAccountKind {
    /// A person, signed in with `az login`: its refresh token is in the MSAL cache.
    User,
    /// An app, signed in with `az login --service-principal`: its secret is the CLI's own.
    ServicePrincipal,
    /// A managed identity (`az login --identity`) or a kind this version does not know.
    Other(String),
}

/// One signed-in account of the Azure CLI, as a subscription (or tenant) of `azureProfile.json` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureCliAccount {
    /// The sign-in name (UPN) of a user, the application id of a service principal.
    pub username: String,
    /// User, service principal or other.
    pub kind: AzureCliAccountKind,
    /// The tenant of the subscription the account was found in (the CLI's default one when it is
    /// this account's).
    pub tenant_id: String,
    /// The CLI's cloud name (`AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`).
    pub environment_name: String,
}

/// The Azure CLI's config folder and the files msconnect reads in it.
#[derive(Debug, Clone)]
pub struct AzureCli {
    config_dir: PathBuf,
}

impl AzureCli {
    /// The Azure CLI's folder: `AZURE_CONFIG_DIR`, else `~/.azure` (`%USERPROFILE%\.azure` on Windows),
    /// checked as `shared` says (`check_other_tools_folder`).
    pub fn locate(env: &EnvVars, shared: &SharedFolders) -> Result<Self> {
        if let Some(dir) = env.get(AZURE_CONFIG_DIR).filter(|d| !d.is_empty()) {
            let path = PathBuf::from(dir);
            if !path.is_absolute() {
                return Err(Error::invalid(
                    AZURE_CONFIG_DIR,
                    format!("'{}' is a relative path: give an absolute one", printable(dir)),
                ));
            }
            return Self::checked(path, shared);
        }
        match env.get_any(&["HOME", "USERPROFILE"]) {
            Some(home) => Self::checked(PathBuf::from(home).join(".azure"), shared),
            None => Err(Error::invalid(
                AZURE_CONFIG_DIR,
                "it is not set, and neither is HOME: set AZURE_CONFIG_DIR to the Azure CLI's folder",
            )),
        }
    }

    /// The folder, once it is known that no one else could have planted its account or refresh token
    /// ([`crate::home::check_other_tools_folder`]).
    fn checked(config_dir: PathBuf, shared: &SharedFolders) -> Result<Self> {
        crate::home::check_other_tools_folder(
            &config_dir,
            &[AZURE_PROFILE_FILE, AZURE_CLI_CACHE_FILE],
            shared,
        )?;
        Ok(Self::at(config_dir))
    }

    /// The Azure CLI's folder at `config_dir`.
    pub fn at(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            config_dir: config_dir.into(),
        }
    }

    /// The config folder.
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    /// `azureProfile.json` in the config folder.
    pub fn profile_path(&self) -> PathBuf {
        self.config_dir.join(AZURE_PROFILE_FILE)
    }

    /// The plain-text MSAL cache in the config folder (whether or not it exists).
    pub fn cache_path(&self) -> PathBuf {
        self.config_dir.join(AZURE_CLI_CACHE_FILE)
    }

    /// Every account of `azureProfile.json`, one per sign-in name, in file order; empty when the CLI has
    /// never signed in (no file) or has signed out of all.
    pub fn accounts(&self) -> Result<Vec<AzureCliAccount>> {
        let path = self.profile_path();
        let Some(bytes) = read_regular(&path, MAX_PROFILE_BYTES, "reading", "the Azure CLI's profile")?
        else {
            return Ok(Vec::new());
        };
        let invalid = |reason: String| Error::InvalidFile {
            path: path.clone(),
            reason,
        };
        // The CLI writes it with `utf-8-sig`: a byte order mark first.
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes);
        if text.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        let profile: Value = serde_json::from_slice(text)
            .map_err(|e| invalid(format!("not the Azure CLI's profile: not JSON ({e})")))?;
        let subscriptions = match profile.get("subscriptions") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(list)) => list,
            Some(_) => return Err(invalid("its subscriptions member is not a list".into())),
        };
        let mut accounts: Vec<(AzureCliAccount, bool)> = Vec::new();
        for subscription in subscriptions {
            let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or_default().to_owned();
            let user = subscription.get("user");
            let username = text(user.and_then(|u| u.get("name")));
            if username.is_empty() {
                continue;
            }
            let kind = match text(user.and_then(|u| u.get("type"))).as_str() {
                "user" => AzureCliAccountKind::User,
                "servicePrincipal" => AzureCliAccountKind::ServicePrincipal,
                other => AzureCliAccountKind::Other(other.to_owned()),
            };
            let is_default = subscription.get("isDefault").and_then(Value::as_bool) == Some(true);
            let account = AzureCliAccount {
                username,
                kind,
                tenant_id: text(subscription.get("tenantId")),
                environment_name: text(subscription.get("environmentName")),
            };
            match accounts
                .iter_mut()
                .find(|(a, _)| a.username.eq_ignore_ascii_case(&account.username) && a.kind == account.kind)
            {
                // the default subscription names the tenant the CLI uses for this account
                Some(found) if is_default && !found.1 => *found = (account, true),
                Some(_) => {}
                None => accounts.push((account, is_default)),
            }
        }
        Ok(accounts.into_iter().map(|(a, _)| a).collect())
    }

    /// The account to sign in with: the one named `username` (case-insensitive), else the only one. A
    /// service principal or managed identity is refused with what to use instead.
    pub fn choose(&self, username: Option<&str>) -> Result<AzureCliAccount> {
        let accounts = self.accounts()?;
        if accounts.is_empty() {
            return Err(Error::SignInRequired(format!(
                "the Azure CLI has no signed-in account (in {}); run az login",
                self.config_dir.display()
            )));
        }
        let names = || {
            accounts
                .iter()
                .map(|a| printable(&a.username))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let chosen = match username {
            Some(wanted) => accounts
                .iter()
                .find(|a| a.username.eq_ignore_ascii_case(wanted))
                .ok_or_else(|| {
                    Error::invalid(
                        "account",
                        format!(
                            "the Azure CLI has no account {}; it has {}: name one of them, or run az login",
                            printable(wanted),
                            names()
                        ),
                    )
                })?,
            None if accounts.len() == 1 => &accounts[0],
            None => {
                return Err(Error::invalid(
                    "account",
                    format!(
                        "the Azure CLI has several accounts ({}): name the one to use",
                        names()
                    ),
                ));
            }
        };
        match &chosen.kind {
            AzureCliAccountKind::User => Ok(chosen.clone()),
            AzureCliAccountKind::ServicePrincipal => {
                Err(Error::AzureCliUnusable(AzureCliProblem::ServicePrincipal {
                    username: printable(&chosen.username),
                }))
            }
            AzureCliAccountKind::Other(kind) => Err(Error::AzureCliUnusable(AzureCliProblem::OtherAccount {
                username: printable(&chosen.username),
                kind: printable(kind),
            })),
        }
    }

    /// The Azure CLI's MSAL token cache, which msconnect reads and writes in place (taking the CLI's
    /// `.lockfile`). An error when the CLI keeps it encrypted, or has none (never signed in).
    pub fn token_cache(&self) -> Result<TokenCache> {
        let path = self.cache_path();
        if path.exists() {
            return Ok(TokenCache::open(path));
        }
        let encrypted = self.config_dir.join(AZURE_CLI_ENCRYPTED_CACHE_FILE);
        if encrypted.exists() {
            return Err(Error::AzureCliUnusable(AzureCliProblem::EncryptedCache {
                path: encrypted,
            }));
        }
        Err(Error::SignInRequired(format!(
            "the Azure CLI has no signed-in account (no {} in {}); run az login",
            AZURE_CLI_CACHE_FILE,
            self.config_dir.display()
        )))
    }

    /// The account's entry in the CLI's cache for the authority host `environment`: the error says
    /// "signed out in the Azure CLI" when `az logout` removed it.
    pub fn cached_account(
        &self,
        cache: &TokenCache,
        chosen: &AzureCliAccount,
        environment: &str,
    ) -> Result<Account> {
        let accounts = cache.accounts()?;
        let of_user = |a: &&Account| {
            a.username.eq_ignore_ascii_case(&chosen.username)
                && a.environment.eq_ignore_ascii_case(environment)
        };
        accounts
            .iter()
            .filter(of_user)
            .find(|a| a.realm.eq_ignore_ascii_case(&chosen.tenant_id))
            .or_else(|| accounts.iter().find(of_user))
            .cloned()
            .ok_or_else(|| signed_out(&chosen.username))
    }

    /// The client to get tokens for with `account`'s sign-in: `preferred` when the CLI's cache holds a
    /// refresh token of that client for the account, or one of a family (which serves any member), else
    /// the client the CLI's refresh token was issued to (the CLI's own; another client only when the
    /// cache was written by a stand-in, as the tests do). A cache that cannot be read leaves `preferred`.
    pub fn client_for(&self, account: &Account, preferred: &ClientId) -> ClientId {
        let Ok(Some(bytes)) = read_regular(
            &self.cache_path(),
            MAX_CACHE_BYTES,
            "reading",
            "the Azure CLI's token cache",
        ) else {
            return preferred.clone();
        };
        let Ok(doc) = serde_json::from_slice::<Value>(&bytes) else {
            return preferred.clone();
        };
        let text = |e: &Value, field: &str| {
            e.get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let of_account: Vec<(String, String)> = doc
            .get("RefreshToken")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|map| map.values())
            .filter(|e| {
                text(e, "home_account_id").eq_ignore_ascii_case(&account.home_account_id)
                    && text(e, "environment").eq_ignore_ascii_case(&account.environment)
            })
            .map(|e| (text(e, "client_id"), text(e, "family_id")))
            .collect();
        let served = of_account
            .iter()
            .any(|(client, family)| client.eq_ignore_ascii_case(preferred.as_str()) || !family.is_empty());
        if served || of_account.is_empty() {
            return preferred.clone();
        }
        of_account
            .iter()
            .find_map(|(client, _)| ClientId::parse(client).ok())
            .unwrap_or_else(|| preferred.clone())
    }
}

/// What to sign in to with the Azure CLI's sign-in.
#[derive(Debug, Clone, Copy)]
pub struct FromAzureCli<'a> {
    /// The cloud's authority (its tenant is replaced by the account's, or by `tenant`).
    pub authority: &'a Authority,
    /// The client to get the token for: the Azure CLI's own, or one of its family; when the CLI's cache
    /// holds neither for the account, the client its refresh token was issued to ([`AzureCli::client_for`]).
    pub client_id: &'a ClientId,
    /// The scopes of the token.
    pub scopes: &'a [String],
    /// The account's sign-in name, when the CLI has several.
    pub username: Option<&'a str>,
    /// The tenant, when not the account's tenant in the CLI (`--tenant`).
    pub tenant: Option<&'a Tenant>,
}

/// A sign-in with the Azure CLI's sign-in.
#[derive(Debug)]
pub struct AzureCliSignIn {
    /// The token.
    pub token: TokenResult,
    /// The account, as the CLI's cache has it.
    pub account: Account,
    /// The CLI's cache, which this connection reads and writes from now on.
    pub cache: TokenCache,
}

/// The error once `az logout` (or MSAL's `remove_account`) took the account's tokens away.
pub(crate) fn signed_out(username: &str) -> Error {
    Error::SignInRequired(format!(
        "{} is signed out in the Azure CLI; run az login or connect again",
        printable(username)
    ))
}

/// Text from another program's file, fit for a message: no control characters, at most 200 of them.
pub(crate) fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests;
