//! Tests of certificate loading (PFX, PEM, .NET's null-password PFX), the stores, and client assertions
//! verified with the certificate's public key, against mockito for the token requests. Every certificate
//! and PFX is made here; the RSA keys are the TEST-ONLY ones in `tests/fixtures/`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use mockito::Matcher;
use serde_json::Value;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::*;
use crate::error::Error;
use crate::flows::{AssertionSource, ClientCredential, ClientCredentials, RefreshTokenGrant};
use crate::ids::{ClientId, Tenant};
use crate::secret::{Password, RefreshToken};
use crate::testing::{NOW, app_token_response, http_client, user_token_response};
use crate::time::from_epoch_seconds;
use crate::{Authority, EnvVars, Url};

const LEAF_KEY: &str = include_str!("../../tests/fixtures/test-only-rsa-leaf.pkcs8.pem");
const LEAF_KEY_PKCS1: &str = include_str!("../../tests/fixtures/test-only-rsa-leaf.pkcs1.pem");
const CA_KEY: &str = include_str!("../../tests/fixtures/test-only-rsa-ca.pkcs8.pem");

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const AUDIENCE: &str = "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token";
const DAY: i64 = 86_400;

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

fn now() -> SystemTime {
    from_epoch_seconds(NOW)
}

// ---------------------------------------------------------------------------------------------------
// making certificates and files

/// A certificate made for a test: its DER and PEM, and its key's PEM and PKCS#8 DER.
struct Made {
    der: Vec<u8>,
    pem: String,
    key_pem: String,
    key_der: Vec<u8>,
}

impl Made {
    fn thumbprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &self.der);
        digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
    }
}

fn rsa(key_pem: &str) -> rcgen::KeyPair {
    rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256).unwrap()
}

fn params(subject: &[(rcgen::DnType, &str)], not_before: i64, not_after: i64) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    for (kind, value) in subject {
        params.distinguished_name.push(kind.clone(), *value);
    }
    params.not_before = rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(not_before as u64);
    params.not_after = rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(not_after as u64);
    params
}

/// A self-signed certificate for `CN=cn`, valid between the two epoch seconds.
fn made_with(
    key: rcgen::KeyPair,
    subject: &[(rcgen::DnType, &str)],
    not_before: i64,
    not_after: i64,
) -> Made {
    let cert = params(subject, not_before, not_after).self_signed(&key).unwrap();
    Made {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
    }
}

/// `CN=cn`, RSA, self-signed, valid from a day before [`NOW`] for a year.
fn made(cn: &str) -> Made {
    made_with(
        rsa(LEAF_KEY),
        &[(rcgen::DnType::CommonName, cn)],
        NOW - DAY,
        NOW + 365 * DAY,
    )
}

/// A leaf `CN=leaf` issued by a CA `CN=Test CA`: (leaf, ca).
fn made_with_ca() -> (Made, Made) {
    let ca_key = rsa(CA_KEY);
    let mut ca_params = params(
        &[(rcgen::DnType::CommonName, "Test CA")],
        NOW - DAY,
        NOW + 365 * DAY,
    );
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Made {
        der: ca_cert.der().to_vec(),
        pem: ca_cert.pem(),
        key_pem: ca_key.serialize_pem(),
        key_der: ca_key.serialize_der(),
    };
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rsa(LEAF_KEY);
    let leaf_cert = params(&[(rcgen::DnType::CommonName, "leaf")], NOW - DAY, NOW + 30 * DAY)
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let leaf = Made {
        der: leaf_cert.der().to_vec(),
        pem: leaf_cert.pem(),
        key_pem: leaf_key.serialize_pem(),
        key_der: leaf_key.serialize_der(),
    };
    (leaf, ca)
}

/// A PFX written by p12-keystore (AES-256/PBES2 and HMAC-SHA256, or 3DES and HMAC-SHA1 when `legacy`).
fn pfx(certs: &[&Made], key: Option<&Made>, password: &str, legacy: bool) -> Vec<u8> {
    use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain};
    let mut store = KeyStore::new();
    let certificates: Vec<p12_keystore::Certificate> = certs
        .iter()
        .map(|c| p12_keystore::Certificate::from_der(&c.der).unwrap())
        .collect();
    match key {
        Some(key) => {
            let private = p12_keystore::PrivateKey::from_der(&key.key_der).unwrap();
            let chain = PrivateKeyChain::new("key-1", private, certificates);
            store.add_entry("app", KeyStoreEntry::PrivateKeyChain(chain));
        }
        None => {
            for (i, certificate) in certificates.into_iter().enumerate() {
                store.add_entry(&format!("cert-{i}"), KeyStoreEntry::Certificate(certificate));
            }
        }
    }
    let mut writer = store
        .writer(password)
        .encryption_iterations(1000)
        .mac_iterations(1000);
    if legacy {
        writer = writer
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(MacAlgorithm::HmacSha1);
    }
    writer.write().unwrap()
}

