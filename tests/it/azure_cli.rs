//! msconnect and the Azure CLI on one sign-in: MSAL Python with msal-extensions' PersistedTokenCache
//! (FilePersistence and its `.lockfile`, the persistence the Azure CLI uses on Linux) signs a user in
//! with the device code of a live authority (oidc-provider 8, over https) and writes `azureProfile.json`
//! as the CLI does; auth-core's `AzureCli` then adopts that sign-in with no interaction and no token
//! request, both tools renew the account's refresh token in turn (the provider rotates refresh tokens
//! and refuses a used one, so each renewal proves the tool read the other's), both write the file at once
//! under their own locks, and a logout by MSAL Python signs msconnect out of the account.
//!
//! After every step MSAL Python checks the file with MSAL's own `key_makers`: every key is MSAL's key for
//! its entry's fields, and each account and client has one refresh token, with its `family_id`.

use std::path::Path;
use std::process::{Command, Stdio};

use auth_core::DiscoveryDocument;
use auth_core::{
    Authority, ClientId, EnvVars, Error, HttpClient, HttpOptions, SilentRequest, TokenCache, TokenResult,
};
use auth_core::{AzureCli, FromAzureCli};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::device_code::drive_device_code;
use crate::support::peers::{
    GRAPH_ENDPOINT, OidcProvider, PUBLIC_CLIENT_ID, TENANT_ID, TestTls, msal_python, peer_sources,
};

struct AzureCliPeer {
    provider: OidcProvider,
    tls: TestTls,
    _tls_dir: TempDir,
    folder: TempDir,
}

impl AzureCliPeer {
    fn start() -> Self {
        let tls_dir = tempfile::tempdir().unwrap();
        let (tls, provider) = OidcProvider::start_https(tls_dir.path());
        Self {
            provider,
            tls,
            _tls_dir: tls_dir,
            folder: tempfile::tempdir().unwrap(),
        }
    }

    fn spec(&self, extra: Value) -> String {
        let mut spec = json!({
            "client_id": PUBLIC_CLIENT_ID,
            "authority": self.provider.issuer().as_str(),
            "tenant": TENANT_ID,
            "scopes": [graph()],
        });
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec.to_string()
    }

    fn command(&self, command: &str, extra: Value) -> Command {
        let mut python = Command::new(msal_python());
        python
            .arg(peer_sources().join("msal").join("azure_cli_peer.py"))
            .args([command, self.folder.path().to_str().unwrap(), &self.spec(extra)])
            .env("REQUESTS_CA_BUNDLE", &self.tls.ca_cert);
        python
    }

