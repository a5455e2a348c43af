//! Certificate stores: directories searched in order for a certificate by thumbprint or subject name.
//!
//! On Linux, .NET keeps the current user's `My` store as
//! `~/.dotnet/corefx/cryptography/x509stores/my/<THUMBPRINT>.pfx`, without a password; certificates that
//! .NET programs imported are found there. Beside it come directories of our own, for the current user and
//! for the machine, holding `<THUMBPRINT>.pfx` (no password) or `<THUMBPRINT>.pem` (the certificate, with
//! its key in the same file or in `<THUMBPRINT>.key`). The Windows and macOS platform stores are not
//! read yet.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::load::{read_file, read_text, subject_query};
use super::parse::{self, Loaded};
use super::{Certificate, normalize_thumbprint};
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::time::epoch_seconds;

/// Where .NET keeps the current user's `My` store, under the home directory.
const DOTNET_MY_STORE: &str = ".dotnet/corefx/cryptography/x509stores/my";

/// An ordered list of certificate directories, each with a label for messages.
#[derive(Clone, Debug)]
pub struct CertificateStore {
    dirs: Vec<(String, PathBuf)>,
}

impl CertificateStore {
    /// The current user's stores, then the machine's:
    ///
    /// 1. `CurrentUser\My (.NET)`: `$HOME/.dotnet/corefx/cryptography/x509stores/my`;
    /// 2. `CurrentUser (msconnect)`: `user_folder`, when the caller keeps one (the command line's
    ///    `$MSCONNECT_HOME/certificates`, [`crate::SessionOptions::certificates`]);
    /// 3. `LocalMachine (msconnect)`: `/etc/msconnect/certificates` (`%ProgramData%\msconnect\certificates`
    ///    on Windows).
    ///
    /// A directory whose base variable is unset is left out.
    pub fn new(env: &EnvVars, user_folder: Option<&Path>) -> Self {
        let home = env
            .get("HOME")
            .or_else(|| env.get("USERPROFILE"))
            .map(PathBuf::from);
        let mut dirs = Vec::new();
        if let Some(home) = &home {
            dirs.push(("CurrentUser\\My (.NET)".to_owned(), home.join(DOTNET_MY_STORE)));
        }
        if let Some(folder) = user_folder {
            dirs.push(("CurrentUser (msconnect)".to_owned(), folder.to_path_buf()));
        }
        let machine = if cfg!(windows) {
            env.get("ProgramData")
                .map(|data| Path::new(data).join("msconnect").join("certificates"))
        } else {
            Some(PathBuf::from("/etc/msconnect/certificates"))
        };
        if let Some(machine) = machine {
            dirs.push(("LocalMachine (msconnect)".to_owned(), machine));
        }
        Self { dirs }
    }

    /// Exactly these directories, searched in this order.
    pub fn with_dirs(dirs: Vec<(String, PathBuf)>) -> Self {
        Self { dirs }
    }

    /// The directories searched, in order, with their labels.
    pub fn dirs(&self) -> &[(String, PathBuf)] {
        &self.dirs
    }

    /// The certificate with this thumbprint (any case, spaces and colons allowed), from the first
    /// directory holding `<THUMBPRINT>.pfx` (or .NET's `<THUMBPRINT>.<n>.pfx`) or `<THUMBPRINT>.pem`.
    /// An expired certificate is returned all the same: the authority decides.
    pub fn find_by_thumbprint(&self, thumbprint: &str) -> Result<Certificate> {
        let thumbprint = normalize_thumbprint(thumbprint)?;
        parse::available()?;
        for (_, dir) in &self.dirs {
            for path in files(dir) {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let name = name.to_ascii_uppercase();
                let Some(rest) = name.strip_prefix(&thumbprint) else {
                    continue;
                };
                let is_candidate = rest == ".PFX"
                    || rest == ".PEM"
                    || rest
                        .strip_prefix('.')
                        .and_then(|r| r.strip_suffix(".PFX"))
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if !is_candidate {
                    continue;
                }
                let certificate = load(&path)?.into_certificate()?;
                if certificate.thumbprint == thumbprint {
                    return Ok(certificate);
                }
                tracing::warn!(
                    target: "msconnect::cert",
                    path = %path.display(),
                    holds = %certificate.thumbprint,
                    "the file is named for another certificate's thumbprint; skipped"
                );
            }
        }
        Err(Error::CertificateNotFound {
            wanted: format!("with thumbprint {thumbprint}"),
            searched: self.searched(),
            detail: String::new(),
        })
    }

    /// The certificate whose subject matches, among those with a private key and valid at `now`; when
    /// several do, the newest `NotBefore` wins (then the first store). `subject` is a distinguished name
    /// (`CN=app, O=Contoso`, in either order, any case) or a bare name matching the common name.
    pub fn find_by_subject(&self, subject: &str, now: SystemTime) -> Result<Certificate> {
        let wanted = subject_query(subject);
        if subject.trim().is_empty() || wanted.is_empty() {
            return Err(Error::invalid(
                "certificate subject",
                "give a subject such as CN=app or a distinguished name",
            ));
        }
        parse::available()?;
        let mut best: Option<Certificate> = None;
        let (mut outside_validity, mut without_key) = (0, 0);
        for (_, dir) in &self.dirs {
            for path in files(dir) {
                let extension = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                if !matches!(extension.as_deref(), Some("pfx" | "pem")) {
                    continue;
                }
                let loaded = match load(&path) {
                    Ok(loaded) => loaded,
                    Err(error) => {
                        tracing::warn!(target: "msconnect::cert", %error, "skipped while searching by subject");
                        continue;
                    }
                };
                if !loaded.subject_matches(&wanted) {
                    continue;
                }
                if !loaded.has_key() {
                    without_key += 1;
                    continue;
                }
                let certificate = loaded.into_certificate()?;
                if !certificate.is_valid_at(now) {
                    outside_validity += 1;
                    continue;
                }
                if best
                    .as_ref()
                    .is_none_or(|b| certificate.not_before > b.not_before)
                {
                    best = Some(certificate);
                }
            }
        }
        best.ok_or_else(|| {
            let mut skipped = Vec::new();
            if outside_validity > 0 {
                skipped.push(format!(
                    "{outside_validity} expired or not yet valid at {}",
                    epoch_seconds(now)
                ));
            }
            if without_key > 0 {
                skipped.push(format!("{without_key} without a private key"));
            }
            Error::CertificateNotFound {
                wanted: format!("with subject '{}'", subject.trim()),
                searched: self.searched(),
                detail: if skipped.is_empty() {
                    String::new()
                } else {
                    format!(" (matching but skipped: {})", skipped.join(", "))
                },
            }
        })
    }

    fn searched(&self) -> Vec<String> {
        self.dirs
            .iter()
            .map(|(label, dir)| format!("{label} ({})", dir.display()))
            .collect()
    }
}

/// The files of a directory, sorted by name; none when it does not exist or cannot be read.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
}

/// Loads a store file: a PFX without a password, or a PEM certificate with its key inside or in the
/// `.key` file beside it.
fn load(path: &Path) -> Result<Loaded> {
    let origin = path.display().to_string();
    let is_pem = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pem"));
    if !is_pem {
        let der = read_file(path)?;
        return Loaded::from_pkcs12(&der, None, &origin);
    }
    let text = read_text(path)?;
    let key_path = path.with_extension("key");
    if key_path.is_file() {
        let key = read_text(&key_path)?;
        Loaded::from_pem(&text, &origin, &key, &key_path.display().to_string())
    } else {
        Loaded::from_pem(&text, &origin, "", &origin)
    }
}
