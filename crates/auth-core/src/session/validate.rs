//! Validation of a sign-in's token answer before anything is kept ([`validate_response`]): what every
//! answer must have is the token's own check ([`answer_problem`]), and a sign-in's must have more.

use super::*;
use crate::token::answer_problem;

/// Checks a sign-in's token answer before anything is saved: what every answer must have (a non-empty
/// access token, a lifetime above zero and at most [`MAX_TOKEN_LIFETIME_SECONDS`]; a passthrough token's
/// own `exp` stands), an ID token for delegated sign-ins, a tenant id (GUID) in a passthrough token, and
/// a warning when the token is for another tenant than the GUID asked for.
pub fn validate_response(
    request: &SignInRequest,
    result: &TokenResult,
    now: std::time::SystemTime,
) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::SignInRequired(format!(
            "the sign-in was refused because the token response of {} {reason}; nothing was saved",
            result.environment
        )))
    };
    let passthrough = matches!(request.method, SignInMethod::AccessToken(_));
    // a token the caller brought is not an answer of the authority: its own exp is what it is
    if let Some(reason) = answer_problem(result, now).filter(|_| !passthrough) {
        return refuse(reason);
    }
    if passthrough && result.access_token.secret().trim().is_empty() {
        return refuse("has an empty access_token".into());
    }
    let delegated = matches!(
        request.method.effective(),
        SignInMethod::Browser(_)
            | SignInMethod::DeviceCode
            | SignInMethod::Password(_)
            | SignInMethod::RefreshToken { .. }
    );
    if delegated && result.id_token.is_none() {
        return refuse("has no id_token, so it does not say who signed in".into());
    }
    if passthrough && !crate::ids::is_guid(&result.tenant_id.to_ascii_lowercase()) {
        return Err(Error::invalid(
            "access token",
            format!(
                "its tenant (tid) '{}' is not a tenant id (GUID): give a token issued by Microsoft Entra ID",
                result.tenant_id.escape_debug()
            ),
        ));
    }
    if crate::ids::is_guid(request.tenant.as_str())
        && !result.tenant_id.eq_ignore_ascii_case(request.tenant.as_str())
    {
        // the session's target, as before the session was split by job
        tracing::warn!(
            target: "auth_core::session",
            "the token is for tenant {}, not the tenant asked for ({})",
            result.tenant_id.escape_debug(),
            request.tenant
        );
    }
    Ok(())
}
