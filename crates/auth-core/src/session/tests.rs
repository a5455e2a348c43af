//! The session end to end against mockito: every sign-in lands in the cache, the saved connection lets a
//! second session (a later process) get tokens silently, and disconnect forgets both.

use crate::testing::form;
use std::path::PathBuf;
use std::time::Duration;

use mockito::Matcher;
use serde_json::json;

use super::*;
use crate::cloud::Cloud;
use crate::session::connection::CONNECTION_VERSION;
use crate::testing::saved::{Saves as _, TestStore};
use crate::testing::{app_token_response, environment_at, session_in, user_token_response};

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const TID: &str = "7a0b9c1d-0000-4000-8000-00000000a001";
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn request(server: &mockito::Server, tenant: &str, method: SignInMethod) -> SignInRequest {
    SignInRequest {
        environment: environment_at(Cloud::AzureCloud, &server.url()),
        tenant: Tenant::parse(tenant).unwrap(),
        client_id: ClientId::parse(CLIENT).unwrap(),
        scopes: vec![SCOPE.into()],
        method,
        client_capabilities: Vec::new(),
        claims: None,
    }
}

/// `tenant`'s token endpoint, answering `answer` to `times` POSTs whose body matches `body`.
async fn token_endpoint(
    server: &mut mockito::Server,
    tenant: &str,
    body: Matcher,
    answer: &serde_json::Value,
    times: usize,
) -> mockito::Mock {
    answer_posts(
        server,
        &crate::testing::mock::token_path(tenant),
        body,
        answer,
        times,
    )
    .await
}

/// `tenant`'s device authorization endpoint, answering `answer` to `times` POSTs matching `body`.
async fn device_code_endpoint(
    server: &mut mockito::Server,
    tenant: &str,
    body: Matcher,
    answer: &serde_json::Value,
    times: usize,
) -> mockito::Mock {
    let path = format!("/{tenant}/oauth2/v2.0/devicecode");
    answer_posts(server, &path, body, answer, times).await
}

async fn answer_posts(
    server: &mut mockito::Server,
    path: &str,
    body: Matcher,
    answer: &serde_json::Value,
    times: usize,
) -> mockito::Mock {
    server
        .mock("POST", path)
        .match_body(body)
        .with_body(answer.to_string())
        .expect(times)
        .create_async()
        .await
}

/// contoso.com's token endpoint, answering `access_token` to `times` client-credentials grants with
/// client secret `secret`.
async fn secret_endpoint(
    server: &mut mockito::Server,
    secret: &str,
    access_token: &str,
    times: usize,
) -> mockito::Mock {
    let body = form(&[("grant_type", "client_credentials"), ("client_secret", secret)]);
    token_endpoint(
        server,
        "contoso.com",
        body,
        &app_token_response(access_token),
        times,
    )
    .await
}

/// The app signs in to contoso.com with client secret `secret` in a session on `home`.
async fn sign_in_with_secret(
    server: &mockito::Server,
    home: &std::path::Path,
    secret: &str,
) -> (Session, Connection) {
    let (session, _) = session_in(home, EnvVars::default());
    let request = request(
        server,
        "contoso.com",
        SignInMethod::Application(ClientCredential::secret(secret)),
    );
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    (session, connection)
}

/// A token for `connection` in a later session on `home` with `env`, once the first token has under five
/// minutes left (so it is renewed, not served from the cache).
async fn token_an_hour_later(
    home: &std::path::Path,
    secrets: &[&str],
    connection: &Connection,
) -> TokenResult {
    let (later, timer) = session_offering(home, secrets);
    timer.advance(Duration::from_secs(3500));
    later.token(connection, &[]).await.unwrap()
}

/// A later process's session on `home` that offers `secrets` to renew saved application connections (as
/// the command line offers its variables).
fn session_offering(home: &std::path::Path, secrets: &[&str]) -> (Session, crate::testing::FakeTimer) {
    let (http, timer) = crate::testing::http_options(EnvVars::default());
    let session = Session::new(SessionOptions {
        http,
        cache: TokenCache::open(home.join("msal_token_cache.json")),
        saved: Some(TestStore::shared(home.join("contexts"))),
        interaction: Arc::new(crate::interaction::SilentInteraction),
        renewal: RenewalCredentials {
            client_secrets: secrets.iter().map(|secret| ClientSecret::new(*secret)).collect(),
            certificate_password: None,
        },
        ..SessionOptions::default()
    });
    (session, timer)
}

