//! The module as the command line runs it: its cmdlets as [`Command`]s and the module's face.

use auth_core::Session;
use cmdlet::lifecycle::Running;
use cmdlet::{Bound, Command, Connect, Module, Outcome, Request};

use crate::access_token::new_partner_access_token;
use crate::context::PartnerContext;
use crate::params::{ConnectPartnerCenter, NEW_ACCESS_TOKEN, NewPartnerAccessToken};

/// `Connect-PartnerCenter`, printing the new context.
pub static CONNECT_COMMAND: Connect<ConnectPartnerCenter> =
    Connect::new(&crate::CONNECTION, PartnerContext::to_table);

/// `New-PartnerAccessToken`, printing the AuthResult (the token included: it is what was asked for).
pub struct NewAccessTokenCommand;

impl Command for NewAccessTokenCommand {
    fn cmdlet(&self) -> &'static cmdlet::Cmdlet {
        &NEW_ACCESS_TOKEN
    }

    fn run<'a>(&'a self, session: &'a Session, bound: Bound) -> Running<'a> {
        Box::pin(async move {
            let request = NewPartnerAccessToken::from_bound(bound)?;
            let result = new_partner_access_token(session, request).await?;
            Outcome::new(&result, result.to_table())
        })
    }
}

/// The PartnerCenter module: `connect`, `new-access-token`, and its saved context's table.
pub static POWERSHELL_MODULE: Module = Module {
    name: crate::connect::MODULE,
    title: "Partner Center",
    connect: &CONNECT_COMMAND,
    others: &[("new-access-token", &NewAccessTokenCommand)],
    disconnect: "Disconnect-PartnerCenter",
    context_table: |saved| Module::table_of(saved, PartnerContext::to_table),
};
