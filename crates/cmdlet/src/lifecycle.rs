//! The connect lifecycle every module shares, which each product crate instantiates ([`Lifecycle`])
//! instead of copying, over the one impl of its connect cmdlet ([`Connect`]): resolve the environment,
//! plan the sign-in (reading nothing), sign in, build the context (which may still refuse), save it with
//! the connection under its name ([`Named`]) and make it current, and later read a context, list,
//! switch, check or disconnect the module's connections. Also the seam the command line dispatches
//! through: a [`Command`] a cmdlet, a [`Module`] a PowerShell module.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use auth_core::{AccessToken, Connected, Environment, Session, SignInRequest, SignedInTokens};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use auth_core::ClaimsChallenge;

use crate::bind::{Argument, Bound, named};
use crate::connections::{self, ConnectionName, ConnectionStatus, SavedConnection, StatusOptions};
use crate::declare::Cmdlet;
use crate::error::Result;
use crate::saved::{ContextKey, SaveConnections as _};
use crate::sets::{CAE, CLAIMS_CHALLENGE};

/// A cmdlet's typed request, built from its bound parameters. Every [`Connect`] is one; a cmdlet that
/// is no connect ([`Runnable`]) implements it itself.
pub trait Request: Sized {
    /// The cmdlet's declaration.
    const CMDLET: &'static Cmdlet;

    /// The request of the set `bound` resolved to, reading exactly that set's parameters (its secrets
    /// moved into the request, its certificates loaded).
    fn from_bound(bound: Bound) -> Result<Self>;

    /// Binds arguments as PowerShell would (names by alias, case and prefix) and builds the request of
    /// the set they resolve to. `-WhatIf` and `-Confirm` are accepted and left to the caller. What the
    /// arguments name (a certificate, the `AZURE_*` variables) is loaded through `session`, the one the
    /// request will connect through: its folder of certificates, its variables.
    fn from_arguments<S: AsRef<str>>(
        session: &Session,
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> Result<Self> {
        let mut bound = Self::CMDLET.bind(arguments)?;
        bound.load_with(session);
        Self::from_bound(bound)
    }
}

impl<T: Connect> Request for T {
    const CMDLET: &'static Cmdlet = <T as Connect>::CMDLET;

    fn from_bound(bound: Bound) -> Result<Self> {
        <T as Connect>::from_bound(bound)
    }
}

/// What a connection saves and the command line prints: the JSON of its `Serialize` (PowerShell's
/// property names), read back by its `Deserialize`, and its table, said here once.
pub trait Context: Serialize + DeserializeOwned + 'static {
    /// The table (or list) of the module's format file.
    fn to_table(&self) -> String;
}

/// What a connect prints: by default its context ([`print_context`]), or what the request chose
/// before connecting ([`Connect::printed`]) from the context and the sign-in's access token.
pub type Print<C> = fn(C, AccessToken) -> Result<Outcome>;

/// A connect's default [`Print`]: the context, as its table shows it; the token is not printed.
pub fn print_context<C: Context>(context: C, _: AccessToken) -> Result<Outcome> {
    Outcome::new(&context, context.to_table())
}

/// A module's connect cmdlet, in one impl: its declaration, its typed request (built from the bound
/// parameters, or written by a library caller), the plan of its sign-in, and its context. The
/// [`Lifecycle`] runs one pass: the environment resolved, [`plan`](Self::plan) (which reads nothing:
/// certificates were loaded when binding), the sign-in through auth-core, [`context`](Self::context),
/// and the connection saved.
pub trait Connect: Sized {
    /// The cmdlet's declaration.
    const CMDLET: &'static Cmdlet;

    /// What is saved and shown once connected (`PartnerContext`).
    type Context: Context;

    /// What planning keeps to build the context once signed in: plain data.
    type Plan;

    /// The request of the set `bound` resolved to, reading exactly that set's parameters (its secrets
    /// moved into the request, its certificates loaded through [`Bound::certificate`]).
    fn from_bound(bound: Bound) -> Result<Self>;

