//! `Connect-Entra`: each set becomes an auth-core sign-in with Microsoft Graph PowerShell's defaults
//! (PROTOCOL section 2) and the result an [`EntraContext`].

use auth_core::{ClientCredential, ClientId, Session, SignInMethod, SignInRequest};

use crate::context::{AuthType, EntraContext, GRAPH_POWERSHELL_APP_NAME, TokenCredentialType};
use crate::error::Result;
use crate::params::{CONNECT_ENTRA, ConnectEntra, EntraSignIn, UserMethod};

/// Microsoft Graph PowerShell's client ("Microsoft Graph Command Line Tools").
pub const DEFAULT_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Connects as Connect-Entra does.
pub async fn connect(session: &Session, request: ConnectEntra) -> Result<EntraContext> {
    let ConnectEntra { environment, set } = request;
    let environment = session.resolve_environment(&environment)?;
    let default_scope = format!("{}/.default", environment.graph.as_str().trim_end_matches('/'));
    let set_name = set.set_name();
    let unavailable = |what: &str| -> crate::Error {
        auth_core::Error::NotAvailable {
            what: format!("{what} ({CONNECT_ENTRA} parameter set {set_name})"),
        }
        .into()
    };
    let default_client = || ClientId::from_static(DEFAULT_CLIENT_ID);
    let (client_id, tenant, scopes, method, auth_type, credential_type) = match set {
        EntraSignIn::UserCredential {
            tenant,
            client_id,
            scopes,
            method,
        } => {
            let credential = match method {
                UserMethod::Browser => return Err(unavailable("browser sign-in")),
                UserMethod::DeviceCode => return Err(unavailable("device code sign-in")),
                UserMethod::Credential(credential) => credential,
            };
            let scopes = if scopes.is_empty() {
                vec![default_scope]
            } else {
                scopes
            };
            (
                client_id.unwrap_or_else(default_client),
                tenant,
                scopes,
                SignInMethod::Password(credential),
                AuthType::Delegated,
                TokenCredentialType::UsernamePassword,
            )
        }
        EntraSignIn::ServicePrincipalCertificate { .. } => {
            return Err(unavailable("certificate sign-in with -CertificateThumbprint"));
        }
        EntraSignIn::AccessToken { access_token, tenant } => (
            default_client(),
            tenant,
            vec![default_scope],
            SignInMethod::AccessToken(access_token),
            AuthType::UserProvidedAccessToken,
            TokenCredentialType::UserProvidedAccessToken,
        ),
        EntraSignIn::AppSecretCredential { credential, tenant } => (
            auth_core::params::named("ClientSecretCredential", ClientId::parse(&credential.username))?,
            Some(tenant),
            vec![default_scope],
            SignInMethod::Application(ClientCredential::secret(credential.password.secret())),
            AuthType::AppOnly,
            TokenCredentialType::ClientSecret,
        ),
    };
    let request = SignInRequest {
        environment: environment.clone(),
        tenant: tenant.unwrap_or_default(),
        client_id,
        scopes,
        method,
    };
    let result = session.sign_in(&request).await?;
    // A passthrough token names its own application (appid/azp); report that one.
    let client_id = result.client_id.to_string();
    Ok(EntraContext {
        app_name: (client_id == DEFAULT_CLIENT_ID).then(|| GRAPH_POWERSHELL_APP_NAME.to_owned()),
        client_id,
        tenant_id: result.tenant_id.clone(),
        scopes: result.scopes.clone(),
        auth_type,
        token_credential_type: credential_type,
        certificate_thumbprint: None,
        account: result
            .account
            .as_ref()
            .map(|a| a.username.clone())
            .filter(|name| !name.is_empty()),
        context_scope: "CurrentUser".to_owned(),
        environment: environment.name.clone(),
    })
}

#[cfg(test)]
mod tests;
