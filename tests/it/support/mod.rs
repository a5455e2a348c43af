//! Helpers shared by the suites, each in its own file: the real test peers (oidc-provider, headless
//! Chromium, MSAL Python), a device code sign-in through the binary, and the insta filters.

pub(crate) mod device_code;
pub(crate) mod filters;
pub(crate) mod https_server;
pub(crate) mod peers;
