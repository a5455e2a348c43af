//! The fingerprint of a client credential: what the cache keeps with an application's tokens (and a
//! saved connection with its credential) so that a token is served only to the credential that earned
//! it, without keeping the credential. A flow asks for it from the credential it is given
//! ([`ClientCredential::fingerprint`]); the session's saved connections from what they remember.

use super::{ClientCredential, SavedFederatedSource};
use crate::ids::ClientId;
use crate::secret::ClientSecret;

impl ClientCredential {
    /// The fingerprint of this credential for `client_id`: a secret's keyed hash
    /// ([`secret_fingerprint`]), a certificate's thumbprint, a federated token's source; `None` for an
    /// assertion nothing identifies (a caller's own source).
    pub(crate) fn fingerprint(&self, client_id: &ClientId) -> Option<String> {
        match self {
            Self::Secret(secret) => Some(secret_fingerprint(secret, client_id)),
            Self::Assertion(source) => {
                match (source.certificate_description(), source.federated_description()) {
                    (Some(saved), _) => Some(certificate_fingerprint(&saved.thumbprint)),
                    (None, Some(federated)) => Some(federated_fingerprint(&federated)),
                    (None, None) => None,
                }
            }
        }
    }
}

/// A certificate's fingerprint: `x5t:` and its SHA-1 thumbprint in lower-case hex.
pub(crate) fn certificate_fingerprint(thumbprint: &str) -> String {
    format!("x5t:{}", thumbprint.to_ascii_lowercase())
}

/// A keyed hash of a client secret, kept so that a later use of a secret can be told apart from the one
/// that connected without keeping the secret: PBKDF2-HMAC-SHA256 keyed by the client id (so equal
/// secrets of two applications differ), 10,000 rounds (so a weak secret is not cheap to guess from a
/// context or cache file), 16 bytes in hex. Workers of a fleet presenting the same secret for the same
/// application compute the same value, so they share tokens.
pub fn secret_fingerprint(secret: &ClientSecret, client_id: &ClientId) -> String {
    use sha2::Digest as _;
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Every silent request with a secret asks for it, a thousand concurrent callers included: the
    // deliberately slow derivation runs once a secret and client in this process (a few, so the memo is
    // small; it is emptied past 64). The memo's key is a SHA-256 of both, never the secret.
    static MEMO: OnceLock<Mutex<HashMap<[u8; 32], String>>> = OnceLock::new();
    let key: [u8; 32] = sha2::Sha256::new()
        .chain_update(client_id.as_str().as_bytes())
        .chain_update([0u8])
        .chain_update(secret.secret().as_bytes())
        .finalize()
        .into();
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(found) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found.clone();
    }
    let fingerprint = derive_secret_fingerprint(secret, client_id);
    let mut memo = memo.lock().unwrap_or_else(|e| e.into_inner());
    if memo.len() >= 64 {
        memo.clear();
    }
    memo.insert(key, fingerprint.clone());
    fingerprint
}

fn derive_secret_fingerprint(secret: &ClientSecret, client_id: &ClientId) -> String {
    let mut out = [0u8; 16];
    let salt = format!("msconnect credential fingerprint v1 {}", client_id.as_str());
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(10_000).unwrap_or(std::num::NonZeroU32::MIN),
        salt.as_bytes(),
        secret.secret().as_bytes(),
        &mut out,
    );
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!("s1:{hex}")
}

/// A federated credential's fingerprint: `wif:` and 16 bytes (hex) of the SHA-256 of its saved source
/// (the file's path, or the CI system and service connection). The token changes every few minutes, so
/// it cannot be the mark; the source can: a token earned through one source is not served to a connect
/// through another (a secret, a certificate, another file), which goes to the authority instead.
pub(crate) fn federated_fingerprint(source: &SavedFederatedSource) -> String {
    use sha2::Digest as _;
    let described = serde_json::to_vec(source).unwrap_or_default();
    let digest = sha2::Sha256::new()
        .chain_update(b"msconnect federated source v1\0")
        .chain_update(&described)
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("wif:{hex}")
}
