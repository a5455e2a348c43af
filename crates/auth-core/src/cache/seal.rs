//! Encryption at rest for the shared token cache: each entry's `secret` sealed with AES-256-GCM under a
//! key the fleet shares (base64 of 32 bytes on the command line), a random nonce per value, and the
//! entry's Redis key as associated data, so a sealed value copied under another key does not open.

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What a sealed secret starts with: the scheme, so a value written without a key is told apart.
pub(super) const SEALED_PREFIX: &str = "msconnect-aes256gcm:";

/// The 32-byte key that seals the secrets of the shared token cache.
///
/// `Debug` prints `[redacted]`; the bytes are zeroized on drop.
#[derive(Clone)]
pub struct CacheKey(Zeroizing<[u8; 32]>);

impl CacheKey {
    /// A key from its 32 bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A key from base64 (standard or URL-safe, padded or not), as the setting `setting` holds it
    /// (`openssl rand -base64 32` makes one). The error names `setting` and never the value.
    pub fn from_base64(text: &str, setting: &str) -> Result<Self> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let text = text.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| {
                Error::invalid(
                    setting,
                    "it is not base64: give 32 random bytes in base64 (`openssl rand -base64 32`)",
                )
            })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            Error::invalid(
                setting,
                format!(
                    "it holds {} bytes, an AES-256 key has 32: give 32 random bytes in base64 (`openssl rand -base64 32`)",
                    bytes.len()
                ),
            )
        })?;
        Ok(Self::new(key))
    }

    fn aead(&self) -> LessSafeKey {
        // 32 bytes is always a valid AES-256 key
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, self.0.as_slice()).unwrap_or_else(|_| unreachable!()))
    }

    /// `SEALED_PREFIX` + base64(nonce ‖ ciphertext ‖ tag) of `secret`, bound to `context` (the Redis key).
    pub(super) fn seal(&self, secret: &str, context: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| Error::Random)?;
        let mut sealed = Zeroizing::new(secret.as_bytes().to_vec());
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut *sealed,
            )
            .map_err(|_| Error::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// The secret inside a value [`seal`](Self::seal) made for `context`; `None` when this key does not
    /// open it (another key, another context, or a damaged value).
    pub(super) fn open(&self, sealed: &str, context: &str) -> Option<Zeroizing<String>> {
        let encoded = sealed.strip_prefix(SEALED_PREFIX)?;
        let mut bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?);
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(&bytes[..NONCE_LEN]).ok()?;
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut bytes[NONCE_LEN..])
            .ok()?;
        Some(Zeroizing::new(String::from_utf8(plain.to_vec()).ok()?))
    }
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CacheKey({})", crate::secret::REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CacheKey {
        CacheKey::new([byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_context_only() {
        let sealed = key(7).seal("the-refresh-token", "msconnect:k").unwrap();
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("the-refresh-token"));
        assert_eq!(
            key(7).open(&sealed, "msconnect:k").unwrap().as_str(),
            "the-refresh-token"
        );
        assert!(key(8).open(&sealed, "msconnect:k").is_none(), "another key");
        assert!(
            key(7).open(&sealed, "msconnect:other").is_none(),
            "another Redis key"
        );
        assert!(
            key(7).open("the-refresh-token", "msconnect:k").is_none(),
            "not sealed"
        );
    }

    #[test]
    fn each_seal_uses_a_new_nonce() {
        let k = key(1);
        assert_ne!(k.seal("same", "c").unwrap(), k.seal("same", "c").unwrap());
    }

    #[test]
    fn a_malformed_key_names_the_variable_but_not_the_value() {
        insta::assert_snapshot!(CacheKey::from_base64("not base64!", "MSCONNECT_CACHE_KEY").unwrap_err(), @"invalid value for MSCONNECT_CACHE_KEY: it is not base64: give 32 random bytes in base64 (`openssl rand -base64 32`)");
        insta::assert_snapshot!(CacheKey::from_base64("c2hvcnQta2V5", "MSCONNECT_CACHE_KEY").unwrap_err(), @"invalid value for MSCONNECT_CACHE_KEY: it holds 9 bytes, an AES-256 key has 32: give 32 random bytes in base64 (`openssl rand -base64 32`)");
        let good = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        let parsed = CacheKey::from_base64(&good, "key").unwrap();
        assert_eq!(format!("{parsed:?}"), "CacheKey([redacted])");
        let sealed = parsed.seal("x", "c").unwrap();
        assert_eq!(key(3).open(&sealed, "c").unwrap().as_str(), "x");
    }
}
