#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod access_token;
/// The module as the `msconnect` command line runs it.
pub mod cli;
mod connect;
mod context;
mod params;

// This module's face: connect, the typed request and its sets, the context, the lifecycle, and the
// declarations the command line is built from.
pub use access_token::{AuthResult, new_partner_access_token};
pub use connect::{DEFAULT_CLIENT_ID, LIFECYCLE, MODULE, PROFILE_TIMEOUT, connect};
pub use context::{AccountType, PartnerAccount, PartnerContext, PartnerEnvironment};
pub use params::{
    CONNECT_CMDLET, CommonOptions, ConnectPartnerCenter, ENVIRONMENTS, ModuleName, NEW_ACCESS_TOKEN_CMDLET,
    NewAccessTokenSet, NewPartnerAccessToken, PartnerCenterSignIn, RefreshTokenCredential, UserFlow,
};

// What a program needs beside this face, so that it depends on this crate alone: the session, the
// sign-in's values and secrets, the handle, the traits, the shared sets and the error (one list for the
// four product crates, `cmdlet::library`).
pub use cmdlet::library::*;
/// How this module names the application id and the tenant: what [`SharedSignIn::resolve`] names in its
/// errors.
pub use cmdlet::sets::partner_sdk::NAMES as SHARED_SET_NAMES;
