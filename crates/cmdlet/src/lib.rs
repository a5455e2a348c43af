#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bind;
pub mod choice;
pub mod connections;
pub mod declare;
pub mod environment_store;
pub mod environments;
pub mod error;
pub mod format;
pub mod home;
pub mod lifecycle;
pub mod problem;
#[cfg(test)]
mod sample;
pub mod saved;
pub mod sets;
pub mod variables;

pub use bind::{Argument, Bound};
pub use connections::{ConnectionName, ConnectionStatus, SavedConnection, StatusOptions};
pub use declare::{Cmdlet, Kind, Parameter, ParameterSet, Sets};
pub use environments::EnvironmentNames;
pub use error::{Error, Result};
pub use home::msconnect_home;
pub use lifecycle::{
    Authenticated, Command, Connect, ConnectCommand, Context, Lifecycle, Module, Named, Outcome, Print,
    Request, RunCommand, Runnable, SignInExtras, context_table, print_context,
};
pub use problem::Problem;
pub use saved::{ConnectionFile, ContextKey, ContextStore, SaveConnections};
pub use variables::persistent_options;

/// What a program needs beside a product crate's own face, so that it depends on that one crate: each
/// product crate re-exports this list whole (`pub use cmdlet::library::*`), which is written here once.
/// From auth-core: the session and its options (the HTTP transport seam included), the sign-in's values,
/// secrets and certificates, and the connection handle with its token and options. From cmdlet: binding
/// PowerShell-style arguments, the traits a request and a context implement, the shared sets (the Azure
/// CLI's, `AZURE_*`, `-Auto`), the named and saved connections, and the face's error. The handle's and the
/// session's own calls return auth-core's error, named here `CoreError`; `?` turns it into [`Error`] (as
/// `Error::Core`).
pub mod library {
    pub use auth_core::{
        AccessToken, CertificateSource, ClaimsChallenge, ClientCredential, ClientId, ClientSecret, Cloud,
        Connected, Credential, EnvVars, Environment, Error as CoreError, HttpOptions, HttpRequest,
        HttpResponse, Password, RefreshToken, RootCertificate, SecretText, Session, SessionOptions, Tenant,
        TokenOptions, TokenResult, TransportError, Url,
    };

    pub use crate::sets::SetNames;
    pub use crate::sets::shared::{ResolvedSignIn, SharedSignIn};
    pub use crate::{
        Argument, Bound, Connect, ConnectionName, ConnectionStatus, Context, Error, Request, Result,
        SaveConnections, SavedConnection, SignInExtras, StatusOptions, persistent_options,
    };
}
