//! The live handle ([`Connected`]) and what a disconnect forgets: the session counts its live handles, and
//! a disconnect removes the tokens its connection acquired but none a live handle or a saved connection
//! (asked of [`SavedConnections`]) still uses.

use super::*;

impl Session {
    /// The handle of `connection`, saved as `name` of `module` and loaded again by the layer above.
    /// It holds no credential: an application's is renewed with what [`SessionOptions::renewal`] supplies.
    pub fn handle_of(&self, module: &str, name: &str, connection: Connection) -> Connected {
        self.handle(module, name, connection, None)
    }

    /// Where the layer above saves its connections; `None` when nothing is.
    pub fn saved(&self) -> Option<&Arc<dyn SavedConnections>> {
        self.inner.options.saved.as_ref()
    }

    /// Forgets the connection saved as `name` of `module` and removes the tokens it acquired, but none
    /// that another saved connection (of any module, under any name) or a live handle of this session
    /// still uses: see the rules of a disconnect in auth-core's README. Returns whether there was such a
    /// connection.
    pub fn disconnect_saved(&self, module: &str, name: &str) -> Result<bool> {
        let Some(store) = &self.inner.options.saved else {
            return Ok(false);
        };
        let Some(connection) = store.connection(module, name)? else {
            return Ok(false);
        };
        if connection.azure_cli_dir().is_some() {
            // the tokens are the Azure CLI's: forgetting the connection leaves them to `az logout`
            return store.forget(module, name);
        }
        let mut others = self.saved_connections(Some((module, name)))?;
        // a live handle of this very connection does not keep it: it is what is being disconnected
        others.extend(
            self.live_connections()
                .into_iter()
                .filter(|live| *live != connection),
        );
        self.forget_tokens(&connection, &others)?;
        store.forget(module, name)
    }

    /// The connections of the handles of this session not disconnected yet.
    fn live_connections(&self) -> Vec<Connection> {
        lock(&self.inner.live)
            .iter()
            .map(|(_, connection)| connection.clone())
            .collect()
    }

    /// A handle of `connection`, counted among the session's live ones until it is disconnected.
    pub(super) fn handle(
        &self,
        module: &str,
        name: &str,
        connection: Connection,
        credential: Option<ClientCredential>,
    ) -> Connected {
        let id = self
            .inner
            .next_handle
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&self.inner.live).push((id, connection.clone()));
        Connected {
            session: self.clone(),
            connection,
            module: module.to_owned(),
            name: name.to_owned(),
            handle: Arc::new(Handle {
                session: self.clone(),
                id,
                state: std::sync::Mutex::new(HandleState::Live { credential }),
            }),
        }
    }

    /// [`Connected::disconnect`]: the saved connection as [`disconnect`](Self::disconnect) does when it is
    /// still the one saved under the handle's name; else (an in-memory session, or that name connected
    /// again since) this connection's tokens, but none a saved connection or another live handle still
    /// uses.
    fn forget_handle(&self, id: u64, module: &str, name: &str, connection: &Connection) -> Result<()> {
        lock(&self.inner.live).retain(|(other, _)| *other != id);
        let saved = match &self.inner.options.saved {
            Some(store) => store.connection(module, name)?,
            None => None,
        };
        if saved.is_some_and(|saved| saved == *connection) {
            return self.disconnect_saved(module, name).map(drop);
        }
        if connection.azure_cli_dir().is_some() {
            return Ok(());
        }
        let mut others = self.live_connections();
        others.extend(self.saved_connections(None)?);
        self.forget_tokens(connection, &others)
    }

    /// The saved connections of every module and name but `except`: what a disconnect must leave tokens
    /// to.
    fn saved_connections(&self, except: Option<(&str, &str)>) -> Result<Vec<Connection>> {
        let Some(store) = &self.inner.options.saved else {
            return Ok(Vec::new());
        };
        Ok(store
            .connections()?
            .into_iter()
            .filter(|(module, name, _)| Some((module.as_str(), name.as_str())) != except)
            .map(|(_, _, connection)| connection)
            .collect())
    }

    /// Removes the tokens `connection` acquired from the session's cache, but none that one of `others`
    /// still uses.
    fn forget_tokens(&self, connection: &Connection, others: &[Connection]) -> Result<()> {
        let authority = self.authority_of(connection)?;
        let environment = authority.environment();
        let same_place = |other: &Connection| {
            self.authority_of(other)
                .is_ok_and(|a| a.environment() == environment)
        };
        // the account's tokens of this client, but none its other connections keep
        let forget_account_tokens = |home: &str| {
            let clients_kept: Vec<ClientId> = others
                .iter()
                .filter(|other| same_place(other) && other.home_account_id() == Some(home))
                .map(|other| other.client_id.clone())
                .collect();
            let account_kept = !clients_kept.is_empty();
            self.inner.options.cache.remove_connection_tokens(
                &environment,
                home,
                &connection.client_id,
                &clients_kept,
                account_kept,
            )
        };
        match &connection.signed_in {
            SignedIn::User { home_account_id, .. } => forget_account_tokens(home_account_id)?,
            SignedIn::App { .. } => {
                let shared = others.iter().any(|other| {
                    same_place(other)
                        && other.is_app_only()
                        && other.client_id == connection.client_id
                        && other.tenant == connection.tenant
                });
                if !shared {
                    self.inner.options.cache.remove_app_tokens(
                        &environment,
                        &connection.client_id,
                        connection.tenant.as_str(),
                    )?;
                }
            }
            _ => {
                // a passthrough token: only its own access token, kept under its account (if its claims
                // name one) or as the app's
                let shared = others.iter().any(|other| {
                    same_place(other)
                        && other.client_id == connection.client_id
                        && other.home_account_id() == connection.home_account_id()
                        && other.tenant == connection.tenant
                });
                match (shared, connection.home_account_id()) {
                    (true, _) => {}
                    (false, Some(home)) => forget_account_tokens(home)?,
                    (false, None) => self.inner.options.cache.remove_app_tokens(
                        &environment,
                        &connection.client_id,
                        connection.tenant.as_str(),
                    )?,
                }
            }
        }
        Ok(())
    }
}

