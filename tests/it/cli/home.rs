//! `MSCONNECT_HOME` as ssh treats `~/.ssh`: a folder (or a file in it) that another user owns or may
//! write to is refused before any secret is sent, naming the path and what to do, unless
//! `MSCONNECT_INSECURE_HOME=1` accepts it with a warning; a cache or context others can read is made
//! 0600 on the first read. The ownership cases give folders to other uids (we are root in CI) and run the
//! binary as `nobody` through `setpriv`; where that cannot be done, the reason is printed.
#![allow(clippy::print_stdout)] // a case that cannot run says why: never skipped silently

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use mockito::{Matcher, Server};
use test_support::app_token_response;

use super::{APP_ID, Cli};
use crate::snapshot;

/// `nobody`.
const NOBODY: u32 = 65534;
/// Another unprivileged user, who owns the folder `nobody` is pointed at.
const SOMEONE_ELSE: u32 = 65533;

/// Gives `path` to `uid`; false, with the reason printed, where this process may not (not root).
fn give(path: &Path, uid: u32) -> bool {
    match std::os::unix::fs::chown(path, Some(uid), Some(uid)) {
        Ok(()) => true,
        Err(e) => {
            println!(
                "case not run: giving {} to uid {uid} needs root ({e})",
                path.display()
            );
            false
        }
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

const APP_SIGN_IN: [&str; 6] = [
    "psentra",
    "connect",
    "--client-id",
    APP_ID,
    "--tenant-id",
    "contoso.com",
];

#[tokio::test]
async fn a_home_of_another_user_is_refused_before_the_secret_is_sent_unless_accepted_on_purpose() {
    let mut server = Server::new_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CLIENT_SECRET", "client-secret");
    if !give(cli.home(), NOBODY) {
        return;
    }
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;

    let refused = cli.run(&APP_SIGN_IN);

    assert_eq!(refused.code, 1, "{}", refused.stderr);
    snapshot!(refused.stderr, @"error: [HOME]: it belongs to another user (uid 65534; you are uid 0), who could make msconnect send your secrets to an authority of their choosing; use a folder of your own (set MSCONNECT_HOME), or `chown -R 0 [HOME]` if it is yours; or set MSCONNECT_INSECURE_HOME=1 to accept it in a folder shared on purpose");
    nothing.assert_async().await;
    nothing.remove_async().await;

    let token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .with_body(app_token_response("app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let accepted = cli.run_with(&APP_SIGN_IN, "", &[("MSCONNECT_INSECURE_HOME", "1")]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
    assert!(
        accepted
            .stderr
            .starts_with("warning: [HOME]: it belongs to another user (uid 65534; you are uid 0)")
            && accepted
                .stderr
                .contains("(accepted: MSCONNECT_INSECURE_HOME is set)"),
        "{}",
        accepted.stderr
    );
    token.assert_async().await;
}

/// Issue 26 (M3): a home under a folder its group may write to (after its links) is refused before the
/// secret is sent, as ssh refuses such a folder on the path to `~/.ssh`: a member of the group could
/// swap msconnect's folder for one of their own in the middle of a run.
#[tokio::test]
async fn a_home_under_a_folder_its_group_may_write_to_is_refused_before_the_secret_is_sent() {
    let mut server = Server::new_async().await;
    let nothing = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CLIENT_SECRET", "client-secret");
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir_all(shared.join("msconnect")).unwrap();
    chmod(&shared.join("msconnect"), 0o700);
    chmod(&shared, 0o770);
    // reached through a link from a private folder: the folder the link leads to is the one checked
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::os::unix::fs::symlink(&shared, private.join("link")).unwrap();
    for home in [
        shared.join("msconnect"),
        private.join("link/msconnect"),
        shared.join("not-made-yet"),
    ] {
        let run = cli.run_with(&APP_SIGN_IN, "", &[("MSCONNECT_HOME", home.to_str().unwrap())]);
        let stderr = run.stderr.replace(dir.path().to_str().unwrap(), "<dir>");
        assert_eq!(run.code, 1, "{}: {stderr}", home.display());
        assert_eq!(
            stderr,
            "error: <dir>/shared: its group may write to this folder above msconnect's (mode 0770), and so \
             replace msconnect's folder with one of their own; run `chmod go-w <dir>/shared`, or set \
             MSCONNECT_HOME to a folder elsewhere; or set MSCONNECT_INSECURE_HOME=1 to accept it in a \
             folder shared on purpose\n"
        );
    }
    nothing.assert_async().await;
}

#[test]
fn a_planted_environment_in_a_home_others_may_write_to_is_refused() {
    let cli = Cli::new();
    let run = cli.run(&[
        "environment",
        "add",
        "Mine",
        "--authority-host",
        "https://login.mine.example",
        "--graph-endpoint",
        "https://graph.mine.example",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    chmod(&cli.home().join("environments.json"), 0o666);

    let run = cli.run(&["environment", "list"]);

    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    snapshot!(run.stderr, @"error: [HOME]/environments.json: other users may write to it (mode 0666), and so make msconnect send your secrets to an authority of their choosing; run `chmod go-w [HOME]/environments.json`; or set MSCONNECT_INSECURE_HOME=1 to accept it in a folder shared on purpose");
}

#[tokio::test]
async fn a_cache_and_a_context_others_can_read_are_made_private_on_the_next_read() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/contoso.com/oauth2/v2.0/token")
        .with_body(app_token_response("app-token").to_string())
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new()
        .authority(&server.url())
        .env("MSCONNECT_CLIENT_SECRET", "client-secret");
    let run = cli.run(&APP_SIGN_IN);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cache = cli.home().join("msal_token_cache.json");
    let context = cli.home().join("contexts/psentra/default.json");
    for file in [&cache, &context] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
        chmod(file, 0o644);
    }

    let run = cli.run(&["psentra", "context"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stderr, @r"
    warning: [HOME]/msal_token_cache.json was readable by other users (mode 0644); it is now 0600
    warning: [HOME]/contexts/psentra/default.json was readable by other users (mode 0644); it is now 0600
    ");
    assert_eq!(mode(&cache), 0o600);
    assert_eq!(mode(&context), 0o600);
    token.assert_async().await;
}

/// Runs the binary as `nobody` with `home` as its `MSCONNECT_HOME`; `None`, with the reason printed,
/// where this process cannot change user.
fn run_as_nobody(home: &Path, args: &[&str]) -> Option<std::process::Output> {
    let output = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
        ])
        .arg(super::binary())
        .args(args)
        .env_clear()
        .env("MSCONNECT_HOME", home)
        .output();
    match output {
        Ok(output) if output.status.code() == Some(127) || output.status.code() == Some(126) => {
            println!(
                "case not run: setpriv could not run msconnect as uid {NOBODY}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
        Ok(output) if String::from_utf8_lossy(&output.stderr).starts_with("setpriv:") => {
            println!(
                "case not run: setpriv cannot change user here: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
        Ok(output) => Some(output),
        Err(e) => {
            println!("case not run: no setpriv to run msconnect as uid {NOBODY} ({e})");
            None
        }
    }
}

#[test]
fn another_unprivileged_user_running_msconnect_is_refused_a_home_they_do_not_own() {
    // a folder nobody may pass through to reach the homes
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    let theirs = dir.path().join("theirs");
    let own = dir.path().join("own");
    for (home, uid) in [(&theirs, SOMEONE_ELSE), (&own, NOBODY)] {
        std::fs::create_dir(home).unwrap();
        chmod(home, 0o700);
        if !give(home, uid) {
            return;
        }
    }

    let Some(refused) = run_as_nobody(&theirs, &["environment", "list"]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&refused.stderr).replace(dir.path().to_str().unwrap(), "<dir>");
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: <dir>/theirs: it belongs to another user (uid 65533; you are uid 65534)"),
        "{stderr}"
    );

    let accepted = run_as_nobody(&own, &["environment", "list"]).unwrap();
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert!(String::from_utf8_lossy(&accepted.stdout).contains("AzureCloud"));
}
