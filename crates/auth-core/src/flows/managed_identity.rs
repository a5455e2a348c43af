//! Managed identity: the host (App Service, Functions, Container Apps, Azure Arc, Cloud Shell, a VM
//! through IMDS) hands out tokens for the identity Azure gave it, with no secret in the process. The
//! source is found from the environment as the Azure SDKs find it; each source's request, user-assigned
//! id parameters and answer are its own.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::flows::normalize_scopes;
use crate::http::{HttpClient, HttpOptions, HttpResponse, RetryPolicy, excerpt, strip_query};
use crate::ids::ClientId;
use crate::secret::{AccessToken, IdentityHeader};
use crate::time::epoch_seconds;
use crate::token::{TokenResult, decode_jwt_payload, number};

/// IMDS' address, used unless `AZURE_POD_IDENTITY_AUTHORITY_HOST` names another.
pub(crate) const IMDS_HOST: &str = "http://169.254.169.254";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
const IMDS_API_VERSION: &str = "2018-02-01";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
const ARC_API_VERSION: &str = "2019-11-01";
/// Where the Azure Arc agent writes its challenge files on Linux.
pub(crate) const ARC_KEY_DIRECTORY: &str = "/var/opt/azcmagent/tokens";
/// The largest Azure Arc challenge file read (the agent's are 32 bytes or so).
const ARC_KEY_MAX_BYTES: u64 = 4096;
/// IMDS answers, or its absence shows, within this: off Azure the address does not answer at all.
pub(crate) const IMDS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Retries after the first attempt on 404, 408, 429 and 5xx (waiting 1, 2, then 4 seconds).
const MAX_RETRIES: u32 = 3;
/// IMDS answers 410 while it updates, for up to 70 seconds: ask again every 10 seconds for that long.
const GONE_RETRY_DELAY: Duration = Duration::from_secs(10);
const GONE_RETRY_FOR: Duration = Duration::from_secs(70);

/// Which of the host's identities to use (saved with a connection as it is: no secret in it).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
pub enum ManagedIdentityId {
    /// The host's own identity.
    #[default]
    SystemAssigned,
    /// A user-assigned identity by its client (application) id.
    ClientId(ClientId),
    /// A user-assigned identity by its object (principal) id.
    ObjectId(String),
    /// A user-assigned identity by its Azure resource id.
    ResourceId(String),
}

impl ManagedIdentityId {
    /// A user-assigned identity's object id, checked to be a GUID.
    pub fn object_id(value: &str) -> Result<Self> {
        let value = value.trim();
        if crate::ids::is_guid(value) {
            Ok(Self::ObjectId(value.to_ascii_lowercase()))
        } else {
            Err(Error::invalid("object id", format!("'{value}' is not a GUID")))
        }
    }

    /// A user-assigned identity's resource id, checked to look like one.
    pub fn resource_id(value: &str) -> Result<Self> {
        let value = value.trim();
        if value.starts_with("/subscriptions/")
            && value
                .to_ascii_lowercase()
                .contains("/providers/microsoft.managedidentity/userassignedidentities/")
            && !value.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            Ok(Self::ResourceId(value.to_owned()))
        } else {
            Err(Error::invalid(
                "resource id",
                "expected /subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…",
            ))
        }
    }

    /// Whether this is the system-assigned identity.
    pub fn is_system_assigned(&self) -> bool {
        matches!(self, Self::SystemAssigned)
    }
}

/// Where the host's tokens come from.
#[derive(Debug, Clone)]
pub enum ManagedIdentitySource {
    /// App Service, Functions, Container Apps: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
    AppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: Url,
        /// `IDENTITY_HEADER`, sent as `X-IDENTITY-HEADER`.
        header: IdentityHeader,
    },
    /// An Azure Arc enabled server: `IDENTITY_ENDPOINT` and `IMDS_ENDPOINT`.
    AzureArc {
        /// `IDENTITY_ENDPOINT`.
        endpoint: Url,
    },
    /// Azure Cloud Shell: `MSI_ENDPOINT`.
    CloudShell {
        /// `MSI_ENDPOINT`.
        endpoint: Url,
    },
    /// The Instance Metadata Service of a VM, a scale set, AKS (pod identity).
    Imds {
        /// The token endpoint.
        endpoint: Url,
    },
}

