//! The signed client assertion (PROTOCOL section 3): a JWT addressed to the token endpoint, signed with
//! the certificate's key, that a confidential client sends as `client_assertion`.

use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use serde_json::{Value, json};

use super::{Certificate, KeyFormat, KeyKind};
use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::ClientAssertion;
use crate::time::epoch_seconds;

/// How long an assertion is valid: the protocol allows 5 to 10 minutes.
pub(crate) const LIFETIME_SECONDS: i64 = 600;
/// An assertion is reused until this long before it expires, never closer.
pub(crate) const REUSE_MARGIN_SECONDS: i64 = 60;

/// The signature algorithm of the assertion, which also decides the thumbprint header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PSS with SHA-256 and the `x5t#S256` header (SHA-256 thumbprint): what Microsoft prefers.
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and the `x5t` header (SHA-1 thumbprint), for older authorities.
    Rs256,
    /// ECDSA on P-256 with SHA-256 and the `x5t#S256` header: the algorithm of EC P-256 certificates.
    Es256,
}

impl SigningAlgorithm {
    /// The JOSE name (`PS256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ps256 => "PS256",
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate used as a client credential: it signs a client assertion for each token request, and
/// reuses one for the same token endpoint and client until a minute before it expires.
///
/// ```rust,no_run
/// use auth_core::{Certificate, CertificateCredential, ClientCredential, Password};
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let password = Password::new(std::env::var("MSCONNECT_CERTIFICATE_PASSWORD")?);
/// let certificate = Certificate::from_pkcs12_file("app.pfx".as_ref(), Some(&password))?;
/// let credential = ClientCredential::from(CertificateCredential::new(certificate));
/// # Ok(()) }
/// ```
pub struct CertificateCredential {
    certificate: Certificate,
    algorithm: SigningAlgorithm,
    send_x5c: bool,
    reuse: bool,
    last: Mutex<Option<Signed>>,
}

/// The assertion last signed, and what it was signed for.
struct Signed {
    audience: String,
    client_id: String,
    algorithm: SigningAlgorithm,
    not_before: i64,
    expires: i64,
    assertion: ClientAssertion,
}

impl CertificateCredential {
    /// A credential signing with `certificate`: PS256 for an RSA key (ES256 for EC P-256), no `x5c`.
    pub fn new(certificate: Certificate) -> Self {
        let algorithm = match certificate.key().kind {
            KeyKind::Rsa(_) => SigningAlgorithm::Ps256,
            KeyKind::EcP256 => SigningAlgorithm::Es256,
        };
        Self {
            certificate,
            algorithm,
            send_x5c: false,
            reuse: true,
            last: Mutex::new(None),
        }
    }

    /// The signature algorithm; RS256 for an authority that does not take PS256. It must suit the key
    /// (PS256 or RS256 for RSA, ES256 for EC): signing fails otherwise.
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Whether to send the certificate chain (`x5c`, leaf first), for subject name and issuer
    /// authentication.
    pub fn send_x5c(mut self, send: bool) -> Self {
        self.send_x5c = send;
        self
    }

    /// Whether to reuse an assertion until a minute before it expires (the default), or sign a fresh one
    /// for every request.
    pub fn reuse_assertions(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// A newly signed assertion for `client_id`, addressed to `audience` (the token endpoint), valid from
    /// `now` for 10 minutes.
    pub fn sign(&self, audience: &str, client_id: &ClientId, now: SystemTime) -> Result<ClientAssertion> {
        let certificate = &self.certificate;
        if !certificate.is_valid_at(now) {
            tracing::warn!(
                target: "msconnect::cert",
                thumbprint = %certificate.thumbprint,
                subject = %certificate.subject,
                not_before = epoch_seconds(certificate.not_before),
                not_after = epoch_seconds(certificate.not_after),
                "the certificate is outside its validity period; signing anyway, the authority decides"
            );
        }
        let mut header = json!({ "alg": self.algorithm.as_str(), "typ": "JWT" });
        match self.algorithm {
            SigningAlgorithm::Rs256 => {
                header["x5t"] =
                    b64url(digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &certificate.leaf)).into()
            }
            SigningAlgorithm::Ps256 | SigningAlgorithm::Es256 => {
                header["x5t#S256"] = b64url(digest(&ring::digest::SHA256, &certificate.leaf)).into()
            }
        }
        if self.send_x5c {
            let standard = base64::engine::general_purpose::STANDARD;
            let chain: Vec<Value> = std::iter::once(&certificate.leaf)
                .chain(&certificate.chain)
                .map(|der| standard.encode(der).into())
                .collect();
            header["x5c"] = chain.into();
        }
        let now = epoch_seconds(now);
        let claims = json!({
            "aud": audience,
            "iss": client_id.as_str(),
            "sub": client_id.as_str(),
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
        });
        let signing_input = format!("{}.{}", b64url(header.to_string()), b64url(claims.to_string()));
        let signature = self.signature(signing_input.as_bytes())?;
        Ok(ClientAssertion::new(format!(
            "{signing_input}.{}",
            b64url(signature)
        )))
    }

