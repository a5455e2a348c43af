//! Cross-crate and end-to-end suites: one integration binary, one module a suite.

mod interactive;
mod msal_cache;
mod oidc_peer;
mod shared_cache;
mod support;
mod tidy;
