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

/// The parameters every module's connect shares: the Azure CLI's, then the workload sets'.
pub const CONNECT_SHARED: &[&[Parameter]] = &[AZURE_CLI_PARAMETERS, workload::PARAMETERS];
