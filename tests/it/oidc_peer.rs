//! auth-core against a real OpenID Connect authority nobody here wrote (oidc-provider 8): discovery,
//! client credentials with `client_secret_post` and `private_key_jwt`, device code and browser sign-in
//! (PKCE) played by headless Chromium, refresh, https with the harness's CA, and MSAL Python reaching the
//! same peer. Device code and the authorization code exchange are spoken by the tests themselves until
//! auth-core has those flows.

use std::process::Command;
use std::time::SystemTime;

use auth_core::authority::DiscoveryDocument;
use auth_core::flows::AssertionSource;
use auth_core::secret::ClientAssertion;
use auth_core::time::epoch_seconds;
use auth_core::{
    Authority, ClientCredential, ClientCredentials, ClientId, EnvVars, Error, HttpClient, HttpOptions,
    RefreshToken, RefreshTokenGrant, Url,
};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::peers::{
    APP_SCOPE, CLIENT_SECRET, OidcOptions, OidcProvider, PRIVATE_KEY_JWT_CLIENT_ID, PUBLIC_CLIENT_ID,
    SECRET_CLIENT_ID, TENANT_ID, TestTls, chromium_browser_command, client_id, msal_python,
    rsa_client_certificate,
};

/// A client that reads nothing from the process environment (no proxy of the machine in the way).
fn http(env: EnvVars) -> HttpClient {
    HttpClient::new(HttpOptions {
        env,
        ..Default::default()
    })
    .unwrap()
}

/// What msconnect does with a generic OIDC authority: read its discovery document.
async fn discover(http: &HttpClient, provider: &OidcProvider) -> Authority {
    let response = http.get(&provider.discovery_url(), &[]).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let document: DiscoveryDocument = serde_json::from_str(&response.body).unwrap();
    assert_eq!(document.issuer.as_deref(), Some(provider.issuer().as_str()));
    Authority::from_discovery(provider.issuer(), &document).unwrap()
}

/// Panics with the provider's reasons next to msconnect's error.
fn or_show<T>(result: auth_core::Result<T>, provider: &OidcProvider) -> T {
    result.unwrap_or_else(|e| panic!("{e}\n--- the provider said ---\n{}", provider.output()))
}

/// The provider's view of an access token (RFC 7662), asked as the confidential client.
async fn introspect(http: &HttpClient, provider: &OidcProvider, token: &str) -> Value {
    let url = Url::parse(&format!("{}/token/introspection", provider.issuer())).unwrap();
    let form = [
        ("client_id", SECRET_CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("token", token),
    ];
    let response = http.post_form(&url, &form).await.unwrap();
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn discovery_names_the_endpoints_of_the_issuer() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let base = provider.issuer().as_str();
    assert_eq!(authority.token_endpoint().as_str(), format!("{base}/token"));
    assert_eq!(authority.authorize_endpoint().as_str(), format!("{base}/auth"));
    assert_eq!(
        authority.device_code_endpoint().unwrap().as_str(),
        format!("{base}/device/auth")
    );
    assert_eq!(authority.tenant().as_str(), TENANT_ID);
    assert_eq!(authority.environment(), "127.0.0.1");
}

#[tokio::test]
async fn client_credentials_with_client_secret_post_get_a_live_token() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let credential = ClientCredential::secret(CLIENT_SECRET);
    let before = epoch_seconds(SystemTime::now());

    let token = or_show(
        ClientCredentials::new(&authority, &client_id(SECRET_CLIENT_ID), &credential)
            .scopes([APP_SCOPE])
            .send(&http)
            .await,
        &provider,
    );

    assert_eq!(token.token_type, "Bearer");
    // the provider's client credentials tokens live 600 s
    assert!(
        (before + 590..=before + 700).contains(&token.expires_on),
        "{} vs {before}",
        token.expires_on
    );
    assert_eq!(token.scopes, [APP_SCOPE]);
    assert_eq!(token.tenant_id, TENANT_ID);
    assert_eq!(token.environment, "127.0.0.1");
    assert!(token.refresh_token.is_none() && token.account.is_none());
    let seen = introspect(&http, &provider, token.access_token.secret()).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], SECRET_CLIENT_ID);
}

#[tokio::test]
async fn a_wrong_client_secret_is_the_providers_invalid_client() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let credential = ClientCredential::secret("not-the-secret");

    let error = ClientCredentials::new(&authority, &client_id(SECRET_CLIENT_ID), &credential)
        .scopes(["openid"])
        .send(&http)
        .await
        .unwrap_err();

    let server = error
        .server()
        .unwrap_or_else(|| panic!("not an OAuth error: {error}"));
    assert_eq!((server.status, server.error.as_str()), (401, "invalid_client"));
    assert!(!error.to_string().contains("not-the-secret"), "{error}");
    assert!(
        provider.output().contains("invalid_client"),
        "{}",
        provider.output()
    );
}

