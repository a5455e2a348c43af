//! Federated token sources against loopback stand-ins: what each sends, that each is asked again for
//! every token, and the errors a user sees for bad files, refused requests and missing variables.

use mockito::Matcher;
use serde_json::json;

use super::*;
use crate::authority::Authority;
use crate::flows::ClientCredentials;
use crate::testing::{app_token_response, form, http_client, jwt};

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const REQUEST_TOKEN: &str = "gh-request-token-must-not-leak";
const SYSTEM_TOKEN: &str = "pipelines-access-token-must-not-leak";
const CONNECTION: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

fn federated_jwt(subject: &str) -> String {
    jwt(&json!({"iss": "https://issuer.example", "sub": subject, "aud": TOKEN_EXCHANGE_AUDIENCE}))
}

fn authority(server: &mockito::Server) -> Authority {
    Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse("contoso.onmicrosoft.com").unwrap(),
    )
    .unwrap()
}

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

/// A token endpoint mock that accepts exactly this client assertion, once.
async fn token_endpoint_expecting(server: &mut mockito::Server, assertion: &str) -> mockito::Mock {
    server
        .mock("POST", "/contoso.onmicrosoft.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE_FOR_TESTS),
            ("client_assertion", assertion),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .with_body(app_token_response("app-token").to_string())
        .expect(1)
        .create_async()
        .await
}

const JWT_BEARER_ASSERTION_TYPE_FOR_TESTS: &str = crate::flows::JWT_BEARER_ASSERTION_TYPE;

async fn sign_in(
    server: &mockito::Server,
    credential: &ClientCredential,
) -> crate::Result<crate::TokenResult> {
    let (http, _) = http_client();
    let a = authority(server);
    ClientCredentials::new(&a, &client(), credential)
        .scopes(["https://graph.microsoft.com/.default"])
        .send(&http)
        .await
}

#[tokio::test]
async fn a_token_file_replaced_on_disk_is_read_again_for_the_next_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azure-identity-token");
    let first = federated_jwt("first");
    let second = federated_jwt("second");
    std::fs::write(&path, format!("{first}\n")).unwrap();
    let credential = ClientCredential::assertion(FederatedTokenFile::new(&path));
    let mut server = mockito::Server::new_async().await;

    let mock = token_endpoint_expecting(&mut server, &first).await;
    sign_in(&server, &credential).await.unwrap();
    mock.assert_async().await;
    mock.remove_async().await;

    // Kubernetes rotates the projected token: the expired one is gone, a fresh one is in its place
    std::fs::write(&path, &second).unwrap();
    let mock = token_endpoint_expecting(&mut server, &second).await;
    let renewed = sign_in(&server, &credential).await.unwrap();
    assert_eq!(renewed.access_token.secret(), "app-token");
    mock.assert_async().await;
}

#[tokio::test]
async fn bad_token_files_are_refused_by_name_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = mockito::Server::new_async().await;
    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let cases: Vec<(&str, Option<Vec<u8>>, &str)> = vec![
        ("missing", None, "reading the federated token file"),
        (
            "empty",
            Some(b"  \n".to_vec()),
            "the federated token file is empty: it holds no JWT",
        ),
        (
            "not-a-jwt",
            Some(b"hello world".to_vec()),
            "the federated token file holds no JWT (expected header.payload.signature in base64url)",
        ),
        (
            "three-parts-but-not-json",
            Some(b"aaaa.bbbb.cccc".to_vec()),
            "the federated token file holds no JWT",
        ),
        (
            "binary",
            Some(vec![0xff, 0xfe, 0x00]),
            "the federated token file is not text",
        ),
        (
            "huge",
            Some(vec![b'a'; MAX_FEDERATED_TOKEN_BYTES + 1]),
            "larger than 64 KiB, more than a federated token file ever holds: it was not read",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(name);
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let credential = ClientCredential::assertion(FederatedTokenFile::new(&path));
        let error = sign_in(&server, &credential).await.unwrap_err().to_string();
        assert!(error.contains(&path.display().to_string()), "{name}: {error}");
        assert!(error.contains(expected), "{name}: {error}");
    }
    never.assert_async().await;
}

