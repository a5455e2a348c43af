//! Both cmdlets' sets resolved from arguments as PowerShell would: every alias, every set, and the
//! errors of invalid combinations.

use auth_core::Credential;
use cmdlet::bind::canonical_name;

use auth_core::SignInMethod;
use cmdlet::Argument;
use cmdlet::sets::shared::ResolvedSignIn;

use super::*;

#[path = "../../../../tests/support/cmdlet/assert_set.rs"]
mod assert_set;
use assert_set::assert_set;

const APP: &str = "11111111-2222-3333-4444-555555555555";

fn credential() -> Argument {
    Argument::Credential(Credential::new(APP, "client-secret"))
}

fn connect(arguments: Vec<(&str, Argument)>) -> Result<ConnectPartnerCenter, String> {
    ConnectPartnerCenter::from_arguments(&auth_core::Session::new(Default::default()), arguments)
        .map_err(|e| e.to_string())
}

fn new_token(arguments: Vec<(&str, Argument)>) -> Result<NewPartnerAccessToken, String> {
    NewPartnerAccessToken::from_arguments(&auth_core::Session::new(Default::default()), arguments)
        .map_err(|e| e.to_string())
}

/// The aliases of the cmdlets' help pages: `(alias, parameter)`.
const CONNECT_ALIASES: [(&str, &str); 7] = [
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
    ("Device", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("DeviceCode", "UseDeviceAuthentication"),
    ("cf", "Confirm"),
    ("wi", "WhatIf"),
];
const NEW_ACCESS_TOKEN_ALIASES: [(&str, &str); 9] = [
    ("ClientId", "ApplicationId"),
    ("EnvironmentName", "Environment"),
    ("ModuleName", "Module"),
    ("AuthCode", "UseAuthorizationCode"),
    ("DeviceCode", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("Device", "UseDeviceAuthentication"),
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
];

#[test]
fn every_alias_of_the_help_pages_names_its_parameter() {
    for (alias, canonical) in CONNECT_ALIASES {
        assert_eq!(
            canonical_name(&CONNECT_CMDLET, alias).unwrap().name,
            canonical,
            "{alias}"
        );
        assert_eq!(
            canonical_name(&CONNECT_CMDLET, &alias.to_uppercase())
                .unwrap()
                .name,
            canonical
        );
    }
    for (alias, canonical) in NEW_ACCESS_TOKEN_ALIASES {
        assert_eq!(
            canonical_name(&NEW_ACCESS_TOKEN_CMDLET, alias).unwrap().name,
            canonical,
            "{alias}"
        );
    }
}

#[test]
fn every_connect_set_is_reached_with_its_documented_parameters() {
    let cases: Vec<(Vec<(&str, Argument)>, &str)> = vec![
        (vec![], "User"),
        (
            vec![
                ("-DeviceCode", Argument::Switch),
                ("-Domain", Argument::text("contoso.com")),
            ],
            "User",
        ),
        (
            vec![
                ("-AccessToken", Argument::secret("at")),
                ("-EnforceMFA", Argument::Switch),
            ],
            "AccessToken",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                ("-RefreshToken", Argument::secret("rt")),
            ],
            "RefreshToken",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                ("-RefreshToken", Argument::secret("rt")),
                ("-Credential", credential()),
            ],
            "RefreshToken",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                (
                    "-CertificateThumbprint",
                    Argument::text("F8813914053FBFB5D84F1EFA9EDB3205621C1126"),
                ),
                ("-TenantId", Argument::text("contoso.com")),
                ("-ServicePrincipal", Argument::Switch),
            ],
            "ServicePrincipalCertificate",
        ),
        (
            vec![
                ("-Credential", credential()),
                ("-Tenant", Argument::text("contoso.com")),
                ("-ServicePrincipal", Argument::Switch),
            ],
            "ServicePrincipal",
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
}

#[test]
fn the_device_aliases_turn_device_code_on() {
    for alias in [
        "-UseDeviceAuthentication",
        "-Device",
        "-DeviceAuth",
        "-DeviceCode",
    ] {
        let request = connect(vec![(alias, Argument::Switch)]).unwrap();
        assert!(matches!(
            request.set,
            PartnerCenterSignIn::User {
                use_device_authentication: true,
                ..
            }
        ));
    }
}

#[test]
fn environment_and_tenant_are_validated_naming_the_parameter() {
    let request = connect(vec![("-Environment", Argument::text("azurechinacloud"))]).unwrap();
    assert_eq!(request.common.environment.name, "AzureChinaCloud");
    // a user-defined environment, resolved by the caller, is taken as it is
    let mut mine = auth_core::Environment::from(auth_core::Cloud::AzureCloud);
    mine.name = "Contoso".into();
    let request = connect(vec![("-Environment", Argument::Environment(Box::new(mine)))]).unwrap();
    assert_eq!(request.common.environment.name, "Contoso");
    insta::assert_snapshot!(connect(vec![("-Environment", Argument::text("Global"))]).unwrap_err(), @"invalid value for -Environment: 'Global' is not one of the accepted values: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment");
    insta::assert_snapshot!(connect(vec![("-Tenant", Argument::text("a/b"))]).unwrap_err(), @"invalid value for -Tenant: 'a/b' is not a tenant: give a tenant id (GUID), a domain name such as contoso.onmicrosoft.com, or common, organizations or consumers");
    insta::assert_snapshot!(connect(vec![("-ApplicationId", Argument::text("xxxx")), ("-RefreshToken", Argument::secret("rt"))]).unwrap_err(), @"invalid value for -ApplicationId: 'xxxx' is not an application id: expected a GUID");
}

#[test]
fn invalid_connect_combinations_name_the_sets_and_what_each_needs() {
    insta::assert_snapshot!(connect(vec![("-ApplicationId", Argument::text(APP))]).unwrap_err(), @"Connect-PartnerCenter: parameter set cannot be resolved using the specified named parameters: -ApplicationId needs one of: RefreshToken (-RefreshToken), ServicePrincipalCertificate (-CertificateThumbprint, -Tenant), FederatedToken (-FederatedTokenFile), WorkloadIdentity (-WorkloadIdentity), ManagedIdentity (-Identity), Auto (-Auto)");
    insta::assert_snapshot!(connect(vec![("-Credential", credential()), ("-Tenant", Argument::text("contoso.com"))]).unwrap_err(), @"Connect-PartnerCenter: parameter set cannot be resolved using the specified named parameters: -Credential -Tenant needs one of: RefreshToken (-ApplicationId, -RefreshToken), ServicePrincipal (-ServicePrincipal)");
    insta::assert_snapshot!(connect(vec![("-AccessToken", Argument::secret("at")), ("-RefreshToken", Argument::secret("rt"))]).unwrap_err(), @"Connect-PartnerCenter: parameter set cannot be resolved using the specified named parameters: -AccessToken -RefreshToken cannot be used together; AccessToken does not take -RefreshToken; RefreshToken does not take -AccessToken");
    insta::assert_snapshot!(connect(vec![("-Device", Argument::Switch), ("-AccessToken", Argument::secret("at"))]).unwrap_err(), @"Connect-PartnerCenter: parameter set cannot be resolved using the specified named parameters: -UseDeviceAuthentication -AccessToken cannot be used together; User does not take -AccessToken; AccessToken does not take -UseDeviceAuthentication");
    insta::assert_snapshot!(connect(vec![("-ServicePrincipal", Argument::Switch)]).unwrap_err(), @"Connect-PartnerCenter: parameter set cannot be resolved using the specified named parameters: -ServicePrincipal needs one of: ServicePrincipalCertificate (-ApplicationId, -CertificateThumbprint, -Tenant), ServicePrincipal (-Credential, -Tenant)");
    insta::assert_snapshot!(connect(vec![
        ("-ApplicationId", Argument::text(APP)),
        ("-RefreshToken", Argument::secret("rt")),
        ("-Credential", credential()),
        ("-CertificateThumbprint", Argument::text("F8813914053FBFB5D84F1EFA9EDB3205621C1126")),
    ]).unwrap_err(), @"Connect-PartnerCenter: -Credential and -CertificateThumbprint cannot be used together (parameter set RefreshToken)");
}

#[test]
fn what_if_names_the_tenant_environment_and_set() {
    let bound = CONNECT_CMDLET
        .bind(vec![
            ("-Tenant", Argument::text("contoso.com")),
            ("-WhatIf", Argument::Switch),
        ])
        .unwrap();
    insta::assert_snapshot!(bound.what_if(), @r#"What if: Performing the operation "Connect" on target "tenant contoso.com in AzureCloud (User)""#);
}

#[test]
fn every_new_access_token_set_is_reached_with_its_documented_parameters() {
    let cases: Vec<(Vec<(&str, Argument)>, &str)> = vec![
        (
            vec![
                ("-AccessToken", Argument::secret("at")),
                ("-ClientId", Argument::text(APP)),
                ("-Scopes", Argument::text("s")),
            ],
            "AccessToken",
        ),
        (
            vec![
                ("-RefreshToken", Argument::secret("rt")),
                ("-Scopes", Argument::List(vec!["a".into(), "b".into()])),
            ],
            "RefreshToken",
        ),
        (
            vec![
                ("-RefreshToken", Argument::secret("rt")),
                ("-Scopes", Argument::text("s")),
                ("-ModuleName", Argument::text("exchangeonline")),
            ],
            "RefreshToken",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                ("-Credential", credential()),
                ("-Scopes", Argument::text("s")),
                ("-Tenant", Argument::text("contoso.com")),
                ("-ServicePrincipal", Argument::Switch),
            ],
            "ServicePrincipal",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                (
                    "-CertificateThumbprint",
                    Argument::text("F8813914053FBFB5D84F1EFA9EDB3205621C1126"),
                ),
                ("-Scopes", Argument::text("s")),
                ("-Tenant", Argument::text("contoso.com")),
            ],
            "ServicePrincipalCertificate",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                ("-Scopes", Argument::text("s")),
                ("-AuthCode", Argument::Switch),
            ],
            "User",
        ),
        (
            vec![
                ("-ApplicationId", Argument::text(APP)),
                ("-Scopes", Argument::text("s")),
                ("-Device", Argument::Switch),
            ],
            "User",
        ),
        (vec![("-Module", Argument::text("ExchangeOnline"))], "ByModule"),
        (
            vec![
                ("-ModuleName", Argument::text("ExchangeOnline")),
                ("-RefreshToken", Argument::secret("rt")),
            ],
            "ByModule",
        ),
    ];
    for (arguments, set) in cases {
        // each set is the variant of its name
        let built = new_token(arguments.clone()).map(|request| {
            let variant = format!("{:?}", request.set);
            variant[..variant.find(' ').unwrap_or(variant.len())].to_owned()
        });
        assert_set(
            &NEW_ACCESS_TOKEN_CMDLET,
            arguments,
            set,
            built.as_deref().map_err(String::clone),
        );
    }
    let request = new_token(vec![
        ("-ApplicationId", Argument::text(APP)),
        ("-Scopes", Argument::text("s")),
        ("-DeviceAuth", Argument::Switch),
    ])
    .unwrap();
    assert!(matches!(
        request.set,
        NewAccessTokenSet::User {
            flow: UserFlow::DeviceCode,
            ..
        }
    ));
    let request = new_token(vec![
        ("-Module", Argument::text("ExchangeOnline")),
        ("-EnvironmentName", Argument::text("AzureUSGovernment")),
    ])
    .unwrap();
    assert_eq!(request.environment.name, "AzureUSGovernment");
}

