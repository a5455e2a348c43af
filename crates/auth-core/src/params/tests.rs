//! Parameter binding against a cmdlet shaped like Connect-PartnerCenter: names, aliases, prefixes, set
//! resolution and the errors users see.

use super::*;

const CMDLET: &str = "Connect-Sample";

static SETS: &[ParameterSetInfo] = &[
    ParameterSetInfo {
        name: "User",
        mandatory: &[],
        optional: &["Environment", "Tenant", "UseDeviceAuthentication"],
        default: true,
    },
    ParameterSetInfo {
        name: "AccessToken",
        mandatory: &["AccessToken"],
        optional: &["Environment", "Tenant"],
        default: false,
    },
    ParameterSetInfo {
        name: "RefreshToken",
        mandatory: &["ApplicationId", "RefreshToken"],
        optional: &["CertificateThumbprint", "Credential", "Environment", "Tenant"],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipalCertificate",
        mandatory: &["ApplicationId", "CertificateThumbprint", "Tenant"],
        optional: &["Environment", "ServicePrincipal"],
        default: false,
    },
    ParameterSetInfo {
        name: "ServicePrincipal",
        mandatory: &["Credential", "ServicePrincipal", "Tenant"],
        optional: &["Environment"],
        default: false,
    },
];

const ALIASES: &[(&str, &str)] = &[
    ("Domain", "Tenant"),
    ("TenantId", "Tenant"),
    ("Device", "UseDeviceAuthentication"),
    ("DeviceAuth", "UseDeviceAuthentication"),
    ("DeviceCode", "UseDeviceAuthentication"),
];

fn name(typed: &str) -> String {
    match canonical_name(CMDLET, SETS, ALIASES, typed) {
        Ok(name) => name.to_owned(),
        Err(e) => e.to_string(),
    }
}

fn set(given: &[&str]) -> String {
    match resolve(CMDLET, SETS, given) {
        Ok(set) => set.name.to_owned(),
        Err(e) => e.to_string(),
    }
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
}

#[test]
fn unambiguous_prefixes_are_accepted_and_ambiguous_ones_named() {
    assert_eq!(name("-App"), "ApplicationId");
    assert_eq!(name("-Ref"), "RefreshToken");
    // every spelling starting "Dev" leads to one parameter
    assert_eq!(name("-Dev"), "UseDeviceAuthentication");
    insta::assert_snapshot!(name("-C"), @"Connect-Sample: parameter name 'C' is ambiguous; possible matches include: -CertificateThumbprint -Credential");
    insta::assert_snapshot!(name("-Bogus"), @"Connect-Sample: a parameter cannot be found that matches parameter name 'Bogus'; the parameters are: -Environment -Tenant -UseDeviceAuthentication -AccessToken -ApplicationId -RefreshToken -CertificateThumbprint -Credential -ServicePrincipal");
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
}

#[test]
fn incomplete_sets_say_what_each_still_needs() {
    insta::assert_snapshot!(set(&["ApplicationId"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -ApplicationId needs one of: RefreshToken (-RefreshToken), ServicePrincipalCertificate (-CertificateThumbprint, -Tenant)");
    insta::assert_snapshot!(set(&["Credential", "Tenant"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -Credential -Tenant needs one of: RefreshToken (-ApplicationId, -RefreshToken), ServicePrincipal (-ServicePrincipal)");
}

#[test]
fn parameters_of_different_sets_are_refused_together() {
    insta::assert_snapshot!(set(&["AccessToken", "RefreshToken"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -AccessToken -RefreshToken cannot be used together; AccessToken does not take -RefreshToken; RefreshToken does not take -AccessToken");
    insta::assert_snapshot!(set(&["UseDeviceAuthentication", "ServicePrincipal"]), @"Connect-Sample: parameter set cannot be resolved using the specified named parameters: -UseDeviceAuthentication -ServicePrincipal cannot be used together; User does not take -ServicePrincipal; ServicePrincipalCertificate does not take -UseDeviceAuthentication; ServicePrincipal does not take -UseDeviceAuthentication");
}

#[test]
fn several_complete_sets_without_the_default_are_ambiguous() {
    static TWO: &[ParameterSetInfo] = &[
        ParameterSetInfo {
            name: "A",
            mandatory: &["X"],
            optional: &[],
            default: false,
        },
        ParameterSetInfo {
            name: "B",
            mandatory: &["X"],
            optional: &["Y"],
            default: false,
        },
    ];
    insta::assert_snapshot!(resolve("Get-Thing", TWO, &["X"]).unwrap_err(), @"Get-Thing: parameter set cannot be resolved using the specified named parameters: -X fit several sets (A, B); add a parameter that only one of them takes");
}

#[test]
fn binding_canonicalises_refuses_repeats_and_reads_values() {
    let bound = bind(
        CMDLET,
        SETS,
        ALIASES,
        [
            ("-App", Argument::Text("app".into())),
            ("refreshtoken", Argument::Secret(SecretText::new("rt"))),
            ("-Domain", Argument::Text("contoso.com".into())),
        ],
    )
    .unwrap();
    assert_eq!(bound.set_name(), "RefreshToken");
    assert_eq!(bound.required_text("ApplicationId").unwrap(), "app");
    assert_eq!(bound.required_secret("RefreshToken").unwrap().secret(), "rt");
    assert_eq!(bound.text("Tenant").unwrap().as_deref(), Some("contoso.com"));
    assert!(!bound.switch("ServicePrincipal"));
    assert!(!format!("{bound:?}").contains("\"rt\""));

    let error = bind(
        CMDLET,
        SETS,
        ALIASES,
        [
            ("-Tenant", Argument::Text("a.com".into())),
            ("-TenantId", Argument::Text("b.com".into())),
        ],
    )
    .unwrap_err();
    insta::assert_snapshot!(error, @"Connect-Sample: -Tenant was given more than once (as -Tenant and -TenantId)");
}

#[test]
fn a_value_of_the_wrong_kind_names_the_parameter() {
    let bound = bind(CMDLET, SETS, ALIASES, [("-Tenant", Argument::Switch)]).unwrap();
    insta::assert_snapshot!(bound.text("Tenant").unwrap_err(), @"invalid value for -Tenant: expects a text value, got a switch");
}

#[test]
fn validate_set_values_ignore_case_and_list_the_accepted_ones() {
    let accepted = [("AzureCloud", 1), ("AzureChinaCloud", 2)];
    assert_eq!(choose("Environment", "azurechinacloud", &accepted).unwrap(), 2);
    insta::assert_snapshot!(choose("Environment", "Mars", &accepted).unwrap_err(), @"invalid value for -Environment: 'Mars' is not one of the accepted values: AzureCloud, AzureChinaCloud");
}
