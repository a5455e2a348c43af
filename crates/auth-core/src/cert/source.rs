//! Where a certificate comes from ([`CertificateSource`]), and the description of it that a saved
//! connection keeps ([`SavedCertificate`]): enough to load the same certificate again in a later process,
//! never a password or a key.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Certificate;
use crate::secret::Password;

/// Where a certificate comes from. Only the source's description (never a password) is saved with a
/// connection, so a later process can load the same certificate to renew an app-only token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CertificateSource {
    /// A thumbprint looked up in the certificate stores (current user, then machine).
    Thumbprint(String),
    /// A subject name looked up in the stores: the newest valid certificate with a private key.
    Subject(String),
    /// A PFX/PKCS#12 file and its password.
    Pkcs12 {
        /// The file.
        path: PathBuf,
        /// Its password, if it has one.
        password: Option<Password>,
    },
    /// A PEM certificate and its PEM private key (the key may sit in the certificate file).
    Pem {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A certificate loaded by the caller.
    Loaded(Arc<Certificate>),
}

impl CertificateSource {
    /// A certificate found by its thumbprint in the certificate stores.
    pub fn thumbprint(thumbprint: impl Into<String>) -> Self {
        Self::Thumbprint(thumbprint.into())
    }

    /// A PFX/PKCS#12 file, with its password when it has one (read when signing in).
    pub fn pfx_file(path: impl Into<PathBuf>, password: Option<Password>) -> Self {
        Self::Pkcs12 {
            path: path.into(),
            password,
        }
    }

    /// A PEM certificate file and its PEM key file (the same path when the key sits in the certificate
    /// file), read when signing in.
    pub fn pem_files(certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self::Pem {
            certificate: certificate.into(),
            key: key.into(),
        }
    }

    /// PFX/PKCS#12 bytes and their password, read now (the password is not kept); `origin` names them in
    /// errors.
    pub fn pfx_bytes(der: &[u8], password: Option<&Password>, origin: &str) -> crate::error::Result<Self> {
        Ok(Self::Loaded(Arc::new(Certificate::from_pkcs12_der(
            der, password, origin,
        )?)))
    }

    /// A PEM certificate and its PEM private key (or both in `certificate`, with `key` empty), read now;
    /// `origin` names them in errors.
    pub fn pem(certificate: &str, key: &str, origin: &str) -> crate::error::Result<Self> {
        Ok(Self::Loaded(Arc::new(Certificate::from_pem(
            certificate,
            key,
            origin,
        )?)))
    }
}

/// A saved pointer to a certificate: enough to find it again, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SavedCertificate {
    /// The thumbprint of the certificate used.
    pub thumbprint: String,
    /// How it was found: `Thumbprint`, `Subject`, `Pkcs12`, `Pem` or `Loaded`.
    pub source: String,
    /// The subject it was searched by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The file it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The key file of a PEM pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_path: Option<PathBuf>,
}

impl SavedCertificate {
    pub(crate) fn describe(source: &CertificateSource, certificate: &Certificate) -> Self {
        let (kind, subject, path, key_path) = match source {
            CertificateSource::Thumbprint(_) => ("Thumbprint", None, None, None),
            CertificateSource::Subject(subject) => ("Subject", Some(subject.clone()), None, None),
            CertificateSource::Pkcs12 { path, .. } => ("Pkcs12", None, Some(path.clone()), None),
            CertificateSource::Pem { certificate, key } => {
                ("Pem", None, Some(certificate.clone()), Some(key.clone()))
            }
            CertificateSource::Loaded(_) => ("Loaded", None, None, None),
        };
        Self {
            thumbprint: certificate.thumbprint(),
            source: kind.to_owned(),
            subject,
            path,
            key_path,
        }
    }

    /// The source to load the certificate again: a PFX file opened with `password` (the caller supplies
    /// it again, it is never saved); a certificate loaded by a library caller is found again by its
    /// thumbprint in the stores.
    pub(crate) fn reload(&self, password: Option<Password>) -> CertificateSource {
        match (self.source.as_str(), &self.path, &self.key_path, &self.subject) {
            ("Subject", _, _, Some(subject)) => CertificateSource::Subject(subject.clone()),
            ("Pkcs12", Some(path), _, _) => CertificateSource::Pkcs12 {
                path: path.clone(),
                password,
            },
            ("Pem", Some(certificate), Some(key), _) => CertificateSource::Pem {
                certificate: certificate.clone(),
                key: key.clone(),
            },
            _ => CertificateSource::Thumbprint(self.thumbprint.clone()),
        }
    }
}
