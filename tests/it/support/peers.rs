//! The real test peers that `cargo xtask test` installs into `target/peers` (or `$MSCONNECT_PEERS_DIR`):
//! an oidc-provider 8 authority started per test on a free loopback port, headless Chromium as `$BROWSER`
//! (`tests/peers/browser/login.mjs`), MSAL Python in a venv, and the TLS and RSA material they need.
//!
//! A missing peer fails the test with the command that installs it; a peer that does not start fails it
//! with the peer's own output.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use auth_core::Url;

/// The oidc-provider peer's tenant: the path of its issuer (MSAL Python wants an authority with a path).
pub(crate) const TENANT_ID: &str = "ab35b41c-c523-48ec-ac32-d03f158b3197";
/// A scope the provider knows besides the OpenID ones, shaped like Microsoft's app-only scopes.
pub(crate) const APP_SCOPE: &str = "api://msconnect-peers/.default";
/// The Graph endpoint of the `Peers` environment the binary suites add: the provider knows its
/// `/.default` scope, so the sign-ins grant what msconnect asks for and refreshing it works.
pub(crate) const GRAPH_ENDPOINT: &str = "https://graph.peers.msconnect.test";
/// The public native client: no authentication; authorization code (PKCE), device code, refresh token;
/// redirect `http://localhost/` on any port.
pub(crate) const PUBLIC_CLIENT_ID: &str = "b024d7a0-9f8d-4c15-878f-e36eb22e3d38";
/// The confidential client authenticating with `client_secret_post`.
pub(crate) const SECRET_CLIENT_ID: &str = "9bfdb8ed-981a-4113-ac55-cdd68891deea";
/// The secret of [`SECRET_CLIENT_ID`] (a test value, known to the peer).
pub(crate) const CLIENT_SECRET: &str = "peer-test-only-secret-8c1f0f5e4b2a";
/// The confidential client authenticating with `private_key_jwt`; registered only when the provider is
/// started with [`OidcOptions::private_key_jwt_keys`].
pub(crate) const PRIVATE_KEY_JWT_CLIENT_ID: &str = "ac32fb6a-8809-4216-adf8-8091d6009d90";

/// How long a peer may take to start: generous, because `cargo test` runs suites side by side on two
/// cores, but bounded so a hung peer fails the test instead of the CI run.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests member lives in the workspace")
        .to_path_buf()
}

/// Where the peers are installed: `$MSCONNECT_PEERS_DIR`, else `<workspace>/target/peers`.
pub(crate) fn peers_dir() -> PathBuf {
    std::env::var_os("MSCONNECT_PEERS_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target").join("peers"))
}

/// `tests/peers`, where the peers' programs and manifests are.
pub(crate) fn peer_sources() -> PathBuf {
    workspace_root().join("tests").join("peers")
}

/// Fails the test unless `path` (a part of a peer) exists.
fn require_peer(name: &str, path: &Path) {
    assert!(
        path.exists(),
        "the test peer {name} is missing ({} does not exist): run `cargo xtask test`, which installs the test peers",
        path.display()
    );
}

/// Fails the test unless the npm peer `package` is installed.
fn require_npm_peer(package: &str) {
    require_peer(
        package,
        &peers_dir().join("node").join("node_modules").join(package),
    );
}

/// The command to put in `$BROWSER`: `tests/peers/browser/login.mjs`, which takes the URL as its last
/// argument, plays the user in headless Chromium (browser sign-in or device code; see the script's
/// header for its `MSCONNECT_BROWSER_*` variables) and exits 0.
pub(crate) fn chromium_browser_command() -> String {
    require_npm_peer("playwright-core");
    require_peer("chromium", Path::new("/usr/bin/chromium"));
    peer_sources()
        .join("browser")
        .join("login.mjs")
        .display()
        .to_string()
}

/// The Python of the venv that holds MSAL Python.
pub(crate) fn msal_python() -> PathBuf {
    let python = peers_dir().join("venv").join("bin").join("python");
    require_peer("MSAL Python (venv)", &python);
    python
}

