//! Where msconnect keeps its state: `MSCONNECT_HOME`, else the platform's config folder
//! (`$XDG_CONFIG_HOME/msconnect`, else `~/.config/msconnect`). The token cache and the contexts live there.

use std::path::PathBuf;

use crate::env::EnvVars;
use crate::error::{Error, Result};

/// The variable that names msconnect's folder.
pub const MSCONNECT_HOME: &str = "MSCONNECT_HOME";

/// msconnect's folder: `MSCONNECT_HOME`, else `XDG_CONFIG_HOME/msconnect`, else `$HOME/.config/msconnect`
/// (on Windows, where there is no `HOME`, `%APPDATA%\msconnect`).
///
/// `MSCONNECT_HOME` must be an absolute path: a relative one would name a different folder in every working
/// directory. A relative `XDG_CONFIG_HOME` is ignored, as the XDG specification says. The folder is not
/// created here; it is created (mode 0700) when something is first written to it.
pub fn msconnect_home(env: &EnvVars) -> Result<PathBuf> {
    if let Some(home) = env.get(MSCONNECT_HOME) {
        let path = PathBuf::from(home);
        if !path.is_absolute() {
            return Err(Error::invalid(
                MSCONNECT_HOME,
                format!("'{home}' is a relative path: give an absolute one"),
            ));
        }
        return Ok(path);
    }
    if let Some(config) = env.get("XDG_CONFIG_HOME").map(PathBuf::from)
        && config.is_absolute()
    {
        return Ok(config.join("msconnect"));
    }
    if let Some(home) = env.get("HOME") {
        return Ok(PathBuf::from(home).join(".config").join("msconnect"));
    }
    if let Some(appdata) = env.get("APPDATA") {
        return Ok(PathBuf::from(appdata).join("msconnect"));
    }
    Err(Error::invalid(
        MSCONNECT_HOME,
        "it is not set, and neither are XDG_CONFIG_HOME nor HOME: set MSCONNECT_HOME to the folder where \
         msconnect may keep its token cache and contexts",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(pairs: &[(&str, &str)]) -> Result<PathBuf> {
        msconnect_home(&EnvVars::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn msconnect_home_wins_over_the_config_folders() {
        let found = home(&[
            ("MSCONNECT_HOME", "/srv/msc"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/home/u"),
        ]);
        assert_eq!(found.unwrap(), PathBuf::from("/srv/msc"));
    }

    #[test]
    fn the_xdg_config_folder_comes_next_then_home() {
        assert_eq!(
            home(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/home/u")]).unwrap(),
            PathBuf::from("/x/msconnect")
        );
        assert_eq!(
            home(&[("HOME", "/home/u")]).unwrap(),
            PathBuf::from("/home/u/.config/msconnect")
        );
        // empty counts as unset, and a relative XDG_CONFIG_HOME is ignored (XDG base directory spec)
        assert_eq!(
            home(&[("MSCONNECT_HOME", ""), ("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")]).unwrap(),
            PathBuf::from("/h/.config/msconnect")
        );
    }

    #[test]
    fn a_relative_or_missing_home_is_a_clear_error() {
        insta::assert_snapshot!(home(&[("MSCONNECT_HOME", "state")]).unwrap_err(), @"invalid value for MSCONNECT_HOME: 'state' is a relative path: give an absolute one");
        insta::assert_snapshot!(home(&[]).unwrap_err(), @"invalid value for MSCONNECT_HOME: it is not set, and neither are XDG_CONFIG_HOME nor HOME: set MSCONNECT_HOME to the folder where msconnect may keep its token cache and contexts");
    }
}
