//! Connect-Entra against mockito: defaults on the wire (Graph PowerShell's client, `{Graph}/.default`),
//! the context as JSON and as PowerShell's list.

use auth_core::{AccessToken, Credential, EnvVars, Tenant};
use mockito::Server;
use serde_json::json;
use test_support::form;
use test_support::mock::{APP_ID as APP, CertificateHome, USER_OID as OID, assertion_form, token_endpoint};
use test_support::{NOW, app_token_response, jwt, session_with, user_token_response};

use super::*;
use crate::environment;

const TENANT: &str = "d5aec55f-2d12-4442-8d2f-ccca95d4390e";

fn at_mock(server: &Server) -> Session {
    session_with(EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", server.url())])).0
}

#[tokio::test]
async fn a_credential_signs_the_user_in_with_graph_powershell_defaults() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "organizations",
        form(&[
            ("grant_type", "password"),
            ("client_id", DEFAULT_CLIENT_ID),
            ("username", "admin@contoso.com"),
            ("password", "pw"),
            (
                "scope",
                "https://graph.microsoft.com/.default openid profile offline_access",
            ),
        ]),
        &user_token_response(
            "at",
            "rt",
            OID,
            TENANT,
            "admin@contoso.com",
            "User.Read Group.Read.All",
        ),
    )
    .await;
    let context = connect(
        &at_mock(&server),
        ConnectEntra {
            environment: environment::global(),
            set: EntraSignIn::UserCredential {
                tenant: None,
                client_id: None,
                scopes: vec![],
                method: UserMethod::Credential(Credential::new("admin@contoso.com", "pw")),
            },
        },
    )
    .await
    .unwrap()
    .0;
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
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        "contoso.com",
        form(&[
            ("client_id", APP),
            ("scope", "User.Read.All openid profile offline_access"),
        ]),
        &user_token_response("at", "rt", OID, TENANT, "admin@contoso.com", "User.Read.All"),
    )
    .await;
    let context = connect(
        &at_mock(&server),
        ConnectEntra {
            environment: environment::global(),
            set: EntraSignIn::UserCredential {
                tenant: Some(Tenant::parse("contoso.com").unwrap()),
                client_id: Some(ClientId::parse(APP).unwrap()),
                scopes: vec!["User.Read.All".into()],
                method: UserMethod::Credential(Credential::new("admin@contoso.com", "pw")),
            },
        },
    )
    .await
    .unwrap()
    .0;
    mock.assert_async().await;
    assert_eq!(context.app_name, None);
    assert_eq!(context.client_id, APP);
}

#[tokio::test]
async fn a_client_secret_credential_signs_the_app_in_for_the_clouds_graph() {
    let mut server = Server::new_async().await;
    let mock = token_endpoint(
        &mut server,
        TENANT,
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", "app-secret"),
            ("scope", "https://graph.microsoft.us/.default"),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let context = connect(
        &at_mock(&server),
        ConnectEntra {
            environment: environment::parse("USGov").unwrap(),
            set: EntraSignIn::AppSecretCredential {
                credential: Credential::new(APP, "app-secret"),
                tenant: Tenant::parse(TENANT).unwrap(),
            },
        },
    )
    .await
    .unwrap()
    .0;
    mock.assert_async().await;
    assert_eq!(context.auth_type, AuthType::AppOnly);
    assert_eq!(context.token_credential_type, TokenCredentialType::ClientSecret);
    assert_eq!((context.account, context.environment.as_str()), (None, "USGov"));
}

#[tokio::test]
async fn an_access_token_is_read_without_a_request() {
    let token = jwt(
        &json!({"tid": TENANT, "oid": OID, "upn": "admin@contoso.com", "appid": APP, "scp": "User.Read", "exp": NOW + 600}),
    );
    let (session, _) = session_with(EnvVars::default());
    let context = connect(
        &session,
        ConnectEntra {
            environment: environment::global(),
            set: EntraSignIn::AccessToken {
                access_token: AccessToken::new(token.as_str()),
                tenant: None,
            },
        },
    )
    .await
    .unwrap()
    .0;
    assert_eq!(context.auth_type, AuthType::UserProvidedAccessToken);
    assert_eq!(context.client_id, APP);
    assert_eq!(context.scopes, ["User.Read"]);
    assert!(!format!("{context:?}{}", serde_json::to_string(&context).unwrap()).contains(&token));
}

#[tokio::test]
async fn the_service_principal_certificate_set_signs_with_the_certificate_of_the_thumbprint() {
    let mut server = Server::new_async().await;
    let home = CertificateHome::new();
    let mock = token_endpoint(
        &mut server,
        TENANT,
        assertion_form(&[
            ("client_id", APP),
            ("scope", "https://graph.microsoft.com/.default"),
        ]),
        &app_token_response("app-at"),
    )
    .await;
    let mut env = home.env();
    env.set("AZURE_AUTHORITY_HOST", server.url());
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
    let context = connect(
        &session,
        ConnectEntra {
            environment: environment::global(),
            set: EntraSignIn::ServicePrincipalCertificate {
                tenant: Tenant::parse(TENANT).unwrap(),
                client_id: ClientId::parse(APP).unwrap(),
                certificate_thumbprint: spaced,
            },
        },
    )
    .await
    .unwrap()
    .0;
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
    let mut server = Server::new_async().await;
    let home = tempfile::tempdir().unwrap();
    let browser = test_support::SignedInBrowser::default();
    let token = browser
        .token_endpoint(
            &mut server,
            "organizations",
            form(&[
                ("grant_type", "authorization_code"),
                ("client_id", DEFAULT_CLIENT_ID),
            ]),
            user_token_response("at", "rt", OID, TENANT, "admin@contoso.com", "User.Read"),
        )
        .await;
    let env = EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", server.url())]);
    let session = test_support::session_with_browser(home.path(), env, browser);
    let context = connect(
        &session,
        ConnectEntra {
            environment: environment::global(),
            set: EntraSignIn::UserCredential {
                tenant: None,
                client_id: None,
                scopes: vec!["User.Read".into()],
                method: UserMethod::Browser,
            },
        },
    )
    .await
    .unwrap()
    .0;
    assert_eq!(
        context.token_credential_type,
        TokenCredentialType::InteractiveBrowser
    );
    assert_eq!(context.account.as_deref(), Some("admin@contoso.com"));
    token.assert_async().await;
    assert_eq!(current_context(&session).unwrap(), Some(context));
    assert!(disconnect(&session).unwrap());
}