async fn connect_user(server: &mut mockito::Server, home: &std::path::Path) -> Connection {
    let answer = user_token_response("AT-1", "RT-1", "oid-1", TID, "admin@contoso.com", SCOPE);
    let mock = token_endpoint(
        server,
        "organizations",
        form(&[("grant_type", "password")]),
        &answer,
        1,
    )
    .await;
    let (session, _) = session_in(home, EnvVars::default());
    let request = request(
        server,
        "organizations",
        SignInMethod::Password(Credential::new("admin@contoso.com", "pw")),
    );
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    session
        .save_connection("secmgmt", &connection, &json!({"Account": "admin@contoso.com"}))
        .unwrap();
    mock.assert_async().await;
    connection
}

#[tokio::test]
async fn a_later_session_gets_the_token_from_the_cache_without_a_request() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let connection = connect_user(&mut server, home.path()).await;
    assert_eq!(connection.tenant.as_str(), TID);
    assert_eq!(
        connection.home_account_id(),
        Some("oid-1.7a0b9c1d-0000-4000-8000-00000000a001")
    );
    assert_eq!(connection.method_name(), "UsernamePassword");

    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let (later, _) = session_in(home.path(), EnvVars::default());
    let (loaded, context) = later
        .load_connection::<serde_json::Value>("secmgmt")
        .unwrap()
        .unwrap();
    assert_eq!(loaded, connection);
    assert_eq!(context, json!({"Account": "admin@contoso.com"}));
    let cached = later.cached_token(&loaded, &[]).unwrap().unwrap();
    assert_eq!(cached.access_token.secret(), "AT-1");
    assert_eq!(
        later.token(&loaded, &[]).await.unwrap().access_token.secret(),
        "AT-1"
    );
    never.assert_async().await;
    let saved = std::fs::read_to_string(home.path().join("contexts/secmgmt/default.json")).unwrap();
    assert!(
        !saved.contains("AT-1") && !saved.contains("RT-1") && !saved.contains("\"pw\""),
        "{saved}"
    );
}

#[tokio::test]
async fn an_expiring_token_is_renewed_with_the_refresh_token_for_the_connected_tenant() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let connection = connect_user(&mut server, home.path()).await;
    let renew = token_endpoint(
        &mut server,
        TID,
        form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "RT-1"),
            ("client_id", CLIENT),
        ]),
        &user_token_response("AT-2", "RT-2", "oid-1", TID, "admin@contoso.com", SCOPE),
        1,
    )
    .await;
    let (later, timer) = session_in(home.path(), EnvVars::default());
    timer.advance(Duration::from_secs(3400));
    assert!(
        later.cached_token(&connection, &[]).unwrap().is_none(),
        "under five minutes left is expired"
    );
    assert_eq!(
        later.token(&connection, &[]).await.unwrap().access_token.secret(),
        "AT-2"
    );
    renew.assert_async().await;
}

#[tokio::test]
async fn disconnect_forgets_the_context_and_the_accounts_tokens() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let connection = connect_user(&mut server, home.path()).await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    assert!(session.disconnect("secmgmt").unwrap());
    assert!(
        session
            .load_connection::<serde_json::Value>("secmgmt")
            .unwrap()
            .is_none()
    );
    assert!(session.cached_token(&connection, &[]).unwrap().is_none());
    assert!(session.cache().accounts().unwrap().is_empty());
    let error = session.token(&connection, &[]).await.unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)), "{error}");
    assert!(
        !session.disconnect("secmgmt").unwrap(),
        "a second disconnect finds nothing"
    );
}

#[tokio::test]
async fn an_app_only_token_is_renewed_with_the_secret_supplied_again() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let first = secret_endpoint(&mut server, "s1", "APP-1", 1).await;
    let (_, connection) = sign_in_with_secret(&server, home.path(), "s1").await;
    assert!(connection.is_app_only());
    first.assert_async().await;

    // the connection kept no secret: a later process without one cannot renew
    let (without, timer) = session_in(home.path(), EnvVars::default());
    timer.advance(Duration::from_secs(3500));
    let error = without.token(&connection, &[]).await.unwrap_err();
    insta::assert_snapshot!(error, @"application 04b07795-8ddb-461a-bbee-02f9e1bf7b46 needs a new token for https://graph.microsoft.com/.default (its token has expired) and no client secret was supplied to renew it: give it in SessionOptions::renewal, or connect again");
    // asked for a scope it never had a token for, it says that instead
    let error = without
        .token(&connection, &["https://vault.azure.net/.default".into()])
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"application 04b07795-8ddb-461a-bbee-02f9e1bf7b46 needs a new token for https://vault.azure.net/.default (the token cache holds no token of it for these scopes) and no client secret was supplied to renew it: give it in SessionOptions::renewal, or connect again");

    let renew = secret_endpoint(&mut server, "s2", "APP-2", 1).await;
    let renewed = token_an_hour_later(home.path(), &["s2"], &connection).await;
    assert_eq!(renewed.access_token.secret(), "APP-2");
    renew.assert_async().await;
}

