//! The Redis server holding the token cache: the connection (made on first use, replaced once when a
//! kept one broke), entries written with their times to live and indexed in one transaction, read back
//! (opened when sealed), searched by partition, and forgotten by account, client or tenant.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

use super::keys::{APP, Keys, glob_escape};
use super::options::RedisOptions;
use crate::cache::schema::{
    ACCESS_TOKEN, ACCOUNT, APP_METADATA, ID_TOKEN, REFRESH_TOKEN, account_of, normalized_scopes, number,
    string,
};
use crate::cache::seal::SEALED_PREFIX;
use crate::cache::{FoundRefreshToken, TokenQuery, lock};
use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::RefreshToken;
use crate::token::Account;

/// Deletes `KEYS[1]` only if it still holds `ARGV[1]`: the lock's release by its owner, and the removal of
/// a refused refresh token that no other worker has replaced meanwhile.
const DELETE_IF_EQUAL: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/// Adds `ARGV[1]` to the set `KEYS[1]` and makes the set live at least `ARGV[2]` ms (works on Redis 6,
/// which has no `PEXPIRE … GT`).
const INDEX_ADD: &str = "redis.call('SADD', KEYS[1], ARGV[1]) \
    if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 1";

/// An entry as read: the raw value (for compare-and-delete) and the decoded entry.
type Stored = (String, Map<String, Value>);

/// A Redis server holding the token cache.
pub(in crate::cache) struct RedisStore {
    client: redis::Client,
    /// The URL without its password: what messages show.
    url: String,
    options: RedisOptions,
    keys: Keys,
    connection: Mutex<Option<redis::Connection>>,
    fallen_back: AtomicBool,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// `url` without its password.
fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

impl RedisStore {
    /// Checks the URL (`parameter` names where it came from); connects on first use.
    pub(in crate::cache) fn new(url: &str, options: RedisOptions, parameter: &str) -> Result<Self> {
        let parsed = url::Url::parse(url.trim()).map_err(|_| {
            Error::invalid(
                parameter,
                "it is not a URL: give redis://host:port or rediss://host:port (TLS)",
            )
        })?;
        let shown = redacted(&parsed);
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(Error::invalid(
                parameter,
                format!("'{shown}' is not a Redis URL: it must start with redis:// or rediss:// (TLS)"),
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::invalid(parameter, format!("'{shown}' names no host")));
        }
        let invalid = |e: redis::RedisError| Error::invalid(parameter, format!("'{shown}': {e}"));
        let mut info = redis::IntoConnectionInfo::into_connection_info(parsed.clone()).map_err(invalid)?;
        if parsed.password().is_none()
            && let Some(password) = &options.password
        {
            let settings = info.redis_settings().clone().set_password(password.secret());
            info = info.set_redis_settings(settings);
        }
        let client = redis::Client::open(info).map_err(invalid)?;
        Ok(Self {
            client,
            url: shown,
            keys: Keys::new(options.key_prefix.clone()),
            options,
            connection: Mutex::new(None),
            fallen_back: AtomicBool::new(false),
        })
    }

    pub(in crate::cache) fn url(&self) -> &str {
        &self.url
    }

    pub(in crate::cache) fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// How this store names its keys.
    pub(super) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Whether this process gave up on Redis for the file fallback.
    pub(in crate::cache) fn fallen_back(&self) -> bool {
        self.fallen_back.load(Ordering::Relaxed)
    }

    /// Gives up on Redis for the rest of this cache's life; true for the first caller only.
    pub(in crate::cache) fn fall_back(&self) -> bool {
        !self.fallen_back.swap(true, Ordering::Relaxed)
    }

    fn failure(&self, error: redis::RedisError) -> Error {
        let unreachable = error.is_io_error()
            || error.is_timeout()
            || error.is_connection_refusal()
            || error.is_connection_dropped();
        Error::CacheServer {
            url: self.url.clone(),
            reason: if unreachable {
                format!("unreachable ({error})")
            } else {
                error.to_string()
            },
            unreachable,
        }
    }

