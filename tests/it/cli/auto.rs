//! Issue 23, through the binary: `connect --auto` under each environment (the `AZURE_*` variables, a
//! federated token file, App Service and IMDS managed identities, the Azure CLI), narrowed by
//! `AZURE_TOKEN_CREDENTIALS`, and with nothing to find: exit 1, every source listed with why it did
//! not answer. The source that answered is saved: `token` renews from it and never probes again.
//!
//! IMDS is always a loopback stand-in (`AZURE_POD_IDENTITY_AUTHORITY_HOST`): a mockito server, a
//! listener of the test's own, or a port nobody listens on; never 169.254.169.254.

use std::net::TcpListener;

use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::form;
use test_support::jwt;

use super::{APP_ID, Cli, TENANT_ID};
use crate::snapshot;

/// A loopback address nobody listens on: IMDS off Azure.
fn closed_imds() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn app_answer(access_token: &str) -> String {
    json!({"token_type": "Bearer", "expires_in": 3599, "access_token": access_token}).to_string()
}

fn context(cli: &Cli, module: &str) -> Value {
    let run = cli.run(&[module, "context", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[tokio::test]
async fn the_azure_variables_answer_first_and_the_what_if_names_them() {
    let mut server = Server::new_async().await;
    let signed_in = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP_ID),
            ("client_secret", "env-secret"),
        ]))
        .with_body(app_answer("env-at"))
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_CLIENT_ID", APP_ID)
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_SECRET", "env-secret")
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &closed_imds());
    let run = cli.run(&["secmgmt", "connect", "--auto", "--what-if"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stdout, @r#"What if: Performing the operation "Connect" on target "tenant organizations in AzureCloud (Auto) answered by EnvironmentCredential (ClientSecret)""#);
    assert!(
        std::fs::read_dir(cli.home()).unwrap().next().is_none(),
        "what-if wrote a file"
    );

    let run = cli.run(&["secmgmt", "connect", "--auto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    signed_in.assert_async().await;
    assert_eq!(context(&cli, "secmgmt")["Account"]["Type"], "EnvironmentVariable");
    assert!(!run.stdout.contains("env-secret") && !run.stderr.contains("env-secret"));
}

#[tokio::test]
async fn a_federated_token_file_answers_and_renewal_reads_it_again_without_probing() {
    let mut server = Server::new_async().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, jwt(&json!({"jti": "federated-1"}))).unwrap();
    let assertion = |n: u32| jwt(&json!({"jti": format!("federated-{n}")}));
    let exchange = |n: u32| {
        form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion", &assertion(n)),
        ])
    };
    let first = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(exchange(1))
        .with_body(app_answer("wi-at-1"))
        .expect(1)
        .create_async()
        .await;
    // IMDS listens, but workload identity comes before it: nothing connects to it, then or later
    let imds = TcpListener::bind("127.0.0.1:0").unwrap();
    imds.set_nonblocking(true).unwrap();
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_CLIENT_ID", APP_ID)
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap())
        .env(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            &format!("http://{}", imds.local_addr().unwrap()),
        );
    let run = cli.run(&["entra", "connect", "--auto"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert_async().await;
    assert_eq!(context(&cli, "entra")["TokenCredentialType"], "WorkloadIdentity");

    std::fs::write(&file, assertion(2)).unwrap();
    let second = server
        .mock("POST", format!("/{TENANT_ID}/oauth2/v2.0/token").as_str())
        .match_body(exchange(2))
        .with_body(app_answer("wi-at-2"))
        .expect(1)
        .create_async()
        .await;
    let run = cli.run(&["entra", "token", "--force-refresh"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "wi-at-2\n"),
        "{}",
        run.stderr
    );
    second.assert_async().await;
    assert!(
        matches!(imds.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "IMDS was probed"
    );
}

#[tokio::test]
async fn a_managed_identity_answers_on_app_service_or_on_imds_probed_on_loopback() {
    for app_service in [true, false] {
        let mut server = Server::new_async().await;
        let (path, header) = if app_service {
            ("/msi/token", ("x-identity-header", "id-header"))
        } else {
            ("/metadata/identity/oauth2/token", ("metadata", "true"))
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = jwt(&json!({"appid": APP_ID, "tid": TENANT_ID, "exp": now + 3600}));
        let identity = server
            .mock("GET", path)
            .match_query(Matcher::UrlEncoded("resource".into(), "https://graph.microsoft.com".into()))
            .match_header(header.0, header.1)
            .with_body(
                json!({"access_token": token, "expires_on": (now + 3600).to_string(), "resource": "https://graph.microsoft.com",
                       "token_type": "Bearer", "client_id": APP_ID})
                .to_string(),
            )
            .expect(1)
            .create_async()
            .await;
        let cli = if app_service {
            Cli::new()
                .env("IDENTITY_ENDPOINT", &format!("{}/msi/token", server.url()))
                .env("IDENTITY_HEADER", "id-header")
                .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &closed_imds())
        } else {
            Cli::new().env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &server.url())
        };
        let run = cli.run(&["psentra", "connect", "--auto", "--what-if"]);
        let found = if app_service { "AppService" } else { "IMDS" };
        assert!(
            run.stdout
                .contains(&format!("answered by ManagedIdentityCredential ({found})")),
            "{run:?}"
        );
        let run = cli.run(&["psentra", "connect", "--auto"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        identity.assert_async().await;
        assert_eq!(context(&cli, "psentra")["Type"], "ManagedIdentity");
    }
}

#[tokio::test]
async fn azure_token_credentials_narrows_the_chain_and_a_bad_value_is_named() {
    // the variables would answer first; narrowed to the Azure CLI (`dev`), they are not looked at
    let azure = tempfile::tempdir().unwrap();
    std::fs::write(
        azure.path().join("azureProfile.json"),
        format!(
            "\u{feff}{{\"subscriptions\": [{{\"user\": {{\"name\": \"alice@contoso.com\", \"type\": \"user\"}}, \
             \"tenantId\": \"{TENANT_ID}\", \"isDefault\": true, \"environmentName\": \"AzureCloud\"}}]}}"
        ),
    )
    .unwrap();
    std::fs::write(azure.path().join("msal_token_cache.json"), "{}").unwrap();
    let cli = Cli::new()
        .env("AZURE_CLIENT_ID", APP_ID)
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_SECRET", "env-secret")
        .env("AZURE_CONFIG_DIR", azure.path().to_str().unwrap())
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &closed_imds());
    let what_if = |value: &str| {
        cli.run_with(
            &["partnercenter", "connect", "--auto", "--what-if"],
            "",
            &[("AZURE_TOKEN_CREDENTIALS", value)],
        )
    };
    let run = what_if("dev");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("answered by AzureCliCredential (alice@contoso.com)"),
        "{run:?}"
    );
    let run = what_if("EnvironmentCredential");
    assert!(
        run.stdout
            .contains("answered by EnvironmentCredential (ClientSecret)"),
        "{run:?}"
    );

    // narrowed to the managed identity, IMDS is not probed (as in azure-identity: it was asked for), and
    // the variables are not offered in its place
    let run = what_if("managedidentitycredential");
    assert!(
        run.stdout
            .contains("answered by ManagedIdentityCredential (IMDS)"),
        "{run:?}"
    );
    // `prod` leaves out the Azure CLI: a listening IMDS (held by this test) answers instead
    let imds = TcpListener::bind("127.0.0.1:0").unwrap();
    let prod = Cli::new()
        .env("AZURE_CONFIG_DIR", azure.path().to_str().unwrap())
        .env(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            &format!("http://{}", imds.local_addr().unwrap()),
        )
        .env("AZURE_TOKEN_CREDENTIALS", "prod");
    let run = prod.run(&["partnercenter", "connect", "--auto", "--what-if"]);
    assert!(
        run.stdout
            .contains("answered by ManagedIdentityCredential (IMDS)"),
        "{run:?}"
    );
    let run = prod.run_with(
        &["partnercenter", "connect", "--auto", "--what-if"],
        "",
        &[("AZURE_TOKEN_CREDENTIALS", "dev")],
    );
    assert!(
        run.stdout
            .contains("answered by AzureCliCredential (alice@contoso.com)"),
        "{run:?}"
    );

    let run = what_if("laptop");
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("Invalid value for AZURE_TOKEN_CREDENTIALS: laptop."),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn with_nothing_to_find_it_says_what_was_checked_and_why_each_did_not_answer() {
    let mut server = Server::new_async().await;
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let imds = closed_imds();
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &imds);
    // bounded by the run's own timeout: a refused port answers at once, and the probe waits a second
    let run = cli.run(&["entra", "connect", "--auto"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    let port = imds.rsplit(':').next().unwrap();
    snapshot!(run.stderr.replace(port, "[PORT]"), @r"
    error: no credential in the environment answered; checked, in order:
      EnvironmentCredential: AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH and AZURE_USERNAME are not set
      WorkloadIdentityCredential: no federated token in the environment: set AZURE_FEDERATED_TOKEN_FILE, or run in GitHub Actions with `permissions: id-token: write`, or in an Azure Pipelines task with SYSTEM_ACCESSTOKEN and a service connection
      ManagedIdentityCredential: IMDS at 127.0.0.1:[PORT] did not answer within 1000 ms (Connection refused (os error 111)); no App Service, Arc or Cloud Shell variable (IDENTITY_ENDPOINT, MSI_ENDPOINT) is set
      AzureCliCredential: invalid value for AZURE_CONFIG_DIR: it is not set, and neither is HOME: set AZURE_CONFIG_DIR to the Azure CLI's folder
    ");
    nothing.assert_async().await;
}
