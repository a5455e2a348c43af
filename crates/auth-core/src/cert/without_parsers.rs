//! Certificate loading in a build without the feature `certificates`: the same calls as `parse.rs`, each
//! refusing with an error that names the feature ([`needs_certificates`]), so that a program signing in
//! with a secret builds no X.509 or PKCS#12 parser, and one that asks for a certificate is told why.

use std::path::Path;

use super::Certificate;
use crate::error::{Error, Result};
use crate::secret::Password;

/// Why a certificate cannot be read in this build.
pub(crate) fn needs_certificates() -> Error {
    Error::FeatureOff {
        needs: "reading a certificate",
        feature: "certificates",
    }
}

/// The build reads no certificate.
pub(crate) fn available() -> Result<()> {
    Err(needs_certificates())
}

impl Certificate {
    /// Loads a PFX/PKCS#12 file: in this build, the error [`Error::FeatureOff`].
    pub fn from_pkcs12_file(path: &Path, password: Option<&Password>) -> Result<Self> {
        let _ = (path, password);
        Err(needs_certificates())
    }

    /// Reads PFX/PKCS#12 bytes: in this build, the error [`Error::FeatureOff`].
    pub fn from_pkcs12_der(der: &[u8], password: Option<&Password>, origin: &str) -> Result<Self> {
        let _ = (der, password, origin);
        Err(needs_certificates())
    }

    /// Loads a PEM certificate and key: in this build, the error [`Error::FeatureOff`].
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self> {
        let _ = (cert, key);
        Err(needs_certificates())
    }

    /// Reads a PEM certificate and key from text: in this build, the error [`Error::FeatureOff`].
    pub fn from_pem(cert_pem: &str, key_pem: &str, origin: &str) -> Result<Self> {
        let _ = (cert_pem, key_pem, origin);
        Err(needs_certificates())
    }
}

/// What a certificate input held: nothing can be, in this build.
pub(crate) enum Loaded {}

impl Loaded {
    pub(crate) fn from_pkcs12(der: &[u8], password: Option<&str>, origin: &str) -> Result<Self> {
        let _ = (der, password, origin);
        Err(needs_certificates())
    }

    pub(crate) fn from_pem(
        cert_pem: &str,
        cert_origin: &str,
        key_pem: &str,
        key_origin: &str,
    ) -> Result<Self> {
        let _ = (cert_pem, cert_origin, key_pem, key_origin);
        Err(needs_certificates())
    }

    pub(crate) fn subject_matches(&self, wanted: &[(String, String)]) -> bool {
        let _ = wanted;
        match *self {}
    }

    pub(crate) fn has_key(&self) -> bool {
        match *self {}
    }

    pub(crate) fn into_certificate(self) -> Result<Certificate> {
        match self {}
    }
}
