//! `msconnect git-credential get|store|erase`: git's credential helper protocol. git writes the request
//! (`protocol=https`, `host=dev.azure.com`, …, an empty line) to stdin; for `get` a helper writes
//! `username=` and `password=` lines or nothing, and git asks the next helper (or the user) when it
//! writes nothing.
//!
//! Answered: https only, and only Azure Repos (`dev.azure.com`, `*.visualstudio.com`) and the hosts named
//! with `--host HOST[:PORT]` (the port must match: `HOST` alone is port 443). The password is an access
//! token for Azure DevOps (`--scopes`, else `499b84ac-1321-427f-aa17-267ca6975798/.default`) from the
//! connection [`which`] chooses, with `password_expiry_utc` so git does not keep it past its
//! life. `store` and `erase` change nothing: the token cache keeps the tokens. The request is read with
//! bounds (size and lines), and nothing printed holds a control character.

use std::io::Read;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::app::App;
use crate::exit::Failure;
use crate::{output, session, which};

/// Azure DevOps' resource: its `.default` scope.
const AZURE_DEVOPS_SCOPE: &str = "499b84ac-1321-427f-aa17-267ca6975798/.default";
/// More than any request git writes.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;
/// Likewise, in lines.
const MAX_REQUEST_LINES: usize = 256;
/// The name given when git's request names no user (Azure DevOps reads only the token).
const USERNAME: &str = "msconnect";

/// The clap command.
pub(crate) fn command() -> Command {
    Command::new("git-credential")
        .about("git's credential helper: Azure Repos (and --host) over https get an access token")
        .long_about(
            "git's credential helper. For https to dev.azure.com, *.visualstudio.com and the hosts named with \
             --host, `get` answers a user name and an access token for Azure DevOps from the connection \
             MSCONNECT_CONTEXT names (else the first module connected); for any other host it answers \
             nothing, so git asks elsewhere. `store` and `erase` change nothing.\n\n\
             git config --global credential.https://dev.azure.com.helper '!msconnect git-credential'",
        )
        .arg(
            Arg::new("operation")
                .value_name("OPERATION")
                .required(true)
                .value_parser(["get", "store", "erase"])
                .help("What git asks"),
        )
        .arg(
            Arg::new("host")
                .long("host")
                .value_name("HOST[:PORT]")
                .action(ArgAction::Append)
                .help("Also answer this host (an Azure DevOps Server, a proxy); HOST alone is port 443"),
        )
        .arg(
            Arg::new("scopes")
                .long("scopes")
                .value_name("SCOPE")
                .action(ArgAction::Append)
                .value_delimiter(',')
                .help("Ask for these scopes instead of Azure DevOps' (499b84ac-…/.default)"),
        )
}

/// Runs `git-credential <operation>`.
pub(crate) fn run(app: &App, matches: &ArgMatches) -> Result<(), Failure> {
    let request = read_request(std::io::stdin().lock())?;
    if matches.get_one::<String>("operation").map(String::as_str) != Some("get") {
        return Ok(());
    }
    let hosts: Vec<String> = matches
        .get_many::<String>("host")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if !answers(&request, &hosts) {
        return Ok(());
    }
    let mut scopes: Vec<String> = matches
        .get_many::<String>("scopes")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if scopes.is_empty() {
        scopes.push(AZURE_DEVOPS_SCOPE.to_owned());
    }
    let session = session::session(app)?;
    let Some(connection) = which::chosen(app, &session)? else {
        // git shows a helper's stderr; nothing on stdout lets it ask elsewhere
        eprintln!("{}", auth_core::printable(&which::hint(app)));
        return Ok(());
    };
    let fetched = session::fetch(
        &session,
        &connection,
        &auth_core::normalize_scopes(scopes),
        &auth_core::TokenOptions::default(),
        &Failure::from,
    )?;
    let username = request
        .username
        .as_deref()
        .filter(|name| !name.is_empty())
        .unwrap_or(USERNAME);
    // `output::print` drops any control character a value could carry into git's line protocol
    output::print(&format!(
        "username={}\npassword={}\npassword_expiry_utc={}\n",
        auth_core::printable_line(username),
        fetched.token.secret(),
        fetched.expires_on
    ))
}

