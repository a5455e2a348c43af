//! New-PartnerAccessToken against mockito: the AuthResult carries the refresh token from the response,
//! the module defaults go over the wire, and the tokens never show in Debug or the table.

use auth_core::{Cloud, Environment, Password, Tenant};
use mockito::Server;
use serde_json::json;
use test_support::form;
use test_support::mock::{
    APP_ID as APP, CertificateHome, TENANT_ID as TENANT, USER_OID as OID, assertion_form, device_code_answer,
    device_code_endpoint, token_endpoint,
};
use test_support::{NOW, app_token_response, environment_at, jwt, session, user_token_response};

use super::*;

#[tokio::test]
async fn a_refresh_token_returns_the_new_refresh_token_straight_from_the_response() {
    let mut server = Server::new_async().await;
    let scope = "https://api.partnercenter.microsoft.com/user_impersonation";
    let mock = token_endpoint(
        &mut server,
        "customer.onmicrosoft.com",
        form(&[
            ("grant_type", "refresh_token"),
            ("client_id", APP),
            ("refresh_token", "old-rt"),
            ("scope", &format!("{scope} openid profile offline_access")),
        ]),
        &user_token_response("new-at", "new-rt", OID, TENANT, "admin@contoso.com", scope),
    )
    .await;
    let (session, _) = session();
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: NewAccessTokenSet::RefreshToken {
                refresh_token: RefreshToken::new("old-rt"),
                scopes: vec![scope.into()],
                application_id: Some(ClientId::parse(APP).unwrap()),
                credential: None,
                module: None,
                tenant: Some(Tenant::parse("customer.onmicrosoft.com").unwrap()),
            },
        },
    )
    .await
    .unwrap();
    mock.assert_async().await;
    assert_eq!(
        result.refresh_token.as_ref().map(RefreshToken::secret),
        Some("new-rt")
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&result).unwrap(), @r#"
    {
      "AccessToken": "new-at",
      "RefreshToken": "new-rt",
      "ExpiresOn": "2026-11-22T10:59:59Z",
      "ExtendedExpiresOn": "2026-11-22T10:59:59Z",
      "TenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
      "UniqueId": "aaaaaaaa-0000-4000-8000-000000000001",
      "Account": "admin@contoso.com",
      "Scopes": [
        "https://api.partnercenter.microsoft.com/user_impersonation"
      ]
    }
    "#);
    insta::assert_snapshot!(result.to_table(), @r"
    AccessToken  : new-at
    RefreshToken : new-rt
    ExpiresOn    : 2026-11-22T10:59:59Z
    TenantId     : 72f988bf-86f1-41af-91ab-2d7cd011db47
    Account      : admin@contoso.com
    UniqueId     : aaaaaaaa-0000-4000-8000-000000000001
    Scopes       : {https://api.partnercenter.microsoft.com/user_impersonation}
    ");
    let debug = format!("{result:?}");
    assert!(!debug.contains("new-at") && !debug.contains("new-rt"), "{debug}");
}

#[tokio::test]
async fn exchange_online_by_module_uses_its_client_and_scope() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "organizations",
        form(&[
            ("grant_type", "refresh_token"),
            ("client_id", EXCHANGE_ONLINE_CLIENT_ID),
            ("refresh_token", "partner-rt"),
            (
                "scope",
                "https://outlook.office365.com/.default openid profile offline_access",
            ),
        ]),
        &user_token_response(
            "exo-at",
            "exo-rt",
            OID,
            TENANT,
            "admin@contoso.com",
            EXCHANGE_ONLINE_SCOPE,
        ),
    )
    .await;
    let (session, _) = session();
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: NewAccessTokenSet::ByModule {
                module: ModuleName::ExchangeOnline,
                refresh_token: Some(RefreshToken::new("partner-rt")),
                tenant: None,
                use_authorization_code: false,
            },
        },
    )
    .await
    .unwrap();
    mock.assert_async().await;
    assert_eq!(
        result.refresh_token.as_ref().map(RefreshToken::secret),
        Some("exo-rt")
    );
}

#[tokio::test]
async fn a_service_principal_uses_client_credentials_with_its_secret() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "contoso.com",
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "sp-secret"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let (session, _) = session();
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: NewAccessTokenSet::ServicePrincipal {
                application_id: ClientId::parse(APP).unwrap(),
                secret: Password::new("sp-secret"),
                scopes: vec!["https://graph.microsoft.com/.default".into()],
                tenant: Tenant::parse("contoso.com").unwrap(),
                use_authorization_code: false,
            },
        },
    )
    .await
    .unwrap();
    mock.assert_async().await;
    assert!(result.refresh_token.is_none() && result.account.is_none());
    assert_eq!(result.access_token.secret(), "app-at");
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token = jwt(
        &json!({"tid": TENANT, "oid": OID, "upn": "admin@contoso.com", "scp": "user_impersonation", "exp": NOW + 600}),
    );
    let (session, _) = session();
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: Environment::default(),
            set: NewAccessTokenSet::AccessToken {
                access_token: AccessToken::new(token.as_str()),
                application_id: ClientId::parse(APP).unwrap(),
                scopes: vec!["https://api.partnercenter.microsoft.com/user_impersonation".into()],
                tenant: None,
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(result.tenant_id, TENANT);
    assert_eq!(result.expires_on, NOW + 600);
    assert_eq!(result.account.as_deref(), Some("admin@contoso.com"));
}

#[tokio::test]
async fn exchange_online_by_module_signs_in_with_a_device_code_for_its_own_client() {
    let mut server = Server::new_async().await;
    let exchange_client = "a0c73c16-a7e3-4564-9a95-2bdf47383716";
    let scope = "https://outlook.office365.com/.default";
    let start = device_code_endpoint(
        &mut server,
        "organizations",
        form(&[
            ("client_id", exchange_client),
            ("scope", &format!("{scope} openid profile offline_access")),
        ]),
        &device_code_answer(Some(1)),
    )
    .await;
    let token = token_endpoint(
        &mut server,
        "organizations",
        form(&[("client_id", exchange_client), ("device_code", "DC")]),
        &user_token_response("exo-at", "exo-rt", OID, TENANT, "admin@contoso.com", scope),
    )
    .await;
    let (session, _) = session();
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: NewAccessTokenSet::ByModule {
                module: ModuleName::ExchangeOnline,
                refresh_token: None,
                tenant: None,
                use_authorization_code: false,
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(result.refresh_token.as_ref().map(|t| t.secret()), Some("exo-rt"));
    start.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_service_principal_certificate_found_by_thumbprint_signs_an_assertion() {
    let mut server = Server::new_async().await;
    let home = CertificateHome::new();
    let mock = token_endpoint(
        &mut server,
        TENANT,
        assertion_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let (session, _) = test_support::session_with(home.env());
    let result = new_partner_access_token(
        &session,
        NewPartnerAccessToken {
            environment: environment_at(Cloud::AzureCloud, &server.url()),
            set: NewAccessTokenSet::ServicePrincipalCertificate {
                application_id: auth_core::ClientId::parse(APP).unwrap(),
                certificate_thumbprint: home.thumbprint.to_lowercase(),
                scopes: vec!["https://graph.microsoft.com/.default".into()],
                tenant: Tenant::parse(TENANT).unwrap(),
                use_authorization_code: false,
            },
        },
    )
    .await
    .unwrap();
    assert_eq!(result.access_token.secret(), "app-at");
    mock.assert_async().await;
}
