//! Issue 22 through the library: the `Connected` handle keeps an application's credential in memory and
//! renews every scope with it, `disconnect` forgets its tokens in a memory session too and leaves the
//! handle refusing, and `SessionOptions` takes the authority host and an HTTP transport.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mockito::Matcher;
use serde_json::json;

use crate::cloud::Cloud;
use crate::http::{HttpOptions, HttpRequest, HttpResponse, TransportError};
use crate::session::*;
use crate::testing::saved::Saves as _;
use crate::testing::{app_token_response, environment_at, form, http_options, session_with};

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const GRAPH: &str = "https://graph.microsoft.com/.default";
const VAULT: &str = "https://vault.azure.net/.default";

fn app_request(authority: &str, secret: &str) -> SignInRequest {
    SignInRequest::new(
        environment_at(Cloud::AzureCloud, authority),
        Some(Tenant::parse("contoso.com").unwrap()),
        ClientId::parse(CLIENT).unwrap(),
        vec![GRAPH.into()],
        SignInMethod::Application(ClientCredential::secret(secret)),
    )
}

async fn connect(session: &Session, request: &SignInRequest, module: &str) -> Connected {
    let tokens = session.authenticate(request).await.unwrap();
    session.complete(module, request, &tokens, &json!({})).unwrap()
}

/// One client-credentials grant of `scope` with `secret`, answered `token`.
async fn grant(server: &mut mockito::Server, secret: &str, scope: &str, token: &str) -> mockito::Mock {
    server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", secret),
            ("scope", scope),
        ]))
        .with_body(app_token_response(token).to_string())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn the_handle_renews_every_scope_with_the_secret_it_keeps_and_refuses_once_disconnected() {
    let mut server = mockito::Server::new_async().await;
    let first = grant(&mut server, "s1", GRAPH, "AT-graph").await;
    let vault = grant(&mut server, "s1", VAULT, "AT-vault").await;
    // in memory, no variable: nothing but the handle holds the secret
    let (session, timer) = session_with(EnvVars::default());
    let connected = connect(&session, &app_request(&server.url(), "s1"), "secmgmt").await;
    first.assert_async().await;
    assert!(format!("{connected:?}").contains("with the application's credential"));
    assert!(!format!("{connected:?}").contains("s1\""));

    let token = connected.token(&[VAULT]).await.unwrap();
    assert_eq!(token.access_token.secret(), "AT-vault");
    vault.assert_async().await;
    // connect's own scope, an hour later: renewed too
    let renewed = grant(&mut server, "s1", GRAPH, "AT-graph-2").await;
    timer.advance(Duration::from_secs(3600));
    assert_eq!(
        connected.token(&[]).await.unwrap().access_token.secret(),
        "AT-graph-2"
    );
    renewed.assert_async().await;

    let clone = connected.clone();
    assert!(connected.disconnect().unwrap());
    assert!(!clone.disconnect().unwrap(), "a clone is disconnected with it");
    assert!(!clone.is_connected());
    let error = clone.token(&[GRAPH]).await.unwrap_err();
    insta::assert_snapshot!(error, @"the secmgmt connection was disconnected: connect again to get tokens");
    assert!(
        session
            .cached_token(connected.connection(), &[GRAPH.into()])
            .unwrap()
            .is_none(),
        "the memory session forgot the connection's tokens"
    );
}

/// Two handles of one application in one memory session share its app tokens: disconnecting one leaves
/// the other's; once both are gone the tokens go too.
#[tokio::test]
async fn a_disconnect_leaves_the_tokens_another_live_handle_uses() {
    let mut server = mockito::Server::new_async().await;
    let first = grant(&mut server, "s1", GRAPH, "AT-graph").await;
    let (session, _) = session_with(EnvVars::default());
    let request = app_request(&server.url(), "s1");
    let partner = connect(&session, &request, "partnercenter").await;
    // served from the cache: the same credential earned it
    let secmgmt = connect(&session, &request, "secmgmt").await;
    first.assert_async().await;
    let graph = [GRAPH.to_owned()];

    assert!(partner.disconnect().unwrap());
    assert!(
        session
            .cached_token(secmgmt.connection(), &graph)
            .unwrap()
            .is_some()
    );
    assert_eq!(
        secmgmt.token(&[]).await.unwrap().access_token.secret(),
        "AT-graph"
    );
    assert!(secmgmt.disconnect().unwrap());
    assert!(
        session
            .cached_token(secmgmt.connection(), &graph)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_empty_client_secret_is_refused_before_anything_is_sent() {
    let mut server = mockito::Server::new_async().await;
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let (session, _) = session_with(EnvVars::default());
    let error = session
        .authenticate(&app_request(&server.url(), " "))
        .await
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for client secret: is empty: give the application's client secret");
    nothing.assert_async().await;
}

/// A request the transport saw: its URL and its form.
type Sent = (String, Vec<(String, String)>);

/// `SessionOptions::authority_host` wins over `AZURE_AUTHORITY_HOST`, for a sign-in and its renewal; the
/// requests go through the transport of `SessionOptions.http`, which sees them whole.
#[tokio::test]
async fn the_authority_host_and_the_transport_are_options() {
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let record = sent.clone();
    let transport = move |request: HttpRequest| {
        let answer = format!(
            "AT-{}",
            request
                .form()
                .iter()
                .find(|(k, _)| k == "scope")
                .map_or("", |(_, v)| v.as_str())
        );
        record
            .lock()
            .unwrap()
            .push((request.url.to_string(), request.form()));
        async move {
            Ok::<_, TransportError>(HttpResponse {
                status: 200,
                headers: Default::default(),
                body: app_token_response(&answer).to_string(),
            })
        }
    };
    let env = EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", "https://login.elsewhere.example")]);
    let session = Session::new(SessionOptions {
        http: HttpOptions {
            transport: Some(Arc::new(transport)),
            ..http_options(env).0
        },
        authority_host: Some(url::Url::parse("https://login.contoso.example").unwrap()),
        ..SessionOptions::default()
    });
    let mut request = app_request("https://login.microsoftonline.com", "s1");
    request.environment = session.resolve_environment(&request.environment).await.unwrap();
    let connected = connect(&session, &request, "entra").await;
    let vault = connected.token(&[VAULT]).await.unwrap();
    assert_eq!(vault.access_token.secret(), format!("AT-{VAULT}"));
    let sent = sent.lock().unwrap();
    let urls: Vec<&str> = sent.iter().map(|(url, _)| url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://login.contoso.example/contoso.com/oauth2/v2.0/token",
            "https://login.contoso.example/contoso.com/oauth2/v2.0/token"
        ]
    );
    assert!(
        sent.iter()
            .all(|(_, form)| form.contains(&("client_secret".into(), "s1".into())))
    );
}

#[test]
fn root_certificates_come_from_pem_or_der_and_a_bundle_without_one_is_refused() {
    let pem = crate::testing::TEST_CERTIFICATE_PEM;
    let roots = crate::http::RootCertificate::from_pem(pem.as_bytes(), "ca.pem").unwrap();
    assert_eq!(roots.len(), 1);
    let client = crate::http::HttpClient::new(HttpOptions {
        root_certificates: roots,
        ..HttpOptions::default()
    });
    assert!(client.is_ok(), "{:?}", client.err());
    let error = crate::http::RootCertificate::from_pem(b"not a certificate", "ca.pem").unwrap_err();
    insta::assert_snapshot!(error, @"ca.pem: holds no PEM certificates");
}
