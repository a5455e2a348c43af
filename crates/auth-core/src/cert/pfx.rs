//! Reading PFX/PKCS#12 files into certificates and private keys. p12-keystore does the work; the one case
//! it cannot open is a file sealed with the *null* password, which is what .NET writes when it exports
//! without a password (its certificate stores on Linux, `X509Certificate2.Export(Pkcs12)`): RFC 7292
//! derives keys from an empty byte string there, where an empty password is a two-byte terminator. That
//! case is read here with the same building blocks.

use der::asn1::{ContextSpecific, OctetString};
use der::{Any, Decode, Encode};
use pkcs12::cms::content_info::ContentInfo;
use pkcs12::cms::encrypted_data::EncryptedData;
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::pfx::Pfx;
use pkcs12::{MacData, SafeBag};
use zeroize::Zeroizing;

use super::problem;
use crate::error::{Error, Result};

/// The certificates and private keys of a PFX file, as stored.
pub(crate) struct Bags {
    pub(crate) keys: Vec<KeyBag>,
    pub(crate) certs: Vec<CertBag>,
}

/// A private key (PKCS#8 DER) and the local key id tying it to its certificate.
pub(crate) struct KeyBag {
    pub(crate) local_key_id: Option<Vec<u8>>,
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
}

/// A certificate (DER) and its local key id.
pub(crate) struct CertBag {
    pub(crate) local_key_id: Option<Vec<u8>>,
    pub(crate) der: Vec<u8>,
}

/// Opens a PFX file with `password`; without one (or with an empty one), with the empty password and then
/// the null password.
pub(crate) fn read(data: &[u8], password: Option<&str>, origin: &str) -> Result<Bags> {
    // the structure first, so a truncated file or another format says so instead of "wrong password"
    if Pfx::from_der(data).is_err() {
        return Err(problem(
            origin,
            "not a PFX/PKCS#12 file, or the file is truncated",
        ));
    }
    let password = password.unwrap_or("");
    match p12_keystore::Pkcs12Archive::from_pkcs12(data, password) {
        Ok(archive) => Ok(from_archive(archive)),
        Err(error) => {
            if password.is_empty()
                && let Ok(bags) = read_with_null_password(data)
            {
                return Ok(bags);
            }
            Err(explain(error, origin, !password.is_empty()))
        }
    }
}

fn from_archive(archive: p12_keystore::Pkcs12Archive) -> Bags {
    Bags {
        keys: archive
            .keys
            .into_iter()
            .map(|bag| KeyBag {
                local_key_id: bag.local_key_id.map(|id| id.0),
                pkcs8: Zeroizing::new(bag.key.as_der().to_vec()),
            })
            .collect(),
        certs: archive
            .certs
            .into_iter()
            .map(|bag| CertBag {
                local_key_id: bag.local_key_id,
                der: bag.cert.as_der().to_vec(),
            })
            .collect(),
    }
}

fn explain(error: p12_keystore::error::Error, origin: &str, given: bool) -> Error {
    use p12_keystore::error::Error as P12;
    match error {
        // without a MAC a wrong password shows as bad padding or a garbled key
        P12::MacError(_) | P12::UnpadError | P12::Pkcs5Error(_) | P12::InvalidPrivateKey => {
            Error::CertificatePassword {
                origin: origin.to_owned(),
                given,
            }
        }
        P12::UnsupportedEncryptionScheme
        | P12::UnsupportedMacAlgorithm
        | P12::UnsupportedContentType
        | P12::UnsupportedCertificateType => problem(
            origin,
            format!("the PFX file uses something this program cannot read ({error})"),
        ),
        other => problem(
            origin,
            format!("the PFX file is damaged, or its password is wrong ({other})"),
        ),
    }
}

// Limits on work an untrusted file can ask for, as p12-keystore sets them.
const MAX_ITERATIONS: i32 = 1_000_000;

const ID_DATA: &str = "1.2.840.113549.1.7.1";
const ID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const ID_PBES2: &str = "1.2.840.113549.1.5.13";
const ID_LOCAL_KEY_ID: &str = "1.2.840.113549.1.9.21";

/// Reads a PFX whose MAC and encryption use the null password (an empty byte string in the PKCS#12 KDF;
/// PBES2 takes the same empty bytes as an empty password).
fn read_with_null_password(data: &[u8]) -> std::result::Result<Bags, String> {
    let pfx = Pfx::from_der(data).map_err(|e| e.to_string())?;
    if pfx.auth_safe.content_type.to_string() != ID_DATA {
        return Err("the content is not data".into());
    }
    let auth_safe = octets(&pfx.auth_safe.content)?;
    if let Some(mac) = &pfx.mac_data {
        verify_mac(mac, &auth_safe)?;
    }
    let safes = Vec::<ContentInfo>::from_der(&auth_safe).map_err(|e: der::Error| e.to_string())?;
    let mut bags = Bags {
        keys: Vec::new(),
        certs: Vec::new(),
    };
    for safe in safes {
        let contents = match safe.content_type.to_string().as_str() {
            ID_DATA => Zeroizing::new(octets(&safe.content)?),
            ID_ENCRYPTED_DATA => {
                let encrypted = EncryptedData::from_der(&safe.content.to_der().map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                let info = encrypted.enc_content_info;
                let Some(ciphertext) = info.encrypted_content else {
                    continue;
                };
                decrypt(&info.content_enc_alg, ciphertext.as_bytes())?
            }
            _ => continue,
        };
        let safe_bags = Vec::<SafeBag>::from_der(&contents).map_err(|e: der::Error| e.to_string())?;
        for bag in safe_bags {
            read_bag(&bag, &mut bags)?;
        }
    }
    Ok(bags)
}

fn read_bag(bag: &SafeBag, bags: &mut Bags) -> std::result::Result<(), String> {
    let local_key_id = bag.bag_attributes.as_ref().and_then(|attributes| {
        attributes
            .iter()
            .find(|a| a.oid.to_string() == ID_LOCAL_KEY_ID)
            .and_then(|a| a.values.iter().next())
            .map(|value| value.value().to_vec())
    });
    if bag.bag_id == pkcs12::PKCS_12_CERT_BAG_OID {
        let cert = ContextSpecific::<pkcs12::CertBag>::from_der(&bag.bag_value).map_err(|e| e.to_string())?;
        if cert.value.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
            bags.certs.push(CertBag {
                local_key_id,
                der: cert.value.cert_value.as_bytes().to_vec(),
            });
        }
    } else if bag.bag_id == pkcs12::PKCS_12_PKCS8_KEY_BAG_OID {
        let shrouded = ContextSpecific::<EncryptedPrivateKeyInfo>::from_der(&bag.bag_value)
            .map_err(|e| e.to_string())?;
        let pkcs8 = decrypt(
            &shrouded.value.encryption_algorithm,
            shrouded.value.encrypted_data.as_bytes(),
        )?;
        bags.keys.push(KeyBag { local_key_id, pkcs8 });
    } else if bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID {
        let plain = ContextSpecific::<Any>::from_der(&bag.bag_value).map_err(|e| e.to_string())?;
        let pkcs8 = Zeroizing::new(plain.value.to_der().map_err(|e| e.to_string())?);
        bags.keys.push(KeyBag { local_key_id, pkcs8 });
    }
    Ok(())
}

