//! What happens after the options are bound: the sign-in on a runtime built only now (Ctrl-C cancels it,
//! exit 130) and the connection saved; `context`, `token` (from the cache without a runtime when it can)
//! and `disconnect`, all through auth-core's `Session` and the files under `MSCONNECT_HOME`.

use std::sync::Arc;

use auth_core::time::format_rfc3339;
use auth_core::{
    AccessToken, CacheProtection, Connection, RenewalCredentials, Session, SessionOptions, TokenCache,
};
use clap::ArgMatches;
use cmdlet::{Bound, Command, Lifecycle, Module};
use serde_json::{Value, json};

use crate::app::App;
use crate::connect::{confirm, failure};
use crate::exit::Failure;
use crate::interaction::CliInteraction;
use crate::modules;
use crate::output::{self, Format};

/// The variable that says how the token cache file is kept at rest: `auto` (the default), `keyring`,
/// `kernel` or `none`.
pub(crate) const CACHE_PROTECTION_VARIABLE: &str = "MSCONNECT_CACHE_PROTECTION";

/// The session of the command line: the token cache and the contexts in `MSCONNECT_HOME`, the cache file
/// protected as `MSCONNECT_CACHE_PROTECTION` says, messages and progress on stderr. Building it touches no
/// file and no network; a required keystore (`keyring`, `kernel`) is looked for.
pub(crate) fn session(app: &App) -> Result<Session, Failure> {
    Ok(Session::new(SessionOptions {
        interaction: Arc::new(CliInteraction::default()),
        ..persistent_options(app)?
    }))
}

/// The options every session of the command line starts from: the files in `MSCONNECT_HOME`, the cache
/// protected as `MSCONNECT_CACHE_PROTECTION` says, and the secrets a saved connection renews with.
pub(crate) fn persistent_options(app: &App) -> Result<SessionOptions, Failure> {
    let options = SessionOptions::persistent(app.env.clone())?;
    let cache = protected(options.cache, app)?;
    Ok(SessionOptions {
        cache,
        renewal: renewal_credentials(&app.env),
        ..options
    })
}

/// The cache with the protection `MSCONNECT_CACHE_PROTECTION` names; an error when that value is not one
/// of the four, or names a keystore that is not there.
pub(crate) fn protected(cache: TokenCache, app: &App) -> Result<TokenCache, Failure> {
    let protection = match app.env.get(CACHE_PROTECTION_VARIABLE) {
        None => CacheProtection::default(),
        Some(value) => value.parse::<CacheProtection>().map_err(|reason| {
            Failure::Usage(format!("invalid value for {CACHE_PROTECTION_VARIABLE}: {reason}"))
        })?,
    };
    let cache = cache.with_protection(protection, CACHE_PROTECTION_VARIABLE);
    cache.check_protection()?;
    Ok(cache)
}

/// How the token cache is kept, as `context` (and `status`) show it: its path, the protection's word
/// (`keyring`, `kernel`, `none`) and its description; `None` for a cache without a file (Redis).
pub(crate) fn cache_summary(session: &Session) -> Option<(String, String, String)> {
    let cache = session.cache();
    let path = cache.path()?;
    let in_force = match cache.protection_in_force() {
        Ok(Some(in_force)) => in_force,
        Ok(None) => return None,
        Err(e) => return Some((path.display().to_string(), "unknown".into(), e.to_string())),
    };
    Some((
        path.display().to_string(),
        in_force.word().into(),
        in_force.to_string(),
    ))
}

/// Where a saved application connection's renewal finds its credential in a later run: the client secret
/// in what `--client-secret` and `--credential APP` read when connecting (the one whose fingerprint is
/// the connecting secret's is chosen), a PFX file's password in what `--certificate-password` reads.
pub(crate) fn renewal_credentials(env: &auth_core::EnvVars) -> RenewalCredentials {
    RenewalCredentials {
        client_secrets: SECRET_VARIABLES
            .iter()
            .filter_map(|variable| env.get(variable))
            .map(auth_core::ClientSecret::new)
            .collect(),
        certificate_password: env
            .get("MSCONNECT_CERTIFICATE_PASSWORD")
            .map(auth_core::Password::new),
    }
}

/// Where a renewal reads an application's client secret, in order.
pub(crate) const SECRET_VARIABLES: [&str; 2] = ["MSCONNECT_CLIENT_SECRET", "MSCONNECT_PASSWORD"];

/// Runs the future on a current-thread runtime built for it; Ctrl-C cancels it.
fn block_on_cancellable<T>(future: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("starting the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::select! {
            // polled first, so the handler is in place before the sign-in says Ctrl-C cancels it
            biased;
            _ = tokio::signal::ctrl_c() => Err(Failure::Cancelled("cancelled".into())),
            result = future => result,
        }
    })
}

fn print(format: Format, json: &Value, table: &str) -> Result<(), Failure> {
    match format {
        // the product crates' lists end without a newline
        Format::Table if !table.ends_with('\n') => output::print(&format!("{table}\n")),
        Format::Table => output::print(table),
        Format::Json | Format::ExecCredential => output::print(&output::json(json)),
    }
}

