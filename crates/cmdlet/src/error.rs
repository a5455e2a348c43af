//! The error of binding and connecting: auth-core's, a binding problem named in parameters, or a
//! product's refusal of a parameter's value. Every product crate returns it as its own `Error`.

use crate::bind::Problem;
use crate::declare::Cmdlet;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong binding a cmdlet's parameters and connecting with them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol, value or sign-in error from auth-core.
    #[error(transparent)]
    Core(#[from] auth_core::Error),

    /// The parameters fit none of the cmdlet's sets, or more than one, or the chosen set refuses how they
    /// are used (PowerShell's binding errors).
    #[error("{cmdlet}: {problem}")]
    Binding {
        /// The cmdlet (`Connect-PartnerCenter`).
        cmdlet: &'static str,
        /// What is wrong, by parameter.
        problem: Problem,
    },

    /// The result could not be written as JSON for the command line.
    #[error("writing the result as JSON: {0}")]
    Output(String),

    /// The sign-in went through, but what it gave fails what a parameter asked for (`-EnforceMFA`), or the
    /// parameter's value cannot serve this product (an environment with no endpoint for it).
    #[error("-{parameter}: {reason}")]
    Refused {
        /// The parameter (`EnforceMFA`).
        parameter: &'static str,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// A binding problem of `cmdlet`.
    pub fn binding(cmdlet: &Cmdlet, problem: Problem) -> Self {
        Self::Binding {
            cmdlet: cmdlet.name,
            problem,
        }
    }
}