/// A PFX as .NET writes one without a password (its stores on Linux): 3DES and HMAC-SHA1, 2000 rounds,
/// every key derived from the *null* password (an empty byte string), the key in a data safe and the
/// certificate in an encrypted one, tied by a local key id.
fn dotnet_pfx(made: &Made) -> Vec<u8> {
    use der::asn1::{OctetString, SetOfVec};
    use der::oid::ObjectIdentifier;
    use der::{Any, Decode, Encode};
    use pkcs12::cms::cert::x509::attr::Attribute;
    use pkcs12::cms::cert::x509::spki::AlgorithmIdentifierOwned;
    use pkcs12::cms::content_info::{CmsVersion, ContentInfo};
    use pkcs12::cms::encrypted_data::EncryptedData;
    use pkcs12::cms::enveloped_data::EncryptedContentInfo;
    use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
    use pkcs12::{DigestInfo, MacData, Pfx, SafeBag};

    const ROUNDS: i32 = 2000;
    let data = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    let encrypted_data = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
    let octets = |bytes: &[u8]| Any::from_der(&OctetString::new(bytes).unwrap().to_der().unwrap()).unwrap();
    let null_key = |id, salt: &[u8], len| pkcs12::kdf::derive_key::<sha1::Sha1>(&[], salt, id, ROUNDS, len);
    let encrypt = |plain: &[u8], salt: &[u8]| {
        use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
        let key = null_key(pkcs12::kdf::Pkcs12KeyType::EncryptionKey, salt, 24);
        let iv = null_key(pkcs12::kdf::Pkcs12KeyType::Iv, salt, 8);
        let ciphertext = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(plain);
        let algorithm = AlgorithmIdentifierOwned {
            oid: pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC,
            parameters: Some(
                Any::from_der(
                    &Pkcs12PbeParams {
                        salt: OctetString::new(salt).unwrap(),
                        iterations: ROUNDS,
                    }
                    .to_der()
                    .unwrap(),
                )
                .unwrap(),
            ),
        };
        (algorithm, ciphertext)
    };
    let local_key_id = SetOfVec::try_from(vec![Attribute {
        oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21"),
        values: SetOfVec::try_from(vec![octets(&[1, 0, 0, 0])]).unwrap(),
    }])
    .unwrap();

    let (algorithm, ciphertext) = encrypt(&made.key_der, &[1; 8]);
    let key_bag = SafeBag {
        bag_id: pkcs12::PKCS_12_PKCS8_KEY_BAG_OID,
        // SafeBag adds the [0] EXPLICIT wrapper when it is encoded
        bag_value: EncryptedPrivateKeyInfo {
            encryption_algorithm: algorithm,
            encrypted_data: OctetString::new(ciphertext).unwrap(),
        }
        .to_der()
        .unwrap(),
        bag_attributes: Some(local_key_id.clone()),
    };
    let cert_bag = SafeBag {
        bag_id: pkcs12::PKCS_12_CERT_BAG_OID,
        bag_value: pkcs12::CertBag {
            cert_id: pkcs12::PKCS_12_X509_CERT_OID,
            cert_value: OctetString::new(made.der.clone()).unwrap(),
        }
        .to_der()
        .unwrap(),
        bag_attributes: Some(local_key_id),
    };
    let (algorithm, ciphertext) = encrypt(&vec![cert_bag].to_der().unwrap(), &[2; 8]);
    let certs = EncryptedData {
        version: CmsVersion::V0,
        enc_content_info: EncryptedContentInfo {
            content_type: data,
            content_enc_alg: algorithm,
            encrypted_content: Some(OctetString::new(ciphertext).unwrap()),
        },
        unprotected_attrs: None,
    };
    let auth_safe = vec![
        ContentInfo {
            content_type: data,
            content: octets(&vec![key_bag].to_der().unwrap()),
        },
        ContentInfo {
            content_type: encrypted_data,
            content: Any::from_der(&certs.to_der().unwrap()).unwrap(),
        },
    ]
    .to_der()
    .unwrap();
    let mac_salt = [3u8; 20];
    let mac_key = null_key(pkcs12::kdf::Pkcs12KeyType::Mac, &mac_salt, 20);
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &mac_key),
        &auth_safe,
    );
    Pfx {
        version: pkcs12::pfx::Version::V3,
        auth_safe: ContentInfo {
            content_type: data,
            content: octets(&auth_safe),
        },
        mac_data: Some(MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierOwned {
                    oid: ObjectIdentifier::new_unwrap("1.3.14.3.2.26"),
                    parameters: Some(Any::null()),
                },
                digest: OctetString::new(tag.as_ref()).unwrap(),
            },
            mac_salt: OctetString::new(mac_salt).unwrap(),
            iterations: ROUNDS,
        }),
    }
    .to_der()
    .unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Replaces a temporary directory in a message, so snapshots hold still.
fn tidy(text: impl std::fmt::Display, dir: &Path) -> String {
    text.to_string().replace(&dir.display().to_string(), "[tmp]")
}

// ---------------------------------------------------------------------------------------------------
// checking assertions

/// The assertion's header and claims, after checking its signature with the certificate's public key.
fn verify(assertion: &str, certificate: &[u8]) -> (Value, Value) {
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS: {assertion}");
    let decode = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap()
    };
    let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    let claims: Value = serde_json::from_slice(&decode(parts[1])).unwrap();
    let algorithm: &dyn ring::signature::VerificationAlgorithm = match header["alg"].as_str().unwrap() {
        "PS256" => &ring::signature::RSA_PSS_2048_8192_SHA256,
        "RS256" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        "ES256" => &ring::signature::ECDSA_P256_SHA256_FIXED,
        other => panic!("unexpected alg {other}"),
    };
    let (_, parsed) = X509Certificate::from_der(certificate).unwrap();
    let public_key = parsed.public_key().subject_public_key.data.to_vec();
    ring::signature::UnparsedPublicKey::new(algorithm, public_key)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &decode(parts[2]))
        .expect("the signature verifies with the certificate's public key");
    (header, claims)
}

fn b64url_digest(algorithm: &'static ring::digest::Algorithm, der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(algorithm, der))
}

/// The claims with `jti` checked to be a GUID and replaced, for snapshots.
fn claims_without_jti(mut claims: Value) -> String {
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert!(crate::ids::is_guid(&jti), "jti is a GUID: {jti}");
    claims["jti"] = "[guid]".into();
    serde_json::to_string_pretty(&claims).unwrap()
}

// ---------------------------------------------------------------------------------------------------
// thumbprints

#[test]
fn thumbprints_are_normalised_and_anything_else_is_refused_naming_the_parameter() {
    let upper = "F8813914053FBFB5D84F1EFA9EDB3205621C1126";
    for typed in [
        upper,
        "f8813914053fbfb5d84f1efa9edb3205621c1126",
        "f8 81 39 14 05 3f bf b5 d8 4f 1e fa 9e db 32 05 62 1c 11 26",
        "F8:81:39:14:05:3F:BF:B5:D8:4F:1E:FA:9E:DB:32:05:62:1C:11:26",
        "\u{200e}f8813914053fbfb5d84f1efa9edb3205621c1126 ",
    ] {
        assert_eq!(normalize_thumbprint(typed).unwrap(), upper, "{typed:?}");
    }
    let short = normalize_thumbprint("F8813914053FBFB5D84F1EFA9EDB3205621C112").unwrap_err();
    insta::assert_snapshot!(short, @"invalid value for certificate thumbprint: 'F8813914053FBFB5D84F1EFA9EDB3205621C112' is not a certificate thumbprint: expected 40 hexadecimal digits (the SHA-1 of the certificate; spaces and colons are ignored)");
    let not_hex = normalize_thumbprint("G8813914053FBFB5D84F1EFA9EDB3205621C1126").unwrap_err();
    assert!(
        matches!(not_hex, Error::InvalidParameter { ref parameter, .. } if parameter == "certificate thumbprint")
    );
    assert!(normalize_thumbprint("").is_err());
    assert!(normalize_thumbprint("F8-81-39-14-05-3F-BF-B5-D8-4F-1E-FA-9E-DB-32-05-62-1C-11-26").is_err());
}