    /// `azure_cli_peer.py <command>`, which must succeed; its JSON answer.
    fn python(&self, command: &str, extra: Value) -> Value {
        let output = self.command(command, extra).output().unwrap();
        self.provider.assert_ran("MSAL Python", &output);
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The file as MSAL sees it: no key but MSAL's, one refresh token per account and client, `family_id`
    /// kept.
    fn assert_msal_keys(&self, when: &str) -> Value {
        let check = self.python("check", json!({}));
        assert_eq!(check["wrong_keys"], json!([]), "{when}: {check:#}");
        for (who, count) in check["refresh_tokens"].as_object().unwrap() {
            assert_eq!(count, 1, "{when}: refresh tokens of {who}: {check:#}");
        }
        check
    }

    fn cache_path(&self) -> std::path::PathBuf {
        self.folder.path().join("msal_token_cache.json")
    }

    fn http(&self) -> HttpClient {
        HttpClient::new(HttpOptions {
            env: EnvVars::from_pairs([("SSL_CERT_FILE", self.tls.ca_cert.to_str().unwrap())]),
            ..Default::default()
        })
        .unwrap()
    }
}

fn graph() -> String {
    format!("{GRAPH_ENDPOINT}/.default")
}

async fn discover(http: &HttpClient, provider: &OidcProvider) -> Authority {
    let response = http.get(&provider.discovery_url(), &[]).await.unwrap();
    let document: DiscoveryDocument = serde_json::from_str(&response.body).unwrap();
    Authority::from_discovery(provider.issuer(), &document).unwrap()
}

/// An app-only token for `scope`, as msconnect saves one: entries the concurrent writers add.
fn app_token(authority: &Authority, client: &ClientId, scope: &str, secret: &str) -> TokenResult {
    let response =
        json!({"token_type": "Bearer", "expires_in": 3599, "access_token": secret, "scope": scope});
    TokenResult::from_response(
        &response,
        authority,
        client,
        &[scope.to_owned()],
        std::time::SystemTime::now(),
    )
    .unwrap()
}

fn secrets_of(path: &Path) -> Vec<String> {
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["AccessToken"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|e| e["secret"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn msconnect_adopts_the_azure_cli_sign_in_and_both_keep_one_cache() {
    let az = AzureCliPeer::start();
    // `az login --use-device-code`: MSAL Python signs carol in; Chromium types the code
    let mut login = az.command("login", json!({}));
    let child = login
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ignore_certificate_errors = [("MSCONNECT_BROWSER_IGNORE_CERTIFICATE_ERRORS", "1")];
    let driven = drive_device_code(child, &az.provider, "carol", &ignore_certificate_errors);
    assert!(
        driven.status.success(),
        "{:?}\n{}",
        driven.other_lines,
        az.provider.output()
    );
    let logged_in: Value = serde_json::from_slice(&driven.stdout).unwrap();
    let username = logged_in["username"].as_str().unwrap().to_owned();
    assert!(!username.is_empty(), "{logged_in}");
    let profile = std::fs::read(az.folder.path().join("azureProfile.json")).unwrap();
    assert!(
        profile.starts_with(b"\xEF\xBB\xBF"),
        "the profile is written as the CLI writes it"
    );
    let check = az.assert_msal_keys("after az login");
    assert_eq!(check["families"], json!([""]), "{check:#}");
    let grants = az.provider.grants().len();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = az.http();
        let authority = discover(&http, &az.provider).await;
        let client = ClientId::parse(PUBLIC_CLIENT_ID).unwrap();
        let cli = AzureCli::at(az.folder.path());
        let scopes = vec![graph()];
        let request = FromAzureCli {
            authority: &authority,
            client_id: &client,
            scopes: &scopes,
            username: None,
            tenant: None,
        };

        // --from-azure-cli: the CLI's access token, no request, no interaction
        let adopted = cli.sign_in(&http, request).await.unwrap();
        assert_eq!(
            az.provider.grants().len(),
            grants,
            "served from the CLI's cache: {:?}",
            az.provider.grants()
        );
        assert!(adopted.account.username.eq_ignore_ascii_case(&username));
        assert_eq!(adopted.cache.path(), Some(az.cache_path().as_path()));
        let home = adopted.account.home_account_id.clone();
        let renew = || {
            SilentRequest::new(&adopted.cache, &authority, &client)
                .account(Some(&home))
                .scopes(&scopes)
                .force_refresh(true)
                .send(&http)
        };

        // renewals in turn: each uses the refresh token the other rotated
        renew().await.unwrap();
        az.assert_msal_keys("after msconnect renewed");
        let renewed = az.python("renew", json!({}));
        assert_eq!(renewed["error"], Value::Null, "{renewed:#}");
        assert_eq!(renewed["token_source"], "identity_provider");
        az.assert_msal_keys("after MSAL Python renewed");
        renew().await.unwrap();
        az.assert_msal_keys("after msconnect renewed again");
        assert_eq!(
            az.provider.grants().len(),
            grants + 3,
            "{:?}",
            az.provider.grants()
        );

        // both write at once, each under its own lock and the other's: nothing is lost. msconnect's
        // writers start once MSAL Python's first write is in and go on until it is done.
        let mut fill = az
            .command("fill", json!({"count": 60}))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        // (MSAL's persistence truncates the file and writes it in place: a read may see it empty)
        let python_wrote =
            || std::fs::read_to_string(az.cache_path()).is_ok_and(|text| text.contains("python-at-0"));
        while !python_wrote() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "MSAL Python wrote nothing"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (path, authority, client) = (az.cache_path(), authority.clone(), client.clone());
                let done = done.clone();
                std::thread::spawn(move || {
                    let cache = TokenCache::open(path);
                    let mut written = 0;
                    // paced as commands are, not a loop that keeps MSAL's 250 ms poll from its turn
                    while written < 10 || (written < 40 && !done.load(std::sync::atomic::Ordering::SeqCst)) {
                        let scope = format!("api://msconnect-{w}-{written}/.default");
                        let token = app_token(
                            &authority,
                            &client,
                            &scope,
                            &format!("msconnect-at-{w}-{written}"),
                        );
                        cache.save(&token, &[scope]).unwrap();
                        written += 1;
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    written
                })
            })
            .collect();
        assert!(fill.wait().unwrap().success());
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let written: Vec<usize> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        let secrets = secrets_of(&az.cache_path());
        for expected in (0..60).map(|i| format!("python-at-{i}")).chain(
            written
                .iter()
                .enumerate()
                .flat_map(|(w, n)| (0..*n).map(move |i| format!("msconnect-at-{w}-{i}"))),
        ) {
            assert!(secrets.contains(&expected), "{expected} lost: {secrets:?}");
        }
        az.assert_msal_keys("after both wrote at once");
        assert!(
            !az.folder.path().join("msal_token_cache.json.lockfile").exists(),
            "every lock released"
        );

        // `az logout`: MSAL Python removes the account; a token for a new scope is refused
        assert_eq!(az.python("logout", json!({}))["removed"], 1);
        let other = vec!["openid".to_owned(), "email".to_owned()];
        let error = cli
            .sign_in(
                &http,
                FromAzureCli {
                    scopes: &other,
                    ..request
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(error, Error::SignInRequired(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .ends_with("is signed out in the Azure CLI; run az login or connect again"),
            "{error}"
        );
    });
}

/// `az login` (the stand-in above), then the real binary: `partnercenter connect --from-azure-cli` and
/// `partnercenter token` with at most one token request and no interaction, a token for another scope
/// renewed with the refresh token in the Azure CLI's cache (and saved there, for MSAL Python to read),
/// `disconnect` leaving the CLI's cache alone, and after MSAL Python's logout (what `az logout` does to
/// the cache) `token` for a new scope says the account is signed out in the Azure CLI, exit 1.
#[test]
fn the_binary_connects_with_az_login_and_follows_az_logout() {
    let az = AzureCliPeer::start();
    // the sign-in covers Partner Center's delegated scope and Graph, as an Entra refresh token would
    let scopes = json!({"scopes": [partner_center_scope(), graph()]});
    let mut login = az.command("login", scopes.clone());
    let child = login
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ignore_certificate_errors = [("MSCONNECT_BROWSER_IGNORE_CERTIFICATE_ERRORS", "1")];
    let driven = drive_device_code(child, &az.provider, "dave", &ignore_certificate_errors);
    assert!(
        driven.status.success(),
        "{:?}\n{}",
        driven.other_lines,
        az.provider.output()
    );
    let after_login = az.provider.grants().len();

    let cli = crate::cli::Cli::new()
        .env("AZURE_CONFIG_DIR", az.folder.path().to_str().unwrap())
        .env("SSL_CERT_FILE", az.tls.ca_cert.to_str().unwrap());
    let issuer = az.provider.issuer().as_str().to_owned();
    let added = cli.run(&[
        "environment",
        "add",
        "Peers",
        "--graph-endpoint",
        GRAPH_ENDPOINT,
        "--partner-center-endpoint",
        GRAPH_ENDPOINT,
        "--oidc-issuer",
        &issuer,
    ]);
    assert_eq!(added.code, 0, "{added:?}");

    let connected = cli.run(&[
        "partnercenter",
        "connect",
        "--environment",
        "Peers",
        "--from-azure-cli",
        "-o",
        "json",
    ]);
    assert_eq!(connected.code, 0, "{connected:#?}\n{}", az.provider.output());
    let context: Value = serde_json::from_str(&connected.stdout).unwrap();
    assert_eq!(context["Account"]["Type"], "User", "{context:#}");
    assert_eq!(context["Account"]["Tenant"], TENANT_ID, "{context:#}");
    let token = cli.run(&["partnercenter", "token"]);
    assert_eq!(token.code, 0, "{token:#?}");
    assert_eq!(token.stdout.lines().count(), 1, "{token:?}");
    let grants = az.provider.grants();
    assert!(
        grants.len() <= after_login + 1,
        "at most one token request for connect and token: {grants:?}"
    );
    assert!(
        !connected.stderr.contains("code") && !token.stderr.contains("code"),
        "no device code, no browser: {connected:?} {token:?}"
    );
    assert!(
        !cli.home().join("msal_token_cache.json").exists(),
        "the tokens are the Azure CLI's, in its cache only"
    );
    az.assert_msal_keys("after msconnect connected");

    // another scope, once the CLI's access tokens are gone (expired): bought with the refresh token in
    // the CLI's cache, and kept there
    assert!(az.python("expire", json!({}))["removed"].as_u64() >= Some(1));
    let before = az.provider.grants().len();
    let graph_token = cli.run(&["partnercenter", "token", "--scopes", &graph_only()]);
    assert_eq!(graph_token.code, 0, "{graph_token:#?}\n{}", az.provider.output());
    let grants = az.provider.grants();
    assert_eq!(grants.len(), before + 1, "{grants:?}");
    assert!(grants[before].starts_with("refresh_token"), "{grants:?}");
    assert!(
        secrets_of(&az.cache_path()).contains(&graph_token.stdout.trim().to_owned()),
        "the renewed token is in the Azure CLI's cache"
    );
    az.assert_msal_keys("after msconnect renewed for another scope");
    let renewed = az.python("renew", scopes.clone());
    assert_eq!(
        renewed["error"],
        Value::Null,
        "MSAL Python renews after msconnect: {renewed:#}"
    );

    // disconnect forgets the context, and leaves the Azure CLI signed in
    let cache_before = std::fs::read(az.cache_path()).unwrap();
    let disconnected = cli.run(&["partnercenter", "disconnect"]);
    assert_eq!(disconnected.code, 0, "{disconnected:?}");
    assert_eq!(std::fs::read(az.cache_path()).unwrap(), cache_before);
    let connected = cli.run(&[
        "partnercenter",
        "connect",
        "--environment",
        "Peers",
        "--from-azure-cli",
    ]);
    assert_eq!(connected.code, 0, "{connected:#?}\n{}", az.provider.output());

    // `az logout`: msconnect's token for a new scope is refused, with what to do
    assert_eq!(az.python("logout", json!({}))["removed"], 1);
    let refused = cli.run(&["partnercenter", "token", "--scopes", "email"]);
    assert_eq!(refused.code, 1, "{refused:#?}");
    assert!(
        refused
            .stderr
            .contains("is signed out in the Azure CLI; run az login or connect again"),
        "{refused:#?}"
    );
}

/// The delegated scope `partnercenter connect` asks for in the Peers environment, whose Partner Center
/// endpoint is the provider's Graph endpoint.
fn partner_center_scope() -> String {
    format!("{GRAPH_ENDPOINT}/user_impersonation")
}

/// Graph's scope, asked for on its own.
fn graph_only() -> String {
    graph()
}
