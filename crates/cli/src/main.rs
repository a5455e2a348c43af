//! `msconnect`: the umbrella command line for the PartnerCenter, SecMgmt, Entra and PSMicrosoftEntraID
//! sign-in cmdlets. Parses the command line, runs it, and turns the outcome into an exit code; nothing
//! here touches the network, so a cached `token` starts no runtime and no TLS.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job

mod app;
mod cli;
mod completions;
mod connect;
mod environment;
mod exit;
mod interaction;
mod modules;
mod output;
mod params;
mod products;
mod secrets;
mod session;

use std::process::ExitCode;

use auth_core::EnvVars;

use crate::app::App;
use crate::output::Format;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let leaf = cli::leaf(&matches);
    let app = App {
        env: EnvVars::from_process(),
        format: leaf
            .get_one::<String>("output")
            .map_or(Format::Table, |name| Format::from_name(name)),
        verbose: leaf.get_flag("verbose"),
    };
    if app.verbose {
        trace_to_stderr();
    }
    match cli::run(&app, &matches) {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        Err(failure) => {
            eprint!("{}", failure.report(app.verbose));
            ExitCode::from(failure.code())
        }
    }
}

/// `-v`: msconnect's own events and auth-core's request traces (secrets already redacted there) at debug.
fn trace_to_stderr() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("msconnect=debug"))
        .init();
}
