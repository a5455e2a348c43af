//! Issue 16 through the library: connections made with a federated token file, a managed identity and
//! the `AZURE_*` variables are saved without a secret and renewed by a later session from their source.
//! Every server is a mockito server on loopback (the managed identity's through `IDENTITY_ENDPOINT`).

use std::time::Duration;

use serde_json::json;

use crate::cloud::Cloud;
use crate::flows::{FederatedTokenFile, ManagedIdentityId, SavedFederatedSource};
use crate::session::*;
use crate::testing::{NOW, app_token_response, environment_at, form, jwt, session_in};

const CLIENT: &str = "0c7a1f00-0000-4000-8000-00000000f00d";
const TID: &str = "7a0b9c1d-0000-4000-8000-00000000a001";
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn federated(n: u32) -> String {
    jwt(&json!({"iss": "https://oidc.prod-aks.azure.com/x/", "sub": "system:serviceaccount:ns:sa", "n": n}))
}

fn request(server: &mockito::Server, method: SignInMethod) -> SignInRequest {
    SignInRequest {
        environment: environment_at(Cloud::AzureCloud, &server.url()),
        tenant: Tenant::parse(TID).unwrap(),
        client_id: ClientId::parse(CLIENT).unwrap(),
        scopes: vec![SCOPE.into()],
        method,
        client_capabilities: Vec::new(),
        claims: None,
    }
}

async fn assertion_answer(server: &mut mockito::Server, assertion: &str, token: &str) -> mockito::Mock {
    server
        .mock("POST", format!("/{TID}/oauth2/v2.0/token").as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion", assertion),
        ]))
        .with_body(app_token_response(token).to_string())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_federated_file_connection_renews_in_a_later_session_with_the_file_as_it_is_now() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("token");
    std::fs::write(&file, federated(1)).unwrap();
    let first = assertion_answer(&mut server, &federated(1), "AT-1").await;
    let (session, _) = session_in(home.path(), EnvVars::default());
    let request = request(
        &server,
        SignInMethod::Application(ClientCredential::assertion(FederatedTokenFile::new(&file))),
    );
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    first.assert_async().await;
    assert_eq!(connection.method_name(), "FederatedTokenFile");
    let SignedIn::App { credential } = &connection.signed_in else {
        panic!("an app connection: {connection:?}")
    };
    assert_eq!(
        credential,
        &AppCredential::Federated(SavedFederatedSource::File { path: file.clone() })
    );
    // the saved form names the file, never the token
    let saved = serde_json::to_string(&connection).unwrap();
    assert!(saved.contains("\"Kind\":\"Federated\""), "{saved}");
    assert!(!saved.contains(&federated(1)), "{saved}");
    let fingerprint = credential.fingerprint().unwrap();
    assert!(
        fingerprint.starts_with("wif:") && fingerprint.len() == 36,
        "{fingerprint}"
    );

    // an hour later the token has expired, and so has the first JWT: the file holds a new one
    std::fs::write(&file, federated(2)).unwrap();
    let second = assertion_answer(&mut server, &federated(2), "AT-2").await;
    let (later, timer) = session_in(home.path(), EnvVars::default());
    timer.advance(Duration::from_secs(3500));
    let loaded: Connection = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        later.token(&loaded, &[]).await.unwrap().access_token.secret(),
        "AT-2"
    );
    second.assert_async().await;
}

#[tokio::test]
async fn a_github_connection_outside_a_job_says_which_variable_is_missing_once_its_token_is_gone() {
    let server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let connection = Connection::from_parts(
        environment_at(Cloud::AzureCloud, &server.url()),
        Tenant::parse(TID).unwrap(),
        ClientId::parse(CLIENT).unwrap(),
        vec![SCOPE.into()],
        SignedIn::App {
            credential: AppCredential::Federated(SavedFederatedSource::GitHubActions),
        },
    );
    let (session, _) = session_in(home.path(), EnvVars::default());
    let error = session.token(&connection, &[]).await.unwrap_err();
    assert!(
        error.to_string().contains("ACTIONS_ID_TOKEN_REQUEST_URL"),
        "{error}"
    );
}

fn identity_answer(n: u32, expires_on: i64) -> String {
    let token = jwt(&json!({"appid": CLIENT, "tid": TID, "aud": "https://graph.microsoft.com", "n": n}));
    json!({
        "access_token": token,
        "expires_on": expires_on.to_string(),
        "resource": "https://graph.microsoft.com",
        "token_type": "Bearer",
    })
    .to_string()
}

