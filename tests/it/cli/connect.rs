//! `connect` against a mock authority: what goes over the wire, the context printed as a table or as
//! JSON, `--what-if` sending nothing, and errors that give the AADSTS code, the hint and the
//! correlation id with exit code 1.

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::form;
use test_support::{app_token_response, jwt, user_token_response};

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const PARTNER_SCOPE: &str = "https://api.partnercenter.microsoft.com/user_impersonation";

/// A user-defined environment whose every endpoint is the mock server, so Partner Center's profile
/// request (made after a user signs in) stays on this machine.
pub(crate) fn mock_environment(cli: &Cli, server: &Server) {
    let url = server.url();
    let run = cli.run(&[
        "environment",
        "add",
        "Mock",
        "--authority-host",
        &url,
        "--graph-endpoint",
        &url,
        "--partner-center-endpoint",
        &url,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Partner Center's organization profile, which fills CountryCode and Locale.
pub(crate) async fn profile(server: &mut Server) -> mockito::Mock {
    server
        .mock("GET", "/v1/profiles/organization")
        .match_header("authorization", "Bearer at-1")
        .with_body(json!({"defaultAddress": {"country": "US"}, "culture": "en-US"}).to_string())
        .create_async()
        .await
}

#[tokio::test]
async fn a_refresh_token_connects_and_prints_the_context_as_a_table() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", APP_ID),
            ("refresh_token", "partner-refresh-token"),
            ("client_info", "1"),
        ]))
        .with_body(
            user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", PARTNER_SCOPE)
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let profile = profile(&mut server).await;
    let cli = Cli::new().env("MSCONNECT_REFRESH_TOKEN", "partner-refresh-token");
    mock_environment(&cli, &server);

    let run = cli.run(&[
        "partnercenter",
        "connect",
        "--application-id",
        APP_ID,
        "--environment",
        "Mock",
    ]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    snapshot!(run.stdout, @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    admin@contoso.com                        Mock        [GUID]
    ");
    token.assert_async().await;
    profile.assert_async().await;
}

#[tokio::test]
async fn json_output_uses_the_powershell_property_names() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", TOKEN_PATH)
        .with_body(
            user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", PARTNER_SCOPE)
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let profile = profile(&mut server).await;
    let cli = Cli::new();
    mock_environment(&cli, &server);

    let run = cli.run_with_stdin(
        &[
            "-o",
            "json",
            "Connect-PartnerCenter",
            "--application-id",
            APP_ID,
            "--refresh-token",
            "-",
            "--environment",
            "mock",
        ],
        "partner-refresh-token\n",
    );

    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stdout, @r#"
    {
      "Account": {
        "ExtendedProperties": {
          "ApplicationId": "[GUID]",
          "Scope": "http://127.0.0.1:[PORT]/user_impersonation"
        },
        "Identifier": "admin@contoso.com",
        "ObjectId": "[GUID]",
        "Tenant": "[GUID]",
        "Type": "User"
      },
      "Environment": {
        "ActiveDirectoryAuthority": "http://127.0.0.1:[PORT]",
        "AzureAdGraphEndpoint": null,
        "GraphEndpoint": "http://127.0.0.1:[PORT]",
        "EnvironmentName": "Mock",
        "PartnerCenterEndpoint": "http://127.0.0.1:[PORT]"
      },
      "CountryCode": "US",
      "Locale": "en-US",
      "ExtendedProperties": {}
    }
    "#);
    token.assert_async().await;
    profile.assert_async().await;
}

#[tokio::test]
async fn what_if_says_what_would_happen_and_sends_nothing() {
    let mut server = Server::new_async().await;
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let cli = Cli::new().authority(&server.url());

    let run = cli.run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--credential",
            APP_ID,
            "--service-principal",
            "--tenant",
            "contoso.com",
            "--password-stdin",
            "--what-if",
        ],
        "never-read",
    );

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    snapshot!(run.stdout, @r#"What if: Performing the operation "Connect" on target "tenant contoso.com in AzureCloud (ServicePrincipal)""#);
    assert!(
        std::fs::read_dir(cli.home()).unwrap().next().is_none(),
        "what-if wrote a file"
    );
    nothing.assert_async().await;
}

#[tokio::test]
async fn a_service_principal_signs_in_with_its_secret_for_the_app_only_scope() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP_ID),
            ("client_secret", "s3cret-from-stdin"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .with_body(app_token_response(&jwt(&json!({"tid": TENANT_ID, "exp": 4_102_444_800_i64}))).to_string())
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());

    let run = cli.run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--credential",
            APP_ID,
            "--service-principal",
            "--tenant",
            "contoso.com",
            "--password-stdin",
        ],
        "s3cret-from-stdin\n",
    );

    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stdout, @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    [GUID]     AzureCloud  [GUID]
    ");
    token.assert_async().await;
}

