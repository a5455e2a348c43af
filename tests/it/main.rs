//! Cross-crate and end-to-end suites: one integration binary, one module a suite.

mod azure_cli;
mod azure_sdk;
mod cli;
mod examples;
mod interactive;
mod library;
mod msal_cache;
mod msal_cli;
mod oidc_cli;
mod oidc_peer;
mod shared_cache;
mod support;
mod tidy;
