//! msconnect's cache variables mapped onto auth-core's token cache: the file under the home, or Redis
//! with its password, key, fallback and lock, and errors naming the variable at fault (moved here from
//! auth-core's cache tests with the code).

use std::time::{Duration, SystemTime};

use auth_core::EnvVars;
use auth_core::{ClientId, Error, TokenCache, TokenQuery};
use test_support::{
    LARGE_CACHE_CLIENT_ID, LARGE_CACHE_SCOPE, LARGE_CACHE_TENANT, RedisServer, large_cache_sign_in,
};

use super::{redis_options, token_cache};

const NOW: i64 = 1_700_000_000;

fn at(seconds: i64) -> SystemTime {
    auth_core::from_epoch_seconds(seconds)
}

/// A user signed in, as `connect` leaves them.
fn fill(cache: &TokenCache) {
    cache
        .save_at(
            &large_cache_sign_in(0, NOW),
            &[LARGE_CACHE_SCOPE.into()],
            Some("authorization_code"),
            at(NOW),
        )
        .unwrap();
}

fn query(cache: &TokenCache) -> TokenQuery {
    let account = &cache.accounts().unwrap()[0];
    TokenQuery {
        environment: "login.microsoftonline.com".into(),
        client_id: ClientId::parse(LARGE_CACHE_CLIENT_ID).unwrap(),
        realm: Some(LARGE_CACHE_TENANT.into()),
        home_account_id: Some(account.home_account_id.clone()),
        scopes: vec![LARGE_CACHE_SCOPE.into()],
    }
}

/// The secret of the access token stored in Redis (in clear: no key is set).
fn stored_access_token(server: &RedisServer) -> String {
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("*:accesstoken:*")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let raw: String = ::redis::cmd("GET")
        .arg(&keys[0])
        .query(&mut server.connection())
        .unwrap();
    let entry: serde_json::Value = serde_json::from_str(&raw).unwrap();
    entry["secret"].as_str().unwrap().to_owned()
}

#[test]
fn the_environment_chooses_redis_and_its_options() {
    let server = RedisServer::with_password("env-pass");
    let dir = tempfile::tempdir().unwrap();
    let env = |pairs: &[(&str, &str)]| token_cache(&EnvVars::from_pairs(pairs.iter().copied()), dir.path());
    let file = env(&[]).unwrap();
    assert_eq!(
        file.path(),
        Some(dir.path().join("msal_token_cache.json").as_path())
    );
    assert_eq!(file.url(), None);

    let url = server.url();
    let cache = env(&[
        ("MSCONNECT_CACHE_URL", &url),
        ("MSCONNECT_CACHE_PASSWORD", "env-pass"),
    ])
    .unwrap();
    assert_eq!(cache.url(), Some(url.as_str()));
    assert_eq!(cache.path(), None);
    fill(&cache);
    let stored = large_cache_sign_in(0, NOW).access_token;
    assert_eq!(
        stored_access_token(&server),
        stored.secret(),
        "the password from the environment let it in"
    );

    let in_url = env(&[("MSCONNECT_CACHE_URL", &server.url_with_password())]).unwrap();
    assert!(!format!("{in_url:?}").contains("env-pass"), "{in_url:?}");
    assert!(
        in_url
            .find_access_token(&query(&in_url), at(NOW))
            .unwrap()
            .is_some()
    );

    let wrong = env(&[
        ("MSCONNECT_CACHE_URL", &url),
        ("MSCONNECT_CACHE_PASSWORD", "not-it"),
    ])
    .unwrap();
    let error = wrong.find_access_token(&query(&in_url), at(NOW)).unwrap_err();
    assert!(
        matches!(
            error,
            Error::CacheServer {
                unreachable: false,
                ..
            }
        ),
        "a refused password is no outage: {error}"
    );
    assert!(!error.to_string().contains("not-it"));

    let refused = |pairs: &[(&str, &str)]| env(pairs).unwrap_err().to_string();
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", "https://:pw@cache.example")]), @"invalid value for MSCONNECT_CACHE_URL: 'https://cache.example/' is not a Redis URL: it must start with redis:// or rediss:// (TLS)");
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", "cache.example:6379")]), @"invalid value for MSCONNECT_CACHE_URL: 'cache.example:6379' is not a Redis URL: it must start with redis:// or rediss:// (TLS)");
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", "redis://:pw@cache.example/x")]), @"invalid value for MSCONNECT_CACHE_URL: 'redis://cache.example/x': Invalid database number - InvalidClientConfig");
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", &url), ("MSCONNECT_CACHE_FALLBACK", "memory")]), @"invalid value for MSCONNECT_CACHE_FALLBACK: 'memory' is not a fallback: the only one is `file`");
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", &url), ("MSCONNECT_CACHE_LOCK_SECONDS", "soon")]), @"invalid value for MSCONNECT_CACHE_LOCK_SECONDS: 'soon' is not a number of seconds between 0.1 and 3600");
    insta::assert_snapshot!(refused(&[("MSCONNECT_CACHE_URL", &url), ("MSCONNECT_CACHE_KEY", "dG9vIHNob3J0")]), @"invalid value for MSCONNECT_CACHE_KEY: it holds 9 bytes, an AES-256 key has 32: give 32 random bytes in base64 (`openssl rand -base64 32`)");

    let options = redis_options(
        &EnvVars::from_pairs([
            ("MSCONNECT_CACHE_FALLBACK", "file"),
            ("MSCONNECT_CACHE_LOCK_SECONDS", "2.5"),
        ]),
        dir.path(),
    )
    .unwrap();
    assert_eq!(options.fallback, Some(dir.path().join("msal_token_cache.json")));
    assert_eq!(options.lock_ttl, Duration::from_millis(2_500));
    // messages of the cache name the variables too (an unreadable entry, the fallback)
    assert_eq!(options.names.key, "MSCONNECT_CACHE_KEY");
    assert_eq!(options.names.fallback, "MSCONNECT_CACHE_FALLBACK");
}
