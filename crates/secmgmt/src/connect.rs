//! `Connect-SecMgmtAccount`: each set becomes an auth-core sign-in with SecMgmt's defaults (PROTOCOL
//! section 2: `{Graph}/.default` for users and applications alike) and the result a [`MgmtContext`].

use std::collections::BTreeMap;

use auth_core::{ClientCredential, ClientId, Session, SignInMethod, SignInRequest};

use crate::context::{AccountType, MgmtAccount, MgmtContext, MgmtEnvironment, endpoint};
use crate::error::Result;
use crate::params::{CONNECT_SECMGMT_ACCOUNT, ConnectSecMgmtAccount, RefreshTokenCredential, SecMgmtSignIn};

/// The client SecMgmt signs users in with when no application is given.
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Connects to the Microsoft cloud as Connect-SecMgmtAccount does.
pub async fn connect(session: &Session, request: ConnectSecMgmtAccount) -> Result<MgmtContext> {
    let ConnectSecMgmtAccount { environment, set } = request;
    let environment = session.resolve_environment(&environment)?;
    let scope = format!("{}/.default", endpoint(&environment.graph));
    let set_name = set.set_name();
    let unavailable = |what: &str| -> crate::Error {
        auth_core::Error::NotAvailable {
            what: format!("{what} ({CONNECT_SECMGMT_ACCOUNT} parameter set {set_name})"),
        }
        .into()
    };
    let (client_id, tenant, method, account_type) = match set {
        SecMgmtSignIn::User {
            use_device_authentication,
            ..
        } => {
            return Err(unavailable(if use_device_authentication {
                "device code sign-in"
            } else {
                "browser sign-in"
            }));
        }
        SecMgmtSignIn::AccessToken { access_token, tenant } => (
            ClientId::from_static(DEFAULT_CLIENT_ID),
            tenant,
            SignInMethod::AccessToken(access_token),
            AccountType::AccessToken,
        ),
        SecMgmtSignIn::RefreshToken {
            application_id,
            refresh_token,
            credential,
            tenant,
        } => {
            let credential = match credential {
                None => None,
                Some(RefreshTokenCredential::Secret(credential)) => {
                    if !credential
                        .username
                        .trim()
                        .eq_ignore_ascii_case(application_id.as_str())
                    {
                        return Err(auth_core::Error::invalid(
                            "-Credential",
                            format!(
                                "its user name '{}' must be the application id given in -ApplicationId ({application_id})",
                                credential.username.trim()
                            ),
                        )
                        .into());
                    }
                    Some(ClientCredential::secret(credential.password.secret()))
                }
                Some(RefreshTokenCredential::CertificateThumbprint(_)) => {
                    return Err(unavailable("certificate sign-in with -CertificateThumbprint"));
                }
            };
            (
                application_id,
                tenant,
                SignInMethod::RefreshToken {
                    token: refresh_token,
                    credential,
                },
                AccountType::User,
            )
        }
        SecMgmtSignIn::ServicePrincipalCertificate { .. } => {
            return Err(unavailable("certificate sign-in with -CertificateThumbprint"));
        }
        SecMgmtSignIn::ServicePrincipal { credential, tenant } => (
            auth_core::params::named("Credential", ClientId::parse(&credential.username))?,
            Some(tenant),
            SignInMethod::Application(ClientCredential::secret(credential.password.secret())),
            AccountType::ServicePrincipal,
        ),
    };
    let request = SignInRequest {
        environment: environment.clone(),
        tenant: tenant.unwrap_or_default(),
        client_id: client_id.clone(),
        scopes: vec![scope.clone()],
        method,
    };
    let result = session.sign_in(&request).await?;
    let mut properties = BTreeMap::new();
    properties.insert("ApplicationId".to_owned(), client_id.to_string());
    properties.insert("Scope".to_owned(), scope);
    let user = result.account.as_ref();
    let object_id = user
        .map(|a| a.local_account_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| client_id.to_string());
    let identifier = user
        .map(|a| a.username.clone())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| object_id.clone());
    Ok(MgmtContext {
        account: MgmtAccount {
            extended_properties: properties,
            identifier,
            object_id,
            tenant: result.tenant_id.clone(),
            r#type: account_type,
        },
        environment: MgmtEnvironment::from(&environment),
        extended_properties: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests;
