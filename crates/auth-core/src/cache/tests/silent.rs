//! Silent sign-in against mockito: served from the cache with no request, renewed with the refresh token
//! (for another tenant too), dead refresh tokens removed, app-only tokens, and one request for many callers.

use crate::testing::form;
use mockito::Matcher;
use serde_json::json;

use super::*;
use crate::flows::{ClientCredential, SilentRequest};
use crate::http::fake::{FakeServer, assert_posted_form, fake_authority};
use crate::testing::http_client;
use crate::time::Timer as _;
use crate::{Error, Url};

fn authority(server: &mockito::Server, tenant: &str) -> Authority {
    Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse(tenant).unwrap(),
    )
    .unwrap()
}

/// A signed-in user: what `connect` leaves in the cache, for the mock server's environment.
fn signed_in(cache: &TokenCache, server: &mockito::Server, access_token: &str, issued: i64) {
    signed_in_at(cache, &authority(server, HOME_TENANT), access_token, issued);
}

/// A signed-in user, for the environment of `home` (an authority in the home tenant).
fn signed_in_at(cache: &TokenCache, home: &Authority, access_token: &str, issued: i64) {
    let result = user_result(home, access_token, "the-rt", GRAPH, issued);
    cache.save_at(&result, &[GRAPH.into()], None, at(issued)).unwrap();
}

fn token_endpoint(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

fn renewed_body(access_token: &str, refresh_token: &str, tenant: &str) -> String {
    let mut json = user_token_response(
        access_token,
        refresh_token,
        OID,
        tenant,
        "admin@contoso.com",
        GRAPH,
    );
    json["client_info"] = crate::testing::client_info(OID, HOME_TENANT).into();
    json.to_string()
}

#[tokio::test]
async fn a_new_process_gets_the_cached_token_with_no_request() {
    let server = FakeServer::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let a = fake_authority(HOME_TENANT);
    signed_in_at(&TokenCache::open(&path), &a, "cached-at", NOW);
    // a later process: a new handle on the file, nothing shared in memory
    let cache = TokenCache::open(&path);
    let (http, _) = server.client();
    let home = home();
    let id = client();
    let request = SilentRequest::new(&cache, &a, &id)
        .account(Some(&home))
        .scopes([GRAPH]);
    let fast = request.cached(at(NOW)).unwrap().unwrap();
    assert_eq!(fast.access_token.secret(), "cached-at");
    let result = request.send(&http).await.unwrap();
    assert_eq!(result.access_token.secret(), "cached-at");
    assert_eq!(result.tenant_id, HOME_TENANT);
    assert_eq!(result.expires_on, NOW + 3599);
    assert_eq!(result.account.as_ref().unwrap().username, "admin@contoso.com");
    assert_eq!(result.home_account_id(), Some(home.as_str()));
    assert_eq!(result.client_info.as_ref().unwrap().utid, HOME_TENANT);
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_token_with_under_five_minutes_left_is_renewed_with_the_refresh_token_and_saved() {
    let server = FakeServer::new();
    server.answer(200, renewed_body("renewed-at", "rotated-rt", HOME_TENANT));
    let cache = TokenCache::in_memory();
    let a = fake_authority(HOME_TENANT);
    // issued almost an hour ago: 299 seconds left now
    signed_in_at(&cache, &a, "old-at", NOW - 3300);
    let (http, _) = server.client();
    let home = home();
    let id = client();
    let request = SilentRequest::new(&cache, &a, &id)
        .account(Some(&home))
        .scopes([GRAPH]);
    assert!(request.cached(at(NOW)).unwrap().is_none());
    let result = request.clone().send(&http).await.unwrap();
    assert_eq!(result.access_token.secret(), "renewed-at");
    // saved: the next call is served from the cache, and the rotated refresh token replaced the old one
    assert_eq!(
        request.clone().send(&http).await.unwrap().access_token.secret(),
        "renewed-at"
    );
    let environment = a.environment();
    assert_eq!(
        cache
            .find_refresh_token(&environment, &client(), &home)
            .unwrap()
            .unwrap()
            .secret(),
        "rotated-rt"
    );
    let request = server.only_request();
    assert_posted_form(
        &request,
        &token_endpoint(HOME_TENANT),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", "the-rt"),
            (
                "scope",
                "https://graph.microsoft.com/.default openid profile offline_access",
            ),
            ("client_info", "1"),
        ],
    );
}

#[tokio::test]
async fn the_refresh_token_buys_a_token_for_a_customer_tenant() {
    let server = FakeServer::new();
    server.answer(200, renewed_body("customer-at", "the-rt", CUSTOMER));
    let cache = TokenCache::in_memory();
    let home_authority = fake_authority(HOME_TENANT);
    signed_in_at(&cache, &home_authority, "home-at", NOW);
    let (http, _) = server.client();
    let customer = fake_authority(CUSTOMER);
    let home = home();
    let id = client();
    let request = SilentRequest::new(&cache, &customer, &id)
        .account(Some(&home))
        .scopes([GRAPH]);
    let result = request.clone().send(&http).await.unwrap();
    assert_eq!(result.access_token.secret(), "customer-at");
    assert_eq!(result.tenant_id, CUSTOMER);
    // the second call for the customer comes from the cache; the home tenant's token is still there
    assert_eq!(
        request.send(&http).await.unwrap().access_token.secret(),
        "customer-at"
    );
    let at_home = SilentRequest::new(&cache, &home_authority, &id)
        .account(Some(&home))
        .scopes([GRAPH]);
    assert_eq!(
        at_home.send(&http).await.unwrap().access_token.secret(),
        "home-at"
    );
    // one request, to the customer's endpoint (none to the home tenant's)
    let request = server.only_request();
    assert_posted_form(
        &request,
        &token_endpoint(CUSTOMER),
        &[("grant_type", "refresh_token"), ("refresh_token", "the-rt")],
    );
}

#[tokio::test]
async fn organizations_means_the_accounts_home_tenant() {
    let mut server = mockito::Server::new_async().await;
    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let cache = TokenCache::in_memory();
    signed_in(&cache, &server, "home-at", NOW);
    let (http, _) = http_client();
    let a = authority(&server, "organizations");
    let home = home();
    let result = SilentRequest::new(&cache, &a, &client())
        .account(Some(&home))
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "home-at");
    never.assert_async().await;
}

