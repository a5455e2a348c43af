//! `msconnect status [MODULE] [--context NAME] [--force-refresh]`: every saved connection (of every
//! module, or of one), each checked through the module's `Lifecycle`: a cached token good for five more
//! minutes counts, without a request; else the token is renewed silently, as `token` would; with
//! `--force-refresh` every one is renewed. Exit 0 when every connection checked can give a token, else 1
//! with each dead one named beside the command that signs it in again.

use std::time::SystemTime;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Command};
use cmdlet::{ConnectionName, ConnectionStatus, Module, StatusOptions};
use serde_json::Value;

use crate::app::App;
use crate::exit::{Failure, failure};
use crate::modules;
use crate::output::{self, Format};
use crate::session;

const MODULE: &str = "module";
const FORCE_REFRESH: &str = "force-refresh";

/// The `status` command.
pub(crate) fn command() -> Command {
    let names: Vec<&'static str> = modules::ALL.iter().map(|m| m.name).collect();
    Command::new("status")
        .about("List the saved connections and check that each can still give a token")
        .long_about(
            "List the saved connections (module, name, whether current, account, tenant, cloud, kind of sign-in, \
             how long the token lasts) and check that each can still give a token: a cached token valid for five \
             more minutes counts, without a request; otherwise it is renewed silently.\n\n\
             Exit 0 when every connection checked can give a token; otherwise 1, naming each dead one with the \
             command that signs it in again.",
        )
        .arg(
            Arg::new(MODULE)
                .value_name("MODULE")
                .value_parser(PossibleValuesParser::new(names))
                .help("Only this module's connections"),
        )
        .arg(
            // not read from MSCONNECT_CONTEXT: status is where every connection is seen
            Arg::new(modules::CONTEXT)
                .long("context")
                .value_name("NAME")
                .value_parser(modules::parse_name)
                .help("Only the connections of this name"),
        )
        .arg(
            Arg::new(FORCE_REFRESH)
                .long(FORCE_REFRESH)
                .action(ArgAction::SetTrue)
                .help("Renew every connection's token, even one still valid in the cache"),
        )
}

/// Runs `status`.
pub(crate) fn run(app: &App, matches: &ArgMatches) -> Result<(), Failure> {
    let only_module = matches.get_one::<String>(MODULE);
    let only_name = modules::context_of(matches);
    let options = StatusOptions::default().force_refresh(matches.get_flag(FORCE_REFRESH));
    let session = session::session(app)?;
    let chosen: Vec<&'static Module> = modules::ALL
        .iter()
        .copied()
        .filter(|m| only_module.is_none_or(|only| only == m.name))
        .collect();
    let statuses = session::block_on_cancellable(async {
        let mut all = Vec::new();
        for module in &chosen {
            let lifecycle = session::saved(module);
            let statuses = match &only_name {
                Some(name) => lifecycle
                    .named(name)
                    .status(&session, options)
                    .await
                    .map(Vec::from_iter),
                None => lifecycle.status(&session, options).await,
            }
            .map_err(|e| failure(module.connect.cmdlet(), e))?;
            all.extend(statuses.into_iter().map(|status| (*module, status)));
        }
        Ok(all)
    })?;
    if statuses.is_empty() {
        let which = match (&only_name, only_module) {
            (Some(name), _) => format!("no connection is saved as '{name}'"),
            (None, Some(module)) => format!("no {module} connection is saved"),
            (None, None) => "no connection is saved".to_owned(),
        };
        let message = format!("{which}: connect with `msconnect <module> connect [--context NAME]`");
        // a connection asked for by name that does not exist cannot give a token
        if only_name.is_some() {
            return Err(Failure::Failed(message));
        }
        eprintln!("{message}");
        return Ok(());
    }
    let mut statuses = statuses;
    let cache = session::cache_summary(&session);
    if let Some((_, word, _)) = &cache {
        for (_, status) in &mut statuses {
            status.protection = Some(word.clone());
        }
    }
    print(app.format, &statuses, cache.as_ref())?;
    let dead: Vec<String> = statuses
        .iter()
        .filter(|(_, status)| !status.is_alive())
        .map(|(module, status)| {
            format!(
                "{} '{}': {}\n  sign in again: {}",
                module.name,
                status.name,
                status.problem.as_deref().unwrap_or_default(),
                reconnect(module, status)
            )
        })
        .collect();
    if dead.is_empty() {
        Ok(())
    } else {
        let count = dead.len();
        let what = if count == 1 { "connection" } else { "connections" };
        Err(Failure::Failed(format!(
            "{count} {what} cannot give a token:\n{}",
            dead.join("\n")
        )))
    }
}

