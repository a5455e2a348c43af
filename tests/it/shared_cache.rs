//! A fleet on one Redis: several worker processes (`cache-worker`, which builds its session as the
//! command line does), each with its own `MSCONNECT_HOME`, share a `redis-server` of the test's own and
//! one mockito authority. Every distinct token is asked for once however many workers want it; a worker
//! killed while holding a refresh lock delays the others by at most the lock's time to live; Redis
//! stopped mid-run gives an error naming the URL, or with `MSCONNECT_CACHE_FALLBACK=file` the local file.
//! A fleet on one cache file (one `MSCONNECT_HOME`) too asks once per distinct token, through a lock per
//! token beside the file; a worker killed holding it delays no one; writers killed with SIGKILL while
//! holding msal-extensions' `.lockfile` leave no lock the others must wait out and lose no saved token.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mockito::{Matcher, Mock, Server};
use serde_json::Value;
use test_support::{RedisServer, app_token_response};

const CLIENT: &str = "0fd7a4a5-4b7d-4d2b-9a3c-6a0a5a1e2b3c";
const SECRET: &str = "fleet-client-secret";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const WORKERS: usize = 8;
const CUSTOMERS: usize = 50;
/// The partner's own tenant, whose app-only token every worker wants first.
const PARTNER: &str = "aaaaaaaa-0000-4000-8000-000000000000";
/// Long enough for any line a worker owes, short enough that a hang fails the test rather than CI.
const PATIENCE: Duration = Duration::from_secs(60);

fn customer(n: usize) -> String {
    format!("cccccccc-0000-4000-8000-{n:012}")
}

/// The token endpoint of `tenant`, answering client credentials of our app with `token-of-<tenant>`,
/// expected to be asked `times` times.
async fn token_endpoint(server: &mut Server, tenant: &str, times: usize) -> Mock {
    server
        .mock("POST", format!("/{tenant}/oauth2/v2.0/token").as_str())
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "client_credentials".into()),
            Matcher::UrlEncoded("client_id".into(), CLIENT.into()),
            Matcher::UrlEncoded("client_secret".into(), SECRET.into()),
            Matcher::UrlEncoded("scope".into(), SCOPE.into()),
        ]))
        .with_body(app_token_response(&format!("token-of-{tenant}")).to_string())
        .expect(times)
        .create_async()
        .await
}

/// A worker process with its own home, its standard input open for tenants and its output lines
/// arriving on a channel.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
    stderr: std::thread::JoinHandle<String>,
    home: PathBuf,
    _own_home: Option<tempfile::TempDir>,
}

