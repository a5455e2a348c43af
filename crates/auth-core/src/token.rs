//! The token result every flow returns, read from the token endpoint's JSON (numbers accepted as JSON
//! numbers or strings), and the unverified decoding of JWT payloads and `client_info`.

use std::time::SystemTime;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authority::Authority;
use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::time::{clamp_epoch, epoch_after, epoch_seconds};

/// Scopes MSAL adds to every delegated request and leaves out of the cache's `target`.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// The largest `expires_in` accepted: a day longer than the longest lifetime Entra ID issues (24 hours
/// for configurable lifetimes), so that a hostile or broken answer cannot pin a token for years.
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 2 * 24 * 3600;

/// What is wrong with a token answer of the authority, whatever asked for it (a sign-in, a renewal):
/// an empty access token, or a lifetime of zero or less, or over [`MAX_TOKEN_LIFETIME_SECONDS`]. Such an
/// answer is never saved: one hostile answer must not pin a token in the cache for years.
pub(crate) fn answer_problem(result: &TokenResult, now: SystemTime) -> Option<String> {
    if result.access_token.secret().trim().is_empty() {
        return Some("has an empty access_token".into());
    }
    let lifetime = result.expires_on.saturating_sub(epoch_seconds(now));
    if lifetime <= 0 {
        return Some(format!(
            "gives a token that is already expired (expires_in {lifetime})"
        ));
    }
    if lifetime > MAX_TOKEN_LIFETIME_SECONDS {
        return Some(format!(
            "gives a token valid for {lifetime} seconds, more than the {MAX_TOKEN_LIFETIME_SECONDS} accepted"
        ));
    }
    None
}

/// `client_info`: the home account's object and tenant ids, sent when a request has `client_info=1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The user's object id in the home tenant.
    pub uid: String,
    /// The home tenant id.
    pub utid: String,
}

