//! `Connect-PartnerCenter`: each set becomes an auth-core sign-in with PartnerCenter's defaults (PROTOCOL
//! section 2), the result becomes a [`PartnerContext`], and for a user the partner's organization profile
//! fills in CountryCode and Locale.

use std::collections::BTreeMap;

use auth_core::PortPolicy;
use auth_core::decode_jwt_payload;
use auth_core::{
    AccessToken, BrowserOptions, ClientCredential, ClientId, Connected, Environment, Session, SignInMethod,
    SignInRequest, TokenResult, Url,
};
use cmdlet::declare::Cmdlet;
use cmdlet::format::endpoint;
use cmdlet::{Authenticated, Bound, Connect, Error, Lifecycle, Result};
use serde_json::Value;

use crate::context::{AccountType, ENFORCE_MFA, PartnerAccount, PartnerContext, PartnerEnvironment};
use crate::params::{CONNECT_CMDLET, CommonOptions, ConnectPartnerCenter, PartnerCenterSignIn};

/// The client the PartnerCenter module signs users in with when no application is given.
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The Partner Center API of an environment, without a trailing slash.
pub(crate) fn partner_center_endpoint(environment: &Environment) -> Result<String> {
    environment
        .partner_center
        .as_ref()
        .map(endpoint)
        .ok_or_else(|| Error::Refused {
            parameter: &cmdlet::declare::common::ENVIRONMENT,
            reason: format!("{} has no Partner Center endpoint", environment.name),
        })
}

/// Browser sign-in as the module does it: a loopback redirect on the first free port from 8400 to 8999
/// (applications are registered with `http://localhost:8400`), falling back to device code when no
/// browser opens.
pub(crate) fn browser(credential: Option<ClientCredential>, amr_values: Vec<String>) -> SignInMethod {
    SignInMethod::Browser(browser_options(credential, amr_values))
}

fn browser_options(credential: Option<ClientCredential>, amr_values: Vec<String>) -> BrowserOptions {
    BrowserOptions {
        ports: PortPolicy::Range(8400..=8999),
        amr_values,
        credential,
        ..BrowserOptions::default()
    }
}

/// What planning keeps for the context: the account type, the Partner Center endpoint, `-EnforceMFA`.
#[derive(Debug)]
pub struct PartnerPlan {
    account_type: AccountType,
    partner_center: String,
    enforce_mfa: bool,
}

impl Connect for ConnectPartnerCenter {
    const CMDLET: &'static Cmdlet = &CONNECT_CMDLET;
    type Context = PartnerContext;
    type Plan = PartnerPlan;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        Ok(Self {
            common: CommonOptions {
                environment: bound.environment(),
                enforce_mfa: bound.switch(&crate::params::ENFORCE_MFA),
            },
            set: PartnerCenterSignIn::from_bound(&mut bound)?,
        })
    }

    fn environment(&self) -> &Environment {
        &self.common.environment
    }

    fn plan(self, environment: Environment) -> Result<(SignInRequest, PartnerPlan)> {
        let ConnectPartnerCenter { common, set } = self;
        let partner_center = partner_center_endpoint(&environment)?;
        let amr_values = if common.enforce_mfa {
            vec!["mfa".to_owned()]
        } else {
            Vec::new()
        };
        let plan = set.into_plan(
            ClientId::from_static(DEFAULT_CLIENT_ID),
            browser_options(None, amr_values),
        )?;
        let scope = if plan.account_type.is_application() {
            format!("{partner_center}/.default")
        } else {
            format!("{partner_center}/user_impersonation")
        };
        let (request, account_type) = plan.into_request(environment, vec![scope]);
        let kept = PartnerPlan {
            account_type,
            partner_center,
            enforce_mfa: common.enforce_mfa,
        };
        Ok((request, kept))
    }

    async fn context(plan: PartnerPlan, signed_in: Authenticated<'_>) -> Result<PartnerContext> {
        let (session, request, result) = (signed_in.session, signed_in.request, signed_in.tokens.result());
        if plan.enforce_mfa {
            check_mfa(result)?;
        }
        let mut context = PartnerContext {
            account: PartnerAccount::new(&request.client_id, &request.scopes[0], result, plan.account_type),
            environment: PartnerEnvironment::from(&request.environment),
            country_code: None,
            locale: None,
            extended_properties: BTreeMap::new(),
        };
        if plan.enforce_mfa {
            context
                .extended_properties
                .insert(ENFORCE_MFA.to_owned(), "True".to_owned());
        }
        if !plan.account_type.is_application() {
            // The original set these on a context it then replaced, so they were always empty.
            match organization_profile(session, &plan.partner_center, &result.access_token, &context).await {
                Ok((country, culture)) => {
                    context.country_code = country;
                    context.locale = culture;
                }
                Err(reason) => tracing::warn!(
                    "could not read the partner's organization profile, so CountryCode and Locale are empty: {reason}"
                ),
            }
        }
        Ok(context)
    }
}

