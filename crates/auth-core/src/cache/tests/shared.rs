//! The token cache in a real `redis-server` (started per test): the MSAL entries one key each, their
//! times to live, sealing with `MSCONNECT_CACHE_KEY`, the refresh lock's owner rules, waiting for another
//! worker's token, and what an unreachable Redis gives (an error naming the URL, or the file fallback).
//! Also a cache file shared by several processes, whose per-token locks play the part of Redis' lease.

use std::time::{Duration, Instant};

use mockito::Matcher;

use super::*;
use crate::cloud::Cloud;
use crate::flows::{ClientCredential, SilentRequest};
use crate::http::HttpOptions;
use crate::secret::ClientSecret;
use crate::session::{Session, SessionOptions, SignInMethod, SignInRequest};
use crate::testing::FakeTimer;
use crate::testing::{RedisServer, environment_at, http_options};
use crate::time::{Sleep, Timer};
use crate::{Error, Url};

fn shared(server: &RedisServer) -> TokenCache {
    shared_with(server, RedisOptions::default())
}

fn shared_with(server: &RedisServer, options: RedisOptions) -> TokenCache {
    TokenCache::redis(&server.url_with_password(), options).unwrap()
}

/// Sealed with a key named as the command line names it, in messages.
fn sealed_with(byte: u8) -> RedisOptions {
    RedisOptions {
        key: Some(CacheKey::new([byte; 32])),
        names: RedisSettingNames {
            key: "MSCONNECT_CACHE_KEY".into(),
            ..RedisSettingNames::default()
        },
        ..RedisOptions::default()
    }
}

fn stored_keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("*")
        .query(&mut server.connection())
        .unwrap();
    keys.sort();
    keys
}