/// A PEM certificate and its private key, in files.
#[derive(Debug, Clone)]
pub(crate) struct PemFiles {
    /// The certificate.
    pub(crate) cert: PathBuf,
    /// Its private key (PKCS#8).
    pub(crate) key: PathBuf,
}

/// TLS material for an https peer: a test CA and a server certificate it signed for `localhost` and
/// `127.0.0.1`.
#[derive(Debug, Clone)]
pub(crate) struct TestTls {
    /// The CA certificate: what `SSL_CERT_FILE` (msconnect) or `REQUESTS_CA_BUNDLE` (MSAL Python) trusts.
    pub(crate) ca_cert: PathBuf,
    /// The server's certificate and key.
    pub(crate) server: PemFiles,
}

impl TestTls {
    /// Writes a new CA and server certificate into `dir`.
    pub(crate) fn generate(dir: &Path) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "msconnect test peers CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "localhost");
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();

        let tls = Self {
            ca_cert: dir.join("ca.pem"),
            server: PemFiles {
                cert: dir.join("server.pem"),
                key: dir.join("server-key.pem"),
            },
        };
        std::fs::write(&tls.ca_cert, ca_cert.pem()).unwrap();
        std::fs::write(&tls.server.cert, cert.pem()).unwrap();
        write_private(&tls.server.key, key.serialize_pem());
        tls
    }
}

/// An RSA key (made by the Node peer: ring cannot make RSA keys) and a self-signed certificate for it,
/// made with rcgen: the credential of the `private_key_jwt` client. The provider accepts the certificate
/// file as that client's keys.
pub(crate) fn rsa_client_certificate(dir: &Path, common_name: &str) -> PemFiles {
    require_peer("node", &peers_dir().join("node"));
    let output = Command::new("node")
        .args([
            "--input-type=module",
            "-e",
            "import { generateKeyPairSync } from 'node:crypto';
             const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
             process.stdout.write(privateKey.export({ type: 'pkcs8', format: 'pem' }));",
        ])
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "node could not make an RSA key: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key_pem = String::from_utf8(output.stdout).unwrap();
    let key = rcgen::KeyPair::from_pem(&key_pem).expect("node's PKCS#8 RSA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let cert = params.self_signed(&key).unwrap();
    let files = PemFiles {
        cert: dir.join("client.pem"),
        key: dir.join("client-key.pem"),
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    write_private(&files.key, key_pem.as_bytes());
    files
}

/// The certificate and key of `files` as a PKCS#12 (PFX) file sealed with `password`, what
/// `--certificate-path` reads (written with p12-keystore, auth-core's own PFX reader's crate).
pub(crate) fn pkcs12_file(files: &PemFiles, password: &str, path: &Path) {
    use base64::Engine as _;
    use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
    let der = |pem: &Path| {
        let text = std::fs::read_to_string(pem).unwrap();
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD.decode(body).unwrap()
    };
    let certificate = p12_keystore::Certificate::from_der(&der(&files.cert)).unwrap();
    let key = p12_keystore::PrivateKey::from_der(&der(&files.key)).unwrap();
    let mut store = KeyStore::new();
    store.add_entry(
        "client",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new("client-key", key, vec![certificate])),
    );
    write_private(path, store.writer(password).write().unwrap());
}

/// Private keys are mode 0600, like every file holding a secret.
fn write_private(path: &Path, contents: impl AsRef<[u8]>) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(contents.as_ref()).unwrap();
}

/// Options of [`OidcProvider::start`].
#[derive(Debug, Clone, Default)]
pub(crate) struct OidcOptions {
    /// Serve https with this certificate instead of http.
    pub(crate) tls: Option<PemFiles>,
    /// The host name of the issuer URL (default `127.0.0.1`; the provider always listens there).
    pub(crate) issuer_host: Option<String>,
    /// A JWKS or PEM certificates: registers the `private_key_jwt` client with these keys.
    pub(crate) private_key_jwt_keys: Option<PathBuf>,
    /// Seconds a user's access token lives (the provider's default is an hour); under msconnect's
    /// 5-minute margin, every `token` renews it.
    pub(crate) access_token_ttl: Option<u32>,
}

