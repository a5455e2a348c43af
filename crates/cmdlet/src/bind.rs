//! Binding, as PowerShell's binder does it: parameter names matched case-insensitively, through aliases
//! and by unambiguous prefix; the parameter set chosen from the names given; each value checked once,
//! where it enters (a tenant parsed, an environment name looked up); and what is wrong said as a
//! [`Problem`] that names parameters, which PowerShell words (`-ApplicationId`) or the command line's
//! (`--application-id`) can each explain.

use std::fmt;

use auth_core::{ClientCredential, ClientId, Credential, Environment, SecretText, Tenant};

use crate::declare::{Cmdlet, Kind, Parameter, ParameterSet};
use crate::error::{Error, Result};

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

fn as_typed(name: &str) -> String {
    name.trim().trim_start_matches('-').to_owned()
}

/// What is wrong with the parameters of one invocation, by parameter name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// No parameter has that name, alias or prefix.
    Unknown {
        /// The name as typed.
        typed: String,
        /// Every parameter of the cmdlet.
        known: Vec<&'static str>,
    },
    /// A prefix that several parameters start with.
    Ambiguous {
        /// The name as typed.
        typed: String,
        /// The parameters it could be.
        matches: Vec<&'static str>,
    },
    /// One parameter given twice, under two spellings.
    Repeated {
        /// The parameter.
        name: &'static str,
        /// How it was first typed.
        first: String,
        /// How it was typed again.
        second: String,
    },
    /// The parameters complete several sets, none the default.
    SeveralSets {
        /// The parameters given.
        given: Vec<&'static str>,
        /// The sets they complete.
        sets: Vec<&'static str>,
    },
    /// No set takes all the parameters given.
    Together {
        /// The parameters given.
        given: Vec<&'static str>,
        /// For each set that takes any of them, those it does not take.
        refusals: Vec<(&'static str, Vec<&'static str>)>,
    },
    /// Sets take the parameters given, but each needs more.
    Incomplete {
        /// The parameters given.
        given: Vec<&'static str>,
        /// For each set that takes them, the mandatory parameters missing.
        needs: Vec<(&'static str, Vec<&'static str>)>,
    },
    /// The chosen set needs a parameter that is missing.
    Missing {
        /// The set.
        set: &'static str,
        /// The parameter.
        name: &'static str,
    },
    /// The chosen set does not take these parameters.
    NotInSet {
        /// The set.
        set: &'static str,
        /// The parameters it does not take.
        names: Vec<&'static str>,
    },
    /// The chosen set needs one of several parameters, and none was given.
    OneOf {
        /// The set.
        set: &'static str,
        /// The parameters, any one of which will do.
        names: Vec<&'static str>,
    },
    /// A parameter that only goes with another, given without it.
    Requires {
        /// The parameter given.
        name: &'static str,
        /// The one it goes with.
        with: &'static str,
    },
    /// Two parameters of the chosen set cannot be used together.
    Conflict {
        /// The set.
        set: &'static str,
        /// One parameter.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
}

/// How a [`Problem`] names parameters.
trait Words {
    fn name(&self, parameter: &str) -> String;

    /// `-a -b` in PowerShell words, `--a, --b and --c` on the command line.
    fn names(&self, parameters: &[&str]) -> String;
}

struct PowerShell;

impl Words for PowerShell {
    fn name(&self, parameter: &str) -> String {
        format!("-{parameter}")
    }

    fn names(&self, parameters: &[&str]) -> String {
        let dashed: Vec<String> = parameters.iter().map(|p| self.name(p)).collect();
        dashed.join(" ")
    }
}

struct CommandLine<'c>(&'c Cmdlet);

impl Words for CommandLine<'_> {
    fn name(&self, parameter: &str) -> String {
        let option = self
            .0
            .parameter(parameter)
            .map_or_else(|| parameter.to_owned(), |p| p.option());
        format!("--{option}")
    }

    fn names(&self, parameters: &[&str]) -> String {
        let dashed: Vec<String> = parameters.iter().map(|p| self.name(p)).collect();
        match dashed.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
}

