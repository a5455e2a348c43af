//! One worker of a fleet, for the shared-cache suite: it builds its session as the command line does
//! (`cmdlet::persistent_options`, so `MSCONNECT_HOME` and `MSCONNECT_CACHE_*` decide the token cache, and
//! `MSCONNECT_CACHE_PROTECTION` how its file is kept at rest),
//! then connects as an application (`WORKER_CLIENT_ID`, `MSCONNECT_CLIENT_SECRET`) to each tenant read
//! from standard input, one a line, printing one JSON line per tenant: its token or its error, and how
//! long it took. The authority is `AZURE_AUTHORITY_HOST`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test program: printing is how it reports

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::time::Instant;

use auth_core::{
    CacheProtection, ClientCredential, ClientId, ClientSecret, Cloud, EnvVars, Environment, Session,
    SignInMethod, SignInRequest, Tenant,
};
use serde_json::json;

const SCOPE: &str = "https://graph.microsoft.com/.default";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_ansi(false)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cache-worker: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let env = EnvVars::from_process();
    let variable = |name: &str| {
        env.get(name)
            .map(str::to_owned)
            .ok_or_else(|| format!("{name} is not set"))
    };
    let client_id = ClientId::parse(&variable("WORKER_CLIENT_ID")?).map_err(|e| e.to_string())?;
    let secret = variable("MSCONNECT_CLIENT_SECRET")?;
    let mut options = cmdlet::persistent_options(env.clone()).map_err(|e| e.to_string())?;
    // the file at rest as the command line keeps it (`none` unless set, as in the other suites)
    if let Some(protection) = env.get("MSCONNECT_CACHE_PROTECTION") {
        let protection = protection.parse::<CacheProtection>()?;
        options.cache = options
            .cache
            .with_protection(protection, "MSCONNECT_CACHE_PROTECTION");
    }
    let session = Session::new(options);
    let environment = session
        .resolve_environment(&Environment::from(Cloud::AzureCloud))
        .await
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("reading standard input: {e}"))?;
        let tenant = line.trim();
        if tenant.is_empty() {
            continue;
        }
        let started = Instant::now();
        let request = SignInRequest {
            environment: environment.clone(),
            tenant: Tenant::parse(tenant).map_err(|e| e.to_string())?,
            client_id: client_id.clone(),
            scopes: vec![SCOPE.to_owned()],
            method: SignInMethod::Application(ClientCredential::Secret(ClientSecret::new(secret.as_str()))),
            client_capabilities: Vec::new(),
            claims: None,
        };
        let report = match session.sign_in(&request).await {
            Ok(result) => json!({ "tenant": tenant, "token": result.access_token.secret() }),
            Err(error) => json!({ "tenant": tenant, "error": error.to_string() }),
        };
        let mut report = report;
        report["ms"] = (started.elapsed().as_millis() as u64).into();
        writeln!(out, "{report}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("writing standard output: {e}"))?;
    }
    Ok(())
}
