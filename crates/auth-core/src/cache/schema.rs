//! The token cache's schema, as MSAL writes it (PROTOCOL section 5): the maps, the entries a token
//! response becomes, the keys MSAL Python gives them, and the edits of a whole document (merge an entry
//! into the one that stands for the same thing, remove, prune) that the file and memory backends make.
//! The Redis backend stores the same entries, one key each.

use serde_json::{Map, Value, json};

#[cfg(feature = "redis")]
use crate::token::Account;
use crate::token::{OIDC_SCOPES, TokenResult};

pub(super) const ACCESS_TOKEN: &str = "AccessToken";
pub(super) const REFRESH_TOKEN: &str = "RefreshToken";
pub(super) const ID_TOKEN: &str = "IdToken";
pub(super) const ACCOUNT: &str = "Account";
pub(super) const APP_METADATA: &str = "AppMetadata";
/// The five maps, in the order MSAL writes them.
pub(super) const CREDENTIAL_MAPS: [&str; 5] = [ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, ACCOUNT, APP_METADATA];

/// What marks the tokens of a connection that announces client capabilities in the cache: a scope
/// `msconnect.capabilities:cp1` in the entry's `target` (never sent to the authority). A request that
/// announces them looks only for tokens carrying it, one that does not never sees them, and their cache
/// keys differ, so neither replaces the other. MSAL ignores the extra scope.
pub(crate) const CAPABILITY_SCOPE_PREFIX: &str = "msconnect.capabilities:";

/// The whole cache file: the five maps and whatever else other libraries put there.
pub(super) type Document = Map<String, Value>;

/// The cache file's text for these sign-ins, as [`TokenCache::save_at`] would leave it after saving them
/// one by one at `now`, built without the search for an entry to merge into: the sign-ins must not overlap
/// (one per account). For large test caches, which saving one by one would take minutes to write.
#[doc(hidden)]
pub fn file_text_of(
    results: &[TokenResult],
    requested_scopes: &[String],
    account_source: Option<&str>,
    now: i64,
) -> Vec<u8> {
    let mut doc = Document::new();
    ensure_maps(&mut doc);
    for result in results {
        for (map, entry) in entries_for(result, requested_scopes, account_source, now) {
            if let Some(Value::Object(entries)) = doc.get_mut(map) {
                entries.insert(key_of(map, &entry), Value::Object(entry));
            }
        }
    }
    to_text(&doc)
}

/// An empty map for a new cache document, with the five maps in MSAL's order.
pub(super) fn ensure_maps(doc: &mut Document) {
    for name in CREDENTIAL_MAPS {
        if !doc.contains_key(name) {
            doc.insert(name.to_owned(), Value::Object(Map::new()));
        }
    }
}

/// A cache file's text: JSON indented by four spaces, as MSAL Python writes it.
pub(super) fn to_text(doc: &Document) -> Vec<u8> {
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    // A map of JSON values with string keys always serializes; there is no I/O to fail on a Vec.
    let _ = serde::Serialize::serialize(doc, &mut serializer);
    text
}

/// `{a}-{b}-…`, lower-case: how MSAL spells keys (searching never relies on it).
pub(super) fn key(parts: &[&str]) -> String {
    parts.join("-").to_lowercase()
}

/// Scopes without the OIDC ones, deduplicated without regard to case, sorted as MSAL sorts them.
pub(crate) fn normalized_scopes<S: AsRef<str>>(scopes: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for scope in scopes {
        for scope in scope.as_ref().split_whitespace() {
            if !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(scope))
                && !out.iter().any(|s| s.eq_ignore_ascii_case(scope))
            {
                out.push(scope.to_owned());
            }
        }
    }
    out.sort();
    out
}

/// An entry's `target` as MSAL Python spells it, so both libraries give one token the same key and each
/// overwrites the other's entry instead of adding one beside it: the scopes of the response's `scope` as
/// the server wrote them, OIDC ones included, sorted. The requested scopes the server did not name join
/// them (a `{resource}/.default` comes back as the permissions it stands for), so asking again finds the
/// token; without a `scope` in the response, the requested scopes are all there is.
pub(super) fn target_of(result: &TokenResult, requested_scopes: &[String]) -> String {
    let mut scopes: Vec<String> = Vec::new();
    let granted = result.granted_scope.as_deref().map(str::split_whitespace);
    for scope in granted
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .chain(normalized_scopes(result.scopes.iter().chain(requested_scopes)))
    {
        if !scopes.iter().any(|s| s.eq_ignore_ascii_case(&scope)) {
            scopes.push(scope);
        }
    }
    scopes.sort();
    scopes.join(" ")
}

