//! Issue 23, through the binary: `token --tenant` for a user (its refresh token redeemed at each
//! tenant) and an application (its credential presented there), each token's `tid` checked and each
//! tenant's token cached apart; a tenant that asks for MFA (exit 1, the `connect` command shown, its
//! claims challenge included); `--force-refresh` and `--min-validity` counted in requests; `--claims`
//! on the wire; what a managed identity and a passed-through token say to `--tenant`.

use base64::Engine as _;
use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::{client_info, form, id_token_claims, jwt};

use super::{APP_ID, Cli, OID, TENANT_ID};
use crate::snapshot;

const HOME_TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const CUSTOMER_A: &str = "aaaaaaaa-1111-4111-8111-00000000000a";
const CUSTOMER_B: &str = "bbbbbbbb-1111-4111-8111-00000000000b";
const CUSTOMER_C: &str = "cccccccc-1111-4111-8111-00000000000c";

fn token_path(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

/// The authority's answer to the user (home tenant [`TENANT_ID`]) in `tenant`: the access token a JWT
/// naming that tenant, the ID token too, `client_info` the home account as Entra ID sends it.
fn user_answer_in(tenant: &str, refresh_token: &str) -> Value {
    json!({
        "token_type": "Bearer",
        "scope": "https://graph.microsoft.com/.default",
        "expires_in": 3599,
        "access_token": jwt(&json!({"tid": tenant, "oid": OID, "exp": 4_102_444_800_i64})),
        "refresh_token": refresh_token,
        "id_token": jwt(&id_token_claims(OID, tenant, "admin@contoso.com")),
        "client_info": client_info(OID, TENANT_ID),
    })
}

/// The `tid` claim of the access token `token` printed.
fn tid_of(stdout: &str) -> String {
    let payload = stdout.trim().split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["tid"].as_str().unwrap_or_default().to_owned()
}

/// `secmgmt connect` as the user, with a refresh token, at the home tenant.
async fn connect_user(server: &mut Server, cli: &Cli) {
    let connect = server
        .mock("POST", HOME_TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-0"),
        ]))
        .with_body(user_answer_in(TENANT_ID, "rt-1").to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &["secmgmt", "connect", "--application-id", APP_ID],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-0")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    connect.assert_async().await;
}

#[tokio::test]
async fn a_user_gets_a_token_in_each_customer_tenant_once_then_from_the_cache() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    connect_user(&mut server, &cli).await;
    let mut mocks = Vec::new();
    for tenant in [CUSTOMER_A, CUSTOMER_B, CUSTOMER_C] {
        mocks.push(
            server
                .mock("POST", token_path(tenant).as_str())
                .match_body(form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "rt-1"),
                    ("client_id", APP_ID),
                ]))
                .with_body(user_answer_in(tenant, "rt-1").to_string())
                .expect(1)
                .create_async()
                .await,
        );
    }
    // twice each: one request per tenant the first time, none the second
    for _ in 0..2 {
        for (tenant, spelling) in [
            (CUSTOMER_A, "--tenant"),
            (CUSTOMER_B, "--tenant-id"),
            (CUSTOMER_C, "--tenant"),
        ] {
            let run = cli.run(&["secmgmt", "token", spelling, tenant]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_eq!(tid_of(&run.stdout), tenant);
        }
    }
    for mock in mocks {
        mock.assert_async().await;
    }
    // the connection's own tenant is untouched: its token is still the home one
    let run = cli.run(&["secmgmt", "token"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tid_of(&run.stdout), TENANT_ID);
    let run = cli.run(&["secmgmt", "token", "--tenant", CUSTOMER_B, "-o", "json"]);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(printed["TenantId"], CUSTOMER_B);
}

#[tokio::test]
async fn an_application_signs_in_at_the_customer_tenant_with_its_own_credential() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let app_answer = |tenant: &str| {
        json!({"token_type": "Bearer", "expires_in": 3599,
               "access_token": jwt(&json!({"tid": tenant, "appid": APP_ID, "exp": 4_102_444_800_i64}))})
        .to_string()
    };
    let secret_form = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP_ID),
        ("client_secret", "app-secret"),
    ]);
    let home = server
        .mock("POST", token_path(TENANT_ID).as_str())
        .match_body(secret_form.clone())
        .with_body(app_answer(TENANT_ID))
        .expect(1)
        .create_async()
        .await;
    let customer = server
        .mock("POST", token_path(CUSTOMER_A).as_str())
        .match_body(secret_form)
        .with_body(app_answer(CUSTOMER_A))
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with_stdin(
        &[
            "secmgmt",
            "connect",
            "--service-principal",
            "--credential",
            APP_ID,
            "--tenant",
            TENANT_ID,
            "--password-stdin",
        ],
        "app-secret\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for _ in 0..2 {
        let run = cli.run_with(
            &["secmgmt", "token", "--tenant", CUSTOMER_A],
            "",
            &[("MSCONNECT_CLIENT_SECRET", "app-secret")],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(tid_of(&run.stdout), CUSTOMER_A);
    }
    home.assert_async().await;
    customer.assert_async().await;
}

