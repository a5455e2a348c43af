//! The checks of a folder that holds secrets, as ssh checks `~/.ssh`: an application's own (which the
//! layer above finds and checks through [`check_folder`]) and another tool's whose secrets are read (the
//! Azure CLI's, [`check_other_tools_folder`]).
//!
//! Whoever can write to the application's folder decides where the next sign-in sends its secrets (a
//! planted context or environment names their authority), so, as ssh does with `~/.ssh`, the folder and
//! the files in it must belong to the user (or root) and be writable by no one else, and no folder above
//! it may be writable by its group or others (whoever may write to one can swap the folder in the middle
//! of a run); a cache or context file others can read is made private at once. [`SharedFolders`] accepts
//! a shared folder with a warning, and names the settings the messages advise.

use std::path::Path;

use crate::error::Result;

/// How the folder checks treat a folder (or file in it) that another user owns or may write to, and which
/// settings their messages name (the command line names its variables).
#[derive(Debug, Clone, Default)]
pub struct SharedFolders {
    /// Accept such a folder with a warning: for a folder shared on purpose, by people who trust each
    /// other. Refused unless set.
    pub accepted: bool,
    /// The setting that chooses another folder, which messages advise (`set <it>`); `None` advises a
    /// folder elsewhere without naming a setting.
    pub folder_setting: Option<String>,
    /// The setting that accepts a shared folder, which refusals advise (`set <it>=1`) and warnings name
    /// (`<it> is set`); `None` names none.
    pub accept_setting: Option<String>,
}

/// [`check_folder`]'s rules for another tool's folder whose files are read for secrets or written
/// with them (the Azure CLI's `~/.azure`): the folder and the `files` named must be this user's (or root's)
/// and writable by no one else, else whoever can write them could plant an account and a refresh token
/// of their own. Unlike the application's own files, they are not made private: they are the other tool's.
pub(crate) fn check_other_tools_folder(dir: &Path, files: &[&str], shared: &SharedFolders) -> Result<()> {
    check_folder(dir, files, false, shared)
}

/// Checks the folder `dir` (when it exists) as ssh checks `~/.ssh`: the folder, and each of the files
/// and folders `guarded` names (with each file in a folder; for `contexts`, each module's folder of saved
/// connections), must be owned by this user or root and writable by no one else; no folder above it,
/// along the path as given and the path its links lead to, may be writable by its group or others,
/// except a sticky folder of root's (`/tmp`), as ssh's `StrictModes` has it (checked even before the
/// folder exists). Anything else is an error naming the path and what to do, or when
/// [`SharedFolders::accepted`] a warning. With `tighten`, a guarded file others can read is made 0600 at
/// once, with a warning, rather than at its next write.
///
/// On platforms without Unix permissions this checks nothing: the folder's ACLs are the OS's business.
pub fn check_folder(dir: &Path, guarded: &[&str], tighten: bool, shared: &SharedFolders) -> Result<()> {
    #[cfg(unix)]
    {
        unix::check(dir, guarded, tighten, shared)
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, guarded, tighten, shared);
        Ok(())
    }
}

#[cfg(unix)]
mod unix {
    use std::collections::BTreeSet;
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    use std::path::Path;
    use std::sync::Mutex;

    use super::SharedFolders;
    use crate::error::{Error, Result};

    /// Writable by the group or by others.
    const GROUP_OR_OTHER_WRITE: u32 = 0o022;
    /// Anything for the group or others.
    const GROUP_OR_OTHER_ANY: u32 = 0o077;
    /// Writable by others.
    const OTHER_WRITE: u32 = 0o002;
    /// The sticky bit: only a file's owner may rename or remove it (`/tmp`).
    const STICKY: u32 = 0o1000;

