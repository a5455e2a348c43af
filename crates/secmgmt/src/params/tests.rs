//! Connect-SecMgmtAccount's sets resolved from arguments: every alias, every set, the invalid
//! combinations' errors.

use cmdlet::bind::canonical_name;

use cmdlet::Argument;

use cmdlet::Request;

use super::*;

const APP: &str = "11111111-2222-3333-4444-555555555555";

fn connect(arguments: Vec<(&str, Argument)>) -> Result<ConnectSecMgmtAccount, String> {
    ConnectSecMgmtAccount::from_arguments(&auth_core::Session::new(Default::default()), arguments)
        .map_err(|e| e.to_string())
}

#[test]
fn every_alias_names_its_parameter() {
    // the help page's aliases (and msconnect's own), and each resolves
    insta::assert_compact_debug_snapshot!(CONNECT_CMDLET.aliases(), @r#"[("ClientId", "ApplicationId"), ("cf", "Confirm"), ("Domain", "Tenant"), ("TenantId", "Tenant"), ("Device", "UseDeviceAuthentication"), ("DeviceAuth", "UseDeviceAuthentication"), ("DeviceCode", "UseDeviceAuthentication"), ("wi", "WhatIf"), ("ManagedIdentity", "Identity")]"#);
    let resolves =
        |(alias, name): &(&str, &str)| canonical_name(&CONNECT_CMDLET, alias).unwrap().name == *name;
    assert!(CONNECT_CMDLET.aliases().iter().all(resolves));
    insta::assert_snapshot!(canonical_name(&CONNECT_CMDLET, "-EnforceMFA").unwrap_err(), @"Connect-SecMgmtAccount: a parameter cannot be found that matches parameter name 'EnforceMFA'; the parameters are: -AccessToken -ApplicationId -CertificateThumbprint -Confirm -Credential -Environment -RefreshToken -ServicePrincipal -Tenant -UseDeviceAuthentication -WhatIf -FromAzureCli -Account -FederatedTokenFile -WorkloadIdentity -ServiceConnectionId -Identity -ObjectId -ResourceId -EnvironmentVariable -Auto -Cae -ClaimsChallenge");
}

#[test]
fn the_sets_are_the_standard_five_and_msconnect_own_and_the_environment_is_checked() {
    let names: Vec<&str> = CONNECT_CMDLET.sets().iter().map(|s| s.name).collect();
    assert_eq!(
        names.join(" "),
        "User AccessToken RefreshToken ServicePrincipalCertificate ServicePrincipal \
         FederatedToken WorkloadIdentity ManagedIdentity EnvironmentVariable Auto FromAzureCli"
    );
    let request = connect(vec![
        ("-Device", Argument::Switch),
        ("-Environment", Argument::text("azureppe")),
    ])
    .unwrap();
    assert_eq!(request.set.set_name(), "User");
    assert_eq!(request.environment.name, "AzurePPE");
}

#[test]
fn invalid_combinations_name_the_sets_and_what_each_needs() {
    insta::assert_snapshot!(connect(vec![("-ApplicationId", Argument::text(APP)), ("-Tenant", Argument::text("contoso.com"))]).unwrap_err(), @"Connect-SecMgmtAccount: parameter set cannot be resolved using the specified named parameters: -ApplicationId -Tenant needs one of: RefreshToken (-RefreshToken), ServicePrincipalCertificate (-CertificateThumbprint), FederatedToken (-FederatedTokenFile), WorkloadIdentity (-WorkloadIdentity), ManagedIdentity (-Identity), Auto (-Auto)");
    insta::assert_snapshot!(connect(vec![("-AccessToken", Argument::text("at")), ("-Device", Argument::Switch)]).unwrap_err(), @"Connect-SecMgmtAccount: parameter set cannot be resolved using the specified named parameters: -AccessToken -UseDeviceAuthentication cannot be used together; User does not take -AccessToken; AccessToken does not take -UseDeviceAuthentication");
    insta::assert_snapshot!(connect(vec![("-Environment", Argument::text("China"))]).unwrap_err(), @"invalid value for -Environment: 'China' is not one of the accepted values: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment");
}