impl Worker {
    fn spawn(authority: &str, env: &[(&str, &str)]) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut worker = Self::spawn_in(home.path(), authority, env);
        worker._own_home = Some(home);
        worker
    }

    /// A worker whose `MSCONNECT_HOME` is `home`, which other workers may share.
    fn spawn_in(home: &Path, authority: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cache-worker"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("MSCONNECT_HOME", home)
            .env("AZURE_AUTHORITY_HOST", authority)
            .env("WORKER_CLIENT_ID", CLIENT)
            .env("MSCONNECT_CLIENT_SECRET", SECRET)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(serde_json::from_str(&line).unwrap_or(Value::String(line)));
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            home: home.to_path_buf(),
            _own_home: None,
        }
    }

    fn home(&self) -> &Path {
        &self.home
    }

    fn ask(&mut self, tenants: &[String]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{}\n", tenants.join("\n")).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
    }

    /// The next answer; failing the test, not hanging it, when none comes.
    fn answer(&self) -> Value {
        self.lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("a worker gave no answer within {PATIENCE:?}"))
    }

    /// Closes standard input and returns what the worker printed on stderr once it exited.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let stderr = self.stderr.join().unwrap();
                assert!(status.success(), "the worker failed ({status}): {stderr}");
                return stderr;
            }
            assert!(
                Instant::now() < deadline,
                "a worker did not exit within {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Runs `workers` processes at once, each asking for the token of every tenant in order; returns each
/// worker's answers and how long the whole run took. With `home`, all of them share that
/// `MSCONNECT_HOME` (and its cache file); else each has its own.
fn fleet(
    workers: usize,
    home: Option<&Path>,
    authority: &str,
    env: &[(&str, &str)],
    tenants: &[String],
) -> (Vec<Vec<Value>>, Duration) {
    let mut fleet: Vec<Worker> = (0..workers)
        .map(|_| match home {
            Some(home) => Worker::spawn_in(home, authority, env),
            None => Worker::spawn(authority, env),
        })
        .collect();
    let started = Instant::now();
    for worker in &mut fleet {
        worker.ask(tenants);
    }
    let answers = fleet
        .iter()
        .map(|worker| tenants.iter().map(|_| worker.answer()).collect())
        .collect();
    let elapsed = started.elapsed();
    for worker in fleet {
        worker.finish();
    }
    (answers, elapsed)
}

fn assert_every_worker_got_every_token(answers: &[Vec<Value>], tenants: &[String]) {
    for (worker, answers) in answers.iter().enumerate() {
        for (tenant, answer) in tenants.iter().zip(answers) {
            assert_eq!(answer["tenant"], tenant.as_str(), "worker {worker}: {answer}");
            assert_eq!(
                answer["token"],
                format!("token-of-{tenant}"),
                "worker {worker}: {answer}"
            );
        }
    }
}

/// The partner's tenant and `customers` customer tenants, each token endpoint expected to be asked once.
async fn partner_and_customers(authority: &mut Server, customers: usize) -> (Vec<String>, Vec<Mock>) {
    let tenants: Vec<String> = std::iter::once(PARTNER.to_owned())
        .chain((1..=customers).map(customer))
        .collect();
    let mut endpoints = Vec::new();
    for tenant in &tenants {
        endpoints.push(token_endpoint(authority, tenant, 1).await);
    }
    (tenants, endpoints)
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::print_stderr)] // the measurement BENCHMARKS.md quotes (`-- --nocapture` shows it)
async fn a_fleet_on_one_redis_asks_the_authority_once_per_distinct_token() {
    let (workers, customers) = fleet_size();
    let redis = RedisServer::start();
    let mut authority = Server::new_async().await;
    let (tenants, endpoints) = partner_and_customers(&mut authority, customers).await;
    let url = redis.url();
    let (answers, elapsed) = fleet(
        workers,
        None,
        &authority.url(),
        &[("MSCONNECT_CACHE_URL", &url)],
        &tenants,
    );
    assert_every_worker_got_every_token(&answers, &tenants);
    for endpoint in &endpoints {
        endpoint.assert_async().await;
    }
    // BENCHMARKS.md, "Shared cache", quotes this line
    eprintln!(
        "shared cache: {workers} workers x {} tenants ({} app-only + {customers} customers) = {} token asks; {} requests \
         to the authority; {elapsed:.2?}",
        tenants.len(),
        1,
        workers * tenants.len(),
        tenants.len(),
    );
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::print_stderr)] // the measurement BENCHMARKS.md quotes (`-- --nocapture` shows it)
async fn without_a_shared_cache_every_worker_asks_for_every_token() {
    // the baseline the shared cache is measured against: each worker's own file cache
    let mut authority = Server::new_async().await;
    let tenants: Vec<String> = std::iter::once(PARTNER.to_owned())
        .chain((1..=CUSTOMERS).map(customer))
        .collect();
    let mut endpoints = Vec::new();
    for tenant in &tenants {
        endpoints.push(token_endpoint(&mut authority, tenant, WORKERS).await);
    }
    let (answers, elapsed) = fleet(WORKERS, None, &authority.url(), &[], &tenants);
    assert_every_worker_got_every_token(&answers, &tenants);
    for endpoint in &endpoints {
        endpoint.assert_async().await;
    }
    eprintln!(
        "file caches: {WORKERS} workers x {} tenants = {} token asks; {} requests to the authority; {elapsed:.2?}",
        tenants.len(),
        WORKERS * tenants.len(),
        WORKERS * tenants.len(),
    );
}