#[tokio::test]
async fn a_dead_refresh_token_is_removed_and_the_user_told_to_sign_in_again() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(HOME_TENANT).as_str())
        .with_status(400)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: t\r\nCorrelation ID: c",
                "error_codes": [700082],
                "correlation_id": "c0ffee00-0000-0000-0000-000000000000"
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let cache = TokenCache::in_memory();
    signed_in(&cache, &server, "old-at", NOW - 7200);
    let (http, _) = http_client();
    let a = authority(&server, HOME_TENANT);
    let home = home();
    let error = SilentRequest::new(&cache, &a, &client())
        .account(Some(&home))
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)));
    insta::assert_snapshot!(error, @"the cached refresh token was refused (invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. (hint: the refresh token has expired: sign in again) [correlation id c0ffee00-0000-0000-0000-000000000000]); it was removed from the cache: sign in again with `connect`");
    assert!(
        cache
            .find_refresh_token(&a.environment(), &client(), &home)
            .unwrap()
            .is_none()
    );
    // with no refresh token left, no request is made
    let error = SilentRequest::new(&cache, &a, &client())
        .account(Some(&home))
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"no refresh token for account 11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a and client 04b07795-8ddb-461a-bbee-02f9e1bf7b46 in the token cache: sign in again with `connect`");
    mock.assert_async().await;
}

