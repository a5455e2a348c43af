//! Connect-SecMgmtAccount against mockito: the Graph default scope on the wire for users and
//! applications, and the context as JSON and as the format file's table.

use auth_core::{AccessToken, Cloud, Credential, EnvVars, RefreshToken, Tenant};
use serde_json::json;
use test_support::mock::{
    ADMIN, APP_ID as APP, CertificateHome, GRAPH_DEFAULT, MockAuthority, TENANT_ID as TENANT,
    USER_OID as OID, admin_token_response, assertion_form, client_secret_form, refresh_token_form,
};
use test_support::{NOW, environment_at, form, jwt, session};

use cmdlet::Context as _;

use super::*;
use crate::context::AccountType;
use crate::params::SecMgmtSignIn;
use cmdlet::ConnectionName;

/// A Connect-SecMgmtAccount in `cloud` whose authority is `idp`.
fn request(idp: &MockAuthority, cloud: Cloud, set: SecMgmtSignIn) -> ConnectSecMgmtAccount {
    ConnectSecMgmtAccount {
        environment: environment_at(cloud, &idp.url()),
        set,
    }
}

async fn connected(session: &Session, request: ConnectSecMgmtAccount) -> MgmtContext {
    connect(session, request).await.unwrap().0
}

#[tokio::test]
async fn a_refresh_token_asks_for_the_graph_default_scope() {
    let mut idp = MockAuthority::start().await;
    let scope = format!("{GRAPH_DEFAULT} openid profile offline_access");
    let body = refresh_token_form(APP, "rt", &[("scope", &scope), ("client_info", "1")]);
    let answer = admin_token_response("at", "rt2", GRAPH_DEFAULT);
    let mock = idp.token("organizations", body, &answer).await;
    let set = SecMgmtSignIn::RefreshToken {
        application_id: ClientId::parse(APP).unwrap(),
        refresh_token: RefreshToken::new("rt"),
        credential: None,
        tenant: None,
    };
    let context = connected(&session().0, request(&idp, Cloud::AzureCloud, set)).await;
    mock.assert_async().await;
    let json = serde_json::to_string_pretty(&context)
        .unwrap()
        .replace(&idp.url(), "http://mock");
    // a file snapshot: the account part reads as Partner Center's context does (both are PowerShell's
    // PartnerAccount), which is by design, not code to share
    insta::assert_snapshot!("refresh_token_context_json", json);
    insta::assert_snapshot!(context.to_table(), @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    aaaaaaaa-0000-4000-8000-000000000001     AzureCloud  72f988bf-86f1-41af-91ab-2d7cd011db47
    ");
    assert!(!format!("{context:?}{json}").contains("rt2"));
}

#[tokio::test]
async fn a_service_principal_signs_in_with_its_secret_for_graph() {
    let mut idp = MockAuthority::start().await;
    let china_graph = "https://microsoftgraph.chinacloudapi.cn/.default";
    let body = client_secret_form(APP, "sp-secret", china_graph);
    let mock = idp.app_token("contoso.com", body).await;
    let set = SecMgmtSignIn::ServicePrincipal {
        credential: Credential::new(APP, "sp-secret"),
        tenant: Tenant::parse("contoso.com").unwrap(),
    };
    let context = connected(&session().0, request(&idp, Cloud::AzureChinaCloud, set)).await;
    mock.assert_async().await;
    assert_eq!(context.account.r#type, AccountType::ServicePrincipal);
    assert_eq!(context.environment.environment_name, "AzureChinaCloud");
    assert_eq!(context.account.object_id, APP);
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token = jwt(&json!({"tid": TENANT, "oid": OID, "upn": ADMIN, "exp": NOW + 600}));
    let access_token = AccessToken::new(token.as_str());
    let set = SecMgmtSignIn::AccessToken {
        access_token,
        tenant: None,
    };
    let request = ConnectSecMgmtAccount {
        environment: Default::default(),
        set,
    };
    let context = connected(&session().0, request).await;
    assert_eq!(context.account.r#type, AccountType::AccessToken);
    assert_eq!(context.account.tenant, TENANT);
}

#[tokio::test]
async fn a_user_signs_in_in_the_browser_on_a_port_from_8400_and_can_disconnect() {
    let mut idp = MockAuthority::start().await;
    let (session, browser, _home) = test_support::browser_session(EnvVars::default());
    let scope = format!("{GRAPH_DEFAULT} openid profile offline_access");
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("scope", &scope),
    ]);
    let answer = admin_token_response("at", "rt", GRAPH_DEFAULT);
    let token = browser
        .token_endpoint(&mut idp, "organizations", body, answer)
        .await;
    let set = SecMgmtSignIn::User {
        tenant: None,
        use_device_authentication: false,
    };
    let context = connected(&session, request(&idp, Cloud::AzureCloud, set)).await;
    assert_eq!(context.account.identifier, ADMIN);
    let port = browser.redirect_port().unwrap();
    assert!((8400..=8999).contains(&port), "{port}");
    token.assert_async().await;
    assert_eq!(
        LIFECYCLE
            .current_context(&session)
            .unwrap()
            .unwrap()
            .account
            .object_id,
        OID
    );
    assert!(LIFECYCLE.disconnect(&session).unwrap());
    assert!(LIFECYCLE.current_context(&session).unwrap().is_none());
}

#[tokio::test]
async fn a_service_principal_certificate_is_found_by_thumbprint() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    let body = assertion_form(&[("grant_type", "client_credentials"), ("scope", GRAPH_DEFAULT)]);
    let mock = idp.app_token(TENANT, body).await;
    let (session, _) = test_support::session_with(home.env());
    let set = SecMgmtSignIn::ServicePrincipalCertificate {
        application_id: ClientId::parse(APP).unwrap(),
        certificate: session
            .certificate_credential(&auth_core::CertificateSource::Thumbprint(home.thumbprint.clone()))
            .unwrap(),
        tenant: Tenant::parse(TENANT).unwrap(),
    };
    let context = connected(&session, request(&idp, Cloud::AzureCloud, set)).await;
    assert_eq!(context.account.r#type, AccountType::Certificate);
    mock.assert_async().await;
}

/// The library's named connections: two service principals in two tenants side by side, listed,
/// switched and checked from the cache, each giving its own tenant's token.
#[tokio::test]
async fn named_connections_are_listed_switched_and_checked_without_a_request() {
    let mut idp = MockAuthority::start().await;
    let home = tempfile::tempdir().unwrap();
    let (session, _) = test_support::session_in(home.path(), EnvVars::default());
    let mut mocks = Vec::new();
    for (tenant, token) in [("contoso.com", "at-contoso"), ("fabrikam.com", "at-fabrikam")] {
        let body = client_secret_form(APP, "sp-secret", GRAPH_DEFAULT);
        mocks.push(
            idp.token(tenant, body, &test_support::app_token_response(token))
                .await,
        );
        let set = SecMgmtSignIn::ServicePrincipal {
            credential: Credential::new(APP, "sp-secret"),
            tenant: Tenant::parse(tenant).unwrap(),
        };
        let name = ConnectionName::parse(tenant.trim_end_matches(".com")).unwrap();
        let (_, connected) = LIFECYCLE
            .named(&name)
            .connect(&session, request(&idp, Cloud::AzureCloud, set))
            .await
            .unwrap();
        assert_eq!(connected.name(), name.as_str());
    }
    let listed: Vec<(String, bool, String)> = LIFECYCLE
        .list(&session)
        .unwrap()
        .into_iter()
        .map(|saved| {
            (
                saved.name.to_string(),
                saved.current,
                saved.connection.tenant.to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("contoso".to_owned(), false, "contoso.com".to_owned()),
            ("fabrikam".to_owned(), true, "fabrikam.com".to_owned()),
        ]
    );
    let contoso = ConnectionName::parse("contoso").unwrap();
    LIFECYCLE.named(&contoso).switch(&session).unwrap();
    assert_eq!(LIFECYCLE.current_name(&session).unwrap(), Some(contoso.clone()));
    let token = LIFECYCLE
        .named(&contoso)
        .connected(&session)
        .unwrap()
        .token(&[])
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "at-contoso");
    let statuses = LIFECYCLE
        .status(&session, cmdlet::StatusOptions::default())
        .await
        .unwrap();
    assert!(statuses.iter().all(|s| s.is_alive() && s.cached), "{statuses:?}");
    let unknown = ConnectionName::parse("nobody").unwrap();
    let error = LIFECYCLE.named(&unknown).switch(&session).unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for context: no secmgmt connection is named 'nobody' (saved: contoso, fabrikam)");
    // a session that saves nothing lists nothing
    assert!(LIFECYCLE.list(&session_without_store()).unwrap().is_empty());
    for mock in mocks {
        mock.assert_async().await;
    }
}

fn session_without_store() -> Session {
    session().0
}