fn stored(server: &RedisServer, key: &str) -> Value {
    let raw: String = ::redis::cmd("GET")
        .arg(key)
        .query(&mut server.connection())
        .unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn pttl(server: &RedisServer, key: &str) -> i64 {
    ::redis::cmd("PTTL")
        .arg(key)
        .query(&mut server.connection())
        .unwrap()
}

/// Replaces the server's port, which differs in every run.
fn without_port(text: &str, server: &RedisServer) -> String {
    text.replace(&server.port().to_string(), "PORT")
}

const APP_AT_KEY: &str = "msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:accesstoken:https://graph.microsoft.com/.default";
const USER_RT_KEY: &str = "msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:refreshtoken:04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// A user signed in at home and an app in a customer tenant, as `connect` leaves them.
fn fill(cache: &TokenCache) {
    let user = user_result(&microsoft(HOME_TENANT), "user-at", "user-rt", GRAPH, NOW);
    cache
        .save_at(&user, &[GRAPH.into()], Some("authorization_code"), at(NOW))
        .unwrap();
    let app = app_result(&microsoft(CUSTOMER), "app-at", NOW);
    cache.save_at(&app, &[], None, at(NOW)).unwrap();
}

#[test]
fn each_entry_is_one_msal_schema_key_partitioned_by_client_tenant_and_account() {
    let server = RedisServer::start();
    fill(&shared(&server));
    insta::assert_snapshot!(stored_keys(&server).join("\n"), @r"
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:accesstoken:https://graph.microsoft.com/.default
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:accesstokens
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:idtoken
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:accesstoken:https://graph.microsoft.com/.default
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:accesstokens
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:account:aaaaaaaa-0000-0000-0000-00000000000a
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:keys
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:refreshtoken:04b07795-8ddb-461a-bbee-02f9e1bf7b46
    msconnect:login.microsoftonline.com:appmetadata:04b07795-8ddb-461a-bbee-02f9e1bf7b46
    ");
    insta::assert_snapshot!(without_secrets(stored(&server, APP_AT_KEY)), @r#"{"credential_type":"AccessToken","secret":"<secret>","home_account_id":null,"environment":"login.microsoftonline.com","client_id":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","target":"https://graph.microsoft.com/.default","realm":"cccccccc-0000-0000-0000-00000000000c","token_type":"Bearer","cached_at":"1795341600","expires_on":"1795345199","extended_expires_on":"1795345199"}"#);
    assert_eq!(
        stored(&server, APP_AT_KEY)["secret"],
        "app-at",
        "MSAL stores secrets in clear"
    );
    insta::assert_snapshot!(without_secrets(stored(&server, USER_RT_KEY)), @r#"{"credential_type":"RefreshToken","secret":"<secret>","home_account_id":"11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a","environment":"login.microsoftonline.com","client_id":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","target":"https://graph.microsoft.com/.default","last_modification_time":"1795341600"}"#);

    // another worker reads it all back
    let other = shared(&server);
    let found = |q: &TokenQuery| {
        other
            .find_access_token(q, at(NOW))
            .unwrap()
            .map(|t| t.access_token.secret().to_owned())
    };
    assert_eq!(
        found(&user_query(HOME_TENANT, &[GRAPH])).as_deref(),
        Some("user-at")
    );
    assert_eq!(found(&app_query(CUSTOMER)).as_deref(), Some("app-at"));
    assert_eq!(
        found(&TokenQuery {
            realm: None,
            ..app_query(CUSTOMER)
        })
        .as_deref(),
        Some("app-at"),
        "any tenant"
    );
    assert_eq!(found(&app_query(HOME_TENANT)), None, "another tenant's partition");
    let rt = other
        .find_refresh_token(ENV, &client(), &home())
        .unwrap()
        .unwrap();
    assert_eq!(rt.secret(), "user-rt");
    let accounts = other.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].username, "admin@contoso.com");
    let account = other.account(ENV, &home(), CUSTOMER).unwrap().unwrap();
    assert_eq!(
        account.realm, HOME_TENANT,
        "the home tenant's entry stands in for another tenant"
    );
}

#[test]
fn every_key_lives_as_long_as_its_entry() {
    let server = RedisServer::start();
    fill(&shared(&server));
    let at_ttl = pttl(&server, APP_AT_KEY);
    assert!(
        (3_598_000..=3_599_000).contains(&at_ttl),
        "access token: expires_on - now, got {at_ttl} ms"
    );
    let index_ttl = pttl(
        &server,
        &APP_AT_KEY.replace(
            ":accesstoken:https://graph.microsoft.com/.default",
            ":accesstokens",
        ),
    );
    assert!(
        index_ttl >= at_ttl - 1000,
        "the index outlives its tokens: {index_ttl} ms"
    );
    let ninety_days = 90 * 24 * 3_600_000;
    let rt_ttl = pttl(&server, USER_RT_KEY);
    assert!(
        (ninety_days - 5_000..=ninety_days).contains(&rt_ttl),
        "refresh token: {rt_ttl} ms"
    );

    // a token that is already expired when saved is not stored at all
    let late = RedisServer::start();
    let app = app_result(&microsoft(CUSTOMER), "app-at", NOW);
    shared(&late).save_at(&app, &[], None, at(NOW + 4_000)).unwrap();
    assert!(
        stored_keys(&late).iter().all(|k| !k.contains(":accesstoken")),
        "{:?}",
        stored_keys(&late)
    );
}

#[test]
fn secrets_are_sealed_with_the_key_and_an_entry_it_does_not_open_is_skipped() {
    let server = RedisServer::start();
    fill(&shared_with(&server, sealed_with(7)));
    for key in stored_keys(&server) {
        let raw: String = ::redis::cmd("GET")
            .arg(&key)
            .query(&mut server.connection())
            .unwrap_or_default();
        assert!(
            !raw.contains("user-rt") && !raw.contains("user-at") && !raw.contains("app-at"),
            "{key}: {raw}"
        );
    }
    let sealed = stored(&server, USER_RT_KEY)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sealed.starts_with("msconnect-aes256gcm:"), "{sealed}");
    assert_eq!(
        stored(&server, USER_RT_KEY)["home_account_id"],
        home(),
        "only the secret is sealed"
    );

    let same = shared_with(&server, sealed_with(7));
    assert_eq!(
        same.find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .unwrap()
            .secret(),
        "user-rt"
    );
    assert_eq!(
        same.find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "app-at"
    );

    // an entry the key does not open is skipped with a warning naming it (issue 18: it used to stop
    // every worker with an error), so the token is renewed and written over it
    let warnings = Warnings::capture();
    let wrong = shared_with(&server, sealed_with(8))
        .find_refresh_token(ENV, &client(), &home())
        .unwrap();
    assert!(wrong.is_none());
    insta::assert_snapshot!(without_port(&warnings.text(), &server), @" WARN msconnect::cache: skipping msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:refreshtoken:04b07795-8ddb-461a-bbee-02f9e1bf7b46 in the token cache redis://127.0.0.1:PORT: MSCONNECT_CACHE_KEY does not decrypt it (it was altered, copied from another key, or sealed with another MSCONNECT_CACHE_KEY); a new token will replace it");
    assert!(
        !warnings.text().contains(&sealed),
        "the warning holds the sealed value"
    );
    // no key, its setting named as the command line names it
    let unsealed = RedisOptions {
        key: None,
        ..sealed_with(0)
    };
    let none = shared_with(&server, unsealed)
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap_err();
    insta::assert_snapshot!(without_port(&none.to_string(), &server), @"invalid value for MSCONNECT_CACHE_KEY: the token cache redis://127.0.0.1:PORT holds encrypted tokens: set it to the key they were written with");

    // with a key, entries in clear (which anyone with write access could have planted) are not served
    let plain = RedisServer::start();
    fill(&shared(&plain));
    let warnings = Warnings::capture();
    assert!(
        shared_with(&plain, sealed_with(7))
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none()
    );
    assert!(
        warnings
            .text()
            .contains("it is not encrypted, and MSCONNECT_CACHE_KEY is set"),
        "{}",
        warnings.text()
    );
}

#[test]
fn the_refresh_lock_is_released_by_its_owner_only() {
    let server = RedisServer::start();
    let worker = shared(&server);
    let other = shared(&server);
    let query = app_query(CUSTOMER);
    let RefreshLock::Held(lease) = worker.try_refresh_lock(&query).unwrap() else {
        panic!("the first worker takes the lock")
    };
    let lock_key = "msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:lock:https://graph.microsoft.com/.default";
    let owner: String = ::redis::cmd("GET")
        .arg(lock_key)
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(owner.len(), 32, "a random owner: {owner}");
    let ttl = pttl(&server, lock_key);
    assert!((14_000..=15_000).contains(&ttl), "SET NX PX 15000: {ttl} ms");
    match other.try_refresh_lock(&query).unwrap() {
        RefreshLock::Busy { poll, ttl } => {
            assert_eq!((poll, ttl), (Duration::from_millis(50), Duration::from_secs(15)));
        }
        _ => panic!("a second worker finds the lock busy"),
    }
    let store = other.inner.backend.store().cloned().unwrap();
    assert!(
        !store.unlock(lock_key, "someone-else").unwrap(),
        "a stranger cannot release it"
    );
    assert!(pttl(&server, lock_key) > 0);
    drop(lease);
    assert_eq!(pttl(&server, lock_key), -2, "its owner released it");

    // a lease whose lock expired and was taken by another worker leaves that worker's lock alone
    let RefreshLock::Held(late) = worker.try_refresh_lock(&query).unwrap() else {
        panic!("free again")
    };
    ::redis::cmd("SET")
        .arg(lock_key)
        .arg("next-owner")
        .query::<()>(&mut server.connection())
        .unwrap();
    drop(late);
    let holder: String = ::redis::cmd("GET")
        .arg(lock_key)
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(holder, "next-owner");
}

#[test]
fn a_held_lock_is_extended_until_its_owner_lets_go() {
    let server = RedisServer::start();
    let short = || RedisOptions {
        lock_ttl: Duration::from_millis(1500),
        ..RedisOptions::default()
    };
    let worker = shared_with(&server, short());
    let other = shared_with(&server, short());
    let query = app_query(CUSTOMER);
    let RefreshLock::Held(lease) = worker.try_refresh_lock(&query).unwrap() else {
        panic!("the first worker takes the lock")
    };
    let lock_key = worker.inner.backend.store().unwrap().lock_key(&query);

    // a renewal taking more than three times the lock's time to live: it is still held
    std::thread::sleep(Duration::from_millis(4000));
    assert!(
        matches!(other.try_refresh_lock(&query).unwrap(), RefreshLock::Busy { .. }),
        "the lock expired while its owner was still renewing"
    );
    assert!(pttl(&server, &lock_key) > 0);

    drop(lease);
    assert_eq!(pttl(&server, &lock_key), -2, "released by its owner");
    // nothing extends a released lock: the next owner's lock lives its own time to live
    let RefreshLock::Held(_next) = other.try_refresh_lock(&query).unwrap() else {
        panic!("free again")
    };
}

fn mock_authority_env(server: &mockito::Server) -> Authority {
    Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse(CUSTOMER).unwrap(),
    )
    .unwrap()
}

