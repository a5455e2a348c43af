//! The parameter sets of `Connect-SecMgmtAccount` as Rust types (each set a variant holding exactly its
//! fields), the table the binder resolves them from, and the aliases.

use auth_core::params::{self, Argument, Bound, ParameterSetInfo};
use auth_core::{AccessToken, ClientId, Credential, Environment, RefreshToken, Tenant};

use crate::environment;

/// The cmdlet name of [`ConnectSecMgmtAccount`].
pub const CONNECT_SECMGMT_ACCOUNT: &str = "Connect-SecMgmtAccount";

/// The parameter sets of `Connect-SecMgmtAccount`, as its help page gives them.
pub static PARAMETER_SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "User",
        mandatory: &[],
        optional: &[
            "Environment",
            "Tenant",
            "UseDeviceAuthentication",
            "WhatIf",
            "Confirm",
        ],
        default: true,
    },
    ParameterSetInfo {
        name: "AccessToken",
        mandatory: &["AccessToken"],
        optional: &["Environment", "Tenant", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "RefreshToken",
        mandatory: &["ApplicationId", "RefreshToken"],
        optional: &[
            "CertificateThumbprint",
            "Credential",
            "Environment",
            "Tenant",
            "WhatIf",
            "Confirm",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipalCertificate",
        mandatory: &["ApplicationId", "CertificateThumbprint", "Tenant"],
        optional: &["Environment", "ServicePrincipal", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipal",
        mandatory: &["Credential", "ServicePrincipal", "Tenant"],
        optional: &["Environment", "WhatIf", "Confirm"],
        default: false,
    },
];

/// The aliases of `Connect-SecMgmtAccount`'s parameters: `(alias, canonical name)`.
pub const ALIASES: &[(&str, &str)] = &[
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
    ("Device", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("DeviceCode", "UseDeviceAuthentication"),
    ("cf", "Confirm"),
    ("wi", "WhatIf"),
];

/// The canonical name of a `Connect-SecMgmtAccount` parameter as typed (any case, an alias, a prefix).
pub fn canonical_parameter(name: &str) -> auth_core::Result<&'static str> {
    params::canonical_name(CONNECT_SECMGMT_ACCOUNT, PARAMETER_SETS, ALIASES, name)
}

/// `Connect-SecMgmtAccount`.
#[derive(Debug, Clone)]
pub struct ConnectSecMgmtAccount {
    /// The cloud (`-Environment`); AzureCloud by default.
    pub environment: Environment,
    /// The parameter set and its own parameters.
    pub set: SecMgmtSignIn,
}

/// The web app's credential that goes with a refresh token.
#[derive(Debug, Clone)]
pub enum RefreshTokenCredential {
    /// `-Credential`: the application id and its client secret.
    Secret(Credential),
    /// `-CertificateThumbprint`: a certificate of the application.
    CertificateThumbprint(String),
}

/// The sets of `Connect-SecMgmtAccount`.
#[derive(Debug, Clone)]
pub enum SecMgmtSignIn {
    /// A user in the browser (ports 8400-8999), or with a device code.
    User {
        /// `-Tenant`; `organizations` when absent.
        tenant: Option<Tenant>,
        /// `-UseDeviceAuthentication`.
        use_device_authentication: bool,
    },
    /// An access token the caller has.
    AccessToken {
        /// `-AccessToken`.
        access_token: AccessToken,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// A refresh token, for a public client or with the web app's credential.
    RefreshToken {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-RefreshToken`.
        refresh_token: RefreshToken,
        /// `-Credential` or `-CertificateThumbprint`.
        credential: Option<RefreshTokenCredential>,
        /// `-Tenant`.
        tenant: Option<Tenant>,
    },
    /// An application signing in with a certificate.
    ServicePrincipalCertificate {
        /// `-ApplicationId`.
        application_id: ClientId,
        /// `-CertificateThumbprint`.
        certificate_thumbprint: String,
        /// `-Tenant`.
        tenant: Tenant,
    },
    /// An application signing in with a client secret (`-ServicePrincipal -Credential`).
    ServicePrincipal {
        /// `-Credential`: the application id as user name, the secret as password.
        credential: Credential,
        /// `-Tenant`.
        tenant: Tenant,
    },
}

impl SecMgmtSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::User { .. } => "User",
            Self::AccessToken { .. } => "AccessToken",
            Self::RefreshToken { .. } => "RefreshToken",
            Self::ServicePrincipalCertificate { .. } => "ServicePrincipalCertificate",
            Self::ServicePrincipal { .. } => "ServicePrincipal",
        }
    }

    /// The tenant given, if any.
    pub fn tenant(&self) -> Option<&Tenant> {
        match self {
            Self::User { tenant, .. }
            | Self::AccessToken { tenant, .. }
            | Self::RefreshToken { tenant, .. } => tenant.as_ref(),
            Self::ServicePrincipalCertificate { tenant, .. } | Self::ServicePrincipal { tenant, .. } => {
                Some(tenant)
            }
        }
    }
}

impl ConnectSecMgmtAccount {
    /// Binds arguments as PowerShell would (names by alias, case and prefix) and builds the request of
    /// the set they resolve to. `-WhatIf` and `-Confirm` are accepted and left to the caller.
    pub fn from_arguments<S: AsRef<str>>(
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> auth_core::Result<Self> {
        let bound = params::bind(CONNECT_SECMGMT_ACCOUNT, PARAMETER_SETS, ALIASES, arguments)?;
        let environment = bound
            .environment("Environment", environment::parse)?
            .unwrap_or_default();
        let set = match bound.set_name() {
            "AccessToken" => SecMgmtSignIn::AccessToken {
                access_token: AccessToken::new(bound.required_secret("AccessToken")?.secret()),
                tenant: bound.tenant("Tenant")?,
            },
            "RefreshToken" => SecMgmtSignIn::RefreshToken {
                application_id: bound.required_client_id("ApplicationId")?,
                refresh_token: RefreshToken::new(bound.required_secret("RefreshToken")?.secret()),
                credential: refresh_token_credential(&bound)?,
                tenant: bound.tenant("Tenant")?,
            },
            "ServicePrincipalCertificate" => SecMgmtSignIn::ServicePrincipalCertificate {
                application_id: bound.required_client_id("ApplicationId")?,
                certificate_thumbprint: bound.required_text("CertificateThumbprint")?,
                tenant: bound.required_tenant("Tenant")?,
            },
            "ServicePrincipal" => SecMgmtSignIn::ServicePrincipal {
                credential: bound.required_credential("Credential")?,
                tenant: bound.required_tenant("Tenant")?,
            },
            _ => SecMgmtSignIn::User {
                tenant: bound.tenant("Tenant")?,
                use_device_authentication: bound.switch("UseDeviceAuthentication"),
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

fn refresh_token_credential(bound: &Bound) -> auth_core::Result<Option<RefreshTokenCredential>> {
    match (
        bound.credential("Credential")?,
        bound.text("CertificateThumbprint")?,
    ) {
        (Some(_), Some(_)) => Err(bound.conflict("Credential", "CertificateThumbprint")),
        (Some(credential), None) => Ok(Some(RefreshTokenCredential::Secret(credential))),
        (None, Some(thumbprint)) => Ok(Some(RefreshTokenCredential::CertificateThumbprint(thumbprint))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests;
