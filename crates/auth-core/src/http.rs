//! The one HTTP client: rustls on ring (given explicitly: no process-wide provider is installed) with the
//! platform's roots plus `SSL_CERT_FILE` and the caller's extra roots, the proxy variables,
//! timeouts, no redirects, Microsoft's client headers, and bounded retries on 429, 5xx and dropped
//! connections that honour `Retry-After`. Retries sleep through the injectable [`Timer`].
//!
//! What carries a request is an [`HttpTransport`]: reqwest ([`ReqwestTransport`]) unless another is given
//! to [`HttpClient::with_transport`], as oauth2-rs's `AsyncHttpClient` and azure_identity's
//! `ClientOptions::transport` allow. A closure is a transport, so a test can answer requests, and record
//! what went over the wire, without a socket.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use url::Url;

use crate::env::EnvVars;
use crate::error::{Error, Result, ServerError};
use crate::secret::{redact_form, redact_json, redact_text};
use crate::time::{SharedTimer, SystemTimer, Timer, epoch_seconds};

mod dns;

/// The version sent in `x-client-ver` and `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The SKU sent in `x-client-sku`.
pub const CLIENT_SKU: &str = "msconnect.rust";

/// How many times, and how patiently, failed requests are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest wait, whatever `Retry-After` asks for.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// Options of [`HttpClient::new`].
#[derive(Clone)]
pub struct HttpOptions {
    /// Where `SSL_CERT_FILE`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read from.
    pub env: EnvVars,
    /// The clock and sleep used between retries and while polling.
    pub timer: SharedTimer,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Extra product name for `User-Agent` (`msconnect/0.1.0 <this>`).
    pub user_agent_suffix: Option<String>,
    /// Root certificates trusted besides the platform's and `SSL_CERT_FILE`'s: a private CA, a
    /// TLS-inspecting proxy's.
    pub root_certificates: Vec<RootCertificate>,
    /// What carries the requests in place of reqwest (another HTTP stack, a test's closure): the
    /// retries, timer and `User-Agent` above still apply; TLS and proxies are then its business.
    pub transport: Option<Arc<dyn HttpTransport>>,
}

/// A root certificate to trust ([`HttpOptions::root_certificates`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootCertificate(rustls_pki_types::CertificateDer<'static>);

impl RootCertificate {
    /// A certificate in DER (checked when the client is built).
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        Self(rustls_pki_types::CertificateDer::from(der.into()))
    }

    /// Every certificate of a PEM bundle; an error when it holds none or cannot be read. `origin` names
    /// the bundle in messages (a file's path).
    pub fn from_pem(pem: &[u8], origin: &str) -> Result<Vec<Self>> {
        use rustls_pki_types::pem::PemObject as _;
        let invalid = |reason: String| Error::InvalidFile {
            path: origin.into(),
            reason,
        };
        let certificates = rustls_pki_types::CertificateDer::pem_slice_iter(pem)
            .map(|certificate| certificate.map(Self))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("holds no usable PEM certificates: {e}")))?;
        if certificates.is_empty() {
            return Err(invalid("holds no PEM certificates".into()));
        }
        Ok(certificates)
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            env: EnvVars::from_process(),
            timer: Arc::new(SystemTimer),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            root_certificates: Vec::new(),
            transport: None,
        }
    }
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_certificates.len())
            .field("transport", &self.transport.as_ref().map(|_| "injected"))
            .finish_non_exhaustive()
    }
}

/// An HTTP response, read whole.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

/// The method of an [`HttpRequest`]: msconnect only reads and posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// A request as a transport sends it: every header msconnect sets (`User-Agent` and the `x-client-*` ones
/// included; a transport adds only its own, such as `Host` and `Content-Length`), and the body,
/// form-encoded.
#[derive(Clone)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The URL, query included.
    pub url: Url,
    /// The headers, in the order they were added (msconnect's client headers last).
    pub headers: Vec<(String, String)>,
    /// The body; `None` sends none.
    pub body: Option<Vec<u8>>,
    /// A time limit for this request in place of the client's.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    /// The first value of a header, whatever the case of its name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body read as a form (empty when there is none).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_deref().unwrap_or_default())
            .into_owned()
            .collect()
    }
}

