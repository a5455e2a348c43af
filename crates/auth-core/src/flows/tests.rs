//! Every flow against canned answers (the injected transport, no socket) or, where the test is about the
//! connection itself, a loopback server, asserting the form fields and headers that went over the wire.

use std::time::SystemTime;

use serde_json::json;

use super::*;
use crate::error::Error;
use crate::http::fake::{BASE, FakeServer, assert_posted_form, fake_authority};
use crate::secret::{AccessToken, Password, RefreshToken};
use crate::testing::{NOW, app_token_response, http_client, jwt, user_token_response};
use crate::time::from_epoch_seconds;
use crate::{Tenant, Url};

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

#[tokio::test]
async fn client_credentials_with_a_secret() {
    let server = FakeServer::new();
    server.answer(200, app_token_response("app-token"));
    let (http, _) = server.client();
    let credential = ClientCredential::secret("the-secret");
    let a = fake_authority("contoso.com");
    let r = ClientCredentials::new(&a, &client(), &credential)
        .scopes(["https://graph.microsoft.com/.default"])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(r.access_token.secret(), "app-token");
    assert_eq!(r.expires_on, NOW + 3599);
    assert!(r.account.is_none() && r.refresh_token.is_none());
    assert_eq!(r.tenant_id, "contoso.com");
    let request = server.only_request();
    assert_posted_form(
        &request,
        "/contoso.com/oauth2/v2.0/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "the-secret"),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_info", "1"),
        ],
    );
    assert_eq!(request.header("x-client-sku"), Some("msconnect.rust"));
    assert_eq!(request.header("return-client-request-id"), Some("true"));
}

#[derive(Debug)]
struct FixedAssertion;

impl AssertionSource for FixedAssertion {
    fn assertion(
        &self,
        audience: &str,
        client_id: &ClientId,
        now: SystemTime,
    ) -> crate::Result<ClientAssertion> {
        Ok(ClientAssertion::new(format!(
            "signed-for|{audience}|{client_id}|{}",
            crate::time::epoch_seconds(now)
        )))
    }
}

#[tokio::test]
async fn client_credentials_with_an_assertion_addressed_to_the_token_endpoint() {
    let server = FakeServer::new();
    server.answer(200, app_token_response("app-token"));
    let (http, _) = server.client();
    let audience = format!("{BASE}/contoso.com/oauth2/v2.0/token");
    let credential = ClientCredential::assertion(FixedAssertion);
    let a = fake_authority("contoso.com");
    ClientCredentials::new(&a, &client(), &credential)
        .scopes(["s/.default"])
        .send(&http)
        .await
        .unwrap();
    let request = server.only_request();
    assert_posted_form(
        &request,
        "/contoso.com/oauth2/v2.0/token",
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            (
                "client_assertion",
                &format!("signed-for|{audience}|{CLIENT}|{NOW}"),
            ),
        ],
    );
}

#[tokio::test]
async fn client_credentials_needs_a_scope_and_one_tenant_and_sends_nothing_without() {
    let server = FakeServer::new();
    let (http, _) = server.client();
    let credential = ClientCredential::secret("s");
    let a = fake_authority("organizations");
    let error = ClientCredentials::new(&a, &client(), &credential)
        .scopes(["x/.default"])
        .send(&http)
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for tenant: a service principal signs in to one tenant, not 'organizations': give the tenant id or domain");
    let a = fake_authority("contoso.com");
    let error = ClientCredentials::new(&a, &client(), &credential)
        .send(&http)
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for scopes: an app-only token needs a scope such as https://graph.microsoft.com/.default");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn refresh_token_as_a_public_client_for_a_customer_tenant() {
    let server = FakeServer::new();
    server.answer(
        200,
        user_token_response(
            "AT",
            "RT2",
            "oid",
            "customer-tid",
            "admin@partner.com",
            "https://api.partnercenter.microsoft.com/user_impersonation",
        ),
    );
    let (http, _) = server.client();
    let rt = RefreshToken::new("partner-rt");
    let partner = fake_authority("partner.com");
    let customer = partner
        .with_tenant(&Tenant::parse("customer.onmicrosoft.com").unwrap())
        .unwrap();
    let r = RefreshTokenGrant::new(&customer, &client(), &rt)
        .scopes(["https://api.partnercenter.microsoft.com/user_impersonation"])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(
        r.refresh_token.unwrap().secret(),
        "RT2",
        "the new refresh token, straight from the answer"
    );
    assert_eq!(r.tenant_id, "customer-tid");
    assert_eq!(r.account.unwrap().username, "admin@partner.com");
    let request = server.only_request();
    assert_posted_form(
        &request,
        "/customer.onmicrosoft.com/oauth2/v2.0/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", "partner-rt"),
            (
                "scope",
                "https://api.partnercenter.microsoft.com/user_impersonation openid profile offline_access",
            ),
            ("client_info", "1"),
        ],
    );
}