// ---------------------------------------------------------------------------------------------------
// PFX

#[test]
fn a_pfx_with_a_password_loads_with_its_chain_leaf_first() {
    let (leaf, ca) = made_with_ca();
    let password = Password::new("pfx-pass");
    // the CA first in the file: the leaf is still the certificate the key belongs to
    let bytes = pfx(&[&leaf, &ca], Some(&leaf), "pfx-pass", false);
    let certificate = Certificate::from_pkcs12_der(&bytes, Some(&password), "app.pfx").unwrap();
    assert_eq!(certificate.der(), leaf.der.as_slice());
    assert_eq!(certificate.chain(), std::slice::from_ref(&ca.der));
    assert_eq!(certificate.thumbprint(), leaf.thumbprint());
    assert_eq!(certificate.subject(), "CN=leaf");
    assert_eq!(certificate.issuer(), "CN=Test CA");
    assert_eq!(certificate.not_before(), from_epoch_seconds(NOW - DAY));
    assert_eq!(certificate.not_after(), from_epoch_seconds(NOW + 30 * DAY));
    assert_eq!(certificate.key_type(), "RSA 2048");
    assert_eq!(certificate.origin(), "app.pfx");
    assert!(certificate.is_valid_at(now()));
    assert!(!certificate.is_valid_at(from_epoch_seconds(NOW + 31 * DAY)));
    assert!(!certificate.is_valid_at(from_epoch_seconds(NOW - 2 * DAY)));
}

#[test]
fn a_legacy_3des_pfx_and_one_without_a_password_load_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("legacy");
    let legacy = write(
        dir.path(),
        "legacy.pfx",
        pfx(&[&app], Some(&app), "old-pass", true),
    );
    let password = Password::new("old-pass");
    let certificate = Certificate::from_pkcs12_file(&legacy, Some(&password)).unwrap();
    assert_eq!(certificate.thumbprint(), app.thumbprint());
    assert_eq!(certificate.origin(), legacy.display().to_string());

    let open = write(dir.path(), "open.pfx", pfx(&[&app], Some(&app), "", false));
    let certificate = Certificate::from_pkcs12_file(&open, None).unwrap();
    assert_eq!(certificate.thumbprint(), app.thumbprint());
    let empty = Password::new("");
    let certificate = Certificate::from_pkcs12_file(&open, Some(&empty)).unwrap();
    assert_eq!(certificate.subject(), "CN=legacy");
}

#[test]
fn a_pfx_sealed_with_the_null_password_as_dotnet_writes_it_loads_without_a_password() {
    let app = made("dotnet");
    let bytes = dotnet_pfx(&app);
    // p12-keystore alone cannot open it: the fallback is what reads it
    assert!(p12_keystore::Pkcs12Archive::from_pkcs12(&bytes, "").is_err());
    let certificate = Certificate::from_pkcs12_der(&bytes, None, "store.pfx").unwrap();
    assert_eq!(certificate.thumbprint(), app.thumbprint());
    assert_eq!(certificate.subject(), "CN=dotnet");
    // and it still signs
    let credential = CertificateCredential::new(certificate);
    let assertion = credential.sign(AUDIENCE, &client(), now()).unwrap();
    verify(assertion.secret(), &app.der);
    // a password given is a password: the null password is only tried without one
    let error = Certificate::from_pkcs12_der(&bytes, Some(&Password::new("x")), "store.pfx").unwrap_err();
    insta::assert_snapshot!(error, @"store.pfx: wrong password for the PFX file");
}

#[test]
fn a_wrong_or_missing_pfx_password_is_reported_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("app");
    let path = write(dir.path(), "app.pfx", pfx(&[&app], Some(&app), "right", false));
    let wrong = Certificate::from_pkcs12_file(&path, Some(&Password::new("wrong"))).unwrap_err();
    assert!(matches!(wrong, Error::CertificatePassword { given: true, .. }));
    insta::assert_snapshot!(tidy(&wrong, dir.path()), @"[tmp]/app.pfx: wrong password for the PFX file");
    let missing = Certificate::from_pkcs12_file(&path, None).unwrap_err();
    insta::assert_snapshot!(tidy(&missing, dir.path()), @"[tmp]/app.pfx: wrong password for the PFX file (no password was given: pass the file's password)");
    let legacy = write(dir.path(), "legacy.pfx", pfx(&[&app], Some(&app), "right", true));
    let wrong = Certificate::from_pkcs12_file(&legacy, Some(&Password::new("wrong"))).unwrap_err();
    assert!(matches!(wrong, Error::CertificatePassword { .. }), "{wrong}");
    assert!(
        !wrong.to_string().contains("wrong\""),
        "the password is never echoed"
    );
}

#[test]
fn truncated_and_foreign_files_are_not_pfx_files_and_the_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("app");
    let bytes = pfx(&[&app], Some(&app), "p", false);
    let truncated = write(dir.path(), "truncated.pfx", &bytes[..bytes.len() / 2]);
    let error = Certificate::from_pkcs12_file(&truncated, Some(&Password::new("p"))).unwrap_err();
    insta::assert_snapshot!(tidy(&error, dir.path()), @"[tmp]/truncated.pfx: not a PFX/PKCS#12 file, or the file is truncated");
    let pem = write(dir.path(), "cert.pem", &app.pem);
    let error = Certificate::from_pkcs12_file(&pem, None).unwrap_err();
    insta::assert_snapshot!(tidy(&error, dir.path()), @"[tmp]/cert.pem: not a PFX/PKCS#12 file, or the file is truncated");
    let empty = write(dir.path(), "empty.pfx", b"");
    assert!(Certificate::from_pkcs12_file(&empty, None).is_err());
    let missing = dir.path().join("missing.pfx");
    let error = Certificate::from_pkcs12_file(&missing, None).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(
        tidy(&error, dir.path()).starts_with("reading [tmp]/missing.pfx: "),
        "{error}"
    );
}

