//! The `msconnect` binary and MSAL Python (PyPI `msal`) as two clients of one token cache file, both
//! signing in to one live https authority (oidc-provider 8, issuer `https://localhost:<port>/<tenant>`,
//! MSAL Python's `oidc_authority`): each serves the other's tokens without asking the provider, and
//! neither loses what the other wrote.
//!
//! The provider prints a line for every token it issues; the tests count them, so "from the cache"
//! means no request, not only MSAL's `token_source`. MSAL Python runs `tests/peers/msal/cache_peer.py`
//! (`app`, `user`), which loads the file, asks, and writes it back with `serialize()` as an application
//! persisting its cache does.
//!
//! The user is signed in once, by msconnect, with a device code that headless Chromium enters (MSAL
//! Python could do the same; one sign-in is enough to put an account in the file). MSAL Python then takes
//! the account over with `acquire_token_silent` and renews it with msconnect's refresh token; the
//! provider rotates refresh tokens of public clients and refuses a used one, so msconnect renewing after
//! that proves it read the refresh token MSAL Python wrote. Access tokens are made to look expired by
//! rewriting their `expires_on` in the file instead of waiting for them.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

use auth_core::epoch_seconds;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::cli::{Cli, Run};
use crate::support::device_code::device_code_sign_in;
use crate::support::peers::{
    APP_SCOPE, CLIENT_SECRET, OidcProvider, PUBLIC_CLIENT_ID, SECRET_CLIENT_ID, TENANT_ID, TestTls,
    msal_python, peer_sources,
};

/// The graph endpoint of the test environment: the provider does not know its `.default` scope and
/// drops it from tokens, but both clients cache the token under the scope they asked for.
const GRAPH: &str = "https://graph.peers.test";
const GRAPH_DEFAULT: &str = "https://graph.peers.test/.default";

/// One provider over https, one msconnect home with the provider added as the environment `peers`, and
/// MSAL Python on that home's cache file.
struct Peers {
    provider: OidcProvider,
    tls: TestTls,
    cli: Cli,
    _tls_dir: TempDir,
}

impl Peers {
    fn start() -> Self {
        let tls_dir = tempfile::tempdir().unwrap();
        let (tls, provider) = OidcProvider::start_https(tls_dir.path());
        // MSAL Python reads the file: `none` keeps it MSAL's plain JSON (set here although the harness
        // defaults to it, since this is the setting a user sharing the file must choose)
        let cli = Cli::new()
            .env("SSL_CERT_FILE", tls.ca_cert.to_str().unwrap())
            .env("MSCONNECT_CACHE_PROTECTION", "none");
        let issuer = provider.issuer().as_str().to_owned();
        let authority_host = issuer.strip_suffix(&format!("/{TENANT_ID}")).unwrap().to_owned();
        let peers = Self {
            provider,
            tls,
            cli,
            _tls_dir: tls_dir,
        };
        let run = peers.cli.run(&[
            "environment",
            "add",
            "peers",
            "--authority-host",
            &authority_host,
            "--graph-endpoint",
            GRAPH,
            "--oidc-issuer",
            &issuer,
        ]);
        peers.ok(&run);
        peers
    }

    /// Fails the test with msconnect's and the provider's words unless the run succeeded.
    fn ok(&self, run: &Run) {
        assert_eq!(
            run.code,
            0,
            "msconnect failed: {}\n--- the provider said ---\n{}",
            run.stderr,
            self.provider.output()
        );
    }

    /// `msconnect <args>`, which must succeed.
    fn msconnect(&self, args: &[&str]) -> Run {
        let run = self.cli.run(args);
        self.ok(&run);
        run
    }

    /// `msconnect <module> token [args]`: the bare token.
    fn token(&self, args: &[&str]) -> String {
        let mut all = vec!["psentra", "token"];
        all.extend_from_slice(args);
        self.msconnect(&all).stdout.trim_end().to_owned()
    }

    fn cache_path(&self) -> PathBuf {
        self.cli.home().join("msal_token_cache.json")
    }

