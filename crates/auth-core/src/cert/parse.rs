//! Loading a [`Certificate`] (feature `certificates`): PFX/PKCS#12 and PEM inputs are reduced to DER
//! certificates plus a private key, then checked together (the key belongs to the leaf, the key type can
//! sign) in one place.

use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair};
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;
use zeroize::Zeroizing;

use super::load::{read_file, read_text};
use super::pfx::{self, Bags};
use super::{Certificate, KeyFormat, KeyKind, PrivateKey, problem};
use crate::error::{Error, Result};
use crate::secret::Password;
use crate::time::from_epoch_seconds;

/// The build reads certificates.
pub(crate) fn available() -> Result<()> {
    Ok(())
}

impl Certificate {
    /// Loads a PFX/PKCS#12 file. `password` may be `None` for files without one, such as those .NET keeps
    /// in its certificate stores.
    pub fn from_pkcs12_file(path: &Path, password: Option<&Password>) -> Result<Self> {
        let der = read_file(path)?;
        Self::from_pkcs12_der(&der, password, &path.display().to_string())
    }

    /// Reads PFX/PKCS#12 bytes; `origin` names them in errors (a path, or where they came from).
    pub fn from_pkcs12_der(der: &[u8], password: Option<&Password>, origin: &str) -> Result<Self> {
        let bags = pfx::read(der, password.map(Password::secret), origin)?;
        Loaded::from_bags(bags, origin)?.into_certificate()
    }

    /// Loads a PEM certificate (the leaf first, then any issuers) and a PEM private key (PKCS#8
    /// `PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`). The key may also sit in the certificate file: pass the
    /// same path twice, or a key file without a key.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self> {
        let cert_text = read_text(cert)?;
        let key_text = if key == cert {
            Zeroizing::new(String::new())
        } else {
            read_text(key)?
        };
        let cert_origin = cert.display().to_string();
        let key_origin = key.display().to_string();
        Loaded::from_pem(&cert_text, &cert_origin, &key_text, &key_origin)?.into_certificate()
    }

    /// Reads a PEM certificate and a PEM key from text; `origin` names them in errors. The key may be in
    /// `cert_pem` too, with `key_pem` empty.
    pub fn from_pem(cert_pem: &str, key_pem: &str, origin: &str) -> Result<Self> {
        Loaded::from_pem(cert_pem, origin, key_pem, origin)?.into_certificate()
    }
}

/// What a certificate input held: the leaf, its issuers, and the private key when there was one.
pub(crate) struct Loaded {
    leaf: Vec<u8>,
    parsed: ParsedCert,
    chain: Vec<Vec<u8>>,
    key: Option<PrivateKey>,
    origin: String,
}

impl Loaded {
    /// Reads a PFX/PKCS#12 without insisting on a private key (store searches skip those).
    pub(crate) fn from_pkcs12(der: &[u8], password: Option<&str>, origin: &str) -> Result<Self> {
        Self::from_bags(pfx::read(der, password, origin)?, origin)
    }

    /// Reads a PEM file (or pair) without insisting on a private key.
    pub(crate) fn from_pem(
        cert_pem: &str,
        cert_origin: &str,
        key_pem: &str,
        key_origin: &str,
    ) -> Result<Self> {
        let cert_blocks = parse_pem(cert_pem, cert_origin)?;
        let certs: Vec<Vec<u8>> = cert_blocks
            .iter()
            .filter(|block| block.tag() == "CERTIFICATE")
            .map(|block| block.contents().to_vec())
            .collect();
        let Some((leaf, chain)) = certs.split_first() else {
            return Err(problem(
                cert_origin,
                "no certificate in it (expected a -----BEGIN CERTIFICATE----- block)",
            ));
        };
        let key = match pem_key(parse_pem(key_pem, key_origin)?, key_origin)? {
            Some(key) => Some((key, key_origin)),
            None => pem_key(cert_blocks, cert_origin)?.map(|key| (key, cert_origin)),
        };
        let parsed = ParsedCert::parse(leaf, cert_origin)?;
        let key = match key {
            Some(((der, format), origin)) => Some(parsed.check_key(der, format, origin)?),
            None => None,
        };
        Ok(Self {
            leaf: leaf.clone(),
            parsed,
            chain: chain.to_vec(),
            key,
            origin: cert_origin.to_owned(),
        })
    }

