//! Issue 16, through the binary: every module signs in with a federated token file, workload identity
//! (GitHub Actions), a managed identity (App Service and IMDS stand-ins) and the `AZURE_*` variables;
//! `token` renews each from its source (the file read again, GitHub asked again, the identity endpoint
//! asked again, the variables read again); bad input is a clear error naming the file or variable; and
//! the request token, the identity header and the federated JWT never reach stdout, stderr or `-v`.
//!
//! Every server here is a mockito server on loopback: every managed identity test sets
//! `IDENTITY_ENDPOINT` or `AZURE_POD_IDENTITY_AUTHORITY_HOST` to one, so nothing is ever sent to IMDS'
//! real address.

use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::{form, jwt};

use super::{APP_ID, Cli, Run, TENANT_ID};

const TOKEN_PATH: &str = "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token";

/// A module and how it spells the application id and tenant options, and the scope its app-only
/// sign-ins ask for (the default clouds' resources).
struct Module {
    name: &'static str,
    app: &'static str,
    tenant: &'static str,
    scope: &'static str,
}

const MODULES: [Module; 4] = [
    Module {
        name: "partnercenter",
        app: "--application-id",
        tenant: "--tenant",
        scope: "https://api.partnercenter.microsoft.com/.default",
    },
    Module {
        name: "secmgmt",
        app: "--application-id",
        tenant: "--tenant",
        scope: "https://graph.microsoft.com/.default",
    },
    Module {
        name: "entra",
        app: "--client-id",
        tenant: "--tenant-id",
        scope: "https://graph.microsoft.com/.default",
    },
    Module {
        name: "psentra",
        app: "--client-id",
        tenant: "--tenant-id",
        scope: "https://graph.microsoft.com/.default",
    },
];

/// A federated token as a CI system or Kubernetes issues it (unsigned: the stand-in authority does not
/// check it, it only compares it).
fn federated_jwt(n: u32) -> String {
    jwt(&json!({
        "iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:contoso/app:ref:refs/heads/main",
        "aud": "api://AzureADTokenExchange",
        "jti": format!("federated-{n}"),
    }))
}

/// An app token response that `token` must renew (under five minutes left).
fn short_app_token(access_token: &str) -> Value {
    let mut answer = test_support::app_token_response(access_token);
    answer["expires_in"] = json!(120);
    answer
}

/// The context as JSON, which names how the connection signed in.
fn context_json(cli: &Cli, module: &str) -> String {
    let run = cli.run(&[module, "context", "-o", "json"]);
    assert_eq!(run.code, 0, "{module}: {}", run.stderr);
    run.stdout
}

/// Asserts that none of `secrets` appears anywhere in what a run printed.
fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret was printed:\nstdout: {}\nstderr: {}",
            run.stdout,
            run.stderr
        );
    }
}

async fn client_assertion_answer(server: &mut Server, assertion: &str, answer: Value) -> mockito::Mock {
    server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP_ID),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await
}

