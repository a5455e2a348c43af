//! The seam to the product crates: the bound arguments become the crate's typed request (its own
//! parameter-set enum), the crate connects, and what it returns becomes what the command line prints
//! (a table or PowerShell-named JSON) and, for a connection, saves.

use auth_core::Session;
use auth_core::params::Argument;
use serde::Serialize;
use serde_json::Value;

use crate::exit::{Failure, usage};
use crate::modules::{Cmdlet, Module};

/// A product crate's request, built from the arguments.
pub(crate) enum Request {
    /// Connect-PartnerCenter.
    PartnerCenter(partnercenter::ConnectPartnerCenter),
    /// New-PartnerAccessToken.
    NewPartnerAccessToken(partnercenter::NewPartnerAccessToken),
    /// Connect-SecMgmtAccount.
    SecMgmt(secmgmt::ConnectSecMgmtAccount),
    /// Connect-Entra.
    Entra(entra::ConnectEntra),
    /// Connect-PSMicrosoftEntraID.
    PsEntra(psentra::ConnectPsEntra),
}

/// What a request produced.
pub(crate) struct Outcome {
    /// What `-o json` prints.
    pub(crate) json: Value,
    /// What `-o table` prints.
    pub(crate) table: String,
}

impl Request {
    /// Binds `arguments` (PowerShell names) with the crate that owns `cmdlet`.
    pub(crate) fn new(cmdlet: &Cmdlet, arguments: Vec<(&'static str, Argument)>) -> Result<Self, Failure> {
        let request = match cmdlet.name {
            "Connect-PartnerCenter" => {
                partnercenter::ConnectPartnerCenter::from_arguments(arguments).map(Self::PartnerCenter)
            }
            "New-PartnerAccessToken" => partnercenter::NewPartnerAccessToken::from_arguments(arguments)
                .map(Self::NewPartnerAccessToken),
            "Connect-SecMgmtAccount" => {
                secmgmt::ConnectSecMgmtAccount::from_arguments(arguments).map(Self::SecMgmt)
            }
            "Connect-Entra" => entra::ConnectEntra::from_arguments(arguments).map(Self::Entra),
            _ => psentra::ConnectPsEntra::from_arguments(arguments).map(Self::PsEntra),
        };
        request.map_err(|e| core_failure(cmdlet, e))
    }

    /// Connects (or gets the token) with the product crate.
    pub(crate) async fn run(self, session: &Session, cmdlet: &Cmdlet) -> Result<Outcome, Failure> {
        let failed = |message: String| Failure::Failed(cli_words(cmdlet, &message));
        match self {
            Self::PartnerCenter(request) => match partnercenter::connect(session, request).await {
                Ok((context, _)) => connected(&context, context.to_table()),
                Err(partnercenter::Error::Core(e)) => Err(core_failure(cmdlet, e)),
                Err(other) => Err(failed(other.to_string())),
            },
            Self::NewPartnerAccessToken(request) => {
                match partnercenter::new_partner_access_token(session, request).await {
                    Ok(result) => Ok(Outcome {
                        json: to_json(&result)?,
                        table: result.to_table(),
                    }),
                    Err(partnercenter::Error::Core(e)) => Err(core_failure(cmdlet, e)),
                    Err(other) => Err(failed(other.to_string())),
                }
            }
            Self::SecMgmt(request) => match secmgmt::connect(session, request).await {
                Ok((context, _)) => connected(&context, context.to_table()),
                Err(secmgmt::Error::Core(e)) => Err(core_failure(cmdlet, e)),
                Err(other) => Err(failed(other.to_string())),
            },
            Self::Entra(request) => match entra::connect(session, request).await {
                Ok((context, _)) => connected(&context, context.to_table()),
                Err(entra::Error::Core(e)) => Err(core_failure(cmdlet, e)),
                Err(other) => Err(failed(other.to_string())),
            },
            Self::PsEntra(request) => {
                let pass_thru = request.pass_thru;
                match psentra::connect(session, request).await {
                    // -PassThru asks for the token object, token included; the saved context never has it
                    Ok((token, _)) => Ok(Outcome {
                        json: if pass_thru {
                            to_json(&token)?
                        } else {
                            to_json(&token.context)?
                        },
                        table: if pass_thru {
                            token.to_table()
                        } else {
                            token.context.to_table()
                        },
                    }),
                    Err(psentra::Error::Core(e)) => Err(core_failure(cmdlet, e)),
                    Err(other) => Err(failed(other.to_string())),
                }
            }
        }
    }
}

fn connected<C: Serialize>(context: &C, table: String) -> Result<Outcome, Failure> {
    Ok(Outcome {
        json: to_json(context)?,
        table,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| Failure::Failed(format!("writing the result as JSON: {e}")))
}

/// The table of a saved context, as the module's format file shows it.
pub(crate) fn context_table(module: &Module, context: Value) -> Result<String, Failure> {
    fn typed<C: serde::de::DeserializeOwned>(module: &Module, value: Value) -> Result<C, Failure> {
        serde_json::from_value(value).map_err(|e| {
            Failure::Failed(format!(
                "the saved {} context cannot be read ({e}); run `msconnect {} connect` again",
                module.title, module.name
            ))
        })
    }
    Ok(match module.name {
        "partnercenter" => typed::<partnercenter::PartnerContext>(module, context)?.to_table(),
        "secmgmt" => typed::<secmgmt::MgmtContext>(module, context)?.to_table(),
        "entra" => typed::<entra::EntraContext>(module, context)?.to_table(),
        _ => typed::<psentra::PsEntraContext>(module, context)?.to_table(),
    })
}

/// An auth-core error as the command line reports it: what the user typed wrong is a usage error in
/// option names; the rest keeps its structure (the AADSTS code and the hint).
pub(crate) fn core_failure(cmdlet: &Cmdlet, error: auth_core::Error) -> Failure {
    match error {
        auth_core::Error::InvalidParameter { parameter, reason } => {
            let name = parameter.trim_start_matches('-');
            match cmdlet.param(name) {
                Some(param) => usage(format!("--{}: {}", param.long, cli_words(cmdlet, &reason))),
                None => usage(cli_words(
                    cmdlet,
                    &format!("invalid value for {parameter}: {reason}"),
                )),
            }
        }
        auth_core::Error::ParameterSet { message, .. } => usage(cli_words(cmdlet, &message)),
        other => Failure::Auth(other),
    }
}

/// A message of a product crate with PowerShell's `-ApplicationId` written as `--application-id`.
pub(crate) fn cli_words(cmdlet: &Cmdlet, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('-') {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let boundary_before = out
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '-'));
        let word: String = from[1..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        match cmdlet
            .param(&word)
            .filter(|_| boundary_before && !word.is_empty())
        {
            Some(param) => {
                out.push_str("--");
                out.push_str(param.long);
                rest = &from[1 + word.len()..];
            }
            None => {
                out.push('-');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::{self, partnercenter};

    #[test]
    fn modules_read_the_contexts_their_crates_save() {
        let saved_as = [
            ::partnercenter::connect::MODULE,
            ::secmgmt::connect::MODULE,
            ::entra::connect::MODULE,
            ::psentra::connect::MODULE,
        ];
        let names: Vec<&str> = modules::ALL.iter().map(|m| m.name).collect();
        assert_eq!(names, saved_as);
    }

    #[test]
    fn powershell_parameter_names_become_options() {
        insta::assert_snapshot!(
            cli_words(&partnercenter::CONNECT, "-Credential and -CertificateThumbprint cannot be used together; -EnforceMFA: x-ray --keep -Nope"),
            @"--credential and --certificate-thumbprint cannot be used together; --enforce-mfa: x-ray --keep -Nope"
        );
    }
}
