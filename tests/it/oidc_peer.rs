//! auth-core as a library against a real OpenID Connect authority nobody here wrote (oidc-provider 8),
//! where the binary suites (`oidc_cli`) cannot reach: the endpoints discovery yields, https with the
//! harness's CA (and its refusal without it), and MSAL Python reaching the same peer. Every sign-in flow
//! is tested through the `msconnect` binary in `oidc_cli`.

use std::process::Command;

use auth_core::DiscoveryDocument;
use auth_core::{Authority, EnvVars, Error, HttpClient, HttpOptions};

use crate::support::peers::{
    CLIENT_SECRET, OidcOptions, OidcProvider, SECRET_CLIENT_ID, TENANT_ID, TestTls, msal_python,
};

/// A client that reads nothing from the process environment (no proxy of the machine in the way).
fn http(env: EnvVars) -> HttpClient {
    HttpClient::new(HttpOptions {
        env,
        ..Default::default()
    })
    .unwrap()
}

/// What msconnect does with a generic OIDC authority: read its discovery document.
async fn discover(http: &HttpClient, provider: &OidcProvider) -> Authority {
    let response = http.get(&provider.discovery_url(), &[]).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let document: DiscoveryDocument = serde_json::from_str(&response.body).unwrap();
    assert_eq!(document.issuer.as_deref(), Some(provider.issuer().as_str()));
    Authority::from_discovery(provider.issuer(), &document).unwrap()
}

#[tokio::test]
async fn discovery_names_the_endpoints_of_the_issuer() {
    let provider = OidcProvider::start(OidcOptions::default());
    let http = http(EnvVars::default());
    let authority = discover(&http, &provider).await;
    let base = provider.issuer().as_str();
    assert_eq!(authority.token_endpoint().as_str(), format!("{base}/token"));
    assert_eq!(authority.authorize_endpoint().as_str(), format!("{base}/auth"));
    assert_eq!(
        authority.device_code_endpoint().unwrap().as_str(),
        format!("{base}/device/auth")
    );
    assert_eq!(authority.tenant().as_str(), TENANT_ID);
    assert_eq!(authority.environment(), "127.0.0.1");
    // the provider promises `iss` on its redirects (RFC 9207): browser sign-in requires and checks it
    assert_eq!(
        authority
            .response_issuer()
            .map(|r| (r.issuer.as_str(), r.required)),
        Some((provider.issuer().as_str(), true))
    );
}

#[tokio::test]
async fn https_discovery_trusts_the_harness_ca_given_in_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TestTls::generate(dir.path());
    let provider = OidcProvider::start(OidcOptions {
        tls: Some(tls.server.clone()),
        ..Default::default()
    });
    assert_eq!(provider.issuer().scheme(), "https");

    let trusting = http(EnvVars::from_pairs([(
        "SSL_CERT_FILE",
        tls.ca_cert.to_str().unwrap(),
    )]));
    let authority = discover(&trusting, &provider).await;
    assert_eq!(authority.token_endpoint().scheme(), "https");

    // without the CA: refused at once, not retried as a failed connection would be
    let (untrusting, timer) = test_support::http_client();
    let error = untrusting.get(&provider.discovery_url(), &[]).await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport { reason, .. } if reason.contains("certificate")),
        "{error}"
    );
    assert!(timer.sleeps().is_empty(), "retried: {:?}", timer.sleeps());
}

#[tokio::test]
async fn msal_python_reaches_the_provider_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let (tls, provider) = OidcProvider::start_https(dir.path());
    let script = r#"
import json, sys, msal
app = msal.ConfidentialClientApplication(sys.argv[2], client_credential=sys.argv[3], oidc_authority=sys.argv[1])
result = app.acquire_token_for_client(scopes=["openid"])
print(json.dumps({k: result.get(k) for k in ("token_type", "scope", "error", "error_description")}))
"#;
    let output = Command::new(msal_python())
        .args([
            "-c",
            script,
            provider.issuer().as_str(),
            SECRET_CLIENT_ID,
            CLIENT_SECRET,
        ])
        .env("REQUESTS_CA_BUNDLE", &tls.ca_cert)
        .output()
        .unwrap();
    provider.assert_ran("MSAL Python", &output);
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout).trim(), @r#"{"token_type": "Bearer", "scope": "openid", "error": null, "error_description": null}"#);
}
