#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod authority;
pub mod cloud;
pub mod env;
pub mod error;
pub mod flows;
pub mod format;
pub mod http;
pub mod ids;
pub mod params;
pub mod secret;
pub mod session;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
pub mod time;
pub mod token;

pub use authority::Authority;
pub use cloud::{Cloud, Environment};
pub use env::EnvVars;
pub use error::{Error, Result, ServerError};
pub use flows::{
    AccessTokenPassthrough, ClientCredential, ClientCredentials, RefreshTokenGrant, UsernamePassword,
};
pub use http::{HttpClient, HttpOptions, RetryPolicy};
pub use ids::{ClientId, Tenant};
pub use params::{Argument, Bound, ParameterSetInfo};
pub use secret::{AccessToken, ClientSecret, Password, RefreshToken, SecretText};
pub use session::{Credential, Session, SessionOptions, SignInMethod, SignInRequest};
pub use token::TokenResult;
pub use url::Url;