    /// Picks the leaf (the certificate the key belongs to) and orders its issuers.
    fn from_bags(bags: Bags, origin: &str) -> Result<Self> {
        let mut certs = Vec::with_capacity(bags.certs.len());
        for bag in &bags.certs {
            certs.push((bag, ParsedCert::parse(&bag.der, origin)?));
        }
        if certs.is_empty() {
            return Err(problem(origin, "the PFX file holds no certificate"));
        }
        let mut chosen: Option<(usize, PrivateKey)> = None;
        'keys: for key in &bags.keys {
            // a key and its certificate normally share a local key id; fall back to matching public keys
            let by_id = certs
                .iter()
                .position(|(bag, _)| key.local_key_id.is_some() && bag.local_key_id == key.local_key_id);
            let mut order: Vec<usize> = by_id.into_iter().collect();
            order.extend((0..certs.len()).filter(|i| Some(*i) != by_id));
            for index in order {
                let der = Zeroizing::new(key.pkcs8.to_vec());
                if let Ok(checked) = certs[index].1.check_key(der, KeyFormat::Pkcs8, origin) {
                    chosen = Some((index, checked));
                    break 'keys;
                }
            }
        }
        if chosen.is_none()
            && let Some(key) = bags.keys.first()
        {
            // report why the key does not fit the certificate it was stored with
            let index = certs
                .iter()
                .position(|(bag, _)| key.local_key_id.is_some() && bag.local_key_id == key.local_key_id)
                .unwrap_or(0);
            let der = Zeroizing::new(key.pkcs8.to_vec());
            certs[index].1.check_key(der, KeyFormat::Pkcs8, origin)?;
        }
        let (leaf_index, key) = match chosen {
            Some((index, key)) => (index, Some(key)),
            None => (0, None),
        };
        let (leaf_bag, leaf_parsed) = certs.swap_remove(leaf_index);
        let chain = issuers(&leaf_parsed, &certs);
        Ok(Self {
            leaf: leaf_bag.der.clone(),
            parsed: leaf_parsed,
            chain,
            key,
            origin: origin.to_owned(),
        })
    }

    pub(crate) fn subject_matches(&self, wanted: &[(String, String)]) -> bool {
        self.parsed.subject_matches(wanted)
    }

    pub(crate) fn has_key(&self) -> bool {
        self.key.is_some()
    }

    pub(crate) fn into_certificate(self) -> Result<Certificate> {
        let Some(key) = self.key else {
            return Err(problem(
                &self.origin,
                format!(
                    "no private key for the certificate {} ({}): a certificate credential needs its key",
                    self.parsed.subject,
                    thumbprint(&self.leaf)
                ),
            ));
        };
        Ok(Certificate {
            thumbprint: thumbprint(&self.leaf),
            leaf: self.leaf,
            chain: self.chain,
            key,
            subject: self.parsed.subject,
            issuer: self.parsed.issuer,
            not_before: from_epoch_seconds(self.parsed.not_before),
            not_after: from_epoch_seconds(self.parsed.not_after),
            origin: self.origin,
        })
    }
}

/// The issuers of `leaf` found among `others`, nearest first, stopping at a self-signed one.
fn issuers(leaf: &ParsedCert, others: &[(&pfx::CertBag, ParsedCert)]) -> Vec<Vec<u8>> {
    let mut chain = Vec::new();
    let mut used = vec![false; others.len()];
    let mut current = leaf;
    while current.raw_issuer != current.raw_subject {
        let next = others
            .iter()
            .enumerate()
            .find(|(i, (_, parsed))| !used[*i] && parsed.raw_subject == current.raw_issuer);
        let Some((index, (bag, parsed))) = next else {
            break;
        };
        used[index] = true;
        chain.push(bag.der.clone());
        current = parsed;
    }
    chain
}

