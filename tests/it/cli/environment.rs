//! `msconnect environment list | add | remove`, and a user-defined environment used by `--environment`.

use super::Cli;
use crate::snapshot;

#[test]
fn list_shows_the_built_in_clouds() {
    let cli = Cli::new();
    let run = cli.run(&["environment", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot!(run.stdout, @r"
    Name                 Type     AzureADEndpoint                   GraphEndpoint
    ----                 ----     ---------------                   -------------
    AzureCloud           Built-in https://login.microsoftonline.com https://graph.microsoft.com
    AzureChinaCloud      Built-in https://login.chinacloudapi.cn    https://microsoftgraph.chinacloudapi.cn
    AzureUSGovernment    Built-in https://login.microsoftonline.us  https://graph.microsoft.us
    AzureUSGovernmentDoD Built-in https://login.microsoftonline.us  https://dod-graph.microsoft.us
    AzureGermanCloud     Built-in https://login.microsoftonline.de  https://graph.microsoft.de
    AzurePPE             Built-in https://login.windows-ppe.net     https://graph.microsoft-ppe.com
    ");
}

#[test]
fn an_added_environment_is_listed_used_and_removed() {
    let cli = Cli::new();
    let added = cli.run(&[
        "environment",
        "add",
        "Sovereign",
        "--authority-host",
        "https://login.sovereign.example",
        "--graph-endpoint",
        "https://graph.sovereign.example",
        "--partner-center-endpoint",
        "https://api.partner.sovereign.example",
    ]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    snapshot!(added.stdout, @r"
    Name      Type         AzureADEndpoint                 GraphEndpoint
    ----      ----         ---------------                 -------------
    Sovereign User-defined https://login.sovereign.example https://graph.sovereign.example
    ");

    let json = cli.run(&["environment", "list", "-o", "json"]);
    let all: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    snapshot!(serde_json::to_string_pretty(&all[6]).unwrap(), @r#"
    {
      "Name": "Sovereign",
      "Type": "User-defined",
      "Aliases": [],
      "AzureADEndpoint": "https://login.sovereign.example",
      "GraphEndpoint": "https://graph.sovereign.example",
      "PartnerCenterEndpoint": "https://api.partner.sovereign.example",
      "AzureADGraphEndpoint": null,
      "ResourceManagerEndpoint": null,
      "OidcIssuer": null
    }
    "#);
    assert_eq!(
        all[0]["Aliases"],
        serde_json::json!(["Global", "Public", "AzurePublic"])
    );

    let what_if = cli.run(&[
        "partnercenter",
        "connect",
        "--environment",
        "sovereign",
        "--what-if",
    ]);
    assert_eq!(what_if.code, 0, "{}", what_if.stderr);
    assert!(what_if.stdout.contains(" in Sovereign ("), "{}", what_if.stdout);
    let unknown = cli.run(&["partnercenter", "connect", "--environment", "Mars"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("AzureUSGovernment (built in), Sovereign (added with `msconnect environment add`)"),
        "{}",
        unknown.stderr
    );

    let removed = cli.run(&["environment", "remove", "SOVEREIGN"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert_eq!(removed.stderr, "Removed environment 'SOVEREIGN'.\n");
    let again = cli.run(&["environment", "remove", "Sovereign"]);
    assert_eq!(again.code, 2);
    snapshot!(again.stderr, @r"
    error: unknown environment 'Sovereign'; user-defined environments: none

    For more information, try '--help'.
    ");
}

#[test]
fn built_in_names_plain_http_and_duplicates_are_refused() {
    let cli = Cli::new();
    let add = |name: &str, host: &str| {
        cli.run(&[
            "environment",
            "add",
            name,
            "--authority-host",
            host,
            "--graph-endpoint",
            "https://graph.example",
        ])
    };
    assert_eq!(add("Lab", "https://login.lab.example").code, 0);
    let errors: Vec<String> = [
        add("USGov", "https://login.example"),
        add("lab", "https://login.example"),
        add("Plain", "http://login.example"),
        cli.run(&[
            "environment",
            "add",
            "PlainIssuer",
            "--graph-endpoint",
            "https://graph.example",
            "--oidc-issuer",
            "http://idp.example/tenant",
        ]),
        cli.run(&["environment", "remove", "AzureCloud"]),
    ]
    .into_iter()
    .map(|run| {
        assert_eq!(run.code, 2, "{}", run.stderr);
        run.stderr.lines().next().unwrap_or_default().to_owned()
    })
    .collect();
    snapshot!(errors.join("\n"), @r"
    error: invalid value for environment name: 'USGov' is the built-in cloud AzureUSGovernment
    error: invalid value for environment name: 'lab' exists already; remove it first to change it
    error: --authority-host: 'http://login.example/' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)
    error: --oidc-issuer: 'http://idp.example/' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)
    error: 'AzureCloud' is the built-in cloud AzureCloud, which cannot be removed
    ");
}

#[test]
fn a_name_too_long_or_holding_control_characters_is_refused_naming_the_argument_and_the_limit() {
    let cli = Cli::new();
    let add = |name: &str| {
        cli.run(&[
            "environment",
            "add",
            name,
            "--authority-host",
            "https://login.sovereign.example",
            "--graph-endpoint",
            "https://graph.sovereign.example",
        ])
    };
    let long = add(&"n".repeat(65_536));
    assert_eq!(long.code, 2);
    snapshot!(long.stderr, @r"
    error: NAME: it is 65536 characters long; the limit is 64

    For more information, try '--help'.
    ");
    let escaped = add("evil\u{1b}]0;owned\u{7}");
    assert_eq!(escaped.code, 2);
    snapshot!(escaped.stderr, @r"
    error: NAME: it holds control characters (line breaks, tabs, escape sequences or direction overrides): use letters, digits, spaces and punctuation

    For more information, try '--help'.
    ");
    assert!(!cli.home().join("environments.json").exists());
    let listed = cli.run(&["environment", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
}
