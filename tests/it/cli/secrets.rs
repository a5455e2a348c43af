//! Secrets come from stdin, the `MSCONNECT_*` variables or a prompt, reach the wire, and are never
//! echoed: not on stdout, not on stderr, not with `-v`, not in `--help`.

use mockito::Server;
use test_support::form;
use test_support::{app_token_response, user_token_response};

use super::{APP_ID, Cli, OID, TENANT_ID};

const SECRET: &str = "pa55-w0rd-that-must-not-leak";

fn assert_not_echoed(run: &super::Run) {
    assert!(
        !run.stdout.contains(SECRET),
        "stdout holds the secret: {}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(SECRET),
        "stderr holds the secret: {}",
        run.stderr
    );
}

#[tokio::test]
async fn the_password_comes_from_stdin_or_msconnect_password() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "password"),
            ("username", "admin@contoso.com"),
            ("password", SECRET),
            ("client_id", APP_ID),
        ]))
        .with_body(
            user_token_response(
                "at",
                "rt",
                OID,
                TENANT_ID,
                "admin@contoso.com",
                "https://graph.microsoft.com/User.Read",
            )
            .to_string(),
        )
        .expect(2)
        .create_async()
        .await;
    let args = [
        "-v",
        "psentra",
        "connect",
        "--client-id",
        APP_ID,
        "--tenant-id",
        "contoso.com",
        "--credential",
        "admin@contoso.com",
    ];
    let cli = Cli::new().authority(&server.url());

    let mut piped = args.to_vec();
    piped.push("--password-stdin");
    let run = cli.run_with_stdin(&piped, &format!("{SECRET}\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_not_echoed(&run);

    let from_env = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_PASSWORD", SECRET);
    let run = from_env.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_not_echoed(&run);
    token.assert_async().await;
}

#[tokio::test]
async fn a_client_secret_comes_from_msconnect_client_secret() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", SECRET),
        ]))
        .with_body(app_token_response("app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CLIENT_SECRET", SECRET);

    let run = cli.run(&[
        "-v",
        "psentra",
        "connect",
        "--client-id",
        APP_ID,
        "--tenant-id",
        "contoso.com",
    ]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("parameter set AppSecret"), "{}", run.stderr);
    assert_not_echoed(&run);
    token.assert_async().await;
}

#[tokio::test]
async fn typed_options_win_over_an_exported_secret_their_set_does_not_take() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "typed-refresh-token"),
        ]))
        .with_body(user_token_response("at-1", "rt", OID, TENANT_ID, "admin@contoso.com", "x").to_string())
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new().env("MSCONNECT_ACCESS_TOKEN", SECRET);
    super::connect::mock_environment(&cli, &server);
    let profile = super::connect::profile(&mut server).await;

    let run = cli.run_with_stdin(
        &[
            "-v",
            "partnercenter",
            "connect",
            "--application-id",
            APP_ID,
            "--refresh-token",
            "-",
            "--environment",
            "Mock",
        ],
        "typed-refresh-token",
    );

    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "ignoring MSCONNECT_ACCESS_TOKEN: parameter set RefreshToken does not take --access-token"
        ),
        "{}",
        run.stderr
    );
    assert_not_echoed(&run);
    token.assert_async().await;
    profile.assert_async().await;
}

#[test]
fn help_never_shows_a_secret_s_value() {
    let cli = Cli::new()
        .env("MSCONNECT_ACCESS_TOKEN", SECRET)
        .env("MSCONNECT_REFRESH_TOKEN", SECRET)
        .env("MSCONNECT_CLIENT_SECRET", SECRET)
        .env("MSCONNECT_CERTIFICATE_PASSWORD", SECRET)
        .env("MSCONNECT_PASSWORD", SECRET);
    for command in [
        ["partnercenter", "connect"],
        ["partnercenter", "new-access-token"],
        ["secmgmt", "connect"],
        ["entra", "connect"],
        ["psentra", "connect"],
    ] {
        for help in ["-h", "--help"] {
            let run = cli.run(&[command[0], command[1], help]);
            assert_eq!(run.code, 0);
            assert_not_echoed(&run);
        }
        let long = cli.run(&[command[0], command[1], "--help"]);
        assert!(
            long.stdout.contains("[env: MSCONNECT_"),
            "the variable's name is shown: {}",
            long.stdout
        );
    }
}

#[test]
fn what_if_reads_no_secret() {
    // a terminal would be needed to prompt, and stdin is not read: the what-if succeeds all the same
    let run = Cli::new().run(&[
        "psentra",
        "connect",
        "--client-id",
        APP_ID,
        "--tenant-id",
        "contoso.com",
        "--credential",
        "admin",
        "--what-if",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(UsernamePassword)"), "{}", run.stdout);
}

/// The warning a secret typed as an option's value gets.
fn typed_warning(option: &str) -> String {
    format!("warning: {option} on the command line can be read by every user of this computer (`ps`)")
}

#[tokio::test]
async fn a_secret_typed_as_an_options_value_is_warned_about_and_piped_or_exported_ones_are_not() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", mockito::Matcher::Regex("/oauth2/v2.0/token$".into()))
        .with_body(app_token_response("app-token").to_string())
        // the typed client secret and refresh token; the piped and exported runs find the app's token cached
        .expect(2)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());
    let access_token = test_support::jwt(&serde_json::json!({"tid": TENANT_ID, "exp": 4_102_444_800_i64}));
    let app = ["--client-id", APP_ID, "--tenant-id", "contoso.com"];
    let typed: [(&str, Vec<&str>); 6] = [
        (
            "--client-secret",
            [&["psentra", "connect"], &app[..], &["--client-secret", SECRET]].concat(),
        ),
        (
            "--access-token",
            vec!["secmgmt", "connect", "--access-token", &access_token],
        ),
        (
            "--ms-access-token",
            vec!["entra", "connect", "--ms-access-token", &access_token],
        ),
        (
            "--ms-access-token",
            vec!["entra", "connect", "--access-token", &access_token],
        ),
        (
            "--refresh-token",
            vec![
                "secmgmt",
                "connect",
                "--application-id",
                APP_ID,
                "--refresh-token",
                SECRET,
            ],
        ),
        (
            "--certificate-password",
            [
                &["psentra", "connect"],
                &app[..],
                &[
                    "--certificate-path",
                    "/nonexistent/app.pfx",
                    "--certificate-password",
                    SECRET,
                ],
            ]
            .concat(),
        ),
    ];
    for (option, args) in &typed {
        let run = cli.run(args);
        assert!(
            run.stderr.contains(&typed_warning(option)),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("use `{option} -`")),
            "{}",
            run.stderr
        );
        assert_not_echoed(&run);
    }

    let piped = cli.run_with_stdin(
        &[&["psentra", "connect"], &app[..], &["--client-secret", "-"]].concat(),
        SECRET,
    );
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert_eq!(piped.stderr, "");
    let exported = cli.run_with(
        &[&["psentra", "connect"], &app[..]].concat(),
        "",
        &[("MSCONNECT_CLIENT_SECRET", SECRET)],
    );
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    assert_eq!(exported.stderr, "");
    token.assert_async().await;
}
