//! PowerShell-style parameter binding, shared by the product crates and the CLI: parameter names matched
//! case-insensitively, through aliases and by unambiguous prefix; the parameter set chosen from the names
//! given, as PowerShell's binder does; and a bag of bound values that each crate turns into its typed
//! request.

use std::fmt;

use crate::cloud::Environment;
use crate::error::{Error, Result};
use crate::flows::ClientCredential;
use crate::ids::{ClientId, Tenant};
use crate::secret::SecretText;
use crate::session::Credential;

/// One parameter set of a cmdlet: its name, the parameters it requires and those it also takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterSetInfo {
    /// The set's name (`ServicePrincipal`).
    pub name: &'static str,
    /// Parameters the set requires, by canonical name.
    pub mandatory: &'static [&'static str],
    /// Parameters the set also takes.
    pub optional: &'static [&'static str],
    /// Whether this is the cmdlet's default set, chosen when several sets fit.
    pub default: bool,
}

impl ParameterSetInfo {
    /// Whether the set takes `parameter` (canonical name, any case).
    pub fn accepts(&self, parameter: &str) -> bool {
        self.mandatory
            .iter()
            .chain(self.optional)
            .any(|p| p.eq_ignore_ascii_case(parameter))
    }

    /// The mandatory parameters missing from `given`.
    pub fn missing(&self, given: &[&str]) -> Vec<&'static str> {
        self.mandatory
            .iter()
            .filter(|p| !given.iter().any(|g| g.eq_ignore_ascii_case(p)))
            .copied()
            .collect()
    }
}

/// Every parameter of a cmdlet, once each, in the order the sets name them.
pub fn parameter_names(sets: &[ParameterSetInfo]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for set in sets {
        for name in set.mandatory.iter().chain(set.optional) {
            if !names.contains(name) {
                names.push(name);
            }
        }
    }
    names
}

/// Folds a name as typed (`-TenantId`, `--tenant-id`, `tenantid`) to compare it: leading dashes, inner
/// dashes and underscores dropped, lower case.
fn fold(name: &str) -> String {
    name.trim()
        .trim_start_matches('-')
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical name of a parameter as the user typed it: an exact name or alias in any case (with or
/// without dashes, in kebab-case too), else an unambiguous prefix of one, as PowerShell accepts.
pub fn canonical_name(
    cmdlet: &str,
    sets: &[ParameterSetInfo],
    aliases: &[(&'static str, &'static str)],
    typed: &str,
) -> Result<&'static str> {
    let wanted = fold(typed);
    let names = parameter_names(sets);
    let spellings: Vec<(&'static str, &'static str)> = names
        .iter()
        .map(|n| (*n, *n))
        .chain(aliases.iter().copied())
        .collect();
    if let Some((_, canonical)) = spellings.iter().find(|(spelling, _)| fold(spelling) == wanted) {
        return Ok(canonical);
    }
    let mut matches: Vec<&'static str> = Vec::new();
    if !wanted.is_empty() {
        for (spelling, canonical) in &spellings {
            if fold(spelling).starts_with(&wanted) && !matches.contains(canonical) {
                matches.push(canonical);
            }
        }
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::ParameterSet {
            cmdlet: cmdlet.to_owned(),
            message: format!(
                "a parameter cannot be found that matches parameter name '{}'; the parameters are: {}",
                typed.trim().trim_start_matches('-'),
                dashed(&names)
            ),
        }),
        several => Err(Error::ParameterSet {
            cmdlet: cmdlet.to_owned(),
            message: format!(
                "parameter name '{}' is ambiguous; possible matches include: {}",
                typed.trim().trim_start_matches('-'),
                dashed(several)
            ),
        }),
    }
}

fn dashed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("-{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn needs(set: &ParameterSetInfo, given: &[&str]) -> String {
    let missing = set.missing(given);
    if missing.is_empty() {
        format!("{} (nothing more)", set.name)
    } else {
        let list: Vec<String> = missing.iter().map(|m| format!("-{m}")).collect();
        format!("{} ({})", set.name, list.join(", "))
    }
}

