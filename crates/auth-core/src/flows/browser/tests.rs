//! Browser sign-in against mockito, with a test "user agent" that opens the start address it is given,
//! follows it to the authorize URL, and comes back to the loopback listener with the cookie, as a
//! signed-in person's browser would.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use mockito::{Matcher, Mock, Server};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::task::JoinHandle;

use super::*;
use crate::flows::device_code::tests::{Recorder, device_code_mock, poll_success};
use crate::http::HttpOptions;
use crate::testing::{NOW, b64, http_client, id_token_claims, jwt, user_token_response};
use crate::time::{Sleep, Timer, from_epoch_seconds};
use crate::{Tenant, Url};

const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const TOKEN_PATH: &str = "/organizations/oauth2/v2.0/token";
const AUTHORIZE_PATH: &str = "/organizations/oauth2/v2.0/authorize";

/// A clock standing still at [`NOW`] whose sleeps never end: the listener's timeout cannot fire while
/// the user agent is out, whatever the scheduling.
#[derive(Default)]
struct HeldTimer;

impl Timer for HeldTimer {
    fn now(&self) -> SystemTime {
        from_epoch_seconds(NOW)
    }

    fn sleep(&self, _duration: Duration) -> Sleep {
        Box::pin(std::future::pending())
    }
}

fn held_http() -> HttpClient {
    HttpClient::new(HttpOptions {
        env: crate::EnvVars::default(),
        timer: Arc::new(HeldTimer),
        ..HttpOptions::default()
    })
    .unwrap()
}

fn authority(server: &Server) -> Authority {
    Authority::new(&Url::parse(&server.url()).unwrap(), &Tenant::organizations()).unwrap()
}

/// A generic OpenID Connect authority on the mock server, as its discovery document names it (issuer
/// `{server}/issuer`); `iss_supported` is its `authorization_response_iss_parameter_supported`.
fn discovered(server: &Server, iss_supported: bool) -> Authority {
    let base = server.url();
    let document = crate::authority::DiscoveryDocument {
        issuer: Some(format!("{base}/issuer")),
        authorization_endpoint: format!("{base}{AUTHORIZE_PATH}"),
        token_endpoint: format!("{base}{TOKEN_PATH}"),
        device_authorization_endpoint: None,
        authorization_response_iss_parameter_supported: Some(iss_supported),
    };
    Authority::from_discovery(&Url::parse(&format!("{base}/issuer")).unwrap(), &document).unwrap()
}

/// A browser sign-in for Graph to `authority`, `agent` playing the browser, with `prompt` if given.
async fn sign_in(authority: &Authority, agent: &UserAgent, prompt: Option<&str>) -> Result<TokenResult> {
    let http = held_http();
    let c = client();
    let mut flow = InteractiveBrowser::new(authority, &c)
        .scopes(["https://graph.microsoft.com/.default"])
        .opener(agent)
        .interaction(&crate::SilentInteraction);
    if let Some(prompt) = prompt {
        flow = flow.prompt(prompt);
    }
    within_a_few_seconds(flow.send(&http)).await
}

fn client() -> ClientId {
    ClientId::parse(CLIENT).unwrap()
}

/// What the person's browser does once the authorize page has signed them in.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// Redirects with the code and the state it was given.
    Code,
    /// Redirects with a code and a state of its own (another user, a web page), then properly.
    WrongState,
    /// Redirects with an error (the person declined consent).
    Error,
    /// Asks for a favicon, for `/`, for `/` with a code but no state, and for another start address,
    /// then redirects properly.
    StrayThenCode,
    /// Never comes back.
    Nothing,
    /// Redirects with the code, the state and this `iss` (RFC 9207), or none.
    Issuer(Option<&'static str>),
    /// Opens the start address a second time (as the browser would after another user opened it first).
    StartAgain,
    /// Redirects with the code and the state but without the cookie (someone else who learnt the state).
    NoCookie,
}

/// The test user agent, and what it saw.
struct UserAgent {
    answer: Answer,
    /// The start address it was given.
    start: Mutex<String>,
    /// The start address's answer, whole.
    started: Arc<Mutex<String>>,
    /// The authorize URL the start address sent it to.
    url: Arc<Mutex<String>>,
    /// The authorize URL's query, shared with the token mock.
    query: Arc<Mutex<BTreeMap<String, String>>>,
    /// The pages the listener served after the start address, once the visit is over.
    visit: Mutex<Option<JoinHandle<Vec<String>>>>,
}

impl UserAgent {
    fn new(answer: Answer) -> Self {
        Self {
            answer,
            start: Mutex::default(),
            started: Arc::default(),
            url: Arc::default(),
            query: Arc::default(),
            visit: Mutex::default(),
        }
    }

