//! `cargo xtask release [--dry-run]`: the gates, then what a user downloads.
//!
//! Steps: versions equal across the published crates and equal to the top entry of CHANGELOG.md (cheap,
//! so first); every gate of `cargo xtask test`; a release build of `msconnect`;
//! `target/dist/msconnect-<version>-<target>.tar.gz`, one top folder `msconnect-<version>-<target>/`
//! holding the binary, README.md, LICENSE, CHANGELOG.md, a completion script for every shell and the man
//! pages (`msconnect.1` and one a command), packed reproducibly (sorted entries, owner 0, the commit's
//! time) and checked after packing (its listing, and the binary in it printing the version); `SHA256SUMS` beside it, checked with `sha256sum`;
//! `cargo package` of every published crate in dependency order. Without `--dry-run` it then tags
//! `v<version>` and publishes; with it, it stops before both, and a changelog entry that is not ready for a
//! release (`## [Unreleased]`, no date) is a note instead of an error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{project_root, run};

/// The crates users can depend on, in dependency order (auth-core first, the binary last). Every other
/// workspace member must say `publish = false` (xtask, the `tests` suites, and `msconnect-test-support`,
/// which holds the mock matchers and the TEST-ONLY key no package may carry): see [`unlisted_publishable`].
const PUBLISHED: [&str; 7] = [
    "msconnect-auth-core",
    "msconnect-cmdlet",
    "msconnect-partnercenter",
    "msconnect-secmgmt",
    "msconnect-entra",
    "msconnect-psentra",
    "msconnect",
];

/// The files copied from the repository root into the archive.
const DOCS: [&str; 3] = ["README.md", "LICENSE", "CHANGELOG.md"];

/// `msconnect completions <shell>` for each shell it offers, and the file name each shell looks for.
const COMPLETIONS: [(&str, &str); 5] = [
    ("bash", "msconnect.bash"),
    ("zsh", "_msconnect"),
    ("fish", "msconnect.fish"),
    ("powershell", "_msconnect.ps1"),
    ("elvish", "msconnect.elv"),
];

/// The man pages' folder, filled by `msconnect man --out-dir`: `msconnect.1` and one page a command
/// (`msconnect-partnercenter-connect.1`, …), which the top page names.
const MAN_DIR: &str = "man";
/// The top man page, which must be there.
const MAN_PAGE: &str = "man/msconnect.1";

/// The binary's file name on the host.
const BINARY: &str = if cfg!(windows) {
    "msconnect.exe"
} else {
    "msconnect"
};

pub(crate) fn run_release(args: &[String]) -> Result<(), String> {
    let dry_run = match args {
        [] => false,
        [flag] if flag == "--dry-run" => true,
        _ => return Err(format!("usage: cargo xtask release [--dry-run] (got {args:?})")),
    };
    let root = project_root();
    if !dry_run {
        require_clean_tree(&root)?;
    }
    let version = consistent_version(&root, dry_run)?;
    eprintln!("release: version {version}");
    crate::test::run(&[])?;
    run(
        "cargo",
        &["build", "--release", "--locked", "--package", "msconnect"],
    )?;
    let target = host_target()?;
    let top = format!("msconnect-{version}-{target}");
    let target_dir = crate::target_dir()?;
    let binary = target_dir.join("release").join(BINARY);
    let stage_parent = target_dir.join("release-stage");
    let stage = fresh_dir(&stage_parent.join(&top))?;
    stage_files(&root, &binary, &stage, |args| {
        output(Command::new(&binary).args(args))
    })?;
    check_layout(&staged_entries(&stage_parent, &top)?, &top)?;
    let dist = target_dir.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let archive = dist.join(format!("{top}.tar.gz"));
    pack(&stage_parent, &top, &archive, source_date(&root)?)?;
    check_archive(&archive, &top, &version, &stage_parent.join("unpacked"))?;
    write_checksums(&dist, &archive)?;
    let mut package = vec!["package", "--locked"];
    if dry_run {
        package.push("--allow-dirty");
    }
    for name in PUBLISHED {
        package.extend(["--package", name]);
    }
    run("cargo", &package)?;
    if dry_run {
        eprintln!(
            "release: dry run done; {} and SHA256SUMS are in {} (not tagged, not published)",
            archive.file_name().unwrap_or_default().to_string_lossy(),
            dist.display()
        );
        return Ok(());
    }
    let tag = format!("v{version}");
    run(
        "git",
        &[
            "tag",
            "--annotate",
            &tag,
            "--message",
            &format!("msconnect {version}"),
        ],
    )?;
    // `cargo package` above built each crate from its package already; publishing the same files does
    // not need a second build. Each `cargo publish` waits until the crate before it is in the index.
    for name in PUBLISHED {
        run(
            "cargo",
            &["publish", "--locked", "--no-verify", "--package", name],
        )?;
    }
    eprintln!("release: {version} published; push the tag with `git push origin {tag}`");
    Ok(())
}

