//! Test support for msconnect (package `msconnect-test-support`, never published): unsigned JWTs,
//! `client_info`, token responses, an HTTP client on a fake clock with no retry waits, mockito matchers
//! and one-answer mock endpoints (`mock`), a `redis-server` of a test's own, and the TEST-ONLY
//! certificate and key of `crates/auth-core/tests/fixtures`. The product crates' tests, the `tests` crate
//! and auth-core's benches and examples use it as `test_support`; auth-core's own unit tests compile this
//! same file in as their `#[cfg(test)]` module `testing` (their `auth_core::` paths name auth-core itself
//! there), so the published auth-core carries no mock and no test key.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use auth_core::EnvVars;
use auth_core::Url;
use auth_core::{Cloud, Environment};
use auth_core::{HttpClient, HttpOptions, RetryPolicy};
use auth_core::{Session, SessionOptions};

pub mod mock;
pub mod saved;

/// The fake clock's start: 2026-11-22T10:00:00Z.
pub const NOW: i64 = 1_795_341_600;

/// A timer whose sleeps return at once and move its clock forward, recording each sleep.
#[derive(Debug, Clone)]
pub struct FakeTimer {
    state: Arc<std::sync::Mutex<(std::time::SystemTime, Vec<Duration>)>>,
}

impl FakeTimer {
    /// A fake clock standing at `start`.
    pub fn at(start: std::time::SystemTime) -> Self {
        Self {
            state: Arc::new(std::sync::Mutex::new((start, Vec::new()))),
        }
    }

    /// A fake clock standing at the given epoch second.
    pub fn at_epoch(seconds: i64) -> Self {
        Self::at(auth_core::from_epoch_seconds(seconds))
    }

    /// Every sleep asked for so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().1.clone()
    }

    /// Moves the clock forward without a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().0 += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (std::time::SystemTime, Vec<Duration>)> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl auth_core::Timer for FakeTimer {
    fn now(&self) -> std::time::SystemTime {
        self.lock().0
    }

    fn sleep(&self, duration: Duration) -> auth_core::Sleep {
        let mut state = self.lock();
        state.0 += duration;
        state.1.push(duration);
        Box::pin(std::future::ready(()))
    }
}

/// Base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned JWT with these claims (enough for code that reads, but does not verify, tokens).
pub fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"sig")
    )
}

/// `client_info` for a user: base64url of `{"uid":…,"utid":…}`.
pub fn client_info(uid: &str, utid: &str) -> String {
    b64(json!({ "uid": uid, "utid": utid }).to_string().as_bytes())
}

/// A user's ID token claims.
pub fn id_token_claims(oid: &str, tid: &str, username: &str) -> Value {
    json!({
        "aud": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
        "oid": oid, "sub": format!("sub-of-{oid}"), "tid": tid,
        "preferred_username": username, "name": "Test User",
    })
}

/// A delegated token response as the Microsoft identity platform sends it.
pub fn user_token_response(
    access_token: &str,
    refresh_token: &str,
    oid: &str,
    tid: &str,
    username: &str,
    scope: &str,
) -> Value {
    json!({
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "id_token": jwt(&id_token_claims(oid, tid, username)),
        "client_info": client_info(oid, tid),
    })
}

/// An app-only token response.
pub fn app_token_response(access_token: &str) -> Value {
    json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access_token })
}

/// An HTTP client on a fake clock at [`NOW`], with no environment variables and fast retries.
pub fn http_client() -> (HttpClient, FakeTimer) {
    http_client_with(EnvVars::default())
}

/// [`http_client`] with the given environment variables.
pub fn http_client_with(env: EnvVars) -> (HttpClient, FakeTimer) {
    let (options, timer) = http_options(env);
    let client = HttpClient::new(options).unwrap_or_else(|e| panic!("test HTTP client: {e}"));
    (client, timer)
}

/// HTTP options on a fake clock at [`NOW`], with the given environment variables and fast retries.
pub fn http_options(env: EnvVars) -> (HttpOptions, FakeTimer) {
    let timer = FakeTimer::at_epoch(NOW);
    let options = HttpOptions {
        env,
        timer: Arc::new(timer.clone()),
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        },
        user_agent_suffix: None,
        ..HttpOptions::default()
    };
    (options, timer)
}

/// A [`Session`] on a fake clock at [`NOW`] with no environment variables: what product crates test with.
pub fn session() -> (Session, FakeTimer) {
    session_with(EnvVars::default())
}

