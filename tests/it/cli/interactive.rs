//! The interactive sign-ins through the binary: the device code message and where the sign-in is
//! awaited go to stderr, the context to stdout; Ctrl-C ends a wait with exit code 130.

use std::io::Read;
use std::time::{Duration, Instant};

use auth_core::testing::user_token_response;
use mockito::{Matcher, Server};
use serde_json::json;

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
#[allow(clippy::print_stdout)] // why the port could not be held, rather than a silent pass
async fn without_a_browser_the_address_and_where_it_is_awaited_are_printed() {
    let server = Server::new_async().await;
    let cli = Cli::new().authority(&server.url()).env("BROWSER", "false");
    // SecMgmt listens on the first free port from 8400: held here, so neither this test nor its
    // snapshot may depend on 8400 being free (issue 18)
    let held = std::net::TcpListener::bind(("127.0.0.1", 8400));
    let _held_v6 = std::net::TcpListener::bind(("::1", 8400));
    if let Err(e) = &held {
        println!("port 8400 could not be held ({e}): it is busy already, which this test wants anyway");
    }

    let run = interrupt_when(&cli, &["secmgmt", "connect"], "Ctrl-C cancels");
    if held.is_ok() {
        assert!(
            !run.stderr.contains("localhost%3A8400%2F") && run.stderr.contains("localhost%3A84"),
            "the sign-in used the port held busy: {}",
            run.stderr
        );
    }

    assert_eq!(run.code, 130, "{}", run.stderr);
    let mut settings = crate::support::filters::settings();
    settings.add_filter(r"(state|nonce|code_challenge)=[A-Za-z0-9_-]+", "$1=[RANDOM]");
    settings.bind(|| insta::assert_snapshot!(run.stderr, @r"
    could not open a browser: false: exited with exit status: 1; no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)
    to sign in, open this address in a browser on this computer:
    http://127.0.0.1:[PORT]/organizations/oauth2/v2.0/authorize?client_id=[GUID]&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A[PORT]%2F&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default+openid+profile+offline_access&state=[RANDOM]&nonce=[RANDOM]&code_challenge=[RANDOM]&code_challenge_method=S256
    waiting for the sign-in on http://localhost:[PORT]/; Ctrl-C cancels
    cancelled
    "));
}