impl ManagedIdentitySource {
    /// The source this host offers, found as azure-identity finds it: `IDENTITY_ENDPOINT` with
    /// `IDENTITY_HEADER` (App Service) or with `IMDS_ENDPOINT` (Azure Arc), then `MSI_ENDPOINT` (Cloud
    /// Shell), else IMDS at `AZURE_POD_IDENTITY_AUTHORITY_HOST` or 169.254.169.254.
    pub fn from_env(env: &EnvVars) -> Result<Self> {
        if let Some(endpoint) = env.get("IDENTITY_ENDPOINT") {
            if let Some(header) = env.get("IDENTITY_HEADER") {
                if env.get("IDENTITY_SERVER_THUMBPRINT").is_some() {
                    return Err(Error::ManagedIdentityUnavailable(
                        "Service Fabric's managed identity (IDENTITY_SERVER_THUMBPRINT) is not supported"
                            .into(),
                    ));
                }
                return Ok(Self::AppService {
                    endpoint: endpoint_url("IDENTITY_ENDPOINT", endpoint)?,
                    header: IdentityHeader::new(header),
                });
            }
            if env.get("IMDS_ENDPOINT").is_some() {
                return Ok(Self::AzureArc {
                    endpoint: endpoint_url("IDENTITY_ENDPOINT", endpoint)?,
                });
            }
        }
        if let Some(endpoint) = env.get("MSI_ENDPOINT") {
            if env.get("MSI_SECRET").is_some() {
                return Err(Error::ManagedIdentityUnavailable(
                    "Azure Machine Learning's managed identity (MSI_ENDPOINT with MSI_SECRET) is not supported".into(),
                ));
            }
            return Ok(Self::CloudShell {
                endpoint: endpoint_url("MSI_ENDPOINT", endpoint)?,
            });
        }
        let host = env
            .get("AZURE_POD_IDENTITY_AUTHORITY_HOST")
            .unwrap_or(IMDS_HOST)
            .trim_end_matches('/');
        let endpoint = endpoint_url("AZURE_POD_IDENTITY_AUTHORITY_HOST", &format!("{host}{IMDS_PATH}"))?;
        Ok(Self::Imds { endpoint })
    }

    /// The source's name for contexts and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AppService { .. } => "AppService",
            Self::AzureArc { .. } => "AzureArc",
            Self::CloudShell { .. } => "CloudShell",
            Self::Imds { .. } => "IMDS",
        }
    }
}

/// The Azure Arc agent's folder of challenge files: `%ProgramData%\AzureConnectedMachineAgent\Tokens` on
/// Windows, [`ARC_KEY_DIRECTORY`] elsewhere.
fn arc_key_directory(env: &EnvVars) -> PathBuf {
    if cfg!(windows) {
        let data = env.get("ProgramData").unwrap_or(r"C:\ProgramData");
        Path::new(data).join("AzureConnectedMachineAgent").join("Tokens")
    } else {
        PathBuf::from(ARC_KEY_DIRECTORY)
    }
}

/// One request to a managed identity endpoint.
#[derive(Clone, Copy)]
enum Request<'a> {
    Get(&'a Url),
    Post(&'a Url, &'a [(&'a str, &'a str)]),
}
use Request::{Get, Post};

/// `--identity`: a token from the host's managed identity. Scopes become the `resource` the endpoints
/// want; the answer is a [`TokenResult`] like any app-only token's.
#[derive(Debug, Clone)]
pub struct ManagedIdentity<'a> {
    env: &'a EnvVars,
    id: ManagedIdentityId,
    scopes: Vec<String>,
    environment: String,
    imds_connect_timeout: Duration,
    arc_key_directory: PathBuf,
}

impl<'a> ManagedIdentity<'a> {
    /// A request for the identity the variables of `env` point at; system-assigned unless [`Self::id`]
    /// says otherwise.
    pub fn new(env: &'a EnvVars) -> Self {
        Self {
            env,
            id: ManagedIdentityId::SystemAssigned,
            scopes: Vec::new(),
            environment: "login.microsoftonline.com".into(),
            imds_connect_timeout: IMDS_CONNECT_TIMEOUT,
            arc_key_directory: arc_key_directory(env),
        }
    }

    /// Which identity.
    pub fn id(mut self, id: ManagedIdentityId) -> Self {
        self.id = id;
        self
    }