/// [`session`] with the given environment variables; with `MSCONNECT_HOME` among them, its
/// `certificates/` is searched for certificates, as the command line maps it ([`mock::CertificateHome`]).
pub fn session_with(env: EnvVars) -> (Session, FakeTimer) {
    let certificates = env
        .get("MSCONNECT_HOME")
        .map(|home| std::path::PathBuf::from(home).join("certificates"));
    let (http, timer) = http_options(env);
    let options = SessionOptions {
        http,
        certificates,
        interaction: std::sync::Arc::new(auth_core::SilentInteraction),
        ..SessionOptions::default()
    };
    (Session::new(options), timer)
}

/// [`session_with`] whose token cache and contexts are files under `home` (as the command line keeps
/// them under `MSCONNECT_HOME`), so a second session on the same folder sees what the first saved.
pub fn session_in(home: &std::path::Path, env: EnvVars) -> (Session, FakeTimer) {
    let (http, timer) = http_options(env);
    let options = SessionOptions {
        http,
        cache: auth_core::TokenCache::open(home.join("msal_token_cache.json")),
        saved: Some(saved::TestStore::shared(home.join("contexts"))),
        interaction: std::sync::Arc::new(auth_core::SilentInteraction),
        ..SessionOptions::default()
    };
    (Session::new(options), timer)
}

/// A built-in cloud whose authority host is `authority_host` (a mock server's URL); every other endpoint
/// is the cloud's own, so scopes built from them read as in production.
pub fn environment_at(cloud: Cloud, authority_host: &str) -> Environment {
    let mut environment = Environment::from(cloud);
    environment.authority_host =
        Url::parse(authority_host).unwrap_or_else(|e| panic!("mock server URL {authority_host}: {e}"));
    environment
}

/// The TEST-ONLY certificate of `tests/fixtures` (public, protecting nothing): its PEM and its key's PEM.
pub const TEST_CERTIFICATE_PEM: &str =
    include_str!("../../../crates/auth-core/tests/fixtures/test-only-rsa-leaf.cert.pem");
/// The TEST-ONLY private key of [`TEST_CERTIFICATE_PEM`].
pub const TEST_KEY_PEM: &str =
    include_str!("../../../crates/auth-core/tests/fixtures/test-only-rsa-leaf.pkcs8.pem");

/// Puts the TEST-ONLY certificate with its key in `store_dir` as `<THUMBPRINT>.pem` (the layout of
/// msconnect's own store, `$MSCONNECT_HOME/certificates`), and returns the thumbprint.
pub fn install_test_certificate(store_dir: &std::path::Path) -> String {
    let certificate = auth_core::Certificate::from_pem(TEST_CERTIFICATE_PEM, TEST_KEY_PEM, "test fixture")
        .unwrap_or_else(|e| panic!("the test certificate: {e}"));
    let thumbprint = certificate.thumbprint();
    std::fs::create_dir_all(store_dir).unwrap_or_else(|e| panic!("creating {}: {e}", store_dir.display()));
    let path = store_dir.join(format!("{thumbprint}.pem"));
    std::fs::write(&path, format!("{TEST_CERTIFICATE_PEM}{TEST_KEY_PEM}"))
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    thumbprint
}

/// The authorization code [`SignedInBrowser`] brings back.
pub const SIGNED_IN_CODE: &str = "the-code";

/// A browser with a signed-in user: given the sign-in's start address, it follows it to the authorize
/// URL, records the query, and answers straight into the loopback listener with [`SIGNED_IN_CODE`], the
/// request's `state` and the start address's cookie, as a real browser would after sign-in.
#[derive(Default, Clone)]
pub struct SignedInBrowser {
    /// The authorize request's query, once the browser was opened.
    pub query: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>,
}

impl SignedInBrowser {
    /// A mockito body for the token endpoint: `answer` with its ID token's `nonce` set to the one the
    /// authorize request carried.
    pub fn answer<R>(&self, answer: Value) -> impl Fn(&R) -> Vec<u8> + Send + Sync + 'static {
        let query = self.query.clone();
        move |_| {
            let mut answer = answer.clone();
            let nonce = query
                .lock()
                .map(|q| q.get("nonce").cloned().unwrap_or_default())
                .unwrap_or_default();
            let id_token = answer
                .get("id_token")
                .and_then(Value::as_str)
                .and_then(|t| auth_core::decode_jwt_payload(t, "ID token").ok());
            let mut claims = id_token.unwrap_or_else(|| json!({}));
            claims["nonce"] = json!(nonce);
            answer["id_token"] = json!(jwt(&claims));
            answer.to_string().into_bytes()
        }
    }

    /// `tenant`'s token endpoint on `authority`, answering one POST whose body matches `body` with
    /// `answer` as [`answer`](Self::answer) makes it.
    pub async fn token_endpoint(
        &self,
        authority: &mut mock::MockAuthority,
        tenant: &str,
        body: mockito::Matcher,
        answer: Value,
    ) -> mockito::Mock {
        authority
            .server
            .mock("POST", mock::token_path(tenant).as_str())
            .match_body(body)
            .with_body_from_request(self.answer(answer))
            .expect(1)
            .create_async()
            .await
    }

    /// The port of the redirect URI the browser was sent back to.
    pub fn redirect_port(&self) -> Option<u16> {
        let query = self.query.lock().ok()?;
        url::Url::parse(query.get("redirect_uri")?).ok()?.port()
    }
}

