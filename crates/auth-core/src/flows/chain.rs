//! The credential the environment offers, found as azure-identity's `DefaultAzureCredential` finds it
//! among the sources that need no person, in its order: the `AZURE_*` environment credential, workload
//! identity (a federated token file, GitHub Actions, Azure Pipelines), the host's managed identity (App
//! Service, Arc and Cloud Shell by their variables; IMDS probed for at most a second), then the Azure
//! CLI's sign-in. `AZURE_TOKEN_CREDENTIALS` narrows the chain as azure-identity reads it: `dev`, `prod`,
//! or one credential's name, any case.
//!
//! Finding reads variables and files and, for IMDS only, opens one TCP connection; it signs nothing in.
//! What answered is what the caller then signs in with, and saves: a renewal never looks again.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::azure_cli::{AzureCli, AzureCliAccount};
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::environment::EnvironmentCredential;
use crate::flows::federated::WorkloadIdentity;
use crate::flows::managed_identity::{ManagedIdentityId, ManagedIdentitySource};
use crate::home::SharedFolders;
use crate::ids::ClientId;

/// The variable that narrows the chain.
pub(crate) const TOKEN_CREDENTIALS_VARIABLE: &str = "AZURE_TOKEN_CREDENTIALS";

/// How long the IMDS probe waits for a connection: off Azure the address does not answer at all.
pub(crate) const IMDS_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Every value of `AZURE_TOKEN_CREDENTIALS` azure-identity accepts (lower case, as it compares them),
/// in the order its error lists them.
const ACCEPTED: [&str; 10] = [
    "dev",
    "prod",
    "azureclicredential",
    "azuredeveloperclicredential",
    "azurepowershellcredential",
    "environmentcredential",
    "interactivebrowsercredential",
    "managedidentitycredential",
    "visualstudiocodecredential",
    "workloadidentitycredential",
];

/// One source of the chain msconnect looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainSource {
    /// The `AZURE_*` variables of azure-identity's `EnvironmentCredential`.
    Environment,
    /// A federated token: `AZURE_FEDERATED_TOKEN_FILE`, GitHub Actions, Azure Pipelines.
    WorkloadIdentity,
    /// The host's managed identity.
    ManagedIdentity,
    /// The Azure CLI's signed-in account.
    AzureCli,
}

impl ChainSource {
    /// The sources in the chain's order.
    pub const ALL: [Self; 4] = [
        Self::Environment,
        Self::WorkloadIdentity,
        Self::ManagedIdentity,
        Self::AzureCli,
    ];

    /// azure-identity's name of the credential (what `AZURE_TOKEN_CREDENTIALS` names).
    pub fn credential_name(self) -> &'static str {
        match self {
            Self::Environment => "EnvironmentCredential",
            Self::WorkloadIdentity => "WorkloadIdentityCredential",
            Self::ManagedIdentity => "ManagedIdentityCredential",
            Self::AzureCli => "AzureCliCredential",
        }
    }
}

/// Which sources `AZURE_TOKEN_CREDENTIALS` leaves in the chain, and whether it named one credential
/// (then a managed identity is not probed: it was asked for).
pub(crate) fn selected_sources(env: &EnvVars) -> Result<(Vec<ChainSource>, bool)> {
    let Some(raw) = env.get(TOKEN_CREDENTIALS_VARIABLE) else {
        return Ok((ChainSource::ALL.to_vec(), false));
    };
    let value = raw.trim().to_ascii_lowercase();
    if value.is_empty() {
        return Ok((ChainSource::ALL.to_vec(), false));
    }
    match value.as_str() {
        "dev" => return Ok((vec![ChainSource::AzureCli], false)),
        "prod" => {
            return Ok((
                vec![
                    ChainSource::Environment,
                    ChainSource::WorkloadIdentity,
                    ChainSource::ManagedIdentity,
                ],
                false,
            ));
        }
        _ => {}
    }
    if let Some(source) = ChainSource::ALL
        .into_iter()
        .find(|s| s.credential_name().eq_ignore_ascii_case(&value))
    {
        return Ok((vec![source], true));
    }
    let shown = crate::printable::printable(raw.trim()).into_owned();
    if ACCEPTED.contains(&value.as_str()) {
        return Err(Error::invalid(
            TOKEN_CREDENTIALS_VARIABLE,
            format!(
                "{shown} is a credential msconnect does not offer: it finds {}; set dev, prod or one of them",
                ChainSource::ALL.map(ChainSource::credential_name).join(", ")
            ),
        ));
    }
    Err(Error::invalid(
        TOKEN_CREDENTIALS_VARIABLE,
        format!(
            "Invalid value for AZURE_TOKEN_CREDENTIALS: {}. Valid values are: {}.",
            shown.to_ascii_lowercase(),
            ACCEPTED.join(", ")
        ),
    ))
}