#[tokio::test]
async fn a_tenant_that_asks_for_mfa_names_itself_and_the_connect_command_with_its_challenge() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    connect_user(&mut server, &cli).await;
    let challenge = r#"{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}"#;
    let refused = server
        .mock("POST", token_path(CUSTOMER_A).as_str())
        .with_status(400)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.\r\nTrace ID: 1",
                "error_codes": [50076],
                "suberror": "basic_action",
                "claims": challenge,
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&["secmgmt", "token", "--tenant", CUSTOMER_A]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let encoded = base64::engine::general_purpose::STANDARD.encode(challenge);
    assert!(
        run.stderr.contains(&format!(
            "msconnect secmgmt connect --tenant {CUSTOMER_A} --claims-challenge {encoded}"
        )),
        "{}",
        run.stderr
    );
    snapshot!(run.stderr.replace(&encoded, "[CHALLENGE]"), @r"
    error: tenant [GUID] needs you to sign in (AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.); run:
      msconnect secmgmt connect --tenant [GUID] --claims-challenge [CHALLENGE]
    ");
    refused.assert_async().await;
    // the refresh token was kept: the home tenant still renews with it
    let renewed = server
        .mock("POST", token_path(TENANT_ID).as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
        ]))
        .with_body(user_answer_in(TENANT_ID, "rt-2").to_string())
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&["secmgmt", "token", "--force-refresh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    renewed.assert_async().await;
}

#[tokio::test]
async fn force_refresh_and_min_validity_renew_a_cached_token_and_nothing_else_does() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    connect_user(&mut server, &cli).await;
    // the token lives an hour: --min-validity 5m and a plain token are served from the cache; two
    // hours and --force-refresh each renew it
    let renewals = server
        .mock("POST", token_path(TENANT_ID).as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
        ]))
        .with_body(user_answer_in(TENANT_ID, "rt-1").to_string())
        .expect(2)
        .create_async()
        .await;
    for args in [
        &["secmgmt", "token"][..],
        &["secmgmt", "token", "--min-validity", "5m"],
        &["secmgmt", "token", "--min-validity", "2h"],
        &["secmgmt", "token", "--force-refresh"],
        &["secmgmt", "token", "--min-validity", "90s"],
    ] {
        let run = cli.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(tid_of(&run.stdout), TENANT_ID);
    }
    renewals.assert_async().await;

    let run = cli.run(&["secmgmt", "token", "--min-validity", "soon"]);
    assert_eq!(run.code, 2);
    snapshot!(run.stderr, @r"
    error: --min-validity: 'soon' is not a duration: give a number and a unit, such as 90s, 5m, 2h or 1h30m

    For more information, try '--help'.
    ");
}

