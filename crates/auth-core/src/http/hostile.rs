//! A hostile authority for tests: a loopback HTTP server that answers every request the same wrong way
//! (a body too large to hold, one that never ends, malformed or extreme JSON, terminal escapes), so the
//! flows can be run against what a broken or malicious server sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// How the server answers.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// This status and body, with a correct `Content-Length`.
    Body(u16, String),
    /// A 200 whose `Content-Length` claims `length` bytes, then that many bytes of `a` (or until the
    /// client goes away).
    Declared(u64),
    /// A 200 without `Content-Length`, ended by closing: `length` bytes of JSON-looking text.
    Streamed(u64),
    /// Headers announcing a body, then nothing, ever.
    Stalled,
}

/// A running hostile server; dropping it stops it.
pub(crate) struct HostileServer {
    port: u16,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Starts a server on a free loopback port that answers every request with `behaviour`.
    pub(crate) async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    // the request head and a small form body: enough to answer after
                    let mut buffer = [0u8; 8192];
                    let _ = stream.read(&mut buffer).await;
                    let _ = answer(&mut stream, &behaviour).await;
                });
            }
        });
        Self { port, requests, task }
    }

    /// The server's base URL, `http://127.0.0.1:{port}`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many connections it accepted.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(stream: &mut tokio::net::TcpStream, behaviour: &Behaviour) -> std::io::Result<()> {
    let chunk = vec![b'a'; 64 * 1024];
    match behaviour {
        Behaviour::Body(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
        }
        Behaviour::Declared(length) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream_bytes(stream, &chunk, *length).await?;
        }
        Behaviour::Streamed(length) => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\":\"")
                .await?;
            stream_bytes(stream, &chunk, *length).await?;
        }
        Behaviour::Stalled => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
                )
                .await?;
            std::future::pending::<()>().await;
        }
    }
    stream.shutdown().await
}

/// Writes `length` bytes of `chunk`s; stops with an error when the client closes.
async fn stream_bytes(stream: &mut tokio::net::TcpStream, chunk: &[u8], length: u64) -> std::io::Result<()> {
    let mut left = length;
    while left > 0 {
        let now = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        stream.write_all(&chunk[..now]).await?;
        left -= now as u64;
    }
    Ok(())
}
