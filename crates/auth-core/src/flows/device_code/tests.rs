//! Device code sign-in against mockito on a fake clock: every polling outcome, with the exact number of
//! polls and the waits between them.

use std::sync::Mutex;
use std::time::Duration;

use mockito::{Matcher, Mock, Server};
use serde_json::json;

use super::*;
use crate::testing::{http_client, user_token_response};
use crate::{Tenant, Url};

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";

/// Records what the flow tells the person.
#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) events: Mutex<Vec<String>>,
}

impl Recorder {
    pub(crate) fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    fn push(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }
}

impl Interaction for Recorder {
    fn device_code(&self, challenge: &DeviceCodeChallenge) {
        self.push(format!("device_code {}", challenge.message));
    }

    fn waiting(&self, elapsed: Duration, remaining: Duration) {
        self.push(format!("waiting {}s {}s", elapsed.as_secs(), remaining.as_secs()));
    }

    fn browser_opened(&self, url: &str, redirect_uri: &str) {
        self.push(format!("browser_opened {url} {redirect_uri}"));
    }

    fn browser_failed(&self, url: &str, reason: &str) {
        self.push(format!("browser_failed {url} ({reason})"));
    }

    fn browser_unavailable(&self, reason: &str) {
        self.push(format!("browser_unavailable ({reason})"));
    }

    fn finished(&self) {
        self.push("finished".into());
    }
}

fn secs(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs(*s)).collect()
}

fn authority(server: &Server) -> Authority {
    Authority::new(&Url::parse(&server.url()).unwrap(), &Tenant::organizations()).unwrap()
}

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

const MESSAGE: &str = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.";

/// `/devicecode` answering with `extra` merged into Microsoft's usual answer.
pub(crate) async fn device_code_mock(server: &mut Server, extra: serde_json::Value) -> Mock {
    let mut body = json!({
        "user_code": "ABCD-EFGH",
        "device_code": "the-device-code",
        "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": 900,
        "interval": 5,
        "message": MESSAGE,
    });
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("client_id".into(), CLIENT.into()),
            Matcher::UrlEncoded(
                "scope".into(),
                "https://graph.microsoft.com/.default openid profile offline_access".into(),
            ),
        ]))
        .with_body(body.to_string())
        .expect(1)
        .create_async()
        .await
}

fn poll_body() -> Matcher {
    Matcher::AllOf(vec![
        Matcher::UrlEncoded("grant_type".into(), DEVICE_CODE_GRANT_TYPE.into()),
        Matcher::UrlEncoded("device_code".into(), "the-device-code".into()),
        Matcher::UrlEncoded("client_id".into(), CLIENT.into()),
        Matcher::UrlEncoded("client_info".into(), "1".into()),
    ])
}

/// `n` polls answered with the OAuth error `error`, in order after the mocks made before.
pub(crate) async fn poll_error(server: &mut Server, error: &str, code: i64, n: usize) -> Mock {
    server
        .mock("POST", TOKEN_PATH)
        .match_body(poll_body())
        .with_status(400)
        .with_body(
            json!({
                "error": error,
                "error_description": format!("AADSTS{code}: {error}.\r\nTrace ID: 00000000-0000-0000-0000-000000000001"),
                "error_codes": [code],
                "correlation_id": "9a8b7c6d-0000-4000-8000-000000000002",
            })
            .to_string(),
        )
        .expect(n)
        .create_async()
        .await
}

