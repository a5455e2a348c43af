//! Parameter sets that several modules' cmdlets share, written once with each module's parameter names:
//! msconnect's own sign-ins every connect gains (the Azure CLI's sign-in, and the four secret-free ones
//! of [`shared`]), and the five sets of the cmdlets on the Partner Center SDK's sign-in
//! ([`partner_sdk`]).

use crate::declare::{Kind, Parameter};

pub mod partner_sdk;
pub mod shared;

/// How a module names its application id and tenant parameters (`-ApplicationId`, `-ClientId` or
/// `-ClientID`; `-Tenant`, `-TenantId` or `-TenantID`): its own declarations.
#[derive(Debug, Clone, Copy)]
pub struct SetNames {
    /// The application id parameter.
    pub application_id: &'static Parameter,
    /// The tenant parameter.
    pub tenant: &'static Parameter,
}

impl SetNames {
    /// A module whose application id and tenant parameters are these.
    pub const fn new(application_id: &'static Parameter, tenant: &'static Parameter) -> Self {
        Self {
            application_id,
            tenant,
        }
    }
}

/// `-Cae`: announce continuous access evaluation (every set of every connect takes it).
pub const CAE: Parameter = Parameter {
    name: "Cae",
    aliases: &[],
    kind: Kind::Switch,
    help: "Continuous access evaluation: the connection announces the cp1 client capability on every \
           request, renewals included, and gets long-lived, revocable tokens, cached apart from others",
};
/// `-ClaimsChallenge`: a claims challenge for an interactive sign-in (the sets where a person signs in).
pub const CLAIMS_CHALLENGE: Parameter = Parameter {
    name: "ClaimsChallenge",
    aliases: &[],
    kind: Kind::Text("CHALLENGE"),
    help: "A claims challenge to satisfy (the base64 or JSON claims of a 401's WWW-Authenticate, or what \
           `token` printed when a tenant asked for more)",
};

/// The parameters of continuous access evaluation and claims challenges.
pub const CAE_PARAMETERS: &[Parameter] = &[CAE, CLAIMS_CHALLENGE];

/// The parameters every module's connect shares: the Azure CLI's, the secret-free sets', then continuous
/// access evaluation's.
pub const CONNECT_SHARED: &[&[Parameter]] = &[
    shared::AZURE_CLI_PARAMETERS,
    shared::WORKLOAD_PARAMETERS,
    CAE_PARAMETERS,
];
