//! Managed identity against loopback stand-ins with the real answer shapes (never 169.254.169.254:
//! every test points IDENTITY_ENDPOINT, MSI_ENDPOINT or AZURE_POD_IDENTITY_AUTHORITY_HOST here).

use std::time::Duration;

use mockito::Matcher;
use serde_json::json;

use super::*;
use crate::testing::{NOW, form, http_client, jwt};

const MI_CLIENT: &str = "99999999-8888-7777-6666-555555555555";
const USER_CLIENT: &str = "12345678-1234-1234-1234-123456789abc";
const OBJECT_ID: &str = "abcdefab-cdef-abcd-efab-cdefabcdefab";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const HEADER: &str = "identity-header-must-not-leak";
const RESOURCE_ID: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci";
const GRAPH: &str = "https://graph.microsoft.com/.default";

fn access_token() -> String {
    jwt(&json!({"appid": MI_CLIENT, "tid": TENANT, "aud": "https://graph.microsoft.com"}))
}

/// App Service's 2019-08-01 answer: `expires_on` as a string of epoch seconds.
fn app_service_answer() -> String {
    json!({
        "access_token": access_token(),
        "expires_on": (NOW + 86_399).to_string(),
        "resource": "https://graph.microsoft.com",
        "token_type": "Bearer",
        "client_id": MI_CLIENT,
    })
    .to_string()
}

/// IMDS' answer: every number a string, `expires_in` too.
fn imds_answer() -> String {
    json!({
        "access_token": access_token(),
        "refresh_token": "",
        "expires_in": "86399",
        "expires_on": (NOW + 86_399).to_string(),
        "not_before": NOW.to_string(),
        "resource": "https://graph.microsoft.com",
        "token_type": "Bearer",
    })
    .to_string()
}

/// Where App Service and IMDS answer.
const APP_SERVICE: &str = "/msi/token";
const IMDS: &str = "/metadata/identity/oauth2/token";

/// `path` answering any query `times` times with `status` and `body`.
async fn answers(
    server: &mut mockito::Server,
    path: &str,
    status: usize,
    body: &str,
    times: usize,
) -> mockito::Mock {
    server
        .mock("GET", path)
        .match_query(Matcher::Any)
        .with_status(status)
        .with_body(body)
        .expect(times)
        .create_async()
        .await
}

/// A Graph token from the managed identity `env` points at.
async fn graph_token(env: &EnvVars, http: &HttpClient) -> Result<TokenResult> {
    ManagedIdentity::new(env).scopes([GRAPH]).send(http).await
}

fn app_service_env(server: &mockito::Server) -> EnvVars {
    EnvVars::from_pairs([
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", server.url())),
        ("IDENTITY_HEADER", HEADER.to_owned()),
    ])
}

fn imds_env(server: &mockito::Server) -> EnvVars {
    EnvVars::from_pairs([("AZURE_POD_IDENTITY_AUTHORITY_HOST", format!("{}/", server.url()))])
}

fn query(pairs: &[(&str, &str)]) -> Matcher {
    Matcher::AllOf(
        pairs
            .iter()
            .map(|(k, v)| Matcher::UrlEncoded((*k).into(), (*v).into()))
            .collect(),
    )
}

#[tokio::test]
async fn app_service_system_assigned() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("GET", "/msi/token")
        .match_query(query(&[
            ("api-version", "2019-08-01"),
            ("resource", "https://graph.microsoft.com"),
        ]))
        .match_header("x-identity-header", HEADER)
        .with_body(app_service_answer())
        .expect(1)
        .create_async()
        .await;
    let env = app_service_env(&server);
    let (http, _) = http_client();
    let token = graph_token(&env, &http).await.unwrap();
    mock.assert_async().await;
    assert_eq!(token.access_token.secret(), access_token());
    assert_eq!(token.expires_on, NOW + 86_399);
    assert_eq!(token.client_id.as_str(), MI_CLIENT);
    assert_eq!(token.tenant_id, TENANT);
    assert_eq!(token.scopes, [GRAPH]);
    assert_eq!(token.environment, "login.microsoftonline.com");
    assert!(token.account.is_none() && token.refresh_token.is_none());
}

