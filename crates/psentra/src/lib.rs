#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod cli;
pub mod connect;
pub mod context;
pub mod params;

pub use auth_core;
pub use cmdlet::{
    self, Connect, ConnectionName, ConnectionStatus, Context, Error, Request, Result, StatusOptions,
};
pub use connect::{LIFECYCLE, MODULE, connect, connect_as, connect_with};
pub use context::{EntraToken, PsEntraContext};
pub use params::{CONNECT_CMDLET, ConnectPsEntra, ENVIRONMENTS, PsEntraSignIn};