impl ClientInfo {
    /// Decodes the base64url JSON that the token endpoint returns.
    pub fn decode(encoded: &str) -> Result<Self> {
        let bytes = decode_base64url(encoded).ok_or_else(|| Error::InvalidToken {
            what: "client_info",
            reason: "not base64url".into(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::InvalidToken {
            what: "client_info",
            reason: e.to_string(),
        })
    }

    /// The home account id, `{uid}.{utid}`.
    pub fn home_account_id(&self) -> String {
        format!("{}.{}", self.uid, self.utid)
    }
}

/// The account a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// `{uid}.{utid}` of the home tenant (MSAL's key for the account).
    pub home_account_id: String,
    /// The cache environment (authority host).
    pub environment: String,
    /// The tenant the token was issued in.
    pub realm: String,
    /// The object id in that tenant.
    pub local_account_id: String,
    /// The sign-in name (`preferred_username`, `upn` or `email`).
    pub username: String,
}

/// The result of every flow: one shape whatever the grant.
#[derive(Clone)]
pub struct TokenResult {
    /// The access token.
    pub access_token: AccessToken,
    /// `Bearer`, usually.
    pub token_type: String,
    /// When the access token expires (epoch seconds).
    pub expires_on: i64,
    /// Until when it may be used while the service is degraded (epoch seconds).
    pub ext_expires_on: Option<i64>,
    /// When to refresh it proactively (epoch seconds), from `refresh_in`.
    pub refresh_on: Option<i64>,
    /// The refresh token, exactly as the token response gave it.
    pub refresh_token: Option<RefreshToken>,
    /// The raw ID token.
    pub id_token: Option<IdToken>,
    /// The ID token's claims, decoded without verification (the token came straight from the authority
    /// over TLS).
    pub id_token_claims: Option<Value>,
    /// The decoded `client_info`.
    pub client_info: Option<ClientInfo>,
    /// The account, for delegated tokens.
    pub account: Option<Account>,
    /// The granted scopes (without the OIDC ones), or the requested ones when the server did not say.
    pub scopes: Vec<String>,
    /// The response's `scope` exactly as the server wrote it (OIDC scopes included), when it sent one:
    /// the token cache spells an entry's `target` from it, as MSAL does, so both key a token alike.
    pub granted_scope: Option<String>,
    /// The tenant the token is for: the token's `tid`, else the authority's tenant.
    pub tenant_id: String,
    /// The client that asked.
    pub client_id: ClientId,
    /// The cache environment (authority host, lower-case, no port).
    pub environment: String,
    /// The family (FOCI) id, when the client belongs to one.
    pub family_id: Option<String>,
}

impl std::fmt::Debug for TokenResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResult")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_on", &self.expires_on)
            .field("refresh_token", &self.refresh_token)
            .field("account", &self.account)
            .field("scopes", &self.scopes)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl TokenResult {
    /// Reads a token endpoint's success JSON.
    pub fn from_response(
        json: &Value,
        authority: &Authority,
        client_id: &ClientId,
        requested_scopes: &[String],
        now: SystemTime,
    ) -> Result<Self> {
        let missing = |field: &str| Error::InvalidToken {
            what: "token response",
            reason: format!("it has no {field}"),
        };
        let now = epoch_seconds(now);
        let access_token = json
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| missing("access_token"))?;
        let expires_in = number(json, "expires_in");
        // a hostile or broken server may send any number: every time is clamped to what a clock can
        // hold (see `time::MAX_EPOCH_SECONDS`), so that no later arithmetic on it can overflow
        let expires_on = number(json, "expires_on")
            .map(clamp_epoch)
            .or(expires_in.map(|s| epoch_after(now, s)))
            .unwrap_or_else(|| epoch_after(now, 3600));
        let id_token = json
            .get("id_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        let id_token_claims = id_token.map(|t| decode_jwt_payload(t, "ID token")).transpose()?;
        let client_info = json
            .get("client_info")
            .and_then(Value::as_str)
            .map(ClientInfo::decode)
            .transpose()?;
        let access_claims = decode_jwt_payload(access_token, "access token").ok();
        let claim = |name: &str| -> Option<String> {
            id_token_claims
                .as_ref()
                .and_then(|c| c.get(name))
                .or_else(|| access_claims.as_ref().and_then(|c| c.get(name)))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let tenant_id = claim("tid").unwrap_or_else(|| authority.tenant().to_string());
        let environment = authority.environment();
        let account = id_token_claims.as_ref().map(|claims| {
            let str_claim = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
            let home_account_id = client_info
                .as_ref()
                .map(ClientInfo::home_account_id)
                .or_else(|| str_claim("sub"))
                .unwrap_or_default();
            Account {
                home_account_id,
                environment: environment.clone(),
                realm: tenant_id.clone(),
                local_account_id: str_claim("oid").or_else(|| str_claim("sub")).unwrap_or_default(),
                username: str_claim("preferred_username")
                    .or_else(|| str_claim("upn"))
                    .or_else(|| str_claim("email"))
                    .unwrap_or_default(),
            }
        });
        let scopes = match json.get("scope").and_then(Value::as_str) {
            Some(granted) => granted
                .split_whitespace()
                .filter(|s| !OIDC_SCOPES.contains(s))
                .map(str::to_owned)
                .collect(),
            None => requested_scopes
                .iter()
                .filter(|s| !OIDC_SCOPES.contains(&s.as_str()))
                .cloned()
                .collect(),
        };
        Ok(Self {
            access_token: AccessToken::new(access_token),
            token_type: json
                .get("token_type")
                .and_then(Value::as_str)
                .unwrap_or("Bearer")
                .to_owned(),
            expires_on,
            ext_expires_on: number(json, "ext_expires_in").map(|s| epoch_after(now, s)),
            refresh_on: number(json, "refresh_in").map(|s| epoch_after(now, s)),
            refresh_token: json
                .get("refresh_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(RefreshToken::new),
            id_token: id_token.map(IdToken::new),
            id_token_claims,
            client_info,
            account,
            scopes,
            granted_scope: json.get("scope").and_then(Value::as_str).map(str::to_owned),
            tenant_id,
            client_id: client_id.clone(),
            environment,
            family_id: json.get("foci").and_then(Value::as_str).map(str::to_owned),
        })
    }

    /// The home account id, when the token belongs to a user.
    pub fn home_account_id(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.home_account_id.as_str())
    }

    /// The signed-in identity as `(identifier, object id)`: the user's sign-in name and object id, or for an
    /// application its client id for both.
    pub fn identity(&self) -> (String, String) {
        let user = self.account.as_ref();
        let object_id = user
            .map(|a| a.local_account_id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| self.client_id.to_string());
        let identifier = user
            .map(|a| a.username.clone())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| object_id.clone());
        (identifier, object_id)
    }

    /// Whether the access token has at most `margin_seconds` left at `now`.
    pub fn expires_within(&self, now: SystemTime, margin_seconds: i64) -> bool {
        self.expires_on.saturating_sub(epoch_seconds(now)) <= margin_seconds
    }
}

/// A JSON number, or a string holding one (the v1 endpoints and ADFS send strings). A fraction is cut to
/// its whole part and a number past `i64` saturates (`1e19` is `i64::MAX`; Rust's `as` saturates).
pub(crate) fn number(json: &Value, field: &str) -> Option<i64> {
    match json.get(field)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Base64url with or without padding (some issuers pad).
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// The payload of a JWT, decoded without verifying its signature.
pub fn decode_jwt_payload(token: &str, what: &'static str) -> Result<Value> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::InvalidToken {
            what,
            reason: "it is not a JWT (three dot-separated parts)".into(),
        });
    };
    let bytes = decode_base64url(payload).ok_or_else(|| Error::InvalidToken {
        what,
        reason: "its payload is not base64url".into(),
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(Error::InvalidToken {
            what,
            reason: "its payload is not a JSON object".into(),
        }),
        Err(e) => Err(Error::InvalidToken {
            what,
            reason: format!("its payload is not JSON: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests;
