//! The parameter sets of `Connect-Entra` as Rust types: the three its help page documents, plus what the
//! shipped module accepts since it forwards to Connect-MgGraph (`-Scopes`, `-ClientId`, `-UseDeviceCode`,
//! `-ClientSecretCredential`, `-Environment`).

use auth_core::params::{self, Argument, ParameterSetInfo};
use auth_core::{AccessToken, ClientId, Credential, Environment, Tenant};

use crate::environment;

/// The cmdlet name of [`ConnectEntra`].
pub const CONNECT_ENTRA: &str = "Connect-Entra";

/// The parameter sets of `Connect-Entra`. `-MsAccessToken` is mandatory in AccessToken (the help marks it
/// optional, which only ever makes the default set win) and `-TenantId` in AppSecretCredential (client
/// credentials need a tenant).
pub static PARAMETER_SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "UserCredential",
        mandatory: &[],
        optional: &[
            "TenantId",
            "Credential",
            "ClientId",
            "Scopes",
            "UseDeviceCode",
            "Environment",
            "WhatIf",
            "Confirm",
        ],
        default: true,
    },
    ParameterSetInfo {
        name: "ServicePrincipalCertificate",
        mandatory: &["TenantId", "ClientId", "CertificateThumbprint"],
        optional: &["Environment", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "AccessToken",
        mandatory: &["MsAccessToken"],
        optional: &["TenantId", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "AppSecretCredential",
        mandatory: &["ClientSecretCredential", "TenantId"],
        optional: &["Environment", "WhatIf", "Confirm"],
        default: false,
    },
    // msconnect's own: the Azure CLI's sign-in (`az login`), shared
    ParameterSetInfo {
        name: auth_core::partner_sets::FROM_AZURE_CLI_SET,
        mandatory: &["FromAzureCli"],
        optional: &["Account", "TenantId", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    // issue 16: the secret-free sets for CI runners and cloud hosts (auth_core::workload_sets)
    ParameterSetInfo {
        name: "FederatedToken",
        mandatory: &["FederatedTokenFile"],
        optional: &["ClientId", "TenantId", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "WorkloadIdentity",
        mandatory: &["WorkloadIdentity"],
        optional: &[
            "ClientId",
            "TenantId",
            "ServiceConnectionId",
            "Environment",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ManagedIdentity",
        mandatory: &["Identity"],
        optional: &[
            "ClientId",
            "ObjectId",
            "ResourceId",
            "TenantId",
            "Environment",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "EnvironmentVariable",
        mandatory: &["EnvironmentVariable"],
        optional: &["Environment", "WhatIf", "Confirm"],
        default: false,
    },
];

/// The aliases of `Connect-Entra`'s parameters: `(alias, canonical name)`.
pub const ALIASES: &[(&str, &str)] = &[
    ("ApplicationId", "ClientId"),
    ("AppId", "ClientId"),
    ("Domain", "TenantId"),
    ("TenantDomain", "TenantId"),
    ("Tenant", "TenantId"),
    ("UseDeviceAuthentication", "UseDeviceCode"),
    ("DeviceCode", "UseDeviceCode"),
    ("DeviceAuth", "UseDeviceCode"),
    ("Device", "UseDeviceCode"),
    ("AccessToken", "MsAccessToken"),
    ("cf", "Confirm"),
    ("wi", "WhatIf"),
];

/// The canonical name of a `Connect-Entra` parameter as typed (any case, an alias, a prefix).
pub fn canonical_parameter(name: &str) -> auth_core::Result<&'static str> {
    params::canonical_name(CONNECT_ENTRA, PARAMETER_SETS, ALIASES, name)
}

/// `Connect-Entra`.
#[derive(Debug, Clone)]
pub struct ConnectEntra {
    /// The cloud (`-Environment`); Global by default.
    pub environment: Environment,
    /// The parameter set and its own parameters.
    pub set: EntraSignIn,
}

/// How a user signs in, in the UserCredential set.
#[derive(Debug, Clone)]
pub enum UserMethod {
    /// The browser (no `-Credential`, no `-UseDeviceCode`).
    Browser,
    /// A device code (`-UseDeviceCode`).
    DeviceCode,
    /// `-Credential`: the user name and password (resource owner password).
    Credential(Credential),
}

/// The sets of `Connect-Entra`.
#[derive(Debug, Clone)]
pub enum EntraSignIn {
    /// A user: with a credential, in the browser, or with a device code.
    UserCredential {
        /// `-TenantId`; `organizations` when absent.
        tenant: Option<Tenant>,
        /// `-ClientId`; Microsoft Graph PowerShell's when absent.
        client_id: Option<ClientId>,
        /// `-Scopes`; `{Graph}/.default` when absent.
        scopes: Vec<String>,
        /// How the user signs in.
        method: UserMethod,
    },
    /// An application with a certificate from the store.
    ServicePrincipalCertificate {
        /// `-TenantId`.
        tenant: Tenant,
        /// `-ClientId` (`-ApplicationId`).
        client_id: ClientId,
        /// `-CertificateThumbprint`.
        certificate_thumbprint: String,
    },
    /// A Microsoft Graph access token the caller has.
    AccessToken {
        /// `-MsAccessToken`.
        access_token: AccessToken,
        /// `-TenantId`.
        tenant: Option<Tenant>,
    },
    /// An application with a client secret.
    AppSecretCredential {
        /// `-ClientSecretCredential`: the application id as user name, the secret as password.
        credential: Credential,
        /// `-TenantId`.
        tenant: Tenant,
    },
    /// A user the Azure CLI signed in (`--from-azure-cli`): its refresh token, silently, with the Azure
    /// CLI's client; the connection keeps its tokens in the Azure CLI's cache.
    FromAzureCli {
        /// `-Account`: the sign-in name, when the Azure CLI has several accounts.
        account: Option<String>,
        /// `-TenantId`; the account's tenant in the Azure CLI when absent.
        tenant: Option<Tenant>,
    },
    /// A secret-free sign-in: `-FederatedTokenFile`, `-WorkloadIdentity`, `-Identity` or
    /// `-EnvironmentVariable` (issue 16).
    Workload(auth_core::workload_sets::WorkloadSignIn),
}

/// How `Connect-Entra` names the application and tenant of the workload sets.
pub const WORKLOAD_NAMES: auth_core::workload_sets::WorkloadNames = auth_core::workload_sets::WorkloadNames {
    application_id: "ClientId",
    tenant: "TenantId",
};

impl EntraSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::UserCredential { .. } => "UserCredential",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::AccessToken { .. } => "AccessToken",
            Self::AppSecretCredential { .. } => "AppSecretCredential",
            Self::FromAzureCli { .. } => auth_core::partner_sets::FROM_AZURE_CLI_SET,
            Self::Workload(workload) => workload.set_name(),
        }
    }

    /// The tenant given, if any.
    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            Self::UserCredential { tenant, .. }
            | Self::AccessToken { tenant, .. }
            | Self::FromAzureCli { tenant, .. } => tenant.as_ref(),
            Self::ServicePrincipalCertificate { tenant, .. } | Self::AppSecretCredential { tenant, .. } => {
                Some(tenant)
            }
            Self::Workload(workload) => workload.tenant(),
        }
    }
}

