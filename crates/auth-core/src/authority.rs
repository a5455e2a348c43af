//! An authority: where tokens come from. For Microsoft clouds the endpoints follow
//! `{host}/{tenant}/oauth2/v2.0/{authorize,token,devicecode}`; a generic OpenID Connect issuer names its
//! endpoints in its discovery document instead.

use url::Url;

use crate::cloud::{Environment, check_authority_url, parse_authority_host};
use crate::error::{Error, Result};
use crate::ids::Tenant;

/// The endpoints of an authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    host: Url,
    tenant: Tenant,
    authorize: Url,
    token: Url,
    device_code: Option<Url>,
    issuer: Option<Url>,
    response_issuer: Option<ResponseIssuer>,
}

/// The `iss` a browser's answer must carry (RFC 9207): the issuer identifier, exactly as the discovery
/// document spells it, and whether the document promised it
/// (`authorization_response_iss_parameter_supported`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseIssuer {
    /// The issuer identifier the answer's `iss` must equal.
    pub issuer: String,
    /// Whether an answer without `iss` is refused.
    pub required: bool,
}

impl Authority {
    /// A Microsoft identity platform authority: `host` is scheme and host (`https://login.microsoftonline.com`).
    pub fn new(host: &Url, tenant: &Tenant) -> Result<Self> {
        check_authority_url(host, "authority host")?;
        let base = format!("{}://{}", host.scheme(), host_and_port(host));
        // The tenant was validated: it is one path segment that cannot escape it.
        let endpoint = |name: &str| {
            Url::parse(&format!("{base}/{}/oauth2/v2.0/{name}", tenant.as_str()))
                .map_err(|e| Error::invalid("tenant", format!("'{tenant}' does not make a URL: {e}")))
        };
        Ok(Self {
            host: Url::parse(&base).map_err(|e| Error::invalid("authority host", e.to_string()))?,
            tenant: tenant.clone(),
            authorize: endpoint("authorize")?,
            token: endpoint("token")?,
            device_code: Some(endpoint("devicecode")?),
            issuer: None,
            response_issuer: None,
        })
    }

    /// The authority of an environment for a tenant: a generic OIDC authority when the environment names
    /// an issuer (its endpoints must have been discovered), else the Microsoft layout.
    pub fn for_environment(environment: &Environment, tenant: &Tenant) -> Result<Self> {
        match (&environment.oidc_issuer, &environment.oidc_endpoints) {
            (Some(issuer), Some(document)) => Self::from_discovery(issuer, document),
            (Some(issuer), None) => Err(Error::invalid(
                "environment",
                format!(
                    "'{}' names the OIDC issuer {issuer} but its discovery document was not fetched",
                    environment.name
                ),
            )),
            (None, _) => Self::new(&environment.authority_host, tenant),
        }
    }

    /// An authority from a host given as text (`login.microsoftonline.us` or a full https URL).
    pub fn from_host(host: &str, tenant: &Tenant) -> Result<Self> {
        Self::new(&parse_authority_host(host)?, tenant)
    }

    /// A generic OpenID Connect authority from its issuer's discovery document (MSAL's `oidc_authority`).
    /// Every endpoint must be https, or http on a loopback host.
    pub fn from_discovery(issuer: &Url, document: &DiscoveryDocument) -> Result<Self> {
        check_authority_url(issuer, "OIDC issuer")?;
        let parse = |name: &str, text: &str| -> Result<Url> {
            let url = Url::parse(text).map_err(|e| {
                Error::invalid(
                    "OIDC discovery document",
                    format!("{name} '{text}' is not a URL: {e}"),
                )
            })?;
            check_authority_url(&url, name)?;
            Ok(url)
        };
        let tenant = issuer
            .path_segments()
            .and_then(|mut s| s.find(|s| !s.is_empty()))
            .and_then(|s| Tenant::parse(s).ok())
            .unwrap_or_default();
        Ok(Self {
            host: Url::parse(&format!("{}://{}", issuer.scheme(), host_and_port(issuer)))
                .map_err(|e| Error::invalid("OIDC issuer", e.to_string()))?,
            tenant,
            authorize: parse("authorization_endpoint", &document.authorization_endpoint)?,
            token: parse("token_endpoint", &document.token_endpoint)?,
            device_code: document
                .device_authorization_endpoint
                .as_deref()
                .map(|d| parse("device_authorization_endpoint", d))
                .transpose()?,
            issuer: Some(issuer.clone()),
            response_issuer: Some(ResponseIssuer {
                issuer: document
                    .issuer
                    .clone()
                    .unwrap_or_else(|| issuer.as_str().trim_end_matches('/').to_owned()),
                required: document.authorization_response_iss_parameter_supported == Some(true),
            }),
        })
    }

    /// The same authority for another tenant (refresh tokens are cross-tenant). A generic OIDC authority
    /// has no tenants and is returned unchanged.
    pub fn with_tenant(&self, tenant: &Tenant) -> Result<Self> {
        if self.issuer.is_some() {
            Ok(self.clone())
        } else {
            Self::new(&self.host, tenant)
        }
    }

    /// Scheme, host and port.
    pub fn host(&self) -> &Url {
        &self.host
    }

    /// The tenant in the URL.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The authorization endpoint.
    pub fn authorize_endpoint(&self) -> &Url {
        &self.authorize
    }

    /// The token endpoint (also the `aud` of client assertions).
    pub fn token_endpoint(&self) -> &Url {
        &self.token
    }