    fn query(&self) -> BTreeMap<String, String> {
        self.query.lock().unwrap().clone()
    }

    /// The listener's port, from the start address.
    fn port(&self) -> u16 {
        Url::parse(&self.start.lock().unwrap()).unwrap().port().unwrap()
    }

    async fn pages(&self) -> Vec<String> {
        let visit = self.visit.lock().unwrap().take().expect("the browser was opened");
        visit.await.unwrap()
    }
}

impl BrowserOpener for UserAgent {
    fn open(&self, url: &str) -> io::Result<()> {
        *self.start.lock().unwrap() = url.to_owned();
        let start = Url::parse(url).unwrap();
        assert_eq!(
            (start.scheme(), start.host_str(), start.query()),
            ("http", Some("localhost"), None)
        );
        assert!(start.path().starts_with("/start/"), "{url}");
        let port = start.port().unwrap();
        let start_path = start.path().to_owned();
        let (answer, started, authorize, shared_query) = (
            self.answer,
            self.started.clone(),
            self.url.clone(),
            self.query.clone(),
        );
        *self.visit.lock().unwrap() = Some(tokio::spawn(async move {
            let response = fetch(port, &start_path, None).await;
            *started.lock().unwrap() = response.clone();
            // none when the sign-in ended before the visit (a test of timeouts or cancellation)
            let (Some(location), Some(cookie)) = (
                header(&response, "location"),
                header(&response, "set-cookie").and_then(|value| value.split(';').next().map(str::to_owned)),
            ) else {
                return vec![response];
            };
            *authorize.lock().unwrap() = location.clone();
            let url = Url::parse(&location).unwrap();
            let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
            *shared_query.lock().unwrap() = query.clone();
            let redirect = Url::parse(&query["redirect_uri"]).unwrap();
            assert_eq!(
                (
                    redirect.scheme(),
                    redirect.host_str(),
                    redirect.port(),
                    redirect.path()
                ),
                ("http", Some("localhost"), Some(port), "/")
            );
            let state = &query["state"];
            let redirect = format!("/?code=the-code&state={state}&session_state=s1");
            let paths = match answer {
                Answer::Code => vec![redirect],
                Answer::WrongState => vec!["/?code=stolen-code&state=someone-elses".into(), redirect],
                Answer::Error => vec![format!(
                    "/?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent+%3Cb%3Enow%3C%2Fb%3E.\
                     %0D%0ATrace+ID%3A+x&error_subcode=cancel&state={state}"
                )],
                Answer::StrayThenCode => vec![
                    "/favicon.ico".into(),
                    "/".into(),
                    "/?code=the-code".into(),
                    "/start/not-this-one".into(),
                    redirect,
                ],
                Answer::Nothing => vec![],
                Answer::Issuer(None) => vec![format!("/?code=the-code&state={state}")],
                Answer::Issuer(Some(iss)) => vec![format!(
                    "/?code=the-code&state={state}&iss={}",
                    url::form_urlencoded::byte_serialize(iss.as_bytes()).collect::<String>()
                )],
                Answer::StartAgain => vec![start_path],
                Answer::NoCookie => {
                    return vec![get(port, &redirect, None).await];
                }
            };
            let mut pages = Vec::new();
            for path in paths {
                pages.push(get(port, &path, Some(&cookie)).await);
            }
            pages
        }));
        Ok(())
    }
}

/// A GET as a browser sends it, with `cookie` (`name=value`) if given: the whole response.
async fn fetch(port: u16, path: &str, cookie: Option<&str>) -> String {
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return String::new();
    };
    let cookie = cookie
        .map(|c| format!("Cookie: other=1; {c}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: test\r\n{cookie}Accept: text/html\r\n\r\n"
    );
    let mut response = String::new();
    // a connection the listener dropped (the sign-in is over) reads as empty
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let _ = stream.read_to_string(&mut response).await;
    }
    response
}

/// A response header's value.
fn header(response: &str, name: &str) -> Option<String> {
    response
        .split("\r\n\r\n")
        .next()?
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_owned())
}

/// A GET as a browser sends it, summarised as `status line | title | text`.
async fn get(port: u16, path: &str, cookie: Option<&str>) -> String {
    let response = fetch(port, path, cookie).await;
    let between = |open: &str, close: &str| {
        response
            .split_once(open)
            .and_then(|(_, rest)| rest.split_once(close))
            .map(|(inside, _)| inside.to_owned())
            .unwrap_or_default()
    };
    format!(
        "{} | {} | {}",
        response.lines().next().unwrap_or_default(),
        between("<h1>", "</h1>"),
        between("<p>", "</p>")
    )
}

