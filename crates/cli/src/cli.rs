//! The clap command tree: `msconnect <module> <command>`, `environment`, `completions`, the hidden `man`,
//! and the cmdlet-named aliases (`Connect-PartnerCenter` …), built once from the product crates'
//! declarations; and the
//! dispatch from what clap matched to the code that runs it.

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, Command};
use cmdlet::{ConnectionName, Module};

use crate::app::App;
use crate::exit::Failure;
use crate::modules;
use crate::output::Format;
use crate::{completions, connect, environment, git_credential, session, status, token, token_options};

const ABOUT: &str =
    "Sign in to the Microsoft cloud as the PartnerCenter, SecMgmt, Entra and PSMicrosoftEntraID modules do";

const AFTER_HELP: &str = "\
The cmdlet names work as commands too: msconnect Connect-PartnerCenter, New-PartnerAccessToken,
Connect-SecMgmtAccount, Connect-Entra, Connect-PSMicrosoftEntraID, and the matching Disconnect-*.

Other tools: `<module> token --output exec-credential` is kubectl's exec plugin; `git-credential` is
git's credential helper; `az` (or msconnect run as `az`) answers the Azure CLI's token contract.

Exit codes: 0 success, 1 sign-in or request failed, 2 usage error, 130 cancelled.";

/// The whole command tree.
pub(crate) fn command() -> Command {
    let mut root = Command::new("msconnect")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(AFTER_HELP)
        .max_term_width(100)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .global(true)
                .value_name("FORMAT")
                // exec-credential is `token`'s alone: said there, not in every command's list
                .value_parser(clap::builder::PossibleValuesParser::new(Format::NAMES.map(
                    |name| clap::builder::PossibleValue::new(name).hide(name == "exec-credential"),
                )))
                .ignore_case(true)
                .default_value("table")
                .help_heading("Global options")
                .help("How to print data"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .global(true)
                .action(ArgAction::SetTrue)
                .help_heading("Global options")
                .help("Trace requests and responses to stderr, every secret redacted"),
        );
    for module in modules::ALL {
        root = root.subcommand(module_command(module));
    }
    root = root
        .subcommand(status::command())
        .subcommand(environment::command())
        .subcommand(git_credential::command())
        .subcommand(az_command())
        .subcommand(completions::command())
        .subcommand(completions::man_command());
    for module in modules::ALL {
        let connect = module.connect.cmdlet();
        root = root.subcommand(alias(connect_command(connect.name, module), connect.name));
        for (_, command) in module.others {
            let cmdlet = command.cmdlet();
            root = root.subcommand(alias(modules::cmdlet_command(cmdlet.name, cmdlet), cmdlet.name));
        }
        root = root.subcommand(alias(
            disconnect_command(module.disconnect, module),
            module.disconnect,
        ));
    }
    root
}

/// `msconnect az …`, which `main` runs before this tree is built: here for help, completions and the man
/// page.
fn az_command() -> Command {
    Command::new("az")
        .about(
            "The Azure CLI's token contract (account get-access-token, account show, version), as `az` runs",
        )
        .disable_help_flag(true)
        .arg(
            Arg::new("args")
                .value_name("ARGS")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true),
        )
}

/// A cmdlet-named command: hidden from the command list (the after-help names them all), and also
/// accepted in lower case.
fn alias(command: Command, name: &'static str) -> Command {
    command.hide(true).alias(name.to_ascii_lowercase())
}