#[test]
fn a_pfx_without_a_private_key_says_so() {
    let app = made("public only");
    let bytes = pfx(&[&app], None, "p", false);
    let error = Certificate::from_pkcs12_der(&bytes, Some(&Password::new("p")), "public.pfx").unwrap_err();
    insta::assert_snapshot!(error.to_string().replace(&app.thumbprint(), "[thumbprint]"), @"public.pfx: no private key for the certificate CN=public only ([thumbprint]): a certificate credential needs its key");
}

// ---------------------------------------------------------------------------------------------------
// PEM

#[test]
fn pem_pairs_load_with_pkcs8_or_pkcs1_keys_and_with_the_key_in_the_certificate_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("pem app");
    let cert = write(dir.path(), "app.crt", &app.pem);
    let pkcs8 = write(dir.path(), "app.key", LEAF_KEY);
    let pkcs1 = write(dir.path(), "app.rsa.key", LEAF_KEY_PKCS1);
    let both = write(dir.path(), "both.pem", format!("{}{}", app.pem, LEAF_KEY_PKCS1));
    for (cert_path, key_path) in [(&cert, &pkcs8), (&cert, &pkcs1), (&both, &both)] {
        let certificate = Certificate::from_pem_files(cert_path, key_path).unwrap();
        assert_eq!(certificate.thumbprint(), app.thumbprint(), "{key_path:?}");
        let assertion = CertificateCredential::new(certificate)
            .sign(AUDIENCE, &client(), now())
            .unwrap();
        verify(assertion.secret(), &app.der);
    }
    // a key file without a key: the certificate file's key is used
    let empty_key = write(dir.path(), "empty.key", "");
    let certificate = Certificate::from_pem_files(&both, &empty_key).unwrap();
    assert_eq!(certificate.subject(), "CN=pem app");
}

#[test]
fn a_pem_chain_keeps_the_leaf_first() {
    let (leaf, ca) = made_with_ca();
    let certificate = Certificate::from_pem(&format!("{}{}", leaf.pem, ca.pem), LEAF_KEY, "bundle").unwrap();
    assert_eq!(certificate.der(), leaf.der.as_slice());
    assert_eq!(certificate.chain(), std::slice::from_ref(&ca.der));
}

#[test]
fn an_ec_p256_certificate_loads_and_signs_es256() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let app = made_with(
        key,
        &[(rcgen::DnType::CommonName, "ec app")],
        NOW - DAY,
        NOW + DAY,
    );
    let certificate = Certificate::from_pem(&app.pem, &app.key_pem, "ec.pem").unwrap();
    assert_eq!(certificate.key_type(), "EC P-256");
    let credential = CertificateCredential::new(certificate);
    let assertion = credential.sign(AUDIENCE, &client(), now()).unwrap();
    let (header, _) = verify(assertion.secret(), &app.der);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["x5t#S256"], b64url_digest(&ring::digest::SHA256, &app.der));
    // RSA algorithms do not fit an EC key: a clear error, not a panic
    let error = CertificateCredential::new(Certificate::from_pem(&app.pem, &app.key_pem, "ec.pem").unwrap())
        .algorithm(SigningAlgorithm::Rs256)
        .sign(AUDIENCE, &client(), now())
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for algorithm: the certificate CN=ec app has an EC P-256 key, which cannot sign RS256 (RSA signs PS256 or RS256, EC P-256 signs ES256)");
}

#[test]
fn pem_errors_name_the_file_and_what_is_wrong() {
    let app = made("app");
    let other = made_with(
        rsa(CA_KEY),
        &[(rcgen::DnType::CommonName, "other")],
        NOW,
        NOW + DAY,
    );
    let mut errors = vec![
        Certificate::from_pem(&app.pem, "", "only-cert.pem").unwrap_err(),
        Certificate::from_pem(LEAF_KEY, LEAF_KEY, "only-key.pem").unwrap_err(),
        Certificate::from_pem(&app.pem, &other.key_pem, "mismatch.pem").unwrap_err(),
        Certificate::from_pem(
            &app.pem,
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
            "garbled.pem",
        )
        .unwrap_err(),
        Certificate::from_pem(
            &app.pem,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "encrypted.pem",
        )
        .unwrap_err(),
        Certificate::from_pem(
            &app.pem,
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
            "sec1.pem",
        )
        .unwrap_err(),
    ];
    // a PKCS#1 key of another certificate is a mismatch too
    let pkcs1_other = Certificate::from_pem(&other.pem, LEAF_KEY_PKCS1, "pkcs1-mismatch.pem").unwrap_err();
    errors.push(pkcs1_other);
    let text: Vec<String> = errors
        .iter()
        .map(|e| e.to_string().replace(&app.thumbprint(), "[thumbprint]"))
        .collect();
    insta::assert_snapshot!(text.join("\n"), @r"
    only-cert.pem: no private key for the certificate CN=app ([thumbprint]): a certificate credential needs its key
    only-key.pem: no certificate in it (expected a -----BEGIN CERTIFICATE----- block)
    mismatch.pem: the private key does not belong to the certificate CN=app
    garbled.pem: not valid PEM: invalid data: Invalid symbol 33, offset 9.
    encrypted.pem: the private key is encrypted, which PEM loading does not support: decrypt it (openssl pkcs8 -in key.pem -out plain.pem) or use a password-protected PFX file
    sec1.pem: EC PRIVATE KEY (SEC1) keys are not supported: convert the key to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem)
    pkcs1-mismatch.pem: the private key does not belong to the certificate CN=other
    ");
}

