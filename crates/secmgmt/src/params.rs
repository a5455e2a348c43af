//! `Connect-SecMgmtAccount` declared once: its parameters with aliases, kinds and help, its parameter
//! sets (the standard five of the Partner Center SDK's sign-in, which SecMgmt was forked from, and
//! msconnect's own), the environment names, and how the bound parameters become the typed request.

use auth_core::Environment;
use cmdlet::declare::{Cmdlet, Sets, common};
use cmdlet::sets::{self, standard, workload};
use cmdlet::{Bound, Request, Result};

/// The names `-Environment` takes: the Partner Center SDK's `EnvironmentName`, AzureCloud the default.
pub use cmdlet::sets::standard::ENVIRONMENTS;

/// What every set takes.
const COMMON: &[&str] = &["Environment", "WhatIf", "Confirm", "Cae"];

/// `Connect-SecMgmtAccount`.
pub static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-SecMgmtAccount",
    about: "Sign in to the Microsoft cloud for the SecMgmt cmdlets and print the new context",
    operation: "Connect",
    parameters: &[
        standard::PARAMETERS,
        &[common::ENVIRONMENT],
        &common::SHOULD_PROCESS,
    ],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| {
        let mut all = standard::sets(COMMON);
        all.extend(workload::sets(standard::NAMES, COMMON));
        all.push(sets::azure_cli_set(standard::NAMES, COMMON));
        all
    }),
    environments: &ENVIRONMENTS,
};

/// `Connect-SecMgmtAccount`.
#[derive(Debug, Clone)]
pub struct ConnectSecMgmtAccount {
    /// The cloud (`-Environment`); AzureCloud by default.
    pub environment: Environment,
    /// The parameter set and its own parameters.
    pub set: SecMgmtSignIn,
}

/// The sets of `Connect-SecMgmtAccount`: the standard five and msconnect's own.
pub use cmdlet::sets::standard::{RefreshTokenCredential, StandardSignIn as SecMgmtSignIn};

impl Request for ConnectSecMgmtAccount {
    const CMDLET: &'static Cmdlet = &CONNECT;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        Ok(Self {
            environment: bound.environment(),
            set: SecMgmtSignIn::from_bound(&mut bound)?,
        })
    }
}

#[cfg(test)]
mod tests;
