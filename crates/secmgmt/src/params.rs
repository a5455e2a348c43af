//! The parameter sets of `Connect-SecMgmtAccount` as Rust types (each set a variant holding exactly its
//! fields), the table the binder resolves them from, and the aliases.

use auth_core::Environment;
use auth_core::params::{self, Argument, ParameterSetInfo};

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
    // issue 16: the secret-free sets for CI runners and cloud hosts (auth_core::workload_sets)
    ParameterSetInfo {
        name: "FederatedToken",
        mandatory: &["FederatedTokenFile"],
        optional: &["ApplicationId", "Tenant", "Environment", "WhatIf", "Confirm"],
        default: false,
    },
    ParameterSetInfo {
        name: "WorkloadIdentity",
        mandatory: &["WorkloadIdentity"],
        optional: &[
            "ApplicationId",
            "Tenant",
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
            "ApplicationId",
            "ObjectId",
            "ResourceId",
            "Tenant",
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
    // msconnect's own: the Azure CLI's sign-in (`az login`), shared
    ParameterSetInfo {
        name: auth_core::partner_sets::FROM_AZURE_CLI_SET,
        mandatory: &["FromAzureCli"],
        optional: &["Account", "Environment", "Tenant", "WhatIf", "Confirm"],
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

/// The sets of `Connect-SecMgmtAccount` (shared with `Connect-PartnerCenter`, kept in auth-core).
pub use auth_core::partner_sets::{PartnerSignIn as SecMgmtSignIn, RefreshTokenCredential};

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
        let set = SecMgmtSignIn::from_bound(&bound)?;
        Ok(Self { environment, set })
    }

    /// The `-WhatIf` line: what connecting would do, without doing it.
    pub fn what_if(&self) -> String {
        self.set.what_if(&self.environment)
    }
}

#[cfg(test)]
mod tests;