/// The authorization code redemption: checks PKCE and the redirect URI against what the user agent saw,
/// and answers with an ID token carrying `nonce` (the one sent, unless the test says otherwise).
async fn token_mock(
    server: &mut Server,
    agent: &UserAgent,
    nonce: Option<&'static str>,
    extra: &[(&str, &str)],
    hits: usize,
) -> Mock {
    let query = agent.query.clone();
    let extra = extra
        .iter()
        .map(|(k, v)| Matcher::UrlEncoded((*k).into(), (*v).into()));
    server
        .mock("POST", TOKEN_PATH)
        .match_body(Matcher::AllOf(extra.chain([
            Matcher::UrlEncoded("grant_type".into(), "authorization_code".into()),
            Matcher::UrlEncoded("code".into(), "the-code".into()),
            Matcher::UrlEncoded("client_id".into(), CLIENT.into()),
            Matcher::UrlEncoded("client_info".into(), "1".into()),
            Matcher::UrlEncoded(
                "scope".into(),
                "https://graph.microsoft.com/.default openid profile offline_access".into(),
            ),
            Matcher::Regex("code_verifier=[A-Za-z0-9_-]{43}(&|$)".into()),
        ]).collect()))
        .with_body_from_request(move |request| {
            let form: BTreeMap<String, String> =
                url::form_urlencoded::parse(request.body().unwrap()).into_owned().collect();
            let query = query.lock().unwrap();
            let digest = ring::digest::digest(&ring::digest::SHA256, form["code_verifier"].as_bytes());
            let pkce_ok = b64(digest.as_ref()) == query["code_challenge"];
            let redirect_ok = form["redirect_uri"] == query["redirect_uri"];
            if !(pkce_ok && redirect_ok) {
                return json!({ "error": "invalid_grant", "error_description": format!("pkce ok: {pkce_ok}, redirect ok: {redirect_ok}") })
                    .to_string()
                    .into_bytes();
            }
            let mut claims = id_token_claims("oid-1", "tid-1", "admin@contoso.com");
            claims["nonce"] = json!(nonce.unwrap_or(&query["nonce"]));
            let mut body = user_token_response(
                "user-at",
                "user-rt",
                "oid-1",
                "tid-1",
                "admin@contoso.com",
                "https://graph.microsoft.com/.default",
            );
            body["id_token"] = json!(jwt(&claims));
            body.to_string().into_bytes()
        })
        .expect(hits)
        .create_async()
        .await
}

/// Fails a test that would otherwise hang on a broken listener.
async fn within_a_few_seconds<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), future)
        .await
        .expect("the sign-in finished")
}