impl Problem {
    /// The problem in command-line words (`--application-id`), as `msconnect` reports it for `cmdlet`.
    pub fn for_command_line(&self, cmdlet: &Cmdlet) -> String {
        let words = CommandLine(cmdlet);
        match self {
            Self::SeveralSets { given, sets } => format!(
                "{} fit several parameter sets of {} ({}); add an option only one of them takes",
                words.names(given),
                cmdlet.name,
                sets.join(", ")
            ),
            Self::Together { given, refusals } => {
                let lines: Vec<String> = refusals
                    .iter()
                    .map(|(set, refused)| format!("  {set} does not take {}", words.names(refused)))
                    .collect();
                format!(
                    "{} cannot be used together with {}:\n{}",
                    words.names(given),
                    cmdlet.name,
                    lines.join("\n")
                )
            }
            Self::Incomplete { given, needs } => {
                let subject = if given.is_empty() {
                    "no options".to_owned()
                } else {
                    words.names(given)
                };
                let lines: Vec<String> = needs
                    .iter()
                    .map(|(set, missing)| format!("  {set} needs {}", words.names(missing)))
                    .collect();
                format!(
                    "{subject} match no parameter set of {}; add what one of them needs:\n{}",
                    cmdlet.name,
                    lines.join("\n")
                )
            }
            other => other.explain(&words),
        }
    }

    fn explain(&self, words: &dyn Words) -> String {
        const UNRESOLVED: &str = "parameter set cannot be resolved using the specified named parameters";
        match self {
            Self::Unknown { typed, known } => format!(
                "a parameter cannot be found that matches parameter name '{typed}'; the parameters are: {}",
                words.names(known)
            ),
            Self::Ambiguous { typed, matches } => format!(
                "parameter name '{typed}' is ambiguous; possible matches include: {}",
                words.names(matches)
            ),
            Self::Repeated { name, first, second } => format!(
                "{} was given more than once (as -{first} and -{second})",
                words.name(name)
            ),
            Self::SeveralSets { given, sets } => format!(
                "{UNRESOLVED}: {} fit several sets ({}); add a parameter that only one of them takes",
                words.names(given),
                sets.join(", ")
            ),
            Self::Together { given, refusals } => {
                let lines: Vec<String> = refusals
                    .iter()
                    .map(|(set, refused)| format!("{set} does not take {}", words.names(refused)))
                    .collect();
                format!(
                    "{UNRESOLVED}: {} cannot be used together; {}",
                    words.names(given),
                    lines.join("; ")
                )
            }
            Self::Incomplete { given, needs } => {
                let wanting: Vec<String> = needs
                    .iter()
                    .map(|(set, missing)| {
                        if missing.is_empty() {
                            format!("{set} (nothing more)")
                        } else {
                            let list: Vec<String> = missing.iter().map(|m| words.name(m)).collect();
                            format!("{set} ({})", list.join(", "))
                        }
                    })
                    .collect();
                let subject = if given.is_empty() {
                    "no parameters given".to_owned()
                } else {
                    words.names(given)
                };
                format!("{UNRESOLVED}: {subject} needs one of: {}", wanting.join(", "))
            }
            Self::Missing { set, name } => format!("parameter set {set} needs {}", words.name(name)),
            Self::NotInSet { set, names } => {
                format!("parameter set {set} does not take {}", words.names(names))
            }
            Self::OneOf { set, names } => {
                let list: Vec<String> = names.iter().map(|n| words.name(n)).collect();
                format!("parameter set {set} needs one of {}", list.join(", "))
            }
            Self::Requires { name, with } => format!(
                "{} is used only together with {}",
                words.name(name),
                words.name(with)
            ),
            Self::Conflict { set, first, second } => format!(
                "{} and {} cannot be used together (parameter set {set})",
                words.name(first),
                words.name(second)
            ),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain(&PowerShell))
    }
}

