//! The cache file: private modes, no lost entries with concurrent writers, crashes between write and
//! rename, corrupt and unreadable files, and reading only what changed.

use super::*;

fn app_token_for(scope: &str, secret: &str) -> TokenResult {
    let mut result = app_result(&microsoft(CUSTOMER), secret, NOW);
    result.scopes = vec![scope.to_owned()];
    result
}

#[cfg(unix)]
#[test]
fn the_file_the_lock_and_the_folder_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("new-home");
    let cache =
        TokenCache::default_for(&EnvVars::from_pairs([("MSCONNECT_HOME", home.to_str().unwrap())])).unwrap();
    assert_eq!(cache.path(), Some(home.join("msal_token_cache.json").as_path()));
    cache
        .save_at(&app_result(&microsoft(CUSTOMER), "AT", NOW), &[], None, at(NOW))
        .unwrap();
    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(home.join("msal_token_cache.json")), 0o600);
    assert_eq!(mode(home.join("msal_token_cache.json.lock")), 0o600);
    assert_eq!(mode(home.clone()), 0o700);
    // a file another tool made readable by others is replaced by a private one on the next write
    std::fs::set_permissions(
        home.join("msal_token_cache.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    cache
        .save_at(
            &app_result(&microsoft(HOME_TENANT), "AT2", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    assert_eq!(mode(home.join("msal_token_cache.json")), 0o600);
}

#[test]
fn opening_reads_nothing_and_a_missing_file_is_an_empty_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/cache.json");
    let cache = TokenCache::open(&path);
    assert!(cache.accounts().unwrap().is_empty());
    assert!(
        cache
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none()
    );
    cache.remove_account(ENV, &home()).unwrap();
    assert!(!path.exists(), "reading and removing nothing write nothing");
    write_file(&dir.path().join("empty.json"), "\n");
    assert!(
        TokenCache::open(dir.path().join("empty.json"))
            .accounts()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn another_handle_sees_what_was_written_and_unchanged_files_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let reader = TokenCache::open(&path);
    assert!(
        reader
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none()
    );
    let writer = TokenCache::open(&path);
    writer
        .save_at(
            &app_result(&microsoft(CUSTOMER), "first", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let found = reader
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "first");
    // Same size, same modification time, same inode: the reader keeps its copy. (Rewriting in place
    // is what no writer of this schema does; this shows the copy is served from memory.)
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"first\"", "\"FIRST\"");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &file, text.as_bytes()).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let found = reader
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "first");
    // a real change (a new file renamed into place) is seen
    writer
        .save_at(
            &app_result(&microsoft(CUSTOMER), "second", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let found = reader
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "second");
}

#[test]
fn two_writers_with_their_own_handles_lose_no_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let cache = TokenCache::open(&path);
            std::thread::spawn(move || {
                for i in 0..100 {
                    let scope = format!("https://{name}.example/{i}/.default");
                    cache
                        .save_at(&app_token_for(&scope, &format!("{name}{i}")), &[], None, at(NOW))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let doc = file_json(&path);
    assert_eq!(doc["AccessToken"].as_object().unwrap().len(), 200);
    let fresh = TokenCache::open(&path);
    for name in ["a", "b"] {
        for i in [0, 57, 99] {
            let query = TokenQuery {
                scopes: vec![format!("https://{name}.example/{i}/.default")],
                ..app_query(CUSTOMER)
            };
            let found = fresh.find_access_token(&query, at(NOW)).unwrap().unwrap();
            assert_eq!(found.access_token.secret(), format!("{name}{i}"));
        }
    }
}

#[test]
fn a_crash_between_write_and_rename_leaves_the_old_file_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    TokenCache::open(&path)
        .save_at(&app_result(&microsoft(CUSTOMER), "old", NOW), &[], None, at(NOW))
        .unwrap();
    // what a writer killed after writing half its temporary file leaves behind
    let stray = dir.path().join("msal_token_cache.json.tmp-5f0e0c7a2d3b4e1f");
    write_file(&stray, r#"{"AccessToken": {"half-writ"#);
    let cache = TokenCache::open(&path);
    let found = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "old");
    // the next writer, holding the lock, knows no one else is midway and cleans up
    cache
        .save_at(
            &app_result(&microsoft(HOME_TENANT), "new", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    assert!(!stray.exists());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["msal_token_cache.json", "msal_token_cache.json.lock"]);
}

#[test]
fn a_corrupt_file_is_moved_aside_with_a_warning_and_a_new_cache_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let garbage = "{\"AccessToken\": {\"k\": {\"secret\": \"do-not-print\"";
    write_file(&path, garbage);
    let cache = TokenCache::open(&path);
    let warnings = Warnings::capture();
    let accounts = cache.accounts();
    let warnings = warnings.text();
    assert!(accounts.unwrap().is_empty());
    let backups: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(&backups[0]).unwrap(),
        garbage,
        "the backup keeps every byte"
    );
    assert!(!path.exists());
    let warnings = warnings.replace(dir.path().to_str().unwrap(), "<dir>");
    let backup_name = backups[0].file_name().unwrap().to_string_lossy().into_owned();
    let warnings = warnings.replace(&backup_name, "msal_token_cache.json.corrupt-<epoch>");
    insta::assert_snapshot!(warnings.trim(), @"WARN msconnect::cache: the token cache <dir>/msal_token_cache.json could not be read (not JSON: EOF while parsing an object at line 1 column 47); it was moved to <dir>/msal_token_cache.json.corrupt-<epoch> and a new cache is started: sign in again");
    assert!(!warnings.contains("do-not-print"));
    // the new cache works
    cache
        .save_at(&app_result(&microsoft(CUSTOMER), "AT", NOW), &[], None, at(NOW))
        .unwrap();
    assert!(
        TokenCache::open(&path)
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_file_of_the_wrong_shape_is_corrupt_too() {
    for (text, reason) in [
        ("[1, 2]", "not a JSON object"),
        (
            r#"{"AccessToken": []}"#,
            "its AccessToken member is not an object",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        write_file(&path, text);
        let captured = Warnings::capture();
        let accounts = TokenCache::open(&path).accounts();
        let warnings = captured.text();
        assert!(accounts.unwrap().is_empty());
        assert!(warnings.contains(reason), "{warnings}");
        assert!(!path.exists());
    }
}

#[test]
fn an_unreadable_file_is_an_error_naming_it_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // a folder where the file should be: unreadable whoever runs the test (root reads any file)
    let path = dir.path().join("cache.json");
    std::fs::create_dir(&path).unwrap();
    let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
    insta::assert_snapshot!(error.replace(dir.path().to_str().unwrap(), "<dir>"), @"reading the token cache <dir>/cache.json: Is a directory (os error 21)");
    assert!(path.is_dir());
}

#[test]
fn the_large_test_cache_is_what_saving_its_sign_ins_one_by_one_writes() {
    use crate::testing::{LARGE_CACHE_SCOPE, large_cache, large_cache_sign_in};
    let dir = tempfile::tempdir().unwrap();
    let saved = TokenCache::open(dir.path().join("saved.json"));
    for i in 0..3 {
        saved
            .save_at(
                &large_cache_sign_in(i, NOW),
                &[LARGE_CACHE_SCOPE.to_owned()],
                Some("authorization_code"),
                at(NOW),
            )
            .unwrap();
    }
    let written = std::fs::read(dir.path().join("saved.json")).unwrap();
    let generated = large_cache(3, NOW);
    assert_eq!(
        String::from_utf8(generated.clone()).unwrap(),
        String::from_utf8(written).unwrap()
    );
    // and each user's token is found in it, at Microsoft's sizes
    std::fs::write(dir.path().join("large.json"), &generated).unwrap();
    let cache = TokenCache::open(dir.path().join("large.json"));
    assert_eq!(cache.accounts().unwrap().len(), 3);
    let user = large_cache_sign_in(2, NOW);
    let found = cache
        .find_access_token(
            &TokenQuery {
                environment: ENV.into(),
                client_id: client(),
                realm: None,
                home_account_id: user.home_account_id().map(str::to_owned),
                scopes: vec![LARGE_CACHE_SCOPE.into()],
            },
            at(NOW),
        )
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), user.access_token.secret());
    assert!((1800..2600).contains(&found.access_token.secret().len()));
}
