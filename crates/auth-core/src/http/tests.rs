//! The HTTP layer against mockito: headers, retries and their waits, error bodies. Retries sleep on the
//! fake clock, so no test waits for real time.

use std::time::Duration;

use mockito::Matcher;
use url::Url;

use super::*;
use crate::error::Error;
use crate::http::client::VERSION;
use crate::testing::{NOW, http_client, http_client_with};
use crate::time::from_epoch_seconds;

fn url(server: &mockito::Server, path: &str) -> Url {
    Url::parse(&format!("{}{path}", server.url())).unwrap()
}

#[tokio::test]
async fn every_request_carries_the_client_headers_and_a_fresh_request_id() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/t")
        .match_header("x-client-sku", "msconnect.rust")
        .match_header("x-client-ver", VERSION)
        .match_header("user-agent", format!("msconnect/{VERSION}").as_str())
        .match_header(
            "client-request-id",
            Matcher::Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$".into()),
        )
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_body(Matcher::UrlEncoded("a".into(), "b c".into()))
        .with_body("{}")
        .expect(2)
        .create_async()
        .await;
    let (http, timer) = http_client();
    http.post_form(&url(&server, "/t"), &[("a", "b c")])
        .await
        .unwrap();
    http.post_form(&url(&server, "/t"), &[("a", "b c")])
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(timer.sleeps().is_empty());
}

#[tokio::test]
async fn a_429_waits_the_seconds_of_retry_after_then_succeeds() {
    let mut server = mockito::Server::new_async().await;
    let throttled = server
        .mock("POST", "/t")
        .with_status(429)
        .with_header("retry-after", "7")
        .expect(2)
        .create_async()
        .await;
    let ok = server
        .mock("POST", "/t")
        .with_body(r#"{"ok":true}"#)
        .expect(1)
        .create_async()
        .await;
    let (http, timer) = http_client();
    let response = http.post_form(&url(&server, "/t"), &[]).await.unwrap();
    assert_eq!((response.status, response.body.as_str()), (200, r#"{"ok":true}"#));
    assert_eq!(timer.sleeps(), [Duration::from_secs(7), Duration::from_secs(7)]);
    throttled.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let mut server = mockito::Server::new_async().await;
    let date = httpdate::fmt_http_date(from_epoch_seconds(NOW + 12));
    let busy = server
        .mock("GET", "/x")
        .with_status(503)
        .with_header("retry-after", &date)
        .expect(1)
        .create_async()
        .await;
    let ok = server
        .mock("GET", "/x")
        .with_body("fine")
        .expect(1)
        .create_async()
        .await;
    let (http, timer) = http_client();
    assert_eq!(http.get(&url(&server, "/x"), &[]).await.unwrap().body, "fine");
    assert_eq!(timer.sleeps(), [Duration::from_secs(12)]);
    busy.assert_async().await;
    ok.assert_async().await;
}

#[tokio::test]
async fn without_retry_after_the_backoff_doubles_and_retries_are_bounded() {
    let mut server = mockito::Server::new_async().await;
    let failing = server
        .mock("POST", "/t")
        .with_status(500)
        .with_body("boom")
        .expect(4)
        .create_async()
        .await;
    let (http, timer) = http_client();
    let response = http.post_form(&url(&server, "/t"), &[]).await.unwrap();
    assert_eq!(
        response.status, 500,
        "after the last retry the answer is returned"
    );
    assert_eq!(
        timer.sleeps(),
        [
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(4)
        ]
    );
    failing.assert_async().await;
}

#[tokio::test]
async fn a_huge_retry_after_is_capped() {
    let mut server = mockito::Server::new_async().await;
    let _busy = server
        .mock("POST", "/t")
        .with_status(429)
        .with_header("retry-after", "86400")
        .expect(1)
        .create_async()
        .await;
    let _ok = server
        .mock("POST", "/t")
        .with_body("{}")
        .expect(1)
        .create_async()
        .await;
    let (http, timer) = http_client();
    http.post_form(&url(&server, "/t"), &[]).await.unwrap();
    assert_eq!(timer.sleeps(), [Duration::from_secs(60)]);
}

#[tokio::test]
async fn a_400_is_never_retried() {
    let mut server = mockito::Server::new_async().await;
    let bad = server
        .mock("POST", "/t")
        .with_status(400)
        .with_body(
            r#"{"error":"invalid_grant","error_description":"AADSTS70008: expired","error_codes":[70008]}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let (http, timer) = http_client();
    let error = http.post_oauth(&url(&server, "/t"), &[]).await.unwrap_err();
    assert!(error.is_oauth("invalid_grant"));
    assert_eq!(error.server().unwrap().status, 400);
    assert!(timer.sleeps().is_empty());
    bad.assert_async().await;
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_with_the_url() {
    // a port that was free a moment ago: nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (http, timer) = http_client();
    let target = Url::parse(&format!("http://127.0.0.1:{port}/t?code=secret-code")).unwrap();
    let error = http.post_form(&target, &[]).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "request to http://127.0.0.1:{port}/t failed: could not connect"
        )),
        "{message}"
    );
    assert!(!message.contains("secret-code"));
    assert_eq!(timer.sleeps().len(), 3);
}

#[tokio::test]
async fn an_html_error_page_gives_the_status_and_a_short_redacted_excerpt() {
    let mut server = mockito::Server::new_async().await;
    let page = format!(
        "<html><head><title>Proxy error</title></head><body><h1>403 Forbidden</h1><p>Blocked by policy.</p>\
         <p>session eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl</p>{}</body></html>",
        "<p>padding</p>".repeat(50)
    );
    let _m = server
        .mock("POST", "/t")
        .with_status(403)
        .with_body(page)
        .create_async()
        .await;
    let (http, _) = http_client();
    let error = http.post_oauth(&url(&server, "/t"), &[]).await.unwrap_err();
    let shown = error.to_string().replace(&server.url(), "http://[server]");
    insta::assert_snapshot!(shown, @"unexpected HTTP 403 response from http://[server]/t: Proxy error 403 Forbidden Blocked by policy. session [redacted] padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding …");
}

#[tokio::test]
async fn a_success_that_is_not_json_is_an_unexpected_response() {
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/t")
        .with_status(200)
        .with_body("")
        .create_async()
        .await;
    let (http, _) = http_client();
    let error = http.post_oauth(&url(&server, "/t"), &[]).await.unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedResponse { status: 200, ref excerpt, .. } if excerpt == "(empty body)"),
        "{error}"
    );
}

