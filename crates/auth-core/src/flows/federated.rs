//! Workload identity federation: a federated token (a JWT issued by Kubernetes, GitHub Actions or Azure
//! Pipelines) sent as the client assertion of the client credentials grant. Each source fetches the
//! token anew for every token request, so a token that expires after a few minutes never strands a
//! long job: the file is read again (Kubernetes rotates it) and the CI endpoints are asked again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use url::Url;

use crate::cloud::is_loopback_host;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::{AssertionFuture, AssertionSource, ClientCredential};
use crate::http::{HttpClient, HttpResponse, excerpt, strip_query};
use crate::ids::{ClientId, Tenant};
use crate::read_file::read_existing;
use crate::secret::{ClientAssertion, FederatedToken, RequestToken};

/// The audience Microsoft Entra accepts federated tokens for.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The largest federated token accepted: real ones are 1 to 4 KiB.
pub(crate) const MAX_FEDERATED_TOKEN_BYTES: usize = 64 * 1024;
/// The Azure DevOps REST API version of the OIDC token request.
const PIPELINES_API_VERSION: &str = "7.1";

/// A federated token in a file (`AZURE_FEDERATED_TOKEN_FILE`, a projected Kubernetes service account
/// token), read again for every token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedTokenFile {
    path: PathBuf,
}

impl FederatedTokenFile {
    /// The token in `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the token now: trimmed, at most `MAX_FEDERATED_TOKEN_BYTES`, and shaped like a JWT.
    pub fn read(&self) -> Result<FederatedToken> {
        // a FIFO or a device in its place is refused rather than waited on or read without end
        let bytes = read_existing(
            &self.path,
            MAX_FEDERATED_TOKEN_BYTES,
            "reading the federated token file",
            "a federated token file",
        )?;
        let invalid = |reason: String| Error::InvalidFile {
            path: self.path.clone(),
            reason,
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| invalid("the federated token file is not text: it holds no JWT".into()))?;
        checked_jwt(text).map_err(|reason| invalid(format!("the federated token file {reason}")))
    }
}

impl AssertionSource for FederatedTokenFile {
    fn assertion(&self, _audience: &str, _client_id: &ClientId, _now: SystemTime) -> Result<ClientAssertion> {
        Ok(ClientAssertion::new(self.read()?.secret()))
    }

    fn kind(&self) -> &'static str {
        "FederatedTokenFile"
    }

    fn federated_description(&self) -> Option<SavedFederatedSource> {
        Some(SavedFederatedSource::File {
            path: self.path.clone(),
        })
    }
}

/// A CI system's OIDC token endpoint and the job's credential for it (GitHub's request token, Azure
/// Pipelines' access token): what both CI sources hold, so Debug is written once. It shows the URL
/// without its query (which may name the job) and never the credential.
#[derive(Clone)]
struct CiEndpoint {
    url: Url,
    credential: RequestToken,
}

impl fmt::Debug for CiEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CiEndpoint")
            .field("url", &strip_query(&self.url))
            .field("credential", &self.credential)
            .finish()
    }
}

impl CiEndpoint {
    /// The endpoint `variable` holds (`value`): https, or http on loopback (a test's stand-in).
    fn new(variable: &str, value: &str, credential: RequestToken) -> Result<Self> {
        let url = Url::parse(value.trim()).map_err(|_| Error::invalid(variable, "not a URL"))?;
        if url.scheme() == "https" || (url.scheme() == "http" && is_loopback_host(&url)) {
            Ok(Self { url, credential })
        } else {
            Err(Error::invalid(
                variable,
                format!("'{}' is not an https URL", strip_query(&url)),
            ))
        }
    }

    /// The `Authorization` header: `scheme` and the credential, wiped from memory when dropped.
    fn authorization(&self, scheme: &str) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(format!("{scheme} {}", self.credential.secret()))
    }
}

/// A federated token source that asks a CI system's OIDC endpoint over HTTP for every token request.
/// Such a source is an [`AssertionSource`] by the impl below, so GitHub Actions and Azure Pipelines
/// each say only their names and how they ask.
trait CiOidcSource: Send + Sync + fmt::Debug {
    /// The source's name in contexts (`GitHubActions`).
    const KIND: &'static str;
    /// The CI system's name in errors (`GitHub Actions`).
    const SYSTEM: &'static str;

