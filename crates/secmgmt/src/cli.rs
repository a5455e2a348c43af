//! The module as the command line runs it.

use cmdlet::{ConnectCommand, Module, context_table};

use crate::context::MgmtContext;
use crate::params::ConnectSecMgmtAccount;

/// `Connect-SecMgmtAccount`, printing the new context.
pub static CONNECT_COMMAND: ConnectCommand<ConnectSecMgmtAccount> = ConnectCommand::new(&crate::LIFECYCLE);

/// The SecMgmt module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "SecMgmt",
    connect: &CONNECT_COMMAND,
    others: &[],
    disconnect: "Disconnect-SecMgmtAccount",
    context_table: context_table::<MgmtContext>,
};
