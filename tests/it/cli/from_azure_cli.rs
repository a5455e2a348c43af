//! `connect --from-azure-cli` when the Azure CLI cannot lend its sign-in: no account, a service
//! principal, an encrypted cache, several accounts and no `--account`. Each is a clear error naming what
//! to do, and nothing reaches the authority.

use mockito::{Matcher, Server};

use super::{Cli, TENANT_ID};

const USER: &str = r#"{"name": "alice@contoso.com", "type": "user"}"#;

/// An Azure CLI folder whose profile has these `(user, default)` subscriptions, and an empty cache.
fn azure_cli(users: &[(&str, bool)]) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    let subscriptions: Vec<String> = users
        .iter()
        .map(|(user, default)| {
            format!(r#"{{"user": {user}, "tenantId": "{TENANT_ID}", "isDefault": {default}, "environmentName": "AzureCloud"}}"#)
        })
        .collect();
    std::fs::write(
        folder.path().join("azureProfile.json"),
        format!("\u{feff}{{\"subscriptions\": [{}]}}", subscriptions.join(", ")),
    )
    .unwrap();
    std::fs::write(folder.path().join("msal_token_cache.json"), "{}").unwrap();
    folder
}

#[tokio::test]
async fn without_a_user_to_share_from_azure_cli_says_what_to_do_and_sends_nothing() {
    let mut server = Server::new_async().await;
    let posted = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let connect = |folder: &std::path::Path, module: &str, more: &[&str]| {
        let cli = Cli::new()
            .authority(&server.url())
            .env("AZURE_CONFIG_DIR", folder.to_str().unwrap());
        let mut args = vec![module, "connect", "--from-azure-cli"];
        args.extend_from_slice(more);
        let run = cli.run(&args);
        assert_eq!(run.stdout, "", "{run:?}");
        (run.code, run.stderr.replace(folder.to_str().unwrap(), "[AZ]"))
    };

    let never = tempfile::tempdir().unwrap();
    assert_eq!(
        connect(never.path(), "partnercenter", &[]),
        (
            1,
            "error: the Azure CLI has no signed-in account (in [AZ]); run az login\n".to_owned()
        )
    );

    let app = r#"{"name": "11111111-2222-3333-4444-555555555555", "type": "servicePrincipal"}"#;
    let principal = azure_cli(&[(app, true)]);
    let (code, stderr) = connect(principal.path(), "secmgmt", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the Azure CLI uses a service principal")
            && stderr.contains("use --service-principal"),
        "{stderr}"
    );

    let encrypted = azure_cli(&[(USER, true)]);
    std::fs::remove_file(encrypted.path().join("msal_token_cache.json")).unwrap();
    std::fs::write(encrypted.path().join("msal_token_cache.bin"), b"\x01\x00\x00\x00").unwrap();
    let (code, stderr) = connect(encrypted.path(), "entra", &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("keeps its token cache encrypted ([AZ]/msal_token_cache.bin)")
            && stderr.contains("az config set core.encrypt_token_cache=false"),
        "{stderr}"
    );

    let bob = r#"{"name": "bob@contoso.com", "type": "user"}"#;
    let two = azure_cli(&[(USER, true), (bob, false)]);
    let (code, stderr) = connect(two.path(), "psentra", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: --account: the Azure CLI has several accounts (alice@contoso.com, bob@contoso.com): \
             name the one to use"
        ),
        "{stderr}"
    );
    // the account chosen has no token in the Azure CLI's cache: signed out there
    let (code, stderr) = connect(two.path(), "psentra", &["--account", "BOB@contoso.com"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            1,
            "error: bob@contoso.com is signed out in the Azure CLI; run az login or connect again\n"
        )
    );
    posted.assert_async().await;
}
