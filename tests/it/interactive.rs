//! The interactive flows as a product crate uses them: only auth-core's public API, an `Interaction` of
//! its own (as the CLI has), and the test helpers of `msconnect-test-support`.

use std::sync::Mutex;
use std::time::Duration;

use auth_core::{Authority, ClientId, DeviceCodeChallenge, DeviceCodeFlow, Interaction, Tenant, Url};
use mockito::{Matcher, Server};
use serde_json::json;
use test_support::{http_client, user_token_response};

/// What a terminal would have shown.
#[derive(Default)]
struct Shown(Mutex<Vec<String>>);

impl Interaction for Shown {
    fn device_code(&self, challenge: &DeviceCodeChallenge) {
        self.0.lock().unwrap().push(challenge.message.clone());
    }
}

#[tokio::test]
async fn device_code_sign_in_takes_a_few_lines() {
    let mut server = Server::new_async().await;
    let device = server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .match_body(Matcher::UrlEncoded("client_id".into(), "a0c73c16-a7e3-4564-9a95-2bdf47383716".into()))
        .with_body(
            json!({"user_code": "U1", "device_code": "D1", "verification_uri": "https://microsoft.com/devicelogin",
                   "expires_in": 900, "interval": 5, "message": "Open https://microsoft.com/devicelogin and enter U1."})
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let token = server
        .mock("POST", "/organizations/oauth2/v2.0/token")
        .match_body(Matcher::UrlEncoded("device_code".into(), "D1".into()))
        .with_body(
            user_token_response(
                "at",
                "rt",
                "oid",
                "tid",
                "admin@contoso.com",
                "https://outlook.office365.com/.default",
            )
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let (http, timer) = http_client();
    let shown = Shown::default();

    let authority = Authority::new(&Url::parse(&server.url()).unwrap(), &Tenant::organizations()).unwrap();
    let client_id = ClientId::parse("a0c73c16-a7e3-4564-9a95-2bdf47383716").unwrap();
    let result = DeviceCodeFlow::new(&authority, &client_id)
        .scopes(["https://outlook.office365.com/.default"])
        .interaction(&shown)
        .send(&http)
        .await
        .unwrap();

    assert_eq!(result.account.unwrap().username, "admin@contoso.com");
    assert_eq!(result.scopes, ["https://outlook.office365.com/.default"]);
    assert_eq!(
        *shown.0.lock().unwrap(),
        ["Open https://microsoft.com/devicelogin and enter U1."]
    );
    assert_eq!(timer.sleeps(), [Duration::from_secs(5)]);
    device.assert_async().await;
    token.assert_async().await;
}
