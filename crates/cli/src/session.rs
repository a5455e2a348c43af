//! What happens after the options are bound: the sign-in on a runtime built only now (Ctrl-C cancels it,
//! exit 130) and the connection saved under its name; `context`, a token from the cache without a
//! runtime when it can ([`fetch`], for `token` and the other tools), `switch` and `disconnect` of a named
//! connection (by default the current one), all through auth-core's `Session` and the files under
//! `MSCONNECT_HOME`.

use std::sync::Arc;

use auth_core::{
    AccessToken, CacheProtection, Connection, Error, RenewalCredentials, Session, SessionOptions, TokenCache,
    TokenOptions,
};
use clap::ArgMatches;
use cmdlet::{Bound, Command, ConnectionName, Lifecycle, Module};
use serde_json::{Value, json};

use crate::app::App;
use crate::exit::{Failure, failure};
use crate::interaction::{CliInteraction, confirm};
use crate::modules;
use crate::output::{self, Format};
use crate::token_options;

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
    let options = cmdlet::persistent_options(app.env.clone())?;
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
pub(crate) fn block_on_cancellable<T>(
    future: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
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
    name: &ConnectionName,
) -> Result<(), Failure> {
    // the product crate saves the connection under its module name, which is `module.name`, as `name`
    let session = session(app)?;
    let cmdlet = command.cmdlet();
    let outcome = block_on_cancellable(async {
        command
            .run(&session, bound, name)
            .await
            .map_err(|e| failure(cmdlet, e))
    })?;
    tracing::debug!(target: "msconnect", "{}: done", module.name);
    print(app.format, &outcome.json, &outcome.table)
}

/// The module's saved connections, their contexts read as they were saved.
pub(crate) fn saved(module: &Module) -> Lifecycle<Value> {
    Lifecycle::new(module.name)
}

/// The connection a command acts on: the one named by `--context`, else the module's current one.
pub(crate) fn chosen(
    session: &Session,
    module: &Module,
    given: Option<ConnectionName>,
) -> Result<ConnectionName, Failure> {
    if let Some(name) = given {
        return Ok(name);
    }
    saved(module)
        .current_name(session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
        .ok_or_else(|| not_connected(session, module, &ConnectionName::default_name()))
}

/// No connection is saved as `name`: the connect command that makes it, and the names that are saved.
pub(crate) fn not_connected(session: &Session, module: &Module, name: &ConnectionName) -> Failure {
    let mut message = if *name == ConnectionName::default_name() {
        format!(
            "not connected to {}: run `msconnect {} connect` first",
            module.title, module.name
        )
    } else {
        format!(
            "not connected to {} as '{name}': run `msconnect {} connect --context {name}` first",
            module.title, module.name
        )
    };
    let others: Vec<String> = saved(module)
        .list(session)
        .unwrap_or_default()
        .into_iter()
        .map(|saved| saved.name.to_string())
        .collect();
    if !others.is_empty() {
        message.push_str(&format!(
            " (saved: {}; choose one with --context or `msconnect {} switch NAME`)",
            others.join(", "),
            module.name
        ));
    }
    Failure::Failed(message)
}

/// `context`: prints the saved context.
pub(crate) fn context(
    app: &App,
    module: &'static Module,
    name: Option<ConnectionName>,
) -> Result<(), Failure> {
    let session = session(app)?;
    let name = chosen(&session, module, name)?;
    let Some(context) = saved(module)
        .named(&name)
        .context(&session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
    else {
        return Err(not_connected(&session, module, &name));
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

/// A token for `connection` and `scopes` (none: the connection's) as `options` ask (`--tenant`,
/// `--force-refresh`, `--min-validity`, `--claims`): from the cache without a runtime or TLS when it can,
/// else renewed silently. `failure` says what an error of auth-core's becomes for the command.
pub(crate) fn fetch(
    session: &Session,
    connection: &Connection,
    scopes: &[String],
    options: &TokenOptions,
    failure: &dyn Fn(Error) -> Failure,
) -> Result<Fetched, Failure> {
    let cached = session
        .cached_token_with(connection, scopes, options)
        .map_err(token_options::named)?;
    if let Some(hit) = cached {
        return Ok(Fetched {
            token: hit.access_token,
            expires_on: hit.expires_on,
            tenant: hit.realm,
            scopes: hit.scopes,
            token_type: hit.token_type,
        });
    }
    tracing::debug!(target: "msconnect", "no cached token: renewing it");
    let result = block_on_cancellable(async {
        session
            .token_with(connection, scopes, options)
            .await
            .map_err(failure)
    })?;
    Ok(Fetched {
        token: result.access_token,
        expires_on: result.expires_on,
        tenant: result.tenant_id,
        scopes: result.scopes,
        token_type: result.token_type,
    })
}

/// `disconnect`: forgets the named connection (none: the current one) and removes its tokens from the
/// cache, but none another saved connection uses.
pub(crate) fn disconnect(app: &App, module: &'static Module, matches: &ArgMatches) -> Result<(), Failure> {
    let session = session(app)?;
    let typed = modules::context_for(&app.env, modules::context_of(matches), module.name)?;
    let name = match chosen(&session, module, typed) {
        Ok(name) => name,
        Err(_) => {
            eprintln!("Not connected to {}: nothing to forget.", module.title);
            return Ok(());
        }
    };
    // the previous release's words for the unnamed connection; a named one says its name
    let (target, whom) = if name == ConnectionName::default_name() {
        (format!("{} context", module.title), module.title.to_owned())
    } else {
        (
            format!("{} context '{name}'", module.title),
            format!("{} as '{name}'", module.title),
        )
    };
    if matches.get_flag(modules::WHAT_IF) {
        return output::print(&format!("{}\n", cmdlet::bind::what_if("Disconnect", &target)));
    }
    if matches.get_flag(modules::CONFIRM) {
        confirm("Disconnect", &target)?;
    }
    if saved(module)
        .named(&name)
        .disconnect(&session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
    {
        eprintln!("Disconnected from {whom}.");
    } else {
        eprintln!("Not connected to {whom}: nothing to forget.");
    }
    Ok(())
}

/// `switch NAME`: makes a saved connection the module's current one.
pub(crate) fn switch(
    app: &App,
    module: &'static Module,
    name: Option<ConnectionName>,
) -> Result<(), Failure> {
    let session = session(app)?;
    let Some(name) = name else {
        return Err(crate::exit::usage("switch: the connection's name is missing"));
    };
    let lifecycle = saved(module);
    if lifecycle
        .named(&name)
        .context(&session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?
        .is_none()
    {
        return Err(not_connected(&session, module, &name));
    }
    lifecycle
        .named(&name)
        .switch(&session)
        .map_err(|e| failure(module.connect.cmdlet(), e))?;
    eprintln!("{} now uses the connection '{name}'.", module.title);
    Ok(())
}