#[test]
fn a_token_at_the_size_limit_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    let token = federated_jwt("x");
    let padded = format!("{token}{}", " ".repeat(MAX_FEDERATED_TOKEN_BYTES - token.len()));
    std::fs::write(&path, padded).unwrap();
    assert_eq!(FederatedTokenFile::new(&path).read().unwrap().secret(), token);
}

fn github_env(server: &mockito::Server) -> EnvVars {
    EnvVars::from_pairs([
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!(
                "{}/_apis/pipelines/1/runs/2/idtoken?api-version=2.0",
                server.url()
            ),
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN.to_owned()),
        ("AZURE_CLIENT_ID", CLIENT.to_owned()),
        ("AZURE_TENANT_ID", "contoso.onmicrosoft.com".to_owned()),
    ])
}

async fn github_answering(server: &mut mockito::Server, token: &str) -> mockito::Mock {
    server
        .mock("GET", "/_apis/pipelines/1/runs/2/idtoken")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), "2.0".into()),
            Matcher::UrlEncoded("audience".into(), "api://AzureADTokenExchange".into()),
        ]))
        .match_header("authorization", format!("bearer {REQUEST_TOKEN}").as_str())
        .with_body(json!({"count": 1, "value": token}).to_string())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn github_actions_is_asked_again_for_every_token() {
    let mut server = mockito::Server::new_async().await;
    let identity = WorkloadIdentity::from_env(&github_env(&server)).unwrap();
    assert_eq!(identity.source.kind(), "GitHubActions");
    assert_eq!(identity.client_id, Some(client()));
    assert_eq!(
        identity.tenant.as_ref().map(Tenant::as_str),
        Some("contoso.onmicrosoft.com")
    );
    let credential = identity.credential();

    let first = federated_jwt("repo:contoso/app:ref:refs/heads/main#1");
    let github = github_answering(&mut server, &first).await;
    let token = token_endpoint_expecting(&mut server, &first).await;
    sign_in(&server, &credential).await.unwrap();
    github.assert_async().await;
    token.assert_async().await;
    github.remove_async().await;
    token.remove_async().await;

    let second = federated_jwt("repo:contoso/app:ref:refs/heads/main#2");
    let github = github_answering(&mut server, &second).await;
    let token = token_endpoint_expecting(&mut server, &second).await;
    sign_in(&server, &credential).await.unwrap();
    github.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_refused_github_request_token_is_named_and_never_shown() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", Matcher::Regex("^/_apis/".into()))
        .with_status(401)
        .with_body(format!("{{\"message\":\"bad token {REQUEST_TOKEN}\"}}"))
        .create_async()
        .await;
    let credential = WorkloadIdentity::from_env(&github_env(&server))
        .unwrap()
        .credential();
    let error = sign_in(&server, &credential).await.unwrap_err();
    assert!(matches!(error, Error::IdentitySource { .. }), "{error:?}");
    let shown = format!("{error} {error:?} {credential:?}");
    assert!(
        error.to_string().starts_with(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN: GitHub Actions refused the OIDC token request: give the job \
             `permissions: id-token: write` (HTTP 401 from "
        ),
        "{error}"
    );
    assert!(!shown.contains(REQUEST_TOKEN), "{shown}");
}

#[tokio::test]
async fn a_github_answer_without_a_jwt_is_an_error_naming_the_endpoint() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("GET", Matcher::Regex("^/_apis/".into()))
        .with_body(json!({"value": "not a jwt"}).to_string())
        .create_async()
        .await;
    let credential = WorkloadIdentity::from_env(&github_env(&server))
        .unwrap()
        .credential();
    let error = sign_in(&server, &credential).await.unwrap_err().to_string();
    assert!(
        error.contains("the federated token is not a valid token: the answer of")
            && error.contains("/_apis/pipelines/1/runs/2/idtoken holds no JWT"),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_github_answer_is_refused() {
    let mut server = mockito::Server::new_async().await;
    let huge = format!("{}.{}.sig", b64_json(), "A".repeat(MAX_FEDERATED_TOKEN_BYTES));
    server
        .mock("GET", Matcher::Regex("^/_apis/".into()))
        .with_body(json!({ "value": huge }).to_string())
        .create_async()
        .await;
    let credential = WorkloadIdentity::from_env(&github_env(&server))
        .unwrap()
        .credential();
    let error = sign_in(&server, &credential).await.unwrap_err().to_string();
    assert!(
        error.ends_with("holds more than 65536 bytes: no JWT is that large"),
        "{error}"
    );
}

fn b64_json() -> String {
    crate::testing::b64(br#"{"alg":"RS256"}"#)
}

#[tokio::test]
async fn azure_pipelines_posts_to_the_oidc_endpoint_for_the_service_connection() {
    let mut server = mockito::Server::new_async().await;
    let env = EnvVars::from_pairs([
        (
            "SYSTEM_OIDCREQUESTURI",
            format!(
                "{}/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
                server.url()
            ),
        ),
        ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN.to_owned()),
        ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION.to_owned()),
    ]);
    let oidc = federated_jwt("sc://contoso/project/connection");
    let pipelines = server
        .mock(
            "POST",
            "/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
        )
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), "7.1".into()),
            Matcher::UrlEncoded("serviceConnectionId".into(), CONNECTION.into()),
        ]))
        .match_header("authorization", format!("Bearer {SYSTEM_TOKEN}").as_str())
        .match_header("x-tfs-fedauthredirect", "Suppress")
        .match_header("content-type", "application/json")
        .with_body(json!({"oidcToken": oidc}).to_string())
        .expect(2)
        .create_async()
        .await;
    let identity = WorkloadIdentity::from_env(&env).unwrap();
    assert_eq!(identity.source.kind(), "AzurePipelines");
    assert_eq!(
        (identity.client_id.clone(), identity.tenant.clone()),
        (None, None)
    );
    let credential = identity.credential();
    let token = server
        .mock("POST", "/contoso.onmicrosoft.com/oauth2/v2.0/token")
        .match_body(form(&[("client_assertion", &oidc)]))
        .with_body(app_token_response("app-token").to_string())
        .expect(2)
        .create_async()
        .await;
    sign_in(&server, &credential).await.unwrap();
    sign_in(&server, &credential).await.unwrap();
    pipelines.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_refused_pipelines_access_token_is_named() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", Matcher::Regex("^/oidc".into()))
        .with_status(401)
        .create_async()
        .await;
    let source = FederatedTokenSource::from_env(
        &EnvVars::from_pairs([
            ("SYSTEM_OIDCREQUESTURI", format!("{}/oidc", server.url())),
            ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN.to_owned()),
        ]),
        Some(CONNECTION),
    )
    .unwrap();
    let error = sign_in(&server, &ClientCredential::assertion(source))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("SYSTEM_ACCESSTOKEN: Azure Pipelines refused"),
        "{error}"
    );
    assert!(!error.contains(SYSTEM_TOKEN), "{error}");
}

