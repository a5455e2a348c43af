//! The real `msconnect` binary against a real OpenID Connect authority (oidc-provider 8), the way a user
//! gets there: `msconnect environment add Peers --oidc-issuer <issuer> …`, then `connect` with device
//! code or browser sign-in (headless Chromium playing the user), client credentials with a client secret
//! and with a certificate (`private_key_jwt`), and `token` refreshing silently. Each test asserts what
//! the user sees (exit code, stdout, stderr, the context) and what the provider saw (its introspection
//! of the token printed, and its log of the grants it served).

use serde_json::Value;

use crate::cli::{Cli, Run};
use crate::support::device_code::device_code_sign_in;
use crate::support::peers::{
    CLIENT_SECRET, GRAPH_ENDPOINT, OidcOptions, OidcProvider, PRIVATE_KEY_JWT_CLIENT_ID, PUBLIC_CLIENT_ID,
    SECRET_CLIENT_ID, TENANT_ID, chromium_browser_command, peers_dir, pkcs12_file, rsa_client_certificate,
};

/// A clean msconnect home with the provider added as the user-defined environment `Peers`, and what
/// `$BROWSER` (login.mjs on headless Chromium) needs from the environment.
fn peers_cli(provider: &OidcProvider) -> Cli {
    let cli = Cli::new()
        .env("PATH", &std::env::var("PATH").unwrap_or_default())
        .env("MSCONNECT_PEERS_DIR", peers_dir().to_str().unwrap());
    // Chromium keeps its profile under HOME: the test's folder, not the user's
    let cli = {
        let home = cli.home().display().to_string();
        cli.env("HOME", &home)
    };
    let issuer = provider.issuer().as_str().to_owned();
    let added = cli.run(&[
        "environment",
        "add",
        "Peers",
        "--graph-endpoint",
        GRAPH_ENDPOINT,
        "--oidc-issuer",
        &issuer,
    ]);
    assert_eq!(added.code, 0, "{added:?}");
    // without --authority-host, the issuer's origin is where users sign in
    let origin = provider.issuer().origin().ascii_serialization();
    assert!(
        added.stdout.contains(&format!("Peers User-defined {origin} ")),
        "{}",
        added.stdout
    );
    cli
}

/// `<module> connect --environment Peers --tenant-id <the provider's tenant> <more>`.
fn connect_args<'a>(module: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        module,
        "connect",
        "--environment",
        "Peers",
        "--tenant-id",
        TENANT_ID,
    ];
    args.extend_from_slice(more);
    args
}

/// Runs [`connect_args`] with `stdin` piped in and `vars` set.
fn connect_to_peers(cli: &Cli, module: &str, more: &[&str], stdin: &str, vars: &[(&str, &str)]) -> Run {
    cli.run_with(&connect_args(module, more), stdin, vars)
}

/// Fails with msconnect's and the provider's output side by side.
fn assert_ok(run: &Run, provider: &OidcProvider) {
    assert_eq!(
        run.code,
        0,
        "{run:#?}\n--- the provider said ---\n{}",
        provider.output()
    );
}

