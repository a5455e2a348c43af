//! Issue 24: the Azure CLI's token contract, through the binary run as `msconnect az` and under the name
//! `az`, and through the consumers that run `az`: azure-identity's `AzureCliCredential` (PyPI, unchanged)
//! and the Azure SDK for Rust's (crate `azure_identity`, in the `azure-cli-credential` program of this
//! package), each with a link named `az` to msconnect first on `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mockito::{Mock, Server, ServerGuard};
use serde_json::Value;
use test_support::{form, user_token_response};

use super::connect::mock_environment;
use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;
use crate::support::peers;

/// The other tenant the tests ask for.
const OTHER_TENANT: &str = "5a1e0000-0000-4000-8000-00000000beef";
const VAULT: &str = "https://vault.azure.net";
const USER: &str = "admin@contoso.com";

/// A mock authority and a `secmgmt` connection signed in through it with refresh token `rt-1` cached.
pub(crate) async fn connected() -> (ServerGuard, Cli) {
    let mut server = Server::new_async().await;
    let cli = Cli::new();
    mock_environment(&cli, &server);
    let graph = format!("{}/.default", server.url());
    let connect = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-0"),
        ]))
        .with_body(user_token_response("connect-at", "rt-1", OID, TENANT_ID, USER, &graph).to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &[
            "secmgmt",
            "connect",
            "--application-id",
            APP_ID,
            "--environment",
            "Mock",
        ],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-0")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    connect.assert_async().await;
    (server, cli)
}

/// The authority answers one refresh token grant in `tenant` (a path segment).
pub(crate) async fn refresh(
    server: &mut ServerGuard,
    tenant: &str,
    refresh_token: &str,
    access_token: &str,
    next_refresh_token: &str,
    tid: &str,
    scope: &str,
) -> Mock {
    server
        .mock("POST", format!("/{tenant}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", &format!("{scope} openid profile offline_access")),
        ]))
        .with_body(user_token_response(access_token, next_refresh_token, OID, tid, USER, scope).to_string())
        .expect(1)
        .create_async()
        .await
}

/// The first renewal after [`connected`]: `rt-1` in the home tenant buys `access_token` for `scope`.
pub(crate) async fn first_renewal(server: &mut ServerGuard, access_token: &str, scope: &str) -> Mock {
    refresh(server, TENANT_ID, "rt-1", access_token, "rt-2", TENANT_ID, scope).await
}

/// A folder holding `az`, a link to msconnect: what goes first on `PATH`.
pub(crate) fn az_on_path() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(super::binary(), dir.path().join("az")).unwrap();
    #[cfg(windows)]
    std::fs::copy(super::binary(), dir.path().join("az.exe")).unwrap();
    dir
}

/// `PATH` with `first` in front of the system's folders (which hold no `az`).
pub(crate) fn path_with(first: &Path) -> String {
    std::env::join_paths([
        first.to_path_buf(),
        PathBuf::from("/usr/local/bin"),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ])
    .unwrap()
    .to_string_lossy()
    .into_owned()
}

/// Runs the link named `az` with `args`, in the connection's environment.
fn az(cli: &Cli, dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> super::Run {
    let output = Command::new(dir.join("az"))
        .args(args)
        .env_clear()
        .env("MSCONNECT_HOME", cli.home())
        .env("PATH", path_with(dir))
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    super::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: cli.text(&output.stdout),
        stderr: cli.text(&output.stderr),
    }
}

