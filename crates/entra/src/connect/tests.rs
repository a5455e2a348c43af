//! Connect-Entra against mockito: defaults on the wire (Graph PowerShell's client, `{Graph}/.default`),
//! the context as JSON and as PowerShell's list.

use auth_core::{AccessToken, Credential, EnvVars, Tenant};
use serde_json::{Value, json};
use test_support::mock::{
    ADMIN, APP_ID as APP, CertificateHome, GRAPH_DEFAULT, MockAuthority, USER_OID as OID, assertion_form,
    client_secret_form, delegated_scope, password_form,
};
use test_support::{NOW, form, jwt, session_with, user_token_response};

use cmdlet::Context as _;

use super::*;
use crate::params::ENVIRONMENTS;

const TENANT: &str = "d5aec55f-2d12-4442-8d2f-ccca95d4390e";

/// Sign-in at `idp`: AZURE_AUTHORITY_HOST moves the authority, as Connect-Entra's users may.
fn authority_env(idp: &MockAuthority) -> EnvVars {
    EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", idp.url())])
}

fn at_mock(idp: &MockAuthority) -> Session {
    session_with(authority_env(idp)).0
}

/// A Connect-Entra in the global cloud.
fn global(set: EntraSignIn) -> ConnectEntra {
    ConnectEntra {
        environment: ENVIRONMENTS.default_environment(),
        set,
    }
}

async fn connected(session: &Session, request: ConnectEntra) -> EntraContext {
    connect(session, request).await.unwrap().0
}

/// [`ADMIN`] of [`TENANT`] signed in with tokens `at` and `rt` for `scope`.
fn admin_answer(scope: &str) -> Value {
    user_token_response("at", "rt", OID, TENANT, ADMIN, scope)
}

