//! Usage errors: exit code 2, and a message that says what is wrong and what would be right, on stderr
//! with nothing on stdout.

use super::{Cli, Run};
use crate::snapshot;

fn usage_error(run: Run) -> String {
    assert_eq!(run.code, 2, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    run.stderr
}

#[test]
fn options_that_match_no_set_name_what_each_set_needs() {
    let cli = Cli::new();
    snapshot!(usage_error(cli.run(&["partnercenter", "connect", "--credential", "admin", "--tenant", "contoso.com"])), @r"
    error: --credential and --tenant match no parameter set of Connect-PartnerCenter; add what one of them needs:
      RefreshToken needs --application-id and --refresh-token
      ServicePrincipal needs --service-principal

    For more information, try '--help'.
    ");
    snapshot!(usage_error(cli.run(&["secmgmt", "connect", "--application-id", "x"])), @r"
    error: --application-id match no parameter set of Connect-SecMgmtAccount; add what one of them needs:
      RefreshToken needs --refresh-token
      ServicePrincipalCertificate needs --certificate-thumbprint and --tenant
      FederatedToken needs --federated-token-file
      WorkloadIdentity needs --workload-identity
      ManagedIdentity needs --identity
      Auto needs --auto

    For more information, try '--help'.
    ");
    snapshot!(usage_error(cli.run(&["psentra", "connect"])), @r"
    error: no options match no parameter set of Connect-PSMicrosoftEntraID; add what one of them needs:
      Browser needs --client-id and --tenant-id
      DeviceCode needs --client-id, --tenant-id and --device-code
      AppCertificate needs --client-id and --tenant-id
      AppSecret needs --client-id, --tenant-id and --client-secret
      UsernamePassword needs --client-id, --tenant-id and --credential
      FederatedToken needs --federated-token-file
      WorkloadIdentity needs --workload-identity
      ManagedIdentity needs --identity
      EnvironmentVariable needs --environment-variable
      Auto needs --auto
      FromAzureCli needs --from-azure-cli

    For more information, try '--help'.
    ");
}

#[test]
fn options_of_different_sets_cannot_be_combined() {
    let cli = Cli::new();
    snapshot!(usage_error(cli.run(&["partnercenter", "connect", "--access-token", "t", "--device"])), @r"
    error: --access-token and --use-device-authentication cannot be used together with Connect-PartnerCenter:
      User does not take --access-token
      AccessToken does not take --use-device-authentication

    For more information, try '--help'.
    ");
    snapshot!(usage_error(cli.run(&["entra", "connect", "--ms-access-token", "t", "--credential", "admin"])), @r"
    error: --credential and --ms-access-token cannot be used together with Connect-Entra:
      UserCredential does not take --ms-access-token
      AccessToken does not take --credential

    For more information, try '--help'.
    ");
    // a set that takes both, and needs one more
    snapshot!(usage_error(cli.run(&["partnercenter", "new-access-token", "--module", "ExchangeOnline", "--scopes", "a"])), @r"
    error: --module and --scopes match no parameter set of New-PartnerAccessToken; add what one of them needs:
      RefreshToken needs --refresh-token

    For more information, try '--help'.
    ");
}

#[test]
fn an_unknown_environment_is_listed_with_the_valid_ones() {
    let cli = Cli::new();
    snapshot!(usage_error(cli.run(&["partnercenter", "connect", "--environment", "Mars", "--what-if"])), @r"
    error: --environment: unknown environment 'Mars' for Connect-PartnerCenter; valid names: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment (built in)

    For more information, try '--help'.
    ");
}

#[test]
fn clap_refuses_what_the_command_line_grammar_forbids() {
    let cli = Cli::new();
    let unknown = usage_error(cli.run(&["partnercenter", "connect", "--tennant", "x"]));
    assert!(
        unknown.starts_with("error: unexpected argument '--tennant' found"),
        "{unknown}"
    );
    assert!(
        unknown.contains("tip: a similar argument exists: '--tenant'"),
        "{unknown}"
    );
    let stdin_alone = usage_error(cli.run(&["partnercenter", "connect", "--password-stdin"]));
    assert!(stdin_alone.contains("--credential <USERNAME>"), "{stdin_alone}");
    let both = usage_error(cli.run(&["secmgmt", "connect", "--what-if", "--confirm"]));
    assert!(
        both.contains("'--what-if' cannot be used with '--confirm'"),
        "{both}"
    );
    let format = usage_error(cli.run(&["-o", "yaml", "environment", "list"]));
    assert!(format.contains("[possible values: table, json]"), "{format}");
    let module = usage_error(cli.run(&["partnercenter", "new-access-token", "--module", "Teams"]));
    assert!(module.contains("[possible values: ExchangeOnline]"), "{module}");
    let nothing = cli.run(&[]);
    assert_eq!(nothing.code, 2);
    assert!(
        nothing.stderr.contains("Usage: msconnect [OPTIONS] <COMMAND>"),
        "{}",
        nothing.stderr
    );
}

#[test]
fn confirm_needs_a_terminal() {
    let run = Cli::new().run(&["partnercenter", "connect", "--confirm", "--access-token", "t"]);
    snapshot!(usage_error(run), @r"
    error: --confirm asks on a terminal, and stdin is not one; leave --confirm out in scripts

    For more information, try '--help'.
    ");
}

#[test]
fn a_credential_without_a_password_in_a_script_says_where_one_can_come_from() {
    let run = Cli::new().run(&[
        "psentra",
        "connect",
        "--client-id",
        super::APP_ID,
        "--tenant-id",
        "contoso.com",
        "--credential",
        "admin@contoso.com",
    ]);
    snapshot!(usage_error(run), @r"
    error: --credential admin@contoso.com needs a password: pipe it in with --password-stdin, set MSCONNECT_PASSWORD, or run on a terminal to be asked for it

    For more information, try '--help'.
    ");
}

#[test]
fn a_malformed_tenant_or_client_id_is_a_usage_error_naming_the_option() {
    let cli = Cli::new();
    let tenant = usage_error(cli.run(&[
        "partnercenter",
        "connect",
        "--access-token",
        "t",
        "--tenant",
        "no/such",
        "--what-if",
    ]));
    snapshot!(tenant, @r"
    error: --tenant: 'no/such' is not a tenant: give a tenant id (GUID), a domain name such as contoso.onmicrosoft.com, or common, organizations or consumers

    For more information, try '--help'.
    ");
    let client = usage_error(cli.run_with_stdin(
        &[
            "partnercenter",
            "connect",
            "--application-id",
            "not-a-guid",
            "--refresh-token",
            "-",
        ],
        "rt",
    ));
    snapshot!(client, @r"
    error: --application-id: 'not-a-guid' is not an application id: expected a GUID

    For more information, try '--help'.
    ");
}
