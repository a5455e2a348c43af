//! The interactive sign-ins through the binary: the device code message and where the sign-in is
//! awaited go to stderr, the context to stdout; Ctrl-C ends a wait with exit code 130. The browser is
//! given a start address on the loopback listener and nothing else: a browser run as another user, who
//! reaches the loopback port but none of our files, signs in.

use std::io::Read;
use std::time::{Duration, Instant};

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::user_token_response;

use super::{Cli, OID, Run, TENANT_ID};
use crate::snapshot;
#[cfg(unix)]
use test_support::SignedInBrowser;

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
    signal_when(cli, args, ready, "INT")
}

/// Starts msconnect, waits until its stderr says `ready`, sends it `signal`, and returns how it ended.
#[cfg(unix)]
fn signal_when(cli: &Cli, args: &[&str], ready: &str, signal: &str) -> Run {
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
        .args([&format!("-{signal}"), &child.id().to_string()])
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
        !cli.home().join("contexts/partnercenter/default.json").exists(),
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

/// A `$BROWSER` that writes its arguments and its environment into `dir`.
#[cfg(unix)]
fn recording_browser(dir: &std::path::Path) -> String {
    let script = dir.join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nPATH=/usr/bin:/bin\necho \"$@\" > '{0}/args'\nenv > '{0}/env'\n",
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
async fn the_browser_gets_only_a_start_address_and_no_secret_variable() {
    // issue 18: the URL (state, nonce, code_challenge) was readable by every user in /proc, and the
    // browser inherited the secret variables; issue 26: it is given a start address on the listener,
    // not a file only this user can read
    let server = Server::new_async().await;
    let seen = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut cli = Cli::new()
        .authority(&server.url())
        .env("BROWSER", &recording_browser(seen.path()))
        .env("TMPDIR", tmp.path().to_str().unwrap())
        .env("MSCONNECT_NOT_A_SECRET", "kept");
    for name in auth_core::SECRET_VARIABLES {
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
    let args = read("args");
    let port = args
        .strip_prefix("http://localhost:")
        .and_then(|rest| rest.split_once("/start/"))
        .map(|(port, _)| port.to_owned())
        .unwrap_or_else(|| panic!("not a start address: {args}"));
    if held.is_ok() {
        assert_ne!(port, "8400", "the sign-in used the port held busy");
    }
    assert!(
        !args.contains("state=") && !args.contains("code_challenge") && !args.contains("authorize"),
        "{args}"
    );
    assert!(
        run.stderr
            .contains(&format!("waiting on http://localhost:{port}/")),
        "{}",
        run.stderr
    );
    let env = read("env");
    assert!(!env.contains("secret-of-"), "{env}");
    for name in auth_core::SECRET_VARIABLES {
        assert!(!env.contains(&format!("{name}=")), "{name}: {env}");
    }
    assert!(env.contains("MSCONNECT_NOT_A_SECRET=kept"), "{env}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing is written to the temporary folder"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_and_sighup_leave_nothing_in_the_temporary_folder() {
    // issue 26: the private sign-in page outlived both signals; now there is no page to leave
    let server = Server::new_async().await;
    let seen = tempfile::tempdir().unwrap();
    for signal in ["TERM", "HUP"] {
        let tmp = tempfile::tempdir().unwrap();
        let cli = Cli::new()
            .authority(&server.url())
            .env("BROWSER", &recording_browser(seen.path()))
            .env("TMPDIR", tmp.path().to_str().unwrap());
        let run = signal_when(&cli, &["entra", "connect"], "Ctrl-C to cancel", signal);
        assert_ne!(run.code, 0, "{signal}: {}", run.stderr);
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?} in TMPDIR");
    }
}

/// The stand-in authority of a browser sign-in for `browser`: its authorize endpoint sends whoever
/// visits it back to the `redirect_uri` with a code and the `state` (a signed-in person's browser), and
/// its token endpoint redeems that code once with an ID token carrying the authorize request's nonce.
#[cfg(unix)]
async fn signed_in_authority(
    server: &mut Server,
    browser: &SignedInBrowser,
) -> (mockito::Mock, mockito::Mock) {
    let query = browser.query.clone();
    let authorize = server
        .mock("GET", "/organizations/oauth2/v2.0/authorize")
        .match_query(Matcher::Any)
        .with_status(302)
        .with_header_from_request("location", move |request| {
            let url = auth_core::Url::parse(&format!("http://x{}", request.path_and_query())).unwrap();
            let seen: std::collections::BTreeMap<String, String> = url.query_pairs().into_owned().collect();
            let back = format!(
                "{}?code=the-code&state={}",
                seen["redirect_uri"],
                url::form_urlencoded::byte_serialize(seen["state"].as_bytes()).collect::<String>()
            );
            *query.lock().unwrap() = seen;
            back
        })
        .expect(1)
        .create_async()
        .await;
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "authorization_code".into()),
            Matcher::UrlEncoded("code".into(), "the-code".into()),
        ]))
        .with_body_from_request(browser.answer(user_token_response(
            "at-1",
            "rt-1",
            OID,
            TENANT_ID,
            "admin@contoso.com",
            GRAPH,
        )))
        .expect(1)
        .create_async()
        .await;
    (authorize, token)
}