/// The SHA-1 of the DER, 40 upper-case hex digits.
pub(crate) fn thumbprint(der: &[u8]) -> String {
    hex_upper(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn parse_pem(text: &str, origin: &str) -> Result<Vec<pem::Pem>> {
    pem::parse_many(text).map_err(|e| problem(origin, format!("not valid PEM: {e}")))
}

/// The first private key among PEM blocks, with its format; encrypted and SEC1 keys are refused with a
/// way out.
fn pem_key(blocks: Vec<pem::Pem>, origin: &str) -> Result<Option<(Zeroizing<Vec<u8>>, KeyFormat)>> {
    for block in blocks {
        let format = match block.tag() {
            "PRIVATE KEY" => KeyFormat::Pkcs8,
            "RSA PRIVATE KEY" => KeyFormat::Pkcs1,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(problem(
                    origin,
                    "the private key is encrypted, which PEM loading does not support: decrypt it \
                     (openssl pkcs8 -in key.pem -out plain.pem) or use a password-protected PFX file",
                ));
            }
            "EC PRIVATE KEY" => {
                return Err(problem(
                    origin,
                    "EC PRIVATE KEY (SEC1) keys are not supported: convert the key to PKCS#8 \
                     (openssl pkcs8 -topk8 -nocrypt -in key.pem -out key8.pem)",
                ));
            }
            _ => continue,
        };
        return Ok(Some((Zeroizing::new(block.into_contents()), format)));
    }
    Ok(None)
}

/// The fields of an X.509 certificate this crate uses.
pub(crate) struct ParsedCert {
    subject: String,
    issuer: String,
    subject_parts: Vec<(String, String)>,
    raw_subject: Vec<u8>,
    raw_issuer: Vec<u8>,
    not_before: i64,
    not_after: i64,
    key_kind: std::result::Result<KeyKind, String>,
    public_key: Vec<u8>,
}

impl ParsedCert {
    fn parse(der: &[u8], origin: &str) -> Result<Self> {
        let cert = match X509Certificate::from_der(der) {
            Ok((_, cert)) => cert,
            Err(e) => {
                return Err(problem(
                    origin,
                    format!("a certificate in it cannot be read: {e}"),
                ));
            }
        };
        let spki = cert.public_key();
        let algorithm = &spki.algorithm.algorithm;
        let key_kind = if *algorithm == OID_PKCS1_RSAENCRYPTION {
            match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => Ok(KeyKind::Rsa(rsa.key_size())),
                _ => Err("a malformed RSA key".to_owned()),
            }
        } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
            match curve {
                Some(curve) if curve == OID_EC_P256 => Ok(KeyKind::EcP256),
                Some(curve) => Err(format!(
                    "an EC key on the curve {}",
                    algorithm_name(&curve.to_id_string())
                )),
                None => Err("an EC key on an unnamed curve".to_owned()),
            }
        } else {
            Err(format!(
                "a key of type {}",
                algorithm_name(&algorithm.to_id_string())
            ))
        };
        Ok(Self {
            subject: dotnet_name(cert.subject()),
            issuer: dotnet_name(cert.issuer()),
            subject_parts: name_parts(cert.subject()),
            raw_subject: cert.subject().as_raw().to_vec(),
            raw_issuer: cert.issuer().as_raw().to_vec(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            key_kind,
            public_key: spki.subject_public_key.data.to_vec(),
        })
    }

    /// Checks that `der` is a private key this crate can sign with and that it belongs to this
    /// certificate.
    fn check_key(&self, der: Zeroizing<Vec<u8>>, format: KeyFormat, origin: &str) -> Result<PrivateKey> {
        let kind = match &self.key_kind {
            Ok(kind) => *kind,
            Err(what) => {
                return Err(problem(
                    origin,
                    format!(
                        "unsupported key type: the certificate {} has {what}; client assertions are signed \
                         with RSA keys (or EC P-256)",
                        self.subject
                    ),
                ));
            }
        };
        let public = match (kind, format) {
            (KeyKind::Rsa(_), KeyFormat::Pkcs8) => RsaKeyPair::from_pkcs8(&der)
                .map(|pair| pair.public().as_ref().to_vec())
                .map_err(|e| self.rejected(origin, e)),
            (KeyKind::Rsa(_), KeyFormat::Pkcs1) => RsaKeyPair::from_der(&der)
                .map(|pair| pair.public().as_ref().to_vec())
                .map_err(|e| self.rejected(origin, e)),
            (KeyKind::EcP256, KeyFormat::Pkcs8) => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new())
                    .map(|pair| pair.public_key().as_ref().to_vec())
                    .map_err(|e| self.rejected(origin, e))
            }
            (KeyKind::EcP256, KeyFormat::Pkcs1) => Err(self.mismatch(origin)),
        }?;
        if public != self.public_key {
            return Err(self.mismatch(origin));
        }
        Ok(PrivateKey { der, format, kind })
    }

    fn rejected(&self, origin: &str, error: ring::error::KeyRejected) -> Error {
        match error.to_string().as_str() {
            "WrongAlgorithm" => self.mismatch(origin),
            "TooSmall" | "TooLarge" => problem(
                origin,
                format!(
                    "unsupported key size: RSA keys of 2048 to 8192 bits can sign, not {}",
                    self.kind_text()
                ),
            ),
            other => problem(origin, format!("the private key cannot be read ({other})")),
        }
    }

    fn mismatch(&self, origin: &str) -> Error {
        problem(
            origin,
            format!(
                "the private key does not belong to the certificate {}",
                self.subject
            ),
        )
    }

    fn kind_text(&self) -> String {
        match &self.key_kind {
            Ok(kind) => kind.to_string(),
            Err(what) => what.clone(),
        }
    }

    /// Whether the subject matches `wanted` (from [`subject_query`]): the same attributes and values,
    /// in any order and case; a bare name (only `CN`) matches the common name alone.
    fn subject_matches(&self, wanted: &[(String, String)]) -> bool {
        if let [(attribute, value)] = wanted
            && attribute == "CN"
        {
            return self.subject_parts.iter().any(|(a, v)| a == "CN" && v == value);
        }
        let mut mine = self.subject_parts.clone();
        mine.sort();
        let mut theirs = wanted.to_vec();
        theirs.sort();
        mine == theirs
    }
}

