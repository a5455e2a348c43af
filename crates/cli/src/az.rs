//! The Azure CLI's token contract, for the tools that get their tokens by running `az`: the Azure SDKs'
//! `AzureCliCredential` (Python, .NET, JS, Go, Rust), kubelogin's `azurecli` mode, Terraform's `use_cli`.
//! It answers when msconnect runs as `msconnect az …` or under the name `az` (a link or copy named `az`,
//! `az.exe` or `az.cmd`), and nothing of it runs otherwise.
//!
//! What it answers: `account get-access-token` (`--resource`, `--resource-type`, `--scope`, `--tenant`,
//! `--subscription`), `account show`, `version` and `--version`, with `--output json|jsonc|tsv|none` and a
//! `--query` of one field, printed as Azure CLI 2.x prints them. The connection that answers is the one
//! [`which`] chooses. Nothing connected: exit 1 with the Azure CLI's "Please run 'az login'
//! to setup account.", which the SDKs' credential chains take as "try the next credential". Any other
//! command: exit 2, saying what this stand-in answers.
//!
//! It reads msconnect's own files only: the Azure CLI's are read only for a connection adopted from the
//! Azure CLI (`--from-azure-cli`), whose tokens live there.

use std::ffi::OsString;
use std::path::Path;

use auth_core::{Connection, Error, SignedIn, Tenant, TokenOptions};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::exit::{self, Failure};
use crate::{output, session, which};

/// The Azure CLI version whose contract this speaks: `expires_on` came in 2.54, and tools that check a
/// minimum version (Terraform's) find a recent one.
const AZURE_CLI_VERSION: &str = "2.67.0";
/// What the Azure CLI prints when nobody is signed in; azure-identity looks for `az login` in it.
const NOT_SIGNED_IN: &str = "Please run 'az login' to setup account.";
/// What this stand-in answers.
const ANSWERS: &str = "msconnect's az stand-in answers `az account get-access-token`, `az account show`, \
                       `az version` and `az --version`; other commands need the Azure CLI";

/// The arguments after the command name when msconnect was invoked as the Azure CLI: run as `az` (the
/// file name of `argv[0]`), or as `msconnect az`.
pub(crate) fn invoked(args: &[OsString]) -> Option<&[OsString]> {
    let name = args
        .first()
        .and_then(|first| Path::new(first).file_name())
        .and_then(|name| name.to_str())?;
    if ["az", "az.exe", "az.cmd"]
        .iter()
        .any(|az| name.eq_ignore_ascii_case(az))
    {
        return args.get(1..);
    }
    match args.get(1) {
        Some(command) if command == "az" => args.get(2..),
        _ => None,
    }
}

/// Runs the stand-in; returns the exit code.
pub(crate) fn main(app: &App, args: &[OsString]) -> u8 {
    let outcome = args
        .iter()
        .map(|arg| arg.to_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| Failure::Usage("an argument is not UTF-8".into()))
        .and_then(|args| parse(&args))
        .and_then(|request| run(app, request));
    match outcome {
        Ok(()) => exit::SUCCESS,
        Err(failure) => {
            let text = match &failure {
                Failure::Usage(message) => format!("ERROR: {message}\n{ANSWERS}.\n"),
                other => other.report(app.verbose).replacen("error: ", "ERROR: ", 1),
            };
            eprint!("{}", auth_core::printable(&text));
            failure.code()
        }
    }
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Output {
    #[default]
    Json,
    Tsv,
    None,
}

/// What was asked.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    Help,
    VersionText,
    Version(Printing),
    Show(Printing),
    Token(TokenArgs, Printing),
}

/// `--output` and `--query`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Printing {
    output: Output,
    /// One top-level field.
    query: Option<String>,
}