/// The parameter of `cmdlet` a name as typed stands for: an exact name or alias in any case (with or
/// without dashes, in kebab case too), else an unambiguous prefix of one, as PowerShell accepts.
pub fn canonical_name(cmdlet: &Cmdlet, typed: &str) -> Result<&'static Parameter> {
    let wanted = fold(typed);
    let parameters = cmdlet.parameters();
    let spellings: Vec<(&'static str, &'static Parameter)> = parameters
        .iter()
        .flat_map(|p| {
            std::iter::once(p.name)
                .chain(p.aliases.iter().copied())
                .map(move |s| (s, *p))
        })
        .collect();
    if let Some(parameter) = spelled(cmdlet, &wanted) {
        return Ok(parameter);
    }
    let mut matches: Vec<&'static Parameter> = Vec::new();
    if !wanted.is_empty() {
        for (spelling, parameter) in &spellings {
            if fold(spelling).starts_with(&wanted) && !matches.iter().any(|m| m.name == parameter.name) {
                matches.push(parameter);
            }
        }
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::binding(
            cmdlet,
            Problem::Unknown {
                typed: as_typed(typed),
                known: parameters.iter().map(|p| p.name).collect(),
            },
        )),
        several => Err(Error::binding(
            cmdlet,
            Problem::Ambiguous {
                typed: as_typed(typed),
                matches: several.iter().map(|p| p.name).collect(),
            },
        )),
    }
}

/// The parameter whose name or an alias folds to `wanted` (see [`fold`]): no prefixes.
pub(crate) fn spelled(cmdlet: &Cmdlet, wanted: &str) -> Option<&'static Parameter> {
    cmdlet.parameters().into_iter().find(|p| {
        std::iter::once(p.name)
            .chain(p.aliases.iter().copied())
            .any(|spelling| fold(spelling) == wanted)
    })
}

/// Chooses the parameter set for the parameters `given` (by name), as PowerShell does: the sets that
/// take every given parameter, then among them those whose mandatory parameters are all given; exactly
/// one wins, or the default set when it is among several.
pub fn resolve<'c>(sets: &'c [ParameterSet], given: &[&'static str]) -> Result<&'c ParameterSet, Problem> {
    let candidates: Vec<&ParameterSet> = sets
        .iter()
        .filter(|set| given.iter().all(|g| set.accepts(g)))
        .collect();
    let complete: Vec<&ParameterSet> = candidates
        .iter()
        .copied()
        .filter(|set| set.missing(given).is_empty())
        .collect();
    match complete.as_slice() {
        [one] => return Ok(one),
        [] => {}
        several => {
            if let Some(default) = several.iter().find(|s| s.default) {
                return Ok(default);
            }
            return Err(Problem::SeveralSets {
                given: given.to_vec(),
                sets: several.iter().map(|s| s.name).collect(),
            });
        }
    }
    if candidates.is_empty() {
        // some given parameters are never used together: for each set that takes any of them, what it
        // does not take
        let refusals = sets
            .iter()
            .filter(|set| given.iter().any(|g| set.accepts(g)))
            .map(|set| {
                let refused = given.iter().copied().filter(|g| !set.accepts(g)).collect();
                (set.name, refused)
            })
            .collect();
        return Err(Problem::Together {
            given: given.to_vec(),
            refusals,
        });
    }
    Err(Problem::Incomplete {
        given: given.to_vec(),
        needs: candidates
            .iter()
            .map(|set| (set.name, set.missing(given)))
            .collect(),
    })
}

/// Picks a value from a fixed list (PowerShell's `ValidateSet`), ignoring case; anything else is refused
/// with the list of accepted values.
pub fn choose<T: Copy>(parameter: &str, value: &str, accepted: &[(&'static str, T)]) -> auth_core::Result<T> {
    let value = value.trim();
    accepted
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
            auth_core::Error::invalid(
                format!("-{parameter}"),
                format!(
                    "'{value}' is not one of the accepted values: {}",
                    names.join(", ")
                ),
            )
        })
}

/// Renames the parameter of an [`auth_core::Error::InvalidParameter`] to `-{parameter}`, so a value
/// checked by a general parser (a tenant, a client id) is blamed on the parameter the user typed.
pub fn named<T>(parameter: &str, result: auth_core::Result<T>) -> auth_core::Result<T> {
    result.map_err(|error| match error {
        auth_core::Error::InvalidParameter { reason, .. } => {
            auth_core::Error::invalid(format!("-{parameter}"), reason)
        }
        other => other,
    })
}

/// A value given to a parameter.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Argument {
    /// A switch that is present.
    Switch,
    /// A text value.
    Text(String),
    /// A tenant, checked.
    Tenant(Tenant),
    /// A secret value (token, client secret, password).
    Secret(SecretText),
    /// Several text values (`-Scopes a,b`).
    List(Vec<String>),
    /// A user name (or application id) and password (or client secret): a `PSCredential`.
    Credential(Credential),
    /// A loaded client credential (a certificate object, for `-Certificate`).
    ClientCredential(ClientCredential),
    /// An environment already resolved (a user-defined one, say); boxed, as it is much larger than the
    /// other values.
    Environment(Box<Environment>),
}

