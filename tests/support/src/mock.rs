//! The Microsoft identity platform's endpoints on a mockito server, each answering exactly one request
//! (tests `assert_async` the returned mock), and the sign-in fixtures the product crates' tests share: an
//! application, a tenant and a user, and an `MSCONNECT_HOME` holding the TEST-ONLY certificate.

use mockito::{Matcher, Mock, Server};
use serde_json::{Value, json};

use auth_core::env::EnvVars;

/// The application (client) id the tests sign in as.
pub const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
/// The tenant the tests' users and applications belong to.
pub const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The object id of the tests' signed-in user.
pub const USER_OID: &str = "aaaaaaaa-0000-4000-8000-000000000001";

/// The path of `tenant`'s v2 token endpoint: `/{tenant}/oauth2/v2.0/token`.
pub fn token_path(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

/// `tenant`'s token endpoint, answering `answer` to one POST whose body matches `body`.
pub async fn token_endpoint(server: &mut Server, tenant: &str, body: Matcher, answer: &Value) -> Mock {
    answer_once(server, &token_path(tenant), body, answer.to_string()).await
}

/// `tenant`'s device authorization endpoint, answering `answer` (see [`device_code_answer`]) to one POST
/// whose body matches `body`.
pub async fn device_code_endpoint(server: &mut Server, tenant: &str, body: Matcher, answer: &Value) -> Mock {
    let path = format!("/{tenant}/oauth2/v2.0/devicecode");
    answer_once(server, &path, body, answer.to_string()).await
}

/// A device authorization answer with device code `DC` and user code `U`, polled every `interval`
/// seconds (`None`: the answer names none, and the client's default applies).
pub fn device_code_answer(interval: Option<u64>) -> Value {
    let mut answer = json!({
        "device_code": "DC", "user_code": "U", "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": 900,
    });
    if let Some(interval) = interval {
        answer["interval"] = json!(interval);
    }
    answer
}

/// A form body holding every one of `pairs` and a signed client assertion (a JWT, so `eyJ…`), as a
/// certificate's sign-in sends.
pub fn assertion_form(pairs: &[(&str, &str)]) -> Matcher {
    let mut all: Vec<Matcher> = pairs
        .iter()
        .map(|(k, v)| Matcher::UrlEncoded((*k).to_owned(), (*v).to_owned()))
        .collect();
    all.push(Matcher::Regex("client_assertion=eyJ".into()));
    Matcher::AllOf(all)
}

async fn answer_once(server: &mut Server, path: &str, body: Matcher, answer: String) -> Mock {
    server
        .mock("POST", path)
        .match_body(body)
        .with_body(answer)
        .expect(1)
        .create_async()
        .await
}

/// A temporary `MSCONNECT_HOME` whose certificate store (`certificates/`) holds the TEST-ONLY certificate.
#[derive(Debug)]
pub struct CertificateHome {
    /// The folder, removed when dropped.
    pub dir: tempfile::TempDir,
    /// The certificate's thumbprint (upper-case hex).
    pub thumbprint: String,
}

impl CertificateHome {
    /// A new folder with the certificate installed.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary MSCONNECT_HOME: {e}"));
        let thumbprint = super::install_test_certificate(&dir.path().join("certificates"));
        Self { dir, thumbprint }
    }

    /// The certificate store's folder, as error messages name it.
    pub fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("certificates")
    }

    /// Environment variables with `MSCONNECT_HOME` set to this folder.
    pub fn env(&self) -> EnvVars {
        EnvVars::from_pairs([("MSCONNECT_HOME", self.dir.path().display().to_string())])
    }
}

impl Default for CertificateHome {
    fn default() -> Self {
        Self::new()
    }
}
