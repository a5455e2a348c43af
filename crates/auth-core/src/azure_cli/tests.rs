//! Tests of the Azure CLI's sign-in: its folder, `azureProfile.json` as the CLI writes it (with a byte
//! order mark), choosing the account, the encrypted cache, and the silent sign-in against mockito: a
//! renewal with the CLI's family refresh token, and the message once the CLI signed out.

use mockito::Matcher;
use serde_json::json;

use super::*;
use crate::testing::{NOW, client_info, http_client, user_token_response};
use crate::time::from_epoch_seconds;

const AZ_CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const TENANT: &str = "aaaaaaaa-0000-0000-0000-00000000000a";
const OID: &str = "11111111-0000-0000-0000-000000000001";
const UPN: &str = "admin@contoso.com";

fn subscription(name: &str, kind: &str, tenant: &str, default: bool) -> Value {
    json!({
        "id": "5f0c1a2b-0000-0000-0000-000000000001", "name": "Pay-As-You-Go", "state": "Enabled",
        "user": {"name": name, "type": kind}, "isDefault": default, "tenantId": tenant,
        "environmentName": "AzureCloud", "homeTenantId": tenant, "managedByTenants": []
    })
}

/// A config folder with `azureProfile.json` written as the CLI writes it: `utf-8-sig`.
fn folder(subscriptions: Vec<Value>) -> (tempfile::TempDir, AzureCli) {
    let dir = tempfile::tempdir().unwrap();
    let profile =
        json!({"installationId": "00000000-0000-0000-0000-0000000000ff", "subscriptions": subscriptions});
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(serde_json::to_vec(&profile).unwrap());
    std::fs::write(dir.path().join(AZURE_PROFILE_FILE), bytes).unwrap();
    let cli = AzureCli::at(dir.path());
    (dir, cli)
}

#[test]
fn the_folder_is_azure_config_dir_else_dot_azure_in_home() {
    let env = EnvVars::from_pairs([("AZURE_CONFIG_DIR", "/srv/az"), ("HOME", "/home/u")]);
    assert_eq!(
        AzureCli::locate(&env, &SharedFolders::default())
            .unwrap()
            .config_dir(),
        Path::new("/srv/az")
    );
    let env = EnvVars::from_pairs([("HOME", "/home/u")]);
    assert_eq!(
        AzureCli::locate(&env, &SharedFolders::default())
            .unwrap()
            .config_dir(),
        Path::new("/home/u/.azure")
    );
    let env = EnvVars::from_pairs([("AZURE_CONFIG_DIR", "az")]);
    let error = AzureCli::locate(&env, &SharedFolders::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("AZURE_CONFIG_DIR") && error.contains("relative"),
        "{error}"
    );
}

#[test]
fn the_profile_with_its_byte_order_mark_gives_one_account_per_user_with_the_default_tenant() {
    let (_dir, cli) = folder(vec![
        subscription(UPN, "user", "bbbbbbbb-0000-0000-0000-00000000000b", false),
        subscription("ADMIN@contoso.com", "user", TENANT, true),
    ]);
    let accounts = cli.accounts().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0].tenant_id, TENANT, "the default subscription's tenant");
    assert_eq!(accounts[0].kind, AzureCliAccountKind::User);
    assert_eq!(accounts[0].environment_name, "AzureCloud");
    assert!(cli.choose(None).unwrap().username.eq_ignore_ascii_case(UPN));
}

#[test]
fn several_accounts_need_the_account_parameter() {
    let (_dir, cli) = folder(vec![
        subscription(UPN, "user", TENANT, true),
        subscription("ops@fabrikam.com", "user", TENANT, false),
    ]);
    let error = cli.choose(None).unwrap_err().to_string();
    assert!(
        error.contains("admin@contoso.com, ops@fabrikam.com") && error.contains("name the one to use"),
        "{error}"
    );
    assert_eq!(
        cli.choose(Some("OPS@fabrikam.com")).unwrap().username,
        "ops@fabrikam.com"
    );
    let error = cli.choose(Some("nobody@x\u{1b}[2J.com")).unwrap_err().to_string();
    assert!(
        error.contains("no account nobody@x[2J.com"),
        "no control character: {error}"
    );
}

