//! What is wrong with the parameters of one invocation, as a [`Problem`] that holds the declared
//! parameters it is about: PowerShell words (`-ApplicationId`) or the command line's
//! (`--application-id`) each explain it from them.

use std::fmt;

use crate::declare::{Cmdlet, Parameter};

/// What is wrong with the parameters of one invocation, by declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// No parameter has that name, alias or prefix.
    Unknown {
        /// The name as typed.
        typed: String,
        /// Every parameter of the cmdlet.
        known: Vec<&'static Parameter>,
    },
    /// A prefix that several parameters start with.
    Ambiguous {
        /// The name as typed.
        typed: String,
        /// The parameters it could be.
        matches: Vec<&'static Parameter>,
    },
    /// One parameter given twice, under two spellings.
    Repeated {
        /// The parameter.
        name: &'static Parameter,
        /// How it was first typed.
        first: String,
        /// How it was typed again.
        second: String,
    },
    /// The parameters complete several sets, none the default.
    SeveralSets {
        /// The parameters given.
        given: Vec<&'static Parameter>,
        /// The sets they complete.
        sets: Vec<&'static str>,
    },
    /// No set takes all the parameters given.
    Together {
        /// The parameters given.
        given: Vec<&'static Parameter>,
        /// For each set that takes any of them, those it does not take.
        refusals: Vec<(&'static str, Vec<&'static Parameter>)>,
    },
    /// Sets take the parameters given, but each needs more.
    Incomplete {
        /// The parameters given.
        given: Vec<&'static Parameter>,
        /// For each set that takes them, the mandatory parameters missing.
        needs: Vec<(&'static str, Vec<&'static Parameter>)>,
    },
    /// The chosen set needs a parameter that is missing.
    Missing {
        /// The set.
        set: &'static str,
        /// The parameter.
        name: &'static Parameter,
    },
    /// The chosen set does not take these parameters.
    NotInSet {
        /// The set.
        set: &'static str,
        /// The parameters it does not take.
        names: Vec<&'static Parameter>,
    },
    /// The chosen set needs one of several parameters, and none was given.
    OneOf {
        /// The set.
        set: &'static str,
        /// The parameters, any one of which will do.
        names: Vec<&'static Parameter>,
    },
    /// A parameter that only goes with another, given without it.
    Requires {
        /// The parameter given.
        name: &'static Parameter,
        /// The one it goes with.
        with: &'static Parameter,
    },
    /// Two parameters of the chosen set cannot be used together.
    Conflict {
        /// The set.
        set: &'static str,
        /// One parameter.
        first: &'static Parameter,
        /// The other.
        second: &'static Parameter,
    },
}

/// How a [`Problem`] names parameters.
trait Words {
    fn name(&self, parameter: &Parameter) -> String;

    /// `-a -b` in PowerShell words, `--a, --b and --c` on the command line.
    fn names(&self, parameters: &[&Parameter]) -> String;
}

struct PowerShell;

impl Words for PowerShell {
    fn name(&self, parameter: &Parameter) -> String {
        format!("-{}", parameter.name)
    }

    fn names(&self, parameters: &[&Parameter]) -> String {
        let dashed: Vec<String> = parameters.iter().map(|p| self.name(p)).collect();
        dashed.join(" ")
    }
}

struct CommandLine;

impl Words for CommandLine {
    fn name(&self, parameter: &Parameter) -> String {
        format!("--{}", parameter.option())
    }

    fn names(&self, parameters: &[&Parameter]) -> String {
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
        let words = CommandLine;
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
