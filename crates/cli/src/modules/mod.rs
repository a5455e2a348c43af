//! The four PowerShell modules as data: each cmdlet's parameters as options (PowerShell name, kebab-case
//! long option, aliases, what value it takes) and its parameter sets. The clap commands are built from
//! these tables, and the options present are read back by PowerShell name, so one table drives help,
//! completion, the man page and parameter-set resolution.

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};

use auth_core::params::ParameterSetInfo;

pub(crate) mod entra;
pub(crate) mod partnercenter;
pub(crate) mod psentra;
pub(crate) mod secmgmt;
pub(crate) mod workload;

/// The value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A switch (`-UseDeviceAuthentication`).
    Switch,
    /// A text value.
    Text(&'static str),
    /// One of a fixed list, any case (`-Module ExchangeOnline`).
    Choice(&'static [&'static str]),
    /// A list (`-Scopes`): comma-separated, or the option repeated.
    List(&'static str),
    /// A secret: also read from the variable `env`; `-` reads it from stdin. Never shown in help or logs.
    Secret {
        value_name: &'static str,
        env: &'static str,
    },
    /// A `PSCredential`: the user name (or application id) here, the password (or client secret) from
    /// `--password-stdin`, the variable `env`, or a prompt.
    Credential {
        /// The variable holding the password.
        env: &'static str,
    },
    /// A cloud: one of the module's names or a user-defined environment.
    Environment,
}

/// One cmdlet parameter as a command-line option.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    /// The PowerShell name (`ApplicationId`): the option's id.
    pub(crate) name: &'static str,
    /// The long option (`application-id`).
    pub(crate) long: &'static str,
    /// The documented aliases, in kebab-case (`client-id`).
    pub(crate) aliases: &'static [&'static str],
    /// The value it takes.
    pub(crate) kind: Kind,
    /// One line of help.
    pub(crate) help: &'static str,
}

/// A cmdlet: its options and parameter sets.
#[derive(Debug)]
pub(crate) struct Cmdlet {
    /// The PowerShell name (`Connect-PartnerCenter`).
    pub(crate) name: &'static str,
    /// What it does, for help.
    pub(crate) about: &'static str,
    /// Its own parameters.
    pub(crate) params: &'static [Param],
    /// The parameters it shares with every module's connect ([`CONNECT_SHARED`]), after its own; none.
    pub(crate) shared: &'static [Param],
    /// Its parameter sets: the product crate's.
    pub(crate) sets: &'static [ParameterSetInfo],
    /// The environment names it accepts (besides user-defined ones): the product crate's.
    pub(crate) environments: fn() -> Vec<&'static str>,
}

impl Cmdlet {
    /// Every parameter, its own then the shared ones, in the order help lists them.
    pub(crate) fn all_params(&self) -> impl Iterator<Item = &'static Param> + use<> {
        let (own, shared): (&'static [Param], &'static [Param]) = (self.params, self.shared);
        own.iter().chain(shared)
    }

    /// The parameter with this PowerShell name.
    pub(crate) fn param(&self, name: &str) -> Option<&'static Param> {
        self.all_params().find(|p| p.name == name)
    }

    /// The long option of a PowerShell name (the name itself when unknown, which the tests rule out).
    pub(crate) fn long_of(&self, name: &str) -> String {
        self.param(name)
            .map_or_else(|| name.to_owned(), |p| p.long.to_owned())
    }

    /// The parameters that take a credential, which `--password-stdin` can feed.
    fn credentials(&self) -> Vec<&'static str> {
        self.all_params()
            .filter(|p| matches!(p.kind, Kind::Credential { .. }))
            .map(|p| p.name)
            .collect()
    }
}

/// A PowerShell module as a command group.
#[derive(Debug)]
pub(crate) struct Module {
    /// The command name (`partnercenter`).
    pub(crate) name: &'static str,
    /// The product, for messages (`Partner Center`).
    pub(crate) title: &'static str,
    /// The Connect-* cmdlet.
    pub(crate) connect: &'static Cmdlet,
    /// The Disconnect-* cmdlet's name.
    pub(crate) disconnect: &'static str,
    /// New-PartnerAccessToken, for Partner Center.
    pub(crate) new_access_token: Option<&'static Cmdlet>,
}

