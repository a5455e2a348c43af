//! The Entra context (Microsoft Graph PowerShell's `AuthContext`, what Get-EntraContext shows), with the
//! PowerShell property names in JSON and the list PowerShell prints. It never holds a token or secret.
//!
//! Its `Debug` is derived, all of it: with no secret in it (the context store refuses a member named
//! like one), nothing needs hiding, and a derived `Debug` cannot fall behind a new field.

use cmdlet::format::{collection, list};
use serde::{Deserialize, Serialize};

/// The name Microsoft Graph PowerShell's own application goes by.
pub(crate) const GRAPH_POWERSHELL_APP_NAME: &str = "Microsoft Graph Command Line Tools";

/// Whether the context acts for a user or as an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthType {
    /// A user signed in.
    Delegated,
    /// An application signed in as itself.
    AppOnly,
    /// The caller gave an access token.
    UserProvidedAccessToken,
}

/// Which credential produced the token (Microsoft Graph PowerShell's `TokenCredentialType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenCredentialType {
    /// The browser.
    InteractiveBrowser,
    /// A device code.
    DeviceCode,
    /// A user name and password.
    UsernamePassword,
    /// An application certificate.
    ClientCertificate,
    /// An application secret.
    ClientSecret,
    /// An access token given by the caller.
    UserProvidedAccessToken,
    /// The Azure CLI's sign-in (`--from-azure-cli`; msconnect's own).
    AzureCli,
    /// An application with a federated token file (`-FederatedTokenFile`).
    FederatedToken,
    /// An application with the federated token the host offers (`-WorkloadIdentity`).
    WorkloadIdentity,
    /// The host's managed identity (`-Identity`).
    ManagedIdentity,
    /// The `AZURE_*` variables (`-EnvironmentVariable`).
    EnvironmentVariable,
}

/// The context of a Connect-Entra connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EntraContext {
    /// The application that signed in.
    pub client_id: String,
    /// The tenant id (the token's `tid`).
    pub tenant_id: String,
    /// The granted scopes (delegated) or roles (app-only).
    pub scopes: Vec<String>,
    /// Delegated, AppOnly or UserProvidedAccessToken.
    pub auth_type: AuthType,
    /// Which credential produced the token.
    pub token_credential_type: TokenCredentialType,
    /// The certificate's thumbprint, for certificate sign-ins.
    pub certificate_thumbprint: Option<String>,
    /// The user name, for delegated sign-ins.
    pub account: Option<String>,
    /// The application's name, when it is Microsoft Graph PowerShell's.
    pub app_name: Option<String>,
    /// Where the context lives: `CurrentUser` (kept across processes in MSCONNECT_HOME).
    pub context_scope: String,
    /// The environment's Entra name (`Global`).
    pub environment: String,
}

impl cmdlet::Context for EntraContext {
    /// What PowerShell prints for the context: a list, one property a line.
    fn to_table(&self) -> String {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        list(&[
            ("ClientId", self.client_id.clone()),
            ("TenantId", self.tenant_id.clone()),
            ("Scopes", collection(&self.scopes)),
            ("AuthType", format!("{:?}", self.auth_type)),
            ("TokenCredentialType", format!("{:?}", self.token_credential_type)),
            ("CertificateThumbprint", text(&self.certificate_thumbprint)),
            ("Account", text(&self.account)),
            ("AppName", text(&self.app_name)),
            ("ContextScope", self.context_scope.clone()),
            ("Environment", self.environment.clone()),
        ])
    }
}
