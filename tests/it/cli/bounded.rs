//! What a hostile token, server or resolver can make msconnect print or wait for is bounded (issue 26,
//! the adversary's L6, L7 and L10): a value stays in its table cell whatever tabs and line breaks it
//! holds, `-v` quotes a few KiB of any body, and a resolver that never answers costs the Partner Center
//! profile call its 1.5 s, not the system resolver's retries at exit.

use std::time::{Duration, Instant};

use mockito::Server;
use serde_json::json;
use test_support::{form, jwt};

use super::connect::mock_environment;
use super::{APP_ID, Cli, OID, TENANT_ID};

#[test]
fn tabs_and_line_breaks_in_a_token_stay_in_their_cell() {
    // L7: a passthrough token's upn added a row (and shifted columns) to the table of the context
    let upn = "evil\tAzureCloud\tx\nforged@contoso.com\r\n                                         Extra row";
    let token = jwt(&json!({"tid": TENANT_ID, "oid": OID, "upn": upn, "exp": 4_102_444_800_i64}));
    let cli = Cli::new();

    let table = cli.run_with_stdin(&["partnercenter", "connect", "--access-token", "-"], &token);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header, its dashes and one row: {:?}",
        table.stdout
    );
    assert!(!table.stdout.contains(['\t', '\r']), "{:?}", table.stdout);
    assert_eq!(
        lines[2],
        format!("evil AzureCloud x forged@contoso.com   … AzureCloud  {TENANT_ID}")
    );

    // a list (Format-List) keeps each value on its own line too
    let list = cli.run_with_stdin(&["entra", "connect", "--access-token", "-"], &token);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(!list.stdout.contains(['\t', '\r']), "{:?}", list.stdout);
    let accounts: Vec<&str> = list.stdout.lines().filter(|l| l.contains("forged")).collect();
    assert_eq!(
        accounts,
        [format!(
            "Account               : evil AzureCloud x forged@contoso.com{}Extra row",
            " ".repeat(42)
        )],
        "{}",
        list.stdout
    );
    assert!(
        !list
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("Extra row"))
    );

    // JSON keeps the value as it is, escaped
    let json = cli.run(&["entra", "context", "-o", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["Account"], upn);
}

#[tokio::test]
async fn verbose_traces_quote_a_few_kib_of_a_huge_error_body() {
    // L10: `-v` printed 954 KB of a hostile error answer
    // just under the 1 MiB a body may have, and far over it
    for padding in [900_000, 20 * 1024 * 1024] {
        let mut server = Server::new_async().await;
        let body = json!({
            "error": "invalid_grant",
            "error_description": "AADSTS70008: expired.",
            "claims": format!("{{\"access_token\":{{\"padding\":\"{}\"}}}}", "c".repeat(padding / 10)),
            "padding": "p".repeat(padding),
        })
        .to_string();
        let refused = server
            .mock("POST", "/organizations/oauth2/v2.0/token")
            .match_body(form(&[("grant_type", "refresh_token")]))
            .with_status(400)
            .with_body(body)
            .expect(1)
            .create_async()
            .await;
        let cli = Cli::new().env("MSCONNECT_REFRESH_TOKEN", "partner-refresh-token");
        mock_environment(&cli, &server);

        let run = cli.run(&[
            "partnercenter",
            "connect",
            "--application-id",
            APP_ID,
            "--environment",
            "Mock",
            "-v",
        ]);

        assert_eq!(run.code, 1, "{}", &run.stderr[..run.stderr.len().min(2000)]);
        assert!(
            run.stderr.len() < 24 * 1024,
            "{padding}: -v printed {} bytes of stderr",
            run.stderr.len()
        );
        assert!(run.stderr.contains("POST http://127.0.0.1:"), "{}", run.stderr);
        refused.assert_async().await;
    }
}

/// A name server on this machine's loopback that receives queries and never answers: a UDP socket on
/// port 53 of a 127.x.y.z address of its own (any address of 127/8 is loopback). `None`, with the
/// reason printed, where this process may not bind port 53 (not root).
#[cfg(target_os = "linux")]
#[allow(clippy::print_stdout)] // a case not run is said, never silent
fn silent_name_server() -> Option<std::net::UdpSocket> {
    let pid = std::process::id();
    for attempt in 0..16u32 {
        let seed = pid.wrapping_add(attempt.wrapping_mul(7919));
        let address = std::net::Ipv4Addr::new(127, 53, (seed >> 8) as u8, (seed as u8).max(2));
        match std::net::UdpSocket::bind((address, 53)) {
            Ok(socket) => return Some(socket),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                println!("case not run: cannot bind port 53 for a silent name server ({e})");
                return None;
            }
            Err(_) => {}
        }
    }
    println!("case not run: no 127.53.x.y:53 was free for a silent name server");
    None
}

#[cfg(target_os = "linux")]
#[test]
#[allow(clippy::print_stdout)] // a case not run is said, never silent
fn the_partner_center_profile_call_gives_up_on_a_resolver_that_never_answers() {
    // L6: the call was bounded to 1.5 s, but the runtime then waited for the blocked lookup's thread at
    // exit: with glibc's 5 s timeout and 2 attempts, `connect` ended after 10 s
    let Some(name_server) = silent_name_server() else {
        return;
    };
    let etc = tempfile::tempdir().unwrap();
    let resolv = etc.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        format!(
            "nameserver {}\noptions timeout:5 attempts:2\n",
            name_server.local_addr().unwrap().ip()
        ),
    )
    .unwrap();
    let nsswitch = etc.path().join("nsswitch.conf");
    std::fs::write(&nsswitch, "hosts: files dns\n").unwrap();
    let cli = Cli::new();
    // the profile host exists only in our silent name server's silence
    let added = cli.run(&[
        "environment",
        "add",
        "Unanswered",
        "--authority-host",
        "https://login.unanswered.msconnect.test",
        "--graph-endpoint",
        "https://graph.unanswered.msconnect.test",
        "--partner-center-endpoint",
        "https://partner.unanswered.msconnect.test",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let token =
        jwt(&json!({"tid": TENANT_ID, "oid": OID, "upn": "admin@contoso.com", "exp": 4_102_444_800_i64}));

    // msconnect in a mount namespace of its own whose /etc/resolv.conf names the silent server
    let started = Instant::now();
    let output = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(
            "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/nsswitch.conf && shift 2 && \
             exec \"$@\"",
        )
        .arg("sh")
        .arg(&resolv)
        .arg(&nsswitch)
        .arg(super::binary())
        .args([
            "partnercenter",
            "connect",
            "--environment",
            "Unanswered",
            "--access-token",
            &token,
        ])
        .env_clear()
        .env("MSCONNECT_HOME", cli.home())
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("running unshare");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.starts_with("unshare:") || stderr.starts_with("mount:") {
        println!("case not run: no mount namespace here: {stderr}");
        return;
    }

    // the name server was asked: the lookup went where the test says
    name_server
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut query = [0u8; 512];
    assert!(
        name_server.recv(&mut query).is_ok(),
        "no query reached the silent name server: {stderr}"
    );
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("could not read the partner's organization profile"),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(5),
        "connect took {took:?} with a resolver that never answers (1.5 s for the profile call): {stderr}"
    );
}