/// The credential that answered.
#[derive(Debug, Clone)]
pub enum ChainAnswer {
    /// The `AZURE_*` variables.
    Environment(EnvironmentCredential),
    /// A federated token source, with the application and tenant it signs in as.
    WorkloadIdentity(WorkloadIdentity),
    /// The host's managed identity: where its tokens come from, and which identity.
    ManagedIdentity {
        /// App Service, Arc, Cloud Shell or IMDS.
        source: ManagedIdentitySource,
        /// `AZURE_CLIENT_ID` (or the caller's client id) for a user-assigned identity, as azure-identity
        /// does; else the system-assigned one.
        id: ManagedIdentityId,
    },
    /// The Azure CLI's signed-in account.
    AzureCli(AzureCliAccount),
}

impl ChainAnswer {
    /// The source.
    pub fn source(&self) -> ChainSource {
        match self {
            Self::Environment(_) => ChainSource::Environment,
            Self::WorkloadIdentity(_) => ChainSource::WorkloadIdentity,
            Self::ManagedIdentity { .. } => ChainSource::ManagedIdentity,
            Self::AzureCli(_) => ChainSource::AzureCli,
        }
    }

    /// What answered, for messages and `--what-if`: `ManagedIdentityCredential (IMDS)`,
    /// `EnvironmentCredential (ClientSecret)`, `AzureCliCredential (admin@contoso.com)`.
    pub fn describe(&self) -> String {
        use crate::flows::AssertionSource as _;
        let detail = match self {
            Self::Environment(variables) => variables.name().to_owned(),
            Self::WorkloadIdentity(workload) => workload.source.kind().to_owned(),
            Self::ManagedIdentity { source, .. } => source.name().to_owned(),
            Self::AzureCli(account) => crate::printable::printable(&account.username).into_owned(),
        };
        format!("{} ({detail})", self.source().credential_name())
    }
}

/// Finds the credential the environment offers.
#[derive(Debug, Clone)]
pub struct DefaultChain<'a> {
    env: &'a EnvVars,
    client_id: Option<ClientId>,
    imds_probe: Duration,
    shared_folders: SharedFolders,
}

impl<'a> DefaultChain<'a> {
    /// The chain over `env`'s variables.
    pub fn new(env: &'a EnvVars) -> Self {
        Self {
            env,
            client_id: None,
            imds_probe: IMDS_PROBE_TIMEOUT,
            shared_folders: SharedFolders::default(),
        }
    }

    /// The application the caller names: it wins over `AZURE_CLIENT_ID` for workload identity, and
    /// names a user-assigned managed identity.
    pub fn client_id(mut self, client_id: Option<ClientId>) -> Self {
        self.client_id = client_id;
        self
    }

    /// How the Azure CLI's folder is checked when it is shared with others (refused unless set).
    pub fn shared_folders(mut self, shared: SharedFolders) -> Self {
        self.shared_folders = shared;
        self
    }

    /// How long the IMDS probe waits (a second unless set).
    pub fn imds_probe_timeout(mut self, timeout: Duration) -> Self {
        self.imds_probe = timeout;
        self
    }

