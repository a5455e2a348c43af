//! Access token passthrough: the caller already has a token. No request is made: the JWT payload is read
//! without verification (the resource will verify it) for its expiry, tenant and user.

use std::time::SystemTime;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::secret::AccessToken;
use crate::time::epoch_seconds;
use crate::token::{Account, TokenResult, decode_jwt_payload};

/// Reads an access token given by the caller.
#[derive(Debug, Clone)]
pub struct AccessTokenPassthrough<'a> {
    token: &'a AccessToken,
    environment: &'a str,
    default_client_id: &'a ClientId,
}

impl<'a> AccessTokenPassthrough<'a> {
    /// `environment` is the cache environment (authority host) the token is filed under;
    /// `default_client_id` is used when the token names no application (`appid`/`azp`).
    pub fn new(token: &'a AccessToken, environment: &'a str, default_client_id: &'a ClientId) -> Self {
        Self {
            token,
            environment,
            default_client_id,
        }
    }

    /// Reads the token as of `now`: refuses it when expired or without a `tid`.
    pub fn read(self, now: SystemTime) -> Result<TokenResult> {
        let claims = decode_jwt_payload(self.token.secret(), "access token")?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let exp = match claims.get("exp") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| Error::InvalidToken {
            what: "access token",
            reason: "it has no exp claim".into(),
        })?;
        if exp <= epoch_seconds(now) {
            return Err(Error::AccessTokenExpired);
        }
        let tenant_id = text("tid").ok_or_else(|| Error::InvalidToken {
            what: "access token",
            reason: "it has no tid claim".into(),
        })?;
        let client_id = text("appid")
            .or_else(|| text("azp"))
            .and_then(|id| ClientId::parse(&id).ok())
            .unwrap_or_else(|| self.default_client_id.clone());
        let oid = text("oid");
        let username = text("upn")
            .or_else(|| text("unique_name"))
            .or_else(|| text("preferred_username"));
        let account = oid.as_ref().map(|oid| Account {
            // The original built "<oid>.tid: <guid>"; MSAL's form is "<oid>.<tid>".
            home_account_id: format!("{oid}.{tenant_id}"),
            environment: self.environment.to_owned(),
            realm: tenant_id.clone(),
            local_account_id: oid.clone(),
            username: username.clone().unwrap_or_default(),
        });
        let scopes = match text("scp") {
            Some(scp) => scp.split_whitespace().map(str::to_owned).collect(),
            None => claims
                .get("roles")
                .and_then(Value::as_array)
                .map(|roles| {
                    roles
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(TokenResult {
            access_token: self.token.clone(),
            token_type: "Bearer".into(),
            expires_on: exp,
            ext_expires_on: None,
            refresh_on: None,
            refresh_token: None,
            id_token: None,
            id_token_claims: None,
            client_info: None,
            account,
            scopes,
            granted_scope: None,
            tenant_id,
            client_id,
            environment: self.environment.to_owned(),
            family_id: None,
        })
    }
}
