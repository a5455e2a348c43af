//! Issue 16, through the binary: every module signs in with a federated token file, workload identity
//! (GitHub Actions), a managed identity (App Service and IMDS stand-ins) and the `AZURE_*` variables;
//! `token` renews each from its source (the file read again, GitHub asked again, the identity endpoint
//! asked again, the variables read again); bad input is a clear error naming the file or variable; and
//! the request token, the identity header and the federated JWT never reach stdout, stderr or `-v`.
//!
//! Every server here is a mockito server on loopback: every managed identity test sets
//! `IDENTITY_ENDPOINT` or `AZURE_POD_IDENTITY_AUTHORITY_HOST` to one, so nothing is ever sent to IMDS'
//! real address.

use std::path::PathBuf;

use mockito::{Matcher, Server};
use serde_json::{Value, json};
use test_support::jwt;
use test_support::mock::{MockAuthority, assertion_form, client_secret_form};

use super::{APP_ID, Cli, Run, TENANT_ID};

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

/// The request token GitHub Actions gives a job (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
const GITHUB_REQUEST_TOKEN: &str = "gh-request-secret";
/// The access token Azure Pipelines gives a step (`SYSTEM_ACCESSTOKEN`).
const PIPELINES_ACCESS_TOKEN: &str = "ado-access-secret";
/// The path of an Azure Pipelines job's OIDC endpoint (`SYSTEM_OIDCREQUESTURI`).
const PIPELINES_OIDC_PATH: &str = "/contoso/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken";
/// The client secret of the `AZURE_*` variables.
const AZURE_CLIENT_SECRET: &str = "azure-env-secret";
/// The identity header App Service gives a managed identity (`IDENTITY_HEADER`).
const IDENTITY_HEADER: &str = "id-header-secret";

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

/// A temporary folder holding the file `name` with the `n`th federated token, and the file's path.
fn token_file(name: &str, n: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, federated_jwt(n)).unwrap();
    (dir, file)
}

/// `msconnect <module> connect --federated-token-file <file> <more>`.
fn connect_with_token_file(cli: &Cli, module: &str, file: &std::path::Path, more: &[&str]) -> Run {
    let path = file.to_str().unwrap();
    let mut args = vec![module, "connect", "--federated-token-file", path];
    args.extend_from_slice(more);
    cli.run(&args)
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

/// Asserts that `what`'s run succeeded and printed `access_token` alone, and none of `secrets`.
fn assert_printed_token(run: &Run, access_token: &str, what: &str, secrets: &[&str]) {
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, format!("{access_token}\n").as_str()),
        "{what}: {}",
        run.stderr
    );
    assert_no_secret(run, secrets);
}

/// Asserts that `what`'s run succeeded and printed none of `secrets`.
fn assert_succeeded(run: &Run, what: &str, secrets: &[&str]) {
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    assert_no_secret(run, secrets);
}

/// The variables that set up the tests' sign-ins, on top of a [`Cli`].
trait WorkloadEnv {
    /// `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`: the tests' application and tenant.
    fn azure_app(self) -> Self;
    /// A GitHub Actions job whose OIDC endpoint is on `server_url`, with its request token.
    fn in_github_actions(self, server_url: &str) -> Self;
    /// An Azure Pipelines step whose job's OIDC endpoint is on `server_url`, with its access token.
    fn in_azure_pipelines(self, server_url: &str) -> Self;
    /// An App Service whose identity endpoint is on `server_url`, with its identity header.
    fn on_app_service(self, server_url: &str) -> Self;
    /// A VM whose IMDS is at `host` (a loopback stand-in, never IMDS' real address).
    fn on_imds(self, host: &str) -> Self;
}

impl WorkloadEnv for Cli {
    fn azure_app(self) -> Self {
        self.env("AZURE_CLIENT_ID", APP_ID)
            .env("AZURE_TENANT_ID", TENANT_ID)
    }

    fn in_github_actions(self, server_url: &str) -> Self {
        self.env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{server_url}/_apis/oidc/token?api-version=2.0"),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN)
    }

    fn in_azure_pipelines(self, server_url: &str) -> Self {
        self.env(
            "SYSTEM_OIDCREQUESTURI",
            &format!("{server_url}{PIPELINES_OIDC_PATH}"),
        )
        .env("SYSTEM_ACCESSTOKEN", PIPELINES_ACCESS_TOKEN)
    }

    fn on_app_service(self, server_url: &str) -> Self {
        self.env("IDENTITY_ENDPOINT", &format!("{server_url}/msi/token"))
            .env("IDENTITY_HEADER", IDENTITY_HEADER)
    }