/// A token endpoint that accepts connections and never answers: a worker asking it hangs while it holds
/// the refresh lock.
fn black_hole() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    url
}

fn lock_keys(redis: &RedisServer) -> Vec<String> {
    redis::cmd("KEYS")
        .arg("msconnect:*:lock:*")
        .query(&mut redis.connection())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_holding_the_lock_delays_the_others_by_at_most_its_time_to_live() {
    let redis = RedisServer::start();
    let mut authority = Server::new_async().await;
    let tenant = customer(7);
    let endpoint = token_endpoint(&mut authority, &tenant, 1).await;
    let url = redis.url();
    let env = [
        ("MSCONNECT_CACHE_URL", url.as_str()),
        ("MSCONNECT_CACHE_LOCK_SECONDS", "3"),
    ];

    let mut doomed = Worker::spawn(&black_hole(), &env);
    doomed.ask(std::slice::from_ref(&tenant));
    let deadline = Instant::now() + PATIENCE;
    while lock_keys(&redis).is_empty() {
        assert!(Instant::now() < deadline, "the first worker never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    let lock = lock_keys(&redis).remove(0);
    let left: i64 = redis::cmd("PTTL")
        .arg(&lock)
        .query(&mut redis.connection())
        .unwrap();
    assert!(
        (1..=3_000).contains(&left),
        "the dead worker's lock has {left} ms left"
    );

    let mut next = Worker::spawn(&authority.url(), &env);
    next.ask(std::slice::from_ref(&tenant));
    let answer = next.answer();
    assert_eq!(answer["token"], format!("token-of-{tenant}"), "{answer}");
    let waited = answer["ms"].as_i64().unwrap();
    assert!(
        waited >= left - 250,
        "it waited for the lock to expire ({left} ms left), not around it: {waited} ms"
    );
    assert!(
        waited < 3_000 + 2_000,
        "at most the lock's time to live: {waited} ms"
    );
    next.finish();
    endpoint.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_stopped_mid_run_gives_an_error_naming_the_url_or_the_file_fallback_never_a_hang() {
    let mut redis = RedisServer::with_password("fleet-pass");
    let mut authority = Server::new_async().await;
    let (before, after) = (customer(1), customer(2));
    let served_by_redis = token_endpoint(&mut authority, &before, 1).await;
    let only_the_fallback = token_endpoint(&mut authority, &after, 1).await;
    let with_password = redis.url_with_password();
    let url = redis.url();
    let mut strict = Worker::spawn(&authority.url(), &[("MSCONNECT_CACHE_URL", &with_password)]);
    let mut lenient = Worker::spawn(
        &authority.url(),
        &[
            ("MSCONNECT_CACHE_URL", &url),
            ("MSCONNECT_CACHE_PASSWORD", "fleet-pass"),
            ("MSCONNECT_CACHE_FALLBACK", "file"),
        ],
    );
    for worker in [&mut strict, &mut lenient] {
        worker.ask(std::slice::from_ref(&before));
        assert_eq!(worker.answer()["token"], format!("token-of-{before}"));
    }

    redis.stop();
    let started = Instant::now();
    strict.ask(std::slice::from_ref(&after));
    lenient.ask(std::slice::from_ref(&after));
    let (failed, fell_back) = (strict.answer(), lenient.answer());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no hang: {:?}",
        started.elapsed()
    );
    let error = failed["error"]
        .as_str()
        .unwrap()
        .replace(&redis.port().to_string(), "PORT");
    assert!(
        error.starts_with("token cache redis://127.0.0.1:PORT: unreachable ("),
        "{error}"
    );
    assert!(!error.contains("fleet-pass"), "{error}");
    assert_eq!(fell_back["token"], format!("token-of-{after}"), "{fell_back}");

    // the token went to the worker's own file, saved before the worker answered
    let file = std::fs::read_to_string(lenient.home().join("msal_token_cache.json")).unwrap();
    assert!(file.contains(&format!("token-of-{after}")), "{file}");
    let warnings = lenient.finish();
    assert!(
        warnings.contains("using the local token cache")
            && warnings.contains("MSCONNECT_CACHE_FALLBACK=file"),
        "{warnings}"
    );
    assert!(strict.finish().is_empty());
    served_by_redis.assert_async().await;
    only_the_fallback.assert_async().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_share_a_redis_over_tls_trusting_the_servers_certificate_through_ssl_cert_file() {
    // a CA of the test's own, and a certificate for 127.0.0.1 that it signed
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let (ca_file, certificate_file, key_file) = (
        dir.path().join("ca.pem"),
        dir.path().join("redis.pem"),
        dir.path().join("redis.key"),
    );
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&certificate_file, certificate.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();

    let redis = RedisServer::with_tls(&certificate_file, &key_file);
    let mut authority = Server::new_async().await;
    let tenant = customer(3);
    let endpoint = token_endpoint(&mut authority, &tenant, 1).await;
    let url = redis.url();
    assert!(url.starts_with("rediss://127.0.0.1:"), "{url}");
    let ca_path = ca_file.to_str().unwrap();
    let env = [("MSCONNECT_CACHE_URL", url.as_str()), ("SSL_CERT_FILE", ca_path)];
    for _ in 0..2 {
        let mut worker = Worker::spawn(&authority.url(), &env);
        worker.ask(std::slice::from_ref(&tenant));
        let answer = worker.answer();
        assert_eq!(answer["token"], format!("token-of-{tenant}"), "{answer}");
        worker.finish();
    }
    endpoint.assert_async().await;

    // a worker that does not trust the certificate is refused, with the URL named
    let mut untrusting = Worker::spawn(&authority.url(), &[("MSCONNECT_CACHE_URL", url.as_str())]);
    untrusting.ask(std::slice::from_ref(&tenant));
    let refused = untrusting.answer();
    let error = refused["error"].as_str().unwrap_or_default();
    assert!(error.starts_with(&format!("token cache {url}")), "{refused}");
    untrusting.finish();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_or_misplaced_sealed_entry_is_skipped_with_a_warning_naming_it_and_renewed() {
    let redis = RedisServer::start();
    let mut authority = Server::new_async().await;
    let (moved_onto, moved) = (customer(11), customer(12));
    // the entry written over is asked for again once it is skipped; the other is served from Redis
    let renewed = token_endpoint(&mut authority, &moved_onto, 2).await;
    let cached = token_endpoint(&mut authority, &moved, 1).await;
    let url = redis.url();
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [42u8; 32]);
    let env = [
        ("MSCONNECT_CACHE_URL", url.as_str()),
        ("MSCONNECT_CACHE_KEY", key.as_str()),
    ];
    let tenants = [moved_onto.clone(), moved.clone()];
    let mut first = Worker::spawn(&authority.url(), &env);
    first.ask(&tenants);
    for tenant in &tenants {
        assert_eq!(first.answer()["token"], format!("token-of-{tenant}"));
    }
    first.finish();

    // a sealed value copied under another entry's key (its associated data) no longer opens there
    let access_token_key = |tenant: &str| -> String {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("*{tenant}*accesstoken:*"))
            .query(&mut redis.connection())
            .unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        keys[0].clone()
    };
    let (target, source) = (access_token_key(&moved_onto), access_token_key(&moved));
    let planted: String = redis::cmd("GET")
        .arg(&source)
        .query(&mut redis.connection())
        .unwrap();
    let sealed = serde_json::from_str::<Value>(&planted).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let () = redis::cmd("SET")
        .arg(&target)
        .arg(&planted)
        .arg("KEEPTTL")
        .query(&mut redis.connection())
        .unwrap();

    let mut next = Worker::spawn(&authority.url(), &env);
    next.ask(&tenants);
    for tenant in &tenants {
        let answer = next.answer();
        assert_eq!(answer["token"], format!("token-of-{tenant}"), "{answer}");
    }
    let warnings = next.finish();
    assert!(
        warnings.contains(&format!("skipping {target} in the token cache {url}:"))
            && warnings.contains("MSCONNECT_CACHE_KEY does not decrypt it"),
        "{warnings}"
    );
    assert!(
        !warnings.contains(&sealed),
        "the warning quotes the value: {warnings}"
    );
    renewed.assert_async().await;
    cached.assert_async().await;

    // the renewed token was written over the bad entry: a third worker is served from Redis
    let mut third = Worker::spawn(&authority.url(), &env);
    third.ask(std::slice::from_ref(&moved_onto));
    assert_eq!(third.answer()["token"], format!("token-of-{moved_onto}"));
    assert_eq!(third.finish(), "");
    renewed.assert_async().await;
}

/// The size of the fleets on one cache file: `MSCONNECT_BENCH_FLEET=WORKERSxCUSTOMERS` measures a larger
/// one for BENCHMARKS.md (`64x999`: 64 workers, 1,000 tenants); the suite runs the default.
fn fleet_size() -> (usize, usize) {
    std::env::var("MSCONNECT_BENCH_FLEET")
        .ok()
        .and_then(|size| {
            let (workers, customers) = size.split_once('x')?;
            Some((workers.parse().ok()?, customers.parse().ok()?))
        })
        .unwrap_or((WORKERS, CUSTOMERS))
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::print_stderr)] // the measurement BENCHMARKS.md quotes (`-- --nocapture` shows it)
async fn a_fleet_on_one_cache_file_asks_the_authority_once_per_distinct_token() {
    let (workers, customers) = fleet_size();
    let home = tempfile::tempdir().unwrap();
    let mut authority = Server::new_async().await;
    let (tenants, endpoints) = partner_and_customers(&mut authority, customers).await;
    let (answers, elapsed) = fleet(workers, Some(home.path()), &authority.url(), &[], &tenants);
    assert_every_worker_got_every_token(&answers, &tenants);
    for endpoint in &endpoints {
        endpoint.assert_async().await;
    }
    // every token's lock file was removed by its holder
    let locks: Vec<_> = std::fs::read_dir(home.path().join("msal_token_cache.json.locks"))
        .unwrap()
        .collect();
    assert!(locks.is_empty(), "{locks:?}");
    // BENCHMARKS.md, "Shared cache", quotes this line
    eprintln!(
        "one cache file: {workers} workers x {} tenants = {} token asks; {} requests to the authority; \
         {elapsed:.2?}",
        tenants.len(),
        workers * tenants.len(),
        tenants.len(),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_holding_a_tokens_lock_on_the_cache_file_delays_no_one() {
    let home = tempfile::tempdir().unwrap();
    let mut authority = Server::new_async().await;
    let tenant = customer(7);
    let endpoint = token_endpoint(&mut authority, &tenant, 1).await;
    let locks = home.path().join("msal_token_cache.json.locks");
    let held = || std::fs::read_dir(&locks).map(|d| d.count()).unwrap_or(0) > 0;

    // it takes the token's lock and hangs on an authority that never answers
    let mut doomed = Worker::spawn_in(home.path(), &black_hole(), &[]);
    doomed.ask(std::slice::from_ref(&tenant));
    let deadline = Instant::now() + PATIENCE;
    while !held() {
        assert!(Instant::now() < deadline, "the first worker never took the lock");
        std::thread::sleep(Duration::from_millis(10));
    }
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    assert!(held(), "its lock file stays behind");

    let mut next = Worker::spawn_in(home.path(), &authority.url(), &[]);
    next.ask(std::slice::from_ref(&tenant));
    let answer = next.answer();
    assert_eq!(answer["token"], format!("token-of-{tenant}"), "{answer}");
    let waited = answer["ms"].as_i64().unwrap();
    assert!(
        waited < 2_000,
        "the kernel released the dead worker's lock: {waited} ms"
    );
    next.finish();
    endpoint.assert_async().await;
}

/// Sends `signal` to a worker.
fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn writers_killed_in_the_write_window_leave_no_lock_behind_and_lose_no_saved_token() {
    use rustix::process::Signal;
    const DOOMED: usize = 4;
    const SURVIVORS: usize = 4;
    // a doomed worker has more than it will live to ask for, so that it is still writing when caught
    let each = |worker: usize| if worker < DOOMED { 200 } else { 40 };
    let home = tempfile::tempdir().unwrap();
    let mut authority = Server::new_async().await;
    let tenants: Vec<Vec<String>> = (0..DOOMED + SURVIVORS)
        .map(|w| (0..each(w)).map(|n| customer(w * 1_000 + n)).collect())
        .collect();
    // any tenant's token endpoint: a doomed worker's last tenant may be asked for again by no one, or
    // its token bought and never saved
    let _endpoint = authority
        .mock(
            "POST",
            Matcher::Regex(r"^/[0-9a-f-]{36}/oauth2/v2\.0/token$".into()),
        )
        .with_body_from_request(|request| {
            let tenant = request.path().split('/').nth(1).unwrap_or_default();
            app_token_response(&format!("token-of-{tenant}"))
                .to_string()
                .into_bytes()
        })
        .create_async()
        .await;
    let mut workers: Vec<Worker> = (0..DOOMED + SURVIVORS)
        .map(|_| Worker::spawn_in(home.path(), &authority.url(), &[]))
        .collect();
    for (worker, tenants) in workers.iter_mut().zip(&tenants) {
        worker.ask(tenants);
    }

    // catch each doomed worker inside its write window: stopped while the `.lockfile` names it, killed
    // only if it still does (it held the lock when it stopped)
    let lockfile = home.path().join("msal_token_cache.json.lockfile");
    let doomed: Vec<u32> = workers[..DOOMED].iter().map(|w| w.child.id()).collect();
    let holder = || -> Option<u32> {
        let text = std::fs::read_to_string(&lockfile).ok()?;
        text.split_whitespace().next()?.parse().ok()
    };
    let mut killed = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while killed.len() < DOOMED {
        assert!(
            Instant::now() < deadline,
            "caught only {} of {DOOMED} workers in their write window",
            killed.len()
        );
        let Some(pid) = holder().filter(|pid| doomed.contains(pid) && !killed.contains(pid)) else {
            continue;
        };
        signal(pid, Signal::STOP);
        if holder() == Some(pid) {
            signal(pid, Signal::KILL);
            killed.push(pid);
        } else {
            signal(pid, Signal::CONT);
        }
    }

    // the others carry on: each of their tokens, without waiting out the 30 s lock wait
    let mut reported = Vec::new();
    for (worker, tenants) in workers[DOOMED..].iter().zip(&tenants[DOOMED..]) {
        for tenant in tenants {
            let answer = worker.answer();
            assert_eq!(answer["token"], format!("token-of-{tenant}"), "{answer}");
            assert!(answer["ms"].as_i64().unwrap() < 10_000, "{answer}");
            reported.push(answer["token"].as_str().unwrap().to_owned());
        }
    }
    for mut worker in workers.drain(..DOOMED) {
        worker.child.wait().unwrap();
        // what a doomed worker answered before it died was saved before it answered
        while let Ok(answer) = worker.lines.try_recv() {
            if let Some(token) = answer["token"].as_str() {
                reported.push(token.to_owned());
            }
        }
    }
    for worker in workers {
        worker.finish();
    }
    let file = std::fs::read_to_string(home.path().join("msal_token_cache.json")).unwrap();
    let lost: Vec<&String> = reported
        .iter()
        .filter(|token| !file.contains(token.as_str()))
        .collect();
    assert!(lost.is_empty(), "{} saved tokens lost: {lost:?}", lost.len());
    assert!(reported.len() >= SURVIVORS * 40);

    // whatever lock file the last one killed left is taken over by the next writer at once
    let mut next = Worker::spawn_in(home.path(), &authority.url(), &[]);
    let last = customer(999_999);
    next.ask(std::slice::from_ref(&last));
    let answer = next.answer();
    assert_eq!(answer["token"], format!("token-of-{last}"), "{answer}");
    assert!(answer["ms"].as_i64().unwrap() < 10_000, "{answer}");
    next.finish();
    assert!(!lockfile.exists());
}