#[test]
fn an_ed25519_certificate_is_an_unsupported_key_type() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let app = made_with(key, &[(rcgen::DnType::CommonName, "edwards")], NOW, NOW + DAY);
    let error = Certificate::from_pem(&app.pem, &app.key_pem, "ed.pem").unwrap_err();
    insta::assert_snapshot!(error, @"ed.pem: unsupported key type: the certificate CN=edwards has a key of type Ed25519; client assertions are signed with RSA keys (or EC P-256)");
    let bytes = pfx(&[&app], Some(&app), "p", false);
    let error = Certificate::from_pkcs12_der(&bytes, Some(&Password::new("p")), "ed.pfx").unwrap_err();
    assert!(
        error.to_string().starts_with("ed.pfx: unsupported key type"),
        "{error}"
    );
}

#[test]
fn a_pem_file_that_is_not_text_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("app");
    let der = write(dir.path(), "app.cer", &app.der);
    let key = write(dir.path(), "app.key", LEAF_KEY);
    let error = Certificate::from_pem_files(&der, &key).unwrap_err();
    assert!(matches!(error, Error::InvalidFile { .. }));
    insta::assert_snapshot!(tidy(&error, dir.path()), @"[tmp]/app.cer: not a PEM file (it is not text; a binary certificate is a .pfx or DER file)");
}

#[test]
fn the_private_key_never_shows_in_debug() {
    let app = made("debug me");
    let certificate = Certificate::from_pem(&app.pem, LEAF_KEY, "app.pem").unwrap();
    let credential = CertificateCredential::new(certificate.clone());
    let printed = format!("{certificate:?}\n{credential:?}");
    let key_body: String = LEAF_KEY.lines().nth(1).unwrap().to_owned();
    assert!(!printed.contains(&key_body[..20]));
    insta::assert_snapshot!(printed.replace(&app.thumbprint(), "[thumbprint]"), @r#"
    Certificate { subject: "CN=debug me", thumbprint: "[thumbprint]", not_before: 1795255200, not_after: 1826877600, chain: 0, key: RSA 2048 [redacted], origin: "app.pem" }
    CertificateCredential { certificate: Certificate { subject: "CN=debug me", thumbprint: "[thumbprint]", not_before: 1795255200, not_after: 1826877600, chain: 0, key: RSA 2048 [redacted], origin: "app.pem" }, algorithm: Ps256, send_x5c: false, reuse: true, .. }
    "#);
}

#[test]
fn subjects_print_as_dotnet_does_most_specific_first() {
    use rcgen::DnType;
    let app = made_with(
        rsa(LEAF_KEY),
        &[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "Contoso, Ltd"),
            (DnType::CommonName, "app"),
        ],
        NOW,
        NOW + DAY,
    );
    let certificate = Certificate::from_pem(&app.pem, LEAF_KEY, "app.pem").unwrap();
    assert_eq!(certificate.subject(), "CN=app, O=\"Contoso, Ltd\", C=US");
}

// ---------------------------------------------------------------------------------------------------
// stores

fn env_with_home(home: &Path) -> EnvVars {
    EnvVars::from_pairs([("HOME", home.display().to_string())])
}

#[cfg(all(unix, not(target_os = "macos")))]
#[test]
fn the_default_stores_are_the_dotnet_store_then_ours_then_the_machines() {
    let env = EnvVars::from_pairs([("HOME", "/home/u")]);
    let dirs: Vec<String> = CertificateStore::new(&env, Some(Path::new("/srv/msconnect/certificates")))
        .dirs()
        .iter()
        .map(|(label, dir)| format!("{label}: {}", dir.display()))
        .collect();
    insta::assert_snapshot!(dirs.join("\n"), @r"
    CurrentUser\My (.NET): /home/u/.dotnet/corefx/cryptography/x509stores/my
    CurrentUser (msconnect): /srv/msconnect/certificates
    LocalMachine (msconnect): /etc/msconnect/certificates
    ");
    // without a folder of the caller's, the .NET store and the machine's
    let without = CertificateStore::new(&env, None);
    assert_eq!(without.dirs().len(), 2, "{without:?}");
    let homeless = CertificateStore::new(&EnvVars::default(), None);
    assert_eq!(homeless.dirs().len(), 1, "only the machine's store: {homeless:?}");
}

#[test]
fn a_thumbprint_is_found_in_the_dotnet_store_layout_in_any_spelling() {
    let home = tempfile::tempdir().unwrap();
    let app = made("imported by powershell");
    let other = made_with(
        rsa(CA_KEY),
        &[(rcgen::DnType::CommonName, "other")],
        NOW,
        NOW + DAY,
    );
    let my = home.path().join(".dotnet/corefx/cryptography/x509stores/my");
    write(&my, &format!("{}.pfx", other.thumbprint()), dotnet_pfx(&other));
    write(&my, &format!("{}.pfx", app.thumbprint()), dotnet_pfx(&app));
    let store = CertificateStore::new(&env_with_home(home.path()), None);
    let typed = app
        .thumbprint()
        .to_lowercase()
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let certificate = store.find_by_thumbprint(&typed).unwrap();
    assert_eq!(certificate.thumbprint(), app.thumbprint());
    assert_eq!(
        certificate.origin(),
        my.join(format!("{}.pfx", app.thumbprint())).display().to_string()
    );
}

#[test]
fn dotnet_collision_slots_and_our_pem_files_are_found_too() {
    let dir = tempfile::tempdir().unwrap();
    let (slot, pem_pair, pem_single) = (made("slot"), made("pem pair"), made("pem single"));
    let user = dir.path().join("user");
    write(&user, &format!("{}.1.pfx", slot.thumbprint()), dotnet_pfx(&slot));
    write(
        &user,
        &format!("{}.pem", pem_pair.thumbprint().to_lowercase()),
        &pem_pair.pem,
    );
    write(
        &user,
        &format!("{}.key", pem_pair.thumbprint().to_lowercase()),
        LEAF_KEY,
    );
    write(
        &user,
        &format!("{}.pem", pem_single.thumbprint()),
        format!("{}{}", pem_single.pem, LEAF_KEY),
    );
    let store = CertificateStore::with_dirs(vec![("user".into(), user.clone())]);
    for made in [&slot, &pem_pair, &pem_single] {
        let certificate = store.find_by_thumbprint(&made.thumbprint()).unwrap();
        assert_eq!(certificate.der(), made.der.as_slice());
    }
}

#[test]
fn the_current_users_stores_come_before_the_machines() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("both");
    let (user, machine) = (dir.path().join("user"), dir.path().join("machine"));
    write(
        &user,
        &format!("{}.pem", app.thumbprint()),
        format!("{}{}", app.pem, LEAF_KEY),
    );
    write(&machine, &format!("{}.pfx", app.thumbprint()), dotnet_pfx(&app));
    let only_machine = made("machine only");
    write(
        &machine,
        &format!("{}.pfx", only_machine.thumbprint()),
        dotnet_pfx(&only_machine),
    );
    let store = CertificateStore::with_dirs(vec![
        ("CurrentUser".into(), user.clone()),
        ("LocalMachine".into(), machine.clone()),
    ]);
    let found = store.find_by_thumbprint(&app.thumbprint()).unwrap();
    assert!(
        found.origin().ends_with(".pem"),
        "the user's copy: {}",
        found.origin()
    );
    let found = store.find_by_thumbprint(&only_machine.thumbprint()).unwrap();
    assert!(found.origin().starts_with(&machine.display().to_string()));
}

