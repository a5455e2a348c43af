//! `Connect-PSMicrosoftEntraID`: each set becomes an auth-core sign-in (client secrets and certificates on
//! the v2 endpoint with `{Graph}/.default`), and the token becomes the module's token object.

use auth_core::{
    AccessToken, BrowserOptions, ClientCredential, ClientId, Connected, Environment, Session, SignInMethod,
    SignInRequest,
};
use auth_core::{decode_jwt_payload, epoch_seconds, format_rfc3339};
use cmdlet::declare::Cmdlet;
use cmdlet::sets::shared::SharedSignIn;
use cmdlet::{
    Authenticated, Bound, Connect, ConnectionName, Lifecycle, Outcome, Print, Result, SignInExtras,
    print_context,
};
use serde_json::Value;

use crate::context::{EntraToken, PsEntraContext};
use crate::params::{
    CLIENT_ID, CLIENT_SECRET, CONNECT_CMDLET, CREDENTIAL, ConnectPsEntra, GRAPH_CLIENT_ID, NAMES, PASS_THRU,
    PsEntraSignIn, SCOPES, TENANT_ID, certificate, parse_client_id, resolve_scopes,
};

/// What planning keeps for the context: the set's type name and Microsoft Graph's address.
#[derive(Debug)]
pub struct PsEntraPlan {
    kind: &'static str,
    graph: String,
}

impl Connect for ConnectPsEntra {
    const CMDLET: &'static Cmdlet = &CONNECT_CMDLET;
    type Context = PsEntraContext;
    type Plan = PsEntraPlan;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        let environment = bound.environment();
        let scopes = auth_core::normalize_scopes(bound.list(&SCOPES)?.unwrap_or_default());
        if let Some(shared) = SharedSignIn::from_bound(&bound, NAMES)? {
            // the sign-in takes its application and tenant from the set (or AZURE_*): these two are
            // what was given, for -WhatIf, else Graph's client (the Azure CLI's, whose refresh token
            // serves its own client) and `organizations`
            let client_id = match (&shared, bound.text(&CLIENT_ID)?) {
                (SharedSignIn::AzureCli { .. }, _) => ClientId::from_static(auth_core::AZURE_CLI_CLIENT_ID),
                (_, Some(id)) => parse_client_id(&id)?,
                (_, None) => ClientId::from_static(GRAPH_CLIENT_ID),
            };
            return Ok(Self {
                client_id,
                tenant: bound.tenant(&TENANT_ID)?.unwrap_or_default(),
                scopes,
                environment,
                pass_thru: bound.switch(&PASS_THRU),
                set: PsEntraSignIn::Shared(shared.resolve(bound.session(), NAMES)?),
            });
        }
        let set = match bound.set_name() {
            "DeviceCode" => PsEntraSignIn::DeviceCode,
            "AppCertificate" => PsEntraSignIn::AppCertificate(certificate(&mut bound)?),
            "AppSecret" => PsEntraSignIn::AppSecret(bound.required_secret(&CLIENT_SECRET)?.into()),
            "UsernamePassword" => PsEntraSignIn::UsernamePassword(bound.required_credential(&CREDENTIAL)?),
            _ => PsEntraSignIn::Browser,
        };
        Ok(Self {
            client_id: parse_client_id(&bound.required_text(&CLIENT_ID)?)?,
            tenant: bound.required_tenant(&TENANT_ID)?,
            scopes,
            environment,
            pass_thru: bound.switch(&PASS_THRU),
            set,
        })
    }

    fn environment(&self) -> &Environment {
        &self.environment
    }

    fn plan(self, environment: Environment) -> Result<(SignInRequest, PsEntraPlan)> {
        let ConnectPsEntra {
            client_id,
            tenant,
            scopes,
            set,
            ..
        } = self;
        let graph = environment.graph.as_str().trim_end_matches('/').to_owned();
        // a user (for msconnect's own sets, the Azure CLI's, or AZURE_USERNAME and AZURE_PASSWORD) gets
        // the delegated scopes: those given (of those sets only the Azure CLI's takes -Scopes), else
        // the default
        let scopes = resolve_scopes(&graph, &scopes, set.is_delegated());
        let (mut client_id, mut tenant) = (client_id, tenant);
        let (method, kind) = match set {
            PsEntraSignIn::Shared(plan) => {
                // the set whose sign-in ran: for `-Auto`, the one the host offered
                let kind = match plan.answered {
                    cmdlet::sets::shared::FROM_AZURE_CLI_SET => "AzureCli",
                    answered => answered,
                };
                client_id = plan.client_id.unwrap_or(client_id);
                tenant = plan.tenant.unwrap_or_default();
                (plan.method, kind)
            }
            PsEntraSignIn::Browser => (SignInMethod::Browser(BrowserOptions::default()), "Browser"),
            PsEntraSignIn::DeviceCode => (SignInMethod::DeviceCode, "DeviceCode"),
            PsEntraSignIn::AppCertificate(credential) => {
                (SignInMethod::Application(credential), "Certificate")
            }
            PsEntraSignIn::AppSecret(secret) => (
                SignInMethod::Application(ClientCredential::Secret(secret)),
                "ClientSecret",
            ),
            PsEntraSignIn::UsernamePassword(credential) => {
                (SignInMethod::Password(credential), "UsernamePassword")
            }
        };
        let request = SignInRequest::new(environment, Some(tenant), client_id, scopes, method);
        Ok((request, PsEntraPlan { kind, graph }))
    }

    async fn context(plan: PsEntraPlan, signed_in: Authenticated<'_>) -> Result<PsEntraContext> {
        let PsEntraPlan { kind, graph } = plan;
        let (session, request, result) = (signed_in.session, signed_in.request, signed_in.tokens.result());
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
                request.client_id.to_string()
            },
            tenant_id: text("tid").unwrap_or_else(|| result.tenant_id.clone()),
            service_url: format!("{graph}/v1.0"),
            authentication_url: request
                .environment
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
        Ok(context)
    }

    /// `-PassThru` prints the token object, token included (the saved context never has it).
    fn printed(&self) -> Print<PsEntraContext> {
        if self.pass_thru {
            |context, access_token: AccessToken| {
                let token = EntraToken {
                    context,
                    access_token,
                };
                Outcome::new(&token, token.to_table())
            }
        } else {
            print_context
        }
    }
}

