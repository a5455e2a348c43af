//! `token --output exec-credential`: kubectl's exec credential plugin protocol. kubectl runs the command
//! a kubeconfig names and reads an `ExecCredential` from its stdout; `KUBERNETES_EXEC_INFO` says which
//! `apiVersion` it speaks and whether the plugin may talk to the user (`spec.interactive`). msconnect
//! answers in that version (else `client.authentication.k8s.io/v1`), and when it may not talk to the
//! user, its session has no way to prompt at all.

use std::sync::Arc;

use auth_core::format_rfc3339;
use auth_core::{AccessToken, Interaction, SilentInteraction};
use serde_json::{Value, json};

use crate::app::App;
use crate::exit::Failure;
use crate::interaction::CliInteraction;
use crate::output;

/// The variable kubectl sets for its exec plugins.
const EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";
/// The versions of the exec credential API msconnect speaks; the first is the default.
const API_VERSIONS: [&str; 2] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];
/// More than any `ExecCredential` kubectl writes (it carries the cluster's CA when
/// `provideClusterInfo` is on): a larger value is refused rather than parsed.
const MAX_EXEC_INFO: usize = 1 << 20;

/// What kubectl said in `KUBERNETES_EXEC_INFO`.
#[derive(Debug, PartialEq, Eq)]
struct ExecInfo {
    api_version: &'static str,
    interactive: bool,
}

/// Reads `KUBERNETES_EXEC_INFO`: none set means a run by hand, which may talk to the user.
fn exec_info(app: &App) -> Result<ExecInfo, Failure> {
    let Some(text) = app.env.get(EXEC_INFO) else {
        return Ok(ExecInfo {
            api_version: API_VERSIONS[0],
            interactive: true,
        });
    };
    let bad = |why: &str| Failure::Failed(format!("{EXEC_INFO}: {why}"));
    if text.len() > MAX_EXEC_INFO {
        return Err(bad("larger than any ExecCredential kubectl writes"));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| bad(&format!("not JSON ({e})")))?;
    let asked = value["apiVersion"].as_str().unwrap_or(API_VERSIONS[0]);
    let api_version = API_VERSIONS
        .into_iter()
        .find(|known| *known == asked)
        .ok_or_else(|| {
            bad(&format!(
                "apiVersion '{}' is not one msconnect speaks ({})",
                auth_core::printable_line(asked),
                API_VERSIONS.join(", ")
            ))
        })?;
    Ok(ExecInfo {
        api_version,
        // kubectl always says; when it does not, asking is not allowed
        interactive: value["spec"]["interactive"].as_bool().unwrap_or(false),
    })
}

/// How an exec plugin talks to the user: as the command line does when kubectl lets it (prompts go to
/// stderr; stdout is kubectl's), else never, not even to prompt.
pub(crate) fn interaction(app: &App) -> Result<Arc<dyn Interaction>, Failure> {
    Ok(if exec_info(app)?.interactive {
        Arc::new(CliInteraction::default())
    } else {
        Arc::new(SilentInteraction)
    })
}

/// The `ExecCredential` of an access token that expires at `expires_on` (epoch seconds).
fn credential(info: &ExecInfo, token: &AccessToken, expires_on: i64) -> Value {
    json!({
        "kind": "ExecCredential",
        "apiVersion": info.api_version,
        "spec": { "interactive": info.interactive },
        "status": {
            "expirationTimestamp": format_rfc3339(expires_on),
            "token": token.secret(),
        },
    })
}

/// Prints the `ExecCredential`.
pub(crate) fn print(app: &App, token: &AccessToken, expires_on: i64) -> Result<(), Failure> {
    output::print(&output::json(&credential(&exec_info(app)?, token, expires_on)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::EnvVars;

    fn app(vars: &[(&str, &str)]) -> App {
        App {
            env: EnvVars::from_pairs(vars.iter().copied()),
            format: crate::output::Format::ExecCredential,
            verbose: false,
        }
    }

    #[test]
    fn kubectls_exec_info_chooses_the_version_and_whether_to_prompt() {
        let info = |text: &str| exec_info(&app(&[(EXEC_INFO, text)]));
        assert_eq!(
            info(r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#).unwrap(),
            ExecInfo { api_version: API_VERSIONS[1], interactive: false }
        );
        assert_eq!(
            info(r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#).unwrap(),
            ExecInfo {
                api_version: API_VERSIONS[0],
                interactive: true
            }
        );
        // no `interactive`: not allowed to ask
        assert!(
            !info(r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{}}"#)
                .unwrap()
                .interactive
        );
        // by hand, without kubectl
        assert_eq!(
            exec_info(&app(&[])).unwrap(),
            ExecInfo {
                api_version: API_VERSIONS[0],
                interactive: true
            }
        );
    }

    #[test]
    fn an_unknown_version_or_bad_json_is_a_clear_error() {
        let report = |text: &str| exec_info(&app(&[(EXEC_INFO, text)])).unwrap_err().report(false);
        insta::assert_snapshot!(
            report(r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1\u001b[2J"}"#),
            @"error: KUBERNETES_EXEC_INFO: apiVersion 'client.authentication.k8s.io/v1alpha1' is not one msconnect speaks (client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1)"
        );
        insta::assert_snapshot!(report("{"), @"error: KUBERNETES_EXEC_INFO: not JSON (EOF while parsing an object at line 1 column 1)");
    }
}
