//! What every command shares: the environment variables (read once, through auth-core's `EnvVars`), the
//! output format, `-v`, and where msconnect keeps its files.

use std::path::PathBuf;

use auth_core::EnvVars;

use crate::exit::{Failure, usage};
use crate::output::Format;

/// The variable naming msconnect's folder.
pub(crate) const HOME_VAR: &str = "MSCONNECT_HOME";

/// One run's settings.
#[derive(Debug)]
pub(crate) struct App {
    /// The process's environment variables.
    pub(crate) env: EnvVars,
    /// `-o`.
    pub(crate) format: Format,
    /// `-v`.
    pub(crate) verbose: bool,
}

impl App {
    /// msconnect's folder: `MSCONNECT_HOME`, else `$XDG_CONFIG_HOME/msconnect`, else
    /// `$HOME/.config/msconnect` (`%APPDATA%\msconnect` on Windows). Not created here.
    pub(crate) fn home(&self) -> Result<PathBuf, Failure> {
        if let Some(home) = self.env.get(HOME_VAR) {
            let home = PathBuf::from(home);
            if !home.is_absolute() {
                return Err(usage(format!(
                    "{HOME_VAR} must be an absolute path (it is '{}')",
                    home.display()
                )));
            }
            return Ok(home);
        }
        if let Some(config) = self.env.get("XDG_CONFIG_HOME").map(PathBuf::from)
            && config.is_absolute()
        {
            return Ok(config.join("msconnect"));
        }
        if let Some(home) = self.env.get("HOME") {
            return Ok(PathBuf::from(home).join(".config").join("msconnect"));
        }
        if let Some(appdata) = self.env.get("APPDATA") {
            return Ok(PathBuf::from(appdata).join("msconnect"));
        }
        Err(usage(format!(
            "no folder for msconnect's files: set {HOME_VAR} (or HOME)"
        )))
    }
}