#[tokio::test]
async fn a_tenant_that_wants_mfa_keeps_the_refresh_token_for_the_other_tenants() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(CUSTOMER).as_str())
        .with_status(400)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication.",
                "error_codes": [50076],
                "suberror": "basic_action"
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let cache = TokenCache::in_memory();
    signed_in(&cache, &server, "home-at", NOW);
    let (http, _) = http_client();
    let customer = authority(&server, CUSTOMER);
    let home = home();
    let error = SilentRequest::new(&cache, &customer, &client())
        .account(Some(&home))
        .scopes([GRAPH])
        .send(&http)
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"tenant cccccccc-0000-0000-0000-00000000000c needs you to sign in (invalid_grant: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication. (hint: multi-factor authentication is required: use interactive or device code sign-in)): sign in again with `connect`");
    assert_eq!(
        cache
            .find_refresh_token(&customer.environment(), &client(), &home)
            .unwrap()
            .unwrap()
            .secret(),
        "the-rt"
    );
    mock.assert_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_callers_make_one_request() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(HOME_TENANT).as_str())
        .with_body(renewed_body("renewed-at", "rotated-rt", HOME_TENANT))
        .expect(1)
        .create_async()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let cache = TokenCache::open(dir.path().join("cache.json"));
    signed_in(&cache, &server, "expired-at", NOW - 7200);
    let (http, _) = http_client();
    let a = authority(&server, HOME_TENANT);
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let (cache, http, a) = (cache.clone(), http.clone(), a.clone());
            tokio::spawn(async move {
                let home = home();
                let result = SilentRequest::new(&cache, &a, &client())
                    .account(Some(&home))
                    .scopes([GRAPH])
                    .send(&http)
                    .await;
                result.map(|r| r.access_token.secret().to_owned())
            })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), "renewed-at");
    }
    mock.assert_async().await;
}

#[tokio::test]
async fn app_only_tokens_come_from_the_cache_without_a_credential_and_are_renewed_with_one() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(CUSTOMER).as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "supplied-again"),
            ("scope", GRAPH),
        ]))
        .with_body(app_token_response("new-app-at").to_string())
        .expect(1)
        .create_async()
        .await;
    let cache = TokenCache::in_memory();
    let a = authority(&server, CUSTOMER);
    cache
        .save_at(&app_result(&a, "app-at", NOW), &[GRAPH.into()], None, at(NOW))
        .unwrap();
    let (http, timer) = http_client();
    let id = client();
    let request = SilentRequest::new(&cache, &a, &id).scopes([GRAPH]);
    let result = request.clone().send(&http).await.unwrap();
    assert_eq!(result.access_token.secret(), "app-at");
    assert!(result.account.is_none());

    timer.advance(std::time::Duration::from_secs(3400));
    let error = request.clone().send(&http).await.unwrap_err();
    insta::assert_snapshot!(error, @"no app-only token for client 04b07795-8ddb-461a-bbee-02f9e1bf7b46 in the token cache, and renewing it needs the client secret or certificate, which is never stored: supply it again or connect again");
    let secret = ClientCredential::secret("supplied-again");
    let result = request
        .clone()
        .credential(Some(&secret))
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "new-app-at");
    // saved as an app token, and the secret is nowhere in the cache
    let found = cache
        .find_access_token(
            &TokenQuery {
                environment: a.environment(),
                ..app_query(CUSTOMER)
            },
            timer.now(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "new-app-at");
    assert_eq!(found.home_account_id, None);
    let everything = cache
        .read_document(|doc| serde_json::to_string(doc).unwrap())
        .unwrap();
    assert!(!everything.contains("supplied-again"));
    mock.assert_async().await;
}

