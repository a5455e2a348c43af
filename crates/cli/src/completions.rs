//! `msconnect completions <SHELL>` (bash, zsh, fish, PowerShell, Elvish) and the hidden `msconnect man`, both
//! generated from the same clap definitions as `--help`, so they can never disagree with it.

use std::path::PathBuf;

use clap::{Arg, ArgMatches, Command};
use clap_complete::Shell;

use crate::exit::Failure;
use crate::output;

/// The shells, as `completions` spells them.
const SHELLS: [(&str, Shell); 5] = [
    ("bash", Shell::Bash),
    ("zsh", Shell::Zsh),
    ("fish", Shell::Fish),
    ("powershell", Shell::PowerShell),
    ("elvish", Shell::Elvish),
];

/// `completions <SHELL>`.
pub(crate) fn command() -> Command {
    Command::new("completions")
        .about("Print a shell completion script")
        .long_about(
            "Print a shell completion script.\n\n\
             bash:        msconnect completions bash > ~/.local/share/bash-completion/completions/msconnect\n\
             zsh:         msconnect completions zsh > \"${fpath[1]}/_msconnect\"\n\
             fish:        msconnect completions fish > ~/.config/fish/completions/msconnect.fish\n\
             PowerShell:  msconnect completions powershell | Out-String | Invoke-Expression\n\
             elvish:      eval (msconnect completions elvish | slurp)",
        )
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .ignore_case(true)
                .value_parser(SHELLS.map(|(name, _)| name)),
        )
}

/// `man [--out-dir DIR]`: the manual page on stdout, or one page a command in a folder.
pub(crate) fn man_command() -> Command {
    Command::new("man")
        .about("Print the manual page (roff), or write one page a command to --out-dir")
        .hide(true)
        .arg(
            Arg::new("out-dir")
                .long("out-dir")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf)),
        )
}

/// Prints the completion script for the shell `matches` names.
pub(crate) fn run(mut root: Command, matches: &ArgMatches) -> Result<(), Failure> {
    let name = matches
        .get_one::<String>("shell")
        .map(String::as_str)
        .unwrap_or("bash");
    let shell = SHELLS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(Shell::Bash, |(_, shell)| *shell);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut root, "msconnect", &mut script);
    output::print(&String::from_utf8_lossy(&script))
}

/// Prints the manual page, or writes every command's page to `--out-dir`.
pub(crate) fn man(root: Command, matches: &ArgMatches) -> Result<(), Failure> {
    if let Some(dir) = matches.get_one::<PathBuf>("out-dir") {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(root, dir))
            .map_err(|e| Failure::Failed(format!("writing manual pages to {}: {e}", dir.display())))?;
        return Ok(());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(root)
        .render(&mut page)
        .map_err(|e| Failure::Failed(format!("rendering the manual page: {e}")))?;
    output::print(&String::from_utf8_lossy(&page))
}