pub(crate) async fn poll_success(server: &mut Server) -> Mock {
    server
        .mock("POST", TOKEN_PATH)
        .match_body(poll_body())
        .with_body(
            user_token_response(
                "user-at",
                "user-rt",
                "oid-1",
                "tid-1",
                "admin@contoso.com",
                "https://graph.microsoft.com/.default openid profile offline_access",
            )
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await
}

async fn sign_in(server: &Server, recorder: &Recorder, http: &HttpClient) -> Result<TokenResult> {
    let a = authority(server);
    DeviceCodeFlow::new(&a, &client())
        .scopes(["https://graph.microsoft.com/.default"])
        .interaction(recorder)
        .send(http)
        .await
}

#[tokio::test]
async fn pending_polls_wait_the_interval_until_the_person_signs_in() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let pending = poll_error(&mut server, "authorization_pending", 70016, 2).await;
    let success = poll_success(&mut server).await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let result = sign_in(&server, &recorder, &http).await.unwrap();
    assert_eq!(result.access_token.secret(), "user-at");
    assert_eq!(result.account.unwrap().username, "admin@contoso.com");
    assert_eq!(result.scopes, ["https://graph.microsoft.com/.default"]);
    assert_eq!(timer.sleeps(), secs(&[5, 5, 5]));
    insta::assert_snapshot!(recorder.events().join("\n"), @r"
    device_code To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-EFGH to authenticate.
    waiting 5s 895s
    waiting 10s 890s
    finished
    ");
    device.assert_async().await;
    pending.assert_async().await;
    success.assert_async().await;
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_every_later_wait() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let slow = poll_error(&mut server, "slow_down", 70016, 1).await;
    let pending = poll_error(&mut server, "authorization_pending", 70016, 1).await;
    let slower = poll_error(&mut server, "slow_down", 70016, 1).await;
    let success = poll_success(&mut server).await;
    let (http, timer) = http_client();
    sign_in(&server, &Recorder::default(), &http).await.unwrap();
    assert_eq!(timer.sleeps(), secs(&[5, 10, 10, 15]));
    for mock in [device, slow, pending, slower, success] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn the_interval_is_five_seconds_when_the_authority_does_not_say() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "interval": null, "message": null })).await;
    let success = poll_success(&mut server).await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    sign_in(&server, &recorder, &http).await.unwrap();
    assert_eq!(timer.sleeps(), secs(&[5]));
    // without a message from the authority, one is written from the page and the code
    assert_eq!(recorder.events()[0], format!("device_code {MESSAGE}"));
    device.assert_async().await;
    success.assert_async().await;
}

#[tokio::test]
async fn a_declined_sign_in_ends_the_polling_with_the_servers_answer_kept() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let pending = poll_error(&mut server, "authorization_pending", 70016, 1).await;
    let declined = poll_error(&mut server, "authorization_declined", 70000, 1).await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let error = sign_in(&server, &recorder, &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"sign-in was declined on the device code page");
    assert_eq!(
        error.server().unwrap().correlation_id.as_deref(),
        Some("9a8b7c6d-0000-4000-8000-000000000002")
    );
    assert_eq!(timer.sleeps(), secs(&[5, 5]));
    assert_eq!(recorder.events().last().unwrap(), "finished");
    for mock in [device, pending, declined] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn a_bad_verification_code_ends_the_polling() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let bad = poll_error(&mut server, "bad_verification_code", 70019, 1).await;
    let (http, timer) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the authority did not recognise the device code: sign in again");
    assert_eq!(error.server().unwrap().error, "bad_verification_code");
    assert_eq!(timer.sleeps(), secs(&[5]));
    device.assert_async().await;
    bad.assert_async().await;
}

#[tokio::test]
async fn an_expired_token_answer_ends_the_polling() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let pending = poll_error(&mut server, "authorization_pending", 70016, 3).await;
    let expired = poll_error(&mut server, "expired_token", 70020, 1).await;
    let (http, timer) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    // issue 18: the time really waited, not the 15 minutes first announced
    insta::assert_snapshot!(error, @"the authority expired the device code ABCD-EFGH after 20 seconds (it was to last 15 minutes), before sign-in completed: sign in again");
    assert!(matches!(error, Error::TimedOut(_)));
    assert_eq!(timer.sleeps(), secs(&[5, 5, 5, 5]));
    for mock in [device, pending, expired] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn polling_stops_when_expires_in_is_reached_without_an_extra_poll() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "expires_in": 12 })).await;
    let pending = poll_error(&mut server, "authorization_pending", 70016, 2).await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let error = sign_in(&server, &recorder, &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the device code ABCD-EFGH expired after 12 seconds before sign-in completed: sign in again");
    // 5 + 5 + the last 2 seconds: the wait ends at expiry, with no poll after it
    assert_eq!(timer.sleeps(), secs(&[5, 5, 2]));
    insta::assert_snapshot!(recorder.events()[1..].join("\n"), @r"
    waiting 5s 7s
    waiting 10s 2s
    finished
    ");
    device.assert_async().await;
    pending.assert_async().await;
}

#[tokio::test]
async fn other_errors_pass_through_with_their_hint() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let confidential = poll_error(&mut server, "invalid_client", 7000218, 1).await;
    let (http, _) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"invalid_client: AADSTS7000218: invalid_client. (hint: the application is confidential: pass a client secret or certificate, or enable public client flows in the app registration) [correlation id 9a8b7c6d-0000-4000-8000-000000000002]");
    device.assert_async().await;
    confidential.assert_async().await;
}

