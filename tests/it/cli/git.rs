//! Issue 24: `msconnect git-credential` as git's credential helper. git clones over https from a
//! loopback server (`git http-backend`, git's own smart HTTP, behind a TLS server with a TEST-ONLY
//! certificate) that wants Basic authentication whose password is the Azure DevOps token; a host not
//! named gets nothing, so git asks elsewhere.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Cli;
use super::az::{connected, first_renewal};
use crate::support::https_server::{HttpsServer, Request, Response};
use crate::support::peers::TestTls;

/// Azure DevOps' scope.
const AZURE_DEVOPS: &str = "499b84ac-1321-427f-aa17-267ca6975798/.default";
const TOKEN: &str = "devops-at";

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git is on PATH")
}

fn succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A bare repository `root/repo.git` with one commit.
fn repository(root: &Path) {
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("README"), "hello from Azure Repos\n").unwrap();
    succeeded(&git(&work, &["init", "-q"]));
    succeeded(&git(&work, &["add", "README"]));
    succeeded(&git(
        &work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "init",
        ],
    ));
    succeeded(&git(root, &["clone", "-q", "--bare", "work", "repo.git"]));
}

/// `git http-backend` for `request`, as a CGI program.
fn http_backend(root: &Path, request: &Request) -> Response {
    use std::io::Write as _;
    let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
    let mut child = Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REMOTE_USER", "msconnect")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", request.header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .env(
            "HTTP_CONTENT_ENCODING",
            request.header("content-encoding").unwrap_or_default(),
        )
        .env("GIT_PROTOCOL", request.header("git-protocol").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&request.body).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = output.stdout;
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4))
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|at| (at, 2)));
    let Some((at, gap)) = split else {
        return Response::new(500, "text/plain", "http-backend wrote no headers");
    };
    let mut response = Response::new(200, "text/plain", text[at + gap..].to_vec());
    response.headers.clear();
    for line in String::from_utf8_lossy(&text[..at]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("status") {
            response.status = value
                .trim()
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else {
            response = response.header(name.trim(), value.trim());
        }
    }
    response
}

/// An Azure Repos stand-in: git's smart HTTP for those with Basic credentials whose password is
/// [`TOKEN`], 401 for anyone else.
fn git_host(tls: &TestTls, root: &Path) -> HttpsServer {
    use base64::Engine as _;
    let root = root.to_path_buf();
    HttpsServer::start(&tls.server, move |request| {
        let password = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded).ok())
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|pair| pair.split_once(':').map(|(_, password)| password.to_owned()));
        if password.as_deref() != Some(TOKEN) {
            return Response::new(401, "text/plain", "sign in")
                .header("WWW-Authenticate", r#"Basic realm="Azure Repos""#);
        }
        http_backend(&root, request)
    })
}

#[tokio::test]
async fn git_clones_with_the_token_msconnect_answers_for_a_host_it_was_told_about() {
    let (mut server, cli) = connected().await;
    let grant = first_renewal(&mut server, TOKEN, AZURE_DEVOPS).await;
    let dir = tempfile::tempdir().unwrap();
    let tls = TestTls::generate(dir.path());
    repository(dir.path());
    let host = git_host(&tls, dir.path());
    let helper = |named: &str| {
        format!(
            "credential.helper=!MSCONNECT_HOME='{}' '{}' git-credential --host {named}",
            cli.home().display(),
            super::binary().display()
        )
    };
    let clone = |helper: &str, target: &str| {
        git(
            dir.path(),
            &[
                "-c",
                &format!("http.sslCAInfo={}", tls.ca_cert.display()),
                "-c",
                helper,
                "clone",
                "-q",
                &format!("{}/repo.git", host.url()),
                target,
            ],
        )
    };

    let output = clone(&helper(&host.host()), "clone");
    succeeded(&output);
    grant.assert_async().await;
    assert_eq!(
        std::fs::read_to_string(dir.path().join("clone").join("README")).unwrap(),
        "hello from Azure Repos\n"
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains(TOKEN));
    assert!(
        host.requests().iter().any(|r| r.method == "POST"),
        "a smart HTTP clone posts to git-upload-pack"
    );

    // told about another host only: msconnect answers nothing, git has nobody to ask and gives up
    let output = clone(&helper("git.contoso.com"), "refused");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("could not read Username"), "{stderr}");
}

#[tokio::test]
async fn the_helper_answers_azure_repos_over_https_only_and_changes_nothing_on_store() {
    let (mut server, cli) = connected().await;
    let grant = first_renewal(&mut server, TOKEN, AZURE_DEVOPS).await;
    let get = |request: &str| cli.run_with_stdin(&["git-credential", "get"], request);
    let run = get("protocol=https\nhost=dev.azure.com\npath=contoso/_git/app\n\n");
    assert_eq!(run.code, 0, "{run:?}");
    grant.assert_async().await;
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..2],
        ["username=msconnect", "password=devops-at"],
        "{run:?}"
    );
    assert!(lines[2].starts_with("password_expiry_utc="), "{run:?}");
    assert_eq!(run.stderr, "");
    for other in [
        "protocol=https\nhost=github.com\n\n",
        "protocol=http\nhost=dev.azure.com\n\n",
        "protocol=https\nhost=dev.azure.com.evil.example\n\n",
    ] {
        let run = get(other);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (0, "", ""),
            "{other}"
        );
    }
    for operation in ["store", "erase"] {
        let run = cli.run_with_stdin(
            &["git-credential", operation],
            "protocol=https\nhost=dev.azure.com\nusername=x\npassword=y\n\n",
        );
        assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    }
    // nothing connected: nothing on stdout, why on stderr
    let run = Cli::new().run_with_stdin(
        &["git-credential", "get"],
        "protocol=https\nhost=dev.azure.com\n\n",
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    assert!(run.stderr.contains("no module is connected"), "{run:?}");
}
