//! The token cache against MSAL Python (PyPI `msal`, installed by `cargo xtask test`): we read the
//! accounts and tokens of a cache MSAL Python wrote, and MSAL Python's own applications serve our tokens
//! from our file without a single token request.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use auth_core::{
    Authority, ClientId, HttpClient, SilentRequest, Tenant, TokenCache, TokenQuery, TokenResult,
};
use serde_json::{Value, json};
use test_support::{app_token_response, client_info, jwt, user_token_response};

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const TENANT: &str = "aaaaaaaa-0000-0000-0000-00000000000a";
const UID: &str = "11111111-0000-0000-0000-000000000001";
const USER_READ: &str = "https://graph.microsoft.com/User.Read";
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
const HOST: &str = "login.microsoftonline.com";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Python of the test peers' virtual environment.
fn python() -> PathBuf {
    let peers = std::env::var_os("MSCONNECT_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/peers"));
    let python = if cfg!(windows) {
        peers.join("venv/Scripts/python.exe")
    } else {
        peers.join("venv/bin/python")
    };
    assert!(
        python.exists(),
        "MSAL Python is not installed ({} is missing): run `cargo xtask test`, which installs the test peers",
        python.display()
    );
    python
}

/// Runs the MSAL Python side and returns what it printed.
fn msal_python(command: &str, cache: &Path, spec: &Value) -> Value {
    let output = Command::new(python())
        .arg(root().join("tests/peers/msal/cache_peer.py"))
        .arg(command)
        .arg(cache)
        .arg(spec.to_string())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "MSAL Python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn home() -> String {
    format!("{UID}.{TENANT}")
}

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

fn authority() -> Authority {
    Authority::from_host(HOST, &Tenant::parse(TENANT).unwrap()).unwrap()
}

fn spec() -> Value {
    json!({
        "client_id": CLIENT,
        "tenant": TENANT,
        "user": {
            "scopes": [USER_READ], "access_token": "python-user-at", "refresh_token": "python-user-rt",
            "uid": UID, "utid": TENANT, "username": "python@contoso.com",
        },
        "app": {"scopes": [GRAPH_DEFAULT], "access_token": "python-app-at"},
        "scopes": [USER_READ],
        "app_scopes": [GRAPH_DEFAULT],
    })
}

#[tokio::test]
async fn we_read_the_accounts_and_tokens_of_a_cache_msal_python_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    msal_python("write", &path, &spec());
    let cache = TokenCache::open(&path);

    let accounts = cache.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].home_account_id, home());
    assert_eq!(accounts[0].username, "python@contoso.com");
    assert_eq!(accounts[0].realm, TENANT);
    let now = SystemTime::now();
    let user = TokenQuery {
        environment: HOST.into(),
        client_id: client(),
        realm: Some(TENANT.into()),
        home_account_id: Some(home()),
        scopes: vec![USER_READ.into()],
    };
    let found = cache.find_access_token(&user, now).unwrap().unwrap();
    assert_eq!(found.access_token.secret(), "python-user-at");
    let rt = cache
        .find_refresh_token(HOST, &client(), &home())
        .unwrap()
        .unwrap();
    assert_eq!(rt.secret(), "python-user-rt");
    let app = TokenQuery {
        home_account_id: None,
        scopes: vec![GRAPH_DEFAULT.into()],
        ..user.clone()
    };
    assert_eq!(
        cache
            .find_access_token(&app, now)
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "python-app-at"
    );

    // Silent sign-in serves it with no request: a request would go to the real authority, which this
    // test cannot reach, and fail.
    let http = HttpClient::new(Default::default()).unwrap();
    let a = authority();
    let id = client();
    let home = home();
    let result = SilentRequest::new(&cache, &a, &id)
        .account(Some(&home))
        .scopes([USER_READ])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "python-user-at");

    // We add a token for another tenant; MSAL Python still finds its own entries in the rewritten file.
    let customer = Authority::from_host(
        HOST,
        &Tenant::parse("cccccccc-0000-0000-0000-00000000000c").unwrap(),
    )
    .unwrap();
    let mut response = user_token_response(
        "our-customer-at",
        "python-user-rt",
        UID,
        "cccccccc-0000-0000-0000-00000000000c",
        "python@contoso.com",
        USER_READ,
    );
    response["client_info"] = client_info(UID, TENANT).into();
    let ours = TokenResult::from_response(&response, &customer, &client(), &[], SystemTime::now()).unwrap();
    cache.save(&ours, &[USER_READ.into()]).unwrap();
    let read = msal_python("read", &path, &spec());
    assert_eq!(read["user"]["access_token"], "python-user-at", "{read:#}");
    assert_eq!(read["app"]["access_token"], "python-app-at", "{read:#}");
}

#[test]
fn msal_python_serves_our_tokens_from_our_file_without_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let cache = TokenCache::open(&path);
    let now = SystemTime::now();
    let mut response = user_token_response(
        "our-user-at",
        "our-rt",
        UID,
        TENANT,
        "ours@contoso.com",
        &format!("{USER_READ} openid profile offline_access"),
    );
    response["access_token"] = jwt(&json!({"tid": TENANT, "oid": UID, "scp": "User.Read"})).into();
    let user = TokenResult::from_response(&response, &authority(), &client(), &[], now).unwrap();
    cache.save(&user, &[USER_READ.into()]).unwrap();
    let app = TokenResult::from_response(
        &app_token_response("our-app-at"),
        &authority(),
        &client(),
        &[GRAPH_DEFAULT.into()],
        now,
    )
    .unwrap();
    cache.save(&app, &[GRAPH_DEFAULT.into()]).unwrap();

    let read = msal_python("read", &path, &spec());
    assert_eq!(
        read["accounts"],
        json!([{
            "environment": HOST, "home_account_id": home(), "local_account_id": UID, "realm": TENANT,
            "username": "ours@contoso.com",
        }])
    );
    assert_eq!(
        read["user"],
        json!({
            "access_token": user.access_token.secret(), "token_type": "Bearer", "token_source": "cache",
            "error": null,
        })
    );
    assert_eq!(
        read["app"],
        json!({"access_token": "our-app-at", "token_type": "Bearer", "token_source": "cache", "error": null})
    );
}
