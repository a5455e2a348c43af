//! `PartnerContext`: what Connect-PartnerCenter returns and Get-PartnerContext shows, with the PowerShell
//! property names in JSON and the format file's table. It never holds a secret: no token, no client
//! secret, no refresh token (the original kept all three in ExtendedProperties, in plain text).
//!
//! Its `Debug` is derived, all of it: with no secret in it (the context store refuses a member named
//! like one), nothing needs hiding, and a derived `Debug` cannot fall behind a new field.

use std::collections::BTreeMap;

use auth_core::Environment;
use serde::{Deserialize, Serialize};

use cmdlet::format::endpoint;
use cmdlet::sets::partner_sdk::account_table;
pub use cmdlet::sets::partner_sdk::{AccountType, ContextAccount as PartnerAccount};

/// The context of a Partner Center connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartnerContext {
    /// Who signed in.
    pub account: PartnerAccount,
    /// The cloud and its endpoints.
    pub environment: PartnerEnvironment,
    /// The partner's ISO 3166 country, from its organization profile (absent when that could not be read).
    pub country_code: Option<String>,
    /// The partner's culture (`en-US`), from its organization profile.
    pub locale: Option<String>,
    /// Other non-secret settings; `EnforceMFA` is `True` when the connection enforces MFA.
    pub extended_properties: BTreeMap<String, String>,
}

/// A cloud as Partner Center describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartnerEnvironment {
    /// The authority host.
    pub active_directory_authority: String,
    /// Azure AD Graph (retired).
    pub azure_ad_graph_endpoint: Option<String>,
    /// Microsoft Graph.
    pub graph_endpoint: String,
    /// The environment's name (`AzureCloud`).
    pub environment_name: String,
    /// The Partner Center API.
    pub partner_center_endpoint: Option<String>,
}

impl From<&Environment> for PartnerEnvironment {
    fn from(environment: &Environment) -> Self {
        Self {
            active_directory_authority: endpoint(&environment.authority_host),
            azure_ad_graph_endpoint: environment.aad_graph.as_ref().map(endpoint),
            graph_endpoint: endpoint(&environment.graph),
            environment_name: environment.name.clone(),
            partner_center_endpoint: environment.partner_center.as_ref().map(endpoint),
        }
    }
}

/// The extended property that records `-EnforceMFA`.
pub(crate) const ENFORCE_MFA: &str = "EnforceMFA";

impl PartnerContext {
    /// Whether the connection enforces multi-factor authentication.
    pub fn enforce_mfa(&self) -> bool {
        self.extended_properties
            .get(ENFORCE_MFA)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Headers every Partner Center API request made with this context sends (besides the bearer
    /// token): `MS-Enforce-MFA: True` when the connection enforces MFA.
    pub fn api_headers(&self) -> Vec<(&'static str, &'static str)> {
        if self.enforce_mfa() {
            vec![("MS-Enforce-MFA", "True")]
        } else {
            Vec::new()
        }
    }
}

impl cmdlet::Context for PartnerContext {
    /// The table PowerShell shows: Account, Environment, TenantId.
    fn to_table(&self) -> String {
        account_table(
            &self.account.identifier,
            &self.environment.environment_name,
            &self.account.tenant,
        )
    }
}