#[test]
fn no_profile_or_no_subscription_means_run_az_login() {
    let dir = tempfile::tempdir().unwrap();
    let error = AzureCli::at(dir.path()).choose(None).unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)));
    assert!(
        error
            .to_string()
            .contains("the Azure CLI has no signed-in account"),
        "{error}"
    );
    assert!(error.to_string().ends_with("run az login"), "{error}");
    let (_dir, cli) = folder(vec![]);
    assert!(
        cli.choose(None)
            .unwrap_err()
            .to_string()
            .contains("no signed-in account")
    );
}

#[test]
fn a_service_principal_is_refused_with_what_to_use_instead() {
    let (_dir, cli) = folder(vec![subscription(AZ_CLIENT, "servicePrincipal", TENANT, true)]);
    let error = cli.choose(None).unwrap_err();
    assert!(
        matches!(&error, Error::AzureCliUnusable(AzureCliProblem::ServicePrincipal { username }) if username == AZ_CLIENT),
        "{error:?}"
    );
    // in the library's words: the command line names its options (issue 22)
    let error = error.to_string();
    assert!(error.contains("uses a service principal"), "{error}");
    assert!(
        error.contains("sign in as the service principal with its secret or certificate")
            && !error.contains("--"),
        "{error}"
    );
}

#[test]
fn a_broken_profile_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(AZURE_PROFILE_FILE), b"\xEF\xBB\xBF{ not json").unwrap();
    let error = AzureCli::at(dir.path()).choose(None).unwrap_err().to_string();
    assert!(
        error.contains("azureProfile.json") && error.contains("not JSON"),
        "{error}"
    );
}

#[test]
fn an_encrypted_cache_is_a_clear_error_and_no_cache_means_run_az_login() {
    let (dir, cli) = folder(vec![subscription(UPN, "user", TENANT, true)]);
    let error = cli.token_cache().unwrap_err().to_string();
    assert!(
        error.contains("no signed-in account") && error.contains("run az login"),
        "{error}"
    );
    std::fs::write(dir.path().join(AZURE_CLI_ENCRYPTED_CACHE_FILE), b"\x01\x00binary").unwrap();
    let error = cli.token_cache().unwrap_err().to_string();
    assert!(
        error.contains("encrypted") && error.contains("msal_token_cache.bin"),
        "{error}"
    );
    assert!(error.contains("core.encrypt_token_cache=false"), "{error}");
}

/// What `az login` leaves in the CLI's cache for the mock server's environment: the family refresh token
/// and the account, with an access token for ARM only.
fn az_login(cli: &AzureCli, server: &mockito::Server) {
    let host = url::Url::parse(&server.url()).unwrap();
    let authority = Authority::new(&host, &Tenant::parse(TENANT).unwrap()).unwrap();
    let mut response = user_token_response(
        "arm-at",
        "family-rt",
        OID,
        TENANT,
        UPN,
        "https://management.core.windows.net//user_impersonation",
    );
    response["foci"] = "1".into();
    response["client_info"] = client_info(OID, TENANT).into();
    let client = ClientId::parse(AZ_CLIENT).unwrap();
    let result =
        TokenResult::from_response(&response, &authority, &client, &[], from_epoch_seconds(NOW)).unwrap();
    TokenCache::open(cli.cache_path())
        .save_at(&result, &[], None, from_epoch_seconds(NOW))
        .unwrap();
}