/// Header values and the body may be credentials: only the URL without its query, the header names and
/// the body's size are shown.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &strip_query(&self.url))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

/// Why a transport gave no response.
#[derive(Debug)]
pub enum TransportError {
    /// The body passed [`MAX_BODY_BYTES`]; nothing past the limit was read.
    TooLarge {
        /// The response's status.
        status: u16,
    },
    /// The request failed.
    Failed {
        /// Whether another try may succeed: a refused or dropped connection, not a timeout of the whole
        /// request, a malformed request or a TLS handshake the server failed.
        transient: bool,
        /// What went wrong, for messages.
        reason: String,
        /// reqwest's error, from [`ReqwestTransport`].
        source: Option<reqwest::Error>,
    },
}

impl TransportError {
    /// A failure of an injected transport.
    pub fn failed(reason: impl Into<String>, transient: bool) -> Self {
        Self::Failed {
            transient,
            reason: reason.into(),
            source: None,
        }
    }

    fn from_reqwest(error: reqwest::Error) -> Self {
        Self::Failed {
            transient: is_transient(&error),
            reason: transport_reason(&error),
            source: Some(error),
        }
    }
}

/// The future of [`HttpTransport::send`].
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'a>>;

/// What carries a request and brings back its response, read whole. [`HttpClient`] adds the client
/// headers, retries, caps and traces around it. Any `Fn(HttpRequest) -> impl Future<Output =
/// Result<HttpResponse, TransportError>>` is one.
pub trait HttpTransport: Send + Sync {
    /// Sends `request` once.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}

impl<F, Fut> HttpTransport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = std::result::Result<HttpResponse, TransportError>> + Send + 'static,
{
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self(request))
    }
}

/// The default transport: reqwest with rustls, set up by [`HttpClient::new`] from [`HttpOptions`].
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move {
            let method = match request.method {
                HttpMethod::Get => reqwest::Method::GET,
                HttpMethod::Post => reqwest::Method::POST,
            };
            let mut builder = self.client.request(method, request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            if let Some(timeout) = request.timeout {
                builder = builder.timeout(timeout);
            }
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let response = builder.send().await.map_err(TransportError::from_reqwest)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match read_capped(response, MAX_BODY_BYTES).await {
                Ok(Some(body)) => Ok(HttpResponse {
                    status,
                    headers,
                    body,
                }),
                Ok(None) => Err(TransportError::TooLarge { status }),
                Err(e) => Err(TransportError::from_reqwest(e)),
            }
        })
    }
}