/// The contents of an OCTET STRING held in an `Any`.
fn octets(any: &Any) -> std::result::Result<Vec<u8>, String> {
    let der = any.to_der().map_err(|e| e.to_string())?;
    Ok(OctetString::from_der(&der)
        .map_err(|e| e.to_string())?
        .into_bytes()
        .into_vec())
}

fn verify_mac(mac: &MacData, data: &[u8]) -> std::result::Result<(), String> {
    if !(1..=MAX_ITERATIONS).contains(&mac.iterations) {
        return Err("too many MAC iterations".into());
    }
    let salt = mac.mac_salt.as_bytes();
    let id = pkcs12::kdf::Pkcs12KeyType::Mac;
    let (algorithm, key) = match mac.mac.algorithm.oid.to_string().as_str() {
        "1.3.14.3.2.26" => (
            ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            pkcs12::kdf::derive_key::<sha1::Sha1>(&[], salt, id, mac.iterations, 20),
        ),
        "2.16.840.1.101.3.4.2.1" => (
            ring::hmac::HMAC_SHA256,
            pkcs12::kdf::derive_key::<sha2::Sha256>(&[], salt, id, mac.iterations, 32),
        ),
        "2.16.840.1.101.3.4.2.2" => (
            ring::hmac::HMAC_SHA384,
            pkcs12::kdf::derive_key::<sha2::Sha384>(&[], salt, id, mac.iterations, 48),
        ),
        "2.16.840.1.101.3.4.2.3" => (
            ring::hmac::HMAC_SHA512,
            pkcs12::kdf::derive_key::<sha2::Sha512>(&[], salt, id, mac.iterations, 64),
        ),
        other => return Err(format!("unsupported MAC digest {other}")),
    };
    let key = Zeroizing::new(key);
    ring::hmac::verify(
        &ring::hmac::Key::new(algorithm, &key),
        data,
        mac.mac.digest.as_bytes(),
    )
    .map_err(|_| "the MAC does not match".to_owned())
}

fn decrypt(
    algorithm: &pkcs12::cms::cert::x509::spki::AlgorithmIdentifierOwned,
    ciphertext: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, String> {
    let parameters = algorithm
        .parameters
        .as_ref()
        .ok_or("no encryption parameters")?
        .to_der()
        .map_err(|e| e.to_string())?;
    if algorithm.oid == pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC {
        use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
        let parameters = Pkcs12PbeParams::from_der(&parameters).map_err(|e| e.to_string())?;
        if !(1..=MAX_ITERATIONS).contains(&parameters.iterations) {
            return Err("too many encryption iterations".into());
        }
        let salt = parameters.salt.as_bytes();
        let key = Zeroizing::new(pkcs12::kdf::derive_key::<sha1::Sha1>(
            &[],
            salt,
            pkcs12::kdf::Pkcs12KeyType::EncryptionKey,
            parameters.iterations,
            24,
        ));
        let iv = pkcs12::kdf::derive_key::<sha1::Sha1>(
            &[],
            salt,
            pkcs12::kdf::Pkcs12KeyType::Iv,
            parameters.iterations,
            8,
        );
        let cipher =
            cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv).map_err(|e| e.to_string())?;
        cipher
            .decrypt_padded_vec::<Pkcs7>(ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| "the decrypted content is not padded: wrong password".to_owned())
    } else if algorithm.oid.to_string() == ID_PBES2 {
        let parameters = pkcs5::pbes2::Parameters::from_der(&parameters).map_err(|e| e.to_string())?;
        if let pkcs5::pbes2::Kdf::Pbkdf2(pbkdf2) = &parameters.kdf
            && pbkdf2.iteration_count > MAX_ITERATIONS as u32
        {
            return Err("too many encryption iterations".into());
        }
        if !matches!(parameters.kdf, pkcs5::pbes2::Kdf::Pbkdf2(_)) {
            return Err("only PBKDF2 is read for the null password".into());
        }
        parameters
            .decrypt(b"", ciphertext)
            .map(Zeroizing::new)
            .map_err(|e| e.to_string())
    } else {
        Err(format!("unsupported encryption {}", algorithm.oid))
    }
}
