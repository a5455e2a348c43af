//! The parameter sets of `Connect-PSMicrosoftEntraID` as Rust types, the table the binder resolves them
//! from, the well-known client names (`Graph`, `Azure`) and the scope rules of PROTOCOL section 2.

use std::path::PathBuf;

use auth_core::token::OIDC_SCOPES;
use auth_core::{ClientCredential, ClientId, ClientSecret, Credential, Environment, Password, Tenant};
use cmdlet::bind::{Problem, named};
use cmdlet::declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets, common};
use cmdlet::sets::{self, FROM_AZURE_CLI_SET, SetNames, workload::WorkloadSignIn};
use cmdlet::{Bound, EnvironmentNames, Request, Result};

/// The names `-Environment` takes (the module's), Global the default.
pub static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&["Global", "China", "USGov", "USGovDOD"]);

/// How Connect-PSMicrosoftEntraID names the application id and the tenant.
pub const NAMES: SetNames = SetNames::new("ClientID", "TenantID");

/// What every set takes.
const COMMON: &[&str] = &["PassThru", "Environment", "ProgressAction", "Cae"];

/// `Connect-PSMicrosoftEntraID`. `-Environment` is taken by every set, as the module's code does (the
/// help page leaves it out); `-DeviceCode` is mandatory in DeviceCode, as in the code.
pub static CONNECT: Cmdlet = Cmdlet {
    name: "Connect-PSMicrosoftEntraID",
    about: "Sign in to an Entra service (Microsoft Graph) and print the new connection",
    operation: "Connect",
    parameters: &[&[
        Parameter {
            name: "Browser",
            aliases: &[],
            kind: Kind::Switch,
            help: "Sign in with the default browser (the default)",
        },
        Parameter {
            name: "Certificate",
            aliases: &[],
            kind: Kind::Object,
            help: "A certificate object with its private key",
        },
        Parameter {
            name: "CertificateName",
            aliases: &[],
            kind: Kind::Text("SUBJECT"),
            help: "The subject of a certificate in the user's or machine's store; the newest one with a \
                   private key is used",
        },
        Parameter {
            name: "CertificatePassword",
            aliases: &[],
            kind: Kind::Secret {
                value_name: "PASSWORD",
                env: "MSCONNECT_CERTIFICATE_PASSWORD",
            },
            help: "The password of the --certificate-path file (`-` reads it from stdin)",
        },
        Parameter {
            name: "CertificatePath",
            aliases: &[],
            kind: Kind::Text("PATH"),
            help: "A PFX (PKCS#12) file holding the certificate and its key",
        },
        common::CERTIFICATE_THUMBPRINT,
        Parameter {
            name: "ClientID",
            aliases: &[],
            kind: Kind::Text("ID"),
            help: "The application (client) id; `Graph` and `Azure` name well-known ones",
        },
        Parameter {
            name: "ClientSecret",
            aliases: &[],
            kind: Kind::Secret {
                value_name: "SECRET",
                env: "MSCONNECT_CLIENT_SECRET",
            },
            help: "The application's client secret (`-` reads it from stdin)",
        },
        Parameter {
            help: "The user name for a password sign-in; the password comes from --password-stdin, \
                   MSCONNECT_PASSWORD or a prompt",
            ..common::CREDENTIAL
        },
        Parameter {
            name: "DeviceCode",
            aliases: &[],
            kind: Kind::Switch,
            help: "Sign in with a device code, on another device's browser",
        },
        common::ENVIRONMENT,
        Parameter {
            name: "PassThru",
            aliases: &[],
            kind: Kind::Switch,
            help: "Print the token received, not only the connection",
        },
        Parameter {
            name: "ProgressAction",
            aliases: &["proga"],
            kind: Kind::Object,
            help: "PowerShell's progress preference",
        },
        Parameter {
            help: "Scopes of a delegated sign-in; a bare name is a Microsoft Graph permission",
            ..common::SCOPES
        },
        Parameter {
            name: "TenantID",
            aliases: &[],
            kind: Kind::Tenant,
            help: "The tenant: its id (GUID) or a domain name",
        },
    ]],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| {
        let mut all = vec![
            ParameterSet::new(
                "Browser",
                &["ClientID", "TenantID"],
                &["Scopes", "Browser", sets::CLAIMS_CHALLENGE],
            )
            .also(COMMON)
            .default_set(),
            ParameterSet::new(
                "DeviceCode",
                &["ClientID", "TenantID", "DeviceCode"],
                &["Scopes", sets::CLAIMS_CHALLENGE],
            )
            .also(COMMON),
            ParameterSet::new(
                "AppCertificate",
                &["ClientID", "TenantID"],
                &[
                    "Scopes",
                    "Certificate",
                    "CertificateThumbprint",
                    "CertificateName",
                    "CertificatePath",
                    "CertificatePassword",
                ],
            )
            .also(COMMON),
            ParameterSet::new(
                "AppSecret",
                &["ClientID", "TenantID", "ClientSecret"],
                &["Scopes"],
            )
            .also(COMMON),
            ParameterSet::new(
                "UsernamePassword",
                &["ClientID", "TenantID", "Credential"],
                &["Scopes"],
            )
            .also(COMMON),
        ];
        all.extend(sets::workload::sets(NAMES, COMMON));
        all.push(sets::azure_cli_set(
            NAMES,
            &["Scopes", "PassThru", "Environment", "ProgressAction"],
        ));
        all
    }),
    environments: &ENVIRONMENTS,
};