#[tokio::test]
async fn a_renewal_prefers_the_offered_secret_that_connected() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let first = secret_endpoint(&mut server, "s1", "APP-1", 2).await;
    let (_, connection) = sign_in_with_secret(&server, home.path(), "s1").await;
    let SignedIn::App {
        credential: AppCredential::Secret {
            fingerprint: Some(fingerprint),
        },
    } = &connection.signed_in
    else {
        panic!("not a secret connection: {connection:?}")
    };
    assert!(fingerprint.starts_with("s1:") && !fingerprint.contains("s1\""));
    assert_eq!(
        fingerprint,
        &secret_fingerprint(&ClientSecret::new("s1"), &connection.client_id)
    );
    // two secrets offered (the command line's MSCONNECT_CLIENT_SECRET and MSCONNECT_PASSWORD): the one
    // that connected is chosen, wherever it stands
    let renewed = token_an_hour_later(home.path(), &["other", "s1"], &connection).await;
    assert_eq!(renewed.access_token.secret(), "APP-1");
    first.assert_async().await;
}

/// Issue 14: a cached app-only token is served only to the credential that earned it. The same secret
/// again is served from the cache (a fleet's one request per token); a wrong secret or a certificate
/// is sent to the authority, which judges it.
#[tokio::test]
async fn a_cached_app_token_is_served_only_to_the_credential_that_earned_it() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let good = secret_endpoint(&mut server, "s1", "APP-1", 1).await;
    let wrong = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[("grant_type", "client_credentials"), ("client_secret", "wrong")]))
        .with_status(401)
        .with_body(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]}).to_string())
        .expect(1)
        .create_async()
        .await;
    let (cert_path, key_path) = write_pem_certificate(home.path());
    let by_certificate = token_endpoint(
        &mut server,
        "contoso.com",
        Matcher::Regex("client_assertion=eyJ".into()),
        &app_token_response("APP-C"),
        1,
    )
    .await;
    let url = server.url();
    let secret = |value: &str| SignInRequest {
        environment: environment_at(Cloud::AzureCloud, &url),
        tenant: Tenant::parse("contoso.com").unwrap(),
        client_id: ClientId::parse(CLIENT).unwrap(),
        scopes: vec![SCOPE.into()],
        method: SignInMethod::Application(ClientCredential::secret(value)),
        client_capabilities: Vec::new(),
        claims: None,
    };
    let (session, _) = session_in(home.path(), EnvVars::default());
    assert_eq!(
        session
            .sign_in(&secret("s1"))
            .await
            .unwrap()
            .access_token
            .secret(),
        "APP-1"
    );
    // another worker presenting the same secret: from the cache, no request
    let (worker, _) = session_in(home.path(), EnvVars::default());
    assert_eq!(
        worker.sign_in(&secret("s1")).await.unwrap().access_token.secret(),
        "APP-1"
    );
    good.assert_async().await;
    // a wrong secret is asked about, and refused
    let error = worker.sign_in(&secret("wrong")).await.unwrap_err();
    assert!(error.to_string().contains("AADSTS7000215"), "{error}");
    wrong.assert_async().await;
    let cache = std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap();
    let fingerprint = secret_fingerprint(&ClientSecret::new("s1"), &ClientId::parse(CLIENT).unwrap());
    assert!(
        cache.contains(&format!("\"msconnect_credential\": \"{fingerprint}\"")),
        "{cache}"
    );
    assert!(!cache.contains("\"s1\"") && !cache.contains("wrong"), "{cache}");
    // a certificate is not served the secret's token
    let credential = worker
        .certificate_credential(&CertificateSource::Pem {
            certificate: cert_path,
            key: key_path,
        })
        .unwrap();
    let by_cert = request(&server, "contoso.com", SignInMethod::Application(credential));
    assert_eq!(
        worker.sign_in(&by_cert).await.unwrap().access_token.secret(),
        "APP-C"
    );
    by_certificate.assert_async().await;
    // MSAL's key has one slot per app, tenant and scopes: the certificate's token took it, so the secret
    // is asked about once more (never served the certificate's token)
    let cache = std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap();
    assert!(cache.contains("\"msconnect_credential\": \"x5t:"), "{cache}");
    let again = secret_endpoint(&mut server, "s1", "APP-2", 1).await;
    assert_eq!(
        worker.sign_in(&secret("s1")).await.unwrap().access_token.secret(),
        "APP-2"
    );
    again.assert_async().await;
}

