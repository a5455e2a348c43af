//! Criterion benchmarks of what a script pays for on every call: a cached token (from memory, from an
//! unchanged cache file, through a `Session` as the command line asks, and from a 1,000-account file),
//! a silent refresh against a local mock, client assertion signing (RS256 and PS256), and reading a
//! 1,000-account cache file. `cargo xtask bench` runs these and writes BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use auth_core::from_epoch_seconds;
use auth_core::{
    Authority, Certificate, CertificateCredential, ClientId, Cloud, Connection, EnvVars, Environment,
    SignedIn, SigningAlgorithm, SilentRequest, Tenant, TokenCache, TokenQuery, Url, UserMethod,
};
use criterion::{Criterion, criterion_group, criterion_main};
use test_support::{
    LARGE_CACHE_CLIENT_ID, LARGE_CACHE_HOST, LARGE_CACHE_SCOPE, LARGE_CACHE_TENANT, NOW,
    TEST_CERTIFICATE_PEM, TEST_KEY_PEM, client_info, http_client, large_cache, large_cache_sign_in,
    session_in, user_token_response,
};

/// How many accounts the large cache file holds.
const ACCOUNTS: usize = 1_000;

fn microsoft() -> Authority {
    Authority::from_host(LARGE_CACHE_HOST, &tenant()).unwrap()
}

fn tenant() -> Tenant {
    Tenant::parse(LARGE_CACHE_TENANT).unwrap()
}

fn client() -> ClientId {
    ClientId::parse(LARGE_CACHE_CLIENT_ID).unwrap()
}

fn scopes() -> Vec<String> {
    vec![LARGE_CACHE_SCOPE.to_owned()]
}

