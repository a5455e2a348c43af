//! What certificate loading needs with or without the parsers (feature `certificates`, `parse.rs`):
//! reading a certificate or key file, bounded, and a subject as a user types it.

use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::read_file::{MAX_CREDENTIAL_FILE_BYTES, read_existing};

/// A certificate or key file's bytes: a regular file of at most 1 MiB (a FIFO or `/dev/zero` given as
/// the certificate would otherwise hang the connect or fill memory).
pub(crate) fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    read_existing(
        path,
        MAX_CREDENTIAL_FILE_BYTES,
        "reading",
        "a certificate or key file",
    )
}

pub(crate) fn read_text(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = read_file(path)?;
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(Error::InvalidFile {
            path: path.to_path_buf(),
            reason: "not a PEM file (it is not text; a binary certificate is a .pfx or DER file)".into(),
        }),
    }
}

/// Parses a subject as a user types it: `CN=app, O=Contoso` in either order (.NET's or RFC 4514's), or
/// a bare name meaning `CN=name`. Values may be quoted (`"a, b"`) or escaped (`a\, b`).
pub(crate) fn subject_query(text: &str) -> Vec<(String, String)> {
    let text = text.trim();
    if !text.contains('=') {
        return vec![("CN".to_owned(), text.to_lowercase())];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !quoted => current.extend(chars.next()),
            '"' => quoted = !quoted,
            ',' | ';' | '+' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter_map(|part| {
            let (attribute, value) = part.split_once('=')?;
            let attribute = match attribute.trim().to_uppercase().as_str() {
                "ST" => "S".to_owned(),
                "EMAIL" | "EMAILADDRESS" => "E".to_owned(),
                other => other.strip_prefix("OID.").unwrap_or(other).to_owned(),
            };
            Some((attribute, value.trim().to_lowercase()))
        })
        .collect()
}
