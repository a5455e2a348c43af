//! `MgmtContext`: what Connect-SecMgmtAccount returns, with the PowerShell property names in JSON and the
//! module's format-file table. It never holds a secret (the original kept the refresh token and the
//! client secret in the account's ExtendedProperties).
//!
//! Its `Debug` is derived, all of it: with no secret in it (the context store refuses a member named
//! like one), nothing needs hiding, and a derived `Debug` cannot fall behind a new field.

use std::collections::BTreeMap;

use auth_core::Environment;
use serde::{Deserialize, Serialize};

use cmdlet::format::endpoint;
use cmdlet::sets::partner_sdk::account_table;
pub use cmdlet::sets::partner_sdk::{AccountType, ContextAccount as MgmtAccount};

/// The context of a SecMgmt connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MgmtContext {
    /// Who signed in.
    pub account: MgmtAccount,
    /// The cloud and its endpoints.
    pub environment: MgmtEnvironment,
    /// Other non-secret settings.
    pub extended_properties: BTreeMap<String, String>,
}

/// A cloud as SecMgmt describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MgmtEnvironment {
    /// The authority host.
    pub active_directory_authority: String,
    /// Azure AD Graph (retired).
    pub azure_ad_graph_endpoint: Option<String>,
    /// Azure Resource Manager.
    pub azure_endpoint: Option<String>,
    /// Microsoft Graph.
    pub graph_endpoint: String,
    /// The environment's name (`AzureCloud`).
    pub environment_name: String,
}

impl From<&Environment> for MgmtEnvironment {
    fn from(environment: &Environment) -> Self {
        Self {
            active_directory_authority: endpoint(&environment.authority_host),
            azure_ad_graph_endpoint: environment.aad_graph.as_ref().map(endpoint),
            azure_endpoint: environment.resource_manager.as_ref().map(endpoint),
            graph_endpoint: endpoint(&environment.graph),
            environment_name: environment.name.clone(),
        }
    }
}

impl cmdlet::Context for MgmtContext {
    /// The table of the module's format file: Account (the object id, 40 wide), Environment, TenantId.
    fn to_table(&self) -> String {
        account_table(
            &self.account.object_id,
            &self.environment.environment_name,
            &self.account.tenant,
        )
    }
}