fn shown_query(query: &BTreeMap<String, String>) -> String {
    query
        .iter()
        .map(|(k, v)| match k.as_str() {
            "state" | "nonce" | "code_challenge" => format!("{k}=<{} characters>", v.len()),
            "redirect_uri" => format!("{k}={}", v.replace(&port_of(query).to_string(), "<port>")),
            _ => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn port_of(query: &BTreeMap<String, String>) -> u16 {
    Url::parse(&query["redirect_uri"]).unwrap().port().unwrap()
}

#[tokio::test]
async fn the_browser_signs_in_with_pkce_state_and_nonce() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Code);
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    let http = held_http();
    let recorder = Recorder::default();
    let a = authority(&server);
    let c = client();
    let result = within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .scopes(["https://graph.microsoft.com/.default"])
            .opener(&agent)
            .interaction(&recorder)
            .send(&http),
    )
    .await
    .unwrap();

    assert_eq!(result.access_token.secret(), "user-at");
    assert_eq!(result.refresh_token.unwrap().secret(), "user-rt");
    assert_eq!(result.account.unwrap().home_account_id, "oid-1.tid-1");
    assert_eq!(result.scopes, ["https://graph.microsoft.com/.default"]);
    let query = agent.query();
    insta::assert_snapshot!(shown_query(&query), @r"
    client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46
    code_challenge=<43 characters>
    code_challenge_method=S256
    nonce=<22 characters>
    redirect_uri=http://localhost:<port>/
    response_type=code
    scope=https://graph.microsoft.com/.default openid profile offline_access
    state=<22 characters>
    ");
    assert_ne!(query["state"], query["nonce"]);
    insta::assert_snapshot!(agent.pages().await.join("\n"), @"HTTP/1.1 200 OK | Signed in | You are signed in. You can close this window and return to the terminal.");
    let url = agent.url.lock().unwrap().clone();
    assert!(
        url.starts_with(&format!(
            "{}{AUTHORIZE_PATH}?client_id={CLIENT}&response_type=code&",
            server.url()
        )),
        "{url}"
    );
    // issue 26: the browser is given a start address on the listener, which holds nothing of the
    // authorize URL, and is sent on to that URL with a cookie that only its answer brings back
    let port = port_of(&query);
    let start = agent.start.lock().unwrap().clone();
    let random = start
        .strip_prefix(&format!("http://localhost:{port}/start/"))
        .unwrap_or_else(|| panic!("{start}"));
    assert_eq!(random.len(), 43, "{start}");
    for secret in [&query["state"], &query["nonce"], &query["code_challenge"]] {
        assert!(!start.contains(secret.as_str()), "{start}");
    }
    assert_eq!(
        recorder.events(),
        [
            format!("browser_opened {start} http://localhost:{port}/"),
            "finished".to_owned()
        ]
    );
    let started = agent.started.lock().unwrap().clone();
    assert_eq!(header(&started, "location").as_deref(), Some(url.as_str()));
    let cookie = header(&started, "set-cookie").unwrap();
    let value = cookie
        .strip_prefix(&format!("msconnect-signin-{port}="))
        .and_then(|rest| rest.split_once(';'))
        .map(|(value, _)| value.to_owned())
        .unwrap_or_else(|| panic!("{cookie}"));
    assert_eq!(value.len(), 43);
    assert_ne!(value, random, "the cookie is not the address");
    insta::assert_snapshot!(
        started.replace(&value, "<cookie>").replace(&url, "<authorize URL>").replace(&port.to_string(), "<port>"),
        @r"
    HTTP/1.1 302 Found
    Location: <authorize URL>
    Set-Cookie: msconnect-signin-<port>=<cookie>; Path=/; Max-Age=300; HttpOnly; SameSite=Lax
    Referrer-Policy: no-referrer
    Cache-Control: no-store
    Content-Length: 0
    Connection: close
    "
    );
    token.assert_async().await;
}

/// issue 26: whoever opens the start address first gets the state and the challenge; the browser's visit
/// after them ends the sign-in, and nothing is redeemed.
#[tokio::test]
async fn a_second_visit_to_the_start_address_ends_the_sign_in() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::StartAgain);
    let token = token_mock(&mut server, &agent, None, &[], 0).await;
    let error = sign_in(&authority(&server), &agent, None).await.unwrap_err();
    insta::assert_snapshot!(error, @"the sign-in address was opened twice, so the sign-in was stopped: another program or user may have opened it first; sign in again");
    insta::assert_snapshot!(agent.pages().await.join("\n"), @"HTTP/1.1 400 Bad Request | Sign-in failed | This sign-in address was already used, so the sign-in was stopped. Return to the terminal for details.");
    token.assert_async().await;
}

/// issue 26: this sign-in's state without the start address's cookie came from someone who is not the
/// browser (the state leaked): the sign-in ends and the code is not redeemed.
#[tokio::test]
async fn an_answer_without_the_cookie_ends_the_sign_in() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::NoCookie);
    let token = token_mock(&mut server, &agent, None, &[], 0).await;
    let error = sign_in(&authority(&server), &agent, None).await.unwrap_err();
    insta::assert_snapshot!(error, @"the sign-in answer came without the cookie of the browser the sign-in was started in, so it was refused and the sign-in stopped: another program or user may have read the sign-in address; sign in again");
    insta::assert_snapshot!(agent.pages().await.join("\n"), @"HTTP/1.1 400 Bad Request | Sign-in failed | The answer did not come from the browser this sign-in was started in. Return to the terminal for details.");
    token.assert_async().await;
}

#[tokio::test]
async fn prompt_hints_claims_and_amr_values_are_passed_through() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Code);
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    let http = held_http();
    let a = authority(&server);
    let c = client();
    within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .scopes(["https://graph.microsoft.com/.default"])
            .prompt("select_account")
            .login_hint("admin@contoso.com")
            .domain_hint("contoso.com")
            .claims(r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#)
            .amr_values(["mfa"])
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    )
    .await
    .unwrap();
    let query = agent.query();
    let passed: Vec<String> = ["prompt", "login_hint", "domain_hint", "claims", "amr_values"]
        .iter()
        .map(|k| format!("{k}={}", query[*k]))
        .collect();
    insta::assert_snapshot!(passed.join("\n"), @r#"
    prompt=select_account
    login_hint=admin@contoso.com
    domain_hint=contoso.com
    claims={"access_token":{"acrs":{"essential":true,"value":"c1"}}}
    amr_values=mfa
    "#);
    token.assert_async().await;
}

