//! The cache file at rest (`protection.rs`) with keystores in memory: what is written, what a lost key,
//! an altered file or an absent keystore does, and switching the protection. The real keystores (the
//! kernel keyring, gnome-keyring on a private bus) are exercised through the command line in tests/it.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::cache::keystore::KeyStoreKind::{KernelKeyring, SecretService};
use crate::cache::keystore::fake::FakeStores;

const SETTING: &str = "MSCONNECT_CACHE_PROTECTION";

/// What a test does to a sealed file or its keystore.
type Spoil = fn(&Path, &FakeStores);

fn open(path: &Path, protection: CacheProtection, stores: &Arc<FakeStores>) -> TokenCache {
    TokenCache::open(path).with_protection_from(protection, SETTING, Arc::new(stores.clone()))
}

fn sign_in(cache: &TokenCache, access_token: &str, refresh_token: &str) -> crate::error::Result<()> {
    let result = user_result(&microsoft(HOME_TENANT), access_token, refresh_token, GRAPH, NOW);
    cache.save_at(&result, &[], None, at(NOW))
}

fn has_tokens(cache: &TokenCache, access_token: &str, refresh_token: &str) -> bool {
    let found = cache
        .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
        .unwrap()
        .map(|hit| hit.access_token.secret().to_owned());
    let refresh = cache
        .find_refresh_token(ENV, &client(), &home())
        .unwrap()
        .map(|token| token.secret().to_owned());
    found.as_deref() == Some(access_token) && refresh.as_deref() == Some(refresh_token)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn first_line(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn backups(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect()
}

#[test]
fn a_sealed_file_holds_no_token_and_another_handle_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let stores = FakeStores::with(&[KernelKeyring]);
    let cache = open(&path, CacheProtection::Kernel, &stores);
    sign_in(&cache, "at-secret-1", "rt-secret-1").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(!contains(&bytes, "at-secret-1") && !contains(&bytes, "rt-secret-1"));
    assert!(
        !contains(&bytes, "admin@contoso.com"),
        "the whole document is sealed, not only secrets"
    );
    let header = first_line(&path);
    assert!(
        header.starts_with("msconnect-sealed-cache 1 aes-256-gcm kernel-keyring "),
        "{header}"
    );
    assert_eq!(
        header.len(),
        "msconnect-sealed-cache 1 aes-256-gcm kernel-keyring ".len() + 32
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // a second process: a new handle, the same keystore
    let other = open(&path, CacheProtection::Kernel, &stores);
    assert!(has_tokens(&other, "at-secret-1", "rt-secret-1"));
    // a second write keeps the key: one key in the keystore
    sign_in(&other, "at-secret-2", "rt-secret-2").unwrap();
    assert_eq!(stores.count(KernelKeyring), 1);
    assert!(has_tokens(&cache, "at-secret-2", "rt-secret-2"));
    assert_eq!(
        cache.protection_in_force().unwrap(),
        Some(ProtectionInForce::Sealed(KernelKeyring))
    );
}

#[test]
fn auto_takes_the_secret_service_then_the_kernel_keyring_then_says_once_it_stays_plain() {
    for (present, expected) in [
        (&[SecretService, KernelKeyring][..], Some("secret-service")),
        (&[KernelKeyring][..], Some("kernel-keyring")),
        (&[][..], None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msal_token_cache.json");
        let stores = FakeStores::with(present);
        let cache = open(&path, CacheProtection::Auto, &stores);
        let warnings = Warnings::capture();
        sign_in(&cache, "at-1", "rt-1").unwrap();
        sign_in(&cache, "at-2", "rt-2").unwrap();
        let warnings = warnings.text();
        match expected {
            Some(word) => {
                assert!(
                    first_line(&path).contains(word),
                    "{present:?}: {}",
                    first_line(&path)
                );
                assert_eq!(warnings, "", "{present:?}");
            }
            None => {
                assert_eq!(file_json(&path)["RefreshToken"].as_object().unwrap().len(), 1);
                let warnings = warnings.replace(dir.path().to_str().unwrap(), "<dir>");
                insta::assert_snapshot!(warnings.trim(), @"WARN msconnect::cache: no keystore is available (no Secret Service on a session bus, no kernel keyring): the token cache <dir>/msal_token_cache.json is kept as plain JSON, readable only by you (mode 0600)");
                assert_eq!(
                    cache.protection_in_force().unwrap(),
                    Some(ProtectionInForce::Plain)
                );
            }
        }
        assert!(has_tokens(
            &open(&path, CacheProtection::Auto, &stores),
            "at-2",
            "rt-2"
        ));
    }
}

#[test]
fn a_required_keystore_that_is_absent_is_an_error_and_nothing_is_written() {
    for (protection, present, keystore) in [
        (CacheProtection::Kernel, SecretService, "the kernel keyring"),
        (CacheProtection::Keyring, KernelKeyring, "the Secret Service"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msal_token_cache.json");
        let stores = FakeStores::with(&[present]);
        let cache = open(&path, protection, &stores);
        let checked = cache.check_protection().unwrap_err().to_string();
        let saved = sign_in(&cache, "at-1", "rt-1").unwrap_err().to_string();
        assert_eq!(checked, saved);
        assert!(
            saved.starts_with(&format!(
                "{SETTING}={protection}: the token cache needs {keystore}, which is not available"
            )),
            "{saved}"
        );
        assert!(saved.contains("nothing was written in the clear"), "{saved}");
        assert!(!path.exists(), "no file, plain or sealed");
    }
}

#[test]
fn a_lost_key_or_an_altered_file_is_moved_aside_with_a_warning_and_the_cache_starts_empty() {
    let cases: [(&str, Spoil); 3] = [
        ("its key is gone from the kernel keyring", |_, stores| {
            stores.forget_all()
        }),
        (
            "it fails to authenticate: it was altered or damaged",
            |path, _| {
                let mut bytes = std::fs::read(path).unwrap();
                let last = bytes.len() - 20;
                bytes[last] ^= 1;
                std::fs::write(path, bytes).unwrap();
            },
        ),
        (
            "it fails to authenticate: it was altered or damaged",
            |path, stores| {
                // the header names another key the keystore has: the header is authenticated too
                let bytes = std::fs::read(path).unwrap();
                let text = String::from_utf8_lossy(&bytes[..bytes.iter().position(|b| *b == b'\n').unwrap()])
                    .into_owned();
                let id = text.rsplit(' ').next().unwrap().to_owned();
                let other = "0".repeat(32);
                let key = stores
                    .keys
                    .lock()
                    .unwrap()
                    .get(&(KernelKeyring, id.clone()))
                    .cloned()
                    .unwrap();
                stores
                    .keys
                    .lock()
                    .unwrap()
                    .insert((KernelKeyring, other.clone()), key);
                let mut changed = text.replace(&id, &other).into_bytes();
                changed.extend_from_slice(&bytes[text.len()..]);
                std::fs::write(path, changed).unwrap();
            },
        ),
    ];
    for (reason, spoil) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msal_token_cache.json");
        let stores = FakeStores::with(&[KernelKeyring]);
        sign_in(&open(&path, CacheProtection::Kernel, &stores), "at-1", "rt-1").unwrap();
        spoil(&path, &stores);
        let spoiled = std::fs::read(&path).unwrap();
        let cache = open(&path, CacheProtection::Kernel, &stores);
        let warnings = Warnings::capture();
        assert!(cache.accounts().unwrap().is_empty());
        let warnings = warnings.text();
        let moved = backups(dir.path());
        assert_eq!(moved.len(), 1, "{reason}");
        assert_eq!(
            std::fs::read(&moved[0]).unwrap(),
            spoiled,
            "the backup keeps every byte"
        );
        assert!(
            warnings.contains(&format!("could not be read ({reason}"))
                && warnings.contains("; it was moved to"),
            "{warnings}"
        );
        assert!(warnings.contains("sign in again"), "{warnings}");
        // the next sign-in starts a new sealed file
        sign_in(&cache, "at-2", "rt-2").unwrap();
        assert!(has_tokens(
            &open(&path, CacheProtection::Kernel, &stores),
            "at-2",
            "rt-2"
        ));
    }
}

#[test]
fn switching_the_protection_converts_the_file_at_the_next_write_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let stores = FakeStores::with(&[KernelKeyring]);
    // none: MSAL's JSON
    sign_in(&open(&path, CacheProtection::None, &stores), "at-1", "rt-1").unwrap();
    assert!(file_json(&path)["AccessToken"].is_object());
    // auto reads the plain file, and seals it at its next write
    let auto = open(&path, CacheProtection::Auto, &stores);
    assert!(has_tokens(&auto, "at-1", "rt-1"));
    assert_eq!(
        auto.protection_in_force().unwrap(),
        Some(ProtectionInForce::Sealed(KernelKeyring))
    );
    let other = user_result(&microsoft(CUSTOMER), "at-customer", "rt-1", GRAPH, NOW);
    auto.save_at(&other, &[], None, at(NOW)).unwrap();
    assert!(first_line(&path).starts_with("msconnect-sealed-cache "));
    // none reads the sealed file (the header names the keystore), and writes it plain again
    let none = open(&path, CacheProtection::None, &stores);
    assert!(has_tokens(&none, "at-1", "rt-1"));
    assert_eq!(
        none.protection_in_force().unwrap(),
        Some(ProtectionInForce::Sealed(KernelKeyring))
    );
    sign_in(&none, "at-3", "rt-3").unwrap();
    let plain = file_json(&path);
    assert_eq!(
        plain["AccessToken"].as_object().unwrap().len(),
        2,
        "both tenants' tokens"
    );
    assert!(
        has_tokens(&TokenCache::open(&path), "at-3", "rt-3"),
        "what MSAL would read"
    );
    assert_eq!(
        none.protection_in_force().unwrap(),
        Some(ProtectionInForce::Plain)
    );
}

#[test]
fn a_sealed_file_whose_keystore_is_absent_now_is_an_error_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let stores = FakeStores::with(&[SecretService]);
    sign_in(&open(&path, CacheProtection::Keyring, &stores), "at-1", "rt-1").unwrap();
    let sealed = std::fs::read(&path).unwrap();
    // an ssh session on the desktop's machine: no session bus
    stores.present.lock().unwrap().clear();
    let error = open(&path, CacheProtection::Auto, &stores)
        .accounts()
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with(
            "the token cache is encrypted with a key the Secret Service keeps, which is not available now: \
             the Secret Service is absent in this test; the file stays as it is"
        ),
        "{error}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), sealed);
    assert!(backups(dir.path()).is_empty());
}

#[test]
fn a_header_of_another_format_is_an_error_and_the_file_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let stores = FakeStores::with(&[KernelKeyring]);
    for (text, reason) in [
        (
            "msconnect-sealed-cache 2 aes-256-gcm kernel-keyring 00000000000000000000000000000000\n....",
            "it is encrypted in a format this msconnect does not read (version 2, aes-256-gcm)",
        ),
        (
            "msconnect-sealed-cache 1 aes-256-gcm tpm 00000000000000000000000000000000\n....",
            "its key is kept in a keystore this msconnect does not know (tpm)",
        ),
    ] {
        write_file(&path, text);
        let error = open(&path, CacheProtection::Auto, &stores)
            .accounts()
            .unwrap_err()
            .to_string();
        assert!(error.contains(reason), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

/// A home copied from a Mac or a Windows machine: the file names a keystore of another system, which is
/// not here (not a lost key: the file stays for that system to read), even with this system's keystores
/// all present.
#[cfg(target_os = "linux")]
#[test]
fn a_file_sealed_by_another_system_says_its_keystore_is_not_available_and_stays() {
    use crate::cache::keystore::{KeyStoreKind, KeyStores as _, SystemKeyStores};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let stores = FakeStores::with(&[SecretService, KernelKeyring]);
    for (kind, word, named) in [
        (KeyStoreKind::Keychain, "keychain", "the macOS Keychain"),
        (KeyStoreKind::Dpapi, "dpapi", "Windows DPAPI"),
    ] {
        let text =
            format!("msconnect-sealed-cache 1 aes-256-gcm {word} 0123456789abcdef0123456789abcdef\n....");
        write_file(&path, &text);
        let error = open(&path, CacheProtection::Auto, &stores)
            .accounts()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!(
                "the token cache is encrypted with a key {named} keeps, which is not available now"
            )) && error.ends_with("the file stays as it is"),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert!(backups(dir.path()).is_empty());
        // and the system's own lookup says why, without touching anything
        let Err(unavailable) = SystemKeyStores.get(kind) else {
            panic!("{named} answered on Linux");
        };
        assert_eq!(unavailable.0, format!("{named} is not supported on this system"));
    }
}

#[test]
fn the_protection_is_parsed_in_any_case_and_a_wrong_word_lists_the_right_ones() {
    assert_eq!("AUTO".parse::<CacheProtection>(), Ok(CacheProtection::Auto));
    assert_eq!(" kernel ".parse::<CacheProtection>(), Ok(CacheProtection::Kernel));
    assert_eq!("Keyring".parse::<CacheProtection>(), Ok(CacheProtection::Keyring));
    assert_eq!("none".parse::<CacheProtection>(), Ok(CacheProtection::None));
    assert_eq!(
        "plain".parse::<CacheProtection>(),
        Err("use one of auto, keyring, kernel, none".into())
    );
    assert_eq!(CacheProtection::default(), CacheProtection::Auto);
    // a cache opened without a protection writes MSAL's JSON, as before
    assert_eq!(
        TokenCache::open("unused.json").protection(),
        Some(CacheProtection::None)
    );
}
