//! Connect-PSMicrosoftEntraID's sets resolved from arguments, the well-known client names, the scope
//! rules, and the invalid combinations' errors.

use std::time::SystemTime;

use auth_core::AssertionSource;
use auth_core::ClientAssertion;
use auth_core::SecretText;
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
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn connect(mut arguments: Vec<(&str, Argument)>) -> Result<ConnectPsEntra, String> {
    arguments.insert(0, ("-ClientID", Argument::text(APP)));
    arguments.insert(1, ("-TenantID", Argument::text(TENANT)));
    ConnectPsEntra::from_arguments(&auth_core::Session::new(Default::default()), arguments)
        .map_err(|e| e.to_string())
}

#[derive(Debug)]
struct Fixed;

impl AssertionSource for Fixed {
    fn assertion(&self, _: &str, _: &ClientId, _: SystemTime) -> auth_core::Result<ClientAssertion> {
        Ok(ClientAssertion::new("signed"))
    }
}

#[test]
fn every_alias_names_its_parameter() {
    // the help page's one alias
    assert_eq!(
        canonical_name(&CONNECT_CMDLET, "proga").unwrap().name,
        "ProgressAction"
    );
    assert_eq!(
        canonical_name(&CONNECT_CMDLET, "-clientid").unwrap().name,
        "ClientID"
    );
}

#[test]
fn every_set_is_reached_with_its_documented_parameters() {
    let cases: Vec<(Vec<(&str, Argument)>, &str)> = vec![
        (vec![], "Browser"),
        (
            vec![
                ("-Browser", Argument::Switch),
                ("-Scopes", Argument::text("User.Read")),
            ],
            "Browser",
        ),
        (
            vec![("-DeviceCode", Argument::Switch), ("-PassThru", Argument::Switch)],
            "DeviceCode",
        ),
        (
            vec![(
                "-Certificate",
                Argument::ClientCredential(ClientCredential::assertion(Fixed)),
            )],
            "AppCertificate",
        ),
        (
            vec![(
                "-CertificateThumbprint",
                Argument::text("F8813914053FBFB5D84F1EFA9EDB3205621C1126"),
            )],
            "AppCertificate",
        ),
        (
            vec![("-CertificateName", Argument::text("CN=app"))],
            "AppCertificate",
        ),
        (
            vec![
                ("-CertificatePath", Argument::text("/tmp/a.pfx")),
                ("-CertificatePassword", Argument::Secret(SecretText::new("pw"))),
            ],
            "AppCertificate",
        ),
        (
            vec![("-ClientSecret", Argument::Secret(SecretText::new("s")))],
            "AppSecret",
        ),
        (
            vec![
                (
                    "-Credential",
                    Argument::Credential(Credential::new("u@contoso.com", "p")),
                ),
                ("-proga", Argument::text("SilentlyContinue")),
            ],
            "UsernamePassword",
        ),
    ];
    for (mut arguments, set) in cases {
        let built = connect(arguments.clone());
        let built = built
            .as_ref()
            .map(|request| request.set.set_name())
            .map_err(String::clone);
        arguments.insert(0, ("-ClientID", Argument::text(APP)));
        arguments.insert(1, ("-TenantID", Argument::text(TENANT)));
        assert_set(&CONNECT_CMDLET, arguments, set, built);
    }
    let request = connect(vec![
        ("-Environment", Argument::text("usgovdod")),
        ("-PassThru", Argument::Switch),
    ])
    .unwrap();
    assert_eq!(request.environment.name, "USGovDOD");
    assert!(request.pass_thru);
}

#[test]
fn graph_and_azure_name_their_first_party_clients() {
    assert_eq!(parse_client_id("graph").unwrap().as_str(), GRAPH_CLIENT_ID);
    assert_eq!(parse_client_id("Azure").unwrap().as_str(), AZURE_CLIENT_ID);
    insta::assert_snapshot!(parse_client_id("MyApp").unwrap_err(), @"invalid value for -ClientID: 'MyApp' is not an application id: expected a GUID, or Graph or Azure");
}

