#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// The module as the `msconnect` command line runs it.
pub mod cli;
mod connect;
mod context;
mod params;

// This module's face: connect, the typed request and its sets, the context, the lifecycle, and the
// declarations the command line is built from.
pub use connect::{DEFAULT_CLIENT_ID, LIFECYCLE, MODULE, connect};
pub use context::{AuthType, EntraContext, TokenCredentialType};
pub use params::{
    CONNECT_CMDLET, ConnectEntra, ENVIRONMENTS, EntraSignIn, NAMES as SHARED_SET_NAMES, UserMethod,
};

// What a program needs beside this face, so that it depends on this crate alone: the session, the
// sign-in's values and secrets, the handle, the traits, the shared sets and the error (one list for the
// four product crates, `cmdlet::library`).
pub use cmdlet::library::*;