impl ConnectEntra {
    /// Binds arguments as PowerShell would (names by alias, case and prefix) and builds the request of
    /// the set they resolve to. `-WhatIf` and `-Confirm` are accepted and left to the caller.
    pub fn from_arguments<S: AsRef<str>>(
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> auth_core::Result<Self> {
        let bound = params::bind(CONNECT_ENTRA, PARAMETER_SETS, ALIASES, arguments)?;
        let environment = bound
            .environment("Environment", environment::parse)?
            .unwrap_or_else(environment::global);
        if let Some(workload) = auth_core::workload_sets::WorkloadSignIn::from_bound(&bound, WORKLOAD_NAMES)?
        {
            return Ok(Self {
                environment,
                set: EntraSignIn::Workload(workload),
            });
        }
        let set = match bound.set_name() {
            "ServicePrincipalCertificate" => EntraSignIn::ServicePrincipalCertificate {
                tenant: bound.required_tenant("TenantId")?,
                client_id: bound.required_client_id("ClientId")?,
                certificate_thumbprint: bound.required_text("CertificateThumbprint")?,
            },
            "AccessToken" => EntraSignIn::AccessToken {
                access_token: AccessToken::new(bound.required_secret("MsAccessToken")?.secret()),
                tenant: bound.tenant("TenantId")?,
            },
            "AppSecretCredential" => EntraSignIn::AppSecretCredential {
                credential: bound.required_credential("ClientSecretCredential")?,
                tenant: bound.required_tenant("TenantId")?,
            },
            auth_core::partner_sets::FROM_AZURE_CLI_SET => EntraSignIn::FromAzureCli {
                account: bound.text("Account")?,
                tenant: bound.tenant("TenantId")?,
            },
            _ => EntraSignIn::UserCredential {
                tenant: bound.tenant("TenantId")?,
                client_id: bound.client_id("ClientId")?,
                scopes: auth_core::flows::normalize_scopes(bound.list("Scopes")?.unwrap_or_default()),
                method: match (bound.credential("Credential")?, bound.switch("UseDeviceCode")) {
                    (Some(_), true) => return Err(bound.conflict("Credential", "UseDeviceCode")),
                    (Some(credential), false) => UserMethod::Credential(credential),
                    (None, true) => UserMethod::DeviceCode,
                    (None, false) => UserMethod::Browser,
                },
            },
        };
        Ok(Self { environment, set })
    }

    /// The `-WhatIf` line: what connecting would do, without doing it.
    pub fn what_if(&self) -> String {
        let tenant = self
            .set
            .tenant()
            .map_or_else(|| "organizations".to_owned(), Tenant::to_string);
        format!(
            "What if: Performing the operation \"Connect\" on target \"tenant {tenant} in {} ({})\"",
            self.environment.name,
            self.set.set_name()
        )
    }
}

#[cfg(test)]
mod tests;
