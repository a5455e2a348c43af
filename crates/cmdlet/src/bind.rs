//! Binding, as PowerShell's binder does it: parameter names matched case-insensitively, through aliases
//! and by unambiguous prefix; the parameter set chosen from the names given; each value checked once,
//! where it enters (a tenant parsed, an environment name looked up); and what is wrong said as a
//! [`Problem`] that names parameters, which PowerShell words (`-ApplicationId`) or the command line's
//! (`--application-id`) can each explain.

use std::fmt;

use auth_core::{
    CertificateSource, ClientCredential, ClientId, Credential, Environment, SecretText, Session,
    SessionOptions, Tenant,
};

use crate::declare::{Cmdlet, Kind, Parameter, ParameterSet, fold};
use crate::error::{Error, Result};
use crate::problem::Problem;

fn as_typed(name: &str) -> String {
    name.trim().trim_start_matches('-').to_owned()
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
    if let Some(parameter) = cmdlet.spelled(&wanted) {
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
                known: parameters.clone(),
            },
        )),
        several => Err(Error::binding(
            cmdlet,
            Problem::Ambiguous {
                typed: as_typed(typed),
                matches: several.to_vec(),
            },
        )),
    }
}

/// Chooses the parameter set for the parameters `given`, as PowerShell does: the sets that
/// take every given parameter, then among them those whose mandatory parameters are all given; exactly
/// one wins, or the default set when it is among several.
pub fn resolve<'c>(
    sets: &'c [ParameterSet],
    given: &[&'static Parameter],
) -> Result<&'c ParameterSet, Problem> {
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

