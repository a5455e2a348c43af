//! Where msconnect keeps its state: `MSCONNECT_HOME`, else the platform's config folder
//! (`$XDG_CONFIG_HOME/msconnect`, else `~/.config/msconnect`). The token cache, the contexts, the
//! user-defined environments and the certificates live there, and the folder is checked as ssh checks
//! `~/.ssh` (auth-core's `home::check_folder`) before anything is read from it.

use std::path::{Path, PathBuf};

use auth_core::EnvVars;
use auth_core::{Error, Result};
use auth_core::{SharedFolders, check_folder};

/// The variable that names msconnect's folder.
pub const MSCONNECT_HOME: &str = "MSCONNECT_HOME";

/// The variable that accepts, with a warning, a folder (or file in it) that another user owns or may
/// write to: for a home shared on purpose, by people who trust each other.
pub const MSCONNECT_INSECURE_HOME: &str = "MSCONNECT_INSECURE_HOME";

/// How msconnect's folder and the Azure CLI's are checked when shared: accepted when
/// `MSCONNECT_INSECURE_HOME` is set (to anything but `0`), and messages advise `MSCONNECT_HOME` and
/// `MSCONNECT_INSECURE_HOME=1`.
pub fn shared_folders(env: &EnvVars) -> SharedFolders {
    SharedFolders {
        accepted: env.get(MSCONNECT_INSECURE_HOME).is_some_and(|v| v != "0"),
        folder_setting: Some(MSCONNECT_HOME.into()),
        accept_setting: Some(MSCONNECT_INSECURE_HOME.into()),
    }
}

/// msconnect's folder: `MSCONNECT_HOME`, else `XDG_CONFIG_HOME/msconnect`, else `$HOME/.config/msconnect`
/// (on Windows, where there is no `HOME`, `%APPDATA%\msconnect`).
///
/// `MSCONNECT_HOME` must be an absolute path: a relative one would name a different folder in every working
/// directory. A relative `XDG_CONFIG_HOME` is ignored, as the XDG specification says. The folder is not
/// created here; it is created (mode 0700) when something is first written to it.
///
/// A folder that exists is checked (see [`check_home`]) before it is returned.
pub fn msconnect_home(env: &EnvVars) -> Result<PathBuf> {
    let home = locate(env)?;
    check_home(&home, env)?;
    Ok(home)
}

fn locate(env: &EnvVars) -> Result<PathBuf> {
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

/// The files and folders in msconnect's folder that hold secrets or decide where they are sent.
const GUARDED: &[&str] = &[
    auth_core::CACHE_FILE_NAME,
    crate::environment_store::ENVIRONMENTS_FILE_NAME,
    "contexts",
    "certificates",
];

/// Checks msconnect's folder `home` (when it exists) as ssh checks `~/.ssh`: the folder, and the token
/// cache, `environments.json`, `contexts/` with each context, and `certificates/` with each file in it
/// (private keys), must be owned by this user or root and writable by no one else; no folder above it,
/// along the path as given and the path its links lead to, may be writable by its group or others,
/// except a sticky folder of root's (`/tmp`), as ssh's `StrictModes` has it (checked even before the
/// folder exists). Anything else is an
/// error naming the path and what to do, or with `MSCONNECT_INSECURE_HOME=1` a warning. A cache, context
/// or environments file others can read is made 0600 at once, with a warning, rather than at its next
/// write; so is a certificate file.
///
/// On platforms without Unix permissions this checks nothing: the folder's ACLs are the OS's business.
pub fn check_home(home: &Path, env: &EnvVars) -> Result<()> {
    check_folder(home, GUARDED, true, &shared_folders(env))
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

    #[cfg(unix)]
    #[test]
    #[allow(clippy::print_stdout)] // a case that cannot run says why: never skipped silently
    fn a_home_of_another_user_is_refused_when_it_is_looked_up() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("msconnect");
        std::fs::create_dir(&home).unwrap();
        if let Err(e) = std::os::unix::fs::chown(&home, Some(65534), None) {
            println!("not run: giving {} to uid 65534 needs root ({e})", home.display());
            return;
        }
        let env = EnvVars::from_pairs([("MSCONNECT_HOME", home.to_str().unwrap())]);
        assert!(msconnect_home(&env).is_err());
        let insecure = EnvVars::from_pairs([
            ("MSCONNECT_HOME", home.to_str().unwrap()),
            ("MSCONNECT_INSECURE_HOME", "1"),
        ]);
        assert_eq!(msconnect_home(&insecure).unwrap(), home);
    }
}