#[tokio::test]
async fn user_assigned_ids_use_each_sources_own_parameter_names() {
    let cases = [
        (
            ManagedIdentityId::ClientId(ClientId::parse(USER_CLIENT).unwrap()),
            "client_id",
            USER_CLIENT,
            "client_id",
            USER_CLIENT,
        ),
        (
            ManagedIdentityId::object_id(OBJECT_ID).unwrap(),
            "object_id",
            OBJECT_ID,
            "object_id",
            OBJECT_ID,
        ),
        (
            ManagedIdentityId::resource_id(RESOURCE_ID).unwrap(),
            "mi_res_id",
            RESOURCE_ID,
            "msi_res_id",
            RESOURCE_ID,
        ),
    ];
    for (id, app_service_name, value, imds_name, _) in cases {
        let mut server = mockito::Server::new_async().await;
        let app_service = server
            .mock("GET", "/msi/token")
            .match_query(query(&[("api-version", "2019-08-01"), (app_service_name, value)]))
            .with_body(app_service_answer())
            .expect(1)
            .create_async()
            .await;
        let imds = server
            .mock("GET", "/metadata/identity/oauth2/token")
            .match_query(query(&[("api-version", "2018-02-01"), (imds_name, value)]))
            .match_header("metadata", "true")
            .with_body(imds_answer())
            .expect(1)
            .create_async()
            .await;
        let (http, _) = http_client();
        for env in [app_service_env(&server), imds_env(&server)] {
            ManagedIdentity::new(&env)
                .id(id.clone())
                .scopes([GRAPH])
                .send(&http)
                .await
                .unwrap();
        }
        app_service.assert_async().await;
        imds.assert_async().await;
    }
}

#[tokio::test]
async fn a_refused_identity_header_is_named_and_never_shown() {
    let mut server = mockito::Server::new_async().await;
    let refusal = format!("{{\"error\":\"bad header {HEADER}\"}}");
    answers(&mut server, APP_SERVICE, 401, &refusal, 1).await;
    let env = app_service_env(&server);
    let (http, _) = http_client();
    let error = graph_token(&env, &http).await.unwrap_err();
    let shown = format!(
        "{error} {error:?} {:?}",
        ManagedIdentitySource::from_env(&env).unwrap()
    );
    assert!(
        error.to_string().starts_with(
            "IDENTITY_HEADER: the managed identity endpoint refused the identity header (HTTP 401 from http://127.0.0.1:"
        ),
        "{error}"
    );
    assert!(!shown.contains(HEADER), "{shown}");
}

