//! `msconnect secmgmt`: Connect-SecMgmtAccount, its options with the aliases of the cmdlet's help page,
//! and its parameter sets.

use super::common::*;
use super::{Cmdlet, Module};

/// Connect-SecMgmtAccount.
pub(crate) static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-SecMgmtAccount",
    about: "Sign in to the Microsoft cloud for the SecMgmt cmdlets and print the new context",
    params: &[
        ACCESS_TOKEN,
        APPLICATION_ID,
        CERTIFICATE_THUMBPRINT,
        CREDENTIAL,
        ENVIRONMENT,
        REFRESH_TOKEN,
        SERVICE_PRINCIPAL,
        TENANT,
        USE_DEVICE_AUTHENTICATION,
    ],
    shared: &super::CONNECT_SHARED,
    sets: secmgmt::params::PARAMETER_SETS,
    environments,
};

/// The environment names the module accepts.
fn environments() -> Vec<&'static str> {
    secmgmt::environment::ENVIRONMENT_NAMES
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

/// The SecMgmt module.
pub(crate) static MODULE: Module = Module {
    name: "secmgmt",
    title: "SecMgmt",
    connect: &CONNECT,
    disconnect: "Disconnect-SecMgmtAccount",
    new_access_token: None,
};
