//! What connecting leaves behind, across processes: `context` prints it, `token` prints a token from the
//! cache (no request) or renews it, `disconnect` forgets the context and its tokens, and `token` then
//! fails. Also New-PartnerAccessToken's AuthResult and PSMicrosoftEntraID's `--pass-thru`.

use mockito::Server;
use serde_json::json;
use test_support::form;
use test_support::user_token_response;

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const GRAPH: &str = "https://graph.microsoft.com/.default";

/// `secmgmt connect` with a refresh token: the token endpoint answers once with `answer`.
async fn connect_secmgmt(server: &mut Server, cli: &Cli, answer: serde_json::Value) -> mockito::Mock {
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
    let run = cli.run(&["secmgmt", "connect", "--application-id", APP_ID]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    mock
}

#[tokio::test]
async fn token_comes_from_the_cache_in_a_second_process() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;

    let token = cli.run(&["secmgmt", "token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout, "at-1\n");
    assert_eq!(token.stderr, "");

    let json = cli.run(&["secmgmt", "token", "-o", "json"]);
    snapshot!(json.stdout, @r#"
    {
      "AccessToken": "at-1",
      "ExpiresOn": "[TIME]",
      "TenantId": "[GUID]",
      "Scopes": [
        "https://graph.microsoft.com/.default"
      ],
      "TokenType": "Bearer"
    }
    "#);

    let context = cli.run(&["secmgmt", "context"]);
    assert_eq!(context.code, 0, "{}", context.stderr);
    snapshot!(context.stdout, @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    [GUID]     AzureCloud  [GUID]

    Token cache: [HOME]/msal_token_cache.json (plain JSON, mode 0600)
    ");
    let context = cli.run(&["secmgmt", "context", "-o", "json"]);
    snapshot!(context.stdout, @r#"
    {
      "Account": {
        "ExtendedProperties": {
          "ApplicationId": "[GUID]",
          "Scope": "https://graph.microsoft.com/.default"
        },
        "Identifier": "admin@contoso.com",
        "ObjectId": "[GUID]",
        "Tenant": "[GUID]",
        "Type": "User"
      },
      "Environment": {
        "ActiveDirectoryAuthority": "http://127.0.0.1:[PORT]",
        "AzureAdGraphEndpoint": "https://graph.windows.net",
        "AzureEndpoint": "https://management.azure.com",
        "GraphEndpoint": "https://graph.microsoft.com",
        "EnvironmentName": "AzureCloud"
      },
      "ExtendedProperties": {},
      "TokenCache": {
        "Path": "[HOME]/msal_token_cache.json",
        "Protection": "none"
      }
    }
    "#);
    // one sign-in, and every later command answered from the files
    connect.assert_async().await;
}

#[tokio::test]
async fn an_expiring_token_is_renewed_with_the_cached_refresh_token() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let mut short = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    short["expires_in"] = json!(120); // under MSAL's five minutes: already stale
    let connect = connect_secmgmt(&mut server, &cli, short).await;
    let renew = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-2"),
            ("client_id", APP_ID),
        ]))
        .with_body(
            user_token_response("at-2", "rt-3", OID, TENANT_ID, "admin@contoso.com", GRAPH).to_string(),
        )
        .expect(1)
        .create_async()
        .await;

    let token = cli.run(&["secmgmt", "token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout, "at-2\n");
    let again = cli.run(&["secmgmt", "token"]);
    assert_eq!(again.stdout, "at-2\n", "the renewed token was cached");
    connect.assert_async().await;
    renew.assert_async().await;
}

/// `<module> token` and the same command with an option given its default value: one is recognised
/// before the command line is parsed (main.rs), the other parsed; both must answer alike.
fn plain_and_parsed(cli: &Cli, module: &str) -> [(i32, String, String); 2] {
    [
        cli.run(&[module, "token"]),
        cli.run(&["--output", "table", module, "token"]),
    ]
    .map(|run| (run.code, run.stdout, run.stderr))
}

#[tokio::test]
async fn a_plain_token_command_answers_as_the_parsed_command_line_does() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    for module in ["partnercenter", "secmgmt", "entra", "psentra"] {
        let [plain, parsed] = plain_and_parsed(&cli, module);
        assert_eq!(plain, parsed, "{module}, not connected");
        assert_eq!(plain.0, 1);
        assert!(plain.2.starts_with("error: not connected to "), "{}", plain.2);
    }
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;
    let [plain, parsed] = plain_and_parsed(&cli, "secmgmt");
    assert_eq!(plain, parsed, "connected");
    assert_eq!(plain, (0, "at-1\n".to_owned(), String::new()));
    // anything else is the command line's: a module spelled otherwise is a usage error
    let other = cli.run(&["SecMgmt", "token"]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    connect.assert_async().await;
}

#[tokio::test]
async fn token_for_other_scopes_uses_the_refresh_token() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;
    let other = "https://management.azure.com/.default";
    let renew = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("refresh_token", "rt-2"),
            ("scope", &format!("{other} openid profile offline_access")),
        ]))
        .with_body(
            user_token_response("arm-token", "rt-3", OID, TENANT_ID, "admin@contoso.com", other).to_string(),
        )
        .expect(1)
        .create_async()
        .await;

    let token = cli.run(&["secmgmt", "token", "--scopes", other]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout, "arm-token\n");
    connect.assert_async().await;
    renew.assert_async().await;
}

