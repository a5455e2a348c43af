//! The four PowerShell modules, as their product crates declare them, made into clap commands: each
//! cmdlet parameter with a command-line option becomes an option (its kebab-case name, its aliases', the
//! value it takes), so the declarations drive help, completion, the man page and parameter-set
//! resolution; and the options present are read back by parameter.

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};
use cmdlet::declare::common;
use cmdlet::{Cmdlet, ConnectionName, Kind, Module, Parameter};

/// Every module, in the order help lists them.
pub(crate) static ALL: [&Module; 4] = [
    &partnercenter::cli::POWERSHELL_MODULE,
    &secmgmt::cli::POWERSHELL_MODULE,
    &entra::cli::POWERSHELL_MODULE,
    &psentra::cli::POWERSHELL_MODULE,
];

/// The `--what-if` and `--confirm` options every connect and disconnect has, by their clap ids: the
/// declarations' names.
pub(crate) const WHAT_IF: &str = common::WHAT_IF.name;
/// See [`WHAT_IF`].
pub(crate) const CONFIRM: &str = common::CONFIRM.name;
/// The option that feeds the password of a credential parameter from stdin.
pub(crate) const PASSWORD_STDIN: &str = "password-stdin";
/// `--context NAME`: which named connection.
pub(crate) const CONTEXT: &str = "context";
/// What `--context` defaults to when given no value on the command line: `NAME`, `MODULE` or
/// `MODULE/NAME` ([`context_for`]), the forms the other tools' stand-ins (`az`, `git-credential`) read.
pub(crate) const CONTEXT_VARIABLE: &str = "MSCONNECT_CONTEXT";

/// `--context NAME` (else `MSCONNECT_CONTEXT`, read by [`context_for`]), checked to be a connection name
/// where it enters.
pub(crate) fn context_arg() -> Arg {
    Arg::new(CONTEXT)
        .long("context")
        .value_name("NAME")
        .value_parser(parse_name)
        .help(
            "The named connection (else MSCONNECT_CONTEXT): `default` when connecting, else the current one",
        )
}

/// Which connection of `module` a command is about: `typed` (`--context`) when given, else what
/// `MSCONNECT_CONTEXT` says of this module. One variable serves every module and the other tools, so it
/// reads `NAME` (that name), `MODULE` (a module's current connection) or `MODULE/NAME`; a module's name
/// alone, or another module's connection, leaves this module at its current one (`None`).
pub(crate) fn context_for(
    env: &auth_core::EnvVars,
    typed: Option<ConnectionName>,
    module: &str,
) -> Result<Option<ConnectionName>, crate::exit::Failure> {
    if typed.is_some() {
        return Ok(typed);
    }
    let Some(value) = env.get(CONTEXT_VARIABLE).map(str::trim) else {
        return Ok(None);
    };
    let (for_module, name) = split_context(value)?;
    if for_module.is_some_and(|m| m.name != module) {
        return Ok(None);
    }
    name.map(context_name).transpose()
}

/// `MSCONNECT_CONTEXT` split into its module (when it names one) and its name (when it names one); a
/// `MODULE/…` that is no module is an error naming the variable.
pub(crate) fn split_context(
    value: &str,
) -> Result<(Option<&'static Module>, Option<&str>), crate::exit::Failure> {
    let module_named = |name: &str| {
        ALL.iter()
            .copied()
            .find(|m| m.name.eq_ignore_ascii_case(name.trim()))
    };
    match value.split_once('/') {
        Some((module, name)) => match module_named(module) {
            Some(found) => Ok((Some(found), Some(name.trim()))),
            None => Err(crate::exit::usage(format!(
                "{CONTEXT_VARIABLE}: '{}' is not a module; it is `NAME`, `MODULE` or `MODULE/NAME`, the module \
                 one of {}",
                auth_core::printable_line(module),
                ALL.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
            ))),
        },
        None => match module_named(value) {
            Some(found) => Ok((Some(found), None)),
            None => Ok((None, Some(value))),
        },
    }
}

/// A connection name read from `MSCONNECT_CONTEXT`, its error naming the variable.
pub(crate) fn context_name(name: &str) -> Result<ConnectionName, crate::exit::Failure> {
    ConnectionName::parse(name).map_err(|e| crate::exit::usage(format!("{CONTEXT_VARIABLE}: {e}")))
}

/// A connection name as clap checks it, so the error names `--context` (or the variable it came from).
pub(crate) fn parse_name(name: &str) -> Result<ConnectionName, cmdlet::connections::InvalidName> {
    ConnectionName::parse(name)
}

/// The `--context` given, if any (commands without the option have none).
pub(crate) fn context_of(matches: &ArgMatches) -> Option<ConnectionName> {
    matches
        .try_get_one::<ConnectionName>(CONTEXT)
        .ok()
        .flatten()
        .cloned()
}

