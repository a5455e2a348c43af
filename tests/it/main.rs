//! Cross-crate and end-to-end suites: one integration binary, one module a suite.

mod interactive;
mod msal_cache;
mod shared_cache;
mod tidy;