#[tokio::test]
async fn disconnect_forgets_the_context_and_its_tokens() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;
    let cache = cli.home().join("msal_token_cache.json");
    assert!(std::fs::read_to_string(&cache).unwrap().contains("rt-2"));

    let what_if = cli.run(&["secmgmt", "disconnect", "--what-if"]);
    snapshot!(what_if.stdout, @r#"What if: Performing the operation "Disconnect" on target "SecMgmt context""#);
    assert_eq!(
        cli.run(&["secmgmt", "token"]).stdout,
        "at-1\n",
        "--what-if disconnected"
    );

    let disconnect = cli.run(&["Disconnect-SecMgmtAccount"]);
    assert_eq!(disconnect.code, 0, "{}", disconnect.stderr);
    assert_eq!(disconnect.stdout, "");
    snapshot!(disconnect.stderr, @"Disconnected from SecMgmt.");
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(!cached.contains("rt-2") && !cached.contains("at-1"), "{cached}");

    let token = cli.run(&["secmgmt", "token"]);
    assert_eq!(token.code, 1);
    assert_eq!(token.stdout, "");
    snapshot!(token.stderr, @"error: not connected to SecMgmt: run `msconnect secmgmt connect` first");
    assert_eq!(cli.run(&["secmgmt", "context"]).code, 1);
    let again = cli.run(&["secmgmt", "disconnect"]);
    assert_eq!(again.code, 0);
    snapshot!(again.stderr, @"Not connected to SecMgmt: nothing to forget.");
    connect.assert_async().await;
}

#[tokio::test]
async fn modules_keep_separate_contexts() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;
    let entra = cli.run(&["entra", "token"]);
    assert_eq!(entra.code, 1);
    assert!(
        entra.stderr.contains("not connected to Microsoft Entra"),
        "{}",
        entra.stderr
    );
    connect.assert_async().await;
}

