//! The path `msconnect <module> token` takes through auth-core when the token is cached, as a program of
//! its own: the module's saved connection and the token cache under `MSCONNECT_HOME`, no async runtime,
//! no TLS. `cargo xtask bench` times it as a whole process when the `msconnect` binary has no `token`
//! command, to show what auth-core costs a process. (The saved connection is read as cmdlet's store keeps
//! it, by the test support's copy of its layout: auth-core knows no store of its own.)
//!
//! `MSCONNECT_HOME=DIR cargo run --release -p msconnect-auth-core --example cached_token -- MODULE`
#![allow(clippy::print_stdout)] // printing the token is the program's job

use std::path::PathBuf;

use auth_core::{EnvVars, HttpOptions, Session, SessionOptions, TokenCache};
use test_support::saved::{Saves as _, TestStore};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let module = std::env::args().nth(1).ok_or("usage: cached_token MODULE")?;
    let home = PathBuf::from(
        std::env::var_os("MSCONNECT_HOME").ok_or("usage: MSCONNECT_HOME=DIR cached_token MODULE")?,
    );
    let env = EnvVars::from_process();
    let session = Session::new(SessionOptions {
        // the file the command line uses when no Redis cache is named
        cache: TokenCache::open(home.join(auth_core::CACHE_FILE_NAME)),
        saved: Some(TestStore::shared(home.join("contexts"))),
        http: HttpOptions {
            env,
            ..HttpOptions::default()
        },
        ..SessionOptions::default()
    });
    let connection = session.connection(module.as_str())?;
    let token = session
        .cached_token(&connection, &[])?
        .ok_or("no cached token: this program does not renew tokens")?;
    println!("{}", token.access_token.secret());
    Ok(())
}