fn secret() -> ClientCredential {
    ClientCredential::Secret(ClientSecret::new("app-secret"))
}

#[tokio::test]
async fn a_dead_holder_delays_a_worker_by_at_most_the_locks_time_to_live() {
    let redis_server = RedisServer::start();
    let mut server = mockito::Server::new_async().await;
    let token = server
        .mock("POST", format!("/{CUSTOMER}/oauth2/v2.0/token").as_str())
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("scope".into(), GRAPH.into()),
        ]))
        .with_body(crate::testing::app_token_response("fresh-app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let authority = mock_authority_env(&server);
    let cache = shared(&redis_server);
    // a worker took the lock and died: nobody will release it
    let query = TokenQuery {
        environment: authority.environment(),
        ..app_query(CUSTOMER)
    };
    let lock_key = cache.inner.backend.store().unwrap().lock_key(&query);
    ::redis::cmd("SET")
        .arg(&lock_key)
        .arg("dead-worker")
        .arg("PX")
        .arg(600_000)
        .query::<()>(&mut redis_server.connection())
        .unwrap();

    let (http, timer) = crate::testing::http_client();
    let credential = secret();
    let id = client();
    let result = SilentRequest::new(&cache, &authority, &id)
        .scopes([GRAPH])
        .credential(Some(&credential))
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "fresh-app-token");
    let waited: Duration = timer.sleeps().iter().sum();
    assert_eq!(
        waited,
        Duration::from_millis(15_050),
        "the lock's 15 s and one poll, then on without it"
    );
    assert!(timer.sleeps().iter().all(|s| *s == Duration::from_millis(50)));
    token.assert_async().await;
    // the token is in Redis for everyone
    assert!(
        shared(&redis_server)
            .find_access_token(&query, at(NOW))
            .unwrap()
            .is_some()
    );
}