    /// The first source that answers. When none does, the error lists every source checked and why it
    /// did not answer; a bad `AZURE_TOKEN_CREDENTIALS` is an error naming it.
    pub fn find(&self) -> Result<ChainAnswer> {
        let (sources, named) = selected_sources(self.env)?;
        let mut checked = Vec::new();
        for source in sources {
            match self.try_source(source, named) {
                Ok(answer) => return Ok(answer),
                Err(why) => checked.push(format!("  {}: {why}", source.credential_name())),
            }
        }
        let narrowed = match self.env.get(TOKEN_CREDENTIALS_VARIABLE).map(str::trim) {
            Some(value) if !value.is_empty() => format!(
                " ({TOKEN_CREDENTIALS_VARIABLE}={} narrowed the chain)",
                crate::printable::printable(value)
            ),
            _ => String::new(),
        };
        Err(Error::SignInRequired(format!(
            "no credential in the environment answered{narrowed}; checked, in order:\n{}",
            checked.join("\n")
        )))
    }

    fn try_source(&self, source: ChainSource, named: bool) -> std::result::Result<ChainAnswer, String> {
        let env = self.env;
        match source {
            ChainSource::Environment => {
                let offered = [
                    "AZURE_CLIENT_SECRET",
                    "AZURE_CLIENT_CERTIFICATE_PATH",
                    "AZURE_USERNAME",
                ];
                if offered.iter().all(|var| env.get(var).is_none()) {
                    return Err(
                        "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH and AZURE_USERNAME are not set"
                            .into(),
                    );
                }
                EnvironmentCredential::from_env(env)
                    .map(ChainAnswer::Environment)
                    .map_err(|e| e.to_string())
            }
            ChainSource::WorkloadIdentity => {
                let mut workload = WorkloadIdentity::from_env(env).map_err(|e| match e {
                    Error::InvalidParameter { reason, .. } => reason,
                    other => other.to_string(),
                })?;
                if let Some(client_id) = &self.client_id {
                    workload.client_id = Some(client_id.clone());
                }
                if workload.client_id.is_none() {
                    return Err(format!(
                        "{} offers a federated token, but AZURE_CLIENT_ID (the application it signs in as) is not set",
                        crate::flows::AssertionSource::kind(&workload.source)
                    ));
                }
                Ok(ChainAnswer::WorkloadIdentity(workload))
            }
            ChainSource::ManagedIdentity => {
                let source = ManagedIdentitySource::from_env(env).map_err(|e| e.to_string())?;
                let id = match self
                    .client_id
                    .clone()
                    .map(Ok)
                    .or_else(|| crate::flows::federated::env_client_id(env).transpose())
                    .transpose()
                    .map_err(|e| e.to_string())?
                {
                    Some(client_id) => ManagedIdentityId::ClientId(client_id),
                    None => ManagedIdentityId::SystemAssigned,
                };
                if let ManagedIdentitySource::Imds { endpoint } = &source
                    && !named
                {
                    probe(endpoint, self.imds_probe)?;
                }
                Ok(ChainAnswer::ManagedIdentity { source, id })
            }
            ChainSource::AzureCli => {
                let cli = AzureCli::locate(env, &self.shared_folders).map_err(|e| e.to_string())?;
                cli.choose(None)
                    .map(ChainAnswer::AzureCli)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Whether IMDS accepts a connection within `timeout`: no variable announces it, so this is how
/// azure-identity's chain tells an Azure VM from elsewhere, without the minutes a full request with
/// retries would take off Azure.
fn probe(endpoint: &url::Url, timeout: Duration) -> std::result::Result<(), String> {
    let host = endpoint.host_str().unwrap_or_default();
    let port = endpoint.port_or_known_default().unwrap_or(80);
    let shown = format!("{host}:{port}");
    let addresses: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| {
            format!(
                "IMDS at {shown} cannot be resolved ({e}); no App Service, Arc or Cloud Shell variable is set"
            )
        })?
        .collect();
    let Some(address) = addresses.first() else {
        return Err(format!("IMDS at {shown} has no address"));
    };
    TcpStream::connect_timeout(address, timeout)
        .map(drop)
        .map_err(|e| {
            format!(
                "IMDS at {shown} did not answer within {} ms ({e}); no App Service, Arc or Cloud Shell variable \
                 (IDENTITY_ENDPOINT, MSI_ENDPOINT) is set",
                timeout.as_millis()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        EnvVars::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn token_credentials_narrows_the_chain_as_azure_identity_reads_it() {
        let names = |value: &str| {
            selected_sources(&env(&[(TOKEN_CREDENTIALS_VARIABLE, value)])).map(|(sources, named)| {
                (
                    sources
                        .into_iter()
                        .map(ChainSource::credential_name)
                        .collect::<Vec<_>>(),
                    named,
                )
            })
        };
        assert_eq!(names("").unwrap().0.len(), 4);
        assert_eq!(names(" Dev ").unwrap(), (vec!["AzureCliCredential"], false));
        assert_eq!(
            names("PROD").unwrap(),
            (
                vec![
                    "EnvironmentCredential",
                    "WorkloadIdentityCredential",
                    "ManagedIdentityCredential"
                ],
                false
            )
        );
        assert_eq!(
            names("managedidentitycredential").unwrap(),
            (vec!["ManagedIdentityCredential"], true)
        );
        assert_eq!(
            names("WorkloadIdentityCredential").unwrap(),
            (vec!["WorkloadIdentityCredential"], true)
        );
        insta::assert_snapshot!(names("laptop").unwrap_err(), @"invalid value for AZURE_TOKEN_CREDENTIALS: Invalid value for AZURE_TOKEN_CREDENTIALS: laptop. Valid values are: dev, prod, azureclicredential, azuredeveloperclicredential, azurepowershellcredential, environmentcredential, interactivebrowsercredential, managedidentitycredential, visualstudiocodecredential, workloadidentitycredential.");
        insta::assert_snapshot!(names("AzurePowerShellCredential").unwrap_err(), @"invalid value for AZURE_TOKEN_CREDENTIALS: AzurePowerShellCredential is a credential msconnect does not offer: it finds EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential; set dev, prod or one of them");
    }

    #[test]
    fn an_imds_that_does_not_listen_is_found_absent_within_the_probe() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let home = tempfile::tempdir().unwrap();
        let home = home.path().to_str().unwrap();
        let pod = format!("http://127.0.0.1:{closed}");
        let started = std::time::Instant::now();
        let error = DefaultChain::new(&env(&[
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", pod.as_str()),
            ("HOME", home),
        ]))
        .find()
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(
            error.starts_with("no credential in the environment answered; checked, in order:"),
            "{error}"
        );
        for name in ChainSource::ALL.map(ChainSource::credential_name) {
            assert!(error.contains(&format!("  {name}: ")), "{error}");
        }
        assert!(
            error.contains(&format!("IMDS at 127.0.0.1:{closed} did not answer")),
            "{error}"
        );
    }

    #[test]
    fn the_first_source_that_answers_wins_and_imds_answers_when_it_listens() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let pod = format!("http://{}", listener.local_addr().unwrap());
        let app = "0c7a1f00-0000-4000-8000-00000000f00d";
        let answer = DefaultChain::new(&env(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", pod.as_str())]))
            .find()
            .unwrap();
        assert_eq!(answer.describe(), "ManagedIdentityCredential (IMDS)");
        // AZURE_CLIENT_ID names a user-assigned identity, as in azure-identity
        let answer = DefaultChain::new(&env(&[
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", pod.as_str()),
            ("AZURE_CLIENT_ID", app),
        ]))
        .find()
        .unwrap();
        assert!(
            matches!(answer, ChainAnswer::ManagedIdentity { id: ManagedIdentityId::ClientId(ref id), .. } if id.as_str() == app)
        );
        // the environment credential comes first, then workload identity
        let vars = [
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", pod.as_str()),
            ("AZURE_CLIENT_ID", app),
            ("AZURE_TENANT_ID", "contoso.com"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
        ];
        let answer = DefaultChain::new(&env(&vars)).find().unwrap();
        assert_eq!(
            answer.describe(),
            "WorkloadIdentityCredential (FederatedTokenFile)"
        );
        let mut with_secret = vars.to_vec();
        with_secret.push(("AZURE_CLIENT_SECRET", "s"));
        let answer = DefaultChain::new(&env(&with_secret)).find().unwrap();
        assert_eq!(answer.describe(), "EnvironmentCredential (ClientSecret)");
        // narrowed to one, the others are not looked at
        with_secret.push((TOKEN_CREDENTIALS_VARIABLE, "ManagedIdentityCredential"));
        let answer = DefaultChain::new(&env(&with_secret)).find().unwrap();
        assert_eq!(answer.source(), ChainSource::ManagedIdentity);
    }
}