#[test]
fn a_thumbprint_not_found_names_it_and_every_store_searched() {
    let home = tempfile::tempdir().unwrap();
    let env = EnvVars::from_pairs([("HOME", home.path().display().to_string())]);
    let ours = home.path().join("ms").join("certificates");
    let error = CertificateStore::new(&env, Some(&ours))
        .find_by_thumbprint("00112233445566778899aabbccddeeff00112233")
        .unwrap_err();
    assert!(matches!(error, Error::CertificateNotFound { ref searched, .. } if searched.len() == 3));
    insta::assert_snapshot!(tidy(&error, home.path()), @r"no certificate with thumbprint 00112233445566778899AABBCCDDEEFF00112233 in CurrentUser\My (.NET) ([tmp]/.dotnet/corefx/cryptography/x509stores/my); CurrentUser (msconnect) ([tmp]/ms/certificates); LocalMachine (msconnect) (/etc/msconnect/certificates)");
    let error = CertificateStore::new(&env, None)
        .find_by_thumbprint("not-one")
        .unwrap_err();
    assert!(matches!(error, Error::InvalidParameter { .. }));
}

#[test]
fn a_damaged_store_file_is_an_error_naming_it_and_a_misnamed_one_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("app");
    let impostor = made_with(
        rsa(CA_KEY),
        &[(rcgen::DnType::CommonName, "impostor")],
        NOW,
        NOW + DAY,
    );
    write(
        dir.path(),
        &format!("{}.pfx", app.thumbprint()),
        dotnet_pfx(&impostor),
    );
    let store = CertificateStore::with_dirs(vec![("user".into(), dir.path().to_path_buf())]);
    let error = store.find_by_thumbprint(&app.thumbprint()).unwrap_err();
    assert!(matches!(error, Error::CertificateNotFound { .. }), "{error}");
    write(dir.path(), &format!("{}.pfx", app.thumbprint()), b"not a pfx");
    let error = store.find_by_thumbprint(&app.thumbprint()).unwrap_err();
    insta::assert_snapshot!(tidy(&error, dir.path()).replace(&app.thumbprint(), "[thumbprint]"), @"[tmp]/[thumbprint].pfx: not a PFX/PKCS#12 file, or the file is truncated");
}

#[test]
fn by_subject_the_newest_valid_certificate_with_a_key_wins() {
    let dir = tempfile::tempdir().unwrap();
    let (user, machine) = (dir.path().join("user"), dir.path().join("machine"));
    let cn = [(rcgen::DnType::CommonName, "app")];
    let older = made_with(rsa(LEAF_KEY), &cn, NOW - 300 * DAY, NOW + 65 * DAY);
    let newer = made_with(rsa(LEAF_KEY), &cn, NOW - 10 * DAY, NOW + 355 * DAY);
    // the original took the latest expiry: this one expires last but started earlier
    let longest = made_with(rsa(LEAF_KEY), &cn, NOW - 200 * DAY, NOW + 900 * DAY);
    let expired = made_with(rsa(LEAF_KEY), &cn, NOW - 2 * DAY, NOW - DAY);
    let future = made_with(rsa(LEAF_KEY), &cn, NOW + DAY, NOW + 400 * DAY);
    let keyless = made_with(rsa(LEAF_KEY), &cn, NOW - DAY, NOW + 400 * DAY);
    let unrelated = made_with(
        rsa(LEAF_KEY),
        &[(rcgen::DnType::CommonName, "other")],
        NOW - DAY,
        NOW + DAY,
    );
    for (dir, made) in [
        (&user, &older),
        (&machine, &newer),
        (&user, &longest),
        (&user, &expired),
        (&machine, &future),
        (&user, &unrelated),
    ] {
        write(dir, &format!("{}.pfx", made.thumbprint()), dotnet_pfx(made));
    }
    write(&user, &format!("{}.pem", keyless.thumbprint()), &keyless.pem);
    write(&user, "notes.txt", "ignored");
    let store = CertificateStore::with_dirs(vec![("user".into(), user), ("machine".into(), machine)]);
    for query in ["app", "CN=app", "cn = APP"] {
        let found = store.find_by_subject(query, now()).unwrap();
        assert_eq!(found.thumbprint(), newer.thumbprint(), "{query}");
    }
    // a year on, only the longest-lived is still valid
    let later = store
        .find_by_subject("app", from_epoch_seconds(NOW + 500 * DAY))
        .unwrap();
    assert_eq!(later.thumbprint(), longest.thumbprint());
    let error = store
        .find_by_subject("app", from_epoch_seconds(NOW + 1000 * DAY))
        .unwrap_err();
    insta::assert_snapshot!(tidy(&error, dir.path()), @"no certificate with subject 'app' in user ([tmp]/user); machine ([tmp]/machine) (matching but skipped: 5 expired or not yet valid at 1881741600, 1 without a private key)");
}

