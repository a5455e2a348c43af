//! Repository rules that can be checked: every Rust source file says what it is for in a `//!` line, and
//! every library crate includes its README as its docs, and that README's first line says how to `use`
//! the library (whose name is not the package's); every file is read through auth-core's bounded reader.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git" | "snapshots") {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {files:?}");
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let first = text.lines().next().unwrap_or_default();
            !(first.starts_with("//!") || first.starts_with("#![doc = include_str!"))
        })
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` first line: {missing:?}"
    );
}

/// The library crates, by folder under `crates/`.
const LIBRARY_CRATES: [&str; 6] = [
    "auth-core",
    "cmdlet",
    "partnercenter",
    "secmgmt",
    "entra",
    "psentra",
];

#[test]
fn every_library_crate_uses_its_readme_as_docs() {
    for krate in LIBRARY_CRATES {
        let lib = std::fs::read_to_string(root().join("crates").join(krate).join("src/lib.rs")).unwrap();
        assert!(
            lib.starts_with("#![doc = include_str!(\"../README.md\")]"),
            "{krate}"
        );
    }
}

#[test]
fn every_library_readme_says_how_to_use_the_crate_in_its_first_line() {
    for krate in LIBRARY_CRATES {
        let dir = root().join("crates").join(krate);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let lib = manifest
            .split("[lib]")
            .nth(1)
            .and_then(|section| {
                section
                    .lines()
                    .find_map(|line| line.trim().strip_prefix("name = "))
            })
            .map(|name| name.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("{krate}: no [lib] name"));
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let first = readme.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("`use {lib};`")),
            "{krate}: the README's first line does not say `use {lib};`: {first}"
        );
    }
}

/// Issue 15: auth-core speaks OAuth. No PowerShell word and no module name in its code (its tests may
/// use a module's name as sample data); declaring and binding cmdlets is msconnect-cmdlet's.
#[test]
fn auth_core_has_no_powershell_word_and_no_module_name() {
    let words = [
        "PowerShell",
        "cmdlet",
        "Cmdlet",
        "parameter set",
        "ParameterSet",
        "WhatIf",
        "Connect-",
        "SecMgmt",
        "PSMicrosoftEntraID",
        "PartnerCenter",
    ];
    let found = library_code_using(&root().join("crates/auth-core/src"), &words, &[]);
    assert!(found.is_empty(), "{found:#?}");
}

/// Issue 26: every file the crates read goes through auth-core's bounded reader (`read_file.rs`), which
/// refuses a FIFO or a device without blocking and reads at most a bound (or, for the token cache, hands
/// over a file it checked is regular); a plain `std::fs::read` or `File::open` elsewhere would bring back
/// the hang or the endless read. (`private_file.rs` opens a folder only, to fsync it.)
#[test]
fn every_file_is_read_through_the_bounded_reader() {
    let patterns = ["fs::read(", "fs::read_to_string(", "File::open("];
    let found = library_code_using(
        &root().join("crates"),
        &patterns,
        &["read_file.rs", "private_file.rs"],
    );
    assert!(
        found.is_empty(),
        "read these through auth-core's read_file: {found:#?}"
    );
}

/// Each `file: text` where the library code (a `src` folder's, without tests; a file's own tests come
/// last, in `mod tests`) under `dir` holds one of `texts`, but in the files named in `except`.
fn library_code_using(dir: &Path, texts: &[&str], except: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files
        .into_iter()
        .filter(|file| file.components().any(|c| c.as_os_str() == "src"))
        .filter(|file| !file.components().any(|c| c.as_os_str() == "tests") && !file.ends_with("tests.rs"))
        .filter(|file| !except.iter().any(|name| file.ends_with(name)))
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default()
                .to_owned();
            let name = file.strip_prefix(root()).unwrap().display().to_string();
            texts
                .iter()
                .filter(|text| code.contains(*text))
                .map(|text| format!("{name}: {text}"))
                .collect::<Vec<_>>()
        })
        .collect()
}
