//! The module as the command line runs it: its cmdlets as [`Command`](cmdlet::Command)s and the
//! module's face.

use auth_core::Session;
use cmdlet::{ConnectCommand, ConnectionName, Module, Outcome, Result, RunCommand, Runnable, context_table};

use crate::access_token::new_partner_access_token;
use crate::context::PartnerContext;
use crate::params::{ConnectPartnerCenter, NewPartnerAccessToken};

/// `Connect-PartnerCenter`, printing the new context.
pub static CONNECT_COMMAND: ConnectCommand<ConnectPartnerCenter> = ConnectCommand::new(&crate::LIFECYCLE);

/// `New-PartnerAccessToken`, printing the AuthResult (the token included: it is what was asked for).
pub static NEW_ACCESS_TOKEN_COMMAND: RunCommand<NewPartnerAccessToken> = RunCommand::new();

impl Runnable for NewPartnerAccessToken {
    /// Saves no connection: the name is not used.
    async fn run(self, session: &Session, _: &ConnectionName) -> Result<Outcome> {
        let result = new_partner_access_token(session, self).await?;
        Outcome::new(&result, result.to_table())
    }
}

/// The PartnerCenter module: `connect`, `new-access-token`, and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "Partner Center",
    connect: &CONNECT_COMMAND,
    others: &[("new-access-token", &NEW_ACCESS_TOKEN_COMMAND)],
    disconnect: "Disconnect-PartnerCenter",
    context_table: context_table::<PartnerContext>,
};