/// A fake clock that, on its first sleep, runs what another worker does meanwhile.
struct Meanwhile {
    clock: FakeTimer,
    action: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Timer for Meanwhile {
    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        if let Some(action) = self.action.lock().unwrap().take() {
            action();
        }
        self.clock.sleep(duration)
    }
}

/// A waiter's silent request for the app token of `authority`, while `holder` holds its lock: on the
/// waiter's first sleep, the holder saves `holders-token` and lets go. The waiter's result and clock.
async fn served_while_waiting(
    holder: TokenCache,
    lease: Lease,
    waiter: &TokenCache,
    authority: &Authority,
) -> (TokenResult, FakeTimer) {
    let holders_token = app_result(authority, "holders-token", NOW);
    // the holder presents the same secret, so its token carries that secret's fingerprint (issue 14)
    let fingerprint = crate::session::AppCredential::of(&secret(), &client()).fingerprint();
    let clock = FakeTimer::at_epoch(NOW);
    let timer = Meanwhile {
        clock: clock.clone(),
        action: std::sync::Mutex::new(Some(Box::new(move || {
            holder
                .save_with_credential(&holders_token, &[], None, fingerprint.as_deref(), at(NOW))
                .unwrap();
            drop(lease);
        }))),
    };
    let http = crate::http::HttpClient::new(HttpOptions {
        timer: std::sync::Arc::new(timer),
        ..http_options(crate::env::EnvVars::default()).0
    })
    .unwrap();
    let credential = secret();
    let id = client();
    let result = SilentRequest::new(waiter, authority, &id)
        .scopes([GRAPH])
        .credential(Some(&credential))
        .send(&http)
        .await
        .unwrap();
    (result, clock)
}

