//! Named connections through the command line: a user and an application side by side in one module,
//! `switch`, `--context`/`MSCONNECT_CONTEXT` on every command, `status` (a revoked refresh token named
//! with the command that signs it in again), a context saved by the previous release, and processes
//! using different connections of one module at once.

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::{app_token_response, form, user_token_response};

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

const GRAPH: &str = "https://graph.microsoft.com/.default";

/// `secmgmt connect --context NAME` for a user, with the refresh token `rt-1`, answered once with
/// `answer`.
async fn connect_user(
    server: &mut Server,
    cli: &Cli,
    name: &str,
    answer: serde_json::Value,
) -> mockito::Mock {
    let mock = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &[
            "secmgmt",
            "connect",
            "--context",
            name,
            "--application-id",
            APP_ID,
        ],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-1")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    mock
}

/// The `secmgmt connect` of a service principal in `tenant` (its secret from `MSCONNECT_PASSWORD`).
fn app_connect<'a>(name: &'a str, tenant: &'a str) -> [&'a str; 9] {
    [
        "secmgmt",
        "connect",
        "--context",
        name,
        "--credential",
        APP_ID,
        "--service-principal",
        "--tenant",
        tenant,
    ]
}

/// `tenant`'s token endpoint answering the service principal's client credentials with `token`.
async fn app_answer(server: &mut Server, tenant: &str, token: &str) -> mockito::Mock {
    server
        .mock("POST", format!("/{tenant}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "pw-secret"),
        ]))
        .with_body(app_token_response(token).to_string())
        .expect(1)
        .create_async()
        .await
}