/// What every module's connect takes besides its cmdlet's parameters: msconnect's own sign-ins, the
/// Azure CLI's (`--from-azure-cli`) and the secret-free ones of CI runners and cloud hosts.
pub(crate) static CONNECT_SHARED: [Param; 9] = [
    common::FROM_AZURE_CLI,
    common::ACCOUNT,
    workload::FEDERATED_TOKEN_FILE,
    workload::WORKLOAD_IDENTITY,
    workload::SERVICE_CONNECTION_ID,
    workload::IDENTITY,
    workload::OBJECT_ID,
    workload::RESOURCE_ID,
    workload::ENVIRONMENT_VARIABLE,
];

/// Every module, in the order help lists them.
pub(crate) static ALL: [&Module; 4] = [
    &partnercenter::MODULE,
    &secmgmt::MODULE,
    &entra::MODULE,
    &psentra::MODULE,
];

/// The PowerShell common parameters `-WhatIf` and `-Confirm`, and the option that feeds `-Credential`.
pub(crate) const WHAT_IF: &str = "WhatIf";
/// See [`WHAT_IF`].
pub(crate) const CONFIRM: &str = "Confirm";
/// See [`WHAT_IF`].
pub(crate) const PASSWORD_STDIN: &str = "password-stdin";

/// Parameters several cmdlets share, with the same name, aliases and meaning.
pub(crate) mod common {
    use super::{Kind, Param};

    /// `-Tenant` (aliases Domain, TenantId).
    pub(crate) const TENANT: Param = Param {
        name: "Tenant",
        long: "tenant",
        aliases: &["domain", "tenant-id"],
        kind: Kind::Text("TENANT"),
        help: "The tenant: its id (GUID) or a domain name [default: organizations]",
    };
    /// `-ApplicationId` (alias ClientId).
    pub(crate) const APPLICATION_ID: Param = Param {
        name: "ApplicationId",
        long: "application-id",
        aliases: &["client-id"],
        kind: Kind::Text("ID"),
        help: "The application (client) id to sign in with",
    };
    /// `-AccessToken`.
    pub(crate) const ACCESS_TOKEN: Param = Param {
        name: "AccessToken",
        long: "access-token",
        aliases: &[],
        kind: Kind::Secret {
            value_name: "TOKEN",
            env: "MSCONNECT_ACCESS_TOKEN",
        },
        help: "An access token to use as it is, no request made (`-` reads it from stdin)",
    };
    /// `-RefreshToken`.
    pub(crate) const REFRESH_TOKEN: Param = Param {
        name: "RefreshToken",
        long: "refresh-token",
        aliases: &[],
        kind: Kind::Secret {
            value_name: "TOKEN",
            env: "MSCONNECT_REFRESH_TOKEN",
        },
        help: "A refresh token to redeem (`-` reads it from stdin)",
    };
    /// `-CertificateThumbprint`.
    pub(crate) const CERTIFICATE_THUMBPRINT: Param = Param {
        name: "CertificateThumbprint",
        long: "certificate-thumbprint",
        aliases: &[],
        kind: Kind::Text("THUMBPRINT"),
        help: "The SHA-1 thumbprint of a certificate in the user's or machine's store",
    };
    /// `-Credential`.
    pub(crate) const CREDENTIAL: Param = Param {
        name: "Credential",
        long: "credential",
        aliases: &[],
        kind: Kind::Credential {
            env: "MSCONNECT_PASSWORD",
        },
        help: "The user name, or the application id of a service principal; the password or secret comes \
               from --password-stdin, MSCONNECT_PASSWORD or a prompt",
    };
    /// `-Environment`.
    pub(crate) const ENVIRONMENT: Param = Param {
        name: "Environment",
        long: "environment",
        aliases: &[],
        kind: Kind::Environment,
        help: "The cloud to sign in to",
    };
    /// `-ServicePrincipal`.
    pub(crate) const SERVICE_PRINCIPAL: Param = Param {
        name: "ServicePrincipal",
        long: "service-principal",
        aliases: &[],
        kind: Kind::Switch,
        help: "Sign in as a service principal (an application), not a user",
    };
    /// `-FromAzureCli`: msconnect's own set, the Azure CLI's sign-in.
    pub(crate) const FROM_AZURE_CLI: Param = Param {
        name: "FromAzureCli",
        long: "from-azure-cli",
        aliases: &[],
        kind: Kind::Switch,
        help: "Use the Azure CLI's sign-in (az login): its refresh token and its token cache, shared from \
               now on; no browser, no device code",
    };
    /// `-Account`, with `--from-azure-cli`.
    pub(crate) const ACCOUNT: Param = Param {
        name: "Account",
        long: "account",
        aliases: &[],
        kind: Kind::Text("UPN"),
        help: "With --from-azure-cli: the Azure CLI's account to use, when it has several",
    };
    /// `-UseDeviceAuthentication` (aliases Device, DeviceAuth, DeviceCode).
    pub(crate) const USE_DEVICE_AUTHENTICATION: Param = Param {
        name: "UseDeviceAuthentication",
        long: "use-device-authentication",
        aliases: &["device", "device-auth", "device-code"],
        kind: Kind::Switch,
        help: "Sign in with a device code (on another device's browser) instead of this machine's browser",
    };
}

