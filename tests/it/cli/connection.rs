//! Issue 14, through the binary: what `disconnect` removes (and keeps for the other modules), what a
//! passthrough connection says when asked for another scope, which token responses are refused before
//! anything is saved, and the cache file before and after.

use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::form;
use test_support::{jwt, user_token_response};

use super::connect::mock_environment;
use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const OTHER_APP: &str = "00000000-0000-0000-0000-0000000b0b0b";

/// The access token entries of the cache file: (client id, secret).
fn access_tokens(cli: &Cli) -> Vec<(String, String)> {
    entries(cli, "AccessToken")
}

fn entries(cli: &Cli, map: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(cli.home().join("msal_token_cache.json")).unwrap_or_default();
    let cache: Value = serde_json::from_str(&text).unwrap_or(json!({}));
    let mut out: Vec<(String, String)> = cache[map]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .map(|e| {
            (
                e["client_id"].as_str().unwrap_or_default().to_owned(),
                e["secret"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn refresh_token_answer(server: &mut Server, refresh_token: &str, answer: Value) -> mockito::Mock {
    server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn disconnecting_one_module_keeps_the_tokens_another_module_uses() {
    let mut server = Server::new_async().await;
    let cli = Cli::new();
    mock_environment(&cli, &server);
    let pc_scope = format!("{}/user_impersonation", server.url());
    let graph = format!("{}/.default", server.url());
    let pc = refresh_token_answer(
        &mut server,
        "pc-rt-0",
        user_token_response("pc-at", "pc-rt", OID, TENANT_ID, "admin@contoso.com", &pc_scope),
    )
    .await;
    let sm = refresh_token_answer(
        &mut server,
        "sm-rt-0",
        user_token_response("sm-at", "sm-rt", OID, TENANT_ID, "admin@contoso.com", &graph),
    )
    .await;
    let _profile = server
        .mock("GET", "/v1/profiles/organization")
        .with_body(json!({"culture": "en-US"}).to_string())
        .create_async()
        .await;
    let run = cli.run_with(
        &[
            "partnercenter",
            "connect",
            "--application-id",
            OTHER_APP,
            "--environment",
            "Mock",
        ],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "pc-rt-0")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
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
        &[("MSCONNECT_REFRESH_TOKEN", "sm-rt-0")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    pc.assert_async().await;
    sm.assert_async().await;
    assert_eq!(
        access_tokens(&cli),
        [
            (APP_ID.to_owned(), "sm-at".to_owned()),
            (OTHER_APP.to_owned(), "pc-at".to_owned())
        ]
    );

    let run = cli.run(&["secmgmt", "disconnect"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stderr, @"Disconnected from SecMgmt.");
    // secmgmt's tokens are gone; partnercenter's access and refresh tokens and the account stay
    assert_eq!(access_tokens(&cli), [(OTHER_APP.to_owned(), "pc-at".to_owned())]);
    assert_eq!(
        entries(&cli, "RefreshToken"),
        [(OTHER_APP.to_owned(), "pc-rt".to_owned())]
    );
    assert_eq!(entries(&cli, "Account").len(), 1);
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let token = cli.run(&["partnercenter", "token"]);
    assert_eq!(
        (token.code, token.stdout.as_str()),
        (0, "pc-at\n"),
        "{}",
        token.stderr
    );
    nothing.assert_async().await;

    // the last connection of the account takes the rest with it
    let run = cli.run(&["partnercenter", "disconnect"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(access_tokens(&cli), []);
    assert_eq!(entries(&cli, "RefreshToken"), []);
    assert_eq!(entries(&cli, "Account"), []);
}

#[tokio::test]
async fn a_passthrough_connection_asked_for_another_scope_says_it_holds_one_token() {
    let server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let token = jwt(&json!({
        "tid": TENANT_ID, "oid": OID, "upn": "admin@contoso.com", "exp": 4_102_444_800_i64,
        "aud": "https://graph.microsoft.com",
    }));
    let run = cli.run(&["entra", "connect", "--access-token", &token]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let held = cli.run(&["entra", "token"]);
    assert_eq!(
        (held.code, held.stdout.trim()),
        (0, token.as_str()),
        "{}",
        held.stderr
    );

    let other = cli.run(&["entra", "token", "--scopes", "https://vault.azure.net/.default"]);
    assert_eq!(other.code, 1);
    assert_eq!(other.stdout, "");
    snapshot!(other.stderr, @"error: this connection holds one access token, for https://graph.microsoft.com/.default; connect again to get a token for https://vault.azure.net/.default");
}

#[tokio::test]
async fn a_passthrough_token_whose_tid_is_not_a_tenant_id_is_refused_at_connect() {
    let server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let token = jwt(&json!({"tid": "contoso.com", "oid": OID, "exp": 4_102_444_800_i64}));
    let run = cli.run_with_stdin(&["partnercenter", "connect", "--access-token", "-"], &token);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    snapshot!(run.stderr, @r"
    error: --access-token: its tenant (tid) 'contoso.com' is not a tenant id (GUID): give a token issued by Microsoft Entra ID

    For more information, try '--help'.
    ");
    assert!(!cli.home().join("contexts/partnercenter/default.json").exists());
    assert_eq!(access_tokens(&cli), []);
}

/// Each answer is refused with exit 1, and leaves no token and no context.
#[tokio::test]
async fn token_responses_that_fail_validation_leave_nothing_behind() {
    let graph = "https://graph.microsoft.com/.default";
    let good = || user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", graph);
    let mut empty = good();
    empty["access_token"] = json!("");
    let mut negative = good();
    negative["expires_in"] = json!(-5);
    let mut no_id_token = good();
    no_id_token.as_object_mut().unwrap().remove("id_token");
    let mut messages = Vec::new();
    for answer in [empty, negative, no_id_token] {
        let mut server = Server::new_async().await;
        let cli = Cli::new()
            .authority(&server.url())
            .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
        let mock = refresh_token_answer(&mut server, "rt-1", answer).await;
        let run = cli.run(&["secmgmt", "connect", "--application-id", APP_ID]);
        mock.assert_async().await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stdout, "");
        messages.push(run.stderr);
        assert_eq!(access_tokens(&cli), []);
        assert_eq!(entries(&cli, "RefreshToken"), []);
        assert!(!cli.home().join("contexts/secmgmt/default.json").exists());
    }
    // The lifetime shown is counted from when the answer is checked: a loaded machine may take a second
    // or more after it arrived, so the -5 sent may show as -6 or less.
    let messages = messages.join("");
    let shown: i64 = messages
        .split("(expires_in ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no lifetime shown: {messages}"));
    assert!((-65..=-5).contains(&shown), "{messages}");
    let messages = messages.replace(&format!("(expires_in {shown})"), "(expires_in -5)");
    snapshot!(messages, @r"
    error: the sign-in was refused because the token response of 127.0.0.1 has an empty access_token; nothing was saved
    error: the sign-in was refused because the token response of 127.0.0.1 gives a token that is already expired (expires_in -5); nothing was saved
    error: the sign-in was refused because the token response of 127.0.0.1 has no id_token, so it does not say who signed in; nothing was saved
    ");
}

#[tokio::test]
async fn a_token_from_another_tenant_than_the_tenant_id_asked_for_is_a_warning_naming_both() {
    let mut server = Server::new_async().await;
    let asked = "11111111-2222-4333-8444-555555555555";
    let graph = "https://graph.microsoft.com/.default";
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_REFRESH_TOKEN", "rt-1");
    let mock = server
        .mock("POST", format!("/{asked}/oauth2/v2.0/token").as_str())
        .with_body(
            user_token_response("at-1", "rt-2", OID, TENANT_ID, "admin@contoso.com", graph).to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&[
        "secmgmt",
        "connect",
        "--application-id",
        APP_ID,
        "--tenant",
        asked,
    ]);
    mock.assert_async().await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stderr, @"warning: the token is for tenant [GUID], not the tenant asked for ([GUID])");
    assert!(
        run.stderr.contains(asked) && run.stderr.contains(TENANT_ID),
        "{}",
        run.stderr
    );
}

/// The issue's reproduction: after one good service-principal connect, a wrong secret is sent to the
/// authority and refused, instead of being served the cached token. (`--tenant-id common` is now refused
/// for a service principal before any request.)
#[tokio::test]
async fn a_wrong_secret_after_a_good_connect_is_refused_by_the_authority() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let good = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "s1"),
        ]))
        .with_body(test_support::app_token_response("app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let refused = json!({
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
    });
    let wrong = server
        .mock(
            "POST",
            Matcher::Regex("^/(contoso.com|common)/oauth2/v2.0/token$".into()),
        )
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "wrong"),
        ]))
        .with_status(401)
        .with_body(refused.to_string())
        .expect(1)
        .create_async()
        .await;
    let connect = |tenant: &str, secret: &str| {
        cli.run_with(
            &["psentra", "connect", "--client-id", APP_ID, "--tenant-id", tenant],
            "",
            &[("MSCONNECT_CLIENT_SECRET", secret)],
        )
    };
    let run = connect("contoso.com", "s1");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before = std::fs::read_to_string(cli.home().join("msal_token_cache.json")).unwrap();
    assert!(before.contains("\"msconnect_credential\": \"s1:"), "{before}");
    // the same secret again: served from the cache, no request
    assert_eq!(connect("contoso.com", "s1").code, 0);
    good.assert_async().await;
    let run = connect("contoso.com", "wrong");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("AADSTS7000215"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong"), "{}", run.stderr);
    wrong.assert_async().await;
    // the good connection's token and context are still there
    assert_eq!(access_tokens(&cli), [(APP_ID.to_owned(), "app-token".to_owned())]);
    let token = cli.run_with(&["psentra", "token"], "", &[("MSCONNECT_CLIENT_SECRET", "s1")]);
    assert_eq!(
        (token.code, token.stdout.as_str()),
        (0, "app-token\n"),
        "{}",
        token.stderr
    );
}

#[tokio::test]
async fn an_app_connected_with_credential_app_renews_with_msconnect_password() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let mut short = test_support::app_token_response("app-1");
    short["expires_in"] = json!(120); // under five minutes: `token` must renew it
    let connect = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "pw-secret"),
        ]))
        .with_body(short.to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &[
            "secmgmt",
            "connect",
            "--credential",
            APP_ID,
            "--service-principal",
            "--tenant",
            "contoso.com",
        ],
        "",
        &[("MSCONNECT_PASSWORD", "pw-secret")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    connect.assert_async().await;

    let without = cli.run(&["secmgmt", "token"]);
    assert_eq!(without.code, 1);
    snapshot!(without.stderr, @"error: application [GUID] needs a new token for https://graph.microsoft.com/.default (its token has expired) and no client secret was supplied to renew it: set MSCONNECT_CLIENT_SECRET (what --client-secret and --client-secret-credential read) or MSCONNECT_PASSWORD (what --credential reads), or connect again");

    let renew = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "pw-secret"),
        ]))
        .with_body(test_support::app_token_response("app-2").to_string())
        .expect(1)
        .create_async()
        .await;
    let token = cli.run_with(&["secmgmt", "token"], "", &[("MSCONNECT_PASSWORD", "pw-secret")]);
    assert_eq!(
        (token.code, token.stdout.as_str()),
        (0, "app-2\n"),
        "{}",
        token.stderr
    );
    renew.assert_async().await;
}
