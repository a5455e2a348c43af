//! `connect` and `new-access-token`: the options given resolved to a parameter set once, the values
//! checked once as the product crate declared them, `--what-if` and `--confirm` honoured, the secrets
//! read only then, and the command run.

use auth_core::Credential;
use clap::ArgMatches;
use cmdlet::bind::resolve;
use cmdlet::sets::shared::SharedSignIn;
use cmdlet::{Argument, Bound, Cmdlet, Command, Kind, Module, Parameter, ParameterSet};

use crate::app::App;
use crate::environment;
use crate::exit::{Failure, failure, usage};
use crate::interaction::confirm;
use crate::modules::{self, Given, Source};
use crate::output;
use crate::secrets::SecretReader;
use crate::session;

/// Runs `connect` (or `new-access-token`).
pub(crate) fn run(
    app: &App,
    module: &'static Module,
    command: &'static dyn Command,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let cmdlet = command.cmdlet();
    // the name is checked where it enters, before anything else is read
    let name = modules::context_for(&app.env, modules::context_of(matches), module.name)?.unwrap_or_default();
    let (set, given) = choose_set(cmdlet, matches)?;
    tracing::debug!(target: "msconnect", "{}: parameter set {}, options given: {:?}", cmdlet.name, set.name,
        given.iter().map(|g| g.parameter.name).collect::<Vec<_>>());
    let (mut bound, secrets) = bind(app, cmdlet, set, given, matches)?;
    if matches.get_flag(modules::WHAT_IF) {
        // `--auto` names the credential the host offers, found without signing in
        if let Some(found) = SharedSignIn::auto_target(&bound, &app.env).map_err(|e| failure(cmdlet, e))? {
            let target = format!("{} answered by {found}", bound.target());
            return output::print(&format!("{}\n", cmdlet::bind::what_if(cmdlet.operation, &target)));
        }
        return output::print(&format!("{}\n", bound.what_if()));
    }
    if matches.get_flag(modules::CONFIRM) {
        confirm(cmdlet.operation, &bound.target())?;
    }
    read_secrets(app, &mut bound, &secrets, matches)?;
    session::connect(app, module, command, bound, &name)
}

/// Chooses the set from the options given. Values from `MSCONNECT_*` variables count as given, unless
/// the options typed on the command line choose a set that does not take them: what is typed wins over
/// what is exported, so an exported access token does not stand in the way of
/// `--use-device-authentication`.
fn choose_set(
    cmdlet: &'static Cmdlet,
    matches: &ArgMatches,
) -> Result<(&'static ParameterSet, Vec<Given>), Failure> {
    let all = modules::given(cmdlet, matches);
    let names = |given: &[Given]| -> Vec<&'static Parameter> { given.iter().map(|g| g.parameter).collect() };
    let first = match resolve(cmdlet.sets(), &names(&all)) {
        Ok(set) => return Ok((set, all)),
        Err(problem) => problem.for_command_line(cmdlet),
    };
    let typed: Vec<Given> = all
        .iter()
        .filter(|g| g.source == Source::CommandLine)
        .cloned()
        .collect();
    if typed.len() < all.len()
        && let Ok(set) = resolve(cmdlet.sets(), &names(&typed))
    {
        let (kept, ignored): (Vec<Given>, Vec<Given>) = all
            .into_iter()
            .partition(|g| g.source == Source::CommandLine || set.accepts(g.parameter));
        for g in ignored {
            if let Source::Environment(var) = g.source {
                tracing::debug!(target: "msconnect", "ignoring {var}: parameter set {} does not take --{}", set.name, g.parameter.option());
            }
        }
        return Ok((set, kept));
    }
    let from_env: Vec<String> = all
        .iter()
        .filter_map(|g| match g.source {
            Source::Environment(var) => Some(format!("--{} comes from {var}", g.parameter.option())),
            Source::CommandLine => None,
        })
        .collect();
    if from_env.is_empty() {
        Err(usage(first))
    } else {
        Err(usage(format!("{first}\n  ({})", from_env.join(", "))))
    }
}

/// The values given that need no secret, checked, bound to the set; the secrets and credentials given
/// are returned to be read later (`--what-if` reads none).
fn bind(
    app: &App,
    cmdlet: &'static Cmdlet,
    set: &'static ParameterSet,
    given: Vec<Given>,
    matches: &ArgMatches,
) -> Result<(Bound, Vec<Given>), Failure> {
    let text = |parameter: &Parameter| {
        matches
            .get_one::<String>(parameter.name)
            .cloned()
            .unwrap_or_default()
    };
    let mut arguments: Vec<(&'static Parameter, Argument)> = Vec::new();
    let mut secrets = Vec::new();
    for g in given {
        let parameter = g.parameter;
        let argument = match parameter.kind {
            Kind::Secret { .. } | Kind::Credential { .. } => {
                secrets.push(g);
                continue;
            }
            Kind::Switch => Argument::Switch,
            Kind::Environment => {
                Argument::Environment(Box::new(environment::choose(app, cmdlet, &text(parameter))?))
            }
            Kind::List(_) => {
                let values = matches.get_many::<String>(parameter.name).into_iter().flatten();
                Argument::List(auth_core::normalize_scopes(values))
            }
            Kind::Text(_) | Kind::Tenant | Kind::Choice(_) => Argument::Text(text(parameter)),
            Kind::ShouldProcess | Kind::Object => continue,
        };
        arguments.push((parameter, argument));
    }
    let bound = Bound::new(cmdlet, set, arguments).map_err(|e| failure(cmdlet, e))?;
    Ok((bound, secrets))
}

/// Reads the secrets and credentials given into `bound`: from stdin, their variables or a prompt.
fn read_secrets(
    app: &App,
    bound: &mut Bound,
    secrets: &[Given],
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let mut reader = SecretReader::new(&app.env);
    for given in secrets {
        let parameter = given.parameter;
        let option = format!("--{}", parameter.option());
        let value = matches
            .get_one::<String>(parameter.name)
            .map_or("", String::as_str);
        let argument = match parameter.kind {
            Kind::Secret { env, .. } => {
                let typed = matches!(given.source, Source::CommandLine).then_some(env);
                let secret = reader.option_value(&option, value, typed)?;
                Argument::Secret(secret.into())
            }
            Kind::Credential { env } => {
                let username = value.trim();
                if username.is_empty() {
                    return Err(usage(format!("{option}: the user name is empty")));
                }
                let from_stdin = matches.get_flag(modules::PASSWORD_STDIN);
                let password = reader.credential_password(&option, username, env, from_stdin)?;
                Argument::Credential(Credential::new(username, password))
            }
            _ => continue,
        };
        let cmdlet = bound.cmdlet();
        bound
            .supply(parameter, argument)
            .map_err(|e| failure(cmdlet, e))?;
    }
    Ok(())
}