/// The connect command that signs a dead connection in again: its module, its name, and its tenant
/// under the module's own option for it. The kind of sign-in (shown beside it) says which credential
/// to add.
fn reconnect(module: &Module, status: &ConnectionStatus) -> String {
    let mut command = format!("msconnect {} connect", module.name);
    if status.name != ConnectionName::default_name() {
        command.push_str(&format!(" --context {}", status.name));
    }
    let tenant = module
        .connect
        .cmdlet()
        .parameters()
        .into_iter()
        .find(|p| p.is_option() && matches!(p.kind, cmdlet::Kind::Tenant));
    if let Some(tenant) = tenant {
        command.push_str(&format!(" --{} {}", tenant.option(), status.tenant));
    }
    format!("{command} (a {} sign-in)", status.sign_in)
}

/// The statuses, and under the table the token cache's path and protection at rest (`cache`), as
/// `context` shows them; JSON has the protection in each connection's `Protection`.
fn print(
    format: Format,
    statuses: &[(&'static Module, ConnectionStatus)],
    cache: Option<&(String, String, String)>,
) -> Result<(), Failure> {
    match format {
        // exec-credential is refused before any command but `token` runs
        Format::Json | Format::ExecCredential => {
            let items: Vec<Value> = statuses
                .iter()
                .map(|(_, status)| serde_json::to_value(status).unwrap_or(Value::Null))
                .collect();
            output::print(&output::json(&Value::Array(items)))
        }
        Format::Table => {
            let now = SystemTime::now();
            let rows: Vec<Vec<String>> = statuses
                .iter()
                .map(|(_, s)| {
                    vec![
                        s.module.to_owned(),
                        s.name.to_string(),
                        if s.current { "*".into() } else { String::new() },
                        s.account.clone(),
                        s.tenant.clone(),
                        s.cloud.clone(),
                        s.sign_in.clone(),
                        s.lasts(now).map(lasts).unwrap_or_else(|| "-".into()),
                        if s.is_alive() { "ok".into() } else { "dead".into() },
                    ]
                })
                .collect();
            let mut text = output::table(
                &[
                    "Module",
                    "Name",
                    "Current",
                    "Account",
                    "Tenant",
                    "Cloud",
                    "SignIn",
                    "ExpiresIn",
                    "Status",
                ],
                &rows,
            );
            if let Some((path, _, description)) = cache {
                text.push_str(&format!(
                    "\nToken cache: {} ({})\n",
                    auth_core::printable_line(path),
                    description
                ));
            }
            output::print(&text)
        }
    }
}

/// How long a token lasts, to the minute: `59m`, `1h05m`, `0m`.
fn lasts(duration: std::time::Duration) -> String {
    let minutes = duration.as_secs() / 60;
    match minutes / 60 {
        0 => format!("{minutes}m"),
        hours => format!("{hours}h{:02}m", minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_read_to_the_minute() {
        let d = std::time::Duration::from_secs;
        assert_eq!(lasts(d(59)), "0m");
        assert_eq!(lasts(d(59 * 60 + 59)), "59m");
        assert_eq!(lasts(d(3600 + 5 * 60)), "1h05m");
        assert_eq!(lasts(d(26 * 3600)), "26h00m");
    }
}
