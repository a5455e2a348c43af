//! `New-PartnerAccessToken`: a token for any scope, in any of the six sets, returned as an [`AuthResult`]
//! that always carries the refresh token exactly as the token endpoint sent it (the original's empty
//! refresh token was its most reported bug).

use auth_core::format_rfc3339;
use auth_core::{
    AccessToken, ClientCredential, ClientId, RefreshToken, Session, SignInMethod, SignInRequest, TokenResult,
};
use cmdlet::format::{collection, list};
use serde::Serialize;

use crate::connect::{DEFAULT_CLIENT_ID, browser};
use crate::params::{ModuleName, NewAccessTokenSet, NewPartnerAccessToken, RefreshTokenCredential, UserFlow};
use cmdlet::Result;

/// The public client Exchange Online PowerShell signs in with.
pub(crate) const EXCHANGE_ONLINE_CLIENT_ID: &str = "a0c73c16-a7e3-4564-9a95-2bdf47383716";
/// The scope of an Exchange Online token.
pub(crate) const EXCHANGE_ONLINE_SCOPE: &str = "https://outlook.office365.com/.default";

impl ModuleName {
    /// The module's client and scope.
    pub fn client_and_scope(self) -> (ClientId, &'static str) {
        match self {
            Self::ExchangeOnline => (
                ClientId::from_static(EXCHANGE_ONLINE_CLIENT_ID),
                EXCHANGE_ONLINE_SCOPE,
            ),
        }
    }
}

/// What New-PartnerAccessToken returns.
///
/// `Debug` redacts both tokens. The JSON (`-o json`) and [`AuthResult::to_table`] do show `AccessToken`
/// and `RefreshToken`: the user ran this command to get them, and PowerShell's list view of the cmdlet's
/// AuthResult shows them too.
#[derive(Debug, Clone)]
pub struct AuthResult {
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token, straight from the token response (none for app-only tokens and passthrough).
    pub refresh_token: Option<RefreshToken>,
    /// When the access token expires (epoch seconds).
    pub expires_on: i64,
    /// Until when it may be used while the service is degraded (epoch seconds).
    pub extended_expires_on: Option<i64>,
    /// The tenant the token is for.
    pub tenant_id: String,
    /// The user's object id.
    pub unique_id: Option<String>,
    /// The user name.
    pub account: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
}

impl From<TokenResult> for AuthResult {
    fn from(result: TokenResult) -> Self {
        let account = result.account.as_ref();
        Self {
            unique_id: account
                .map(|a| a.local_account_id.clone())
                .filter(|s| !s.is_empty()),
            account: account.map(|a| a.username.clone()).filter(|s| !s.is_empty()),
            access_token: result.access_token,
            refresh_token: result.refresh_token,
            expires_on: result.expires_on,
            extended_expires_on: result.ext_expires_on,
            tenant_id: result.tenant_id,
            scopes: result.scopes,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Wire<'a> {
    access_token: &'a str,
    refresh_token: Option<&'a str>,
    expires_on: String,
    extended_expires_on: Option<String>,
    tenant_id: &'a str,
    unique_id: Option<&'a str>,
    account: Option<&'a str>,
    scopes: &'a [String],
}

impl Serialize for AuthResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        Wire {
            access_token: self.access_token.secret(),
            refresh_token: self.refresh_token.as_ref().map(RefreshToken::secret),
            expires_on: format_rfc3339(self.expires_on),
            extended_expires_on: self.extended_expires_on.map(format_rfc3339),
            tenant_id: &self.tenant_id,
            unique_id: self.unique_id.as_deref(),
            account: self.account.as_deref(),
            scopes: &self.scopes,
        }
        .serialize(serializer)
    }
}

