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
pub use params::{
    CONNECT_CMDLET, ConnectPsEntra, ENVIRONMENTS, NAMES as SHARED_SET_NAMES, PsEntraSignIn, resolve_scopes,
};

// What a program needs beside this face, so that it depends on this crate alone: the session, the
// sign-in's values and secrets, the handle, the traits, the shared sets and the error (one list for the
// four product crates, `cmdlet::library`).
pub use cmdlet::library::*;