    fn connect(&self) -> Result<redis::Connection> {
        // Over TLS, redis builds its rustls configuration from the process's default provider, which rustls
        // picks from its crate features (ring, the workspace's only one) when the program installed none:
        // nothing is installed here behind the program's back.
        let connection = self
            .client
            .get_connection_with_timeout(self.options.connect_timeout)
            .map_err(|e| self.failure(e))?;
        connection
            .set_read_timeout(Some(self.options.command_timeout))
            .and_then(|()| connection.set_write_timeout(Some(self.options.command_timeout)))
            .map_err(|e| self.failure(e))?;
        Ok(connection)
    }

    /// Runs commands on the connection, connecting first when there is none. A kept connection that
    /// turns out broken (the server restarted, an idle timeout closed it) is replaced once.
    pub(super) fn run<R>(&self, f: impl Fn(&mut redis::Connection) -> redis::RedisResult<R>) -> Result<R> {
        let mut slot = lock(&self.connection);
        let mut reused = slot.is_some();
        loop {
            let mut connection = match slot.take() {
                Some(connection) => connection,
                None => self.connect()?,
            };
            match f(&mut connection) {
                Ok(value) => {
                    *slot = Some(connection);
                    return Ok(value);
                }
                Err(error) if error.is_unrecoverable_error() || error.is_io_error() || error.is_timeout() => {
                    // the connection is dropped with the error; try a new one if this one was old
                    if reused {
                        reused = false;
                        continue;
                    }
                    return Err(self.failure(error));
                }
                Err(error) => {
                    *slot = Some(connection);
                    return Err(self.failure(error));
                }
            }
        }
    }

    /// An entry as stored: its JSON, the secret sealed under the key when there is one.
    fn encode(&self, key: &str, entry: &Map<String, Value>) -> Result<String> {
        let mut entry = entry.clone();
        if let (Some(sealer), Some(Value::String(secret))) = (&self.options.key, entry.get("secret")) {
            let sealed = sealer.seal(secret, key)?;
            entry.insert("secret".into(), sealed.into());
        }
        Ok(Value::Object(entry).to_string())
    }

    /// An entry as read. A damaged value is skipped; an entry stored in clear while a key is configured is
    /// skipped too (anyone who can write to Redis could have planted it); so is a sealed one that the key
    /// does not open (tampered with, copied under another key, or sealed with another key): one bad entry
    /// must not stop every worker, and the token it held is renewed and written over it. The warning
    /// names the entry's key, never its value. Sealed entries with no key set are an error naming
    /// the key's setting: that is a worker's configuration, not an entry, at fault.
    fn decode(&self, key: &str, raw: &str) -> Result<Option<Map<String, Value>>> {
        let Ok(Value::Object(mut entry)) = serde_json::from_str::<Value>(raw) else {
            tracing::warn!(target: "msconnect::cache", "skipping {key} in the token cache {}: not a JSON object", self.url);
            return Ok(None);
        };
        let Some(Value::String(secret)) = entry.get("secret") else {
            return Ok(Some(entry));
        };
        let sealed = secret.starts_with(SEALED_PREFIX);
        let key_setting = &self.options.names.key;
        match (&self.options.key, sealed) {
            (None, false) => Ok(Some(entry)),
            (None, true) => Err(Error::invalid(
                key_setting,
                format!(
                    "the token cache {} holds encrypted tokens: set it to the key they were written with",
                    self.url
                ),
            )),
            (Some(_), false) => {
                tracing::warn!(target: "msconnect::cache", "skipping {key} in the token cache {}: it is not encrypted, and {key_setting} is set", self.url);
                Ok(None)
            }
            (Some(opener), true) => {
                let Some(plain) = opener.open(secret, key) else {
                    tracing::warn!(
                        target: "msconnect::cache",
                        "skipping {key} in the token cache {}: {key_setting} does not decrypt it (it was \
                         altered, copied from another key, or sealed with another {key_setting}); a new \
                         token will replace it",
                        self.url
                    );
                    return Ok(None);
                };
                entry.insert("secret".into(), plain.as_str().into());
                Ok(Some(entry))
            }
        }
    }

