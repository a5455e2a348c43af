//! `msconnect psentra`: Connect-PSMicrosoftEntraID, its options, and its parameter sets. `-Certificate`
//! takes a .NET certificate object, which a command line cannot pass: `--certificate-path` does its job.

use super::common::ENVIRONMENT;
use super::{Cmdlet, Kind, Module, Param};

/// Connect-PSMicrosoftEntraID.
pub(crate) static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-PSMicrosoftEntraID",
    about: "Sign in to an Entra service (Microsoft Graph) and print the new connection",
    params: &[
        Param {
            name: "Browser",
            long: "browser",
            aliases: &[],
            kind: Kind::Switch,
            help: "Sign in with the default browser (the default)",
        },
        Param {
            name: "CertificateName",
            long: "certificate-name",
            aliases: &[],
            kind: Kind::Text("SUBJECT"),
            help: "The subject of a certificate in the user's or machine's store; the newest one with a \
                   private key is used",
        },
        Param {
            name: "CertificatePassword",
            long: "certificate-password",
            aliases: &[],
            kind: Kind::Secret {
                value_name: "PASSWORD",
                env: "MSCONNECT_CERTIFICATE_PASSWORD",
            },
            help: "The password of the --certificate-path file (`-` reads it from stdin)",
        },
        Param {
            name: "CertificatePath",
            long: "certificate-path",
            aliases: &[],
            kind: Kind::Text("PATH"),
            help: "A PFX (PKCS#12) file holding the certificate and its key",
        },
        Param {
            name: "CertificateThumbprint",
            long: "certificate-thumbprint",
            aliases: &[],
            kind: Kind::Text("THUMBPRINT"),
            help: "The SHA-1 thumbprint of a certificate in the user's or machine's store",
        },
        Param {
            name: "ClientID",
            long: "client-id",
            aliases: &[],
            kind: Kind::Text("ID"),
            help: "The application (client) id; `Graph` and `Azure` name well-known ones",
        },
        Param {
            name: "ClientSecret",
            long: "client-secret",
            aliases: &[],
            kind: Kind::Secret {
                value_name: "SECRET",
                env: "MSCONNECT_CLIENT_SECRET",
            },
            help: "The application's client secret (`-` reads it from stdin)",
        },
        Param {
            name: "Credential",
            long: "credential",
            aliases: &[],
            kind: Kind::Credential {
                env: "MSCONNECT_PASSWORD",
            },
            help: "The user name for a password sign-in; the password comes from --password-stdin, \
                   MSCONNECT_PASSWORD or a prompt",
        },
        Param {
            name: "DeviceCode",
            long: "device-code",
            aliases: &[],
            kind: Kind::Switch,
            help: "Sign in with a device code, on another device's browser",
        },
        ENVIRONMENT,
        Param {
            name: "PassThru",
            long: "pass-thru",
            aliases: &[],
            kind: Kind::Switch,
            help: "Print the token received, not only the connection",
        },
        Param {
            name: "Scopes",
            long: "scopes",
            aliases: &[],
            kind: Kind::List("SCOPE"),
            help: "Scopes of a delegated sign-in; a bare name is a Microsoft Graph permission",
        },
        Param {
            name: "TenantID",
            long: "tenant-id",
            aliases: &[],
            kind: Kind::Text("TENANT"),
            help: "The tenant: its id (GUID) or a domain name",
        },
    ],
    shared: &super::CONNECT_SHARED,
    sets: psentra::params::PARAMETER_SETS,
    environments,
};

/// The environment names the module accepts.
fn environments() -> Vec<&'static str> {
    psentra::environment::ENVIRONMENT_NAMES
        .iter()
        .map(|(name, _)| *name)
        .collect()
}

/// The PSMicrosoftEntraID module.
pub(crate) static MODULE: Module = Module {
    name: "psentra",
    title: "PSMicrosoftEntraID",
    connect: &CONNECT,
    disconnect: "Disconnect-PSMicrosoftEntraID",
    new_access_token: None,
};
