//! What a library caller of one product crate meets, writing with that crate alone: a value of the typed
//! request refused before anything is sent, in Rust's words (the request's field, auth-core's name of the
//! value), never a PowerShell parameter (`-Credential`) or a command-line option (`--client-secret`); and
//! auth-core's error, which the handle and the session return, turned into the crate's `Error` by `?`.

use std::sync::{Arc, Mutex};

const APP: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "contoso.onmicrosoft.com";

/// Session options whose transport records every request it is given and answers none, so a test sees
/// what went over the wire.
fn recording() -> (partnercenter::SessionOptions, Arc<Mutex<Vec<String>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = sent.clone();
    let mut options = partnercenter::SessionOptions::default();
    options.http.env = partnercenter::EnvVars::default();
    options.http.transport = Some(Arc::new(move |request: partnercenter::HttpRequest| {
        seen.lock().unwrap().push(request.url.to_string());
        async {
            Err::<partnercenter::HttpResponse, _>(partnercenter::TransportError::failed(
                "the test sends nothing",
                false,
            ))
        }
    }));
    (options, sent)
}

/// The words a library caller must not meet: PowerShell's parameters and the command line's options.
fn names_no_parameter_or_option(message: &str) {
    for word in [
        "-Credential",
        "-ClientSecret",
        "-ApplicationId",
        "--client-secret",
        "--credential",
    ] {
        assert!(!message.contains(word), "{message:?} names {word}");
    }
}

#[tokio::test]
async fn an_empty_client_secret_in_a_typed_request_is_refused_before_anything_is_sent() {
    let empty = "invalid value for client secret: is empty: give the application's client secret";

    let (options, sent) = recording();
    let error = partnercenter::connect(
        &partnercenter::Session::new(options),
        partnercenter::ConnectPartnerCenter {
            common: partnercenter::CommonOptions::default(),
            set: partnercenter::PartnerCenterSignIn::ServicePrincipal {
                credential: partnercenter::Credential::new(APP, ""),
                tenant: partnercenter::Tenant::parse(TENANT).unwrap(),
            },
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), empty, "partnercenter");
    assert_eq!(*sent.lock().unwrap(), Vec::<String>::new(), "partnercenter");

    let (options, sent) = recording();
    let error = secmgmt::connect(
        &secmgmt::Session::new(options),
        secmgmt::ConnectSecMgmtAccount {
            environment: secmgmt::ENVIRONMENTS.default_environment(),
            set: secmgmt::SecMgmtSignIn::ServicePrincipal {
                credential: secmgmt::Credential::new(APP, " "),
                tenant: secmgmt::Tenant::parse(TENANT).unwrap(),
            },
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), empty, "secmgmt");
    assert_eq!(*sent.lock().unwrap(), Vec::<String>::new(), "secmgmt");

    let (options, sent) = recording();
    let error = entra::connect(
        &entra::Session::new(options),
        entra::ConnectEntra {
            environment: entra::ENVIRONMENTS.default_environment(),
            set: entra::EntraSignIn::AppSecretCredential {
                credential: entra::Credential::new(APP, ""),
                tenant: entra::Tenant::parse(TENANT).unwrap(),
            },
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), empty, "entra");
    assert_eq!(*sent.lock().unwrap(), Vec::<String>::new(), "entra");

    let (options, sent) = recording();
    let error = psentra::connect(
        &psentra::Session::new(options),
        psentra::ConnectPsEntra {
            client_id: psentra::ClientId::parse(APP).unwrap(),
            tenant: psentra::Tenant::parse(TENANT).unwrap(),
            scopes: vec![],
            environment: psentra::ENVIRONMENTS.default_environment(),
            pass_thru: false,
            set: psentra::PsEntraSignIn::AppSecret(psentra::ClientSecret::new("")),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), empty, "psentra");
    assert_eq!(*sent.lock().unwrap(), Vec::<String>::new(), "psentra");
}

/// A value the product crate checks itself is named by the request's field, as Rust writes it.
#[tokio::test]
async fn a_credential_for_another_application_is_refused_naming_the_field() {
    let (options, sent) = recording();
    let error = partnercenter::connect(
        &partnercenter::Session::new(options),
        partnercenter::ConnectPartnerCenter {
            common: partnercenter::CommonOptions::default(),
            set: partnercenter::PartnerCenterSignIn::RefreshToken {
                application_id: partnercenter::ClientId::parse(APP).unwrap(),
                refresh_token: partnercenter::RefreshToken::new("partner-rt"),
                credential: Some(partnercenter::RefreshTokenCredential::Secret(
                    partnercenter::Credential::new("someone-else", "s3cret"),
                )),
                tenant: None,
            },
        },
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert_eq!(
        message,
        format!("invalid credential: its user name 'someone-else' must be the application id, {APP}")
    );
    names_no_parameter_or_option(&message);
    assert!(!message.contains("s3cret"));
    assert_eq!(*sent.lock().unwrap(), Vec::<String>::new());
}

/// auth-core's error (a value's own check, the handle's `token`) becomes the crate's `Error` with `?`, saying
/// the same.
#[test]
fn auth_cores_error_turns_into_the_crates_error_saying_the_same() {
    fn tenant(text: &str) -> partnercenter::Result<partnercenter::Tenant> {
        Ok(partnercenter::Tenant::parse(text)?)
    }
    let core: partnercenter::CoreError = partnercenter::Tenant::parse("not a tenant!").unwrap_err();
    let error = tenant("not a tenant!").unwrap_err();
    assert!(matches!(error, partnercenter::Error::Core(_)));
    assert_eq!(error.to_string(), core.to_string());
    insta::assert_snapshot!(error, @"invalid value for tenant: 'not a tenant!' is not a tenant: give a tenant id (GUID), a domain name such as contoso.onmicrosoft.com, or common, organizations or consumers");
    names_no_parameter_or_option(&error.to_string());
}
