//! The path `msconnect <module> token` takes through auth-core when the token is cached, as a program of
//! its own: the module's saved connection and the token cache under `MSCONNECT_HOME`, no async runtime,
//! no TLS. `cargo xtask bench` times it as a whole process when the `msconnect` binary has no `token`
//! command, to show what auth-core costs a process.
//!
//! `MSCONNECT_HOME=DIR cargo run --release -p msconnect-auth-core --example cached_token -- MODULE`
#![allow(clippy::print_stdout)] // printing the token is the program's job

use auth_core::{EnvVars, Session, SessionOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let module = std::env::args().nth(1).ok_or("usage: cached_token MODULE")?;
    let session = Session::new(SessionOptions::persistent(EnvVars::from_process())?);
    let connection = session.connection(module.as_str())?;
    let token = session
        .cached_token(&connection, &[])?
        .ok_or("no cached token: this program does not renew tokens")?;
    println!("{}", token.access_token.secret());
    Ok(())
}
