//! The schema of PROTOCOL section 5: keys and fields, app-only entries, search by fields, unknown fields
//! kept, expiry, and what removing an account or an app's tokens takes away.

use super::*;

#[test]
fn a_saved_file_has_msal_keys_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msal_token_cache.json");
    let cache = TokenCache::open(&path);
    let user = user_result(
        &microsoft(HOME_TENANT),
        "user-at",
        "user-rt",
        "https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read openid profile offline_access",
        NOW,
    );
    cache
        .save_at(
            &user,
            &[GRAPH.into()],
            Some("urn:ietf:params:oauth:grant-type:device_code"),
            at(NOW),
        )
        .unwrap();
    let app = app_result(&microsoft(CUSTOMER), "app-at", NOW);
    cache.save_at(&app, &[GRAPH.into()], None, at(NOW)).unwrap();
    let text = serde_json::to_string_pretty(&without_secrets(file_json(&path))).unwrap();
    insta::assert_snapshot!(text, @r#"
    {
      "AccessToken": {
        "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a-login.microsoftonline.com-accesstoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-aaaaaaaa-0000-0000-0000-00000000000a-https://graph.microsoft.com/.default https://graph.microsoft.com/mail.read https://graph.microsoft.com/user.read offline_access openid profile": {
          "credential_type": "AccessToken",
          "secret": "<secret>",
          "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
          "environment": "login.microsoftonline.com",
          "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          "target": "https://graph.microsoft.com/.default https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read offline_access openid profile",
          "realm": "aaaaaaaa-0000-0000-0000-00000000000a",
          "token_type": "Bearer",
          "cached_at": "1795341600",
          "expires_on": "1795345199",
          "extended_expires_on": "1795345199"
        },
        "-login.microsoftonline.com-accesstoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-cccccccc-0000-0000-0000-00000000000c-https://graph.microsoft.com/.default": {
          "credential_type": "AccessToken",
          "secret": "<secret>",
          "home_account_id": null,
          "environment": "login.microsoftonline.com",
          "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          "target": "https://graph.microsoft.com/.default",
          "realm": "cccccccc-0000-0000-0000-00000000000c",
          "token_type": "Bearer",
          "cached_at": "1795341600",
          "expires_on": "1795345199",
          "extended_expires_on": "1795345199"
        }
      },
      "RefreshToken": {
        "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a-login.microsoftonline.com-refreshtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46--https://graph.microsoft.com/.default https://graph.microsoft.com/mail.read https://graph.microsoft.com/user.read offline_access openid profile": {
          "credential_type": "RefreshToken",
          "secret": "<secret>",
          "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
          "environment": "login.microsoftonline.com",
          "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          "target": "https://graph.microsoft.com/.default https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read offline_access openid profile",
          "last_modification_time": "1795341600"
        }
      },
      "IdToken": {
        "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a-login.microsoftonline.com-idtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-aaaaaaaa-0000-0000-0000-00000000000a-": {
          "credential_type": "IdToken",
          "secret": "<secret>",
          "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
          "environment": "login.microsoftonline.com",
          "realm": "aaaaaaaa-0000-0000-0000-00000000000a",
          "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        }
      },
      "Account": {
        "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a-login.microsoftonline.com-aaaaaaaa-0000-0000-0000-00000000000a": {
          "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
          "environment": "login.microsoftonline.com",
          "realm": "aaaaaaaa-0000-0000-0000-00000000000a",
          "local_account_id": "11111111-0000-0000-0000-000000000001",
          "username": "admin@contoso.com",
          "authority_type": "MSSTS",
          "account_source": "urn:ietf:params:oauth:grant-type:device_code"
        }
      },
      "AppMetadata": {
        "appmetadata-login.microsoftonline.com-04b07795-8ddb-461a-bbee-02f9e1bf7b46": {
          "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          "environment": "login.microsoftonline.com"
        }
      }
    }
    "#);
    // the secrets are the tokens, unchanged
    let doc = file_json(&path);
    let secrets: Vec<&str> = ["AccessToken", "RefreshToken"]
        .iter()
        .flat_map(|map| doc[map].as_object().unwrap().values())
        .map(|e| e["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, ["user-at", "app-at", "user-rt"]);
}

#[test]
fn a_target_is_spelled_as_msal_python_spells_it_so_both_key_a_token_alike() {
    // What an OIDC authority (and Microsoft's) answers a user's sign-in: the OIDC scopes in `scope`.
    // MSAL Python's target is that `scope`, split and sorted; its keys end with the target, so a target
    // spelled otherwise made each library add its own entry beside the other's for the same token.
    let user = user_result(
        &microsoft(HOME_TENANT),
        "user-at",
        "user-rt",
        "openid profile email offline_access",
        NOW,
    );
    let requested = ["email".to_owned(), "offline_access".to_owned()];
    let doc: Value =
        serde_json::from_slice(&file_text_of(std::slice::from_ref(&user), &requested, None, NOW)).unwrap();
    let keys = |map: &str| -> Vec<String> { doc[map].as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys("AccessToken"),
        [format!(
            "{}-{ENV}-accesstoken-{CLIENT}-{HOME_TENANT}-email offline_access openid profile",
            home()
        )]
    );
    assert_eq!(
        keys("RefreshToken"),
        [format!(
            "{}-{ENV}-refreshtoken-{CLIENT}--email offline_access openid profile",
            home()
        )]
    );
    let at_entry = doc["AccessToken"].as_object().unwrap().values().next().unwrap();
    assert_eq!(at_entry["target"], "email offline_access openid profile");
    // searched without the OIDC scopes
    let cache = TokenCache::in_memory();
    cache.save_at(&user, &requested, None, at(NOW)).unwrap();
    let query = TokenQuery {
        home_account_id: Some(home()),
        ..user_query(HOME_TENANT, &["email"])
    };
    let found = cache.find_access_token(&query, at(NOW)).unwrap().unwrap();
    assert_eq!(found.access_token.secret(), "user-at");
}

#[test]
fn refresh_in_becomes_refresh_on_and_foci_the_family_id() {
    let cache = TokenCache::in_memory();
    let mut json = user_token_response("AT", "RT", OID, HOME_TENANT, "u@contoso.com", GRAPH);
    json["refresh_in"] = 1800.into();
    json["foci"] = "1".into();
    let result = TokenResult::from_response(&json, &microsoft(HOME_TENANT), &client(), &[], at(NOW)).unwrap();
    cache.save_at(&result, &[], None, at(NOW)).unwrap();
    // served until refresh_on, then no longer (silent sign-in renews it)
    let query = TokenQuery {
        home_account_id: result.home_account_id().map(str::to_owned),
        ..user_query(HOME_TENANT, &[GRAPH])
    };
    assert!(cache.find_access_token(&query, at(NOW + 1799)).unwrap().is_some());
    assert!(cache.find_access_token(&query, at(NOW + 1800)).unwrap().is_none());
    // the family's refresh token serves another client of the family that this cache has not seen yet
    let other = ClientId::parse(OTHER_CLIENT).unwrap();
    let home = result.home_account_id().unwrap();
    assert_eq!(
        cache
            .find_refresh_token(ENV, &other, home)
            .unwrap()
            .unwrap()
            .secret(),
        "RT"
    );
}

#[test]
fn expiry_counts_five_minutes_early() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(
            &user_result(&microsoft(HOME_TENANT), "AT", "RT", GRAPH, NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let expires_on = NOW + 3599;
    let query = user_query(HOME_TENANT, &[GRAPH]);
    let found = cache
        .find_access_token(&query, at(expires_on - 301))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "AT");
    assert_eq!(found.expires_on, expires_on);
    assert_eq!(found.realm, HOME_TENANT);
    assert_eq!(found.home_account_id.as_deref(), Some(home().as_str()));
    assert_eq!(found.token_type, "Bearer");
    assert!(
        cache
            .find_access_token(&query, at(expires_on - 300))
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .find_access_token(&query, at(expires_on + 10))
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_query_must_match_client_account_tenant_and_scopes() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(
            &user_result(
                &microsoft(HOME_TENANT),
                "AT",
                "RT",
                "https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read",
                NOW,
            ),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let hit = |q: TokenQuery| cache.find_access_token(&q, at(NOW)).unwrap().is_some();
    // a subset of the scopes, in any order and case, with the OIDC scopes ignored
    assert!(hit(user_query(
        HOME_TENANT,
        &["https://GRAPH.microsoft.com/mail.read", "openid"]
    )));
    assert!(hit(user_query(
        HOME_TENANT,
        &["https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read"]
    )));
    assert!(hit(TokenQuery {
        realm: None,
        ..user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"])
    }));
    assert!(!hit(user_query(
        HOME_TENANT,
        &["https://graph.microsoft.com/Files.Read"]
    )));
    assert!(!hit(user_query(
        CUSTOMER,
        &["https://graph.microsoft.com/User.Read"]
    )));
    assert!(!hit(TokenQuery {
        home_account_id: Some("someone.else".into()),
        ..user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"])
    }));
    assert!(!hit(TokenQuery {
        home_account_id: None,
        ..user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"])
    }));
    assert!(!hit(TokenQuery {
        client_id: ClientId::parse(OTHER_CLIENT).unwrap(),
        ..user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"])
    }));
    assert!(!hit(TokenQuery {
        environment: "login.microsoftonline.us".into(),
        ..user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"])
    }));
    let error = cache
        .find_access_token(&user_query(HOME_TENANT, &["openid"]), at(NOW))
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for scopes: name at least one scope to look for a token");
}

#[test]
fn app_only_tokens_have_a_null_home_account_id_and_are_found_only_as_app_only() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(
            &app_result(&microsoft(CUSTOMER), "app-at", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let found = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(found.access_token.secret(), "app-at");
    assert_eq!(found.home_account_id, None);
    assert!(
        cache
            .find_access_token(&user_query(CUSTOMER, &[GRAPH]), at(NOW))
            .unwrap()
            .is_none()
    );
    assert!(cache.accounts().unwrap().is_empty());
}

/// A file another SDK wrote: other key spellings, upper-case hosts, numbers as numbers, an empty
/// `home_account_id` for an app token, members and maps we do not know.
const FOREIGN: &str = r#"{
    "AccessToken": {
        "some-other-sdk-key-1": {
            "credential_type": "AccessToken", "secret": "foreign-user-at",
            "home_account_id": "11111111-0000-0000-0000-000000000001.AAAAAAAA-0000-0000-0000-00000000000A",
            "environment": "Login.MicrosoftOnline.com", "client_id": "04B07795-8DDB-461A-BBEE-02F9E1BF7B46",
            "target": "https://graph.microsoft.com/.default", "realm": "aaaaaaaa-0000-0000-0000-00000000000a",
            "token_type": "Bearer", "cached_at": 1795341600, "expires_on": 1795345200,
            "extended_expires_on": "1795345200", "x_sdk_private": {"keep": true}
        },
        "some-other-sdk-key-2": {
            "credential_type": "AccessToken", "secret": "foreign-app-at", "home_account_id": "",
            "environment": "login.microsoftonline.com", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "target": "https://graph.microsoft.com/.default", "realm": "cccccccc-0000-0000-0000-00000000000c",
            "token_type": "Bearer", "cached_at": "1795341600", "expires_on": "1795345200"
        },
        "pop-token": {
            "credential_type": "AccessToken", "secret": "pop-at", "home_account_id": null,
            "environment": "login.microsoftonline.com", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "target": "https://graph.microsoft.com/.default", "realm": "cccccccc-0000-0000-0000-00000000000c",
            "token_type": "pop", "key_id": "k1", "cached_at": "1795341600", "expires_on": "1795349999"
        }
    },
    "RefreshToken": {
        "rt-key": {
            "credential_type": "RefreshToken", "secret": "foreign-rt",
            "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
            "environment": "login.microsoftonline.com", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        }
    },
    "Account": {
        "acct": {
            "home_account_id": "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
            "environment": "login.microsoftonline.com", "realm": "aaaaaaaa-0000-0000-0000-00000000000a",
            "local_account_id": "11111111-0000-0000-0000-000000000001", "username": "admin@contoso.com",
            "authority_type": "MSSTS", "name": "Admin"
        }
    },
    "AppMetadata": {},
    "UnknownMap": {"anything": [1, 2, 3]}
}"#;

#[test]
fn entries_are_found_by_their_fields_whatever_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    write_file(&path, FOREIGN);
    let cache = TokenCache::open(&path);
    let user = cache
        .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(user.access_token.secret(), "foreign-user-at");
    assert_eq!(user.expires_on, 1_795_345_200);
    let app = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(
        app.access_token.secret(),
        "foreign-app-at",
        "the PoP token is not a bearer token"
    );
    let rt = cache
        .find_refresh_token(ENV, &client(), &home())
        .unwrap()
        .unwrap();
    assert_eq!(rt.secret(), "foreign-rt");
    insta::assert_debug_snapshot!(cache.accounts().unwrap(), @r#"
    [
        Account {
            home_account_id: "11111111-0000-0000-0000-000000000001.aaaaaaaa-0000-0000-0000-00000000000a",
            environment: "login.microsoftonline.com",
            realm: "aaaaaaaa-0000-0000-0000-00000000000a",
            local_account_id: "11111111-0000-0000-0000-000000000001",
            username: "admin@contoso.com",
        },
    ]
    "#);
}

/// MSAL Python's key for an entry of `map`, spelled out from its fields as `TokenCache.key_makers` does.
fn msal_key(map: &str, e: &serde_json::Value) -> String {
    let f = |name: &str| e[name].as_str().unwrap_or_default().to_owned();
    match map {
        "AccessToken" => format!(
            "{}-{}-accesstoken-{}-{}-{}",
            f("home_account_id"),
            f("environment"),
            f("client_id"),
            f("realm"),
            f("target")
        )
        .to_lowercase(),
        "RefreshToken" => format!(
            "{}-{}-refreshtoken-{}--{}",
            f("home_account_id"),
            f("environment"),
            f("client_id"),
            f("target")
        )
        .to_lowercase(),
        "Account" => format!("{}-{}-{}", f("home_account_id"), f("environment"), f("realm")).to_lowercase(),
        _ => unreachable!("{map}"),
    }
}

// Issue 17 changed this test: an entry we rewrite used to keep another SDK's key; MSAL rebuilds keys from
// fields, so such an entry was left behind by `az logout`. It now moves to MSAL's key; entries we do not
// touch keep theirs.
#[test]
fn a_rewrite_keeps_unknown_fields_and_maps_and_rekeys_the_entries_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    write_file(&path, FOREIGN);
    let cache = TokenCache::open(&path);
    // the same account, client, tenant and scopes as the foreign entry: merged into it
    let renewed = user_result(&microsoft(HOME_TENANT), "new-user-at", "new-rt", GRAPH, NOW + 60);
    cache.save_at(&renewed, &[], None, at(NOW + 60)).unwrap();
    let doc = file_json(&path);
    assert_eq!(doc["UnknownMap"], serde_json::json!({"anything": [1, 2, 3]}));
    let at_keys = keys(&doc, "AccessToken");
    assert_eq!(at_keys.len(), 3, "{at_keys:?}");
    assert_eq!(
        &at_keys[..2],
        ["some-other-sdk-key-2", "pop-token"],
        "untouched entries keep their keys"
    );
    let user_at = &doc["AccessToken"][&at_keys[2]];
    assert_eq!(at_keys[2], msal_key("AccessToken", user_at));
    assert_eq!(user_at["secret"], "new-user-at");
    assert_eq!(user_at["expires_on"], (NOW + 60 + 3599).to_string());
    assert_eq!(user_at["x_sdk_private"], serde_json::json!({"keep": true}));
    assert_eq!(doc["AccessToken"]["pop-token"]["secret"], "pop-at");
    let account_keys = keys(&doc, "Account");
    assert_eq!(account_keys.len(), 1, "{account_keys:?}");
    let account = &doc["Account"][&account_keys[0]];
    assert_eq!(
        account_keys[0],
        msal_key("Account", account),
        "the account we saved again moved to MSAL's key"
    );
    assert_eq!(account["name"], "Admin");
    let rt_keys = keys(&doc, "RefreshToken");
    assert_eq!(rt_keys.len(), 1, "{rt_keys:?}");
    let rt = &doc["RefreshToken"][&rt_keys[0]];
    assert_eq!(rt_keys[0], msal_key("RefreshToken", rt));
    assert_eq!(rt["secret"], "new-rt");
}

#[test]
fn a_renewed_refresh_token_keeps_its_target_and_key_and_duplicates_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let home = home();
    let rt = |target: &str, secret: &str| {
        serde_json::json!({
            "credential_type": "RefreshToken", "secret": secret, "home_account_id": home,
            "environment": ENV, "client_id": client().as_str(), "target": target,
            "family_id": "1", "last_modification_time": "1"
        })
    };
    let first = rt(
        "https://management.core.windows.net//.default openid profile offline_access",
        "cli-rt",
    );
    let second = rt("https://graph.microsoft.com/.default", "other-rt");
    let first_key = msal_key("RefreshToken", &first);
    let doc = serde_json::json!({
        "AccessToken": {}, "Account": {}, "IdToken": {}, "AppMetadata": {},
        "RefreshToken": {
            (first_key.clone()): first,
            (msal_key("RefreshToken", &second)): second,
        }
    });
    write_file(&path, &doc.to_string());
    let cache = TokenCache::open(&path);
    let renewed = user_result(&microsoft(HOME_TENANT), "new-at", "new-rt", GRAPH, NOW);
    cache.save_at(&renewed, &[], None, at(NOW)).unwrap();
    let doc = file_json(&path);
    assert_eq!(
        keys(&doc, "RefreshToken"),
        std::slice::from_ref(&first_key),
        "one refresh token per account and client"
    );
    let rt = &doc["RefreshToken"][&first_key];
    assert_eq!(rt["secret"], "new-rt");
    assert_eq!(
        rt["target"],
        "https://management.core.windows.net//.default openid profile offline_access"
    );
    assert_eq!(rt["family_id"], "1", "family_id stays");
    assert_eq!(rt["last_modification_time"], NOW.to_string());
}

#[test]
fn requested_scopes_join_the_target_so_default_is_found_again() {
    let cache = TokenCache::in_memory();
    // asked for .default, granted the app's permissions one by one
    let result = user_result(
        &microsoft(HOME_TENANT),
        "AT",
        "RT",
        "https://graph.microsoft.com/User.Read",
        NOW,
    );
    cache.save_at(&result, &[GRAPH.into()], None, at(NOW)).unwrap();
    assert!(
        cache
            .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
            .unwrap()
            .is_some()
    );
    assert!(
        cache
            .find_access_token(
                &user_query(HOME_TENANT, &["https://graph.microsoft.com/User.Read"]),
                at(NOW)
            )
            .unwrap()
            .is_some()
    );
}

#[test]
fn expired_access_tokens_are_dropped_on_the_next_write() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(&app_result(&microsoft(CUSTOMER), "old", NOW), &[], None, at(NOW))
        .unwrap();
    cache
        .save_at(
            &app_result(&microsoft(HOME_TENANT), "new", NOW + 7200),
            &[],
            None,
            at(NOW + 7200),
        )
        .unwrap();
    let secrets: Vec<String> = cache
        .read_document(|doc| {
            entries(doc, ACCESS_TOKEN)
                .filter_map(|e| string(e, "secret"))
                .collect()
        })
        .unwrap();
    assert_eq!(secrets, ["new"]);
}

#[test]
fn removing_an_account_takes_its_tokens_in_every_tenant_and_nothing_else() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(
            &user_result(&microsoft(HOME_TENANT), "AT-home", "RT", GRAPH, NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    cache
        .save_at(
            &user_result(&microsoft(CUSTOMER), "AT-customer", "RT", GRAPH, NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    cache
        .save_at(
            &app_result(&microsoft(CUSTOMER), "app-at", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let mut other = user_token_response(
        "other-at",
        "other-rt",
        "22222222-0000-0000-0000-000000000002",
        HOME_TENANT,
        "b@contoso.com",
        GRAPH,
    );
    other["client_info"] =
        crate::testing::client_info("22222222-0000-0000-0000-000000000002", HOME_TENANT).into();
    let other = TokenResult::from_response(&other, &microsoft(HOME_TENANT), &client(), &[], at(NOW)).unwrap();
    cache.save_at(&other, &[], None, at(NOW)).unwrap();
    assert_eq!(cache.accounts().unwrap().len(), 3);

    cache
        .remove_account("LOGIN.microsoftonline.com", &home())
        .unwrap();
    let usernames: Vec<String> = cache
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(usernames, ["b@contoso.com"]);
    assert!(
        cache
            .find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .find_access_token(&user_query(HOME_TENANT, &[GRAPH]), at(NOW))
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .find_access_token(&user_query(CUSTOMER, &[GRAPH]), at(NOW))
            .unwrap()
            .is_none()
    );
    let id_tokens = cache.read_document(|doc| entries(doc, ID_TOKEN).count()).unwrap();
    assert_eq!(id_tokens, 1, "the other account's ID token stays");
    assert!(
        cache
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_some()
    );
    assert!(
        cache
            .find_refresh_token(ENV, &client(), other.home_account_id().unwrap())
            .unwrap()
            .is_some()
    );
    assert_eq!(
        cache
            .read_document(|doc| entries(doc, APP_METADATA).count())
            .unwrap(),
        1
    );

    cache.remove_app_tokens(ENV, &client(), CUSTOMER).unwrap();
    assert!(
        cache
            .find_access_token(&app_query(CUSTOMER), at(NOW))
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .find_access_token(
                &TokenQuery {
                    home_account_id: other.home_account_id().map(str::to_owned),
                    ..user_query(HOME_TENANT, &[GRAPH])
                },
                at(NOW)
            )
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_client_known_to_be_in_no_family_does_not_use_family_tokens() {
    let cache = TokenCache::in_memory();
    let mut json = user_token_response("AT", "family-rt", OID, HOME_TENANT, "u@contoso.com", GRAPH);
    json["client_info"] = crate::testing::client_info(OID, HOME_TENANT).into();
    json["foci"] = "1".into();
    let family = TokenResult::from_response(
        &json,
        &microsoft(HOME_TENANT),
        &ClientId::parse(OTHER_CLIENT).unwrap(),
        &[],
        at(NOW),
    )
    .unwrap();
    cache.save_at(&family, &[], None, at(NOW)).unwrap();
    // our client is not in the cache yet: it tries the family's token, as MSAL does
    assert_eq!(
        cache
            .find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .unwrap()
            .secret(),
        "family-rt"
    );
    // once our client's metadata says it has no family, only its own token counts
    cache
        .save_at(&app_result(&microsoft(CUSTOMER), "app", NOW), &[], None, at(NOW))
        .unwrap();
    assert!(
        cache
            .find_refresh_token(ENV, &client(), &home())
            .unwrap()
            .is_none()
    );
}

#[test]
fn nothing_secret_is_printed() {
    let cache = TokenCache::in_memory();
    cache
        .save_at(
            &app_result(&microsoft(CUSTOMER), "app-secret-token", NOW),
            &[],
            None,
            at(NOW),
        )
        .unwrap();
    let found = cache
        .find_access_token(&app_query(CUSTOMER), at(NOW))
        .unwrap()
        .unwrap();
    let printed = format!("{found:?} {cache:?}");
    assert!(!printed.contains("app-secret-token"));
    insta::assert_snapshot!(printed, @r#"CachedAccessToken { access_token: AccessToken([redacted]), expires_on: 1795345199, scopes: ["https://graph.microsoft.com/.default"], realm: "cccccccc-0000-0000-0000-00000000000c", home_account_id: None, token_type: "Bearer" } TokenCache { path: None, url: None, .. }"#);
}