    /// The environment asked for (the session applies its overrides and discovery).
    fn environment(&self) -> &Environment;

    /// The sign-in, for the resolved environment, with the module's defaults (client, scopes, ports).
    /// It reads no file, no variable and nothing on the network.
    fn plan(self, environment: Environment) -> Result<(SignInRequest, Self::Plan)>;

    /// The context of `signed_in`; an error here (a failed `-EnforceMFA`) saves nothing.
    fn context(plan: Self::Plan, signed_in: Authenticated<'_>)
    -> impl Future<Output = Result<Self::Context>>;

    /// What the command line prints once connected, chosen before the request is planned away: the
    /// context by default (`Connect-PSMicrosoftEntraID -PassThru` prints its token object).
    fn printed(&self) -> Print<Self::Context> {
        print_context
    }
}

/// A sign-in that went through, not yet saved: what [`Connect::context`] builds the context from. (The
/// saved connection's record of who signed in is auth-core's `SignedIn`.)
#[derive(Clone, Copy)]
pub struct Authenticated<'a> {
    /// The session it went through.
    pub session: &'a Session,
    /// What was asked.
    pub request: &'a SignInRequest,
    /// What came back, validated.
    pub tokens: &'a SignedInTokens,
}

/// A cmdlet that is no connect and runs its own way to what it prints (`New-PartnerAccessToken`), as a
/// [`Command`] through [`RunCommand`].
pub trait Runnable: Request {
    /// Runs the request and says what to print; `name` is the connection the command line names.
    fn run(self, session: &Session, name: &ConnectionName) -> impl Future<Output = Result<Outcome>>;
}

/// A module's connections: connecting, listing, switching, checking and disconnecting them. Without a
/// name a connection is `default` when connecting, and the module's current one otherwise; [`named`](
/// Self::named) chooses one. Without a context store (`SessionOptions::contexts` is `None`, the library's
/// default) nothing is saved, and so nothing is listed or current.
pub struct Lifecycle<C> {
    module: &'static str,
    context: PhantomData<fn() -> C>,
}

impl<C: Serialize + DeserializeOwned> Lifecycle<C> {
    /// The connection saved under `module` (`partnercenter`).
    pub const fn new(module: &'static str) -> Self {
        Self {
            module,
            context: PhantomData,
        }
    }

    /// The connection saved as `name`.
    pub const fn named<'a>(&'a self, name: &'a ConnectionName) -> Named<'a, C> {
        Named {
            lifecycle: self,
            name,
        }
    }

    /// Connects as `default` (see [`Named::connect`]).
    pub async fn connect<R: Connect<Context = C>>(
        &self,
        session: &Session,
        request: R,
    ) -> Result<(C, Connected)> {
        self.named(&ConnectionName::default_name())
            .connect(session, request)
            .await
    }

    /// Connects as `default` with what every connect takes besides its set (see [`Named::connect_with`]).
    pub async fn connect_with<R: Connect<Context = C>>(
        &self,
        session: &Session,
        request: R,
        extras: &SignInExtras,
    ) -> Result<(C, Connected, AccessToken)> {
        self.named(&ConnectionName::default_name())
            .connect_with(session, request, extras)
            .await
    }

    /// The name of the module's current connection: the last connected, or the one chosen with
    /// [`Named::switch`]. It may name a connection disconnected since.
    pub fn current_name(&self, session: &Session) -> Result<Option<ConnectionName>> {
        let Some(store) = session.contexts() else {
            return Ok(None);
        };
        Ok(store
            .current(self.module)?
            .map(|name| ConnectionName::parse(&name))
            .transpose()?)
    }

    /// The context of the current connection, if any.
    pub fn current_context(&self, session: &Session) -> Result<Option<C>> {
        match self.current_name(session)? {
            Some(name) => self.named(&name).context(session),
            None => Ok(None),
        }
    }

