//! New-PartnerAccessToken against mockito: the AuthResult carries the refresh token from the response,
//! the module defaults go over the wire, and the tokens never show in Debug or the table.

use auth_core::{Cloud, Environment, Password, Tenant};
use serde_json::json;
use test_support::mock::{
    ADMIN, APP_ID as APP, APP_TOKEN, CertificateHome, GRAPH_DEFAULT, MockAuthority, TENANT_ID as TENANT,
    USER_OID as OID, admin_token_response, assertion_form, client_secret_form, delegated_scope,
    device_code_answer, refresh_token_form,
};
use test_support::{NOW, environment_at, form, jwt, session};

use super::*;

/// A New-PartnerAccessToken in the global cloud whose authority is `idp`.
fn request(idp: &MockAuthority, set: NewAccessTokenSet) -> NewPartnerAccessToken {
    let environment = environment_at(Cloud::AzureCloud, &idp.url());
    NewPartnerAccessToken { environment, set }
}

async fn issued(session: &Session, request: NewPartnerAccessToken) -> AuthResult {
    new_partner_access_token(session, request).await.unwrap()
}

#[tokio::test]
async fn a_refresh_token_returns_the_new_refresh_token_straight_from_the_response() {
    let mut idp = MockAuthority::start().await;
    let scope = "https://api.partnercenter.microsoft.com/user_impersonation";
    let body = refresh_token_form(APP, "old-rt", &[("scope", &delegated_scope(scope))]);
    let answer = admin_token_response("new-at", "new-rt", scope);
    let mock = idp.token("customer.onmicrosoft.com", body, &answer).await;
    let set = NewAccessTokenSet::RefreshToken {
        refresh_token: RefreshToken::new("old-rt"),
        scopes: vec![scope.into()],
        application_id: Some(ClientId::parse(APP).unwrap()),
        credential: None,
        module: None,
        tenant: Some(Tenant::parse("customer.onmicrosoft.com").unwrap()),
    };
    let result = issued(&session().0, request(&idp, set)).await;
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
    let mut idp = MockAuthority::start().await;
    let scope = delegated_scope("https://outlook.office365.com/.default");
    let body = refresh_token_form(EXCHANGE_ONLINE_CLIENT_ID, "partner-rt", &[("scope", &scope)]);
    let answer = admin_token_response("exo-at", "exo-rt", EXCHANGE_ONLINE_SCOPE);
    let mock = idp.token("organizations", body, &answer).await;
    let set = NewAccessTokenSet::ByModule {
        module: ModuleName::ExchangeOnline,
        refresh_token: Some(RefreshToken::new("partner-rt")),
        tenant: None,
        use_authorization_code: false,
    };
    let result = issued(&session().0, request(&idp, set)).await;
    mock.assert_async().await;
    assert_eq!(
        result.refresh_token.as_ref().map(RefreshToken::secret),
        Some("exo-rt")
    );
}

#[tokio::test]
async fn a_service_principal_uses_client_credentials_with_its_secret() {
    let mut idp = MockAuthority::start().await;
    let body = client_secret_form(APP, "sp-secret", GRAPH_DEFAULT);
    let mock = idp.app_token("contoso.com", body).await;
    let set = NewAccessTokenSet::ServicePrincipal {
        application_id: ClientId::parse(APP).unwrap(),
        secret: Password::new("sp-secret"),
        scopes: vec![GRAPH_DEFAULT.into()],
        tenant: Tenant::parse("contoso.com").unwrap(),
        use_authorization_code: false,
    };
    let result = issued(&session().0, request(&idp, set)).await;
    mock.assert_async().await;
    assert!(result.refresh_token.is_none() && result.account.is_none());
    assert_eq!(result.access_token.secret(), APP_TOKEN);
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token =
        jwt(&json!({"tid": TENANT, "oid": OID, "upn": ADMIN, "scp": "user_impersonation", "exp": NOW + 600}));
    let set = NewAccessTokenSet::AccessToken {
        access_token: AccessToken::new(token.as_str()),
        application_id: ClientId::parse(APP).unwrap(),
        scopes: vec!["https://api.partnercenter.microsoft.com/user_impersonation".into()],
        tenant: None,
    };
    let environment = Environment::default();
    let result = issued(&session().0, NewPartnerAccessToken { environment, set }).await;
    assert_eq!(result.tenant_id, TENANT);
    assert_eq!(result.expires_on, NOW + 600);
    assert_eq!(result.account.as_deref(), Some(ADMIN));
}

#[tokio::test]
async fn exchange_online_by_module_signs_in_with_a_device_code_for_its_own_client() {
    let mut idp = MockAuthority::start().await;
    let exchange_client = "a0c73c16-a7e3-4564-9a95-2bdf47383716";
    let scope = "https://outlook.office365.com/.default";
    let body = form(&[("client_id", exchange_client), ("scope", &delegated_scope(scope))]);
    let start = idp
        .device_code("organizations", body, &device_code_answer(Some(1)))
        .await;
    let body = form(&[("client_id", exchange_client), ("device_code", "DC")]);
    let answer = admin_token_response("exo-at", "exo-rt", scope);
    let token = idp.token("organizations", body, &answer).await;
    let set = NewAccessTokenSet::ByModule {
        module: ModuleName::ExchangeOnline,
        refresh_token: None,
        tenant: None,
        use_authorization_code: false,
    };
    let result = issued(&session().0, request(&idp, set)).await;
    assert_eq!(result.refresh_token.as_ref().map(|t| t.secret()), Some("exo-rt"));
    start.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_service_principal_certificate_found_by_thumbprint_signs_an_assertion() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    let body = assertion_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("scope", GRAPH_DEFAULT),
    ]);
    let mock = idp.app_token(TENANT, body).await;
    let (session, _) = test_support::session_with(home.env());
    let set = NewAccessTokenSet::ServicePrincipalCertificate {
        application_id: auth_core::ClientId::parse(APP).unwrap(),
        certificate: session
            .certificate_credential(&auth_core::CertificateSource::Thumbprint(
                home.thumbprint.to_lowercase(),
            ))
            .unwrap(),
        scopes: vec![GRAPH_DEFAULT.into()],
        tenant: Tenant::parse(TENANT).unwrap(),
        use_authorization_code: false,
    };
    let result = issued(&session, request(&idp, set)).await;
    assert_eq!(result.access_token.secret(), APP_TOKEN);
    mock.assert_async().await;
}
