//! The release's parts that need no release build: the version and changelog check, the archive's layout,
//! modes, owners and dates from a staged folder of fake files, reproducible packing, the checksum file as
//! `sha256sum --check` reads it, and what `cargo package` ships.

use super::*;

fn versions(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

const TOP: &str = "msconnect-1.2.3-x86_64-unknown-linux-gnu";

#[test]
fn equal_versions_matching_a_dated_changelog_pass() {
    let v = versions(&[("a", "1.2.0"), ("b", "1.2.0")]);
    let changelog = "# Changelog\n\n## [1.2.0] - 2026-11-22\n\n## [1.1.0] - 2026-01-02\n";
    for dry_run in [false, true] {
        assert_eq!(
            check_versions(&v, changelog, dry_run).unwrap(),
            ("1.2.0".to_owned(), Vec::new())
        );
    }
}

#[test]
fn differing_versions_are_named() {
    let v = versions(&[("a", "1.2.0"), ("b", "1.3.0")]);
    assert_eq!(
        check_versions(&v, "## [1.2.0] - 2026-11-22", true).unwrap_err(),
        "versions differ: a is 1.2.0 but b is 1.3.0"
    );
}

#[test]
fn a_changelog_behind_the_crates_is_refused_even_in_a_dry_run() {
    let v = versions(&[("a", "1.3.0")]);
    for dry_run in [false, true] {
        assert_eq!(
            check_versions(&v, "## [1.2.0] - 2026-11-22", dry_run).unwrap_err(),
            "CHANGELOG.md's top entry is 1.2.0 but the crates are 1.3.0: add a `## [1.3.0]` entry"
        );
        assert_eq!(
            check_versions(&v, "nothing", dry_run).unwrap_err(),
            "CHANGELOG.md has no `## [version]` entry"
        );
    }
}

#[test]
fn an_unreleased_or_undated_top_entry_is_a_note_in_a_dry_run_and_refused_by_a_release() {
    let v = versions(&[("a", "0.1.0")]);
    let unreleased = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n## [0.0.9] - 2026-01-02\n";
    let message = "CHANGELOG.md's top entry is `## [Unreleased]`: a release needs it named \
                   `## [0.1.0] - YYYY-MM-DD`";
    assert_eq!(check_versions(&v, unreleased, false).unwrap_err(), message);
    assert_eq!(
        check_versions(&v, unreleased, true).unwrap(),
        ("0.1.0".to_owned(), vec![message.to_owned()])
    );

    let undated = "## [0.1.0] - unreleased\n";
    let message = "CHANGELOG.md's top entry 0.1.0 has no release date: a release needs \
                   `## [0.1.0] - YYYY-MM-DD`";
    assert_eq!(check_versions(&v, undated, false).unwrap_err(), message);
    assert_eq!(
        check_versions(&v, undated, true).unwrap(),
        ("0.1.0".to_owned(), vec![message.to_owned()])
    );
}

#[test]
fn top_entries_are_read_as_keep_a_changelog_writes_them() {
    let version = |v: &str, dated| TopEntry::Version {
        version: v.to_owned(),
        dated,
    };
    for (heading, expected) in [
        ("## [1.2.0] - 2026-11-22", version("1.2.0", true)),
        ("## [1.2.0] – 2026-11-22", version("1.2.0", true)),
        ("## 1.2.0 - 2026-11-22", version("1.2.0", true)),
        ("## 1.2.0", version("1.2.0", false)),
        ("## [0.1.0] - unreleased", version("0.1.0", false)),
        ("## [0.1.0] - 2026-1-2", version("0.1.0", false)),
        ("## [Unreleased]", TopEntry::Unreleased),
        ("## Unreleased", TopEntry::Unreleased),
    ] {
        let changelog =
            format!("# Changelog\n\nintro\n\n{heading}\n\n### Added\n\n## [0.0.1] - 2020-01-01\n");
        assert_eq!(top_entry(&changelog), Some(expected), "{heading}");
    }
    assert_eq!(top_entry("# Changelog\n### Added\n"), None);
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
    assert_eq!(consistent_version(&project_root(), true).unwrap(), declared);
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

#[test]
fn a_member_neither_released_nor_unpublished_is_named() {
    let metadata = r#"{"packages":[{"name":"x","publish":null},{"name":"support","publish":[]},
        {"name":"stray","publish":null},{"name":"registry","publish":["other"]}]}"#;
    assert_eq!(
        unlisted_publishable(metadata, &["x"]).unwrap(),
        ["stray", "registry"]
    );
}

