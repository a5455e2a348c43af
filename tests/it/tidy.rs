//! Repository rules that can be checked: every Rust source file says what it is for in a `//!` line, and
//! every library crate includes its README as its docs, and that README's first line says how to `use`
//! the library (whose name is not the package's); every file is read through auth-core's bounded reader;
//! and the architecture's rules (ARCHITECTURE.md), the modules of a crate importing no one in a circle
//! among them.

use std::path::{Path, PathBuf};

mod import_circles;

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
        // issue 22: the command line's option words are the CLI's to print; auth-core names the value
        "--client-secret",
        "--credential",
        "--password-stdin",
        "--certificate-password",
        "--use-device",
        "--access-token",
        "--refresh-token",
        "--scopes",
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

/// The code of a library file: its own tests (in `mod tests`, last) and its comment lines left out.
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The non-test source files under `dir`, by their path below it (`/`-separated).
fn library_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files
        .into_iter()
        .filter(|file| !file.components().any(|c| c.as_os_str() == "tests") && !file.ends_with("tests.rs"))
        .map(|file| {
            let name = file
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, file)
        })
        .collect()
}

/// The `[dependencies]` (and, with `dev`, `[dev-dependencies]`) a crate's manifest names from this
/// workspace (`msconnect-*`).
fn workspace_dependencies(krate: &str, dev: bool) -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut section = "";
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let wanted = section == "[dependencies]" || (dev && section == "[dev-dependencies]");
        if let Some(name) = line
            .split(['=', ' '])
            .next()
            .filter(|name| name.starts_with("msconnect-"))
            && wanted
        {
            found.push(name.to_owned());
        }
    }
    found
}

const PRODUCT_CRATES: [(&str, &str); 4] = [
    ("partnercenter", "msconnect-partnercenter"),
    ("secmgmt", "msconnect-secmgmt"),
    ("entra", "msconnect-entra"),
    ("psentra", "msconnect-psentra"),
];

/// ARCHITECTURE.md: product crates never depend on each other (the CLI alone knows all four).
#[test]
fn product_crates_never_depend_on_each_other() {
    for (krate, _) in PRODUCT_CRATES {
        let others: Vec<String> = workspace_dependencies(krate, true)
            .into_iter()
            .filter(|name| PRODUCT_CRATES.iter().any(|(_, package)| package == name))
            .collect();
        assert!(others.is_empty(), "{krate} depends on {others:?}");
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(krate), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (other, _) in PRODUCT_CRATES.iter().filter(|(other, _)| *other != krate) {
                let path = format!("{other}::");
                // `entra::` inside `psentra::` is not a use of entra
                let named = text.match_indices(&path).any(|(at, _)| {
                    !text[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                });
                assert!(!named, "{} names {other}", file.display());
            }
        }
    }
}

/// ARCHITECTURE.md: auth-core is the bottom of the workspace.
#[test]
fn auth_core_depends_on_no_workspace_crate() {
    assert_eq!(workspace_dependencies("auth-core", false), Vec::<String>::new());
}

/// ARCHITECTURE.md: a crate's surface is chosen (issue 22, item 7). auth-core's modules are private and
/// its root is one `pub use` list, so each item has one path: its lib.rs declares no `pub mod` but a
/// namespace made only of `pub use`s (`auth_core::files`), or the unit tests' support. No crate above it
/// re-exports a whole crate: a product crate exports its own face and the few types that face needs.
#[test]
fn public_surfaces_are_curated() {
    let lib = std::fs::read_to_string(root().join("crates/auth-core/src/lib.rs")).unwrap();
    let lines: Vec<&str> = lib.lines().collect();
    let mut public_modules = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("pub mod ") else {
            continue;
        };
        let attributes = lines[..at]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("#["));
        if attributes.clone().any(|l| l.trim() == "#[cfg(test)]") {
            continue;
        }
        if rest.trim_end().ends_with('{') {
            let body: String = lines[at + 1..]
                .iter()
                .take_while(|l| l.trim() != "}")
                .filter(|l| !l.trim_start().starts_with("//"))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let statements: Vec<&str> = body.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
            if !statements.is_empty() && statements.iter().all(|s| s.starts_with("pub use ")) {
                continue;
            }
        }
        public_modules.push(line.trim().to_owned());
    }
    assert!(
        public_modules.is_empty(),
        "auth-core's lib.rs makes modules public: {public_modules:?}; keep the module private and name its \
         items in the crate's one `pub use` list"
    );
    assert!(
        lib.contains("pub use session::{"),
        "auth-core's list is gone from its lib.rs"
    );

    let mut whole = Vec::new();
    for krate in ["cmdlet"]
        .into_iter()
        .chain(PRODUCT_CRATES.map(|(krate, _)| krate))
    {
        let code = code_of(&root().join("crates").join(krate).join("src/lib.rs"));
        for dependency in ["auth_core", "cmdlet"] {
            let re_exports = [
                format!("pub use {dependency};"),
                format!("pub use {dependency} as "),
                format!("pub use {dependency}::{{self"),
                format!("pub use {dependency}::*"),
            ];
            if re_exports
                .iter()
                .any(|re_export| code.contains(re_export.as_str()))
            {
                whole.push(format!("{krate} re-exports {dependency}"));
            }
        }
    }
    assert!(
        whole.is_empty(),
        "{whole:?}: export the crate's own face and the few types it needs, by name"
    );
}

