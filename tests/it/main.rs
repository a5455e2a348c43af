//! Cross-crate and end-to-end suites: one integration binary, one module a suite.

mod oidc_peer;
mod support;
mod tidy;
