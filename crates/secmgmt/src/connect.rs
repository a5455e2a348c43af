//! `Connect-SecMgmtAccount`: each set becomes an auth-core sign-in with SecMgmt's defaults (PROTOCOL
//! section 2: `{Graph}/.default` for users and applications alike) and the result a [`MgmtContext`].

use std::collections::BTreeMap;

use auth_core::flows::PortPolicy;
use auth_core::{BrowserOptions, ClientId, Connected, Session, SignInRequest};

use crate::context::{MgmtAccount, MgmtContext, MgmtEnvironment, endpoint};
use crate::error::Result;
use crate::params::ConnectSecMgmtAccount;

/// The client SecMgmt signs users in with when no application is given.
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Connects to the Microsoft cloud as Connect-SecMgmtAccount does.
pub async fn connect(session: &Session, request: ConnectSecMgmtAccount) -> Result<(MgmtContext, Connected)> {
    let ConnectSecMgmtAccount { environment, set } = request;
    let environment = session.resolve_environment(&environment).await?;
    let scope = format!("{}/.default", endpoint(&environment.graph));
    let plan = set.into_plan(
        session,
        ClientId::from_static(DEFAULT_CLIENT_ID),
        // as PartnerCenter: apps are registered with http://localhost:8400
        BrowserOptions {
            ports: PortPolicy::Range(8400..=8999),
            ..BrowserOptions::default()
        },
    )?;
    let request = SignInRequest {
        environment: environment.clone(),
        tenant: plan.tenant.unwrap_or_default(),
        client_id: plan.client_id,
        scopes: vec![scope],
        method: plan.method,
    };
    // signed in and checked, but nothing saved until the checks below pass
    let tokens = session.authenticate(&request).await?;
    let result = tokens.result();
    let context = MgmtContext {
        account: MgmtAccount::new(&request.client_id, &request.scopes[0], result, plan.account_type),
        environment: MgmtEnvironment::from(&environment),
        extended_properties: BTreeMap::new(),
    };
    let connected = session.complete(MODULE, &request, &tokens, &context)?;
    Ok((context, connected))
}

/// The name this module's connection is saved under.
pub const MODULE: &str = "secmgmt";

/// The current context, when connected.
pub fn current_context(session: &Session) -> Result<Option<MgmtContext>> {
    Ok(session
        .load_connection::<MgmtContext>(MODULE)?
        .map(|(_, context)| context))
}

/// `Disconnect-SecMgmtAccount`: forgets the context and removes its tokens from the cache. Returns whether
/// there was a connection.
pub fn disconnect(session: &Session) -> Result<bool> {
    Ok(session.disconnect(MODULE)?)
}

#[cfg(test)]
mod tests;