/// An answer with another state (from another local user, or any web page open in the browser) is refused
/// and its code never redeemed, but it does not end the sign-in: the real answer that follows completes it.
#[tokio::test]
async fn an_answer_with_another_state_is_refused_and_the_sign_in_goes_on() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::WrongState);
    let stolen = server
        .mock("POST", TOKEN_PATH)
        .match_body(Matcher::UrlEncoded("code".into(), "stolen-code".into()))
        .expect(0)
        .create_async()
        .await;
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    let result = sign_in(&authority(&server), &agent, None).await.unwrap();
    assert_eq!(result.access_token.secret(), "user-at");
    insta::assert_snapshot!(agent.pages().await[0], @"HTTP/1.1 400 Bad Request | Sign-in failed | The answer does not belong to this sign-in. Return to the terminal for details.");
    stolen.assert_async().await;
    token.assert_async().await;
}

#[tokio::test]
async fn a_generic_issuer_is_asked_for_consent_and_its_iss_is_checked() {
    let mut server = Server::new_async().await;
    let issuer = format!("{}/issuer", server.url());
    let issuer: &'static str = issuer.leak();
    let agent = UserAgent::new(Answer::Issuer(Some(issuer)));
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    let result = sign_in(&discovered(&server, true), &agent, None).await.unwrap();
    assert_eq!(result.refresh_token.unwrap().secret(), "user-rt");
    // without it an OpenID Connect authority grants no refresh token (OIDC Core §11)
    assert_eq!(agent.query()["prompt"], "consent");
    insta::assert_snapshot!(agent.pages().await.join("\n"), @"HTTP/1.1 200 OK | Signed in | You are signed in. You can close this window and return to the terminal.");
    token.assert_async().await;
}

#[tokio::test]
async fn a_prompt_the_caller_chose_is_sent_to_a_generic_issuer_unchanged() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Code);
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    sign_in(&discovered(&server, false), &agent, Some("login"))
        .await
        .unwrap();
    let query = agent.query();
    assert_eq!(query["prompt"], "login");
    token.assert_async().await;
}

#[tokio::test]
async fn an_answer_naming_another_issuer_or_none_where_one_is_promised_is_refused() {
    for (answer, iss_supported, expected) in [
        (
            Answer::Issuer(Some("http://127.0.0.1:1/evil")),
            false,
            "the browser's answer names the issuer 'http://127.0.0.1:1/evil', not '[issuer]' where this sign-in \
             went (RFC 9207), so it was refused: sign in again",
        ),
        (
            Answer::Issuer(None),
            true,
            "the browser's answer has no iss although [issuer] promises one \
             (authorization_response_iss_parameter_supported, RFC 9207), so it was refused: sign in again",
        ),
    ] {
        let mut server = Server::new_async().await;
        let agent = UserAgent::new(answer);
        let token = token_mock(&mut server, &agent, None, &[], 0).await;
        let error = sign_in(&discovered(&server, iss_supported), &agent, None)
            .await
            .unwrap_err();
        let issuer = format!("{}/issuer", server.url());
        assert_eq!(error.to_string().replace(&issuer, "[issuer]"), expected);
        assert_eq!(
            agent.pages().await,
            [
                "HTTP/1.1 400 Bad Request | Sign-in failed | The answer does not come from the authority this \
              sign-in went to. Return to the terminal for details."
            ]
        );
        token.assert_async().await;
    }
}

#[tokio::test]
async fn a_microsoft_authority_is_sent_no_prompt_and_its_answers_need_no_iss() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Issuer(None));
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    sign_in(&authority(&server), &agent, None).await.unwrap();
    assert_eq!(agent.query().get("prompt"), None);
    token.assert_async().await;
}

#[tokio::test]
async fn an_error_on_the_redirect_is_reported_with_its_description() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Error);
    let token = token_mock(&mut server, &agent, None, &[], 0).await;
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let error = within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    )
    .await
    .unwrap_err();
    insta::assert_snapshot!(error, @"access_denied: AADSTS65004: User declined to consent <b>now</b>.");
    let server_error = error.server().unwrap();
    assert_eq!(server_error.aadsts(), Some(65004));
    assert_eq!(server_error.suberror.as_deref(), Some("cancel"));
    // the description came in the URL: the page shows it as text, never as markup
    insta::assert_snapshot!(agent.pages().await.join("\n"), @"HTTP/1.1 200 OK | Sign-in failed | AADSTS65004: User declined to consent &lt;b&gt;now&lt;/b&gt;. Return to the terminal for details.");
    token.assert_async().await;
}

