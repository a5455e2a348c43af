//! What happens after the options are bound: the sign-in on a runtime built only now (Ctrl-C cancels it,
//! exit 130) and the connection saved; `context`, `token` (from the cache without a runtime when it can)
//! and `disconnect`, all through auth-core's `Session` and the files under `MSCONNECT_HOME`.

use std::sync::Arc;

use auth_core::time::format_rfc3339;
use auth_core::{RenewalCredentials, Session, SessionOptions, TokenOptions};
use clap::ArgMatches;
use cmdlet::{Bound, Command, Lifecycle, Module};
use serde_json::{Value, json};

use crate::app::App;
use crate::connect::{confirm, failure};
use crate::exit::Failure;
use crate::interaction::CliInteraction;
use crate::modules;
use crate::output::{self, Format};
use crate::token_options;

/// The session of the command line: the token cache and the contexts in `MSCONNECT_HOME`, messages and
/// progress on stderr. Building it touches no file and no network.
fn session(app: &App) -> Result<Session, Failure> {
    Ok(Session::new(SessionOptions {
        interaction: Arc::new(CliInteraction::default()),
        renewal: renewal_credentials(&app.env),
        ..SessionOptions::persistent(app.env.clone())?
    }))
}

/// Where a saved application connection's renewal finds its credential in a later run: the client secret
/// in what `--client-secret` and `--credential APP` read when connecting (the one whose fingerprint is
/// the connecting secret's is chosen), a PFX file's password in what `--certificate-password` reads.
fn renewal_credentials(env: &auth_core::EnvVars) -> RenewalCredentials {
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
        Format::Json => output::print(&output::json(json)),
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
    print(app.format, &context, &table)
}

/// `token`: prints an access token for the current context, for `--scopes` (none: the context's). A
/// cached token is printed without a runtime or TLS; only a renewal builds them.
pub(crate) fn token(
    app: &App,
    module: &'static Module,
    scopes: Vec<String>,
    options: &TokenOptions,
) -> Result<(), Failure> {
    let scopes = auth_core::flows::normalize_scopes(scopes);
    let session = session(app)?;
    let Some((connection, _)) = session.load_connection::<Value>(module.name)? else {
        return Err(not_connected(module));
    };
    let cached = session
        .cached_token_with(&connection, &scopes, options)
        .map_err(token_options::named)?;
    let (token, expires_on, tenant, granted, token_type) = match cached {
        Some(hit) => (
            hit.access_token,
            hit.expires_on,
            hit.realm,
            hit.scopes,
            hit.token_type,
        ),
        None => {
            tracing::debug!(target: "msconnect", "no cached token for {}: renewing it", module.name);
            let result = block_on_cancellable(async {
                session
                    .token_with(&connection, &scopes, options)
                    .await
                    .map_err(|e| token_options::interaction_required(module, e))
            })?;
            (
                result.access_token,
                result.expires_on,
                result.tenant_id,
                result.scopes,
                result.token_type,
            )
        }
    };
    match app.format {
        // the bare token, so `$(msconnect partnercenter token)` is a bearer token
        Format::Table => output::print(&format!("{}\n", token.secret())),
        Format::Json => output::print(&output::json(&json!({
            "AccessToken": token.secret(),
            "ExpiresOn": format_rfc3339(expires_on),
            "TenantId": tenant,
            "Scopes": granted,
            "TokenType": token_type,
        }))),
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
