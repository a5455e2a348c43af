//! The one HTTP client, in two parts. `transport` carries a request: the
//! [`HttpTransport`] seam and its default, [`ReqwestTransport`]: rustls on ring (given explicitly: no
//! process-wide provider is installed) with the platform's roots plus `SSL_CERT_FILE` and the caller's
//! extra roots, the proxy variables, timeouts, no redirects. `client` is [`HttpClient`]
//! around it: Microsoft's client headers, the cap on a body, and bounded retries on 429, 5xx and dropped
//! connections that honour `Retry-After`. Retries sleep through the injectable [`Timer`](crate::time::Timer).
//!
//! What carries a request is reqwest unless another transport is given to
//! [`HttpClient::with_transport`] (or [`HttpOptions::transport`]), as oauth2-rs's `AsyncHttpClient` and
//! azure_identity's `ClientOptions::transport` allow. A closure is a transport, so a test can answer
//! requests, and record what went over the wire, without a socket.

use std::sync::Arc;
use std::time::Duration;

use crate::env::EnvVars;
use crate::time::{SharedTimer, SystemTimer};

mod client;
mod transport;

pub(crate) use client::excerpt;
pub use client::{HttpClient, RetryPolicy};
pub(crate) use transport::strip_query;
pub use transport::{
    HttpMethod, HttpRequest, HttpResponse, HttpTransport, MAX_BODY_BYTES, ReqwestTransport, RootCertificate,
    TransportError, TransportFuture,
};

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

// what a server says is cut with the rest of the text from outside (`printable`), which errors use too
pub(crate) use crate::printable::{MAX_SERVER_TEXT, cap_text};

#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
pub(crate) mod hostile;
#[cfg(test)]
mod tests;