    /// Asks the endpoint for a token now.
    fn ask(&self, http: &HttpClient) -> impl Future<Output = Result<FederatedToken>> + Send;
}

impl<T: CiOidcSource> AssertionSource for T {
    fn assertion(&self, _audience: &str, _client_id: &ClientId, _now: SystemTime) -> Result<ClientAssertion> {
        Err(Error::invalid(
            "client assertion",
            format!(
                "{} tokens are fetched over HTTP: ask through a token request",
                T::SYSTEM
            ),
        ))
    }

    fn fetch_assertion<'a>(
        &'a self,
        http: &'a HttpClient,
        _audience: &'a str,
        _client_id: &'a ClientId,
        _now: SystemTime,
    ) -> AssertionFuture<'a> {
        Box::pin(async move { Ok(ClientAssertion::new(self.ask(http).await?.secret())) })
    }

    fn kind(&self) -> &'static str {
        T::KIND
    }
}

/// GitHub Actions' OIDC token, asked of `ACTIONS_ID_TOKEN_REQUEST_URL` for every token request (the
/// job needs `permissions: id-token: write`).
#[derive(Debug, Clone)]
pub struct GitHubActionsToken {
    endpoint: CiEndpoint,
    audience: String,
}

impl GitHubActionsToken {
    /// The token endpoint of `ACTIONS_ID_TOKEN_REQUEST_URL`, asked with `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
    /// for the audience `api://AzureADTokenExchange`.
    pub fn new(request_url: &str, request_token: RequestToken) -> Result<Self> {
        Ok(Self {
            endpoint: CiEndpoint::new("ACTIONS_ID_TOKEN_REQUEST_URL", request_url, request_token)?,
            audience: TOKEN_EXCHANGE_AUDIENCE.to_owned(),
        })
    }

    /// Another audience (a federated credential configured with a custom one).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Asks GitHub for a token now.
    pub async fn fetch(&self, http: &HttpClient) -> Result<FederatedToken> {
        let mut url = self.endpoint.url.clone();
        url.query_pairs_mut().append_pair("audience", &self.audience);
        let authorization = self.endpoint.authorization("bearer");
        let response = http
            .get(
                &url,
                &[
                    ("Authorization", authorization.as_str()),
                    ("Accept", "application/json"),
                ],
            )
            .await?;
        read_ci_answer(
            &url,
            response,
            "value",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "GitHub Actions refused the OIDC token request: give the job `permissions: id-token: write`",
        )
    }
}

impl CiOidcSource for GitHubActionsToken {
    const KIND: &'static str = "GitHubActions";
    const SYSTEM: &'static str = "GitHub Actions";

    fn ask(&self, http: &HttpClient) -> impl Future<Output = Result<FederatedToken>> + Send {
        self.fetch(http)
    }
}

/// Azure Pipelines' OIDC token for a service connection, asked of `SYSTEM_OIDCREQUESTURI` for every
/// token request (the step maps `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` into its environment).
#[derive(Debug, Clone)]
pub struct AzurePipelinesToken {
    endpoint: CiEndpoint,
    service_connection_id: String,
}

impl AzurePipelinesToken {
    /// The OIDC endpoint of `SYSTEM_OIDCREQUESTURI`, asked with `SYSTEM_ACCESSTOKEN` for the service
    /// connection `service_connection_id`.
    pub fn new(request_uri: &str, access_token: RequestToken, service_connection_id: &str) -> Result<Self> {
        let service_connection_id = service_connection_id.trim();
        if service_connection_id.is_empty()
            || !service_connection_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::invalid(
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                "expected the service connection's id (a GUID)",
            ));
        }
        Ok(Self {
            endpoint: CiEndpoint::new("SYSTEM_OIDCREQUESTURI", request_uri, access_token)?,
            service_connection_id: service_connection_id.to_owned(),
        })
    }

    /// Asks Azure DevOps for a token now.
    pub async fn fetch(&self, http: &HttpClient) -> Result<FederatedToken> {
        let mut url = self.endpoint.url.clone();
        url.query_pairs_mut()
            .append_pair("api-version", PIPELINES_API_VERSION)
            .append_pair("serviceConnectionId", &self.service_connection_id);
        let authorization = self.endpoint.authorization("Bearer");
        let response = http
            .post_with_headers(
                &url,
                &[
                    ("Authorization", authorization.as_str()),
                    ("Content-Type", "application/json"),
                    // without it an expired access token gets a sign-in page instead of a 401
                    ("X-TFS-FedAuthRedirect", "Suppress"),
                ],
                &[],
            )
            .await?;
        read_ci_answer(
            &url,
            response,
            "oidcToken",
            "SYSTEM_ACCESSTOKEN",
            "Azure Pipelines refused the OIDC token request: map `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` \
             into the step's environment and check the service connection id",
        )
    }
}

