//! Connect-PSMicrosoftEntraID against mockito: secrets and certificates on the v2 endpoint with
//! `{Graph}/.default`, passwords with the resolved scopes, and the -PassThru token object.

use std::time::SystemTime;

use auth_core::AssertionSource;
use auth_core::ClientAssertion;
use auth_core::{ClientCredential, ClientId, ClientSecret, Cloud, Credential, Tenant};
use serde_json::{Value, json};
use test_support::mock::{
    ADMIN, APP_ID as APP, CertificateHome, GRAPH_DEFAULT, MockAuthority, TENANT_ID as TENANT, USER_OID,
    assertion_form, client_secret_form, password_form,
};
use test_support::{NOW, environment_at, form, jwt, session};

use cmdlet::Context as _;

use super::*;

fn request(idp: &MockAuthority, scopes: &[&str], set: PsEntraSignIn) -> ConnectPsEntra {
    let mut environment = environment_at(Cloud::AzureCloud, &idp.url());
    environment.name = "Global".into();
    ConnectPsEntra {
        client_id: ClientId::parse(APP).unwrap(),
        tenant: Tenant::parse(TENANT).unwrap(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        environment,
        pass_thru: true,
        set,
    }
}

fn app_token() -> String {
    jwt(&json!({
        "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{TENANT}/"),
        "tid": TENANT, "roles": ["User.Read.All", "Group.Read.All"], "nbf": NOW - 300, "exp": NOW + 3599,
    }))
}

/// The v2 endpoint's answer to an application: `access_token` and no more.
fn app_answer(access_token: &str) -> Value {
    json!({"token_type": "Bearer", "expires_in": 3599, "access_token": access_token})
}

async fn connected(session: &Session, request: ConnectPsEntra) -> EntraToken {
    connect(session, request).await.unwrap().0
}

