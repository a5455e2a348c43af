//! The cache at rest in `cargo xtask bench` (issue 25): a cached `msconnect <module> token` from the same
//! one-account cache kept plain (`MSCONNECT_CACHE_PROTECTION=none`), sealed under a key the kernel
//! keyring keeps (`kernel`), and sealed under a key gnome-keyring keeps on a private session bus
//! (`keyring`), run alternately; medians and the ratio to plain. The goal: the kernel keyring's at most
//! 1.5x plain.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Runs, check, output_of, timed};

/// The most a sealed cache may cost a cached `token`, against plain.
pub(super) const GOAL_RATIO: f64 = 1.5;

/// The measured protections: the word, what it is, and its runs.
pub(super) struct Protections {
    rows: Vec<(&'static str, &'static str, Runs)>,
    /// Why the Secret Service was not measured, if it was not.
    skipped: Option<String>,
}

pub(super) fn measure(target: &Path, module: &str, runs: usize) -> Result<Protections, String> {
    let bus = PrivateKeyring::start(&target.join("bench/keyring"));
    let (bus, skipped) = match bus {
        Ok(bus) => (Some(bus), None),
        Err(why) => (None, Some(why)),
    };
    let mut kinds = vec![
        ("none", "plain JSON"),
        ("kernel", "AES-256-GCM, key in the kernel keyring"),
    ];
    if bus.is_some() {
        kinds.push((
            "keyring",
            "AES-256-GCM, key in gnome-keyring (Secret Service, D-Bus)",
        ));
    }
    let fixture = target.join("release/examples/bench_fixture");
    let mut commands = Vec::new();
    for (word, _) in &kinds {
        let dir = target.join(format!("bench/protection-{word}"));
        let _ = std::fs::remove_dir_all(&dir);
        let dir_arg = dir.to_string_lossy().into_owned();
        let mut make = Command::new(&fixture);
        make.args([dir_arg.as_str(), "1", module, word]);
        let mut token = Command::new(target.join("release/msconnect"));
        token
            .args([module, "token"])
            .env("MSCONNECT_HOME", &dir)
            .env("MSCONNECT_CACHE_PROTECTION", word)
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        if let Some(bus) = &bus {
            make.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
            token.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
        }
        let expected = output_of(&mut make)?;
        commands.push((token, expected));
    }
    eprintln!("bench: a cached token, plain and sealed, {runs} runs each");
    for _ in 0..3 {
        for (command, expected) in &mut commands {
            check(expected, &output_of(command)?, "msconnect")?;
        }
    }
    let mut times = vec![Vec::with_capacity(runs); commands.len()];
    for _ in 0..runs {
        for ((command, expected), times) in commands.iter_mut().zip(&mut times) {
            times.push(timed(command, expected, "msconnect")?);
        }
    }
    let rows = kinds
        .into_iter()
        .zip(times)
        .map(|((word, what), times)| {
            (
                word,
                what,
                Runs {
                    times,
                    peak_rss_kb: None,
                },
            )
        })
        .collect();
    Ok(Protections { rows, skipped })
}

impl Protections {
    /// The section of BENCHMARKS.md, and the goal's row: (measured, met).
    pub(super) fn markdown(&self, module: &str, runs: usize) -> (String, String, Option<bool>) {
        let mut out = String::new();
        out.push_str("## The cache at rest: a cached token, plain and sealed\n\n");
        out.push_str(&format!(
            "`msconnect {module} token` from the same one-account cache kept as `MSCONNECT_CACHE_PROTECTION` \
             says, {runs} alternating runs of each after 3 warm-up runs (the bench's private gnome-keyring on \
             a D-Bus of its own for `keyring`).\n\n"
        ));
        out.push_str("| protection | file | median (min) | against plain |\n|---|---|---|---|\n");
        let plain = self.median("none");
        for (word, what, runs) in &self.rows {
            out.push_str(&format!(
                "| `{word}` | {what} | {:.2} ms ({:.2}) | {:.2}x |\n",
                runs.median_ms(),
                runs.min_ms(),
                runs.median_ms() / plain.unwrap_or(f64::NAN)
            ));
        }
        if let Some(why) = &self.skipped {
            out.push_str(&format!("\nThe Secret Service was not measured: {why}.\n"));
        }
        out.push('\n');
        let ratio = self
            .median("kernel")
            .zip(plain)
            .map(|(kernel, plain)| kernel / plain);
        (
            out,
            ratio.map_or("-".into(), |r| format!("{r:.2}x")),
            ratio.map(|r| r <= GOAL_RATIO),
        )
    }

    fn median(&self, word: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|(w, _, _)| *w == word)
            .map(|(_, _, runs)| runs.median_ms())
    }
}

/// A dbus-daemon and a gnome-keyring with an unlocked login keyring, in `dir`, killed when dropped.
struct PrivateKeyring {
    children: Vec<Child>,
    address: String,
}

impl PrivateKeyring {
    fn start(dir: &Path) -> Result<Self, String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir.join("run")).map_err(|e| e.to_string())?;
        let spawn = |command: &mut Command, name: &str| {
            command
                .spawn()
                .map_err(|e| format!("{name} could not be started ({e}); `cargo xtask test` installs it"))
        };
        let mut bus = spawn(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .arg(format!("--address=unix:path={}", dir.join("bus").display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
            "dbus-daemon",
        )?;
        let mut line = String::new();
        let stdout = bus.stdout.take().ok_or("dbus-daemon has no stdout")?;
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .map_err(|e| e.to_string())?;
        let mut this = Self {
            children: vec![bus],
            address: line.trim().to_owned(),
        };
        let mut keyring = spawn(
            Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--unlock", "--components=secrets"])
                .env("DBUS_SESSION_BUS_ADDRESS", &this.address)
                .env("HOME", dir)
                .env("XDG_DATA_HOME", dir.join("data"))
                .env("XDG_RUNTIME_DIR", dir.join("run"))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "gnome-keyring-daemon",
        )?;
        if let Some(mut stdin) = keyring.stdin.take() {
            let _ = stdin.write_all(b"bench-only-password");
        }
        this.children.push(keyring);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut probe = Command::new("secret-tool");
            probe
                .args(["store", "--label=probe", "application", "msconnect-bench-probe"])
                .env("DBUS_SESSION_BUS_ADDRESS", &this.address)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let stored = probe.spawn().and_then(|mut child| {
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(b"probe")?;
                }
                child.wait()
            });
            if stored.is_ok_and(|status| status.success()) {
                return Ok(this);
            }
            if Instant::now() > deadline {
                return Err("gnome-keyring did not answer on the private bus within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
