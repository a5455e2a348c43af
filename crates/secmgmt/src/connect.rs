//! `Connect-SecMgmtAccount`: each set becomes an auth-core sign-in with SecMgmt's defaults (PROTOCOL
//! section 2: `{Graph}/.default` for users and applications alike) and the result a [`MgmtContext`].

use std::collections::BTreeMap;

use auth_core::flows::PortPolicy;
use auth_core::{
    BrowserOptions, CertificateSource, ClientCredential, ClientId, Connection, Session, SignInMethod,
    SignInRequest,
};

use crate::context::{AccountType, MgmtAccount, MgmtContext, MgmtEnvironment, endpoint};
use crate::error::Result;
use crate::params::{ConnectSecMgmtAccount, RefreshTokenCredential, SecMgmtSignIn};

/// The client SecMgmt signs users in with when no application is given.
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Connects to the Microsoft cloud as Connect-SecMgmtAccount does.
pub async fn connect(session: &Session, request: ConnectSecMgmtAccount) -> Result<MgmtContext> {
    let ConnectSecMgmtAccount { environment, set } = request;
    let environment = session.resolve_environment(&environment).await?;
    let scope = format!("{}/.default", endpoint(&environment.graph));
    let (client_id, tenant, method, account_type) = match set {
        SecMgmtSignIn::User {
            use_device_authentication,
            tenant,
        } => (
            ClientId::from_static(DEFAULT_CLIENT_ID),
            tenant,
            if use_device_authentication {
                SignInMethod::DeviceCode
            } else {
                SignInMethod::Browser(BrowserOptions {
                    // as PartnerCenter: apps are registered with http://localhost:8400
                    ports: PortPolicy::Range(8400..=8999),
                    ..BrowserOptions::default()
                })
            },
            AccountType::User,
        ),
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
                    Some(credential.client_secret_for(&application_id)?)
                }
                Some(RefreshTokenCredential::CertificateThumbprint(thumbprint)) => {
                    Some(session.certificate_credential(&CertificateSource::Thumbprint(thumbprint))?)
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
        SecMgmtSignIn::ServicePrincipalCertificate {
            application_id,
            certificate_thumbprint,
            tenant,
        } => (
            application_id,
            Some(tenant),
            SignInMethod::Application(
                session.certificate_credential(&CertificateSource::Thumbprint(certificate_thumbprint))?,
            ),
            AccountType::Certificate,
        ),
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
    let (identifier, object_id) = result.identity();
    let context = MgmtContext {
        account: MgmtAccount {
            extended_properties: properties,
            identifier,
            object_id,
            tenant: result.tenant_id.clone(),
            r#type: account_type,
        },
        environment: MgmtEnvironment::from(&environment),
        extended_properties: BTreeMap::new(),
    };
    session.save_connection(MODULE, &Connection::new(&request, &result), &context)?;
    Ok(context)
}

/// The name this module's connection is saved under.
pub const MODULE: &str = "secmgmt";

/// The current context, when connected.
pub fn current_context(session: &Session) -> Result<Option<MgmtContext>> {
    Ok(session
        .load_connection::<MgmtContext>(MODULE)?
        .map(|(_, context)| context))
}

/// `Disconnect-SecMgmtAccount`: forgets the context and removes its tokens from the cache. Returns whether
/// there was a connection.
pub fn disconnect(session: &Session) -> Result<bool> {
    Ok(session.disconnect(MODULE)?)
}

#[cfg(test)]
mod tests;