/// `account get-access-token`'s options.
#[derive(Debug, Default, PartialEq, Eq)]
struct TokenArgs {
    resource: Option<String>,
    resource_type: Option<String>,
    scopes: Vec<String>,
    tenant: Option<String>,
    subscription: Option<String>,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

/// Parses the arguments as the Azure CLI would, for the commands this answers.
fn parse(args: &[String]) -> Result<Request, Failure> {
    let words: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let options = &args[words.len()..];
    if words.is_empty() && options.iter().any(|o| o == "--version") {
        return Ok(Request::VersionText);
    }
    if options.iter().any(|o| o == "-h" || o == "--help") || args.is_empty() {
        return Ok(Request::Help);
    }
    let mut printing = Printing::default();
    let mut token = TokenArgs::default();
    let taking_token = words == ["account", "get-access-token"];
    let mut rest = options.iter().peekable();
    while let Some(option) = rest.next() {
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (option.as_str(), None),
        };
        let value = |rest: &mut std::iter::Peekable<std::slice::Iter<'_, String>>| match &inline {
            Some(value) => Ok(value.clone()),
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| usage(format!("argument {name}: expected one argument"))),
        };
        match name {
            "--output" | "-o" => {
                printing.output = match value(&mut rest)?.as_str() {
                    "json" | "jsonc" => Output::Json,
                    "tsv" => Output::Tsv,
                    "none" => Output::None,
                    other => {
                        return Err(usage(format!(
                            "argument --output/-o: '{other}' is not answered here (json, jsonc, tsv, none)"
                        )));
                    }
                }
            }
            "--query" => printing.query = Some(value(&mut rest)?),
            "--only-show-errors" | "--debug" | "--verbose" => {}
            "--resource" if taking_token => token.resource = Some(value(&mut rest)?),
            "--resource-type" if taking_token => token.resource_type = Some(value(&mut rest)?),
            "--tenant" | "-t" if taking_token => token.tenant = Some(value(&mut rest)?),
            "--subscription" | "-s" if taking_token => token.subscription = Some(value(&mut rest)?),
            "--scope" if taking_token => {
                // `--scope a b` as the Azure CLI takes it, and `--scope a --scope b`
                token.scopes.push(value(&mut rest)?);
                if inline.is_none() {
                    while let Some(more) = rest.next_if(|next| !next.starts_with('-')) {
                        token.scopes.push(more.clone());
                    }
                }
            }
            other => return Err(usage(format!("unrecognized arguments: {other}"))),
        }
    }
    match words.as_slice() {
        ["account", "get-access-token"] => {
            let given = [
                token.resource.is_some(),
                token.resource_type.is_some(),
                !token.scopes.is_empty(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                return Err(usage(
                    "usage error: --resource/--resource-type/--scope are mutually exclusive",
                ));
            }
            Ok(Request::Token(token, printing))
        }
        ["account", "show"] => Ok(Request::Show(printing)),
        ["version"] => Ok(Request::Version(printing)),
        words => Err(usage(format!("'{}' is not answered here", words.join(" ")))),
    }
}