/// `Connect-PartnerCenter`: signs in with the set's sign-in and PartnerCenter's defaults, builds the
/// [`PartnerContext`] (for a user, with the organization profile's CountryCode and Locale) and saves it.
/// Renew tokens with the returned [`Connected`].
pub async fn connect(
    session: &Session,
    request: ConnectPartnerCenter,
) -> Result<(PartnerContext, Connected)> {
    LIFECYCLE.connect(session, request).await
}

/// The name the connection is saved under.
pub const MODULE: &str = "partnercenter";

/// The Partner Center connections: `connect` (as `default`), `named(&name)` to connect, switch to or
/// disconnect one by name, `list`, `status`, `current_context` (`Get-PartnerContext`) and `disconnect`
/// (`Disconnect-PartnerCenter`).
pub static LIFECYCLE: Lifecycle<PartnerContext> = Lifecycle::new(MODULE);

/// Refuses a user's token whose `amr` claim lacks `mfa`. Application tokens carry no `amr`: they are not
/// checked, as no application can do MFA.
pub(crate) fn check_mfa(result: &TokenResult) -> Result<()> {
    let access_claims = decode_jwt_payload(result.access_token.secret(), "access token").ok();
    let is_user = result.account.is_some() || access_claims.as_ref().is_some_and(|c| c.get("scp").is_some());
    if !is_user {
        return Ok(());
    }
    let amr: Vec<String> = [result.id_token_claims.as_ref(), access_claims.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|claims| claims.get("amr").and_then(Value::as_array))
        .map(|methods| {
            methods
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if amr.iter().any(|m| m == "mfa") {
        Ok(())
    } else {
        Err(Error::Refused {
            parameter: &crate::params::ENFORCE_MFA,
            reason: format!(
                "the sign-in did not use multi-factor authentication (the token's amr claim is [{}]); \
                 sign in again and complete the multi-factor prompt",
                amr.join(", ")
            ),
        })
    }
}

/// How long the organization profile may delay a sign-in, all included (DNS, connect, answer).
pub const PROFILE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// `GET {PartnerCenter}/v1/profiles/organization`: the partner's country and culture.
async fn organization_profile(
    session: &Session,
    partner_center: &str,
    token: &AccessToken,
    context: &PartnerContext,
) -> std::result::Result<(Option<String>, Option<String>), String> {
    let url = Url::parse(&format!("{partner_center}/v1/profiles/organization")).map_err(|e| e.to_string())?;
    let bearer = format!("Bearer {}", token.secret());
    let mut headers = vec![("Authorization", bearer.as_str()), ("Accept", "application/json")];
    headers.extend(context.api_headers());
    let http = session.http().map_err(|e| e.to_string())?;
    // best effort: one try, bounded, so an unreachable host costs a warning and not a slow sign-in
    let response = http
        .get_once(&url, &headers, PROFILE_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !(200..300).contains(&response.status) {
        return Err(format!("HTTP {} from {url}", response.status));
    }
    let profile: Value = serde_json::from_str(&response.body)
        .map_err(|e| format!("the answer from {url} is not JSON: {e}"))?;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    Ok((
        text(profile.pointer("/defaultAddress/country")),
        text(profile.get("culture")),
    ))
}

#[cfg(test)]
mod tests;