/// A running oidc-provider (`tests/peers/oidc/provider.mjs`), stopped when dropped.
pub(crate) struct OidcProvider {
    child: Child,
    // Held open: the provider exits when its standard input closes, so it dies with the test process.
    // Also where `sync <n>` requests go (see [`OidcProvider::output`]).
    stdin: Mutex<Option<ChildStdin>>,
    issuer: Url,
    output: Arc<Mutex<String>>,
    // The last `synced <n>` the provider answered, and the number of the last request.
    synced: Arc<(Mutex<u64>, Condvar)>,
    sync_requests: AtomicU64,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl OidcProvider {
    /// Starts a provider on a free loopback port and waits for its `READY <issuer>` line; fails the test
    /// with the provider's output when it does not start.
    pub(crate) fn start(options: OidcOptions) -> Self {
        require_npm_peer("oidc-provider");
        let script = peer_sources().join("oidc").join("provider.mjs");
        let mut command = Command::new("node");
        command
            .arg(&script)
            .env("MSCONNECT_PEERS_DIR", peers_dir())
            .env("PORT", "0")
            .env("EXIT_WITH_STDIN", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(tls) = &options.tls {
            command.env("TLS_CERT", &tls.cert).env("TLS_KEY", &tls.key);
        }
        if let Some(host) = &options.issuer_host {
            command.env("ISSUER_HOST", host);
        }
        if let Some(keys) = &options.private_key_jwt_keys {
            command.env("OIDC_PRIVATE_KEY_JWT_JWKS", keys);
        }
        if let Some(seconds) = options.access_token_ttl {
            command.env("ACCESS_TOKEN_TTL", seconds.to_string());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {}: {e}", script.display()));

        let output = Arc::new(Mutex::new(String::new()));
        let (ready, ready_line) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let log = output.clone();
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                log.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(issuer) = line.strip_prefix("READY ") {
                    let _ = ready.send(issuer.to_owned());
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        let log = output.clone();
        let synced = Arc::new((Mutex::new(0), Condvar::new()));
        let answered = synced.clone();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line);
                match line
                    .strip_prefix("provider.mjs: synced ")
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    Some(n) => {
                        *answered.0.lock().unwrap() = n;
                        answered.1.notify_all();
                    }
                    None => log.lock().unwrap().push_str(&format!("{line}\n")),
                }
            }
        });