impl Argument {
    /// A text value.
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    /// A secret value.
    pub fn secret(value: impl Into<String>) -> Self {
        Self::Secret(SecretText::new(value))
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Switch => "a switch",
            Self::Text(_) => "a text value",
            Self::Tenant(_) => "a tenant",
            Self::Secret(_) => "a secret",
            Self::List(_) => "a list of values",
            Self::Credential(_) => "a credential",
            Self::ClientCredential(_) => "a certificate",
            Self::Environment(_) => "an environment",
        }
    }

    /// The value as its parameter's kind wants it: a tenant parsed, an environment name looked up, a
    /// single text a list of one, a secret typed as text wrapped as a secret (so `Debug` never shows
    /// it). Checked once, here, where the value enters; a value of another kind is refused, naming the
    /// parameter.
    fn checked(self, cmdlet: &Cmdlet, parameter: &Parameter) -> auth_core::Result<Self> {
        let wrong = |expected: &str, got: &Self| Bound::wrong(parameter.name, expected, got);
        Ok(match (parameter.kind, self) {
            (Kind::Switch | Kind::ShouldProcess, Self::Switch) => Self::Switch,
            (Kind::Switch | Kind::ShouldProcess, other) => return Err(wrong("a switch", &other)),
            (Kind::Text(_) | Kind::Choice(_), Self::Text(text)) => Self::Text(text),
            (Kind::Text(_) | Kind::Choice(_), other) => return Err(wrong("a text value", &other)),
            (Kind::Tenant, Self::Text(text)) => Self::Tenant(named(parameter.name, Tenant::parse(&text))?),
            (Kind::Tenant, Self::Tenant(tenant)) => Self::Tenant(tenant),
            (Kind::Tenant, other) => return Err(wrong("a tenant", &other)),
            (Kind::List(_), Self::Text(text)) => Self::List(vec![text]),
            (Kind::List(_), Self::List(items)) => Self::List(items),
            (Kind::List(_), other) => return Err(wrong("a list of values", &other)),
            (Kind::Secret { .. }, Self::Text(text)) => Self::Secret(SecretText::new(text)),
            (Kind::Secret { .. }, Self::Secret(secret)) => Self::Secret(secret),
            (Kind::Secret { .. }, other) => return Err(wrong("a secret", &other)),
            (Kind::Credential { .. }, Self::Credential(credential)) => Self::Credential(credential),
            (Kind::Credential { .. }, other) => return Err(wrong("a credential", &other)),
            (Kind::Environment, Self::Text(text)) => {
                Self::Environment(Box::new(cmdlet.environments.parse(&text)?))
            }
            (Kind::Environment, Self::Environment(environment)) => Self::Environment(environment),
            (Kind::Environment, other) => return Err(wrong("an environment name", &other)),
            // what only PowerShell gives (a certificate object, a preference) is taken as it comes
            (Kind::Object, value) => value,
        })
    }
}

/// PowerShell's `-WhatIf` line for `operation` on `target`, without its trailing period.
pub fn what_if(operation: &str, target: &str) -> String {
    format!("What if: Performing the operation \"{operation}\" on target \"{target}\"")
}

/// The parameters of one invocation after binding: each by name, checked, and the set they resolved to.
pub struct Bound {
    cmdlet: &'static Cmdlet,
    set: &'static ParameterSet,
    values: Vec<(&'static str, Argument)>,
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // every value of a secret's parameter is a SecretText by now (`Argument::checked`), and
        // Argument's Debug redacts those: the values are safe to show
        f.debug_struct("Bound")
            .field("cmdlet", &self.cmdlet.name)
            .field("set", &self.set.name)
            .field("values", &self.values)
            .finish()
    }
}

