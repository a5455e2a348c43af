//! The token cache at rest through the command line (`MSCONNECT_CACHE_PROTECTION`), with the real
//! keystores: the kernel keyring, and gnome-keyring on a private session bus. With each, no access token
//! and no refresh token is readable in any file under `MSCONNECT_HOME`, and `token` is served from the
//! cache with no request; a required keystore that is absent, a lost key and an altered file are what a
//! user would meet. Each test removes the kernel keys it made.

use std::path::{Path, PathBuf};

use mockito::Server;
use serde_json::Value;
use test_support::{form, user_token_response};

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::support::keystores::{PrivateKeyring, files_holding, forget_kernel_key, header, key_id};

const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const GRAPH: &str = "https://graph.microsoft.com/.default";
const ACCESS_TOKEN: &str = "at-at-rest-1";
const REFRESH_TOKEN: &str = "rt-at-rest-2";

/// `secmgmt connect` with a refresh token, the token endpoint answering once.
async fn connect(server: &mut Server, cli: &Cli) -> mockito::Mock {
    let answer = user_token_response(
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        OID,
        TENANT_ID,
        "admin@contoso.com",
        GRAPH,
    );
    let mock = server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &["secmgmt", "connect", "--application-id", APP_ID],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    mock
}

fn cache_file(cli: &Cli) -> PathBuf {
    cli.home().join("msal_token_cache.json")
}

/// No file under the home holds either token.
fn assert_no_token_readable(home: &Path) {
    for token in [ACCESS_TOKEN, REFRESH_TOKEN] {
        assert_eq!(
            files_holding(home, token),
            Vec::<PathBuf>::new(),
            "{token} is readable"
        );
    }
}