    /// The scope: exactly one, `{resource}/.default` or the resource itself.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = normalize_scopes(scopes);
        self
    }

    /// The cache environment (authority host) the token is filed under; `login.microsoftonline.com` by
    /// default.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = environment.into();
        self
    }

    /// How long to wait for IMDS to accept a connection before deciding there is no managed identity.
    pub fn imds_connect_timeout(mut self, timeout: Duration) -> Self {
        self.imds_connect_timeout = timeout;
        self
    }

    /// The only folder an Azure Arc challenge may point into (`ARC_KEY_DIRECTORY` by default).
    pub fn arc_key_directory(mut self, directory: impl Into<PathBuf>) -> Self {
        self.arc_key_directory = directory.into();
        self
    }

    /// The resource the scope names: the scope without `/.default`.
    pub fn resource(&self) -> Result<String> {
        match self.scopes.as_slice() {
            [scope] => {
                let resource = scope.strip_suffix("/.default").unwrap_or(scope);
                if resource.is_empty() {
                    Err(Error::invalid("scopes", "the scope names no resource"))
                } else {
                    Ok(resource.to_owned())
                }
            }
            [] => Err(Error::invalid(
                "scopes",
                "a managed identity token needs a scope such as https://graph.microsoft.com/.default",
            )),
            _ => Err(Error::invalid(
                "scopes",
                format!(
                    "a managed identity token is for one resource, not {} scopes: {}",
                    self.scopes.len(),
                    self.scopes.join(" ")
                ),
            )),
        }
    }

    /// Asks the host. `http` lends its timer (for backoff); the requests go out on a client of their own
    /// that never uses a proxy (the endpoints are on this machine or link-local) and does not retry on
    /// its own (the sources' retry rules are applied here).
    pub async fn send(self, http: &HttpClient) -> Result<TokenResult> {
        let resource = self.resource()?;
        let source = ManagedIdentitySource::from_env(self.env)?;
        let local = HttpClient::new(HttpOptions {
            env: EnvVars::default(),
            timer: http.shared_timer(),
            connect_timeout: match source {
                ManagedIdentitySource::Imds { .. } => self.imds_connect_timeout,
                _ => Duration::from_secs(10),
            },
            timeout: Duration::from_secs(30),
            retry: RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            user_agent_suffix: None,
            ..HttpOptions::default()
        })?;
        let response = match &source {
            ManagedIdentitySource::AppService { endpoint, header } => {
                let url = with_query(
                    endpoint,
                    APP_SERVICE_API_VERSION,
                    &resource,
                    self.id_param("mi_res_id"),
                );
                let response = self
                    .retrying(
                        &local,
                        false,
                        Get(&url),
                        &[("X-IDENTITY-HEADER", header.secret())],
                    )
                    .await?;
                if response.status == 401 || response.status == 403 {
                    return Err(Error::IdentitySource {
                        variable: "IDENTITY_HEADER".into(),
                        message: format!(
                            "the managed identity endpoint refused the identity header (HTTP {} from {})",
                            response.status,
                            strip_query(&url)
                        ),
                    });
                }
                response
            }
            ManagedIdentitySource::AzureArc { endpoint } => {
                self.system_assigned_only("Azure Arc")?;
                let url = with_query(endpoint, ARC_API_VERSION, &resource, None);
                let challenge = self
                    .retrying(&local, false, Get(&url), &[("Metadata", "true")])
                    .await?;
                if challenge.status != 401 {
                    return Err(unexpected(&url, &challenge));
                }
                let key = self.arc_key(&challenge)?;
                let authorization = zeroize::Zeroizing::new(format!("Basic {}", key.secret()));
                self.retrying(
                    &local,
                    false,
                    Get(&url),
                    &[("Metadata", "true"), ("Authorization", authorization.as_str())],
                )
                .await?
            }
            ManagedIdentitySource::CloudShell { endpoint } => {
                self.system_assigned_only("Cloud Shell")?;
                self.retrying(
                    &local,
                    false,
                    Post(endpoint, &[("resource", &resource)]),
                    &[("Metadata", "true")],
                )
                .await?
            }
            ManagedIdentitySource::Imds { endpoint } => {
                let url = with_query(endpoint, IMDS_API_VERSION, &resource, self.id_param("msi_res_id"));
                self.retrying(&local, true, Get(&url), &[("Metadata", "true")])
                    .await
                    .map_err(|error| match error {
                        Error::Transport { url, reason, .. } => Error::ManagedIdentityUnavailable(format!(
                            "IMDS at {url} did not answer ({reason}); on App Service, Arc or Cloud Shell \
                             the host sets IDENTITY_ENDPOINT or MSI_ENDPOINT"
                        )),
                        other => other,
                    })?
            }
        };
        self.read_answer(&source, response, &resource, http)
    }

    /// The user-assigned id's query parameter: `client_id`, `object_id`, or the source's spelling of the
    /// resource id parameter.
    fn id_param(&self, resource_id_name: &'static str) -> Option<(&'static str, String)> {
        match &self.id {
            ManagedIdentityId::SystemAssigned => None,
            ManagedIdentityId::ClientId(id) => Some(("client_id", id.to_string())),
            ManagedIdentityId::ObjectId(id) => Some(("object_id", id.clone())),
            ManagedIdentityId::ResourceId(id) => Some((resource_id_name, id.clone())),
        }
    }

    fn system_assigned_only(&self, source: &str) -> Result<()> {
        if self.id.is_system_assigned() {
            Ok(())
        } else {
            Err(Error::invalid(
                "managed identity",
                format!(
                    "{source} offers only the system-assigned identity: leave out the client, object or resource id"
                ),
            ))
        }
    }

    /// Sends with the sources' retry rules: 429 and 5xx everywhere; on IMDS also 404 and 408 (1, 2, 4
    /// seconds) and 410 (every 10 seconds for 70 seconds).
    async fn retrying(
        &self,
        http: &HttpClient,
        imds: bool,
        request: Request<'_>,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let mut retries = 0;
        let mut gone_waited = Duration::ZERO;
        loop {
            let response = match request {
                Get(url) => http.get(url, headers).await?,
                Post(url, form) => http.post_with_headers(url, headers, form).await?,
            };
            let status = response.status;
            let delay = if imds && status == 410 && gone_waited < GONE_RETRY_FOR {
                gone_waited += GONE_RETRY_DELAY;
                Some(GONE_RETRY_DELAY)
            } else if (status == 429 || status >= 500 || (imds && (status == 404 || status == 408)))
                && retries < MAX_RETRIES
            {
                retries += 1;
                Some(Duration::from_secs(1 << (retries - 1)))
            } else {
                None
            };
            match delay {
                Some(delay) => {
                    tracing::debug!(target: "msconnect::http", "managed identity: HTTP {status}, asking again in {delay:?}");
                    http.timer().sleep(delay).await;
                }
                None => return Ok(response),
            }
        }
    }

    /// The key file an Azure Arc challenge names, read only when it is a small `.key` file directly in
    /// the agent's folder: the challenge comes over HTTP, and must not make us send any other file.
    fn arc_key(&self, challenge: &HttpResponse) -> Result<IdentityHeader> {
        let refused = |reason: &str| Error::IdentitySource {
            variable: "IDENTITY_ENDPOINT".into(),
            message: format!("Azure Arc's challenge {reason}"),
        };
        let header = challenge
            .headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| refused("has no WWW-Authenticate header"))?;
        let path = header
            .trim()
            .strip_prefix("Basic realm=")
            .map(|path| Path::new(path.trim_matches('"')))
            .ok_or_else(|| refused("is not `Basic realm=<file>`"))?;
        if path.parent() != Some(self.arc_key_directory.as_path())
            || path.extension().and_then(|e| e.to_str()) != Some("key")
        {
            return Err(refused(&format!(
                "names a file outside {} or not ending in .key: {}",
                self.arc_key_directory.display(),
                printable(&path.display().to_string())
            )));
        }
        let io = |source| Error::Io {
            action: "reading Azure Arc's challenge file",
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::symlink_metadata(path).map_err(io)?;
        if !metadata.is_file() || metadata.len() > ARC_KEY_MAX_BYTES {
            return Err(Error::InvalidFile {
                path: path.to_owned(),
                reason: format!(
                    "Azure Arc's challenge file must be a regular file of at most {ARC_KEY_MAX_BYTES} bytes"
                ),
            });
        }
        // the look above cannot stop a FIFO swapped in after it: the read itself refuses one, and is bounded
        let key = crate::read_file::read_existing(
            path,
            ARC_KEY_MAX_BYTES as usize,
            "reading Azure Arc's challenge file",
            "Azure Arc's challenge file",
        )?;
        let key = std::str::from_utf8(&key).map_err(|_| Error::InvalidFile {
            path: path.to_owned(),
            reason: "Azure Arc's challenge file is not text".into(),
        })?;
        Ok(IdentityHeader::new(key.trim()))
    }

    fn read_answer(
        &self,
        source: &ManagedIdentitySource,
        response: HttpResponse,
        resource: &str,
        http: &HttpClient,
    ) -> Result<TokenResult> {
        let url = match source {
            ManagedIdentitySource::AppService { endpoint, .. }
            | ManagedIdentitySource::AzureArc { endpoint }
            | ManagedIdentitySource::CloudShell { endpoint }
            | ManagedIdentitySource::Imds { endpoint } => endpoint,
        };
        if !(200..300).contains(&response.status) {
            return Err(unexpected(url, &response));
        }
        let json: Value = serde_json::from_str(&response.body).map_err(|_| unexpected(url, &response))?;
        let access_token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| Error::InvalidToken {
                what: "managed identity answer",
                reason: "it has no access_token".into(),
            })?;
        let now = epoch_seconds(http.timer().now());
        let expires_on = expires_on(&json)
            .or_else(|| number(&json, "expires_in").map(|seconds| now.saturating_add(seconds)))
            .ok_or_else(|| Error::InvalidToken {
                what: "managed identity answer",
                reason: "its expires_on is neither epoch seconds nor a date".into(),
            })?;
        // the token's own claims say which application and tenant it is for
        let claims = decode_jwt_payload(access_token, "access token").ok();
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let client_id = json
            .get("client_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| claim("appid"))
            .or_else(|| claim("azp"))
            .and_then(|id| ClientId::parse(&id).ok())
            .or_else(|| match &self.id {
                ManagedIdentityId::ClientId(id) => Some(id.clone()),
                _ => None,
            })
            .ok_or_else(|| Error::InvalidToken {
                what: "managed identity answer",
                reason: "neither it nor its token names the identity's client id".into(),
            })?;
        let scope = format!("{resource}/.default");
        Ok(TokenResult {
            access_token: AccessToken::new(access_token),
            token_type: json
                .get("token_type")
                .and_then(Value::as_str)
                .unwrap_or("Bearer")
                .to_owned(),
            expires_on,
            ext_expires_on: None,
            refresh_on: None,
            refresh_token: None,
            id_token: None,
            id_token_claims: None,
            client_info: None,
            account: None,
            scopes: vec![scope],
            granted_scope: None,
            tenant_id: claim("tid").unwrap_or_default(),
            client_id,
            environment: self.environment.to_ascii_lowercase(),
            family_id: None,
        })
    }
}