#[test]
fn invalid_new_access_token_combinations_name_the_sets_and_what_each_needs() {
    insta::assert_snapshot!(new_token(vec![("-Scopes", Argument::text("s"))]).unwrap_err(), @"New-PartnerAccessToken: parameter set cannot be resolved using the specified named parameters: -Scopes needs one of: AccessToken (-AccessToken, -ApplicationId), RefreshToken (-RefreshToken), ServicePrincipal (-ApplicationId, -Credential, -Tenant), ServicePrincipalCertificate (-ApplicationId, -CertificateThumbprint, -Tenant), User (-ApplicationId)");
    insta::assert_snapshot!(new_token(vec![("-Module", Argument::text("ExchangeOnline")), ("-Scopes", Argument::text("s"))]).unwrap_err(), @"New-PartnerAccessToken: parameter set cannot be resolved using the specified named parameters: -Module -Scopes needs one of: RefreshToken (-RefreshToken)");
    insta::assert_snapshot!(new_token(vec![("-ApplicationId", Argument::text(APP)), ("-Scopes", Argument::text("s")), ("-AuthCode", Argument::Switch), ("-DeviceCode", Argument::Switch)]).unwrap_err(), @"New-PartnerAccessToken: -UseAuthorizationCode and -UseDeviceAuthentication cannot be used together (parameter set User)");
    insta::assert_snapshot!(new_token(vec![("-Module", Argument::text("Teams"))]).unwrap_err(), @"invalid value for -Module: 'Teams' is not one of the accepted values: ExchangeOnline");
    insta::assert_snapshot!(new_token(vec![("-RefreshToken", Argument::secret("rt")), ("-Scopes", Argument::List(vec![]))]).unwrap_err(), @"invalid value for -Scopes: no scope given");
}

#[test]
fn from_azure_cli_is_a_set_of_its_own_with_account_and_tenant() {
    let request = connect(vec![
        ("-FromAzureCli", Argument::Switch),
        ("-Account", Argument::text("alice@contoso.com")),
        ("-Domain", Argument::text("contoso.com")),
    ])
    .unwrap();
    match &request.set {
        PartnerCenterSignIn::Shared(ResolvedSignIn {
            method: SignInMethod::AzureCli { account },
            tenant,
            ..
        }) => {
            assert_eq!(account.as_deref(), Some("alice@contoso.com"));
            assert_eq!(tenant.as_ref().map(|t| t.as_str()), Some("contoso.com"));
        }
        other => panic!("{other:?}"),
    }
    let alone = connect(vec![("-FromAzureCli", Argument::Switch)]).unwrap();
    assert!(matches!(
        alone.set,
        PartnerCenterSignIn::Shared(ResolvedSignIn {
            method: SignInMethod::AzureCli { account: None },
            tenant: None,
            ..
        })
    ));
    let error = connect(vec![
        ("-FromAzureCli", Argument::Switch),
        ("-UseDeviceAuthentication", Argument::Switch),
    ])
    .unwrap_err();
    assert!(error.contains("FromAzureCli"), "{error}");
}
