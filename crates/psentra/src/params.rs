//! The parameter sets of `Connect-PSMicrosoftEntraID` as Rust types, the table the binder resolves them
//! from, the well-known client names (`Graph`, `Azure`) and the scope rules of PROTOCOL section 2.

use std::path::PathBuf;

use auth_core::OIDC_SCOPES;
use auth_core::{
    CertificateSource, ClientCredential, ClientId, ClientSecret, Credential, Environment, Password, Tenant,
};
use cmdlet::bind::named;
use cmdlet::declare::common::{self, CERTIFICATE_THUMBPRINT, ENVIRONMENT};
use cmdlet::declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
use cmdlet::sets::shared::{self, ResolvedSignIn};
use cmdlet::sets::{self, CAE, CLAIMS_CHALLENGE, SetNames};
use cmdlet::{Bound, EnvironmentNames, Problem, Result};

/// The names `-Environment` takes (the module's), Global the default.
pub static ENVIRONMENTS: EnvironmentNames = EnvironmentNames(&["Global", "China", "USGov", "USGovDOD"]);

/// `-Browser`.
pub(crate) const BROWSER: Parameter = Parameter {
    name: "Browser",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in with the default browser (the default)",
};
/// `-Certificate`: a .NET certificate object, which only PowerShell gives.
pub(crate) const CERTIFICATE: Parameter = Parameter {
    name: "Certificate",
    aliases: &[],
    kind: Kind::Object,
    help: "A certificate object with its private key",
};
/// `-CertificateName`.
pub(crate) const CERTIFICATE_NAME: Parameter = Parameter {
    name: "CertificateName",
    aliases: &[],
    kind: Kind::Text("SUBJECT"),
    help: "The subject of a certificate in the user's or machine's store; the newest one with a \
           private key is used",
};
/// `-CertificatePassword`.
pub(crate) const CERTIFICATE_PASSWORD: Parameter = Parameter {
    name: "CertificatePassword",
    aliases: &[],
    kind: Kind::Secret {
        value_name: "PASSWORD",
        env: "MSCONNECT_CERTIFICATE_PASSWORD",
    },
    help: "The password of the --certificate-path file (`-` reads it from stdin)",
};
/// `-CertificatePath`.
pub(crate) const CERTIFICATE_PATH: Parameter = Parameter {
    name: "CertificatePath",
    aliases: &[],
    kind: Kind::Text("PATH"),
    help: "A PFX (PKCS#12) file holding the certificate and its key",
};
/// `-ClientID`.
pub(crate) const CLIENT_ID: Parameter = Parameter {
    name: "ClientID",
    aliases: &[],
    kind: Kind::Text("ID"),
    help: "The application (client) id; `Graph` and `Azure` name well-known ones",
};
/// `-ClientSecret`.
pub(crate) const CLIENT_SECRET: Parameter = Parameter {
    name: "ClientSecret",
    aliases: &[],
    kind: Kind::Secret {
        value_name: "SECRET",
        env: "MSCONNECT_CLIENT_SECRET",
    },
    help: "The application's client secret (`-` reads it from stdin)",
};
/// `-Credential`: a user's name and password.
pub(crate) const CREDENTIAL: Parameter = Parameter {
    help: "The user name for a password sign-in; the password comes from --password-stdin, \
           MSCONNECT_PASSWORD or a prompt",
    ..common::CREDENTIAL
};
/// `-DeviceCode`.
pub(crate) const DEVICE_CODE: Parameter = Parameter {
    name: "DeviceCode",
    aliases: &[],
    kind: Kind::Switch,
    help: "Sign in with a device code, on another device's browser",
};
/// `-PassThru`.
pub(crate) const PASS_THRU: Parameter = Parameter {
    name: "PassThru",
    aliases: &[],
    kind: Kind::Switch,
    help: "Print the token received, not only the connection",
};
/// `-ProgressAction` (alias `-proga`): PowerShell's, taken and ignored.
pub(crate) const PROGRESS_ACTION: Parameter = Parameter {
    name: "ProgressAction",
    aliases: &["proga"],
    kind: Kind::Object,
    help: "PowerShell's progress preference",
};
/// `-Scopes`.
pub(crate) const SCOPES: Parameter = Parameter {
    help: "Scopes of a delegated sign-in; a bare name is a Microsoft Graph permission",
    ..common::SCOPES
};
/// `-TenantID`.
pub(crate) const TENANT_ID: Parameter = Parameter {
    name: "TenantID",
    aliases: &[],
    kind: Kind::Tenant,
    help: "The tenant: its id (GUID) or a domain name",
};