/// The client id of Microsoft Graph PowerShell (Connect-MgGraph), which `-ClientID Graph` names.
pub const GRAPH_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// The client id of Azure PowerShell (Connect-AzAccount), which `-ClientID Azure` names.
pub const AZURE_CLIENT_ID: &str = "1950a258-227b-4e31-a9cf-717495945fc2";

/// A `-ClientID`: a GUID, or `Graph` or `Azure` for the first-party applications of Connect-MgGraph and
/// Connect-AzAccount.
pub fn parse_client_id(value: &str) -> auth_core::Result<ClientId> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("Graph") => Ok(ClientId::from_static(GRAPH_CLIENT_ID)),
        v if v.eq_ignore_ascii_case("Azure") => Ok(ClientId::from_static(AZURE_CLIENT_ID)),
        v => named("ClientID", ClientId::parse(v)).map_err(|e| match e {
            auth_core::Error::InvalidParameter { parameter, reason } => auth_core::Error::InvalidParameter {
                parameter,
                reason: format!("{reason}, or Graph or Azure"),
            },
            other => other,
        }),
    }
}

/// The scopes to ask for. Delegated: each `-Scopes` entry, a bare name (no `/`) becoming
/// `{Graph}/{name}`, `{Graph}/.default` when none is given, and `offline_access` added. App-only:
/// `{Graph}/.default`, whatever `-Scopes` says (the module ignores it there).
pub fn resolve_scopes(graph: &str, scopes: &[String], delegated: bool) -> Vec<String> {
    let graph = graph.trim_end_matches('/');
    let default = format!("{graph}/.default");
    if !delegated {
        return vec![default];
    }
    let mut resolved: Vec<String> = scopes
        .iter()
        .map(|scope| {
            if scope.contains('/') || OIDC_SCOPES.contains(&scope.as_str()) || scope == "email" {
                scope.clone()
            } else {
                format!("{graph}/{scope}")
            }
        })
        .collect();
    if resolved.iter().all(|s| OIDC_SCOPES.contains(&s.as_str())) {
        resolved.insert(0, default);
    }
    if !resolved.iter().any(|s| s == "offline_access") {
        resolved.push("offline_access".to_owned());
    }
    resolved
}

/// Where an application's certificate comes from.
#[derive(Debug, Clone)]
pub enum CertificateSource {
    /// `-Certificate`: a certificate already loaded (by auth-core) into a signing credential.
    Certificate(ClientCredential),
    /// `-CertificateThumbprint`: looked up in the user's, then the machine's store.
    Thumbprint(String),
    /// `-CertificateName`: the newest certificate with a private key whose subject matches.
    Name(String),
    /// `-CertificatePath` with `-CertificatePassword`: a PFX file.
    Path {
        /// The file.
        path: PathBuf,
        /// Its password.
        password: Option<Password>,
    },
}

/// The sets of `Connect-PSMicrosoftEntraID`.
#[derive(Debug, Clone)]
pub enum PsEntraSignIn {
    /// The browser (the default).
    Browser,
    /// A device code.
    DeviceCode,
    /// An application with a certificate.
    AppCertificate(CertificateSource),
    /// An application with a client secret.
    AppSecret(ClientSecret),
    /// A user name and password.
    UsernamePassword(Credential),
    /// A user the Azure CLI signed in (`--from-azure-cli`): its refresh token, silently, with the Azure
    /// CLI's client; the connection keeps its tokens in the Azure CLI's cache. `-TenantID` (else the
    /// account's tenant in the Azure CLI) and `-Scopes` as for a user.
    FromAzureCli {
        /// `-Account`: the sign-in name, when the Azure CLI has several accounts.
        account: Option<String>,
    },
    /// A secret-free sign-in: `-FederatedTokenFile`, `-WorkloadIdentity`, `-Identity` or
    /// `-EnvironmentVariable` (issue 16). It holds its own `-ClientID` and `-TenantID`, which these sets
    /// may leave to `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`.
    Workload(WorkloadSignIn),
}