/// `token` prints the cached token, and `context` names the protection.
fn assert_served_from_the_cache(cli: &Cli, word: &str, said: &str) {
    let token = cli.run(&["secmgmt", "token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout, format!("{ACCESS_TOKEN}\n"));
    assert_eq!(token.stderr, "");
    let context = cli.run(&["secmgmt", "context", "-o", "json"]);
    let context: Value = serde_json::from_str(&context.stdout).unwrap();
    assert_eq!(context["TokenCache"]["Protection"], word);
    let table = cli.run(&["secmgmt", "context"]);
    assert!(
        table.stdout.ends_with(&format!(
            "\n\nToken cache: [HOME]/msal_token_cache.json ({said})\n"
        )),
        "{}",
        table.stdout
    );
}

/// Removes the kernel key of the cache when the test ends, whatever happened.
struct KernelKey(PathBuf);

impl Drop for KernelKey {
    fn drop(&mut self) {
        if self.0.exists() && header(&self.0).contains("kernel-keyring") {
            forget_kernel_key(&self.0);
        }
    }
}

#[tokio::test]
async fn with_the_kernel_keyring_no_token_is_readable_and_token_comes_from_the_cache() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CACHE_PROTECTION", "kernel");
    let connect = connect(&mut server, &cli).await;
    let _cleanup = KernelKey(cache_file(&cli));
    assert!(
        header(&cache_file(&cli)).starts_with("msconnect-sealed-cache 1 aes-256-gcm kernel-keyring "),
        "{}",
        header(&cache_file(&cli))
    );
    assert_no_token_readable(cli.home());
    assert_served_from_the_cache(&cli, "kernel", "AES-256-GCM, key in the kernel keyring");
    // one request in all: the connect
    connect.assert_async().await;
}

#[tokio::test]
async fn a_lost_kernel_key_or_an_altered_file_is_moved_aside_and_the_user_is_told_to_connect_again() {
    for (reason, spoil) in [
        ("its key is gone from the kernel keyring", forget_key as fn(&Path)),
        ("it fails to authenticate: it was altered or damaged", alter),
    ] {
        let mut server = Server::new_async().await;
        let cli = Cli::new()
            .authority(&server.url())
            .env("MSCONNECT_CACHE_PROTECTION", "auto");
        let connect = connect(&mut server, &cli).await;
        let cache = cache_file(&cli);
        let _cleanup = KernelKey(cache.clone());
        assert!(
            header(&cache).contains(" kernel-keyring "),
            "auto on a server: {}",
            header(&cache)
        );
        spoil(&cache);
        let token = cli.run(&["secmgmt", "token"]);
        assert_eq!(token.code, 1, "{reason}: {}", token.stdout);
        assert!(
            token.stderr.contains(&format!(
                "the token cache [HOME]/msal_token_cache.json could not be read ({reason}"
            )) && token
                .stderr
                .contains("it was moved to [HOME]/msal_token_cache.json.corrupt-"),
            "{}",
            token.stderr
        );
        assert!(token.stderr.contains("sign in again"), "{}", token.stderr);
        assert!(!cache.exists());
        connect.assert_async().await;
    }
}

fn forget_key(cache: &Path) {
    assert!(forget_kernel_key(cache), "the key was in the kernel keyring");
}

fn alter(cache: &Path) {
    let mut bytes = std::fs::read(cache).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0x20;
    std::fs::write(cache, bytes).unwrap();
}

#[tokio::test]
async fn with_gnome_keyring_on_a_private_bus_auto_keeps_the_key_there() {
    let mut keyring = PrivateKeyring::start();
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CACHE_PROTECTION", "auto")
        .env("DBUS_SESSION_BUS_ADDRESS", keyring.address());
    let connect = connect(&mut server, &cli).await;
    let cache = cache_file(&cli);
    assert!(
        header(&cache).starts_with("msconnect-sealed-cache 1 aes-256-gcm secret-service "),
        "{}",
        header(&cache)
    );
    assert_eq!(
        keyring.lookup(&key_id(&cache)).len(),
        32,
        "the data key is in gnome-keyring"
    );
    assert_no_token_readable(cli.home());
    assert_served_from_the_cache(&cli, "keyring", "AES-256-GCM, key in the Secret Service");
    // `keyring` requires what auto chose
    let token = cli.run_with(
        &["secmgmt", "token"],
        "",
        &[("MSCONNECT_CACHE_PROTECTION", "keyring")],
    );
    assert_eq!(
        (token.code, token.stdout.as_str()),
        (0, format!("{ACCESS_TOKEN}\n").as_str()),
        "{}",
        token.stderr
    );
    // A Secret Service out of reach (gnome-keyring stopped; the private bus starts no other) is an
    // error naming it, and the file stays as it is.
    let before = std::fs::read(&cache).unwrap();
    keyring.stop_keyring();
    let token = cli.run(&["secmgmt", "token"]);
    assert_eq!(token.code, 1, "{}", token.stdout);
    assert!(
        token
            .stderr
            .contains("encrypted with a key the Secret Service keeps, which is not available now"),
        "{}",
        token.stderr
    );
    assert_eq!(std::fs::read(&cache).unwrap(), before);
    connect.assert_async().await;
}

#[tokio::test]
async fn a_required_keystore_that_is_absent_fails_naming_the_variable_and_nothing_is_written() {
    let mut server = Server::new_async().await;
    let never = server.mock("POST", TOKEN_PATH).expect(0).create_async().await;
    let cli = Cli::new().authority(&server.url());
    let no_bus = format!("unix:path={}", cli.home().join("no-bus").display());
    let run = cli.run_with(
        &["secmgmt", "connect", "--application-id", APP_ID],
        "",
        &[
            ("MSCONNECT_REFRESH_TOKEN", "rt-1"),
            ("MSCONNECT_CACHE_PROTECTION", "keyring"),
            ("DBUS_SESSION_BUS_ADDRESS", no_bus.as_str()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "error: MSCONNECT_CACHE_PROTECTION=keyring: the token cache needs the Secret Service, which is not \
             available"
        ),
        "{}",
        run.stderr
    );
    assert!(!cache_file(&cli).exists(), "nothing written, in the clear or not");
    let run = cli.run_with(
        &["secmgmt", "token"],
        "",
        &[("MSCONNECT_CACHE_PROTECTION", "plain")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value for MSCONNECT_CACHE_PROTECTION: use one of auto, keyring, kernel, none"),
        "{}",
        run.stderr
    );
    never.assert_async().await;
}