/// The issue's headline: a token file that changes between `connect` and a later `token` (Kubernetes
/// rotated it; the old one expired): the renewal sends the new JWT, read from the file again.
#[tokio::test]
async fn every_module_signs_in_with_a_federated_token_file_and_renews_with_the_file_as_it_is_now() {
    for module in &MODULES {
        let mut server = Server::new_async().await;
        let cli = Cli::new().authority(&server.url());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("azure-identity-token");
        std::fs::write(&file, federated_jwt(1)).unwrap();
        let first = client_assertion_answer(&mut server, &federated_jwt(1), short_app_token("at-1")).await;
        let second = client_assertion_answer(
            &mut server,
            &federated_jwt(2),
            test_support::app_token_response("at-2"),
        )
        .await;
        let path = file.to_str().unwrap();
        let run = cli.run(&[
            module.name,
            "connect",
            "--federated-token-file",
            path,
            module.app,
            APP_ID,
            module.tenant,
            TENANT_ID,
        ]);
        assert_eq!(run.code, 0, "{}: {}", module.name, run.stderr);
        assert_no_secret(&run, &[&federated_jwt(1)]);
        first.assert_async().await;
        assert!(
            context_json(&cli, module.name).contains("FederatedToken"),
            "{}",
            module.name
        );
        // the file is replaced by a fresh token, as the kubelet does
        std::fs::write(&file, format!("{}\n", federated_jwt(2))).unwrap();
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "at-2\n"),
            "{}: {}",
            module.name,
            run.stderr
        );
        assert_no_secret(&run, &[&federated_jwt(1), &federated_jwt(2)]);
        second.assert_async().await;
        // the saved connection knows the file, never its token
        let saved = std::fs::read_dir(cli.home())
            .unwrap()
            .flatten()
            .filter(|entry| entry.path().is_dir() || entry.path().extension().is_some_and(|e| e == "json"))
            .flat_map(|entry| walk(&entry.path()))
            .map(|path| std::fs::read_to_string(path).unwrap_or_default())
            .collect::<String>();
        assert!(saved.contains("azure-identity-token"), "{saved}");
        assert!(!saved.contains(&federated_jwt(2)), "{saved}");
    }
}

/// Every file under `path` (or `path` itself).
fn walk(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().flat_map(|e| walk(&e.path())).collect())
            .unwrap_or_default()
    } else {
        vec![path.to_owned()]
    }
}

/// GitHub Actions: the request token goes in the Authorization header, the audience in the query; the
/// JWT of `value` is the client assertion; `token` asks GitHub again for its renewal.
#[tokio::test]
async fn every_module_signs_in_with_workload_identity_from_github_and_asks_github_again_to_renew() {
    for module in &MODULES {
        let mut server = Server::new_async().await;
        let github_1 = github(&mut server, 1).await;
        let first = client_assertion_answer(&mut server, &federated_jwt(1), short_app_token("at-1")).await;
        let cli = Cli::new()
            .authority(&server.url())
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
            )
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-secret")
            .env("AZURE_CLIENT_ID", APP_ID)
            .env("AZURE_TENANT_ID", TENANT_ID);
        let run = cli.run(&[module.name, "connect", "--workload-identity", "-v"]);
        assert_eq!(run.code, 0, "{}: {}", module.name, run.stderr);
        assert_no_secret(&run, &["gh-request-secret", &federated_jwt(1)]);
        github_1.assert_async().await;
        first.assert_async().await;
        assert!(
            context_json(&cli, module.name).contains("WorkloadIdentity"),
            "{}",
            module.name
        );
        // the first GitHub token is spent: the renewal must come with a new one
        let github_2 = github(&mut server, 2).await;
        let second = client_assertion_answer(
            &mut server,
            &federated_jwt(2),
            test_support::app_token_response("at-2"),
        )
        .await;
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "at-2\n"),
            "{}: {}",
            module.name,
            run.stderr
        );
        assert_no_secret(&run, &["gh-request-secret", &federated_jwt(2)]);
        github_2.assert_async().await;
        second.assert_async().await;
    }
}

/// GitHub's OIDC endpoint answering the `n`th federated token, once.
async fn github(server: &mut Server, n: u32) -> mockito::Mock {
    server
        .mock("GET", "/_apis/oidc/token")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), "2.0".into()),
            Matcher::UrlEncoded("audience".into(), "api://AzureADTokenExchange".into()),
        ]))
        .match_header("authorization", "bearer gh-request-secret")
        .with_body(json!({ "count": 1, "value": federated_jwt(n) }).to_string())
        .expect(1)
        .create_async()
        .await
}