#[tokio::test]
async fn new_partner_access_token_prints_the_auth_result() {
    let mut server = Server::new_async().await;
    let scope = "https://api.partnercenter.microsoft.com/user_impersonation";
    let mock = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("client_id", APP_ID),
        ]))
        .with_body(
            user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", scope).to_string(),
        )
        .expect(2)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let args = [
        "New-PartnerAccessToken",
        "--application-id",
        APP_ID,
        "--scopes",
        scope,
        "--tenant",
        "contoso.com",
    ];

    let table = cli.run(&args);
    assert_eq!(table.code, 0, "{}", table.stderr);
    // the token is what the cmdlet is for: the default list shows it, as PowerShell's does (issue 14)
    snapshot!(table.stdout, @r"
    AccessToken  : at-1
    RefreshToken : rt-2
    ExpiresOn    : [TIME]
    TenantId     : [GUID]
    Account      : admin@contoso.com
    UniqueId     : [GUID]
    Scopes       : {https://api.partnercenter.microsoft.com/user_impersonation}
    ");
    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let json = cli.run(&json_args);
    snapshot!(json.stdout, @r#"
    {
      "AccessToken": "at-1",
      "RefreshToken": "rt-2",
      "ExpiresOn": "[TIME]",
      "ExtendedExpiresOn": "[TIME]",
      "TenantId": "[GUID]",
      "UniqueId": "[GUID]",
      "Account": "admin@contoso.com",
      "Scopes": [
        "https://api.partnercenter.microsoft.com/user_impersonation"
      ]
    }
    "#);
    // New-PartnerAccessToken connects nothing
    assert_eq!(cli.run(&["partnercenter", "context"]).code, 1);
    mock.assert_async().await;
}

#[tokio::test]
async fn psentra_pass_thru_adds_the_token_to_the_connection() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "s3"),
        ]))
        .with_body(test_support::app_token_response("app-token").to_string())
        .expect(1) // the second connect finds the app's token in the cache, as MSAL does
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CLIENT_SECRET", "s3");
    let args = [
        "-o",
        "json",
        "psentra",
        "connect",
        "--client-id",
        APP_ID,
        "--tenant-id",
        "contoso.com",
    ];

    let plain: serde_json::Value = serde_json::from_str(&cli.run(&args).stdout).unwrap();
    assert!(plain.get("AccessToken").is_none(), "{plain}");
    let mut pass_thru = args.to_vec();
    pass_thru.push("--pass-thru");
    let with_token: serde_json::Value = serde_json::from_str(&cli.run(&pass_thru).stdout).unwrap();
    assert_eq!(with_token["AccessToken"], "app-token");
    // the default list shows the token only with --pass-thru, as PowerShell's list of the object does
    let table = cli.run(&args[2..]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(!table.stdout.contains("app-token"), "{}", table.stdout);
    let mut table_pass_thru = args[2..].to_vec();
    table_pass_thru.push("--pass-thru");
    let table = cli.run(&table_pass_thru);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.ends_with("\nAccessToken       : app-token\n"),
        "{}",
        table.stdout
    );
    let saved = std::fs::read_to_string(cli.home().join("contexts/psentra/default.json")).unwrap();
    assert!(
        !saved.contains("app-token"),
        "the saved context holds the token: {saved}"
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn a_cached_token_needs_no_http_client() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let answer = user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let connect = connect_secmgmt(&mut server, &cli, answer).await;
    // An unreadable CA file fails the HTTP client as soon as one is built: a cached `token` builds none
    // (nor the async runtime), so it does not notice.
    let broken = [("SSL_CERT_FILE", "/nonexistent/ca.pem")];

    let token = cli.run_with(&["-v", "secmgmt", "token"], "", &broken);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout, "at-1\n");
    assert!(!token.stderr.contains("renewing"), "{}", token.stderr);

    let network = cli.run_with(
        &["secmgmt", "connect", "--application-id", super::APP_ID],
        "",
        &broken,
    );
    assert_eq!(network.code, 1);
    assert!(network.stderr.contains("SSL_CERT_FILE"), "{}", network.stderr);
    connect.assert_async().await;
}

#[test]
fn every_module_says_when_it_is_not_connected() {
    let cli = Cli::new();
    for (module, title) in [
        ("partnercenter", "Partner Center"),
        ("secmgmt", "SecMgmt"),
        ("entra", "Microsoft Entra"),
        ("psentra", "PSMicrosoftEntraID"),
    ] {
        for command in ["context", "token"] {
            let run = cli.run(&[module, command]);
            assert_eq!(run.code, 1, "{module} {command}");
            assert_eq!(run.stdout, "");
            assert_eq!(
                run.stderr,
                format!("error: not connected to {title}: run `msconnect {module} connect` first\n")
            );
        }
        let disconnect = cli.run(&[module, "disconnect"]);
        assert_eq!(disconnect.code, 0);
        assert_eq!(
            disconnect.stderr,
            format!("Not connected to {title}: nothing to forget.\n")
        );
    }
}
