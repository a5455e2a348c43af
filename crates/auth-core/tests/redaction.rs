//! No secret reaches the trace log: every flow runs against mockito with debug tracing captured, and the
//! captured text is searched for each secret that was sent or received.

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_core::{
    AccessToken, AccessTokenPassthrough, Authority, ClientCredential, ClientCredentials, ClientId, Password,
    RefreshToken, RefreshTokenGrant, Tenant, Url, UsernamePassword,
};
use serde_json::json;
use test_support::{NOW, http_client, jwt, user_token_response};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRETS: [&str; 6] = [
    "client-secret-VALUE",
    "user-password-VALUE",
    "refresh-token-IN",
    "refresh-token-OUT",
    "access-token-OUT",
    "passthrough-signature-VALUE",
];

#[tokio::test]
async fn traces_of_every_flow_hold_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut server = mockito::Server::new_async().await;
    let answer = user_token_response(
        "access-token-OUT",
        "refresh-token-OUT",
        "oid",
        "tid",
        "u@contoso.com",
        "s",
    );
    let _ok = server
        .mock("POST", mockito::Matcher::Any)
        .with_body(answer.to_string())
        .expect(3)
        .create_async()
        .await;
    let (http, _) = http_client();
    let authority = Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse("contoso.com").unwrap(),
    )
    .unwrap();
    let client = ClientId::parse("11111111-2222-3333-4444-555555555555").unwrap();
    let secret = ClientCredential::secret(SECRETS[0]);
    let password = Password::new(SECRETS[1]);
    let refresh = RefreshToken::new(SECRETS[2]);

    let results = vec![
        ClientCredentials::new(&authority, &client, &secret)
            .scopes(["s/.default"])
            .send(&http)
            .await
            .unwrap(),
        UsernamePassword::new(&authority, &client, "u@contoso.com", &password)
            .send(&http)
            .await
            .unwrap(),
        RefreshTokenGrant::new(&authority, &client, &refresh)
            .credential(Some(&secret))
            .send(&http)
            .await
            .unwrap(),
    ];
    let token = AccessToken::new(format!(
        "{}passthrough-signature-VALUE",
        jwt(&json!({"exp": NOW + 60, "tid": "t"}))
    ));
    let passthrough = AccessTokenPassthrough::new(&token, "h", &client)
        .read(std::time::UNIX_EPOCH)
        .unwrap();
    tracing::debug!("passthrough result {passthrough:?}, results {results:?}");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("client_secret=[redacted]"),
        "the trace shows the form, redacted:\n{log}"
    );
    assert!(
        log.contains("\"access_token\":\"[redacted]\""),
        "the trace shows the answer, redacted:\n{log}"
    );
    for secret in SECRETS {
        assert!(!log.contains(secret), "{secret} leaked into the trace:\n{log}");
    }
}

/// The credentials of CI systems and cloud hosts (a GitHub request token, the federated JWT it buys, an
/// App Service identity header, the managed identity's token) stay out of `-v` traces too. The two tests
/// of this file both trace at TRACE level, so their scoped subscribers agree on what is enabled.
#[tokio::test]
async fn traces_of_federated_and_managed_identity_sign_ins_hold_no_secret() {
    use auth_core::EnvVars;
    use auth_core::{ManagedIdentity, WorkloadIdentity};

    const REQUEST_TOKEN: &str = "gh-request-token-VALUE";
    const IDENTITY_HEADER: &str = "identity-header-VALUE";
    let federated = jwt(&json!({"sub": "repo:contoso/app", "jti": "federated-jwt-VALUE"}));
    let managed =
        jwt(&json!({"appid": "99999999-8888-7777-6666-555555555555", "jti": "managed-token-VALUE"}));

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut server = mockito::Server::new_async().await;
    let _github = server
        .mock("GET", "/idtoken")
        .match_query(mockito::Matcher::Any)
        .with_body(json!({"count": 1, "value": federated}).to_string())
        .create_async()
        .await;
    let _token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .with_body(test_support::app_token_response("access-token-OUT").to_string())
        .create_async()
        .await;
    let _msi = server
        .mock("GET", "/msi")
        .match_query(mockito::Matcher::Any)
        .match_header("x-identity-header", IDENTITY_HEADER)
        .with_body(json!({"access_token": managed, "expires_on": (NOW + 3600).to_string()}).to_string())
        .create_async()
        .await;
    let (http, _) = http_client();
    let authority = Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse("contoso.com").unwrap(),
    )
    .unwrap();
    let client = ClientId::parse("11111111-2222-3333-4444-555555555555").unwrap();
    let workload = WorkloadIdentity::from_env(&EnvVars::from_pairs([
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/idtoken?api-version=2.0", server.url()),
        ),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN.to_owned()),
    ]))
    .unwrap();
    let app = ClientCredentials::new(&authority, &client, &workload.credential())
        .scopes(["s/.default"])
        .send(&http)
        .await
        .unwrap();
    let env = EnvVars::from_pairs([
        ("IDENTITY_ENDPOINT", format!("{}/msi", server.url())),
        ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
    ]);
    let identity = ManagedIdentity::new(&env)
        .scopes(["https://graph.microsoft.com/.default"])
        .send(&http)
        .await
        .unwrap();
    tracing::debug!("results {app:?} {identity:?} {workload:?}");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("/idtoken"),
        "the trace shows the GitHub request:\n{log}"
    );
    assert!(
        log.contains("\"value\":\"[redacted]\""),
        "the trace shows GitHub's answer, redacted:\n{log}"
    );
    assert!(
        log.contains("client_assertion=[redacted]"),
        "the trace shows the form, redacted:\n{log}"
    );
    for secret in [REQUEST_TOKEN, IDENTITY_HEADER, "access-token-OUT"] {
        assert!(!log.contains(secret), "{secret} leaked into the trace:\n{log}");
    }
    assert!(
        !log.contains(&federated) && !log.contains(&managed),
        "a token leaked:\n{log}"
    );
}
