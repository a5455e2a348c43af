//! The module as the command line runs it.

use cmdlet::{ConnectCommand, Module};

use crate::context::MgmtContext;
use crate::params::ConnectSecMgmtAccount;

/// `Connect-SecMgmtAccount`, printing the new context.
pub static CONNECT_COMMAND: ConnectCommand<ConnectSecMgmtAccount> =
    ConnectCommand::new(&crate::LIFECYCLE, MgmtContext::to_table);

/// The SecMgmt module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "SecMgmt",
    connect: &CONNECT_COMMAND,
    others: &[],
    disconnect: "Disconnect-SecMgmtAccount",
    context_table: |saved| Module::table_of(saved, MgmtContext::to_table),
};
