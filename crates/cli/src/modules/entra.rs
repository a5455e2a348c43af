//! `msconnect entra`: Connect-Entra, with the parameters the Entra module takes from Connect-MgGraph
//! (`-ClientId`, `-Scopes`, `-UseDeviceCode`, `-Environment`, `-ClientSecretCredential`), their aliases,
//! and the product crate's parameter sets.

use super::common::{CERTIFICATE_THUMBPRINT, CREDENTIAL, ENVIRONMENT, TENANT};
use super::{Cmdlet, Kind, Module, Param};

/// Connect-Entra.
pub(crate) static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-Entra",
    about: "Sign in to Microsoft Entra ID (Microsoft Graph) and print the new context",
    params: &[
        CERTIFICATE_THUMBPRINT,
        Param {
            name: "ClientId",
            long: "client-id",
            aliases: &["application-id", "app-id"],
            kind: Kind::Text("ID"),
            help: "The application (client) id [default: Microsoft Graph PowerShell's]",
        },
        Param {
            name: "ClientSecretCredential",
            long: "client-secret-credential",
            aliases: &[],
            kind: Kind::Credential {
                env: "MSCONNECT_CLIENT_SECRET",
            },
            help: "The application id of a service principal; its client secret comes from \
                   --password-stdin, MSCONNECT_CLIENT_SECRET or a prompt",
        },
        CREDENTIAL,
        ENVIRONMENT,
        Param {
            name: "MsAccessToken",
            long: "ms-access-token",
            aliases: &["access-token"],
            kind: Kind::Secret {
                value_name: "TOKEN",
                env: "MSCONNECT_ACCESS_TOKEN",
            },
            help: "A Microsoft Graph access token to use as it is (`-` reads it from stdin)",
        },
        Param {
            name: "Scopes",
            long: "scopes",
            aliases: &[],
            kind: Kind::List("SCOPE"),
            help: "The delegated permissions to ask for [default: https://graph.microsoft.com/.default]",
        },
        Param {
            name: "TenantId",
            long: "tenant-id",
            aliases: &["domain", "tenant-domain", "tenant"],
            ..TENANT
        },
        Param {
            name: "UseDeviceCode",
            long: "use-device-code",
            aliases: &[
                "use-device-authentication",
                "device-code",
                "device-auth",
                "device",
            ],
            kind: Kind::Switch,
            help: "Sign in with a device code (on another device's browser) instead of this machine's browser",
        },
    ],
    shared: &super::CONNECT_SHARED,
    sets: entra::params::PARAMETER_SETS,
    environments,
};

/// The environment names the module accepts.
fn environments() -> Vec<&'static str> {
    entra::environment::ENVIRONMENT_NAMES
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

/// The Microsoft.Graph.Entra module.
pub(crate) static MODULE: Module = Module {
    name: "entra",
    title: "Microsoft Entra",
    connect: &CONNECT,
    disconnect: "Disconnect-Entra",
    new_access_token: None,
};
