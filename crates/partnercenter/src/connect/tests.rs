//! Connect-PartnerCenter against mockito: what goes over the wire for each set that can run, the context
//! users see (JSON and table), the organization profile, and -EnforceMFA.

use auth_core::{AccessToken, Cloud, Credential, EnvVars, RefreshToken, Tenant, Url};
use cmdlet::SaveConnections as _;
use serde_json::json;
use test_support::mock::{
    APP_ID as APP, CertificateHome, GRAPH_DEFAULT, MockAuthority, TENANT_ID as TENANT, USER_OID as OID,
    admin_token_response, assertion_form, client_secret_form, delegated_scope, device_code_answer,
    refresh_token_form,
};
use test_support::{
    NOW, client_info, environment_at, form, id_token_claims, jwt, session, session_with, user_token_response,
};

use cmdlet::Context as _;

use super::*;
use crate::context::AccountType;
use crate::params::{CommonOptions, PartnerCenterSignIn, RefreshTokenCredential};

/// The global cloud with its authority and Partner Center API on the mock server.
fn mock_environment(idp: &MockAuthority) -> Environment {
    let mut environment = environment_at(Cloud::AzureCloud, &idp.url());
    environment.partner_center = Some(Url::parse(&idp.url()).unwrap());
    environment
}

fn request(idp: &MockAuthority, enforce_mfa: bool, set: PartnerCenterSignIn) -> ConnectPartnerCenter {
    ConnectPartnerCenter {
        common: CommonOptions {
            environment: mock_environment(idp),
            enforce_mfa,
        },
        set,
    }
}

fn json_of(context: &PartnerContext, idp: &MockAuthority) -> String {
    serde_json::to_string_pretty(context)
        .unwrap()
        .replace(&idp.url(), "http://mock")
}

/// The RefreshToken set: [`APP`] redeeming the partner's refresh token `partner-rt`.
fn partner_refresh_token() -> PartnerCenterSignIn {
    PartnerCenterSignIn::RefreshToken {
        application_id: ClientId::parse(APP).unwrap(),
        refresh_token: RefreshToken::new("partner-rt"),
        credential: None,
        tenant: None,
    }
}

async fn connected(session: &Session, request: ConnectPartnerCenter) -> PartnerContext {
    connect(session, request).await.unwrap().0
}

/// What a refused connect says.
async fn refused(session: &Session, request: ConnectPartnerCenter) -> String {
    connect(session, request).await.unwrap_err().to_string()
}