/// A credential no fingerprint identifies (a federated token: a wrong branch's, a deleted federated
/// credential's, garbage) is never served the token another credential earned: connect asks the
/// authority, which judges the assertion.
#[tokio::test]
async fn a_federated_credential_is_not_served_a_token_a_secret_earned() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let federated_jwt = crate::testing::jwt(
        &json!({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:fork/x:ref:refs/heads/evil"}),
    );
    let by_secret = secret_endpoint(&mut server, "s1", "APP-1", 1).await;
    let federated = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("client_assertion".into(), federated_jwt.clone()),
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
        ]))
        .with_status(401)
        .with_body(json!({"error": "invalid_client", "error_description": "AADSTS70021: No matching federated identity record found for presented assertion.", "error_codes": [70021]}).to_string())
        .expect(1)
        .create_async()
        .await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    let by = |method| request(&server, "contoso.com", method);
    let first = session
        .sign_in(&by(SignInMethod::Application(ClientCredential::secret("s1"))))
        .await
        .unwrap();
    assert_eq!(first.access_token.secret(), "APP-1");
    let token_file = home.path().join("federated.jwt");
    std::fs::write(&token_file, &federated_jwt).unwrap();
    let assertion = ClientCredential::assertion(crate::flows::FederatedTokenFile::new(&token_file));
    let error = session
        .sign_in(&by(SignInMethod::Application(assertion)))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("AADSTS70021"), "{error}");
    by_secret.assert_async().await;
    federated.assert_async().await;
}

fn write_pem_certificate(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let key_pem = include_str!("../../tests/fixtures/test-only-rsa-leaf.pkcs8.pem");
    let key = rcgen::KeyPair::from_pem(key_pem).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    let certificate = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("app.crt"), dir.join("app.key"));
    std::fs::write(&cert_path, certificate.pem()).unwrap();
    std::fs::write(&key_path, key_pem).unwrap();
    (cert_path, key_path)
}

#[tokio::test]
async fn a_certificate_connection_finds_its_certificate_again_to_renew() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = write_pem_certificate(home.path());
    let signed = token_endpoint(
        &mut server,
        "contoso.com",
        Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded(
                "client_assertion_type".into(),
                crate::flows::JWT_BEARER_ASSERTION_TYPE.into(),
            ),
            Matcher::Regex("client_assertion=eyJ".into()),
        ]),
        &app_token_response("APP-C"),
        2,
    )
    .await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    let source = CertificateSource::Pem {
        certificate: cert_path.clone(),
        key: key_path.clone(),
    };
    let credential = session.certificate_credential(&source).unwrap();
    let request = request(&server, "contoso.com", SignInMethod::Application(credential));
    assert_eq!(request.method.name(), "Certificate");
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    let SignedIn::App {
        credential: AppCredential::Certificate(saved),
    } = connection.signed_in.clone()
    else {
        panic!("not a certificate connection: {connection:?}")
    };
    assert_eq!(
        (
            saved.source.as_str(),
            saved.path.as_ref(),
            saved.key_path.as_ref()
        ),
        ("Pem", Some(&cert_path), Some(&key_path))
    );
    assert_eq!(saved.thumbprint.len(), 40);

    let renewed = token_an_hour_later(home.path(), &[], &connection).await;
    assert_eq!(renewed.access_token.secret(), "APP-C");
    signed.assert_async().await;
}

