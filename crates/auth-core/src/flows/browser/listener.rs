//! The loopback listener of a browser sign-in: bound once on 127.0.0.1 and on `[::1]` at the same port
//! and kept (no probe-then-rebind race, and no other user can take the address family we left free), a
//! few lines of HTTP/1.1, stray requests ignored, each connection given a few seconds to send its
//! request, and a timeout measured on the injectable [`Timer`].
//!
//! It serves two addresses. The start address (`/start/<random>`), the only one the browser is given,
//! answers once with a redirect to the authorize URL and a cookie; the redirect URI (`/`) receives the
//! answer, which must bring the cookie back. A second visit to the start address, or this sign-in's
//! answer without the cookie, ends the sign-in: someone other than the browser got there.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinSet};

use crate::authority::ResponseIssuer;
use crate::error::{Error, Result, ServerError};
use crate::flows::device_code::minutes_and_seconds;
use crate::interaction::Interaction;
use crate::secret::AuthorizationCode;
use crate::time::Timer;

use super::PortPolicy;

/// How often the progress indicator ticks while the browser is out.
pub(crate) const TICK: Duration = Duration::from_secs(1);

/// The longest request head read; a browser's redirect is far shorter.
const MAX_HEAD: usize = 16 * 1024;

/// Connections read at once. Browsers open a few speculative ones that never send anything, so each is
/// read on its own task; past this many, the oldest is closed to make room, so idle connections (a
/// browser's, or another local user's 40 on purpose) cannot keep the real redirect out.
const MAX_CONNECTIONS: usize = 32;

/// How long a connection may take to send its request head. Real time, not the injectable timer: it
/// bounds what a peer can hold, and a browser sends its redirect at once.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many system-chosen ports are tried for [`PortPolicy::Any`] before giving up, when `[::1]` is taken
/// at the port 127.0.0.1 got.
const ANY_PORT_ATTEMPTS: usize = 16;

/// The bound loopback sockets and their port.
#[derive(Debug)]
pub(crate) struct LoopbackListener {
    v4: TcpListener,
    /// `[::1]` at the same port; `None` only where the machine has no IPv6 loopback, so that no one can
    /// bind it either.
    v6: Option<TcpListener>,
    port: u16,
    read_timeout: Duration,
}

/// Whether binding `[::1]` failed because the machine has no IPv6 loopback (a kernel without IPv6, or
/// `::1` removed): then no other user can bind it either, and 127.0.0.1 alone is safe.
fn no_ipv6_loopback(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::Unsupported
    ) || error.raw_os_error() == Some(97) // EAFNOSUPPORT on Linux
}

impl LoopbackListener {
    /// Binds 127.0.0.1 and `[::1]` on the first port of the policy where both are free, and keeps the
    /// sockets. `localhost` in the redirect URI may resolve to either address: leaving one free would
    /// let another local user listen there and receive the code.
    pub(crate) async fn bind(policy: &PortPolicy) -> Result<Self> {
        let candidates: Vec<u16> = match policy {
            PortPolicy::Any => vec![0; ANY_PORT_ATTEMPTS],
            PortPolicy::Range(range) => range.clone().collect(),
        };
        let mut last_error = None;
        for candidate in candidates {
            match Self::bind_both(candidate).await {
                Ok(listener) => return Ok(listener),
                // taken or forbidden: the next port may do
                Err(failure) => last_error = Some(failure),
            }
        }
        let (address, port, source) =
            last_error.unwrap_or_else(|| ("127.0.0.1", 0, io::Error::other("no port to try")));
        let tried = match policy {
            PortPolicy::Any => "any free port".to_owned(),
            PortPolicy::Range(range) if range.start() == range.end() => format!("port {}", range.start()),
            PortPolicy::Range(range) => format!("any port of {}-{}", range.start(), range.end()),
        };
        Err(Error::Loopback {
            message: format!(
                "could not listen on 127.0.0.1 and [::1] at {tried} for the browser's answer \
                 ({address} port {port}: {source})"
            ),
            source,
        })
    }

