//! Reading token responses.

use serde_json::json;

use super::*;
use crate::testing::{NOW, client_info, jwt, user_token_response};
use crate::time::from_epoch_seconds;

fn authority() -> Authority {
    Authority::from_host(
        "https://login.microsoftonline.com",
        &crate::Tenant::organizations(),
    )
    .unwrap()
}

fn client() -> ClientId {
    ClientId::parse("04b07795-8ddb-461a-bbee-02f9e1bf7b46").unwrap()
}

#[test]
fn a_user_token_response_gives_the_account_and_the_granted_scopes() {
    let json = user_token_response(
        "AT",
        "RT",
        "oid-1",
        "tid-1",
        "admin@contoso.com",
        "https://graph.microsoft.com/User.Read openid profile offline_access",
    );
    let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    assert_eq!(r.access_token.secret(), "AT");
    assert_eq!(r.refresh_token.as_ref().unwrap().secret(), "RT");
    assert_eq!(r.expires_on, NOW + 3599);
    assert_eq!(r.ext_expires_on, Some(NOW + 3599));
    assert_eq!(r.scopes, ["https://graph.microsoft.com/User.Read"]);
    assert_eq!(r.tenant_id, "tid-1");
    assert_eq!(r.environment, "login.microsoftonline.com");
    assert_eq!(
        r.account,
        Some(Account {
            home_account_id: "oid-1.tid-1".into(),
            environment: "login.microsoftonline.com".into(),
            realm: "tid-1".into(),
            local_account_id: "oid-1".into(),
            username: "admin@contoso.com".into(),
        })
    );
    assert_eq!(
        r.client_info,
        Some(ClientInfo {
            uid: "oid-1".into(),
            utid: "tid-1".into()
        })
    );
}

#[test]
fn numbers_may_come_as_strings() {
    let json = json!({"access_token": "AT", "token_type": "Bearer", "expires_in": "3600", "ext_expires_in": "7200", "refresh_in": "1800"});
    let r = TokenResult::from_response(
        &json,
        &authority(),
        &client(),
        &["s".into()],
        from_epoch_seconds(NOW),
    )
    .unwrap();
    assert_eq!(
        (r.expires_on, r.ext_expires_on, r.refresh_on),
        (NOW + 3600, Some(NOW + 7200), Some(NOW + 1800))
    );
    assert_eq!(
        r.scopes,
        ["s"],
        "without a scope in the answer, the requested scopes are granted"
    );
    assert!(r.account.is_none());
}

#[test]
fn expires_on_wins_over_expires_in() {
    let json = json!({"access_token": "AT", "expires_in": 10, "expires_on": NOW + 99});
    let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    assert_eq!(r.expires_on, NOW + 99);
}