/// How Connect-PSMicrosoftEntraID names the application id and the tenant: what [`SharedSignIn::resolve`](cmdlet::sets::shared::SharedSignIn::resolve)
/// names in its errors.
pub const NAMES: SetNames = SetNames::new(&CLIENT_ID, &TENANT_ID);

/// What every set takes.
const COMMON: &[&Parameter] = &[&PASS_THRU, &ENVIRONMENT, &PROGRESS_ACTION, &CAE];

/// `Connect-PSMicrosoftEntraID`. `-Environment` is taken by every set, as the module's code does (the
/// help page leaves it out); `-DeviceCode` is mandatory in DeviceCode, as in the code.
pub static CONNECT_CMDLET: Cmdlet = Cmdlet {
    name: "Connect-PSMicrosoftEntraID",
    about: "Sign in to an Entra service (Microsoft Graph) and print the new connection",
    operation: "Connect",
    parameters: &[&[
        BROWSER,
        CERTIFICATE,
        CERTIFICATE_NAME,
        CERTIFICATE_PASSWORD,
        CERTIFICATE_PATH,
        CERTIFICATE_THUMBPRINT,
        CLIENT_ID,
        CLIENT_SECRET,
        CREDENTIAL,
        DEVICE_CODE,
        ENVIRONMENT,
        PASS_THRU,
        PROGRESS_ACTION,
        SCOPES,
        TENANT_ID,
    ]],
    shared: sets::CONNECT_SHARED,
    sets: Sets::new(|| {
        let mut all = vec![
            ParameterSet::new(
                "Browser",
                &[&CLIENT_ID, &TENANT_ID],
                &[&SCOPES, &BROWSER, &CLAIMS_CHALLENGE],
            )
            .also(COMMON)
            .default_set(),
            ParameterSet::new(
                "DeviceCode",
                &[&CLIENT_ID, &TENANT_ID, &DEVICE_CODE],
                &[&SCOPES, &CLAIMS_CHALLENGE],
            )
            .also(COMMON),
            ParameterSet::new("AppCertificate", &[&CLIENT_ID, &TENANT_ID], &[&SCOPES])
                .also(&CERTIFICATE_PARAMETERS)
                .also(&[&CERTIFICATE_PASSWORD])
                .also(COMMON),
            ParameterSet::new("AppSecret", &[&CLIENT_ID, &TENANT_ID, &CLIENT_SECRET], &[&SCOPES])
                .also(COMMON),
            ParameterSet::new(
                "UsernamePassword",
                &[&CLIENT_ID, &TENANT_ID, &CREDENTIAL],
                &[&SCOPES],
            )
            .also(COMMON),
        ];
        // the Azure CLI's sign-in is a user's: it takes -Scopes, and the module's -PassThru
        all.extend(shared::sets(
            NAMES,
            COMMON,
            &[&SCOPES, &PASS_THRU, &ENVIRONMENT, &PROGRESS_ACTION],
        ));
        all
    }),
    environments: &ENVIRONMENTS,
};

/// The client id of Microsoft Graph PowerShell (Connect-MgGraph), which `-ClientID Graph` names.
pub(crate) const GRAPH_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// The client id of Azure PowerShell (Connect-AzAccount), which `-ClientID Azure` names.
pub(crate) const AZURE_CLIENT_ID: &str = "1950a258-227b-4e31-a9cf-717495945fc2";

