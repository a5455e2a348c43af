//! Parameter binding against a cmdlet shaped like Connect-PartnerCenter: names, aliases, prefixes, set
//! resolution, values checked where they enter, and the errors users see in PowerShell's words and the
//! command line's.

use auth_core::SecretText;

use super::*;
use crate::declare::ParameterSet;
use crate::sample::SAMPLE;
use crate::sets::partner_sdk::{
    APPLICATION_ID, REFRESH_TOKEN, SERVICE_PRINCIPAL, TENANT, USE_DEVICE_AUTHENTICATION,
};
use crate::sets::shared::ACCOUNT;

/// The parameters of `SAMPLE` named.
fn parameters(names: &[&str]) -> Vec<&'static Parameter> {
    names.iter().map(|name| SAMPLE.parameter(name).unwrap()).collect()
}

fn name(typed: &str) -> String {
    match canonical_name(&SAMPLE, typed) {
        Ok(parameter) => parameter.name.to_owned(),
        Err(e) => e.to_string(),
    }
}

fn set(given: &[&str]) -> String {
    match resolve(SAMPLE.sets(), &parameters(given)) {
        Ok(set) => set.name.to_owned(),
        Err(problem) => Error::binding(&SAMPLE, problem).to_string(),
    }
}

fn on_the_command_line(given: &[&str]) -> String {
    resolve(SAMPLE.sets(), &parameters(given))
        .unwrap_err()
        .for_command_line(&SAMPLE)
}

#[test]
fn names_match_in_any_case_through_aliases_and_in_kebab_case() {
    assert_eq!(name("-tenant"), "Tenant");
    assert_eq!(name("TENANTID"), "Tenant");
    assert_eq!(name("--tenant-id"), "Tenant");
    assert_eq!(name("-Domain"), "Tenant");
    assert_eq!(name("-DeviceCode"), "UseDeviceAuthentication");
    assert_eq!(name("device-auth"), "UseDeviceAuthentication");
    assert_eq!(name("-Device"), "UseDeviceAuthentication");
    assert_eq!(name("-wi"), "WhatIf");
    assert_eq!(name("-ManagedIdentity"), "Identity");
}

#[test]
fn unambiguous_prefixes_are_accepted_and_ambiguous_ones_named() {
    assert_eq!(name("-App"), "ApplicationId");
    assert_eq!(name("-Ref"), "RefreshToken");
    // every spelling starting "Dev" leads to one parameter
    assert_eq!(name("-Dev"), "UseDeviceAuthentication");
    assert_eq!(name("-Ce"), "CertificateThumbprint");
    insta::assert_snapshot!(name("-C"), @"Connect-Sample: parameter name 'C' is ambiguous; possible matches include: -ApplicationId -CertificateThumbprint -Confirm -Credential -Cae -ClaimsChallenge");
    insta::assert_snapshot!(name("-Bogus"), @"Connect-Sample: a parameter cannot be found that matches parameter name 'Bogus'; the parameters are: -AccessToken -ApplicationId -CertificateThumbprint -Confirm -Credential -Environment -RefreshToken -ServicePrincipal -Tenant -UseDeviceAuthentication -WhatIf -FromAzureCli -Account -FederatedTokenFile -WorkloadIdentity -ServiceConnectionId -Identity -ObjectId -ResourceId -EnvironmentVariable -Auto -Cae -ClaimsChallenge");
}

#[test]
fn the_set_follows_the_parameters_given() {
    assert_eq!(set(&[]), "User");
    assert_eq!(set(&["Tenant"]), "User");
    assert_eq!(set(&["UseDeviceAuthentication", "Tenant"]), "User");
    assert_eq!(set(&["AccessToken"]), "AccessToken");
    assert_eq!(set(&["ApplicationId", "RefreshToken"]), "RefreshToken");
    assert_eq!(
        set(&["ApplicationId", "RefreshToken", "CertificateThumbprint"]),
        "RefreshToken"
    );
    assert_eq!(
        set(&["ApplicationId", "CertificateThumbprint", "Tenant"]),
        "ServicePrincipalCertificate"
    );
    assert_eq!(
        set(&["Credential", "ServicePrincipal", "Tenant"]),
        "ServicePrincipal"
    );
    assert_eq!(set(&["Identity", "ObjectId"]), "ManagedIdentity");
    assert_eq!(set(&["FromAzureCli", "Account"]), "FromAzureCli");
}

