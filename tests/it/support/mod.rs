//! Helpers shared by the suites: the real test peers (oidc-provider, headless Chromium, MSAL Python).

pub(crate) mod peers;