    fn on_imds(self, host: &str) -> Self {
        self.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)
    }
}

/// The authority answering a client credentials request whose client assertion is `assertion`, once.
async fn client_assertion_answer(
    authority: &mut MockAuthority,
    assertion: &str,
    answer: Value,
) -> mockito::Mock {
    let body = assertion_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP_ID),
        ("client_assertion", assertion),
    ]);
    authority.token(TENANT_ID, body, &answer).await
}

/// The authority answering a client credentials request with `AZURE_CLIENT_SECRET`'s secret for `scope`,
/// once.
async fn secret_answer(authority: &mut MockAuthority, scope: &str, answer: Value) -> mockito::Mock {
    let body = client_secret_form(APP_ID, AZURE_CLIENT_SECRET, scope);
    authority.token(TENANT_ID, body, &answer).await
}

/// A GET of `path` whose query holds `query`, expected once (the caller adds headers and the answer).
fn get_once(server: &mut Server, path: &str, query: Matcher) -> mockito::Mock {
    server.mock("GET", path).match_query(query).expect(1)
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

/// The text of every file msconnect saved in its home (what a connection left behind).
fn saved_text(cli: &Cli) -> String {
    walk(cli.home())
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap_or_default())
        .collect()
}

/// The issue's headline: a token file that changes between `connect` and a later `token` (Kubernetes
/// rotated it; the old one expired): the renewal sends the new JWT, read from the file again.
#[tokio::test]
async fn every_module_signs_in_with_a_federated_token_file_and_renews_with_the_file_as_it_is_now() {
    for module in &MODULES {
        let mut authority = MockAuthority::start().await;
        let cli = Cli::new().authority(&authority.url());
        let (_dir, file) = token_file("azure-identity-token", 1);
        let first = client_assertion_answer(&mut authority, &federated_jwt(1), short_app_token("at-1")).await;
        let second = client_assertion_answer(
            &mut authority,
            &federated_jwt(2),
            test_support::app_token_response("at-2"),
        )
        .await;
        let more = [module.app, APP_ID, module.tenant, TENANT_ID];
        let run = connect_with_token_file(&cli, module.name, &file, &more);
        assert_succeeded(&run, module.name, &[&federated_jwt(1)]);
        first.assert_async().await;
        assert!(
            context_json(&cli, module.name).contains("FederatedToken"),
            "{}",
            module.name
        );
        // the file is replaced by a fresh token, as the kubelet does
        std::fs::write(&file, format!("{}\n", federated_jwt(2))).unwrap();
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_printed_token(&run, "at-2", module.name, &[&federated_jwt(1), &federated_jwt(2)]);
        second.assert_async().await;
        // the saved connection knows the file, never its token
        let saved = saved_text(&cli);
        assert!(saved.contains("azure-identity-token"), "{saved}");
        assert!(!saved.contains(&federated_jwt(2)), "{saved}");
    }
}

/// GitHub Actions: the request token goes in the Authorization header, the audience in the query; the
/// JWT of `value` is the client assertion; `token` asks GitHub again for its renewal.
#[tokio::test]
async fn every_module_signs_in_with_workload_identity_from_github_and_asks_github_again_to_renew() {
    for module in &MODULES {
        let mut authority = MockAuthority::start().await;
        let github_1 = github(&mut authority.server, 1).await;
        let first = client_assertion_answer(&mut authority, &federated_jwt(1), short_app_token("at-1")).await;
        let cli = Cli::new()
            .authority(&authority.url())
            .in_github_actions(&authority.url())
            .azure_app();
        let run = cli.run(&[module.name, "connect", "--workload-identity", "-v"]);
        assert_succeeded(&run, module.name, &[GITHUB_REQUEST_TOKEN, &federated_jwt(1)]);
        github_1.assert_async().await;
        first.assert_async().await;
        assert!(
            context_json(&cli, module.name).contains("WorkloadIdentity"),
            "{}",
            module.name
        );
        // the first GitHub token is spent: the renewal must come with a new one
        let github_2 = github(&mut authority.server, 2).await;
        let second = client_assertion_answer(
            &mut authority,
            &federated_jwt(2),
            test_support::app_token_response("at-2"),
        )
        .await;
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_printed_token(
            &run,
            "at-2",
            module.name,
            &[GITHUB_REQUEST_TOKEN, &federated_jwt(2)],
        );
        github_2.assert_async().await;
        second.assert_async().await;
    }
}