    /// Forgets the current connection and removes exactly the tokens it acquired; `false` when there
    /// was none. The module then has no current connection until one is connected or switched to.
    pub fn disconnect(&self, session: &Session) -> Result<bool> {
        match self.current_name(session)? {
            Some(name) => self.named(&name).disconnect(session),
            None => Ok(false),
        }
    }

    /// Every saved connection of the module, by name.
    pub fn list(&self, session: &Session) -> Result<Vec<SavedConnection<C>>> {
        let Some(store) = session.contexts() else {
            return Ok(Vec::new());
        };
        let current = self.current_name(session)?;
        let mut saved = Vec::new();
        for name in store.names(self.module)? {
            // a connection disconnected by another process since the folder was read is simply gone
            saved.extend(
                self.named(&ConnectionName::parse(&name)?)
                    .saved(session, current.as_ref())?,
            );
        }
        Ok(saved)
    }

    /// Every saved connection of the module, checked: a cached token good for five more minutes counts
    /// (no request), else each is renewed silently; [`StatusOptions::force_refresh`] renews every one.
    /// A connection that cannot give a token has its [`problem`](ConnectionStatus::problem).
    pub async fn status(&self, session: &Session, options: StatusOptions) -> Result<Vec<ConnectionStatus>> {
        let mut statuses = Vec::new();
        for saved in self.list(session)? {
            statuses.push(connections::check(session, &saved, options).await);
        }
        Ok(statuses)
    }
}

/// One named connection of a module: [`Lifecycle::named`].
pub struct Named<'a, C> {
    lifecycle: &'a Lifecycle<C>,
    name: &'a ConnectionName,
}

