#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod cli;
pub mod connect;
pub mod context;
pub mod params;

pub use auth_core;
pub use cmdlet::{self, Error, Request, Result};
pub use connect::{CONNECTION, MODULE, connect};
pub use context::{EntraToken, PsEntraContext};
pub use params::{CONNECT, CertificateSource, ConnectPsEntra, ENVIRONMENTS, PsEntraSignIn};
