#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(test)]
extern crate self as auth_core;

// Every module is private: the crate's surface is the one `pub use` list below, so each item has one path
// (`auth_core::Session`, never `auth_core::session::Session`). Held by the tidy test
// `auth_core_exports_one_curated_list`.
mod authority;
mod azure_cli;
#[cfg(feature = "azure-core")]
mod azure_sdk;
mod cache;
mod cert;
mod claims;
mod cloud;
mod env;
mod error;
mod flows;
mod home;
mod http;
mod ids;
mod interaction;
mod printable;
mod private_file;
mod read_file;
mod secret;
mod session;
// The test support of the unpublished `msconnect-test-support` (tests/support), compiled in for these unit
// tests from the same source; its `auth_core::` paths name this crate (see `extern crate self` above).
#[cfg(test)]
#[path = "../../../tests/support/src/lib.rs"]
pub mod testing;
mod time;
mod token;

// Clouds and authorities.
pub use authority::{Authority, DiscoveryDocument};
pub use cloud::{Cloud, CloudEndpoints, Environment, parse_authority_host};
pub use url::Url;

// Sign-in and the session: the session, what a sign-in asks for, the handle it gives back, and what is saved
// of it.
pub use azure_cli::{
    AZURE_CLI_CLIENT_ID, AzureCli, AzureCliAccount, AzureCliAccountKind, AzureCliSignIn, FromAzureCli,
};
pub use claims::{CAE_CAPABILITY, ClaimsChallenge};
pub use ids::{ClientId, Tenant};
pub use interaction::{DeviceCodeChallenge, Interaction, SilentInteraction, StderrInteraction};
pub use session::{
    AppCredential, BrowserOptions, CacheLocation, Connected, Connection, Credential,
    MAX_TOKEN_LIFETIME_SECONDS, RenewalCredentials, SavedConnections, Session, SessionOptions, SignInMethod,
    SignInRequest, SignedIn, SignedInTokens, TokenOptions, UserMethod, secret_fingerprint, validate_response,
};
pub use token::{OIDC_SCOPES, TokenResult, decode_jwt_payload};

// Flows: one builder per grant, and the credentials a host offers.
/// The `AZURE_CLIENT_ID` and `AZURE_TENANT_ID` a federated sign-in defaults to, read and checked.
pub use flows::federated::{env_client_id as azure_client_id, env_tenant as azure_tenant_id};
pub use flows::{
    AccessTokenPassthrough, AssertionFuture, AssertionSource, AzurePipelinesToken, BrowserOpener,
    ChainAnswer, ChainSource, ClientCredential, ClientCredentials, DefaultChain, DeviceCodeFlow,
    EnvironmentCredential, EnvironmentMethod, FederatedTokenFile, FederatedTokenSource, GitHubActionsToken,
    ManagedIdentity, ManagedIdentityId, ManagedIdentitySource, PortPolicy, RefreshTokenGrant,
    SavedFederatedSource, SilentRequest, UsernamePassword, WorkloadIdentity, normalize_scopes,
};
// the interactive browser flow, with the `browser` feature
#[cfg(feature = "browser")]
pub use flows::{InteractiveBrowser, SystemBrowser};

// The token cache.
pub use cache::{
    CACHE_FILE_NAME, CacheProtection, CachedAccessToken, KeyStoreKind, ProtectionInForce, TokenCache,
    TokenQuery,
};
#[cfg(feature = "redis")]
pub use cache::{CacheKey, RedisOptions, RedisSettingNames};
// for the large test caches of msconnect-test-support (tests/support), which builds on the public API
#[doc(hidden)]
pub use cache::file_text_of;

// Certificates.
pub use cert::{
    Certificate, CertificateCredential, CertificateSource, CertificateStore, SavedCertificate,
    SigningAlgorithm, normalize_thumbprint,
};

// Secrets: newtypes that print `[redacted]`.
pub use secret::{
    AccessToken, AuthorizationCode, ClientAssertion, ClientSecret, CodeVerifier, DeviceCode, FederatedToken,
    IdToken, IdentityHeader, Password, RefreshToken, RequestToken, SECRET_FIELDS, SecretText,
};

// HTTP: the client and its transport seam.
pub use http::{
    HttpClient, HttpMethod, HttpOptions, HttpRequest, HttpResponse, HttpTransport, MAX_BODY_BYTES,
    ReqwestTransport, RetryPolicy, RootCertificate, TransportError, TransportFuture,
};
pub use time::{SharedTimer, Sleep, SystemTimer, Timer};

// Errors.
pub use error::{AzureCliProblem, Error, RenewalReason, Result, ServerError};

// Helpers for the layer above: the process's variables, msconnect's folders and files, text fit for a
// terminal, and times.
pub use env::{EnvVars, SECRET_VARIABLES};
pub use home::{SharedFolders, check_folder};
pub use printable::{MAX_SERVER_TEXT, cap_text, printable, printable_line};
pub use time::{epoch_seconds, format_rfc3339, from_epoch_seconds};

/// The files a layer above keeps beside the token cache (saved connections, its own settings): read through
/// the bounded reader (a regular file only, at most a bound), written whole and private (mode 0600). A
/// namespace of its own because its names (`read_regular`, `TEMP_MARKER`) say little at the crate's root.
pub mod files {
    pub use crate::private_file::{TEMP_MARKER, create_private_dir, private_options, write_private_file};
    pub use crate::read_file::{MAX_SAVED_FILE_BYTES, read_regular};
}