#[tokio::test]
async fn a_client_secret_uses_the_v2_endpoint_with_graph_default_and_ignores_scopes() {
    let mut idp = MockAuthority::start().await;
    let token = app_token();
    let body = client_secret_form(APP, "s3cret", GRAPH_DEFAULT);
    let mock = idp.token(TENANT, body, &app_answer(&token)).await;
    let set = PsEntraSignIn::AppSecret(ClientSecret::new("s3cret"));
    let result = connected(&session().0, request(&idp, &["User.Read"], set)).await;
    mock.assert_async().await;
    let json = serde_json::to_string_pretty(&result.context)
        .unwrap()
        .replace(&idp.url(), "http://mock");
    insta::assert_snapshot!(json, @r#"
    {
      "Service": "Graph",
      "Type": "ClientSecret",
      "ClientID": "11111111-2222-3333-4444-555555555555",
      "TenantID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
      "ServiceUrl": "https://graph.microsoft.com/v1.0",
      "AuthenticationUrl": "http://mock",
      "Scopes": [
        "User.Read.All",
        "Group.Read.All"
      ],
      "Audience": "https://graph.microsoft.com",
      "Issuer": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
      "ValidAfter": "2026-11-22T09:55:00Z",
      "ValidUntil": "2026-11-22T10:59:59Z"
    }
    "#);
    insta::assert_snapshot!(result.context.to_table().replace(&idp.url(), "http://mock"), @r"
    Service           : Graph
    Type              : ClientSecret
    ClientID          : 11111111-2222-3333-4444-555555555555
    TenantID          : 72f988bf-86f1-41af-91ab-2d7cd011db47
    ServiceUrl        : https://graph.microsoft.com/v1.0
    AuthenticationUrl : http://mock
    Scopes            : {User.Read.All, Group.Read.All}
    Audience          : https://graph.microsoft.com
    Issuer            : https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/
    ValidAfter        : 2026-11-22T09:55:00Z
    ValidUntil        : 2026-11-22T10:59:59Z
    ");
    // -PassThru's JSON and list carry the token the user asked for; Debug and the context never do.
    let passthru = serde_json::to_value(&result).unwrap();
    assert_eq!(passthru["AccessToken"], json!(token));
    assert!(!format!("{result:?}").contains(&token));
    assert!(!result.context.to_table().contains(&token));
    assert!(
        result
            .to_table()
            .ends_with(&format!("\nAccessToken       : {token}"))
    );
}

#[derive(Debug)]
struct Fixed;

impl AssertionSource for Fixed {
    fn assertion(&self, audience: &str, _: &ClientId, _: SystemTime) -> auth_core::Result<ClientAssertion> {
        Ok(ClientAssertion::new(format!("signed-for-{audience}")))
    }
}

#[tokio::test]
async fn a_loaded_certificate_signs_a_client_assertion() {
    let mut idp = MockAuthority::start().await;
    let audience = format!("{}/{TENANT}/oauth2/v2.0/token", idp.url());
    let body = form(&[
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &format!("signed-for-{audience}")),
        ("scope", GRAPH_DEFAULT),
    ]);
    let mock = idp.token(TENANT, body, &app_answer(&app_token())).await;
    let set = PsEntraSignIn::AppCertificate(ClientCredential::assertion(Fixed));
    let result = connected(&session().0, request(&idp, &[], set)).await;
    mock.assert_async().await;
    assert_eq!(result.context.r#type, "Certificate");
}

#[tokio::test]
async fn a_password_sign_in_sends_the_resolved_delegated_scopes() {
    let mut idp = MockAuthority::start().await;
    let token = jwt(
        &json!({"tid": TENANT, "scp": "User.Read", "aud": "https://graph.microsoft.com", "exp": NOW + 3599}),
    );
    let scope = "https://graph.microsoft.com/User.Read offline_access openid profile";
    // a delegated sign-in asked for openid: the answer must say who signed in (issue 14)
    let answer = json!({
        "token_type": "Bearer", "expires_in": 3599, "access_token": token, "refresh_token": "rt",
        "id_token": jwt(&test_support::id_token_claims("oid-1", TENANT, ADMIN)),
    });
    let mock = idp
        .token(TENANT, password_form(APP, ADMIN, "pw", scope), &answer)
        .await;
    let set = PsEntraSignIn::UsernamePassword(Credential::new(ADMIN, "pw"));
    let result = connected(&session().0, request(&idp, &["User.Read"], set)).await;
    mock.assert_async().await;
    assert_eq!(result.context.scopes, ["User.Read"]);
    assert_eq!(result.context.r#type, "UsernamePassword");
    assert_eq!(
        result.context.valid_after.as_deref(),
        Some("2026-11-22T10:00:00Z")
    );
}

#[tokio::test]
async fn the_browser_asks_for_the_resolved_scopes_and_the_connection_is_saved() {
    let mut idp = MockAuthority::start().await;
    let (session, browser, _home) = test_support::browser_session(auth_core::EnvVars::default());
    let access_token = jwt(
        &json!({"tid": TENANT, "scp": "User.Read", "aud": "https://graph.microsoft.com", "nbf": NOW, "exp": NOW + 3600}),
    );
    let scope = "https://graph.microsoft.com/User.Read";
    let answer = test_support::user_token_response(&access_token, "rt", USER_OID, TENANT, ADMIN, scope);
    let body = form(&[("grant_type", "authorization_code"), ("client_id", APP)]);
    let token = browser.token_endpoint(&mut idp, TENANT, body, answer).await;
    let token_object = connected(&session, request(&idp, &["User.Read"], PsEntraSignIn::Browser)).await;
    assert_eq!(token_object.context.r#type, "Browser");
    let asked = browser.query.lock().unwrap()["scope"].clone();
    assert_eq!(
        asked,
        "https://graph.microsoft.com/User.Read offline_access openid profile"
    );
    token.assert_async().await;
    assert_eq!(
        LIFECYCLE.current_context(&session).unwrap(),
        Some(token_object.context.clone())
    );
    assert!(LIFECYCLE.disconnect(&session).unwrap());
}

#[tokio::test]
async fn certificates_are_found_by_thumbprint_and_by_name_in_the_stores() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    // one request: the second connect as the same application is served from the cache, as MSAL's
    // acquire_token_for_client does
    let body = assertion_form(&[("scope", GRAPH_DEFAULT)]);
    let mock = idp.token(TENANT, body, &app_answer(&app_token())).await;
    let (session, _) = test_support::session_with(home.env());
    // as the command line binds: the certificate is loaded from the session's stores then
    let bind = |parameter: &str, value: &str| {
        let mut bound = CONNECT_CMDLET
            .bind([
                ("-ClientID", cmdlet::Argument::text(APP)),
                ("-TenantID", cmdlet::Argument::text(TENANT)),
                (parameter, cmdlet::Argument::text(value)),
            ])
            .unwrap();
        bound.load_with(&session);
        ConnectPsEntra::from_bound(bound)
    };
    for (parameter, value) in [
        ("-CertificateThumbprint", home.thumbprint.as_str()),
        ("-CertificateName", "msconnect-test-app"),
    ] {
        let set = bind(parameter, value).unwrap().set;
        let token_object = connected(&session, request(&idp, &[], set)).await;
        assert_eq!(token_object.context.r#type, "Certificate");
    }
    mock.assert_async().await;
    // a certificate that cannot be found is refused when binding: no request is planned, none sent
    let error = bind("-CertificateName", "no-such-app").unwrap_err().to_string();
    assert!(error.contains("no-such-app"), "{error}");
}
