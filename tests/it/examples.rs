//! Issue 22: each product crate's `examples/app_token.rs`, run as a user runs it against a loopback
//! stand-in of the authority: the secret from stdin (nothing from `MSCONNECT_*`), one token a scope on
//! stdout, the later scopes renewed in memory with that secret, nothing written to disk.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use test_support::app_token_response;
use test_support::mock::{TENANT_ID, client_secret_form};

const APP: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "example-secret";
const VAULT: &str = "https://vault.azure.net/.default";
const MANAGEMENT: &str = "https://management.azure.com/.default";

/// The example of `package` (`msconnect-partnercenter`): its `examples/app_token.rs`, which this
/// package also builds as the binary `app-token-partnercenter` (cargo's examples folder holds one
/// `app_token` for the four crates, whose examples share the name).
fn example(package: &str) -> PathBuf {
    let binary = match package {
        "msconnect-partnercenter" => env!("CARGO_BIN_EXE_app-token-partnercenter"),
        "msconnect-secmgmt" => env!("CARGO_BIN_EXE_app-token-secmgmt"),
        "msconnect-entra" => env!("CARGO_BIN_EXE_app-token-entra"),
        "msconnect-psentra" => env!("CARGO_BIN_EXE_app-token-psentra"),
        other => panic!("no example of {other}"),
    };
    PathBuf::from(binary)
}

/// Runs `package`'s example with `args`, the secret on stdin, in an empty home with no `MSCONNECT_*`
/// variable; returns stdout, and checks it wrote nothing to the home.
fn run(package: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> (bool, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(example(package));
    command
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let left: Vec<_> = std::fs::read_dir(home.path()).unwrap().collect();
    assert!(left.is_empty(), "{package}'s example wrote to its home: {left:?}");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Each example connects (its module's own scope), then prints a token for each of two other scopes,
/// both renewed with the secret it read once from stdin. Partner Center's is pointed at the stand-in with
/// `--authority-host`, the others with `AZURE_AUTHORITY_HOST`.
#[tokio::test(flavor = "multi_thread")]
async fn each_example_prints_a_token_a_scope_renewed_in_memory_with_the_secret_from_stdin() {
    let cases = [
        (
            "msconnect-partnercenter",
            "https://api.partnercenter.microsoft.com/.default",
            true,
        ),
        ("msconnect-secmgmt", "https://graph.microsoft.com/.default", false),
        ("msconnect-entra", "https://graph.microsoft.com/.default", false),
        ("msconnect-psentra", "https://graph.microsoft.com/.default", false),
    ];
    for (package, connect_scope, by_option) in cases {
        let mut server = mockito::Server::new_async().await;
        let path = format!("/{TENANT_ID}/oauth2/v2.0/token");
        let mut mocks = Vec::new();
        for (scope, token) in [
            (connect_scope, "AT-connect"),
            (VAULT, "AT-vault"),
            (MANAGEMENT, "AT-management"),
        ] {
            mocks.push(
                server
                    .mock("POST", path.as_str())
                    .match_body(client_secret_form(APP, SECRET, scope))
                    .with_body(app_token_response(token).to_string())
                    .expect(1)
                    .create_async()
                    .await,
            );
        }
        let url = server.url();
        let mut args = vec![TENANT_ID, APP, VAULT, MANAGEMENT];
        let mut env = vec![];
        if by_option {
            args.splice(0..0, ["--authority-host", url.as_str()]);
        } else {
            env.push(("AZURE_AUTHORITY_HOST", url.as_str()));
        }
        let (ok, stdout, stderr) = tokio::task::spawn_blocking({
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let env: Vec<(String, String)> =
                env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                run(package, &args, &env, &format!("{SECRET}\n"))
            }
        })
        .await
        .unwrap();
        assert!(ok, "{package}: {stderr}");
        assert_eq!(stdout, "AT-vault\nAT-management\n", "{package}: {stderr}");
        for mock in mocks {
            mock.assert_async().await;
        }
    }
}

/// The help says where the secret comes from and that the variables are not read; an empty secret is
/// refused before anything is sent, naming it.
#[tokio::test(flavor = "multi_thread")]
async fn the_help_says_stdin_and_an_empty_secret_is_refused_locally() {
    let mut server = mockito::Server::new_async().await;
    let nothing = server
        .mock("POST", mockito::Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    for package in [
        "msconnect-partnercenter",
        "msconnect-secmgmt",
        "msconnect-entra",
        "msconnect-psentra",
    ] {
        let (ok, help, _) = run(package, &["-h"], &[], "");
        assert!(ok, "{package}");
        assert!(
            help.contains("read from the first line of stdin (nothing is read from MSCONNECT_* variables)")
                && help.contains("renewed in")
                && help.contains("usage: app_token [--authority-host URL] TENANT APP_ID SCOPE..."),
            "{package}: {help}"
        );
        let url = server.url();
        let (ok, stdout, stderr) = run(
            package,
            &["--authority-host", &url, TENANT_ID, APP, VAULT],
            &[],
            "\n",
        );
        assert!(!ok && stdout.is_empty(), "{package}: {stdout}");
        assert_eq!(
            stderr,
            "app_token: invalid value for client secret: is empty: give the application's client secret\n",
            "{package}"
        );
    }
    nothing.assert_async().await;
}
