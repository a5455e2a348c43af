//! A module's connection as one typed value: what signed in (a user and how, an application and with
//! which credential, an access token the caller brought), where (cloud, tenant, client id) and for which
//! scopes. It is saved with each module's context, so its serde form is versioned and readable, and a
//! context saved by the previous release (flat `Method`, `HomeAccountId`, `Certificate` members) still
//! loads.

use serde::{Deserialize, Serialize};

use crate::cloud::Environment;
use crate::error::Result;
use crate::flows::ClientCredential;
use crate::flows::fingerprint::{certificate_fingerprint, federated_fingerprint, secret_fingerprint};
use crate::ids::{ClientId, Tenant};
use crate::token::TokenResult;

use super::{SavedCertificate, SignInMethod, SignInRequest};

/// The version written in new connections; version 1 is the previous release's flat form.
pub(crate) const CONNECTION_VERSION: u32 = 2;

/// What a module remembers of its current connection so a later process can get tokens silently. Never
/// a secret: a client secret is supplied again ([`super::SessionOptions::renewal`]) and
/// checked against the fingerprint kept here; a certificate is found again from [`SavedCertificate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", try_from = "RawConnection")]
#[non_exhaustive]
pub struct Connection {
    /// The form of the saved connection (`CONNECTION_VERSION`).
    pub version: u32,
    /// The environment, with its endpoints as they were when connecting.
    pub environment: Environment,
    /// The tenant the token was issued in (the token's `tid`).
    #[serde(rename = "TenantId")]
    pub tenant: Tenant,
    /// The application.
    pub client_id: ClientId,
    /// The scopes asked for when connecting.
    pub scopes: Vec<String>,
    /// Who or what signed in, and how.
    pub signed_in: SignedIn,
    /// Where the connection's tokens live when not in the session's cache: the Azure CLI's cache for a
    /// connection made with `--from-azure-cli`, which every later `token` reads and writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_cache: Option<CacheLocation>,
    /// The client capabilities the connection announces on every request (`cp1`: continuous access
    /// evaluation); its tokens are cached apart from others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_capabilities: Vec<String>,
}

/// A token cache that is not the session's, which a connection keeps using.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type", rename_all = "PascalCase", rename_all_fields = "PascalCase")]
#[non_exhaustive]
pub enum CacheLocation {
    /// The Azure CLI's MSAL cache (`msal_token_cache.json`) in its config folder.
    AzureCli {
        /// The Azure CLI's config folder (`AZURE_CONFIG_DIR`, else `~/.azure`) when connecting.
        config_dir: std::path::PathBuf,
    },
}

/// Who or what signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type", rename_all = "PascalCase", rename_all_fields = "PascalCase")]
#[non_exhaustive]
pub enum SignedIn {
    /// A person; their refresh token renews the connection.
    User {
        /// The account's home account id (`{uid}.{utid}`), MSAL's key for it.
        home_account_id: String,
        /// The sign-in name, when the server gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// How they signed in.
        method: UserMethod,
    },
    /// An application (client credentials); its credential renews the connection.
    App {
        /// The credential it proved itself with.
        credential: AppCredential,
    },
    /// A managed identity of the host: the host's identity endpoint renews the connection.
    ManagedIdentity {
        /// Which identity: the system-assigned one, or a user-assigned one by client, object or
        /// resource id.
        id: crate::flows::ManagedIdentityId,
    },
    /// An access token the caller brought: nothing renews it, and it holds one scope.
    AccessToken {
        /// The scope (audience) the token was accepted for.
        scope: String,
        /// The home account id its claims name (`{oid}.{tid}`), which the cache keeps it under.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        home_account_id: Option<String>,
    },
}

/// How a person signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum UserMethod {
    /// Authorization code in a browser.
    Browser,
    /// Device code.
    DeviceCode,
    /// User name and password.
    Password,
    /// A refresh token the caller gave.
    RefreshToken,
    /// The Azure CLI's sign-in (`--from-azure-cli`): its refresh token, in its cache.
    AzureCli,
}