#[tokio::test]
async fn stray_requests_are_answered_and_ignored() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::StrayThenCode);
    let token = token_mock(&mut server, &agent, None, &[], 1).await;
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let result = within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .scopes(["https://graph.microsoft.com/.default"])
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    )
    .await
    .unwrap();
    assert_eq!(result.access_token.secret(), "user-at");
    insta::assert_snapshot!(agent.pages().await.join("\n"), @r"
    HTTP/1.1 404 Not Found | Not found | This address only receives the sign-in answer.
    HTTP/1.1 400 Bad Request | Not a sign-in answer | This address only receives the sign-in answer.
    HTTP/1.1 400 Bad Request | Not a sign-in answer | This address only receives the sign-in answer.
    HTTP/1.1 404 Not Found | Not found | This address only receives the sign-in answer.
    HTTP/1.1 200 OK | Signed in | You are signed in. You can close this window and return to the terminal.
    ");
    token.assert_async().await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Code);
    let token = token_mock(&mut server, &agent, Some("replayed-nonce"), &[], 1).await;
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let error = within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .scopes(["https://graph.microsoft.com/.default"])
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    )
    .await
    .unwrap_err();
    insta::assert_snapshot!(error, @"the ID token's nonce is not this sign-in's, so the answer was refused: sign in again");
    token.assert_async().await;
}

#[tokio::test]
async fn a_confidential_client_authenticates_the_redemption() {
    let mut server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Code);
    let token = token_mock(
        &mut server,
        &agent,
        None,
        &[("client_secret", "web-app-secret")],
        1,
    )
    .await;
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let secret = ClientCredential::secret("web-app-secret");
    within_a_few_seconds(
        InteractiveBrowser::new(&a, &c)
            .scopes(["https://graph.microsoft.com/.default"])
            .credential(Some(&secret))
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    )
    .await
    .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn the_wait_gives_up_after_the_timeout_with_progress_on_the_way() {
    let server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Nothing);
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let a = authority(&server);
    let c = client();
    let error = InteractiveBrowser::new(&a, &c)
        .timeout(Duration::from_secs(3))
        .opener(&agent)
        .interaction(&recorder)
        .send(&http)
        .await
        .unwrap_err();
    let port = agent.port();
    insta::assert_snapshot!(error.to_string().replace(&port.to_string(), "<port>"), @"no sign-in answer reached http://localhost:<port>/ within 3 seconds: sign in again, or use device code sign-in");
    assert!(matches!(error, Error::TimedOut(_)));
    assert_eq!(timer.sleeps(), [Duration::from_secs(1); 3]);
    insta::assert_snapshot!(recorder.events()[1..].join("\n"), @r"
    waiting 1s 2s
    waiting 2s 1s
    finished
    ");
}

#[tokio::test]
async fn a_taken_first_port_moves_the_listener_to_the_next() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let first = taken.local_addr().unwrap().port();
    let range = first..=first.saturating_add(20);
    let listener = LoopbackListener::bind(&PortPolicy::Range(range.clone()))
        .await
        .unwrap();
    assert!(
        listener.port() > first && range.contains(&listener.port()),
        "{}",
        listener.port()
    );
    assert_eq!(
        listener.redirect_uri(),
        format!("http://localhost:{}/", listener.port())
    );

    let error = LoopbackListener::bind(&PortPolicy::Range(first..=first))
        .await
        .unwrap_err();
    let shown = error.to_string().replace(&first.to_string(), "<port>");
    assert!(
        shown.starts_with(
            "could not listen on 127.0.0.1 and [::1] at port <port> for the browser's answer \
             (127.0.0.1 port <port>: "
        ),
        "{shown}"
    );
}

/// Whether this machine has an IPv6 loopback; when not, says so (the test cannot run its IPv6 half).
#[allow(clippy::print_stderr)] // a skipped half is said, never silent
fn ipv6_loopback(test: &str) -> bool {
    match std::net::TcpListener::bind("[::1]:0") {
        Ok(_) => true,
        Err(error) => {
            eprintln!("{test}: skipped its IPv6 half: this machine has no [::1] ({error})");
            false
        }
    }
}

/// A start address whose cookie is `c`, for the listener's own tests.
static START: std::sync::LazyLock<StartAddress> =
    std::sync::LazyLock::new(|| StartAddress::new("https://login.example/authorize".into(), "p", "c".into()));

/// An answer carrying the state `s`, from any issuer.
fn expecting_s(start: &StartAddress) -> Expected<'_> {
    Expected {
        state: "s",
        issuer: None,
        start,
    }
}