#[test]
fn a_distinguished_name_matches_in_either_order_and_only_whole() {
    use rcgen::DnType;
    let dir = tempfile::tempdir().unwrap();
    let app = made_with(
        rsa(LEAF_KEY),
        &[
            (DnType::CountryName, "US"),
            (DnType::OrganizationName, "Contoso"),
            (DnType::CommonName, "app"),
        ],
        NOW - DAY,
        NOW + DAY,
    );
    write(dir.path(), &format!("{}.pfx", app.thumbprint()), dotnet_pfx(&app));
    let store = CertificateStore::with_dirs(vec![("user".into(), dir.path().to_path_buf())]);
    for query in [
        "CN=app, O=Contoso, C=US",
        "C=US,O=Contoso,CN=app",
        "cn=APP; o=\"Contoso\"; c=us",
        "app",
    ] {
        assert_eq!(
            store.find_by_subject(query, now()).unwrap().thumbprint(),
            app.thumbprint(),
            "{query}"
        );
    }
    for query in ["CN=app, O=Fabrikam, C=US", "CN=app, O=Contoso", "CN=ap"] {
        assert!(store.find_by_subject(query, now()).is_err(), "{query}");
    }
    let error = store.find_by_subject("  ", now()).unwrap_err();
    assert!(matches!(error, Error::InvalidParameter { .. }));
}

// ---------------------------------------------------------------------------------------------------
// assertions

fn credential(made: &Made) -> CertificateCredential {
    CertificateCredential::new(Certificate::from_pem(&made.pem, LEAF_KEY, "app.pem").unwrap())
}

#[test]
fn the_default_assertion_is_ps256_with_a_sha256_thumbprint_and_every_claim() {
    let app = made("app");
    let assertion = credential(&app).sign(AUDIENCE, &client(), now()).unwrap();
    let (header, claims) = verify(assertion.secret(), &app.der);
    let mut expected = serde_json::json!({ "alg": "PS256", "typ": "JWT" });
    expected["x5t#S256"] = b64url_digest(&ring::digest::SHA256, &app.der).into();
    assert_eq!(header, expected, "no x5t, no x5c");
    insta::assert_snapshot!(claims_without_jti(claims), @r#"
    {
      "aud": "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
      "iss": "11111111-2222-3333-4444-555555555555",
      "sub": "11111111-2222-3333-4444-555555555555",
      "jti": "[guid]",
      "nbf": 1795341600,
      "iat": 1795341600,
      "exp": 1795342200
    }
    "#);
}

#[test]
fn rs256_on_request_carries_the_sha1_thumbprint_and_x5c_the_chain_leaf_first() {
    let (leaf, ca) = made_with_ca();
    let bytes = pfx(&[&leaf, &ca], Some(&leaf), "p", false);
    let certificate = Certificate::from_pkcs12_der(&bytes, Some(&Password::new("p")), "chain.pfx").unwrap();
    let credential = CertificateCredential::new(certificate)
        .algorithm(SigningAlgorithm::Rs256)
        .send_x5c(true);
    let assertion = credential.sign(AUDIENCE, &client(), now()).unwrap();
    let (header, claims) = verify(assertion.secret(), &leaf.der);
    let standard = base64::engine::general_purpose::STANDARD;
    let mut expected = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
    expected["x5t"] = b64url_digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &leaf.der).into();
    expected["x5c"] = serde_json::json!([standard.encode(&leaf.der), standard.encode(&ca.der)]);
    assert_eq!(header, expected);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["exp"], NOW + 600);
}

#[test]
fn a_pkcs1_key_signs_both_rsa_algorithms() {
    let app = made("pkcs1");
    for algorithm in [SigningAlgorithm::Ps256, SigningAlgorithm::Rs256] {
        let certificate = Certificate::from_pem(&app.pem, LEAF_KEY_PKCS1, "pkcs1.pem").unwrap();
        let assertion = CertificateCredential::new(certificate)
            .algorithm(algorithm)
            .sign(AUDIENCE, &client(), now())
            .unwrap();
        let (header, _) = verify(assertion.secret(), &app.der);
        assert_eq!(header["alg"], algorithm.as_str());
    }
    let error =
        CertificateCredential::new(Certificate::from_pem(&app.pem, LEAF_KEY_PKCS1, "pkcs1.pem").unwrap())
            .algorithm(SigningAlgorithm::Es256)
            .sign(AUDIENCE, &client(), now())
            .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("RSA 2048 key, which cannot sign ES256"),
        "{error}"
    );
}

#[test]
fn an_assertion_is_reused_until_a_minute_before_it_expires_and_never_across_audiences() {
    let app = made("app");
    let credential = credential(&app);
    let at = |offset: i64| from_epoch_seconds(NOW + offset);
    let first = credential.assertion(AUDIENCE, &client(), at(0)).unwrap();
    let again = credential.assertion(AUDIENCE, &client(), at(539)).unwrap();
    assert_eq!(
        first.secret(),
        again.secret(),
        "reused within its life less a minute"
    );
    let renewed = credential.assertion(AUDIENCE, &client(), at(540)).unwrap();
    assert_ne!(
        first.secret(),
        renewed.secret(),
        "a minute before expiry: a new one"
    );
    let (_, claims) = verify(renewed.secret(), &app.der);
    assert_eq!(claims["nbf"], NOW + 540);

    let other_audience = credential
        .assertion(
            "https://login.microsoftonline.com/fabrikam.com/oauth2/v2.0/token",
            &client(),
            at(541),
        )
        .unwrap();
    assert_ne!(other_audience.secret(), renewed.secret());
    let other_client = ClientId::parse("99999999-2222-3333-4444-555555555555").unwrap();
    let (_, claims) = verify(
        credential
            .assertion(AUDIENCE, &other_client, at(542))
            .unwrap()
            .secret(),
        &app.der,
    );
    assert_eq!(claims["iss"], "99999999-2222-3333-4444-555555555555");
    // a clock set back before the assertion's nbf gets a new one too
    let before = credential.assertion(AUDIENCE, &client(), at(-100)).unwrap();
    let (_, claims) = verify(before.secret(), &app.der);
    assert_eq!(claims["nbf"], NOW - 100);

    let fresh = credential.reuse_assertions(false);
    let a = fresh.assertion(AUDIENCE, &client(), at(0)).unwrap();
    let b = fresh.assertion(AUDIENCE, &client(), at(0)).unwrap();
    assert_ne!(a.secret(), b.secret(), "a fresh one per request when asked");
}

