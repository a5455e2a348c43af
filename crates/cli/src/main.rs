//! `msconnect`: the umbrella command line for the PartnerCenter, SecMgmt, Entra and PSMicrosoftEntraID
//! sign-in cmdlets. Parses the command line, runs it, and turns the outcome into an exit code; nothing
//! here touches the network, so a cached `token` starts no runtime and no TLS.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job

mod app;
mod az;
mod cli;
mod completions;
mod connect;
mod environment;
mod exec_credential;
mod exit;
mod git_credential;
mod interaction;
mod modules;
mod output;
mod secrets;
mod session;
mod status;
mod token;
mod token_options;
mod which;

use std::ffi::OsString;
use std::process::ExitCode;

use auth_core::EnvVars;

use crate::app::App;
use crate::output::Format;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // run as `az` (or `msconnect az`): the Azure CLI's token contract, its own arguments and exit codes
    if let Some(rest) = az::invoked(&args) {
        let app = App {
            env: EnvVars::from_process(),
            format: Format::Json,
            verbose: false,
        };
        log_to_stderr(app.verbose);
        return ExitCode::from(az::main(&app, rest));
    }
    // What scripts run most, before every API call: recognised without building the command tree, which
    // costs more than the rest of a cached `token`. clap would read it the same way: no options given,
    // each has its default.
    if let Some((module, typed)) = cli::plain_token(&args) {
        let env = EnvVars::from_process();
        // as the full command line reads it: what is typed, else what MSCONNECT_CONTEXT says of this
        // module; a value that is no name is left to the full command line to refuse
        if let Ok(name) = modules::context_for(&env, typed, module.name) {
            let app = App {
                env,
                format: Format::Table,
                verbose: false,
            };
            log_to_stderr(app.verbose);
            return exit_code(
                &app,
                token::token(&app, module, Vec::new(), name, &Default::default()),
            );
        }
    }
    let matches = cli::command().get_matches_from(args);
    let leaf = cli::leaf(&matches);
    let app = App {
        env: EnvVars::from_process(),
        format: leaf
            .get_one::<String>("output")
            .map_or(Format::Table, |name| Format::from_name(name)),
        verbose: leaf.get_flag("verbose"),
    };
    log_to_stderr(app.verbose);
    exit_code(&app, cli::run(&app, &matches))
}

fn exit_code(app: &App, outcome: Result<(), exit::Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(failure) => {
            eprint!("{}", failure.report(app.verbose));
            ExitCode::from(failure.code())
        }
    }
}

/// Warnings of every crate go to stderr as `warning: …`; `-v` adds msconnect's and the library crates'
/// debug events (requests and responses, secrets already redacted there) in full.
fn log_to_stderr(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    if verbose {
        let filter = "warn,msconnect=debug,auth_core=debug,partnercenter=debug,secmgmt=debug,entra=debug,psentra=debug";
        // traces quote servers' answers: printable only, and so without colours of their own
        tracing_subscriber::fmt()
            .with_writer(|| PrintableStderr)
            .with_ansi(false)
            .with_env_filter(EnvFilter::new(filter))
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(EnvFilter::new("warn"))
            .event_format(PlainWarning)
            .init();
    }
}

/// Stderr for `-v` traces, which quote what servers answered: each write (one event, as tracing's
/// formatter writes it) is made printable first.
struct PrintableStderr;

impl std::io::Write for PrintableStderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        std::io::stderr().write_all(auth_core::printable(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `warning: <message>`, the way command-line tools print warnings, without time or module.
struct PlainWarning;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainWarning
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = if *event.metadata().level() == tracing::Level::ERROR {
            "error"
        } else {
            "warning"
        };
        // a warning can quote a file's or a server's text: formatted first, then made printable
        let mut message = String::new();
        tracing_subscriber::fmt::FormatFields::format_fields(
            context,
            tracing_subscriber::fmt::format::Writer::new(&mut message),
            event,
        )?;
        writeln!(writer, "{level}: {}", auth_core::printable(&message))
    }
}