/// The identity endpoint (App Service's or IMDS') answering its `n`th token, once.
async fn identity_host(
    server: &mut Server,
    app_service: bool,
    resource: &str,
    n: u32,
    expires_in: i64,
) -> mockito::Mock {
    let (path, api_version) = if app_service {
        ("/msi/token", "2019-08-01")
    } else {
        ("/metadata/identity/oauth2/token", "2018-02-01")
    };
    let mock = server
        .mock("GET", path)
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("api-version".into(), api_version.into()),
            Matcher::UrlEncoded("resource".into(), resource.into()),
        ]))
        .with_body(managed_identity_answer(resource, expires_in, n).to_string())
        .expect(1);
    let mock = if app_service {
        mock.match_header("x-identity-header", "id-header-secret")
    } else {
        mock.match_header("metadata", "true")
    };
    mock.create_async().await
}

/// A managed identity token as App Service and IMDS give it: a JWT naming the identity's application
/// and tenant, `expires_on` in epoch seconds (as a string, as they send it).
fn managed_identity_answer(resource: &str, expires_in: i64, n: u32) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let access_token = jwt(&json!({
        "aud": resource, "appid": APP_ID, "tid": TENANT_ID, "oid": "5a1e2f3c-0000-4000-8000-00000000a0a0",
        "iat": now, "nbf": now, "exp": now + expires_in, "n": n,
    }));
    json!({
        "access_token": access_token,
        "expires_on": (now + expires_in).to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": APP_ID,
    })
}

/// App Service (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), then IMDS (its host moved to a loopback
/// server with `AZURE_POD_IDENTITY_AUTHORITY_HOST`): each module connects with `--identity`, the context
/// says ManagedIdentity, and `token` asks the identity endpoint again when the token runs out.
#[tokio::test]
async fn every_module_signs_in_with_a_managed_identity_and_asks_the_host_again_to_renew() {
    for (i, module) in MODULES.iter().enumerate() {
        let mut server = Server::new_async().await;
        let resource = module.scope.trim_end_matches("/.default");
        let app_service = i % 2 == 0;
        let first = identity_host(&mut server, app_service, resource, 1, 120).await;
        let mut cli = Cli::new();
        cli = if app_service {
            cli.env("IDENTITY_ENDPOINT", &format!("{}/msi/token", server.url()))
                .env("IDENTITY_HEADER", "id-header-secret")
        } else {
            cli.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &server.url())
        };
        let run = cli.run(&[module.name, "connect", "--identity", "-v"]);
        assert_eq!(run.code, 0, "{}: {}", module.name, run.stderr);
        assert_no_secret(&run, &["id-header-secret"]);
        first.assert_async().await;
        let context = context_json(&cli, module.name);
        assert!(context.contains("ManagedIdentity"), "{}: {context}", module.name);
        assert!(context.contains(APP_ID), "{}: {context}", module.name);
        // the stand-in client of the request is not shown as the identity's application
        assert!(
            !context.contains("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
                && !context.contains("14d82eec-204b-4c2f-b7e8-296a70dab67e"),
            "{}: {context}",
            module.name
        );
        let second = identity_host(&mut server, app_service, resource, 2, 3600).await;
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_eq!(run.code, 0, "{}: {}", module.name, run.stderr);
        assert!(
            auth_core::token::decode_jwt_payload(run.stdout.trim(), "token").unwrap()["n"] == json!(2),
            "{}: the renewed token is the host's second: {}",
            module.name,
            run.stdout
        );
        assert_no_secret(&run, &["id-header-secret"]);
        second.assert_async().await;
    }
}