/// Captures what `tracing` prints while `f` runs.
fn traced<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (result, text)
}

#[test]
fn an_expired_certificate_still_signs_with_a_warning() {
    let expired = made_with(
        rsa(LEAF_KEY),
        &[(rcgen::DnType::CommonName, "expired")],
        NOW - 400 * DAY,
        NOW - 35 * DAY,
    );
    let credential = credential(&expired);
    let (assertion, log) = traced(|| credential.sign(AUDIENCE, &client(), now()));
    verify(assertion.unwrap().secret(), &expired.der);
    assert!(log.contains("WARN"), "{log}");
    assert!(
        log.contains("the certificate is outside its validity period; signing anyway, the authority decides"),
        "{log}"
    );
    assert!(log.contains("subject=CN=expired"), "{log}");
    let (_, quiet) =
        traced(|| crate::cert::tests::credential(&made("fine")).sign(AUDIENCE, &client(), now()));
    assert!(!quiet.contains("WARN"), "{quiet}");
}

// ---------------------------------------------------------------------------------------------------
// end to end against a mock authority

fn authority(server: &mockito::Server) -> Authority {
    Authority::new(
        &Url::parse(&server.url()).unwrap(),
        &Tenant::parse("contoso.com").unwrap(),
    )
    .unwrap()
}

/// A token endpoint that checks the fixed form fields and keeps the body for the assertion to be checked.
async fn token_endpoint(
    server: &mut mockito::Server,
    fields: &[(&str, &str)],
    response: Value,
) -> (mockito::Mock, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let mut matchers: Vec<Matcher> = fields
        .iter()
        .map(|(k, v)| Matcher::UrlEncoded((*k).into(), (*v).into()))
        .collect();
    matchers.push(Matcher::UrlEncoded(
        "client_assertion_type".into(),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
    ));
    matchers.push(Matcher::Regex(
        "client_assertion=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+".into(),
    ));
    let mock = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(matchers))
        .match_request(move |request| {
            kept.lock()
                .unwrap()
                .push(request.utf8_lossy_body().unwrap().into_owned());
            true
        })
        .with_body(response.to_string())
        .expect(1)
        .create_async()
        .await;
    (mock, bodies)
}

/// The `client_assertion` of a captured form body.
fn sent_assertion(bodies: &Arc<Mutex<Vec<String>>>) -> String {
    let bodies = bodies.lock().unwrap();
    let body = bodies.last().expect("a request was made");
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "client_assertion")
        .map(|(_, v)| v.into_owned())
        .expect("client_assertion was sent")
}

async fn client_credentials_with(certificate: Certificate, made: &Made) {
    let mut server = mockito::Server::new_async().await;
    let audience = format!("{}/contoso.com/oauth2/v2.0/token", server.url());
    let (mock, bodies) = token_endpoint(
        &mut server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_info", "1"),
        ],
        app_token_response("app-token"),
    )
    .await;
    let (http, _) = http_client();
    let credential = ClientCredential::Assertion(Arc::new(CertificateCredential::new(certificate)));
    let a = authority(&server);
    let token = ClientCredentials::new(&a, &client(), &credential)
        .scopes(["https://graph.microsoft.com/.default"])
        .send(&http)
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "app-token");
    mock.assert_async().await;
    let (header, claims) = verify(&sent_assertion(&bodies), &made.der);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(
        header["x5t#S256"],
        b64url_digest(&ring::digest::SHA256, &made.der)
    );
    assert_eq!(claims["aud"], audience.as_str());
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["sub"], CLIENT);
    assert_eq!(claims["nbf"], NOW);
    assert_eq!(claims["exp"], NOW + 600);
}

#[tokio::test]
async fn client_credentials_with_a_certificate_found_by_thumbprint_in_the_dotnet_store() {
    let home = tempfile::tempdir().unwrap();
    let app = made("service principal");
    write(
        &home.path().join(".dotnet/corefx/cryptography/x509stores/my"),
        &format!("{}.pfx", app.thumbprint()),
        dotnet_pfx(&app),
    );
    let store = CertificateStore::new(&env_with_home(home.path()), None);
    let certificate = store
        .find_by_thumbprint(&app.thumbprint().to_lowercase())
        .unwrap();
    client_credentials_with(certificate, &app).await;
}

#[tokio::test]
async fn client_credentials_with_a_pfx_file() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("pfx app");
    let path = write(dir.path(), "app.pfx", pfx(&[&app], Some(&app), "secret", false));
    let certificate = Certificate::from_pkcs12_file(&path, Some(&Password::new("secret"))).unwrap();
    client_credentials_with(certificate, &app).await;
}

#[tokio::test]
async fn client_credentials_with_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let app = made("pem app");
    let cert = write(dir.path(), "app.crt", &app.pem);
    let key = write(dir.path(), "app.key", LEAF_KEY);
    let certificate = Certificate::from_pem_files(&cert, &key).unwrap();
    client_credentials_with(certificate, &app).await;
}

#[tokio::test]
async fn a_confidential_refresh_token_redemption_signs_with_the_certificate() {
    let mut server = mockito::Server::new_async().await;
    let (mock, bodies) = token_endpoint(
        &mut server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "web-app-rt"),
            ("client_id", CLIENT),
        ],
        user_token_response("AT", "RT2", "oid", "tid", "u@contoso.com", "User.Read"),
    )
    .await;
    let (http, _) = http_client();
    let app = made("web app");
    let credential = ClientCredential::from(credential(&app).algorithm(SigningAlgorithm::Rs256));
    let refresh_token = RefreshToken::new("web-app-rt");
    let a = authority(&server);
    let token = RefreshTokenGrant::new(&a, &client(), &refresh_token)
        .scopes(["User.Read"])
        .credential(Some(&credential))
        .send(&http)
        .await
        .unwrap();
    assert_eq!(token.access_token.secret(), "AT");
    mock.assert_async().await;
    let (header, claims) = verify(&sent_assertion(&bodies), &app.der);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims["aud"],
        format!("{}/contoso.com/oauth2/v2.0/token", server.url())
    );
}