#[tokio::test]
async fn a_devicecode_answer_without_a_device_code_is_refused_before_polling() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "device_code": null })).await;
    let never = server.mock("POST", TOKEN_PATH).expect(0).create_async().await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let error = sign_in(&server, &recorder, &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the device code response is not a valid token: it has no device_code");
    assert!(timer.sleeps().is_empty() && recorder.events().is_empty());
    device.assert_async().await;
    never.assert_async().await;
}

#[tokio::test]
async fn a_claims_challenge_is_sent_and_must_be_json() {
    let mut server = Server::new_async().await;
    let claims = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;
    let device = server
        .mock("POST", "/organizations/oauth2/v2.0/devicecode")
        .match_body(Matcher::UrlEncoded("claims".into(), claims.into()))
        .with_body(
            json!({"user_code": "U", "device_code": "the-device-code", "verification_uri": "https://v"})
                .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let success = poll_success(&mut server).await;
    let (http, _) = http_client();
    let (a, c) = (authority(&server), client());
    let flow = || DeviceCodeFlow::new(&a, &c).interaction(&crate::SilentInteraction);
    flow().claims(claims).send(&http).await.unwrap();
    let error = flow().claims("mfa").send(&http).await.unwrap_err();
    insta::assert_snapshot!(error, @r#"invalid value for claims: a claims challenge is a JSON object such as {"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#);
    device.assert_async().await;
    success.assert_async().await;
}

#[test]
fn the_challenge_never_shows_its_device_code() {
    let challenge = DeviceCodeChallenge::from_response(&json!({
        "user_code": "ABCD-EFGH", "device_code": "the-device-code", "verification_url": "https://microsoft.com/devicelogin",
        "expires_in": "900", "interval": "5", "message": "m",
    }))
    .unwrap();
    insta::assert_snapshot!(format!("{challenge:?}"), @r#"DeviceCodeChallenge { user_code: "ABCD-EFGH", verification_uri: "https://microsoft.com/devicelogin", message: "m", expires_in: 900s, interval: 5s, device_code: DeviceCode([redacted]) }"#);
}

#[test]
fn the_flow_can_be_awaited_on_any_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let authority = Authority::from_host("https://login.microsoftonline.com", &Tenant::common()).unwrap();
    let (http, _) = http_client();
    let client = client();
    assert_send(&DeviceCodeFlow::new(&authority, &client).send(&http));
}

#[tokio::test]
async fn a_code_the_authority_expires_after_a_second_is_said_to_have_lasted_a_second() {
    // issue 18: the message said "expired after 15 minutes" when the server expired the code after 1 s
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "interval": 1 })).await;
    let expired = poll_error(&mut server, "expired_token", 70020, 1).await;
    let (http, _) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the authority expired the device code ABCD-EFGH after 1 second (it was to last 15 minutes), before sign-in completed: sign in again");
    device.assert_async().await;
    expired.assert_async().await;

    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "expires_in": 1 })).await;
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the device code ABCD-EFGH expired after 1 second before sign-in completed: sign in again");
    device.assert_async().await;
}

