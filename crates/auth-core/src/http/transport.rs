//! What carries a request: the [`HttpTransport`] seam, its request and response, and the default
//! [`ReqwestTransport`]: reqwest on rustls with ring (named in its own configuration, never installed
//! process-wide), the platform's roots plus `SSL_CERT_FILE`'s and the caller's, the proxy variables,
//! timeouts, no redirects, and bodies read up to [`MAX_BODY_BYTES`].

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use url::Url;

use super::HttpOptions;
use crate::error::{Error, Result};

mod dns;

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

/// What carries a request and brings back its response, read whole. [`HttpClient`](super::HttpClient) adds the client
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

/// The default transport: reqwest with rustls, set up by [`HttpClient::new`](super::HttpClient::new) from [`HttpOptions`].
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

impl ReqwestTransport {
    /// reqwest on rustls, set up from `options` (roots, `SSL_CERT_FILE`, proxies, timeouts), sending
    /// `user_agent` by default. Fails when `SSL_CERT_FILE`, a root certificate or a proxy variable is
    /// unusable.
    pub(super) fn new(options: &HttpOptions, user_agent: &str) -> Result<Self> {
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
            .user_agent(user_agent)
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
        Ok(Self { client })
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

/// The most read of any response: OAuth answers, discovery documents and Partner Center's are a few KiB;
/// a hostile or broken server's 2 GB body once took 4 GB of memory and minutes to refuse.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
