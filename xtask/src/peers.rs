//! The test peers of the end-to-end suites, installed into `target/peers/`: the npm packages
//! (oidc-provider, playwright-core) from `tests/peers/package-lock.json`, a Python venv with MSAL Python
//! and azure-identity from `tests/peers/requirements.txt`, Debian's Chromium and curl, and Debian's
//! kubectl and git when the machine has none. Each install leaves a stamp recording what it pinned; a
//! matching stamp skips it, so a warm run costs milliseconds.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::project_root;

const CHROMIUM: &str = "/usr/bin/chromium";
const CURL: &str = "/usr/bin/curl";
const STAMP: &str = ".msconnect-peers-stamp";

/// Installs what is missing and returns the folder the peers are in (`MSCONNECT_PEERS_DIR` of the tests).
pub(crate) fn install() -> Result<PathBuf, String> {
    let root = project_root();
    let sources = root.join("tests").join("peers");
    let dir = root.join("target").join("peers");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    timed("node peers", || install_node(&sources, &dir.join("node")))?;
    timed("python venv", || install_venv(&sources, &dir.join("venv")))?;
    timed("chromium", install_chromium)?;
    timed("kubectl and git", install_kubectl_and_git)?;
    Ok(dir)
}

/// What one install did.
enum Outcome {
    Installed(String),
    Present(String),
}

fn timed(name: &str, install: impl FnOnce() -> Result<Outcome, String>) -> Result<(), String> {
    let started = Instant::now();
    let outcome = install().map_err(|e| format!("installing the test peer {name}: {e}"))?;
    let (verb, what) = match outcome {
        Outcome::Installed(what) => ("installed", what),
        Outcome::Present(what) => ("already present", what),
    };
    eprintln!(
        "peers: {name} ({what}) {verb} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `npm ci` of the committed manifests in a copy of them, so the lock file decides every version.
fn install_node(sources: &Path, dir: &Path) -> Result<Outcome, String> {
    let manifest = read(&sources.join("package.json"))?;
    let lock = read(&sources.join("package-lock.json"))?;
    let node = version_of("node", &["--version"])?;
    let pins = top_level_pins(&manifest);
    let stamp = format!(
        "node {node}\n{pins}\nmanifests {:016x}\n",
        fnv1a(&[manifest.as_bytes(), lock.as_bytes()])
    );
    let summary = pins.replace('\n', ", ");
    if stamp_matches(dir, &stamp) && dir.join("node_modules").is_dir() {
        return Ok(Outcome::Present(summary));
    }
    reset(dir)?;
    write(&dir.join("package.json"), &manifest)?;
    write(&dir.join("package-lock.json"), &lock)?;
    quiet(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir),
    )?;
    write(&dir.join(STAMP), &stamp)?;
    Ok(Outcome::Installed(summary))
}

/// A venv with the pinned requirements; `pip install` there needs no root and touches nothing else.
fn install_venv(sources: &Path, dir: &Path) -> Result<Outcome, String> {
    let requirements_file = sources.join("requirements.txt");
    let requirements = read(&requirements_file)?;
    let python = version_of("python3", &["--version"])?;
    let stamp = format!("{python}\n{requirements}");
    let summary = requirements
        .lines()
        .find(|l| l.starts_with("msal=="))
        .unwrap_or("msal")
        .replace("==", " ");
    let venv_python = dir.join("bin").join("python");
    if stamp_matches(dir, &stamp) && venv_python.is_file() {
        return Ok(Outcome::Present(summary));
    }
    reset(dir)?;
    quiet(Command::new("python3").arg("-m").arg("venv").arg(dir))?;
    quiet(
        Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "-r",
            ])
            .arg(&requirements_file),
    )?;
    write(&dir.join(STAMP), &stamp)?;
    Ok(Outcome::Installed(summary))
}