    pub(super) fn check(home: &Path, guarded: &[&str], private: bool, shared: &SharedFolders) -> Result<()> {
        let me = rustix::process::geteuid().as_raw();
        // the folders above come first, and even for a folder not made yet: it will be made in them
        check_above(home, me, shared)?;
        let Ok(meta) = std::fs::metadata(home) else {
            // not created yet: it is created 0700, by this user, on the first write
            return Ok(());
        };
        guard(home, &meta, me, shared)?;
        for name in guarded {
            let path = home.join(name);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            guard(&path, &meta, me, shared)?;
            if meta.is_dir() {
                // the contexts (which say where secrets go) and the certificates (private keys, which
                // ssh would call unprotected when others can read them)
                let entries = std::fs::read_dir(&path).map_err(|source| Error::Io {
                    action: "reading",
                    path: path.clone(),
                    source,
                })?;
                for entry in entries.flatten() {
                    let file = entry.path();
                    if *name == "contexts" {
                        guard_contexts(&file, me, private, shared)?;
                    } else if let Ok(meta) = std::fs::metadata(&file) {
                        guard(&file, &meta, me, shared)?;
                        if private {
                            tighten(&file, &meta)?;
                        }
                    }
                }
            } else if private {
                tighten(&path, &meta)?;
            }
        }
        Ok(())
    }