/// A name as .NET prints `Subject`: the most specific part first, `, ` between parts, `+` inside one.
fn dotnet_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let value = match atv.as_str() {
                        Ok(text) => quote_value(text),
                        Err(_) => format!("#{}", hex_upper(atv.attr_value().data)),
                    };
                    format!("{}={value}", attribute_name(&atv.attr_type().to_id_string()))
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

fn quote_value(value: &str) -> String {
    let special = value.starts_with(' ')
        || value.ends_with(' ')
        || value.contains([',', '+', '=', '"', '\n', '<', '>', '#', ';']);
    if special {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A name's attributes as (upper-case short name, lower-case value) pairs, for matching.
fn name_parts(name: &X509Name<'_>) -> Vec<(String, String)> {
    name.iter_attributes()
        .map(|atv| {
            let value = match atv.as_str() {
                Ok(text) => text.trim().to_lowercase(),
                Err(_) => format!("#{}", hex_upper(atv.attr_value().data)).to_lowercase(),
            };
            (attribute_name(&atv.attr_type().to_id_string()), value)
        })
        .collect()
}

/// The short name .NET gives an attribute, or its OID.
fn attribute_name(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "SERIALNUMBER",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "S",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.42" => "G",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A readable name for a key algorithm or curve OID.
fn algorithm_name(oid: &str) -> String {
    match oid {
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (PSS-only RSA)",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        other => return other.to_owned(),
    }
    .to_owned()
}