impl auth_core::BrowserOpener for SignedInBrowser {
    fn open(&self, url: &str) -> std::io::Result<()> {
        let start = url::Url::parse(url).map_err(std::io::Error::other)?;
        let port = start
            .port()
            .ok_or_else(|| std::io::Error::other("no port in the start address"))?;
        let path = start.path().to_owned();
        let seen = self.query.clone();
        std::thread::spawn(move || {
            let started = http_get(port, &path, None);
            let header = |name: &str| {
                started
                    .split("\r\n\r\n")
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|line| line.split_once(':'))
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim().to_owned())
            };
            let Some(authorize) = header("location").and_then(|l| url::Url::parse(&l).ok()) else {
                return;
            };
            let cookie = header("set-cookie")
                .and_then(|c| c.split(';').next().map(str::to_owned))
                .unwrap_or_default();
            let query: std::collections::BTreeMap<String, String> =
                authorize.query_pairs().into_owned().collect();
            let state = query.get("state").cloned().unwrap_or_default();
            if let Ok(mut seen) = seen.lock() {
                *seen = query;
            }
            http_get(
                port,
                &format!("/?code={SIGNED_IN_CODE}&state={state}"),
                Some(&cookie),
            );
        });
        Ok(())
    }
}

/// A GET to the loopback listener at `port`, with `cookie` (`name=value`) if given: the whole response,
/// or nothing when the connection fails.
fn http_get(port: u16, path: &str, cookie: Option<&str>) -> String {
    use std::io::{Read, Write};
    let mut response = String::new();
    if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let _ = write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\n{cookie}Connection: close\r\n\r\n"
        );
        let _ = stream.read_to_string(&mut response);
    }
    response
}

/// A clock whose sleeps never end: browser sign-in then waits on the real socket alone (the fake clock's
/// instant sleeps would fire its timeout at once).
#[derive(Debug, Clone, Copy)]
pub struct HeldTimer;

impl auth_core::Timer for HeldTimer {
    fn now(&self) -> std::time::SystemTime {
        auth_core::from_epoch_seconds(NOW)
    }

    fn sleep(&self, _: Duration) -> auth_core::Sleep {
        Box::pin(std::future::pending())
    }
}

/// A session like [`session_in`] whose browser is `browser`, on a [`HeldTimer`].
pub fn session_with_browser(home: &std::path::Path, env: EnvVars, browser: SignedInBrowser) -> Session {
    let (mut http, _) = http_options(env);
    http.timer = Arc::new(HeldTimer);
    Session::new(SessionOptions {
        http,
        cache: auth_core::TokenCache::open(home.join("msal_token_cache.json")),
        saved: Some(saved::TestStore::shared(home.join("contexts"))),
        interaction: Arc::new(auth_core::SilentInteraction),
        opener: Some(Arc::new(browser)),
        ..SessionOptions::default()
    })
}

/// A [`session_with_browser`] over a new temporary home: the session, its signed-in browser, and the home
/// (removed when dropped).
pub fn browser_session(env: EnvVars) -> (Session, SignedInBrowser, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary MSCONNECT_HOME: {e}"));
    let browser = SignedInBrowser::default();
    let session = session_with_browser(home.path(), env, browser.clone());
    (session, browser, home)
}

#[cfg(feature = "redis")]
pub use redis_server::RedisServer;

#[cfg(feature = "redis")]
mod redis_server {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// A `redis-server` of a test's own (Debian's package, which `cargo xtask test` installs): on a free
    /// loopback port, persisting nothing, killed when dropped. `MSCONNECT_REDIS_SERVER` names another
    /// binary.
    #[derive(Debug)]
    pub struct RedisServer {
        child: Option<Child>,
        port: u16,
        password: Option<String>,
        tls: bool,
    }

    impl RedisServer {
        /// A server without a password.
        pub fn start() -> Self {
            Self::start_with(None, None)
        }

