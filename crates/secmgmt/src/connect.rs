//! `Connect-SecMgmtAccount`: each set becomes an auth-core sign-in with SecMgmt's defaults (PROTOCOL
//! section 2: `{Graph}/.default` for users and applications alike) and the result a [`MgmtContext`].

use std::collections::BTreeMap;

use auth_core::PortPolicy;
use auth_core::{BrowserOptions, ClientId, Connected, Environment, Session, SignInRequest};
use cmdlet::declare::Cmdlet;
use cmdlet::format::endpoint;
use cmdlet::{Authenticated, Bound, Connect, Lifecycle, Result};

use crate::context::{AccountType, MgmtAccount, MgmtContext, MgmtEnvironment};
use crate::params::{CONNECT_CMDLET, ConnectSecMgmtAccount, SecMgmtSignIn};

/// The client the SecMgmt module signs users in with when no application is given.
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// What planning keeps for the context: how the account signed in.
#[derive(Debug)]
pub struct MgmtPlan(AccountType);

impl Connect for ConnectSecMgmtAccount {
    const CMDLET: &'static Cmdlet = &CONNECT_CMDLET;
    type Context = MgmtContext;
    type Plan = MgmtPlan;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        Ok(Self {
            environment: bound.environment(),
            set: SecMgmtSignIn::from_bound(&mut bound)?,
        })
    }

    fn environment(&self) -> &Environment {
        &self.environment
    }

    fn plan(self, environment: Environment) -> Result<(SignInRequest, MgmtPlan)> {
        let scope = format!("{}/.default", endpoint(&environment.graph));
        let plan = self.set.into_plan(
            ClientId::from_static(DEFAULT_CLIENT_ID),
            // as PartnerCenter: apps are registered with http://localhost:8400
            BrowserOptions {
                ports: PortPolicy::Range(8400..=8999),
                ..BrowserOptions::default()
            },
        )?;
        let (request, account_type) = plan.into_request(environment, vec![scope]);
        Ok((request, MgmtPlan(account_type)))
    }

    async fn context(plan: MgmtPlan, signed_in: Authenticated<'_>) -> Result<MgmtContext> {
        let MgmtPlan(account_type) = plan;
        let (request, tokens) = (signed_in.request, signed_in.tokens);
        Ok(MgmtContext {
            account: MgmtAccount::new(
                &request.client_id,
                &request.scopes[0],
                tokens.result(),
                account_type,
            ),
            environment: MgmtEnvironment::from(&request.environment),
            extended_properties: BTreeMap::new(),
        })
    }
}

/// `Connect-SecMgmtAccount`: signs in with the set's sign-in and SecMgmt's defaults (`{Graph}/.default`
/// for users and applications alike), builds the [`MgmtContext`] and saves it. Renew tokens with the
/// returned [`Connected`].
pub async fn connect(session: &Session, request: ConnectSecMgmtAccount) -> Result<(MgmtContext, Connected)> {
    LIFECYCLE.connect(session, request).await
}

/// The name the connection is saved under.
pub const MODULE: &str = "secmgmt";

/// The SecMgmt connections: `connect` (as `default`), `named(&name)` to connect, switch to or disconnect
/// one by name, `list`, `status`, `current_context` and `disconnect` (`Disconnect-SecMgmtAccount`).
pub static LIFECYCLE: Lifecycle<MgmtContext> = Lifecycle::new(MODULE);

#[cfg(test)]
mod tests;
