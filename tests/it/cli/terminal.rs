//! What a hostile server or a planted file says cannot drive the terminal: `ESC]0;…BEL` (retitle) and
//! `ESC[2J` (clear) in an error description, a device code message, a user name claim, a saved context
//! or an environment name reach neither stdout nor stderr; the text around them does.

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::user_token_response;

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

/// Retitles the terminal window.
const RETITLE: &str = "\u{1b}]0;owned\u{7}";
/// Clears the screen.
const CLEAR: &str = "\u{1b}[2J";

/// Fails when `text` holds an escape, a bell or any other control character but a line break.
fn assert_printable(what: &str, text: &str) {
    let bad: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}: {text:?}");
}

#[tokio::test]
async fn a_servers_error_description_cannot_retitle_or_clear_the_terminal() {
    let mut server = Server::new_async().await;
    let refused = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_status(400)
        .with_body(
            json!({
                "error": format!("invalid_grant{CLEAR}"),
                "error_description": format!("AADSTS70008: expired{RETITLE}{CLEAR}.\r\nTrace ID: t{CLEAR}"),
                "error_codes": [70008],
                "trace_id": format!("trace{RETITLE}"),
                "correlation_id": "9d1f8b2a-0000-4000-8000-000000000002",
            })
            .to_string(),
        )
        .expect(2)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());

    let plain = cli.run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--refresh-token",
            "-",
            "--application-id",
            APP_ID,
        ],
        "old\n",
    );
    let verbose = cli.run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--refresh-token",
            "-",
            "--application-id",
            APP_ID,
            "-v",
        ],
        "old\n",
    );

    assert_eq!(plain.code, 1, "{}", plain.stderr);
    assert_printable("stderr", &plain.stderr);
    snapshot!(plain.stderr, @r"
    error: AADSTS70008: expired.
    hint: the refresh token has expired: sign in again; correlation id: [GUID]
    ");
    assert_eq!(verbose.code, 1, "{}", verbose.stderr);
    assert_printable("stderr with -v", &verbose.stderr);
    assert!(
        verbose.stderr.contains("  trace id: trace\n"),
        "{}",
        verbose.stderr
    );
    refused.assert_async().await;
}

#[tokio::test]
async fn a_device_code_message_and_a_user_name_claim_cannot_drive_the_terminal() {
    let mut server = Server::new_async().await;
    let device = server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .with_body(
            json!({
                "user_code": "ABCD-EFGH", "device_code": "device-1",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1,
                "message": format!("{CLEAR}To sign in, open https://evil.example{RETITLE} and enter ABCD-EFGH."),
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let name = format!("admin{RETITLE}@contoso.com{CLEAR}");
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(Matcher::UrlEncoded("device_code".into(), "device-1".into()))
        .with_body(
            user_token_response(
                "at-1",
                "rt-1",
                OID,
                TENANT_ID,
                &name,
                "https://graph.microsoft.com/.default",
            )
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());

    // waits for real time: the flow polls no sooner than a second after the code
    let run = cli.run(&["entra", "connect", "--use-device-authentication"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_printable("stderr", &run.stderr);
    assert_printable("stdout", &run.stdout);
    snapshot!(run.stderr.lines().next().unwrap_or_default(), @"To sign in, open https://evil.example and enter ABCD-EFGH.");
    assert!(run.stdout.contains(": admin@contoso.com\n"), "{}", run.stdout);

    // the same name, read back from the saved context
    let context = cli.run(&["entra", "context"]);
    assert_eq!(context.code, 0, "{}", context.stderr);
    assert_printable("context", &context.stdout);
    assert!(
        context.stdout.contains(": admin@contoso.com\n"),
        "{}",
        context.stdout
    );
    device.assert_async().await;
    token.assert_async().await;
}

#[test]
fn environment_names_in_a_planted_file_are_listed_printable_and_whole() {
    let cli = Cli::new();
    let long = "n".repeat(65_536);
    let environment = |name: &str| {
        json!({
            "name": name,
            "authority_host": "https://login.sovereign.example/",
            "graph": "https://graph.sovereign.example/",
        })
    };
    let file = json!({"environments": [
        environment(&format!("evil{RETITLE}{CLEAR}name")),
        environment(&long),
    ]});
    std::fs::write(
        cli.home().join("environments.json"),
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();

    let run = cli.run(&["environment", "list"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_printable("stdout", &run.stdout);
    let listed: Vec<&str> = run.stdout.lines().skip(8).collect();
    assert!(listed[0].starts_with("evilname "), "{}", listed[0]);
    assert!(listed[1].starts_with(&format!("{long} User-defined ")));
    let json = cli.run(&["environment", "list", "-o", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_printable("stdout", &json.stdout);
}