#[tokio::test]
async fn get_access_token_prints_what_azure_cli_2_prints() {
    let (mut server, cli) = connected().await;
    let vault = first_renewal(&mut server, "vault-at", &format!("{VAULT}/.default")).await;
    let run = cli.run_with(
        &[
            "az",
            "account",
            "get-access-token",
            "--resource",
            VAULT,
            "--subscription",
            "sub-1",
            "-o",
            "json",
        ],
        "",
        &[("TZ", "UTC")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    vault.assert_async().await;
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    let keys: Vec<&String> = printed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "accessToken",
            "expiresOn",
            "expires_on",
            "subscription",
            "tenant",
            "tokenType"
        ]
    );
    assert_eq!(printed["accessToken"], "vault-at");
    assert_eq!(printed["tenant"], TENANT_ID);
    assert_eq!(printed["subscription"], "sub-1");
    assert_eq!(printed["tokenType"], "Bearer");
    let expires_on = printed["expires_on"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now + 3500..=now + 3600).contains(&expires_on),
        "{expires_on} vs {now}"
    );
    // local time (TZ=UTC here), as Python's `datetime.fromtimestamp` writes it
    let seconds_of_day = expires_on.rem_euclid(86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}.000000",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    );
    assert!(
        printed["expiresOn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(" {clock}")),
        "{printed}"
    );

    // the same token again, from the cache (no request: the mock expected one), as a script reads it
    let run = cli.run(&[
        "az",
        "account",
        "get-access-token",
        "--resource",
        VAULT,
        "--query",
        "accessToken",
        "-o",
        "tsv",
    ]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "vault-at\n"), "{run:?}");
}

