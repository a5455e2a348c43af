//! What every command shares: the process's variables (read once, through auth-core's `EnvVars`), the
//! output format, `-v`, and where msconnect keeps its files.

use std::path::PathBuf;

use auth_core::EnvVars;

use crate::exit::Failure;
use crate::output::Format;

/// One run's settings.
#[derive(Debug)]
pub(crate) struct App {
    /// The process's variables.
    pub(crate) env: EnvVars,
    /// `-o`.
    pub(crate) format: Format,
    /// `-v`.
    pub(crate) verbose: bool,
}

impl App {
    /// msconnect's folder (auth-core's rule: `MSCONNECT_HOME`, else the platform's config folder).
    pub(crate) fn home(&self) -> Result<PathBuf, Failure> {
        Ok(cmdlet::msconnect_home(&self.env)?)
    }
}
