//! `--help` of every command (file snapshots), the cmdlet-named commands being the same commands, shell
//! completions for the five shells and the man page, all from the same definitions.

use super::Cli;
use crate::snapshot;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["partnercenter"],
    &["partnercenter", "connect"],
    &["partnercenter", "new-access-token"],
    &["partnercenter", "disconnect"],
    &["partnercenter", "context"],
    &["partnercenter", "token"],
    &["secmgmt"],
    &["secmgmt", "connect"],
    &["entra"],
    &["entra", "connect"],
    &["psentra"],
    &["psentra", "connect"],
    &["environment"],
    &["git-credential"],
    &["environment", "list"],
    &["environment", "add"],
    &["environment", "remove"],
    &["completions"],
];

#[test]
fn every_command_has_help() {
    let cli = Cli::new();
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let run = cli.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command.join("_"))
        };
        snapshot!(name, run.stdout);
    }
}

#[test]
fn cmdlet_named_commands_are_the_module_commands() {
    let cli = Cli::new();
    let pairs: &[(&str, &[&str])] = &[
        ("Connect-PartnerCenter", &["partnercenter", "connect"]),
        ("New-PartnerAccessToken", &["partnercenter", "new-access-token"]),
        ("Disconnect-PartnerCenter", &["partnercenter", "disconnect"]),
        ("Connect-SecMgmtAccount", &["secmgmt", "connect"]),
        ("Disconnect-SecMgmtAccount", &["secmgmt", "disconnect"]),
        ("Connect-Entra", &["entra", "connect"]),
        ("Disconnect-Entra", &["entra", "disconnect"]),
        ("Connect-PSMicrosoftEntraID", &["psentra", "connect"]),
        ("Disconnect-PSMicrosoftEntraID", &["psentra", "disconnect"]),
    ];
    for (cmdlet, command) in pairs {
        let by_cmdlet = cli.run(&[cmdlet, "--help"]).stdout;
        let lower = cli.run(&[&cmdlet.to_ascii_lowercase(), "--help"]).stdout;
        let mut args = command.to_vec();
        args.push("--help");
        let by_module = cli.run(&args).stdout;
        let usage = |help: &str| {
            help.lines()
                .find(|l| l.starts_with("Usage:"))
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(usage(&by_cmdlet), format!("Usage: msconnect {cmdlet} [OPTIONS]"));
        assert_eq!(
            usage(&by_module),
            format!("Usage: msconnect {} [OPTIONS]", command.join(" "))
        );
        // the same options, in the same words
        let options = |help: &str| help[help.find("Options:").unwrap_or(0)..].to_owned();
        assert_eq!(options(&by_cmdlet), options(&by_module), "{cmdlet}");
        assert_eq!(options(&lower), options(&by_module), "{cmdlet} in lower case");
    }
}

#[test]
fn completions_for_the_five_shells_know_every_command() {
    let cli = Cli::new();
    for (shell, marker) in [
        ("bash", "_msconnect()"),
        ("zsh", "#compdef msconnect"),
        ("fish", "complete -c msconnect"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "set edit:completion:arg-completer[msconnect]"),
    ] {
        let run = cli.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell}");
        for word in [
            "partnercenter",
            "new-access-token",
            "environment",
            "use-device-authentication",
            "device-code",
        ] {
            assert!(run.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    let unknown = cli.run(&["completions", "tcsh"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("[possible values: bash, zsh, fish, powershell, elvish]"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn the_man_page_is_generated_from_the_same_definitions() {
    let cli = Cli::new();
    let page = cli.run(&["man"]);
    assert_eq!(page.code, 0, "{}", page.stderr);
    assert!(
        page.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq"),
        "{}",
        &page.stdout[..80.min(page.stdout.len())]
    );
    assert!(page.stdout.contains(".TH msconnect 1"), "no title");
    assert!(page.stdout.contains("partnercenter"));

    let dir = cli.home().join("man");
    let pages = cli.run(&["man", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(pages.code, 0, "{}", pages.stderr);
    let connect = std::fs::read_to_string(dir.join("msconnect-partnercenter-connect.1")).unwrap();
    assert!(connect.contains("use\\-device\\-authentication"), "{connect}");
}

#[test]
fn version() {
    let run = Cli::new().run(&["--version"]);
    assert_eq!(run.code, 0);
    snapshot!(run.stdout, @"msconnect [VERSION]");
}
