//! `token`: an access token of a saved connection, from the cache without a runtime when it can, printed
//! bare (for `$(…)`), as JSON, or as kubectl's `ExecCredential`.

use auth_core::format_rfc3339;
use cmdlet::{ConnectionName, Module, SaveConnections as _};
use serde_json::{Value, json};

use crate::app::App;
use crate::exec_credential;
use crate::exit::Failure;
use crate::output::{self, Format};
use crate::session;
use crate::token_options;

/// `token`: prints an access token for the named connection (none: the current one), for `--scopes`
/// (none: the context's). A cached token is printed without a runtime or TLS; only a renewal builds them.
/// `-o exec-credential` prints kubectl's `ExecCredential`, and never prompts. `options`: which token and
/// how fresh (see [`session::fetch`]).
pub(crate) fn token(
    app: &App,
    module: &'static Module,
    scopes: Vec<String>,
    name: Option<ConnectionName>,
    options: &auth_core::TokenOptions,
) -> Result<(), Failure> {
    let scopes = auth_core::normalize_scopes(scopes);
    let session = match app.format {
        Format::ExecCredential => auth_core::Session::new(auth_core::SessionOptions {
            interaction: exec_credential::interaction(app)?,
            ..session::persistent_options(app)?
        }),
        _ => session::session(app)?,
    };
    let name = session::chosen(&session, module, name)?;
    let key = cmdlet::ContextKey::new(module.name, name.as_str());
    let Some((connection, _)) = session.load_connection::<Value>(key)? else {
        return Err(session::not_connected(&session, module, &name));
    };
    let fetched = session::fetch(&session, &connection, &scopes, options, &|e| {
        token_options::interaction_required(module, e)
    })?;
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
        Format::ExecCredential => exec_credential::print(app, &fetched.token, fetched.expires_on),
    }
}