/// The entries a token result becomes, each with the map it goes in.
pub(super) fn entries_for(
    result: &TokenResult,
    requested_scopes: &[String],
    account_source: Option<&str>,
    now: i64,
) -> Vec<(&'static str, Map<String, Value>)> {
    let home = result
        .account
        .as_ref()
        .map(|a| a.home_account_id.clone())
        .or_else(|| result.client_info.as_ref().map(|c| c.home_account_id()))
        .filter(|h| !h.is_empty());
    let environment = result.environment.to_ascii_lowercase();
    let client_id = result.client_id.as_str();
    let realm = result.tenant_id.to_ascii_lowercase();
    let target = target_of(result, requested_scopes);
    let object = |value: Value| match value {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut out = Vec::new();

    let mut at = object(json!({
        "credential_type": ACCESS_TOKEN,
        "secret": result.access_token.secret(),
        "home_account_id": home,
        "environment": environment,
        "client_id": client_id,
        "target": target,
        "realm": realm,
        "token_type": result.token_type,
        "cached_at": now.to_string(),
        "expires_on": result.expires_on.to_string(),
        "extended_expires_on": result.ext_expires_on.unwrap_or(result.expires_on).to_string(),
    }));
    if let Some(refresh_on) = result.refresh_on {
        at.insert("refresh_on".into(), refresh_on.to_string().into());
    }
    out.push((ACCESS_TOKEN, at));

    if let (Some(home), Some(account)) = (&home, &result.account) {
        let mut entry = object(json!({
            "home_account_id": home,
            "environment": environment,
            "realm": realm,
            "local_account_id": account.local_account_id,
            "username": account.username,
            "authority_type": "MSSTS",
        }));
        if let Some(source) = account_source {
            entry.insert("account_source".into(), source.into());
        }
        out.push((ACCOUNT, entry));
    }
    if let (Some(home), Some(id_token)) = (&home, &result.id_token) {
        out.push((
            ID_TOKEN,
            object(json!({
                "credential_type": ID_TOKEN,
                "secret": id_token.secret(),
                "home_account_id": home,
                "environment": environment,
                "realm": realm,
                "client_id": client_id,
            })),
        ));
    }
    if let (Some(home), Some(refresh_token)) = (&home, &result.refresh_token) {
        let mut rt = object(json!({
            "credential_type": REFRESH_TOKEN,
            "secret": refresh_token.secret(),
            "home_account_id": home,
            "environment": environment,
            "client_id": client_id,
            "target": target,
            "last_modification_time": now.to_string(),
        }));
        if let Some(family) = &result.family_id {
            rt.insert("family_id".into(), family.as_str().into());
        }
        out.push((REFRESH_TOKEN, rt));
    }
    let mut metadata = object(json!({ "client_id": client_id, "environment": environment }));
    if let Some(family) = &result.family_id {
        metadata.insert("family_id".into(), family.as_str().into());
    }
    out.push((APP_METADATA, metadata));
    out
}

/// The key MSAL Python gives an entry (`TokenCache.key_makers`): built from the entry's fields, so every
/// tool that shares the file finds, replaces and removes the same entry. A refresh token's realm part is
/// empty (refresh tokens are cross-tenant); an access token cached under extra request parameters is an
/// `atext` entry with its `ext_cache_key` appended; the app metadata key keeps its case.
pub(crate) fn key_of(map: &str, e: &Map<String, Value>) -> String {
    let f = |name: &str| string(e, name).unwrap_or_default();
    match map {
        ACCESS_TOKEN => {
            let ext = f("ext_cache_key");
            let kind = if ext.is_empty() { "AccessToken" } else { "atext" };
            let mut parts = vec![
                f("home_account_id"),
                f("environment"),
                kind.to_owned(),
                f("client_id"),
                f("realm"),
                f("target"),
            ];
            if !ext.is_empty() {
                parts.push(ext);
            }
            key(&parts.iter().map(String::as_str).collect::<Vec<_>>())
        }
        REFRESH_TOKEN => key(&[
            &f("home_account_id"),
            &f("environment"),
            REFRESH_TOKEN,
            &f("client_id"),
            "",
            &f("target"),
        ]),
        ID_TOKEN => key(&[
            &f("home_account_id"),
            &f("environment"),
            ID_TOKEN,
            &f("client_id"),
            &f("realm"),
            "",
        ]),
        ACCOUNT => key(&[&f("home_account_id"), &f("environment"), &f("realm")]),
        _ => format!("appmetadata-{}-{}", f("environment"), f("client_id")),
    }
}

/// Whether two entries of a map stand for the same thing, whatever their keys. A refresh token is one per
/// account and client, whatever its target.
pub(super) fn same_identity(map: &str, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let same = |name: &str| match (string(a, name), string(b, name)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        (x, y) => x.unwrap_or_default().is_empty() && y.unwrap_or_default().is_empty(),
    };
    let fields: &[&str] = match map {
        ACCESS_TOKEN => &["home_account_id", "environment", "client_id", "realm"],
        REFRESH_TOKEN => &["home_account_id", "environment", "client_id"],
        ID_TOKEN => &["home_account_id", "environment", "client_id", "realm"],
        ACCOUNT => &["home_account_id", "environment", "realm"],
        _ => &["environment", "client_id"],
    };
    fields.iter().all(|f| same(f))
        && (map != ACCESS_TOKEN
            || (normalized_scopes(string(a, "target")) == normalized_scopes(string(b, "target"))
                && [a, b]
                    .iter()
                    .all(|e| !e.contains_key("ext_cache_key") && !e.contains_key("key_id"))))
}

/// Puts an entry in, merged into the entry that stands for the same thing when there is one (keeping the
/// fields we do not know, `family_id` among them), always under MSAL's key for the merged fields: when a
/// field that is part of the key changed, the entry moves to its new key and the old key goes, so MSAL
/// Python and the Azure CLI, which rebuild keys from fields, find, replace and remove this very entry.
/// Further entries that stand for the same thing (left by a tool that keyed them differently) go too:
/// one account and client has one refresh token.
///
/// A renewed refresh token keeps the target of the entry it replaces, as MSAL's `update_rt` does (only
/// the secret and `last_modification_time` change): its key stays put, so a tool that found the entry
/// before our write and updates it after still updates the one entry instead of adding a second.
pub(super) fn upsert(doc: &mut Document, map: &str, mut entry: Map<String, Value>) {
    let Some(Value::Object(entries)) = doc.get_mut(map) else {
        return;
    };
    let same: Vec<String> = entries
        .iter()
        .filter(|(_, e)| e.as_object().is_some_and(|e| same_identity(map, e, &entry)))
        .map(|(k, _)| k.clone())
        .collect();
    let mut merged = match same
        .first()
        .and_then(|k| entries.get(k))
        .and_then(Value::as_object)
    {
        Some(old) => {
            let mut old = old.clone();
            // a new access token without `refresh_on` must not inherit the old one's
            if map == ACCESS_TOKEN && !entry.contains_key("refresh_on") {
                old.shift_remove("refresh_on");
            }
            if map == REFRESH_TOKEN && string(&old, "target").is_some() {
                entry.shift_remove("target");
            }
            old
        }
        None => Map::new(),
    };
    merged.extend(entry);
    let new_key = key_of(map, &merged);
    for old_key in same.iter().filter(|k| **k != new_key) {
        entries.shift_remove(old_key);
    }
    entries.insert(new_key, Value::Object(merged));
}

/// Removes the entries of a map that `pred` picks; says whether any went.
pub(super) fn remove_where(
    doc: &mut Document,
    map: &str,
    pred: impl Fn(&Map<String, Value>) -> bool,
) -> bool {
    let Some(Value::Object(entries)) = doc.get_mut(map) else {
        return false;
    };
    let before = entries.len();
    entries.retain(|_, e| !e.as_object().is_some_and(&pred));
    entries.len() != before
}

/// Access tokens past their expiry are useless to every reader; MSAL Python drops them too.
pub(super) fn prune_expired_access_tokens(doc: &mut Document, now: i64) {
    remove_where(doc, ACCESS_TOKEN, |e| {
        number(e, "expires_on").is_some_and(|t| t < now)
    });
}

/// The object entries of one map (searches read the index instead).
pub(super) fn entries<'d>(doc: &'d Document, map: &str) -> impl Iterator<Item = &'d Map<String, Value>> {
    doc.get(map)
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_object)
}