    fn signature(&self, message: &[u8]) -> Result<Vec<u8>> {
        let key = self.certificate.key();
        let rng = SystemRandom::new();
        let failed = |what: &dyn fmt::Display| {
            Error::Certificate(format!(
                "{}: signing the client assertion failed ({what})",
                self.certificate.origin
            ))
        };
        match (key.kind, self.algorithm) {
            (KeyKind::Rsa(_), SigningAlgorithm::Ps256 | SigningAlgorithm::Rs256) => {
                let pair = match key.format {
                    KeyFormat::Pkcs8 => RsaKeyPair::from_pkcs8(&key.der),
                    KeyFormat::Pkcs1 => RsaKeyPair::from_der(&key.der),
                }
                .map_err(|e| failed(&e))?;
                let padding: &'static dyn signature::RsaEncoding = match self.algorithm {
                    SigningAlgorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                    _ => &signature::RSA_PSS_SHA256,
                };
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut out)
                    .map_err(|e| failed(&e))?;
                Ok(out)
            }
            (KeyKind::EcP256, SigningAlgorithm::Es256) => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &key.der, &rng)
                        .map_err(|e| failed(&e))?;
                let signed = pair.sign(&rng, message).map_err(|e| failed(&e))?;
                Ok(signed.as_ref().to_vec())
            }
            (kind, algorithm) => Err(Error::invalid(
                "algorithm",
                format!(
                    "the certificate {} has an {kind} key, which cannot sign {algorithm} (RSA signs PS256 or \
                     RS256, EC P-256 signs ES256)",
                    self.certificate.subject
                ),
            )),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Signed>> {
        self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl CertificateCredential {
    /// A client assertion for `client_id`, addressed to `audience`, valid at `now`: the last one signed
    /// while it is still good for a minute and more (unless reuse is off), else a new one. The flows take
    /// it as their `AssertionSource`.
    pub(crate) fn assertion_at(
        &self,
        audience: &str,
        client_id: &ClientId,
        now: SystemTime,
    ) -> Result<ClientAssertion> {
        if !self.reuse {
            return self.sign(audience, client_id, now);
        }
        let at = epoch_seconds(now);
        let mut last = self.lock();
        if let Some(signed) = last.as_ref()
            && signed.audience == audience
            && signed.client_id == client_id.as_str()
            && signed.algorithm == self.algorithm
            && signed.not_before <= at
            && at < signed.expires - REUSE_MARGIN_SECONDS
        {
            return Ok(signed.assertion.clone());
        }
        let assertion = self.sign(audience, client_id, now)?;
        *last = Some(Signed {
            audience: audience.to_owned(),
            client_id: client_id.as_str().to_owned(),
            algorithm: self.algorithm,
            not_before: at,
            expires: at + LIFETIME_SECONDS,
            assertion: assertion.clone(),
        });
        Ok(assertion)
    }
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("certificate", &self.certificate)
            .field("algorithm", &self.algorithm)
            .field("send_x5c", &self.send_x5c)
            .field("reuse", &self.reuse)
            .finish_non_exhaustive()
    }
}

fn digest(algorithm: &'static ring::digest::Algorithm, data: &[u8]) -> ring::digest::Digest {
    ring::digest::digest(algorithm, data)
}

fn b64url(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