    /// Writes the entries of one token response in one transaction: each entry under its own key with
    /// its time to live, and its key in the indexes of its partition and account.
    pub(in crate::cache) fn save(
        &self,
        entries: &[(&'static str, Map<String, Value>)],
        now: i64,
    ) -> Result<()> {
        let long = millis(self.options.refresh_token_ttl);
        let mut pipe = redis::pipe();
        pipe.atomic();
        let index = |pipe: &mut redis::Pipeline, set: &str, member: &str, ttl: i64| {
            pipe.cmd("EVAL")
                .arg(INDEX_ADD)
                .arg(1)
                .arg(set)
                .arg(member)
                .arg(ttl)
                .ignore();
        };
        for (map, entry) in entries {
            let field = |name: &str| string(entry, name).unwrap_or_default().to_lowercase();
            let (env, client, realm) = (field("environment"), field("client_id"), field("realm"));
            let home = Some(field("home_account_id")).filter(|h| !h.is_empty());
            let put = |pipe: &mut redis::Pipeline, key: &str, ttl: i64, only_new: bool| -> Result<()> {
                let command = pipe
                    .cmd("SET")
                    .arg(key)
                    .arg(self.encode(key, entry)?)
                    .arg("PX")
                    .arg(ttl);
                if only_new {
                    command.arg("NX");
                }
                command.ignore();
                if let Some(home) = &home {
                    index(pipe, &self.keys.account_index(&env, home), key, long);
                }
                Ok(())
            };
            match *map {
                ACCESS_TOKEN => {
                    let Some(ttl) = number(entry, "expires_on")
                        .map(|expires_on| expires_on.saturating_sub(now).saturating_mul(1000))
                        .filter(|ttl| *ttl > 0)
                    else {
                        continue;
                    };
                    let owner = home.as_deref().unwrap_or(APP);
                    let target = normalized_scopes(string(entry, "target")).join(" ");
                    let key = self.keys.access_token_key(&env, &client, &realm, owner, &target);
                    put(&mut pipe, &key, ttl, false)?;
                    index(
                        &mut pipe,
                        &self.keys.access_token_index(&env, &client, &realm, owner),
                        &key,
                        ttl,
                    );
                }
                REFRESH_TOKEN => {
                    let Some(home) = &home else { continue };
                    put(
                        &mut pipe,
                        &self.keys.refresh_token_key(&env, home, &client),
                        long,
                        false,
                    )?;
                    if let Some(family) = string(entry, "family_id").filter(|f| !f.is_empty()) {
                        put(
                            &mut pipe,
                            &self.keys.family_refresh_token_key(&env, home, &family),
                            long,
                            false,
                        )?;
                    }
                }
                ID_TOKEN => {
                    let Some(home) = &home else { continue };
                    put(
                        &mut pipe,
                        &self.keys.key(&[&env, &client, &realm, home, "idtoken"]),
                        long,
                        false,
                    )?;
                }
                ACCOUNT => {
                    let Some(home) = &home else { continue };
                    put(&mut pipe, &self.keys.account_key(&env, home, &realm), long, false)?;
                }
                APP_METADATA => {
                    // metadata naming a family is news; metadata without one must not erase a known family
                    let family = entry.contains_key("family_id");
                    put(
                        &mut pipe,
                        &self.keys.app_metadata_key(&env, &client),
                        long,
                        !family,
                    )?;
                }
                _ => {}
            }
        }
        self.run(|connection| pipe.query::<()>(connection))
    }

    /// The values of `keys`, decoded; missing keys are `None`.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Stored>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let raws: Vec<Option<String>> = self.run(|c| redis::cmd("MGET").arg(keys).query(c))?;
        keys.iter()
            .zip(raws)
            .map(|(key, raw)| match raw {
                Some(raw) => Ok(self.decode(key, &raw)?.map(|entry| (raw, entry))),
                None => Ok(None),
            })
            .collect()
    }

    fn get(&self, key: &str) -> Result<Option<Stored>> {
        Ok(self.get_many(&[key.to_owned()])?.pop().flatten())
    }

    fn members(&self, set: &str) -> Result<Vec<String>> {
        let mut members: Vec<String> = self.run(|c| redis::cmd("SMEMBERS").arg(set).query(c))?;
        members.sort();
        Ok(members)
    }

    /// Keys matching a glob pattern, by `SCAN` (for the rare questions no index answers).
    fn scan(&self, pattern: &str) -> Result<Vec<String>> {
        let mut found: Vec<String> = self.run(|c| {
            let mut keys = Vec::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(c)?;
                keys.extend(batch);
                if next == 0 {
                    return Ok(keys);
                }
                cursor = next;
            }
        })?;
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// The access tokens of the partition a query names (every tenant's partition of the client when
    /// the query names no tenant). Index members whose token expired are dropped from the index.
    pub(in crate::cache) fn access_tokens(&self, query: &TokenQuery) -> Result<Vec<Map<String, Value>>> {
        let env = &query.environment;
        let client = query.client_id.as_str();
        let owner = query.home_account_id.as_deref().unwrap_or(APP);
        let indexes = match &query.realm {
            Some(realm) => vec![self.keys.access_token_index(env, client, realm, owner)],
            None => {
                let part = |text: &str| glob_escape(&text.to_lowercase());
                self.scan(&format!(
                    "{}:{}:{}:*:{}:accesstokens",
                    glob_escape(&self.options.key_prefix),
                    part(env),
                    part(client),
                    part(owner)
                ))?
            }
        };
        let mut found = Vec::new();
        for index in indexes {
            let members = self.members(&index)?;
            let values = self.get_many(&members)?;
            let expired: Vec<&String> = members
                .iter()
                .zip(&values)
                .filter(|(_, value)| value.is_none())
                .map(|(member, _)| member)
                .collect();
            if !expired.is_empty() {
                self.run(|c| redis::cmd("SREM").arg(&index).arg(&expired).query::<()>(c))?;
            }
            found.extend(values.into_iter().flatten().map(|(_, entry)| entry));
        }
        Ok(found)
    }

    /// The refresh token of an account for a client: its own, else its family's by MSAL's rule (the family
    /// its metadata names; family `1` when the client was never seen; none when it is in no family).
    pub(in crate::cache) fn refresh_token(
        &self,
        env: &str,
        client_id: &ClientId,
        home: &str,
    ) -> Result<Option<FoundRefreshToken>> {
        let secret = |entry: Option<Stored>| {
            entry
                .and_then(|(_, e)| string(&e, "secret"))
                .filter(|s| !s.is_empty())
                .map(RefreshToken::new)
        };
        if let Some(token) = secret(self.get(&self.keys.refresh_token_key(env, home, client_id.as_str()))?) {
            return Ok(Some(FoundRefreshToken { token, owned: true }));
        }
        let (family, owned) = match self.get(&self.keys.app_metadata_key(env, client_id.as_str()))? {
            Some((_, metadata)) => match string(&metadata, "family_id").filter(|f| !f.is_empty()) {
                Some(family) => (family, true),
                None => return Ok(None),
            },
            None => ("1".to_owned(), false),
        };
        Ok(
            secret(self.get(&self.keys.family_refresh_token_key(env, home, &family))?)
                .map(|token| FoundRefreshToken { token, owned }),
        )
    }

    /// Removes a refused refresh token from the client's key and its family's, where it is still the one
    /// stored (compare-and-delete: a worker may have stored a newer one meanwhile).
    pub(in crate::cache) fn remove_refresh_token(
        &self,
        env: &str,
        client_id: &ClientId,
        home: &str,
        dead: &RefreshToken,
    ) -> Result<()> {
        let family = self
            .get(&self.keys.app_metadata_key(env, client_id.as_str()))?
            .and_then(|(_, metadata)| string(&metadata, "family_id"))
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "1".into());
        for key in [
            self.keys.refresh_token_key(env, home, client_id.as_str()),
            self.keys.family_refresh_token_key(env, home, &family),
        ] {
            if let Some((raw, entry)) = self.get(&key)?
                && string(&entry, "secret").is_some_and(|s| s == dead.secret())
            {
                self.delete_if_equal(&key, &raw)?;
            }
        }
        Ok(())
    }

