//! Certificate credentials: a certificate with its private key, loaded from a PFX/PKCS#12 file, a PEM pair
//! or a certificate store, and the signed client assertion (PROTOCOL section 3) it makes for confidential
//! clients.
//!
//! Reading certificates (X.509, PEM, PFX/PKCS#12) needs the default feature `certificates`; without it
//! the loading calls return [`Error::FeatureOff`] and nothing else changes.
//!
//! The private key is a secret: it is kept as zeroized DER, parsed only for the moment of signing, and
//! printed as `[redacted]`.

use std::fmt;
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::REDACTED;

mod assertion;
mod load;
// the X.509 and PKCS#12 parsers, or in a build without them the same calls refusing by name
#[cfg(feature = "certificates")]
mod parse;
#[cfg(feature = "certificates")]
mod pfx;
#[cfg(not(feature = "certificates"))]
mod without_parsers;
#[cfg(not(feature = "certificates"))]
use without_parsers as parse;
mod source;
mod store;

pub use assertion::{CertificateCredential, SigningAlgorithm};
pub use source::{CertificateSource, SavedCertificate};
pub use store::CertificateStore;

/// What thumbprint errors name.
const THUMBPRINT_PARAMETER: &str = "certificate thumbprint";

/// A certificate with its private key: what a confidential client signs assertions with.
///
/// `Debug` shows the subject, thumbprint and validity, never the key.
#[derive(Clone)]
pub struct Certificate {
    leaf: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: PrivateKey,
    subject: String,
    issuer: String,
    not_before: SystemTime,
    not_after: SystemTime,
    thumbprint: String,
    origin: String,
}

impl Certificate {
    /// The certificate's thumbprint: the SHA-1 of its DER, 40 upper-case hex digits, as Windows and .NET
    /// show it.
    pub fn thumbprint(&self) -> String {
        self.thumbprint.clone()
    }

    /// The subject, most specific part first as Windows and .NET print it (`CN=app, O=Contoso, C=US`).
    pub fn subject(&self) -> String {
        self.subject.clone()
    }

    /// The issuer, in the same form as [`Certificate::subject`].
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    /// The start of the validity period.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// The end of the validity period.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// Whether `now` falls in the validity period (both ends included).
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// The certificate itself, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.leaf
    }

    /// The issuing certificates that came with it (DER, the leaf's issuer first); empty when none did.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Where it was loaded from (a file path, or the name a caller gave), for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The kind of key (`RSA 2048`, `EC P-256`).
    pub fn key_type(&self) -> String {
        self.key.kind.to_string()
    }

    pub(crate) fn key(&self) -> &PrivateKey {
        &self.key
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("thumbprint", &self.thumbprint)
            .field("not_before", &crate::time::epoch_seconds(self.not_before))
            .field("not_after", &crate::time::epoch_seconds(self.not_after))
            .field("chain", &self.chain.len())
            .field("key", &self.key)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The kind of private key, which decides the signature algorithm.
#[cfg_attr(not(feature = "certificates"), allow(dead_code))] // made only by the parsers
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// RSA, with its modulus size in bits: PS256 or RS256.
    Rsa(usize),
    /// ECDSA on P-256: ES256.
    EcP256,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa(bits) => write!(f, "RSA {bits}"),
            Self::EcP256 => f.write_str("EC P-256"),
        }
    }
}

/// How the private key's DER is wrapped.
#[cfg_attr(not(feature = "certificates"), allow(dead_code))] // made only by the parsers
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFormat {
    /// PKCS#8 `PrivateKeyInfo` (PFX files, `BEGIN PRIVATE KEY`).
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (`BEGIN RSA PRIVATE KEY`).
    Pkcs1,
}

/// A private key: its DER, wiped from memory on drop, and what it is.
#[cfg_attr(not(feature = "certificates"), allow(dead_code))] // made only by the parsers
#[derive(Clone)]
pub(crate) struct PrivateKey {
    der: Zeroizing<Vec<u8>>,
    format: KeyFormat,
    kind: KeyKind,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {REDACTED}", self.kind)
    }
}

/// A thumbprint as people paste it (any case, with spaces or colons between the bytes), as 40 upper-case
/// hex digits; anything else is an error naming `-CertificateThumbprint`.
///
/// The invisible left-to-right mark (U+200E) that copying from the Windows certificate dialog adds is
/// dropped too.
pub fn normalize_thumbprint(text: &str) -> Result<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | ':' | '\u{200e}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if digits.len() == 40 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(digits)
    } else {
        Err(Error::invalid(
            THUMBPRINT_PARAMETER,
            format!(
                "'{}' is not a certificate thumbprint: expected 40 hexadecimal digits (the SHA-1 of the \
                 certificate; spaces and colons are ignored)",
                text.trim()
            ),
        ))
    }
}

/// An error about a certificate input, prefixed with where it came from (for the loaders, `load` and
/// `pfx`, which share it through their parent rather than through each other).
#[cfg(feature = "certificates")]
pub(crate) fn problem(origin: &str, reason: impl std::fmt::Display) -> Error {
    Error::Certificate(format!("{origin}: {reason}"))
}

#[cfg(test)]
mod tests;
