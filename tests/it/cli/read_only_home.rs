//! A read-only `MSCONNECT_HOME`: the sign-in is refused before the client secret is sent, naming the
//! token cache, and the authority hears nothing (issue 18: the secret used to go out before the write
//! failed). We are root in CI, who may write anywhere, so the binary runs as `nobody` through `setpriv`;
//! where that cannot be done, the reason is printed.
#![allow(clippy::print_stdout)] // a case that cannot run says why: never skipped silently

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mockito::{Matcher, Server};

use super::APP_ID;

/// `nobody`.
const NOBODY: u32 = 65534;

/// `psentra connect` with a client secret, run as `nobody` with `home` as its `MSCONNECT_HOME` and
/// `authority` as its authority; `None`, with the reason printed, where this process cannot change user.
fn connect_as_nobody(home: &Path, authority: &str) -> Option<Output> {
    let output = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
        ])
        .arg(super::binary())
        .args([
            "psentra",
            "connect",
            "--client-id",
            APP_ID,
            "--tenant-id",
            "contoso.com",
        ])
        .env_clear()
        .env("MSCONNECT_HOME", home)
        .env("AZURE_AUTHORITY_HOST", authority)
        .env("MSCONNECT_CLIENT_SECRET", "client-secret")
        .output();
    match output {
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

/// A folder others may pass through (not write to), and in it `nobody`'s home `home`; `None`, with
/// the reason printed, where the home cannot be given to `nobody`.
fn home_of_nobody() -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    if let Err(e) = std::os::unix::fs::chown(&home, Some(NOBODY), Some(NOBODY)) {
        println!(
            "case not run: giving {} to uid {NOBODY} needs root ({e})",
            home.display()
        );
        return None;
    }
    Some((dir, home))
}

#[tokio::test]
async fn a_read_only_home_refuses_the_sign_in_before_the_secret_is_sent() {
    let mut server = Server::new_async().await;
    let posted = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let fetched = server.mock("GET", Matcher::Any).expect(0).create_async().await;
    // nobody's home, which nobody may not write to
    let Some((_dir, home)) = home_of_nobody() else {
        return;
    };
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o500)).unwrap();

    let Some(output) = connect_as_nobody(&home, &server.url()) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&home.display().to_string()) && stderr.contains("Permission denied"),
        "names the folder and why: {stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    posted.assert_async().await;
    fetched.assert_async().await;
}

/// Issue 26 (L8): the home takes the token cache but its `contexts/` is read-only: the connection could
/// not be saved, so the sign-in is refused before the secret is sent (it used to go out, and the
/// connect failed after).
#[tokio::test]
async fn a_read_only_contexts_folder_refuses_the_sign_in_before_the_secret_is_sent() {
    let mut server = Server::new_async().await;
    let posted = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let Some((_dir, home)) = home_of_nobody() else {
        return;
    };
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let contexts = home.join("contexts");
    std::fs::create_dir(&contexts).unwrap();
    std::os::unix::fs::chown(&contexts, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&contexts, std::fs::Permissions::from_mode(0o500)).unwrap();

    let Some(output) = connect_as_nobody(&home, &server.url()) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&contexts.display().to_string()) && stderr.contains("Permission denied"),
        "names the folder and why: {stderr}"
    );
    posted.assert_async().await;
}