#[test]
fn scopes_follow_the_module_rules() {
    let graph = "https://graph.microsoft.com";
    let scopes = |given: &[&str], delegated| {
        resolve_scopes(
            graph,
            &given.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            delegated,
        )
        .join(" ")
    };
    assert_eq!(
        scopes(&[], true),
        "https://graph.microsoft.com/.default offline_access"
    );
    assert_eq!(
        scopes(
            &[
                "User.Read",
                "https://outlook.office.com/Mail.Read",
                "offline_access"
            ],
            true
        ),
        "https://graph.microsoft.com/User.Read https://outlook.office.com/Mail.Read offline_access"
    );
    assert_eq!(
        scopes(&["User.Read"], false),
        "https://graph.microsoft.com/.default"
    );
}

#[test]
fn invalid_combinations_name_the_sets_and_what_each_needs() {
    let error = ConnectPsEntra::from_arguments(
        &auth_core::Session::new(Default::default()),
        [("-TenantID", Argument::text(TENANT))],
    )
    .unwrap_err();
    insta::assert_snapshot!(error, @"Connect-PSMicrosoftEntraID: parameter set cannot be resolved using the specified named parameters: -TenantID needs one of: Browser (-ClientID), DeviceCode (-ClientID, -DeviceCode), AppCertificate (-ClientID), AppSecret (-ClientID, -ClientSecret), UsernamePassword (-ClientID, -Credential), FederatedToken (-FederatedTokenFile), WorkloadIdentity (-WorkloadIdentity), ManagedIdentity (-Identity), Auto (-Auto), FromAzureCli (-FromAzureCli)");
    insta::assert_snapshot!(connect(vec![("-DeviceCode", Argument::Switch), ("-ClientSecret", Argument::text("s"))]).unwrap_err(), @"Connect-PSMicrosoftEntraID: parameter set cannot be resolved using the specified named parameters: -ClientID -TenantID -DeviceCode -ClientSecret cannot be used together; Browser does not take -DeviceCode -ClientSecret; DeviceCode does not take -ClientSecret; AppCertificate does not take -DeviceCode -ClientSecret; AppSecret does not take -DeviceCode; UsernamePassword does not take -DeviceCode -ClientSecret; FederatedToken does not take -DeviceCode -ClientSecret; WorkloadIdentity does not take -DeviceCode -ClientSecret; ManagedIdentity does not take -DeviceCode -ClientSecret; Auto does not take -DeviceCode -ClientSecret; FromAzureCli does not take -ClientID -DeviceCode -ClientSecret");
    insta::assert_snapshot!(connect(vec![("-CertificateThumbprint", Argument::text("AB")), ("-CertificateName", Argument::text("CN=x"))]).unwrap_err(), @"Connect-PSMicrosoftEntraID: -CertificateThumbprint and -CertificateName cannot be used together (parameter set AppCertificate)");
    insta::assert_snapshot!(connect(vec![("-CertificatePassword", Argument::text("pw"))]).unwrap_err(), @"Connect-PSMicrosoftEntraID: -CertificatePassword is used only together with -CertificatePath");
    insta::assert_snapshot!(connect(vec![("-Cert", Argument::text("x"))]).unwrap_err(), @"Connect-PSMicrosoftEntraID: parameter name 'Cert' is ambiguous; possible matches include: -Certificate -CertificateName -CertificatePassword -CertificatePath -CertificateThumbprint");
}

#[test]
fn from_azure_cli_needs_no_client_and_takes_the_accounts_tenant_unless_given() {
    let request = ConnectPsEntra::from_arguments(
        &auth_core::Session::new(Default::default()),
        [
            ("-FromAzureCli", Argument::Switch),
            ("-Account", Argument::text("alice@contoso.com")),
        ],
    )
    .unwrap();
    assert!(matches!(
        &request.set,
        PsEntraSignIn::Shared(ResolvedSignIn { method: SignInMethod::AzureCli { account: Some(a) }, .. }) if a == "alice@contoso.com"
    ));
    assert_eq!(request.client_id.as_str(), auth_core::AZURE_CLI_CLIENT_ID);
    assert!(
        !request.tenant.is_specific(),
        "the account's tenant: {}",
        request.tenant
    );
    assert!(request.set.is_delegated());
    let given = ConnectPsEntra::from_arguments(
        &auth_core::Session::new(Default::default()),
        [
            ("-FromAzureCli", Argument::Switch),
            ("-TenantID", Argument::text(TENANT)),
        ],
    )
    .unwrap();
    assert_eq!(given.tenant.as_str(), TENANT);
}