#[tokio::test]
async fn both_loopback_addresses_are_bound_and_a_port_taken_on_ipv6_is_skipped() {
    // issue 18: with 127.0.0.1 alone, another user listening on [::1] at the port received the code
    // when the browser resolved localhost to ::1
    if !ipv6_loopback("both_loopback_addresses_are_bound") {
        let listener = LoopbackListener::bind(&PortPolicy::Any).await.unwrap();
        assert!(!listener.has_ipv6());
        return;
    }
    let taken = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
    let first = taken.local_addr().unwrap().port();
    let range = first..=first.saturating_add(20);
    let listener = LoopbackListener::bind(&PortPolicy::Range(range.clone()))
        .await
        .unwrap();
    assert!(listener.has_ipv6());
    assert!(
        listener.port() > first && range.contains(&listener.port()),
        "port {} was not skipped though [::1] held it: {}",
        first,
        listener.port()
    );
    let error = LoopbackListener::bind(&PortPolicy::Range(first..=first))
        .await
        .unwrap_err();
    let shown = error.to_string().replace(&first.to_string(), "<port>");
    assert!(shown.contains("([::1] port <port>: "), "{shown}");

    // the redirect is received on either address
    for host in ["127.0.0.1", "[::1]"] {
        let listener = LoopbackListener::bind(&PortPolicy::Any).await.unwrap();
        let port = listener.port();
        let visit = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(format!("{host}:{port}"))
                .await
                .unwrap();
            stream
                .write_all(
                    format!(
                        "GET /?code=c&state=s HTTP/1.1\r\nHost: localhost\r\n\
                         Cookie: msconnect-signin-{port}=c\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).await.unwrap();
            response
        });
        let code = listener
            .wait_for_code(
                &expecting_s(&START),
                &HeldTimer,
                Duration::from_secs(60),
                &crate::SilentInteraction,
            )
            .await
            .unwrap();
        assert_eq!(code.secret(), "c", "{host}");
        assert!(visit.await.unwrap().starts_with("HTTP/1.1 200 OK"), "{host}");
    }
}

#[tokio::test]
async fn idle_connections_cannot_keep_the_redirect_out() {
    // issue 18: 40 idle connections held every slot, and the real redirect waited for the timeout
    let listener = LoopbackListener::bind(&PortPolicy::Any).await.unwrap();
    let port = listener.port();
    let visit = tokio::spawn(async move {
        let mut idle = Vec::new();
        for _ in 0..40 {
            idle.push(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let page = get(
            port,
            "/?code=the-code&state=s",
            Some(&format!("msconnect-signin-{port}=c")),
        )
        .await;
        (idle, page)
    });
    let code = within_a_few_seconds(listener.wait_for_code(
        &expecting_s(&START),
        &HeldTimer,
        Duration::from_secs(60),
        &crate::SilentInteraction,
    ))
    .await
    .unwrap();
    assert_eq!(code.secret(), "the-code");
    let (_idle, page) = visit.await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK | Signed in"), "{page}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_read_timeout() {
    let mut listener = LoopbackListener::bind(&PortPolicy::Any).await.unwrap();
    listener.set_read_timeout(Duration::from_millis(50));
    let port = listener.port();
    let visit = tokio::spawn(async move {
        let mut idle = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        // the listener closes it without an answer: the read ends (0 bytes or reset), it does not hang
        let mut buffer = Vec::new();
        let closed = idle.read_to_end(&mut buffer).await.map(|_| buffer.len());
        let page = get(
            port,
            "/?code=the-code&state=s",
            Some(&format!("msconnect-signin-{port}=c")),
        )
        .await;
        (closed, page)
    });
    let code = within_a_few_seconds(listener.wait_for_code(
        &expecting_s(&START),
        &HeldTimer,
        Duration::from_secs(60),
        &crate::SilentInteraction,
    ))
    .await
    .unwrap();
    assert_eq!(code.secret(), "the-code");
    let (closed, page) = visit.await.unwrap();
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
}

#[tokio::test]
async fn without_a_browser_the_url_is_reported_and_device_code_takes_over() {
    struct NoBrowser;
    impl BrowserOpener for NoBrowser {
        fn open(&self, _url: &str) -> io::Result<()> {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "BROWSER is not set; no graphical session",
            ))
        }
    }
    let mut server = Server::new_async().await;
    let device = device_code_mock(&mut server, json!({})).await;
    let success = poll_success(&mut server).await;
    let (http, timer) = http_client();
    let recorder = Recorder::default();
    let a = authority(&server);
    let c = client();
    let result = InteractiveBrowser::new(&a, &c)
        .scopes(["https://graph.microsoft.com/.default"])
        .opener(&NoBrowser)
        .interaction(&recorder)
        .fallback_to_device_code(true)
        .send(&http)
        .await
        .unwrap();
    assert_eq!(result.access_token.secret(), "user-at");
    assert_eq!(timer.sleeps(), [Duration::from_secs(5)]);
    let events = recorder.events();
    // issue 18: one thing said and done: no address to open, no listener named, since neither is kept
    assert_eq!(
        events[0],
        "browser_unavailable (BROWSER is not set; no graphical session)"
    );
    assert!(events[1].starts_with("device_code To sign in"), "{}", events[1]);
    assert_eq!(events[2..], ["finished"]);
    device.assert_async().await;
    success.assert_async().await;

    // without the fallback the URL is reported and the listener waits for it to be opened by hand
    let recorder = Recorder::default();
    let error = InteractiveBrowser::new(&a, &c)
        .timeout(Duration::from_secs(1))
        .opener(&NoBrowser)
        .interaction(&recorder)
        .send(&http)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TimedOut(_)));
    assert!(recorder.events()[0].starts_with("browser_failed "));
}