#[tokio::test]
async fn an_access_token_is_used_as_it_is_without_a_request() {
    let mut server = Server::new_async().await;
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let cli = Cli::new().authority(&server.url());
    let token =
        jwt(&json!({"tid": TENANT_ID, "oid": OID, "upn": "admin@contoso.com", "exp": 4_102_444_800_i64}));
    let expired = jwt(&json!({"tid": TENANT_ID, "exp": 1_000_000_000_i64}));

    let run = cli.run(&["entra", "connect", "--ms-access-token", &token]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stdout, @r"
    ClientId              : [GUID]
    TenantId              : [GUID]
    Scopes                : {}
    AuthType              : UserProvidedAccessToken
    TokenCredentialType   : UserProvidedAccessToken
    CertificateThumbprint :
    Account               : admin@contoso.com
    AppName               : Microsoft Graph Command Line Tools
    ContextScope          : CurrentUser
    Environment           : Global
    ");

    // piped: typed, it would add the warning that other users can read it in `ps`
    let run = cli.run_with_stdin(&["partnercenter", "connect", "--access-token", "-"], &expired);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    snapshot!(run.stderr, @"error: The access token has expired. Generate a new one and try again.");
    nothing.assert_async().await;
}

#[tokio::test]
async fn a_refused_sign_in_gives_the_code_the_hint_and_the_correlation_id() {
    let mut server = Server::new_async().await;
    let refused = server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.\r\nTrace ID: 3f7c0a1e-0000-4000-8000-000000000001\r\nCorrelation ID: 9d1f8b2a-0000-4000-8000-000000000002\r\nTimestamp: 2026-11-22 10:00:00Z",
                "error_codes": [70008],
                "timestamp": "2026-11-22 10:00:00Z",
                "trace_id": "3f7c0a1e-0000-4000-8000-000000000001",
                "correlation_id": "9d1f8b2a-0000-4000-8000-000000000002",
            })
            .to_string(),
        )
        .expect(2)
        .create_async()
        .await;
    let cli = Cli::new().env("MSCONNECT_REFRESH_TOKEN", "old");
    mock_environment(&cli, &server);

    let run = cli.run(&[
        "partnercenter",
        "connect",
        "--application-id",
        APP_ID,
        "--environment",
        "Mock",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    snapshot!(run.stderr, @r"
    error: AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.
    hint: the refresh token has expired: sign in again; correlation id: [GUID]
    ");

    let verbose = cli.run(&[
        "partnercenter",
        "connect",
        "--application-id",
        APP_ID,
        "--environment",
        "Mock",
        "-v",
    ]);
    assert_eq!(verbose.code, 1);
    assert!(
        verbose
            .stderr
            .contains("  trace id: 3f7c0a1e-0000-4000-8000-000000000001"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("POST http://127.0.0.1:"),
        "-v traces the request: {}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("=old"),
        "-v leaked the refresh token: {}",
        verbose.stderr
    );
    refused.assert_async().await;
}

#[test]
fn warnings_of_the_library_crates_reach_stderr_as_warnings() {
    let token = jwt(&json!({"tid": TENANT_ID, "exp": 4_102_444_800_i64}));
    // piped: typed, it would add the warning that other users can read it in `ps`
    let run = Cli::new().run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--environment",
            "AzureGermanCloud",
            "--access-token",
            "-",
        ],
        &token,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stderr, @"warning: Microsoft Cloud Deutschland (AzureGermanCloud) closed in 2021; sign-in there is expected to fail");
    assert!(run.stdout.contains("AzureGermanCloud"), "{}", run.stdout);
}
