//! The parameter sets of `Connect-PSMicrosoftEntraID` as Rust types, the table the binder resolves them
//! from, the well-known client names (`Graph`, `Azure`) and the scope rules of PROTOCOL section 2.

use std::path::PathBuf;

use auth_core::params::{self, Argument, Bound, ParameterSetInfo};
use auth_core::token::OIDC_SCOPES;
use auth_core::{ClientCredential, ClientId, ClientSecret, Credential, Environment, Password, Tenant};

use crate::environment;

/// The cmdlet name of [`ConnectPsEntra`].
pub const CONNECT_PSMICROSOFTENTRAID: &str = "Connect-PSMicrosoftEntraID";

/// The parameter sets of `Connect-PSMicrosoftEntraID`. `-Environment` is taken by every set, as the
/// module's code does (the help page leaves it out); `-DeviceCode` is mandatory in DeviceCode, as in the
/// code.
pub static PARAMETER_SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "Browser",
        mandatory: &["ClientID", "TenantID"],
        optional: &["Scopes", "Browser", "PassThru", "Environment", "ProgressAction"],
        default: true,
    },
    ParameterSetInfo {
        name: "DeviceCode",
        mandatory: &["ClientID", "TenantID", "DeviceCode"],
        optional: &["Scopes", "PassThru", "Environment", "ProgressAction"],
        default: false,
    },
    ParameterSetInfo {
        name: "AppCertificate",
        mandatory: &["ClientID", "TenantID"],
        optional: &[
            "Scopes",
            "Certificate",
            "CertificateThumbprint",
            "CertificateName",
            "CertificatePath",
            "CertificatePassword",
            "PassThru",
            "Environment",
            "ProgressAction",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "AppSecret",
        mandatory: &["ClientID", "TenantID", "ClientSecret"],
        optional: &["Scopes", "PassThru", "Environment", "ProgressAction"],
        default: false,
    },
    ParameterSetInfo {
        name: "UsernamePassword",
        mandatory: &["ClientID", "TenantID", "Credential"],
        optional: &["Scopes", "PassThru", "Environment", "ProgressAction"],
        default: false,
    },
    // issue 16: the secret-free sets for CI runners and cloud hosts (auth_core::workload_sets)
    ParameterSetInfo {
        name: "FederatedToken",
        mandatory: &["FederatedTokenFile"],
        optional: &[
            "ClientID",
            "TenantID",
            "PassThru",
            "Environment",
            "ProgressAction",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "WorkloadIdentity",
        mandatory: &["WorkloadIdentity"],
        optional: &[
            "ClientID",
            "TenantID",
            "ServiceConnectionId",
            "PassThru",
            "Environment",
            "ProgressAction",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "ManagedIdentity",
        mandatory: &["Identity"],
        optional: &[
            "ClientID",
            "ObjectId",
            "ResourceId",
            "TenantID",
            "PassThru",
            "Environment",
            "ProgressAction",
        ],
        default: false,
    },
    ParameterSetInfo {
        name: "EnvironmentVariable",
        mandatory: &["EnvironmentVariable"],
        optional: &["PassThru", "Environment", "ProgressAction"],
        default: false,
    },
    // msconnect's own: the Azure CLI's sign-in (`az login`), shared; the client is the Azure CLI's
    ParameterSetInfo {
        name: auth_core::partner_sets::FROM_AZURE_CLI_SET,
        mandatory: &["FromAzureCli"],
        optional: &[
            "Account",
            "TenantID",
            "Scopes",
            "PassThru",
            "Environment",
            "ProgressAction",
        ],
        default: false,
    },
];

/// The aliases of `Connect-PSMicrosoftEntraID`'s parameters: `(alias, canonical name)`.
pub const ALIASES: &[(&str, &str)] = &[("proga", "ProgressAction")];

/// The canonical name of a parameter as typed (any case, an alias, a prefix).
pub fn canonical_parameter(name: &str) -> auth_core::Result<&'static str> {
    params::canonical_name(CONNECT_PSMICROSOFTENTRAID, PARAMETER_SETS, ALIASES, name)
}

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
        v => params::named("ClientID", ClientId::parse(v)).map_err(|e| match e {
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
    Workload(auth_core::workload_sets::WorkloadSignIn),
}

/// How `Connect-PSMicrosoftEntraID` names the application and tenant of the workload sets.
pub const WORKLOAD_NAMES: auth_core::workload_sets::WorkloadNames = auth_core::workload_sets::WorkloadNames {
    application_id: "ClientID",
    tenant: "TenantID",
};

impl PsEntraSignIn {
    /// The parameter set's name.
    pub fn set_name(&self) -> &'static str {
        match self {
            Self::Browser => "Browser",
            Self::DeviceCode => "DeviceCode",
            Self::AppCertificate(_) => "AppCertificate",
            Self::AppSecret(_) => "AppSecret",
            Self::UsernamePassword(_) => "UsernamePassword",
            Self::FromAzureCli { .. } => auth_core::partner_sets::FROM_AZURE_CLI_SET,
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

impl ConnectPsEntra {
    /// Binds arguments as PowerShell would and builds the request of the set they resolve to.
    pub fn from_arguments<S: AsRef<str>>(
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> auth_core::Result<Self> {
        let bound = params::bind(CONNECT_PSMICROSOFTENTRAID, PARAMETER_SETS, ALIASES, arguments)?;
        if let Some(workload) = auth_core::workload_sets::WorkloadSignIn::from_bound(&bound, WORKLOAD_NAMES)?
        {
            // the sign-in takes its application and tenant from the set (or AZURE_*): these two are
            // what was given, for -WhatIf, else Graph's client and `organizations`
            return Ok(Self {
                client_id: match bound.text("ClientID")? {
                    Some(id) => parse_client_id(&id)?,
                    None => ClientId::from_static(GRAPH_CLIENT_ID),
                },
                tenant: bound.tenant("TenantID")?.unwrap_or_default(),
                scopes: Vec::new(),
                environment: bound
                    .environment("Environment", environment::parse)?
                    .unwrap_or_else(environment::global),
                pass_thru: bound.switch("PassThru"),
                set: PsEntraSignIn::Workload(workload),
            });
        }
        let set = match bound.set_name() {
            "DeviceCode" => PsEntraSignIn::DeviceCode,
            "AppCertificate" => PsEntraSignIn::AppCertificate(certificate_source(&bound)?),
            "AppSecret" => {
                PsEntraSignIn::AppSecret(ClientSecret::new(bound.required_secret("ClientSecret")?.secret()))
            }
            "UsernamePassword" => PsEntraSignIn::UsernamePassword(bound.required_credential("Credential")?),
            auth_core::partner_sets::FROM_AZURE_CLI_SET => PsEntraSignIn::FromAzureCli {
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
            environment: bound
                .environment("Environment", environment::parse)?
                .unwrap_or_else(environment::global),
            pass_thru: bound.switch("PassThru"),
            set,
        })
    }

    /// The `-WhatIf` line (the module has no -WhatIf; the CLI's `--what-if` uses it).
    pub fn what_if(&self) -> String {
        format!(
            "What if: Performing the operation \"Connect\" on target \"tenant {} in {} ({})\"",
            self.tenant,
            self.environment.name,
            self.set.set_name()
        )
    }
}

const CERTIFICATE_PARAMETERS: [&str; 4] = [
    "Certificate",
    "CertificateThumbprint",
    "CertificateName",
    "CertificatePath",
];

fn certificate_source(bound: &Bound) -> auth_core::Result<CertificateSource> {
    let given: Vec<&str> = CERTIFICATE_PARAMETERS
        .into_iter()
        .filter(|p| bound.has(p))
        .collect();
    let usage = |message: String| auth_core::Error::ParameterSet {
        cmdlet: CONNECT_PSMICROSOFTENTRAID.to_owned(),
        message,
    };
    if bound.has("CertificatePassword") && given != ["CertificatePath"] {
        return Err(usage(
            "-CertificatePassword is used only together with -CertificatePath".to_owned(),
        ));
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
            password: bound
                .secret("CertificatePassword")?
                .map(|p| Password::new(p.secret())),
        }),
        [] => Err(usage(
            "parameter set AppCertificate needs one of -Certificate, -CertificateThumbprint, -CertificateName, \
             -CertificatePath"
                .to_owned(),
        )),
        several => Err(usage(format!(
            "{} cannot be used together: give one certificate",
            several.iter().map(|p| format!("-{p}")).collect::<Vec<_>>().join(" and ")
        ))),
    }
}

#[cfg(test)]
mod tests;
