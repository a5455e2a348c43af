//! `msconnect environment list | add | remove`: the built-in clouds and the user-defined ones, and
//! choosing the cloud a cmdlet's `--environment` names (an unknown name is a usage error listing the
//! valid ones).

use auth_core::parse_authority_host;
use auth_core::printable_line;
use auth_core::{Cloud, Environment, Url};
use clap::{Arg, ArgMatches, Command};
use cmdlet::Cmdlet;
use cmdlet::environment_store::EnvironmentStore;
use serde_json::{Value, json};

use crate::app::App;
use crate::exit::{Failure, usage};
use crate::output::{self, Format};

/// The clap command.
pub(crate) fn command() -> Command {
    let url = |id: &'static str, long: &'static str, alias: Option<&'static str>, help: &'static str| {
        let arg = Arg::new(id).long(long).value_name("URL").help(help);
        match alias {
            Some(alias) => arg.visible_alias(alias),
            None => arg,
        }
    };
    Command::new("environment")
        .about("List, add and remove clouds (built-in and user-defined)")
        .subcommand_required(true)
        .subcommand(Command::new("list").about("List the built-in and user-defined environments"))
        .subcommand(
            Command::new("add")
                .about("Add a user-defined environment (as Add-EntraEnvironment does)")
                .arg(
                    Arg::new("name")
                        .value_name("NAME")
                        .required(true)
                        .help("The name to select it by with --environment"),
                )
                .arg(
                    url(
                        "authority-host",
                        "authority-host",
                        Some("azure-ad-endpoint"),
                        "Where users sign in (https, or http on a loopback address); with --oidc-issuer, \
                         the issuer's scheme, host and port when not given",
                    )
                    .required_unless_present("oidc-issuer"),
                )
                .arg(url("graph", "graph-endpoint", None, "Microsoft Graph").required(true))
                .arg(url(
                    "partner-center",
                    "partner-center-endpoint",
                    None,
                    "The Partner Center API",
                ))
                .arg(url("aad-graph", "aad-graph-endpoint", None, "Azure AD Graph"))
                .arg(url(
                    "resource-manager",
                    "resource-manager-endpoint",
                    None,
                    "Azure Resource Manager",
                ))
                .arg(url(
                    "oidc-issuer",
                    "oidc-issuer",
                    None,
                    "A generic OpenID Connect issuer whose discovery document gives the endpoints",
                )),
        )
        .subcommand(
            Command::new("remove")
                .about("Remove a user-defined environment")
                .arg(Arg::new("name").value_name("NAME").required(true)),
        )
}

/// Runs `environment <sub>`.
pub(crate) fn run(app: &App, matches: &ArgMatches) -> Result<(), Failure> {
    let store = EnvironmentStore::new(app.home()?);
    match matches.subcommand() {
        Some(("add", add)) => {
            let environment = from_options(add)?;
            store.add(environment.clone())?;
            show(app.format, &[(environment, false)])
        }
        Some(("remove", remove)) => {
            let name = text(remove, "name").unwrap_or_default();
            if store.remove(name)? {
                eprintln!("Removed environment '{}'.", printable_line(name));
                return Ok(());
            }
            if let Some(cloud) = Cloud::find(name) {
                return Err(usage(format!(
                    "'{name}' is the built-in cloud {cloud}, which cannot be removed"
                )));
            }
            let names: Vec<String> = store.list()?.into_iter().map(|e| e.name).collect();
            Err(usage(format!(
                "unknown environment '{name}'; user-defined environments: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )))
        }
        _ => {
            let mut all: Vec<(Environment, bool)> = Cloud::ALL
                .into_iter()
                .map(|c| (Environment::from(c), true))
                .collect();
            all.extend(store.list()?.into_iter().map(|e| (e, false)));
            show(app.format, &all)
        }
    }
}

fn text<'a>(matches: &'a ArgMatches, id: &str) -> Option<&'a str> {
    matches.get_one::<String>(id).map(String::as_str)
}

fn from_options(matches: &ArgMatches) -> Result<Environment, Failure> {
    let url = |id: &str, option: &str| -> Result<Option<Url>, Failure> {
        let Some(value) = text(matches, id) else {
            return Ok(None);
        };
        match Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(Some(url)),
            Ok(_) => Err(usage(format!("--{option} '{value}' is not an http(s) URL"))),
            Err(e) => Err(usage(format!("--{option} '{value}' is not a URL: {e}"))),
        }
    };
    let oidc_issuer = url("oidc-issuer", "oidc-issuer")?;
    let (authority, option) = match (text(matches, "authority-host"), &oidc_issuer) {
        (Some(host), _) => (host.to_owned(), "authority-host"),
        // clap requires one of the two
        (None, issuer) => (
            issuer
                .as_ref()
                .map(|issuer| issuer.origin().ascii_serialization())
                .unwrap_or_default(),
            "oidc-issuer",
        ),
    };
    let authority_host =
        parse_authority_host(&authority).map_err(|e| usage(format!("--{option}: {}", reason(&e))))?;
    let graph = url("graph", "graph-endpoint")?.ok_or_else(|| usage("--graph-endpoint is required"))?;
    let name = text(matches, "name").unwrap_or_default().trim();
    // here too, not only in the store: the error names the argument as the help spells it
    cmdlet::environment_store::check_name(name).map_err(|e| usage(format!("NAME: {}", reason(&e))))?;
    Ok(Environment {
        name: name.to_owned(),
        authority_host,
        graph,
        partner_center: url("partner-center", "partner-center-endpoint")?,
        aad_graph: url("aad-graph", "aad-graph-endpoint")?,
        resource_manager: url("resource-manager", "resource-manager-endpoint")?,
        oidc_issuer,
        oidc_endpoints: None,
        cloud: None,
    })
}

