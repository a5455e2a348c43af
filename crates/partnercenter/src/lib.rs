#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod access_token;
pub mod connect;
pub mod context;
pub mod environment;
pub mod error;
pub mod params;

pub use access_token::{AuthResult, new_partner_access_token};
pub use auth_core;
pub use connect::connect;
pub use context::{AccountType, PartnerAccount, PartnerContext, PartnerEnvironment};
pub use environment::EnvironmentName;
pub use error::{Error, Result};
pub use params::{
    CommonOptions, ConnectPartnerCenter, NewAccessTokenSet, NewPartnerAccessToken, PartnerCenterSignIn,
    RefreshTokenCredential,
};