async fn profile_mock(idp: &mut MockAuthority, bearer: &str) -> mockito::Mock {
    idp.server
        .mock("GET", "/v1/profiles/organization")
        .match_header("authorization", format!("Bearer {bearer}").as_str())
        .with_body(json!({"defaultAddress": {"country": "US"}, "culture": "en-US", "id": "x"}).to_string())
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_refresh_token_signs_the_user_in_and_reads_the_organization_profile() {
    let mut idp = MockAuthority::start().await;
    let scope = format!("{}/user_impersonation", idp.url());
    let sent_scope = delegated_scope(&scope);
    let body = refresh_token_form(APP, "partner-rt", &[("scope", &sent_scope), ("client_info", "1")]);
    let answer = admin_token_response("user-at", "new-rt", &scope);
    let token = idp.token("organizations", body, &answer).await;
    let profile = profile_mock(&mut idp, "user-at").await;
    let context = connected(&session().0, request(&idp, false, partner_refresh_token())).await;
    token.assert_async().await;
    profile.assert_async().await;
    insta::assert_snapshot!(json_of(&context, &idp), @r#"
    {
      "Account": {
        "ExtendedProperties": {
          "ApplicationId": "11111111-2222-3333-4444-555555555555",
          "Scope": "http://mock/user_impersonation"
        },
        "Identifier": "admin@contoso.com",
        "ObjectId": "aaaaaaaa-0000-4000-8000-000000000001",
        "Tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "Type": "User"
      },
      "Environment": {
        "ActiveDirectoryAuthority": "http://mock",
        "AzureAdGraphEndpoint": "https://graph.windows.net",
        "GraphEndpoint": "https://graph.microsoft.com",
        "EnvironmentName": "AzureCloud",
        "PartnerCenterEndpoint": "http://mock"
      },
      "CountryCode": "US",
      "Locale": "en-US",
      "ExtendedProperties": {}
    }
    "#);
    insta::assert_snapshot!(context.to_table(), @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    admin@contoso.com                        AzureCloud  72f988bf-86f1-41af-91ab-2d7cd011db47
    ");
    let debug = format!("{context:?}");
    assert!(!debug.contains("user-at") && !debug.contains("new-rt") && !debug.contains("partner-rt"));
    let json = json_of(&context, &idp);
    assert!(!json.contains("user-at") && !json.contains("new-rt") && !json.contains("partner-rt"));
}

#[tokio::test]
async fn a_web_app_refresh_token_sends_the_client_secret_and_names_a_mismatched_credential() {
    let mut idp = MockAuthority::start().await;
    let scope = format!("{}/user_impersonation", idp.url());
    let body = refresh_token_form(APP, "partner-rt", &[("client_secret", "web-secret")]);
    let answer = admin_token_response("user-at", "new-rt", &scope);
    let token = idp.token("contoso.com", body, &answer).await;
    let profile = profile_mock(&mut idp, "user-at").await;
    let (session, _) = session();
    let set = |username: &str| PartnerCenterSignIn::RefreshToken {
        application_id: ClientId::parse(APP).unwrap(),
        refresh_token: RefreshToken::new("partner-rt"),
        credential: Some(RefreshTokenCredential::Secret(Credential::new(
            username,
            "web-secret",
        ))),
        tenant: Some(Tenant::parse("contoso.com").unwrap()),
    };
    let context = connected(&session, request(&idp, false, set(APP))).await;
    assert_eq!(context.account.r#type, AccountType::User);
    token.assert_async().await;
    profile.assert_async().await;
    let error = refused(&session, request(&idp, false, set("someone-else"))).await;
    insta::assert_snapshot!(error, @"invalid credential: its user name 'someone-else' must be the application id, 11111111-2222-3333-4444-555555555555");
}

#[tokio::test]
async fn a_service_principal_asks_for_the_partner_center_default_scope_and_skips_the_profile() {
    let mut idp = MockAuthority::start().await;
    let partner_center = "https://api.partnercenter.microsoft.com/.default";
    let token = idp
        .app_token(
            "contoso.com",
            client_secret_form(APP, "sp-secret", partner_center),
        )
        .await;
    // AZURE_AUTHORITY_HOST moves sign-in to the mock server; every other endpoint stays the real one.
    let (session, _) = session_with(EnvVars::from_pairs([("AZURE_AUTHORITY_HOST", idp.url())]));
    let set = PartnerCenterSignIn::ServicePrincipal {
        credential: Credential::new(APP, "sp-secret"),
        tenant: Tenant::parse("contoso.com").unwrap(),
    };
    let common = CommonOptions::default();
    let context = connected(&session, ConnectPartnerCenter { common, set }).await;
    token.assert_async().await;
    assert_eq!(context.account.r#type, AccountType::ServicePrincipal);
    assert_eq!(context.account.identifier, APP);
    assert_eq!(context.country_code, None);
    insta::assert_snapshot!(context.to_table(), @r"
    Account                                  Environment TenantId
    -------                                  ----------- --------
    11111111-2222-3333-4444-555555555555     AzureCloud  contoso.com
    ");
}

fn user_access_token(amr: &[&str]) -> String {
    jwt(&json!({
        "aud": "https://api.partnercenter.microsoft.com", "tid": TENANT, "oid": OID,
        "upn": "admin@contoso.com", "scp": "user_impersonation", "amr": amr, "exp": NOW + 3600,
    }))
}

#[tokio::test]
async fn an_access_token_needs_no_sign_in_request_and_a_failed_profile_is_only_a_warning() {
    let mut idp = MockAuthority::start().await;
    let token = user_access_token(&["pwd"]);
    let profile = idp
        .server
        .mock("GET", "/v1/profiles/organization")
        .with_status(403)
        .expect(1)
        .create_async()
        .await;
    let access_token = AccessToken::new(token.as_str());
    let set = PartnerCenterSignIn::AccessToken {
        access_token,
        tenant: None,
    };
    let context = connected(&session().0, request(&idp, false, set)).await;
    profile.assert_async().await;
    assert_eq!(context.account.r#type, AccountType::AccessToken);
    assert_eq!(context.account.identifier, "admin@contoso.com");
    assert_eq!(context.account.tenant, TENANT);
    assert_eq!((context.country_code, context.locale), (None, None));
}

#[tokio::test]
async fn enforce_mfa_refuses_a_token_without_mfa() {
    let idp = MockAuthority::start().await;
    let access_token = AccessToken::new(user_access_token(&["pwd"]).as_str());
    let set = PartnerCenterSignIn::AccessToken {
        access_token,
        tenant: None,
    };
    let error = refused(&session().0, request(&idp, true, set)).await;
    insta::assert_snapshot!(error, @"enforce_mfa: the sign-in did not use multi-factor authentication (the token's amr claim is [pwd]); sign in again and complete the multi-factor prompt");
}

#[tokio::test]
async fn enforce_mfa_accepts_an_mfa_sign_in_and_sends_the_header_with_the_context() {
    let mut idp = MockAuthority::start().await;
    let scope = format!("{}/user_impersonation", idp.url());
    let mut claims = id_token_claims(OID, TENANT, "admin@contoso.com");
    claims["amr"] = json!(["pwd", "mfa"]);
    let response = json!({
        "token_type": "Bearer", "scope": scope, "expires_in": 3599, "access_token": "user-at",
        "refresh_token": "new-rt", "id_token": jwt(&claims), "client_info": client_info(OID, TENANT),
    });
    let token = idp
        .token(
            "organizations",
            refresh_token_form(APP, "partner-rt", &[]),
            &response,
        )
        .await;
    let profile = idp
        .server
        .mock("GET", "/v1/profiles/organization")
        .match_header("ms-enforce-mfa", "True")
        .with_body(json!({"defaultAddress": {"country": "NL"}, "culture": "nl-NL"}).to_string())
        .expect(1)
        .create_async()
        .await;
    let context = connected(&session().0, request(&idp, true, partner_refresh_token())).await;
    token.assert_async().await;
    profile.assert_async().await;
    assert_eq!(context.api_headers(), [("MS-Enforce-MFA", "True")]);
    assert_eq!(context.extended_properties[ENFORCE_MFA], "True");
    assert_eq!(context.country_code.as_deref(), Some("NL"));
}

#[tokio::test]
async fn a_user_with_a_device_code_is_connected_and_the_connection_survives_the_process() {
    let mut idp = MockAuthority::start().await;
    let home = tempfile::tempdir().unwrap();
    let scope = format!("{}/user_impersonation", idp.url());
    let body = form(&[
        ("client_id", DEFAULT_CLIENT_ID),
        ("scope", &delegated_scope(&scope)),
    ]);
    let start = idp
        .device_code("organizations", body, &device_code_answer(None))
        .await;
    let answer = user_token_response("user-at", "user-rt", OID, TENANT, "admin@partner.com", &scope);
    let token = idp
        .token("organizations", form(&[("device_code", "DC")]), &answer)
        .await;
    let profile = profile_mock(&mut idp, "user-at").await;
    let (session, timer) = test_support::session_in(home.path(), EnvVars::default());
    let set = PartnerCenterSignIn::User {
        tenant: None,
        use_device_authentication: true,
    };
    let context = connected(&session, request(&idp, false, set)).await;
    assert_eq!(context.account.identifier, "admin@partner.com");
    assert_eq!(context.country_code.as_deref(), Some("US"));
    assert_eq!(
        timer.sleeps(),
        [std::time::Duration::from_secs(5)],
        "the default interval"
    );
    for mock in [start, token, profile] {
        mock.assert_async().await;
    }

    let (later, _) = test_support::session_in(home.path(), EnvVars::default());
    let saved = LIFECYCLE.current_context(&later).unwrap().unwrap();
    assert_eq!(json_of(&saved, &idp), json_of(&context, &idp));
    let connection = later.connection(MODULE).unwrap();
    assert_eq!(
        later
            .cached_token(&connection, &[])
            .unwrap()
            .unwrap()
            .access_token
            .secret(),
        "user-at"
    );
    assert!(LIFECYCLE.disconnect(&later).unwrap());
    assert!(LIFECYCLE.current_context(&later).unwrap().is_none());
    assert!(later.cached_token(&connection, &[]).unwrap().is_none());
}

#[tokio::test]
async fn a_service_principal_certificate_is_found_by_thumbprint_in_the_store() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    let scope = format!("{}/.default", idp.url());
    let body = assertion_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("scope", &scope),
    ]);
    let mock = idp.app_token("contoso.com", body).await;
    let (session, _) = session_with(home.env());
    // a library caller loads the certificate itself, before connecting
    let certificate = session
        .certificate_credential(&auth_core::CertificateSource::Thumbprint(home.thumbprint.clone()))
        .unwrap();
    let set = PartnerCenterSignIn::ServicePrincipalCertificate {
        application_id: ClientId::parse(APP).unwrap(),
        certificate,
        tenant: Tenant::parse("contoso.com").unwrap(),
    };
    let context = connected(&session, request(&idp, false, set)).await;
    assert_eq!(context.account.r#type, AccountType::Certificate);
    mock.assert_async().await;
}

#[tokio::test]
async fn planning_reads_nothing_a_loaded_certificate_connects_with_its_store_gone() {
    let mut idp = MockAuthority::start().await;
    let home = CertificateHome::new();
    let certificate = session_with(home.env())
        .0
        .certificate_credential(&auth_core::CertificateSource::Thumbprint(home.thumbprint.clone()))
        .unwrap();
    // the store's folder is gone: neither planning nor signing in may read it again
    drop(home);
    let set = PartnerCenterSignIn::ServicePrincipalCertificate {
        application_id: ClientId::parse(APP).unwrap(),
        certificate,
        tenant: Tenant::parse("contoso.com").unwrap(),
    };
    // planning takes no session
    let (sign_in, plan) = request(&idp, false, set.clone())
        .plan(mock_environment(&idp))
        .unwrap();
    let scope = format!("{}/.default", idp.url());
    assert_eq!(sign_in.scopes, [scope.as_str()]);
    assert_eq!(sign_in.client_id.as_str(), APP);
    assert_eq!(plan.account_type, AccountType::Certificate);
    let body = assertion_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", APP),
        ("scope", &scope),
    ]);
    let mock = idp.app_token("contoso.com", body).await;
    let context = connected(&session().0, request(&idp, false, set)).await;
    assert_eq!(context.account.r#type, AccountType::Certificate);
    mock.assert_async().await;
}

#[test]
fn a_certificate_not_in_the_store_is_refused_when_binding_before_anything_is_sent() {
    let home = CertificateHome::new();
    let (session, _) = session_with(home.env());
    let missing = "00".repeat(20);
    let mut bound = crate::CONNECT_CMDLET
        .bind([
            ("-ApplicationId", cmdlet::Argument::text(APP)),
            ("-CertificateThumbprint", cmdlet::Argument::text(&missing)),
            ("-Tenant", cmdlet::Argument::text("contoso.com")),
        ])
        .unwrap();
    bound.load_with(&session);
    let error = ConnectPartnerCenter::from_bound(bound).unwrap_err().to_string();
    assert!(error.contains(&missing), "{error}");
    assert!(error.contains(&home.store().display().to_string()), "{error}");
}

#[tokio::test]
async fn an_environment_without_partner_center_is_refused() {
    let mut environment = Environment::from(Cloud::AzureUSGovernmentDoD);
    environment.name = "MyDoD".into();
    let common = CommonOptions {
        environment,
        enforce_mfa: false,
    };
    let set = PartnerCenterSignIn::User {
        tenant: None,
        use_device_authentication: false,
    };
    let error = refused(&session().0, ConnectPartnerCenter { common, set }).await;
    insta::assert_snapshot!(error, @"environment: MyDoD has no Partner Center endpoint");
}

/// The README's first example, against a mock authority: connect, then a token for the scope connect
/// asked for (from the cache, no request), then one for another API (the refresh token redeemed).
#[tokio::test]
async fn the_readme_example_connects_then_gets_tokens_for_any_scope() {
    let mut idp = MockAuthority::start().await;
    let scope = format!("{}/user_impersonation", idp.url());
    let graph = GRAPH_DEFAULT;
    let answer = admin_token_response("user-at", "new-rt", &scope);
    let sign_in = idp
        .token(
            "organizations",
            refresh_token_form(APP, "partner-rt", &[]),
            &answer,
        )
        .await;
    let body = refresh_token_form(APP, "new-rt", &[("scope", &delegated_scope(graph))]);
    let renewal = idp
        .token(TENANT, body, &admin_token_response("graph-at", "newer-rt", graph))
        .await;
    let _profile = profile_mock(&mut idp, "user-at").await;
    // SessionOptions::default() but on the fake clock: in memory, nothing saved on disk
    let (session, _) = session();
    let (context, connected) = connect(&session, request(&idp, false, partner_refresh_token()))
        .await
        .unwrap();
    assert_eq!(context.account.identifier, "admin@contoso.com");
    assert_eq!(connected.module(), MODULE);
    assert_eq!(connected.connection().method_name(), "RefreshToken");
    assert_eq!(
        connected.token(&[]).await.unwrap().access_token.secret(),
        "user-at"
    );
    sign_in.assert_async().await;
    assert_eq!(
        connected.token(&[graph]).await.unwrap().access_token.secret(),
        "graph-at"
    );
    renewal.assert_async().await;
}

#[tokio::test]
async fn a_sign_in_refused_by_enforce_mfa_leaves_no_token_and_no_context() {
    let mut idp = MockAuthority::start().await;
    let home = tempfile::tempdir().unwrap();
    let scope = format!("{}/user_impersonation", idp.url());
    let answer = admin_token_response("user-at", "new-rt", &scope);
    let token = idp
        .token(
            "organizations",
            refresh_token_form(APP, "partner-rt", &[]),
            &answer,
        )
        .await;
    let (session, _) = test_support::session_in(home.path(), EnvVars::default());
    let error = refused(&session, request(&idp, true, partner_refresh_token())).await;
    token.assert_async().await;
    assert!(
        error
            .to_string()
            .starts_with("enforce_mfa: the sign-in did not use multi-factor"),
        "{error}"
    );
    let cache = std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap_or_default();
    assert!(!cache.contains("user-at") && !cache.contains("new-rt"), "{cache}");
    assert!(LIFECYCLE.current_context(&session).unwrap().is_none());
}

#[tokio::test]
async fn an_unreachable_organization_profile_is_tried_once_and_the_sign_in_goes_on() {
    let mut idp = MockAuthority::start().await;
    // a loopback port nothing listens on: the connection is refused at once
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let partner_center = format!("http://127.0.0.1:{closed}");
    let scope = format!("{partner_center}/user_impersonation");
    let answer = admin_token_response("user-at", "new-rt", &scope);
    let token = idp
        .token(
            "organizations",
            refresh_token_form(APP, "partner-rt", &[]),
            &answer,
        )
        .await;
    let mut request = request(&idp, false, partner_refresh_token());
    request.common.environment.partner_center = Some(Url::parse(&partner_center).unwrap());
    let (session, timer) = session();
    let (context, _) = connect(&session, request).await.unwrap();
    token.assert_async().await;
    assert_eq!((context.country_code, context.locale), (None, None));
    // no retry: the client never waited to try again
    assert_eq!(timer.sleeps(), Vec::<std::time::Duration>::new());
    assert!(PROFILE_TIMEOUT <= std::time::Duration::from_secs(2));
}