/// The shared HTTP client: cheap to clone, built once per process.
#[derive(Clone)]
pub struct HttpClient {
    transport: Arc<dyn HttpTransport>,
    user_agent: String,
    retry: RetryPolicy,
    timer: SharedTimer,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds the client: [`HttpOptions::transport`] when given, else reqwest on rustls. Fails when
    /// `SSL_CERT_FILE`, a root certificate or a proxy variable is unusable.
    pub fn new(options: HttpOptions) -> Result<Self> {
        if let Some(transport) = options.transport.clone() {
            return Ok(Self {
                transport,
                user_agent: user_agent_of(&options),
                retry: options.retry,
                timer: options.timer,
            });
        }
        let user_agent = user_agent_of(&options);
        let mut roots = options.root_certificates.clone();
        if let Some(path) = options.env.get("SSL_CERT_FILE") {
            // a bundle of roots: a few hundred KiB for a whole system's
            let pem = crate::read_file::read_existing(
                Path::new(path),
                16 * 1024 * 1024,
                "reading SSL_CERT_FILE",
                "a bundle of root certificates",
            )?;
            roots.extend(
                RootCertificate::from_pem(&pem, path).map_err(|error| match error {
                    Error::InvalidFile { path, reason } => Error::InvalidFile {
                        path,
                        reason: format!("SSL_CERT_FILE {reason}"),
                    },
                    other => other,
                })?,
            );
        }
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(roots)?)
            .user_agent(&user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .retry(reqwest::retry::never())
            // a lookup the request gave up on must not hold the process at exit
            .dns_resolver(dns::DetachedResolver)
            .no_proxy();
        let no_proxy = options
            .env
            .get_any(&["NO_PROXY", "no_proxy"])
            .and_then(reqwest::NoProxy::from_string);
        for (variable, scheme) in [
            (["HTTPS_PROXY", "https_proxy"], "https"),
            (["HTTP_PROXY", "http_proxy"], "http"),
        ] {
            if let Some(proxy_url) = options.env.get_any(&variable) {
                let proxy = if scheme == "https" {
                    reqwest::Proxy::https(proxy_url)
                } else {
                    reqwest::Proxy::http(proxy_url)
                };
                let proxy = proxy.map_err(|e| {
                    Error::invalid(
                        variable[0],
                        format!("'{}' is not a proxy URL: {e}", redact_url(proxy_url)),
                    )
                })?;
                builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
            }
        }
        let client = builder.build().map_err(|e| Error::Transport {
            url: String::new(),
            reason: format!("could not set up the HTTP client: {e}"),
            source: Some(e),
        })?;
        Ok(Self {
            transport: Arc::new(ReqwestTransport { client }),
            user_agent,
            retry: options.retry,
            timer: options.timer,
        })
    }

    /// A client whose requests go through `transport` instead of reqwest: the retries, timer and
    /// `User-Agent` of `options` apply; its TLS and proxy settings are the transport's business.
    pub fn with_transport(options: HttpOptions, transport: impl HttpTransport + 'static) -> Self {
        Self {
            transport: Arc::new(transport),
            user_agent: user_agent_of(&options),
            retry: options.retry,
            timer: options.timer,
        }
    }

    /// The clock and sleep this client waits with.
    pub fn timer(&self) -> &dyn Timer {
        self.timer.as_ref()
    }

    /// The shared timer.
    pub fn shared_timer(&self) -> SharedTimer {
        self.timer.clone()
    }

    /// POSTs a form, with retries.
    pub async fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> Result<HttpResponse> {
        tracing::debug!(target: "msconnect::http", "POST {} {}", strip_query(url), redact_form(form));
        let request = with_form(request(HttpMethod::Post, url, &[]), form);
        self.send_with_retries(request, self.retry.max_retries).await
    }

    /// GETs a URL with extra headers, with retries.
    pub async fn get(&self, url: &Url, headers: &[(&str, &str)]) -> Result<HttpResponse> {
        tracing::debug!(target: "msconnect::http", "GET {}", strip_query(url));
        self.send_with_retries(request(HttpMethod::Get, url, headers), self.retry.max_retries)
            .await
    }