#[test]
fn the_environment_is_searched_in_azure_identity_order() {
    let all = [
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/azure-identity-token",
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://pipelines.actions.githubusercontent.com/x?api-version=2.0",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
        ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/contoso/oidc"),
        ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN),
        ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION),
    ];
    let kind = |skip: usize| {
        FederatedTokenSource::from_env(&EnvVars::from_pairs(all[skip..].iter().copied()), None)
            .map(|source| source.kind())
    };
    assert_eq!(kind(0).unwrap(), "FederatedTokenFile");
    assert_eq!(kind(1).unwrap(), "GitHubActions");
    assert_eq!(kind(3).unwrap(), "AzurePipelines");
    let none = kind(6).unwrap_err().to_string();
    assert!(
        none.starts_with("invalid value for workload identity: no federated token in the environment: set AZURE_FEDERATED_TOKEN_FILE"),
        "{none}"
    );
}

#[test]
fn half_configured_sources_name_the_missing_variable() {
    let error = |pairs: &[(&str, &str)], connection: Option<&str>| {
        FederatedTokenSource::from_env(&EnvVars::from_pairs(pairs.iter().copied()), connection)
            .unwrap_err()
            .to_string()
    };
    assert!(
        error(&[("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/x")], None).starts_with(
            "invalid value for ACTIONS_ID_TOKEN_REQUEST_TOKEN: ACTIONS_ID_TOKEN_REQUEST_URL is set"
        )
    );
    assert!(
        error(&[("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x")], None)
            .starts_with("invalid value for SYSTEM_ACCESSTOKEN:")
    );
    assert!(
        error(
            &[
                ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/x"),
                ("SYSTEM_ACCESSTOKEN", "t")
            ],
            None
        )
        .starts_with("invalid value for AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: Azure Pipelines needs")
    );
    assert!(
        error(
            &[
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "http://gh.example/x"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t")
            ],
            None
        )
        .starts_with(
            "invalid value for ACTIONS_ID_TOKEN_REQUEST_URL: 'http://gh.example/x' is not an https URL"
        )
    );
    let bad_client = WorkloadIdentity::from_env(&EnvVars::from_pairs([
        ("AZURE_FEDERATED_TOKEN_FILE", "/t"),
        ("AZURE_CLIENT_ID", "not-a-guid"),
    ]))
    .unwrap_err()
    .to_string();
    assert_eq!(
        bad_client,
        "invalid value for AZURE_CLIENT_ID: expected the application's id (a GUID)"
    );
}