#[tokio::test]
async fn https_proxy_is_used_for_https_urls() {
    // the proxy is a mockito server: a CONNECT to it proves the request went through the proxy
    let mut proxy = mockito::Server::new_async().await;
    let connect = proxy
        .mock("CONNECT", Matcher::Any)
        .with_status(502)
        .expect_at_least(1)
        .create_async()
        .await;
    let env = EnvVars::from_pairs([("HTTPS_PROXY", proxy.url())]);
    let (http, _) = http_client_with(env);
    let target = Url::parse("https://login.example.test/t").unwrap();
    assert!(http.post_form(&target, &[]).await.is_err());
    connect.assert_async().await;
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let mut server = mockito::Server::new_async().await;
    let direct = server
        .mock("GET", "/x")
        .with_body("direct")
        .expect(1)
        .create_async()
        .await;
    let env = EnvVars::from_pairs([("HTTP_PROXY", "http://127.0.0.1:9"), ("NO_PROXY", "127.0.0.1")]);
    let (http, _) = http_client_with(env);
    assert_eq!(http.get(&url(&server, "/x"), &[]).await.unwrap().body, "direct");
    direct.assert_async().await;
}

#[test]
fn ssl_cert_file_that_cannot_be_read_is_named() {
    let env = EnvVars::from_pairs([("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    let error = HttpClient::new(HttpOptions {
        env,
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("reading SSL_CERT_FILE /nonexistent/ca.pem:"),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, "not a certificate").unwrap();
    let env = EnvVars::from_pairs([("SSL_CERT_FILE", path.to_str().unwrap())]);
    let error = HttpClient::new(HttpOptions {
        env,
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}: SSL_CERT_FILE holds no PEM certificates", path.display())
    );
}

#[test]
fn a_proxy_that_is_not_a_url_is_named_without_its_password() {
    let env = EnvVars::from_pairs([("HTTPS_PROXY", "::not a url::")]);
    let error = HttpClient::new(HttpOptions {
        env,
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid value for HTTPS_PROXY: '<not a URL>' is not a proxy URL"),
        "{error}"
    );
}

/// A TLS server on a free loopback port whose certificate nobody trusts (self-signed, made now); it
/// serves handshakes until the test ends and returns their count so far.
fn untrusted_tls_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = handshakes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut connection = rustls::ServerConnection::new(config.clone()).unwrap();
            // the client refuses the certificate: the handshake ends with its alert
            while connection.complete_io(&mut stream).is_ok() && connection.is_handshaking() {}
        }
    });
    (port, handshakes)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_says_why() {
    let (port, handshakes) = untrusted_tls_server();
    let (http, timer) = http_client();
    let target = Url::parse(&format!("https://127.0.0.1:{port}/common/discovery")).unwrap();

    let error = http.get(&target, &[]).await.unwrap_err();

    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "request to https://127.0.0.1:{port}/common/discovery failed:"
        )),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(timer.sleeps().is_empty(), "retried: {:?}", timer.sleeps());
    assert_eq!(handshakes.load(std::sync::atomic::Ordering::SeqCst), 1);
}