/// Polls a future once, expecting it to be still waiting.
async fn poll_once<F: Future>(future: &mut Pin<Box<F>>) {
    std::future::poll_fn(|cx| {
        assert!(future.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
}

#[tokio::test]
async fn dropping_the_sign_in_closes_the_listener_and_its_connections() {
    let server = Server::new_async().await;
    let agent = UserAgent::new(Answer::Nothing);
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let mut sign_in = Box::pin(
        InteractiveBrowser::new(&a, &c)
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
            .send(&http),
    );
    poll_once(&mut sign_in).await;
    let port = agent.port();
    // a browser's speculative connection that never sends a request
    let mut idle = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    for _ in 0..3 {
        tokio::task::yield_now().await;
        poll_once(&mut sign_in).await;
    }
    drop(sign_in);
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut buffer))
        .await
        .expect("the connection was closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn bad_parameters_are_refused_before_anything_is_opened() {
    let mut server = Server::new_async().await;
    let never = server.mock("POST", Matcher::Any).expect(0).create_async().await;
    let agent = UserAgent::new(Answer::Code);
    let http = held_http();
    let a = authority(&server);
    let c = client();
    let (high, low) = (9000, 8999);
    let flow = || {
        InteractiveBrowser::new(&a, &c)
            .opener(&agent)
            .interaction(&crate::SilentInteraction)
    };
    let errors = [
        flow().prompt("always").send(&http).await.unwrap_err(),
        flow().claims("mfa").send(&http).await.unwrap_err(),
        flow().timeout(Duration::ZERO).send(&http).await.unwrap_err(),
        flow()
            .ports(PortPolicy::Range(0..=10))
            .send(&http)
            .await
            .unwrap_err(),
        flow()
            .ports(PortPolicy::Range(high..=low))
            .send(&http)
            .await
            .unwrap_err(),
    ];
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"), @r#"
    invalid value for prompt: 'always' is not one of login, none, consent, select_account, create
    invalid value for claims: a claims challenge is a JSON object such as {"access_token":{"acrs":{"essential":true,"value":"c1"}}}
    invalid value for timeout: must be more than zero
    invalid value for ports: 0-10 is not a range of ports (to let the system choose, use any free port)
    invalid value for ports: 9000-8999 is not a range of ports (to let the system choose, use any free port)
    "#);
    assert!(agent.start.lock().unwrap().is_empty(), "no browser was opened");
    never.assert_async().await;
}

#[test]
fn the_code_challenge_is_s256_of_the_verifier() {
    // RFC 7636 appendix B
    let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(
        code_challenge(&verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let verifier = random_text(32).unwrap();
    assert_eq!(verifier.len(), 43);
    assert_ne!(verifier, random_text(32).unwrap());
}

#[test]
fn the_builder_shows_no_secret() {
    let authority = Authority::from_host("https://login.microsoftonline.com", &Tenant::common()).unwrap();
    let c = client();
    let secret = ClientCredential::secret("web-app-secret");
    let flow = InteractiveBrowser::new(&authority, &c)
        .ports(PortPolicy::Range(8400..=8999))
        .credential(Some(&secret));
    insta::assert_snapshot!(format!("{flow:?}"), @r#"InteractiveBrowser { authority: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", client_id: ClientId(04b07795-8ddb-461a-bbee-02f9e1bf7b46), scopes: [], ports: Range(8400..=8999), prompt: None, login_hint: None, domain_hint: None, timeout: 300s, credential: Some("ClientSecret"), fallback_to_device_code: false, .. }"#);
}

#[test]
fn the_flow_can_be_awaited_on_any_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let authority = Authority::from_host("https://login.microsoftonline.com", &Tenant::common()).unwrap();
    let (http, _) = http_client();
    let c = client();
    assert_send(&InteractiveBrowser::new(&authority, &c).send(&http));
}