/// What git asked, of what decides the answer.
#[derive(Debug, Default, PartialEq, Eq)]
struct Request {
    protocol: Option<String>,
    host: Option<String>,
    username: Option<String>,
}

/// Reads git's request: `key=value` lines up to an empty line or the end, at most
/// [`MAX_REQUEST_BYTES`] and [`MAX_REQUEST_LINES`].
fn read_request(input: impl Read) -> Result<Request, Failure> {
    let mut bytes = Vec::new();
    input
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Failed(format!("git-credential: reading git's request: {e}")))?;
    if bytes.len() as u64 > MAX_REQUEST_BYTES {
        return Err(Failure::Failed(format!(
            "git-credential: git's request is larger than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut request = Request::default();
    for (index, line) in text.lines().enumerate() {
        if index >= MAX_REQUEST_LINES {
            return Err(Failure::Failed(format!(
                "git-credential: git's request is longer than {MAX_REQUEST_LINES} lines"
            )));
        }
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let slot = match key {
            "protocol" => &mut request.protocol,
            "host" => &mut request.host,
            "username" => &mut request.username,
            _ => continue,
        };
        *slot = Some(value.to_owned());
    }
    Ok(request)
}

/// Whether the request is one to answer: https, and Azure Repos or a host named.
fn answers(request: &Request, named: &[String]) -> bool {
    let (Some("https"), Some(host)) = (request.protocol.as_deref(), request.host.as_deref()) else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix(":443").unwrap_or(&host);
    let azure_repos = host == "dev.azure.com"
        || host
            .strip_suffix(".visualstudio.com")
            .is_some_and(|org| !org.is_empty() && !org.contains(['.', ':']));
    azure_repos
        || named.iter().any(|name| {
            let name = name.trim().to_ascii_lowercase();
            name.strip_suffix(":443").unwrap_or(&name) == host
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        read_request(text.as_bytes()).unwrap()
    }

    #[test]
    fn git_s_request_is_read_up_to_the_empty_line() {
        assert_eq!(
            request("protocol=https\nhost=dev.azure.com\npath=org/_git/repo\nusername=me\n\nhost=evil\n"),
            Request {
                protocol: Some("https".into()),
                host: Some("dev.azure.com".into()),
                username: Some("me".into())
            }
        );
    }

    #[test]
    fn only_azure_repos_and_the_named_hosts_over_https_are_answered() {
        let asks = |protocol: &str, host: &str| Request {
            protocol: Some(protocol.into()),
            host: Some(host.into()),
            username: None,
        };
        let named = ["git.contoso.com".to_owned(), "127.0.0.1:8443".to_owned()];
        for host in [
            "dev.azure.com",
            "DEV.AZURE.COM:443",
            "contoso.visualstudio.com",
            "git.contoso.com",
            "127.0.0.1:8443",
        ] {
            assert!(answers(&asks("https", host), &named), "{host}");
        }
        for host in [
            "github.com",
            "dev.azure.com.evil.com",
            "evil.com/dev.azure.com",
            "a.b.visualstudio.com",
            ".visualstudio.com",
            "git.contoso.com:8443",
            "127.0.0.1",
            "127.0.0.1:9999",
        ] {
            assert!(!answers(&asks("https", host), &named), "{host}");
        }
        assert!(!answers(&asks("http", "dev.azure.com"), &named));
        assert!(!answers(&Request::default(), &named));
    }

    #[test]
    fn an_endless_request_is_refused() {
        let long = "x=y\n".repeat(MAX_REQUEST_LINES + 1);
        insta::assert_snapshot!(read_request(long.as_bytes()).unwrap_err().report(false), @"error: git-credential: git's request is longer than 256 lines");
        let large = "a".repeat(MAX_REQUEST_BYTES as usize + 1);
        insta::assert_snapshot!(read_request(large.as_bytes()).unwrap_err().report(false), @"error: git-credential: git's request is larger than 65536 bytes");
    }
}