#[tokio::test]
async fn device_code_through_the_session_lands_in_the_cache() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let start = device_code_endpoint(&mut server, "organizations", form(&[("client_id", CLIENT)]), &json!({"device_code": "DC", "user_code": "ABCD", "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 5, "message": "To sign in, enter ABCD"}), 1).await;
    let token = token_endpoint(
        &mut server,
        "organizations",
        form(&[("device_code", "DC")]),
        &user_token_response("AT-D", "RT-D", "o", TID, "u@contoso.com", SCOPE),
        1,
    )
    .await;
    let (session, timer) = session_in(home.path(), EnvVars::default());
    let request = request(&server, "organizations", SignInMethod::DeviceCode);
    let result = session.sign_in(&request).await.unwrap();
    assert_eq!(
        Connection::new(&request, &result).unwrap().method_name(),
        "DeviceCode"
    );
    assert_eq!(timer.sleeps(), [Duration::from_secs(5)]);
    assert_eq!(session.cache().accounts().unwrap()[0].username, "u@contoso.com");
    start.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn browser_sign_in_through_the_session_sends_amr_values_and_is_cached() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let browser = crate::testing::SignedInBrowser::default();
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "authorization_code"),
            ("code", crate::testing::SIGNED_IN_CODE),
        ]))
        .with_body_from_request(browser.answer(user_token_response(
            "AT-B",
            "RT-B",
            "o",
            TID,
            "u@contoso.com",
            SCOPE,
        )))
        .expect(1)
        .create_async()
        .await;
    let query = browser.query.clone();
    let session = crate::testing::session_with_browser(home.path(), EnvVars::default(), browser);
    let options = BrowserOptions {
        amr_values: vec!["mfa".into()],
        ..BrowserOptions::default()
    };
    let request = request(&server, "organizations", SignInMethod::Browser(options));
    let result = tokio::time::timeout(Duration::from_secs(10), session.sign_in(&request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.access_token.secret(), "AT-B");
    assert_eq!(query.lock().unwrap()["amr_values"], "mfa");
    assert_eq!(session.cache().accounts().unwrap().len(), 1);
    token.assert_async().await;
}

#[tokio::test]
async fn a_generic_oidc_issuer_is_discovered_once_and_its_endpoints_kept_in_the_connection() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let issuer = server.url();
    let discovery = server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(
            json!({"issuer": issuer, "authorization_endpoint": format!("{issuer}/auth"), "token_endpoint": format!("{issuer}/token"), "device_authorization_endpoint": format!("{issuer}/device/auth")})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let token = server
        .mock("POST", "/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "s"),
        ]))
        .with_body(app_token_response("OIDC-AT").to_string())
        .expect(1)
        .create_async()
        .await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    let mut environment = Environment::from(Cloud::AzureCloud);
    environment.name = "oidc-test".into();
    environment.cloud = None;
    environment.oidc_issuer = Some(url::Url::parse(&issuer).unwrap());
    let environment = session.resolve_environment(&environment).await.unwrap();
    assert_eq!(
        environment.oidc_endpoints.as_ref().unwrap().token_endpoint,
        format!("{issuer}/token")
    );
    let request = SignInRequest {
        environment,
        tenant: Tenant::organizations(),
        client_id: ClientId::parse(CLIENT).unwrap(),
        scopes: vec!["api".into()],
        method: SignInMethod::Application(ClientCredential::secret("s")),
        client_capabilities: Vec::new(),
        claims: None,
    };
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    session
        .save_connection("psentra", &connection, &json!({}))
        .unwrap();
    let (later, _) = session_in(home.path(), EnvVars::default());
    let loaded = later.connection("psentra").unwrap();
    assert_eq!(
        later
            .cached_token(&loaded, &[])
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "OIDC-AT"
    );
    discovery.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let mut server = mockito::Server::new_async().await;
    let _discovery = server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(json!({"issuer": "https://evil.example", "authorization_endpoint": "https://evil.example/a", "token_endpoint": "https://evil.example/t"}).to_string())
        .create_async()
        .await;
    let (session, _) = crate::testing::session();
    let mut environment = Environment::from(Cloud::AzureCloud);
    environment.oidc_issuer = Some(url::Url::parse(&server.url()).unwrap());
    let error = session
        .resolve_environment(&environment)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("names another issuer: https://evil.example"),
        "{error}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_user_sign_in_that_brings_no_refresh_token_says_it_cannot_be_renewed() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let with_refresh_token = user_token_response("AT-1", "RT-1", "oid-1", TID, "admin@contoso.com", SCOPE);
    let mut without = with_refresh_token.clone();
    without.as_object_mut().unwrap().remove("refresh_token");
    let answers = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_body(with_refresh_token.to_string())
        .expect(1)
        .create_async()
        .await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    let password = SignInMethod::Password(Credential::new("admin@contoso.com", "pw"));
    let warnings = crate::cache::tests::Warnings::capture();

    session
        .sign_in(&request(&server, "organizations", password.clone()))
        .await
        .unwrap();
    assert_eq!(warnings.text(), "", "a refresh token came: nothing to say");
    answers.remove_async().await;
    server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_body(without.to_string())
        .create_async()
        .await;
    session
        .sign_in(&request(&server, "organizations", password))
        .await
        .unwrap();

    let host = url::Url::parse(&server.url()).unwrap();
    assert_eq!(
        warnings.text().trim_end(),
        format!(
            " WARN auth_core::session: {} gave no refresh token: this sign-in lasts until its access token expires (2026-11-22T10:59:59Z), then sign in again",
            host.host_str().unwrap()
        )
    );
}

