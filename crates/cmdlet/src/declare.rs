//! How a product crate declares a cmdlet, once: every parameter with its aliases, the value it takes, its
//! environment variable and its help, and the parameter sets. The binder ([`crate::bind`]) reads these
//! declarations, and so does the command line, which builds its options, help, completions and man
//! pages from them.

use std::sync::OnceLock;

use auth_core::Environment;

use crate::environments::EnvironmentNames;

/// The value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A switch (`-UseDeviceAuthentication`).
    Switch,
    /// A text value, read as it is; `value_name` names it in help (`ID`, `PATH`).
    Text(&'static str),
    /// A tenant: its id (a GUID) or a domain name, checked where it enters.
    Tenant,
    /// One of a fixed list, any case (`-Module ExchangeOnline`).
    Choice(&'static [&'static str]),
    /// A list (`-Scopes`): comma-separated, or the option repeated.
    List(&'static str),
    /// A secret (a token, a client secret, a password): never shown in help or logs. The command line
    /// also reads it from the variable `env`, and from stdin for `-`.
    Secret {
        /// Names the value in help (`TOKEN`).
        value_name: &'static str,
        /// The variable that holds it.
        env: &'static str,
    },
    /// A `PSCredential`: a user name (or application id) with a password (or client secret); the
    /// command line takes the name and reads the password from stdin, the variable `env` or a prompt.
    Credential {
        /// The variable that holds the password.
        env: &'static str,
    },
    /// A cloud: one of the cmdlet's environment names, or an environment resolved already.
    Environment,
    /// PowerShell's `-WhatIf` and `-Confirm`: the command line gives every command `--what-if` and
    /// `--confirm` of its own.
    ShouldProcess,
    /// A value only PowerShell can give (a .NET certificate object, `-ProgressAction`): no command-line
    /// option.
    Object,
}

/// One parameter of a cmdlet, declared once as a constant (`TENANT`) that the cmdlet's parameter
/// groups, its sets and the code reading its bound value all name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// The PowerShell name (`ApplicationId`). The command-line option is its kebab case
    /// (`--application-id`).
    pub name: &'static str,
    /// The PowerShell aliases (`ClientId`); the command line takes their kebab case too.
    pub aliases: &'static [&'static str],
    /// The value it takes.
    pub kind: Kind,
    /// One line of help.
    pub help: &'static str,
}

impl Parameter {
    /// The command-line option: the kebab case of the name (`--application-id` without the dashes).
    pub fn option(&self) -> String {
        kebab(self.name)
    }

    /// The command-line aliases: the kebab case of the aliases.
    pub fn option_aliases(&self) -> Vec<String> {
        self.aliases.iter().map(|alias| kebab(alias)).collect()
    }

    /// Whether the command line has an option for it.
    pub fn is_option(&self) -> bool {
        !matches!(self.kind, Kind::ShouldProcess | Kind::Object)
    }
}

