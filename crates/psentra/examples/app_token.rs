//! An application's access tokens from this crate alone: connect with a client secret, then one token per
//! scope from the connection handle, each later scope renewed in memory with the secret the handle keeps.
//!
//! ```text
//! echo "$SECRET" | cargo run -p msconnect-psentra --example app_token -- TENANT APP_ID SCOPE...
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use psentra::{ClientId, ClientSecret, Session, SessionOptions, Tenant, Url};
use psentra::{ConnectPsEntra, PsEntraSignIn, connect};

const HELP: &str = "\
app_token: prints an application's access token for each SCOPE, one a line

usage: app_token [--authority-host URL] TENANT APP_ID SCOPE...

Connects to Microsoft Entra ID (Microsoft Graph) as the application APP_ID of TENANT (a tenant id or domain) with its client
secret, read from the first line of stdin (nothing is read from MSCONNECT_* variables), then prints one
access token per SCOPE, each from the connection handle: the second scope and later ones are renewed in
memory with the secret the handle keeps. Nothing is written to disk.

  --authority-host URL   the authority to sign in at (else AZURE_AUTHORITY_HOST, else the cloud's)
  -h, --help             this help";

struct Args {
    authority_host: Option<Url>,
    tenant: String,
    app_id: String,
    scopes: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut authority_host = None;
    let mut positional = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--authority-host" => {
                let url = args.next().ok_or("--authority-host needs a URL")?;
                authority_host = Some(Url::parse(&url).map_err(|e| format!("--authority-host: {e}"))?);
            }
            _ => positional.push(arg),
        }
    }
    if positional.len() < 3 {
        return Err("give TENANT APP_ID and at least one SCOPE (see --help)".into());
    }
    let scopes = positional.split_off(2);
    let app_id = positional.pop().unwrap_or_default();
    let tenant = positional.pop().unwrap_or_default();
    Ok(Some(Args {
        authority_host,
        tenant,
        app_id,
        scopes,
    }))
}

async fn run(args: Args, secret: String) -> Result<(), Box<dyn std::error::Error>> {
    let session = Session::new(SessionOptions {
        authority_host: args.authority_host,
        ..SessionOptions::default()
    });
    let (_token, connected) = connect(
        &session,
        ConnectPsEntra {
            client_id: ClientId::parse(&args.app_id)?,
            tenant: Tenant::parse(&args.tenant)?,
            scopes: Vec::new(),
            environment: psentra::ENVIRONMENTS.default_environment(),
            pass_thru: false,
            set: PsEntraSignIn::AppSecret(ClientSecret::new(secret)),
        },
    )
    .await?;
    for scope in &args.scopes {
        let token = connected.token(&[scope.as_str()]).await?;
        println!("{}", token.access_token.secret());
    }
    connected.disconnect()?;
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("app_token: {message}");
            return ExitCode::from(2);
        }
    };
    let mut secret = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut secret) {
        eprintln!("app_token: reading the client secret from stdin: {e}");
        return ExitCode::FAILURE;
    }
    let secret = secret.trim_end_matches(['\r', '\n']).to_owned();
    // any tokio runtime will do: the library needs tokio's timers and sockets (features `rt`, `net`, `time`)
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("app_token: starting tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, secret)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("app_token: {e}");
            ExitCode::FAILURE
        }
    }
}