#[tokio::test]
async fn a_passthrough_connection_gives_its_token_and_refuses_another_scope() {
    let server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let token = crate::testing::jwt(&json!({
        "tid": TID, "oid": "oid-1", "upn": "admin@contoso.com", "exp": 4_102_444_800_i64,
    }));
    let (session, _) = session_in(home.path(), EnvVars::default());
    let request = request(
        &server,
        "organizations",
        SignInMethod::AccessToken(AccessToken::new(token.as_str())),
    );
    let tokens = session.authenticate(&request).await.unwrap();
    let connected = session.complete("entra", &request, &tokens, &json!({})).unwrap();
    let (later, _) = session_in(home.path(), EnvVars::default());
    let connection = later.connection("entra").unwrap();
    assert_eq!(&connection, connected.connection());
    let cached = later.cached_token(&connection, &[]).unwrap();
    assert_eq!(
        cached.map(|c| c.access_token.secret().to_owned()),
        Some(token.clone())
    );
    let error = later
        .token(&connection, &["https://vault.azure.net/.default".into()])
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"this connection holds one access token, for https://graph.microsoft.com/.default; connect again to get a token for https://vault.azure.net/.default");
    // a scope of the same resource that the token was not accepted for: the same answer, not "expired"
    let error = later
        .token(&connection, &["https://graph.microsoft.com/User.Read".into()])
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"this connection holds one access token, for https://graph.microsoft.com/.default; connect again to get a token for https://graph.microsoft.com/User.Read");
}

#[test]
fn a_connection_saved_by_the_previous_release_still_loads_and_a_bad_one_names_its_file() {
    let home = tempfile::tempdir().unwrap();
    let contexts = home.path().join("contexts");
    std::fs::create_dir_all(&contexts).unwrap();
    let v1 = |method: &str, extra: serde_json::Value| {
        let mut connection = json!({
            "Environment": Environment::from(Cloud::AzureCloud),
            "TenantId": TID,
            "ClientId": CLIENT,
            "Scopes": [SCOPE],
            "Method": method,
        });
        connection
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"Connection": connection, "Context": {}}).to_string()
    };
    std::fs::write(
        contexts.join("secmgmt.json"),
        v1(
            "DeviceCode",
            json!({"HomeAccountId": "oid-1.tid", "Username": "a@b.com"}),
        ),
    )
    .unwrap();
    std::fs::write(contexts.join("entra.json"), v1("ClientSecret", json!({}))).unwrap();
    std::fs::write(contexts.join("psentra.json"), v1("Telepathy", json!({}))).unwrap();
    let (session, _) = session_in(home.path(), EnvVars::default());

    let user = session.connection("secmgmt").unwrap();
    assert_eq!(user.version, CONNECTION_VERSION);
    assert_eq!(user.home_account_id(), Some("oid-1.tid"));
    assert_eq!(user.method_name(), "DeviceCode");
    let app = session.connection("entra").unwrap();
    assert_eq!(
        app.signed_in,
        SignedIn::App {
            credential: AppCredential::Secret { fingerprint: None }
        }
    );
    let error = session.connection("psentra").unwrap_err().to_string();
    assert!(
        error.contains("psentra.json")
            && error.contains("unknown sign-in method 'Telepathy'")
            && error.contains("connect again"),
        "{error}"
    );
    // the typed form round-trips, and names no secret
    session.save_connection("secmgmt", &user, &json!({})).unwrap();
    assert_eq!(session.connection("secmgmt").unwrap(), user);
}