    /// GETs a URL once: no retry, and `timeout` for the whole request (DNS, connect, answer). For calls
    /// whose failure only costs a warning, such as an API read after signing in, which must not hold up
    /// the sign-in when its host cannot be resolved or reached.
    pub async fn get_once(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<HttpResponse> {
        tracing::debug!(target: "msconnect::http", "GET {} (once, {timeout:?})", strip_query(url));
        let request = HttpRequest {
            timeout: Some(timeout),
            ..request(HttpMethod::Get, url, headers)
        };
        self.send_with_retries(request, 0).await
    }

    /// POSTs with extra headers and a form (no body when `form` is empty), with retries. The header
    /// values are never traced: they may be credentials.
    pub async fn post_with_headers(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        tracing::debug!(target: "msconnect::http", "POST {} {}", strip_query(url), redact_form(form));
        let mut request = request(HttpMethod::Post, url, headers);
        if !form.is_empty() {
            request = with_form(request, form);
        }
        self.send_with_retries(request, self.retry.max_retries).await
    }

    /// POSTs to an OAuth endpoint and returns the JSON of a 2xx answer; an OAuth error becomes
    /// [`Error::Server`], anything else [`Error::UnexpectedResponse`].
    pub async fn post_oauth(&self, url: &Url, form: &[(&str, &str)]) -> Result<serde_json::Value> {
        let response = self.post_form(url, form).await?;
        parse_oauth_response(url, response)
    }

    async fn send_with_retries(&self, request: HttpRequest, max_retries: u32) -> Result<HttpResponse> {
        let url = &request.url.clone();
        let mut attempt = 0;
        loop {
            let mut sent = request.clone();
            sent.headers.extend(
                [
                    ("user-agent", self.user_agent.clone()),
                    ("x-client-sku", CLIENT_SKU.to_owned()),
                    ("x-client-ver", VERSION.to_owned()),
                    ("x-client-os", std::env::consts::OS.to_owned()),
                    ("client-request-id", uuid::Uuid::new_v4().to_string()),
                    ("return-client-request-id", "true".to_owned()),
                ]
                .map(|(name, value)| (name.to_owned(), value)),
            );
            let outcome = match self.transport.send(sent).await {
                // an injected transport may not cap what it reads; the limit holds all the same
                Ok(response) if response.body.len() > MAX_BODY_BYTES => {
                    return Err(too_large(url, response.status));
                }
                Err(TransportError::TooLarge { status }) => return Err(too_large(url, status)),
                outcome => outcome,
            };
            let wait = match &outcome {
                Ok(response) if response.status == 429 || response.status >= 500 => {
                    Some(retry_after(&response.headers, self.timer.as_ref()))
                }
                Ok(_) => None,
                Err(TransportError::Failed { transient: true, .. }) => Some(None),
                Err(_) => None,
            };
            match wait {
                Some(after) if attempt < max_retries => {
                    let backoff = self.retry.base_delay.saturating_mul(1 << attempt.min(16));
                    let delay = after.unwrap_or(backoff).min(self.retry.max_delay);
                    tracing::debug!(target: "msconnect::http", "retrying {} in {delay:?} ({})", strip_query(url), describe(&outcome));
                    attempt += 1;
                    self.timer.sleep(delay).await;
                }
                _ => {
                    return match outcome {
                        Ok(response) => {
                            // a few KiB of it: a hostile server's 1 MiB body once filled the terminal under `-v`
                            tracing::debug!(target: "msconnect::http", "{} {}: {}", response.status, strip_query(url), cap_text(&redact_json(&response.body), MAX_SERVER_TEXT));
                            Ok(response)
                        }
                        Err(TransportError::Failed { reason, source, .. }) => Err(Error::Transport {
                            url: strip_query(url),
                            reason,
                            source,
                        }),
                        Err(TransportError::TooLarge { status }) => Err(too_large(url, status)),
                    };
                }
            }
        }
    }
}

/// The TLS configuration: rustls on ring, named here rather than installed as the process's default
/// (a program that uses another provider elsewhere keeps it), the platform's verifier with `extra`
/// roots trusted besides, HTTP/2 and HTTP/1.1 offered.
fn tls_config(extra: Vec<RootCertificate>) -> Result<rustls::ClientConfig> {
    let failed = |reason: String| Error::Transport {
        url: String::new(),
        reason: format!("could not set up TLS: {reason}"),
        source: None,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra.into_iter().map(|root| root.0),
            provider.clone(),
        )
    }
    .map_err(|e| failed(format!("the trusted root certificates cannot be used: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// `msconnect/<version>`, and the caller's product when it names one.
fn user_agent_of(options: &HttpOptions) -> String {
    match &options.user_agent_suffix {
        Some(suffix) => format!("msconnect/{VERSION} {suffix}"),
        None => format!("msconnect/{VERSION}"),
    }
}

/// A request with no body yet.
fn request(method: HttpMethod, url: &Url, headers: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method,
        url: url.clone(),
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        body: None,
        timeout: None,
    }
}

/// `request` carrying `form`, form-encoded, as reqwest's `RequestBuilder::form` sends it.
fn with_form(mut request: HttpRequest, form: &[(&str, &str)]) -> HttpRequest {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    request
        .headers
        .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
    request.body = Some(body.into_bytes());
    request
}

/// The most read of any response: OAuth answers, discovery documents and Partner Center's are a few KiB;
/// a hostile or broken server's 2 GB body once took 4 GB of memory and minutes to refuse.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

// what a server says is cut with the rest of the text from outside (`printable`), which errors use too
pub use crate::printable::{MAX_SERVER_TEXT, cap_text};

/// Reads a body chunk by chunk, stopping as soon as it passes `limit` bytes (`None`): nothing past the
/// limit is buffered. The client's timeout covers this read, as it covers the whole request.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> std::result::Result<Option<String>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }))
}

fn too_large(url: &Url, status: u16) -> Error {
    Error::UnexpectedResponse {
        status,
        url: strip_query(url),
        excerpt: format!(
            "the body is larger than {} KiB, more than any answer of this kind, so it was not read",
            MAX_BODY_BYTES / 1024
        ),
    }
}

fn describe(outcome: &std::result::Result<HttpResponse, TransportError>) -> String {
    match outcome {
        Ok(response) => format!("HTTP {}", response.status),
        Err(TransportError::Failed { reason, .. }) => reason.clone(),
        Err(TransportError::TooLarge { status }) => format!("HTTP {status}, too large"),
    }
}

/// Connection failures and dropped connections are worth another try; a timeout of the whole request,
/// a malformed URL or a TLS handshake the server failed (an untrusted certificate, above all: asking
/// again gets the same certificate) is not.
fn is_transient(error: &reqwest::Error) -> bool {
    (error.is_connect() || (error.is_request() && !error.is_timeout()) || error.is_body())
        && !is_tls_failure(error)
}

/// Whether rustls refused the connection somewhere in `error`'s causes. rustls' error reaches reqwest
/// wrapped in an `io::Error`, whose `source()` skips the wrapped error, so each `io::Error` is opened.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    use std::error::Error as _;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(current) = cause {
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if current.is::<rustls::Error>() || inner.is_some_and(|inner| inner.is::<rustls::Error>()) {
            return true;
        }
        cause = inner.or_else(|| current.source());
    }
    false
}

