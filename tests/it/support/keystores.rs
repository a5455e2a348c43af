//! The real keystores of the encrypted cache file, for the suites: gnome-keyring on a private session bus
//! (Debian's `dbus`, `gnome-keyring` and `libsecret-tools`, which `cargo xtask test` installs), and the
//! kernel keyring, whose keys a test removes when it is done. Files are looked through for tokens.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A session bus's configuration that starts no service on demand: only what is running answers. Its
/// `<listen/>` is replaced by the socket's address.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen/>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A `dbus-daemon` of the test's own and a gnome-keyring on it whose login keyring is unlocked, both in
/// a temporary folder (the keyring file too): nothing of the user's session is touched. Both are killed
/// when it is dropped.
pub(crate) struct PrivateKeyring {
    bus: Child,
    keyring: Option<Child>,
    address: String,
    dir: TempDir,
}

impl PrivateKeyring {
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        // A session bus without service activation: with the system's session configuration, the first
        // call to the Secret Service's name can start a second gnome-keyring (from gnome-keyring's
        // activation file) before ours has claimed the name, and ours then exits ("another secret service
        // is running"), which a loaded machine made happen.
        let config = dir.path().join("bus.conf");
        let listen = format!("<listen>unix:path={}</listen>", socket.display());
        std::fs::write(&config, BUS_CONFIG.replace("<listen/>", &listen)).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .args(["--nofork", "--print-address=1"])
            .arg(format!("--config-file={}", config.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting dbus-daemon (Debian's `dbus`; cargo xtask test installs it): {e}")
            });
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(bus.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        let mut this = Self {
            bus,
            keyring: None,
            address,
            dir,
        };
        this.start_keyring();
        this
    }

    fn start_keyring(&mut self) {
        let run = self.dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        // what the daemon says, for the failure below
        let log = self.dir.path().join("gnome-keyring.log");
        let mut keyring = self
            .command("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("XDG_RUNTIME_DIR", &run)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting gnome-keyring-daemon (Debian's `gnome-keyring`; cargo xtask test installs it): {e}")
            });
        // the login keyring's password, on standard input: it is created with it and unlocked
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-only-password").unwrap();
        drop(stdin);
        self.keyring = Some(keyring);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.answers() {
            if Instant::now() >= deadline {
                let exited = self.keyring.as_mut().and_then(|k| k.try_wait().ok().flatten());
                panic!(
                    "gnome-keyring did not come up on the private bus in 20 s (exited: {exited:?}); it said: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the Secret Service takes and gives back an item.
    fn answers(&self) -> bool {
        let stored = self
            .command("secret-tool")
            .args(["store", "--label=probe", "application", "msconnect-test-probe"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().unwrap().write_all(b"probe")?;
                child.wait()
            });
        stored.is_ok_and(|status| status.success())
    }

    /// A command run on the private bus, its `HOME` in the temporary folder.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"));
        command
    }

    /// The bus's address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// The secret of the item msconnect stored for the key `id`, as `secret-tool lookup` prints it.
    pub(crate) fn lookup(&self, id: &str) -> Vec<u8> {
        let output = self
            .command("secret-tool")
            .args(["lookup", "application", "msconnect", "msconnect-cache-key", id])
            .output()
            .unwrap();
        output.stdout
    }

    /// Stops gnome-keyring (the bus stays, and starts no other): the Secret Service is gone.
    pub(crate) fn stop_keyring(&mut self) {
        if let Some(mut keyring) = self.keyring.take() {
            let _ = keyring.kill();
            let _ = keyring.wait();
        }
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        self.stop_keyring();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// The first line of a sealed cache file: `msconnect-sealed-cache 1 aes-256-gcm <keystore> <key id>`.
pub(crate) fn header(cache: &Path) -> String {
    let bytes = std::fs::read(cache).unwrap();
    let end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len().min(80));
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The key id a sealed cache file names.
pub(crate) fn key_id(cache: &Path) -> String {
    header(cache).rsplit(' ').next().unwrap().to_owned()
}

/// Removes the key of a sealed cache file from the kernel keyring (the user's persistent keyring, where
/// msconnect keeps it): a test's cleanup, and a lost key. Whether there was one to remove.
pub(crate) fn forget_kernel_key(cache: &Path) -> bool {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    let description = format!("msconnect:cache-key:{}", key_id(cache));
    let ring = KeyRing::get_persistent(KeyRingIdentifier::Process)
        .or_else(|_| KeyRing::from_special_id(KeyRingIdentifier::User, false))
        .unwrap();
    match ring.search(&description) {
        Ok(key) => key.invalidate().is_ok(),
        Err(_) => false,
    }
}

/// Every file under `dir` whose bytes hold `needle`.
pub(crate) fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}