    /// Both addresses at `port` (0: the system chooses, for 127.0.0.1, and `[::1]` takes the same).
    async fn bind_both(port: u16) -> std::result::Result<Self, (&'static str, u16, io::Error)> {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| ("127.0.0.1", port, e))?;
        let port = v4.local_addr().map_err(|e| ("127.0.0.1", port, e))?.port();
        let v6 = match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            Ok(v6) => Some(v6),
            Err(error) if no_ipv6_loopback(&error) => {
                tracing::debug!(target: "msconnect::browser", "no IPv6 loopback ({error}): listening on 127.0.0.1 only");
                None
            }
            // someone holds `[::1]` at this port: the browser might reach them, not us
            Err(error) => return Err(("[::1]", port, error)),
        };
        Ok(Self {
            v4,
            v6,
            port,
            read_timeout: READ_TIMEOUT,
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Whether `[::1]` is bound too (false only where the machine has no IPv6 loopback).
    #[cfg(test)]
    pub(crate) fn has_ipv6(&self) -> bool {
        self.v6.is_some()
    }

    /// How long each connection may take to send its request (tests shorten it).
    #[cfg(test)]
    pub(crate) fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
    }

    /// `http://localhost:{port}/`, the redirect URI apps register.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// `http://localhost:{port}/start/{random}`, the address the browser is given for `start`.
    pub(crate) fn start_url(&self, start: &StartAddress) -> String {
        format!("http://localhost:{}{}", self.port, start.path)
    }

    /// The name of `start`'s cookie: one per port, so that sign-ins under way at once in one browser
    /// each keep their own.
    fn cookie_name(&self) -> String {
        format!("msconnect-signin-{}", self.port)
    }

    /// The next connection on either address (`accept` is cancel-safe: none is lost to the `select!`).
    async fn accept(&self) -> io::Result<TcpStream> {
        match &self.v6 {
            Some(v6) => tokio::select! {
                accepted = self.v4.accept() => accepted.map(|(stream, _)| stream),
                accepted = v6.accept() => accepted.map(|(stream, _)| stream),
            },
            None => self.v4.accept().await.map(|(stream, _)| stream),
        }
    }

    /// Serves `expected.start` once, then waits until the redirect with `expected.state` arrives, or
    /// `timeout` passes on `timer`; the redirect's `iss` must be `expected.issuer`'s when one is given
    /// (RFC 9207). Dropping the future closes the sockets and aborts the connection tasks.
    pub(crate) async fn wait_for_code(
        self,
        expected: &Expected<'_>,
        timer: &dyn Timer,
        timeout: Duration,
        interaction: &dyn Interaction,
    ) -> Result<AuthorizationCode> {
        let mut served = Served {
            cookie_name: self.cookie_name(),
            max_age: timeout.as_secs().max(1),
            started: false,
        };
        let started = timer.now();
        let elapsed = || timer.now().duration_since(started).unwrap_or_default();
        // JoinSet aborts its tasks when dropped: cancellation leaves no connection behind
        let mut connections: JoinSet<Option<(TcpStream, Request)>> = JoinSet::new();
        // the connections being read, oldest first: the oldest makes room for a new one
        let mut reading: VecDeque<AbortHandle> = VecDeque::new();
        let mut tick = timer.sleep(TICK.min(timeout));
        let mut accepting = true;
        loop {
            let remaining = timeout.saturating_sub(elapsed());
            if remaining.is_zero() {
                return Err(Error::TimedOut(format!(
                    "no sign-in answer reached {} within {}: sign in again, or use device code sign-in",
                    self.redirect_uri(),
                    minutes_and_seconds(timeout)
                )));
            }
            tokio::select! {
                biased;
                Some(read) = connections.join_next(), if !connections.is_empty() => {
                    let Ok(Some((stream, request))) = read else { continue };
                    if let Some(outcome) = answer(stream, &request, expected, &mut served).await {
                        return outcome;
                    }
                }
                accepted = self.accept(), if accepting => match accepted {
                    Ok(stream) => {
                        reading.retain(|handle| !handle.is_finished());
                        if reading.len() >= MAX_CONNECTIONS
                            && let Some(oldest) = reading.pop_front()
                        {
                            oldest.abort();
                        }
                        let read_timeout = self.read_timeout;
                        reading.push_back(connections.spawn(async move {
                            tokio::time::timeout(read_timeout, read_request(stream)).await.ok().flatten()
                        }));
                    }
                    // a failed accept (too many open files, say) would fail again at once: wait a tick
                    Err(error) => {
                        tracing::debug!(target: "msconnect::browser", "accept failed: {error}");
                        accepting = false;
                    }
                },
                () = &mut tick => {
                    accepting = true;
                    let elapsed = elapsed();
                    let remaining = timeout.saturating_sub(elapsed);
                    interaction.waiting(elapsed, remaining);
                    tick = timer.sleep(TICK.min(remaining));
                }
            }
        }
    }
}

/// The request line, as far as the listener cares.
#[derive(Debug)]
pub(crate) struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    /// The `Cookie` header's pairs.
    cookies: Vec<(String, String)>,
}