/// A real release is of a commit: what is packaged and tagged must be what is committed.
fn require_clean_tree(root: &Path) -> Result<(), String> {
    let status = output(
        Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(root),
    )?;
    if status.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the work tree has uncommitted changes; commit them first (or try `--dry-run`):\n{}",
            String::from_utf8_lossy(&status)
        ))
    }
}

/// The one version of every published crate, which CHANGELOG.md's top entry must name; prints the notes
/// of a dry run.
fn consistent_version(root: &Path, dry_run: bool) -> Result<String, String> {
    let metadata = output(
        Command::new("cargo")
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
            .current_dir(root),
    )?;
    let metadata = String::from_utf8_lossy(&metadata);
    let unlisted = unlisted_publishable(&metadata, &PUBLISHED)?;
    if !unlisted.is_empty() {
        return Err(format!(
            "{} can be published but is not released: add it to PUBLISHED in xtask/src/release.rs or set \
             `publish = false` in its Cargo.toml",
            unlisted.join(", ")
        ));
    }
    let versions = package_versions(&metadata, &PUBLISHED)?;
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md"))
        .map_err(|e| format!("reading CHANGELOG.md: {e}"))?;
    let (version, notes) = check_versions(&versions, &changelog, dry_run)?;
    for note in notes {
        eprintln!("release: note: {note}");
    }
    Ok(version)
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

/// The workspace members in `cargo metadata --no-deps` JSON that are not `names` and lack `publish =
/// false` (metadata's `"publish": []`): a test-support crate published by mistake, or a crate forgotten.
fn unlisted_publishable(metadata: &str, names: &[&str]) -> Result<Vec<String>, String> {
    let json: serde_json::Value =
        serde_json::from_str(metadata).map_err(|e| format!("cargo metadata output: {e}"))?;
    let packages = json["packages"]
        .as_array()
        .ok_or("cargo metadata output has no packages")?;
    Ok(packages
        .iter()
        .filter(|p| !p["publish"].as_array().is_some_and(Vec::is_empty))
        .filter_map(|p| p["name"].as_str())
        .filter(|name| !names.contains(name))
        .map(str::to_owned)
        .collect())
}

/// The first `## ` heading of a changelog.
#[derive(Debug, PartialEq)]
enum TopEntry {
    /// `## [Unreleased]`: changes not yet given a version.
    Unreleased,
    /// `## [1.2.0] - 2026-11-22`, `## 1.2.0`: the version, and whether a `YYYY-MM-DD` date follows it.
    Version { version: String, dated: bool },
}

fn top_entry(changelog: &str) -> Option<TopEntry> {
    let heading = changelog
        .lines()
        .find_map(|line| line.strip_prefix("## "))?
        .trim();
    let (name, rest) = match heading.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').unwrap_or((bracketed, "")),
        None => heading.split_once(' ').unwrap_or((heading, "")),
    };
    if name.eq_ignore_ascii_case("unreleased") {
        return Some(TopEntry::Unreleased);
    }
    let date = rest.trim().trim_start_matches(['-', '–']).trim();
    let dated = date.len() == 10
        && date.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    Some(TopEntry::Version {
        version: name.to_owned(),
        dated,
    })
}

/// Every version equal, and equal to the changelog's top entry, which a release needs versioned and
/// dated; returns the version and, for a dry run, what a real release would still refuse.
fn check_versions(
    versions: &[(String, String)],
    changelog: &str,
    dry_run: bool,
) -> Result<(String, Vec<String>), String> {
    let (first_name, version) = versions.first().ok_or("no package to release")?;
    if let Some((name, other)) = versions.iter().find(|(_, v)| v != version) {
        return Err(format!(
            "versions differ: {first_name} is {version} but {name} is {other}"
        ));
    }
    let not_ready = match top_entry(changelog).ok_or("CHANGELOG.md has no `## [version]` entry")? {
        TopEntry::Version { version: top, .. } if top != *version => {
            return Err(format!(
                "CHANGELOG.md's top entry is {top} but the crates are {version}: add a `## [{version}]` entry"
            ));
        }
        TopEntry::Version { dated: true, .. } => None,
        TopEntry::Version { dated: false, .. } => Some(format!(
            "CHANGELOG.md's top entry {version} has no release date: a release needs `## [{version}] - YYYY-MM-DD`"
        )),
        TopEntry::Unreleased => Some(format!(
            "CHANGELOG.md's top entry is `## [Unreleased]`: a release needs it named `## [{version}] - YYYY-MM-DD`"
        )),
    };
    match not_ready {
        Some(problem) if !dry_run => Err(problem),
        Some(problem) => Ok((version.clone(), vec![problem])),
        None => Ok((version.clone(), Vec::new())),
    }
}

