//! 1,000 concurrent silent requests in one process for the same expired token, against a local mock that
//! takes as long as the real token endpoint: how many requests reach the server (the goal is one) and how
//! long the last caller waits. Prints one JSON line per cache kind (memory, file), which `cargo xtask
//! bench` puts in BENCHMARKS.md.
#![allow(clippy::print_stdout)] // a benchmark's report is its output

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth_core::from_epoch_seconds;
use auth_core::{Authority, ClientId, SilentRequest, Tenant, TokenCache, Url};
use test_support::{
    LARGE_CACHE_CLIENT_ID, LARGE_CACHE_SCOPE, LARGE_CACHE_TENANT, NOW, client_info, http_client,
    large_cache_sign_in, user_token_response,
};

const CALLERS: usize = 1_000;
/// About what the token endpoint takes to answer a refresh.
const SERVER_TIME: Duration = Duration::from_millis(100);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        for (kind, cache) in [
            ("memory", TokenCache::in_memory()),
            ("file", TokenCache::open(dir.path().join("msal_token_cache.json"))),
        ] {
            let report = run(cache).await;
            println!(
                "{}",
                serde_json::json!({
                    "cache": kind,
                    "callers": CALLERS,
                    "requests": report.requests,
                    "same_token": report.same_token,
                    "server_ms": SERVER_TIME.as_secs_f64() * 1e3,
                    "last_caller_ms": report.last.as_secs_f64() * 1e3,
                    "median_caller_ms": report.median.as_secs_f64() * 1e3,
                })
            );
        }
    });
}

struct Report {
    requests: usize,
    same_token: bool,
    last: Duration,
    median: Duration,
}

async fn run(cache: TokenCache) -> Report {
    let mut server = mockito::Server::new_async().await;
    let user = large_cache_sign_in(0, NOW - 3600);
    let oid = user.client_info.as_ref().unwrap().uid.clone();
    let mut body = user_token_response(
        "renewed-access-token",
        "rotated-refresh-token",
        &oid,
        LARGE_CACHE_TENANT,
        "user0@contoso.onmicrosoft.com",
        LARGE_CACHE_SCOPE,
    );
    body["client_info"] = client_info(&oid, LARGE_CACHE_TENANT).into();
    let body = body.to_string();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let mock = server
        .mock(
            "POST",
            format!("/{LARGE_CACHE_TENANT}/oauth2/v2.0/token").as_str(),
        )
        .with_header("content-type", "application/json")
        .with_body_from_request(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(SERVER_TIME);
            body.clone().into()
        })
        .create_async()
        .await;
    let tenant = Tenant::parse(LARGE_CACHE_TENANT).unwrap();
    let authority = Arc::new(Authority::new(&Url::parse(&server.url()).unwrap(), &tenant).unwrap());
    let client = Arc::new(ClientId::parse(LARGE_CACHE_CLIENT_ID).unwrap());
    // signed in an hour ago: the access token has expired, the refresh token is good
    let mut signed_in = user;
    signed_in.environment = authority.environment();
    cache
        .save_at(
            &signed_in,
            &[LARGE_CACHE_SCOPE.to_owned()],
            None,
            from_epoch_seconds(NOW - 3600),
        )
        .unwrap();
    let home: Arc<str> = signed_in.home_account_id().unwrap().into();
    let (http, _) = http_client();
    let start = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (cache, authority, client, home, http) = (
                cache.clone(),
                authority.clone(),
                client.clone(),
                home.clone(),
                http.clone(),
            );
            tokio::spawn(async move {
                let token = SilentRequest::new(&cache, &authority, &client)
                    .account(Some(&home))
                    .scopes([LARGE_CACHE_SCOPE])
                    .send(&http)
                    .await
                    .unwrap();
                (start.elapsed(), token.access_token.secret().to_owned())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(CALLERS);
    let mut same_token = true;
    for caller in callers {
        let (latency, token) = caller.await.unwrap();
        same_token &= token == "renewed-access-token";
        latencies.push(latency);
    }
    latencies.sort();
    mock.assert_async().await;
    Report {
        requests: requests.load(Ordering::SeqCst),
        same_token,
        last: latencies[CALLERS - 1],
        median: latencies[CALLERS / 2],
    }
}
