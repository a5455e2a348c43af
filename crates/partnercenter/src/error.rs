//! The crate's error: auth-core's, plus what only Partner Center refuses.

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong connecting to Partner Center.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol, parameter or sign-in error from auth-core.
    #[error(transparent)]
    Core(#[from] auth_core::Error),

    /// `-EnforceMFA` was given and the sign-in did not use multi-factor authentication.
    #[error(
        "-EnforceMFA: the sign-in did not use multi-factor authentication (the token's amr claim is [{}]); \
         sign in again and complete the multi-factor prompt",
        amr.join(", ")
    )]
    MfaNotUsed {
        /// The authentication methods the token lists.
        amr: Vec<String>,
    },

    /// The environment has no Partner Center API.
    #[error("-Environment: {environment} has no Partner Center endpoint")]
    NoPartnerCenterEndpoint {
        /// The environment's name.
        environment: String,
    },
}
