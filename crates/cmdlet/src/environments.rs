//! The environment names a module's `-Environment` takes, each a name or an alias of a cloud in
//! auth-core's table (`AzureCloud`, `Global`, `USGovDoD`…): one list a module, so parsing, help and
//! completion read the same names.

use auth_core::{Cloud, Environment};

use crate::choice::choose;

/// The names a module's `-Environment` takes, in its help page's order; the first is the default.
#[derive(Debug)]
pub struct EnvironmentNames(pub &'static [&'static str]);

impl EnvironmentNames {
    /// Every name, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.to_vec()
    }

    /// The environment a name selects (any case), named as the module names it; anything else is
    /// refused with the list of valid names.
    pub fn parse(&self, name: &str) -> auth_core::Result<Environment> {
        let indexed: Vec<(&'static str, &'static str)> = self.0.iter().map(|n| (*n, *n)).collect();
        let name = choose("Environment", name, &indexed)?;
        let cloud = Cloud::find(name).ok_or_else(|| {
            auth_core::Error::invalid("-Environment", format!("'{name}' names no cloud of the table"))
        })?;
        Ok(named(cloud, name))
    }

    /// The default environment: the first name's (the global cloud if the list names none).
    pub fn default_environment(&self) -> Environment {
        self.0
            .first()
            .and_then(|name| Some(named(Cloud::find(name)?, name)))
            .unwrap_or_default()
    }
}

/// The environment of `cloud`, called `name`.
fn named(cloud: Cloud, name: &str) -> Environment {
    let mut environment = Environment::from(cloud);
    environment.name = name.to_owned();
    environment
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAMES: EnvironmentNames = EnvironmentNames(&["Global", "USGovDOD", "AzurePPE", "Germany"]);

    #[test]
    fn a_name_selects_its_cloud_in_any_case_and_keeps_the_module_name() {
        let environment = NAMES.parse("usgovdod").unwrap();
        assert_eq!(environment.name, "USGovDOD");
        assert_eq!(environment.cloud, Some(Cloud::AzureUSGovernmentDoD));
        assert_eq!(environment.graph.as_str(), "https://dod-graph.microsoft.us/");
        assert_eq!(NAMES.default_environment().name, "Global");
        assert_eq!(NAMES.default_environment().cloud, Some(Cloud::AzureCloud));
        // the original mapped AzurePPE to no cloud at all; the table's PPE host is used
        assert_eq!(
            NAMES.parse("AzurePPE").unwrap().authority_host.as_str(),
            "https://login.windows-ppe.net/"
        );
        assert!(NAMES.parse("Germany").unwrap().retirement().is_some());
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        insta::assert_snapshot!(NAMES.parse("Mars").unwrap_err(), @"invalid value for -Environment: 'Mars' is not one of the accepted values: Global, USGovDOD, AzurePPE, Germany");
        let typo = EnvironmentNames(&["Gloabl"]);
        insta::assert_snapshot!(typo.parse("gloabl").unwrap_err(), @"invalid value for -Environment: 'Gloabl' names no cloud of the table");
        assert_eq!(typo.default_environment().cloud, Some(Cloud::AzureCloud));
    }
}
