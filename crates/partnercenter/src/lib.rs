#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod access_token;
pub mod cli;
pub mod connect;
pub mod context;
pub mod params;

pub use access_token::{AuthResult, new_partner_access_token};
pub use auth_core;
pub use cmdlet::{
    self, Connect, ConnectionName, ConnectionStatus, Context, Error, Request, Result, StatusOptions,
};
pub use connect::{LIFECYCLE, MODULE, connect};
pub use context::{AccountType, PartnerAccount, PartnerContext, PartnerEnvironment};
pub use params::{
    CONNECT_CMDLET, CommonOptions, ConnectPartnerCenter, ENVIRONMENTS, NEW_ACCESS_TOKEN_CMDLET,
    NewAccessTokenSet, NewPartnerAccessToken, PartnerCenterSignIn, RefreshTokenCredential,
};
