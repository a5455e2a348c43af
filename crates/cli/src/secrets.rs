//! Secrets without typing them where other users can read them (`ps`, shell history): the password of
//! `--credential` from `--password-stdin`, else `MSCONNECT_PASSWORD`, else a hidden prompt on a terminal,
//! else a usage error; a secret option's value `-` reads it from stdin. Stdin can feed one secret only.

use std::io::{IsTerminal, Read};

use auth_core::{EnvVars, Password};

use crate::exit::{Failure, usage};

/// Reads all of stdin.
type ReadStdin<'a> = Box<dyn FnMut() -> std::io::Result<String> + 'a>;
/// Asks on the terminal, echo off.
type Prompt<'a> = Box<dyn FnMut(&str) -> std::io::Result<String> + 'a>;

/// The most stdin may hold for a secret.
const MAX_STDIN_SECRET_BYTES: u64 = 1024 * 1024;

/// Reads secrets from stdin, a variable or a prompt.
pub(crate) struct SecretReader<'a> {
    env: &'a EnvVars,
    stdin_is_terminal: bool,
    stdin_used_by: Option<String>,
    read_stdin: ReadStdin<'a>,
    prompt: Prompt<'a>,
}

impl<'a> SecretReader<'a> {
    /// A reader on this process's stdin and terminal.
    pub(crate) fn new(env: &'a EnvVars) -> Self {
        Self {
            env,
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdin_used_by: None,
            read_stdin: Box::new(|| {
                let mut text = String::new();
                // `< /dev/zero` or an endless pipe must not fill memory: no secret is near this long
                std::io::stdin()
                    .take(MAX_STDIN_SECRET_BYTES + 1)
                    .read_to_string(&mut text)?;
                if text.len() as u64 > MAX_STDIN_SECRET_BYTES {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "more than 1 MiB, more than any secret: it was not read",
                    ));
                }
                Ok(text)
            }),
            // rpassword writes the prompt to, and reads from, the terminal itself, echo off
            prompt: Box::new(|prompt: &str| rpassword::prompt_password(prompt)),
        }
    }

    /// The value of a secret option: itself, or stdin's content when it is `-`. `typed` is the variable
    /// that could have held it when the value was typed on the command line (`None` when it came from
    /// that variable): a typed secret gets a warning, since every user can read it in `ps`.
    pub(crate) fn option_value(
        &mut self,
        option: &str,
        value: &str,
        typed: Option<&str>,
    ) -> Result<Password, Failure> {
        if value == "-" {
            self.read_stdin_for(option)
        } else if value.is_empty() {
            Err(usage(format!("{option} is empty")))
        } else {
            if let Some(var) = typed {
                tracing::warn!(target: "msconnect", "{}", visible_secret_warning(option, var));
            }
            Ok(Password::new(value))
        }
    }

    /// The password of a credential option (`--credential <username>`): from stdin with
    /// `--password-stdin`, else the variable `var`, else a prompt on a terminal.
    pub(crate) fn credential_password(
        &mut self,
        option: &str,
        username: &str,
        var: &str,
        password_stdin: bool,
    ) -> Result<Password, Failure> {
        if password_stdin {
            return self.read_stdin_for("--password-stdin");
        }
        if let Some(password) = self.env.get(var) {
            return Ok(Password::new(password));
        }
        if self.stdin_is_terminal {
            let password = (self.prompt)(&format!("Password for {username}: "))
                .map_err(|e| Failure::Failed(format!("reading the password from the terminal: {e}")))?;
            if password.is_empty() {
                return Err(usage(format!("{option}: no password was typed")));
            }
            return Ok(Password::new(password));
        }
        Err(usage(format!(
            "{option} {username} needs a password: pipe it in with --password-stdin, set {var}, or run on a \
             terminal to be asked for it"
        )))
    }

    fn read_stdin_for(&mut self, option: &str) -> Result<Password, Failure> {
        if let Some(first) = &self.stdin_used_by {
            return Err(usage(format!(
                "{first} and {option} both read stdin; only one secret can come from it"
            )));
        }
        if self.stdin_is_terminal {
            return Err(usage(format!(
                "{option} reads stdin, which is a terminal: pipe the secret in (`… | msconnect …`)"
            )));
        }
        self.stdin_used_by = Some(option.to_owned());
        let mut text =
            (self.read_stdin)().map_err(|e| Failure::Failed(format!("{option}: reading stdin: {e}")))?;
        // a secret piped in usually ends with the newline of `echo` or a file's last line
        let trimmed = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(trimmed);
        if text.is_empty() {
            return Err(usage(format!("{option}: stdin was empty")));
        }
        Ok(Password::new(text))
    }
}