    pub(super) fn delete_if_equal(&self, key: &str, value: &str) -> Result<bool> {
        let deleted: i64 = self.run(|c| {
            redis::cmd("EVAL")
                .arg(DELETE_IF_EQUAL)
                .arg(1)
                .arg(key)
                .arg(value)
                .query(c)
        })?;
        Ok(deleted == 1)
    }

    /// Every account, in key order.
    pub(in crate::cache) fn accounts(&self) -> Result<Vec<Account>> {
        let keys = self.scan(&format!("{}:*:account:*", glob_escape(&self.options.key_prefix)))?;
        Ok(self
            .get_many(&keys)?
            .into_iter()
            .flatten()
            .filter_map(|(_, entry)| account_of(&entry))
            .collect())
    }

    /// The account entry of `home` in `realm`, else in any tenant.
    pub(in crate::cache) fn account(&self, env: &str, home: &str, realm: &str) -> Result<Option<Account>> {
        if let Some((_, entry)) = self.get(&self.keys.account_key(env, home, realm))? {
            return Ok(account_of(&entry));
        }
        let prefix = self.keys.key(&[env, home, "account", ""]);
        let keys: Vec<String> = self
            .members(&self.keys.account_index(env, home))?
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        Ok(self
            .get_many(&keys)?
            .into_iter()
            .flatten()
            .find_map(|(_, entry)| account_of(&entry)))
    }

