//! The module as the command line runs it.

use cmdlet::{ConnectCommand, Module, context_table};

use crate::context::EntraContext;
use crate::params::ConnectEntra;

/// `Connect-Entra`, printing the new context.
pub static CONNECT_COMMAND: ConnectCommand<ConnectEntra> = ConnectCommand::new(&crate::LIFECYCLE);

/// The Microsoft Entra module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "Microsoft Entra",
    connect: &CONNECT_COMMAND,
    others: &[],
    disconnect: "Disconnect-Entra",
    context_table: context_table::<EntraContext>,
};
