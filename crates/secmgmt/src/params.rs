//! `Connect-SecMgmtAccount` declared once: its parameters with aliases, kinds and help, its parameter
//! sets (the standard five of the Partner Center SDK's sign-in, which SecMgmt was forked from, and
//! msconnect's own), the environment names, and how the bound parameters become the typed request.

use auth_core::{Cloud, Environment};
use cmdlet::declare::{Cmdlet, Sets, common};
use cmdlet::sets::{self, standard, workload};
use cmdlet::{Argument, Bound, EnvironmentNames, Result};

/// The names `-Environment` takes, AzureCloud the default.
pub static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&[
    ("AzureCloud", Cloud::AzureCloud),
    ("AzureChinaCloud", Cloud::AzureChinaCloud),
    ("AzureGermanCloud", Cloud::AzureGermanCloud),
    ("AzurePPE", Cloud::AzurePPE),
    ("AzureUSGovernment", Cloud::AzureUSGovernment),
]);

/// What every set takes.
const COMMON: &[&str] = &["Environment", "WhatIf", "Confirm"];

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

impl ConnectSecMgmtAccount {
    /// Binds arguments as PowerShell would (names by alias, case and prefix) and builds the request of
    /// the set they resolve to. `-WhatIf` and `-Confirm` are accepted and left to the caller.
    pub fn from_arguments<S: AsRef<str>>(arguments: impl IntoIterator<Item = (S, Argument)>) -> Result<Self> {
        Self::from_bound(&CONNECT.bind(arguments)?)
    }

    /// The request of the set `bound` resolved to.
    pub fn from_bound(bound: &Bound) -> Result<Self> {
        Ok(Self {
            environment: bound.environment(),
            set: SecMgmtSignIn::from_bound(bound)?,
        })
    }
}

#[cfg(test)]
mod tests;
