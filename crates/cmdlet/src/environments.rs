//! The environment names a module's `-Environment` takes, each mapped to auth-core's cloud table: one
//! table a module, so parsing, help and completion read the same list.

use auth_core::{Cloud, Environment};

use crate::bind::choose;

/// The names a module's `-Environment` takes, in its help page's order; the first is the default.
#[derive(Debug)]
pub struct EnvironmentNames(pub &'static [(&'static str, Cloud)]);

impl EnvironmentNames {
    /// Every name, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|(name, _)| *name).collect()
    }

    /// The environment a name selects (any case), named as the module names it; anything else is
    /// refused with the list of valid names.
    pub fn parse(&self, name: &str) -> auth_core::Result<Environment> {
        let index = choose("Environment", name, &self.indexed())?;
        Ok(self.environment(index))
    }

    /// The default environment: the first name's.
    pub fn default_environment(&self) -> Environment {
        self.environment(0)
    }

    fn indexed(&self) -> Vec<(&'static str, usize)> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i))
            .collect()
    }

    fn environment(&self, index: usize) -> Environment {
        let (name, cloud) = self.0[index];
        let mut environment = Environment::from(cloud);
        environment.name = name.to_owned();
        environment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAMES: EnvironmentNames = EnvironmentNames(&[
        ("Global", Cloud::AzureCloud),
        ("USGovDoD", Cloud::AzureUSGovernmentDoD),
        ("AzurePPE", Cloud::AzurePPE),
        ("Germany", Cloud::AzureGermanCloud),
    ]);

    #[test]
    fn a_name_selects_its_cloud_in_any_case_and_keeps_the_module_name() {
        let environment = NAMES.parse("usgovdod").unwrap();
        assert_eq!(environment.name, "USGovDoD");
        assert_eq!(environment.cloud, Some(Cloud::AzureUSGovernmentDoD));
        assert_eq!(environment.graph.as_str(), "https://dod-graph.microsoft.us/");
        assert_eq!(NAMES.default_environment().name, "Global");
        // the original mapped AzurePPE to no cloud at all; the table's PPE host is used
        assert_eq!(
            NAMES.parse("AzurePPE").unwrap().authority_host.as_str(),
            "https://login.windows-ppe.net/"
        );
        assert!(NAMES.parse("Germany").unwrap().retirement().is_some());
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        insta::assert_snapshot!(NAMES.parse("Mars").unwrap_err(), @"invalid value for -Environment: 'Mars' is not one of the accepted values: Global, USGovDoD, AzurePPE, Germany");
    }
}
