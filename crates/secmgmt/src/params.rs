//! `Connect-SecMgmtAccount` declared once: its parameters with aliases, kinds and help, its parameter
//! sets (the standard five of the Partner Center SDK's sign-in, which SecMgmt was forked from, and
//! msconnect's own), the environment names, and the typed request the bound parameters become.

use auth_core::Environment;
use cmdlet::declare::common::{self, CONFIRM, ENVIRONMENT, WHAT_IF};
use cmdlet::declare::{Cmdlet, Parameter, Sets};
use cmdlet::sets::{self, CAE, partner_sdk};

/// The names `-Environment` takes: the Partner Center SDK's `EnvironmentName`, AzureCloud the default.
pub use cmdlet::sets::partner_sdk::ENVIRONMENTS;

/// What every set takes.
const COMMON: &[&Parameter] = &[&ENVIRONMENT, &WHAT_IF, &CONFIRM, &CAE];

/// `Connect-SecMgmtAccount`.
pub static CONNECT_CMDLET: Cmdlet = Cmdlet {
    name: "Connect-SecMgmtAccount",
    about: "Sign in to the Microsoft cloud for the SecMgmt cmdlets and print the new context",
    operation: "Connect",
    parameters: &[partner_sdk::PARAMETERS, &[ENVIRONMENT], common::SHOULD_PROCESS],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| partner_sdk::sets(COMMON, COMMON)),
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
pub use cmdlet::sets::partner_sdk::{PartnerSdkSignIn as SecMgmtSignIn, RefreshTokenCredential};

#[cfg(test)]
mod tests;