impl CiOidcSource for AzurePipelinesToken {
    const KIND: &'static str = "AzurePipelines";
    const SYSTEM: &'static str = "Azure Pipelines";

    fn ask(&self, http: &HttpClient) -> impl Future<Output = Result<FederatedToken>> + Send {
        self.fetch(http)
    }
}

/// Where a federated token comes from.
#[derive(Debug, Clone)]
pub enum FederatedTokenSource {
    /// A file, read for every token request.
    File(FederatedTokenFile),
    /// GitHub Actions' token endpoint.
    GitHubActions(GitHubActionsToken),
    /// Azure Pipelines' token endpoint.
    AzurePipelines(AzurePipelinesToken),
}

impl FederatedTokenSource {
    /// The source the environment offers, in azure-identity's order: `AZURE_FEDERATED_TOKEN_FILE`, then
    /// GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), then Azure
    /// Pipelines (`SYSTEM_OIDCREQUESTURI` + `SYSTEM_ACCESSTOKEN` and the service connection id, from
    /// `service_connection_id` or else `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`).
    pub fn from_env(env: &EnvVars, service_connection_id: Option<&str>) -> Result<Self> {
        if let Some(path) = env.get("AZURE_FEDERATED_TOKEN_FILE") {
            return Ok(Self::File(FederatedTokenFile::new(path)));
        }
        if let Some(url) = env.get("ACTIONS_ID_TOKEN_REQUEST_URL") {
            let token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").ok_or_else(|| {
                Error::invalid(
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    "ACTIONS_ID_TOKEN_REQUEST_URL is set but the request token is not: give the job \
                     `permissions: id-token: write`",
                )
            })?;
            return Ok(Self::GitHubActions(GitHubActionsToken::new(
                url,
                RequestToken::new(token),
            )?));
        }
        if let Some(uri) = env.get("SYSTEM_OIDCREQUESTURI") {
            let token = env.get("SYSTEM_ACCESSTOKEN").ok_or_else(|| {
                Error::invalid(
                    "SYSTEM_ACCESSTOKEN",
                    "SYSTEM_OIDCREQUESTURI is set but SYSTEM_ACCESSTOKEN is not: map \
                     `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` into the step's environment",
                )
            })?;
            let connection = service_connection_id
                .or_else(|| env.get("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"))
                .ok_or_else(|| {
                    Error::invalid(
                        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                        "Azure Pipelines needs the service connection's id: set the variable or give the \
                         service connection id option",
                    )
                })?;
            return Ok(Self::AzurePipelines(AzurePipelinesToken::new(
                uri,
                RequestToken::new(token),
                connection,
            )?));
        }
        Err(Error::invalid(
            "workload identity",
            "no federated token in the environment: set AZURE_FEDERATED_TOKEN_FILE, or run in GitHub \
             Actions with `permissions: id-token: write`, or in an Azure Pipelines task with \
             SYSTEM_ACCESSTOKEN and a service connection",
        ))
    }

    /// What to save to find this source again (no secret).
    pub fn describe(&self) -> SavedFederatedSource {
        match self {
            Self::File(file) => SavedFederatedSource::File {
                path: file.path.clone(),
            },
            Self::GitHubActions(_) => SavedFederatedSource::GitHubActions,
            Self::AzurePipelines(source) => SavedFederatedSource::AzurePipelines {
                service_connection_id: source.service_connection_id.clone(),
            },
        }
    }

    fn inner(&self) -> &dyn AssertionSource {
        match self {
            Self::File(source) => source,
            Self::GitHubActions(source) => source,
            Self::AzurePipelines(source) => source,
        }
    }
}

impl AssertionSource for FederatedTokenSource {
    fn assertion(&self, audience: &str, client_id: &ClientId, now: SystemTime) -> Result<ClientAssertion> {
        self.inner().assertion(audience, client_id, now)
    }