fn reason(error: &auth_core::Error) -> String {
    match error {
        auth_core::Error::InvalidParameter { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// A URL without the lone `/` path the parser adds.
fn shown(url: &Url) -> String {
    url.as_str().strip_suffix('/').unwrap_or(url.as_str()).to_owned()
}

fn show(format: Format, environments: &[(Environment, bool)]) -> Result<(), Failure> {
    let kind = |built_in: bool| if built_in { "Built-in" } else { "User-defined" };
    let text = match format {
        Format::Table => {
            let rows: Vec<Vec<String>> = environments
                .iter()
                .map(|(e, built_in)| {
                    vec![
                        e.name.clone(),
                        kind(*built_in).to_owned(),
                        shown(&e.authority_host),
                        shown(&e.graph),
                    ]
                })
                .collect();
            output::table(&["Name", "Type", "AzureADEndpoint", "GraphEndpoint"], &rows)
        }
        Format::Json | Format::ExecCredential => {
            let items: Vec<Value> = environments
                .iter()
                .map(|(e, built_in)| {
                    json!({
                        "Name": e.name,
                        "Type": kind(*built_in),
                        "Aliases": e.cloud.map(Cloud::aliases).unwrap_or_default(),
                        "AzureADEndpoint": shown(&e.authority_host),
                        "GraphEndpoint": shown(&e.graph),
                        "PartnerCenterEndpoint": e.partner_center.as_ref().map(shown),
                        "AzureADGraphEndpoint": e.aad_graph.as_ref().map(shown),
                        "ResourceManagerEndpoint": e.resource_manager.as_ref().map(shown),
                        "OidcIssuer": e.oidc_issuer.as_ref().map(shown),
                    })
                })
                .collect();
            output::json(&Value::Array(items))
        }
    };
    output::print(&text)
}

/// The cloud `--environment <name>` names for `cmdlet`: one of the module's names (any case), else a
/// user-defined environment; anything else is a usage error listing the valid names.
pub(crate) fn choose(app: &App, cmdlet: &Cmdlet, name: &str) -> Result<Environment, Failure> {
    let name = name.trim();
    let names = cmdlet.environments.names();
    if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return cmdlet.environments.parse(name).map_err(Failure::Auth);
    }
    let store = EnvironmentStore::new(app.home()?);
    if let Some(environment) = store.find(name)? {
        return Ok(environment);
    }
    let added: Vec<String> = store.list()?.into_iter().map(|e| e.name).collect();
    let mut valid = format!("{} (built in)", names.join(", "));
    if !added.is_empty() {
        valid.push_str(&format!(
            ", {} (added with `msconnect environment add`)",
            added.join(", ")
        ));
    }
    Err(usage(format!(
        "--environment: unknown environment '{name}' for {}; valid names: {valid}",
        cmdlet.name
    )))
}