#[tokio::test]
async fn a_waiting_worker_is_served_the_holders_token_without_a_request() {
    let redis_server = RedisServer::start();
    let mut server = mockito::Server::new_async().await;
    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let authority = mock_authority_env(&server);
    let query = TokenQuery {
        environment: authority.environment(),
        ..app_query(CUSTOMER)
    };
    let holder = shared(&redis_server);
    let RefreshLock::Held(lease) = holder.try_refresh_lock(&query).unwrap() else {
        panic!("the holder takes the lock")
    };
    let (result, clock) = served_while_waiting(holder, lease, &shared(&redis_server), &authority).await;
    assert_eq!(result.access_token.secret(), "holders-token");
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(50)]);
    never.assert_async().await;
}

/// Another process's handle on a cache file: its own open files, so its locks are another's to ours.
fn file_cache(dir: &tempfile::TempDir) -> TokenCache {
    TokenCache::open(dir.path().join("cache.json"))
}

fn token_locks(dir: &tempfile::TempDir) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.path().join("cache.json.locks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}

#[tokio::test]
async fn a_worker_waiting_on_a_cache_files_token_lock_is_served_the_holders_token() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let mut server = mockito::Server::new_async().await;
    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let authority = mock_authority_env(&server);
    let query = TokenQuery {
        environment: authority.environment(),
        ..app_query(CUSTOMER)
    };
    let holder = file_cache(&dir);
    let RefreshLock::Held(lease) = holder.try_refresh_lock(&query).unwrap() else {
        panic!("the holder takes the token's lock")
    };
    let locks = token_locks(&dir);
    assert_eq!(locks.len(), 1, "one lock file, for this token: {locks:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&locks[0]), 0o600);
    assert_eq!(mode(&dir.path().join("cache.json.locks")), 0o700);
    // only this token is locked: another tenant's is free
    let other_tenant = TokenQuery {
        environment: authority.environment(),
        ..app_query(HOME_TENANT)
    };
    assert!(matches!(
        file_cache(&dir).try_refresh_lock(&other_tenant).unwrap(),
        RefreshLock::Held(_)
    ));

    let (result, clock) = served_while_waiting(holder, lease, &file_cache(&dir), &authority).await;
    assert_eq!(result.access_token.secret(), "holders-token");
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(10)]);
    never.assert_async().await;
    assert_eq!(
        token_locks(&dir),
        Vec::<std::path::PathBuf>::new(),
        "removed by its holder"
    );
}

#[tokio::test]
async fn a_live_holder_of_a_cache_files_token_lock_is_waited_for_at_most_the_lock_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = mockito::Server::new_async().await;
    let token = server
        .mock("POST", format!("/{CUSTOMER}/oauth2/v2.0/token").as_str())
        .with_body(crate::testing::app_token_response("waiters-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let authority = mock_authority_env(&server);
    let query = TokenQuery {
        environment: authority.environment(),
        ..app_query(CUSTOMER)
    };
    // a holder whose request hangs: it never saves a token nor lets go
    let RefreshLock::Held(_hung) = file_cache(&dir).try_refresh_lock(&query).unwrap() else {
        panic!("the holder takes the token's lock")
    };
    let (http, timer) = crate::testing::http_client();
    let credential = secret();
    let id = client();
    let waiter = TokenCache::open(dir.path().join("cache.json")).with_lock_wait(Duration::from_secs(2));
    let result = SilentRequest::new(&waiter, &authority, &id)
        .scopes([GRAPH])
        .credential(Some(&credential))
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "waiters-token");
    let waited: Duration = timer.sleeps().iter().sum();
    assert_eq!(
        waited,
        Duration::from_millis(2_010),
        "the lock wait and one poll, then on without it"
    );
    token.assert_async().await;
}

#[tokio::test]
async fn a_second_worker_connecting_as_the_same_app_is_served_the_first_ones_token() {
    let redis_server = RedisServer::start();
    let mut server = mockito::Server::new_async().await;
    let token = server
        .mock("POST", format!("/{CUSTOMER}/oauth2/v2.0/token").as_str())
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("client_secret".into(), "app-secret".into()),
        ]))
        .with_body(crate::testing::app_token_response("the-app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let request = SignInRequest {
        environment: environment_at(Cloud::AzureCloud, &server.url()),
        tenant: Tenant::parse(CUSTOMER).unwrap(),
        client_id: client(),
        scopes: vec![GRAPH.into()],
        method: SignInMethod::Application(secret()),
        client_capabilities: Vec::new(),
        claims: None,
    };
    for worker in ["first", "second"] {
        let session = Session::new(SessionOptions {
            http: http_options(crate::env::EnvVars::default()).0,
            cache: shared(&redis_server),
            ..SessionOptions::default()
        });
        let result = session.sign_in(&request).await.unwrap();
        assert_eq!(result.access_token.secret(), "the-app-token", "{worker} worker");
        assert_eq!(result.tenant_id, CUSTOMER);
    }
    token.assert_async().await;
}