impl Cmdlet {
    /// Binds arguments as PowerShell does: names found through aliases, case and prefixes, each
    /// parameter at most once, the set resolved, each value checked.
    pub fn bind<S: AsRef<str>>(
        &'static self,
        arguments: impl IntoIterator<Item = (S, Argument)>,
    ) -> Result<Bound> {
        let mut named: Vec<(&'static Parameter, Argument)> = Vec::new();
        let mut typed_as: Vec<String> = Vec::new();
        for (typed, value) in arguments {
            let typed = typed.as_ref();
            let parameter = canonical_name(self, typed)?;
            if let Some(index) = named.iter().position(|(p, _)| p.name == parameter.name) {
                return Err(Error::binding(
                    self,
                    Problem::Repeated {
                        name: parameter.name,
                        first: typed_as[index].clone(),
                        second: as_typed(typed),
                    },
                ));
            }
            typed_as.push(as_typed(typed));
            named.push((parameter, value));
        }
        let given: Vec<&'static str> = named.iter().map(|(p, _)| p.name).collect();
        let set = resolve(self.sets(), &given).map_err(|problem| Error::binding(self, problem))?;
        Bound::new(self, set, named)
    }
}

impl Bound {
    /// The arguments of a set already chosen with [`resolve`] (the command line chooses it from the
    /// options given, before it reads any secret, which [`supply`](Self::supply) adds later), each value
    /// checked. A parameter the set does not take is refused.
    pub fn new(
        cmdlet: &'static Cmdlet,
        set: &'static ParameterSet,
        arguments: Vec<(&'static Parameter, Argument)>,
    ) -> Result<Self> {
        let refused: Vec<&'static str> = arguments
            .iter()
            .map(|(p, _)| p.name)
            .filter(|name| !set.accepts(name))
            .collect();
        if !refused.is_empty() {
            let problem = Problem::NotInSet {
                set: set.name,
                names: refused,
            };
            return Err(Error::binding(cmdlet, problem));
        }
        let mut values = Vec::with_capacity(arguments.len());
        for (parameter, value) in arguments {
            values.push((parameter.name, value.checked(cmdlet, parameter)?));
        }
        Ok(Self { cmdlet, set, values })
    }

    /// Adds a value read after the set was chosen (a secret, which `-WhatIf` never needs); a parameter
    /// the set does not take is refused.
    pub fn supply(&mut self, parameter: &'static Parameter, value: Argument) -> Result<()> {
        if !self.set.accepts(parameter.name) {
            let problem = Problem::NotInSet {
                set: self.set.name,
                names: vec![parameter.name],
            };
            return Err(Error::binding(self.cmdlet, problem));
        }
        let value = value.checked(self.cmdlet, parameter)?;
        self.values.retain(|(name, _)| *name != parameter.name);
        self.values.push((parameter.name, value));
        Ok(())
    }

    /// The cmdlet.
    pub fn cmdlet(&self) -> &'static Cmdlet {
        self.cmdlet
    }

    /// The name of the parameter set the arguments resolved to.
    pub fn set_name(&self) -> &'static str {
        self.set.name
    }

