//! `cargo xtask release [--dry-run]`: the gates, then a release archive a user downloads.
//!
//! Steps: every gate of `cargo xtask test`; versions equal across the publishable crates and equal to the
//! top entry of CHANGELOG.md; a release build of `msconnect`; `target/dist/msconnect-<version>-<target>.tar.gz`
//! holding the binary, README.md, LICENSE, CHANGELOG.md, shell completions and the man page, with
//! `SHA256SUMS` beside it (verified after writing); `cargo package` of each publishable crate in dependency
//! order. Without `--dry-run` it then tags `v<version>` and publishes; with it, it stops before both.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{project_root, run};

/// The crates users can depend on, in dependency order (auth-core first, the binary last).
const PUBLISHED: [&str; 6] = [
    "msconnect-auth-core",
    "msconnect-partnercenter",
    "msconnect-secmgmt",
    "msconnect-entra",
    "msconnect-psentra",
    "msconnect",
];

pub(crate) fn run_release(args: &[String]) -> Result<(), String> {
    let dry_run = match args {
        [] => false,
        [flag] if flag == "--dry-run" => true,
        _ => return Err(format!("usage: cargo xtask release [--dry-run] (got {args:?})")),
    };
    crate::test::run(&[])?;
    let root = project_root();
    let version = consistent_version(&root)?;
    eprintln!("release: version {version}");
    run(
        "cargo",
        &["build", "--release", "--locked", "--package", "msconnect"],
    )?;
    let target = host_target()?;
    let archive = build_archive(&root, &version, &target)?;
    write_checksums(&archive)?;
    let mut package = vec!["package", "--locked", "--allow-dirty"];
    for name in PUBLISHED {
        package.extend(["--package", name]);
    }
    run("cargo", &package)?;
    if dry_run {
        eprintln!(
            "release: dry run done; {} and SHA256SUMS are in target/dist (not tagged, not published)",
            archive.display()
        );
        return Ok(());
    }
    run(
        "git",
        &[
            "tag",
            "--annotate",
            &format!("v{version}"),
            "--message",
            &format!("msconnect {version}"),
        ],
    )?;
    for name in PUBLISHED {
        run("cargo", &["publish", "--locked", "--package", name])?;
    }
    Ok(())
}

/// The one version of every published crate, which CHANGELOG.md's top entry must name.
fn consistent_version(root: &Path) -> Result<String, String> {
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata = String::from_utf8_lossy(&output.stdout);
    let versions = package_versions(&metadata, &PUBLISHED)?;
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md"))
        .map_err(|e| format!("reading CHANGELOG.md: {e}"))?;
    check_versions(&versions, &changelog)
}

/// `(name, version)` of each named package in `cargo metadata` JSON.
fn package_versions(metadata: &str, names: &[&str]) -> Result<Vec<(String, String)>, String> {
    let json: serde_json::Value =
        serde_json::from_str(metadata).map_err(|e| format!("cargo metadata output: {e}"))?;
    let packages = json["packages"]
        .as_array()
        .ok_or("cargo metadata output has no packages")?;
    names
        .iter()
        .map(|name| {
            packages
                .iter()
                .find(|p| p["name"] == *name)
                .and_then(|p| p["version"].as_str())
                .map(|v| ((*name).to_owned(), v.to_owned()))
                .ok_or_else(|| format!("package {name} is not in the workspace"))
        })
        .collect()
}

/// Every version equal, and equal to the first `## [x.y.z]` (or `## x.y.z`) heading of the changelog.
fn check_versions(versions: &[(String, String)], changelog: &str) -> Result<String, String> {
    let (first_name, version) = versions.first().ok_or("no package to release")?;
    if let Some((name, other)) = versions.iter().find(|(_, v)| v != version) {
        return Err(format!(
            "versions differ: {first_name} is {version} but {name} is {other}"
        ));
    }
    let heading = changelog
        .lines()
        .find_map(|line| line.strip_prefix("## "))
        .ok_or("CHANGELOG.md has no `## [version]` entry")?;
    let top = heading
        .trim_start_matches('[')
        .split([']', ' '])
        .next()
        .unwrap_or_default();
    if top != version {
        return Err(format!(
            "CHANGELOG.md's top entry is {top} but the crates are {version}: add a `## [{version}]` entry"
        ));
    }
    Ok(version.clone())
}

fn host_target() -> Result<String, String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("could not run rustc: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV named no host target".into())
}