        /// A server that requires `password` (`requirepass`).
        pub fn with_password(password: &str) -> Self {
            Self::start_with(Some(password), None)
        }

        /// A server that speaks only TLS, with this PEM certificate and key (clients need not present
        /// one); its [`url`](Self::url) is `rediss://`. [`connection`](Self::connection) is for plain
        /// servers only.
        pub fn with_tls(certificate: &Path, key: &Path) -> Self {
            Self::start_with(None, Some((certificate, key)))
        }

        fn start_with(password: Option<&str>, tls: Option<(&Path, &Path)>) -> Self {
            let binary = std::env::var_os("MSCONNECT_REDIS_SERVER")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("redis-server"));
            // A free port can be taken by someone else before the server binds it: try a few.
            for _ in 0..5 {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|listener| listener.local_addr())
                    .map(|address| address.port())
                    .unwrap_or_else(|e| panic!("no free loopback port for redis-server: {e}"));
                let mut command = Command::new(&binary);
                match tls {
                    None => command.args(["--port", &port.to_string()]),
                    Some((certificate, key)) => command
                        .args([
                            "--port",
                            "0",
                            "--tls-port",
                            &port.to_string(),
                            "--tls-auth-clients",
                            "no",
                        ])
                        .arg("--tls-cert-file")
                        .arg(certificate)
                        .arg("--tls-key-file")
                        .arg(key),
                };
                command
                    .args(["--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no", "--logfile", ""])
                    .arg("--dir")
                    .arg(std::env::temp_dir())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                if let Some(password) = password {
                    command.args(["--requirepass", password]);
                }
                let child = command.spawn().unwrap_or_else(|e| {
                    panic!(
                        "cannot start {}: {e}; install Debian's redis-server (`cargo xtask test` does)",
                        binary.display()
                    )
                });
                let mut server = Self {
                    child: Some(child),
                    port,
                    password: password.map(str::to_owned),
                    tls: tls.is_some(),
                };
                if server.wait_until_ready() {
                    return server;
                }
                server.stop();
            }
            panic!("redis-server did not start on any of 5 free ports")
        }

        /// Waits (real time: it is a real process) until the server answers PING, or it exits.
        fn wait_until_ready(&mut self) -> bool {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Some(child) = &mut self.child
                    && matches!(child.try_wait(), Ok(Some(_)))
                {
                    return false;
                }
                if self.tls {
                    // the test's own client does not trust the certificate: a listening port will do
                    if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                        return true;
                    }
                } else if let Ok(mut connection) = self.try_connection() {
                    let pong: redis::RedisResult<String> = redis::cmd("PING").query(&mut connection);
                    if pong.is_ok() {
                        return true;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        }

        fn try_connection(&self) -> redis::RedisResult<redis::Connection> {
            redis::Client::open(self.url_with_password())?.get_connection_with_timeout(Duration::from_secs(2))
        }

        /// The port it listens on (127.0.0.1).
        pub fn port(&self) -> u16 {
            self.port
        }

        /// `redis://127.0.0.1:<port>` (`rediss://` with TLS), without the password.
        pub fn url(&self) -> String {
            let scheme = if self.tls { "rediss" } else { "redis" };
            format!("{scheme}://127.0.0.1:{}", self.port)
        }

        /// The URL with the password in it, when the server has one.
        pub fn url_with_password(&self) -> String {
            match &self.password {
                Some(password) => {
                    let scheme = if self.tls { "rediss" } else { "redis" };
                    format!("{scheme}://:{password}@127.0.0.1:{}", self.port)
                }
                None => self.url(),
            }
        }

        /// A connection of the test's own, to look at what the cache stored.
        pub fn connection(&self) -> redis::Connection {
            self.try_connection()
                .unwrap_or_else(|e| panic!("connecting to the test redis-server on port {}: {e}", self.port))
        }

        /// Kills the server now (as a crash would) and waits for it to be gone.
        pub fn stop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            self.stop();
        }
    }
}

/// The client of [`large_cache`]'s sign-ins (the Azure CLI's, as PartnerCenter and SecMgmt use).
pub const LARGE_CACHE_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// The tenant of [`large_cache`]'s users.
pub const LARGE_CACHE_TENANT: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
/// The scope [`large_cache`]'s tokens were asked for.
pub const LARGE_CACHE_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The authority host of [`large_cache`]'s tokens.
pub const LARGE_CACHE_HOST: &str = "https://login.microsoftonline.com";