#[test]
fn this_workspace_publishes_no_test_support() {
    let metadata = output(
        Command::new("cargo")
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
            .current_dir(project_root()),
    )
    .unwrap();
    let metadata = String::from_utf8(metadata).unwrap();
    assert_eq!(
        unlisted_publishable(&metadata, &PUBLISHED).unwrap(),
        Vec::<String>::new()
    );
    // and the test support is a member, so its publish = false is what keeps it out
    assert!(
        !unlisted_publishable(&metadata, &[])
            .unwrap()
            .contains(&"msconnect-test-support".to_owned())
    );
    assert!(metadata.contains(r#""name":"msconnect-test-support""#));
}

/// A repository root with the docs, a fake binary, and `parent/TOP` staged from them, the "binary"
/// printing `made by msconnect <args>` for each generated file.
fn fake_stage(dir: &Path) -> PathBuf {
    let root = dir.join("repo");
    std::fs::create_dir_all(&root).unwrap();
    for doc in DOCS {
        std::fs::write(root.join(doc), format!("the {doc}\n")).unwrap();
    }
    let binary = root.join("fake-msconnect");
    std::fs::write(&binary, "#!/bin/sh\necho msconnect 1.2.3\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // what umask or an editor may leave: the archive must not carry either
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o775)).unwrap();
        std::fs::set_permissions(root.join("README.md"), std::fs::Permissions::from_mode(0o664)).unwrap();
    }
    let parent = dir.join("stage");
    let stage = fresh_dir(&parent.join(TOP)).unwrap();
    stage_files(&root, &binary, &stage, |args| match args {
        ["man", "--out-dir", dir] => {
            std::fs::create_dir_all(dir).unwrap();
            for page in ["msconnect.1", "msconnect-entra.1"] {
                std::fs::write(Path::new(dir).join(page), format!("the page {page}\n")).unwrap();
            }
            Ok(Vec::new())
        }
        _ => Ok(format!("made by msconnect {}\n", args.join(" ")).into_bytes()),
    })
    .unwrap();
    parent
}

/// What a user sees in the archive, in its order (`tar --sort=name` and `staged_entries` agree: names
/// sorted byte-wise within each folder, so upper case first).
const LAYOUT: [&str; 14] = [
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/CHANGELOG.md",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/LICENSE",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/README.md",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/_msconnect",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/_msconnect.ps1",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/msconnect.bash",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/msconnect.elv",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/completions/msconnect.fish",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/man/",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/man/msconnect-entra.1",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/man/msconnect.1",
    "msconnect-1.2.3-x86_64-unknown-linux-gnu/msconnect",
];

fn layout() -> Vec<String> {
    LAYOUT.iter().map(|e| (*e).to_owned()).collect()
}

#[cfg(unix)]
#[test]
fn the_archive_holds_one_top_folder_with_binary_docs_completions_and_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let parent = fake_stage(dir.path());
    assert_eq!(expected_entries(TOP, &["msconnect-entra.1".into()]), layout());
    assert_eq!(staged_entries(&parent, TOP).unwrap(), layout());
    check_layout(&staged_entries(&parent, TOP).unwrap(), TOP).unwrap();

    let archive = dir.path().join(format!("{TOP}.tar.gz"));
    pack(&parent, TOP, &archive, 1_700_000_000).unwrap();
    assert_eq!(archive_listing(&archive).unwrap(), layout());

    // owners, modes and dates as a user's `tar -tv` shows them, whatever the staged files had
    let verbose = output(
        Command::new("tar")
            .args(["--list", "--verbose", "--numeric-owner", "--gzip", "--file"])
            .arg(&archive)
            .env("TZ", "UTC"),
    )
    .unwrap();
    let verbose = String::from_utf8(verbose).unwrap();
    let lines: Vec<Vec<&str>> = verbose.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines.len(), layout().len(), "{verbose}");
    for fields in &lines {
        let (mode, owner, date, time, name) = (fields[0], fields[1], fields[3], fields[4], fields[5]);
        let expected_mode = if name.ends_with('/') {
            "drwxr-xr-x"
        } else if name.ends_with("/msconnect") {
            "-rwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        assert_eq!(
            (mode, owner, date, time),
            (expected_mode, "0/0", "2023-11-14", "22:13"),
            "{name}"
        );
    }

    // the contents are the files the stage was made of
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    output(
        Command::new("tar")
            .args(["--extract", "--gzip", "--file"])
            .arg(&archive)
            .arg("--directory")
            .arg(&unpacked),
    )
    .unwrap();
    let read = |file: &str| std::fs::read_to_string(unpacked.join(TOP).join(file)).unwrap();
    assert_eq!(read("README.md"), "the README.md\n");
    assert_eq!(
        read("completions/msconnect.elv"),
        "made by msconnect completions elvish\n"
    );
    assert_eq!(
        read("completions/_msconnect"),
        "made by msconnect completions zsh\n"
    );
    assert_eq!(read("man/msconnect.1"), "the page msconnect.1\n");
    assert_eq!(read("man/msconnect-entra.1"), "the page msconnect-entra.1\n");
    assert_eq!(read("msconnect"), "#!/bin/sh\necho msconnect 1.2.3\n");
}