/// The credential an application signed in with: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Kind", rename_all = "PascalCase", rename_all_fields = "PascalCase")]
#[non_exhaustive]
pub enum AppCredential {
    /// A client secret, known by its fingerprint ([`secret_fingerprint`]).
    Secret {
        /// The keyed hash of the secret; `None` in connections saved by the previous release.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
    /// A certificate, and how to find it again.
    Certificate(SavedCertificate),
    /// A signed assertion from a source the library caller supplied, which cannot be found again.
    Assertion,
    /// A federated token (workload identity federation), and where to fetch it again: the file's path,
    /// or which CI system. Never the token.
    Federated(crate::flows::SavedFederatedSource),
    /// `--environment-variable`: the `AZURE_*` variables, read again to renew. `Method` says which of
    /// them connected (`ClientSecret`, `Certificate`, `FederatedTokenFile`), `Fingerprint` is that
    /// credential's ([`AppCredential::fingerprint`]).
    Environment {
        /// The kind of credential the variables held when connecting.
        method: String,
        /// Its fingerprint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
    },
}

impl AppCredential {
    /// The credential a sign-in presented, as the connection records it.
    pub fn of(credential: &ClientCredential, client_id: &ClientId) -> Self {
        match credential {
            ClientCredential::Secret(secret) => Self::Secret {
                fingerprint: Some(secret_fingerprint(secret, client_id)),
            },
            ClientCredential::Assertion(source) => {
                match (source.certificate_description(), source.federated_description()) {
                    (Some(saved), _) => Self::Certificate(saved),
                    (None, Some(federated)) => Self::Federated(federated),
                    (None, None) => Self::Assertion,
                }
            }
        }
    }

    /// What a context shows as the credential's type.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Secret { .. } => "ClientSecret",
            Self::Certificate(_) => "Certificate",
            Self::Assertion => "ClientAssertion",
            Self::Federated(source) => source.kind(),
            Self::Environment { .. } => "EnvironmentVariable",
        }
    }

    /// The fingerprint the cache keeps with this credential's tokens: a secret's keyed hash, a
    /// certificate's thumbprint; `None` when nothing identifies it.
    pub fn fingerprint(&self) -> Option<String> {
        match self {
            Self::Secret { fingerprint } => fingerprint.clone(),
            Self::Certificate(saved) => Some(certificate_fingerprint(&saved.thumbprint)),
            Self::Assertion => None,
            Self::Federated(source) => Some(federated_fingerprint(source)),
            Self::Environment { fingerprint, .. } => fingerprint.clone(),
        }
    }
}

impl Connection {
    /// The connection a sign-in established.
    pub fn new(request: &SignInRequest, result: &TokenResult) -> Result<Self> {
        let home_account_id = result.home_account_id().map(str::to_owned);
        let username = result
            .account
            .as_ref()
            .map(|a| a.username.clone())
            .filter(|u| !u.is_empty());
        let user = |method| match &home_account_id {
            Some(home) => Ok(SignedIn::User {
                home_account_id: home.clone(),
                username: username.clone(),
                method,
            }),
            None => Err(crate::error::Error::SignInRequired(format!(
                "{} signed a user in without saying who (no id_token or client_info): connect again",
                result.environment
            ))),
        };
        let signed_in = match &request.method {
            SignInMethod::AccessToken(_) => SignedIn::AccessToken {
                scope: request.scopes.first().cloned().unwrap_or_default(),
                home_account_id: home_account_id.clone(),
            },
            SignInMethod::Application(credential) => SignedIn::App {
                credential: AppCredential::of(credential, &request.client_id),
            },
            SignInMethod::Browser(_) => user(UserMethod::Browser)?,
            SignInMethod::DeviceCode => user(UserMethod::DeviceCode)?,
            SignInMethod::Password(_) => user(UserMethod::Password)?,
            SignInMethod::RefreshToken { .. } => user(UserMethod::RefreshToken)?,
            SignInMethod::ManagedIdentity(id) => SignedIn::ManagedIdentity { id: id.clone() },
            SignInMethod::AzureCli { .. } => user(UserMethod::AzureCli)?,
            SignInMethod::EnvironmentVariable(inner) => match inner.as_ref() {
                SignInMethod::Application(credential) => {
                    let used = AppCredential::of(credential, &request.client_id);
                    SignedIn::App {
                        credential: AppCredential::Environment {
                            method: used.kind().to_owned(),
                            fingerprint: used.fingerprint(),
                        },
                    }
                }
                SignInMethod::Password(_) => user(UserMethod::Password)?,
                _ => {
                    return Err(crate::error::Error::invalid(
                        "AZURE_* variables",
                        "the AZURE_* variables name an application's credential or a user name and password",
                    ));
                }
            },
        };
        // the Azure CLI's sign-in may use another client of its family than the one asked for; a managed
        // identity's application is the one the host's token names (the request knows it only for a
        // user-assigned identity given by client id), and its tokens are cached under it
        let client_id = match &request.method {
            SignInMethod::AzureCli { .. } | SignInMethod::ManagedIdentity(_) => result.client_id.clone(),
            _ => request.client_id.clone(),
        };
        Ok(Self {
            version: CONNECTION_VERSION,
            environment: request.environment.clone(),
            tenant: Tenant::parse(&result.tenant_id)?,
            client_id,
            scopes: request.scopes.clone(),
            signed_in,
            token_cache: None,
            client_capabilities: request.client_capabilities.clone(),
        })
    }