/// `Connect-PSMicrosoftEntraID`: signs in with the set's sign-in, builds the module's token object and
/// saves its context (never the token). Renew tokens with the returned [`Connected`].
pub async fn connect(session: &Session, request: ConnectPsEntra) -> Result<(EntraToken, Connected)> {
    connect_as(session, &ConnectionName::default_name(), request).await
}

/// [`connect`] with continuous access evaluation or a claims challenge ([`SignInExtras`]).
pub async fn connect_with(
    session: &Session,
    request: ConnectPsEntra,
    extras: &SignInExtras,
) -> Result<(EntraToken, Connected)> {
    connect_named(session, &ConnectionName::default_name(), request, extras).await
}

/// [`connect`], saving the connection as `name` (and making it the current one).
pub async fn connect_as(
    session: &Session,
    name: &ConnectionName,
    request: ConnectPsEntra,
) -> Result<(EntraToken, Connected)> {
    connect_named(session, name, request, &SignInExtras::default()).await
}

/// [`connect_as`] with [`SignInExtras`]: the one connect the others are.
async fn connect_named(
    session: &Session,
    name: &ConnectionName,
    request: ConnectPsEntra,
    extras: &SignInExtras,
) -> Result<(EntraToken, Connected)> {
    let (context, connected, access_token) = LIFECYCLE
        .named(name)
        .connect_with(session, request, extras)
        .await?;
    Ok((
        EntraToken {
            context,
            access_token,
        },
        connected,
    ))
}

/// The name the connection is saved under.
pub const MODULE: &str = "psentra";

/// The connections: `connect`, `named`, `list`, `status`, `current_context` and `disconnect`
/// (`Disconnect-PSMicrosoftEntraID`).
pub static LIFECYCLE: Lifecycle<PsEntraContext> = Lifecycle::new(MODULE);

#[cfg(test)]
mod tests;