#[tokio::test]
async fn imds_retries_404_429_and_5xx_with_doubling_waits() {
    let mut server = mockito::Server::new_async().await;
    let mut mocks = Vec::new();
    for status in [404, 429, 503] {
        mocks.push(answers(&mut server, IMDS, status, "", 1).await);
    }
    mocks.push(answers(&mut server, IMDS, 200, &imds_answer(), 1).await);
    let env = imds_env(&server);
    let (http, timer) = http_client();
    let token = graph_token(&env, &http).await.unwrap();
    assert_eq!(token.client_id.as_str(), MI_CLIENT);
    assert_eq!(token.expires_on, NOW + 86_399);
    assert_eq!(
        timer.sleeps(),
        [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(4)
        ]
    );
    for mock in mocks {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn imds_gives_up_after_three_retries() {
    let mut server = mockito::Server::new_async().await;
    let not_found = r#"{"error":"invalid_request","error_description":"Identity not found"}"#;
    let mock = answers(&mut server, IMDS, 404, not_found, 4).await;
    let env = imds_env(&server);
    let (http, timer) = http_client();
    let error = graph_token(&env, &http).await.unwrap_err();
    mock.assert_async().await;
    assert_eq!(timer.sleeps().len(), 3);
    let error = error.to_string();
    assert!(
        error.starts_with("unexpected HTTP 404 response from http://127.0.0.1:"),
        "{error}"
    );
    assert!(error.contains("Identity not found"), "{error}");
}

#[tokio::test]
async fn imds_waits_out_an_update_for_70_seconds() {
    let mut server = mockito::Server::new_async().await;
    let gone = answers(&mut server, IMDS, 410, "", 8).await;
    let env = imds_env(&server);
    let (http, timer) = http_client();
    let error = graph_token(&env, &http).await.unwrap_err();
    gone.assert_async().await;
    assert_eq!(timer.sleeps(), vec![Duration::from_secs(10); 7]);
    assert!(error.to_string().starts_with("unexpected HTTP 410"), "{error}");
}

#[tokio::test]
async fn app_service_does_not_retry_404_but_does_retry_500() {
    let mut server = mockito::Server::new_async().await;
    let failed = answers(&mut server, APP_SERVICE, 500, "", 1).await;
    let ok = answers(&mut server, APP_SERVICE, 200, &app_service_answer(), 1).await;
    let env = app_service_env(&server);
    let (http, timer) = http_client();
    graph_token(&env, &http).await.unwrap();
    failed.assert_async().await;
    ok.assert_async().await;
    assert_eq!(timer.sleeps(), [Duration::from_secs(1)]);

    let mut server = mockito::Server::new_async().await;
    let missing = answers(&mut server, APP_SERVICE, 404, "", 1).await;
    let env = app_service_env(&server);
    let (http, timer) = http_client();
    graph_token(&env, &http).await.unwrap_err();
    missing.assert_async().await;
    assert!(timer.sleeps().is_empty());
}

#[tokio::test]
async fn unreachable_imds_means_no_managed_identity_at_once() {
    // a loopback port nobody listens on: refused at once, as a machine without IMDS refuses or drops
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = EnvVars::from_pairs([(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        format!("http://127.0.0.1:{port}"),
    )]);
    let (http, timer) = http_client();
    let error = graph_token(&env, &http).await.unwrap_err();
    assert!(matches!(error, Error::ManagedIdentityUnavailable(_)), "{error:?}");
    let error = error.to_string();
    assert!(
        error.starts_with(&format!(
            "no managed identity is available: IMDS at http://127.0.0.1:{port}/metadata/identity/oauth2/token did not answer (could not connect"
        )),
        "{error}"
    );
    assert!(timer.sleeps().is_empty(), "no backoff when nothing answers");
}

#[tokio::test]
async fn cloud_shell_posts_the_resource_as_a_form() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/oauth2/token")
        .match_header("metadata", "true")
        .match_body(form(&[("resource", "https://graph.microsoft.com")]))
        .with_body(
            json!({"access_token": access_token(), "expires_on": NOW + 3600, "token_type": "Bearer"})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let env = EnvVars::from_pairs([("MSI_ENDPOINT", format!("{}/oauth2/token", server.url()))]);
    let (http, _) = http_client();
    let token = graph_token(&env, &http).await.unwrap();
    mock.assert_async().await;
    assert_eq!(token.expires_on, NOW + 3600);
    let error = ManagedIdentity::new(&env)
        .id(ManagedIdentityId::object_id(OBJECT_ID).unwrap())
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "invalid value for managed identity: Cloud Shell offers only the system-assigned identity: leave out the client, object or resource id"
    );
}

async fn arc_server(realm: &str, key: &str) -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
    let mut server = mockito::Server::new_async().await;
    let challenge = server
        .mock("GET", "/metadata/identity/oauth2/token")
        .match_query(query(&[
            ("api-version", "2019-11-01"),
            ("resource", "https://graph.microsoft.com"),
        ]))
        .match_header("metadata", "true")
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_header("WWW-Authenticate", &format!("Basic realm={realm}"))
        .expect(1)
        .create_async()
        .await;
    let answer = server
        .mock("GET", "/metadata/identity/oauth2/token")
        .match_query(Matcher::Any)
        .match_header("authorization", format!("Basic {key}").as_str())
        .with_body(app_service_answer())
        .create_async()
        .await;
    (server, challenge, answer)
}

fn arc_env(server: &mockito::Server) -> EnvVars {
    EnvVars::from_pairs([
        (
            "IDENTITY_ENDPOINT",
            format!("{}/metadata/identity/oauth2/token", server.url()),
        ),
        ("IMDS_ENDPOINT", "http://localhost:40342".to_owned()),
    ])
}

#[tokio::test]
async fn azure_arc_answers_its_challenge_with_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("0b5e1c3a.key");
    std::fs::write(&key_file, "arc-key-content\n").unwrap();
    let (server, challenge, answer) = arc_server(&key_file.display().to_string(), "arc-key-content").await;
    let env = arc_env(&server);
    let (http, _) = http_client();
    let token = ManagedIdentity::new(&env)
        .arc_key_directory(dir.path())
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap();
    challenge.assert_async().await;
    answer.assert_async().await;
    assert_eq!(token.client_id.as_str(), MI_CLIENT);
}

