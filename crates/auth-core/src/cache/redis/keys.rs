//! How the Redis cache names what it keeps: `{prefix}:{part}:…`, the parts lower-case, an entry's parts
//! its partition (environment, client, tenant, account) and kind; the sets indexing a partition's access
//! tokens and an account's keys; the refresh lock of a token; and patterns for `SCAN`.

use crate::cache::{TokenQuery, normalized_scopes};

/// The owner segment of app-only (client credentials) entries, in place of a home account id.
pub(super) const APP: &str = "app";

/// The names of keys under one prefix.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: String) -> Self {
        Self { prefix }
    }

    /// `{prefix}:{part}:{part}…`, the parts lower-case (ids and hosts are case-insensitive).
    pub(super) fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        for part in parts {
            key.push(':');
            key.push_str(&part.to_lowercase());
        }
        key
    }

    pub(super) fn access_token_key(
        &self,
        env: &str,
        client: &str,
        realm: &str,
        owner: &str,
        target: &str,
    ) -> String {
        self.key(&[env, client, realm, owner, "accesstoken", target])
    }

    pub(super) fn access_token_index(&self, env: &str, client: &str, realm: &str, owner: &str) -> String {
        self.key(&[env, client, realm, owner, "accesstokens"])
    }

    pub(super) fn refresh_token_key(&self, env: &str, home: &str, client: &str) -> String {
        self.key(&[env, home, "refreshtoken", client])
    }

    pub(super) fn family_refresh_token_key(&self, env: &str, home: &str, family: &str) -> String {
        self.key(&[env, home, "familyrefreshtoken", family])
    }

    pub(super) fn account_key(&self, env: &str, home: &str, realm: &str) -> String {
        self.key(&[env, home, "account", realm])
    }

    /// The set of every key written for an account, so it can be forgotten without a scan.
    pub(super) fn account_index(&self, env: &str, home: &str) -> String {
        self.key(&[env, home, "keys"])
    }

    pub(super) fn app_metadata_key(&self, env: &str, client: &str) -> String {
        self.key(&[env, "appmetadata", client])
    }

    /// The refresh lock of the token a query asks for.
    pub(super) fn lock(&self, query: &TokenQuery) -> String {
        self.key(&[
            &query.environment,
            query.client_id.as_str(),
            query.realm.as_deref().unwrap_or("any"),
            query.home_account_id.as_deref().unwrap_or(APP),
            "lock",
            &normalized_scopes(&query.scopes).join(" "),
        ])
    }
}

/// A key segment with the glob characters of `SCAN MATCH` escaped.
pub(super) fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
