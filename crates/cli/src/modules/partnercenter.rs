//! `msconnect partnercenter`: Connect-PartnerCenter and New-PartnerAccessToken, their options with the
//! aliases of the cmdlets' help pages, and their parameter sets.

use super::common::*;
use super::{Cmdlet, Kind, Module, Param};

/// `-EnforceMFA`.
const ENFORCE_MFA: Param = Param {
    name: "EnforceMFA",
    long: "enforce-mfa",
    aliases: &[],
    kind: Kind::Switch,
    help: "Require multi-factor authentication for the sign-in",
};

/// Connect-PartnerCenter.
pub(crate) static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-PartnerCenter",
    about: "Sign in to Partner Center and print the new context",
    params: &[
        ACCESS_TOKEN,
        APPLICATION_ID,
        CERTIFICATE_THUMBPRINT,
        CREDENTIAL,
        ENFORCE_MFA,
        ENVIRONMENT,
        REFRESH_TOKEN,
        SERVICE_PRINCIPAL,
        TENANT,
        USE_DEVICE_AUTHENTICATION,
    ],
    shared: &super::CONNECT_SHARED,
    sets: partnercenter::params::PARAMETER_SETS,
    environments,
};

/// New-PartnerAccessToken's `-Environment`, which also answers to `-EnvironmentName`.
const ENVIRONMENT_NAME: Param = Param {
    aliases: &["environment-name"],
    ..ENVIRONMENT
};

/// `-Scopes`.
const SCOPES: Param = Param {
    name: "Scopes",
    long: "scopes",
    aliases: &[],
    kind: Kind::List("SCOPE"),
    help: "The scopes of the access token (comma-separated, or the option repeated)",
};

/// New-PartnerAccessToken.
pub(crate) static NEW_ACCESS_TOKEN: Cmdlet = Cmdlet {
    name: "New-PartnerAccessToken",
    about: "Get an access token from the Microsoft identity platform and print the AuthResult",
    params: &[
        ACCESS_TOKEN,
        APPLICATION_ID,
        CERTIFICATE_THUMBPRINT,
        CREDENTIAL,
        ENVIRONMENT_NAME,
        Param {
            name: "Module",
            long: "module",
            aliases: &["module-name"],
            kind: Kind::Choice(&["ExchangeOnline"]),
            help: "The module to get a token for, with its own application and scope",
        },
        REFRESH_TOKEN,
        SCOPES,
        SERVICE_PRINCIPAL,
        TENANT,
        Param {
            name: "UseAuthorizationCode",
            long: "use-authorization-code",
            aliases: &["auth-code"],
            kind: Kind::Switch,
            help: "Sign in with the browser (authorization code flow)",
        },
        USE_DEVICE_AUTHENTICATION,
    ],
    shared: &[],
    sets: partnercenter::params::NEW_ACCESS_TOKEN_PARAMETER_SETS,
    environments,
};

/// The environment names the module accepts.
fn environments() -> Vec<&'static str> {
    partnercenter::environment::ENVIRONMENT_NAMES
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

/// The PartnerCenter module.
pub(crate) static MODULE: Module = Module {
    name: "partnercenter",
    title: "Partner Center",
    connect: &CONNECT,
    disconnect: "Disconnect-PartnerCenter",
    new_access_token: Some(&NEW_ACCESS_TOKEN),
};
