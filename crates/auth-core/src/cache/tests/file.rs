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
    let cache = TokenCache::open(home.join(CACHE_FILE_NAME));
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

// Issue 17 changed this test: JSON of the wrong shape used to be moved aside as corrupt; only a file that
// is not JSON at all is now, and JSON that is not a token cache is an error that leaves the file as it is.
#[test]
fn a_file_of_the_wrong_shape_is_an_error_and_stays() {
    for (text, reason) in [
        ("[1, 2]", "its top level is not a JSON object"),
        (
            r#"{"AccessToken": []}"#,
            "its AccessToken member is not an object",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        write_file(&path, text);
        let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
        assert!(error.contains(reason), "{error}");
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("move it away or repair it"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

#[test]
fn an_unreadable_file_is_an_error_naming_it_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // a folder where the file should be: unreadable whoever runs the test (root reads any file)
    let path = dir.path().join("cache.json");
    std::fs::create_dir(&path).unwrap();
    let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
    insta::assert_snapshot!(error.replace(dir.path().to_str().unwrap(), "<dir>"), @"<dir>/cache.json: not a regular file (a folder is in its place): msconnect reads only regular files");
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

fn saved(cache: &TokenCache, secret: &str) -> crate::error::Result<()> {
    cache.save_at(&app_result(&microsoft(CUSTOMER), secret, NOW), &[], None, at(NOW))
}

#[test]
fn a_write_takes_msal_extensions_lockfile_and_removes_it_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lockfile = dir.path().join("cache.json.lockfile");
    saved(&TokenCache::open(&path), "first").unwrap();
    assert!(!lockfile.exists(), "released after the write");
    // held by another program that is running (msal-extensions writes `{pid} {argv0}`; this test's
    // process stands for it): the write waits, then names it
    let pid = std::process::id();
    std::fs::write(&lockfile, format!("{pid} /usr/bin/az\u{1b}[31m")).unwrap();
    let cache = TokenCache::open(&path).with_lock_wait(std::time::Duration::from_millis(200));
    let error = saved(&cache, "second").unwrap_err().to_string();
    assert!(error.contains(&lockfile.display().to_string()), "{error}");
    assert!(
        error.contains(&format!("held by process {pid} /usr/bin/az[31m")),
        "no control character: {error}"
    );
    assert!(error.contains("remove that file"), "{error}");
    assert!(
        lockfile.exists(),
        "another program's lock file is not ours to remove"
    );
    assert!(
        file_json(&path).to_string().contains("first"),
        "nothing written without the lock"
    );
    assert!(
        cache.check_writable().is_err(),
        "check_writable reports the held lock too"
    );
    std::fs::remove_file(&lockfile).unwrap();
    cache.check_writable().unwrap();
    saved(&cache, "second").unwrap();
    assert!(file_json(&path).to_string().contains("second"));
}

#[test]
fn a_locked_lockfile_of_portalocker_flavour_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    // portalocker's flavour: the file exists and its advisory lock is held
    let lockfile = dir.path().join("cache.json.lockfile");
    let held = std::fs::File::create(&lockfile).unwrap();
    held.lock().unwrap();
    let cache = TokenCache::open(&path).with_lock_wait(std::time::Duration::from_millis(100));
    let error = saved(&cache, "x").unwrap_err().to_string();
    assert!(error.contains("cache.json.lockfile"), "{error}");
    drop(held);
    std::fs::remove_file(&lockfile).unwrap();
    saved(&cache, "x").unwrap();
}

/// The id of a process that has ended.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn age(path: &std::path::Path, seconds: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - std::time::Duration::from_secs(seconds))
        .unwrap();
}

#[test]
fn a_lockfile_left_by_a_process_that_died_is_taken_over_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lockfile = dir.path().join("cache.json.lockfile");
    saved(&TokenCache::open(&path), "first").unwrap();
    // killed in its write window: its file stays, the kernel released its advisory lock
    std::fs::write(&lockfile, format!("{} /usr/bin/az", dead_pid())).unwrap();
    let warnings = Warnings::capture();
    let cache = TokenCache::open(&path);
    let started = std::time::Instant::now();
    cache.check_writable().unwrap();
    saved(&cache, "second").unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "not the 30 s lock wait: {:?}",
        started.elapsed()
    );
    assert!(file_json(&path).to_string().contains("second"));
    assert!(!lockfile.exists(), "ours, removed after the write");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("lockfile"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
    let text = warnings.text();
    assert!(
        text.contains("took over the lock file") && text.contains("its process is no longer running"),
        "{text}"
    );

    // killed, and not yet collected by its parent (a zombie): it holds nothing either
    let mut zombie = std::process::Command::new("true").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&lockfile, format!("{} /usr/bin/az", zombie.id())).unwrap();
    let started = std::time::Instant::now();
    saved(&cache, "third").unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    zombie.wait().unwrap();
}

