//! Issue 26 (M1), through the binary: a file msconnect is given or keeps that never opens (a FIFO no one
//! writes to) or never ends (`/dev/zero`) is refused by name at once, at connect and at renewal, and a
//! file over its bound is refused without being read. Each run is killed after [`BOUND`] and may use at
//! most [`MEMORY`] of address space, so a read that would hang or fill memory fails the test instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use mockito::{Matcher, Server};
use serde_json::json;
use test_support::mock::{MockAuthority, assertion_form};

use super::{APP_ID, Cli, Run, TENANT_ID};

/// How long a refused file may take: a run is killed past it.
const BOUND: Duration = Duration::from_secs(20);
/// The address space a run may use, in KiB for `ulimit -v` (2 GiB: a tokio runtime reserves a few
/// hundred MiB it never touches; `/dev/zero` read whole passes it in seconds).
const MEMORY: u64 = 2 * 1024 * 1024;

/// Runs `msconnect <args>` in `cli`'s environment plus `vars`, with `stdin` (empty when `None`), under
/// [`BOUND`] and [`MEMORY`]; the time it took.
fn run_bounded(cli: &Cli, args: &[&str], vars: &[(&str, &str)], stdin: Option<&Path>) -> (Run, Duration) {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY} && exec \"$0\" \"$@\""))
        .arg(super::binary())
        .args(args)
        .env_clear()
        .env("MSCONNECT_HOME", cli.home.path())
        .envs(cli.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(vars.iter().copied())
        .stdin(match stdin {
            Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
            None => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("running msconnect");
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > BOUND {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: cli.text(&output.stdout),
        stderr: cli.text(&output.stderr),
    };
    (run, started.elapsed())
}

/// Asserts that the run failed at once (exit 1, well within the bound), naming `file` and saying it is
/// not a regular file.
fn assert_refused(what: &str, (run, took): (Run, Duration), file: &Path) {
    assert!(
        took < BOUND,
        "{what}: killed after {took:?} (a hang or a read without end): {run:?}"
    );
    assert_eq!(run.code, 1, "{what}: {run:?}");
    assert!(
        run.stderr.contains(&file.display().to_string()) && run.stderr.contains("not a regular file"),
        "{what}: names the file and what is wrong: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "{what}");
}

/// A FIFO in a temporary folder, which no one ever writes to.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    path
}

/// A federated token (unsigned: the stand-in authority only compares it).
fn federated_jwt() -> String {
    test_support::jwt(&json!({"iss": "https://kubernetes.default.svc", "aud": "api://AzureADTokenExchange"}))
}

#[tokio::test]
async fn fifos_and_devices_given_as_token_or_certificate_files_are_refused_at_once() {
    let mut server = Server::new_async().await;
    let posted = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let dir = tempfile::tempdir().unwrap();
    let app = ["--client-id", APP_ID, "--tenant-id", TENANT_ID];
    for file in [fifo(dir.path(), "token"), PathBuf::from("/dev/zero")] {
        let path = file.to_str().unwrap();
        let cli = Cli::new().authority(&server.url());
        let given = [&["entra", "connect", "--federated-token-file", path][..], &app].concat();
        assert_refused(
            "--federated-token-file",
            run_bounded(&cli, &given, &[], None),
            &file,
        );
        let certificate = [&["psentra", "connect", "--certificate-path", path][..], &app].concat();
        assert_refused(
            "--certificate-path",
            run_bounded(&cli, &certificate, &[], None),
            &file,
        );
        let azure = [("AZURE_CLIENT_ID", APP_ID), ("AZURE_TENANT_ID", TENANT_ID)];
        let workload = ["entra", "connect", "--workload-identity"];
        let vars = [&azure[..], &[("AZURE_FEDERATED_TOKEN_FILE", path)]].concat();
        assert_refused(
            "AZURE_FEDERATED_TOKEN_FILE",
            run_bounded(&cli, &workload, &vars, None),
            &file,
        );
        let variables = ["entra", "connect", "--environment-variable"];
        let vars = [&azure[..], &[("AZURE_CLIENT_CERTIFICATE_PATH", path)]].concat();
        assert_refused(
            "AZURE_CLIENT_CERTIFICATE_PATH",
            run_bounded(&cli, &variables, &vars, None),
            &file,
        );
    }
    posted.assert_async().await;
}

#[tokio::test]
async fn fifos_in_msconnects_folder_and_the_azure_clis_are_refused_at_once() {
    let server = Server::new_async().await;
    // the Azure CLI's profile
    let azure = tempfile::tempdir().unwrap();
    let profile = fifo(azure.path(), "azureProfile.json");
    let cli = Cli::new()
        .authority(&server.url())
        .env("AZURE_CONFIG_DIR", azure.path().to_str().unwrap());
    let run = run_bounded(&cli, &["entra", "connect", "--from-azure-cli"], &[], None);
    assert_refused("azureProfile.json", run, &profile);
    // a saved context and environments.json in msconnect's folder
    let cli = Cli::new();
    std::fs::create_dir(cli.home().join("contexts")).unwrap();
    let context = fifo(&cli.home().join("contexts"), "entra.json");
    let run = run_bounded(&cli, &["entra", "context"], &[], None);
    assert_refused("a context", run, Path::new("[HOME]/contexts/entra.json"));
    std::fs::remove_file(context).unwrap();
    fifo(cli.home(), "environments.json");
    let run = run_bounded(&cli, &["entra", "connect", "--environment", "Mine"], &[], None);
    assert_refused("environments.json", run, Path::new("[HOME]/environments.json"));
}

#[tokio::test]
async fn a_secret_piped_in_without_end_is_refused() {
    let cli = Cli::new();
    let args = [
        "psentra",
        "connect",
        "--client-id",
        APP_ID,
        "--tenant-id",
        TENANT_ID,
        "--client-secret",
        "-",
    ];
    let (run, took) = run_bounded(&cli, &args, &[], Some(Path::new("/dev/zero")));
    assert!(took < BOUND, "killed after {took:?}: {run:?}");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("--client-secret") && run.stderr.contains("more than 1 MiB"),
        "{}",
        run.stderr
    );
}

/// Renewal reads the token file and the certificate (of `AZURE_CLIENT_CERTIFICATE_PATH`) again: a FIFO
/// or `/dev/zero` put in their place after a genuine connect is refused then too.
#[tokio::test]
async fn a_token_file_or_certificate_swapped_for_a_fifo_or_a_device_is_refused_at_renewal() {
    for swapped in ["fifo", "/dev/zero"] {
        let mut authority = MockAuthority::start().await;
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, federated_jwt()).unwrap();
        let pem = dir.path().join("app.pem");
        let both = format!(
            "{}{}",
            test_support::TEST_CERTIFICATE_PEM,
            test_support::TEST_KEY_PEM
        );
        std::fs::write(&pem, both).unwrap();
        let mut short = test_support::app_token_response("at-1");
        short["expires_in"] = json!(120);
        let form = || assertion_form(&[("grant_type", "client_credentials"), ("client_id", APP_ID)]);
        let cli = Cli::new()
            .authority(&authority.url())
            .env("AZURE_CLIENT_ID", APP_ID)
            .env("AZURE_TENANT_ID", TENANT_ID)
            .env("AZURE_CLIENT_CERTIFICATE_PATH", pem.to_str().unwrap());
        let token_path = token.to_str().unwrap();
        let connects = [
            &["entra", "connect", "--federated-token-file", token_path][..],
            &["psentra", "connect", "--environment-variable"],
        ];
        for connect in connects {
            let answered = authority.token(TENANT_ID, form(), &short).await;
            let run = cli.run(connect);
            assert_eq!(run.code, 0, "{connect:?}: {}", run.stderr);
            answered.assert_async().await;
        }
        for (module, file) in [("entra", &token), ("psentra", &pem)] {
            std::fs::remove_file(file).unwrap();
            if swapped == "fifo" {
                fifo(dir.path(), file.file_name().unwrap().to_str().unwrap());
            } else {
                std::os::unix::fs::symlink(swapped, file).unwrap();
            }
            let (run, took) = run_bounded(&cli, &[module, "token"], &[], None);
            assert!(took < BOUND, "{module} {swapped}: killed after {took:?}: {run:?}");
            assert_eq!(run.code, 1, "{module} {swapped}: {run:?}");
            assert!(
                run.stderr.contains(file.to_str().unwrap()) && run.stderr.contains("not a regular file"),
                "{module} {swapped}: {}",
                run.stderr
            );
        }
    }
}

/// A certificate over 1 MiB is refused, naming the file, before any of it past the bound is read.
#[tokio::test]
async fn a_certificate_file_over_a_mebibyte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.pfx");
    std::fs::write(&big, vec![0x30; 1024 * 1024 + 1]).unwrap();
    let cli = Cli::new();
    let path = big.to_str().unwrap();
    let args = [
        "psentra",
        "connect",
        "--certificate-path",
        path,
        "--client-id",
        APP_ID,
        "--tenant-id",
        TENANT_ID,
    ];
    let (run, _) = run_bounded(&cli, &args, &[], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(path) && run.stderr.contains("larger than 1 MiB"),
        "{}",
        run.stderr
    );
}