/// Two modules signed in as one account with two family (FOCI) clients: the first disconnect removes its
/// family refresh token too (the other connection has one of its own), the last leaves nothing of the
/// account. (Kept while another connection of the account has no refresh token of its own: see the README.)
#[tokio::test]
async fn a_family_refresh_token_stays_while_another_connection_of_the_account_remains() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let other_client = "1950a258-227b-4e31-a9cf-717495945fc2";
    let (session, _) = session_in(home.path(), EnvVars::default());
    for (module, client, at, rt) in [
        ("secmgmt", CLIENT, "AT-A", "RT-A"),
        ("entra", other_client, "AT-B", "RT-B"),
    ] {
        let mut answer = user_token_response(at, rt, "oid-1", TID, "admin@contoso.com", SCOPE);
        answer["foci"] = json!("1");
        let mock = token_endpoint(
            &mut server,
            "organizations",
            form(&[("client_id", client)]),
            &answer,
            1,
        )
        .await;
        let mut request = request(
            &server,
            "organizations",
            SignInMethod::Password(Credential::new("admin@contoso.com", "pw")),
        );
        request.client_id = ClientId::parse(client).unwrap();
        let tokens = session.authenticate(&request).await.unwrap();
        session.complete(module, &request, &tokens, &json!({})).unwrap();
        mock.assert_async().await;
    }
    let cache = || std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap();
    assert!(cache().contains("\"family_id\": \"1\""), "{}", cache());

    assert!(session.disconnect("secmgmt").unwrap());
    let after = cache();
    assert!(!after.contains("AT-A") && !after.contains("RT-A"), "{after}");
    assert!(after.contains("AT-B") && after.contains("RT-B"), "{after}");
    assert!(after.contains("admin@contoso.com"), "{after}");

    assert!(session.disconnect("entra").unwrap());
    let after = cache();
    assert!(!after.contains("AT-B") && !after.contains("RT-B"), "{after}");
    assert!(!after.contains("admin@contoso.com"), "{after}");
}

/// Two named connections of one module for one account and client share its tokens: forgetting one
/// keeps them for the other, forgetting the last removes them.
#[tokio::test]
async fn disconnecting_one_named_connection_keeps_the_tokens_another_name_uses() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let (session, _) = session_in(home.path(), EnvVars::default());
    let answer = user_token_response("AT-A", "RT-A", "oid-1", TID, "admin@contoso.com", SCOPE);
    let mock = token_endpoint(&mut server, "organizations", form(&[]), &answer, 1).await;
    let request = request(
        &server,
        "organizations",
        SignInMethod::Password(Credential::new("admin@contoso.com", "pw")),
    );
    let tokens = session.authenticate(&request).await.unwrap();
    for name in ["first", "second"] {
        let key = ("secmgmt", name);
        let connected = session.complete(key, &request, &tokens, &json!({})).unwrap();
        assert_eq!((connected.module(), connected.name()), ("secmgmt", name));
    }
    mock.assert_async().await;
    let cache = || std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap();

    assert!(session.disconnect(("secmgmt", "first")).unwrap());
    assert!(
        cache().contains("AT-A") && cache().contains("RT-A"),
        "{}",
        cache()
    );
    let second = session.connected(("secmgmt", "second")).unwrap();
    assert_eq!(second.token(&[]).await.unwrap().access_token.secret(), "AT-A");

    // the handle disconnects its saved connection: a live handle of it would keep its tokens
    assert!(second.disconnect().unwrap());
    assert!(
        session
            .load_connection::<serde_json::Value>(("secmgmt", "second"))
            .unwrap()
            .is_none()
    );
    assert!(
        !cache().contains("AT-A") && !cache().contains("RT-A"),
        "{}",
        cache()
    );
}

/// The Azure CLI's folder with `admin@contoso.com` signed in: its profile, and its cache filled by a
/// password sign-in (as `az login` leaves it). Returns the folder's path.
async fn azure_cli_signed_in(server: &mut mockito::Server, folder: &std::path::Path) {
    std::fs::write(
        folder.join("azureProfile.json"),
        format!(
            "\u{feff}{{\"subscriptions\":[{{\"user\":{{\"name\":\"admin@contoso.com\",\"type\":\"user\"}},\
             \"tenantId\":\"{TID}\",\"isDefault\":true,\"environmentName\":\"AzureCloud\"}}]}}"
        ),
    )
    .unwrap();
    let answer = user_token_response("CLI-AT", "CLI-RT", "oid-1", TID, "admin@contoso.com", SCOPE);
    let login = token_endpoint(
        server,
        "organizations",
        form(&[("grant_type", "password")]),
        &answer,
        1,
    )
    .await;
    let (az, _) = session_in(folder, EnvVars::default());
    az.sign_in(&request(
        server,
        "organizations",
        SignInMethod::Password(Credential::new("admin@contoso.com", "pw")),
    ))
    .await
    .unwrap();
    login.assert_async().await;
}

