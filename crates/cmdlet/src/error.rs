//! The error of binding and connecting: auth-core's, a binding problem named in parameters, or a
//! product's refusal of a parameter's value. Every product crate returns it as its own `Error`.

use crate::declare::{Cmdlet, Parameter};
use crate::problem::Problem;

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

    /// The sign-in went through, but what it gave fails what a parameter asked for (`enforce_mfa`), or the
    /// parameter's value cannot serve this product (an environment with no endpoint for it). The message
    /// names the request's field; the command line names the option.
    #[error("{}: {reason}", field(parameter.name))]
    Refused {
        /// The declared parameter (`EnforceMFA`), from which the command line names its option.
        parameter: &'static Parameter,
        /// Why.
        reason: String,
    },

    /// A value given to a parameter is refused where it enters (a tenant that is no tenant, a name not
    /// in the list, a value of the wrong kind), in the words auth-core's own check uses: the command line
    /// names the declared parameter's option.
    #[error("invalid value for -{}: {reason}", parameter.name)]
    Value {
        /// The declared parameter the value was given to (`Tenant`).
        parameter: &'static Parameter,
        /// Why.
        reason: String,
    },

    /// A value of the typed request cannot be used, found before anything is sent (a credential whose
    /// user name is not the application id). The message names the request's field (`credential`); the
    /// command line names the option.
    #[error("invalid {}: {reason}", field(parameter.name))]
    Invalid {
        /// The declared parameter the field stands for (`Credential`), from which the command line
        /// names its option.
        parameter: &'static Parameter,
        /// Why.
        reason: String,
    },
}

/// The request field a declared parameter stands for, as Rust names it: `EnforceMFA` is `enforce_mfa`,
/// `ApplicationId` `application_id`.
pub fn field(parameter: &str) -> String {
    let chars: Vec<char> = parameter.trim_start_matches('-').chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let starts_word = c.is_ascii_uppercase()
            && previous.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl Error {
    /// An [`Error::Invalid`] of `parameter`, from auth-core's check of its value (a client id, a tenant):
    /// its reason kept, the field named.
    pub fn invalid_field(parameter: &'static Parameter, error: auth_core::Error) -> Self {
        match error {
            auth_core::Error::InvalidParameter { reason, .. } => Self::Invalid { parameter, reason },
            other => Self::Core(other),
        }
    }

    /// A binding problem of `cmdlet`.
    pub fn binding(cmdlet: &Cmdlet, problem: Problem) -> Self {
        Self::Binding {
            cmdlet: cmdlet.name,
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_named_as_its_field_in_rust() {
        let fields: Vec<String> = [
            "EnforceMFA",
            "ApplicationId",
            "Credential",
            "TenantID",
            "MsAccessToken",
            "-Tenant",
        ]
        .into_iter()
        .map(field)
        .collect();
        assert_eq!(
            fields,
            [
                "enforce_mfa",
                "application_id",
                "credential",
                "tenant_id",
                "ms_access_token",
                "tenant"
            ]
        );
        const ENFORCE_MFA: Parameter = Parameter {
            name: "EnforceMFA",
            aliases: &[],
            kind: crate::Kind::Switch,
            help: "",
        };
        let refused = Error::Refused {
            parameter: &ENFORCE_MFA,
            reason: "no mfa".into(),
        };
        insta::assert_snapshot!(refused, @"enforce_mfa: no mfa");
    }
}
