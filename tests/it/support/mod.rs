//! Helpers shared by the suites, each in its own file: the real test peers (oidc-provider, headless
//! Chromium, MSAL Python) and the insta filters.

pub(crate) mod filters;
pub(crate) mod peers;
