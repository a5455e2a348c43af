//! `msconnect secmgmt`: Connect-SecMgmtAccount, its options with the aliases of the cmdlet's help page,
//! and its parameter sets.

use super::common::*;
use super::{Cmdlet, Module};
use crate::params::ParameterSetInfo;

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
    sets: &[
        ParameterSetInfo {
            name: "User",
            mandatory: &[],
            optional: &["Environment", "Tenant", "UseDeviceAuthentication"],
            default: true,
        },
        ParameterSetInfo {
            name: "AccessToken",
            mandatory: &["AccessToken"],
            optional: &["Environment", "Tenant"],
            default: false,
        },
        ParameterSetInfo {
            name: "RefreshToken",
            mandatory: &["ApplicationId", "RefreshToken"],
            optional: &["CertificateThumbprint", "Credential", "Environment", "Tenant"],
            default: false,
        },
        ParameterSetInfo {
            name: "ServicePrincipalCertificate",
            mandatory: &["ApplicationId", "CertificateThumbprint", "Tenant"],
            optional: &["Environment", "ServicePrincipal"],
            default: false,
        },
        ParameterSetInfo {
            name: "ServicePrincipal",
            mandatory: &["Credential", "ServicePrincipal", "Tenant"],
            optional: &["Environment"],
            default: false,
        },
    ],
    environments: AZURE_ENVIRONMENTS,
};

/// The SecMgmt module.
pub(crate) static MODULE: Module = Module {
    name: "secmgmt",
    title: "SecMgmt",
    connect: &CONNECT,
    disconnect: "Disconnect-SecMgmtAccount",
    new_access_token: None,
};