#[test]
fn the_option_names_the_service_connection_before_the_variable() {
    let env = EnvVars::from_pairs([
        ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/contoso/oidc"),
        ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN),
        ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION),
    ]);
    let source = FederatedTokenSource::from_env(&env, Some("11111111-0000-0000-0000-000000000000")).unwrap();
    let shown = format!("{source:?}");
    assert!(shown.contains("11111111-0000-0000-0000-000000000000"), "{shown}");
    assert!(!shown.contains(SYSTEM_TOKEN), "{shown}");
}

#[test]
fn a_saved_source_holds_no_secret_and_reloads_from_the_environment() {
    let env = EnvVars::from_pairs([
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://pipelines.actions.githubusercontent.com/x?api-version=2.0",
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
        ("SYSTEM_OIDCREQUESTURI", "https://dev.azure.com/contoso/oidc"),
        ("SYSTEM_ACCESSTOKEN", SYSTEM_TOKEN),
    ]);
    let sources = [
        FederatedTokenSource::File(FederatedTokenFile::new(
            "/var/run/secrets/azure/tokens/azure-identity-token",
        )),
        FederatedTokenSource::from_env(&env, None).unwrap(),
        FederatedTokenSource::AzurePipelines(
            AzurePipelinesToken::new(
                "https://dev.azure.com/contoso/oidc",
                RequestToken::new(SYSTEM_TOKEN),
                CONNECTION,
            )
            .unwrap(),
        ),
    ];
    let saved: Vec<String> = sources
        .iter()
        .map(|source| serde_json::to_string(&source.describe()).unwrap())
        .collect();
    assert_eq!(
        saved,
        [
            r#"{"source":"file","path":"/var/run/secrets/azure/tokens/azure-identity-token"}"#,
            r#"{"source":"gitHubActions"}"#,
            r#"{"source":"azurePipelines","serviceConnectionId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}"#,
        ]
    );
    for (source, json) in sources.iter().zip(&saved) {
        let back: SavedFederatedSource = serde_json::from_str(json).unwrap();
        assert_eq!(back.reload(&env).unwrap().kind(), source.kind());
    }
    let outside_the_job = SavedFederatedSource::GitHubActions
        .reload(&EnvVars::default())
        .unwrap_err()
        .to_string();
    assert!(
        outside_the_job.starts_with(
            "invalid value for ACTIONS_ID_TOKEN_REQUEST_URL: the connection signed in through GitHub Actions"
        ),
        "{outside_the_job}"
    );
}