    fn fetch_assertion<'a>(
        &'a self,
        http: &'a HttpClient,
        audience: &'a str,
        client_id: &'a ClientId,
        now: SystemTime,
    ) -> AssertionFuture<'a> {
        self.inner().fetch_assertion(http, audience, client_id, now)
    }

    fn kind(&self) -> &'static str {
        self.inner().kind()
    }

    fn federated_description(&self) -> Option<SavedFederatedSource> {
        Some(self.describe())
    }
}

/// How to find a federated token source again in a later process (`token` renewing a saved
/// connection): the file's path, or which CI system; never a token. The CI systems' request URLs and
/// tokens are read from the environment again, as each job has its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "source", rename_all = "camelCase")]
pub enum SavedFederatedSource {
    /// A token file.
    File {
        /// The file.
        path: PathBuf,
    },
    /// GitHub Actions.
    GitHubActions,
    /// Azure Pipelines, for this service connection.
    AzurePipelines {
        /// The service connection's id.
        #[serde(rename = "serviceConnectionId")]
        service_connection_id: String,
    },
}

impl SavedFederatedSource {
    /// The source's name for contexts (`FederatedTokenFile`, `GitHubActions`, `AzurePipelines`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::File { .. } => "FederatedTokenFile",
            Self::GitHubActions => "GitHubActions",
            Self::AzurePipelines { .. } => "AzurePipelines",
        }
    }

    /// The source again, its credentials read from `env`.
    pub fn reload(&self, env: &EnvVars) -> Result<FederatedTokenSource> {
        match self {
            Self::File { path } => Ok(FederatedTokenSource::File(FederatedTokenFile::new(path))),
            Self::GitHubActions => {
                let url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL").ok_or_else(|| {
                    Error::invalid(
                        "ACTIONS_ID_TOKEN_REQUEST_URL",
                        "the connection signed in through GitHub Actions, but this process is not in a job \
                         that may request tokens: connect again",
                    )
                })?;
                let token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").ok_or_else(|| {
                    Error::invalid(
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                        "ACTIONS_ID_TOKEN_REQUEST_URL is set but the request token is not",
                    )
                })?;
                Ok(FederatedTokenSource::GitHubActions(GitHubActionsToken::new(
                    url,
                    RequestToken::new(token),
                )?))
            }
            Self::AzurePipelines {
                service_connection_id,
            } => {
                let uri = env.get("SYSTEM_OIDCREQUESTURI").ok_or_else(|| {
                    Error::invalid(
                        "SYSTEM_OIDCREQUESTURI",
                        "the connection signed in through Azure Pipelines, but this process is not in a \
                         pipeline job: connect again",
                    )
                })?;
                let token = env.get("SYSTEM_ACCESSTOKEN").ok_or_else(|| {
                    Error::invalid(
                        "SYSTEM_ACCESSTOKEN",
                        "map `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` into the step's environment",
                    )
                })?;
                Ok(FederatedTokenSource::AzurePipelines(AzurePipelinesToken::new(
                    uri,
                    RequestToken::new(token),
                    service_connection_id,
                )?))
            }
        }
    }
}

/// A federated token source whose token was fetched once, up front (at connect, so that the source
/// proves itself even when the cache could serve): the token request sends that token, and the source
/// is what is described and saved, so later renewals ask the source again.
#[derive(Debug)]
pub(crate) struct FetchedAssertion {
    source: Arc<dyn AssertionSource>,
    assertion: ClientAssertion,
}

impl FetchedAssertion {
    /// Fetches `source`'s token now; the credential that sends it.
    pub(crate) async fn fetch(
        source: &Arc<dyn AssertionSource>,
        http: &HttpClient,
        audience: &str,
        client_id: &ClientId,
        now: SystemTime,
    ) -> Result<ClientCredential> {
        let assertion = source.fetch_assertion(http, audience, client_id, now).await?;
        Ok(ClientCredential::assertion(Self {
            source: source.clone(),
            assertion,
        }))
    }
}

impl AssertionSource for FetchedAssertion {
    fn assertion(&self, _audience: &str, _client_id: &ClientId, _now: SystemTime) -> Result<ClientAssertion> {
        Ok(self.assertion.clone())
    }

