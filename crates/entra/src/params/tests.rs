//! Connect-Entra's sets resolved from arguments: the help page's parameters, Connect-MgGraph's
//! additions and every alias, and the invalid combinations' errors.

use auth_core::{Credential, SecretText};
use cmdlet::bind::canonical_name;

use auth_core::SignInMethod;
use cmdlet::Argument;
use cmdlet::sets::shared::ResolvedSignIn;

use cmdlet::Request;

use super::*;

#[path = "../../../../tests/support/cmdlet/assert_set.rs"]
mod assert_set;
use assert_set::assert_set;

const APP: &str = "11111111-2222-3333-4444-555555555555";
const TENANT: &str = "d5aec55f-2d12-4442-8d2f-ccca95d4390e";

fn connect(arguments: Vec<(&str, Argument)>) -> Result<ConnectEntra, String> {
    ConnectEntra::from_arguments(&auth_core::Session::new(Default::default()), arguments)
        .map_err(|e| e.to_string())
}

#[test]
fn every_alias_names_its_parameter() {
    // the help page's aliases (and msconnect's own), and each resolves
    insta::assert_compact_debug_snapshot!(CONNECT_CMDLET.aliases(), @r#"[("ApplicationId", "ClientId"), ("AppId", "ClientId"), ("cf", "Confirm"), ("AccessToken", "MsAccessToken"), ("Domain", "TenantId"), ("TenantDomain", "TenantId"), ("Tenant", "TenantId"), ("UseDeviceAuthentication", "UseDeviceCode"), ("DeviceCode", "UseDeviceCode"), ("DeviceAuth", "UseDeviceCode"), ("Device", "UseDeviceCode"), ("wi", "WhatIf"), ("ManagedIdentity", "Identity")]"#);
    let resolves =
        |(alias, name): &(&str, &str)| canonical_name(&CONNECT_CMDLET, alias).unwrap().name == *name;
    assert!(CONNECT_CMDLET.aliases().iter().all(resolves));
}

#[test]
fn the_help_pages_examples_and_the_mg_graph_additions_reach_their_sets() {
    let user = || Argument::Credential(Credential::new("admin@contoso.com", "pw"));
    let cases: Vec<(Vec<(&str, Argument)>, &str)> = vec![
        (vec![], "UserCredential"),
        (vec![("-Credential", user())], "UserCredential"),
        (
            vec![
                ("-TenantDomain", Argument::text("contoso.com")),
                ("-Scopes", Argument::text("User.Read.All,Group.Read.All")),
            ],
            "UserCredential",
        ),
        (
            vec![
                ("-AppId", Argument::text(APP)),
                ("-UseDeviceAuthentication", Argument::Switch),
            ],
            "UserCredential",
        ),
        (
            vec![
                ("-TenantId", Argument::text(TENANT)),
                ("-ApplicationId", Argument::text(APP)),
                (
                    "-CertificateThumbprint",
                    Argument::text("F8813914053FBFB5D84F1EFA9EDB3205621C1126"),
                ),
            ],
            "ServicePrincipalCertificate",
        ),
        (
            vec![("-MsAccessToken", Argument::Secret(SecretText::new("at")))],
            "AccessToken",
        ),
        (
            vec![
                ("-AccessToken", Argument::Secret(SecretText::new("at"))),
                ("-Domain", Argument::text("contoso.com")),
            ],
            "AccessToken",
        ),
        (
            vec![
                (
                    "-ClientSecretCredential",
                    Argument::Credential(Credential::new(APP, "s")),
                ),
                ("-Tenant", Argument::text(TENANT)),
            ],
            "AppSecretCredential",
        ),
    ];
    for (arguments, set) in cases {
        let built = connect(arguments.clone());
        let built = built
            .as_ref()
            .map(|request| request.set.set_name())
            .map_err(String::clone);
        assert_set(&CONNECT_CMDLET, arguments, set, built);
    }
    let request = connect(vec![
        ("-Scopes", Argument::text("User.Read.All,Group.Read.All")),
        ("-Environment", Argument::text("usgov")),
    ])
    .unwrap();
    assert_eq!(request.environment.name, "USGov");
    let EntraSignIn::UserCredential { scopes, method, .. } = request.set else {
        panic!("not UserCredential")
    };
    assert_eq!(scopes, ["User.Read.All", "Group.Read.All"]);
    assert!(matches!(method, UserMethod::Browser));
    for alias in [
        "-UseDeviceCode",
        "-DeviceCode",
        "-DeviceAuth",
        "-Device",
        "-UseDeviceAuthentication",
    ] {
        let request = connect(vec![(alias, Argument::Switch)]).unwrap();
        assert!(matches!(
            request.set,
            EntraSignIn::UserCredential {
                method: UserMethod::DeviceCode,
                ..
            }
        ));
    }
}

#[test]
fn invalid_combinations_name_the_sets_and_what_each_needs() {
    insta::assert_snapshot!(connect(vec![("-ApplicationId", Argument::text(APP)), ("-CertificateThumbprint", Argument::text("AB"))]).unwrap_err(), @"Connect-Entra: parameter set cannot be resolved using the specified named parameters: -ClientId -CertificateThumbprint needs one of: ServicePrincipalCertificate (-TenantId)");
    insta::assert_snapshot!(connect(vec![("-ClientSecretCredential", Argument::Credential(Credential::new(APP, "s")))]).unwrap_err(), @"Connect-Entra: parameter set cannot be resolved using the specified named parameters: -ClientSecretCredential needs one of: AppSecretCredential (-TenantId)");
    insta::assert_snapshot!(connect(vec![("-MsAccessToken", Argument::text("at")), ("-Credential", Argument::Credential(Credential::new("u", "p")))]).unwrap_err(), @"Connect-Entra: parameter set cannot be resolved using the specified named parameters: -MsAccessToken -Credential cannot be used together; UserCredential does not take -MsAccessToken; AccessToken does not take -Credential");
    insta::assert_snapshot!(connect(vec![("-Credential", Argument::Credential(Credential::new("u", "p"))), ("-UseDeviceCode", Argument::Switch)]).unwrap_err(), @"Connect-Entra: -Credential and -UseDeviceCode cannot be used together (parameter set UserCredential)");
}

#[test]
fn what_if_names_the_target() {
    insta::assert_snapshot!(CONNECT_CMDLET.bind(vec![("-TenantId", Argument::text(TENANT)), ("-WhatIf", Argument::Switch)]).unwrap().what_if(), @r#"What if: Performing the operation "Connect" on target "tenant d5aec55f-2d12-4442-8d2f-ccca95d4390e in Global (UserCredential)""#);
}

#[test]
fn from_azure_cli_is_a_set_of_its_own_with_account_and_tenant() {
    let request = connect(vec![
        ("-FromAzureCli", Argument::Switch),
        ("-Account", Argument::text("alice@contoso.com")),
        ("-Tenant", Argument::text(TENANT)),
    ])
    .unwrap();
    match &request.set {
        EntraSignIn::Shared(ResolvedSignIn {
            method: SignInMethod::AzureCli { account },
            tenant,
            ..
        }) => {
            assert_eq!(account.as_deref(), Some("alice@contoso.com"));
            assert_eq!(tenant.as_ref().map(|t| t.as_str()), Some(TENANT));
        }
        other => panic!("{other:?}"),
    }
    let error = connect(vec![
        ("-FromAzureCli", Argument::Switch),
        ("-ClientId", Argument::text(APP)),
    ])
    .unwrap_err();
    assert!(error.contains("FromAzureCli"), "{error}");
}
