//! `connect` and `new-access-token`: the options given bound to a parameter set, the environment chosen,
//! `--what-if` and `--confirm` honoured, the secrets read, and only then the sign-in.

use std::io::{BufRead, IsTerminal};

use auth_core::params::{Argument, ParameterSetInfo};
use auth_core::{Credential, SecretText, Tenant};
use clap::ArgMatches;

use crate::app::App;
use crate::environment;
use crate::exit::{Failure, usage};
use crate::modules::{self, Cmdlet, Given, Kind, Module, Source};
use crate::output;
use crate::params;
use crate::products::Request;
use crate::secrets::SecretReader;
use crate::session;

/// The options of one invocation bound to a parameter set.
#[derive(Debug)]
pub(crate) struct Bound<'m> {
    /// The cmdlet.
    pub(crate) cmdlet: &'static Cmdlet,
    /// The parameter set chosen.
    pub(crate) set: &'static ParameterSetInfo,
    given: Vec<Given>,
    matches: &'m ArgMatches,
}

impl Bound<'_> {
    /// Whether the parameter was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.given.iter().any(|g| g.param.name == name)
    }

    /// A text value given.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        if !self.has(name) {
            return None;
        }
        self.matches.get_one::<String>(name).map(String::as_str)
    }

    /// A list given, split on commas (and spaces, as scopes are).
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        if !self.has(name) {
            return Vec::new();
        }
        let values = self.matches.get_many::<String>(name).into_iter().flatten();
        auth_core::flows::normalize_scopes(values)
    }

    /// The PowerShell names given, in the table's order.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.given.iter().map(|g| g.param.name).collect()
    }

    /// The tenant given (`--tenant`, `--tenant-id`), checked; `organizations` when none was.
    pub(crate) fn tenant(&self) -> Result<Tenant, Failure> {
        let given = TENANT_PARAMETERS
            .iter()
            .find_map(|name| Some((*name, self.text(name)?)));
        match given {
            None => Ok(Tenant::organizations()),
            Some((name, value)) => Tenant::parse(value).map_err(|e| match e {
                auth_core::Error::InvalidParameter { reason, .. } => {
                    usage(format!("--{}: {reason}", self.cmdlet.long_of(name)))
                }
                other => Failure::Auth(other),
            }),
        }
    }
}

/// The PowerShell names of the tenant parameter, across the modules.
const TENANT_PARAMETERS: [&str; 3] = ["Tenant", "TenantId", "TenantID"];

/// Runs `connect` (or `new-access-token`).
pub(crate) fn run(
    app: &App,
    module: &'static Module,
    cmdlet: &'static Cmdlet,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let bound = bind(cmdlet, matches)?;
    tracing::debug!(target: "msconnect", "{}: parameter set {}, options given: {:?}", cmdlet.name, bound.set.name, bound.names());
    let tenant = bound.tenant()?;
    let environment = environment::choose(app, cmdlet, bound.text("Environment"))?;
    let operation = if std::ptr::eq(cmdlet, module.connect) {
        "Connect"
    } else {
        "New access token"
    };
    let target = format!("tenant {tenant} in {} ({})", environment.name, bound.set.name);
    if matches.get_flag(modules::WHAT_IF) {
        return output::print(&format!(
            "What if: Performing the operation \"{operation}\" on target \"{target}\"\n"
        ));
    }
    if matches.get_flag(modules::CONFIRM) {
        confirm(operation, &target)?;
    }
    let arguments = arguments(app, &bound, environment.argument)?;
    let request = Request::new(cmdlet, arguments)?;
    session::connect(app, module, cmdlet, request)
}