#[tokio::test]
async fn azure_arc_challenges_pointing_elsewhere_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let outside = other.path().join("stolen.key");
    std::fs::write(&outside, "secret-from-elsewhere").unwrap();
    let not_key = dir.path().join("id_rsa");
    std::fs::write(&not_key, "private").unwrap();
    let big = dir.path().join("big.key");
    std::fs::write(&big, vec![b'k'; 4097]).unwrap();
    for (realm, expected) in [
        (outside.display().to_string(), "names a file outside"),
        (not_key.display().to_string(), "not ending in .key"),
        (
            big.display().to_string(),
            "Azure Arc's challenge file must be a regular file of at most 4096 bytes",
        ),
    ] {
        let (server, challenge, answer) = arc_server(&realm, "secret-from-elsewhere").await;
        let env = arc_env(&server);
        let (http, _) = http_client();
        let error = ManagedIdentity::new(&env)
            .arc_key_directory(dir.path())
            .scopes([GRAPH])
            .send(&http)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{realm}: {error}");
        challenge.assert_async().await;
        answer.expect(0).assert_async().await;
    }
}

#[tokio::test]
async fn azure_arc_offers_only_the_system_assigned_identity() {
    let server = mockito::Server::new_async().await;
    let env = arc_env(&server);
    let (http, _) = http_client();
    let error = ManagedIdentity::new(&env)
        .id(ManagedIdentityId::ClientId(ClientId::parse(USER_CLIENT).unwrap()))
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("Azure Arc offers only the system-assigned identity"),
        "{error}"
    );
}

#[test]
fn sources_are_found_in_the_sdks_order() {
    let name = |pairs: &[(&str, &str)]| {
        ManagedIdentitySource::from_env(&EnvVars::from_pairs(pairs.iter().copied())).map(|s| s.name())
    };
    let endpoint = ("IDENTITY_ENDPOINT", "http://localhost:8081/msi/token");
    assert_eq!(
        name(&[endpoint, ("IDENTITY_HEADER", "h"), ("MSI_ENDPOINT", "http://x")]).unwrap(),
        "AppService"
    );
    assert_eq!(
        name(&[endpoint, ("IMDS_ENDPOINT", "http://localhost:40342")]).unwrap(),
        "AzureArc"
    );
    assert_eq!(
        name(&[("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")]).unwrap(),
        "CloudShell"
    );
    assert_eq!(name(&[endpoint]).unwrap(), "IMDS");
    match ManagedIdentitySource::from_env(&EnvVars::default()).unwrap() {
        ManagedIdentitySource::Imds { endpoint } => assert_eq!(
            endpoint.as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token"
        ),
        other => panic!("{other:?}"),
    }
    let fabric = name(&[
        endpoint,
        ("IDENTITY_HEADER", "h"),
        ("IDENTITY_SERVER_THUMBPRINT", "t"),
    ])
    .unwrap_err();
    assert!(fabric.to_string().contains("Service Fabric"), "{fabric}");
    let bad = name(&[("MSI_ENDPOINT", "not a url")]).unwrap_err();
    assert_eq!(bad.to_string(), "invalid value for MSI_ENDPOINT: not a URL");
}

#[test]
fn the_scope_becomes_one_resource() {
    let env = EnvVars::default();
    let resource = |scopes: &[&str]| {
        ManagedIdentity::new(&env)
            .scopes(scopes.iter().copied())
            .resource()
    };
    assert_eq!(resource(&[GRAPH]).unwrap(), "https://graph.microsoft.com");
    assert_eq!(
        resource(&["https://vault.azure.net"]).unwrap(),
        "https://vault.azure.net"
    );
    assert_eq!(
        resource(&[GRAPH, "https://vault.azure.net/.default"])
            .unwrap_err()
            .to_string(),
        "invalid value for scopes: a managed identity token is for one resource, not 2 scopes: \
         https://graph.microsoft.com/.default https://vault.azure.net/.default"
    );
    assert!(
        resource(&[])
            .unwrap_err()
            .to_string()
            .starts_with("invalid value for scopes: a managed identity token needs a scope")
    );
    assert!(ManagedIdentityId::object_id("nope").is_err());
    assert!(ManagedIdentityId::resource_id("/etc/passwd").is_err());
}