/// The clap command of a cmdlet.
pub(crate) fn cmdlet_command(name: &'static str, cmdlet: &'static Cmdlet) -> Command {
    let mut command = Command::new(name)
        .about(cmdlet.about)
        .long_about(format!("{}\n\nPowerShell: {}", cmdlet.about, cmdlet.name));
    for param in cmdlet.all_params() {
        command = command.arg(option(param, cmdlet));
    }
    let credentials = cmdlet.credentials();
    if !credentials.is_empty() {
        let options: Vec<String> = credentials
            .iter()
            .map(|c| format!("--{}", cmdlet.long_of(c)))
            .collect();
        command = command
            .group(ArgGroup::new("credentials").args(credentials).multiple(true))
            .arg(
                Arg::new(PASSWORD_STDIN)
                    .long(PASSWORD_STDIN)
                    .action(ArgAction::SetTrue)
                    .requires("credentials")
                    .help(format!(
                        "Read the password (or client secret) of {} from stdin",
                        options.join(" or ")
                    )),
            );
    }
    command.args(should_process_args())
}

/// `--what-if` (alias `--wi`) and `--confirm` (alias `--cf`).
pub(crate) fn should_process_args() -> [Arg; 2] {
    [
        Arg::new(WHAT_IF)
            .long("what-if")
            .visible_alias("wi")
            .action(ArgAction::SetTrue)
            .help("Say what would be done, and do nothing: no request, no file written"),
        Arg::new(CONFIRM)
            .long("confirm")
            .visible_alias("cf")
            .action(ArgAction::SetTrue)
            .conflicts_with(WHAT_IF)
            .help("Ask before acting (needs a terminal)"),
    ]
}

fn option(param: &'static Param, cmdlet: &'static Cmdlet) -> Arg {
    let arg = Arg::new(param.name)
        .long(param.long)
        .visible_aliases(param.aliases)
        .help(param.help);
    match param.kind {
        Kind::Switch => arg.action(ArgAction::SetTrue),
        Kind::Text(value_name) => arg.value_name(value_name),
        Kind::Choice(values) => arg
            .value_name("NAME")
            .ignore_case(true)
            .value_parser(PossibleValuesParser::new(values)),
        Kind::List(value_name) => arg
            .value_name(value_name)
            .action(ArgAction::Append)
            .value_delimiter(','),
        Kind::Secret { value_name, env } => arg
            .value_name(value_name)
            .env(env)
            .hide_env_values(true)
            .hide_default_value(true),
        Kind::Credential { .. } => arg.value_name("USERNAME"),
        Kind::Environment => arg.value_name("NAME").long_help(format!(
            "{}: one of {}, or a name added with `msconnect environment add`",
            param.help,
            (cmdlet.environments)().join(", ")
        )),
    }
}

/// Where a given value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Typed on the command line.
    CommandLine,
    /// Read from the option's environment variable.
    Environment(&'static str),
}

/// An option present in one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Given {
    /// The parameter.
    pub(crate) param: &'static Param,
    /// Where it came from.
    pub(crate) source: Source,
}