    /// A connection from its parts (library callers and tests that build one by hand).
    pub fn from_parts(
        environment: Environment,
        tenant: Tenant,
        client_id: ClientId,
        scopes: Vec<String>,
        signed_in: SignedIn,
    ) -> Self {
        Self {
            version: CONNECTION_VERSION,
            environment,
            tenant,
            client_id,
            scopes,
            signed_in,
            token_cache: None,
            client_capabilities: Vec::new(),
        }
    }

    /// Whether the connection is an application's rather than a user's.
    pub fn is_app_only(&self) -> bool {
        !matches!(self.signed_in, SignedIn::User { .. })
    }

    /// The signed-in user's home account id (also a passthrough token's, when its claims name one): the
    /// account its tokens are cached under.
    pub fn home_account_id(&self) -> Option<&str> {
        match &self.signed_in {
            SignedIn::User { home_account_id, .. } => Some(home_account_id),
            SignedIn::AccessToken { home_account_id, .. } => home_account_id.as_deref(),
            _ => None,
        }
    }

    /// The flow's name, as contexts and messages show it.
    pub fn method_name(&self) -> &'static str {
        match &self.signed_in {
            SignedIn::User { method, .. } => match method {
                UserMethod::Browser => "Browser",
                UserMethod::DeviceCode => "DeviceCode",
                UserMethod::Password => "UsernamePassword",
                UserMethod::RefreshToken => "RefreshToken",
                UserMethod::AzureCli => "AzureCli",
            },
            SignedIn::App { credential } => credential.kind(),
            SignedIn::ManagedIdentity { .. } => "ManagedIdentity",
            SignedIn::AccessToken { .. } => "AccessToken",
        }
    }

    /// The Azure CLI's folder, when the connection's tokens live in the Azure CLI's cache.
    pub fn azure_cli_dir(&self) -> Option<&std::path::Path> {
        match &self.token_cache {
            Some(CacheLocation::AzureCli { config_dir }) => Some(config_dir),
            None => None,
        }
    }
}

/// Both forms a saved connection has had: version 2 (`SignedIn`) and the previous release's flat one.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConnection {
    #[serde(default)]
    version: Option<u32>,
    environment: Environment,
    tenant_id: String,
    client_id: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    signed_in: Option<SignedIn>,
    // version 1
    #[serde(default)]
    home_account_id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    certificate: Option<SavedCertificate>,
    #[serde(default)]
    token_cache: Option<CacheLocation>,
    #[serde(default)]
    client_capabilities: Vec<String>,
}

impl TryFrom<RawConnection> for Connection {
    type Error = String;

    fn try_from(raw: RawConnection) -> std::result::Result<Self, String> {
        let version = raw.version.unwrap_or(1);
        if version > CONNECTION_VERSION {
            return Err(format!(
                "it was saved by a newer msconnect (connection version {version})"
            ));
        }
        let tenant = Tenant::parse(&raw.tenant_id).map_err(|e| e.to_string())?;
        let client_id = ClientId::parse(&raw.client_id).map_err(|e| e.to_string())?;
        let signed_in = match raw.signed_in {
            Some(signed_in) => signed_in,
            None => {
                let method = raw.method.as_deref().unwrap_or_default();
                let user = |method| match &raw.home_account_id {
                    Some(home) => Ok(SignedIn::User {
                        home_account_id: home.clone(),
                        username: raw.username.clone(),
                        method,
                    }),
                    None => Err(format!("its {method:?} connection names no account")),
                };
                match method {
                    "Browser" => user(UserMethod::Browser)?,
                    "DeviceCode" => user(UserMethod::DeviceCode)?,
                    "UsernamePassword" => user(UserMethod::Password)?,
                    "RefreshToken" => user(UserMethod::RefreshToken)?,
                    "AccessToken" => SignedIn::AccessToken {
                        scope: raw.scopes.first().cloned().unwrap_or_default(),
                        home_account_id: raw.home_account_id.clone(),
                    },
                    "ClientSecret" => SignedIn::App {
                        credential: AppCredential::Secret { fingerprint: None },
                    },
                    "Certificate" => SignedIn::App {
                        credential: match raw.certificate {
                            Some(saved) => AppCredential::Certificate(saved),
                            None => AppCredential::Assertion,
                        },
                    },
                    other => return Err(format!("unknown sign-in method '{other}'")),
                }
            }
        };
        Ok(Self {
            version: CONNECTION_VERSION,
            environment: raw.environment,
            tenant,
            client_id,
            scopes: raw.scopes,
            signed_in,
            token_cache: raw.token_cache,
            client_capabilities: raw.client_capabilities,
        })
    }
}