/// Signs client assertions the way PROTOCOL.md describes (PS256, `x5t#S256`, `aud` = token endpoint),
/// with the key of a test certificate: what a certificate credential sends.
#[derive(Debug)]
struct TestCertificate {
    key: ring::signature::RsaKeyPair,
    x5t_s256: String,
}

impl TestCertificate {
    fn load(files: &crate::support::peers::PemFiles) -> Self {
        let pem_body = |path: &std::path::Path| {
            let text = std::fs::read_to_string(path).unwrap();
            let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
        };
        let cert_der = pem_body(&files.cert);
        Self {
            key: ring::signature::RsaKeyPair::from_pkcs8(&pem_body(&files.key)).unwrap(),
            x5t_s256: b64url(ring::digest::digest(&ring::digest::SHA256, &cert_der).as_ref()),
        }
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl AssertionSource for TestCertificate {
    fn assertion(
        &self,
        audience: &str,
        client_id: &ClientId,
        now: SystemTime,
    ) -> auth_core::Result<ClientAssertion> {
        let now = epoch_seconds(now);
        let header = json!({ "alg": "PS256", "typ": "JWT", "x5t#S256": self.x5t_s256 });
        let claims = json!({
            "aud": audience, "iss": client_id.as_str(), "sub": client_id.as_str(),
            "jti": format!("{now}-{}", std::process::id()), "nbf": now, "iat": now, "exp": now + 600,
        });
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PSS_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::Certificate("signing failed".into()))?;
        Ok(ClientAssertion::new(format!("{input}.{}", b64url(&signature))))
    }
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = rsa_client_certificate(dir.path(), "msconnect peer client");
    let provider = OidcProvider::start(OidcOptions {
        private_key_jwt_keys: Some(certificate.cert.clone()),
        ..Default::default()
    });
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let credential = ClientCredential::assertion(TestCertificate::load(&certificate));

    let token = or_show(
        ClientCredentials::new(&authority, &client_id(PRIVATE_KEY_JWT_CLIENT_ID), &credential)
            .scopes([APP_SCOPE])
            .send(&http)
            .await,
        &provider,
    );

    let seen = introspect(&http, &provider, token.access_token.secret()).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], PRIVATE_KEY_JWT_CLIENT_ID);
    assert_eq!(token.scopes, [APP_SCOPE]);
}

#[tokio::test]
async fn device_code_signed_in_by_headless_chromium_then_refreshed() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let public = client_id(PUBLIC_CLIENT_ID);
    // The device authorization request as msconnect sends it (client_info=1 included): auth-core has no
    // device code flow yet, so this test speaks the two requests itself.
    let started = or_show(
        http.post_oauth(
            authority.device_code_endpoint().unwrap(),
            &[
                ("client_id", PUBLIC_CLIENT_ID),
                ("scope", "email openid profile offline_access"),
                ("client_info", "1"),
            ],
        )
        .await,
        &provider,
    );
    assert_eq!(started.get("interval"), None, "the provider sends no interval");

    let artifacts = tempfile::tempdir().unwrap();
    let browser = Command::new(chromium_browser_command())
        .arg(started["verification_uri_complete"].as_str().unwrap())
        .env("MSCONNECT_BROWSER_LOGIN", "carol")
        .env("MSCONNECT_BROWSER_ARTIFACTS", artifacts.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&browser.stderr);
    assert!(browser.status.success(), "login.mjs failed: {said}");
    insta::assert_snapshot!(said.trim(), @r"
    login.mjs: confirmed the device
    login.mjs: signed in as carol
    login.mjs: consented
    login.mjs: device sign-in done
    ");

    let answer = or_show(
        http.post_oauth(
            authority.token_endpoint(),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", PUBLIC_CLIENT_ID),
                ("device_code", started["device_code"].as_str().unwrap()),
                ("client_info", "1"),
            ],
        )
        .await,
        &provider,
    );
    let refresh_token = RefreshToken::new(answer["refresh_token"].as_str().expect("a refresh token"));

    let refreshed = or_show(
        RefreshTokenGrant::new(&authority, &public, &refresh_token)
            .scopes(["email"])
            .send(&http)
            .await,
        &provider,
    );

    let account = refreshed.account.as_ref().expect("an ID token names the account");
    assert_eq!(account.username, "carol@peers.msconnect.test");
    assert_eq!(account.home_account_id, "carol");
    assert_eq!(refreshed.scopes, ["email"]);
    let rotated = refreshed.refresh_token.as_ref().expect("a refresh token");
    assert_ne!(
        rotated.secret(),
        refresh_token.secret(),
        "public clients' tokens rotate"
    );
}

