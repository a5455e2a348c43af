//! A cmdlet shaped like Connect-PartnerCenter, built from the shared sets, for this crate's tests.

use crate::declare::{Cmdlet, Parameter, Sets, common};
use crate::environments::EnvironmentNames;
use crate::sets::{self, partner_sdk};

/// Two names, the first the default.
pub(crate) static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&["AzureCloud", "AzureChinaCloud"]);

/// What every set takes.
const COMMON: &[&Parameter] = &[
    &common::ENVIRONMENT,
    &common::WHAT_IF,
    &common::CONFIRM,
    &sets::CAE,
];

/// `Connect-Sample`: the Partner Center SDK's five sets, the secret-free ones and the Azure CLI's.
pub(crate) static SAMPLE: Cmdlet = Cmdlet {
    name: "Connect-Sample",
    about: "Sign in to a sample",
    operation: "Connect",
    parameters: &[
        partner_sdk::PARAMETERS,
        &[common::ENVIRONMENT],
        common::SHOULD_PROCESS,
    ],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| partner_sdk::sets(COMMON, COMMON)),
    environments: &ENVIRONMENTS,
};
