//! `msconnect`: the umbrella command line for the PartnerCenter, SecMgmt, Entra and PSMicrosoftEntraID
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: printing is its job
//! sign-in cmdlets.

use clap::Parser;

/// Sign in to the Microsoft cloud as the PartnerCenter, SecMgmt, Entra and PSMicrosoftEntraID modules do.
#[derive(Debug, Parser)]
#[command(name = "msconnect", version)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
}