/// Blames a value a general parser refused (a tenant, a client id: auth-core's
/// [`auth_core::Error::InvalidParameter`]) on the declared parameter the user gave it to, as an
/// [`Error::Value`]; any other error is kept.
pub fn named<T>(parameter: &'static Parameter, result: auth_core::Result<T>) -> Result<T> {
    result.map_err(|error| match error {
        auth_core::Error::InvalidParameter { reason, .. } => Error::Value { parameter, reason },
        other => Error::Core(other),
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
    fn checked(self, cmdlet: &Cmdlet, parameter: &'static Parameter) -> Result<Self> {
        let wrong = |expected: &str, got: &Self| Bound::wrong(parameter, expected, got);
        Ok(match (parameter.kind, self) {
            (Kind::Switch | Kind::ShouldProcess, Self::Switch) => Self::Switch,
            (Kind::Switch | Kind::ShouldProcess, other) => return Err(wrong("a switch", &other)),
            (Kind::Text(_) | Kind::Choice(_), Self::Text(text)) => Self::Text(text),
            (Kind::Text(_) | Kind::Choice(_), other) => return Err(wrong("a text value", &other)),
            (Kind::Tenant, Self::Text(text)) => Self::Tenant(named(parameter, Tenant::parse(&text))?),
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
                Self::Environment(Box::new(named(parameter, cmdlet.environments.parse(&text))?))
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

/// The parameters of one invocation after binding: each by name, checked, and the set they resolved to;
/// and the session that loads what they name ([`load_with`](Self::load_with)): a certificate by
/// thumbprint, subject or file, the `AZURE_*` variables of the secret-free sets. Building the typed
/// request from it is the one step of a connect that reads files before signing in: planning reads none.
pub struct Bound {
    cmdlet: &'static Cmdlet,
    set: &'static ParameterSet,
    values: Vec<(&'static str, Argument)>,
    session: Option<Session>,
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
                        name: parameter,
                        first: typed_as[index].clone(),
                        second: as_typed(typed),
                    },
                ));
            }
            typed_as.push(as_typed(typed));
            named.push((parameter, value));
        }
        let given: Vec<&'static Parameter> = named.iter().map(|(p, _)| *p).collect();
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
        let refused: Vec<&'static Parameter> = arguments
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !set.accepts(p))
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
        Ok(Self {
            cmdlet,
            set,
            values,
            session: None,
        })
    }

    /// Loads what the parameters name (certificates, the `AZURE_*` variables) through `session`: its
    /// folder of certificates, its variables. A command binds with the session it connects through.
    pub fn load_with(&mut self, session: &Session) {
        self.session = Some(session.clone());
    }

    /// The session that loads what the parameters name: the one given to [`load_with`](Self::load_with),
    /// else one with default options (the process's variables, no folder of certificates of its own).
    pub fn session(&mut self) -> &Session {
        self.session
            .get_or_insert_with(|| Session::new(SessionOptions::default()))
    }

    /// The certificate `source` names, loaded now into a signing credential (the connection saved with
    /// it remembers how to find it again): a certificate that cannot be found or read is refused here,
    /// before anything is sent, in auth-core's words, which name the certificate.
    pub fn certificate(&mut self, source: &CertificateSource) -> Result<ClientCredential> {
        if let CertificateSource::Thumbprint(given) = source {
            // a mistyped thumbprint is named before any store is searched
            auth_core::normalize_thumbprint(given)?;
        }
        Ok(self.session().certificate_credential(source)?)
    }

    /// Adds a value read after the set was chosen (a secret, which `-WhatIf` never needs); a parameter
    /// the set does not take is refused.
    pub fn supply(&mut self, parameter: &'static Parameter, value: Argument) -> Result<()> {
        if !self.set.accepts(parameter) {
            let problem = Problem::NotInSet {
                set: self.set.name,
                names: vec![parameter],
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
    pub fn has(&self, parameter: &'static Parameter) -> bool {
        self.get(parameter).is_some()
    }

    /// The value bound to `parameter` (by its name: a cmdlet's parameters have one each).
    fn get(&self, parameter: &Parameter) -> Option<&Argument> {
        self.values
            .iter()
            .find(|(n, _)| *n == parameter.name)
            .map(|(_, v)| v)
    }

    fn wrong(parameter: &'static Parameter, expected: &str, got: &Argument) -> Error {
        Error::Value {
            parameter,
            reason: format!("expects {expected}, got {}", got.kind()),
        }
    }

    /// An error naming a parameter the chosen set needs and that is missing.
    pub fn missing(&self, name: &'static Parameter) -> Error {
        Error::binding(
            self.cmdlet,
            Problem::Missing {
                set: self.set.name,
                name,
            },
        )
    }

    /// An error saying that two parameters of the chosen set cannot be used together.
    pub fn conflict(&self, first: &'static Parameter, second: &'static Parameter) -> Error {
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
    pub fn switch(&self, parameter: &'static Parameter) -> bool {
        matches!(self.get(parameter), Some(Argument::Switch))
    }

    /// A text value.
    pub fn text(&self, parameter: &'static Parameter) -> Result<Option<String>> {
        match self.get(parameter) {
            None => Ok(None),
            Some(Argument::Text(text)) => Ok(Some(text.clone())),
            Some(other) => Err(Self::wrong(parameter, "a text value", other)),
        }
    }

    /// A text value the chosen set requires.
    pub fn required_text(&self, parameter: &'static Parameter) -> Result<String> {
        self.text(parameter)?.ok_or_else(|| self.missing(parameter))
    }

    /// A tenant, checked when it was bound.
    pub fn tenant(&self, parameter: &'static Parameter) -> Result<Option<Tenant>> {
        match self.get(parameter) {
            None => Ok(None),
            Some(Argument::Tenant(tenant)) => Ok(Some(tenant.clone())),
            Some(other) => Err(Self::wrong(parameter, "a tenant", other)),
        }
    }

    /// A tenant the chosen set requires.
    pub fn required_tenant(&self, parameter: &'static Parameter) -> Result<Tenant> {
        self.tenant(parameter)?.ok_or_else(|| self.missing(parameter))
    }

    /// An application (client) id, validated.
    pub fn client_id(&self, parameter: &'static Parameter) -> Result<Option<ClientId>> {
        self.text(parameter)?
            .map(|text| named(parameter, ClientId::parse(&text)))
            .transpose()
    }

    /// An application id the chosen set requires.
    pub fn required_client_id(&self, parameter: &'static Parameter) -> Result<ClientId> {
        self.client_id(parameter)?.ok_or_else(|| self.missing(parameter))
    }

    /// Takes the value out: a secret or a credential moves on to the request, never copied.
    fn take(&mut self, parameter: &Parameter) -> Option<Argument> {
        let index = self.values.iter().position(|(n, _)| *n == parameter.name)?;
        Some(self.values.remove(index).1)
    }

    /// Takes a secret value out.
    pub fn secret(&mut self, parameter: &'static Parameter) -> Result<Option<SecretText>> {
        match self.take(parameter) {
            None => Ok(None),
            Some(Argument::Secret(secret)) => Ok(Some(secret)),
            Some(other) => Err(Self::wrong(parameter, "a secret", &other)),
        }
    }

    /// Takes out a secret value the chosen set requires.
    pub fn required_secret(&mut self, parameter: &'static Parameter) -> Result<SecretText> {
        self.secret(parameter)?.ok_or_else(|| self.missing(parameter))
    }

    /// A list of values.
    pub fn list(&self, parameter: &'static Parameter) -> Result<Option<Vec<String>>> {
        match self.get(parameter) {
            None => Ok(None),
            Some(Argument::List(items)) => Ok(Some(items.clone())),
            Some(other) => Err(Self::wrong(parameter, "a list of values", other)),
        }
    }

    /// Takes a credential out.
    pub fn credential(&mut self, parameter: &'static Parameter) -> Result<Option<Credential>> {
        match self.take(parameter) {
            None => Ok(None),
            Some(Argument::Credential(credential)) => Ok(Some(credential)),
            Some(other) => Err(Self::wrong(parameter, "a credential", &other)),
        }
    }

    /// Takes out a credential the chosen set requires.
    pub fn required_credential(&mut self, parameter: &'static Parameter) -> Result<Credential> {
        self.credential(parameter)?.ok_or_else(|| self.missing(parameter))
    }

    /// Takes a loaded client credential (a certificate object) out.
    pub fn client_credential(&mut self, parameter: &'static Parameter) -> Result<Option<ClientCredential>> {
        match self.take(parameter) {
            None => Ok(None),
            Some(Argument::ClientCredential(credential)) => Ok(Some(credential)),
            Some(other) => Err(Self::wrong(parameter, "a certificate", &other)),
        }
    }

    /// The environment given to the cmdlet's [`Kind::Environment`] parameter, else its default.
    pub fn environment(&self) -> Environment {
        let given = self
            .cmdlet
            .parameters()
            .into_iter()
            .find_map(|p| match self.get(p) {
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
            .and_then(|p| match self.get(p) {
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