/// The token cache msconnect wrote (MSAL's schema).
fn cache(cli: &Cli) -> Value {
    let text = std::fs::read_to_string(cli.home().join("msal_token_cache.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The one refresh token of the cache, and its account.
fn refresh_token(cli: &Cli) -> (String, String) {
    let cache = cache(cli);
    let tokens: Vec<&Value> = cache["RefreshToken"]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default();
    assert_eq!(tokens.len(), 1, "{cache:#}");
    (
        tokens[0]["secret"].as_str().unwrap().to_owned(),
        tokens[0]["home_account_id"].as_str().unwrap().to_owned(),
    )
}

/// What the user sees of a connection: `entra context -o json`.
fn entra_context(cli: &Cli, provider: &OidcProvider) -> Value {
    let context = cli.run(&["entra", "context", "-o", "json"]);
    assert_ok(&context, provider);
    serde_json::from_str(&context.stdout).unwrap()
}

/// `<module> token`: the bare token, which the provider must know as active for `client_id`.
async fn token_is_live(cli: &Cli, provider: &OidcProvider, module: &str, client_id: &str) -> Value {
    let token = cli.run(&[module, "token"]);
    assert_ok(&token, provider);
    assert_eq!(token.stdout.lines().count(), 1, "{token:?}");
    let seen = provider.introspect(token.stdout.trim()).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], client_id, "{seen}");
    seen
}

#[tokio::test]
async fn device_code_through_the_binary_with_chromium_on_the_verification_page() {
    let provider = OidcProvider::start(OidcOptions::default());
    let cli = peers_cli(&provider);
    let signed = device_code_sign_in(
        &cli,
        &provider,
        &connect_args("entra", &["--client-id", PUBLIC_CLIENT_ID, "--use-device-code"]),
        "carol",
        &[],
    );

    // The provider sends neither `message` nor `interval`: msconnect writes the message itself.
    assert_eq!(signed.page, format!("{}/device", provider.issuer()));
    assert_eq!(
        signed
            .message
            .replace(&signed.page, "[page]")
            .replace(&signed.code, "[code]"),
        "To sign in, use a web browser to open the page [page] and enter the code [code] to authenticate."
    );
    assert_ok(&signed.run, &provider);
    insta::assert_snapshot!(signed.run.stderr, @"waiting up to 10 min for the sign-in to finish; Ctrl-C cancels");
    insta::assert_snapshot!(signed.run.stdout.trim_end(), @r"
    ClientId              : b024d7a0-9f8d-4c15-878f-e36eb22e3d38
    TenantId              : ab35b41c-c523-48ec-ac32-d03f158b3197
    Scopes                : {https://graph.peers.msconnect.test/.default}
    AuthType              : Delegated
    TokenCredentialType   : DeviceCode
    CertificateThumbprint :
    Account               : carol@peers.msconnect.test
    AppName               :
    ContextScope          : CurrentUser
    Environment           : Peers
    ");
    // Polling at RFC 8628's default 5 s suits the provider: it never asked to slow down.
    assert!(!provider.output().contains("slow_down"), "{}", provider.output());
    assert_eq!(
        provider.grants(),
        [format!(
            "urn:ietf:params:oauth:grant-type:device_code for {PUBLIC_CLIENT_ID}"
        )]
    );

    // No client_info from this provider: the account is the ID token's `sub`, in the issuer's tenant.
    let cache = cache(&cli);
    let accounts: Vec<&Value> = cache["Account"].as_object().unwrap().values().collect();
    assert_eq!(accounts.len(), 1, "{cache:#}");
    assert_eq!(
        (
            &accounts[0]["home_account_id"],
            &accounts[0]["realm"],
            &accounts[0]["environment"],
            &accounts[0]["username"]
        ),
        (
            &Value::from("carol"),
            &Value::from(TENANT_ID),
            &Value::from("127.0.0.1"),
            &Value::from("carol@peers.msconnect.test")
        )
    );
    assert_eq!(refresh_token(&cli).1, "carol");
    assert_eq!(
        entra_context(&cli, &provider)["Account"],
        "carol@peers.msconnect.test"
    );

    let seen = token_is_live(&cli, &provider, "entra", PUBLIC_CLIENT_ID).await;
    assert_eq!(seen["sub"], "carol");
    // served from the cache: no second grant
    assert_eq!(provider.grants().len(), 1);
}

#[tokio::test]
async fn browser_sign_in_with_pkce_then_token_refreshes_with_the_rotated_refresh_token() {
    // user access tokens shorter than msconnect's 5-minute margin: every `token` must renew
    let provider = OidcProvider::start(OidcOptions {
        access_token_ttl: Some(60),
        ..Default::default()
    });
    let cli = peers_cli(&provider).env("BROWSER", &chromium_browser_command());
    let connect = connect_to_peers(&cli, "entra", &["--client-id", PUBLIC_CLIENT_ID], "", &[]);
    assert_ok(&connect, &provider);
    let port = connect
        .stderr
        .split("http://localhost:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no listener named: {}", connect.stderr))
        .to_owned();
    let mut said: Vec<String> = connect
        .stderr
        .replace(&port, "[port]")
        .lines()
        .map(str::to_owned)
        .collect();
    // the browser's lines and msconnect's interleave as the two processes run
    said.sort();
    insta::assert_snapshot!(said.join("\n"), @r"
    a browser window opened for sign-in; waiting on http://localhost:[port]/, Ctrl-C to cancel
    login.mjs: consented
    login.mjs: redirected to http://localhost:[port]/ with a code
    login.mjs: signed in as alice
    ");
    assert!(
        connect
            .stdout
            .contains("TokenCredentialType   : InteractiveBrowser"),
        "{}",
        connect.stdout
    );
    assert_eq!(
        entra_context(&cli, &provider)["Account"],
        "alice@peers.msconnect.test"
    );
    // prompt=consent made the provider grant offline_access: a refresh token for the ID token's `sub`
    let (first, account) = refresh_token(&cli);
    assert_eq!(account, "alice");
    assert_eq!(
        provider.grants(),
        [format!("authorization_code for {PUBLIC_CLIENT_ID}")]
    );

    let seen = token_is_live(&cli, &provider, "entra", PUBLIC_CLIENT_ID).await;
    assert_eq!(seen["sub"], "alice");
    assert_eq!(
        provider.grants(),
        [
            format!("authorization_code for {PUBLIC_CLIENT_ID}"),
            format!("refresh_token for {PUBLIC_CLIENT_ID}")
        ]
    );
    let (second, _) = refresh_token(&cli);
    assert_ne!(
        first, second,
        "the provider rotates a public client's refresh token"
    );

    // the rotated token is the one kept: the next renewal redeems it
    token_is_live(&cli, &provider, "entra", PUBLIC_CLIENT_ID).await;
    assert_eq!(provider.grants().len(), 3, "{}", provider.output());
    assert!(
        !provider.output().contains("grant.error"),
        "{}",
        provider.output()
    );
}

/// A `$BROWSER` that runs login.mjs (headless Chromium) as uid 1500, another local user who reaches
/// this machine's loopback ports but none of this user's files, with a home of its own in `dir`; `None`,
/// with the reason printed, where this process cannot change user.
#[cfg(unix)]
#[allow(clippy::print_stdout)] // a case not run is said, never silent
fn chromium_as_another_user(dir: &std::path::Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let login = chromium_browser_command();
    let home = dir.join("home");
    std::fs::create_dir(&home).unwrap();
    if let Err(e) = std::os::unix::fs::chown(&home, Some(1500), Some(1500)) {
        println!("case not run: cannot give a home to uid 1500 ({e})");
        return None;
    }
    let probe = std::process::Command::new("setpriv")
        .args([
            "--reuid=1500",
            "--regid=1500",
            "--clear-groups",
            "--",
            "test",
            "-r",
            &login,
        ])
        .status();
    match probe {
        Ok(status) if status.success() => {}
        outcome => {
            println!("case not run: setpriv cannot run {login} as uid 1500 here ({outcome:?})");
            return None;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = dir.join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec setpriv --reuid=1500 --regid=1500 --clear-groups -- env HOME='{}' '{login}' \"$1\"\n",
            home.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Some(script.display().to_string())
}

#[cfg(unix)]
#[tokio::test]
async fn browser_sign_in_through_chromium_run_as_another_user() {
    // issue 26: a browser that reaches the loopback port but not our files (VS Code Remote's, WSL's, or
    // one run as another user) could not open the private file:// page and the sign-in waited forever
    let dir = tempfile::tempdir().unwrap();
    let Some(browser) = chromium_as_another_user(dir.path()) else {
        return;
    };
    let provider = OidcProvider::start(OidcOptions::default());
    let cli = peers_cli(&provider).env("BROWSER", &browser);
    let connect = connect_to_peers(&cli, "entra", &["--client-id", PUBLIC_CLIENT_ID], "", &[]);
    assert_ok(&connect, &provider);
    assert!(
        connect
            .stderr
            .contains("login.mjs: redirected to http://localhost:"),
        "{}",
        connect.stderr
    );
    assert_eq!(
        entra_context(&cli, &provider)["Account"],
        "alice@peers.msconnect.test"
    );
    assert_eq!(
        provider.grants(),
        [format!("authorization_code for {PUBLIC_CLIENT_ID}")]
    );
}

#[tokio::test]
async fn client_credentials_with_client_secret_post_from_the_environment_and_from_stdin() {
    let provider = OidcProvider::start(OidcOptions::default());
    let cli = peers_cli(&provider);
    let connect = connect_to_peers(
        &cli,
        "psentra",
        &["--client-id", SECRET_CLIENT_ID],
        "",
        &[("MSCONNECT_CLIENT_SECRET", CLIENT_SECRET)],
    );
    assert_ok(&connect, &provider);
    assert!(
        connect.stdout.contains("Type              : ClientSecret"),
        "{}",
        connect.stdout
    );
    token_is_live(&cli, &provider, "psentra", SECRET_CLIENT_ID).await;

    let connect = connect_to_peers(
        &cli,
        "entra",
        &["--client-secret-credential", SECRET_CLIENT_ID, "--password-stdin"],
        CLIENT_SECRET,
        &[],
    );
    assert_ok(&connect, &provider);
    assert!(
        connect.stdout.contains("AuthType              : AppOnly"),
        "{}",
        connect.stdout
    );
    let seen = token_is_live(&cli, &provider, "entra", SECRET_CLIENT_ID).await;
    assert_eq!(seen["scope"], format!("{GRAPH_ENDPOINT}/.default"));
    // psentra's token was cached under the same client and scope: entra's sign-in reused it
    assert_eq!(
        provider.grants(),
        [format!("client_credentials for {SECRET_CLIENT_ID}")]
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_the_providers_invalid_client_and_never_shown() {
    let provider = OidcProvider::start(OidcOptions::default());
    let cli = peers_cli(&provider);
    let connect = connect_to_peers(
        &cli,
        "entra",
        &["--client-secret-credential", SECRET_CLIENT_ID, "--password-stdin"],
        "not-the-secret",
        &[],
    );
    assert_eq!(connect.code, 1, "{connect:?}");
    assert!(connect.stdout.is_empty(), "{connect:?}");
    assert!(!connect.stderr.contains("not-the-secret"), "{}", connect.stderr);
    insta::assert_snapshot!(connect.stderr.trim_end(), @"error: invalid_client: client authentication failed");
    assert!(
        provider.output().contains("invalid_client"),
        "{}",
        provider.output()
    );
    assert!(provider.grants().is_empty());
}

#[tokio::test]
async fn client_credentials_with_a_pfx_certificate_sign_private_key_jwt_assertions() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = rsa_client_certificate(dir.path(), "msconnect peer client");
    let pfx = dir.path().join("client.pfx");
    pkcs12_file(&certificate, "pfx-test-password", &pfx);
    let provider = OidcProvider::start(OidcOptions {
        private_key_jwt_keys: Some(certificate.cert.clone()),
        ..Default::default()
    });
    let cli = peers_cli(&provider);
    let connect = connect_to_peers(
        &cli,
        "psentra",
        &[
            "--client-id",
            PRIVATE_KEY_JWT_CLIENT_ID,
            "--certificate-path",
            pfx.to_str().unwrap(),
        ],
        "",
        &[("MSCONNECT_CERTIFICATE_PASSWORD", "pfx-test-password")],
    );
    assert_ok(&connect, &provider);
    assert!(
        connect.stdout.contains("Type              : Certificate"),
        "{}",
        connect.stdout
    );
    let seen = token_is_live(&cli, &provider, "psentra", PRIVATE_KEY_JWT_CLIENT_ID).await;
    assert_eq!(seen["scope"], format!("{GRAPH_ENDPOINT}/.default"));
    assert_eq!(
        provider.grants(),
        [format!("client_credentials for {PRIVATE_KEY_JWT_CLIENT_ID}")]
    );
}
