//! msconnect's variables (`MSCONNECT_*`), mapped onto auth-core's typed options: auth-core reads none of
//! them. The command line's sessions start from [`persistent_options`].

use std::sync::Arc;

use auth_core::env::EnvVars;
use auth_core::{HttpOptions, Result, SessionOptions, TokenCache};

use crate::home::msconnect_home;
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
/// or the token cache in Redis when `MSCONNECT_CACHE_URL` names one ([`TokenCache::from_env`]), and
/// msconnect's secret variables kept out of a browser's environment.
pub fn persistent_options(env: EnvVars) -> Result<SessionOptions> {
    // one look-up and one check of MSCONNECT_HOME (a walk of its files) for the cache and the contexts
    let home = msconnect_home(&env)?;
    Ok(SessionOptions {
        cache: TokenCache::from_env(&env, || Ok(home.clone()))?,
        saved: Some(Arc::new(ContextStore::in_home(&home))),
        secret_variables: SECRET_VARIABLES.map(str::to_owned).to_vec(),
        certificates: Some(home.join("certificates")),
        http: HttpOptions {
            env,
            ..HttpOptions::default()
        },
        ..SessionOptions::default()
    })
}