impl<C: Serialize + DeserializeOwned> Named<'_, C> {
    fn key(&self) -> ContextKey<'_> {
        ContextKey::new(self.lifecycle.module, self.name.as_str())
    }

    /// The name.
    pub fn name(&self) -> &ConnectionName {
        self.name
    }

    /// Connects: resolves the environment, plans, signs in, builds the context, saves it with the
    /// connection under this name (replacing what was saved there, and no other) and makes it the
    /// module's current connection. A sign-in the context refuses leaves nothing behind.
    pub async fn connect<R: Connect<Context = C>>(
        &self,
        session: &Session,
        request: R,
    ) -> Result<(C, Connected)> {
        let (context, connected, _) = self.connect_with_token(session, request).await?;
        Ok((context, connected))
    }

    /// [`connect`](Self::connect), also returning the access token of the sign-in, for a module whose
    /// connect shows it (`Connect-PSMicrosoftEntraID -PassThru`). The saved context never holds it.
    pub async fn connect_with_token<R: Connect<Context = C>>(
        &self,
        session: &Session,
        request: R,
    ) -> Result<(C, Connected, AccessToken)> {
        self.connect_with(session, request, &SignInExtras::default())
            .await
    }

    /// [`connect_with_token`](Self::connect_with_token) with what every connect takes besides its set:
    /// continuous access evaluation (`-Cae`), a claims challenge (`-ClaimsChallenge`).
    pub async fn connect_with<R: Connect<Context = C>>(
        &self,
        session: &Session,
        request: R,
        extras: &SignInExtras,
    ) -> Result<(C, Connected, AccessToken)> {
        let environment = session.resolve_environment(request.environment()).await?;
        let (mut sign_in, plan) = request.plan(environment)?;
        extras.apply(&mut sign_in);
        // a connection that could not be saved is not signed in for: nothing is sent yet
        session.check_can_save_connection()?;
        // signed in and checked, but nothing saved until the context is built
        let tokens = session.authenticate(&sign_in).await?;
        let signed_in = Authenticated {
            session,
            request: &sign_in,
            tokens: &tokens,
        };
        let context = R::context(plan, signed_in).await?;
        let connected = session.complete(self.key(), &sign_in, &tokens, &context)?;
        if let Some(store) = session.contexts() {
            store.set_current(self.key())?;
        }
        Ok((context, connected, tokens.result().access_token.clone()))
    }

    /// The connection saved under this name, if any, as [`Lifecycle::list`] shows it.
    fn saved(
        &self,
        session: &Session,
        current: Option<&ConnectionName>,
    ) -> Result<Option<SavedConnection<C>>> {
        Ok(session
            .load_connection::<C>(self.key())?
            .map(|(connection, context)| SavedConnection {
                module: self.lifecycle.module,
                name: self.name.clone(),
                current: current == Some(self.name),
                connection,
                context,
            }))
    }

    /// This connection, checked as [`Lifecycle::status`] checks each; `None` when none is saved under
    /// this name.
    pub async fn status(
        &self,
        session: &Session,
        options: StatusOptions,
    ) -> Result<Option<ConnectionStatus>> {
        let current = self.lifecycle.current_name(session)?;
        match self.saved(session, current.as_ref())? {
            Some(saved) => Ok(Some(connections::check(session, &saved, options).await)),
            None => Ok(None),
        }
    }

    /// The context saved under this name, if any.
    pub fn context(&self, session: &Session) -> Result<Option<C>> {
        Ok(session
            .load_connection::<C>(self.key())?
            .map(|(_, context)| context))
    }

    /// The handle that gives this connection's tokens, when it is saved.
    pub fn connected(&self, session: &Session) -> Result<Connected> {
        Ok(session.connected(self.key())?)
    }

    /// Makes this connection the module's current one; an error when none is saved under this name.
    pub fn switch(&self, session: &Session) -> Result<()> {
        let Some(store) = session.contexts() else {
            return Err(
                auth_core::Error::invalid("context", "connections are not saved in this session").into(),
            );
        };
        if session
            .load_connection::<serde_json::Value>(self.key())?
            .is_none()
        {
            let saved = store.names(self.lifecycle.module)?;
            let saved = if saved.is_empty() {
                "none is saved".to_owned()
            } else {
                format!("saved: {}", saved.join(", "))
            };
            return Err(auth_core::Error::invalid(
                "context",
                format!(
                    "no {} connection is named '{}' ({saved})",
                    self.lifecycle.module, self.name
                ),
            )
            .into());
        }
        Ok(store.set_current(self.key())?)
    }

    /// Forgets this connection and removes exactly the tokens it acquired (none that another saved
    /// connection uses); `false` when there was none.
    pub fn disconnect(&self, session: &Session) -> Result<bool> {
        Ok(session.disconnect(self.key())?)
    }
}

/// What every connect takes besides its parameter set: `-Cae` (the connection announces the `cp1`
/// client capability on every request, renewals included) and `-ClaimsChallenge` (a claims challenge
/// the interactive sign-in answers).
#[derive(Debug, Clone, Default)]
pub struct SignInExtras {
    /// `-Cae`: continuous access evaluation.
    pub cae: bool,
    /// `-ClaimsChallenge`, read from base64 or JSON.
    pub claims_challenge: Option<ClaimsChallenge>,
}

impl SignInExtras {
    /// What the bound parameters say; a challenge that is neither base64 nor JSON is an error naming
    /// `-ClaimsChallenge`.
    pub fn from_bound(bound: &Bound) -> Result<Self> {
        let claims_challenge = match bound.text(&CLAIMS_CHALLENGE)? {
            Some(text) => Some(named(&CLAIMS_CHALLENGE, ClaimsChallenge::parse(&text))?),
            None => None,
        };
        Ok(Self {
            cae: bound.switch(&CAE),
            claims_challenge,
        })
    }

    /// The sign-in with these applied.
    pub fn apply(&self, request: &mut SignInRequest) {
        if self.cae {
            request.client_capabilities = vec![auth_core::CAE_CAPABILITY.to_owned()];
        }
        if let Some(challenge) = &self.claims_challenge {
            request.claims = Some(challenge.clone());
        }
    }
}

