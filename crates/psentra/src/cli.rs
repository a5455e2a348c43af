//! The module as the command line runs it.

use auth_core::Session;
use cmdlet::{ConnectionName, Module, Outcome, Result, RunCommand, Runnable, SignInExtras};

use crate::context::PsEntraContext;
use crate::params::ConnectPsEntra;

/// `Connect-PSMicrosoftEntraID`, printing the connection, or with `-PassThru` the token object, token
/// included (the saved context never has it).
pub static CONNECT_COMMAND: RunCommand<ConnectPsEntra> = RunCommand::new();

impl Runnable for ConnectPsEntra {
    async fn run(self, session: &Session, name: &ConnectionName) -> Result<Outcome> {
        self.run_with(session, name, SignInExtras::default()).await
    }

    async fn run_with(
        self,
        session: &Session,
        name: &ConnectionName,
        extras: SignInExtras,
    ) -> Result<Outcome> {
        let pass_thru = self.pass_thru;
        let (token, _) = crate::connect::connect_named(session, name, self, &extras).await?;
        if pass_thru {
            Outcome::new(&token, token.to_table())
        } else {
            Outcome::new(&token.context, token.context.to_table())
        }
    }
}

/// The PSMicrosoftEntraID module: `connect` and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "PSMicrosoftEntraID",
    connect: &CONNECT_COMMAND,
    others: &[],
    disconnect: "Disconnect-PSMicrosoftEntraID",
    context_table: |saved| Module::table_of(saved, PsEntraContext::to_table),
};