fn host_target() -> Result<String, String> {
    let info = output(Command::new("rustc").arg("-vV"))?;
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV named no host target".into())
}

/// The seconds since 1970 every archive entry is dated: `SOURCE_DATE_EPOCH` when set, else the time of
/// the commit, so packing the same commit twice gives the same bytes.
fn source_date(root: &Path) -> Result<u64, String> {
    let text = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(set) => set,
        Err(_) => String::from_utf8_lossy(&output(
            Command::new("git")
                .args(["log", "-1", "--format=%ct"])
                .current_dir(root),
        )?)
        .into_owned(),
    };
    text.trim()
        .parse()
        .map_err(|e| format!("SOURCE_DATE_EPOCH / the commit time '{}': {e}", text.trim()))
}

/// Empties (or makes) a folder.
fn fresh_dir(dir: &Path) -> Result<PathBuf, String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("clearing {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// Fills `stage` with the archive's files: the binary and the docs copied, the completions and the man
/// pages made by `generate` (the binary run with the given arguments, returning its stdout; the man pages
/// it writes into the folder it is given).
fn stage_files(
    root: &Path,
    binary: &Path,
    stage: &Path,
    generate: impl Fn(&[&str]) -> Result<Vec<u8>, String>,
) -> Result<(), String> {
    copy(binary, &stage.join(BINARY))?;
    for file in DOCS {
        copy(&root.join(file), &stage.join(file))?;
    }
    for (shell, file) in COMPLETIONS {
        let text = generate(&["completions", shell])?;
        if text.is_empty() {
            return Err(format!("`msconnect completions {shell}` printed nothing"));
        }
        write(&stage.join("completions").join(file), &text)?;
    }
    let man = stage.join(MAN_DIR);
    generate(&["man", "--out-dir", &man.to_string_lossy()])?;
    if !stage.join(MAN_PAGE).is_file() {
        return Err(format!("`msconnect man --out-dir` wrote no {MAN_PAGE}"));
    }
    Ok(())
}

/// The entries a user sees in the archive (`tar --list`), in the order it holds them: the top folder, then
/// each folder's entries sorted by name, folders ending in `/`. `command_pages` are the man pages of the
/// commands (`msconnect-<command>.1`), which follow the command tree.
fn expected_entries(top: &str, command_pages: &[String]) -> Vec<String> {
    let mut files: Vec<String> = DOCS.iter().map(|f| (*f).to_owned()).collect();
    files.extend(COMPLETIONS.iter().map(|(_, f)| format!("completions/{f}")));
    files.extend([MAN_PAGE.to_owned(), BINARY.to_owned()]);
    files.extend(command_pages.iter().map(|page| format!("{MAN_DIR}/{page}")));
    let mut entries = vec![String::new()];
    for file in &files {
        if let Some((dir, _)) = file.rsplit_once('/') {
            entries.push(format!("{dir}/"));
        }
        entries.push(file.clone());
    }
    let mut entries: Vec<String> = entries.into_iter().map(|e| format!("{top}/{e}")).collect();
    entries.sort();
    entries.dedup();
    entries
}

/// The entries under `parent/top`, named and ordered as `tar --list` shows them.
fn staged_entries(parent: &Path, top: &str) -> Result<Vec<String>, String> {
    fn walk(dir: &Path, name: &str, out: &mut Vec<String>) -> Result<(), String> {
        out.push(format!("{name}/"));
        let mut children = std::fs::read_dir(dir)
            .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("reading {}: {e}", dir.display()))?;
        children.sort_by_key(|entry| entry.file_name());
        for child in children {
            let child_name = format!("{name}/{}", child.file_name().to_string_lossy());
            if child.path().is_dir() {
                walk(&child.path(), &child_name, out)?;
            } else {
                out.push(child_name);
            }
        }
        Ok(())
    }
    let mut entries = Vec::new();
    walk(&parent.join(top), top, &mut entries)?;
    Ok(entries)
}

/// `entries` (staged or packed) are exactly the archive's layout; else names what is missing or extra.
fn check_layout(entries: &[String], top: &str) -> Result<(), String> {
    let man = format!("{top}/{MAN_DIR}/");
    let command_pages: Vec<String> = entries
        .iter()
        .filter_map(|e| e.strip_prefix(&man))
        .filter(|page| page.starts_with("msconnect-") && page.ends_with(".1") && !page.contains('/'))
        .map(str::to_owned)
        .collect();
    let expected = expected_entries(top, &command_pages);
    let missing: Vec<&String> = expected.iter().filter(|e| !entries.contains(e)).collect();
    let extra: Vec<&String> = entries.iter().filter(|e| !expected.contains(e)).collect();
    if missing.is_empty() && extra.is_empty() && entries == expected {
        Ok(())
    } else {
        Err(format!(
            "the archive's layout is wrong: missing {missing:?}, unexpected {extra:?}, order {entries:?}"
        ))
    }
}