/// The `index`-th user's sign-in at `now` in [`large_cache`], with secrets as long as Microsoft's: an
/// access token of about 2 KB (a JWT with a 2048-bit signature), a refresh token of about 1.4 KB.
pub fn large_cache_sign_in(index: usize, now: i64) -> auth_core::TokenResult {
    let oid = format!("{index:08x}-0000-4000-8000-{index:012x}");
    let username = format!("user{index}@contoso.onmicrosoft.com");
    // Graph's tokens carry about forty claims; `scp` and `wids` make up most of the length.
    let scp = "AuditLog.Read.All Directory.AccessAsUser.All Directory.ReadWrite.All Group.ReadWrite.All \
               IdentityRiskEvent.Read.All Policy.Read.All Reports.Read.All RoleManagement.ReadWrite.Directory \
               User.ReadWrite.All UserAuthenticationMethod.ReadWrite.All openid profile email";
    let claims = json!({
        "aud": "00000003-0000-0000-c000-000000000000",
        "iss": format!("https://sts.windows.net/{LARGE_CACHE_TENANT}/"),
        "iat": now, "nbf": now, "exp": now + 3600,
        "acct": 0, "acr": "1", "aio": b64(&filler(index, 90)),
        "amr": ["pwd", "mfa"], "app_displayname": "Microsoft Azure CLI", "appid": LARGE_CACHE_CLIENT_ID,
        "appidacr": "0", "family_name": "User", "given_name": format!("Test {index}"),
        "idtyp": "user", "ipaddr": "203.0.113.7", "name": format!("Test User {index}"),
        "oid": oid, "platf": "14", "puid": format!("1003{index:012X}"),
        "rh": b64(&filler(index + 1, 40)), "scp": scp,
        "sid": format!("{index:08x}-1111-4000-8000-{index:012x}"),
        "sub": b64(&filler(index + 2, 32)), "tenant_region_scope": "EU", "tid": LARGE_CACHE_TENANT,
        "unique_name": username, "upn": username, "uti": b64(&filler(index + 3, 16)), "ver": "1.0",
        "wids": ["62e90394-69f5-4237-9190-012177145e10", "b79fbf4d-3ef9-4689-8143-76b194e85509"],
        "xms_ftd": b64(&filler(index + 4, 48)), "xms_idrel": "1 20", "xms_st": { "sub": b64(&filler(index + 5, 32)) },
        "xms_tcdt": 1_600_000_000,
    });
    let access_token = format!(
        "{}.{}.{}",
        b64(br#"{"typ":"JWT","nonce":"bench","alg":"RS256","x5t":"bench","kid":"bench"}"#),
        b64(claims.to_string().as_bytes()),
        b64(&filler(index, 256))
    );
    let refresh_token = format!("1.A{index:x}.{}", b64(&filler(index + 6, 1050)));
    let response = user_token_response(
        &access_token,
        &refresh_token,
        &oid,
        LARGE_CACHE_TENANT,
        &username,
        LARGE_CACHE_SCOPE,
    );
    let authority = auth_core::Authority::from_host(
        LARGE_CACHE_HOST,
        &auth_core::Tenant::parse(LARGE_CACHE_TENANT).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let client_id = auth_core::ClientId::parse(LARGE_CACHE_CLIENT_ID).unwrap_or_else(|e| panic!("{e}"));
    auth_core::TokenResult::from_response(
        &response,
        &authority,
        &client_id,
        &[LARGE_CACHE_SCOPE.to_owned()],
        auth_core::from_epoch_seconds(now),
    )
    .unwrap_or_else(|e| panic!("the sign-in of user {index}: {e}"))
}

/// A cache file's text holding `accounts` users (each with an access, refresh and ID token and an
/// account entry) signed in at `now`, exactly as [`auth_core::TokenCache::save_at`] writes them one by one
/// with the `authorization_code` grant: for benchmarks and tests of large caches.
pub fn large_cache(accounts: usize, now: i64) -> Vec<u8> {
    let sign_ins: Vec<_> = (0..accounts).map(|i| large_cache_sign_in(i, now)).collect();
    auth_core::file_text_of(
        &sign_ins,
        &[LARGE_CACHE_SCOPE.to_owned()],
        Some("authorization_code"),
        now,
    )
}

/// `len` bytes that differ from one `seed` to the next (stand-ins for random parts of tokens).
fn filler(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| (k.wrapping_mul(31) ^ seed.wrapping_mul(2_654_435_761)) as u8)
        .collect()
}

/// A mockito matcher for a form body (`application/x-www-form-urlencoded`) holding every one of `pairs`;
/// other fields may be there too.
pub fn form(pairs: &[(&str, &str)]) -> mockito::Matcher {
    mockito::Matcher::AllOf(
        pairs
            .iter()
            .map(|(k, v)| mockito::Matcher::UrlEncoded((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}
