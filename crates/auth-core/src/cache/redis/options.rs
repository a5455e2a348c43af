//! What a fleet of workers sets for the Redis cache ([`RedisOptions`]), and how the caller names those
//! settings in messages ([`RedisSettingNames`]): the command line reads them from its variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::cache::seal::CacheKey;
use crate::secret::Password;

/// Options of [`TokenCache::redis`](crate::cache::TokenCache::redis).
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The password, used when the URL has none.
    pub password: Option<Password>,
    /// Seals each entry's secret with AES-256-GCM; `None` stores secrets in clear,
    /// as MSAL's own caches do.
    pub key: Option<CacheKey>,
    /// A token cache file to use instead, with a warning, once Redis cannot be reached; `None` makes an
    /// unreachable Redis an error.
    pub fallback: Option<PathBuf>,
    /// What every key starts with, so several fleets can share one Redis.
    pub key_prefix: String,
    /// Time allowed to connect (TCP, TLS and the handshake).
    pub connect_timeout: Duration,
    /// Time allowed for the answer to one command.
    pub command_timeout: Duration,
    /// How long the refresh lock lives: the longest a worker that dies
    /// holding it delays the others.
    pub lock_ttl: Duration,
    /// How often a worker waiting for another's renewal looks for the new token.
    pub lock_poll: Duration,
    /// Time to live of refresh tokens, ID tokens, accounts and app metadata, which carry no expiry of
    /// their own; each write starts it again.
    pub refresh_token_ttl: Duration,
    /// How errors and warnings name the URL, the key and the fallback.
    pub names: RedisSettingNames,
}

/// How errors and warnings name the settings of a Redis cache: the command line names its variables.
#[derive(Debug, Clone)]
pub struct RedisSettingNames {
    /// The URL's (`url` unless set).
    pub url: String,
    /// The key's ([`RedisOptions::key`]; `key` unless set).
    pub key: String,
    /// The fallback's, which messages show as `<name>=file` ([`RedisOptions::fallback`]; `fallback`
    /// unless set).
    pub fallback: String,
}

impl Default for RedisSettingNames {
    fn default() -> Self {
        Self {
            url: "url".into(),
            key: "key".into(),
            fallback: "fallback".into(),
        }
    }
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
            names: RedisSettingNames::default(),
        }
    }
}
