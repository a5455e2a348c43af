//! msconnect's variables (`MSCONNECT_*`), mapped onto auth-core's typed options: auth-core reads none of
//! them. The command line's sessions start from [`persistent_options`].

use std::path::Path;
use std::sync::Arc;

use auth_core::CACHE_FILE_NAME;
use auth_core::EnvVars;
use auth_core::{HttpOptions, Result, SessionOptions, TokenCache};

use crate::home::{msconnect_home, shared_folders};
use crate::saved::ContextStore;

/// The variables that hold msconnect's secrets: a browser started for a sign-in gets an environment
/// without them ([`SessionOptions::secret_variables`]), nor the Azure ecosystem's.
pub const SECRET_VARIABLES: [&str; 8] = [
    "MSCONNECT_PASSWORD",
    "MSCONNECT_CLIENT_SECRET",
    "MSCONNECT_REFRESH_TOKEN",
    "MSCONNECT_ACCESS_TOKEN",
    "MSCONNECT_CERTIFICATE_PASSWORD",
    "MSCONNECT_CACHE_KEY",
    "MSCONNECT_CACHE_PASSWORD",
    // its URL may carry the Redis password (`rediss://:password@host`)
    "MSCONNECT_CACHE_URL",
];

/// What the command line's sessions start from: the token cache, the contexts and the certificates under
/// `MSCONNECT_HOME`,
/// or the token cache in Redis when `MSCONNECT_CACHE_URL` names one ([`token_cache`]), and
/// msconnect's secret variables kept out of a browser's environment.
pub fn persistent_options(env: EnvVars) -> Result<SessionOptions> {
    // one look-up and one check of MSCONNECT_HOME (a walk of its files) for the cache and the contexts
    let home = msconnect_home(&env)?;
    Ok(SessionOptions {
        cache: token_cache(&env, &home)?,
        saved: Some(Arc::new(ContextStore::in_home(&home))),
        secret_variables: SECRET_VARIABLES.map(str::to_owned).to_vec(),
        certificates: Some(home.join("certificates")),
        shared_folders: shared_folders(&env),
        http: HttpOptions {
            env,
            ..HttpOptions::default()
        },
        ..SessionOptions::default()
    })
}

/// The variable naming a shared token cache: `redis://[user[:password]@]host[:port][/db]`, or
/// `rediss://…` for TLS (feature `redis`).
pub const CACHE_URL_VARIABLE: &str = "MSCONNECT_CACHE_URL";
/// The variable holding the Redis password when the URL has none.
pub const CACHE_PASSWORD_VARIABLE: &str = "MSCONNECT_CACHE_PASSWORD";
/// The variable holding the key that seals the Redis cache's secrets (base64 of 32 bytes).
pub const CACHE_KEY_VARIABLE: &str = "MSCONNECT_CACHE_KEY";
/// The variable that, set to `file`, makes an unreachable Redis fall back to the local file cache.
pub const CACHE_FALLBACK_VARIABLE: &str = "MSCONNECT_CACHE_FALLBACK";
/// The variable setting the Redis refresh lock's time to live, in seconds.
pub const CACHE_LOCK_VARIABLE: &str = "MSCONNECT_CACHE_LOCK_SECONDS";

/// The token cache the variables name: Redis when `MSCONNECT_CACHE_URL` is set (`redis://` or
/// `rediss://`, with the options of [`redis_options`]), else the file `msal_token_cache.json` in `home`
/// (msconnect's folder, which the caller found and checked). Nothing is connected until the cache is
/// first used.
pub fn token_cache(env: &EnvVars, home: &Path) -> Result<TokenCache> {
    let Some(url) = env.get(CACHE_URL_VARIABLE) else {
        return Ok(TokenCache::open(home.join(CACHE_FILE_NAME)));
    };
    #[cfg(feature = "redis")]
    {
        TokenCache::redis(url, redis_options(env, home)?)
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = url;
        Err(auth_core::Error::invalid(
            CACHE_URL_VARIABLE,
            "this build has no Redis token cache: enable auth-core's `redis` feature, or unset it",
        ))
    }
}

/// The Redis cache's options the variables set: `MSCONNECT_CACHE_PASSWORD`, `MSCONNECT_CACHE_KEY`,
/// `MSCONNECT_CACHE_FALLBACK` (`file`: `msal_token_cache.json` in `home`) and
/// `MSCONNECT_CACHE_LOCK_SECONDS`; messages name these variables.
#[cfg(feature = "redis")]
pub fn redis_options(env: &EnvVars, home: &Path) -> Result<auth_core::RedisOptions> {
    use auth_core::Password;
    use auth_core::{CacheKey, Error, RedisOptions, RedisSettingNames};
    let mut options = RedisOptions {
        password: env.get(CACHE_PASSWORD_VARIABLE).map(Password::new),
        key: env
            .get(CACHE_KEY_VARIABLE)
            .map(|key| CacheKey::from_base64(key, CACHE_KEY_VARIABLE))
            .transpose()?,
        names: RedisSettingNames {
            url: CACHE_URL_VARIABLE.into(),
            key: CACHE_KEY_VARIABLE.into(),
            fallback: CACHE_FALLBACK_VARIABLE.into(),
        },
        ..RedisOptions::default()
    };
    match env.get(CACHE_FALLBACK_VARIABLE) {
        None => {}
        Some(value) if value.eq_ignore_ascii_case("file") => {
            options.fallback = Some(home.join(CACHE_FILE_NAME));
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
            .map(std::time::Duration::from_secs_f64)
            .ok_or_else(|| {
                Error::invalid(
                    CACHE_LOCK_VARIABLE,
                    format!("'{seconds}' is not a number of seconds between 0.1 and 3600"),
                )
            })?;
    }
    Ok(options)
}

#[cfg(test)]
mod tests;
