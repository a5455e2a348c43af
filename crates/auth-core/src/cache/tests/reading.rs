//! Searches read the cache file without building the whole document (`cache/index.rs`): what they find
//! must be what the document holds, whatever another SDK or a person wrote.

use super::*;

const HOME_AT: &str = "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a";

fn open(text: &str) -> (tempfile::TempDir, TokenCache) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    write_file(&path, text);
    let cache = TokenCache::open(&path);
    (dir, cache)
}

fn at_entry(secret: &str, expires_on: &str) -> String {
    format!(
        r#"{{"credential_type": "AccessToken", "secret": {secret}, "home_account_id": "{HOME_AT}",
            "environment": "login.microsoftonline.com", "client_id": "{CLIENT}", "realm": "{HOME_TENANT}",
            "target": "{GRAPH}", "token_type": "Bearer", "expires_on": {expires_on}}}"#
    )
}

fn found(cache: &TokenCache) -> Option<CachedAccessToken> {
    cache
        .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
        .unwrap()
}

#[test]
fn escaped_strings_numbers_and_unknown_members_read_as_the_document_has_them() {
    let text = format!(
        r#"{{"Future": {{"nested": [1, {{"deep": null}}], "s": "x"}},
            "AccessToken": {{
                "not-an-entry": 42,
                "escaped": {escaped},
                "AppMetadata": {{"a": [true, false, null, 1.5e3, "\u00e9"]}}
            }},
            "Account": {{"a": {{"home_account_id": "{HOME_AT}", "environment": "login.microsoftonline.com",
                "realm": "{HOME_TENANT}", "username": "admin\u0040contoso.com", "extra": {{"x": [1]}}}}}}
        }}"#,
        escaped = at_entry(r#""se\u0063ret\n\"quoted\"""#, &(NOW + 3600).to_string()),
    );
    let (_dir, cache) = open(&text);
    let token = found(&cache).unwrap();
    assert_eq!(token.access_token.secret(), "secret\n\"quoted\"");
    assert_eq!(token.expires_on, NOW + 3600, "a number is read as its text");
    assert_eq!(token.scopes, [GRAPH]);
    let accounts = cache.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].username, "admin@contoso.com");
}

#[test]
fn a_later_duplicate_key_replaces_the_earlier_entry_and_field() {
    let text = format!(
        r#"{{"AccessToken": {{
                "same-key": {first},
                "same-key": {second}
            }}}}"#,
        first = at_entry(r#""first""#, &format!("\"{}\"", NOW + 7200)),
        // the later field of the same name wins too
        second = at_entry(
            r#""second", "secret": "second-later""#,
            &format!("\"{}\"", NOW + 3600)
        ),
    );
    let (_dir, cache) = open(&text);
    assert_eq!(found(&cache).unwrap().access_token.secret(), "second-later");
    // a duplicate that is not an object takes the entry away
    let text = format!(
        r#"{{"AccessToken": {{"k": {entry}, "k": "gone"}}}}"#,
        entry = at_entry(r#""first""#, &(NOW + 3600).to_string())
    );
    let (_dir, cache) = open(&text);
    assert!(found(&cache).is_none());
}

#[test]
fn a_key_bound_token_is_skipped_whatever_the_value_of_its_marker() {
    for marker in [r#""key_id": null"#, r#""ext_cache_key": {"a": 1}"#] {
        let entry = at_entry(r#""pop""#, &(NOW + 3600).to_string());
        let entry = entry.replacen('{', &format!("{{{marker}, "), 1);
        let (_dir, cache) = open(&format!(r#"{{"AccessToken": {{"k": {entry}}}}}"#));
        assert!(found(&cache).is_none(), "{marker}");
    }
}

// Issue 17 changed this test: JSON that is not a token cache used to be moved aside too; now only text
// that is not JSON is, and the rest is an error that leaves the file alone.
#[test]
fn what_the_document_refuses_is_corrupt_for_searches_too() {
    for (bytes, reason) in [
        (
            b"{\"AccessToken\": {\"k\": {\"secret\": \"\xff\"}}}".to_vec(),
            "not JSON",
        ),
        (b"{} trailing".to_vec(), "not JSON"),
        (b"{\"a\": [1, 2}".to_vec(), "not JSON"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, &bytes).unwrap();
        let captured = Warnings::capture();
        let accounts = TokenCache::open(&path).accounts();
        let warnings = captured.text();
        assert!(accounts.unwrap().is_empty());
        assert!(warnings.contains(reason), "{reason}: {warnings}");
        assert!(!path.exists(), "{reason}: moved aside");
    }
    for (bytes, reason) in [
        (b"null".to_vec(), "its top level is not a JSON object"),
        (
            b"{\"Account\": \"x\"}".to_vec(),
            "its Account member is not an object",
        ),
        (
            b"{\"IdToken\": [1], \"Account\": {}}".to_vec(),
            "its IdToken member is not an object",
        ),
        (
            b"{\"AccessToken\": {}, \"AccessToken\": null}".to_vec(),
            "its AccessToken member is not an object",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, &bytes).unwrap();
        let error = TokenCache::open(&path).accounts().unwrap_err().to_string();
        assert!(error.contains(reason), "{reason}: {error}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{reason}: left as it was");
    }
}

#[test]
fn a_write_by_the_same_handle_is_searched_without_reading_the_file_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let cache = TokenCache::open(&path);
    cache
        .save_at(
            &app_result(&microsoft(CUSTOMER), "written", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    // Same size, modification time and inode: the handle keeps what it wrote (no writer of this schema
    // rewrites in place; this shows the search is served from memory).
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"written\"", "\"WRITTEN\"");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &file, text.as_bytes()).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let found = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "written");
    // another handle reads the file
    let found = TokenCache::open(&path)
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "WRITTEN");
}

#[test]
fn extreme_times_in_an_entry_are_an_expired_or_a_clamped_token_not_a_panic() {
    // issue 18: an `expires_on` of i64::MIN made every later `token` panic (subtract overflow)
    for (expires_on, served) in [
        (i64::MIN.to_string(), None),
        (format!("\"{}\"", i64::MIN), None),
        (i64::MAX.to_string(), Some(crate::time::MAX_EPOCH_SECONDS)),
        ("\"99999999999999999999\"".to_owned(), None),
    ] {
        let text = format!(
            r#"{{"AccessToken": {{"a": {}}}}}"#,
            at_entry(r#""s""#, &expires_on)
        );
        let (_dir, cache) = open(&text);
        let token = found(&cache);
        assert_eq!(token.map(|t| t.expires_on), served, "expires_on {expires_on}");
    }
}
