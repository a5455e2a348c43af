//! Connect-SecMgmtAccount's sets resolved from arguments: every alias, every set, the invalid
//! combinations' errors.

use auth_core::{Credential, SecretText};
use cmdlet::bind::canonical_name;

use super::*;

const APP: &str = "11111111-2222-3333-4444-555555555555";

fn text(value: &str) -> Argument {
    Argument::Text(value.to_owned())
}

fn connect(arguments: Vec<(&str, Argument)>) -> Result<ConnectSecMgmtAccount, String> {
    ConnectSecMgmtAccount::from_arguments(arguments).map_err(|e| e.to_string())
}

#[test]
fn every_alias_names_its_parameter() {
    // the help page's aliases, `alias:parameter`
    let aliases = "Domain:Tenant TenantId:Tenant Device:UseDeviceAuthentication \
                   DeviceAuth:UseDeviceAuthentication DeviceCode:UseDeviceAuthentication cf:Confirm wi:WhatIf";
    for pair in aliases.split_whitespace() {
        let (alias, canonical) = pair.split_once(':').unwrap();
        assert_eq!(
            canonical_name(&CONNECT, alias).unwrap().name,
            canonical,
            "{alias}"
        );
    }
    insta::assert_snapshot!(canonical_name(&CONNECT, "-EnforceMFA").unwrap_err(), @"Connect-SecMgmtAccount: a parameter cannot be found that matches parameter name 'EnforceMFA'; the parameters are: -AccessToken -ApplicationId -CertificateThumbprint -Confirm -Credential -Environment -RefreshToken -ServicePrincipal -Tenant -UseDeviceAuthentication -WhatIf -FromAzureCli -Account -FederatedTokenFile -WorkloadIdentity -ServiceConnectionId -Identity -ObjectId -ResourceId -EnvironmentVariable");
}

#[test]
fn every_set_is_reached_with_its_documented_parameters() {
    let credential = || Argument::Credential(Credential::new(APP, "secret"));
    let cases: Vec<(Vec<(&str, Argument)>, &str)> = vec![
        (vec![], "User"),
        (
            vec![
                ("-DeviceAuth", Argument::Switch),
                ("-TenantId", text("contoso.com")),
            ],
            "User",
        ),
        (
            vec![("-AccessToken", Argument::Secret(SecretText::new("at")))],
            "AccessToken",
        ),
        (
            vec![
                ("-ApplicationId", text(APP)),
                ("-RefreshToken", text("rt")),
                ("-Credential", credential()),
            ],
            "RefreshToken",
        ),
        (
            vec![
                ("-ApplicationId", text(APP)),
                ("-CertificateThumbprint", text("AB")),
                ("-Domain", text("contoso.com")),
            ],
            "ServicePrincipalCertificate",
        ),
        (
            vec![
                ("-Credential", credential()),
                ("-Tenant", text("contoso.com")),
                ("-ServicePrincipal", Argument::Switch),
            ],
            "ServicePrincipal",
        ),
    ];
    for (arguments, set) in cases {
        assert_eq!(connect(arguments).unwrap().set.set_name(), set);
    }
    assert_eq!(
        connect(vec![("-Environment", text("AzurePPE"))])
            .unwrap()
            .environment
            .name,
        "AzurePPE"
    );
}

#[test]
fn invalid_combinations_name_the_sets_and_what_each_needs() {
    insta::assert_snapshot!(connect(vec![("-ApplicationId", text(APP)), ("-Tenant", text("contoso.com"))]).unwrap_err(), @"Connect-SecMgmtAccount: parameter set cannot be resolved using the specified named parameters: -ApplicationId -Tenant needs one of: RefreshToken (-RefreshToken), ServicePrincipalCertificate (-CertificateThumbprint), FederatedToken (-FederatedTokenFile), WorkloadIdentity (-WorkloadIdentity), ManagedIdentity (-Identity)");
    insta::assert_snapshot!(connect(vec![("-AccessToken", text("at")), ("-Device", Argument::Switch)]).unwrap_err(), @"Connect-SecMgmtAccount: parameter set cannot be resolved using the specified named parameters: -AccessToken -UseDeviceAuthentication cannot be used together; User does not take -AccessToken; AccessToken does not take -UseDeviceAuthentication");
    insta::assert_snapshot!(connect(vec![("-Environment", text("China"))]).unwrap_err(), @"invalid value for -Environment: 'China' is not one of the accepted values: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment");
}
