//! The module as the command line runs it.

use cmdlet::{ConnectCommand, Module, context_table};

use crate::context::PsEntraContext;
use crate::params::ConnectPsEntra;

/// `Connect-PSMicrosoftEntraID`, printing the connection, or with `-PassThru` the token object, token
/// included (the saved context never has it).
pub static CONNECT_COMMAND: ConnectCommand<ConnectPsEntra> = ConnectCommand::new(&crate::LIFECYCLE);

/// The PSMicrosoftEntraID module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "PSMicrosoftEntraID",
    connect: &CONNECT_COMMAND,
    others: &[],
    disconnect: "Disconnect-PSMicrosoftEntraID",
    context_table: context_table::<PsEntraContext>,
};