/// Reads a request head; `None` when the peer closes early or sends something that is not HTTP.
async fn read_request(mut stream: TcpStream) -> Option<(TcpStream, Request)> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return None;
        }
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let request_line = lines.next()?;
    let cookies = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, value)| value.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some((
        stream,
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            cookies,
        },
    ))
}

/// The single-use start address of one sign-in: its path, the authorize URL it sends the browser on
/// to, and the cookie it sets, which the answer must bring back.
pub(crate) struct StartAddress {
    /// `/start/<random>`.
    path: String,
    authorize_url: String,
    cookie: String,
}

impl StartAddress {
    /// A start address for `authorize_url`, its path and cookie made of `path_random` and
    /// `cookie_random` (unguessable text, URL- and cookie-safe).
    pub(crate) fn new(authorize_url: String, path_random: &str, cookie_random: String) -> Self {
        Self {
            path: format!("/start/{path_random}"),
            authorize_url,
            cookie: cookie_random,
        }
    }
}

/// What one sign-in expects of the browser.
pub(crate) struct Expected<'a> {
    /// The `state` the answer must carry.
    pub(crate) state: &'a str,
    /// The issuer whose `iss` the answer must carry, when the authority says (RFC 9207).
    pub(crate) issuer: Option<&'a ResponseIssuer>,
    /// Served once, before the answer.
    pub(crate) start: &'a StartAddress,
}

