//! The module as the command line runs it.

use auth_core::Session;
use cmdlet::lifecycle::Running;
use cmdlet::{Bound, Command, Module, Outcome, Request};

use crate::context::PsEntraContext;
use crate::params::{CONNECT, ConnectPsEntra};

/// `Connect-PSMicrosoftEntraID`, printing the connection, or with `-PassThru` the token object, token
/// included (the saved context never has it).
pub struct ConnectCommand;

impl Command for ConnectCommand {
    fn cmdlet(&self) -> &'static cmdlet::Cmdlet {
        &CONNECT
    }

    fn run<'a>(&'a self, session: &'a Session, bound: Bound) -> Running<'a> {
        Box::pin(async move {
            let request = ConnectPsEntra::from_bound(bound)?;
            let pass_thru = request.pass_thru;
            let (token, _) = crate::connect::connect(session, request).await?;
            if pass_thru {
                Outcome::new(&token, token.to_table())
            } else {
                Outcome::new(&token.context, token.context.to_table())
            }
        })
    }
}

/// The PSMicrosoftEntraID module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "PSMicrosoftEntraID",
    connect: &ConnectCommand,
    others: &[],
    disconnect: "Disconnect-PSMicrosoftEntraID",
    context_table: |saved| Module::table_of(saved, PsEntraContext::to_table),
};