#[tokio::test]
async fn the_clis_refresh_token_buys_a_token_for_another_scope_and_az_logout_signs_out() {
    let mut server = mockito::Server::new_async().await;
    let (_dir, cli) = folder(vec![subscription(UPN, "user", TENANT, true)]);
    az_login(&cli, &server);
    let mut renewed = user_token_response(
        "graph-at",
        "family-rt-2",
        OID,
        TENANT,
        UPN,
        "https://graph.microsoft.com/.default",
    );
    renewed["foci"] = "1".into();
    renewed["client_info"] = client_info(OID, TENANT).into();
    let token = server
        .mock("POST", format!("/{TENANT}/oauth2/v2.0/token").as_str())
        .match_body(Matcher::AllOf(vec![
            Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            Matcher::UrlEncoded("refresh_token".into(), "family-rt".into()),
            Matcher::UrlEncoded("client_id".into(), AZ_CLIENT.into()),
        ]))
        .with_body(renewed.to_string())
        .expect(1)
        .create_async()
        .await;
    let (http, _) = http_client();
    let host = url::Url::parse(&server.url()).unwrap();
    let authority = Authority::new(&host, &Tenant::common()).unwrap();
    let client = ClientId::parse(AZ_CLIENT).unwrap();
    let scopes = vec!["https://graph.microsoft.com/.default".to_owned()];
    let request = FromAzureCli {
        authority: &authority,
        client_id: &client,
        scopes: &scopes,
        username: None,
        tenant: None,
    };
    let signed_in = cli.sign_in(&http, request).await.unwrap();
    token.assert_async().await;
    assert_eq!(signed_in.token.access_token.secret(), "graph-at");
    assert_eq!(signed_in.account.username, UPN);
    assert_eq!(signed_in.cache.path(), Some(cli.cache_path().as_path()));
    // the CLI's file holds the renewed refresh token, still one, with its family
    let doc: Value = serde_json::from_slice(&std::fs::read(cli.cache_path()).unwrap()).unwrap();
    let rts: Vec<&Value> = doc["RefreshToken"].as_object().unwrap().values().collect();
    assert_eq!(rts.len(), 1, "{rts:?}");
    assert_eq!(rts[0]["secret"], "family-rt-2");
    assert_eq!(rts[0]["family_id"], "1");
    // `az logout`: MSAL removes the account's entries; a token for a new scope is refused
    TokenCache::open(cli.cache_path())
        .remove_account(&signed_in.account.environment, &signed_in.account.home_account_id)
        .unwrap();
    let scopes = vec!["https://outlook.office365.com/.default".to_owned()];
    let error = cli
        .sign_in(
            &http,
            FromAzureCli {
                scopes: &scopes,
                ..request
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SignInRequired(_)));
    assert_eq!(
        error.to_string(),
        "admin@contoso.com is signed out in the Azure CLI; run az login or connect again"
    );
}

/// Whoever could write the Azure CLI's folder could plant an account and a refresh token of their own, and
/// msconnect would then act in their tenant: the folder and its profile and cache must be this user's and
/// writable by no one else, as msconnect's own folder must.
#[cfg(unix)]
#[test]
#[allow(clippy::print_stdout)] // why a case could not run, rather than a silent pass
fn a_folder_or_profile_others_could_write_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, _) = folder(vec![subscription(UPN, "user", TENANT, true)]);
    let env = |dir: &Path| EnvVars::from_pairs([("AZURE_CONFIG_DIR", dir.to_str().unwrap())]);
    let profile = dir.path().join(AZURE_PROFILE_FILE);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(AzureCli::locate(&env(dir.path()), &SharedFolders::default()).is_ok());
    std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o666)).unwrap();
    let error = AzureCli::locate(&env(dir.path()), &SharedFolders::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&profile.display().to_string()) && error.contains("chmod go-w"),
        "{error}"
    );
    std::fs::set_permissions(&profile, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        std::fs::metadata(&profile).unwrap().permissions().mode() & 0o777,
        0o644,
        "another tool's file is not made private behind its back"
    );
    if rustix::process::geteuid().as_raw() != 0 {
        println!("not root: the case of a profile owned by another user was not run");
        return;
    }
    std::os::unix::fs::chown(&profile, Some(65534), None).unwrap();
    let error = AzureCli::locate(&env(dir.path()), &SharedFolders::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("belongs to another user (uid 65534"), "{error}");
    let accepted = SharedFolders {
        accepted: true,
        ..SharedFolders::default()
    };
    assert!(AzureCli::locate(&env(dir.path()), &accepted).is_ok());
}
