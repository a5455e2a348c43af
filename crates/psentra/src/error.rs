//! The crate's error: auth-core's, wrapped.

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong connecting with Connect-PSMicrosoftEntraID.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol, parameter or sign-in error from auth-core.
    #[error(transparent)]
    Core(#[from] auth_core::Error),
}
