#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod connect;
pub mod context;
pub mod environment;
pub mod error;
pub mod params;

pub use auth_core;
pub use connect::connect;
pub use context::{AuthType, EntraContext, TokenCredentialType};
pub use environment::EnvironmentName;
pub use error::{Error, Result};
pub use params::{ConnectEntra, EntraSignIn, UserMethod};