pub(super) fn string(e: &Map<String, Value>, name: &str) -> Option<String> {
    match e.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A timestamp or count, written as a string (the schema) or a number (some SDKs).
pub(super) fn number(e: &Map<String, Value>, name: &str) -> Option<i64> {
    string(e, name)?.trim().parse().ok()
}

/// Whether a field holds `value`, compared without regard to case (ids and hosts are case-insensitive).
pub(super) fn field_is(e: &Map<String, Value>, name: &str, value: &str) -> bool {
    string(e, name).is_some_and(|v| v.eq_ignore_ascii_case(value))
}

/// An app-only entry: `home_account_id` null (what MSAL writes), absent or empty.
pub(super) fn is_app_only(e: &Map<String, Value>) -> bool {
    string(e, "home_account_id").is_none_or(|h| h.is_empty())
}

/// An account entry as the Redis store holds it (searches of the file read the index instead).
#[cfg(feature = "redis")]
pub(super) fn account_of(e: &Map<String, Value>) -> Option<Account> {
    Some(Account {
        home_account_id: string(e, "home_account_id").filter(|h| !h.is_empty())?,
        environment: string(e, "environment").unwrap_or_default(),
        realm: string(e, "realm").unwrap_or_default(),
        local_account_id: string(e, "local_account_id").unwrap_or_default(),
        username: string(e, "username").unwrap_or_default(),
    })
}
