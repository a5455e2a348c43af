//! What a fleet of workers sets for the Redis cache ([`RedisOptions`]), and the variables it may read them
//! from.

use std::path::PathBuf;
use std::time::Duration;

use crate::cache::seal::{CACHE_KEY_VARIABLE, CacheKey};
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::secret::Password;

/// The variable holding the password when the URL has none.
pub const CACHE_PASSWORD_VARIABLE: &str = "MSCONNECT_CACHE_PASSWORD";
/// The variable that, set to `file`, makes an unreachable Redis fall back to the local file cache.
pub const CACHE_FALLBACK_VARIABLE: &str = "MSCONNECT_CACHE_FALLBACK";
/// The variable setting the refresh lock's time to live, in seconds.
pub const CACHE_LOCK_VARIABLE: &str = "MSCONNECT_CACHE_LOCK_SECONDS";

/// Options of [`TokenCache::redis`](crate::cache::TokenCache::redis).
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The password, used when the URL has none (`MSCONNECT_CACHE_PASSWORD`).
    pub password: Option<Password>,
    /// Seals each entry's secret with AES-256-GCM (`MSCONNECT_CACHE_KEY`); `None` stores secrets in clear,
    /// as MSAL's own caches do.
    pub key: Option<CacheKey>,
    /// A token cache file to use instead, with a warning, once Redis cannot be reached
    /// (`MSCONNECT_CACHE_FALLBACK=file` names `$MSCONNECT_HOME/msal_token_cache.json`); `None` makes an
    /// unreachable Redis an error.
    pub fallback: Option<PathBuf>,
    /// What every key starts with, so several fleets can share one Redis.
    pub key_prefix: String,
    /// Time allowed to connect (TCP, TLS and the handshake).
    pub connect_timeout: Duration,
    /// Time allowed for the answer to one command.
    pub command_timeout: Duration,
    /// How long the refresh lock lives (`MSCONNECT_CACHE_LOCK_SECONDS`): the longest a worker that dies
    /// holding it delays the others.
    pub lock_ttl: Duration,
    /// How often a worker waiting for another's renewal looks for the new token.
    pub lock_poll: Duration,
    /// Time to live of refresh tokens, ID tokens, accounts and app metadata, which carry no expiry of
    /// their own; each write starts it again.
    pub refresh_token_ttl: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            password: None,
            key: None,
            fallback: None,
            key_prefix: "msconnect".into(),
            connect_timeout: Duration::from_secs(3),
            command_timeout: Duration::from_secs(3),
            lock_ttl: Duration::from_secs(15),
            lock_poll: Duration::from_millis(50),
            refresh_token_ttl: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

impl RedisOptions {
    /// The options the environment sets: `MSCONNECT_CACHE_PASSWORD`, `MSCONNECT_CACHE_KEY`,
    /// `MSCONNECT_CACHE_FALLBACK` (`file`: `msal_token_cache.json` in the folder `home` gives) and
    /// `MSCONNECT_CACHE_LOCK_SECONDS`.
    pub fn from_env(env: &EnvVars, home: impl FnOnce() -> Result<std::path::PathBuf>) -> Result<Self> {
        let mut options = Self {
            password: env.get(CACHE_PASSWORD_VARIABLE).map(Password::new),
            key: env
                .get(CACHE_KEY_VARIABLE)
                .map(CacheKey::from_base64)
                .transpose()?,
            ..Self::default()
        };
        match env.get(CACHE_FALLBACK_VARIABLE) {
            None => {}
            Some(value) if value.eq_ignore_ascii_case("file") => {
                options.fallback = Some(home()?.join(crate::cache::CACHE_FILE_NAME));
            }
            Some(other) => {
                return Err(Error::invalid(
                    CACHE_FALLBACK_VARIABLE,
                    format!("'{other}' is not a fallback: the only one is `file`"),
                ));
            }
        }
        if let Some(seconds) = env.get(CACHE_LOCK_VARIABLE) {
            options.lock_ttl = seconds
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.1 && *s <= 3600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    Error::invalid(
                        CACHE_LOCK_VARIABLE,
                        format!("'{seconds}' is not a number of seconds between 0.1 and 3600"),
                    )
                })?;
        }
        Ok(options)
    }
}