/// The parameters of `cmdlet` that are command-line options, in the order help lists them.
pub(crate) fn options(cmdlet: &Cmdlet) -> impl Iterator<Item = &'static Parameter> + use<> {
    cmdlet.parameters().into_iter().filter(|p| p.is_option())
}

/// The clap command of a cmdlet.
pub(crate) fn cmdlet_command(name: &'static str, cmdlet: &'static Cmdlet) -> Command {
    let mut command = Command::new(name)
        .about(cmdlet.about)
        .long_about(format!("{}\n\nPowerShell: {}", cmdlet.about, cmdlet.name));
    for parameter in options(cmdlet) {
        command = command.arg(option(parameter, cmdlet));
    }
    let credentials: Vec<&'static Parameter> = options(cmdlet)
        .filter(|p| matches!(p.kind, Kind::Credential { .. }))
        .collect();
    if !credentials.is_empty() {
        let named: Vec<String> = credentials.iter().map(|p| format!("--{}", p.option())).collect();
        command = command
            .group(
                ArgGroup::new("credentials")
                    .args(credentials.iter().map(|p| p.name))
                    .multiple(true),
            )
            .arg(
                Arg::new(PASSWORD_STDIN)
                    .long(PASSWORD_STDIN)
                    .action(ArgAction::SetTrue)
                    .requires("credentials")
                    .help(format!(
                        "Read the password (or client secret) of {} from stdin",
                        named.join(" or ")
                    )),
            );
    }
    command.args(should_process_args())
}

/// `--what-if` (alias `--wi`) and `--confirm` (alias `--cf`), as cmdlet declares them.
pub(crate) fn should_process_args() -> [Arg; 2] {
    let switch = |parameter: &'static Parameter| {
        Arg::new(parameter.name)
            .long(parameter.option())
            .visible_aliases(parameter.option_aliases())
            .action(ArgAction::SetTrue)
            .help(parameter.help)
    };
    [
        switch(&common::WHAT_IF),
        switch(&common::CONFIRM).conflicts_with(WHAT_IF),
    ]
}

fn option(parameter: &'static Parameter, cmdlet: &'static Cmdlet) -> Arg {
    let arg = Arg::new(parameter.name)
        .long(parameter.option())
        .visible_aliases(parameter.option_aliases())
        .help(parameter.help);
    match parameter.kind {
        Kind::Switch => arg.action(ArgAction::SetTrue),
        Kind::Text(value_name) => arg.value_name(value_name),
        Kind::Tenant => arg.value_name("TENANT"),
        Kind::Choice(values) => arg
            .value_name("NAME")
            .ignore_case(true)
            .value_parser(PossibleValuesParser::new(values)),
        Kind::List(value_name) => arg
            .value_name(value_name)
            .action(ArgAction::Append)
            .value_delimiter(','),
        Kind::Secret { value_name, env } => arg
            .value_name(value_name)
            .env(env)
            .hide_env_values(true)
            .hide_default_value(true),
        Kind::Credential { .. } => arg.value_name("USERNAME"),
        Kind::Environment => arg.value_name("NAME").long_help(format!(
            "{}: one of {}, or a name added with `msconnect environment add`",
            parameter.help,
            cmdlet.environments.names().join(", ")
        )),
        // never options (see `Parameter::is_option`)
        Kind::ShouldProcess | Kind::Object => arg,
    }
}

/// Where a given value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Typed on the command line.
    CommandLine,
    /// Read from the option's environment variable.
    Environment(&'static str),
}

/// An option present in one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Given {
    /// The parameter.
    pub(crate) parameter: &'static Parameter,
    /// Where it came from.
    pub(crate) source: Source,
}

