//! The cloud table of PROTOCOL section 1: each Microsoft cloud, its names and aliases, and its endpoints;
//! plus [`Environment`], a cloud resolved for use (a built-in one, or one the user defined) with the
//! `AZURE_AUTHORITY_HOST` override applied.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::env::EnvVars;
use crate::error::{Error, Result};

/// A Microsoft cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// The global (public) Azure cloud.
    #[default]
    AzureCloud,
    /// Azure operated by 21Vianet in China.
    AzureChinaCloud,
    /// Azure US Government.
    AzureUSGovernment,
    /// Azure US Government, Department of Defense.
    AzureUSGovernmentDoD,
    /// Microsoft Cloud Deutschland: closed in 2021, accepted with a warning.
    AzureGermanCloud,
    /// Microsoft's pre-production cloud.
    AzurePPE,
}

/// A cloud's endpoints, as the table gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Where users sign in (`https://login.microsoftonline.com`).
    pub authority_host: &'static str,
    /// Microsoft Graph.
    pub graph: &'static str,
    /// The Partner Center API, where the cloud has one.
    pub partner_center: Option<&'static str>,
    /// Azure AD Graph (retired), where the cloud had it.
    pub aad_graph: Option<&'static str>,
    /// Azure Resource Manager.
    pub resource_manager: &'static str,
}

impl Cloud {
    /// Every cloud, in the table's order.
    pub const ALL: [Cloud; 6] = [
        Cloud::AzureCloud,
        Cloud::AzureChinaCloud,
        Cloud::AzureUSGovernment,
        Cloud::AzureUSGovernmentDoD,
        Cloud::AzureGermanCloud,
        Cloud::AzurePPE,
    ];

