//! Which connection answers the other tools (the `az` stand-in, `git-credential`): any module's will do,
//! since a user's refresh token and an application's credential get tokens for any resource. The one
//! `MSCONNECT_CONTEXT` names (`module` or `module/name`), else the first module connected in the order
//! `msconnect --help` lists them: partnercenter, secmgmt, entra, psentra.

use auth_core::{Connection, Session};
use cmdlet::Module;
use serde_json::Value;

use crate::app::App;
use crate::exit::{Failure, usage};
use crate::modules;

/// The variable that chooses the connection.
pub(crate) const CONTEXT_VARIABLE: &str = "MSCONNECT_CONTEXT";

/// The connection that answers; `None` when none is connected (or the one chosen is not).
pub(crate) fn chosen(app: &App, session: &Session) -> Result<Option<Connection>, Failure> {
    if let Some(value) = app.env.get(CONTEXT_VARIABLE) {
        let (module, name) = parse(value)?;
        return named(session, module, name);
    }
    for module in modules::ALL {
        if let Some((connection, _)) = session.load_connection::<Value>(module.name)? {
            return Ok(Some(connection));
        }
    }
    Ok(None)
}

/// `module` or `module/name`.
fn parse(value: &str) -> Result<(&'static Module, Option<&str>), Failure> {
    let (module, name) = match value.trim().split_once('/') {
        Some((module, name)) => (module, Some(name)),
        None => (value.trim(), None),
    };
    let names: Vec<&str> = modules::ALL.iter().map(|m| m.name).collect();
    let found = modules::ALL
        .iter()
        .copied()
        .find(|m| m.name.eq_ignore_ascii_case(module))
        .ok_or_else(|| {
            usage(format!(
                "{CONTEXT_VARIABLE}: '{}' is not a module; it is `module` or `module/name`, the module one of {}",
                auth_core::printable::printable_line(module),
                names.join(", ")
            ))
        })?;
    Ok((found, name))
}

/// `module`'s connection called `name` (none: its current one). Until a module keeps named connections,
/// `default` is its one connection and any other name is an error.
fn named(
    session: &Session,
    module: &'static Module,
    name: Option<&str>,
) -> Result<Option<Connection>, Failure> {
    match name {
        None | Some("default") => Ok(session
            .load_connection::<Value>(module.name)?
            .map(|(connection, _)| connection)),
        Some(other) => Err(usage(format!(
            "{CONTEXT_VARIABLE}: {} has no connection named '{}' (only `default`, its current one)",
            module.name,
            auth_core::printable::printable_line(other)
        ))),
    }
}

/// What to do when nothing answers.
pub(crate) fn hint(app: &App) -> String {
    match app.env.get(CONTEXT_VARIABLE) {
        Some(value) => format!(
            "msconnect: {CONTEXT_VARIABLE}={} is not connected: run `msconnect {} connect` first",
            auth_core::printable::printable_line(value.trim()),
            value.trim().split('/').next().unwrap_or_default()
        ),
        None => "msconnect: no module is connected: run `msconnect <module> connect` first (partnercenter, \
                 secmgmt, entra or psentra), and MSCONNECT_CONTEXT=<module> to choose among several"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_names_a_module_and_maybe_a_connection() {
        let (module, name) = parse("Entra").unwrap();
        assert_eq!((module.name, name), ("entra", None));
        let (module, name) = parse("secmgmt/default").unwrap();
        assert_eq!((module.name, name), ("secmgmt", Some("default")));
        insta::assert_snapshot!(
            parse("azure").err().unwrap().report(false),
            @r"
        error: MSCONNECT_CONTEXT: 'azure' is not a module; it is `module` or `module/name`, the module one of partnercenter, secmgmt, entra, psentra

        For more information, try '--help'.
        "
        );
    }
}