/// A one-shot loopback listener standing in for msconnect's: answers the first request with a page and
/// hands back its query string.
fn one_redirect_listener() -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // bounded: a browser that never comes must fail the test, not hang it
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(e) => return format!("no redirect arrived: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        let mut request_line = String::new();
        BufReader::new(&stream).read_line(&mut request_line).unwrap();
        let page = "<html><title>signed in</title>You can close this window.</html>";
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let target = request_line.split(' ').nth(1).unwrap_or_default();
        target
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default()
    });
    (port, handle)
}

#[tokio::test]
async fn browser_sign_in_with_pkce_redirects_to_any_loopback_port() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let (port, listener) = one_redirect_listener();
    let redirect_uri = format!("http://localhost:{port}/");
    let verifier = b64url(&[7u8; 32]);
    let challenge = b64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
    let mut authorize = authority.authorize_endpoint().clone();
    authorize.query_pairs_mut().extend_pairs([
        ("client_id", PUBLIC_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", &redirect_uri),
        ("scope", "email openid profile offline_access"),
        ("state", "state-1"),
        ("nonce", "nonce-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        // without it the provider drops offline_access: no refresh token
        ("prompt", "consent"),
        ("client_info", "1"),
    ]);

    let browser = Command::new(chromium_browser_command())
        .arg(authorize.as_str())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&browser.stderr).replace(&port.to_string(), "[port]");
    assert!(browser.status.success(), "login.mjs failed: {said}");
    insta::assert_snapshot!(said.trim(), @r"
    login.mjs: signed in as alice
    login.mjs: consented
    login.mjs: redirected to http://localhost:[port]/ with a code
    ");
    let query = listener.join().unwrap();
    let answer: std::collections::HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        answer.get("state").map(String::as_str),
        Some("state-1"),
        "{query}"
    );
    assert_eq!(
        answer.get("iss").map(String::as_str),
        Some(provider.issuer().as_str())
    );

    let tokens = or_show(
        http.post_oauth(
            authority.token_endpoint(),
            &[
                ("grant_type", "authorization_code"),
                ("client_id", PUBLIC_CLIENT_ID),
                ("code", &answer["code"]),
                ("redirect_uri", &redirect_uri),
                ("code_verifier", &verifier),
                ("client_info", "1"),
            ],
        )
        .await,
        &provider,
    );
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id_token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&claims["sub"], &claims["nonce"], &claims["preferred_username"]),
        (
            &json!("alice"),
            &json!("nonce-1"),
            &json!("alice@peers.msconnect.test")
        )
    );
}

#[tokio::test]
async fn https_discovery_trusts_the_harness_ca_given_in_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TestTls::generate(dir.path());
    let provider = OidcProvider::start(OidcOptions {
        tls: Some(tls.server.clone()),
        ..Default::default()
    });
    assert_eq!(provider.issuer().scheme(), "https");

    let trusting = http(EnvVars::from_pairs([(
        "SSL_CERT_FILE",
        tls.ca_cert.to_str().unwrap(),
    )]));
    let authority = discover(&trusting, &provider).await;
    assert_eq!(authority.token_endpoint().scheme(), "https");

    // on a fake clock: auth-core retries a refused certificate as it would a failed connection
    let (untrusting, _timer) = auth_core::testing::http_client();
    let error = untrusting.get(&provider.discovery_url(), &[]).await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport { reason, .. } if reason.contains("certificate")),
        "{error}"
    );
}

#[tokio::test]
async fn msal_python_reaches_the_provider_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (tls, provider) = OidcProvider::start_https(dir.path());
    let script = r#"
import json, sys, msal
app = msal.ConfidentialClientApplication(sys.argv[2], client_credential=sys.argv[3], oidc_authority=sys.argv[1])
result = app.acquire_token_for_client(scopes=["openid"])
print(json.dumps({k: result.get(k) for k in ("token_type", "scope", "error", "error_description")}))
"#;
    let output = Command::new(msal_python())
        .args([
            "-c",
            script,
            provider.issuer().as_str(),
            SECRET_CLIENT_ID,
            CLIENT_SECRET,
        ])
        .env("REQUESTS_CA_BUNDLE", &tls.ca_cert)
        .output()
        .unwrap();
    provider.assert_ran("MSAL Python", &output);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout).trim(), @r#"{"token_type": "Bearer", "scope": "openid", "error": null, "error_description": null}"#);
}
