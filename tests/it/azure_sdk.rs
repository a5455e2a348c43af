//! Issue 24: auth-core's `azure-core` feature. A connection's handle is the Azure SDK for Rust's
//! `TokenCredential`: azure_core's own `BearerTokenAuthorizationPolicy` gets its token from a connection
//! made against a loopback authority (mockito), renewed there for the scope the policy asks for, and
//! puts it in the request it sends on.

use std::sync::{Arc, Mutex};

use auth_core::{
    ClientCredential, ClientId, ClientSecret, Cloud, EnvVars, SignInMethod, SignInRequest, Tenant,
};
use azure_core::http::headers::{AUTHORIZATION, Headers};
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{AsyncRawResponse, Context, Method, Request, StatusCode};
use mockito::Server;
use test_support::{app_token_response, form};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "00000000-0000-0000-0000-00000000a11c";
const SECRET: &str = "test-only-secret";
const VAULT: &str = "https://vault.azure.net/.default";

/// The service at the end of the pipeline: keeps each request's `Authorization` and answers 200.
#[derive(Debug, Default)]
struct Service {
    authorizations: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Policy for Service {
    async fn send(&self, _: &Context, request: &mut Request, _: &[Arc<dyn Policy>]) -> PolicyResult {
        let authorization = request
            .headers()
            .get_optional_str(&AUTHORIZATION)
            .unwrap_or_default();
        self.authorizations.lock().unwrap().push(authorization.to_owned());
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::Ok,
            Headers::new(),
            azure_core::Bytes::new(),
        ))
    }
}

#[tokio::test]
async fn azure_cores_bearer_token_policy_gets_its_token_from_a_connection() {
    let mut server = Server::new_async().await;
    let token_path = format!("/{TENANT}/oauth2/v2.0/token");
    let connect = server
        .mock("POST", token_path.as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .with_body(app_token_response("graph-at").to_string())
        .expect(1)
        .create_async()
        .await;
    let vault = server
        .mock("POST", token_path.as_str())
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("scope", VAULT),
            ("client_secret", SECRET),
        ]))
        .with_body(app_token_response("vault-at").to_string())
        .expect(1)
        .create_async()
        .await;
    // the secret a renewal reads, as a saved connection keeps none
    let (session, _timer) =
        test_support::session_with(EnvVars::from_pairs([("MSCONNECT_CLIENT_SECRET", SECRET)]));
    let request = SignInRequest {
        environment: test_support::environment_at(Cloud::AzureCloud, &server.url()),
        tenant: Tenant::parse(TENANT).unwrap(),
        client_id: ClientId::parse(APP).unwrap(),
        scopes: vec!["https://graph.microsoft.com/.default".to_owned()],
        method: SignInMethod::Application(ClientCredential::Secret(ClientSecret::new(SECRET))),
        client_capabilities: Vec::new(),
        claims: None,
    };
    let tokens = session.authenticate(&request).await.unwrap();
    let connected = session
        .complete_unsaved("secmgmt", "default", &request, &tokens)
        .unwrap();
    connect.assert_async().await;

    let service = Arc::new(Service::default());
    let policy = BearerTokenAuthorizationPolicy::new(Arc::new(connected), [VAULT]);
    let mut request = Request::new(
        "https://contoso.vault.azure.net/secrets/s".parse().unwrap(),
        Method::Get,
    );
    let next: Arc<dyn Policy> = service.clone();
    let response = policy
        .send(&Context::default(), &mut request, std::slice::from_ref(&next))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::Ok);
    vault.assert_async().await;
    assert_eq!(*service.authorizations.lock().unwrap(), ["Bearer vault-at"]);
}
