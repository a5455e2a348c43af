//! `Connect-PSMicrosoftEntraID`: each set becomes an auth-core sign-in (client secrets and certificates on
//! the v2 endpoint with `{Graph}/.default`), and the token becomes the module's token object.

use auth_core::time::{epoch_seconds, format_rfc3339};
use auth_core::token::decode_jwt_payload;
use auth_core::{BrowserOptions, ClientCredential, Connected, Session, SignInMethod, SignInRequest};
use serde_json::Value;

use crate::context::{EntraToken, PsEntraContext};
use crate::error::Result;
use crate::params::{CertificateSource, ConnectPsEntra, PsEntraSignIn, resolve_scopes};

/// Connects as Connect-PSMicrosoftEntraID does and returns the token object (the CLI prints it only with
/// `-PassThru`; [`EntraToken::context`] is what is kept).
pub async fn connect(session: &Session, request: ConnectPsEntra) -> Result<(EntraToken, Connected)> {
    let ConnectPsEntra {
        client_id,
        tenant,
        scopes,
        environment,
        set,
        ..
    } = request;
    let environment = session.resolve_environment(&environment).await?;
    let graph = environment.graph.as_str().trim_end_matches('/').to_owned();
    let mut scopes = resolve_scopes(&graph, &scopes, set.is_delegated());
    let (mut client_id, mut tenant) = (client_id, tenant);
    let (method, kind) = match set {
        PsEntraSignIn::Workload(workload) => {
            let kind = workload.set_name();
            let plan = workload.into_plan(session, crate::params::WORKLOAD_NAMES, client_id.clone())?;
            if !plan.app_only {
                // AZURE_USERNAME and AZURE_PASSWORD: a user, with the delegated default scopes
                scopes = resolve_scopes(&graph, &[], true);
            }
            client_id = plan.client_id;
            tenant = plan.tenant.unwrap_or_default();
            (plan.method, kind)
        }
        PsEntraSignIn::Browser => (SignInMethod::Browser(BrowserOptions::default()), "Browser"),
        PsEntraSignIn::DeviceCode => (SignInMethod::DeviceCode, "DeviceCode"),
        PsEntraSignIn::AppCertificate(source) => {
            let found = |source| session.certificate_credential(&source);
            let credential = match source {
                CertificateSource::Certificate(credential) => credential,
                CertificateSource::Thumbprint(thumbprint) => {
                    found(auth_core::CertificateSource::Thumbprint(thumbprint))?
                }
                CertificateSource::Name(name) => found(auth_core::CertificateSource::Subject(name))?,
                CertificateSource::Path { path, password } => {
                    found(auth_core::CertificateSource::Pkcs12 { path, password })?
                }
            };
            (SignInMethod::Application(credential), "Certificate")
        }
        PsEntraSignIn::AppSecret(secret) => (
            SignInMethod::Application(ClientCredential::Secret(secret)),
            "ClientSecret",
        ),
        PsEntraSignIn::UsernamePassword(credential) => {
            (SignInMethod::Password(credential), "UsernamePassword")
        }
        PsEntraSignIn::FromAzureCli { account } => (SignInMethod::AzureCli { account }, "AzureCli"),
    };
    let request = SignInRequest {
        environment: environment.clone(),
        tenant,
        client_id: client_id.clone(),
        scopes,
        method,
    };
    // signed in and checked, but nothing saved until the checks below pass
    let tokens = session.authenticate(&request).await?;
    let result = tokens.result();
    let claims = decode_jwt_payload(result.access_token.secret(), "access token").ok();
    let claim = |name: &str| claims.as_ref().and_then(|c| c.get(name));
    let text = |name: &str| claim(name).and_then(Value::as_str).map(str::to_owned);
    // As the module does: the token's roles, else its scp, else what the response granted.
    let scopes = match (claim("roles").and_then(Value::as_array), text("scp")) {
        (Some(roles), _) => roles
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        (None, Some(scp)) => scp.split_whitespace().map(str::to_owned).collect(),
        (None, None) => result.scopes.clone(),
    };
    let valid_after = claim("nbf")
        .and_then(Value::as_i64)
        .map(format_rfc3339)
        .or_else(|| {
            // an opaque token: it is valid from when it was issued, which is now
            let now = epoch_seconds(session.http().ok()?.timer().now());
            Some(format_rfc3339(now))
        });
    let context = PsEntraContext {
        service: "Graph".to_owned(),
        r#type: kind.to_owned(),
        // a managed identity's application is the one its token names
        client_id: if matches!(request.method, SignInMethod::ManagedIdentity(_)) {
            result.client_id.to_string()
        } else {
            client_id.to_string()
        },
        tenant_id: text("tid").unwrap_or_else(|| result.tenant_id.clone()),
        service_url: format!("{graph}/v1.0"),
        authentication_url: environment
            .authority_host
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        scopes,
        audience: text("aud"),
        issuer: text("iss"),
        valid_after,
        valid_until: format_rfc3339(result.expires_on),
    };
    let connected = session.complete(MODULE, &request, &tokens, &context)?;
    let token = EntraToken {
        context,
        access_token: result.access_token.clone(),
    };
    Ok((token, connected))
}

/// The name this module's connection is saved under.
pub const MODULE: &str = "psentra";

/// The current connection's token object without its token, when connected.
pub fn current_context(session: &Session) -> Result<Option<PsEntraContext>> {
    Ok(session
        .load_connection::<PsEntraContext>(MODULE)?
        .map(|(_, context)| context))
}

/// Forgets the connection and removes its tokens from the cache. Returns whether there was one.
pub fn disconnect(session: &Session) -> Result<bool> {
    Ok(session.disconnect(MODULE)?)
}

#[cfg(test)]
mod tests;
