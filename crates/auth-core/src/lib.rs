#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(test)]
extern crate self as auth_core;

pub mod authority;
pub mod azure_cli;
#[cfg(feature = "azure-core")]
mod azure_sdk;
pub mod cache;
pub mod cert;
pub mod claims;
pub mod cloud;
pub mod env;
pub mod error;
/// The files a layer above keeps beside the token cache (saved connections, its own settings): read through
/// the bounded reader (a regular file only, at most a bound), written whole and private (mode 0600).
pub mod files {
    pub use crate::private_file::{TEMP_MARKER, create_private_dir, private_options, write_private_file};
    pub use crate::read_file::{MAX_SAVED_FILE_BYTES, read_regular};
}
pub mod flows;
pub mod home;
pub mod http;
pub mod ids;
pub mod interaction;
pub mod printable;
mod private_file;
mod read_file;
pub mod secret;
pub mod session;
// The test support of the unpublished `msconnect-test-support` (tests/support), compiled in for these unit
// tests from the same source; its `auth_core::` paths name this crate (see `extern crate self` below).
#[cfg(test)]
#[path = "../../../tests/support/src/lib.rs"]
pub mod testing;
pub mod time;
pub mod token;

pub use authority::Authority;
pub use azure_cli::{AzureCli, AzureCliAccount, AzureCliAccountKind, AzureCliSignIn, FromAzureCli};
#[cfg(feature = "redis")]
pub use cache::{CacheKey, RedisOptions, RedisSettingNames};
pub use cache::{CacheProtection, KeyStoreKind, ProtectionInForce};
pub use cache::{CachedAccessToken, TokenCache, TokenQuery};
pub use cert::{
    Certificate, CertificateCredential, CertificateStore, SigningAlgorithm, normalize_thumbprint,
};
pub use claims::ClaimsChallenge;
pub use cloud::{Cloud, Environment};
pub use env::EnvVars;
pub use error::{AzureCliProblem, Error, RenewalReason, Result, ServerError};
pub use flows::{
    AccessTokenPassthrough, BrowserOpener, ClientCredential, ClientCredentials, DeviceCodeChallenge,
    DeviceCodeFlow, PortPolicy, RefreshTokenGrant, SilentRequest, UsernamePassword,
};
#[cfg(feature = "browser")]
pub use flows::{InteractiveBrowser, SystemBrowser};
pub use http::{
    HttpClient, HttpOptions, HttpRequest, HttpResponse, HttpTransport, RetryPolicy, RootCertificate,
    TransportError,
};
pub use ids::{ClientId, Tenant};
pub use interaction::{Interaction, SilentInteraction, StderrInteraction};
pub use secret::{AccessToken, ClientSecret, Password, RefreshToken, SecretText};
pub use session::{
    AppCredential, BrowserOptions, CertificateSource, Connected, Connection, Credential,
    MAX_TOKEN_LIFETIME_SECONDS, RenewalCredentials, SavedCertificate, SavedConnections, Session,
    SessionOptions, SignInMethod, SignInRequest, SignedIn, SignedInTokens, TokenOptions, UserMethod,
    secret_fingerprint, validate_response,
};
pub use token::TokenResult;
pub use url::Url;