/// A `-ClientID`: a GUID, or `Graph` or `Azure` for the first-party applications of Connect-MgGraph and
/// Connect-AzAccount.
pub(crate) fn parse_client_id(value: &str) -> Result<ClientId> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("Graph") => Ok(ClientId::from_static(GRAPH_CLIENT_ID)),
        v if v.eq_ignore_ascii_case("Azure") => Ok(ClientId::from_static(AZURE_CLIENT_ID)),
        v => named(&CLIENT_ID, ClientId::parse(v)).map_err(|e| match e {
            cmdlet::Error::Value { parameter, reason } => cmdlet::Error::Value {
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

/// The sets of `Connect-PSMicrosoftEntraID`.
#[derive(Debug, Clone)]
pub enum PsEntraSignIn {
    /// The browser (the default).
    Browser,
    /// A device code.
    DeviceCode,
    /// An application with a certificate, loaded: `-Certificate`, or by `-CertificateThumbprint`,
    /// `-CertificateName` or `-CertificatePath` with `-CertificatePassword` when binding (a library
    /// caller loads it with `Session::certificate_credential`).
    AppCertificate(ClientCredential),
    /// An application with a client secret.
    AppSecret(ClientSecret),
    /// A user name and password.
    UsernamePassword(Credential),
    /// msconnect's own sign-ins: the Azure CLI's (`--from-azure-cli`: a user, with the Azure CLI's
    /// client, `-TenantID` else the account's tenant in the Azure CLI, and `-Scopes` as for a user), and
    /// the secret-free ones (`-FederatedTokenFile`, `-WorkloadIdentity`, `-Identity`,
    /// `-EnvironmentVariable`, `-Auto`). It holds its own `-ClientID` and `-TenantID`, which the
    /// secret-free sets may leave to `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`.
    Shared(ResolvedSignIn),
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
            Self::Shared(shared) => shared.set,
        }
    }

    /// Whether the set signs a user in (and so uses `-Scopes`): for msconnect's own sets, the Azure
    /// CLI's sign-in, or `AZURE_USERNAME` and `AZURE_PASSWORD`.
    pub fn is_delegated(&self) -> bool {
        matches!(
            self,
            Self::Browser
                | Self::DeviceCode
                | Self::UsernamePassword(_)
                | Self::Shared(ResolvedSignIn { app_only: false, .. })
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

/// The parameters that give AppCertificate its certificate, one of which it needs.
const CERTIFICATE_PARAMETERS: [&Parameter; 4] = [
    &CERTIFICATE,
    &CERTIFICATE_THUMBPRINT,
    &CERTIFICATE_NAME,
    &CERTIFICATE_PATH,
];

/// The certificate the AppCertificate parameters name, loaded (before anything is sent).
pub(crate) fn certificate(bound: &mut Bound) -> Result<ClientCredential> {
    let given: Vec<&'static Parameter> = CERTIFICATE_PARAMETERS
        .into_iter()
        .filter(|p| bound.has(p))
        .collect();
    if bound.has(&CERTIFICATE_PASSWORD) && given != [&CERTIFICATE_PATH] {
        return Err(bound.problem(Problem::Requires {
            name: &CERTIFICATE_PASSWORD,
            with: &CERTIFICATE_PATH,
        }));
    }
    let source = match given.as_slice() {
        [] => {
            return Err(bound.problem(Problem::OneOf {
                set: bound.set_name(),
                names: CERTIFICATE_PARAMETERS.to_vec(),
            }));
        }
        [first, second, ..] => return Err(bound.conflict(first, second)),
        [only] => *only,
    };
    let source = if *source == CERTIFICATE {
        // a certificate object is loaded already
        return bound
            .client_credential(&CERTIFICATE)?
            .ok_or_else(|| bound.missing(&CERTIFICATE));
    } else if *source == CERTIFICATE_THUMBPRINT {
        CertificateSource::Thumbprint(bound.required_text(&CERTIFICATE_THUMBPRINT)?)
    } else if *source == CERTIFICATE_NAME {
        CertificateSource::Subject(bound.required_text(&CERTIFICATE_NAME)?)
    } else {
        CertificateSource::Pkcs12 {
            path: PathBuf::from(bound.required_text(&CERTIFICATE_PATH)?),
            password: bound.secret(&CERTIFICATE_PASSWORD)?.map(Password::from),
        }
    };
    bound.certificate(&source)
}

#[cfg(test)]
mod tests;