#[tokio::test]
async fn extreme_numbers_in_the_devicecode_answer_are_clamped_to_a_day() {
    // a hostile authority: a lifetime and an interval past any clock, and slow_down on top
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "expires_in": 1e19, "interval": 3 })).await;
    let slow = poll_error(&mut server, "slow_down", 70016, 1).await;
    let expired = poll_error(&mut server, "expired_token", 70020, 1).await;
    let (http, timer) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the authority expired the device code ABCD-EFGH after 11 seconds (it was to last 1440 minutes), before sign-in completed: sign in again");
    assert_eq!(timer.sleeps(), secs(&[3, 8]));
    for mock in [device, slow, expired] {
        mock.assert_async().await;
    }

    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({ "interval": i64::MAX })).await;
    let (http, timer) = http_client();
    let error = sign_in(&server, &Recorder::default(), &http).await.unwrap_err();
    insta::assert_snapshot!(error, @"the device code ABCD-EFGH expired after 15 minutes before sign-in completed: sign in again");
    assert_eq!(
        timer.sleeps(),
        secs(&[900]),
        "no poll: the interval outlasts the code"
    );
    device.assert_async().await;
}

#[tokio::test]
async fn a_huge_message_is_cut_before_it_is_shown() {
    let mut server = Server::new_async().await;
    let device = device_code_mock(
        &mut server,
        json!({ "message": "m".repeat(100_000), "expires_in": 1 }),
    )
    .await;
    let (http, _) = http_client();
    let recorder = Recorder::default();
    let _ = sign_in(&server, &recorder, &http).await.unwrap_err();
    let shown = &recorder.events()[0];
    assert!(shown.len() < 4200, "{}", shown.len());
    assert!(
        shown.ends_with("… [95904 more bytes cut]"),
        "{}",
        &shown[shown.len() - 30..]
    );
    device.assert_async().await;
}

mod properties {
    //! No `/devicecode` answer or OAuth error body, however malformed, makes the parsers panic, and what
    //! they keep to show is bounded.

    use proptest::prelude::*;

    use super::*;
    use crate::http::MAX_SERVER_TEXT;

    fn any_scalar() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(|n| serde_json::Value::from(n.to_string())),
            ".{0,30}".prop_map(serde_json::Value::from),
            (0usize..3).prop_map(|n| serde_json::Value::from("\u{1b}[2J".repeat(n * 2_000))),
        ]
    }

    proptest! {
        #[test]
        fn any_devicecode_answer_is_read_or_refused_and_bounded(
            fields in prop::collection::btree_map(
                prop_oneof![
                    Just("device_code".to_owned()), Just("user_code".to_owned()),
                    Just("verification_uri".to_owned()), Just("verification_url".to_owned()),
                    Just("message".to_owned()), Just("expires_in".to_owned()),
                    Just("interval".to_owned()), ".{0,8}",
                ],
                any_scalar(),
                0..9,
            ),
        ) {
            let json = serde_json::Value::Object(fields.into_iter().collect());
            if let Ok(challenge) = DeviceCodeChallenge::from_response(&json) {
                prop_assert!(challenge.expires_in <= MAX_EXPIRES_IN && challenge.interval <= MAX_EXPIRES_IN);
                prop_assert!(challenge.message.len() <= MAX_SERVER_TEXT + 40);
                prop_assert!(challenge.user_code.len() <= MAX_SERVER_TEXT + 40);
            }
        }

        #[test]
        fn any_error_body_is_parsed_or_not_and_what_is_shown_is_bounded(
            body in prop_oneof![
                ".{0,100}",
                (".{0,20}", 0usize..20_000).prop_map(|(word, n)| {
                    serde_json::json!({"error": word, "error_description": "d".repeat(n),
                        "error_codes": [1, 2], "suberror": word.repeat(n.min(500))}).to_string()
                }),
            ],
            status in any::<u16>(),
        ) {
            if let Some(error) = crate::ServerError::parse(status, &body) {
                prop_assert!(!error.error.is_empty());
                let shown = error.error_description.as_deref().unwrap_or_default();
                prop_assert!(shown.len() <= MAX_SERVER_TEXT + 40);
                let _ = (error.summary(), error.aadsts(), error.hint());
            }
        }
    }
}