#[tokio::test]
async fn refresh_token_as_a_confidential_client_keeps_the_old_token_when_none_comes_back() {
    let server = FakeServer::new();
    server.answer(200, app_token_response("AT"));
    let (http, _) = server.client();
    let rt = RefreshToken::new("rt");
    let credential = ClientCredential::secret("web-secret");
    let a = fake_authority("organizations");
    let r = RefreshTokenGrant::new(&a, &client(), &rt)
        .scopes(["x"])
        .credential(Some(&credential))
        .send(&http)
        .await
        .unwrap();
    assert_eq!(r.refresh_token.unwrap().secret(), "rt");
    let request = server.only_request();
    assert_posted_form(
        &request,
        "/organizations/oauth2/v2.0/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt"),
            ("client_secret", "web-secret"),
        ],
    );
}

#[tokio::test]
async fn password_sends_the_user_and_explains_mfa_failures() {
    let server = FakeServer::new();
    server.answer(
        200,
        user_token_response(
            "AT",
            "RT",
            "o",
            "t",
            "admin@contoso.com",
            "https://graph.microsoft.com/.default",
        ),
    );
    server.answer(400, json!({"error": "invalid_grant", "error_description": "AADSTS50076: Due to a configuration change made by your administrator you must use multi-factor authentication.", "error_codes": [50076], "correlation_id": "c-1"}));
    let (http, _) = server.client();
    let a = fake_authority("organizations");
    let password = Password::new("p@ss w0rd&=");
    let r = UsernamePassword::new(&a, &client(), " admin@contoso.com ", &password)
        .scopes(["https://graph.microsoft.com/.default"])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(r.account.unwrap().home_account_id, "o.t");

    let error = UsernamePassword::new(&a, &client(), "admin@contoso.com", &password)
        .send(&http)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)));
    insta::assert_snapshot!(error, @"invalid_grant: AADSTS50076: Due to a configuration change made by your administrator you must use multi-factor authentication. (hint: multi-factor authentication is required: use interactive or device code sign-in) [correlation id c-1]. Password sign-in works only for cloud accounts without multi-factor authentication; use interactive or device code sign-in instead");
    assert!(!error.to_string().contains("p@ss"));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one request each, no retry of a 400");
    assert_posted_form(
        &requests[0],
        "/organizations/oauth2/v2.0/token",
        &[
            ("grant_type", "password"),
            ("username", "admin@contoso.com"),
            ("password", "p@ss w0rd&="),
            (
                "scope",
                "https://graph.microsoft.com/.default openid profile offline_access",
            ),
            ("client_info", "1"),
        ],
    );
    // the password went over the wire form-encoded, and nowhere else
    let body = String::from_utf8(requests[0].body.clone().unwrap()).unwrap();
    assert!(body.contains("password=p%40ss+w0rd%26%3D"), "{body}");
    assert!(!format!("{:?}", requests[0]).contains("w0rd"));
}

#[test]
fn access_token_passthrough_reads_the_token_without_a_request() {
    let claims = json!({"exp": NOW + 600, "tid": "tid-9", "oid": "oid-9", "upn": "user@contoso.com", "appid": CLIENT, "scp": "User.Read Mail.Read"});
    let token = AccessToken::new(jwt(&claims));
    let fallback = ClientId::parse("04b07795-8ddb-461a-bbee-02f9e1bf7b46").unwrap();
    let r = AccessTokenPassthrough::new(&token, "login.microsoftonline.com", &fallback)
        .read(from_epoch_seconds(NOW))
        .unwrap();
    let account = r.account.unwrap();
    assert_eq!(account.home_account_id, "oid-9.tid-9");
    assert_eq!(account.username, "user@contoso.com");
    assert_eq!(r.tenant_id, "tid-9");
    assert_eq!(r.client_id.as_str(), CLIENT);
    assert_eq!(r.expires_on, NOW + 600);
    assert_eq!(r.scopes, ["User.Read", "Mail.Read"]);
}

#[test]
fn an_expired_access_token_gets_the_modules_message() {
    let token = AccessToken::new(jwt(&json!({"exp": NOW, "tid": "t"})));
    let fallback = client();
    let error = AccessTokenPassthrough::new(&token, "h", &fallback)
        .read(from_epoch_seconds(NOW))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "The access token has expired. Generate a new one and try again."
    );
}

#[test]
fn an_access_token_without_tid_or_not_a_jwt_is_refused() {
    let fallback = client();
    let no_tid = AccessToken::new(jwt(&json!({"exp": NOW + 60})));
    insta::assert_snapshot!(AccessTokenPassthrough::new(&no_tid, "h", &fallback).read(from_epoch_seconds(NOW)).unwrap_err(), @"the access token is not a valid token: it has no tid claim");
    let opaque = AccessToken::new("opaque-token");
    let error = AccessTokenPassthrough::new(&opaque, "h", &fallback)
        .read(from_epoch_seconds(NOW))
        .unwrap_err();
    assert!(!error.to_string().contains("opaque-token"));
}