    /// The parameter set the arguments resolved to.
    pub fn set(&self) -> &'static ParameterSet {
        self.set
    }

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn get(&self, name: &str) -> Option<&Argument> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn wrong(name: &str, expected: &str, got: &Argument) -> auth_core::Error {
        auth_core::Error::invalid(
            format!("-{name}"),
            format!("expects {expected}, got {}", got.kind()),
        )
    }

    /// An error naming a parameter the chosen set needs and that is missing.
    pub fn missing(&self, name: &'static str) -> Error {
        Error::binding(
            self.cmdlet,
            Problem::Missing {
                set: self.set.name,
                name,
            },
        )
    }

    /// An error saying that two parameters of the chosen set cannot be used together.
    pub fn conflict(&self, first: &'static str, second: &'static str) -> Error {
        Error::binding(
            self.cmdlet,
            Problem::Conflict {
                set: self.set.name,
                first,
                second,
            },
        )
    }

    /// An error for any other [`Problem`] of these parameters.
    pub fn problem(&self, problem: Problem) -> Error {
        Error::binding(self.cmdlet, problem)
    }

    /// Whether a switch is present.
    pub fn switch(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Argument::Switch))
    }

    /// A text value.
    pub fn text(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::Text(text)) => Ok(Some(text.clone())),
            Some(other) => Err(Self::wrong(name, "a text value", other).into()),
        }
    }

    /// A text value the chosen set requires.
    pub fn required_text(&self, name: &'static str) -> Result<String> {
        self.text(name)?.ok_or_else(|| self.missing(name))
    }

    /// A tenant, checked when it was bound.
    pub fn tenant(&self, name: &str) -> Result<Option<Tenant>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::Tenant(tenant)) => Ok(Some(tenant.clone())),
            Some(other) => Err(Self::wrong(name, "a tenant", other).into()),
        }
    }

    /// A tenant the chosen set requires.
    pub fn required_tenant(&self, name: &'static str) -> Result<Tenant> {
        self.tenant(name)?.ok_or_else(|| self.missing(name))
    }

    /// An application (client) id, validated.
    pub fn client_id(&self, name: &str) -> Result<Option<ClientId>> {
        Ok(self
            .text(name)?
            .map(|text| named(name, ClientId::parse(&text)))
            .transpose()?)
    }

    /// An application id the chosen set requires.
    pub fn required_client_id(&self, name: &'static str) -> Result<ClientId> {
        self.client_id(name)?.ok_or_else(|| self.missing(name))
    }

    /// Takes the value out: a secret or a credential moves on to the request, never copied.
    fn take(&mut self, name: &str) -> Option<Argument> {
        let index = self.values.iter().position(|(n, _)| *n == name)?;
        Some(self.values.remove(index).1)
    }

    /// Takes a secret value out.
    pub fn secret(&mut self, name: &str) -> Result<Option<SecretText>> {
        match self.take(name) {
            None => Ok(None),
            Some(Argument::Secret(secret)) => Ok(Some(secret)),
            Some(other) => Err(Self::wrong(name, "a secret", &other).into()),
        }
    }

    /// Takes out a secret value the chosen set requires.
    pub fn required_secret(&mut self, name: &'static str) -> Result<SecretText> {
        self.secret(name)?.ok_or_else(|| self.missing(name))
    }

    /// A list of values.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::List(items)) => Ok(Some(items.clone())),
            Some(other) => Err(Self::wrong(name, "a list of values", other).into()),
        }
    }

    /// Takes a credential out.
    pub fn credential(&mut self, name: &str) -> Result<Option<Credential>> {
        match self.take(name) {
            None => Ok(None),
            Some(Argument::Credential(credential)) => Ok(Some(credential)),
            Some(other) => Err(Self::wrong(name, "a credential", &other).into()),
        }
    }

    /// Takes out a credential the chosen set requires.
    pub fn required_credential(&mut self, name: &'static str) -> Result<Credential> {
        self.credential(name)?.ok_or_else(|| self.missing(name))
    }

    /// Takes a loaded client credential (a certificate object) out.
    pub fn client_credential(&mut self, name: &str) -> Result<Option<ClientCredential>> {
        match self.take(name) {
            None => Ok(None),
            Some(Argument::ClientCredential(credential)) => Ok(Some(credential)),
            Some(other) => Err(Self::wrong(name, "a certificate", &other).into()),
        }
    }

    /// The environment given to the cmdlet's [`Kind::Environment`] parameter, else its default.
    pub fn environment(&self) -> Environment {
        let given = self
            .cmdlet
            .parameters()
            .into_iter()
            .find_map(|p| match self.get(p.name) {
                Some(Argument::Environment(environment)) if p.kind == Kind::Environment => {
                    Some(environment.as_ref().clone())
                }
                _ => None,
            });
        given.unwrap_or_else(|| self.cmdlet.default_environment())
    }

    /// What `-WhatIf` and `-Confirm` name as the target: the tenant (`organizations` when none was
    /// given), the environment and the set.
    pub fn target(&self) -> String {
        let tenant = self
            .cmdlet
            .tenant_parameter()
            .and_then(|p| match self.get(p.name) {
                Some(Argument::Tenant(tenant)) => Some(tenant.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| Tenant::organizations().to_string());
        format!(
            "tenant {tenant} in {} ({})",
            self.environment().name,
            self.set.name
        )
    }

    /// The `-WhatIf` line: what the cmdlet would do, without doing it.
    pub fn what_if(&self) -> String {
        what_if(self.cmdlet.operation, &self.target())
    }
}

#[cfg(test)]
mod tests;