    /// The device authorization endpoint, when the authority has one.
    pub fn device_code_endpoint(&self) -> Result<&Url> {
        self.device_code.as_ref().ok_or_else(|| {
            Error::invalid(
                "authority",
                format!("{} offers no device code sign-in", self.host),
            )
        })
    }

    /// The generic OIDC issuer, for authorities made from discovery.
    pub fn issuer(&self) -> Option<&Url> {
        self.issuer.as_ref()
    }

    /// What the `iss` of a browser's answer must be (RFC 9207): only for a generic OIDC issuer, whose
    /// discovery document names it; a Microsoft authority's answers are taken without one.
    pub fn response_issuer(&self) -> Option<&ResponseIssuer> {
        self.response_issuer.as_ref()
    }

    /// The token cache's `environment`: the host name, lower-case, without the port.
    pub fn environment(&self) -> String {
        self.host
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase()
    }

    /// The URL of the discovery document of a Microsoft authority.
    pub fn discovery_url(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!(
                "{}/.well-known/openid-configuration",
                issuer.as_str().trim_end_matches('/')
            ),
            None => format!(
                "{}{}/v2.0/.well-known/openid-configuration",
                self.host, self.tenant
            ),
        }
    }
}

fn host_and_port(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

// An environment describes a generic OIDC issuer with its discovery document, so the type lives with the
// environments (`cloud`), and is nameable here too.
pub use crate::cloud::DiscoveryDocument;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;

    #[test]
    fn microsoft_endpoints_follow_the_v2_layout() {
        let tenant = Tenant::parse("contoso.onmicrosoft.com").unwrap();
        let a = Authority::for_environment(&Environment::from(Cloud::AzureChinaCloud), &tenant).unwrap();
        assert_eq!(
            a.token_endpoint().as_str(),
            "https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            a.authorize_endpoint().as_str(),
            "https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
        );
        assert_eq!(
            a.device_code_endpoint().unwrap().as_str(),
            "https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
        );
        assert_eq!(
            a.discovery_url(),
            "https://login.chinacloudapi.cn/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(a.environment(), "login.chinacloudapi.cn");
    }

    #[test]
    fn every_cloud_makes_an_authority() {
        for cloud in Cloud::ALL {
            let a = Authority::for_environment(&Environment::from(cloud), &Tenant::organizations()).unwrap();
            assert!(
                a.token_endpoint()
                    .as_str()
                    .ends_with("/organizations/oauth2/v2.0/token"),
                "{cloud}"
            );
        }
    }

    #[test]
    fn the_cache_environment_drops_port_and_case() {
        let a = Authority::from_host("http://LocalHost:8123", &Tenant::common()).unwrap();
        assert_eq!(a.environment(), "localhost");
        assert_eq!(
            a.token_endpoint().as_str(),
            "http://localhost:8123/common/oauth2/v2.0/token"
        );
    }

    #[test]
    fn switching_tenant_keeps_the_host() {
        let a = Authority::from_host("https://login.microsoftonline.com", &Tenant::organizations()).unwrap();
        let b = a.with_tenant(&Tenant::parse("fabrikam.com").unwrap()).unwrap();
        assert_eq!(
            b.token_endpoint().as_str(),
            "https://login.microsoftonline.com/fabrikam.com/oauth2/v2.0/token"
        );
    }

    #[test]
    fn discovery_documents_name_the_endpoints() {
        let issuer = Url::parse("http://127.0.0.1:4000/").unwrap();
        let doc: DiscoveryDocument = serde_json::from_str(
            r#"{"issuer":"http://127.0.0.1:4000","authorization_endpoint":"http://127.0.0.1:4000/auth",
                "token_endpoint":"http://127.0.0.1:4000/token","device_authorization_endpoint":"http://127.0.0.1:4000/device/auth"}"#,
        )
        .unwrap();
        let a = Authority::from_discovery(&issuer, &doc).unwrap();
        assert_eq!(a.token_endpoint().as_str(), "http://127.0.0.1:4000/token");
        assert_eq!(
            a.device_code_endpoint().unwrap().as_str(),
            "http://127.0.0.1:4000/device/auth"
        );
        assert_eq!(a.environment(), "127.0.0.1");
        // the answer's iss is compared with the document's spelling; not required unless promised
        assert_eq!(
            a.response_issuer(),
            Some(&ResponseIssuer {
                issuer: "http://127.0.0.1:4000".into(),
                required: false
            })
        );
        let promised: DiscoveryDocument = serde_json::from_str(
            r#"{"authorization_endpoint":"http://127.0.0.1:4000/auth","token_endpoint":"http://127.0.0.1:4000/token",
                "authorization_response_iss_parameter_supported":true}"#,
        )
        .unwrap();
        assert_eq!(
            Authority::from_discovery(&issuer, &promised)
                .unwrap()
                .response_issuer(),
            Some(&ResponseIssuer {
                issuer: "http://127.0.0.1:4000".into(),
                required: true
            })
        );
        assert_eq!(
            Authority::from_host("https://login.microsoftonline.com", &Tenant::common())
                .unwrap()
                .response_issuer(),
            None
        );
        let evil: DiscoveryDocument = serde_json::from_str(
            r#"{"authorization_endpoint":"http://evil.test/auth","token_endpoint":"http://evil.test/token"}"#,
        )
        .unwrap();
        insta::assert_snapshot!(Authority::from_discovery(&issuer, &evil).unwrap_err(), @"invalid value for authorization_endpoint: 'http://evil.test/auth' must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)");
    }
}