    /// MSAL Python's `cache_peer.py <command>` on the cache file, trusting the test CA.
    fn msal(&self, command: &str, spec: Value) -> Value {
        let mut spec = spec;
        spec["authority"] = self.provider.issuer().as_str().into();
        let output = Command::new(msal_python())
            .arg(peer_sources().join("msal").join("cache_peer.py"))
            .args([command, self.cache_path().to_str().unwrap(), &spec.to_string()])
            .env("REQUESTS_CA_BUNDLE", &self.tls.ca_cert)
            .output()
            .unwrap();
        self.provider.assert_ran("MSAL Python", &output);
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The cache file, which must be private and JSON; the secrets are left out for comparisons.
    fn cache_file(&self) -> Value {
        let path = self.cache_path();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is mode {mode:o}", path.display());
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    }

    /// Signs `login` in with msconnect's device code flow, Chromium typing the code on the provider's
    /// page, and returns msconnect's run.
    fn device_code_sign_in(&self, login: &str, args: &[&str]) -> Run {
        let mut all = vec![
            "psentra",
            "connect",
            "--environment",
            "peers",
            "--device-code",
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--tenant-id",
            TENANT_ID,
        ];
        all.extend_from_slice(args);
        // Chromium trusts only its own certificate database, which a test must not touch
        let ignore_certificate_errors = [("MSCONNECT_BROWSER_IGNORE_CERTIFICATE_ERRORS", "1")];
        let run = device_code_sign_in(&self.cli, &self.provider, &all, login, &ignore_certificate_errors).run;
        self.ok(&run);
        run
    }

    /// Rewrites every access token's `expires_on` to a minute from now: within both clients' five-minute
    /// margin, so each renews instead of serving them, without the test waiting an hour.
    fn age_access_tokens(&self) {
        let mut cache = self.cache_file();
        let soon = (epoch_seconds(SystemTime::now()) + 60).to_string();
        for entry in cache["AccessToken"].as_object_mut().unwrap().values_mut() {
            entry["expires_on"] = soon.clone().into();
        }
        std::fs::write(self.cache_path(), cache.to_string()).unwrap();
    }
}

/// The entries of one map of the cache file: `(key, entry without its secret)`.
fn entries(cache: &Value, map: &str) -> Vec<(String, Value)> {
    cache[map]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, entry)| {
            let mut entry = entry.clone();
            if let Some(entry) = entry.as_object_mut() {
                entry.remove("secret");
                for time in [
                    "cached_at",
                    "expires_on",
                    "extended_expires_on",
                    "last_modification_time",
                ] {
                    entry.remove(time);
                }
            }
            (key.clone(), entry)
        })
        .collect()
}

fn from_cache(token: &str) -> Value {
    json!({"access_token": token, "token_source": "cache", "error": null, "error_description": null})
}

#[test]
fn app_tokens_pass_both_ways_through_one_file() {
    let peers = Peers::start();
    let grant = format!("client_credentials for {SECRET_CLIENT_ID}");

    // msconnect signs the application in and writes the file
    let run = peers.cli.run_with(
        &[
            "psentra",
            "connect",
            "--environment",
            "peers",
            "--client-id",
            SECRET_CLIENT_ID,
            "--tenant-id",
            TENANT_ID,
        ],
        "",
        &[("MSCONNECT_CLIENT_SECRET", CLIENT_SECRET)],
    );
    peers.ok(&run);
    let ours = peers.token(&[]);
    assert_eq!(peers.provider.grants(), [grant.as_str()]);
    peers.cache_file();

    // MSAL Python serves msconnect's token from the file, gets one for another scope from the provider
    // and writes the file back
    let spec = json!({
        "client_id": SECRET_CLIENT_ID, "client_secret": CLIENT_SECRET,
        "requests": [[GRAPH_DEFAULT], [APP_SCOPE]],
    });
    let msal = peers.msal("app", spec);
    assert_eq!(msal["results"][0], from_cache(&ours), "{msal:#}");
    assert_eq!(
        msal["results"][1]["token_source"], "identity_provider",
        "{msal:#}"
    );
    let theirs = msal["results"][1]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(msal["wrote"], true);
    assert_eq!(peers.provider.grants(), [grant.as_str(), grant.as_str()]);

    // msconnect serves MSAL Python's token, and its own is still there
    assert_eq!(peers.token(&["--scopes", APP_SCOPE]), theirs);
    assert_eq!(peers.token(&[]), ours);
    assert_eq!(peers.provider.grants().len(), 2, "{:?}", peers.provider.grants());

    let cache = peers.cache_file();
    let app_token = |target: &str| {
        json!({
            "credential_type": "AccessToken", "home_account_id": null, "environment": "localhost",
            "client_id": SECRET_CLIENT_ID, "realm": TENANT_ID, "target": target, "token_type": "Bearer",
        })
    };
    let prefix = format!("-localhost-accesstoken-{SECRET_CLIENT_ID}-{TENANT_ID}-");
    // msconnect's token carries the fingerprint of the secret that earned it (issue 14), and MSAL
    // Python kept that member when it wrote the file back
    let mut ours_entry = app_token(GRAPH_DEFAULT);
    ours_entry["msconnect_credential"] = json!(auth_core::secret_fingerprint(
        &auth_core::ClientSecret::new(CLIENT_SECRET),
        &auth_core::ClientId::parse(SECRET_CLIENT_ID).unwrap(),
    ));
    assert_eq!(
        entries(&cache, "AccessToken"),
        [
            (format!("{prefix}{GRAPH_DEFAULT}"), ours_entry),
            (format!("{prefix}{APP_SCOPE}"), app_token(APP_SCOPE)),
        ]
    );
    assert_eq!(
        entries(&cache, "AppMetadata"),
        [(
            format!("appmetadata-localhost-{SECRET_CLIENT_ID}"),
            json!({"client_id": SECRET_CLIENT_ID, "environment": "localhost"})
        )]
    );

    // once more MSAL Python, now with both tokens in the file: no request, nothing to write
    let spec = json!({
        "client_id": SECRET_CLIENT_ID, "client_secret": CLIENT_SECRET,
        "requests": [[GRAPH_DEFAULT], [APP_SCOPE]],
    });
    let msal = peers.msal("app", spec);
    assert_eq!(msal["results"], json!([from_cache(&ours), from_cache(&theirs)]));
    assert_eq!(msal["wrote"], false);
    assert_eq!(peers.provider.grants().len(), 2, "{:?}", peers.provider.grants());
}