impl AuthResult {
    /// The list PowerShell shows, tokens included (the cmdlet's whole purpose is the token).
    pub fn to_table(&self) -> String {
        list(&[
            ("AccessToken", self.access_token.secret().to_owned()),
            (
                "RefreshToken",
                self.refresh_token
                    .as_ref()
                    .map(|t| t.secret().to_owned())
                    .unwrap_or_default(),
            ),
            ("ExpiresOn", format_rfc3339(self.expires_on)),
            ("TenantId", self.tenant_id.clone()),
            ("Account", self.account.clone().unwrap_or_default()),
            ("UniqueId", self.unique_id.clone().unwrap_or_default()),
            ("Scopes", collection(&self.scopes)),
        ])
    }
}

/// Gets an access token (New-PartnerAccessToken).
pub async fn new_partner_access_token(
    session: &Session,
    request: NewPartnerAccessToken,
) -> Result<AuthResult> {
    let NewPartnerAccessToken { environment, set } = request;
    let environment = session.resolve_environment(&environment).await?;
    let (client_id, tenant, scopes, method) = match set {
        NewAccessTokenSet::AccessToken {
            access_token,
            application_id,
            scopes,
            tenant,
        } => (
            application_id,
            tenant,
            scopes,
            SignInMethod::AccessToken(access_token),
        ),
        NewAccessTokenSet::RefreshToken {
            refresh_token,
            scopes,
            application_id,
            credential,
            module,
            tenant,
        } => {
            let (credential_client, credential) = match credential {
                None => (None, None),
                Some(RefreshTokenCredential::Secret(credential)) => (
                    ClientId::parse(&credential.username).ok(),
                    Some(ClientCredential::Secret(credential.password.into())),
                ),
                Some(RefreshTokenCredential::Certificate(certificate)) => (None, Some(certificate)),
            };
            let client_id = application_id
                .or(credential_client)
                .or_else(|| module.map(|m| m.client_and_scope().0))
                .unwrap_or_else(|| ClientId::from_static(DEFAULT_CLIENT_ID));
            (
                client_id,
                tenant,
                scopes,
                SignInMethod::RefreshToken {
                    token: refresh_token,
                    credential,
                },
            )
        }
        NewAccessTokenSet::ServicePrincipal {
            application_id,
            secret,
            scopes,
            tenant,
            use_authorization_code,
        } => {
            let credential = ClientCredential::Secret(secret.into());
            let method = if use_authorization_code {
                browser(Some(credential), Vec::new())
            } else {
                SignInMethod::Application(credential)
            };
            (application_id, Some(tenant), scopes, method)
        }
        NewAccessTokenSet::ServicePrincipalCertificate {
            application_id,
            certificate,
            scopes,
            tenant,
            use_authorization_code,
        } => {
            let credential = certificate;
            let method = if use_authorization_code {
                browser(Some(credential), Vec::new())
            } else {
                SignInMethod::Application(credential)
            };
            (application_id, Some(tenant), scopes, method)
        }
        NewAccessTokenSet::User {
            application_id,
            scopes,
            tenant,
            flow,
        } => {
            let method = match flow {
                UserFlow::AuthorizationCode => browser(None, Vec::new()),
                UserFlow::DeviceCode => SignInMethod::DeviceCode,
            };
            (application_id, tenant, scopes, method)
        }
        NewAccessTokenSet::ByModule {
            module,
            refresh_token: Some(refresh_token),
            tenant,
            ..
        } => {
            let (client_id, scope) = module.client_and_scope();
            (
                client_id,
                tenant,
                vec![scope.to_owned()],
                SignInMethod::RefreshToken {
                    token: refresh_token,
                    credential: None,
                },
            )
        }
        NewAccessTokenSet::ByModule {
            module,
            tenant,
            use_authorization_code,
            refresh_token: None,
        } => {
            let (client_id, scope) = module.client_and_scope();
            let method = if use_authorization_code {
                browser(None, Vec::new())
            } else {
                SignInMethod::DeviceCode
            };
            (client_id, tenant, vec![scope.to_owned()], method)
        }
    };
    let request = SignInRequest::new(environment, tenant, client_id, scopes, method);
    Ok(session.sign_in(&request).await?.into())
}

#[cfg(test)]
mod tests;
