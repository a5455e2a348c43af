//! What a PSMicrosoftEntraID connection leaves behind: [`PsEntraContext`], the token object's non-secret
//! properties (saved, shown by `context`), and [`EntraToken`], the same plus the access token, which
//! `-PassThru` returns.

use std::fmt;

use auth_core::AccessToken;
use cmdlet::format::{collection, list};
use serde::{Deserialize, Serialize};

/// The token object's properties, without the token: safe to save and print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PsEntraContext {
    /// The service connected to (`Graph`).
    #[serde(rename = "Service")]
    pub service: String,
    /// The flow (`Browser`, `DeviceCode`, `Certificate`, `ClientSecret`, `UsernamePassword`).
    #[serde(rename = "Type")]
    pub r#type: String,
    /// The application.
    #[serde(rename = "ClientID")]
    pub client_id: String,
    /// The tenant (the token's `tid`).
    #[serde(rename = "TenantID")]
    pub tenant_id: String,
    /// Where the service's requests go (`https://graph.microsoft.com/v1.0`).
    #[serde(rename = "ServiceUrl")]
    pub service_url: String,
    /// The authority host.
    #[serde(rename = "AuthenticationUrl")]
    pub authentication_url: String,
    /// The token's scopes (`scp`) or roles.
    #[serde(rename = "Scopes")]
    pub scopes: Vec<String>,
    /// The token's audience (`aud`).
    #[serde(rename = "Audience")]
    pub audience: Option<String>,
    /// The token's issuer (`iss`).
    #[serde(rename = "Issuer")]
    pub issuer: Option<String>,
    /// When the token becomes valid (`nbf`), RFC 3339.
    #[serde(rename = "ValidAfter")]
    pub valid_after: Option<String>,
    /// When the token expires, RFC 3339.
    #[serde(rename = "ValidUntil")]
    pub valid_until: String,
}

impl cmdlet::Context for PsEntraContext {
    /// What PowerShell prints for the token object: a list.
    fn to_table(&self) -> String {
        list(&self.properties())
    }
}

impl PsEntraContext {
    fn properties(&self) -> Vec<(&'static str, String)> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            ("Service", self.service.clone()),
            ("Type", self.r#type.clone()),
            ("ClientID", self.client_id.clone()),
            ("TenantID", self.tenant_id.clone()),
            ("ServiceUrl", self.service_url.clone()),
            ("AuthenticationUrl", self.authentication_url.clone()),
            ("Scopes", collection(&self.scopes)),
            ("Audience", text(&self.audience)),
            ("Issuer", text(&self.issuer)),
            ("ValidAfter", text(&self.valid_after)),
            ("ValidUntil", self.valid_until.clone()),
        ]
    }
}

/// The `-PassThru` token object: the context and the access token.
///
/// `Debug` redacts the token. Its JSON includes `AccessToken`, because `-PassThru` is how the user asks
/// for it; [`EntraToken::to_table`] shows it too, as PowerShell's list of the `-PassThru` object does
/// (the context's [`to_table`](cmdlet::Context::to_table) is the list without it).
#[derive(Clone)]
pub struct EntraToken {
    /// The non-secret properties.
    pub context: PsEntraContext,
    /// The access token.
    pub access_token: AccessToken,
}

impl EntraToken {
    /// The list PowerShell prints, without the token.
    pub fn to_table(&self) -> String {
        let mut properties = self.context.properties();
        properties.push(("AccessToken", self.access_token.secret().to_owned()));
        list(&properties)
    }
}

impl fmt::Debug for EntraToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraToken")
            .field("context", &self.context)
            .field("access_token", &self.access_token)
            .finish()
    }
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(flatten)]
    context: &'a PsEntraContext,
    #[serde(rename = "AccessToken")]
    access_token: &'a str,
}

impl Serialize for EntraToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            context: &self.context,
            access_token: self.access_token.secret(),
        }
        .serialize(serializer)
    }
}