/// `expires_on` as epoch seconds (a number or a string of digits) or as a date (App Service's
/// `11/30/2026 7:00:00 PM +00:00`, or RFC 3339).
pub(crate) fn expires_on(json: &Value) -> Option<i64> {
    if let Some(seconds) = number(json, "expires_on") {
        return Some(seconds);
    }
    let text = json.get("expires_on")?.as_str()?.trim();
    parse_us_date(text).or_else(|| parse_rfc3339(text))
}

/// `M/D/YYYY h:mm:ss AM|PM +HH:MM`.
fn parse_us_date(text: &str) -> Option<i64> {
    let mut words = text.split_whitespace();
    let (date, time, meridiem, offset) = (words.next()?, words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let mut date = date.split('/').map(|part| part.parse::<i64>().ok());
    let (month, day, year) = (date.next()??, date.next()??, date.next()??);
    let mut time = time.split(':').map(|part| part.parse::<i64>().ok());
    let (mut hour, minute, second) = (time.next()??, time.next()??, time.next()??);
    if !(1..=12).contains(&hour) {
        return None;
    }
    match meridiem.to_ascii_uppercase().as_str() {
        "AM" if hour == 12 => hour = 0,
        "AM" => {}
        "PM" if hour == 12 => {}
        "PM" => hour += 12,
        _ => return None,
    }
    Some(epoch_of(year, month, day, hour, minute, second)? - parse_offset(offset)?)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut date = date.split('-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let split = rest.find(['Z', 'z', '+', '-'])?;
    let (time, offset) = rest.split_at(split);
    let time = time.split('.').next()?;
    let mut time = time.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (time.next()??, time.next()??, time.next()??);
    let offset = if offset.eq_ignore_ascii_case("z") {
        0
    } else {
        parse_offset(offset)?
    };
    Some(epoch_of(year, month, day, hour, minute, second)? - offset)
}

/// `+HH:MM` or `-HH:MM` as seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    // two digits each: `parse` alone takes a sign and any length, and `+-9223372036854775808:00` overflowed
    let two_digits = |text: &str| text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    let (hours, minutes) = (hours.parse::<i64>().ok()?, minutes.parse::<i64>().ok()?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Epoch seconds of a UTC civil time (Howard Hinnant's days_from_civil), `None` when out of range.
fn epoch_of(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..=60).contains(&second)
    {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Text from a server, with control characters replaced so it cannot rewrite the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn with_query(endpoint: &Url, api_version: &str, resource: &str, id: Option<(&str, String)>) -> Url {
    let mut url = endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("api-version", api_version);
        query.append_pair("resource", resource);
        if let Some((name, value)) = id {
            query.append_pair(name, &value);
        }
    }
    url
}

fn endpoint_url(variable: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim()).map_err(|_| Error::invalid(variable, "not a URL"))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(Error::invalid(variable, "not an http URL"))
    }
}

fn unexpected(url: &Url, response: &HttpResponse) -> Error {
    Error::UnexpectedResponse {
        status: response.status,
        url: strip_query(url),
        excerpt: excerpt(&response.body),
    }
}

#[cfg(test)]
mod tests;