#[test]
fn a_users_tokens_pass_both_ways_through_one_file() {
    let peers = Peers::start();
    let device_code = format!("urn:ietf:params:oauth:grant-type:device_code for {PUBLIC_CLIENT_ID}");
    let refresh = format!("refresh_token for {PUBLIC_CLIENT_ID}");

    // msconnect signs carol in (device code) and writes her account and tokens
    peers.device_code_sign_in("carol", &["--scopes", "email"]);
    let ours = peers.token(&[]);
    assert_eq!(peers.provider.grants(), [device_code.as_str()]);
    peers.cache_file();

    // MSAL Python finds her account, serves msconnect's token, then renews it with msconnect's refresh
    // token (which the provider rotates) and writes the file back
    let msal = peers.msal(
        "user",
        json!({
            "client_id": PUBLIC_CLIENT_ID,
            "requests": [{"scopes": ["email"]}, {"scopes": ["email"], "force_refresh": true}],
        }),
    );
    assert_eq!(
        msal["accounts"],
        json!([{
            "home_account_id": "carol", "environment": "localhost", "realm": TENANT_ID,
            "local_account_id": "carol", "username": "carol@peers.msconnect.test",
        }])
    );
    assert_eq!(msal["results"][0], from_cache(&ours), "{msal:#}");
    assert_eq!(
        msal["results"][1]["token_source"], "identity_provider",
        "{msal:#}"
    );
    let theirs = msal["results"][1]["access_token"].as_str().unwrap().to_owned();
    assert_ne!(theirs, ours);
    assert_eq!(peers.provider.grants(), [device_code.as_str(), refresh.as_str()]);

    // msconnect serves MSAL Python's newer token without a request
    assert_eq!(peers.token(&[]), theirs);
    assert_eq!(peers.provider.grants().len(), 2, "{:?}", peers.provider.grants());
    let cache = peers.cache_file();
    let home = |entry: &(String, Value)| entry.1["home_account_id"].clone();
    assert_eq!(
        entries(&cache, "Account"),
        [(
            format!("carol-localhost-{TENANT_ID}"),
            json!({
                "home_account_id": "carol", "environment": "localhost", "realm": TENANT_ID,
                "local_account_id": "carol", "username": "carol@peers.msconnect.test",
                "authority_type": "MSSTS", "account_source": "urn:ietf:params:oauth:grant-type:device_code",
            })
        )]
    );
    // one entry a token: both spell the target (so the key) alike, and MSAL Python overwrote msconnect's
    let keys = |map: &str| -> Vec<String> { entries(&cache, map).into_iter().map(|(k, _)| k).collect() };
    let target = "email offline_access openid profile";
    assert_eq!(
        keys("AccessToken"),
        [format!(
            "carol-localhost-accesstoken-{PUBLIC_CLIENT_ID}-{TENANT_ID}-{target}"
        )]
    );
    assert_eq!(
        keys("RefreshToken"),
        [format!(
            "carol-localhost-refreshtoken-{PUBLIC_CLIENT_ID}--{target}"
        )]
    );
    assert!(
        entries(&cache, "IdToken").iter().all(|e| home(e) == "carol"),
        "{cache:#}"
    );

    // Both access tokens about to expire: msconnect renews with the refresh token MSAL Python wrote (the
    // one it signed in with is used up, and the provider would refuse it)
    peers.age_access_tokens();
    let renewed = peers.token(&[]);
    assert_ne!(renewed, theirs);
    assert_eq!(
        peers.provider.grants(),
        [device_code.as_str(), refresh.as_str(), refresh.as_str()]
    );
    peers.cache_file();

    // and MSAL Python serves that token, from the file msconnect wrote last
    let msal = peers.msal(
        "user",
        json!({"client_id": PUBLIC_CLIENT_ID, "requests": [{"scopes": ["email"]}]}),
    );
    assert_eq!(msal["results"], json!([from_cache(&renewed)]), "{msal:#}");
    assert_eq!(msal["accounts"][0]["home_account_id"], "carol");
    assert_eq!(peers.provider.grants().len(), 3, "{:?}", peers.provider.grants());
    peers.cache_file();
}