/// Stages the files and packs them; returns the archive's path.
fn build_archive(root: &Path, version: &str, target: &str) -> Result<PathBuf, String> {
    let dist = root.join("target/dist");
    let name = format!("msconnect-{version}-{target}");
    let stage = dist.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("clearing {}: {e}", stage.display()))?;
    }
    for dir in ["completions", "man"] {
        std::fs::create_dir_all(stage.join(dir)).map_err(|e| format!("creating {}: {e}", stage.display()))?;
    }
    let binary = root.join("target/release/msconnect");
    copy(&binary, &stage.join("msconnect"))?;
    for file in ["README.md", "LICENSE", "CHANGELOG.md"] {
        copy(&root.join(file), &stage.join(file))?;
    }
    for (shell, file) in [
        ("bash", "msconnect.bash"),
        ("zsh", "_msconnect"),
        ("fish", "msconnect.fish"),
        ("powershell", "_msconnect.ps1"),
    ] {
        capture(
            &binary,
            &["completions", shell],
            &stage.join("completions").join(file),
        )?;
    }
    capture(&binary, &["man"], &stage.join("man/msconnect.1"))?;
    let archive = dist.join(format!("{name}.tar.gz"));
    let status = Command::new("tar")
        .args(["--create", "--gzip", "--owner=0", "--group=0", "--file"])
        .arg(&archive)
        .arg("--directory")
        .arg(&dist)
        .arg(&name)
        .status()
        .map_err(|e| format!("could not run tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar failed ({status})"));
    }
    Ok(archive)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {}: {e}", from.display()))
}

/// Runs the release binary and saves what it prints.
fn capture(binary: &Path, args: &[&str], to: &Path) -> Result<(), String> {
    let output = Command::new(binary)
        .args(args)
        .output()
        .map_err(|e| format!("running msconnect {args:?}: {e}"))?;
    if !output.status.success() || output.stdout.is_empty() {
        return Err(format!(
            "`msconnect {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(to, output.stdout).map_err(|e| format!("writing {}: {e}", to.display()))
}

/// Writes `SHA256SUMS` beside the archive and checks it with `sha256sum --check`.
fn write_checksums(archive: &Path) -> Result<(), String> {
    let dir = archive.parent().ok_or("the archive has no folder")?;
    let file = archive
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or("the archive name is not UTF-8")?;
    let output = Command::new("sha256sum")
        .arg(file)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("could not run sha256sum: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "sha256sum failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(dir.join("SHA256SUMS"), &output.stdout).map_err(|e| format!("writing SHA256SUMS: {e}"))?;
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("could not run sha256sum: {e}"))?;
    if check.success() {
        Ok(())
    } else {
        Err("SHA256SUMS does not verify".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn equal_versions_matching_the_changelog_pass() {
        let v = versions(&[("a", "1.2.0"), ("b", "1.2.0")]);
        assert_eq!(
            check_versions(&v, "# Changelog\n\n## [1.2.0] - 2026-11-22\n\n## [1.1.0]\n").unwrap(),
            "1.2.0"
        );
        assert_eq!(check_versions(&v, "## 1.2.0\n").unwrap(), "1.2.0");
    }

    #[test]
    fn differing_versions_are_named() {
        let v = versions(&[("a", "1.2.0"), ("b", "1.3.0")]);
        assert_eq!(
            check_versions(&v, "## [1.2.0]").unwrap_err(),
            "versions differ: a is 1.2.0 but b is 1.3.0"
        );
    }

    #[test]
    fn a_changelog_behind_the_crates_is_refused() {
        let v = versions(&[("a", "1.3.0")]);
        assert_eq!(
            check_versions(&v, "## [1.2.0] - old").unwrap_err(),
            "CHANGELOG.md's top entry is 1.2.0 but the crates are 1.3.0: add a `## [1.3.0]` entry"
        );
        assert_eq!(
            check_versions(&v, "nothing").unwrap_err(),
            "CHANGELOG.md has no `## [version]` entry"
        );
    }

    #[test]
    fn the_workspace_itself_is_consistent() {
        // the real metadata and changelog of this repository agree with [workspace.package]
        let manifest = std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap();
        let section = &manifest[manifest.find("[workspace.package]").unwrap()..];
        let declared = section
            .lines()
            .find_map(|l| l.strip_prefix("version = "))
            .unwrap()
            .trim_matches('"');
        assert_eq!(consistent_version(&project_root()).unwrap(), declared);
    }

    #[test]
    fn versions_are_read_from_cargo_metadata() {
        let metadata = r#"{"packages":[{"name":"x","version":"0.3.1"},{"name":"y","version":"0.3.1"}]}"#;
        assert_eq!(
            package_versions(metadata, &["y"]).unwrap(),
            versions(&[("y", "0.3.1")])
        );
        assert_eq!(
            package_versions(metadata, &["z"]).unwrap_err(),
            "package z is not in the workspace"
        );
    }
}
