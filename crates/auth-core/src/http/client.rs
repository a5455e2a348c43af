//! The client around a transport: Microsoft's client headers (`x-client-*`, `User-Agent`, a fresh
//! request id), bounded retries on 429, 5xx and dropped connections that honour `Retry-After` and sleep
//! through the injectable [`Timer`], the cap on a body's size, the traces, and the reading of OAuth
//! answers.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use url::Url;

use super::HttpOptions;
use super::transport::{
    HttpMethod, HttpRequest, HttpResponse, HttpTransport, MAX_BODY_BYTES, ReqwestTransport, TransportError,
    strip_query,
};
use crate::error::{Error, Result, ServerError};
use crate::printable::{MAX_SERVER_TEXT, cap_text};
use crate::secret::{redact_form, redact_json, redact_text};
use crate::time::{SharedTimer, Timer, epoch_seconds};

/// The version sent in `x-client-ver` and `User-Agent`.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The SKU sent in `x-client-sku`.
pub(crate) const CLIENT_SKU: &str = "msconnect.rust";

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
        let transport = ReqwestTransport::new(&options, &user_agent)?;
        Ok(Self {
            transport: Arc::new(transport),
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
