//! Host name lookups that can be abandoned. reqwest's default resolver runs `getaddrinfo` on tokio's
//! blocking pool, and a runtime waits for its blocking threads when it shuts down: with a resolver that
//! never answers, a request bounded to 1.5 s ended on time, but the process then waited out the system
//! resolver's own retries (10 s with glibc's defaults) before it could exit. Here each lookup runs on a
//! detached thread of its own: a request that times out drops the lookup's future, and nothing waits for
//! the thread, which ends when the system resolver gives up, or with the process.

use std::net::{SocketAddr, ToSocketAddrs as _};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves names with the system resolver on detached threads (see the module's documentation).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DetachedResolver;

impl Resolve for DetachedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("msconnect-dns".into())
            .spawn(move || {
                // the port is reqwest's to set: it replaces the 0 with the URL's
                let found = (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<SocketAddr>>);
                // the request may have given up waiting: then no one hears the answer
                let _ = answer.send(found);
            });
        Box::pin(async move {
            spawned?;
            let addresses = answered
                .await
                .map_err(|_| std::io::Error::other("the name lookup ended without an answer"))??;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}