impl PsEntraSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::Browser => "Browser",
            Self::DeviceCode => "DeviceCode",
            Self::AppCertificate(_) => "AppCertificate",
            Self::AppSecret(_) => "AppSecret",
            Self::UsernamePassword(_) => "UsernamePassword",
            Self::FromAzureCli { .. } => FROM_AZURE_CLI_SET,
            Self::Workload(workload) => workload.set_name(),
        }
    }

    /// Whether the set signs a user in (and so uses `-Scopes`).
    pub fn is_delegated(&self) -> bool {
        matches!(
            self,
            Self::Browser | Self::DeviceCode | Self::UsernamePassword(_) | Self::FromAzureCli { .. }
        )
    }
}

/// `Connect-PSMicrosoftEntraID`.
#[derive(Debug, Clone)]
pub struct ConnectPsEntra {
    /// `-ClientID`.
    pub client_id: ClientId,
    /// `-TenantID`.
    pub tenant: Tenant,
    /// `-Scopes`, as given (see [`resolve_scopes`]).
    pub scopes: Vec<String>,
    /// `-Environment`; Global by default.
    pub environment: Environment,
    /// `-PassThru`: the caller wants the token object.
    pub pass_thru: bool,
    /// The parameter set and its own parameters.
    pub set: PsEntraSignIn,
}

impl Request for ConnectPsEntra {
    const CMDLET: &'static Cmdlet = &CONNECT;

    fn from_bound(mut bound: Bound) -> Result<Self> {
        let environment = bound.environment();
        if let Some(workload) = WorkloadSignIn::from_bound(&bound, NAMES)? {
            // the sign-in takes its application and tenant from the set (or AZURE_*): these two are
            // what was given, for -WhatIf, else Graph's client and `organizations`
            return Ok(Self {
                client_id: match bound.text("ClientID")? {
                    Some(id) => parse_client_id(&id)?,
                    None => ClientId::from_static(GRAPH_CLIENT_ID),
                },
                tenant: bound.tenant("TenantID")?.unwrap_or_default(),
                scopes: Vec::new(),
                environment,
                pass_thru: bound.switch("PassThru"),
                set: PsEntraSignIn::Workload(workload),
            });
        }
        let set = match bound.set_name() {
            "DeviceCode" => PsEntraSignIn::DeviceCode,
            "AppCertificate" => PsEntraSignIn::AppCertificate(certificate_source(&mut bound)?),
            "AppSecret" => PsEntraSignIn::AppSecret(bound.required_secret("ClientSecret")?.into()),
            "UsernamePassword" => PsEntraSignIn::UsernamePassword(bound.required_credential("Credential")?),
            FROM_AZURE_CLI_SET => PsEntraSignIn::FromAzureCli {
                account: bound.text("Account")?,
            },
            _ => PsEntraSignIn::Browser,
        };
        let (client_id, tenant) = match set {
            // the Azure CLI's refresh token serves its own client; no tenant: the account's
            PsEntraSignIn::FromAzureCli { .. } => (
                ClientId::from_static(auth_core::azure_cli::AZURE_CLI_CLIENT_ID),
                bound.tenant("TenantID")?.unwrap_or_default(),
            ),
            _ => (
                parse_client_id(&bound.required_text("ClientID")?)?,
                bound.required_tenant("TenantID")?,
            ),
        };
        Ok(Self {
            client_id,
            tenant,
            scopes: auth_core::flows::normalize_scopes(bound.list("Scopes")?.unwrap_or_default()),
            environment,
            pass_thru: bound.switch("PassThru"),
            set,
        })
    }
}

const CERTIFICATE_PARAMETERS: [&str; 4] = [
    "Certificate",
    "CertificateThumbprint",
    "CertificateName",
    "CertificatePath",
];

fn certificate_source(bound: &mut Bound) -> Result<CertificateSource> {
    let given: Vec<&'static str> = CERTIFICATE_PARAMETERS
        .into_iter()
        .filter(|p| bound.has(p))
        .collect();
    if bound.has("CertificatePassword") && given != ["CertificatePath"] {
        return Err(bound.problem(Problem::Requires {
            name: "CertificatePassword",
            with: "CertificatePath",
        }));
    }
    match given.as_slice() {
        ["Certificate"] => Ok(CertificateSource::Certificate(
            bound
                .client_credential("Certificate")?
                .ok_or_else(|| bound.missing("Certificate"))?,
        )),
        ["CertificateThumbprint"] => Ok(CertificateSource::Thumbprint(
            bound.required_text("CertificateThumbprint")?,
        )),
        ["CertificateName"] => Ok(CertificateSource::Name(bound.required_text("CertificateName")?)),
        ["CertificatePath"] => Ok(CertificateSource::Path {
            path: PathBuf::from(bound.required_text("CertificatePath")?),
            password: bound.secret("CertificatePassword")?.map(Password::from),
        }),
        [] => Err(bound.problem(Problem::OneOf {
            set: bound.set_name(),
            names: CERTIFICATE_PARAMETERS.to_vec(),
        })),
        [first, second, ..] => Err(bound.conflict(first, second)),
        [other] => Err(bound.missing(other)),
    }
}

#[cfg(test)]
mod tests;
