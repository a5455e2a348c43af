//! `msconnect entra`: Connect-Entra, its options with the aliases of the cmdlet's help page, and its
//! parameter sets.

use super::common::*;
use super::{Cmdlet, Kind, Module, Param};
use crate::params::ParameterSetInfo;

/// Connect-Entra.
pub(crate) static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-Entra",
    about: "Sign in to Microsoft Entra ID (Microsoft Graph) and print the new context",
    params: &[
        Param {
            help: "The application id of the service principal",
            aliases: &[],
            ..APPLICATION_ID
        },
        CERTIFICATE_THUMBPRINT,
        CREDENTIAL,
        Param {
            name: "MsAccessToken",
            long: "ms-access-token",
            aliases: &[],
            kind: Kind::Secret {
                value_name: "TOKEN",
                env: "MSCONNECT_ACCESS_TOKEN",
            },
            help: "A Microsoft Graph access token to use as it is (`-` reads it from stdin)",
        },
        Param {
            name: "TenantId",
            long: "tenant-id",
            aliases: &["domain", "tenant-domain"],
            ..TENANT
        },
    ],
    sets: &[
        ParameterSetInfo {
            name: "UserCredential",
            mandatory: &[],
            optional: &["TenantId", "Credential"],
            default: true,
        },
        ParameterSetInfo {
            name: "ServicePrincipalCertificate",
            mandatory: &["TenantId", "ApplicationId", "CertificateThumbprint"],
            optional: &[],
            default: false,
        },
        ParameterSetInfo {
            name: "AccessToken",
            mandatory: &[],
            optional: &["TenantId", "MsAccessToken"],
            default: false,
        },
    ],
    environments: &["Global", "China", "USGov", "USGovDoD"],
};

/// The Microsoft.Graph.Entra module.
pub(crate) static MODULE: Module = Module {
    name: "entra",
    title: "Microsoft Entra",
    connect: &CONNECT,
    disconnect: "Disconnect-Entra",
    new_access_token: None,
};