/// What `docker login --password` says, for a secret typed as an option's value: other users of the
/// machine read it in `ps` (`/proc/PID/cmdline`) for as long as msconnect runs; the ways that hide it.
pub(crate) fn visible_secret_warning(option: &str, var: &str) -> String {
    format!(
        "{option} on the command line can be read by every user of this computer (`ps`) while msconnect \
         runs: use `{option} -` and pipe the secret in on stdin (as --password-stdin does for a \
         --credential password), or set {var}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD_VAR: &str = "MSCONNECT_PASSWORD";

    fn reader<'a>(env: &'a EnvVars, terminal: bool, stdin: &'static str) -> SecretReader<'a> {
        SecretReader {
            env,
            stdin_is_terminal: terminal,
            stdin_used_by: None,
            read_stdin: Box::new(move || Ok(stdin.to_owned())),
            prompt: Box::new(|prompt| Ok(format!("typed after '{prompt}'"))),
        }
    }

    fn message(failure: Failure) -> String {
        failure
            .report(false)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn the_password_comes_from_stdin_then_its_variable_then_a_prompt() {
        let env = EnvVars::from_pairs([(PASSWORD_VAR, "from-env")]);
        let none = EnvVars::default();
        let from = |reader: &mut SecretReader<'_>, stdin| {
            reader
                .credential_password("--credential", "admin", PASSWORD_VAR, stdin)
                .map(|p| p.secret().to_owned())
        };
        assert_eq!(
            from(&mut reader(&env, false, "piped\r\n"), true).unwrap(),
            "piped"
        );
        assert_eq!(from(&mut reader(&env, true, ""), false).unwrap(), "from-env");
        assert_eq!(
            from(&mut reader(&none, true, ""), false).unwrap(),
            "typed after 'Password for admin: '"
        );
        insta::assert_snapshot!(message(from(&mut reader(&none, false, ""), false).unwrap_err()), @"error: --credential admin needs a password: pipe it in with --password-stdin, set MSCONNECT_PASSWORD, or run on a terminal to be asked for it");
    }

    #[test]
    fn a_typed_secret_is_warned_about_with_the_ways_to_hide_it() {
        insta::assert_snapshot!(visible_secret_warning("--client-secret", "MSCONNECT_CLIENT_SECRET"), @"--client-secret on the command line can be read by every user of this computer (`ps`) while msconnect runs: use `--client-secret -` and pipe the secret in on stdin (as --password-stdin does for a --credential password), or set MSCONNECT_CLIENT_SECRET");
    }

    #[test]
    fn stdin_feeds_one_secret_and_must_not_be_empty_or_a_terminal() {
        let env = EnvVars::default();
        let mut twice = reader(&env, false, "secret\n");
        assert_eq!(
            twice
                .option_value("--refresh-token", "-", Some("X"))
                .unwrap()
                .secret(),
            "secret"
        );
        let second = twice
            .credential_password("--credential", "app", PASSWORD_VAR, true)
            .unwrap_err();
        insta::assert_snapshot!(message(second), @"error: --refresh-token and --password-stdin both read stdin; only one secret can come from it");
        let empty = reader(&env, false, "\n")
            .option_value("--access-token", "-", None)
            .unwrap_err();
        insta::assert_snapshot!(message(empty), @"error: --access-token: stdin was empty");
        let terminal = reader(&env, true, "")
            .option_value("--access-token", "-", None)
            .unwrap_err();
        assert_eq!(terminal.code(), crate::exit::USAGE);
        assert_eq!(
            reader(&env, false, "")
                .option_value("--client-secret", "s3", None)
                .unwrap()
                .secret(),
            "s3"
        );
    }
}