#[tokio::test]
async fn an_aging_token_is_renewed_but_still_served_when_renewing_fails() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(HOME_TENANT).as_str())
        .with_status(400)
        .with_body(json!({"error": "temporarily_unavailable", "error_description": "try later"}).to_string())
        .expect(2)
        .create_async()
        .await;
    let cache = TokenCache::in_memory();
    let a = authority(&server, HOME_TENANT);
    let mut json = serde_json::from_str::<Value>(&renewed_body("aging-at", "the-rt", HOME_TENANT)).unwrap();
    json["refresh_in"] = 1800.into();
    let result = TokenResult::from_response(&json, &a, &client(), &[], at(NOW - 1900)).unwrap();
    cache.save_at(&result, &[], None, at(NOW - 1900)).unwrap();
    let (http, _) = http_client();
    let home = home();
    let id = client();
    let request = SilentRequest::new(&cache, &a, &id)
        .account(Some(&home))
        .scopes([GRAPH]);
    assert!(
        request.cached(at(NOW)).unwrap().is_none(),
        "past refresh_on: not served by the fast path"
    );
    let captured = Warnings::capture();
    let served = request.clone().send(&http).await;
    let warnings = captured.text();
    assert_eq!(served.unwrap().access_token.secret(), "aging-at");
    assert!(warnings.contains("renewing the token failed (temporarily_unavailable: try later); using the cached one, which is still valid"), "{warnings}");
    // forcing a refresh takes no stand-in
    let error = request.force_refresh(true).send(&http).await.unwrap_err();
    insta::assert_snapshot!(error, @"temporarily_unavailable: try later");
    mock.assert_async().await;
}

#[tokio::test]
async fn force_refresh_skips_a_good_cached_token() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", token_endpoint(HOME_TENANT).as_str())
        .with_body(renewed_body("forced-at", "the-rt", HOME_TENANT))
        .expect(1)
        .create_async()
        .await;
    let cache = TokenCache::in_memory();
    signed_in(&cache, &server, "good-at", NOW);
    let (http, _) = http_client();
    let a = authority(&server, HOME_TENANT);
    let home = home();
    let id = client();
    let request = SilentRequest::new(&cache, &a, &id)
        .account(Some(&home))
        .scopes([GRAPH])
        .force_refresh(true);
    assert!(request.cached(at(NOW)).unwrap().is_none());
    assert_eq!(
        request.send(&http).await.unwrap().access_token.secret(),
        "forced-at"
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn a_request_without_scopes_is_refused_before_anything_else() {
    let cache = TokenCache::in_memory();
    let (http, _) = http_client();
    let a = microsoft(HOME_TENANT);
    let error = SilentRequest::new(&cache, &a, &client())
        .send(&http)
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for scopes: name at least one scope, such as https://graph.microsoft.com/.default");
}

/// One hostile answer to a renewal (a token "valid" for thirty years, or already expired) is refused, not
/// saved, so it cannot pin itself in the cache; the refresh token it came with is not kept either.
#[tokio::test]
async fn a_renewal_answered_with_an_impossible_lifetime_saves_nothing() {
    let mut server = mockito::Server::new_async().await;
    let cache = TokenCache::in_memory();
    signed_in(&cache, &server, "old-at", NOW - 3300);
    let (http, _) = http_client();
    let a = authority(&server, HOME_TENANT);
    let home = home();
    let id = client();
    for expires_in in [1_000_000_000_i64, -10] {
        let mut body: serde_json::Value =
            serde_json::from_str(&renewed_body("pinned-at", "hostile-rt", HOME_TENANT)).unwrap();
        body["expires_in"] = expires_in.into();
        let mock = server
            .mock("POST", token_endpoint(HOME_TENANT).as_str())
            .with_body(body.to_string())
            .expect(1)
            .create_async()
            .await;
        let request = SilentRequest::new(&cache, &a, &id)
            .account(Some(&home))
            .scopes([GRAPH]);
        let error = request.clone().send(&http).await.unwrap_err().to_string();
        assert!(error.contains("nothing was saved"), "{error}");
        mock.assert_async().await;
        mock.remove_async().await;
        assert!(request.cached(at(NOW)).unwrap().is_none());
        assert_eq!(
            cache
                .find_refresh_token(&a.environment(), &client(), &home)
                .unwrap()
                .unwrap()
                .secret(),
            "the-rt"
        );
    }
}
