//! Which connection answers the other tools (the `az` stand-in, `git-credential`): any module's will do,
//! since a user's refresh token and an application's credential get tokens for any resource. The one
//! `MSCONNECT_CONTEXT` names (`MODULE`, `MODULE/NAME` or `NAME`), else the first module connected in the order
//! `msconnect --help` lists them: partnercenter, secmgmt, entra, psentra.

use auth_core::{Connection, Session};
use cmdlet::Module;
use cmdlet::{ContextKey, SaveConnections as _};
use serde_json::Value;

use crate::app::App;
use crate::exit::Failure;
use crate::modules;

/// The variable that chooses the connection (`NAME`, `MODULE` or `MODULE/NAME`).
use crate::modules::CONTEXT_VARIABLE;

/// The connection that answers; `None` when none is connected (or the one chosen is not).
pub(crate) fn chosen(app: &App, session: &Session) -> Result<Option<Connection>, Failure> {
    if let Some(value) = app.env.get(CONTEXT_VARIABLE).map(str::trim) {
        return match modules::split_context(value)? {
            (Some(module), name) => named(session, module, name),
            // a name alone: the first module, in help's order, with a connection of that name
            (None, Some(name)) => {
                for module in modules::ALL {
                    if let Some(connection) = named(session, module, Some(name))? {
                        return Ok(Some(connection));
                    }
                }
                Ok(None)
            }
            (None, None) => Ok(None),
        };
    }
    for module in modules::ALL {
        if let Some(connection) = named(session, module, None)? {
            return Ok(Some(connection));
        }
    }
    Ok(None)
}

/// `module`'s connection called `name` (none: its current one).
fn named(
    session: &Session,
    module: &'static Module,
    name: Option<&str>,
) -> Result<Option<Connection>, Failure> {
    let name = match name {
        Some(name) => modules::context_name(name)?,
        None => match crate::session::saved(module)
            .current_name(session)
            .map_err(|e| crate::exit::failure(module.connect.cmdlet(), e))?
        {
            Some(name) => name,
            None => return Ok(None),
        },
    };
    Ok(session
        .load_connection::<Value>(ContextKey::new(module.name, name.as_str()))?
        .map(|(connection, _)| connection))
}

/// What to do when nothing answers.
pub(crate) fn hint(app: &App) -> String {
    let Some(value) = app.env.get(CONTEXT_VARIABLE).map(str::trim) else {
        return "msconnect: no module is connected: run `msconnect <module> connect` first (partnercenter, \
                secmgmt, entra or psentra), and MSCONNECT_CONTEXT=<module> to choose among several"
            .to_owned();
    };
    let connect = match modules::split_context(value) {
        Ok((Some(module), Some(name))) => format!(
            "msconnect {} connect --context {}",
            module.name,
            auth_core::printable_line(name)
        ),
        Ok((Some(module), None)) => format!("msconnect {} connect", module.name),
        Ok((None, Some(name))) => format!(
            "msconnect <module> connect --context {}",
            auth_core::printable_line(name)
        ),
        _ => "msconnect <module> connect".to_owned(),
    };
    format!(
        "msconnect: {CONTEXT_VARIABLE}={} is not connected: run `{connect}` first",
        auth_core::printable_line(value)
    )
}

#[cfg(test)]
mod tests {
    use crate::modules::split_context;

    #[test]
    fn the_variable_names_a_module_a_connection_or_both() {
        let (module, name) = split_context("Entra").unwrap();
        assert_eq!((module.map(|m| m.name), name), (Some("entra"), None));
        let (module, name) = split_context("secmgmt/work").unwrap();
        assert_eq!((module.map(|m| m.name), name), (Some("secmgmt"), Some("work")));
        let (module, name) = split_context("work").unwrap();
        assert_eq!((module.map(|m| m.name), name), (None, Some("work")));
        insta::assert_snapshot!(
            split_context("azure/work").err().unwrap().report(false),
            @r"
        error: MSCONNECT_CONTEXT: 'azure' is not a module; it is `NAME`, `MODULE` or `MODULE/NAME`, the module one of partnercenter, secmgmt, entra, psentra

        For more information, try '--help'.
        "
        );
    }
}