        let mut provider = Self {
            stdin: Mutex::new(child.stdin.take()),
            child,
            issuer: Url::parse("http://127.0.0.1/").unwrap(),
            output,
            synced,
            sync_requests: AtomicU64::new(0),
            readers: vec![stdout_reader, stderr_reader],
        };
        match ready_line.recv_timeout(START_TIMEOUT) {
            Ok(issuer) => {
                provider.issuer = Url::parse(&issuer).unwrap_or_else(|e| {
                    provider.fail(&format!("announced an issuer that is not a URL ({e})"))
                });
                provider
            }
            // its stdout closed: it is exiting
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let why = match provider.child.wait() {
                    Ok(status) => format!("exited ({status}) before it was ready"),
                    Err(e) => format!("closed its output before it was ready ({e})"),
                };
                provider.fail(&why)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                provider.fail(&format!("was not ready within {START_TIMEOUT:?}"))
            }
        }
    }

    /// A provider MSAL Python can reach (it refuses http): https with the server certificate of a new test
    /// CA written into `dir`, the issuer host `localhost`.
    pub(crate) fn start_https(dir: &Path) -> (TestTls, Self) {
        let tls = TestTls::generate(dir);
        let provider = Self::start(OidcOptions {
            tls: Some(tls.server.clone()),
            issuer_host: Some("localhost".into()),
            ..Default::default()
        });
        (tls, provider)
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // the readers end when the process's pipes close: then the output is complete
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        panic!("the oidc-provider peer {why}; its output:\n{}", self.output());
    }

    /// The issuer URL (`http://127.0.0.1:<port>/<tenant>`, or https).
    pub(crate) fn issuer(&self) -> &Url {
        &self.issuer
    }

    /// The URL of the discovery document.
    pub(crate) fn discovery_url(&self) -> Url {
        Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            self.issuer.as_str().trim_end_matches('/')
        ))
        .unwrap()
    }

    /// The provider's view of a token (RFC 7662), asked as the confidential client: `active`,
    /// `client_id`, `sub`, `scope`.
    pub(crate) async fn introspect(&self, token: &str) -> serde_json::Value {
        let http = auth_core::HttpClient::new(auth_core::HttpOptions {
            env: auth_core::EnvVars::default(),
            ..Default::default()
        })
        .unwrap();
        let url = Url::parse(&format!("{}/token/introspection", self.issuer)).unwrap();
        let form = [
            ("client_id", SECRET_CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("token", token),
        ];
        let response = http.post_form(&url, &form).await.unwrap();
        serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("introspection answered {e}: {}", response.body))
    }

    /// Fails the test unless a peer's run against this provider (`who`: MSAL Python, login.mjs…)
    /// succeeded, with that peer's stderr and the provider's output, where its reasons are.
    pub(crate) fn assert_ran(&self, who: &str, output: &std::process::Output) {
        assert!(
            output.status.success(),
            "{who} failed: {}\n--- the provider said ---\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.output()
        );
    }

    /// Everything the provider printed so far (stdout, then stderr as it came): its reasons for refusing
    /// a request are there, and a line for each grant it served. Complete up to now: the provider is
    /// asked to answer a `sync` first, and its answer comes after every line it wrote before.
    pub(crate) fn output(&self) -> String {
        self.sync();
        self.output.lock().unwrap().clone()
    }

    /// The grants the provider served, in order: `<grant_type> for <client_id>`.
    pub(crate) fn grants(&self) -> Vec<String> {
        self.output()
            .lines()
            .filter_map(|line| line.strip_prefix("provider.mjs: grant.success: "))
            .map(str::to_owned)
            .collect()
    }

    /// Waits (bounded) until the stderr reader has seen the answer to a new `sync` request. A provider
    /// that is gone cannot answer: then there is nothing more to wait for.
    fn sync(&self) {
        use std::io::Write as _;
        let n = self.sync_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let sent = match self.stdin.lock().unwrap().as_mut() {
            Some(stdin) => writeln!(stdin, "sync {n}").and_then(|()| stdin.flush()).is_ok(),
            None => false,
        };
        if !sent {
            return;
        }
        let (answered, changed) = &*self.synced;
        let _ = changed
            .wait_timeout_while(answered.lock().unwrap(), START_TIMEOUT, |last| *last < n)
            .unwrap();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_constants_are_the_ones_the_provider_registers() {
        let text = std::fs::read_to_string(peer_sources().join("oidc").join("clients.json")).unwrap();
        let clients: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(clients["tenant"], TENANT_ID);
        assert_eq!(clients["app_scope"], APP_SCOPE);
        assert_eq!(clients["graph"], GRAPH_ENDPOINT);
        assert_eq!(clients["public"]["client_id"], PUBLIC_CLIENT_ID);
        assert_eq!(clients["public"]["redirect_uri"], "http://localhost/");
        assert_eq!(clients["secret"]["client_id"], SECRET_CLIENT_ID);
        assert_eq!(clients["secret"]["client_secret"], CLIENT_SECRET);
        assert_eq!(clients["private_key_jwt"]["client_id"], PRIVATE_KEY_JWT_CLIENT_ID);
    }

    #[test]
    fn a_provider_that_cannot_start_fails_with_its_own_output() {
        let missing = PathBuf::from("/nonexistent/server.pem");
        let options = OidcOptions {
            tls: Some(PemFiles {
                cert: missing.clone(),
                key: missing,
            }),
            ..Default::default()
        };
        let panic = std::panic::catch_unwind(|| OidcProvider::start(options))
            .err()
            .unwrap();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with(
                "the oidc-provider peer exited (exit status: 2) before it was ready; its output:"
            ),
            "{message}"
        );
        assert!(
            message.contains("provider.mjs: cannot read TLS_CERT '/nonexistent/server.pem'"),
            "{message}"
        );
    }
}