mod hostile_server {
    //! issue 18: bodies are read with a cap, and what a server says is cut before it is shown.

    use super::*;
    use crate::http::hostile::{Behaviour, HostileServer};

    fn token_url(server: &HostileServer) -> Url {
        Url::parse(&format!("{}/t", server.url())).unwrap()
    }

    #[tokio::test]
    async fn a_body_that_says_it_is_2_gb_is_refused_before_it_is_read() {
        let server = HostileServer::start(Behaviour::Declared(2 << 30)).await;
        let (http, _) = http_client();
        let error = http.post_oauth(&token_url(&server), &[]).await.unwrap_err();
        let shown = error.to_string().replace(&server.url(), "http://[server]");
        insta::assert_snapshot!(shown, @"unexpected HTTP 200 response from http://[server]/t: the body is larger than 1024 KiB, more than any answer of this kind, so it was not read");
        assert_eq!(server.requests(), 1, "a body too large is not asked for again");
    }

    #[tokio::test]
    async fn a_body_without_a_length_is_read_only_up_to_the_cap() {
        // 8 MiB without Content-Length: the old client read it whole, and would have read 2 GB
        let server = HostileServer::start(Behaviour::Streamed(8 << 20)).await;
        let (http, _) = http_client();
        let error = http
            .get(&token_url(&server), &[])
            .await
            .expect_err("the body is past the cap");
        assert!(
            matches!(&error, Error::UnexpectedResponse { status: 200, excerpt, .. } if excerpt.starts_with("the body is larger than 1024 KiB")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_body_just_under_the_cap_is_read() {
        let text = format!(
            "{{\"error\":\"invalid_grant\",\"pad\":\"{}\"}}",
            "x".repeat(MAX_BODY_BYTES - 100)
        );
        let server = HostileServer::start(Behaviour::Body(400, text)).await;
        let (http, _) = http_client();
        let error = http.post_oauth(&token_url(&server), &[]).await.unwrap_err();
        assert!(
            matches!(&error, Error::Server(s) if s.error == "invalid_grant"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_bounded_by_the_request_timeout() {
        let server = HostileServer::start(Behaviour::Stalled).await;
        let (mut options, _) = crate::testing::http_options(crate::EnvVars::default());
        options.timeout = Duration::from_millis(200);
        options.retry.max_retries = 0;
        let http = HttpClient::new(options).unwrap();
        let error = http.post_oauth(&token_url(&server), &[]).await.unwrap_err();
        assert!(
            matches!(&error, Error::Transport { reason, .. } if reason.starts_with("timed out")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_huge_error_description_is_cut_with_a_marker() {
        let description = format!("AADSTS70000: {}", "é".repeat(400_000));
        let body = serde_json::json!({"error": "invalid_grant", "error_description": description,
            "error_codes": (0..20_000).collect::<Vec<i64>>()})
        .to_string();
        assert!(body.len() < MAX_BODY_BYTES);
        let server = HostileServer::start(Behaviour::Body(400, body)).await;
        let (http, _) = http_client();
        let Error::Server(error) = http.post_oauth(&token_url(&server), &[]).await.unwrap_err() else {
            panic!("an OAuth error")
        };
        let shown = error.error_description.as_deref().unwrap();
        assert!(shown.len() <= MAX_SERVER_TEXT + 40, "{}", shown.len());
        assert!(shown.starts_with("AADSTS70000: éé"));
        assert!(
            shown.ends_with("… [795918 more bytes cut]"),
            "{}",
            &shown[shown.len() - 40..]
        );
        assert_eq!(
            error.aadsts(),
            Some(0),
            "the codes are kept, the first few of them"
        );
        assert_eq!(error.error_codes.len(), 16);
    }

    #[test]
    fn cutting_text_respects_characters_and_leaves_short_text_alone() {
        assert_eq!(cap_text("short", 10), "short");
        assert_eq!(cap_text("ééé", 3), "é… [4 more bytes cut]");
        assert_eq!(cap_text("abc", 0), "… [3 more bytes cut]");
    }

    #[test]
    fn the_excerpt_of_a_large_page_is_short() {
        let page = format!("<p>{}</p>", "word ".repeat(200_000));
        let shown = excerpt(&page);
        assert!(shown.chars().count() <= 201, "{shown}");
    }
}
