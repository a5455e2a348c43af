//! Validated identifiers: tenants and client (application) ids. A tenant ends up in a URL path, so only
//! values that cannot change the URL's path or host are accepted.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Whether `value` is a GUID in its usual 8-4-4-4-12 hexadecimal form.
pub(crate) fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A tenant: a GUID, a verified domain name, or one of `common`, `organizations`, `consumers`.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Tenant(String);

impl Tenant {
    /// Work and school accounts of any tenant: the default when no tenant is given.
    pub fn organizations() -> Self {
        Self("organizations".into())
    }

    /// Any account, work, school or personal.
    pub fn common() -> Self {
        Self("common".into())
    }

    /// Validates a tenant as the user typed it (surrounding spaces are ignored).
    pub fn parse(value: &str) -> Result<Self> {
        let value = value.trim();
        let refuse = |reason: &str| Err(Error::invalid("tenant", format!("'{value}' {reason}")));
        if value.is_empty() {
            return refuse("is empty");
        }
        let lower = value.to_ascii_lowercase();
        if is_guid(&lower) || matches!(lower.as_str(), "common" | "organizations" | "consumers") {
            return Ok(Self(lower));
        }
        if value.len() > 253 {
            return refuse("is too long for a domain name");
        }
        let labels: Vec<&str> = lower.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return refuse(
                "is not a tenant: give a tenant id (GUID), a domain name such as contoso.onmicrosoft.com, \
                 or common, organizations or consumers",
            );
        }
        Ok(Self(lower))
    }

    /// The tenant as it goes into URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this names one tenant rather than a group of them (`common`, `organizations`, `consumers`).
    pub fn is_specific(&self) -> bool {
        !matches!(self.0.as_str(), "common" | "organizations" | "consumers")
    }
}

impl Default for Tenant {
    fn default() -> Self {
        Self::organizations()
    }
}

impl FromStr for Tenant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tenant({})", self.0)
    }
}

/// An application (client) id: a GUID, kept lower-case as the cache keys want it.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// Validates a client id.
    pub fn parse(value: &str) -> Result<Self> {
        let value = value.trim();
        if is_guid(value) {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(Error::invalid(
                "client id",
                format!("'{value}' is not an application id: expected a GUID"),
            ))
        }
    }

    /// A client id known to be valid (the modules' well-known ids).
    ///
    /// # Panics
    /// When `value` is not a GUID; use it only with constants.
    pub fn from_static(value: &'static str) -> Self {
        match Self::parse(value) {
            Ok(id) => id,
            Err(_) => panic!("not a GUID: {value}"),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for ClientId {
    /// Checked as [`ClientId::parse`] checks it: a saved file cannot hold another kind of id.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl FromStr for ClientId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_that_could_change_the_url_are_refused() {
        for bad in [
            "../x",
            "a/b",
            "x?y",
            "x#y",
            "contoso.com/../../evil",
            "evil.com@x",
            "a b",
            "%2e%2e",
            "",
            " ",
            "x",
            "a..b",
            "-a.com",
            "ex ample.com",
            "a\\b",
            "a:80",
        ] {
            let error = Tenant::parse(bad).expect_err(bad);
            assert!(
                error.to_string().starts_with("invalid value for tenant:"),
                "{error}"
            );
        }
    }

    #[test]
    fn good_tenants_are_accepted_and_normalised() {
        assert_eq!(
            Tenant::parse(" Contoso.OnMicrosoft.com ").unwrap().as_str(),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            Tenant::parse("72F988BF-86F1-41AF-91AB-2D7CD011DB47")
                .unwrap()
                .as_str(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        assert_eq!(Tenant::parse("Organizations").unwrap(), Tenant::organizations());
        assert!(!Tenant::parse("common").unwrap().is_specific());
        assert!(Tenant::parse("consumers").is_ok());
        assert!(Tenant::parse("contoso.com").unwrap().is_specific());
    }

    #[test]
    fn the_refusal_says_what_is_accepted() {
        insta::assert_snapshot!(Tenant::parse("a/b").unwrap_err(), @"invalid value for tenant: 'a/b' is not a tenant: give a tenant id (GUID), a domain name such as contoso.onmicrosoft.com, or common, organizations or consumers");
    }

    #[test]
    fn client_ids_must_be_guids() {
        assert_eq!(
            ClientId::parse("04B07795-8DDB-461A-BBEE-02F9E1BF7B46")
                .unwrap()
                .as_str(),
            "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        );
        insta::assert_snapshot!(ClientId::parse("xxxx-xxxx").unwrap_err(), @"invalid value for client id: 'xxxx-xxxx' is not an application id: expected a GUID");
        assert!(ClientId::parse("04b07795-8ddb-461a-bbee-02f9e1bf7b4g").is_err());
    }
}
