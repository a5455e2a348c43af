//! A cmdlet shaped like Connect-PartnerCenter, built from the shared sets, for this crate's tests.

use crate::declare::{Cmdlet, Sets, common};
use crate::environments::EnvironmentNames;
use crate::sets::{self, standard, workload};

/// Two names, the first the default.
pub(crate) static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&["AzureCloud", "AzureChinaCloud"]);

/// What every set takes.
const COMMON: &[&str] = &["Environment", "WhatIf", "Confirm", "Cae"];

/// `Connect-Sample`: the standard five sets, the workload four and the Azure CLI's.
pub(crate) static SAMPLE: Cmdlet = Cmdlet {
    name: "Connect-Sample",
    about: "Sign in to a sample",
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
