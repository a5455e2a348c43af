//! `AZURE_*` variables: which method they select, in azure-identity's order, and the variable each
//! error names.

use super::*;

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "contoso.onmicrosoft.com";
const SECRET: &str = "client-secret-must-not-leak";
const PASSWORD: &str = "password-must-not-leak";

fn read(pairs: &[(&str, &str)]) -> Result<EnvironmentCredential> {
    EnvironmentCredential::from_env(&EnvVars::from_pairs(pairs.iter().copied()))
}

fn error(pairs: &[(&str, &str)]) -> String {
    read(pairs).unwrap_err().to_string()
}

#[test]
fn a_client_secret_comes_first() {
    let credential = read(&[
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_SECRET", SECRET),
        ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent.pem"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent-token"),
        ("AZURE_USERNAME", "user@contoso.com"),
        ("AZURE_PASSWORD", PASSWORD),
    ])
    .unwrap();
    assert_eq!(credential.name(), "ClientSecret");
    assert_eq!(credential.client_id.as_str(), CLIENT);
    assert_eq!(credential.tenant.as_str(), TENANT);
    match &credential.method {
        EnvironmentMethod::ClientSecret(secret) => assert_eq!(secret.secret(), SECRET),
        other => panic!("{other:?}"),
    }
    let shown = format!("{credential:?}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn a_pem_certificate_holds_its_key_in_the_same_file_and_a_pfx_keeps_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sp.pem");
    std::fs::write(
        &pem,
        "\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let pfx = dir.path().join("sp.pfx");
    std::fs::write(&pfx, [0x30, 0x82, 0x0a, 0x01, 0x02]).unwrap();
    let base = [("AZURE_CLIENT_ID", CLIENT), ("AZURE_TENANT_ID", TENANT)];

    let pem_path = pem.display().to_string();
    let credential = read(&[base[0], base[1], ("AZURE_CLIENT_CERTIFICATE_PATH", &pem_path)]).unwrap();
    assert_eq!(credential.name(), "Certificate");
    match credential.method {
        EnvironmentMethod::Certificate(CertificateSource::Pem { certificate, key }) => {
            assert_eq!(
                (certificate.as_path(), key.as_path()),
                (pem.as_path(), pem.as_path())
            );
        }
        other => panic!("{other:?}"),
    }

    let pfx_path = pfx.display().to_string();
    let credential = read(&[
        base[0],
        base[1],
        ("AZURE_CLIENT_CERTIFICATE_PATH", &pfx_path),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD),
    ])
    .unwrap();
    let shown = format!("{credential:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    match credential.method {
        EnvironmentMethod::Certificate(CertificateSource::Pkcs12 { path, password }) => {
            assert_eq!(path, pfx);
            assert_eq!(password.unwrap().secret(), PASSWORD);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unusable_certificate_paths_name_the_variable_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem").display().to_string();
    let empty = dir.path().join("empty.pfx");
    std::fs::write(&empty, "").unwrap();
    let empty = empty.display().to_string();
    let base = [("AZURE_CLIENT_ID", CLIENT), ("AZURE_TENANT_ID", TENANT)];
    let e = error(&[base[0], base[1], ("AZURE_CLIENT_CERTIFICATE_PATH", &missing)]);
    assert!(
        e.starts_with(&format!("reading AZURE_CLIENT_CERTIFICATE_PATH {missing}: ")),
        "{e}"
    );
    let e = error(&[base[0], base[1], ("AZURE_CLIENT_CERTIFICATE_PATH", &empty)]);
    assert_eq!(
        e,
        format!("{empty}: AZURE_CLIENT_CERTIFICATE_PATH names an empty file")
    );
}

#[test]
fn a_federated_token_file_comes_before_a_user_name() {
    let credential = read(&[
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_TENANT_ID", TENANT),
        (
            "AZURE_FEDERATED_TOKEN_FILE",
            "/var/run/secrets/azure/tokens/azure-identity-token",
        ),
        ("AZURE_USERNAME", "user@contoso.com"),
        ("AZURE_PASSWORD", PASSWORD),
    ])
    .unwrap();
    assert_eq!(credential.name(), "FederatedTokenFile");
    match credential.method {
        EnvironmentMethod::FederatedTokenFile(file) => assert_eq!(
            file.path(),
            std::path::Path::new("/var/run/secrets/azure/tokens/azure-identity-token")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_user_name_and_password_need_no_tenant() {
    let credential = read(&[
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_USERNAME", "user@contoso.com"),
        ("AZURE_PASSWORD", PASSWORD),
    ])
    .unwrap();
    assert_eq!(credential.name(), "UsernamePassword");
    assert_eq!(credential.tenant.as_str(), "organizations");
    let shown = format!("{credential:?}");
    assert!(
        shown.contains("user@contoso.com") && !shown.contains(PASSWORD),
        "{shown}"
    );
}

#[test]
fn each_error_names_the_missing_variable() {
    assert_eq!(
        error(&[("AZURE_CLIENT_ID", CLIENT), ("AZURE_TENANT_ID", TENANT)]),
        "invalid value for environment variables: set AZURE_CLIENT_ID, AZURE_TENANT_ID and one of \
         AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, or AZURE_USERNAME \
         with AZURE_PASSWORD"
    );
    assert_eq!(
        error(&[("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_SECRET", SECRET)]),
        "invalid value for AZURE_CLIENT_ID: AZURE_CLIENT_SECRET is set but AZURE_CLIENT_ID (the application id) is not"
    );
    assert_eq!(
        error(&[("AZURE_CLIENT_ID", CLIENT), ("AZURE_CLIENT_SECRET", SECRET)]),
        "invalid value for AZURE_TENANT_ID: AZURE_CLIENT_SECRET is set but AZURE_TENANT_ID (the tenant id or domain) is not"
    );
    assert_eq!(
        error(&[("AZURE_CLIENT_ID", CLIENT), ("AZURE_USERNAME", "u@contoso.com")]),
        "invalid value for AZURE_PASSWORD: AZURE_USERNAME is set but AZURE_PASSWORD is not"
    );
    assert_eq!(
        error(&[
            ("AZURE_CLIENT_ID", "app"),
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_SECRET", SECRET)
        ]),
        "invalid value for AZURE_CLIENT_ID: expected the application's id (a GUID)"
    );
    let bad_tenant = error(&[
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_TENANT_ID", "not a tenant!"),
        ("AZURE_CLIENT_SECRET", SECRET),
    ]);
    assert!(
        bad_tenant.starts_with("invalid value for AZURE_TENANT_ID: "),
        "{bad_tenant}"
    );
    assert!(!bad_tenant.contains(SECRET), "{bad_tenant}");
}

#[test]
fn each_method_becomes_the_sign_in_a_session_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sp.pem");
    std::fs::write(
        &pem,
        format!(
            "{}{}",
            crate::testing::TEST_CERTIFICATE_PEM,
            crate::testing::TEST_KEY_PEM
        ),
    )
    .unwrap();
    let pem = pem.display().to_string();
    let (session, _) = crate::testing::session();
    let base = [("AZURE_CLIENT_ID", CLIENT), ("AZURE_TENANT_ID", TENANT)];
    let name = |pairs: &[(&str, &str)]| {
        let all: Vec<(&str, &str)> = base.iter().chain(pairs).copied().collect();
        read(&all).unwrap().sign_in_method(&session).unwrap().name()
    };
    assert_eq!(name(&[("AZURE_CLIENT_SECRET", SECRET)]), "ClientSecret");
    assert_eq!(name(&[("AZURE_CLIENT_CERTIFICATE_PATH", &pem)]), "Certificate");
    assert_eq!(
        name(&[("AZURE_FEDERATED_TOKEN_FILE", "/t")]),
        "FederatedTokenFile"
    );
    assert_eq!(
        name(&[("AZURE_USERNAME", "u@contoso.com"), ("AZURE_PASSWORD", PASSWORD)]),
        "UsernamePassword"
    );
    let wrong = dir.path().join("wrong.pfx");
    std::fs::write(&wrong, [0x30, 0x03, 0x02, 0x01, 0x03]).unwrap();
    let wrong = wrong.display().to_string();
    let all = [
        base[0],
        base[1],
        ("AZURE_CLIENT_CERTIFICATE_PATH", wrong.as_str()),
    ];
    let error = read(&all)
        .unwrap()
        .sign_in_method(&session)
        .unwrap_err()
        .to_string();
    assert!(error.contains(&wrong), "{error}");
}
