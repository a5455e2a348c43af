//! Issue 26 (M2), through the binary: an answer that is almost JSON but not strict JSON (`NaN`, `1e400`,
//! a raw control character) is reported without the tokens in it, from the token endpoint, a managed
//! identity endpoint and GitHub Actions' OIDC endpoint alike, in the error and in `-v`'s traces.

use mockito::{Matcher, Server};

use super::{APP_ID, Cli, Run, TENANT_ID};

/// An access token as Microsoft issues them (a JWT).
const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLW9mLXRoZS1hY2Nlc3MtdG9rZW4";
/// A refresh token in Entra's shape (`0.A…`), shorter than the opaque runs a shape rule alone would catch.
const REFRESH_TOKEN: &str = "0.AXoAv4j5cvGGr0GRqy180BHbR1-refresh";
/// An ID token.
const ID_TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJvaWQiOiJ4In0.";
/// A secret in a member the redaction knows by name, shaped like nothing in particular.
const SHORT_SECRET: &str = "hunter2-short";

/// The ways the answers below break strict JSON.
const BREAKS: [&str; 3] = ["NaN", "1e400", "3600\u{1}"];

/// A token answer carrying every token, whose `expires_in` is `broken`.
fn token_answer(broken: &str) -> String {
    format!(
        r#"{{"token_type":"Bearer","access_token":"{ACCESS_TOKEN}","refresh_token":"{REFRESH_TOKEN}","id_token":"{ID_TOKEN}","password":"{SHORT_SECRET}","expires_in":{broken}}}"#
    )
}

/// Asserts that the run failed and that no token of the answer appears in what it printed.
fn assert_failed_without_tokens(what: &str, run: &Run) {
    assert_eq!(run.code, 1, "{what}: {run:?}");
    for secret in [
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        ID_TOKEN,
        SHORT_SECRET,
        "eyJ0eXAi",
        "0.AXoAv4j",
    ] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{what}: {secret} was printed:\n{}",
            run.stderr
        );
    }
}

/// `method path`, whatever its query, answered with `body` once.
async fn answer_once(server: &mut Server, method: &str, path: &str, body: String) -> mockito::Mock {
    server
        .mock(method, path)
        .match_query(Matcher::Any)
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_token_answer_that_is_not_strict_json_is_reported_without_its_tokens() {
    for broken in BREAKS {
        let mut server = Server::new_async().await;
        let token_path = format!("/{TENANT_ID}/oauth2/v2.0/token");
        let answered = answer_once(&mut server, "POST", &token_path, token_answer(broken)).await;
        let cli = Cli::new()
            .authority(&server.url())
            .env("MSCONNECT_CLIENT_SECRET", "client-secret");
        let run = cli.run(&[
            "psentra",
            "connect",
            "--client-id",
            APP_ID,
            "--tenant-id",
            TENANT_ID,
            "-v",
        ]);
        assert_failed_without_tokens(broken, &run);
        assert!(
            run.stderr.contains("unexpected HTTP 200 response"),
            "{}",
            run.stderr
        );
        answered.assert_async().await;
    }
}

#[tokio::test]
async fn a_managed_identity_answer_that_is_not_strict_json_is_reported_without_its_token() {
    for broken in BREAKS {
        let mut server = Server::new_async().await;
        let answered = answer_once(&mut server, "GET", "/msi/token", token_answer(broken)).await;
        let cli = Cli::new()
            .env("IDENTITY_ENDPOINT", &format!("{}/msi/token", server.url()))
            .env("IDENTITY_HEADER", "id-header-secret");
        let run = cli.run(&["psentra", "connect", "--identity", "-v"]);
        assert_failed_without_tokens(broken, &run);
        answered.assert_async().await;
    }
}

#[tokio::test]
async fn a_github_answer_that_is_not_strict_json_is_reported_without_its_federated_token() {
    for broken in BREAKS {
        let mut server = Server::new_async().await;
        let answer = format!(r#"{{"count":{broken},"value":"{ACCESS_TOKEN}"}}"#);
        let github = answer_once(&mut server, "GET", "/_apis/oidc/token", answer).await;
        let cli = Cli::new()
            .authority(&server.url())
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-secret");
        let run = cli.run(&[
            "entra",
            "connect",
            "--workload-identity",
            "--client-id",
            APP_ID,
            "--tenant-id",
            TENANT_ID,
            "-v",
        ]);
        assert_failed_without_tokens(broken, &run);
        assert!(!run.stderr.contains("gh-request-secret"), "{}", run.stderr);
        github.assert_async().await;
    }
}
