//! `AZURE_*` variables, as azure-identity's `EnvironmentCredential` reads them: which sign-in they
//! describe, for the caller to turn into its own (the session turns them into its sign-in method, loading
//! a certificate then: `EnvironmentCredential::sign_in_method`, in `session.rs`).

use std::io::Read as _;
use std::path::PathBuf;

use crate::cert::CertificateSource;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::federated::{FederatedTokenFile, env_client_id, env_tenant};
use crate::flows::password::Credential;
use crate::ids::{ClientId, Tenant};
use crate::read_file::open_regular;
use crate::secret::{ClientSecret, Password};

/// The sign-in the variables describe.
#[derive(Clone)]
pub enum EnvironmentMethod {
    /// `AZURE_CLIENT_SECRET`.
    ClientSecret(ClientSecret),
    /// `AZURE_CLIENT_CERTIFICATE_PATH` (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`): a PEM file holding the
    /// certificate and its key, or a PFX file.
    Certificate(CertificateSource),
    /// `AZURE_FEDERATED_TOKEN_FILE`, read again for every token.
    FederatedTokenFile(FederatedTokenFile),
    /// `AZURE_USERNAME` + `AZURE_PASSWORD`.
    UsernamePassword(Credential),
}

impl std::fmt::Debug for EnvironmentMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ClientSecret(secret) => f.debug_tuple("ClientSecret").field(secret).finish(),
            Self::Certificate(source) => f.debug_tuple("Certificate").field(source).finish(),
            Self::FederatedTokenFile(file) => f.debug_tuple("FederatedTokenFile").field(file).finish(),
            Self::UsernamePassword(credential) => f
                .debug_struct("UsernamePassword")
                .field("username", &credential.username)
                .field("password", &credential.password)
                .finish(),
        }
    }
}

/// The application, tenant and method the `AZURE_*` variables give.
#[derive(Debug, Clone)]
pub struct EnvironmentCredential {
    /// `AZURE_CLIENT_ID`.
    pub client_id: ClientId,
    /// `AZURE_TENANT_ID` (`organizations` for a user name and password without it).
    pub tenant: Tenant,
    /// How to sign in.
    pub method: EnvironmentMethod,
}

impl EnvironmentCredential {
    /// Reads the variables in azure-identity's order: a client secret, then a certificate, then a
    /// federated token file, then a user name and password. The first method whose variable is set is
    /// the one used, and its other variables must be set too: the error names the missing one.
    pub fn from_env(env: &EnvVars) -> Result<Self> {
        let client_id = env_client_id(env)?;
        let tenant = env_tenant(env)?;
        let (method, selected_by) = if let Some(secret) = env.get("AZURE_CLIENT_SECRET") {
            (
                EnvironmentMethod::ClientSecret(ClientSecret::new(secret)),
                "AZURE_CLIENT_SECRET",
            )
        } else if let Some(path) = env.get("AZURE_CLIENT_CERTIFICATE_PATH") {
            let password = env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD").map(Password::new);
            (
                EnvironmentMethod::Certificate(certificate_source(PathBuf::from(path), password)?),
                "AZURE_CLIENT_CERTIFICATE_PATH",
            )
        } else if let Some(path) = env.get("AZURE_FEDERATED_TOKEN_FILE") {
            (
                EnvironmentMethod::FederatedTokenFile(FederatedTokenFile::new(path)),
                "AZURE_FEDERATED_TOKEN_FILE",
            )
        } else if let Some(username) = env.get("AZURE_USERNAME") {
            let password = env.get("AZURE_PASSWORD").ok_or_else(|| {
                Error::invalid(
                    "AZURE_PASSWORD",
                    "AZURE_USERNAME is set but AZURE_PASSWORD is not",
                )
            })?;
            (
                EnvironmentMethod::UsernamePassword(Credential::new(username, Password::new(password))),
                "AZURE_USERNAME",
            )
        } else {
            return Err(Error::invalid(
                "environment variables",
                "set AZURE_CLIENT_ID, AZURE_TENANT_ID and one of AZURE_CLIENT_SECRET, \
                 AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, or AZURE_USERNAME with \
                 AZURE_PASSWORD",
            ));
        };
        let client_id = client_id.ok_or_else(|| {
            Error::invalid(
                "AZURE_CLIENT_ID",
                format!("{selected_by} is set but AZURE_CLIENT_ID (the application id) is not"),
            )
        })?;
        let tenant = match (tenant, &method) {
            (Some(tenant), _) => tenant,
            // a person may sign in without naming the tenant, as azure-identity allows
            (None, EnvironmentMethod::UsernamePassword(_)) => Tenant::organizations(),
            (None, _) => {
                return Err(Error::invalid(
                    "AZURE_TENANT_ID",
                    format!("{selected_by} is set but AZURE_TENANT_ID (the tenant id or domain) is not"),
                ));
            }
        };
        Ok(Self {
            client_id,
            tenant,
            method,
        })
    }

    /// The method's name for contexts and messages.
    pub fn name(&self) -> &'static str {
        match self.method {
            EnvironmentMethod::ClientSecret(_) => "ClientSecret",
            EnvironmentMethod::Certificate(_) => "Certificate",
            EnvironmentMethod::FederatedTokenFile(_) => "FederatedTokenFile",
            EnvironmentMethod::UsernamePassword(_) => "UsernamePassword",
        }
    }
}

/// A PEM file (certificate and key together) or a PFX file, told apart by content: PEM is text that
/// starts with `-----BEGIN`.
fn certificate_source(path: PathBuf, password: Option<Password>) -> Result<CertificateSource> {
    let mut head = [0u8; 64];
    let io = |source| Error::Io {
        action: "reading AZURE_CLIENT_CERTIFICATE_PATH",
        path: path.clone(),
        source,
    };
    // a FIFO there would block the open, and the certificate's own read is bounded
    let (mut file, _) = open_regular(&path, "reading AZURE_CLIENT_CERTIFICATE_PATH")?
        .ok_or_else(|| io(std::io::ErrorKind::NotFound.into()))?;
    let read = file.read(&mut head).map_err(io)?;
    if read == 0 {
        return Err(Error::InvalidFile {
            path,
            reason: "AZURE_CLIENT_CERTIFICATE_PATH names an empty file".into(),
        });
    }
    let pem =
        std::str::from_utf8(&head[..read]).is_ok_and(|text| text.trim_start().starts_with("-----BEGIN"));
    Ok(if pem {
        CertificateSource::Pem {
            certificate: path.clone(),
            key: path,
        }
    } else {
        CertificateSource::Pkcs12 { path, password }
    })
}

#[cfg(test)]
mod tests;