#[cfg(unix)]
#[test]
fn packing_the_same_files_twice_gives_the_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = fake_stage(first.path());
    let b = fake_stage(second.path());
    // the second stage's files carry another time, as a later checkout would
    let later = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    for entry in staged_entries(&b, TOP).unwrap() {
        std::fs::File::open(b.join(&entry))
            .unwrap()
            .set_modified(later)
            .unwrap();
    }
    let (archive_a, archive_b) = (first.path().join("a.tar.gz"), second.path().join("b.tar.gz"));
    pack(&a, TOP, &archive_a, 1_700_000_000).unwrap();
    pack(&b, TOP, &archive_b, 1_700_000_000).unwrap();
    let bytes = std::fs::read(&archive_a).unwrap();
    assert!(bytes.len() > 100);
    assert!(bytes == std::fs::read(&archive_b).unwrap(), "the archives differ");
}

#[cfg(unix)]
#[test]
fn a_missing_or_unexpected_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let parent = fake_stage(dir.path());
    std::fs::remove_file(parent.join(TOP).join("man/msconnect.1")).unwrap();
    std::fs::write(parent.join(TOP).join("notes.txt"), "stray").unwrap();
    let error = check_layout(&staged_entries(&parent, TOP).unwrap(), TOP).unwrap_err();
    assert!(
        error.starts_with(&format!(
            "the archive's layout is wrong: missing [\"{TOP}/man/msconnect.1\"], unexpected [\"{TOP}/notes.txt\"]"
        )),
        "{error}"
    );
}

#[test]
fn an_empty_generated_file_is_refused_with_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for doc in DOCS {
        std::fs::write(root.join(doc), doc).unwrap();
    }
    std::fs::write(root.join("bin"), "binary").unwrap();
    let stage = fresh_dir(&root.join("stage")).unwrap();
    let error = stage_files(root, &root.join("bin"), &stage, |args| {
        Ok(if args == ["completions", "fish"] {
            Vec::new()
        } else {
            b"x".to_vec()
        })
    })
    .unwrap_err();
    assert_eq!(error, "`msconnect completions fish` printed nothing");
    // `man --out-dir` that writes nothing
    let error = stage_files(root, &root.join("bin"), &stage, |_| Ok(b"x".to_vec())).unwrap_err();
    assert_eq!(error, "`msconnect man --out-dir` wrote no man/msconnect.1");
}

#[test]
fn the_archived_binary_must_print_the_release_version() {
    assert_eq!(check_version_output("msconnect 1.2.3\n", "1.2.3"), Ok(()));
    assert_eq!(
        check_version_output("msconnect 1.2.2\n", "1.2.3").unwrap_err(),
        "the archived binary's --version printed 'msconnect 1.2.2', not 'msconnect 1.2.3'"
    );
}

#[test]
fn sha256sums_holds_the_line_sha256sum_checks() {
    // the SHA-256 test vector of "abc" (FIPS 180-2), two spaces, the bare file name
    assert_eq!(
        checksum_line(b"abc", "x.tar.gz"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x.tar.gz\n"
    );

    let dist = tempfile::tempdir().unwrap();
    let archive = dist.path().join(format!("{TOP}.tar.gz"));
    std::fs::write(&archive, "abc").unwrap();
    write_checksums(dist.path(), &archive).unwrap();
    assert_eq!(
        std::fs::read_to_string(dist.path().join("SHA256SUMS")).unwrap(),
        format!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  {TOP}.tar.gz\n")
    );
    let check = || {
        Command::new("sha256sum")
            .args(["--check", "SHA256SUMS"])
            .current_dir(dist.path())
            .output()
            .unwrap()
    };
    assert_eq!(
        String::from_utf8_lossy(&check().stdout),
        format!("{TOP}.tar.gz: OK\n")
    );
    std::fs::write(&archive, "abd").unwrap();
    let tampered = check();
    assert!(!tampered.status.success());
    assert_eq!(
        String::from_utf8_lossy(&tampered.stdout),
        format!("{TOP}.tar.gz: FAILED\n")
    );
}

/// The files of a crate's package other than its sources, and any source of its tests or test support
/// (`tests.rs`, `tests/`, `testing.rs`, the unit tests' fake transport and hostile server).
fn packaged(name: &str) -> Vec<String> {
    let list = output(
        Command::new("cargo")
            .args(["package", "--list", "--allow-dirty", "--package", name])
            .current_dir(project_root()),
    )
    .unwrap();
    String::from_utf8(list)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.starts_with("src/")
                || l.ends_with("tests.rs")
                || l.contains("/tests/")
                || l.ends_with("testing.rs")
                || l.ends_with("/fake.rs")
                || l.ends_with("/hostile.rs")
        })
        .map(str::to_owned)
        .collect()
}

/// Issue 15: test support lives in the unpublished msconnect-test-support, so no package, auth-core's
/// included, ships a test, a mock or a TEST-ONLY key (auth-core shipped its fixture key for `test-util`).
#[test]
fn packages_ship_no_tests_no_test_support_and_no_key() {
    let common = [
        ".cargo_vcs_info.json",
        "Cargo.lock",
        "Cargo.toml",
        "Cargo.toml.orig",
        "LICENSE",
        "README.md",
    ];
    for name in &PUBLISHED {
        assert_eq!(packaged(name), common, "{name}");
    }
}
