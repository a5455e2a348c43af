//! The loopback listener that receives the browser's redirect: bound once on 127.0.0.1 and kept (no
//! probe-then-rebind race), a few lines of HTTP/1.1 answering with a short page, stray requests ignored,
//! and a timeout measured on the injectable [`Timer`].

use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

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
/// read on its own task; past this many, new ones are closed at once.
const MAX_CONNECTIONS: usize = 32;

/// A bound loopback socket and its port.
#[derive(Debug)]
pub(crate) struct LoopbackListener {
    listener: TcpListener,
    port: u16,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on the first free port the policy allows, and keeps the socket.
    pub(crate) async fn bind(policy: &PortPolicy) -> Result<Self> {
        let ports = match policy {
            PortPolicy::Any => 0..=0,
            PortPolicy::Range(range) => range.clone(),
        };
        let mut last_error = None;
        for port in ports.clone() {
            match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
                Ok(listener) => {
                    let port = listener
                        .local_addr()
                        .map(|a| a.port())
                        .map_err(|source| Error::Loopback {
                            message: "could not read the port of the loopback listener".into(),
                            source,
                        })?;
                    return Ok(Self { listener, port });
                }
                // taken or forbidden: the next port may do
                Err(error) => last_error = Some((port, error)),
            }
        }
        let (port, source) = last_error.unwrap_or_else(|| (0, io::Error::other("no port to try")));
        let tried = match policy {
            PortPolicy::Any => "any free port".to_owned(),
            PortPolicy::Range(range) if range.start() == range.end() => format!("port {}", range.start()),
            PortPolicy::Range(range) => format!("any port of {}-{}", range.start(), range.end()),
        };
        Err(Error::Loopback {
            message: format!(
                "could not listen on 127.0.0.1 at {tried} for the browser's answer (port {port}: {source})"
            ),
            source,
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// `http://localhost:{port}/`, the redirect URI apps register.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// Serves until the redirect with `expected_state` arrives, or `timeout` passes on `timer`; the
    /// redirect's `iss` must be `expected_issuer`'s when one is given (RFC 9207). Dropping the future
    /// closes the socket and aborts the connection tasks.
    pub(crate) async fn wait_for_code(
        self,
        expected_state: &str,
        expected_issuer: Option<&ResponseIssuer>,
        timer: &dyn Timer,
        timeout: Duration,
        interaction: &dyn Interaction,
    ) -> Result<AuthorizationCode> {
        let started = timer.now();
        let elapsed = || timer.now().duration_since(started).unwrap_or_default();
        // JoinSet aborts its tasks when dropped: cancellation leaves no connection behind
        let mut connections: JoinSet<Option<(TcpStream, Request)>> = JoinSet::new();
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
                    if let Some(outcome) = answer(stream, &request, expected_state, expected_issuer).await {
                        return outcome;
                    }
                }
                accepted = self.listener.accept(), if accepting => match accepted {
                    Ok((stream, _)) if connections.len() < MAX_CONNECTIONS => {
                        connections.spawn(read_request(stream));
                    }
                    Ok(_) => {}
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
    let request_line = head.lines().next()?;
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
        },
    ))
}

/// Answers one request. `None` for a stray request (another path, no `state`): the wait goes on.
async fn answer(
    stream: TcpStream,
    request: &Request,
    expected_state: &str,
    expected_issuer: Option<&ResponseIssuer>,
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
    if state != expected_state {
        respond(
            stream,
            "400 Bad Request",
            &failure_page("The answer does not belong to this sign-in."),
        )
        .await;
        return Some(Err(Error::Rejected(
            "the browser's answer carries another sign-in's state, so it was refused: sign in again".into(),
        )));
    }
    // RFC 9207: an answer (error or code) from another authority is a mix-up attack; checked before
    // anything of it is believed
    if let Some(problem) = expected_issuer.and_then(|expected| issuer_problem(field("iss"), expected)) {
        respond(
            stream,
            "400 Bad Request",
            &failure_page("The answer does not come from the authority this sign-in went to."),
        )
        .await;
        return Some(Err(Error::Rejected(problem)));
    }
    if let Some(error) = field("error") {
        let server = ServerError {
            error: error.to_owned(),
            error_description: field("error_description").map(str::to_owned),
            error_uri: field("error_uri").map(str::to_owned),
            suberror: field("error_subcode").map(str::to_owned),
            ..ServerError::default()
        };
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

/// Writes a small HTML answer and closes. Failures are ignored: the browser went away, nothing to tell.
async fn respond(mut stream: TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
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
