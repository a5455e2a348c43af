//! `Connect-Entra` declared once: the three sets its help page documents, plus what the shipped module
//! accepts since it forwards to Connect-MgGraph (`-Scopes`, `-ClientId`, `-UseDeviceCode`,
//! `-ClientSecretCredential`, `-Environment`), and msconnect's own; every parameter with its aliases,
//! kind and help; the environment names; and how the bound parameters become the typed request.

use auth_core::{AccessToken, CertificateSource, ClientId, Credential, Environment, Tenant};
use cmdlet::declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets, common};
use cmdlet::sets::{self, FROM_AZURE_CLI_SET, SetNames, workload::WorkloadSignIn};
use cmdlet::{Bound, EnvironmentNames, Request, Result};

/// `Connect-Entra`. `-MsAccessToken` is mandatory in AccessToken (the help marks it optional, which only
/// ever makes the default set win) and `-TenantId` in AppSecretCredential (client credentials need a
/// tenant).
pub static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-Entra",
    about: "Sign in to Microsoft Entra ID (Microsoft Graph) and print the new context",
    operation: "Connect",
    parameters: &[
        &[
            common::CERTIFICATE_THUMBPRINT,
            Parameter {
                name: "ClientId",
                aliases: &["ApplicationId", "AppId"],
                kind: Kind::Text("ID"),
                help: "The application (client) id [default: Microsoft Graph PowerShell's]",
            },
            Parameter {
                name: "ClientSecretCredential",
                aliases: &[],
                kind: Kind::Credential {
                    env: "MSCONNECT_CLIENT_SECRET",
                },
                help: "The application id of a service principal; its client secret comes from \
                       --password-stdin, MSCONNECT_CLIENT_SECRET or a prompt",
            },
            common::CREDENTIAL,
            common::ENVIRONMENT,
            Parameter {
                name: "MsAccessToken",
                aliases: &["AccessToken"],
                kind: Kind::Secret {
                    value_name: "TOKEN",
                    env: "MSCONNECT_ACCESS_TOKEN",
                },
                help: "A Microsoft Graph access token to use as it is (`-` reads it from stdin)",
            },
            Parameter {
                help: "The delegated permissions to ask for [default: https://graph.microsoft.com/.default]",
                ..common::SCOPES
            },
            Parameter {
                name: "TenantId",
                aliases: &["Domain", "TenantDomain", "Tenant"],
                kind: Kind::Tenant,
                help: "The tenant: its id (GUID) or a domain name [default: organizations]",
            },
            Parameter {
                name: "UseDeviceCode",
                aliases: &["UseDeviceAuthentication", "DeviceCode", "DeviceAuth", "Device"],
                kind: Kind::Switch,
                help: "Sign in with a device code (on another device's browser) instead of this machine's browser",
            },
        ],
        &common::SHOULD_PROCESS,
    ],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| {
        let mut all = vec![
            ParameterSet::new(
                "UserCredential",
                &[],
                &[
                    "TenantId",
                    "Credential",
                    "ClientId",
                    "Scopes",
                    "UseDeviceCode",
                    sets::CLAIMS_CHALLENGE,
                ],
            )
            .also(COMMON)
            .default_set(),
            ParameterSet::new(
                "ServicePrincipalCertificate",
                &["TenantId", "ClientId", "CertificateThumbprint"],
                COMMON,
            ),
            ParameterSet::new("AccessToken", &["MsAccessToken"], &["TenantId"]).also(COMMON),
            ParameterSet::new(
                "AppSecretCredential",
                &["ClientSecretCredential", "TenantId"],
                COMMON,
            ),
            sets::azure_cli_set(NAMES, COMMON),
        ];
        all.extend(sets::workload::sets(NAMES, COMMON));
        all
    }),
    environments: &ENVIRONMENTS,
};

/// The names `-Environment` takes (Microsoft Graph PowerShell's), Global the default; the environment
/// keeps the Entra name, which the context shows.
pub static ENVIRONMENTS: EnvironmentNames =
    EnvironmentNames(&["Global", "China", "USGov", "USGovDoD", "Germany"]);

/// How Connect-Entra names the application id and the tenant.
pub const NAMES: SetNames = SetNames::new("ClientId", "TenantId");

/// What every set takes.
const COMMON: &[&str] = &["Environment", "WhatIf", "Confirm", "Cae"];

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
    /// An application with a certificate: from the store by `-CertificateThumbprint`, or (a library
    /// caller) by path or bytes.
    ServicePrincipalCertificate {
        /// `-TenantId`.
        tenant: Tenant,
        /// `-ClientId` (`-ApplicationId`).
        client_id: ClientId,
        /// `-CertificateThumbprint`.
        certificate: CertificateSource,
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
    Workload(WorkloadSignIn),
}

impl EntraSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::UserCredential { .. } => "UserCredential",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::AccessToken { .. } => "AccessToken",
            Self::AppSecretCredential { .. } => "AppSecretCredential",
            Self::FromAzureCli { .. } => FROM_AZURE_CLI_SET,
            Self::Workload(workload) => workload.set_name(),
        }
    }
}

impl Request for ConnectEntra {
    const CMDLET: &'static Cmdlet = &CONNECT;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        if let Some(workload) = WorkloadSignIn::from_bound(&bound, NAMES)? {
            let set = EntraSignIn::Workload(workload);
            return Ok(Self {
                environment: bound.environment(),
                set,
            });
        }
        let set = match bound.set_name() {
            "ServicePrincipalCertificate" => EntraSignIn::ServicePrincipalCertificate {
                tenant: bound.required_tenant("TenantId")?,
                client_id: bound.required_client_id("ClientId")?,
                certificate: CertificateSource::Thumbprint(bound.required_text("CertificateThumbprint")?),
            },
            "AccessToken" => EntraSignIn::AccessToken {
                access_token: bound.required_secret("MsAccessToken")?.into(),
                tenant: bound.tenant("TenantId")?,
            },
            "AppSecretCredential" => EntraSignIn::AppSecretCredential {
                credential: bound.required_credential("ClientSecretCredential")?,
                tenant: bound.required_tenant("TenantId")?,
            },
            FROM_AZURE_CLI_SET => EntraSignIn::FromAzureCli {
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
        Ok(Self {
            environment: bound.environment(),
            set,
        })
    }
}

#[cfg(test)]
mod tests;