#[test]
fn a_lockfile_of_a_running_process_is_waited_for_unless_it_is_older_than_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lockfile = dir.path().join("cache.json.lockfile");
    let cache = TokenCache::open(&path).with_lock_wait(std::time::Duration::from_millis(300));
    // a running process that created it a moment ago and has not locked it yet: waited for
    std::fs::write(&lockfile, format!("{} python3", std::process::id())).unwrap();
    assert!(
        saved(&cache, "x")
            .unwrap_err()
            .to_string()
            .contains("cache.json.lockfile")
    );
    // an empty one (msal-extensions creates it, closes it, then opens it again to lock it): waited for
    std::fs::write(&lockfile, "").unwrap();
    assert!(saved(&cache, "x").is_err());
    // held (its advisory lock), however old: waited for
    let held = std::fs::File::open(&lockfile).unwrap();
    held.lock().unwrap();
    age(&lockfile, 3600);
    assert!(saved(&cache, "x").is_err());
    assert!(lockfile.exists());
    drop(held);
    // older than any write with nobody holding it: its id was reused by another process, or it is
    // another PID namespace's; taken over
    std::fs::write(&lockfile, format!("{} python3", std::process::id())).unwrap();
    age(&lockfile, 60);
    saved(&cache, "x").unwrap();
    assert!(file_json(&path).to_string().contains("\"x\""));
    assert!(!lockfile.exists());
}

#[test]
fn takers_of_a_stale_lockfile_never_hold_it_together() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.json");
    let lockfile = dir.path().join("cache.json.lockfile");
    let inside = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let taken = AtomicUsize::new(0);
    // each round, six takers race for a lock file left by a process that died
    for _ in 0..10 {
        std::fs::write(&lockfile, format!("{} /usr/bin/az", dead_pid())).unwrap();
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    let held = super::super::lockfile::take(
                        &lockfile,
                        &cache,
                        deadline,
                        std::time::Duration::from_secs(20),
                    )
                    .unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    inside.fetch_sub(1, Ordering::SeqCst);
                    taken.fetch_add(1, Ordering::SeqCst);
                    drop(held);
                });
            }
        });
    }
    assert_eq!(taken.load(Ordering::SeqCst), 10 * 6);
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two takers held the lock file at once"
    );
    assert!(!lockfile.exists());
}

#[cfg(unix)]
#[test]
fn a_symlinked_cache_is_written_through_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let target = shared.join("msal_token_cache.json");
    let link = dir.path().join("cache.json");
    std::os::unix::fs::symlink("shared/msal_token_cache.json", &link).unwrap();
    // a dangling link at first: the target is created
    saved(&TokenCache::open(&link), "first").unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(file_json(&target).to_string().contains("first"));
    saved(&TokenCache::open(&link), "second").unwrap();
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link stays"
    );
    assert!(file_json(&target).to_string().contains("second"));
    let names: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names,
        ["msal_token_cache.json"],
        "no temporary file left beside the target"
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn json_that_python_reads_is_read_and_written_back_as_it_was() {
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let text = format!(
        r#"{{"AccessToken": {{}}, "Other": {{"lone": "a\ud800b", "low": "\udc00", "pair": "\ud83d\ude00", "nan": NaN, "inf": [Infinity, -Infinity], "deep": {deep}}}}}"#
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    write_file(&path, &text);
    let cache = TokenCache::open(&path);
    assert!(cache.accounts().unwrap().is_empty());
    assert!(path.exists(), "not moved aside");
    saved(&cache, "app-at").unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    for kept in [r#""a\ud800b""#, r#""\udc00""#, "NaN", "-Infinity", "Infinity"] {
        assert!(written.contains(kept), "{kept}: {written}");
    }
    assert!(written.contains('😀'));
    assert_eq!(written.matches('[').count(), 301, "the deep member kept");
    assert!(!written.contains('\u{10FFFF}'));
    // and the next reader finds the token in it
    let found = TokenCache::open(&path)
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap();
    assert_eq!(found.unwrap().access_token.secret(), "app-at");
}

/// A cache read leniently is written back with markers turned into what they stood for; a token that holds
/// the marker character itself (a server chooses its tokens) must neither panic the writer nor make the
/// file invalid JSON for every tool: the write is refused, the file left as it was.
#[test]
fn a_token_holding_the_marker_is_not_written_into_a_leniently_read_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let text = r#"{"AccessToken": {}, "Other": {"lone": "a\ud800b", "nan": NaN}}"#;
    for hostile in [
        "\"\u{10FFFF}NaN",
        "\u{10FFFF}uab😀x",
        "\u{10FFFF}ud83",
        "\u{10FFFF}",
    ] {
        write_file(&path, text);
        let cache = TokenCache::open(&path);
        assert!(cache.accounts().unwrap().is_empty());
        let error = saved(&cache, hostile).unwrap_err().to_string();
        assert!(error.contains("U+10FFFF"), "{hostile:?}: {error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

#[test]
fn json_nested_deeper_than_python_reads_is_an_error_and_stays() {
    let text = format!(r#"{{"Other": {}1{}}}"#, "[".repeat(1500), "]".repeat(1500));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    write_file(&path, &text);
    let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
    assert!(error.contains("nested 1501 deep"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

/// A pipe (or a link to a device) planted where the cache belongs is refused by name, at once: opening a
/// FIFO blocks until someone writes to it, and reading `/dev/zero` never ends.
#[cfg(unix)]
#[test]
fn a_pipe_or_a_device_in_place_of_the_cache_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let status = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(status.success());
    let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
    assert!(error.contains("not a regular file"), "{error}");
    assert!(error.contains(&path.display().to_string()), "{error}");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
    assert!(error.contains("not a regular file"), "{error}");
}