#[tokio::test]
async fn account_show_and_version_answer_in_the_azure_clis_names() {
    let (_server, cli) = connected().await;
    let dir = az_on_path();
    let run = az(&cli, dir.path(), &["account", "show"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    snapshot!(run.stdout, @r#"
    {
      "environmentName": "Mock",
      "homeTenantId": "[GUID]",
      "id": "[GUID]",
      "isDefault": true,
      "managedByTenants": [],
      "name": "N/A(tenant level account)",
      "state": "Enabled",
      "tenantId": "[GUID]",
      "user": {
        "name": "admin@contoso.com",
        "type": "user"
      }
    }
    "#);
    let run = az(&cli, dir.path(), &["version"], &[]);
    let version: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(version["azure-cli"], "2.67.0", "{run:?}");
    let own = cli.run(&["--version"]).stdout;
    assert_eq!(
        own,
        format!("msconnect {}\n", version["msconnect"].as_str().unwrap())
    );
    let run = az(&cli, dir.path(), &["--version"], &[]);
    assert!(run.stdout.starts_with("azure-cli "), "{run:?}");
}

#[tokio::test]
async fn other_commands_exit_2_and_nothing_connected_exits_1_as_the_azure_cli_does() {
    let cli = Cli::new();
    let dir = az_on_path();
    let run = az(&cli, dir.path(), &["group", "list"], &[]);
    assert_eq!(run.code, 2);
    snapshot!(run.stderr, @r"
    ERROR: 'group list' is not answered here
    msconnect's az stand-in answers `az account get-access-token`, `az account show`, `az version` and `az --version`; other commands need the Azure CLI.
    ");
    let run = az(
        &cli,
        dir.path(),
        &["account", "get-access-token", "--resource", VAULT],
        &[],
    );
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    snapshot!(run.stderr, @r"
    ERROR: Please run 'az login' to setup account.
    msconnect: no module is connected: run `msconnect <module> connect` first (partnercenter, secmgmt, entra or psentra), and MSCONNECT_CONTEXT=<module> to choose among several
    ");
    let run = az(
        &cli,
        dir.path(),
        &["account", "show"],
        &[("MSCONNECT_CONTEXT", "entra")],
    );
    assert_eq!(run.code, 1);
    snapshot!(run.stderr, @r"
    ERROR: Please run 'az login' to setup account.
    msconnect: MSCONNECT_CONTEXT=entra is not connected: run `msconnect entra connect` first
    ");
    // msconnect's own command line is untouched: no `account` command there
    assert_eq!(cli.run(&["account", "show"]).code, 2);
}

#[tokio::test]
async fn msconnect_context_chooses_the_module_that_answers() {
    let (_server, cli) = connected().await;
    let run = cli.run_with(
        &["az", "account", "show", "--query", "tenantId", "-o", "tsv"],
        "",
        &[("MSCONNECT_CONTEXT", "secmgmt/default")],
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, format!("{TENANT_ID}\n").as_str()),
        "{run:?}"
    );
    let run = cli.run_with(
        &["az", "account", "show"],
        "",
        &[("MSCONNECT_CONTEXT", "secmgmt/work")],
    );
    // not connected, as the Azure CLI says it (what AzureCliCredential reads), naming the variable
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("Please run 'az login' to setup account.")
            && run
                .stderr
                .contains("MSCONNECT_CONTEXT=secmgmt/work is not connected: run `msconnect secmgmt connect --context work` first"),
        "{run:?}"
    );
    let run = cli.run_with(
        &["az", "account", "show"],
        "",
        &[("MSCONNECT_CONTEXT", "partnercenter")],
    );
    assert_eq!(run.code, 1, "{run:?}");
}

/// Runs azure-identity's `AzureCliCredential` with `az` (msconnect) first on `PATH`: `get_token(scope)`
/// with `AzureCliCredential(tenant_id=tenant)` when a tenant is given. Prints the token and its expiry,
/// or the `CredentialUnavailableError`.
const PYTHON: &str = r#"
import json, sys
from azure.identity import AzureCliCredential, CredentialUnavailableError
scope, tenant = sys.argv[1], sys.argv[2]
try:
    credential = AzureCliCredential(tenant_id=tenant) if tenant else AzureCliCredential()
    token = credential.get_token(scope)
    print(json.dumps({"token": token.token, "expires_on": token.expires_on}))
except CredentialUnavailableError as error:
    print(json.dumps({"unavailable": str(error)}))
"#;

fn python_credential(cli: &Cli, scope: &str, tenant: &str) -> Value {
    let dir = az_on_path();
    let output = Command::new(peers::msal_python())
        .args(["-c", PYTHON, scope, tenant])
        .env_clear()
        .env("MSCONNECT_HOME", cli.home())
        .env("PATH", path_with(dir.path()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test]
async fn azure_identitys_azure_cli_credential_gets_tokens_from_msconnect() {
    let (mut server, cli) = connected().await;
    let vault = first_renewal(&mut server, "vault-at", &format!("{VAULT}/.default")).await;
    let answer = python_credential(&cli, &format!("{VAULT}/.default"), "");
    vault.assert_async().await;
    assert_eq!(answer["token"], "vault-at", "{answer}");
    assert!(answer["expires_on"].as_i64().is_some(), "{answer}");

    // another tenant, from the same sign-in: the refresh token goes to that tenant's endpoint
    let other = refresh(
        &mut server,
        OTHER_TENANT,
        "rt-2",
        "other-at",
        "rt-3",
        OTHER_TENANT,
        &format!("{VAULT}/.default"),
    )
    .await;
    let answer = python_credential(&cli, &format!("{VAULT}/.default"), OTHER_TENANT);
    other.assert_async().await;
    assert_eq!(answer["token"], "other-at", "{answer}");

    // nothing connected: the credential is unavailable, so DefaultAzureCredential moves on
    let answer = python_credential(&Cli::new(), &format!("{VAULT}/.default"), "");
    assert_eq!(
        answer["unavailable"], "Please run 'az login' to set up an account",
        "{answer}"
    );
}

#[tokio::test]
async fn the_rust_sdks_azure_cli_credential_gets_tokens_from_msconnect() {
    let (mut server, cli) = connected().await;
    let scope = format!("{VAULT}/.default");
    let vault = first_renewal(&mut server, "vault-at", &scope).await;
    let other = refresh(
        &mut server,
        OTHER_TENANT,
        "rt-2",
        "other-at",
        "rt-3",
        OTHER_TENANT,
        &scope,
    )
    .await;
    let dir = az_on_path();
    let run = |tenant: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_azure-cli-credential"))
            .args([scope.as_str(), tenant])
            .env_clear()
            .env("MSCONNECT_HOME", cli.home())
            .env("PATH", path_with(dir.path()))
            .output()
            .expect("running azure-cli-credential (built with the tests)");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run("");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("vault-at "), "{stdout}");
    let (code, stdout, stderr) = run(OTHER_TENANT);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("other-at "), "{stdout}");
    vault.assert_async().await;
    other.assert_async().await;
}