    /// The folders above msconnect's, by ssh's rules for the path to `~/.ssh` (`StrictModes`): each must
    /// be writable by neither its group nor others, since whoever may write to one can rename
    /// msconnect's folder (or one between) and put one of their own in its place, in the middle of a run.
    /// They are checked along the path as given and along the path its links lead to (the real one,
    /// which ssh checks), so a link cannot hide an open folder. As for `/tmp`, a sticky folder owned by
    /// root (or this user) is the exception: there only an entry's owner may rename or remove it.
    /// Unlike ssh, the owner of a folder above is not checked, so that a container whose `$HOME` belongs
    /// to another uid (a CI runner's mounted home) keeps working; that owner can replace msconnect's
    /// folder, as SECURITY.md says.
    fn check_above(home: &Path, me: u32, shared: &SharedFolders) -> Result<()> {
        let resolved = resolve(home);
        let mut seen = BTreeSet::new();
        // the real path first, so an error names the real folder; then the path as given, whose links
        // themselves are left out (what a link leads to is on the real path; who may replace the link is
        // a matter of the folder holding it, the next one up)
        for above in resolved.ancestors().skip(1).chain(home.ancestors().skip(1)) {
            if above.as_os_str().is_empty() || !seen.insert(above.to_path_buf()) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(above) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                continue;
            }
            let mode = meta.permissions().mode();
            let owner = meta.uid();
            let sticky_and_trusted = mode & STICKY != 0 && (owner == 0 || owner == me);
            if mode & GROUP_OR_OTHER_WRITE != 0 && !sticky_and_trusted {
                let who = if mode & OTHER_WRITE != 0 {
                    "every user"
                } else {
                    "its group"
                };
                refuse(
                    above,
                    format!(
                        "{who} may write to this folder above msconnect's (mode {:04o}), and so \
                         replace msconnect's folder with one of their own; run `chmod go-w {}`, or {}",
                        mode & 0o7777,
                        above.display(),
                        match &shared.folder_setting {
                            Some(setting) => format!("set {setting} to a folder elsewhere"),
                            None => "use a folder elsewhere".to_owned(),
                        },
                    ),
                    shared,
                )?;
            }
        }
        Ok(())
    }

    /// An entry of `contexts/`: a module's folder of named connections (each `*.json` and its `current`
    /// file), or the previous release's `<module>.json`; anything else is not msconnect's and is left alone.
    fn guard_contexts(path: &Path, me: u32, private: bool, shared: &SharedFolders) -> Result<()> {
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let saved = |file: &Path| {
            file.extension().is_some_and(|e| e == "json") || file.file_name().is_some_and(|n| n == "current")
        };
        if meta.is_dir() {
            guard(path, &meta, me, shared)?;
            let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
                action: "reading",
                path: path.to_path_buf(),
                source,
            })?;
            for file in entries.flatten().map(|entry| entry.path()).filter(|f| saved(f)) {
                if let Ok(meta) = std::fs::metadata(&file) {
                    guard(&file, &meta, me, shared)?;
                    if private {
                        tighten(&file, &meta)?;
                    }
                }
            }
        } else if saved(path) {
            guard(path, &meta, me, shared)?;
            if private {
                tighten(path, &meta)?;
            }
        }
        Ok(())
    }

    /// Where `path` leads after its links: the real path of its deepest existing folder, and the rest.
    fn resolve(path: &Path) -> std::path::PathBuf {
        for existing in path.ancestors() {
            if let Ok(real) = std::fs::canonicalize(existing) {
                let rest = path.strip_prefix(existing).unwrap_or(Path::new(""));
                return real.join(rest);
            }
        }
        path.to_path_buf()
    }

    /// Refuses (or warns about) `path` when someone but this user or root owns it, or when the group or
    /// others may write to it.
    fn guard(path: &Path, meta: &std::fs::Metadata, me: u32, shared: &SharedFolders) -> Result<()> {
        let owner = meta.uid();
        if owner != me && owner != 0 {
            refuse(
                path,
                format!(
                    "it belongs to another user (uid {owner}; you are uid {me}), who could make msconnect send \
                     your secrets to an authority of their choosing; use a folder of your own{}, or \
                     `chown -R {me} {}` if it is yours",
                    match &shared.folder_setting {
                        Some(setting) => format!(" (set {setting})"),
                        None => String::new(),
                    },
                    path.display()
                ),
                shared,
            )?;
        }
        let mode = meta.permissions().mode();
        if mode & GROUP_OR_OTHER_WRITE != 0 {
            refuse(
                path,
                format!(
                    "other users may write to it (mode {:04o}), and so make msconnect send your secrets to an \
                     authority of their choosing; run `chmod go-w {}`",
                    mode & 0o7777,
                    path.display()
                ),
                shared,
            )?;
        }
        Ok(())
    }

    /// A file other users can read is made 0600 now: it may hold tokens (the cache) or say where they go.
    fn tighten(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
        let mode = meta.permissions().mode();
        if mode & GROUP_OR_OTHER_ANY == 0 || !meta.is_file() {
            return Ok(());
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
            Error::Io {
                action: "making private",
                path: path.to_path_buf(),
                source,
            }
        })?;
        warn_once(format!(
            "{} was readable by other users (mode {:04o}); it is now 0600",
            path.display(),
            mode & 0o7777
        ));
        Ok(())
    }

    fn refuse(path: &Path, reason: String, shared: &SharedFolders) -> Result<()> {
        if shared.accepted {
            let why = match &shared.accept_setting {
                Some(setting) => format!("{setting} is set"),
                None => "shared folders are accepted".to_owned(),
            };
            warn_once(format!("{}: {reason} (accepted: {why})", path.display()));
            return Ok(());
        }
        let advice = match &shared.accept_setting {
            Some(setting) => format!("; or set {setting}=1 to accept it in a folder shared on purpose"),
            None => String::new(),
        };
        Err(Error::InvalidFile {
            path: path.to_path_buf(),
            reason: format!("{reason}{advice}"),
        })
    }

    /// The folder is checked each time it is looked up, several times a run: each warning is said once.
    fn warn_once(message: String) {
        static SAID: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        let first = SAID
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(message.clone());
        if first {
            tracing::warn!(target: "msconnect::home", "{message}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[allow(clippy::print_stdout)] // a case that cannot run says why: never skipped silently
    mod permissions {
        use std::os::unix::fs::PermissionsExt as _;
        use std::path::Path;

        use super::super::*;
        use crate::env::EnvVars;

        /// The command line's options: `MSCONNECT_INSECURE_HOME` (not `0`) accepts a shared folder, and
        /// messages name it and `MSCONNECT_HOME` (cmdlet's `home::shared_folders`).
        pub(crate) fn command_line(pairs: &[(&str, &str)]) -> SharedFolders {
            let env = EnvVars::from_pairs(pairs.iter().copied());
            SharedFolders {
                accepted: env.get("MSCONNECT_INSECURE_HOME").is_some_and(|v| v != "0"),
                folder_setting: Some("MSCONNECT_HOME".into()),
                accept_setting: Some("MSCONNECT_INSECURE_HOME".into()),
            }
        }

        /// `nobody`, whom the tests make the owner of a folder.
        const OTHER_UID: u32 = 65534;

        /// What msconnect's folder guards (the layer above's list).
        const GUARDED: &[&str] = &[
            "msal_token_cache.json",
            "environments.json",
            "contexts",
            "certificates",
        ];

        /// The check as the command line makes it: `MSCONNECT_INSECURE_HOME` (not `0`) accepts a shared
        /// folder, and messages name it and `MSCONNECT_HOME`.
        fn check(home: &Path, pairs: &[(&str, &str)]) -> Result<()> {
            check_folder(home, GUARDED, true, &command_line(pairs))
        }

        fn mode(path: &Path) -> u32 {
            std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
        }

        fn chmod(path: &Path, mode: u32) {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }

        /// A private home in a private temporary folder, as msconnect makes it.
        fn home() -> (tempfile::TempDir, std::path::PathBuf) {
            let dir = tempfile::tempdir().unwrap();
            let home = dir.path().join("msconnect");
            std::fs::create_dir(&home).unwrap();
            chmod(&home, 0o700);
            (dir, home)
        }

        /// Gives `path` to another user; false (with the reason printed) where this process may not.
        fn give_away(path: &Path) -> bool {
            match std::os::unix::fs::chown(path, Some(OTHER_UID), None) {
                Ok(()) => true,
                Err(e) => {
                    println!(
                        "not run: giving {} to uid {OTHER_UID} needs root ({e}); the ownership check is \
                         untested here",
                        path.display()
                    );
                    false
                }
            }
        }

        fn without(dir: &Path, text: String) -> String {
            text.replace(dir.to_str().unwrap(), "<dir>")
        }

        #[test]
        fn a_private_home_and_one_not_made_yet_pass() {
            let (dir, home) = home();
            std::fs::write(home.join("environments.json"), "{}").unwrap();
            chmod(&home.join("environments.json"), 0o600);
            check(&home, &[]).unwrap();
            check(&dir.path().join("not-yet"), &[]).unwrap();
            // a folder of the sticky /tmp kind above it is fine: no one else may rename ours
            let sticky = dir.path().join("sticky");
            std::fs::create_dir(&sticky).unwrap();
            chmod(&sticky, 0o1777);
            std::fs::create_dir(sticky.join("msconnect")).unwrap();
            check(&sticky.join("msconnect"), &[]).unwrap();
        }

        #[test]
        fn a_home_of_another_user_is_refused_unless_insecure_homes_are_accepted() {
            let (dir, home) = home();
            if !give_away(&home) {
                return;
            }
            let me = rustix::process::geteuid().as_raw();
            let error = without(dir.path(), check(&home, &[]).unwrap_err().to_string());
            assert_eq!(
                error,
                format!(
                    "<dir>/msconnect: it belongs to another user (uid 65534; you are uid {me}), who could make \
                     msconnect send your secrets to an authority of their choosing; use a folder of your own \
                     (set MSCONNECT_HOME), or `chown -R {me} <dir>/msconnect` if it is yours; or set \
                     MSCONNECT_INSECURE_HOME=1 to accept it in a folder shared on purpose"
                )
            );
            check(&home, &[("MSCONNECT_INSECURE_HOME", "1")]).unwrap();
            assert!(check(&home, &[("MSCONNECT_INSECURE_HOME", "0")]).is_err());
            // the check of another tool's folder refuses it too (msconnect's own: cmdlet's home tests)
            assert!(check_other_tools_folder(&home, &[], &SharedFolders::default()).is_err());
        }

        #[test]
        fn a_planted_context_or_environments_file_of_another_user_is_refused() {
            for file in [
                "contexts/partnercenter.json",
                "contexts/partnercenter/work.json",
                "contexts/partnercenter/current",
                "environments.json",
                "msal_token_cache.json",
            ] {
                let (dir, home) = home();
                let path = home.join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "{}").unwrap();
                chmod(&path, 0o600);
                if !give_away(&path) {
                    return;
                }
                let error = without(dir.path(), check(&home, &[]).unwrap_err().to_string());
                assert!(
                    error.starts_with(&format!(
                        "<dir>/msconnect/{file}: it belongs to another user (uid 65534"
                    )),
                    "{error}"
                );
            }
        }

        #[test]
        fn a_home_or_file_others_may_write_to_is_refused() {
            let (dir, home) = home();
            chmod(&home, 0o777);
            let error = without(dir.path(), check(&home, &[]).unwrap_err().to_string());
            assert_eq!(
                error,
                "<dir>/msconnect: other users may write to it (mode 0777), and so make msconnect send your \
                 secrets to an authority of their choosing; run `chmod go-w <dir>/msconnect`; or set \
                 MSCONNECT_INSECURE_HOME=1 to accept it in a folder shared on purpose"
            );
            chmod(&home, 0o700);
            std::fs::create_dir(home.join("contexts")).unwrap();
            chmod(&home.join("contexts"), 0o770);
            let error = without(dir.path(), check(&home, &[]).unwrap_err().to_string());
            assert!(
                error.starts_with("<dir>/msconnect/contexts: other users may write to it (mode 0770)"),
                "{error}"
            );
            check(&home, &[("MSCONNECT_INSECURE_HOME", "1")]).unwrap();
        }

        #[test]
        fn a_folder_above_that_everyone_may_write_to_is_refused_unless_sticky() {
            let dir = tempfile::tempdir().unwrap();
            let open = dir.path().join("open");
            std::fs::create_dir_all(open.join("msconnect")).unwrap();
            chmod(&open, 0o777);
            let error = without(
                dir.path(),
                check(&open.join("msconnect"), &[]).unwrap_err().to_string(),
            );
            assert!(
                error.starts_with(
                    "<dir>/open: every user may write to this folder above msconnect's (mode 0777)"
                ),
                "{error}"
            );
        }

        #[test]
        fn a_folder_above_its_group_may_write_to_is_refused_unless_sticky_and_trusted() {
            let dir = tempfile::tempdir().unwrap();
            let group = dir.path().join("group");
            std::fs::create_dir_all(group.join("msconnect")).unwrap();
            chmod(&group, 0o775);
            let error = without(
                dir.path(),
                check(&group.join("msconnect"), &[]).unwrap_err().to_string(),
            );
            assert!(
                error.starts_with(
                    "<dir>/group: its group may write to this folder above msconnect's (mode 0775)"
                ),
                "{error}"
            );
            // as for /tmp: sticky, and owned by root or by us, is accepted
            chmod(&group, 0o1770);
            check(&group.join("msconnect"), &[]).unwrap();
            chmod(&group, 0o755);
            check(&group.join("msconnect"), &[]).unwrap();
            if !give_away(&group) {
                return;
            }
            // another user's folder above is accepted (a container's mounted home) while only they may
            // write to it; sticky is no shelter when others may write too, as its owner may rename in it
            check(&group.join("msconnect"), &[]).unwrap();
            chmod(&group, 0o1777);
            assert!(check(&group.join("msconnect"), &[]).is_err());
        }

        #[test]
        fn a_cache_or_context_others_can_read_is_made_private_at_once() {
            let (_dir, home) = home();
            std::fs::create_dir_all(home.join("contexts/entra")).unwrap();
            std::fs::create_dir(home.join("certificates")).unwrap();
            let files = [
                home.join("msal_token_cache.json"),
                home.join("contexts/entra.json"),
                home.join("contexts/entra/work.json"),
                home.join("contexts/entra/current"),
                home.join("environments.json"),
                home.join("certificates/app.pfx"),
            ];
            for file in &files {
                std::fs::write(file, "{}").unwrap();
                chmod(file, 0o644);
            }
            check(&home, &[]).unwrap();
            for file in &files {
                assert_eq!(mode(file), 0o600, "{}", file.display());
            }
        }
    }
}