/// `tar | gzip -n` of `parent/top` into `archive`: entries sorted by name, owned by 0:0, dated `mtime`,
/// modes rw-r--r-- (rwxr-xr-x for folders and the binary), and no name or time in the gzip header, so
/// the same files give the same bytes. Needs GNU tar.
fn pack(parent: &Path, top: &str, archive: &Path, mtime: u64) -> Result<(), String> {
    let out = std::fs::File::create(archive).map_err(|e| format!("creating {}: {e}", archive.display()))?;
    let mut tar = Command::new("tar")
        .args([
            "--create",
            "--format=gnu",
            "--sort=name",
            &format!("--mtime=@{mtime}"),
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--mode=u+rwX,go+rX,go-w",
            "--file=-",
            "--directory",
        ])
        .arg(parent)
        .arg(top)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run tar (GNU tar is needed): {e}"))?;
    let tar_out = tar.stdout.take().ok_or("tar gave no output")?;
    let gzip = Command::new("gzip")
        .args(["--no-name", "--best"])
        .stdin(tar_out)
        .stdout(out)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run gzip: {e}"))?;
    let mut tar_errors = String::new();
    if let Some(mut stderr) = tar.stderr.take() {
        stderr.read_to_string(&mut tar_errors).ok();
    }
    let tar_status = tar.wait().map_err(|e| format!("waiting for tar: {e}"))?;
    if !tar_status.success() {
        return Err(format!("tar failed ({tar_status}): {tar_errors}"));
    }
    if !gzip.status.success() {
        return Err(format!(
            "gzip failed ({}): {}",
            gzip.status,
            String::from_utf8_lossy(&gzip.stderr)
        ));
    }
    Ok(())
}

/// What the packed archive lists, one entry a line.
fn archive_listing(archive: &Path) -> Result<Vec<String>, String> {
    let listing = output(
        Command::new("tar")
            .arg("--list")
            .arg("--gzip")
            .arg("--file")
            .arg(archive),
    )?;
    Ok(String::from_utf8_lossy(&listing)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// The archive as a user gets it: its listing is the layout, and the binary unpacked from it (into
/// `scratch`) prints the version.
fn check_archive(archive: &Path, top: &str, version: &str, scratch: &Path) -> Result<(), String> {
    check_layout(&archive_listing(archive)?, top)?;
    let unpacked = fresh_dir(scratch)?;
    output(
        Command::new("tar")
            .args(["--extract", "--gzip", "--file"])
            .arg(archive)
            .arg("--directory")
            .arg(&unpacked),
    )?;
    let printed = output(Command::new(unpacked.join(top).join(BINARY)).arg("--version"))?;
    std::fs::remove_dir_all(&unpacked).map_err(|e| format!("removing {}: {e}", unpacked.display()))?;
    check_version_output(&String::from_utf8_lossy(&printed), version)
}

fn check_version_output(printed: &str, version: &str) -> Result<(), String> {
    if printed.trim_end() == format!("msconnect {version}") {
        Ok(())
    } else {
        Err(format!(
            "the archived binary's --version printed '{}', not 'msconnect {version}'",
            printed.trim_end()
        ))
    }
}

/// The line `sha256sum` prints and `sha256sum --check` reads for `name` holding `bytes`.
fn checksum_line(bytes: &[u8], name: &str) -> String {
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}  {name}\n")
}

/// Writes `SHA256SUMS` beside the archive, then checks it as a user would (`sha256sum --check`).
fn write_checksums(dist: &Path, archive: &Path) -> Result<(), String> {
    let name = archive
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or("the archive name is not UTF-8")?;
    let bytes = std::fs::read(archive).map_err(|e| format!("reading {}: {e}", archive.display()))?;
    write(&dist.join("SHA256SUMS"), checksum_line(&bytes, name).as_bytes())?;
    let checked = output(
        Command::new("sha256sum")
            .args(["--check", "--strict", "SHA256SUMS"])
            .current_dir(dist),
    )?;
    eprint!("release: {}", String::from_utf8_lossy(&checked));
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copying {}: {e}", from.display()))
}

fn write(to: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(to, bytes).map_err(|e| format!("writing {}: {e}", to.display()))
}

/// What a command printed on stdout; when it fails (or cannot start), an error with what it printed on
/// stderr.
fn output(command: &mut Command) -> Result<Vec<u8>, String> {
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let done = command
        .output()
        .map_err(|e| format!("could not run `{shown}`: {e}"))?;
    if done.status.success() {
        Ok(done.stdout)
    } else {
        Err(format!(
            "`{shown}` failed ({}): {}",
            done.status,
            String::from_utf8_lossy(&done.stderr).trim_end()
        ))
    }
}

#[cfg(test)]
mod tests;
