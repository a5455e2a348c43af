//! `Connect-Entra`: each set becomes an auth-core sign-in with Microsoft Graph PowerShell's defaults
//! (PROTOCOL section 2) and the result an [`EntraContext`].

use auth_core::{
    BrowserOptions, CertificateSource, ClientCredential, ClientId, Connected, Environment, Session,
    SignInMethod, SignInRequest,
};
use cmdlet::declare::Cmdlet;
use cmdlet::declare::common::{CERTIFICATE_THUMBPRINT, CREDENTIAL};
use cmdlet::sets::shared::SharedSignIn;
use cmdlet::{Authenticated, Bound, Connect, Lifecycle, Result};

use crate::context::{AuthType, EntraContext, GRAPH_POWERSHELL_APP_NAME, TokenCredentialType};
use crate::params::{
    CLIENT_ID, CLIENT_SECRET_CREDENTIAL, CONNECT_CMDLET, ConnectEntra, EntraSignIn, MS_ACCESS_TOKEN, NAMES,
    SCOPES, TENANT_ID, USE_DEVICE_CODE, UserMethod,
};

/// Microsoft Graph PowerShell's client ("Microsoft Graph Command Line Tools").
pub const DEFAULT_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// What planning keeps for the context: how the sign-in is described, and a certificate's thumbprint.
#[derive(Debug)]
pub struct EntraPlan {
    auth_type: AuthType,
    credential_type: TokenCredentialType,
    thumbprint: Option<String>,
}

