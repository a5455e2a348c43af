//! Error shapes of PROTOCOL section 4 and what users see of them.

use super::*;

fn aad(code: i64, error: &str, text: &str) -> String {
    serde_json::json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: 0f1e2d3c-0000-4000-8000-000000000001\r\nCorrelation ID: 9a8b7c6d-0000-4000-8000-000000000002\r\nTimestamp: 2026-11-22 10:00:00Z"),
        "error_codes": [code],
        "timestamp": "2026-11-22 10:00:00Z",
        "trace_id": "0f1e2d3c-0000-4000-8000-000000000001",
        "correlation_id": "9a8b7c6d-0000-4000-8000-000000000002",
        "error_uri": "https://login.microsoftonline.com/error?code={code}",
    })
    .to_string()
}

#[test]
fn every_field_is_kept() {
    let body = serde_json::json!({
        "error": "invalid_grant",
        "error_description": "AADSTS70008: The refresh token has expired.\r\nTrace ID: t\r\nCorrelation ID: c",
        "error_codes": [70008],
        "timestamp": "2026-11-22 10:00:00Z",
        "trace_id": "t",
        "correlation_id": "c",
        "suberror": "bad_token",
        "claims": "{\"access_token\":{\"capolids\":{\"essential\":true}}}",
        "error_uri": "https://login.microsoftonline.com/error?code=70008",
    })
    .to_string();
    let error = ServerError::parse(400, &body).expect("an OAuth error");
    assert_eq!(error.status, 400);
    assert_eq!(error.error, "invalid_grant");
    assert_eq!(error.error_codes, [70008]);
    assert_eq!(error.trace_id.as_deref(), Some("t"));
    assert_eq!(error.correlation_id.as_deref(), Some("c"));
    assert_eq!(error.suberror.as_deref(), Some("bad_token"));
    assert_eq!(
        error.claims.as_deref(),
        Some("{\"access_token\":{\"capolids\":{\"essential\":true}}}")
    );
    assert_eq!(
        error.error_uri.as_deref(),
        Some("https://login.microsoftonline.com/error?code=70008")
    );
    assert_eq!(error.timestamp.as_deref(), Some("2026-11-22 10:00:00Z"));
}

#[test]
fn messages_users_see_carry_the_hint_and_the_correlation_id() {
    let cases = [
        (
            50011,
            "invalid_request",
            "The redirect URI 'http://localhost:8401/' does not match.",
        ),
        (
            50076,
            "invalid_grant",
            "Due to a configuration change you must use multi-factor authentication.",
        ),
        (
            50079,
            "invalid_grant",
            "The user is required to use multi-factor authentication.",
        ),
        (
            50126,
            "invalid_grant",
            "Error validating credentials due to invalid username or password.",
        ),
        (
            65001,
            "invalid_grant",
            "The user or administrator has not consented to use the application.",
        ),
        (
            70008,
            "invalid_grant",
            "The provided authorization code or refresh token has expired.",
        ),
        (
            700082,
            "invalid_grant",
            "The refresh token has expired due to inactivity.",
        ),
        (
            700007,
            "invalid_grant",
            "Refresh token was issued to a different client.",
        ),
        (
            700016,
            "unauthorized_client",
            "Application with identifier 'x' was not found in the directory.",
        ),
        (7000215, "invalid_client", "Invalid client secret provided."),
        (
            7000222,
            "invalid_client",
            "The provided client secret keys are expired.",
        ),
        (
            7000218,
            "invalid_client",
            "The request body must contain client_assertion or client_secret.",
        ),
        (
            700027,
            "invalid_client",
            "Client assertion failed signature validation.",
        ),
        (90002, "invalid_request", "Tenant 'contoso.example' not found."),
    ];
    let shown: Vec<String> = cases
        .iter()
        .map(|(code, error, text)| {
            Error::from(ServerError::parse(400, &aad(*code, error, text)).unwrap()).to_string()
        })
        .collect();
    insta::assert_snapshot!(shown.join("\n"), @r"
    invalid_request: AADSTS50011: The redirect URI 'http://localhost:8401/' does not match. (hint: register http://localhost:8400 (or the port used) as a redirect URI of the mobile and desktop platform in the app registration) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS50076: Due to a configuration change you must use multi-factor authentication. (hint: multi-factor authentication is required: use interactive or device code sign-in) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS50079: The user is required to use multi-factor authentication. (hint: multi-factor authentication is required: use interactive or device code sign-in) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS50126: Error validating credentials due to invalid username or password. (hint: the user name or password is wrong (password sign-in works only for cloud accounts without MFA)) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS65001: The user or administrator has not consented to use the application. (hint: consent is missing: an administrator must consent to the application) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS70008: The provided authorization code or refresh token has expired. (hint: the refresh token has expired: sign in again) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. (hint: the refresh token has expired: sign in again) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_grant: AADSTS700007: Refresh token was issued to a different client. (hint: the refresh token was issued to another client: use the client id the token was issued to) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    unauthorized_client: AADSTS700016: Application with identifier 'x' was not found in the directory. (hint: the application was not found in the tenant: check the client id and the tenant) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_client: AADSTS7000215: Invalid client secret provided. (hint: the client secret is invalid or expired: create a new one in the app registration) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_client: AADSTS7000222: The provided client secret keys are expired. (hint: the client secret is invalid or expired: create a new one in the app registration) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_client: AADSTS7000218: The request body must contain client_assertion or client_secret. (hint: the application is confidential: pass a client secret or certificate, or enable public client flows in the app registration) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_client: AADSTS700027: Client assertion failed signature validation. (hint: the assertion's signature did not verify: check that the certificate is registered on the app) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    invalid_request: AADSTS90002: Tenant 'contoso.example' not found. (hint: the tenant was not found: check the tenant id or domain and the environment) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]
    ");
}

#[test]
fn the_code_is_read_from_the_description_when_error_codes_is_missing() {
    let error = ServerError::parse(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS50126: bad"}"#,
    )
    .unwrap();
    assert_eq!(error.aadsts(), Some(50126));
    assert_eq!(
        error.to_string(),
        "invalid_grant: AADSTS50126: bad (hint: the user name or password is wrong (password sign-in works only for cloud accounts without MFA))"
    );
}

#[test]
fn an_error_without_aadsts_shows_plainly() {
    let error = ServerError::parse(400, r#"{"error":"authorization_pending"}"#).unwrap();
    assert_eq!(error.aadsts(), None);
    assert_eq!(error.to_string(), "authorization_pending: authorization_pending");
}

#[test]
fn a_body_that_is_not_an_oauth_error_is_not_parsed_as_one() {
    assert_eq!(ServerError::parse(502, "<html>Bad gateway</html>"), None);
    assert_eq!(ServerError::parse(400, r#"{"message":"nope"}"#), None);
}

#[test]
fn errors_can_cross_threads() {
    fn assert_bounds<T: Send + Sync + 'static>() {}
    assert_bounds::<Error>();
    assert_bounds::<ServerError>();
}

/// Issue 22, item 10: what a build without a default feature answers names the feature to turn on.
#[test]
fn a_left_out_feature_is_named() {
    let certificates = Error::FeatureOff {
        needs: "reading a certificate",
        feature: "certificates",
    };
    assert_eq!(
        certificates.to_string(),
        "reading a certificate needs msconnect-auth-core's `certificates` feature, which this build leaves out"
    );
    let browser = Error::FeatureOff {
        needs: "signing in in a browser",
        feature: "browser",
    };
    assert_eq!(
        browser.to_string(),
        "signing in in a browser needs msconnect-auth-core's `browser` feature, which this build leaves out"
    );
}
