//! Issue 24: `token --output exec-credential` as kubectl's exec credential plugin. kubectl (the
//! machine's, or Debian's that `cargo xtask test` installs) reads a kubeconfig whose user runs msconnect,
//! against a loopback HTTPS API server that accepts only a bearer token for AKS' server application.

use std::process::Command;

use serde_json::{Value, json};
use test_support::jwt;

use super::Cli;
use super::az::{connected, first_renewal, refresh};
use crate::snapshot;
use crate::support::https_server::{HttpsServer, Response};
use crate::support::peers::TestTls;

/// AKS' server application: the audience of an AKS cluster's Entra ID tokens.
const AKS: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// The `aud` of a bearer token, read without verification (the fake authority does not sign).
fn audience(authorization: Option<&str>) -> Option<String> {
    use base64::Engine as _;
    let token = authorization?.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["aud"].as_str().map(str::to_owned)
}

/// A Kubernetes API server that answers `/version` to AKS' audience and 401 to anything else.
fn api_server(tls: &TestTls) -> HttpsServer {
    HttpsServer::start(&tls.server, |request| {
        if audience(request.header("authorization")).as_deref() != Some(AKS) {
            return Response::new(
                401,
                "application/json",
                r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
            );
        }
        Response::new(
            200,
            "application/json",
            r#"{"major":"1","minor":"31","gitVersion":"v1.31.2"}"#,
        )
    })
}

/// A kubeconfig for the cluster at `server`, whose user runs `msconnect secmgmt token` for `scope`.
fn kubeconfig(
    dir: &std::path::Path,
    server: &HttpsServer,
    tls: &TestTls,
    cli: &Cli,
    scope: &str,
) -> std::path::PathBuf {
    let ca = b64_std(&std::fs::read(&tls.ca_cert).unwrap());
    let config = format!(
        r#"apiVersion: v1
kind: Config
clusters:
- name: aks
  cluster:
    server: {server}
    certificate-authority-data: {ca}
contexts:
- name: aks
  context:
    cluster: aks
    user: entra
current-context: aks
users:
- name: entra
  user:
    exec:
      apiVersion: {api_version}
      command: {msconnect}
      args: [secmgmt, token, --scopes, "{scope}", --output, exec-credential]
      env:
      - name: MSCONNECT_HOME
        value: "{home}"
{interactive_mode}"#,
        api_version = exec_api_version(),
        interactive_mode = if exec_api_version().ends_with("/v1") {
            "      interactiveMode: Never\n"
        } else {
            ""
        },
        server = server.url(),
        msconnect = super::binary().display(),
        home = cli.home().display(),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, config).unwrap();
    path
}

/// The exec credential API the machine's kubectl speaks: `v1` from 1.22 (Debian 12's kubectl is 1.20,
/// which has only `v1beta1`).
fn exec_api_version() -> &'static str {
    let output = Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output();
    let minor = output
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| {
            v["clientVersion"]["minor"]
                .as_str()
                .map(|m| m.trim_end_matches('+').to_owned())
        })
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if minor >= 22 {
        "client.authentication.k8s.io/v1"
    } else {
        "client.authentication.k8s.io/v1beta1"
    }
}

fn b64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// kubectl: the machine's.
fn kubectl(home: &std::path::Path, kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .output()
        .expect("kubectl is on PATH (`cargo xtask test` installs Debian's kubectl when it is missing)")
}

#[tokio::test]
async fn kubectl_gets_its_token_from_msconnect_and_the_api_server_accepts_it() {
    let (mut server, cli) = connected().await;
    let scope = format!("{AKS}/.default");
    let aks_token = jwt(&json!({"aud": AKS, "tid": super::TENANT_ID}));
    let grant = first_renewal(&mut server, &aks_token, &scope).await;
    let dir = tempfile::tempdir().unwrap();
    let tls = TestTls::generate(dir.path());
    let api = api_server(&tls);
    let config = kubeconfig(dir.path(), &api, &tls, &cli, &scope);

    let output = kubectl(dir.path(), &config, &["get", "--raw", "/version"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    snapshot!(String::from_utf8_lossy(&output.stdout), @r#"{"major":"1","minor":"31","gitVersion":"v1.31.2"}"#);
    grant.assert_async().await;
    let requests = api.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| audience(r.header("authorization")).as_deref() == Some(AKS)),
        "{requests:?}"
    );
    // nothing of the token on kubectl's stderr
    assert!(!stderr.contains(&aks_token[..20]), "{stderr}");

    // a kubeconfig asking for another resource's token is refused by the API server
    // (not Graph: the connection holds a token for it since connecting)
    let arm = "https://management.azure.com/.default".to_owned();
    let arm_token = jwt(&json!({"aud": "https://management.azure.com"}));
    let wrong = refresh(
        &mut server,
        super::TENANT_ID,
        "rt-2",
        &arm_token,
        "rt-3",
        super::TENANT_ID,
        &arm,
    )
    .await;
    let config = kubeconfig(dir.path(), &api, &tls, &cli, &arm);
    let output = kubectl(dir.path(), &config, &["get", "--raw", "/version"]);
    assert!(!output.status.success());
    wrong.assert_async().await;
}

#[tokio::test]
async fn the_exec_credential_is_in_the_version_kubectl_asks_for() {
    let (mut server, cli) = connected().await;
    let scope = format!("{AKS}/.default");
    let grant = first_renewal(&mut server, "aks-at", &scope).await;
    let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#;
    let run = cli.run_with(
        &[
            "secmgmt",
            "token",
            "--scopes",
            &scope,
            "--output",
            "exec-credential",
        ],
        "",
        &[("KUBERNETES_EXEC_INFO", info)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    grant.assert_async().await;
    let credential: Value = serde_json::from_str(&run.stdout).unwrap();
    let expires = credential["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        expires.ends_with('Z') && expires.len() == "2026-12-07T05:00:00Z".len(),
        "{expires}"
    );
    snapshot!(run.stdout.replace(&expires, "[EXPIRES]"), @r#"
    {
      "kind": "ExecCredential",
      "apiVersion": "client.authentication.k8s.io/v1beta1",
      "spec": {
        "interactive": false
      },
      "status": {
        "expirationTimestamp": "[EXPIRES]",
        "token": "aks-at"
      }
    }
    "#);
    assert_eq!(run.stderr, "");
    // only `token` prints one
    let run = cli.run(&["secmgmt", "context", "--output", "exec-credential"]);
    assert_eq!(run.code, 2, "{run:?}");
}
