//! Connect-SecMgmtAccount against mockito: the Graph default scope on the wire for users and
//! applications, and the context as JSON and as the format file's table.

use auth_core::{AccessToken, Cloud, Credential, RefreshToken, Tenant};
use mockito::Server;
use serde_json::json;
use test_support::form;
use test_support::mock::{
    APP_ID as APP, CertificateHome, TENANT_ID as TENANT, USER_OID as OID, assertion_form, token_endpoint,
};
use test_support::{NOW, app_token_response, environment_at, jwt, session, user_token_response};

use super::*;
use crate::context::AccountType;
use crate::params::SecMgmtSignIn;

#[tokio::test]
async fn a_refresh_token_asks_for_the_graph_default_scope() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "organizations",
        form(&[
            ("grant_type", "refresh_token"),
            ("client_id", APP),
            ("refresh_token", "rt"),
            (
                "scope",
                "https://graph.microsoft.com/.default openid profile offline_access",
            ),
            ("client_info", "1"),
        ]),
        &user_token_response(
            "at",
            "rt2",
            OID,
            TENANT,
            "admin@contoso.com",
            "https://graph.microsoft.com/.default",
        ),
    )
    .await;
    let (session, _) = session();
    let context = connect(
        &session,
        ConnectSecMgmtAccount {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: SecMgmtSignIn::RefreshToken {
                application_id: ClientId::parse(APP).unwrap(),
                refresh_token: RefreshToken::new("rt"),
                credential: None,
                tenant: None,
            },
        },
    )
    .await
    .unwrap()
    .0;
    mock.assert_async().await;
    let json = serde_json::to_string_pretty(&context)
        .unwrap()
        .replace(&server.url(), "http://mock");
    insta::assert_snapshot!(json, @r#"
    {
      "Account": {
        "ExtendedProperties": {
          "ApplicationId": "11111111-2222-3333-4444-555555555555",
          "Scope": "https://graph.microsoft.com/.default"
        },
        "Identifier": "admin@contoso.com",
        "ObjectId": "aaaaaaaa-0000-4000-8000-000000000001",
        "Tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "Type": "User"
      },
      "Environment": {
        "ActiveDirectoryAuthority": "http://mock",
        "AzureAdGraphEndpoint": "https://graph.windows.net",
        "AzureEndpoint": "https://management.azure.com",
        "GraphEndpoint": "https://graph.microsoft.com",
        "EnvironmentName": "AzureCloud"
      },
      "ExtendedProperties": {}
    }
    "#);
    insta::assert_snapshot!(context.to_table(), @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    aaaaaaaa-0000-4000-8000-000000000001     AzureCloud  72f988bf-86f1-41af-91ab-2d7cd011db47
    ");
    assert!(!format!("{context:?}{json}").contains("rt2"));
}

#[tokio::test]
async fn a_service_principal_signs_in_with_its_secret_for_graph() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "contoso.com",
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "sp-secret"),
            ("scope", "https://microsoftgraph.chinacloudapi.cn/.default"),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let (session, _) = session();
    let context = connect(
        &session,
        ConnectSecMgmtAccount {
            environment: environment_at(Cloud::AzureChinaCloud, &server.url()),
            set: SecMgmtSignIn::ServicePrincipal {
                credential: Credential::new(APP, "sp-secret"),
                tenant: Tenant::parse("contoso.com").unwrap(),
            },
        },
    )
    .await
    .unwrap()
    .0;
    mock.assert_async().await;
    assert_eq!(context.account.r#type, AccountType::ServicePrincipal);
    assert_eq!(context.environment.environment_name, "AzureChinaCloud");
    assert_eq!(context.account.object_id, APP);
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token = jwt(&json!({"tid": TENANT, "oid": OID, "upn": "admin@contoso.com", "exp": NOW + 600}));
    let (session, _) = session();
    let context = connect(
        &session,
        ConnectSecMgmtAccount {
            environment: Default::default(),
            set: SecMgmtSignIn::AccessToken {
                access_token: AccessToken::new(token.as_str()),
                tenant: None,
            },
        },
    )
    .await
    .unwrap()
    .0;
    assert_eq!(context.account.r#type, AccountType::AccessToken);
    assert_eq!(context.account.tenant, TENANT);
}

#[tokio::test]
async fn a_user_signs_in_in_the_browser_on_a_port_from_8400_and_can_disconnect() {
    let mut server = Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let browser = test_support::SignedInBrowser::default();
    let scope = "https://graph.microsoft.com/.default";
    let token = browser
        .token_endpoint(
            &mut server,
            "organizations",
            form(&[
                ("grant_type", "authorization_code"),
                ("client_id", DEFAULT_CLIENT_ID),
                ("scope", &format!("{scope} openid profile offline_access")),
            ]),
            user_token_response("at", "rt", OID, TENANT, "admin@contoso.com", scope),
        )
        .await;
    let session =
        test_support::session_with_browser(home.path(), auth_core::EnvVars::default(), browser.clone());
    let request = ConnectSecMgmtAccount {
        environment: environment_at(Cloud::AzureCloud, &server.url()),
        set: SecMgmtSignIn::User {
            tenant: None,
            use_device_authentication: false,
        },
    };
    let context = connect(&session, request).await.unwrap().0;
    assert_eq!(context.account.identifier, "admin@contoso.com");
    let port = browser.redirect_port().unwrap();
    assert!((8400..=8999).contains(&port), "{port}");
    token.assert_async().await;
    assert_eq!(current_context(&session).unwrap().unwrap().account.object_id, OID);
    assert!(disconnect(&session).unwrap());
    assert!(current_context(&session).unwrap().is_none());
}

#[tokio::test]
async fn a_service_principal_certificate_is_found_by_thumbprint() {
    let mut server = Server::new_async().await;
    let home = CertificateHome::new();
    let mock = token_endpoint(
        &mut server,
        TENANT,
        assertion_form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let (session, _) = test_support::session_with(home.env());
    let request = ConnectSecMgmtAccount {
        environment: environment_at(Cloud::AzureCloud, &server.url()),
        set: SecMgmtSignIn::ServicePrincipalCertificate {
            application_id: ClientId::parse(APP).unwrap(),
            certificate_thumbprint: home.thumbprint.clone(),
            tenant: Tenant::parse(TENANT).unwrap(),
        },
    };
    let context = connect(&session, request).await.unwrap().0;
    assert_eq!(context.account.r#type, AccountType::Certificate);
    mock.assert_async().await;
}