#[test]
fn incomplete_sets_say_what_each_still_needs() {
    insta::assert_snapshot!(set(&["ApplicationId"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -ApplicationId needs one of: RefreshToken (-RefreshToken), ServicePrincipalCertificate (-CertificateThumbprint, -Tenant), FederatedToken (-FederatedTokenFile), WorkloadIdentity (-WorkloadIdentity), ManagedIdentity (-Identity), Auto (-Auto)");
    insta::assert_snapshot!(on_the_command_line(&["Credential", "Tenant"]), @r"
    --credential and --tenant match no parameter set of Connect-Sample; add what one of them needs:
      RefreshToken needs --application-id and --refresh-token
      ServicePrincipal needs --service-principal
    ");
}

#[test]
fn parameters_of_different_sets_are_refused_together() {
    insta::assert_snapshot!(set(&["AccessToken", "RefreshToken"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -AccessToken -RefreshToken cannot be used together; AccessToken does not take -RefreshToken; RefreshToken does not take -AccessToken");
    insta::assert_snapshot!(on_the_command_line(&["AccessToken", "UseDeviceAuthentication"]), @r"
    --access-token and --use-device-authentication cannot be used together with Connect-Sample:
      User does not take --access-token
      AccessToken does not take --use-device-authentication
    ");
}

#[test]
fn several_complete_sets_without_the_default_are_ambiguous() {
    let two = [
        ParameterSet::new("A", &[&TENANT], &[]),
        ParameterSet::new("B", &[&TENANT], &[&ACCOUNT]),
    ];
    let problem = resolve(&two, &[&TENANT]).unwrap_err();
    insta::assert_snapshot!(Error::binding(&SAMPLE, problem.clone()), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -Tenant fit several sets (A, B); add a parameter that only one of them takes");
    insta::assert_snapshot!(problem.for_command_line(&SAMPLE), @"--tenant fit several parameter sets of Connect-Sample (A, B); add an option only one of them takes");
}

#[test]
fn binding_canonicalises_checks_values_once_and_refuses_repeats() {
    let mut bound = SAMPLE
        .bind([
            ("-App", Argument::Text("app".into())),
            ("refreshtoken", Argument::Secret(SecretText::new("rt"))),
            ("-Domain", Argument::Text("contoso.com".into())),
            ("-Environment", Argument::Text("azurechinacloud".into())),
        ])
        .unwrap();
    assert_eq!(bound.set_name(), "RefreshToken");
    assert_eq!(bound.required_text(&APPLICATION_ID).unwrap(), "app");
    assert_eq!(bound.required_secret(&REFRESH_TOKEN).unwrap().secret(), "rt");
    assert_eq!(bound.tenant(&TENANT).unwrap().unwrap().as_str(), "contoso.com");
    assert_eq!(bound.environment().name, "AzureChinaCloud");
    assert!(!bound.switch(&SERVICE_PRINCIPAL));
    assert!(!format!("{bound:?}").contains("\"rt\""));
    insta::assert_snapshot!(bound.what_if(), @r#"What if: Performing the operation "Connect" on target "tenant contoso.com in AzureChinaCloud (RefreshToken)""#);

    let error = SAMPLE
        .bind([
            ("-Tenant", Argument::Text("a.com".into())),
            ("-TenantId", Argument::Text("b.com".into())),
        ])
        .unwrap_err();
    insta::assert_snapshot!(error, @"Connect-Sample: -Tenant was given more than once (as -Tenant and -TenantId)");
    let error = SAMPLE
        .bind([("-Tenant", Argument::Text("not a tenant!".into()))])
        .unwrap_err();
    assert!(
        error.to_string().starts_with("invalid value for -Tenant: "),
        "{error}"
    );
    let error = SAMPLE
        .bind([("-Environment", Argument::Text("Mars".into()))])
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for -Environment: 'Mars' is not one of the accepted values: AzureCloud, AzureChinaCloud");
}

#[test]
fn what_if_names_organizations_and_the_default_environment_when_none_is_given() {
    let bound = SAMPLE
        .bind([("-UseDeviceAuthentication", Argument::Switch)])
        .unwrap();
    insta::assert_snapshot!(bound.what_if(), @r#"What if: Performing the operation "Connect" on target "tenant organizations in AzureCloud (User)""#);
}

#[test]
fn a_value_of_the_wrong_kind_names_the_parameter() {
    let error = SAMPLE
        .bind([
            ("-Account", Argument::Switch),
            ("-FromAzureCli", Argument::Switch),
        ])
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for -Account: expects a text value, got a switch");
    let error = SAMPLE
        .bind([("-Environment", Argument::List(vec!["AzureCloud".into()]))])
        .unwrap_err();
    insta::assert_snapshot!(error, @"invalid value for -Environment: expects an environment name, got a list of values");
    // a secret typed as text is kept as a secret, never shown
    let bound = SAMPLE
        .bind([("-AccessToken", Argument::text("eyJ.secret.token"))])
        .unwrap();
    assert!(!format!("{bound:?}").contains("eyJ.secret.token"), "{bound:?}");
}

#[test]
fn problems_of_the_chosen_set_name_parameters_in_either_words() {
    let bound = SAMPLE
        .bind([("-UseDeviceAuthentication", Argument::Switch)])
        .unwrap();
    let conflict = bound.conflict(&USE_DEVICE_AUTHENTICATION, &TENANT);
    insta::assert_snapshot!(conflict, @"Connect-Sample: -UseDeviceAuthentication and -Tenant cannot be used together (parameter set User)");
    let Error::Binding { problem, .. } = conflict else {
        panic!("not a binding problem")
    };
    insta::assert_snapshot!(problem.for_command_line(&SAMPLE), @"--use-device-authentication and --tenant cannot be used together (parameter set User)");
    insta::assert_snapshot!(bound.missing(&TENANT), @"Connect-Sample: parameter set User needs -Tenant");
}

#[test]
fn an_error_value_finds_its_parameter_by_name_or_alias_but_never_by_prefix() {
    let found = |spelling: &str| SAMPLE.find(spelling).map(|p| p.name);
    assert_eq!(found("access token"), Some("AccessToken"));
    assert_eq!(found("-TenantId"), Some("Tenant"));
    assert_eq!(found("certificate thumbprint"), Some("CertificateThumbprint"));
    assert_eq!(found("account"), Some("Account"));
    assert_eq!(found("Acc"), None);
    assert_eq!(found("AZURE_* variables"), None);
}

#[test]
fn a_set_chosen_beforehand_refuses_a_parameter_it_does_not_take() {
    let user = SAMPLE.sets().iter().find(|s| s.name == "User").unwrap();
    let access_token = SAMPLE.parameter("AccessToken").unwrap();
    let error = Bound::new(&SAMPLE, user, vec![(access_token, Argument::secret("at"))]).unwrap_err();
    insta::assert_snapshot!(error, @"Connect-Sample: parameter set User does not take -AccessToken");
}