/// What the listener has handed out so far.
struct Served {
    cookie_name: String,
    /// The cookie's lifetime: the sign-in's.
    max_age: u64,
    /// Whether the start address was visited.
    started: bool,
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Answers one request. `None` for the start address's first visit and for a stray request (another
/// path, no `state`): the wait goes on.
async fn answer(
    stream: TcpStream,
    request: &Request,
    expected: &Expected<'_>,
    served: &mut Served,
) -> Option<Result<AuthorizationCode>> {
    if request.method != "GET" {
        respond(
            stream,
            "405 Method Not Allowed",
            &page("Not allowed", "This address only receives the sign-in answer."),
        )
        .await;
        return None;
    }
    if same_secret(&request.path, &expected.start.path) {
        return start(stream, expected.start, served).await;
    }
    if request.path != "/" {
        respond(
            stream,
            "404 Not Found",
            &page("Not found", "This address only receives the sign-in answer."),
        )
        .await;
        return None;
    }
    let field = |name: &str| {
        request
            .query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(state), true) = (
        field("state"),
        field("code").is_some() || field("error").is_some(),
    ) else {
        respond(
            stream,
            "400 Bad Request",
            &page(
                "Not a sign-in answer",
                "This address only receives the sign-in answer.",
            ),
        )
        .await;
        return None;
    };
    if state != expected.state {
        // Refused and ignored, as MSAL's receiver does: ending the sign-in would let any local user, or
        // any page open in the browser, abort every sign-in with one request. No code of it is redeemed.
        respond(
            stream,
            "400 Bad Request",
            &failure_page("The answer does not belong to this sign-in."),
        )
        .await;
        tracing::warn!(
            "the loopback listener refused an answer carrying another sign-in's state; still waiting for this sign-in's"
        );
        return None;
    }
    // this sign-in's state without the cookie: it reached someone who is not the browser that opened
    // the start address, and their answer is not believed (nor is the one that may follow)
    let cookie = request
        .cookies
        .iter()
        .find(|(name, _)| *name == served.cookie_name)
        .map(|(_, value)| value.as_str());
    if !cookie.is_some_and(|cookie| same_secret(cookie, &expected.start.cookie)) {
        return refuse(
            stream,
            "The answer did not come from the browser this sign-in was started in.",
            "the sign-in answer came without the cookie of the browser the sign-in was started in, so it \
             was refused and the sign-in stopped: another program or user may have read the sign-in \
             address; sign in again"
                .into(),
        )
        .await;
    }
    // RFC 9207: an answer (error or code) from another authority is a mix-up attack; checked before
    // anything of it is believed
    if let Some(problem) = expected
        .issuer
        .and_then(|issuer| issuer_problem(field("iss"), issuer))
    {
        return refuse(
            stream,
            "The answer does not come from the authority this sign-in went to.",
            problem,
        )
        .await;
    }
    if let Some(error) = field("error") {
        let mut server = ServerError {
            error: error.to_owned(),
            error_description: field("error_description").map(str::to_owned),
            error_uri: field("error_uri").map(str::to_owned),
            suberror: field("error_subcode").map(str::to_owned),
            ..ServerError::default()
        };
        // whoever sends the redirect writes these: cut to what a terminal should show
        server.cap_shown_text();
        respond(stream, "200 OK", &failure_page(server.summary())).await;
        return Some(Err(server.into()));
    }
    let code = field("code")?;
    respond(
        stream,
        "200 OK",
        &page(
            "Signed in",
            "You are signed in. You can close this window and return to the terminal.",
        ),
    )
    .await;
    Some(Ok(AuthorizationCode::new(code)))
}

/// The start address: the first visit is sent on to the authorize URL with the cookie; a second one
/// ends the sign-in, since the state and the challenge reached whoever came first.
async fn start(
    stream: TcpStream,
    start: &StartAddress,
    served: &mut Served,
) -> Option<Result<AuthorizationCode>> {
    if served.started {
        return refuse(
            stream,
            "This sign-in address was already used, so the sign-in was stopped.",
            "the sign-in address was opened twice, so the sign-in was stopped: another program or user \
             may have opened it first; sign in again"
                .into(),
        )
        .await;
    }
    served.started = true;
    // no-referrer: the authorize page never learns the start address; HttpOnly and SameSite=Lax: only
    // the browser's top-level return to the redirect URI carries the cookie back
    let head = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nSet-Cookie: {}={}; Path=/; Max-Age={}; HttpOnly; \
         SameSite=Lax\r\nReferrer-Policy: no-referrer\r\nCache-Control: no-store\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
        start.authorize_url, served.cookie_name, start.cookie, served.max_age
    );
    write_and_close(stream, &head).await;
    None
}

/// Shows the failure page saying `shown` and ends the sign-in, refused for `reason`.
async fn refuse(stream: TcpStream, shown: &str, reason: String) -> Option<Result<AuthorizationCode>> {
    respond(stream, "400 Bad Request", &failure_page(shown)).await;
    Some(Err(Error::Rejected(reason)))
}

/// Why an answer's `iss` is refused, if it is: another issuer's, or missing where the discovery document
/// promised one.
fn issuer_problem(iss: Option<&str>, expected: &ResponseIssuer) -> Option<String> {
    match iss {
        Some(iss) if iss == expected.issuer => None,
        Some(iss) => Some(format!(
            "the browser's answer names the issuer '{iss}', not '{}' where this sign-in went (RFC 9207), so it \
             was refused: sign in again",
            expected.issuer
        )),
        None if expected.required => Some(format!(
            "the browser's answer has no iss although {} promises one \
             (authorization_response_iss_parameter_supported, RFC 9207), so it was refused: sign in again",
            expected.issuer
        )),
        None => None,
    }
}

/// Writes a small HTML answer and closes.
async fn respond(stream: TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    write_and_close(stream, &response).await;
}

/// Failures are ignored: the browser went away, nothing to tell.
async fn write_and_close(mut stream: TcpStream, response: &str) {
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        escape_html(text)
    )
}

fn failure_page(reason: &str) -> String {
    page(
        "Sign-in failed",
        &format!("{reason} Return to the terminal for details."),
    )
}

/// The description comes from the URL: anyone can put markup there.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