#[tokio::test]
async fn a_managed_identity_connection_renews_by_asking_the_host_again() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let env = EnvVars::from_pairs([
        ("IDENTITY_ENDPOINT", format!("{}/msi/token", server.url())),
        ("IDENTITY_HEADER", "header-secret".to_owned()),
    ]);
    let host = |server: &mut mockito::Server, n: u32| {
        server
            .mock("GET", "/msi/token")
            .match_query(mockito::Matcher::UrlEncoded(
                "resource".into(),
                "https://graph.microsoft.com".into(),
            ))
            .match_header("x-identity-header", "header-secret")
            .with_body(identity_answer(n, NOW + 3600))
            .expect(1)
    };
    let first = host(&mut server, 1).create_async().await;
    let (session, _) = session_in(home.path(), env.clone());
    let mut request = request(
        &server,
        SignInMethod::ManagedIdentity(ManagedIdentityId::SystemAssigned),
    );
    // the module's default client stands in until the token names the identity's application
    request.client_id = ClientId::parse("04b07795-8ddb-461a-bbee-02f9e1bf7b46").unwrap();
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    first.assert_async().await;
    assert_eq!(connection.client_id.as_str(), CLIENT);
    assert_eq!(connection.method_name(), "ManagedIdentity");
    assert!(connection.is_app_only());

    // served from the cache while fresh
    let (later, timer) = session_in(home.path(), env.clone());
    let cached = later.token(&connection, &[]).await.unwrap();
    assert_eq!(cached.access_token.secret(), result.access_token.secret());
    // renewed by the host once it runs out
    let second = host(&mut server, 2).create_async().await;
    timer.advance(Duration::from_secs(3500));
    let renewed = later.token(&connection, &[]).await.unwrap();
    assert_ne!(renewed.access_token.secret(), result.access_token.secret());
    second.assert_async().await;
}

#[tokio::test]
async fn an_environment_variable_connection_remembers_the_method_and_reads_the_variables_again() {
    let mut server = mockito::Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let secret_answer = |server: &mut mockito::Server, token: &str| {
        server
            .mock("POST", format!("/{TID}/oauth2/v2.0/token").as_str())
            .match_body(form(&[
                ("grant_type", "client_credentials"),
                ("client_secret", "env-secret"),
            ]))
            .with_body(app_token_response(token).to_string())
            .expect(1)
    };
    let first = secret_answer(&mut server, "AT-1").create_async().await;
    let env = EnvVars::from_pairs([
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_TENANT_ID", TID),
        ("AZURE_CLIENT_SECRET", "env-secret"),
    ]);
    let (session, _) = session_in(home.path(), env.clone());
    let variables = crate::flows::EnvironmentCredential::from_env(&env).unwrap();
    let inner = variables.sign_in_method(&session).unwrap();
    let request = request(&server, SignInMethod::EnvironmentVariable(Box::new(inner)));
    assert_eq!(request.method.name(), "EnvironmentVariable");
    let result = session.sign_in(&request).await.unwrap();
    let connection = Connection::new(&request, &result).unwrap();
    first.assert_async().await;
    assert_eq!(connection.method_name(), "EnvironmentVariable");
    let saved = serde_json::to_string(&connection).unwrap();
    assert!(saved.contains("\"Method\":\"ClientSecret\""), "{saved}");
    assert!(saved.contains("\"Fingerprint\":\"s1:"), "{saved}");
    assert!(!saved.contains("env-secret"), "{saved}");

    let second = secret_answer(&mut server, "AT-2").create_async().await;
    let (later, timer) = session_in(home.path(), env);
    timer.advance(Duration::from_secs(3500));
    assert_eq!(
        later.token(&connection, &[]).await.unwrap().access_token.secret(),
        "AT-2"
    );
    second.assert_async().await;

    // the variables now hold a federated token file instead: refused by name, not sent as something else
    let (changed, timer) = session_in(
        home.path(),
        EnvVars::from_pairs([
            ("AZURE_CLIENT_ID", CLIENT),
            ("AZURE_TENANT_ID", TID),
            ("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/token"),
        ]),
    );
    timer.advance(Duration::from_secs(7200));
    let error = changed.token(&connection, &[]).await.unwrap_err();
    assert!(
        error.to_string().contains("ClientSecret") && error.to_string().contains("FederatedTokenFile"),
        "{error}"
    );
}
