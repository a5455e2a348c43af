//! Parameter sets that several modules' cmdlets share, written once with each module's parameter names:
//! msconnect's own sign-ins every connect gains (the Azure CLI's sign-in, and the four secret-free ones
//! of [`workload`]), and the five sets of the cmdlets on the Partner Center SDK's sign-in
//! ([`standard`]).

use crate::declare::{Kind, Parameter, ParameterSet};

pub mod standard;
pub mod workload;

/// How a module spells its application id and tenant parameters.
#[derive(Debug, Clone, Copy)]
pub struct SetNames {
    /// `ApplicationId`, `ClientId` or `ClientID`.
    pub application_id: &'static str,
    /// `Tenant`, `TenantId` or `TenantID`.
    pub tenant: &'static str,
}

impl SetNames {
    /// A module that names them `application_id` and `tenant`.
    pub const fn new(application_id: &'static str, tenant: &'static str) -> Self {
        Self {
            application_id,
            tenant,
        }
    }
}

/// The name of the set of `-FromAzureCli` (its switch has the same name).
pub const FROM_AZURE_CLI_SET: &str = "FromAzureCli";

/// The parameters of the Azure CLI's sign-in: `-FromAzureCli` and `-Account`.
pub const AZURE_CLI_PARAMETERS: &[Parameter] = &[
    Parameter {
        name: FROM_AZURE_CLI_SET,
        aliases: &[],
        kind: Kind::Switch,
        help: "Use the Azure CLI's sign-in (az login): its refresh token and its token cache, shared from \
               now on; no browser, no device code",
    },
    Parameter {
        name: "Account",
        aliases: &[],
        kind: Kind::Text("UPN"),
        help: "With --from-azure-cli: the Azure CLI's account to use, when it has several",
    },
];

/// The set of the Azure CLI's sign-in: `-FromAzureCli`, with `-Account` and the module's tenant, and
/// `common` (`-Environment`, `-WhatIf`…).
pub fn azure_cli_set(names: SetNames, common: &[&'static str]) -> ParameterSet {
    ParameterSet::new(
        FROM_AZURE_CLI_SET,
        &[FROM_AZURE_CLI_SET],
        &["Account", names.tenant],
    )
    .also(common)
}

/// `-Cae`: announce continuous access evaluation (every set of every connect takes it).
pub const CAE: &str = "Cae";
/// `-ClaimsChallenge`: a claims challenge for an interactive sign-in (the sets where a person signs in).
pub const CLAIMS_CHALLENGE: &str = "ClaimsChallenge";

/// The parameters of continuous access evaluation and claims challenges.
pub const CAE_PARAMETERS: &[Parameter] = &[
    Parameter {
        name: CAE,
        aliases: &[],
        kind: Kind::Switch,
        help: "Continuous access evaluation: the connection announces the cp1 client capability on every \
               request, renewals included, and gets long-lived, revocable tokens, cached apart from others",
    },
    Parameter {
        name: CLAIMS_CHALLENGE,
        aliases: &[],
        kind: Kind::Text("CHALLENGE"),
        help: "A claims challenge to satisfy (the base64 or JSON claims of a 401's WWW-Authenticate, or what \
               `token` printed when a tenant asked for more)",
    },
];

/// The parameters every module's connect shares: the Azure CLI's, the workload sets', then continuous
/// access evaluation's.
pub const CONNECT_SHARED: &[&[Parameter]] = &[AZURE_CLI_PARAMETERS, workload::PARAMETERS, CAE_PARAMETERS];