#[test]
fn removing_an_account_or_an_apps_tokens_deletes_their_keys() {
    let server = RedisServer::start();
    let cache = shared(&server);
    fill(&cache);
    cache.remove_account(ENV, &home()).unwrap();
    insta::assert_snapshot!(stored_keys(&server).join("\n"), @r"
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:accesstokens
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:accesstoken:https://graph.microsoft.com/.default
    msconnect:login.microsoftonline.com:04b07795-8ddb-461a-bbee-02f9e1bf7b46:cccccccc-0000-0000-0000-00000000000c:app:accesstokens
    msconnect:login.microsoftonline.com:appmetadata:04b07795-8ddb-461a-bbee-02f9e1bf7b46
    ");
    assert!(
        cache
            .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
            .unwrap()
            .is_none()
    );
    assert!(cache.accounts().unwrap().is_empty());
    cache.remove_app_tokens(ENV, &client(), CUSTOMER).unwrap();
    assert!(
        cache
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none()
    );
    // the stale member of the user's index went on the search above
    insta::assert_snapshot!(stored_keys(&server).join("\n"), @"msconnect:login.microsoftonline.com:appmetadata:04b07795-8ddb-461a-bbee-02f9e1bf7b46");
}

#[test]
fn a_refused_refresh_token_is_removed_only_while_it_is_the_one_stored() {
    let server = RedisServer::start();
    let cache = shared(&server);
    fill(&cache);
    cache
        .remove_refresh_token(ENV, &client(), &home(), &RefreshToken::new("an-older-one"))
        .unwrap();
    assert_eq!(
        cache
            .find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .unwrap()
            .secret(),
        "user-rt"
    );
    cache
        .remove_refresh_token(ENV, &client(), &home(), &RefreshToken::new("user-rt"))
        .unwrap();
    assert!(
        cache
            .find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_unreachable_redis_is_an_error_naming_the_url_without_its_password_at_once() {
    let mut server = RedisServer::with_password("hunter2-pass");
    let cache = shared(&server);
    fill(&cache);
    server.stop();
    let started = Instant::now();
    let error = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no hang: {:?}",
        started.elapsed()
    );
    assert!(matches!(
        error,
        Error::CacheServer {
            unreachable: true,
            ..
        }
    ));
    let shown = without_port(&error.to_string(), &server);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.starts_with("token cache redis://127.0.0.1:PORT: unreachable ("),
        "{shown}"
    );
    // and so is every later use, each as quickly
    let error = cache
        .save_at(&app_result(&microsoft(CUSTOMER), "x", NOW), &[], None, at(NOW))
        .unwrap_err();
    assert!(
        without_port(&error.to_string(), &server)
            .starts_with("token cache redis://127.0.0.1:PORT: unreachable (")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn with_the_file_fallback_an_unreachable_redis_gives_way_to_the_file_with_one_warning() {
    let mut server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msal_token_cache.json");
    let cache = shared_with(
        &server,
        RedisOptions {
            fallback: Some(file.clone()),
            names: RedisSettingNames {
                fallback: "MSCONNECT_CACHE_FALLBACK".into(),
                ..RedisSettingNames::default()
            },
            ..RedisOptions::default()
        },
    );
    fill(&cache);
    assert!(!file.exists(), "Redis is up: the file is not used");
    server.stop();
    let warnings = Warnings::capture();
    assert!(
        cache
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none(),
        "the file has no token yet"
    );
    cache
        .save_at(
            &app_result(&microsoft(CUSTOMER), "kept-locally", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let found = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "kept-locally");
    assert_eq!(file_json(&file)["AccessToken"].as_object().unwrap().len(), 1);
    let text = without_port(&warnings.text(), &server);
    assert_eq!(text.matches("WARN").count(), 1, "{text}");
    assert!(
        text.contains("token cache redis://127.0.0.1:PORT: unreachable ("),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "; using the local token cache {} instead (MSCONNECT_CACHE_FALLBACK=file)",
            file.display()
        )),
        "{text}"
    );
}

#[test]
fn an_entry_with_an_impossible_expiry_is_expired_or_clamped_not_a_crash_of_every_worker() {
    // issue 18: an `expires_on` of i64::MIN in Redis made every worker panic on a subtract overflow
    let server = RedisServer::start();
    let cache = shared(&server);
    fill(&cache);
    for (expires_on, served) in [
        (i64::MIN.to_string(), None),
        (i64::MAX.to_string(), Some(crate::time::MAX_EPOCH_SECONDS)),
    ] {
        let mut entry = stored(&server, APP_AT_KEY);
        entry["expires_on"] = Value::from(expires_on.clone());
        let _: () = ::redis::cmd("SET")
            .arg(APP_AT_KEY)
            .arg(entry.to_string())
            .arg("KEEPTTL")
            .query(&mut server.connection())
            .unwrap();
        let found = cache.find_access_token(&app_query(CUSTOMER), at(NOW)).unwrap();
        assert_eq!(found.map(|t| t.expires_on), served, "expires_on {expires_on}");
    }
}

/// Issue 14 on a shared cache: disconnecting one module forgets what its client acquired for the account
/// (access, ID and refresh tokens) and keeps what another module's connection of the same account uses;
/// the last connection of the account forgets the account.
#[test]
fn a_disconnect_forgets_its_clients_tokens_and_keeps_another_connections() {
    let server = RedisServer::start();
    let cache = shared(&server);
    fill(&cache);
    let graph_powershell = ClientId::parse("14d82eec-204b-4c2f-b7e8-296a70dab67e").unwrap();
    let mut json = crate::testing::user_token_response(
        "entra-at",
        "entra-rt",
        OID,
        HOME_TENANT,
        "admin@contoso.com",
        GRAPH,
    );
    json["client_info"] = crate::testing::client_info(OID, HOME_TENANT).into();
    let entra =
        TokenResult::from_response(&json, &microsoft(HOME_TENANT), &graph_powershell, &[], at(NOW)).unwrap();
    cache
        .save_at(&entra, &[GRAPH.into()], Some("device_code"), at(NOW))
        .unwrap();

    cache
        .remove_connection_tokens(
            ENV,
            &home(),
            &client(),
            std::slice::from_ref(&graph_powershell),
            true,
        )
        .unwrap();
    let keys = stored_keys(&server);
    let user_keys: Vec<&String> = keys
        .iter()
        .filter(|k| k.contains(&home()) && !k.ends_with(":accesstokens"))
        .collect();
    insta::assert_snapshot!(user_keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("\n"), @r"
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:account:aaaaaaaa-0000-0000-0000-00000000000a
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:keys
    msconnect:login.microsoftonline.com:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:refreshtoken:14d82eec-204b-4c2f-b7e8-296a70dab67e
    msconnect:login.microsoftonline.com:14d82eec-204b-4c2f-b7e8-296a70dab67e:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:accesstoken:https://graph.microsoft.com/.default
    msconnect:login.microsoftonline.com:14d82eec-204b-4c2f-b7e8-296a70dab67e:aaaaaaaa-0000-0000-0000-00000000000a:11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a:idtoken
    ");
    assert!(
        cache
            .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
            .unwrap()
            .is_none(),
        "the disconnected client's token is gone"
    );
    let kept = TokenQuery {
        client_id: graph_powershell.clone(),
        ..user_query(HOME_TENANT, &[GRAPH])
    };
    assert_eq!(
        cache
            .find_access_token(&kept, at(NOW))
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "entra-at"
    );
    assert_eq!(
        cache.accounts().unwrap().len(),
        1,
        "the account stays while a connection uses it"
    );

    cache
        .remove_connection_tokens(ENV, &home(), &graph_powershell, &[], false)
        .unwrap();
    assert!(cache.find_access_token(&kept, at(NOW)).unwrap().is_none());
    assert!(cache.accounts().unwrap().is_empty());
}
