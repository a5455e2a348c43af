//! Writes what `cargo xtask bench` runs `msconnect <module> token` and MSAL Python against: a token cache
//! of N signed-in users (tokens issued now, at Microsoft's sizes), the module's saved connection for the
//! last of them, and `bench_spec.json` telling MSAL Python which account and scopes to ask for. With
//! `--named`, also one named connection a user (`bench-0` …), for `token --context` and `status`.
//!
//! `cargo run --release -p msconnect-auth-core --example bench_fixture -- DIR ACCOUNTS MODULE [--named] [PROTECTION]`
//!
//! With PROTECTION (`none`, `kernel`, `keyring`, `auto`), the last sign-in is saved once more through a
//! cache with that protection, which writes the file as msconnect keeps it at rest.
#![allow(clippy::print_stdout)] // prints the token the runs must print, for the bench to check

use std::path::PathBuf;
use std::time::SystemTime;

use auth_core::epoch_seconds;
use auth_core::{
    CACHE_FILE_NAME, CacheProtection, ClientId, Cloud, Connection, EnvVars, Environment, SignedIn, Tenant,
    TokenCache, UserMethod,
};
use test_support::saved::Saves as _;
use test_support::{
    LARGE_CACHE_CLIENT_ID, LARGE_CACHE_SCOPE, LARGE_CACHE_TENANT, large_cache, large_cache_sign_in,
    session_in,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_fixture DIR ACCOUNTS MODULE [--named] [PROTECTION]";
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let accounts: usize = args.next().ok_or(usage)?.parse()?;
    let module = args.next().ok_or(usage)?;
    let (mut named, mut protection) = (false, None);
    for word in args {
        match word.as_str() {
            "--named" => named = true,
            other => protection = Some(other.parse::<CacheProtection>().map_err(|_| usage)?),
        }
    }
    if accounts == 0 {
        return Err("ACCOUNTS must be at least 1".into());
    }
    let now = epoch_seconds(SystemTime::now());
    std::fs::create_dir_all(&dir)?;
    write_private(&dir.join(CACHE_FILE_NAME), &large_cache(accounts, now))?;
    let (session, _) = session_in(&dir, EnvVars::default());
    if named {
        for index in 0..accounts {
            let (connection, context, _) = saved_connection(index, now)?;
            let name = format!("bench-{index}");
            session.save_connection((module.as_str(), name.as_str()), &connection, &context)?;
        }
    }
    let user = large_cache_sign_in(accounts - 1, now);
    if let Some(protection) = protection {
        TokenCache::open(dir.join(CACHE_FILE_NAME))
            .with_protection(protection, "PROTECTION")
            .save(&user, &[])?;
    }
    let (connection, context, home) = saved_connection(accounts - 1, now)?;
    session.save_connection(module.as_str(), &connection, &context)?;
    let spec = serde_json::json!({
        "client_id": LARGE_CACHE_CLIENT_ID,
        "tenant": LARGE_CACHE_TENANT,
        "home_account_id": home,
        "scopes": [LARGE_CACHE_SCOPE],
    });
    write_private(&dir.join("bench_spec.json"), spec.to_string().as_bytes())?;
    println!("{}", user.access_token.secret());
    Ok(())
}

/// The saved connection and context of the `index`-th user of the cache, and the user's home account id.
fn saved_connection(
    index: usize,
    now: i64,
) -> Result<(Connection, serde_json::Value, String), Box<dyn std::error::Error>> {
    let user = large_cache_sign_in(index, now);
    let home = user
        .home_account_id()
        .ok_or("the sign-in has no account")?
        .to_owned();
    let username = user.account.as_ref().map(|a| a.username.clone());
    let connection = Connection::from_parts(
        Environment::from(Cloud::AzureCloud),
        Tenant::parse(LARGE_CACHE_TENANT)?,
        ClientId::parse(LARGE_CACHE_CLIENT_ID)?,
        vec![LARGE_CACHE_SCOPE.into()],
        SignedIn::User {
            home_account_id: home.clone(),
            username: username.clone(),
            method: UserMethod::Browser,
        },
    );
    let context = serde_json::json!({
        "Account": username,
        "Environment": "AzureCloud",
        "Tenant": LARGE_CACHE_TENANT,
        "ClientId": LARGE_CACHE_CLIENT_ID,
    });
    Ok((connection, context, home))
}

/// Test tokens, but a token cache all the same: readable by the owner only, as msconnect keeps it.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}