/// Debian's Chromium (the one browser that installs here: test tools' own browser downloads fail), and
/// curl, the plainest browser of the suites (run as another user, it follows the sign-in's redirects).
fn install_chromium() -> Result<Outcome, String> {
    if Path::new(CHROMIUM).is_file() && Path::new(CURL).is_file() {
        return Ok(Outcome::Present(version_of(CHROMIUM, &["--version"])?));
    }
    let how = "apt-get update && apt-get install -y --no-install-recommends chromium curl";
    if version_of("id", &["-u"])? != "0" {
        return Err(format!(
            "{CHROMIUM} is missing and only root can install it: run `sudo sh -c '{how}'`"
        ));
    }
    // Another process may hold the dpkg lock for a while (unattended upgrades, a parallel install).
    let lock = ["-o", "DPkg::Lock::Timeout=600"];
    quiet(Command::new("apt-get").args(lock).args(["update", "-qq"]))?;
    quiet(
        Command::new("apt-get")
            .args(lock)
            .args([
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "chromium",
                "curl",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .map_err(|e| format!("{e}\n(the command was `{how}`)"))?;
    Ok(Outcome::Installed(version_of(CHROMIUM, &["--version"])?))
}

/// kubectl and git, the consumers of `token --output exec-credential` and `git-credential`: the
/// machine's, else Debian's (`kubernetes-client`, `git`).
fn install_kubectl_and_git() -> Result<Outcome, String> {
    let present = |program: &str, args: &[&str]| version_of(program, args).ok();
    let versions = |kubectl: &str, git: &str| format!("kubectl ({kubectl}), {git}");
    let kubectl_args = ["version", "--client"];
    if let (Some(kubectl), Some(git)) = (present("kubectl", &kubectl_args), present("git", &["--version"])) {
        return Ok(Outcome::Present(versions(&kubectl, &git)));
    }
    let how = "apt-get update && apt-get install -y --no-install-recommends kubernetes-client git";
    if version_of("id", &["-u"])? != "0" {
        return Err(format!(
            "kubectl or git is missing and only root can install them: run `sudo sh -c '{how}'`"
        ));
    }
    let lock = ["-o", "DPkg::Lock::Timeout=600"];
    quiet(Command::new("apt-get").args(lock).args(["update", "-qq"]))?;
    quiet(
        Command::new("apt-get")
            .args(lock)
            .args([
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "kubernetes-client",
                "git",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .map_err(|e| format!("{e}\n(the command was `{how}`)"))?;
    Ok(Outcome::Installed(versions(
        &version_of("kubectl", &kubectl_args)?,
        &version_of("git", &["--version"])?,
    )))
}

/// `"name version"` lines of the dependencies a `package.json` pins, sorted.
fn top_level_pins(manifest: &str) -> String {
    // Read by hand to keep xtask free of a JSON dependency: the manifest is ours and flat.
    let Some(start) = manifest.find("\"dependencies\"") else {
        return String::new();
    };
    let body = &manifest[start..];
    let body = &body[body.find('{').map_or(0, |i| i + 1)..body.find('}').unwrap_or(body.len())];
    let mut pins: Vec<String> = body
        .split(',')
        .filter_map(|entry| {
            let (name, version) = entry.split_once(':')?;
            let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
            Some(format!("{} {}", unquote(name), unquote(version)))
        })
        .collect();
    pins.sort();
    pins.join("\n")
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust releases, unlike `DefaultHasher`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn stamp_matches(dir: &Path, expected: &str) -> bool {
    std::fs::read_to_string(dir.join(STAMP)).is_ok_and(|found| found == expected)
}

/// Empties a peer's folder, so a half-finished install is never trusted.
fn reset(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The first line a command prints about itself (`v20.20.2`, `Python 3.11.7`).
fn version_of(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

/// Runs an installer with its output captured: shown only when it fails.
fn quiet(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = printed.lines().rev().take(40).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "{shown} failed ({}):\n{}",
        output.status,
        tail.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_names_the_pinned_packages_sorted() {
        let manifest =
            r#"{ "name": "x", "dependencies": { "playwright-core": "1.65.1", "oidc-provider": "8.8.1" } }"#;
        assert_eq!(
            top_level_pins(manifest),
            "oidc-provider 8.8.1\nplaywright-core 1.65.1"
        );
    }

    #[test]
    fn the_committed_manifest_pins_exact_versions() {
        let manifest = read(&project_root().join("tests/peers/package.json")).unwrap();
        let pins = top_level_pins(&manifest);
        assert!(pins.starts_with("oidc-provider 8."), "{pins}");
        for line in pins.lines() {
            let version = line.split(' ').nth(1).unwrap();
            assert!(
                version.chars().all(|c| c.is_ascii_digit() || c == '.'),
                "not an exact pin: {line}"
            );
        }
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // test vectors of the FNV reference
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"fo", b"obar"]), 0x8594_4171_f739_67e8);
    }
}