impl Connect for ConnectEntra {
    const CMDLET: &'static Cmdlet = &CONNECT_CMDLET;
    type Context = EntraContext;
    type Plan = EntraPlan;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        if let Some(shared) = SharedSignIn::from_bound(&bound, NAMES)? {
            let set = EntraSignIn::Shared(shared.resolve(bound.session(), NAMES)?);
            return Ok(Self {
                environment: bound.environment(),
                set,
            });
        }
        let set = match bound.set_name() {
            "ServicePrincipalCertificate" => EntraSignIn::ServicePrincipalCertificate {
                tenant: bound.required_tenant(&TENANT_ID)?,
                client_id: bound.required_client_id(&CLIENT_ID)?,
                certificate: {
                    let thumbprint = bound.required_text(&CERTIFICATE_THUMBPRINT)?;
                    bound.certificate(&CertificateSource::Thumbprint(thumbprint))?
                },
            },
            "AccessToken" => EntraSignIn::AccessToken {
                access_token: bound.required_secret(&MS_ACCESS_TOKEN)?.into(),
                tenant: bound.tenant(&TENANT_ID)?,
            },
            "AppSecretCredential" => EntraSignIn::AppSecretCredential {
                credential: bound.required_credential(&CLIENT_SECRET_CREDENTIAL)?,
                tenant: bound.required_tenant(&TENANT_ID)?,
            },
            _ => EntraSignIn::UserCredential {
                tenant: bound.tenant(&TENANT_ID)?,
                client_id: bound.client_id(&CLIENT_ID)?,
                scopes: auth_core::normalize_scopes(bound.list(&SCOPES)?.unwrap_or_default()),
                method: match (bound.credential(&CREDENTIAL)?, bound.switch(&USE_DEVICE_CODE)) {
                    (Some(_), true) => return Err(bound.conflict(&CREDENTIAL, &USE_DEVICE_CODE)),
                    (Some(credential), false) => UserMethod::Credential(credential),
                    (None, true) => UserMethod::DeviceCode,
                    (None, false) => UserMethod::Browser,
                },
            },
        };
        Ok(Self {
            environment: bound.environment(),
            set,
        })
    }

    fn environment(&self) -> &Environment {
        &self.environment
    }

    fn plan(self, environment: Environment) -> Result<(SignInRequest, EntraPlan)> {
        let set = self.set;
        let default_scope = format!("{}/.default", environment.graph.as_str().trim_end_matches('/'));
        let mut thumbprint = None;
        let default_client = || ClientId::from_static(DEFAULT_CLIENT_ID);
        let (client_id, tenant, scopes, method, auth_type, credential_type) = match set {
            EntraSignIn::UserCredential {
                tenant,
                client_id,
                scopes,
                method,
            } => {
                let (method, credential_type) = match method {
                    // Microsoft Graph PowerShell redirects to http://localhost on any free port
                    UserMethod::Browser => (
                        SignInMethod::Browser(BrowserOptions::default()),
                        TokenCredentialType::InteractiveBrowser,
                    ),
                    UserMethod::DeviceCode => (SignInMethod::DeviceCode, TokenCredentialType::DeviceCode),
                    UserMethod::Credential(credential) => (
                        SignInMethod::Password(credential),
                        TokenCredentialType::UsernamePassword,
                    ),
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
                    method,
                    AuthType::Delegated,
                    credential_type,
                )
            }
            EntraSignIn::ServicePrincipalCertificate {
                tenant,
                client_id,
                certificate,
            } => {
                let credential = certificate;
                // the context shows the thumbprint of the certificate used, however it was given
                thumbprint = match &credential {
                    ClientCredential::Assertion(source) => {
                        source.certificate_description().map(|saved| saved.thumbprint)
                    }
                    ClientCredential::Secret(_) => None,
                };
                (
                    client_id,
                    Some(tenant),
                    vec![default_scope],
                    SignInMethod::Application(credential),
                    AuthType::AppOnly,
                    TokenCredentialType::ClientCertificate,
                )
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
                ClientId::parse(&credential.username).map_err(|error| {
                    cmdlet::Error::invalid_field(&crate::params::CLIENT_SECRET_CREDENTIAL, error)
                })?,
                Some(tenant),
                vec![default_scope],
                SignInMethod::Application(ClientCredential::Secret(credential.password.into())),
                AuthType::AppOnly,
                TokenCredentialType::ClientSecret,
            ),
            EntraSignIn::Shared(plan) => {
                // the set whose sign-in ran: for `-Auto`, the one the host offered
                let credential_type = match plan.answered {
                    "FederatedToken" => TokenCredentialType::FederatedToken,
                    "WorkloadIdentity" => TokenCredentialType::WorkloadIdentity,
                    "ManagedIdentity" => TokenCredentialType::ManagedIdentity,
                    cmdlet::sets::shared::FROM_AZURE_CLI_SET => TokenCredentialType::AzureCli,
                    _ => TokenCredentialType::EnvironmentVariable,
                };
                (
                    plan.client_id.unwrap_or_else(default_client),
                    plan.tenant,
                    vec![default_scope],
                    plan.method,
                    if plan.app_only {
                        AuthType::AppOnly
                    } else {
                        AuthType::Delegated
                    },
                    credential_type,
                )
            }
        };
        let request = SignInRequest::new(environment, tenant, client_id, scopes, method);
        Ok((
            request,
            EntraPlan {
                auth_type,
                credential_type,
                thumbprint,
            },
        ))
    }

    async fn context(plan: EntraPlan, signed_in: Authenticated<'_>) -> Result<EntraContext> {
        let EntraPlan {
            auth_type,
            credential_type,
            thumbprint,
        } = plan;
        let (request, result) = (signed_in.request, signed_in.tokens.result());
        // A passthrough token names its own application (appid/azp); report that one.
        let client_id = result.client_id.to_string();
        let context = EntraContext {
            app_name: (client_id == DEFAULT_CLIENT_ID).then(|| GRAPH_POWERSHELL_APP_NAME.to_owned()),
            client_id,
            tenant_id: result.tenant_id.clone(),
            scopes: result.scopes.clone(),
            auth_type,
            token_credential_type: credential_type,
            certificate_thumbprint: thumbprint,
            account: result
                .account
                .as_ref()
                .map(|a| a.username.clone())
                .filter(|name| !name.is_empty()),
            context_scope: "CurrentUser".to_owned(),
            environment: request.environment.name.clone(),
        };
        Ok(context)
    }
}

/// `Connect-Entra`: signs in with the set's sign-in and Microsoft Graph PowerShell's defaults, builds
/// the [`EntraContext`] and saves it. Renew tokens with the returned [`Connected`].
pub async fn connect(session: &Session, request: ConnectEntra) -> Result<(EntraContext, Connected)> {
    LIFECYCLE.connect(session, request).await
}

/// The name this module's connection is saved under.
pub const MODULE: &str = "entra";

/// The Entra connections: `connect` (as `default`), `named(&name)` to connect, switch to or disconnect one
/// by name, `list`, `status`, `current_context` (`Get-EntraContext`) and `disconnect` (`Disconnect-Entra`).
pub static LIFECYCLE: Lifecycle<EntraContext> = Lifecycle::new(MODULE);

#[cfg(test)]
mod tests;