/// Whether curl can run as uid 1500 (another local user, who cannot read this user's files) through
/// `setpriv`; where it cannot (not root, no curl), says why.
#[cfg(unix)]
#[allow(clippy::print_stdout)] // a case not run is said, never silent
fn can_run_as_another_user() -> bool {
    let probe = std::process::Command::new("setpriv")
        .args([
            "--reuid=1500",
            "--regid=1500",
            "--clear-groups",
            "curl",
            "--version",
        ])
        .output();
    match probe {
        Ok(output) if output.status.success() => true,
        Ok(output) => {
            println!(
                "case not run: setpriv cannot run curl as uid 1500 here: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            false
        }
        Err(e) => {
            println!("case not run: no setpriv to run curl as uid 1500 ({e})");
            false
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_browser_run_as_another_user_signs_in_through_the_loopback_port_alone() {
    // issue 26: VS Code Remote, Codespaces and WSL open the URL in a browser that reaches this machine's
    // loopback ports but not its files; the private file:// page of before left it waiting forever
    if !can_run_as_another_user() {
        return;
    }
    let mut server = Server::new_async().await;
    let browser = SignedInBrowser::default();
    let (authorize, token) = signed_in_authority(&mut server, &browser).await;
    let seen = tempfile::tempdir().unwrap();
    std::fs::set_permissions(seen.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // the browser: curl as uid 1500, following redirects with its cookies in memory (`-b ''`), its
    // output in a file this user opens for it
    let script = seen.path().join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nsetpriv --reuid=1500 --regid=1500 --clear-groups -- curl -sS -b '' -L --max-redirs 3 \
             -o /dev/null -w '%{{http_code}} %{{url_effective}}\\n' \"$1\" > '{0}/curl' 2>&1 &\n",
            seen.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cli = Cli::new()
        .authority(&server.url())
        .env("BROWSER", script.to_str().unwrap())
        .env("TMPDIR", tmp.path().to_str().unwrap());

    let run = cli.run(&["entra", "connect"]);

    assert_eq!(
        run.code,
        0,
        "{}\ncurl: {:?}",
        run.stderr,
        std::fs::read_to_string(seen.path().join("curl"))
    );
    assert!(run.stdout.contains("admin@contoso.com"), "{}", run.stdout);
    let port = browser
        .redirect_port()
        .expect("the authorize endpoint was reached");
    snapshot!(run.stderr.replace(&port.to_string(), "[port]"), @"a browser window opened for sign-in; waiting on http://localhost:[port]/, Ctrl-C to cancel");
    assert_eq!(cli.run(&["entra", "token"]).stdout, "at-1\n");
    authorize.assert_async().await;
    token.assert_async().await;
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