/// The module's cmdlets that sign in: connect first.
fn commands(module: &'static Module) -> impl Iterator<Item = &'static dyn cmdlet::Command> {
    std::iter::once(module.connect).chain(module.others.iter().map(|(_, command)| *command))
}

fn module_command(module: &'static Module) -> Command {
    let cmdlets: Vec<&str> = commands(module).map(|c| c.cmdlet().name).collect();
    let mut command = Command::new(module.name)
        .about(format!("{} ({})", module.title, cmdlets.join(", ")))
        .subcommand_required(true)
        .subcommand(connect_command("connect", module))
        .subcommand(disconnect_command("disconnect", module))
        .subcommand(
            Command::new("context")
                .about("Print the current context")
                .arg(modules::context_arg()),
        )
        .subcommand(
            Command::new("switch")
                .about("Make a saved connection the current one")
                .arg(
                    Arg::new(modules::CONTEXT)
                        .value_name("NAME")
                        .required(true)
                        .value_parser(modules::parse_name)
                        .help("The name it was connected with (`msconnect status` lists them)"),
                ),
        )
        .subcommand(
            Command::new("token")
                .about("Print an access token for the current context, from the cache or renewed silently")
                .arg(modules::context_arg())
                .arg(
                    Arg::new("Scopes")
                        .long("scopes")
                        .value_name("SCOPE")
                        .action(ArgAction::Append)
                        .value_delimiter(',')
                        .help("Ask for these scopes instead of the context's (comma-separated, or repeated)"),
                )
                .args(token_options::args()),
        );
    for (name, other) in module.others {
        command = command.subcommand(modules::cmdlet_command(name, other.cmdlet()));
    }
    command
}

/// The module's connect command, which saves its connection under `--context`.
fn connect_command(name: &'static str, module: &'static Module) -> Command {
    modules::cmdlet_command(name, module.connect.cmdlet()).arg(modules::context_arg())
}

fn disconnect_command(name: &'static str, module: &'static Module) -> Command {
    Command::new(name)
        .arg(modules::context_arg())
        .about(format!(
            "Forget the {} context and remove its tokens from the cache",
            module.title
        ))
        .long_about(format!(
            "Forget the {} context and remove its tokens from the cache.\n\nPowerShell: {}",
            module.title, module.disconnect
        ))
        .args(modules::should_process_args())
}

/// What to run.
enum Action<'m> {
    Connect(&'static Module, &'static dyn cmdlet::Command, &'m ArgMatches),
    Disconnect(&'static Module, &'m ArgMatches),
    Context(&'static Module, &'m ArgMatches),
    Switch(&'static Module, &'m ArgMatches),
    Token(&'static Module, &'m ArgMatches),
    Status(&'m ArgMatches),
    Environment(&'m ArgMatches),
    GitCredential(&'m ArgMatches),
    Completions(&'m ArgMatches),
    Man(&'m ArgMatches),
}

fn action(matches: &ArgMatches) -> Option<Action<'_>> {
    let (name, sub) = matches.subcommand()?;
    match name {
        "status" => return Some(Action::Status(sub)),
        "environment" => return Some(Action::Environment(sub)),
        "git-credential" => return Some(Action::GitCredential(sub)),
        "completions" => return Some(Action::Completions(sub)),
        "man" => return Some(Action::Man(sub)),
        _ => {}
    }
    for module in modules::ALL {
        if name == module.name {
            let (command, leaf) = sub.subcommand()?;
            let other = module.others.iter().find(|(other, _)| *other == command);
            return Some(match (command, other) {
                ("connect", _) => Action::Connect(module, module.connect, leaf),
                (_, Some((_, other))) => Action::Connect(module, *other, leaf),
                ("disconnect", _) => Action::Disconnect(module, leaf),
                ("context", _) => Action::Context(module, leaf),
                ("switch", _) => Action::Switch(module, leaf),
                _ => Action::Token(module, leaf),
            });
        }
        if let Some(command) = commands(module).find(|c| c.cmdlet().name == name) {
            return Some(Action::Connect(module, command, sub));
        }
        if name == module.disconnect {
            return Some(Action::Disconnect(module, sub));
        }
    }
    None
}

/// The module of `msconnect <module> token` typed exactly so, or with `--context NAME` (or
/// `--context=NAME`) and nothing else, and the name given: the command clap would match to
/// [`Action::Token`] with no other option. A name that is not one is left to clap to refuse.
pub(crate) fn plain_token(args: &[OsString]) -> Option<(&'static Module, Option<ConnectionName>)> {
    let (module, command, name) = match args {
        [_, module, command] => (module, command, None),
        [_, module, command, context] => {
            let name = context.to_str()?.strip_prefix("--context=")?;
            (module, command, Some(name))
        }
        [_, module, command, option, name] if option == "--context" => (module, command, name.to_str()),
        _ => return None,
    };
    if command != "token" {
        return None;
    }
    let name = name.map(ConnectionName::parse).transpose().ok()?;
    let module = modules::ALL.iter().copied().find(|m| module == m.name)?;
    Some((module, name))
}

/// The innermost matches, where the global options' values end up whichever level they were typed at.
pub(crate) fn leaf(matches: &ArgMatches) -> &ArgMatches {
    let mut current = matches;
    while let Some((_, sub)) = current.subcommand() {
        current = sub;
    }
    current
}

/// Runs what `matches` asks for.
pub(crate) fn run(app: &App, matches: &ArgMatches) -> Result<(), Failure> {
    let Some(action) = action(matches) else {
        return Err(Failure::Usage("no command given".into()));
    };
    if app.format == Format::ExecCredential && !matches!(action, Action::Token(..)) {
        return Err(Failure::Usage(
            "--output exec-credential is for `token`: kubectl's exec credential plugin".into(),
        ));
    }
    match action {
        Action::Connect(module, command, m) => connect::run(app, module, command, m),
        Action::Disconnect(module, m) => session::disconnect(app, module, m),
        Action::Context(module, m) => session::context(
            app,
            module,
            modules::context_for(&app.env, modules::context_of(m), module.name)?,
        ),
        Action::Switch(module, m) => session::switch(app, module, modules::context_of(m)),
        Action::Token(module, m) => {
            let scopes = m.get_many::<String>("Scopes").into_iter().flatten().cloned();
            let name = modules::context_for(&app.env, modules::context_of(m), module.name)?;
            let options = token_options::from_matches(m)?;
            token::token(app, module, scopes.collect(), name, &options)
        }
        Action::Status(m) => status::run(app, m),
        Action::Environment(m) => environment::run(app, m),
        Action::GitCredential(m) => git_credential::run(app, m),
        Action::Completions(m) => completions::run(command(), m),
        Action::Man(m) => completions::man(command(), m),
    }
}
