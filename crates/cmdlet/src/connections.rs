//! Named connections: a module keeps any number, each saved under a [`ConnectionName`], and one of them
//! is its current one (the last connected, or the one chosen with `switch`); each is listed
//! ([`SavedConnection`]) and checked ([`ConnectionStatus`]): can it still give a token?
//!
//! Processes that name their connections never share one: each reads and writes only its own file, and
//! the current-connection pointer is a file of its own, replaced whole (see [`crate::ContextStore`]).
//! The unnamed current connection, on the other hand, is shared by every process using the same
//! `MSCONNECT_HOME`: a fleet names a connection per worker or per tenant.

use std::time::{Duration, SystemTime};

use auth_core::{Session, SignedIn};
use serde::Serialize;

use crate::saved::{DEFAULT_NAME, name_problem};

/// The name a connection is saved under: letters, digits, `-`, `_` and `.` (not first), at most 64, so
/// that it is a safe file name (`contoso`, `customer-42`, `ci.worker-3`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ConnectionName(String);

impl ConnectionName {
    /// `name`, checked; the error says what a name may hold.
    pub fn parse(name: &str) -> std::result::Result<Self, InvalidName> {
        match name_problem(name) {
            None => Ok(Self(name.to_owned())),
            Some(reason) => Err(InvalidName(reason)),
        }
    }

    /// `default`: the name of a connection made without one, and of one saved by the previous release.
    pub fn default_name() -> Self {
        Self(DEFAULT_NAME.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ConnectionName {
    fn default() -> Self {
        Self::default_name()
    }
}

impl std::fmt::Display for ConnectionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ConnectionName {
    type Err = InvalidName;

    fn from_str(name: &str) -> std::result::Result<Self, InvalidName> {
        Self::parse(name)
    }
}

/// Why a text is not a [`ConnectionName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidName(String);

impl From<InvalidName> for crate::Error {
    fn from(error: InvalidName) -> Self {
        auth_core::Error::invalid("context", error.0).into()
    }
}

/// A saved connection as [`Lifecycle::list`](crate::Lifecycle::list) gives it.
#[derive(Debug, Clone)]
pub struct SavedConnection<C> {
    /// The module (`partnercenter`).
    pub module: &'static str,
    /// The name it is saved under.
    pub name: ConnectionName,
    /// Whether it is the module's current connection.
    pub current: bool,
    /// What signed in, where.
    pub connection: auth_core::Connection,
    /// The module's context.
    pub context: C,
}

impl<C> SavedConnection<C> {
    /// Who signed in: the user's name (else their account id), the application's id, or which managed
    /// identity.
    pub fn account(&self) -> String {
        account(&self.connection)
    }

    /// The kind of sign-in: `User (DeviceCode)`, `Application (Certificate)`, `ManagedIdentity`,
    /// `AccessToken`.
    pub fn sign_in(&self) -> String {
        let method = self.connection.method_name();
        match &self.connection.signed_in {
            SignedIn::User { .. } => format!("User ({method})"),
            SignedIn::App { .. } => format!("Application ({method})"),
            _ => method.to_owned(),
        }
    }
}

fn account(connection: &auth_core::Connection) -> String {
    match &connection.signed_in {
        SignedIn::User {
            username: Some(username),
            ..
        } => username.clone(),
        SignedIn::User { home_account_id, .. } => home_account_id.clone(),
        SignedIn::ManagedIdentity { id } => match id {
            auth_core::ManagedIdentityId::SystemAssigned => "system-assigned identity".into(),
            auth_core::ManagedIdentityId::ClientId(id) => id.to_string(),
            auth_core::ManagedIdentityId::ObjectId(id) | auth_core::ManagedIdentityId::ResourceId(id) => {
                id.clone()
            }
        },
        _ => connection.client_id.to_string(),
    }
}

/// How [`status`](crate::Lifecycle::status) checks each connection.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct StatusOptions {
    /// Renew every connection's token even when a cached one would do, proving each can still be
    /// renewed (a revoked refresh token or a rotated secret shows up now, not when the token expires).
    pub force_refresh: bool,
}

impl StatusOptions {
    /// With [`force_refresh`](Self::force_refresh) set as given.
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }
}

/// A saved connection, checked: can it give a token now?
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectionStatus {
    /// The module (`partnercenter`).
    pub module: &'static str,
    /// The name it is saved under.
    pub name: ConnectionName,
    /// Whether it is the module's current connection.
    pub current: bool,
    /// Who signed in ([`SavedConnection::account`]).
    pub account: String,
    /// The tenant its token is for.
    pub tenant: String,
    /// The environment (cloud) it signed in to, by the module's name for it.
    pub cloud: String,
    /// The kind of sign-in ([`SavedConnection::sign_in`]).
    pub sign_in: String,
    /// When the token it gives now expires (seconds since the epoch); `None` when it gives none.
    #[serde(with = "rfc3339_option")]
    pub expires_on: Option<i64>,
    /// Whether the token came from the cache (`false`: it was renewed to check).
    pub cached: bool,
    /// Why it cannot give a token: `None` when it can.
    pub problem: Option<String>,
    /// How the token cache protecting its tokens is kept at rest; `None` until the cache says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection: Option<String>,
}

impl ConnectionStatus {
    /// Whether the connection can give a token.
    pub fn is_alive(&self) -> bool {
        self.problem.is_none()
    }

    /// How long its token lasts from `now`, when it has one.
    pub fn lasts(&self, now: SystemTime) -> Option<Duration> {
        let now = auth_core::epoch_seconds(now);
        self.expires_on
            .map(|expires| Duration::from_secs(expires.saturating_sub(now).max(0).unsigned_abs()))
    }
}

mod rfc3339_option {
    pub(super) fn serialize<S: serde::Serializer>(
        value: &Option<i64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(time) => serializer.serialize_str(&auth_core::format_rfc3339(*time)),
            None => serializer.serialize_none(),
        }
    }
}

/// Checks one saved connection: a cached token good for five more minutes will do (no request),
/// unless `options` force a renewal; else it is renewed silently. Any failure is the connection's
/// problem, not an error: one dead connection does not hide the state of the others.
pub(crate) async fn check<C>(
    session: &Session,
    saved: &SavedConnection<C>,
    options: StatusOptions,
) -> ConnectionStatus {
    let connection = &saved.connection;
    let mut status = ConnectionStatus {
        module: saved.module,
        name: saved.name.clone(),
        current: saved.current,
        account: saved.account(),
        tenant: connection.tenant.to_string(),
        cloud: connection.environment.name.clone(),
        sign_in: saved.sign_in(),
        expires_on: None,
        cached: false,
        problem: None,
        protection: None,
    };
    if !options.force_refresh {
        match session.cached_token(connection, &[]) {
            Ok(Some(hit)) => {
                status.expires_on = Some(hit.expires_on);
                status.cached = true;
                return status;
            }
            Ok(None) => {}
            Err(error) => {
                status.problem = Some(error.to_string());
                return status;
            }
        }
    }
    let renewed = if options.force_refresh {
        session.renewed_token(connection, &[]).await
    } else {
        session.token(connection, &[]).await
    };
    match renewed {
        Ok(result) => status.expires_on = Some(result.expires_on),
        Err(error) => status.problem = Some(error.to_string()),
    }
    status
}