/// A module's connection and the session it lives in: what a product crate's `connect` returns, and
/// what a program holds to get access tokens for any scope, renewed silently.
///
/// The handle that connected an application keeps the credential it connected with (a client secret, a
/// certificate with its key) in memory, zeroized when the last clone is dropped or the handle is
/// disconnected, and renews every scope with it. A handle of a saved connection that a later process
/// loads ([`Session::handle_of`]) has none: it renews with what [`SessionOptions::renewal`] supplies.
/// Clones share their state: [`disconnect`](Self::disconnect) on one disconnects them all.
#[derive(Debug, Clone)]
pub struct Connected {
    session: Session,
    connection: Connection,
    module: String,
    name: String,
    handle: Arc<Handle>,
}

/// What the clones of a handle share. While one lives, its connection counts among the session's live
/// ones ([`SessionInner::live`]), whose tokens another handle's disconnect leaves alone.
struct Handle {
    session: Session,
    id: u64,
    state: std::sync::Mutex<HandleState>,
}

/// Whether a handle is connected, and with what.
enum HandleState {
    /// Connected; the application's credential when this process connected it.
    Live { credential: Option<ClientCredential> },
    /// [`Connected::disconnect`] ran: no token is given any more.
    Disconnected,
}

impl Drop for Handle {
    fn drop(&mut self) {
        lock(&self.session.inner.live).retain(|(id, _)| *id != self.id);
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*lock(&self.state) {
            HandleState::Live { credential: None } => "connected",
            HandleState::Live { credential: Some(_) } => "connected, with the application's credential",
            HandleState::Disconnected => "disconnected",
        };
        f.write_str(state)
    }
}

impl Connected {
    /// The connection.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The module it is saved under.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The name it is saved under (`default` unless one was given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// An access token for `scopes` (none: the scopes the connection was made for), from the cache or
    /// renewed silently: a user's with the refresh token, an application's with the credential this
    /// handle keeps. A disconnected handle refuses ([`Error::Disconnected`]).
    pub async fn token(&self, scopes: &[&str]) -> Result<TokenResult> {
        let credential = self.credential()?;
        let scopes = crate::flows::normalize_scopes(scopes);
        self.session
            .token_full(
                &self.connection,
                &scopes,
                credential.as_ref(),
                &TokenOptions::default(),
            )
            .await
    }

    /// [`token`](Self::token) as `options` ask: in another tenant, renewed even though cached or when
    /// less than a minimum validity is left, answering a claims challenge (see [`TokenOptions`]).
    pub async fn token_with(&self, scopes: &[&str], options: &TokenOptions) -> Result<TokenResult> {
        let credential = self.credential()?;
        let scopes = crate::flows::normalize_scopes(scopes);
        self.session
            .token_full(&self.connection, &scopes, credential.as_ref(), options)
            .await
    }

    /// The credential kept for renewals, or [`Error::Disconnected`].
    pub(crate) fn credential(&self) -> Result<Option<ClientCredential>> {
        match &*lock(&self.handle.state) {
            HandleState::Live { credential } => Ok(credential.clone()),
            HandleState::Disconnected => Err(Error::Disconnected {
                module: self.module.clone(),
            }),
        }
    }

    /// Whether [`disconnect`](Self::disconnect) has not run on this handle or a clone of it.
    pub fn is_connected(&self) -> bool {
        matches!(&*lock(&self.handle.state), HandleState::Live { .. })
    }

    /// Disconnects: forgets the credential kept in memory, removes the tokens this connection acquired
    /// from the session's cache (but none another live handle or saved connection of the session still
    /// uses), and, when the session saves connections and this one is the module's current one, the
    /// saved connection too. Afterwards this handle and its clones refuse to give tokens. Returns
    /// whether it was connected (`false` the second time).
    pub fn disconnect(&self) -> Result<bool> {
        let previous = std::mem::replace(&mut *lock(&self.handle.state), HandleState::Disconnected);
        if matches!(previous, HandleState::Disconnected) {
            return Ok(false);
        }
        // the credential in `previous` is dropped (and zeroized) here, whatever happens next
        drop(previous);
        self.session
            .forget_handle(self.handle.id, &self.module, &self.name, &self.connection)?;
        Ok(true)
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
