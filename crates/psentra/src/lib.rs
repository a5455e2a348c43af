#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// The module as the `msconnect` command line runs it.
pub mod cli;
mod connect;
mod context;
mod params;

// This module's face: connect, the typed request and its sets, the context, the lifecycle, and the
// declarations the command line is built from.
pub use connect::{LIFECYCLE, MODULE, connect, connect_as, connect_with};
pub use context::{EntraToken, PsEntraContext};
pub use params::{CONNECT_CMDLET, ConnectPsEntra, ENVIRONMENTS, PsEntraSignIn, resolve_scopes};

// What a program needs beside this face, so that it depends on this crate alone. From auth-core: the
// session and its options (the HTTP transport seam included), the sign-in's values and secrets, and the
// connection handle with its token and options. From cmdlet: binding PowerShell-style arguments, the named
// and saved connections, and this face's error. The handle's and the session's own calls return
// auth-core's error, named here `CoreError`; `?` turns it into [`Error`] (as `Error::Core`).
pub use auth_core::{
    AccessToken, CertificateSource, ClaimsChallenge, ClientCredential, ClientId, ClientSecret, Cloud,
    Connected, Credential, EnvVars, Environment, Error as CoreError, HttpOptions, HttpRequest, HttpResponse,
    Password, RefreshToken, RootCertificate, SecretText, Session, SessionOptions, Tenant, TokenOptions,
    TokenResult, TransportError, Url,
};
pub use cmdlet::{
    Argument, Bound, Connect, ConnectionName, ConnectionStatus, Context, Error, Request, Result,
    SaveConnections, SavedConnection, SignInExtras, StatusOptions, persistent_options,
};