/// The cmdlet parameters present in `matches`, in the table's order.
pub(crate) fn given(cmdlet: &'static Cmdlet, matches: &ArgMatches) -> Vec<Given> {
    cmdlet
        .all_params()
        .filter_map(|param| {
            let source = match matches.value_source(param.name)? {
                ValueSource::CommandLine => Source::CommandLine,
                ValueSource::EnvVariable => match param.kind {
                    Kind::Secret { env, .. } => Source::Environment(env),
                    _ => Source::CommandLine,
                },
                // switches report their `false` default: not given
                _ => return None,
            };
            Some(Given { param, source })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ApplicationId` → `application-id`, `EnforceMFA` → `enforce-mfa`, `TenantID` → `tenant-id`.
    fn kebab(name: &str) -> String {
        let chars: Vec<char> = name.chars().collect();
        let mut out = String::new();
        for (i, c) in chars.iter().enumerate() {
            let boundary = i > 0
                && c.is_ascii_uppercase()
                && (chars[i - 1].is_ascii_lowercase()
                    || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
            if boundary {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    }

    #[test]
    fn every_option_is_the_kebab_case_of_its_parameter() {
        for module in ALL {
            let cmdlets = std::iter::once(module.connect).chain(module.new_access_token);
            for cmdlet in cmdlets {
                for param in cmdlet.all_params() {
                    assert_eq!(param.long, kebab(param.name), "{}", cmdlet.name);
                }
            }
        }
    }

    /// Parameters the command line has no option for: `-WhatIf`/`-Confirm` are `--what-if`/`--confirm`
    /// on every command; `-ProgressAction` is PowerShell's own; `-Certificate` takes a .NET object.
    const NOT_OPTIONS: [&str; 4] = ["WhatIf", "Confirm", "ProgressAction", "Certificate"];

    /// The product crate's aliases of a cmdlet's parameters, `(alias, name)`.
    fn powershell_aliases(cmdlet: &Cmdlet) -> &'static [(&'static str, &'static str)] {
        match cmdlet.name {
            "Connect-PartnerCenter" => ::partnercenter::params::ALIASES,
            "New-PartnerAccessToken" => ::partnercenter::params::NEW_ACCESS_TOKEN_ALIASES,
            "Connect-SecMgmtAccount" => ::secmgmt::params::ALIASES,
            "Connect-Entra" => ::entra::params::ALIASES,
            _ => ::psentra::params::ALIASES,
        }
    }

    #[test]
    fn every_powershell_alias_is_an_option_alias() {
        for module in ALL {
            let cmdlets = std::iter::once(module.connect).chain(module.new_access_token);
            for cmdlet in cmdlets {
                for (alias, name) in powershell_aliases(cmdlet) {
                    if NOT_OPTIONS.contains(name) || ["cf", "wi"].contains(alias) {
                        continue; // --cf and --wi belong to --confirm and --what-if everywhere
                    }
                    let param = cmdlet
                        .param(name)
                        .unwrap_or_else(|| panic!("{} -{name}", cmdlet.name));
                    let option = kebab(alias);
                    assert!(
                        param.long == option || param.aliases.contains(&option.as_str()),
                        "{}: -{alias} (of -{name}) has no --{option}",
                        cmdlet.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_parameter_of_every_set_has_an_option() {
        for module in ALL {
            let cmdlets = std::iter::once(module.connect).chain(module.new_access_token);
            for cmdlet in cmdlets {
                assert_eq!(
                    cmdlet.sets.iter().filter(|s| s.default).count(),
                    1,
                    "{}",
                    cmdlet.name
                );
                for set in cmdlet.sets {
                    for name in set.mandatory.iter().chain(set.optional) {
                        assert!(
                            cmdlet.param(name).is_some() || NOT_OPTIONS.contains(name),
                            "{} -{name}",
                            cmdlet.name
                        );
                    }
                }
                for param in cmdlet.all_params() {
                    let used = cmdlet
                        .sets
                        .iter()
                        .any(|s| s.mandatory.contains(&param.name) || s.optional.contains(&param.name));
                    assert!(used, "{} -{} is in no set", cmdlet.name, param.name);
                }
            }
        }
    }
}