/// Binds the options to a set. Values from `MSCONNECT_*` variables count as given, unless the options
/// typed on the command line choose a set that does not take them: what is typed wins over what is
/// exported, so an exported access token does not stand in the way of `--use-device-authentication`.
fn bind<'m>(cmdlet: &'static Cmdlet, matches: &'m ArgMatches) -> Result<Bound<'m>, Failure> {
    let all = modules::given(cmdlet, matches);
    let names = |given: &[Given]| -> Vec<&'static str> { given.iter().map(|g| g.param.name).collect() };
    let first = match params::resolve(cmdlet, &names(&all)) {
        Ok(set) => {
            return Ok(Bound {
                cmdlet,
                set,
                given: all,
                matches,
            });
        }
        Err(message) => message,
    };
    let typed: Vec<Given> = all
        .iter()
        .filter(|g| g.source == Source::CommandLine)
        .cloned()
        .collect();
    if typed.len() < all.len()
        && let Ok(set) = params::resolve(cmdlet, &names(&typed))
    {
        let (kept, ignored): (Vec<Given>, Vec<Given>) = all
            .into_iter()
            .partition(|g| g.source == Source::CommandLine || set.accepts(g.param.name));
        for g in ignored {
            if let Source::Environment(var) = g.source {
                tracing::debug!(target: "msconnect", "ignoring {var}: parameter set {} does not take --{}", set.name, g.param.long);
            }
        }
        return Ok(Bound {
            cmdlet,
            set,
            given: kept,
            matches,
        });
    }
    let from_env: Vec<String> = all
        .iter()
        .filter_map(|g| match g.source {
            Source::Environment(var) => Some(format!("--{} comes from {var}", g.param.long)),
            Source::CommandLine => None,
        })
        .collect();
    if from_env.is_empty() {
        Err(usage(first))
    } else {
        Err(usage(format!("{first}\n  ({})", from_env.join(", "))))
    }
}

/// `--confirm`: asks on the terminal; anything but yes cancels.
pub(crate) fn confirm(operation: &str, target: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(usage(
            "--confirm asks on a terminal, and stdin is not one; leave --confirm out in scripts",
        ));
    }
    eprint!(
        "Confirm\nAre you sure you want to perform this action?\n\
         Performing the operation \"{operation}\" on target \"{target}\".\n[Y] Yes  [N] No  (default is \"N\"): "
    );
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("reading the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::Cancelled("cancelled: nothing was done".into())),
    }
}

/// The arguments for the product crate: each given option by PowerShell name, the secrets read now
/// (after `--what-if` and `--confirm`, which need none).
fn arguments(
    app: &App,
    bound: &Bound<'_>,
    environment: Option<Argument>,
) -> Result<Vec<(&'static str, Argument)>, Failure> {
    let mut reader = SecretReader::new(&app.env);
    let mut arguments = Vec::new();
    for given in &bound.given {
        let param = given.param;
        let argument = match param.kind {
            Kind::Switch => Argument::Switch,
            Kind::Text(_) | Kind::Choice(_) => {
                Argument::Text(bound.text(param.name).unwrap_or_default().to_owned())
            }
            Kind::List(_) => Argument::List(bound.list(param.name)),
            Kind::Environment => match &environment {
                Some(argument) => argument.clone(),
                None => continue,
            },
            Kind::Secret { env, .. } => {
                let value = bound
                    .matches
                    .get_one::<String>(param.name)
                    .map_or("", String::as_str);
                let typed = matches!(given.source, Source::CommandLine).then_some(env);
                let secret = reader.option_value(&format!("--{}", param.long), value, typed)?;
                Argument::Secret(SecretText::new(secret.secret()))
            }
            Kind::Credential { env } => {
                let option = format!("--{}", param.long);
                let username = bound.text(param.name).unwrap_or_default().trim();
                if username.is_empty() {
                    return Err(usage(format!("{option}: the user name is empty")));
                }
                let from_stdin = bound.matches.get_flag(modules::PASSWORD_STDIN);
                let password = reader.credential_password(&option, username, env, from_stdin)?;
                Argument::Credential(Credential::new(username, password))
            }
        };
        arguments.push((param.name, argument));
    }
    Ok(arguments)
}