#[test]
fn the_tenant_comes_from_the_access_token_when_there_is_no_id_token() {
    let at = jwt(&json!({"tid": "tenant-from-at", "exp": NOW + 10}));
    let json = json!({"access_token": at, "expires_in": 10});
    let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    assert_eq!(r.tenant_id, "tenant-from-at");
    let opaque = json!({"access_token": "opaque", "expires_in": 10});
    let r =
        TokenResult::from_response(&opaque, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    assert_eq!(r.tenant_id, "organizations", "else the authority's tenant");
}

#[test]
fn without_client_info_the_home_account_is_the_id_tokens_sub() {
    let json = json!({"access_token": "AT", "expires_in": 10, "id_token": jwt(&json!({"sub": "the-sub", "tid": "t"}))});
    let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    assert_eq!(r.home_account_id(), Some("the-sub"));
}

#[test]
fn broken_parts_are_named() {
    let no_token = json!({"token_type": "Bearer"});
    insta::assert_snapshot!(TokenResult::from_response(&no_token, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap_err(), @"the token response is not a valid token: it has no access_token");
    let bad_id = json!({"access_token": "AT", "id_token": "not-a-jwt"});
    insta::assert_snapshot!(TokenResult::from_response(&bad_id, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap_err(), @"the ID token is not a valid token: it is not a JWT (three dot-separated parts)");
    insta::assert_snapshot!(ClientInfo::decode("!!!").unwrap_err(), @"the client_info is not a valid token: not base64url");
}

#[test]
fn client_info_decodes_with_or_without_padding() {
    let encoded = client_info("u", "t");
    assert_eq!(ClientInfo::decode(&encoded).unwrap().home_account_id(), "u.t");
    assert_eq!(
        ClientInfo::decode(&format!("{encoded}=="))
            .unwrap()
            .home_account_id(),
        "u.t"
    );
}

#[test]
fn the_debug_form_shows_no_token() {
    let json = user_token_response("AT-secret", "RT-secret", "o", "t", "u@x", "s");
    let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(NOW)).unwrap();
    let shown = format!("{r:?}");
    assert!(
        !shown.contains("AT-secret") && !shown.contains("RT-secret"),
        "{shown}"
    );
}

#[test]
fn extreme_times_from_a_hostile_server_are_clamped_not_overflowed() {
    // issue 18: each of these was saved, then made every later `token` panic on an add overflow
    use crate::time::MAX_EPOCH_SECONDS;
    let now = from_epoch_seconds(NOW);
    let read = |json: serde_json::Value| {
        TokenResult::from_response(&json, &authority(), &client(), &[], now).unwrap()
    };
    let r = read(json!({"access_token": "AT", "expires_on": i64::MIN}));
    assert_eq!(r.expires_on, -MAX_EPOCH_SECONDS);
    assert!(
        r.expires_within(now, 300),
        "a token that expired long ago is expired"
    );
    let r = read(json!({"access_token": "AT", "expires_in": 1e19}));
    assert_eq!(r.expires_on, MAX_EPOCH_SECONDS);
    assert!(!r.expires_within(now, 300));
    assert!(
        r.expires_within(from_epoch_seconds(i64::MIN), i64::MAX),
        "and no overflow"
    );
    let r = read(json!({"access_token": "AT", "expires_in": "-9223372036854775808",
        "ext_expires_in": i64::MAX, "refresh_in": i64::MAX}));
    assert_eq!(r.expires_on, -MAX_EPOCH_SECONDS);
    assert_eq!(
        (r.ext_expires_on, r.refresh_on),
        (Some(MAX_EPOCH_SECONDS), Some(MAX_EPOCH_SECONDS))
    );
    let r = read(json!({"access_token": "AT", "expires_in": -1e300, "refresh_in": f64::MAX}));
    assert_eq!(
        (r.expires_on, r.refresh_on),
        (-MAX_EPOCH_SECONDS, Some(MAX_EPOCH_SECONDS))
    );
}

mod properties {
    //! No token response or JWT, however malformed, makes the parsers panic; what can be read back is.

    use proptest::prelude::*;

    use super::*;

    /// Any JSON value, nested a few levels: the shapes a hostile server can send.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        nested(prop_oneof![
            any::<f64>().prop_map(serde_json::Value::from),
            exact_leaf()
        ])
    }

    /// Any JSON value without floats, which serde_json's default parser may read back one unit off.
    fn exact_json() -> impl Strategy<Value = serde_json::Value> {
        nested(exact_leaf())
    }

    fn exact_leaf() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
        ]
    }

    fn nested(
        leaf: impl Strategy<Value = serde_json::Value> + 'static,
    ) -> impl Strategy<Value = serde_json::Value> {
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map(".{0,12}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A number the way a server may write one: an integer, a float, or a string holding either.
    fn any_number() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(|n| serde_json::Value::from(n.to_string())),
            ".{0,24}".prop_map(serde_json::Value::from),
        ]
    }

    proptest! {
        #[test]
        fn any_token_response_is_read_or_refused_without_panic(
            mut fields in prop::collection::btree_map(
                prop_oneof![
                    Just("access_token".to_owned()), Just("id_token".to_owned()),
                    Just("client_info".to_owned()), Just("scope".to_owned()),
                    Just("token_type".to_owned()), Just("foci".to_owned()), ".{0,10}",
                ],
                any_json(),
                0..8,
            ),
            times in prop::collection::vec(any_number(), 4),
            now in any::<i64>(),
        ) {
            for (name, value) in ["expires_on", "expires_in", "ext_expires_in", "refresh_in"].iter().zip(times) {
                fields.insert((*name).to_owned(), value);
            }
            let json = serde_json::Value::Object(fields.into_iter().collect());
            let now = from_epoch_seconds(now);
            if let Ok(r) = TokenResult::from_response(&json, &authority(), &client(), &[], now) {
                let limit = crate::time::MAX_EPOCH_SECONDS;
                prop_assert!((-limit..=limit).contains(&r.expires_on));
                for time in [r.ext_expires_on, r.refresh_on].into_iter().flatten() {
                    prop_assert!((-limit..=limit).contains(&time));
                }
                let _ = r.expires_within(now, i64::MAX);
                let _ = r.expires_within(now, i64::MIN);
                let _ = r.identity();
            }
        }

        #[test]
        fn any_lifetime_gives_the_time_it_says_within_the_clock_s_range(
            expires_in in any::<i64>(),
            now in -crate::time::MAX_EPOCH_SECONDS..=crate::time::MAX_EPOCH_SECONDS,
        ) {
            let json = json!({"access_token": "AT", "expires_in": expires_in});
            let r = TokenResult::from_response(&json, &authority(), &client(), &[], from_epoch_seconds(now)).unwrap();
            let exact = i128::from(now) + i128::from(expires_in);
            let limit = i128::from(crate::time::MAX_EPOCH_SECONDS);
            prop_assert_eq!(i128::from(r.expires_on), exact.clamp(-limit, limit));
        }

        #[test]
        fn any_text_as_a_jwt_is_decoded_or_refused_without_panic(token in ".{0,200}") {
            let _ = decode_jwt_payload(&token, "ID token");
            let _ = ClientInfo::decode(&token);
        }

        #[test]
        fn any_bytes_as_a_jwt_payload_are_decoded_or_refused_without_panic(
            payload in prop::collection::vec(any::<u8>(), 0..200),
            padding in 0usize..3,
        ) {
            let encoded = format!("{}{}", crate::testing::b64(&payload), "=".repeat(padding));
            let _ = decode_jwt_payload(&format!("h.{encoded}.s"), "ID token");
        }

        #[test]
        fn any_claims_object_round_trips_through_a_jwt(claims in exact_json()) {
            let claims = match claims {
                serde_json::Value::Object(map) => serde_json::Value::Object(map),
                other => json!({"value": other}),
            };
            let token = jwt(&claims);
            prop_assert_eq!(decode_jwt_payload(&token, "ID token").unwrap(), claims.clone());
            // and with the padding some issuers add
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            parts[1].push_str("==");
            prop_assert_eq!(decode_jwt_payload(&parts.join("."), "ID token").unwrap(), claims);
        }

        #[test]
        fn client_info_round_trips(uid in ".{0,40}", utid in ".{0,40}") {
            let encoded = crate::testing::b64(&serde_json::to_vec(&json!({"uid": uid, "utid": utid})).unwrap());
            let decoded = ClientInfo::decode(&encoded).unwrap();
            prop_assert_eq!(decoded.home_account_id(), format!("{uid}.{utid}"));
        }
    }
}