#[tokio::test]
async fn a_claims_challenge_is_redeemed_with_the_refresh_token_and_a_person_is_sent_to_connect() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    connect_user(&mut server, &cli).await;
    let challenge = r#"{"access_token":{"nbf":{"essential":true,"value":"1795341600"}}}"#;
    let encoded = base64::engine::general_purpose::STANDARD.encode(challenge);
    let answered = server
        .mock("POST", token_path(TENANT_ID).as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("claims", challenge),
        ]))
        .with_body(user_answer_in(TENANT_ID, "rt-1").to_string())
        .expect(1)
        .create_async()
        .await;
    // the cached token is skipped: the challenge is answered, given in base64 or as JSON
    let run = cli.run(&["secmgmt", "token", "--claims", &encoded]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    answered.assert_async().await;

    let refused = server
        .mock("POST", token_path(TENANT_ID).as_str())
        .match_body(Matcher::UrlEncoded("claims".into(), challenge.into()))
        .with_status(400)
        .with_body(
            json!({"error": "interaction_required", "error_description": "AADSTS50158: External security challenge not satisfied.",
                   "error_codes": [50158], "claims": challenge})
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&["secmgmt", "token", "--claims", challenge]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "msconnect secmgmt connect --tenant {TENANT_ID} --claims-challenge {encoded}"
        )),
        "{}",
        run.stderr
    );
    refused.assert_async().await;

    let run = cli.run(&["secmgmt", "token", "--claims", "not a challenge"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("error: --claims: "), "{}", run.stderr);
}

#[tokio::test]
async fn a_passed_through_token_cannot_be_had_in_another_tenant() {
    let server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let token =
        jwt(&json!({"tid": TENANT_ID, "oid": OID, "upn": "admin@contoso.com", "exp": 4_102_444_800_i64}));
    let run = cli.run(&["entra", "connect", "--ms-access-token", &token]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = cli.run(&["entra", "token", "--tenant", CUSTOMER_A]);
    assert_eq!(run.code, 2);
    snapshot!(run.stderr, @r"
    error: --tenant: an access token connection (one token, brought as it is) gives tokens for its own tenant ([GUID]) only

    For more information, try '--help'.
    ");
    let run = cli.run(&["secmgmt", "token", "--tenant", "not a tenant!"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("error: --tenant: "), "{}", run.stderr);
}

/// The home tenant answering one refresh token grant of `refresh_token` with `answer`.
async fn home_refresh(server: &mut Server, refresh_token: &str, answer: Value) -> mockito::Mock {
    server
        .mock("POST", HOME_TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await
}

/// The token options and a named connection together: `token --context work --tenant T --force-refresh`
/// redeems `work`'s refresh token in T each time, while another connection is the current one, and
/// the plain `token` still answers for the current one.
#[tokio::test]
async fn the_token_options_apply_to_the_named_connection_chosen() {
    let mut server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url());
    let work_sign_in = home_refresh(&mut server, "rt-0", user_answer_in(TENANT_ID, "rt-1")).await;
    let run = cli.run_with(
        &[
            "secmgmt",
            "connect",
            "--context",
            "work",
            "--application-id",
            APP_ID,
        ],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-0")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // another account connected last, so it is the current one
    let other = test_support::user_token_response(
        "other-at",
        "rt-other",
        "00000000-0000-4000-8000-0000000000ff",
        TENANT_ID,
        "other@contoso.com",
        "https://graph.microsoft.com/.default",
    );
    let other_sign_in = home_refresh(&mut server, "rt-x", other).await;
    let run = cli.run_with(
        &[
            "secmgmt",
            "connect",
            "--context",
            "other",
            "--application-id",
            APP_ID,
        ],
        "",
        &[("MSCONNECT_REFRESH_TOKEN", "rt-x")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    work_sign_in.assert_async().await;
    other_sign_in.assert_async().await;

    let in_customer = server
        .mock("POST", token_path(CUSTOMER_A).as_str())
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("client_id", APP_ID),
        ]))
        .with_body(user_answer_in(CUSTOMER_A, "rt-1").to_string())
        .expect(2)
        .create_async()
        .await;
    for _ in 0..2 {
        let run = cli.run(&[
            "secmgmt",
            "token",
            "--context",
            "work",
            "--tenant",
            CUSTOMER_A,
            "--force-refresh",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(tid_of(&run.stdout), CUSTOMER_A);
    }
    in_customer.assert_async().await;
    assert_eq!(cli.run(&["secmgmt", "token"]).stdout, "other-at\n");
}