/// Chooses the parameter set for the parameters `given` (canonical names), as PowerShell does: the sets
/// that take every given parameter, then among them those whose mandatory parameters are all given;
/// exactly one wins, or the default set when it is among several. Otherwise the error names the given
/// parameters and, for each set that could still apply, what it needs.
pub fn resolve<'a>(
    cmdlet: &str,
    sets: &'a [ParameterSetInfo],
    given: &[&str],
) -> Result<&'a ParameterSetInfo> {
    let usage = |message: String| Error::ParameterSet {
        cmdlet: cmdlet.to_owned(),
        message,
    };
    let candidates: Vec<&ParameterSetInfo> = sets
        .iter()
        .filter(|set| given.iter().all(|g| set.accepts(g)))
        .collect();
    let complete: Vec<&ParameterSetInfo> = candidates
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
            let names: Vec<&str> = several.iter().map(|s| s.name).collect();
            return Err(usage(format!(
                "parameter set cannot be resolved using the specified named parameters: {} fit several sets \
                 ({}); add a parameter that only one of them takes",
                dashed(given),
                names.join(", ")
            )));
        }
    }
    if candidates.is_empty() {
        // Some given parameters are never used together: show, for each set that takes any of them,
        // what it does not take.
        let mut lines: Vec<String> = Vec::new();
        for set in sets {
            let taken: Vec<&str> = given.iter().copied().filter(|g| set.accepts(g)).collect();
            if taken.is_empty() {
                continue;
            }
            let refused: Vec<&str> = given.iter().copied().filter(|g| !set.accepts(g)).collect();
            lines.push(format!("{} does not take {}", set.name, dashed(&refused)));
        }
        return Err(usage(format!(
            "parameter set cannot be resolved using the specified named parameters: {} cannot be used \
             together; {}",
            dashed(given),
            lines.join("; ")
        )));
    }
    let wanting: Vec<String> = candidates.iter().map(|set| needs(set, given)).collect();
    let subject = if given.is_empty() {
        "no parameters given".to_owned()
    } else {
        dashed(given)
    };
    Err(usage(format!(
        "parameter set cannot be resolved using the specified named parameters: {subject} needs one of: {}",
        wanting.join(", ")
    )))
}

/// Picks a value from a fixed list (PowerShell's `ValidateSet`), ignoring case; anything else is refused
/// with the list of accepted values.
pub fn choose<T: Copy>(parameter: &str, value: &str, accepted: &[(&'static str, T)]) -> Result<T> {
    let value = value.trim();
    accepted
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
            Error::invalid(
                format!("-{parameter}"),
                format!(
                    "'{value}' is not one of the accepted values: {}",
                    names.join(", ")
                ),
            )
        })
}

