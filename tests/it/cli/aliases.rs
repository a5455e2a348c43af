//! Every documented alias binds to its parameter: what `-v` reports as given, and the tenant `--what-if`
//! names, are the same whichever spelling was typed.

use super::Cli;

/// The parameters `-v` says were given, and the `--what-if` line.
fn bound(cli: &Cli, args: &[&str]) -> (String, String) {
    let mut all = vec!["-v"];
    all.extend_from_slice(args);
    all.push("--what-if");
    let run = cli.run(&all);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    let given = run
        .stderr
        .lines()
        .find_map(|l| l.split_once("options given: ").map(|(_, g)| g.to_owned()))
        .unwrap_or_else(|| panic!("no trace of the options given: {}", run.stderr));
    (given, run.stdout)
}

#[test]
fn option_aliases_bind_to_their_parameter() {
    let cli = Cli::new();
    let cases: &[(&[&str], &[&str], &str)] = &[
        (
            &["partnercenter", "connect"],
            &["--tenant", "--domain", "--tenant-id"],
            r#"["Tenant"]"#,
        ),
        (
            &["partnercenter", "connect"],
            &[
                "--use-device-authentication",
                "--device",
                "--device-auth",
                "--device-code",
            ],
            r#"["UseDeviceAuthentication"]"#,
        ),
        (
            &["secmgmt", "connect"],
            &["--tenant", "--domain", "--tenant-id"],
            r#"["Tenant"]"#,
        ),
        (
            &["secmgmt", "connect"],
            &[
                "--use-device-authentication",
                "--device",
                "--device-auth",
                "--device-code",
            ],
            r#"["UseDeviceAuthentication"]"#,
        ),
        (
            &["entra", "connect"],
            &["--tenant-id", "--domain", "--tenant-domain"],
            r#"["TenantId"]"#,
        ),
    ];
    for (command, spellings, expected) in cases {
        for spelling in *spellings {
            let mut args = command.to_vec();
            args.push(spelling);
            if !spelling.contains("device") {
                args.push("contoso.com");
            }
            let (given, what_if) = bound(&cli, &args);
            assert_eq!(given, *expected, "{args:?}");
            assert!(
                what_if.starts_with("What if: Performing the operation \"Connect\""),
                "{what_if}"
            );
            if !spelling.contains("device") {
                assert!(what_if.contains("tenant contoso.com in "), "{args:?}: {what_if}");
            }
        }
    }
}

#[test]
fn new_partner_access_token_aliases_bind_to_their_parameter() {
    let cli = Cli::new();
    let base = [
        "partnercenter",
        "new-access-token",
        "--scopes",
        "https://api.partnercenter.microsoft.com/.default",
    ];
    for spelling in ["--application-id", "--client-id"] {
        let mut args = base.to_vec();
        args.extend([spelling, super::APP_ID]);
        assert_eq!(bound(&cli, &args).0, r#"["ApplicationId", "Scopes"]"#);
    }
    for spelling in ["--environment", "--environment-name"] {
        let args = [
            "partnercenter",
            "new-access-token",
            "--module",
            "exchangeonline",
            spelling,
            "AzureChinaCloud",
        ];
        let (given, what_if) = bound(&cli, &args);
        assert_eq!(given, r#"["Environment", "Module"]"#);
        assert!(what_if.contains(" in AzureChinaCloud ("), "{what_if}");
    }
    for spelling in ["--module", "--module-name"] {
        let args = ["partnercenter", "new-access-token", spelling, "ExchangeOnline"];
        let (given, what_if) = bound(&cli, &args);
        assert_eq!(given, r#"["Module"]"#);
        assert!(what_if.contains("(ByModule)"), "{what_if}");
    }
    for spelling in ["--use-authorization-code", "--auth-code"] {
        let args = [
            "partnercenter",
            "new-access-token",
            "--module",
            "ExchangeOnline",
            spelling,
        ];
        assert_eq!(bound(&cli, &args).0, r#"["Module", "UseAuthorizationCode"]"#);
    }
}

#[test]
fn what_if_and_confirm_answer_to_powershell_s_short_aliases() {
    let cli = Cli::new();
    let run = cli.run(&["partnercenter", "connect", "--wi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("What if: "), "{}", run.stdout);
    // --cf is --confirm: it asks on a terminal, and refuses without one
    let confirm = cli.run(&["partnercenter", "connect", "--cf"]);
    assert_eq!(confirm.code, 2);
    assert!(
        confirm.stderr.starts_with("error: --confirm asks on a terminal"),
        "{}",
        confirm.stderr
    );
}

#[test]
fn environment_names_are_accepted_in_any_case() {
    let cli = Cli::new();
    let (_, what_if) = bound(
        &cli,
        &["secmgmt", "connect", "--environment", "azureusgovernment"],
    );
    assert!(what_if.contains(" in AzureUSGovernment ("), "{what_if}");
}

#[test]
fn entra_takes_connect_mggraph_s_names_too() {
    let cli = Cli::new();
    for spelling in ["--client-id", "--application-id", "--app-id"] {
        let args = ["entra", "connect", spelling, super::APP_ID];
        assert_eq!(bound(&cli, &args).0, r#"["ClientId"]"#);
    }
    for spelling in ["--ms-access-token", "--access-token"] {
        let args = ["entra", "connect", spelling, "token"];
        let (given, what_if) = bound(&cli, &args);
        assert_eq!(given, r#"["MsAccessToken"]"#);
        assert!(what_if.contains("(AccessToken)"), "{what_if}");
    }
}