fn run(app: &App, request: Request) -> Result<(), Failure> {
    match request {
        Request::Help => output::print(&format!(
            "{ANSWERS}.\nThe connection that answers: MSCONNECT_CONTEXT (`MODULE`, `MODULE/NAME` or `NAME`), else the first module connected of partnercenter, secmgmt, entra, psentra.\n"
        )),
        Request::VersionText => output::print(&format!(
            "azure-cli                         {AZURE_CLI_VERSION}\n\nmsconnect                         {} (the Azure CLI's token contract only)\n",
            env!("CARGO_PKG_VERSION")
        )),
        Request::Version(printing) => print(
            &printing,
            object(json!({
                "azure-cli": AZURE_CLI_VERSION,
                "azure-cli-core": AZURE_CLI_VERSION,
                "azure-cli-telemetry": "1.1.0",
                "extensions": {},
                "msconnect": env!("CARGO_PKG_VERSION"),
            })),
        ),
        Request::Show(printing) => {
            let session = session::session(app)?;
            let Some(connection) = which::chosen(app, &session)? else {
                return Err(not_signed_in(app, None));
            };
            print(&printing, account(&connection))
        }
        Request::Token(args, printing) => {
            let session = session::session(app)?;
            let Some(connection) = which::chosen(app, &session)? else {
                return Err(not_signed_in(app, None));
            };
            let scopes = scopes(&args, &connection)?;
            let tenant = args
                .tenant
                .as_deref()
                .map(|tenant| {
                    Tenant::parse(tenant).map_err(|e| usage(format!("argument --tenant/-t: {}", reason(&e))))
                })
                .transpose()?;
            let options = TokenOptions {
                tenant,
                ..TokenOptions::default()
            };
            let fetched = match session::fetch(&session, &connection, &scopes, &options, &Failure::from) {
                Ok(fetched) => fetched,
                Err(Failure::Auth(Error::SignInRequired(why))) => return Err(not_signed_in(app, Some(&why))),
                Err(other) => return Err(other),
            };
            let mut fields = Map::new();
            fields.insert("accessToken".into(), fetched.token.secret().into());
            fields.insert("expiresOn".into(), local_time(fetched.expires_on).into());
            fields.insert("expires_on".into(), fetched.expires_on.into());
            if let Some(subscription) = &args.subscription {
                fields.insert("subscription".into(), subscription.clone().into());
            }
            fields.insert("tenant".into(), fetched.tenant.into());
            fields.insert("tokenType".into(), fetched.token_type.into());
            print(&printing, fields)
        }
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn reason(error: &Error) -> String {
    match error {
        Error::InvalidParameter { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Exit 1 with the Azure CLI's words (no `AADSTS` in them, so azure-identity moves on to the next
/// credential) and msconnect's own hint.
fn not_signed_in(app: &App, why: Option<&str>) -> Failure {
    let hint = match why {
        Some(why) => format!("msconnect: {why}"),
        None => which::hint(app),
    };
    Failure::Failed(format!("{NOT_SIGNED_IN}\n{hint}"))
}

/// The scopes asked for: `--scope`, else `--resource`'s `/.default` (as the Azure CLI makes it), else
/// `--resource-type`'s resource in the connection's cloud, else Resource Manager's.
fn scopes(args: &TokenArgs, connection: &Connection) -> Result<Vec<String>, Failure> {
    if !args.scopes.is_empty() {
        return Ok(args.scopes.clone());
    }
    let environment = &connection.environment;
    let resource = match (&args.resource, args.resource_type.as_deref()) {
        (Some(resource), _) => Some(resource.clone()),
        (None, None | Some("arm")) => environment.resource_manager.as_ref().map(|u| u.to_string()),
        (None, Some("ms-graph")) => Some(environment.graph.to_string()),
        (None, Some("aad-graph")) => environment.aad_graph.as_ref().map(|u| u.to_string()),
        (None, Some(other)) => {
            return Err(usage(format!(
                "argument --resource-type: '{other}' is not answered here (arm, ms-graph, aad-graph): give --resource"
            )));
        }
    };
    let resource = resource.ok_or_else(|| {
        usage(format!(
            "the environment {} names no endpoint for that resource type: give --resource or --scope",
            environment.name
        ))
    })?;
    let separator = if resource.ends_with('/') { "" } else { "/" };
    Ok(vec![format!("{resource}{separator}.default")])
}

/// `account show`: the signed-in account and tenant, in the Azure CLI's names. msconnect knows no
/// subscriptions: the account is what the Azure CLI shows for a tenant-level sign-in.
fn account(connection: &Connection) -> Map<String, Value> {
    let tenant = connection.tenant.as_str().to_owned();
    let (name, kind, home_tenant) = match &connection.signed_in {
        SignedIn::User {
            home_account_id,
            username,
            ..
        } => (
            username.clone().unwrap_or_else(|| home_account_id.clone()),
            "user",
            home_account_id.split_once('.').map(|(_, utid)| utid.to_owned()),
        ),
        SignedIn::ManagedIdentity { id } => (
            match id {
                auth_core::ManagedIdentityId::SystemAssigned => "systemAssignedIdentity",
                _ => "userAssignedIdentity",
            }
            .to_owned(),
            "servicePrincipal",
            None,
        ),
        SignedIn::App { .. } => (connection.client_id.as_str().to_owned(), "servicePrincipal", None),
        _ => (
            connection
                .home_account_id()
                .unwrap_or(connection.client_id.as_str())
                .to_owned(),
            "user",
            None,
        ),
    };
    object(json!({
        "environmentName": connection.environment.name,
        "homeTenantId": home_tenant.unwrap_or_else(|| tenant.clone()),
        "id": tenant,
        "isDefault": true,
        "managedByTenants": [],
        "name": "N/A(tenant level account)",
        "state": "Enabled",
        "tenantId": tenant,
        "user": { "name": name, "type": kind },
    }))
}

/// Prints `fields` as `--output` and `--query` ask.
fn print(printing: &Printing, fields: Map<String, Value>) -> Result<(), Failure> {
    let value = match &printing.query {
        None => Value::Object(fields),
        Some(query) => fields.get(query.trim()).cloned().ok_or_else(|| {
            usage(format!(
                "argument --query: only one field is answered here ({})",
                fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?,
    };
    match printing.output {
        Output::Json => output::print(&output::json(&value)),
        Output::Tsv => output::print(&format!("{}\n", tsv(&value))),
        Output::None => Ok(()),
    }
}

/// One line of tab-separated values: an object's values in order, nested objects left out, as the Azure
/// CLI's tsv does.
fn tsv(value: &Value) -> String {
    let cell = |value: &Value| match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::Object(_) | Value::Array(_) => String::new(),
        other => other.to_string(),
    };
    match value {
        Value::Object(fields) => fields
            .values()
            .filter(|v| !v.is_object() && !v.is_array())
            .map(cell)
            .collect::<Vec<_>>()
            .join("\t"),
        other => cell(other),
    }
}

/// Epoch seconds as the Azure CLI's `expiresOn`: local time, `%Y-%m-%d %H:%M:%S.%f`.
fn local_time(seconds: i64) -> String {
    let zone = jiff::tz::TimeZone::system();
    match jiff::Timestamp::from_second(seconds) {
        Ok(at) => at
            .to_zoned_datetime(zone)
            .strftime("%Y-%m-%d %H:%M:%S.%6f")
            .to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn it_answers_only_under_the_name_az_or_as_msconnect_az() {
        let os = |items: &[&str]| items.iter().map(OsString::from).collect::<Vec<_>>();
        let rest = |items: &[&str]| invoked(&os(items)).map(|r| r.to_vec());
        assert_eq!(rest(&["/tmp/bin/az", "version"]), Some(os(&["version"])));
        assert_eq!(rest(&["AZ.EXE", "version"]), Some(os(&["version"])));
        assert_eq!(rest(&["az.cmd"]), Some(os(&[])));
        assert_eq!(
            rest(&["msconnect", "az", "account", "show"]),
            Some(os(&["account", "show"]))
        );
        assert_eq!(rest(&["msconnect", "entra", "token"]), None);
        assert_eq!(rest(&["/usr/bin/azure", "version"]), None);
        assert_eq!(rest(&["msconnect"]), None);
    }

    #[test]
    fn get_access_token_takes_what_the_sdks_send() {
        let python = parse(&args(
            "account get-access-token --output json --resource https://vault.azure.net --tenant t1 --subscription s1",
        ))
        .unwrap();
        assert_eq!(
            python,
            Request::Token(
                TokenArgs {
                    resource: Some("https://vault.azure.net".into()),
                    tenant: Some("t1".into()),
                    subscription: Some("s1".into()),
                    ..TokenArgs::default()
                },
                Printing::default()
            )
        );
        let rust = parse(&args(
            "account get-access-token -o json --scope a/.default b/.default --scope=c",
        ))
        .unwrap();
        let Request::Token(token, _) = &rust else {
            panic!("{rust:?}")
        };
        assert_eq!(token.scopes, ["a/.default", "b/.default", "c"]);
        let tsv = parse(&args("account get-access-token --query accessToken -o tsv")).unwrap();
        let Request::Token(_, printing) = &tsv else {
            panic!("{tsv:?}")
        };
        assert_eq!(
            *printing,
            Printing {
                output: Output::Tsv,
                query: Some("accessToken".into())
            }
        );
    }

    #[test]
    fn other_commands_and_options_are_usage_errors() {
        let message = |text: &str| match parse(&args(text)) {
            Err(Failure::Usage(message)) => message,
            other => format!("not a usage error: {other:?}"),
        };
        insta::assert_snapshot!(message("group list"), @"'group list' is not answered here");
        insta::assert_snapshot!(message("account get-access-token --resource r --scope s"), @"usage error: --resource/--resource-type/--scope are mutually exclusive");
        insta::assert_snapshot!(message("account show --tenant t"), @"unrecognized arguments: --tenant");
        insta::assert_snapshot!(message("version -o yaml"), @"argument --output/-o: 'yaml' is not answered here (json, jsonc, tsv, none)");
        insta::assert_snapshot!(message("account get-access-token --resource"), @"argument --resource: expected one argument");
        assert_eq!(parse(&args("--version")).unwrap(), Request::VersionText);
        assert_eq!(
            parse(&args("account get-access-token --help")).unwrap(),
            Request::Help
        );
    }

    #[test]
    fn a_resource_becomes_its_default_scope_as_the_azure_cli_makes_it() {
        let connection = Connection::from_parts(
            auth_core::Cloud::AzureCloud.into(),
            Tenant::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap(),
            auth_core::ClientId::parse("04b07795-8ddb-461a-bbee-02f9e1bf7b46").unwrap(),
            vec![],
            SignedIn::ManagedIdentity {
                id: Default::default(),
            },
        );
        let scope = |token: TokenArgs| scopes(&token, &connection).unwrap();
        let resource = |r: &str| TokenArgs {
            resource: Some(r.into()),
            ..TokenArgs::default()
        };
        assert_eq!(
            scope(resource("https://vault.azure.net")),
            ["https://vault.azure.net/.default"]
        );
        assert_eq!(
            scope(resource("https://management.core.windows.net/")),
            ["https://management.core.windows.net/.default"]
        );
        assert_eq!(
            scope(TokenArgs::default()),
            ["https://management.azure.com/.default"]
        );
        let kind = |k: &str| TokenArgs {
            resource_type: Some(k.into()),
            ..TokenArgs::default()
        };
        assert_eq!(scope(kind("ms-graph")), ["https://graph.microsoft.com/.default"]);
        assert!(scopes(&kind("batch"), &connection).is_err());
    }

    #[test]
    fn tsv_is_the_values_in_order() {
        let fields = object(
            json!({"accessToken": "t", "expiresOn": "2026-12-07 05:00:00.000000", "expires_on": 1, "tenant": "x", "tokenType": "Bearer"}),
        );
        assert_eq!(
            tsv(&Value::Object(fields)),
            "t\t2026-12-07 05:00:00.000000\t1\tx\tBearer"
        );
    }

    #[test]
    fn expires_on_is_local_time_with_microseconds() {
        let text = local_time(1_765_000_000);
        assert_eq!(text.len(), "2025-12-06 05:46:40.000000".len(), "{text}");
        assert!(text.ends_with(":40.000000"), "{text}");
    }
}
