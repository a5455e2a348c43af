//! The interactive sign-ins through the binary: the device code message and where the sign-in is
//! awaited go to stderr, the context to stdout; Ctrl-C ends a wait with exit code 130.

use std::io::Read;
use std::time::{Duration, Instant};

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::user_token_response;

use super::{Cli, OID, Run, TENANT_ID};
use crate::snapshot;

const GRAPH: &str = "https://graph.microsoft.com/.default";

async fn device_code(server: &mut Server) -> mockito::Mock {
    server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .match_body(Matcher::UrlEncoded("client_id".into(), "04b07795-8ddb-461a-bbee-02f9e1bf7b46".into()))
        .with_body(
            json!({
                "user_code": "ABCD-EFGH", "device_code": "device-1",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 1,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.",
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn device_code_sign_in_shows_the_message_on_stderr_and_the_context_on_stdout() {
    let mut server = Server::new_async().await;
    let device = device_code(&mut server).await;
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded(
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:device_code".into(),
            ),
            Matcher::UrlEncoded("device_code".into(), "device-1".into()),
        ]))
        .with_body(
            user_token_response("at-1", "rt-1", OID, TENANT_ID, "admin@contoso.com", GRAPH).to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());

    // the one test that waits for real time: the flow polls no sooner than a second after the code
    let run = cli.run(&["secmgmt", "connect", "--device-code"]);

    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stderr, @r"
    To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.
    waiting up to 15 min for the sign-in to finish; Ctrl-C cancels
    ");
    assert!(run.stdout.contains(" AzureCloud "), "{}", run.stdout);
    assert_eq!(cli.run(&["secmgmt", "token"]).stdout, "at-1\n");
    device.assert_async().await;
    token.assert_async().await;
}

/// Starts msconnect, waits until its stderr says `ready`, sends it SIGINT, and returns how it ended.
#[cfg(unix)]
fn interrupt_when(cli: &Cli, args: &[&str], ready: &str) -> Run {
    let mut child = cli.spawn(args);
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (lines, seen) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buffer) {
            if n == 0 || lines.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut err = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&err).contains(ready) {
        assert!(
            Instant::now() < deadline,
            "never ready: {}",
            String::from_utf8_lossy(&err)
        );
        if let Ok(chunk) = seen.recv_timeout(Duration::from_millis(100)) {
            err.extend(chunk);
        }
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success());
    let exit = child.wait().expect("waiting for msconnect");
    while let Ok(chunk) = seen.recv_timeout(Duration::from_secs(5)) {
        err.extend(chunk);
    }
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_end(&mut out)
        .unwrap();
    Run {
        code: exit.code().unwrap_or(-1),
        stdout: cli.text(&out),
        stderr: cli.text(&err),
    }
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_cancels_a_device_code_wait_with_exit_code_130() {
    let mut server = Server::new_async().await;
    let device = device_code(&mut server).await;
    let _pending = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_status(400)
        .with_body(
            json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending"})
                .to_string(),
        )
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url());

    let run = interrupt_when(&cli, &["partnercenter", "connect", "--device"], "Ctrl-C cancels");

    assert_eq!(run.code, 130, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    snapshot!(run.stderr, @r"
    To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.
    waiting up to 15 min for the sign-in to finish; Ctrl-C cancels
    cancelled
    ");
    assert!(
        !cli.home().join("contexts/partnercenter.json").exists(),
        "a cancelled sign-in saved a context"
    );
    device.assert_async().await;
}

#[cfg(unix)]
#[tokio::test]
async fn without_a_browser_the_sign_in_says_it_uses_a_device_code_and_does() {
    // issue 18: it printed "open this address … waiting for the sign-in on http://localhost:8400/",
    // then closed that listener and started a device code: say one thing and do it (this test's
    // older version snapshotted that address, and with it a fixed port)
    let mut server = Server::new_async().await;
    let device = device_code(&mut server).await;
    let _pending = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .with_status(400)
        .with_body(
            json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending"})
                .to_string(),
        )
        .create_async()
        .await;
    let cli = Cli::new().authority(&server.url()).env("BROWSER", "false");

    let run = interrupt_when(&cli, &["secmgmt", "connect"], "Ctrl-C cancels");

    assert_eq!(run.code, 130, "{}", run.stderr);
    snapshot!(run.stderr, @r"
    could not open a browser: false: exited with exit status: 1; no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)
    signing in with a device code instead
    To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.
    waiting up to 15 min for the sign-in to finish; Ctrl-C cancels
    cancelled
    ");
    assert!(
        !run.stderr.contains("localhost"),
        "no listener is named: none is kept"
    );
    device.assert_async().await;
}

/// A `$BROWSER` that writes its arguments, the page it was given, and its environment into `dir`.
#[cfg(unix)]
fn recording_browser(dir: &std::path::Path) -> String {
    let script = dir.join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nPATH=/usr/bin:/bin\necho \"$@\" > '{0}/args'\ncat \"${{1#file://}}\" > '{0}/page'\n\
             env > '{0}/env'\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script.display().to_string()
}

#[cfg(unix)]
#[tokio::test]
#[allow(clippy::print_stdout)] // why the port could not be held, rather than a silent pass
async fn the_browser_gets_neither_the_authorize_url_in_its_arguments_nor_a_secret_variable() {
    // issue 18: the URL (state, nonce, code_challenge) was readable by every user in /proc, and the
    // browser inherited the secret variables
    let server = Server::new_async().await;
    let seen = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut cli = Cli::new()
        .authority(&server.url())
        .env("BROWSER", &recording_browser(seen.path()))
        .env("TMPDIR", tmp.path().to_str().unwrap())
        .env("MSCONNECT_NOT_A_SECRET", "kept");
    for name in auth_core::env::SECRET_VARIABLES {
        cli = match name {
            // a URL the cache can parse; it is never reached (the file is the fallback)
            "MSCONNECT_CACHE_URL" => cli
                .env(name, &format!("redis://:secret-of-{name}@127.0.0.1:9/0"))
                .env("MSCONNECT_CACHE_FALLBACK", "file"),
            // with a cache URL the key is read: 32 bytes, in base64
            "MSCONNECT_CACHE_KEY" => cli.env(name, "c2VjcmV0LW9mLU1TQ09OTkVDVF9DQUNIRV9LRVkhISE="),
            _ => cli.env(name, &format!("secret-of-{name}")),
        };
    }

    // SecMgmt listens on the first free port from 8400: held here, so this test may not depend on 8400
    // being free (issue 18)
    let held = std::net::TcpListener::bind(("127.0.0.1", 8400));
    let _held_v6 = std::net::TcpListener::bind(("::1", 8400));
    if let Err(e) = &held {
        println!("port 8400 could not be held ({e}): it is busy already, which this test wants anyway");
    }

    let run = interrupt_when(&cli, &["secmgmt", "connect"], "Ctrl-C to cancel");

    assert_eq!(run.code, 130, "{}", run.stderr);
    let read = |name: &str| std::fs::read_to_string(seen.path().join(name)).unwrap();
    if held.is_ok() {
        let page = read("page");
        assert!(
            !page.contains("localhost%3A8400%2F") && page.contains("localhost%3A84"),
            "the sign-in used the port held busy: {page}"
        );
    }
    let args = read("args");
    assert!(
        args.starts_with(&format!("file://{}/msconnect-signin-", tmp.path().display())),
        "{args}"
    );
    assert!(
        !args.contains("state=") && !args.contains("code_challenge"),
        "{args}"
    );
    assert!(
        read("page").contains("/organizations/oauth2/v2.0/authorize?client_id="),
        "{}",
        read("page")
    );
    assert!(read("page").contains("&amp;state="));
    let env = read("env");
    assert!(!env.contains("secret-of-"), "{env}");
    for name in auth_core::env::SECRET_VARIABLES {
        assert!(!env.contains(&format!("{name}=")), "{name}: {env}");
    }
    assert!(env.contains("MSCONNECT_NOT_A_SECRET=kept"), "{env}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the page is deleted when the sign-in ends"
    );
}