fn transport_reason(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut reason = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// `Retry-After` as seconds or as an HTTP date; `None` when absent or unreadable.
fn retry_after(headers: &HeaderMap, timer: &dyn Timer) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v: &HeaderValue| v.to_str().ok())?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let seconds = epoch_seconds(date) - epoch_seconds(timer.now());
    Some(Duration::from_secs(seconds.max(0) as u64))
}

/// A URL for messages: no query string (it may hold a code) and no user information.
pub(crate) fn strip_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

fn redact_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => strip_query(&url),
        Err(_) => "<not a URL>".into(),
    }
}

/// Reads an OAuth endpoint's answer.
pub(crate) fn parse_oauth_response(url: &Url, response: HttpResponse) -> Result<serde_json::Value> {
    if (200..300).contains(&response.status)
        && let Ok(value @ serde_json::Value::Object(_)) = serde_json::from_str(&response.body)
    {
        return Ok(value);
    }
    if let Some(error) = ServerError::parse(response.status, &response.body) {
        return Err(error.into());
    }
    Err(Error::UnexpectedResponse {
        status: response.status,
        url: strip_query(url),
        excerpt: excerpt(&response.body),
    })
}

/// A short excerpt of a body for an error message: markup removed, whitespace folded, and secrets
/// replaced whether or not the body parses: by member name and by shape ([`redact_text`]), so a token
/// answer that is not strict JSON (`"expires_in": NaN`) does not print its tokens.
pub(crate) fn excerpt(body: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(body).is_ok() {
        return shorten(&redact_json(body));
    }
    // only the start is shown: scanning more is work for nothing (the body is already capped)
    let body = &*cap_text(body, 16 * MAX_SERVER_TEXT);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        "(empty body)".into()
    } else {
        shorten(&redact_text(&words.join(" ")))
    }
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 200;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    }
}

#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
pub(crate) mod hostile;
#[cfg(test)]
mod tests;