/// A cached token: the path of every call after the first.
fn cached_token(c: &mut Criterion) {
    let now = from_epoch_seconds(NOW);
    let authority = microsoft();
    let client = client();
    let user = large_cache_sign_in(0, NOW);
    let home = user.home_account_id().unwrap().to_owned();
    let mut group = c.benchmark_group("cached_token");

    let memory = TokenCache::in_memory();
    memory
        .save_at(&user, &scopes(), Some("authorization_code"), now)
        .unwrap();
    let request = SilentRequest::new(&memory, &authority, &client)
        .account(Some(&home))
        .scopes([LARGE_CACHE_SCOPE]);
    assert!(request.cached(now).unwrap().is_some());
    group.bench_function("memory", |b| b.iter(|| request.cached(black_box(now)).unwrap()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    TokenCache::open(&path)
        .save_at(&user, &scopes(), Some("authorization_code"), now)
        .unwrap();
    let file = TokenCache::open(&path);
    let request = SilentRequest::new(&file, &authority, &client)
        .account(Some(&home))
        .scopes([LARGE_CACHE_SCOPE]);
    assert!(request.cached(now).unwrap().is_some());
    group.bench_function("file_unchanged", |b| {
        b.iter(|| request.cached(black_box(now)).unwrap())
    });

    // what `msconnect <module> token` asks once its context is loaded
    let (session, _) = session_in(dir.path(), EnvVars::default());
    let connection = Connection::from_parts(
        Environment::from(Cloud::AzureCloud),
        Tenant::parse(LARGE_CACHE_TENANT).unwrap(),
        ClientId::parse(LARGE_CACHE_CLIENT_ID).unwrap(),
        scopes(),
        SignedIn::User {
            home_account_id: home.clone(),
            username: user.account.as_ref().map(|a| a.username.clone()),
            method: UserMethod::Browser,
        },
    );
    assert!(session.cached_token(&connection, &[]).unwrap().is_some());
    group.bench_function("session_file_unchanged", |b| {
        b.iter(|| session.cached_token(black_box(&connection), &[]).unwrap())
    });

    let large = dir.path().join("large.json");
    std::fs::write(&large, large_cache(ACCOUNTS, NOW)).unwrap();
    let file = TokenCache::open(&large);
    let last = large_cache_sign_in(ACCOUNTS - 1, NOW);
    let last_home = last.home_account_id().unwrap().to_owned();
    let request = SilentRequest::new(&file, &authority, &client)
        .account(Some(&last_home))
        .scopes([LARGE_CACHE_SCOPE]);
    assert!(request.cached(now).unwrap().is_some());
    group.bench_function("file_unchanged_1000_accounts", |b| {
        b.iter(|| request.cached(black_box(now)).unwrap())
    });
    group.finish();
}

/// Reading a cache file of 1,000 accounts: what the first call of a process pays.
fn cache_file(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    std::fs::write(&path, large_cache(ACCOUNTS, NOW)).unwrap();
    let last = large_cache_sign_in(ACCOUNTS - 1, NOW);
    let query = TokenQuery {
        environment: "login.microsoftonline.com".into(),
        client_id: client(),
        realm: Some(LARGE_CACHE_TENANT.into()),
        home_account_id: last.home_account_id().map(str::to_owned),
        scopes: scopes(),
    };
    let now = from_epoch_seconds(NOW);
    let mut group = c.benchmark_group("cache_file");
    group.sample_size(20);
    // the floor of any reader: the bytes into memory, checked to be UTF-8
    group.bench_function("read_1000_accounts", |b| {
        b.iter(|| String::from_utf8(std::fs::read(black_box(&path)).unwrap()).unwrap())
    });
    group.bench_function("parse_1000_accounts", |b| {
        b.iter(|| {
            TokenCache::open(black_box(&path))
                .find_access_token(&query, now)
                .unwrap()
                .unwrap()
        })
    });
    group.finish();
}

/// A silent refresh: the cached refresh token redeemed at a local mock, the answer saved in memory.
fn refresh(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut server = runtime.block_on(mockito::Server::new_async());
    let user = large_cache_sign_in(0, NOW);
    let oid = user.client_info.as_ref().unwrap().uid.clone();
    let mut body = user_token_response(
        user.access_token.secret(),
        "rotated-refresh-token",
        &oid,
        LARGE_CACHE_TENANT,
        "user0@contoso.onmicrosoft.com",
        LARGE_CACHE_SCOPE,
    );
    body["client_info"] = client_info(&oid, LARGE_CACHE_TENANT).into();
    let mock = runtime.block_on(
        server
            .mock(
                "POST",
                format!("/{LARGE_CACHE_TENANT}/oauth2/v2.0/token").as_str(),
            )
            .with_header("content-type", "application/json")
            .with_body(body.to_string())
            .expect_at_least(1)
            .create_async(),
    );
    let authority = Authority::new(&Url::parse(&server.url()).unwrap(), &tenant()).unwrap();
    let client = client();
    let mut signed_in = user.clone();
    signed_in.environment = authority.environment();
    let cache = TokenCache::in_memory();
    cache
        .save_at(&signed_in, &scopes(), None, from_epoch_seconds(NOW))
        .unwrap();
    let home = user.home_account_id().unwrap().to_owned();
    let (http, _) = http_client();
    let request = SilentRequest::new(&cache, &authority, &client)
        .account(Some(&home))
        .scopes([LARGE_CACHE_SCOPE])
        .force_refresh(true);
    c.benchmark_group("refresh").bench_function("mock_server", |b| {
        b.to_async(&runtime)
            .iter(|| async { request.clone().send(&http).await.unwrap() })
    });
    runtime.block_on(mock.assert_async());
}

/// Signing a client assertion with the TEST-ONLY 2048-bit RSA key, a fresh one each time.
fn assertion(c: &mut Criterion) {
    let certificate = Certificate::from_pem(TEST_CERTIFICATE_PEM, TEST_KEY_PEM, "bench").unwrap();
    let client = client();
    let audience = format!("{LARGE_CACHE_HOST}/{LARGE_CACHE_TENANT}/oauth2/v2.0/token");
    let now = from_epoch_seconds(NOW);
    let mut group = c.benchmark_group("assertion");
    for (name, algorithm) in [
        ("rs256", SigningAlgorithm::Rs256),
        ("ps256", SigningAlgorithm::Ps256),
    ] {
        let credential = CertificateCredential::new(certificate.clone())
            .algorithm(algorithm)
            .reuse_assertions(false);
        group.bench_function(name, |b| {
            b.iter(|| credential.sign(black_box(&audience), &client, now).unwrap())
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // Short runs: the numbers settle within a second on these paths, and the machine is shared.
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = cached_token, cache_file, refresh, assertion
}
criterion_main!(benches);
