//! Issue 23, through the binary: continuous access evaluation. `connect --cae` announces the `cp1`
//! client capability on the sign-in and on every renewal (checked on the wire), the connection
//! remembers it, and its tokens are cached apart; `token --claims` merges a challenge with it; an
//! interactive connect carries `--claims-challenge`.

use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::{form, user_token_response};

use super::{APP_ID, Cli, OID, TENANT_ID};

const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
/// Where the connection's renewals go: its tenant's endpoint.
const RENEWAL_PATH: &str = "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token";
const CP1: &str = r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#;

fn answer(access_token: &str) -> String {
    user_token_response(
        access_token,
        "rt-1",
        OID,
        TENANT_ID,
        "admin@contoso.com",
        "https://graph.microsoft.com/.default",
    )
    .to_string()
}

/// The targets of the access tokens in the cache file.
fn cached_targets(cli: &Cli) -> Vec<String> {
    let text = std::fs::read_to_string(cli.home().join("msal_token_cache.json")).unwrap();
    let cache: Value = serde_json::from_str(&text).unwrap();
    let mut targets: Vec<String> = cache["AccessToken"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .map(|e| e["target"].as_str().unwrap_or_default().to_owned())
        .collect();
    targets.sort();
    targets
}

#[tokio::test]
async fn a_cae_connection_announces_cp1_on_every_request_and_keeps_its_tokens_apart() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let connect = server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-0"),
            ("claims", CP1),
        ]))
        .with_body(answer("cae-at-1"))
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &["secmgmt", "connect", "--application-id", APP_ID, "--cae"],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-0")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    connect.assert_async().await;
    // served from the cache, which keeps it under its own mark
    let run = cli.run(&["secmgmt", "token"]);
    assert_eq!(run.stdout, "cae-at-1\n", "{}", run.stderr);
    assert!(
        cached_targets(&cli)
            .iter()
            .all(|t| t.contains("msconnect.capabilities:cp1")),
        "{:?}",
        cached_targets(&cli)
    );

    // the renewal announces it too
    let renewal = server
        .mock("POST", RENEWAL_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("claims", CP1),
        ]))
        .with_body(answer("cae-at-2"))
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&["secmgmt", "token", "--force-refresh"]);
    assert_eq!(run.stdout, "cae-at-2\n", "{}", run.stderr);
    renewal.assert_async().await;

    // a challenge is merged with the capability
    let challenged = server
        .mock("POST", RENEWAL_PATH)
        .match_body(Matcher::UrlEncoded(
            "claims".into(),
            r#"{"access_token":{"nbf":{"essential":true,"value":"1795341600"},"xms_cc":{"values":["cp1"]}}}"#
                .into(),
        ))
        .with_body(answer("cae-at-3"))
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&[
        "secmgmt",
        "token",
        "--claims",
        r#"{"access_token":{"nbf":{"essential":true,"value":"1795341600"}}}"#,
    ]);
    assert_eq!(run.stdout, "cae-at-3\n", "{}", run.stderr);
    challenged.assert_async().await;

    // another module's connection of the same account and client, without CAE, is not served the CAE
    // token: it asks, without claims, and its token is kept beside the other
    let plain = server
        .mock("POST", TOKEN_PATH)
        .match_body(Matcher::UrlEncoded("refresh_token".into(), "rt-9".into()))
        // a request that announced the capability gets an answer with no token, which fails the connect
        .with_body_from_request(|request| {
            let body = String::from_utf8_lossy(request.body().unwrap_or(&Vec::new())).into_owned();
            if body.contains("claims=") {
                b"{}".to_vec()
            } else {
                answer("plain-at").into_bytes()
            }
        })
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &["secmgmt", "connect", "--application-id", APP_ID],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-9")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    plain.assert_async().await;
    let run = cli.run(&["secmgmt", "token"]);
    assert_eq!(run.stdout, "plain-at\n", "{}", run.stderr);
    let targets = cached_targets(&cli);
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert_eq!(
        targets
            .iter()
            .filter(|t| t.contains("msconnect.capabilities:cp1"))
            .count(),
        1,
        "{targets:?}"
    );
}

#[tokio::test]
async fn an_interactive_connect_carries_the_claims_challenge_with_the_capability() {
    let mut server = Server::new_async().await;
    let challenge = r#"{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}"#;
    let merged =
        r#"{"access_token":{"capolids":{"essential":true,"values":["c1"]},"xms_cc":{"values":["cp1"]}}}"#;
    let device = server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .match_body(Matcher::UrlEncoded("claims".into(), merged.into()))
        .with_body(
            json!({
                "user_code": "ABCD-EFGH", "device_code": "device-1",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1,
                "message": "To sign in, enter ABCD-EFGH.",
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let token = server
        .mock("POST", TOKEN_PATH)
        .match_body(Matcher::UrlEncoded("device_code".into(), "device-1".into()))
        .with_body(answer("at-1"))
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());
    let encoded = base64_of(challenge);
    let run = cli.run(&[
        "secmgmt",
        "connect",
        "--device-code",
        "--cae",
        "--claims-challenge",
        &encoded,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    device.assert_async().await;
    token.assert_async().await;

    let run = cli.run(&[
        "secmgmt",
        "connect",
        "--device-code",
        "--claims-challenge",
        "nope",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--claims-challenge"), "{}", run.stderr);
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