#[test]
fn expires_on_is_read_as_seconds_or_a_date() {
    let read = |value: serde_json::Value| expires_on(&json!({ "expires_on": value }));
    assert_eq!(read(json!(1_795_345_200)), Some(1_795_345_200));
    assert_eq!(read(json!("1795345200")), Some(1_795_345_200));
    // 2026-11-22T11:00:00Z, as App Service's older answers and RFC 3339 write it
    assert_eq!(read(json!("11/22/2026 11:00:00 AM +00:00")), Some(1_795_345_200));
    assert_eq!(read(json!("11/22/2026 1:00:00 PM +02:00")), Some(1_795_345_200));
    assert_eq!(read(json!("11/22/2026 12:00:00 AM +00:00")), Some(1_795_305_600));
    assert_eq!(read(json!("2026-11-22T11:00:00Z")), Some(1_795_345_200));
    assert_eq!(read(json!("2026-11-22T06:00:00.123-05:00")), Some(1_795_345_200));
    assert_eq!(read(json!("tomorrow")), None);
    assert_eq!(read(json!("13/40/2026 11:00:00 AM +00:00")), None);
    // a hostile endpoint's offsets: a sign inside the offset overflowed the arithmetic
    assert_eq!(
        read(json!("11/30/2026 7:00:00 PM +-9223372036854775808:00")),
        None
    );
    assert_eq!(read(json!("2026-11-22T11:00:00+-922337203685477580:00")), None);
    assert_eq!(read(json!("2026-11-22T11:00:00+1:00")), None);
}

#[tokio::test]
async fn an_answer_without_a_usable_expiry_is_an_error() {
    let mut server = mockito::Server::new_async().await;
    let answer = json!({"access_token": access_token(), "expires_on": "soon"}).to_string();
    answers(&mut server, APP_SERVICE, 200, &answer, 1).await;
    let env = app_service_env(&server);
    let (http, _) = http_client();
    let error = graph_token(&env, &http).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "the managed identity answer is not a valid token: its expires_on is neither epoch seconds nor a date"
    );
}

#[tokio::test]
async fn a_session_signs_in_with_the_managed_identity_and_caches_the_token_like_an_app_token() {
    let mut server = mockito::Server::new_async().await;
    let mock = answers(&mut server, APP_SERVICE, 200, &app_service_answer(), 1).await;
    let (session, timer) = crate::testing::session_with(app_service_env(&server));
    let method = crate::session::SignInMethod::ManagedIdentity(ManagedIdentityId::SystemAssigned);
    assert_eq!(method.name(), "ManagedIdentity");
    let request = crate::session::SignInRequest {
        environment: crate::cloud::Environment::default(),
        tenant: crate::ids::Tenant::organizations(),
        client_id: ClientId::parse(MI_CLIENT).unwrap(),
        scopes: vec![GRAPH.to_owned()],
        method,
        client_capabilities: Vec::new(),
        claims: None,
    };
    let token = session.sign_in(&request).await.unwrap();
    mock.assert_async().await;
    let cached = session
        .cache()
        .find_access_token(
            &crate::cache::TokenQuery {
                environment: "login.microsoftonline.com".into(),
                client_id: ClientId::parse(MI_CLIENT).unwrap(),
                realm: Some(TENANT.into()),
                home_account_id: None,
                scopes: vec![GRAPH.to_owned()],
            },
            crate::time::Timer::now(&timer),
        )
        .unwrap()
        .expect("the managed identity's token is in the cache");
    assert_eq!(cached.access_token.secret(), token.access_token.secret());
}

#[test]
fn an_identity_is_saved_without_anything_secret_and_read_back() {
    let ids = [
        ManagedIdentityId::SystemAssigned,
        ManagedIdentityId::ClientId(ClientId::parse(USER_CLIENT).unwrap()),
        ManagedIdentityId::object_id(OBJECT_ID).unwrap(),
        ManagedIdentityId::resource_id(RESOURCE_ID).unwrap(),
    ];
    let saved: Vec<String> = ids.iter().map(|id| serde_json::to_string(id).unwrap()).collect();
    assert_eq!(saved[0], r#"{"kind":"systemAssigned"}"#);
    assert_eq!(saved[1], format!(r#"{{"kind":"clientId","id":"{USER_CLIENT}"}}"#));
    for (id, json) in ids.iter().zip(&saved) {
        assert_eq!(&serde_json::from_str::<ManagedIdentityId>(json).unwrap(), id);
    }
    let tampered = serde_json::from_str::<ManagedIdentityId>(r#"{"kind":"clientId","id":"../../x"}"#)
        .unwrap_err()
        .to_string();
    assert!(tampered.contains("is not an application id"), "{tampered}");
}
