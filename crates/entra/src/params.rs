//! `Connect-Entra` declared once: the three sets its help page documents, plus what the shipped module
//! accepts since it forwards to Connect-MgGraph (`-Scopes`, `-ClientId`, `-UseDeviceCode`,
//! `-ClientSecretCredential`, `-Environment`), and msconnect's own; every parameter with its aliases,
//! kind and help; the environment names; and the typed request the bound parameters become.

use auth_core::{AccessToken, ClientCredential, ClientId, Credential, Environment, Tenant};
use cmdlet::EnvironmentNames;
use cmdlet::declare::common::{self, CERTIFICATE_THUMBPRINT, CONFIRM, CREDENTIAL, ENVIRONMENT, WHAT_IF};
use cmdlet::declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
use cmdlet::sets::shared::{self, ResolvedSignIn};
use cmdlet::sets::{self, CAE, CLAIMS_CHALLENGE, SetNames};

/// `-ClientId` (aliases `-ApplicationId`, `-AppId`).
pub(crate) const CLIENT_ID: Parameter = Parameter {
    name: "ClientId",
    aliases: &["ApplicationId", "AppId"],
    kind: Kind::Text("ID"),
    help: "The application (client) id [default: Microsoft Graph PowerShell's]",
};
/// `-ClientSecretCredential`.
pub(crate) const CLIENT_SECRET_CREDENTIAL: Parameter = Parameter {
    name: "ClientSecretCredential",
    aliases: &[],
    kind: Kind::Credential {
        env: "MSCONNECT_CLIENT_SECRET",
    },
    help: "The application id of a service principal; its client secret comes from \
           --password-stdin, MSCONNECT_CLIENT_SECRET or a prompt",
};
/// `-MsAccessToken` (alias `-AccessToken`).
pub(crate) const MS_ACCESS_TOKEN: Parameter = Parameter {
    name: "MsAccessToken",
    aliases: &["AccessToken"],
    kind: Kind::Secret {
        value_name: "TOKEN",
        env: "MSCONNECT_ACCESS_TOKEN",
    },
    help: "A Microsoft Graph access token to use as it is (`-` reads it from stdin)",
};
/// `-Scopes`.
pub(crate) const SCOPES: Parameter = Parameter {
    help: "The delegated permissions to ask for [default: https://graph.microsoft.com/.default]",
    ..common::SCOPES
};
/// `-TenantId` (aliases `-Domain`, `-TenantDomain`, `-Tenant`).
pub(crate) const TENANT_ID: Parameter = Parameter {
    name: "TenantId",
    aliases: &["Domain", "TenantDomain", "Tenant"],
    kind: Kind::Tenant,
    help: "The tenant: its id (GUID) or a domain name [default: organizations]",
};
/// `-UseDeviceCode` (aliases `-UseDeviceAuthentication`, `-DeviceCode`, `-DeviceAuth`, `-Device`).
pub(crate) const USE_DEVICE_CODE: Parameter = Parameter {
    name: "UseDeviceCode",
    aliases: &["UseDeviceAuthentication", "DeviceCode", "DeviceAuth", "Device"],
    kind: Kind::Switch,
    help: "Sign in with a device code (on another device's browser) instead of this machine's browser",
};

/// `Connect-Entra`. `-MsAccessToken` is mandatory in AccessToken (the help marks it optional, which only
/// ever makes the default set win) and `-TenantId` in AppSecretCredential (client credentials need a
/// tenant).
pub static CONNECT_CMDLET: Cmdlet = Cmdlet {
    name: "Connect-Entra",
    about: "Sign in to Microsoft Entra ID (Microsoft Graph) and print the new context",
    operation: "Connect",
    parameters: &[
        &[
            CERTIFICATE_THUMBPRINT,
            CLIENT_ID,
            CLIENT_SECRET_CREDENTIAL,
            CREDENTIAL,
            ENVIRONMENT,
            MS_ACCESS_TOKEN,
            SCOPES,
            TENANT_ID,
            USE_DEVICE_CODE,
        ],
        common::SHOULD_PROCESS,
    ],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| {
        let mut all = vec![
            ParameterSet::new(
                "UserCredential",
                &[],
                &[
                    &TENANT_ID,
                    &CREDENTIAL,
                    &CLIENT_ID,
                    &SCOPES,
                    &USE_DEVICE_CODE,
                    &CLAIMS_CHALLENGE,
                ],
            )
            .also(COMMON)
            .default_set(),
            ParameterSet::new(
                "ServicePrincipalCertificate",
                &[&TENANT_ID, &CLIENT_ID, &CERTIFICATE_THUMBPRINT],
                COMMON,
            ),
            ParameterSet::new("AccessToken", &[&MS_ACCESS_TOKEN], &[&TENANT_ID]).also(COMMON),
            ParameterSet::new(
                "AppSecretCredential",
                &[&CLIENT_SECRET_CREDENTIAL, &TENANT_ID],
                COMMON,
            ),
        ];
        all.extend(shared::sets(NAMES, COMMON, COMMON));
        all
    }),
    environments: &ENVIRONMENTS,
};

/// The names `-Environment` takes (Microsoft Graph PowerShell's), Global the default; the environment
/// keeps the Entra name, which the context shows.
pub static ENVIRONMENTS: EnvironmentNames =
    EnvironmentNames(&["Global", "China", "USGov", "USGovDoD", "Germany"]);

/// How Connect-Entra names the application id and the tenant: what [`SharedSignIn::resolve`](cmdlet::sets::shared::SharedSignIn::resolve)
/// names in its errors.
pub const NAMES: SetNames = SetNames::new(&CLIENT_ID, &TENANT_ID);

/// What every set takes.
const COMMON: &[&Parameter] = &[&ENVIRONMENT, &WHAT_IF, &CONFIRM, &CAE];

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
    /// caller) by path or bytes, loaded before connecting.
    ServicePrincipalCertificate {
        /// `-TenantId`.
        tenant: Tenant,
        /// `-ClientId` (`-ApplicationId`).
        client_id: ClientId,
        /// `-CertificateThumbprint`, loaded when binding (a library caller loads the certificate from a
        /// thumbprint, a file or bytes with `Session::certificate_credential`).
        certificate: ClientCredential,
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
    /// msconnect's own sign-ins: the Azure CLI's (`--from-azure-cli`, with the Azure CLI's client), and
    /// the secret-free ones (`-FederatedTokenFile`, `-WorkloadIdentity`, `-Identity`,
    /// `-EnvironmentVariable`, `-Auto`), resolved ([`SharedSignIn::resolve`](shared::SharedSignIn::resolve)).
    Shared(ResolvedSignIn),
}

impl EntraSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::UserCredential { .. } => "UserCredential",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::AccessToken { .. } => "AccessToken",
            Self::AppSecretCredential { .. } => "AppSecretCredential",
            Self::Shared(shared) => shared.set,
        }
    }
}

#[cfg(test)]
mod tests;