#[tokio::test]
async fn no_secret_reaches_an_error_message_or_a_debug_print() {
    let server = FakeServer::new();
    for _ in 0..3 {
        server.answer(401, json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]}));
    }
    let (http, _) = server.client();
    let a = fake_authority("contoso.com");
    let secret = "super-secret-value-xyz";
    let credential = ClientCredential::secret(secret);
    let rt = RefreshToken::new(secret);
    let password = Password::new(secret);
    let errors = [
        ClientCredentials::new(&a, &client(), &credential)
            .scopes(["x/.default"])
            .send(&http)
            .await
            .unwrap_err(),
        RefreshTokenGrant::new(&a, &client(), &rt)
            .credential(Some(&credential))
            .send(&http)
            .await
            .unwrap_err(),
        UsernamePassword::new(&a, &client(), "u@x.com", &password)
            .send(&http)
            .await
            .unwrap_err(),
    ];
    for error in &errors {
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    for shown in [
        format!("{credential:?}"),
        format!("{rt:?}"),
        format!("{password:?}"),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn scopes_are_split_and_deduplicated() {
    assert_eq!(normalize_scopes(["a b", "c,a", "", " d "]), ["a", "b", "c", "d"]);
    assert_eq!(
        delegated_scope(&["x".into(), "openid".into()]),
        "x openid profile offline_access"
    );
}

mod hostile_authority {
    //! issue 18: the flows against a server that sends what no real one would.

    use super::*;
    use crate::cache::{TokenCache, TokenQuery};
    use crate::http::hostile::{Behaviour, HostileServer};

    fn hostile_authority(server: &HostileServer) -> Authority {
        Authority::new(
            &Url::parse(&server.url()).unwrap(),
            &Tenant::parse("contoso.com").unwrap(),
        )
        .unwrap()
    }

    async fn sign_in(server: &HostileServer) -> crate::Result<TokenResult> {
        let (http, _) = http_client();
        let credential = ClientCredential::secret("the-secret");
        ClientCredentials::new(&hostile_authority(server), &client(), &credential)
            .scopes(["https://graph.microsoft.com/.default"])
            .send(&http)
            .await
    }

    #[tokio::test]
    async fn extreme_times_are_saved_and_served_without_panic() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::open(dir.path().join("cache.json"));
        for (times, served) in [
            (json!({"expires_on": i64::MIN}), false),
            (json!({"expires_in": 1e19}), true),
            (
                json!({"expires_in": 3600, "ext_expires_in": i64::MAX, "refresh_in": i64::MAX}),
                true,
            ),
            (json!({"expires_in": "-9223372036854775808"}), false),
        ] {
            let mut body = json!({"access_token": "hostile-at", "token_type": "Bearer"});
            body.as_object_mut()
                .unwrap()
                .extend(times.as_object().unwrap().clone());
            let server = HostileServer::start(Behaviour::Body(200, body.to_string())).await;
            let result = sign_in(&server).await.unwrap();
            cache
                .save_at(&result, &[], None, from_epoch_seconds(NOW))
                .unwrap();
            let query = TokenQuery {
                environment: result.environment.clone(),
                client_id: client(),
                realm: None,
                home_account_id: None,
                scopes: vec!["https://graph.microsoft.com/.default".into()],
            };
            let found = cache.find_access_token(&query, from_epoch_seconds(NOW)).unwrap();
            assert_eq!(found.is_some(), served, "{times}");
            std::fs::remove_file(dir.path().join("cache.json")).ok();
        }
    }

    #[tokio::test]
    async fn malformed_answers_are_errors_naming_what_is_wrong() {
        for (body, expected) in [
            ("{\"access_token\": ", "unexpected HTTP 200 response"),
            ("[1,2,3]", "unexpected HTTP 200 response"),
            ("{\"token_type\": \"Bearer\"}", "it has no access_token"),
            (
                "{\"access_token\": \"a\", \"id_token\": \"x.!!!.y\"}",
                "its payload is not base64url",
            ),
            (
                "{\"access_token\": \"a\", \"client_info\": \"e30\"}",
                "missing field `uid`",
            ),
        ] {
            let server = HostileServer::start(Behaviour::Body(200, body.into())).await;
            let error = sign_in(&server).await.unwrap_err().to_string();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[tokio::test]
    async fn escape_sequences_in_an_error_reach_the_error_as_text_and_cut() {
        // the terminal half (stripping control characters before printing) is the CLI's; here the
        // description is kept as data, cut to a few KiB
        let description = format!(
            "AADSTS7000215: \u{1b}]0;owned\u{7}\u{1b}[2J{}",
            "x".repeat(10_000)
        );
        let body = json!({"error": "invalid_client", "error_description": description}).to_string();
        let server = HostileServer::start(Behaviour::Body(401, body)).await;
        let Error::Server(error) = sign_in(&server).await.unwrap_err() else {
            panic!("an OAuth error")
        };
        let shown = error.error_description.unwrap();
        assert!(shown.len() < 4200, "{}", shown.len());
        assert!(shown.ends_with(" more bytes cut]"), "{shown}");
    }
}