#[tokio::test]
async fn a_connection_from_the_azure_cli_keeps_its_tokens_in_the_azure_clis_cache() {
    let mut server = mockito::Server::new_async().await;
    let az = tempfile::tempdir().unwrap();
    azure_cli_signed_in(&mut server, az.path()).await;
    let home = tempfile::tempdir().unwrap();
    let env = EnvVars::from_pairs([("AZURE_CONFIG_DIR", az.path().to_str().unwrap())]);
    let (session, _) = session_in(home.path(), env.clone());

    // connecting: the Azure CLI's access token, no request
    let request = request(&server, "organizations", SignInMethod::AzureCli { account: None });
    let tokens = session.authenticate(&request).await.unwrap();
    assert_eq!(tokens.result().access_token.secret(), "CLI-AT");
    let connected = session.complete("entra", &request, &tokens, &json!({})).unwrap();
    let connection = connected.connection().clone();
    assert_eq!(connection.method_name(), "AzureCli");
    assert_eq!(
        connection.tenant.as_str(),
        TID,
        "the account's tenant in the Azure CLI"
    );
    assert_eq!(connection.azure_cli_dir(), Some(az.path()));
    assert!(
        !home.path().join("msal_token_cache.json").exists(),
        "nothing in msconnect's cache"
    );

    // a later process: another scope is bought with the Azure CLI's refresh token, and kept there
    let other = "https://outlook.office365.com/.default".to_owned();
    let renew = token_endpoint(
        &mut server,
        TID,
        form(&[("grant_type", "refresh_token"), ("refresh_token", "CLI-RT")]),
        &user_token_response("EXO-AT", "CLI-RT-2", "oid-1", TID, "admin@contoso.com", &other),
        1,
    )
    .await;
    let (later, _) = session_in(home.path(), env.clone());
    let saved = later.connection("entra").unwrap();
    assert_eq!(
        saved, connection,
        "the saved connection remembers the Azure CLI's cache"
    );
    let token = later.token(&saved, std::slice::from_ref(&other)).await.unwrap();
    assert_eq!(token.access_token.secret(), "EXO-AT");
    renew.assert_async().await;
    let cli_cache = TokenCache::open(az.path().join("msal_token_cache.json"));
    let home_account = connection.home_account_id().unwrap().to_owned();
    let environment = later.authority_of(&connection).unwrap().environment();
    assert_eq!(
        cli_cache
            .find_refresh_token(&environment, &connection.client_id, &home_account)
            .unwrap()
            .map(|t| t.secret().to_owned()),
        Some("CLI-RT-2".to_owned()),
        "the rotated refresh token is the Azure CLI's now"
    );

    // disconnect forgets the context and leaves the Azure CLI signed in
    let before = std::fs::read(az.path().join("msal_token_cache.json")).unwrap();
    assert!(later.disconnect("entra").unwrap());
    assert_eq!(
        std::fs::read(az.path().join("msal_token_cache.json")).unwrap(),
        before
    );
    assert!(
        later
            .load_connection::<serde_json::Value>("entra")
            .unwrap()
            .is_none()
    );

    // `az logout` removes the account: a new scope says so
    cli_cache.remove_account(&environment, &home_account).unwrap();
    let error = later
        .token(&connection, &["https://management.azure.com/.default".to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "admin@contoso.com is signed out in the Azure CLI; run az login or connect again"
    );
}

/// Issue 16: connections of the secret-free sign-ins, renewed from their source.
mod handle;
mod workload;

/// `TokenOptions::tenant` for a managed identity: its host gives tokens for its own tenant only, so the
/// request is refused, naming `tenant`, before anything is asked of anyone.
#[tokio::test]
async fn a_managed_identity_cannot_get_a_token_for_another_tenant() {
    let home = tempfile::tempdir().unwrap();
    let (session, _) = session_in(home.path(), EnvVars::default());
    let connection = Connection::from_parts(
        Environment::default(),
        Tenant::parse(TID).unwrap(),
        ClientId::parse(CLIENT).unwrap(),
        vec![SCOPE.into()],
        SignedIn::ManagedIdentity {
            id: crate::flows::ManagedIdentityId::SystemAssigned,
        },
    );
    let options = TokenOptions {
        tenant: Some(Tenant::parse("contoso.com").unwrap()),
        ..TokenOptions::default()
    };
    let error = session.token_with(&connection, &[], &options).await.unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for tenant: a managed identity gives tokens for its own tenant (7a0b9c1d-0000-4000-8000-00000000a001) only");
    assert!(session.cached_token_with(&connection, &[], &options).is_err());
}