/// Connects (or gets a token, for New-PartnerAccessToken) and prints the result.
pub(crate) fn connect(
    app: &App,
    module: &'static Module,
    command: &'static dyn Command,
    bound: Bound,
) -> Result<(), Failure> {
    // the product crate saves the connection under its module name, which is `module.name`
    let session = session(app)?;
    let cmdlet = command.cmdlet();
    let outcome =
        block_on_cancellable(async { command.run(&session, bound).await.map_err(|e| failure(cmdlet, e)) })?;
    tracing::debug!(target: "msconnect", "{}: done", module.name);
    print(app.format, &outcome.json, &outcome.table)
}

/// The module's saved connection, its context read as it was saved.
fn saved(module: &Module) -> Lifecycle<Value> {
    Lifecycle::new(module.name)
}

fn not_connected(module: &Module) -> Failure {
    Failure::Failed(format!(
        "not connected to {}: run `msconnect {} connect` first",
        module.title, module.name
    ))
}

/// `context`: prints the saved context.
pub(crate) fn context(app: &App, module: &'static Module) -> Result<(), Failure> {
    let session = session(app)?;
    let Some(context) = saved(module)
        .current_context(&session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
    else {
        return Err(not_connected(module));
    };
    let table = (module.context_table)(context.clone()).map_err(|e| {
        Failure::Failed(format!(
            "the saved {} context cannot be read ({e}); run `msconnect {} connect` again",
            module.title, module.name
        ))
    })?;
    match cache_summary(&session) {
        Some((path, word, said)) => {
            let mut context = context;
            if let Value::Object(fields) = &mut context {
                fields.insert("TokenCache".into(), json!({ "Path": path, "Protection": word }));
            }
            let table = format!("{}\n\nToken cache: {path} ({said})", table.trim_end_matches('\n'));
            print(app.format, &context, &table)
        }
        None => print(app.format, &context, &table),
    }
}

/// An access token the way every command that prints one needs it.
pub(crate) struct Fetched {
    pub(crate) token: AccessToken,
    /// Epoch seconds.
    pub(crate) expires_on: i64,
    pub(crate) tenant: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) token_type: String,
}

/// A token for `connection` and `scopes` (none: the connection's): from the cache without a runtime or
/// TLS when it can, else renewed silently.
pub(crate) fn fetch(
    session: &Session,
    connection: &Connection,
    scopes: &[String],
) -> Result<Fetched, Failure> {
    if let Some(hit) = session.cached_token(connection, scopes)? {
        return Ok(Fetched {
            token: hit.access_token,
            expires_on: hit.expires_on,
            tenant: hit.realm,
            scopes: hit.scopes,
            token_type: hit.token_type,
        });
    }
    tracing::debug!(target: "msconnect", "no cached token: renewing it");
    let result =
        block_on_cancellable(async { session.token(connection, scopes).await.map_err(Failure::from) })?;
    Ok(Fetched {
        token: result.access_token,
        expires_on: result.expires_on,
        tenant: result.tenant_id,
        scopes: result.scopes,
        token_type: result.token_type,
    })
}

/// `token`: prints an access token for the current context, for `--scopes` (none: the context's). A
/// cached token is printed without a runtime or TLS; only a renewal builds them. `-o exec-credential`
/// prints kubectl's `ExecCredential`, and never prompts.
pub(crate) fn token(app: &App, module: &'static Module, scopes: Vec<String>) -> Result<(), Failure> {
    let scopes = auth_core::flows::normalize_scopes(scopes);
    let session = match app.format {
        Format::ExecCredential => crate::exec_credential::session(app)?,
        _ => session(app)?,
    };
    let Some((connection, _)) = session.load_connection::<Value>(module.name)? else {
        return Err(not_connected(module));
    };
    let fetched = fetch(&session, &connection, &scopes)?;
    match app.format {
        // the bare token, so `$(msconnect partnercenter token)` is a bearer token
        Format::Table => output::print(&format!("{}\n", fetched.token.secret())),
        Format::Json => output::print(&output::json(&json!({
            "AccessToken": fetched.token.secret(),
            "ExpiresOn": format_rfc3339(fetched.expires_on),
            "TenantId": fetched.tenant,
            "Scopes": fetched.scopes,
            "TokenType": fetched.token_type,
        }))),
        Format::ExecCredential => crate::exec_credential::print(app, &fetched),
    }
}

/// `disconnect`: forgets the context and removes its tokens from the cache.
pub(crate) fn disconnect(app: &App, module: &'static Module, matches: &ArgMatches) -> Result<(), Failure> {
    let target = format!("{} context", module.title);
    if matches.get_flag(modules::WHAT_IF) {
        return output::print(&format!("{}\n", cmdlet::bind::what_if("Disconnect", &target)));
    }
    if matches.get_flag(modules::CONFIRM) {
        confirm("Disconnect", &target)?;
    }
    if saved(module)
        .disconnect(&session(app)?)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
    {
        eprintln!("Disconnected from {}.", module.title);
    } else {
        eprintln!("Not connected to {}: nothing to forget.", module.title);
    }
    Ok(())
}