fn token(cli: &Cli, args: &[&str]) -> String {
    let run = cli.run(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[tokio::test]
async fn a_user_and_an_application_live_side_by_side_and_switch_chooses_the_current_one() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let user = user_token_response("user-at", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let user_sign_in = connect_user(&mut server, &cli, "alice", user).await;
    let app_sign_in = app_answer(&mut server, "contoso.com", "app-at").await;
    let run = cli.run_with(
        &app_connect("robot", "contoso.com"),
        "",
        &[("MSCONNECT_PASSWORD", "pw-secret")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // the last connected is current; each is reachable by name, typed or from MSCONNECT_CONTEXT
    assert_eq!(token(&cli, &["secmgmt", "token"]), "app-at\n");
    assert_eq!(
        token(&cli, &["secmgmt", "token", "--context", "alice"]),
        "user-at\n"
    );
    assert_eq!(token(&cli, &["secmgmt", "token", "--context=alice"]), "user-at\n");
    let from_env = cli.run_with(&["secmgmt", "token"], "", &[("MSCONNECT_CONTEXT", "alice")]);
    assert_eq!(from_env.stdout, "user-at\n", "{}", from_env.stderr);
    let parsed = cli.run_with(
        &["-o", "table", "secmgmt", "token"],
        "",
        &[("MSCONNECT_CONTEXT", "alice")],
    );
    assert_eq!(parsed.stdout, "user-at\n", "{}", parsed.stderr);
    // the variable's other forms, which the `az` stand-in reads too: `MODULE/NAME` chooses this module's
    // connection, another module's or a module alone leaves this one at its current connection
    for (value, expected) in [
        ("secmgmt/alice", "user-at\n"),
        ("entra/alice", "app-at\n"),
        ("secmgmt", "app-at\n"),
    ] {
        let run = cli.run_with(&["secmgmt", "token"], "", &[("MSCONNECT_CONTEXT", value)]);
        assert_eq!(run.stdout, expected, "{value}: {}", run.stderr);
    }
    let az = cli.run_with(
        &[
            "az",
            "account",
            "get-access-token",
            "--scope",
            GRAPH,
            "-o",
            "tsv",
            "--query",
            "accessToken",
        ],
        "",
        &[("MSCONNECT_CONTEXT", "secmgmt/alice")],
    );
    assert_eq!(az.stdout, "user-at\n", "{}", az.stderr);
    let az = cli.run_with(
        &[
            "az",
            "account",
            "get-access-token",
            "--scope",
            GRAPH,
            "-o",
            "tsv",
            "--query",
            "accessToken",
        ],
        "",
        &[("MSCONNECT_CONTEXT", "alice")],
    );
    assert_eq!(az.stdout, "user-at\n", "{}", az.stderr);

    let switched = cli.run(&["secmgmt", "switch", "alice"]);
    assert_eq!(switched.code, 0, "{}", switched.stderr);
    snapshot!(switched.stderr, @"SecMgmt now uses the connection 'alice'.");
    assert_eq!(token(&cli, &["secmgmt", "token"]), "user-at\n");
    let context = cli.run(&["secmgmt", "context", "-o", "json"]);
    assert!(context.stdout.contains("admin@contoso.com"), "{}", context.stdout);
    let context = cli.run(&["secmgmt", "context", "--context", "robot", "-o", "json"]);
    assert!(
        context.stdout.contains(APP_ID) && !context.stdout.contains("admin@contoso.com"),
        "{}",
        context.stdout
    );

    // both are listed, and both tokens are good: no request
    let status = cli.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    snapshot!(status.stdout, @r"
    Module  Name  Current Account                              Tenant                               Cloud      SignIn                     ExpiresIn Status
    ------  ----  ------- -------                              ------                               -----      ------                     --------- ------
    secmgmt alice *       admin@contoso.com                    [GUID] AzureCloud User (RefreshToken)        59m       ok
    secmgmt robot         [GUID] contoso.com                          AzureCloud Application (ClientSecret) 59m       ok

    Token cache: [HOME]/msal_token_cache.json (plain JSON, mode 0600)
    ");
    let json = cli.run(&["status", "secmgmt", "--context", "robot", "-o", "json"]);
    snapshot!(json.stdout, @r#"
    [
      {
        "Module": "secmgmt",
        "Name": "robot",
        "Current": false,
        "Account": "[GUID]",
        "Tenant": "contoso.com",
        "Cloud": "AzureCloud",
        "SignIn": "Application (ClientSecret)",
        "ExpiresOn": "[TIME]",
        "Cached": true,
        "Problem": null,
        "Protection": "none"
      }
    ]
    "#);

    let unknown = cli.run(&["secmgmt", "switch", "nobody"]);
    assert_eq!(unknown.code, 1);
    snapshot!(unknown.stderr, @"error: not connected to SecMgmt as 'nobody': run `msconnect secmgmt connect --context nobody` first (saved: alice, robot; choose one with --context or `msconnect secmgmt switch NAME`)");

    // forgetting one leaves the other untouched
    let gone = cli.run(&["secmgmt", "disconnect", "--context", "robot"]);
    snapshot!(gone.stderr, @"Disconnected from SecMgmt as 'robot'.");
    let robot = cli.run(&["secmgmt", "token", "--context", "robot"]);
    assert_eq!(robot.code, 1);
    snapshot!(robot.stderr, @"error: not connected to SecMgmt as 'robot': run `msconnect secmgmt connect --context robot` first (saved: alice; choose one with --context or `msconnect secmgmt switch NAME`)");
    assert_eq!(token(&cli, &["secmgmt", "token"]), "user-at\n");
    user_sign_in.assert_async().await;
    app_sign_in.assert_async().await;
}

#[tokio::test]
async fn a_name_that_is_not_one_is_a_usage_error_naming_context() {
    let cli = Cli::new();
    let typed = cli.run(&["secmgmt", "token", "--context", "../evil"]);
    assert_eq!(typed.code, 2);
    snapshot!(typed.stderr, @r"
    error: invalid value '../evil' for '--context <NAME>': '../evil' is not a name: letters, digits, '-', '_' and '.' (not first), at most 64

    For more information, try '--help'.
    ");
    for args in [
        &["secmgmt", "token"][..],
        &["secmgmt", "connect"],
        &["secmgmt", "disconnect"],
    ] {
        let from_env = cli.run_with(args, "", &[("MSCONNECT_CONTEXT", "a b")]);
        assert_eq!(from_env.code, 2, "{args:?}");
        assert!(
            from_env
                .stderr
                .starts_with("error: MSCONNECT_CONTEXT: 'a b' is not a name"),
            "{args:?}: {}",
            from_env.stderr
        );
    }
    assert!(!cli.home().join("contexts").exists());
}

#[tokio::test]
async fn status_names_a_connection_whose_refresh_token_was_revoked_and_how_to_sign_in_again() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let mut short = user_token_response("user-at", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    short["expires_in"] = json!(120); // under five minutes: status must renew it
    let user_sign_in = connect_user(&mut server, &cli, "alice", short).await;
    let app_sign_in = app_answer(&mut server, "contoso.com", "app-at").await;
    let run = cli.run_with(
        &app_connect("robot", "contoso.com"),
        "",
        &[("MSCONNECT_PASSWORD", "pw-secret")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let revoked = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-2"),
        ]))
        .with_status(400)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS50173: The provided grant has expired due to it being revoked.",
                "error_codes": [50173]
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;

    let status = cli.run(&["status"]);

    assert_eq!(status.code, 1, "{}", status.stderr);
    snapshot!(status.stdout, @r"
    Module  Name  Current Account                              Tenant                               Cloud      SignIn                     ExpiresIn Status
    ------  ----  ------- -------                              ------                               -----      ------                     --------- ------
    secmgmt alice         admin@contoso.com                    [GUID] AzureCloud User (RefreshToken)        -         dead
    secmgmt robot *       [GUID] contoso.com                          AzureCloud Application (ClientSecret) 59m       ok

    Token cache: [HOME]/msal_token_cache.json (plain JSON, mode 0600)
    ");
    assert!(
        status
            .stderr
            .starts_with("error: 1 connection cannot give a token:\nsecmgmt 'alice': "),
        "{}",
        status.stderr
    );
    assert!(status.stderr.contains("AADSTS50173"), "{}", status.stderr);
    assert!(
        status
            .stderr
            .ends_with(&format!("  sign in again: msconnect secmgmt connect --context alice --tenant {TENANT_ID} (a User (RefreshToken) sign-in)\n")),
        "{}",
        status.stderr
    );
    // the live one alone is fine
    let robot = cli.run(&["status", "--context", "robot"]);
    assert_eq!(robot.code, 0, "{}", robot.stderr);
    user_sign_in.assert_async().await;
    app_sign_in.assert_async().await;
    revoked.assert_async().await;
}

#[tokio::test]
async fn force_refresh_renews_every_connection_even_with_valid_tokens() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_PASSWORD", "pw-secret");
    let first = app_answer(&mut server, "contoso.com", "app-at").await;
    let run = cli.run(&app_connect("robot", "contoso.com"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert_async().await;
    let plain = cli.run(&["status"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);

    let renewed = app_answer(&mut server, "contoso.com", "app-at-2").await;
    let forced = cli.run(&["status", "--force-refresh", "-o", "json"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(forced.stdout.contains(r#""Cached": false"#), "{}", forced.stdout);
    renewed.assert_async().await;
    assert_eq!(token(&cli, &["secmgmt", "token"]), "app-at-2\n");
}

#[tokio::test]
async fn a_context_saved_by_the_previous_release_loads_as_the_current_default() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let user = user_token_response("user-at", "rt-2", OID, TENANT_ID, "admin@contoso.com", GRAPH);
    let sign_in = connect_user(&mut server, &cli, "default", user).await;
    // the previous release's layout: one file a module, no folder, no `current`
    let contexts = cli.home().join("contexts");
    std::fs::rename(
        contexts.join("secmgmt/default.json"),
        contexts.join("secmgmt.json"),
    )
    .unwrap();
    std::fs::remove_dir_all(contexts.join("secmgmt")).unwrap();

    assert_eq!(token(&cli, &["secmgmt", "token"]), "user-at\n");
    assert_eq!(
        token(&cli, &["secmgmt", "token", "--context", "default"]),
        "user-at\n"
    );
    let status = cli.run(&["status", "-o", "json"]);
    assert!(
        status.stdout.contains(r#""Name": "default""#) && status.stdout.contains(r#""Current": true"#),
        "{}",
        status.stdout
    );
    let gone = cli.run(&["secmgmt", "disconnect"]);
    snapshot!(gone.stderr, @"Disconnected from SecMgmt.");
    assert!(!contexts.join("secmgmt.json").exists());
    sign_in.assert_async().await;
}

/// Two processes at once on two connections of one module: each connect saves its own, and a `token`
/// of one while the other connects always answers for its own tenant.
#[tokio::test]
async fn two_processes_on_two_connections_at_once_never_see_each_others() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_PASSWORD", "pw-secret");
    let tenant_a = "tenant-a.example";
    let tenant_b = "tenant-b.example";
    let mut answers = Vec::new();
    for (tenant, token) in [(tenant_a, "at-a"), (tenant_b, "at-b")] {
        answers.push(
            server
                .mock("POST", format!("/{tenant}/oauth2/v2.0/token").as_str())
                .match_body(Matcher::UrlEncoded(
                    "grant_type".into(),
                    "client_credentials".into(),
                ))
                .with_body(app_token_response(token).to_string())
                .expect_at_least(1)
                .create_async()
                .await,
        );
    }
    // both connect at the same time
    let connects = [
        cli.spawn(&app_connect("a", tenant_a)),
        cli.spawn(&app_connect("b", tenant_b)),
    ];
    for child in connects {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", cli.text(&output.stderr));
    }
    // then `b` connects again and again while `a`'s token is asked for
    for _ in 0..5 {
        let token_a = cli.spawn(&["secmgmt", "token", "--context", "a"]);
        let connect_b = cli.spawn(&app_connect("b", tenant_b));
        let token_b = cli.spawn(&["secmgmt", "token", "--context", "b"]);
        for (child, expected) in [(token_a, "at-a\n"), (token_b, "at-b\n")] {
            let output = child.wait_with_output().unwrap();
            assert_eq!(cli.text(&output.stdout), expected, "{}", cli.text(&output.stderr));
        }
        assert!(connect_b.wait_with_output().unwrap().status.success());
    }
    let status = cli.run(&["status", "-o", "json"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    let listed: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let tenants: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["Name"].as_str().unwrap(), s["Tenant"].as_str().unwrap()))
        .collect();
    assert_eq!(tenants, [("a", tenant_a), ("b", tenant_b)]);
    for answer in answers {
        answer.assert_async().await;
    }
}
