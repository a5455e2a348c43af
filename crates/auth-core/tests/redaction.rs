//! No secret reaches the trace log: every flow runs against mockito with debug tracing captured, and the
//! captured text is searched for each secret that was sent or received.

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_core::testing::{NOW, http_client, jwt, user_token_response};
use auth_core::{
    AccessToken, AccessTokenPassthrough, Authority, ClientCredential, ClientCredentials, ClientId, Password,
    RefreshToken, RefreshTokenGrant, Tenant, Url, UsernamePassword,
};
use serde_json::json;

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