/// `ApplicationId` → `application-id`, `EnforceMFA` → `enforce-mfa`, `TenantID` → `tenant-id`.
pub fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase() || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if boundary {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Folds a name as typed (`-TenantId`, `--tenant-id`, `tenantid`) to compare it: leading dashes, inner
/// dashes and underscores dropped, lower case.
pub(crate) fn fold(name: &str) -> String {
    name.trim()
        .trim_start_matches('-')
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// One parameter set: its name, the parameters it requires and those it also takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSet {
    /// The set's name (`ServicePrincipal`).
    pub name: &'static str,
    /// Parameters the set requires.
    pub mandatory: Vec<&'static Parameter>,
    /// Parameters the set also takes.
    pub optional: Vec<&'static Parameter>,
    /// Whether this is the cmdlet's default set, chosen when several sets fit.
    pub default: bool,
}

impl ParameterSet {
    /// A set that requires `mandatory` and also takes `optional`.
    pub fn new(
        name: &'static str,
        mandatory: &[&'static Parameter],
        optional: &[&'static Parameter],
    ) -> Self {
        Self {
            name,
            mandatory: mandatory.to_vec(),
            optional: optional.to_vec(),
            default: false,
        }
    }

    /// The same set, as the cmdlet's default.
    #[must_use]
    pub fn default_set(mut self) -> Self {
        self.default = true;
        self
    }

    /// The same set, also taking `parameters` (what every set of a cmdlet takes: `-Environment`,
    /// `-WhatIf`…).
    #[must_use]
    pub fn also(mut self, parameters: &[&'static Parameter]) -> Self {
        self.optional.extend_from_slice(parameters);
        self
    }

    /// Whether the set takes `parameter` (a parameter of the cmdlet's, by its name).
    pub fn accepts(&self, parameter: &Parameter) -> bool {
        self.mandatory
            .iter()
            .chain(&self.optional)
            .any(|p| p.name == parameter.name)
    }

    /// The mandatory parameters missing from `given`.
    pub fn missing(&self, given: &[&Parameter]) -> Vec<&'static Parameter> {
        self.mandatory
            .iter()
            .filter(|p| !given.iter().any(|g| g.name == p.name))
            .copied()
            .collect()
    }
}

/// A cmdlet's parameter sets, built once on first use: sets that several modules share are made by
/// functions ([`crate::sets`]) with each module's parameter names, so a table cannot be a constant.
#[derive(Debug)]
pub struct Sets {
    build: fn() -> Vec<ParameterSet>,
    built: OnceLock<Vec<ParameterSet>>,
}

impl Sets {
    /// The sets `build` returns.
    pub const fn new(build: fn() -> Vec<ParameterSet>) -> Self {
        Self {
            build,
            built: OnceLock::new(),
        }
    }

    /// The sets.
    pub fn get(&self) -> &[ParameterSet] {
        self.built.get_or_init(self.build)
    }
}

/// A cmdlet, declared once in its product crate.
#[derive(Debug)]
pub struct Cmdlet {
    /// The PowerShell name (`Connect-PartnerCenter`).
    pub name: &'static str,
    /// What it does, for help.
    pub about: &'static str,
    /// The operation `-WhatIf` and `-Confirm` name (`Connect`).
    pub operation: &'static str,
    /// Its own parameters, in groups; help lists them by name.
    pub parameters: &'static [&'static [Parameter]],
    /// The parameters of the sets it shares with other modules' cmdlets, listed after its own, in order.
    pub shared: &'static [&'static [Parameter]],
    /// Its parameter sets.
    pub sets: Sets,
    /// The environment names `-Environment` takes, and the default.
    pub environments: &'static EnvironmentNames,
}

impl Cmdlet {
    /// Every parameter: its own by name, then the shared ones in order.
    pub fn parameters(&self) -> Vec<&'static Parameter> {
        let mut own: Vec<&'static Parameter> = self.parameters.iter().flat_map(|g| g.iter()).collect();
        own.sort_by_key(|p| p.name);
        own.extend(self.shared.iter().flat_map(|g| g.iter()));
        own
    }

    /// The aliases, `(alias, parameter)`, in the order of [`parameters`](Self::parameters): what
    /// PowerShell's `Get-Command` lists.
    pub fn aliases(&self) -> Vec<(&'static str, &'static str)> {
        self.parameters()
            .into_iter()
            .flat_map(|p| p.aliases.iter().map(move |alias| (*alias, p.name)))
            .collect()
    }

    /// The parameter a name or alias stands for, in any case, with or without dashes, spaces or
    /// underscores: `-TenantId`, `tenant-id`, and auth-core's `access token` (which Connect-Entra takes as
    /// an alias of `-MsAccessToken`). No prefixes: for naming the parameter an error is about.
    pub fn find(&self, spelling: &str) -> Option<&'static Parameter> {
        // the binder's comparison, with auth-core's spaces read as the dashes of kebab case
        self.spelled(&fold(&spelling.replace(' ', "-")))
    }

    /// The parameter whose name or an alias folds to `wanted` (see [`fold`]): no prefixes.
    pub(crate) fn spelled(&self, wanted: &str) -> Option<&'static Parameter> {
        self.parameters().into_iter().find(|p| {
            std::iter::once(p.name)
                .chain(p.aliases.iter().copied())
                .any(|spelling| fold(spelling) == wanted)
        })
    }

    /// The parameter of this name (exact).
    pub fn parameter(&self, name: &str) -> Option<&'static Parameter> {
        self.parameters().into_iter().find(|p| p.name == name)
    }

    /// The parameter sets.
    pub fn sets(&self) -> &[ParameterSet] {
        self.sets.get()
    }

    /// The parameter that holds the tenant, if the cmdlet has one.
    pub fn tenant_parameter(&self) -> Option<&'static Parameter> {
        self.parameters().into_iter().find(|p| p.kind == Kind::Tenant)
    }

    /// The environment `-Environment` names, or the default.
    pub fn default_environment(&self) -> Environment {
        self.environments.default_environment()
    }
}

/// Parameters many cmdlets declare alike.
pub mod common {
    use super::{Kind, Parameter};

    /// `-Environment`.
    pub const ENVIRONMENT: Parameter = Parameter {
        name: "Environment",
        aliases: &[],
        kind: Kind::Environment,
        help: "The cloud to sign in to",
    };
    /// `-Credential`: a user's name and password, or an application id and its secret.
    pub const CREDENTIAL: Parameter = Parameter {
        name: "Credential",
        aliases: &[],
        kind: Kind::Credential {
            env: "MSCONNECT_PASSWORD",
        },
        help: "The user name, or the application id of a service principal; the password or secret comes \
               from --password-stdin, MSCONNECT_PASSWORD or a prompt",
    };
    /// `-CertificateThumbprint`.
    pub const CERTIFICATE_THUMBPRINT: Parameter = Parameter {
        name: "CertificateThumbprint",
        aliases: &[],
        kind: Kind::Text("THUMBPRINT"),
        help: "The SHA-1 thumbprint of a certificate in the user's or machine's store",
    };
    /// `-Scopes`.
    pub const SCOPES: Parameter = Parameter {
        name: "Scopes",
        aliases: &[],
        kind: Kind::List("SCOPE"),
        help: "The scopes of the access token (comma-separated, or the option repeated)",
    };
    /// `-WhatIf` (alias `wi`): say what would be done, and do nothing. Every cmdlet and the command
    /// line's `disconnect` take it.
    pub const WHAT_IF: Parameter = Parameter {
        name: "WhatIf",
        aliases: &["wi"],
        kind: Kind::ShouldProcess,
        help: "Say what would be done, and do nothing: no request, no file written",
    };
    /// `-Confirm` (alias `cf`): ask before acting.
    pub const CONFIRM: Parameter = Parameter {
        name: "Confirm",
        aliases: &["cf"],
        kind: Kind::ShouldProcess,
        help: "Ask before acting (needs a terminal)",
    };
    /// [`WHAT_IF`] and [`CONFIRM`], PowerShell's should-process parameters.
    pub const SHOULD_PROCESS: &[Parameter] = &[WHAT_IF, CONFIRM];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_the_kebab_case_of_powershell_names() {
        let names = [
            "ApplicationId",
            "EnforceMFA",
            "TenantID",
            "MsAccessToken",
            "Scopes",
            "proga",
        ];
        let options: Vec<String> = names.iter().map(|n| kebab(n)).collect();
        assert_eq!(
            options,
            [
                "application-id",
                "enforce-mfa",
                "tenant-id",
                "ms-access-token",
                "scopes",
                "proga"
            ]
        );
    }
}