/// Issue 26 (M5): a connect through GitHub Actions asks GitHub for a token every time, as a token file
/// is read every time, even when the cache holds a token for the application: after a genuine connect, a
/// connect with a bogus request token is refused by GitHub (which sees the request) instead of being
/// served from the cache.
#[tokio::test]
async fn a_github_connect_asks_github_every_time_so_a_bogus_request_token_fails_after_a_genuine_one() {
    let mut authority = MockAuthority::start().await;
    let github_1 = github(&mut authority.server, 1).await;
    let first = client_assertion_answer(
        &mut authority,
        &federated_jwt(1),
        test_support::app_token_response("at-1"),
    )
    .await;
    let cli = Cli::new()
        .authority(&authority.url())
        .in_github_actions(&authority.url())
        .azure_app();
    let connect = ["entra", "connect", "--workload-identity"];
    let run = cli.run(&connect);
    assert_succeeded(
        &run,
        "a genuine connect",
        &[GITHUB_REQUEST_TOKEN, &federated_jwt(1)],
    );
    github_1.assert_async().await;
    first.assert_async().await;

    let refused = get_once(&mut authority.server, "/_apis/oidc/token", Matcher::Any)
        .match_header("authorization", "bearer bogus-request-token")
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .create_async()
        .await;
    let run = cli.run_with(
        &connect,
        "",
        &[("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "bogus-request-token")],
    );
    assert_eq!(run.code, 1, "a bogus request token connected: {}", run.stderr);
    assert!(
        run.stderr.contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        "{}",
        run.stderr
    );
    assert_no_secret(&run, &["bogus-request-token"]);
    refused.assert_async().await;

    // the genuine job connects again: GitHub is asked, and the cached token serves (no token request)
    let github_2 = github(&mut authority.server, 2).await;
    let run = cli.run(&connect);
    assert_succeeded(
        &run,
        "a second genuine connect",
        &[GITHUB_REQUEST_TOKEN, &federated_jwt(2)],
    );
    github_2.assert_async().await;
}

/// GitHub's OIDC endpoint answering the `n`th federated token, once.
async fn github(server: &mut Server, n: u32) -> mockito::Mock {
    let query = Matcher::AllOf(vec![
        Matcher::UrlEncoded("api-version".into(), "2.0".into()),
        Matcher::UrlEncoded("audience".into(), "api://AzureADTokenExchange".into()),
    ]);
    get_once(server, "/_apis/oidc/token", query)
        .match_header("authorization", format!("bearer {GITHUB_REQUEST_TOKEN}").as_str())
        .with_body(json!({ "count": 1, "value": federated_jwt(n) }).to_string())
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
    let query = Matcher::AllOf(vec![
        Matcher::UrlEncoded("api-version".into(), api_version.into()),
        Matcher::UrlEncoded("resource".into(), resource.into()),
    ]);
    let mock =
        get_once(server, path, query).with_body(managed_identity_answer(resource, expires_in, n).to_string());
    let mock = if app_service {
        mock.match_header("x-identity-header", IDENTITY_HEADER)
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
        let cli = if app_service {
            Cli::new().on_app_service(&server.url())
        } else {
            Cli::new().on_imds(&server.url())
        };
        let run = cli.run(&[module.name, "connect", "--identity", "-v"]);
        assert_succeeded(&run, module.name, &[IDENTITY_HEADER]);
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
        assert_succeeded(&run, module.name, &[IDENTITY_HEADER]);
        assert!(
            auth_core::decode_jwt_payload(run.stdout.trim(), "token").unwrap()["n"] == json!(2),
            "{}: the renewed token is the host's second: {}",
            module.name,
            run.stdout
        );
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
        let query = Matcher::UrlEncoded(name.into(), value.into());
        let imds = get_once(&mut server, "/metadata/identity/oauth2/token", query)
            .with_body(managed_identity_answer(resource, 3600, 1).to_string())
            .create_async()
            .await;
        let cli = Cli::new().on_imds(&server.url());
        let mut all = vec!["entra", "connect", "--identity"];
        all.extend_from_slice(args);
        let run = cli.run(&all);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        imds.assert_async().await;
    }
}

/// `--environment-variable`: the `AZURE_*` variables' client secret signs in; `token` renews reading
/// them again; the context says EnvironmentVariable and the secret is printed nowhere.
#[tokio::test]
async fn every_module_signs_in_with_the_azure_variables_and_renews_from_them() {
    for module in &MODULES {
        let mut authority = MockAuthority::start().await;
        let first = secret_answer(&mut authority, module.scope, short_app_token("at-1")).await;
        let cli = Cli::new()
            .authority(&authority.url())
            .azure_app()
            .env("AZURE_CLIENT_SECRET", AZURE_CLIENT_SECRET);
        let run = cli.run(&[module.name, "connect", "--environment-variable", "-v"]);
        assert_succeeded(&run, module.name, &[AZURE_CLIENT_SECRET]);
        first.assert_async().await;
        let context = context_json(&cli, module.name);
        assert!(
            context.contains("EnvironmentVariable"),
            "{}: {context}",
            module.name
        );
        let second = secret_answer(
            &mut authority,
            module.scope,
            test_support::app_token_response("at-2"),
        )
        .await;
        let run = cli.run(&[module.name, "token", "-v"]);
        assert_printed_token(&run, "at-2", module.name, &[AZURE_CLIENT_SECRET]);
        second.assert_async().await;
        // the connection remembers that the variables connected, not the secret
        assert!(!saved_text(&cli).contains(AZURE_CLIENT_SECRET));
    }
}

/// The variables changed since connecting (another application): `token` says so, naming the
/// variable, rather than sending another application's secret.
#[tokio::test]
async fn an_environment_variable_connection_whose_application_changed_says_so() {
    let secmgmt = &MODULES[1];
    let mut authority = MockAuthority::start().await;
    let first = secret_answer(&mut authority, secmgmt.scope, short_app_token("at-1")).await;
    let cli = Cli::new()
        .authority(&authority.url())
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_SECRET", AZURE_CLIENT_SECRET);
    let run = cli.run_with(
        &[secmgmt.name, "connect", "--environment-variable"],
        "",
        &[("AZURE_CLIENT_ID", APP_ID)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    first.assert_async().await;
    let run = cli.run_with(
        &[secmgmt.name, "token"],
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
        let more = ["--client-id", APP_ID, "--tenant-id", TENANT_ID];
        let run = connect_with_token_file(&cli, "entra", file, &more);
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
    let (_dir, file) = token_file("token", 1);
    let cli = Cli::new();
    let run = connect_with_token_file(&cli, "psentra", &file, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("AZURE_CLIENT_ID"), "{}", run.stderr);
    let run = connect_with_token_file(&cli, "partnercenter", &file, &["--application-id", APP_ID]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("AZURE_TENANT_ID"), "{}", run.stderr);
}

#[tokio::test]
async fn github_refusing_the_request_token_is_an_error_naming_the_variable() {
    let mut server = Server::new_async().await;
    let github = get_once(&mut server, "/_apis/oidc/token", Matcher::Any)
        .with_status(401)
        .with_body(r#"{"message":"Bad credentials"}"#)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .in_github_actions(&server.url());
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
    assert_no_secret(&run, &[GITHUB_REQUEST_TOKEN]);
    github.assert_async().await;
}

#[tokio::test]
async fn app_service_refusing_the_identity_header_is_an_error_naming_the_variable() {
    let mut server = Server::new_async().await;
    let refused = get_once(&mut server, "/msi/token", Matcher::Any)
        .with_status(401)
        .with_body("{}")
        .create_async()
        .await;
    let cli = Cli::new().on_app_service(&server.url());
    let run = cli.run(&["partnercenter", "connect", "--identity", "-v"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("IDENTITY_HEADER"), "{}", run.stderr);
    assert_no_secret(&run, &[IDENTITY_HEADER]);
    refused.assert_async().await;
}

/// IMDS not answering: a loopback port nobody listens on stands in for 169.254.169.254 off Azure.
#[tokio::test]
async fn imds_unreachable_is_an_error_saying_no_managed_identity_answered() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cli = Cli::new().on_imds(&format!("http://127.0.0.1:{closed}"));
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
    let service_connection = "5e1f0000-1111-4222-8333-444455556666";
    async fn devops(server: &mut Server, service_connection: &str, n: u32) -> mockito::Mock {
        server
            .mock("POST", PIPELINES_OIDC_PATH)
            .match_query(Matcher::AllOf(vec![
                Matcher::UrlEncoded("api-version".into(), "7.1".into()),
                Matcher::UrlEncoded("serviceConnectionId".into(), service_connection.into()),
            ]))
            .match_header(
                "authorization",
                format!("Bearer {PIPELINES_ACCESS_TOKEN}").as_str(),
            )
            .with_body(json!({ "oidcToken": federated_jwt(n) }).to_string())
            .expect(1)
            .create_async()
            .await
    }
    let mut authority = MockAuthority::start().await;
    let ado_1 = devops(&mut authority.server, service_connection, 1).await;
    let first = client_assertion_answer(&mut authority, &federated_jwt(1), short_app_token("at-1")).await;
    let cli = Cli::new()
        .authority(&authority.url())
        .in_azure_pipelines(&authority.url());
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
    assert_succeeded(&run, "entra", &[PIPELINES_ACCESS_TOKEN, &federated_jwt(1)]);
    ado_1.assert_async().await;
    first.assert_async().await;
    let ado_2 = devops(&mut authority.server, service_connection, 2).await;
    let second = client_assertion_answer(
        &mut authority,
        &federated_jwt(2),
        test_support::app_token_response("at-2"),
    )
    .await;
    let run = cli.run(&["entra", "token", "-v"]);
    assert_printed_token(
        &run,
        "at-2",
        "entra",
        &[PIPELINES_ACCESS_TOKEN, &federated_jwt(2)],
    );
    ado_2.assert_async().await;
    second.assert_async().await;
    // issue 26 (M5): a connect with a bogus access token asks Azure DevOps, which refuses it, although
    // the cache holds a fresh token for the application
    let refused = authority
        .server
        .mock("POST", PIPELINES_OIDC_PATH)
        .match_query(Matcher::Any)
        .match_header("authorization", "Bearer bogus-access-token")
        .with_status(401)
        .expect(1)
        .create_async()
        .await;
    let run = cli.run_with(
        &[
            "entra",
            "connect",
            "--workload-identity",
            "--service-connection-id",
            service_connection,
            "--client-id",
            APP_ID,
            "--tenant-id",
            TENANT_ID,
        ],
        "",
        &[("SYSTEM_ACCESSTOKEN", "bogus-access-token")],
    );
    assert_eq!(run.code, 1, "a bogus access token connected: {}", run.stderr);
    assert_no_secret(&run, &["bogus-access-token"]);
    refused.assert_async().await;
}

/// `--workload-identity` takes `AZURE_FEDERATED_TOKEN_FILE` first (AKS' webhook sets it), before any CI
/// variable.
#[tokio::test]
async fn workload_identity_prefers_the_token_file_of_azure_federated_token_file() {
    let mut authority = MockAuthority::start().await;
    let (_dir, file) = token_file("azure-identity-token", 7);
    let answer = client_assertion_answer(
        &mut authority,
        &federated_jwt(7),
        test_support::app_token_response("at-7"),
    )
    .await;
    let github = authority
        .server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&authority.url())
        .env("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap())
        .azure_app()
        .in_github_actions(&authority.url());
    let run = cli.run(&["partnercenter", "connect", "--workload-identity"]);
    assert_succeeded(&run, "partnercenter", &[]);
    answer.assert_async().await;
    github.assert_async().await;
    assert!(context_json(&cli, "partnercenter").contains("WorkloadIdentity"));
    let run = cli.run(&["partnercenter", "token"]);
    assert_printed_token(&run, "at-7", "partnercenter", &[]);
}

/// `--environment-variable` with `AZURE_CLIENT_CERTIFICATE_PATH` (a PEM file holding the certificate and
/// its key): the assertion is signed with it, and `token` loads it from the same variable to renew.
#[tokio::test]
async fn the_azure_variables_certificate_signs_in_and_renews_from_the_same_file() {
    let mut authority = MockAuthority::start().await;
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
    // a JWT the certificate signed (header.payload.signature), not a federated token passed through
    let signed = || {
        Matcher::AllOf(vec![
            assertion_form(&[("grant_type", "client_credentials"), ("client_id", APP_ID)]),
            Matcher::Regex("client_assertion=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+".into()),
        ])
    };
    let first = authority
        .token(TENANT_ID, signed(), &short_app_token("at-1"))
        .await;
    let cli = Cli::new()
        .authority(&authority.url())
        .azure_app()
        .env("AZURE_CLIENT_CERTIFICATE_PATH", pem.to_str().unwrap());
    let run = cli.run(&["psentra", "connect", "--environment-variable"]);
    assert_succeeded(&run, "psentra", &[]);
    first.assert_async().await;
    assert!(context_json(&cli, "psentra").contains("EnvironmentVariable"));
    let second = authority
        .token(TENANT_ID, signed(), &test_support::app_token_response("at-2"))
        .await;
    let run = cli.run(&["psentra", "token"]);
    assert_printed_token(&run, "at-2", "psentra", &[]);
    second.assert_async().await;
}