#[tokio::test]
async fn a_credential_signs_the_user_in_with_graph_powershell_defaults() {
    let mut idp = MockAuthority::start().await;
    let body = password_form(DEFAULT_CLIENT_ID, ADMIN, "pw", &delegated_scope(GRAPH_DEFAULT));
    let mock = idp
        .token("organizations", body, &admin_answer("User.Read Group.Read.All"))
        .await;
    let set = EntraSignIn::UserCredential {
        tenant: None,
        client_id: None,
        scopes: vec![],
        method: UserMethod::Credential(Credential::new(ADMIN, "pw")),
    };
    let context = connected(&at_mock(&idp), global(set)).await;
    mock.assert_async().await;
    insta::assert_snapshot!(serde_json::to_string_pretty(&context).unwrap(), @r#"
    {
      "ClientId": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
      "TenantId": "d5aec55f-2d12-4442-8d2f-ccca95d4390e",
      "Scopes": [
        "User.Read",
        "Group.Read.All"
      ],
      "AuthType": "Delegated",
      "TokenCredentialType": "UsernamePassword",
      "CertificateThumbprint": null,
      "Account": "admin@contoso.com",
      "AppName": "Microsoft Graph Command Line Tools",
      "ContextScope": "CurrentUser",
      "Environment": "Global"
    }
    "#);
    insta::assert_snapshot!(context.to_table(), @r"
    ClientId              : 14d82eec-204b-4c2f-b7e8-296a70dab67e
    TenantId              : d5aec55f-2d12-4442-8d2f-ccca95d4390e
    Scopes                : {User.Read, Group.Read.All}
    AuthType              : Delegated
    TokenCredentialType   : UsernamePassword
    CertificateThumbprint :
    Account               : admin@contoso.com
    AppName               : Microsoft Graph Command Line Tools
    ContextScope          : CurrentUser
    Environment           : Global
    ");
}

#[tokio::test]
async fn given_scopes_and_client_go_over_the_wire() {
    let mut idp = MockAuthority::start().await;
    let body = form(&[
        ("client_id", APP),
        ("scope", "User.Read.All openid profile offline_access"),
    ]);
    let mock = idp
        .token("contoso.com", body, &admin_answer("User.Read.All"))
        .await;
    let set = EntraSignIn::UserCredential {
        tenant: Some(Tenant::parse("contoso.com").unwrap()),
        client_id: Some(ClientId::parse(APP).unwrap()),
        scopes: vec!["User.Read.All".into()],
        method: UserMethod::Credential(Credential::new(ADMIN, "pw")),
    };
    let context = connected(&at_mock(&idp), global(set)).await;
    mock.assert_async().await;
    assert_eq!(context.app_name, None);
    assert_eq!(context.client_id, APP);
}

#[tokio::test]
async fn a_client_secret_credential_signs_the_app_in_for_the_clouds_graph() {
    let mut idp = MockAuthority::start().await;
    let body = client_secret_form(APP, "app-secret", "https://graph.microsoft.us/.default");
    let mock = idp.app_token(TENANT, body).await;
    let set = EntraSignIn::AppSecretCredential {
        credential: Credential::new(APP, "app-secret"),
        tenant: Tenant::parse(TENANT).unwrap(),
    };
    let environment = ENVIRONMENTS.parse("USGov").unwrap();
    let context = connected(&at_mock(&idp), ConnectEntra { environment, set }).await;
    mock.assert_async().await;
    assert_eq!(context.auth_type, AuthType::AppOnly);
    assert_eq!(context.token_credential_type, TokenCredentialType::ClientSecret);
    assert_eq!((context.account, context.environment.as_str()), (None, "USGov"));
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token = jwt(
        &json!({"tid": TENANT, "oid": OID, "upn": ADMIN, "appid": APP, "scp": "User.Read", "exp": NOW + 600}),
    );
    let access_token = AccessToken::new(token.as_str());
    let set = EntraSignIn::AccessToken {
        access_token,
        tenant: None,
    };
    let context = connected(&session_with(EnvVars::default()).0, global(set)).await;
    assert_eq!(context.auth_type, AuthType::UserProvidedAccessToken);
    assert_eq!(context.client_id, APP);
    assert_eq!(context.scopes, ["User.Read"]);
    assert!(!format!("{context:?}{}", serde_json::to_string(&context).unwrap()).contains(&token));
}

#[tokio::test]
async fn the_service_principal_certificate_set_signs_with_the_certificate_of_the_thumbprint() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    let mock = idp
        .app_token(
            TENANT,
            assertion_form(&[("client_id", APP), ("scope", GRAPH_DEFAULT)]),
        )
        .await;
    let mut env = home.env();
    env.set("AZURE_AUTHORITY_HOST", idp.url());
    let (session, _) = session_with(env);
    let spaced: String = home
        .thumbprint
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let set = EntraSignIn::ServicePrincipalCertificate {
        tenant: Tenant::parse(TENANT).unwrap(),
        client_id: ClientId::parse(APP).unwrap(),
        certificate: session
            .certificate_credential(&auth_core::CertificateSource::Thumbprint(spaced))
            .unwrap(),
    };
    let context = connected(&session, global(set)).await;
    assert_eq!(
        context.certificate_thumbprint.as_deref(),
        Some(home.thumbprint.as_str())
    );
    assert_eq!(context.auth_type, AuthType::AppOnly);
    assert_eq!(
        context.token_credential_type,
        TokenCredentialType::ClientCertificate
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn a_user_without_a_credential_signs_in_in_the_browser_and_the_context_is_saved() {
    let mut idp = MockAuthority::start().await;
    let (session, browser, _home) = test_support::browser_session(authority_env(&idp));
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("client_id", DEFAULT_CLIENT_ID),
    ]);
    let token = browser
        .token_endpoint(&mut idp, "organizations", body, admin_answer("User.Read"))
        .await;
    let set = EntraSignIn::UserCredential {
        tenant: None,
        client_id: None,
        scopes: vec!["User.Read".into()],
        method: UserMethod::Browser,
    };
    let context = connected(&session, global(set)).await;
    assert_eq!(
        context.token_credential_type,
        TokenCredentialType::InteractiveBrowser
    );
    assert_eq!(context.account.as_deref(), Some(ADMIN));
    token.assert_async().await;
    assert_eq!(LIFECYCLE.current_context(&session).unwrap(), Some(context));
    assert!(LIFECYCLE.disconnect(&session).unwrap());
}
