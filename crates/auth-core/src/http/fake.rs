//! A transport for unit tests that need canned answers and no socket: it answers from a list, in order,
//! and records every request as it went over the wire, client headers and form body included.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{HttpClient, HttpMethod, HttpRequest, HttpResponse, TransportError};
use crate::authority::Authority;
use crate::env::EnvVars;
use crate::ids::Tenant;
use crate::testing::FakeTimer;
use crate::testing::http_options;

/// The base URL of authorities in these tests: never resolved, since nothing leaves the process.
pub(crate) const BASE: &str = "https://login.test";

/// An authority at [`BASE`] for `tenant`.
pub(crate) fn fake_authority(tenant: &str) -> Authority {
    let base = url::Url::parse(BASE).unwrap();
    Authority::new(&base, &Tenant::parse(tenant).unwrap()).unwrap()
}

/// Canned answers and the requests that took them.
#[derive(Clone, Default)]
pub(crate) struct FakeServer {
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl FakeServer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Queues an answer; a request with none left fails as a refused connection would not (no retry).
    pub(crate) fn answer(&self, status: u16, body: impl ToString) -> &Self {
        self.answers.lock().unwrap().push_back((status, body.to_string()));
        self
    }

    /// An HTTP client on the fake clock of `testing::http_options`, sending here.
    pub(crate) fn client(&self) -> (HttpClient, FakeTimer) {
        let (options, timer) = http_options(EnvVars::default());
        let server = self.clone();
        let client = HttpClient::with_transport(options, move |request: HttpRequest| {
            server.requests.lock().unwrap().push(request);
            let answer = server.answers.lock().unwrap().pop_front();
            async move {
                match answer {
                    Some((status, body)) => Ok(HttpResponse {
                        status,
                        headers: Default::default(),
                        body,
                    }),
                    None => Err(TransportError::failed("no canned answer left", false)),
                }
            }
        });
        (client, timer)
    }

    /// The one request sent, failing the test when there were none or more.
    pub(crate) fn only_request(&self) -> HttpRequest {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "one request: {requests:?}");
        requests.into_iter().next().unwrap()
    }

    /// What was sent, in order.
    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Asserts that `request` POSTed to `path` a form holding every pair of `pairs` (it may hold more), as
/// mockito's `Matcher::UrlEncoded` did.
pub(crate) fn assert_posted_form(request: &HttpRequest, path: &str, pairs: &[(&str, &str)]) {
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(request.url.path(), path);
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = request.form();
    for (name, value) in pairs {
        assert!(
            form.iter().any(|(n, v)| n == name && v == value),
            "{name}={value} not in the form sent: {:?}",
            form.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
    }
}