    fn kind(&self) -> &'static str {
        self.source.kind()
    }

    fn federated_description(&self) -> Option<SavedFederatedSource> {
        self.source.federated_description()
    }
}

/// `--workload-identity`: the federated token source the environment offers, with the application id
/// and tenant of `AZURE_CLIENT_ID` / `AZURE_TENANT_ID` when they are set (the module's own options win
/// over them: the product crate decides).
#[derive(Debug, Clone)]
pub struct WorkloadIdentity {
    /// Where each federated token comes from.
    pub source: FederatedTokenSource,
    /// `AZURE_CLIENT_ID`, when set.
    pub client_id: Option<ClientId>,
    /// `AZURE_TENANT_ID`, when set.
    pub tenant: Option<Tenant>,
}

impl WorkloadIdentity {
    /// Reads the environment (see [`FederatedTokenSource::from_env`] for the order).
    pub fn from_env(env: &EnvVars) -> Result<Self> {
        Self::from_env_with(env, None)
    }

    /// Reads the environment, with the Azure Pipelines service connection id given as an option.
    pub fn from_env_with(env: &EnvVars, service_connection_id: Option<&str>) -> Result<Self> {
        Ok(Self {
            source: FederatedTokenSource::from_env(env, service_connection_id)?,
            client_id: env_client_id(env)?,
            tenant: env_tenant(env)?,
        })
    }

    /// The credential of the client credentials grant.
    pub fn credential(&self) -> ClientCredential {
        ClientCredential::assertion(self.source.clone())
    }
}

/// `AZURE_CLIENT_ID`, checked, when set.
pub fn env_client_id(env: &EnvVars) -> Result<Option<ClientId>> {
    env.get("AZURE_CLIENT_ID")
        .map(|value| {
            ClientId::parse(value)
                .map_err(|_| Error::invalid("AZURE_CLIENT_ID", "expected the application's id (a GUID)"))
        })
        .transpose()
}

/// `AZURE_TENANT_ID`, checked, when set.
pub fn env_tenant(env: &EnvVars) -> Result<Option<Tenant>> {
    env.get("AZURE_TENANT_ID")
        .map(|value| {
            Tenant::parse(value).map_err(|e| match e {
                Error::InvalidParameter { reason, .. } => Error::invalid("AZURE_TENANT_ID", reason),
                other => other,
            })
        })
        .transpose()
}

/// The federated JWT in a CI endpoint's JSON answer.
fn read_ci_answer(
    url: &Url,
    response: HttpResponse,
    member: &str,
    credential_variable: &str,
    refused: &str,
) -> Result<FederatedToken> {
    if response.status == 401 || response.status == 403 {
        return Err(Error::IdentitySource {
            variable: credential_variable.to_owned(),
            message: format!("{refused} (HTTP {} from {})", response.status, strip_query(url)),
        });
    }
    let unexpected = |response: &HttpResponse| Error::UnexpectedResponse {
        status: response.status,
        url: strip_query(url),
        excerpt: excerpt(&response.body),
    };
    if !(200..300).contains(&response.status) {
        return Err(unexpected(&response));
    }
    let json: serde_json::Value = serde_json::from_str(&response.body).map_err(|_| unexpected(&response))?;
    let text = json
        .get(member)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| unexpected(&response))?;
    checked_jwt(text).map_err(|reason| Error::InvalidToken {
        what: "federated token",
        reason: format!("the answer of {} {reason}", strip_query(url)),
    })
}

/// The trimmed text when it is shaped like a JWT (three base64url parts, a JSON header and payload);
/// else why not, worded to follow "the file" or "the answer of …".
fn checked_jwt(text: &str) -> std::result::Result<FederatedToken, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty: it holds no JWT".into());
    }
    if text.len() > MAX_FEDERATED_TOKEN_BYTES {
        return Err(format!(
            "holds more than {MAX_FEDERATED_TOKEN_BYTES} bytes: no JWT is that large"
        ));
    }
    let parts: Vec<&str> = text.split('.').collect();
    let base64url = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    };
    let json_object = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|value| value.is_object())
    };
    if parts.len() != 3
        || !parts.iter().all(|part| base64url(part))
        || !json_object(parts[0])
        || !json_object(parts[1])
    {
        return Err("holds no JWT (expected header.payload.signature in base64url)".into());
    }
    Ok(FederatedToken::new(text))
}

#[cfg(test)]
mod tests;