    /// Forgets everything of an account: every key its index names, and the index.
    pub(in crate::cache) fn remove_account(&self, env: &str, home: &str) -> Result<()> {
        let index = self.keys.account_index(env, home);
        let mut keys = self.members(&index)?;
        keys.push(index);
        self.run(|c| redis::cmd("DEL").arg(&keys).query::<()>(c))
    }

    /// Forgets what one client acquired for an account that another saved connection still uses: the
    /// client's access and ID tokens, its own refresh token, and the family refresh token it wrote unless
    /// one of `clients_kept` (the account's other connections) has no refresh token of its own and lives
    /// on it. Nothing when a kept connection uses this very client.
    pub(in crate::cache) fn remove_client_tokens(
        &self,
        env: &str,
        home: &str,
        client_id: &ClientId,
        clients_kept: &[ClientId],
    ) -> Result<()> {
        if clients_kept.contains(client_id) {
            return Ok(());
        }
        let index = self.keys.account_index(env, home);
        let keys = self.members(&index)?;
        // access and ID tokens are keyed `{p}:{env}:{client}:…`, the refresh token `…:refreshtoken:{client}`
        let of_client = format!("{}:", self.keys.key(&[env, client_id.as_str()]));
        let own_refresh = self.keys.refresh_token_key(env, home, client_id.as_str());
        let mut doomed: Vec<String> = keys
            .iter()
            .filter(|key| key.starts_with(&of_client) || **key == own_refresh)
            .cloned()
            .collect();
        let others_have_their_own = clients_kept
            .iter()
            .all(|c| keys.contains(&self.keys.refresh_token_key(env, home, c.as_str())));
        if others_have_their_own {
            let families = format!("{}:", self.keys.key(&[env, home, "familyrefreshtoken"]));
            let family_keys: Vec<String> = keys
                .iter()
                .filter(|k| k.starts_with(&families))
                .cloned()
                .collect();
            for (key, stored) in family_keys.iter().zip(self.get_many(&family_keys)?) {
                let written_by_client = stored.is_some_and(|(_, entry)| {
                    entry
                        .get("client_id")
                        .and_then(Value::as_str)
                        .is_some_and(|c| c.eq_ignore_ascii_case(client_id.as_str()))
                });
                if written_by_client {
                    doomed.push(key.clone());
                }
            }
        }
        if doomed.is_empty() {
            return Ok(());
        }
        self.run(|c| {
            redis::pipe()
                .atomic()
                .cmd("DEL")
                .arg(&doomed)
                .ignore()
                .cmd("SREM")
                .arg(&index)
                .arg(&doomed)
                .ignore()
                .query::<()>(c)
        })
    }

    /// Forgets a client's app-only access tokens in a tenant.
    pub(in crate::cache) fn remove_app_tokens(
        &self,
        env: &str,
        client_id: &ClientId,
        realm: &str,
    ) -> Result<()> {
        let index = self.keys.access_token_index(env, client_id.as_str(), realm, APP);
        let mut keys = self.members(&index)?;
        keys.push(index);
        self.run(|c| redis::cmd("DEL").arg(&keys).query::<()>(c))
    }
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX).max(1)
}