    /// The canonical name.
    pub const fn name(self) -> &'static str {
        match self {
            Cloud::AzureCloud => "AzureCloud",
            Cloud::AzureChinaCloud => "AzureChinaCloud",
            Cloud::AzureUSGovernment => "AzureUSGovernment",
            Cloud::AzureUSGovernmentDoD => "AzureUSGovernmentDoD",
            Cloud::AzureGermanCloud => "AzureGermanCloud",
            Cloud::AzurePPE => "AzurePPE",
        }
    }

    /// The other names it answers to, case-insensitively.
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Cloud::AzureCloud => &["Global", "Public", "AzurePublic"],
            Cloud::AzureChinaCloud => &["China"],
            Cloud::AzureUSGovernment => &["USGov"],
            Cloud::AzureUSGovernmentDoD => &["USGovDoD"],
            Cloud::AzureGermanCloud => &["Germany"],
            Cloud::AzurePPE => &["PPE"],
        }
    }

    /// The cloud's endpoints.
    pub const fn endpoints(self) -> CloudEndpoints {
        match self {
            Cloud::AzureCloud => CloudEndpoints {
                authority_host: "https://login.microsoftonline.com",
                graph: "https://graph.microsoft.com",
                partner_center: Some("https://api.partnercenter.microsoft.com"),
                aad_graph: Some("https://graph.windows.net"),
                resource_manager: "https://management.azure.com",
            },
            Cloud::AzureChinaCloud => CloudEndpoints {
                authority_host: "https://login.chinacloudapi.cn",
                graph: "https://microsoftgraph.chinacloudapi.cn",
                partner_center: Some("https://partner.partnercenterapi.microsoftonline.cn"),
                aad_graph: Some("https://graph.chinacloudapi.cn"),
                resource_manager: "https://management.chinacloudapi.cn",
            },
            Cloud::AzureUSGovernment => CloudEndpoints {
                authority_host: "https://login.microsoftonline.us",
                graph: "https://graph.microsoft.us",
                partner_center: Some("https://api.partnercenter.microsoft.com"),
                aad_graph: Some("https://graph.windows.net"),
                resource_manager: "https://management.usgovcloudapi.net",
            },
            Cloud::AzureUSGovernmentDoD => CloudEndpoints {
                authority_host: "https://login.microsoftonline.us",
                graph: "https://dod-graph.microsoft.us",
                partner_center: None,
                aad_graph: None,
                resource_manager: "https://management.usgovcloudapi.net",
            },
            Cloud::AzureGermanCloud => CloudEndpoints {
                authority_host: "https://login.microsoftonline.de",
                graph: "https://graph.microsoft.de",
                partner_center: Some("https://api.partnercenter.microsoft.com"),
                aad_graph: Some("https://graph.cloudapi.de"),
                resource_manager: "https://management.core.cloudapi.de",
            },
            Cloud::AzurePPE => CloudEndpoints {
                authority_host: "https://login.windows-ppe.net",
                graph: "https://graph.microsoft-ppe.com",
                partner_center: Some("https://api.partnercenter.microsoft-ppe.com"),
                aad_graph: Some("https://graph.ppe.windows.net"),
                resource_manager: "https://api-dogfood.resources.windows-int.net",
            },
        }
    }

    /// Why the cloud should not be used any more, when it is retired.
    pub const fn retirement(self) -> Option<&'static str> {
        match self {
            Cloud::AzureGermanCloud => Some(
                "Microsoft Cloud Deutschland (AzureGermanCloud) closed in 2021; sign-in there is expected to fail",
            ),
            _ => None,
        }
    }

    /// Finds a cloud by its name or an alias, ignoring case.
    pub fn find(name: &str) -> Option<Cloud> {
        let name = name.trim();
        Cloud::ALL.into_iter().find(|cloud| {
            cloud.name().eq_ignore_ascii_case(name)
                || cloud.aliases().iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }
}

impl FromStr for Cloud {
    type Err = Error;
    fn from_str(name: &str) -> Result<Self> {
        Cloud::find(name).ok_or_else(|| {
            let valid: Vec<&str> = Cloud::ALL.iter().map(|c| c.name()).collect();
            Error::invalid(
                "environment",
                format!("'{name}' is not a known cloud; valid names: {}", valid.join(", ")),
            )
        })
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cloud ready for use: its name and endpoints as URLs. Built from a [`Cloud`], or defined by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The name users select it by.
    pub name: String,
    /// The authority host (`https://login.microsoftonline.com`).
    pub authority_host: Url,
    /// Microsoft Graph.
    pub graph: Url,
    /// The Partner Center API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_center: Option<Url>,
    /// Azure AD Graph (retired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_graph: Option<Url>,
    /// Azure Resource Manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_manager: Option<Url>,
    /// A generic OpenID Connect issuer: when set, endpoints come from its discovery document instead of
    /// the Microsoft `{host}/{tenant}/oauth2/v2.0/…` layout (MSAL's `oidc_authority`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<Url>,
    /// The endpoints the issuer's discovery document named, once fetched (by
    /// [`Session::resolve_environment`](crate::Session::resolve_environment)); kept so a saved connection
    /// can renew tokens without fetching the document again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_endpoints: Option<DiscoveryDocument>,
    /// The built-in cloud it came from, if any.
    #[serde(skip)]
    pub cloud: Option<Cloud>,
}

fn static_url(text: &'static str) -> Url {
    // The table holds literal, valid URLs; the test over every variant proves it.
    Url::parse(text).unwrap_or_else(|e| unreachable!("bad URL in the cloud table {text}: {e}"))
}

impl From<Cloud> for Environment {
    fn from(cloud: Cloud) -> Self {
        let e = cloud.endpoints();
        Environment {
            name: cloud.name().to_owned(),
            authority_host: static_url(e.authority_host),
            graph: static_url(e.graph),
            partner_center: e.partner_center.map(static_url),
            aad_graph: e.aad_graph.map(static_url),
            resource_manager: Some(static_url(e.resource_manager)),
            oidc_issuer: None,
            oidc_endpoints: None,
            cloud: Some(cloud),
        }
    }
}

impl Default for Environment {
    /// The default cloud (AzureCloud).
    fn default() -> Self {
        Environment::from(Cloud::default())
    }
}

impl Environment {
    /// Applies `AZURE_AUTHORITY_HOST`, which overrides the authority host of any environment.
    pub fn with_env_overrides(mut self, env: &EnvVars) -> Result<Self> {
        if let Some(host) = env.get("AZURE_AUTHORITY_HOST") {
            self.authority_host = parse_authority_host(host).map_err(|e| match e {
                Error::InvalidParameter { reason, .. } => Error::invalid("AZURE_AUTHORITY_HOST", reason),
                other => other,
            })?;
        }
        Ok(self)
    }

    /// The environment with its authority at `host` (a scheme and host, https or loopback http).
    pub fn with_authority_host(mut self, host: &Url) -> Result<Self> {
        self.authority_host = parse_authority_host(host.as_str())?;
        Ok(self)
    }

    /// Checks a user-defined environment: every endpoint an absolute URL, the authority https (or loopback).
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("environment name", "is empty"));
        }
        check_authority_url(&self.authority_host, "authority host")?;
        if let Some(issuer) = &self.oidc_issuer {
            check_authority_url(issuer, "OIDC issuer")?;
        }
        Ok(())
    }

    /// The retirement warning of its cloud, if it has one.
    pub fn retirement(&self) -> Option<&'static str> {
        self.cloud.and_then(Cloud::retirement)
    }
}

/// Whether a host is a loopback host, where plain http is allowed.
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Refuses an authority that is not https, unless it is a loopback host.
pub(crate) fn check_authority_url(url: &Url, what: &str) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) => Ok(()),
        "http" => Err(Error::invalid(
            what,
            format!("'{url}' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)"),
        )),
        other => Err(Error::invalid(
            what,
            format!("'{url}' has scheme '{other}'; expected https"),
        )),
    }
}

/// Parses an authority host such as `https://login.microsoftonline.us` or `login.microsoftonline.us`
/// (https is assumed, as azure-identity does): scheme, host and port only.
pub fn parse_authority_host(text: &str) -> Result<Url> {
    let text = text.trim().trim_end_matches('/');
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::invalid("authority host", format!("'{text}' is not a URL: {e}")))?;
    if url.host().is_none() || url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "authority host",
            format!("'{text}' must be a scheme and host only, with no path"),
        ));
    }
    check_authority_url(&url, "authority host")?;
    Ok(url)
}

/// The members of an OpenID Connect discovery document that sign-in needs.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct DiscoveryDocument {
    /// The issuer it describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The device authorization endpoint (RFC 8628), when offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// Whether the authorization endpoint's answers carry `iss` (RFC 9207), which the browser sign-in
    /// then requires and checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}

#[cfg(test)]
mod tests;