/// A user-assigned identity by client id (the module's application id option), object id or resource
/// id: each goes to IMDS as its own query parameter.
#[tokio::test]
async fn a_user_assigned_identity_is_named_by_client_object_or_resource_id() {
    let object_id = "11111111-2222-4333-8444-555555555555";
    let resource_id =
        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ci";
    let cases: [(&[&str], (&str, &str)); 3] = [
        (&["--client-id", APP_ID], ("client_id", APP_ID)),
        (&["--object-id", object_id], ("object_id", object_id)),
        (&["--resource-id", resource_id], ("msi_res_id", resource_id)),
    ];
    for (args, (name, value)) in cases {
        let mut server = Server::new_async().await;
        let resource = "https://graph.microsoft.com";
        let imds = server
            .mock("GET", "/metadata/identity/oauth2/token")
            .match_query(Matcher::UrlEncoded(name.into(), value.into()))
            .with_body(managed_identity_answer(resource, 3600, 1).to_string())
            .expect(1)
            .create_async()
            .await;
        let cli = Cli::new().env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &server.url());
        let mut all = vec!["entra", "connect", "--identity"];
        all.extend_from_slice(args);
        let run = cli.run(&all);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        imds.assert_async().await;
    }
}

/// The authority answering a client credentials request with `AZURE_CLIENT_SECRET`'s secret, once.
async fn secret_answer(server: &mut Server, answer: Value) -> mockito::Mock {
    server
        .mock("POST", TOKEN_PATH)
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP_ID),
            ("client_secret", "azure-env-secret"),
        ]))
        .with_body(answer.to_string())
        .expect(1)
        .create_async()
        .await
}

/// `--environment-variable`: the `AZURE_*` variables' client secret signs in; `token` renews reading
/// them again; the context says EnvironmentVariable and the secret is printed nowhere.
#[tokio::test]
async fn every_module_signs_in_with_the_azure_variables_and_renews_from_them() {
    for module in &MODULES {
        let mut server = Server::new_async().await;
        let first = secret_answer(&mut server, short_app_token("at-1")).await;
        let cli = Cli::new()
            .authority(&server.url())
            .env("AZURE_CLIENT_ID", APP_ID)
            .env("AZURE_TENANT_ID", TENANT_ID)
            .env("AZURE_CLIENT_SECRET", "azure-env-secret");
        let run = cli.run(&[module.name, "connect", "--environment-variable", "-v"]);
        assert_eq!(run.code, 0, "{}: {}", module.name, run.stderr);
        assert_no_secret(&run, &["azure-env-secret"]);
        first.assert_async().await;
        let context = context_json(&cli, module.name);
        assert!(
            context.contains("EnvironmentVariable"),
            "{}: {context}",
            module.name
        );
        let second = secret_answer(&mut server, test_support::app_token_response("at-2")).await;
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "at-2\n"),
            "{}: {}",
            module.name,
            run.stderr
        );
        assert_no_secret(&run, &["azure-env-secret"]);
        second.assert_async().await;
        // the connection remembers that the variables connected, not the secret
        let saved: String = walk(cli.home())
            .into_iter()
            .map(|path| std::fs::read_to_string(path).unwrap_or_default())
            .collect();
        assert!(!saved.contains("azure-env-secret"));
    }
}