/// The cmdlet parameters present in `matches`, in help's order.
pub(crate) fn given(cmdlet: &'static Cmdlet, matches: &ArgMatches) -> Vec<Given> {
    options(cmdlet)
        .filter_map(|parameter| {
            let source = match matches.value_source(parameter.name)? {
                ValueSource::CommandLine => Source::CommandLine,
                ValueSource::EnvVariable => match parameter.kind {
                    Kind::Secret { env, .. } => Source::Environment(env),
                    _ => Source::CommandLine,
                },
                // switches report their `false` default: not given
                _ => return None,
            };
            Some(Given { parameter, source })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cmdlet the command line offers.
    fn cmdlets() -> impl Iterator<Item = &'static Cmdlet> {
        ALL.iter().flat_map(|module| {
            std::iter::once(module.connect.cmdlet()).chain(module.others.iter().map(|(_, c)| c.cmdlet()))
        })
    }

    #[test]
    fn every_parameter_of_every_set_is_declared_and_every_declared_one_is_in_a_set() {
        for cmdlet in cmdlets() {
            assert_eq!(
                cmdlet.sets().iter().filter(|s| s.default).count(),
                1,
                "{}",
                cmdlet.name
            );
            for set in cmdlet.sets() {
                for parameter in set.mandatory.iter().chain(&set.optional) {
                    assert_eq!(
                        cmdlet.parameter(parameter.name),
                        Some(*parameter),
                        "{} -{}",
                        cmdlet.name,
                        parameter.name
                    );
                }
            }
            for parameter in cmdlet.parameters() {
                let used = cmdlet.sets().iter().any(|s| s.accepts(parameter));
                assert!(used, "{} -{} is in no set", cmdlet.name, parameter.name);
            }
        }
    }

    /// A value of the parameter's kind, for binding.
    fn value(parameter: &Parameter) -> cmdlet::Argument {
        use cmdlet::Argument;
        match parameter.kind {
            Kind::Switch | Kind::ShouldProcess => Argument::Switch,
            Kind::Tenant => Argument::text("contoso.com"),
            Kind::Secret { .. } => Argument::secret("secret"),
            Kind::Credential { .. } => Argument::Credential(auth_core::Credential::new(
                "11111111-2222-3333-4444-555555555555",
                "secret",
            )),
            Kind::Environment => Argument::text(parameter.name),
            Kind::Object => Argument::ClientCredential(auth_core::ClientCredential::secret("secret")),
            _ => Argument::text("11111111-2222-3333-4444-555555555555"),
        }
    }

    /// The set `parameters` resolve to.
    fn set_of(cmdlet: &'static Cmdlet, parameters: &[&'static Parameter]) -> Option<&'static str> {
        let arguments = parameters.iter().map(|p| (p.name, value(p)));
        cmdlet.bind(arguments).ok().map(|bound| bound.set_name())
    }

    /// Every set can be chosen: by its mandatory parameters, or where another set (the default) takes
    /// the same ones, by adding one parameter only it takes.
    #[test]
    fn every_set_of_every_cmdlet_is_reached_with_its_mandatory_parameters_and_at_most_one_more() {
        for cmdlet in cmdlets() {
            for set in cmdlet.sets() {
                let reached = std::iter::once(None)
                    .chain(set.optional.iter().map(Some))
                    .any(|extra| {
                        let mut names = set.mandatory.clone();
                        names.extend(extra);
                        set_of(cmdlet, &names) == Some(set.name)
                    });
                assert!(reached, "{} {}", cmdlet.name, set.name);
            }
        }
    }

    #[test]
    fn no_two_options_of_a_cmdlet_share_a_name_or_an_alias() {
        for cmdlet in cmdlets() {
            let mut spellings: Vec<String> =
                vec!["what-if".into(), "wi".into(), "confirm".into(), "cf".into()];
            for parameter in options(cmdlet) {
                for spelling in std::iter::once(parameter.option()).chain(parameter.option_aliases()) {
                    assert!(
                        !spellings.contains(&spelling),
                        "{}: --{spelling} twice",
                        cmdlet.name
                    );
                    spellings.push(spelling);
                }
            }
        }
    }

    /// Each module's `--environment` names select the clouds its help page means, keep the module's
    /// spelling, and the first is the default.
    #[test]
    fn every_environment_name_selects_its_cloud() {
        let mut lines = Vec::new();
        for module in ALL {
            let environments = module.connect.cmdlet().environments;
            for name in environments.names() {
                let environment = environments.parse(&name.to_lowercase()).unwrap();
                assert_eq!(environment.name, name);
                let cloud = environment.cloud.map(|c| c.name()).unwrap_or_default();
                lines.push(format!("{} {name} {cloud}", module.name));
            }
            let default = environments.default_environment();
            lines.push(format!("{} default {}", module.name, default.name));
        }
        insta::assert_snapshot!(lines.join("\n"), @r"
        partnercenter AzureCloud AzureCloud
        partnercenter AzureChinaCloud AzureChinaCloud
        partnercenter AzureGermanCloud AzureGermanCloud
        partnercenter AzurePPE AzurePPE
        partnercenter AzureUSGovernment AzureUSGovernment
        partnercenter default AzureCloud
        secmgmt AzureCloud AzureCloud
        secmgmt AzureChinaCloud AzureChinaCloud
        secmgmt AzureGermanCloud AzureGermanCloud
        secmgmt AzurePPE AzurePPE
        secmgmt AzureUSGovernment AzureUSGovernment
        secmgmt default AzureCloud
        entra Global AzureCloud
        entra China AzureChinaCloud
        entra USGov AzureUSGovernment
        entra USGovDoD AzureUSGovernmentDoD
        entra Germany AzureGermanCloud
        entra default Global
        psentra Global AzureCloud
        psentra China AzureChinaCloud
        psentra USGov AzureUSGovernment
        psentra USGovDOD AzureUSGovernmentDoD
        psentra default Global
        ");
    }

    #[test]
    fn modules_are_saved_under_their_command_names() {
        let names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        assert_eq!(names, ["partnercenter", "secmgmt", "entra", "psentra"]);
    }
}