/// What a command produced, for the command line to print.
#[derive(Debug)]
pub struct Outcome {
    /// What `-o json` prints: the object with PowerShell's property names.
    pub json: Value,
    /// What `-o table` prints: the table of the module's format file.
    pub table: String,
}

impl Outcome {
    /// The outcome of `value`, printed as `table`.
    pub fn new(value: &impl Serialize, table: String) -> Result<Self> {
        let json = serde_json::to_value(value).map_err(|e| crate::Error::Output(e.to_string()))?;
        Ok(Self { json, table })
    }
}

/// A future of a [`Command`].
pub type CommandFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome>> + 'a>>;

/// A cmdlet as the command line runs it: its declaration, and its bound parameters made into the typed
/// request and run.
pub trait Command: Sync {
    /// The declaration.
    fn cmdlet(&self) -> &'static Cmdlet;

    /// Builds the typed request from `bound` and runs it; a connect saves its connection as `name`.
    fn run<'a>(&'a self, session: &'a Session, bound: Bound, name: &'a ConnectionName) -> CommandFuture<'a>;
}

/// A module's connect cmdlet as a [`Command`]: the typed request built from the bound parameters (what
/// they name loaded through the session), connected as the module's [`Lifecycle`] connects, and what
/// the request chose printed ([`Connect::printed`]).
pub struct ConnectCommand<R: Connect> {
    lifecycle: &'static Lifecycle<R::Context>,
}

impl<R: Connect> ConnectCommand<R> {
    /// The command of the request `R`, saved through `lifecycle`.
    pub const fn new(lifecycle: &'static Lifecycle<R::Context>) -> Self {
        Self { lifecycle }
    }
}

impl<R: Connect> Command for ConnectCommand<R> {
    fn cmdlet(&self) -> &'static Cmdlet {
        R::CMDLET
    }

    fn run<'a>(
        &'a self,
        session: &'a Session,
        mut bound: Bound,
        name: &'a ConnectionName,
    ) -> CommandFuture<'a> {
        Box::pin(async move {
            let extras = SignInExtras::from_bound(&bound)?;
            bound.load_with(session);
            let request = R::from_bound(bound)?;
            let printed = request.printed();
            let (context, _, access_token) = self
                .lifecycle
                .named(name)
                .connect_with(session, request, &extras)
                .await?;
            printed(context, access_token)
        })
    }
}

/// The [`Command`] of a [`Runnable`] request.
pub struct RunCommand<R>(PhantomData<fn() -> R>);

impl<R> RunCommand<R> {
    /// The command of `R`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<R> Default for RunCommand<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Runnable> Command for RunCommand<R> {
    fn cmdlet(&self) -> &'static Cmdlet {
        R::CMDLET
    }

    fn run<'a>(
        &'a self,
        session: &'a Session,
        mut bound: Bound,
        name: &'a ConnectionName,
    ) -> CommandFuture<'a> {
        Box::pin(async move {
            bound.load_with(session);
            R::from_bound(bound)?.run(session, name).await
        })
    }
}

/// A PowerShell module as the command line shows it.
pub struct Module {
    /// The command name and the name its connection is saved under (`partnercenter`).
    pub name: &'static str,
    /// The product, for messages (`Partner Center`).
    pub title: &'static str,
    /// The connect cmdlet.
    pub connect: &'static dyn Command,
    /// The other cmdlets that get a token (`New-PartnerAccessToken`), with their command names.
    pub others: &'static [(&'static str, &'static dyn Command)],
    /// The Disconnect-* cmdlet's name.
    pub disconnect: &'static str,
    /// The table of a saved context, as the module's format file shows it: [`context_table`] of the
    /// module's context.
    pub context_table: fn(Value) -> std::result::Result<String, serde_json::Error>,
}

/// The table of a saved context read as `C`: what [`Module::context_table`] is for a module whose
/// context is `C`.
pub fn context_table<C: Context>(saved: Value) -> std::result::Result<String, serde_json::Error> {
    serde_json::from_value::<C>(saved).map(|context| context.to_table())
}