/// The variables changed since connecting (another application): `token` says so, naming the
/// variable, rather than sending another application's secret.
#[tokio::test]
async fn an_environment_variable_connection_whose_application_changed_says_so() {
    let mut server = Server::new_async().await;
    let first = server
        .mock("POST", TOKEN_PATH)
        .with_body(short_app_token("at-1").to_string())
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_SECRET", "azure-env-secret");
    let run = cli.run_with(
        &["secmgmt", "connect", "--environment-variable"],
        "",
        &[("AZURE_CLIENT_ID", APP_ID)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert_async().await;
    let run = cli.run_with(
        &["secmgmt", "token"],
        "",
        &[("AZURE_CLIENT_ID", "00000000-0000-0000-0000-0000000b0b0b")],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("AZURE_CLIENT_ID"), "{}", run.stderr);
}

/// Bad input: each a clear error naming the file or variable, exit 1, and no secret printed.
#[tokio::test]
async fn bad_federated_token_files_are_errors_naming_the_file() {
    let server = Server::new_async().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-token");
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "  \n").unwrap();
    let not_jwt = dir.path().join("not-a-jwt");
    std::fs::write(&not_jwt, "hello-not-a-token").unwrap();
    for (file, says) in [
        (&missing, "reading the federated token file"),
        (&empty, "is empty"),
        (&not_jwt, "holds no JWT"),
    ] {
        let cli = Cli::new().authority(&server.url());
        let run = cli.run(&[
            "entra",
            "connect",
            "--federated-token-file",
            file.to_str().unwrap(),
            "--client-id",
            APP_ID,
            "--tenant-id",
            TENANT_ID,
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains(file.file_name().unwrap().to_str().unwrap()),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(!run.stderr.contains("hello-not-a-token"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[tokio::test]
async fn a_federated_sign_in_without_application_or_tenant_names_the_option_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, federated_jwt(1)).unwrap();
    let cli = Cli::new();
    let run = cli.run(&[
        "psentra",
        "connect",
        "--federated-token-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("AZURE_CLIENT_ID"), "{}", run.stderr);
    let run = cli.run(&[
        "partnercenter",
        "connect",
        "--federated-token-file",
        file.to_str().unwrap(),
        "--application-id",
        APP_ID,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("AZURE_TENANT_ID"), "{}", run.stderr);
}

#[tokio::test]
async fn github_refusing_the_request_token_is_an_error_naming_the_variable() {
    let mut server = Server::new_async().await;
    let github = server
        .mock("GET", "/_apis/oidc/token")
        .match_query(Matcher::Any)
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-secret");
    let run = cli.run(&[
        "secmgmt",
        "connect",
        "--workload-identity",
        "--application-id",
        APP_ID,
        "--tenant",
        TENANT_ID,
        "-v",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("id-token: write"), "{}", run.stderr);
    assert_no_secret(&run, &["gh-request-secret"]);
    github.assert_async().await;
}

#[tokio::test]
async fn app_service_refusing_the_identity_header_is_an_error_naming_the_variable() {
    let mut server = Server::new_async().await;
    let refused = server
        .mock("GET", "/msi/token")
        .match_query(Matcher::Any)
        .with_status(401)
        .with_body("{}")
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .env("IDENTITY_ENDPOINT", &format!("{}/msi/token", server.url()))
        .env("IDENTITY_HEADER", "id-header-secret");
    let run = cli.run(&["partnercenter", "connect", "--identity", "-v"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("IDENTITY_HEADER"), "{}", run.stderr);
    assert_no_secret(&run, &["id-header-secret"]);
    refused.assert_async().await;
}

/// IMDS not answering: a loopback port nobody listens on stands in for 169.254.169.254 off Azure.
#[tokio::test]
async fn imds_unreachable_is_an_error_saying_no_managed_identity_answered() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cli = Cli::new().env(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        &format!("http://127.0.0.1:{closed}"),
    );
    let run = cli.run(&["psentra", "connect", "--identity"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("IMDS"), "{}", run.stderr);
    assert!(run.stderr.contains("IDENTITY_ENDPOINT"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

/// Azure Pipelines: the OIDC request is a POST to `SYSTEM_OIDCREQUESTURI` with the service connection
/// (`--service-connection-id`) and `SYSTEM_ACCESSTOKEN` as the bearer; `oidcToken` is the assertion. The
/// service connection is remembered, and `token` asks Azure DevOps again.
#[tokio::test]
async fn workload_identity_in_azure_pipelines_asks_azure_devops_with_the_service_connection() {
    let mut server = Server::new_async().await;
    let service_connection = "5e1f0000-1111-4222-8333-444455556666";
    async fn devops(server: &mut Server, service_connection: &str, n: u32) -> mockito::Mock {
        server
            .mock(
                "POST",
                "/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
            )
            .match_query(Matcher::AllOf(vec![
                Matcher::UrlEncoded("api-version".into(), "7.1".into()),
                Matcher::UrlEncoded("serviceConnectionId".into(), service_connection.into()),
            ]))
            .match_header("authorization", "Bearer ado-access-secret")
            .with_body(json!({ "oidcToken": federated_jwt(n) }).to_string())
            .expect(1)
            .create_async()
            .await
    }
    let ado_1 = devops(&mut server, service_connection, 1).await;
    let first = client_assertion_answer(&mut server, &federated_jwt(1), short_app_token("at-1")).await;
    let cli = Cli::new()
        .authority(&server.url())
        .env(
            "SYSTEM_OIDCREQUESTURI",
            &format!(
                "{}/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
                server.url()
            ),
        )
        .env("SYSTEM_ACCESSTOKEN", "ado-access-secret");
    let run = cli.run(&[
        "entra",
        "connect",
        "--workload-identity",
        "--service-connection-id",
        service_connection,
        "--client-id",
        APP_ID,
        "--tenant-id",
        TENANT_ID,
        "-v",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_secret(&run, &["ado-access-secret", &federated_jwt(1)]);
    ado_1.assert_async().await;
    first.assert_async().await;
    let ado_2 = devops(&mut server, service_connection, 2).await;
    let second = client_assertion_answer(
        &mut server,
        &federated_jwt(2),
        test_support::app_token_response("at-2"),
    )
    .await;
    let run = cli.run(&["entra", "token", "-v"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "at-2\n"), "{}", run.stderr);
    assert_no_secret(&run, &["ado-access-secret", &federated_jwt(2)]);
    ado_2.assert_async().await;
    second.assert_async().await;
}

/// `--workload-identity` takes `AZURE_FEDERATED_TOKEN_FILE` first (AKS' webhook sets it), before any CI
/// variable.
#[tokio::test]
async fn workload_identity_prefers_the_token_file_of_azure_federated_token_file() {
    let mut server = Server::new_async().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, federated_jwt(7)).unwrap();
    let answer = client_assertion_answer(
        &mut server,
        &federated_jwt(7),
        test_support::app_token_response("at-7"),
    )
    .await;
    let github = server.mock("GET", Matcher::Any).expect(0).create_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap())
        .env("AZURE_CLIENT_ID", APP_ID)
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/_apis/oidc/token?api-version=2.0", server.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-secret");
    let run = cli.run(&["partnercenter", "connect", "--workload-identity"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    answer.assert_async().await;
    github.assert_async().await;
    assert!(context_json(&cli, "partnercenter").contains("WorkloadIdentity"));
    let run = cli.run(&["partnercenter", "token"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "at-7\n"), "{}", run.stderr);
}

/// `--environment-variable` with `AZURE_CLIENT_CERTIFICATE_PATH` (a PEM file holding the certificate and
/// its key): the assertion is signed with it, and `token` loads it from the same variable to renew.
#[tokio::test]
async fn the_azure_variables_certificate_signs_in_and_renews_from_the_same_file() {
    let mut server = Server::new_async().await;
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("app.pem");
    std::fs::write(
        &pem,
        format!(
            "{}{}",
            test_support::TEST_CERTIFICATE_PEM,
            test_support::TEST_KEY_PEM
        ),
    )
    .unwrap();
    let signed = |server: &mut Server, answer: Value| {
        server
            .mock("POST", TOKEN_PATH)
            .match_body(Matcher::AllOf(vec![
                Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
                Matcher::UrlEncoded(
                    "client_assertion_type".into(),
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ),
                Matcher::Regex("client_assertion=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+".into()),
            ]))
            .with_body(answer.to_string())
            .expect(1)
    };
    let first = signed(&mut server, short_app_token("at-1")).create_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_CLIENT_ID", APP_ID)
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_CERTIFICATE_PATH", pem.to_str().unwrap());
    let run = cli.run(&["psentra", "connect", "--environment-variable"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert_async().await;
    assert!(context_json(&cli, "psentra").contains("EnvironmentVariable"));
    let second = signed(&mut server, test_support::app_token_response("at-2"))
        .create_async()
        .await;
    let run = cli.run(&["psentra", "token"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "at-2\n"), "{}", run.stderr);
    second.assert_async().await;
}
