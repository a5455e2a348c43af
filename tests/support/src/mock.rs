//! The Microsoft identity platform's endpoints on a mockito server, each answering exactly one request
//! (tests `assert_async` the returned mock), and the sign-in fixtures the product crates' tests share: an
//! application, a tenant and a user, and an `MSCONNECT_HOME` holding the TEST-ONLY certificate.

use mockito::{Matcher, Mock, Server, ServerGuard};
use serde_json::{Value, json};

use auth_core::EnvVars;

/// The application (client) id the tests sign in as.
pub const APP_ID: &str = "11111111-2222-3333-4444-555555555555";
/// The tenant the tests' users and applications belong to.
pub const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The object id of the tests' signed-in user.
pub const USER_OID: &str = "aaaaaaaa-0000-4000-8000-000000000001";

/// The user name of the tests' signed-in user.
pub const ADMIN: &str = "admin@contoso.com";
/// Microsoft Graph's default scope in the global cloud.
pub const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

/// A delegated token response for [`ADMIN`] ([`USER_OID`] in [`TENANT_ID`]) holding these tokens.
pub fn admin_token_response(access_token: &str, refresh_token: &str, scope: &str) -> Value {
    super::user_token_response(access_token, refresh_token, USER_OID, TENANT_ID, ADMIN, scope)
}

/// The access token [`MockAuthority::app_token`] answers with.
pub const APP_TOKEN: &str = "app-at";

/// The path of `tenant`'s v2 token endpoint: `/{tenant}/oauth2/v2.0/token`.
pub fn token_path(tenant: &str) -> String {
    format!("/{tenant}/oauth2/v2.0/token")
}

/// A mock Microsoft identity platform (a mockito server of the test's own): each endpoint it is given
/// answers exactly one request (tests `assert_async` the returned mock).
pub struct MockAuthority {
    /// The server, for endpoints of other services (a Partner Center API, a discovery document).
    pub server: ServerGuard,
}

impl std::fmt::Debug for MockAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAuthority").field("url", &self.url()).finish()
    }
}

impl MockAuthority {
    /// A new server on a free loopback port.
    pub async fn start() -> Self {
        Self {
            server: Server::new_async().await,
        }
    }

    /// The server's URL: the authority host to put in an environment.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `tenant`'s token endpoint, answering `answer` to one POST whose body matches `body`.
    pub async fn token(&mut self, tenant: &str, body: Matcher, answer: &Value) -> Mock {
        self.answer_once(&token_path(tenant), body, answer.to_string())
            .await
    }

    /// `tenant`'s token endpoint, answering one POST whose body matches `body` with an app-only token,
    /// [`APP_TOKEN`].
    pub async fn app_token(&mut self, tenant: &str, body: Matcher) -> Mock {
        self.token(tenant, body, &super::app_token_response(APP_TOKEN))
            .await
    }

    /// `tenant`'s device authorization endpoint, answering `answer` (see [`device_code_answer`]) to one
    /// POST whose body matches `body`.
    pub async fn device_code(&mut self, tenant: &str, body: Matcher, answer: &Value) -> Mock {
        let path = format!("/{tenant}/oauth2/v2.0/devicecode");
        self.answer_once(&path, body, answer.to_string()).await
    }

    async fn answer_once(&mut self, path: &str, body: Matcher, answer: String) -> Mock {
        self.server
            .mock("POST", path)
            .match_body(body)
            .with_body(answer)
            .expect(1)
            .create_async()
            .await
    }
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

/// The form of a client-credentials grant: `client_id` with its client `secret`, asking for `scope`.
pub fn client_secret_form(client_id: &str, secret: &str, scope: &str) -> Matcher {
    super::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
    ])
}

/// The form of a resource owner password grant: `client_id` signing `username` in with `password`,
/// asking for `scope`.
pub fn password_form(client_id: &str, username: &str, password: &str, scope: &str) -> Matcher {
    super::form(&[
        ("grant_type", "password"),
        ("client_id", client_id),
        ("username", username),
        ("password", password),
        ("scope", scope),
    ])
}

/// The form of a refresh token grant: `client_id` redeeming `refresh_token`, with the `more` fields.
pub fn refresh_token_form(client_id: &str, refresh_token: &str, more: &[(&str, &str)]) -> Matcher {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token),
    ];
    pairs.extend_from_slice(more);
    super::form(&pairs)
}

/// A form body holding every one of `pairs` and a signed client assertion (a JWT, so `eyJ…`, of the
/// jwt-bearer type), as a certificate's sign-in sends.
pub fn assertion_form(pairs: &[(&str, &str)]) -> Matcher {
    let bearer = (
        "client_assertion_type",
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    );
    let mut all: Vec<Matcher> = pairs
        .iter()
        .chain([&bearer])
        .map(|(k, v)| Matcher::UrlEncoded((*k).to_owned(), (*v).to_owned()))
        .collect();
    all.push(Matcher::Regex("client_assertion=eyJ".into()));
    Matcher::AllOf(all)
}

/// The `scope` a delegated sign-in sends for `scope`: with `openid profile offline_access`, so the
/// answer says who signed in and carries a refresh token.
pub fn delegated_scope(scope: &str) -> String {
    format!("{scope} openid profile offline_access")
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
