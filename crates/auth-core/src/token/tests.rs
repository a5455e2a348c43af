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