/// Renames the parameter of an [`Error::InvalidParameter`] to `-{parameter}`, so a value checked by a
/// general parser (a tenant, a client id) is blamed on the parameter the user typed.
pub fn named<T>(parameter: &str, result: Result<T>) -> Result<T> {
    result.map_err(|error| match error {
        Error::InvalidParameter { reason, .. } => Error::invalid(format!("-{parameter}"), reason),
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
    fn kind(&self) -> &'static str {
        match self {
            Self::Switch => "a switch",
            Self::Text(_) => "a text value",
            Self::Secret(_) => "a secret",
            Self::List(_) => "a list of values",
            Self::Credential(_) => "a credential",
            Self::ClientCredential(_) => "a certificate",
            Self::Environment(_) => "an environment",
        }
    }
}

/// The parameters of one invocation after binding: each by canonical name, and the set they resolved to.
pub struct Bound {
    cmdlet: &'static str,
    set: &'static ParameterSetInfo,
    values: Vec<(&'static str, Argument)>,
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Argument's Debug redacts secrets; the values are safe to show.
        f.debug_struct("Bound")
            .field("cmdlet", &self.cmdlet)
            .field("set", &self.set.name)
            .field("values", &self.values)
            .finish()
    }
}

/// Binds arguments as PowerShell does: names canonicalised through `aliases` and prefixes, each parameter
/// at most once, then the set resolved.
pub fn bind<S: AsRef<str>>(
    cmdlet: &'static str,
    sets: &'static [ParameterSetInfo],
    aliases: &[(&'static str, &'static str)],
    arguments: impl IntoIterator<Item = (S, Argument)>,
) -> Result<Bound> {
    let mut values: Vec<(&'static str, Argument)> = Vec::new();
    let mut typed_as: Vec<String> = Vec::new();
    for (typed, value) in arguments {
        let typed = typed.as_ref();
        let name = canonical_name(cmdlet, sets, aliases, typed)?;
        if let Some(index) = values.iter().position(|(n, _)| *n == name) {
            return Err(Error::ParameterSet {
                cmdlet: cmdlet.to_owned(),
                message: format!(
                    "-{name} was given more than once (as -{} and -{})",
                    typed_as[index],
                    typed.trim().trim_start_matches('-')
                ),
            });
        }
        typed_as.push(typed.trim().trim_start_matches('-').to_owned());
        values.push((name, value));
    }
    let given: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let set = resolve(cmdlet, sets, &given)?;
    Ok(Bound { cmdlet, set, values })
}

impl Bound {
    /// The cmdlet.
    pub fn cmdlet(&self) -> &'static str {
        self.cmdlet
    }

    /// The name of the parameter set the arguments resolved to.
    pub fn set_name(&self) -> &'static str {
        self.set.name
    }

    /// The parameter set the arguments resolved to.
    pub fn set(&self) -> &'static ParameterSetInfo {
        self.set
    }

    /// Whether the parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn get(&self, name: &str) -> Option<&Argument> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn wrong(&self, name: &str, expected: &str, got: &Argument) -> Error {
        Error::invalid(
            format!("-{name}"),
            format!("expects {expected}, got {}", got.kind()),
        )
    }

    /// An error naming a parameter the chosen set needs and that is missing.
    pub fn missing(&self, name: &str) -> Error {
        Error::ParameterSet {
            cmdlet: self.cmdlet.to_owned(),
            message: format!("parameter set {} needs -{name}", self.set.name),
        }
    }

    /// An error saying that two parameters of the chosen set cannot be used together.
    pub fn conflict(&self, first: &str, second: &str) -> Error {
        Error::ParameterSet {
            cmdlet: self.cmdlet.to_owned(),
            message: format!(
                "-{first} and -{second} cannot be used together (parameter set {})",
                self.set.name
            ),
        }
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
            Some(other) => Err(self.wrong(name, "a text value", other)),
        }
    }

    /// A text value the chosen set requires.
    pub fn required_text(&self, name: &str) -> Result<String> {
        self.text(name)?.ok_or_else(|| self.missing(name))
    }

    /// A tenant, validated.
    pub fn tenant(&self, name: &str) -> Result<Option<Tenant>> {
        self.text(name)?
            .map(|text| named(name, Tenant::parse(&text)))
            .transpose()
    }

    /// A tenant the chosen set requires.
    pub fn required_tenant(&self, name: &str) -> Result<Tenant> {
        self.tenant(name)?.ok_or_else(|| self.missing(name))
    }

    /// An application (client) id, validated.
    pub fn client_id(&self, name: &str) -> Result<Option<ClientId>> {
        self.text(name)?
            .map(|text| named(name, ClientId::parse(&text)))
            .transpose()
    }

    /// An application id the chosen set requires.
    pub fn required_client_id(&self, name: &str) -> Result<ClientId> {
        self.client_id(name)?.ok_or_else(|| self.missing(name))
    }

    /// A secret value; a plain text value is accepted and wrapped.
    pub fn secret(&self, name: &str) -> Result<Option<SecretText>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::Secret(secret)) => Ok(Some(secret.clone())),
            Some(Argument::Text(text)) => Ok(Some(SecretText::new(text.as_str()))),
            Some(other) => Err(self.wrong(name, "a secret", other)),
        }
    }

    /// A secret value the chosen set requires.
    pub fn required_secret(&self, name: &str) -> Result<SecretText> {
        self.secret(name)?.ok_or_else(|| self.missing(name))
    }

    /// A list of values; a single text value is a list of one.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::List(items)) => Ok(Some(items.clone())),
            Some(Argument::Text(text)) => Ok(Some(vec![text.clone()])),
            Some(other) => Err(self.wrong(name, "a list of values", other)),
        }
    }

    /// A credential.
    pub fn credential(&self, name: &str) -> Result<Option<Credential>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::Credential(credential)) => Ok(Some(credential.clone())),
            Some(other) => Err(self.wrong(name, "a credential", other)),
        }
    }

    /// A credential the chosen set requires.
    pub fn required_credential(&self, name: &str) -> Result<Credential> {
        self.credential(name)?.ok_or_else(|| self.missing(name))
    }

    /// A loaded client credential (a certificate object).
    pub fn client_credential(&self, name: &str) -> Result<Option<ClientCredential>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::ClientCredential(credential)) => Ok(Some(credential.clone())),
            Some(other) => Err(self.wrong(name, "a certificate", other)),
        }
    }

    /// An environment: either resolved already, or a name looked up with `parse`.
    pub fn environment(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<Environment>,
    ) -> Result<Option<Environment>> {
        match self.get(name) {
            None => Ok(None),
            Some(Argument::Environment(environment)) => Ok(Some(environment.as_ref().clone())),
            Some(Argument::Text(text)) => parse(text).map(Some),
            Some(other) => Err(self.wrong(name, "an environment name", other)),
        }
    }
}

#[cfg(test)]
mod tests;