/// ARCHITECTURE.md: auth-core reads none of msconnect's variables and names none in its messages: the
/// saved connections, the user-defined environments, msconnect's folder, the token cache's selection
/// (`MSCONNECT_CACHE_*`) and the folder checks' opt-in (`MSCONNECT_INSECURE_HOME`) live in cmdlet, which
/// maps the variables onto auth-core's typed options.
#[test]
fn auth_core_names_no_msconnect_variable() {
    let found: Vec<String> = library_files(&root().join("crates/auth-core/src"))
        .into_iter()
        .filter(|(_, file)| code_of(file).contains("MSCONNECT_"))
        .map(|(name, _)| name)
        .collect();
    assert!(
        found.is_empty(),
        "auth-core names msconnect variables in {found:?}: take the value as a typed option, and let the \
         command line read the variable"
    );
}

/// ARCHITECTURE.md: a flow takes what it needs as values and never reaches up into the session (issue 22,
/// item 6).
#[test]
fn flows_never_reach_up_into_the_session() {
    let found: Vec<String> = library_files(&root().join("crates/auth-core/src/flows"))
        .into_iter()
        .filter(|(_, file)| {
            let code = code_of(file);
            code.contains("crate::session") || code.contains("Session")
        })
        .map(|(name, _)| name)
        .collect();
    assert!(found.is_empty(), "flows reaching into the session: {found:?}");
}

/// Issue 22: a library installs no process-wide rustls provider behind its user's back; the HTTP client
/// names ring in its own configuration.
#[test]
fn nothing_installs_a_process_wide_crypto_provider() {
    let mut found = Vec::new();
    for krate in LIBRARY_CRATES.iter().chain(&["cli"]) {
        for (name, file) in library_files(&root().join("crates").join(krate).join("src")) {
            if code_of(&file).contains("install_default") {
                found.push(format!("{krate}/{name}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
    let http = code_of(&root().join("crates/auth-core/src/http/transport.rs"));
    assert!(http.contains("builder_with_provider") && http.contains("tls_backend_preconfigured"));
}

/// ARCHITECTURE.md: no import circles between the modules of a crate (issue 22, item 6). Every crate's
/// modules and the uses between them are read from its source (see `import_circles`); a circle is modules
/// that use each other, directly or around. None is left, and none may come back.
#[test]
fn no_import_circles_between_modules() {
    let mut crates: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("src").is_dir())
        .map(|dir| {
            (
                dir.file_name().unwrap().to_string_lossy().into_owned(),
                dir.join("src"),
            )
        })
        .collect();
    crates.push(("xtask".into(), root().join("xtask/src")));
    crates.sort();
    assert!(crates.len() >= 8, "{crates:?}");
    let mut circles = Vec::new();
    for (krate, src) in &crates {
        let uses = import_circles::uses_in(src);
        circles.extend(
            import_circles::circles(&uses)
                .into_iter()
                .map(|circle| format!("{krate}: {}", circle.join(" ↔ "))),
        );
    }
    assert!(
        circles.is_empty(),
        "modules that use each other, directly or around: {circles:#?}; move what they share into the \
         module that owns it, or into a child both use (a child may use its parent's items)"
    );
}

/// Issue 22, item 10: the heavy parts are features, on by default. A program depending on a product
/// crate with `default-features = false` (a client secret is all it needs) builds no certificate parser;
/// with the defaults, it does. Read from `cargo tree`, offline: the lock file already names every crate.
#[test]
fn without_default_features_a_product_crate_builds_no_certificate_parser() {
    // the crates only reading certificates needs (auth-core's `certificates`)
    const CERTIFICATE_CRATES: [&str; 4] = ["x509-parser", "p12-keystore", "pkcs12", "pkcs5"];
    let crates_of = |extra: &[&str]| -> Vec<String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = std::process::Command::new(cargo)
            .args([
                "tree",
                "--offline",
                "--locked",
                "--edges",
                "normal",
                "--prefix",
                "none",
            ])
            .args(["--format", "{p}", "--package", "msconnect-partnercenter"])
            .args(extra)
            .current_dir(root())
            .output()
            .expect("running cargo tree");
        assert!(
            output.status.success(),
            "cargo tree {extra:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let with_defaults = crates_of(&[]);
    let without = crates_of(&["--no-default-features"]);
    assert!(
        with_defaults.iter().any(|name| name == "msconnect-auth-core")
            && without.iter().any(|name| name == "msconnect-auth-core"),
        "{with_defaults:?}"
    );
    for krate in CERTIFICATE_CRATES {
        assert!(
            with_defaults.iter().any(|name| name == krate),
            "{krate} is not built with the default features: {with_defaults:?}"
        );
        assert!(
            !without.iter().any(|name| name == krate),
            "{krate} is built without the default features: {without:?}"
        );
    }
}
