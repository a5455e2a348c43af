//! The environment names of the PartnerCenter and SecMgmt modules (`-Environment`), shared here because
//! both modules accept exactly the same five, mapped to the cloud table.

use crate::cloud::{Cloud, Environment};

/// A name the `-Environment` of PartnerCenter and SecMgmt accepts (their `EnvironmentName` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvironmentName {
    /// The global cloud.
    #[default]
    AzureCloud,
    /// Azure operated by 21Vianet.
    AzureChinaCloud,
    /// Microsoft Cloud Deutschland, closed in 2021 (accepted with a warning).
    AzureGermanCloud,
    /// Microsoft's pre-production cloud.
    AzurePPE,
    /// Azure US Government.
    AzureUSGovernment,
}

/// Every accepted name, in the help page's order.
pub const ENVIRONMENT_NAMES: &[(&str, EnvironmentName)] = &[
    ("AzureCloud", EnvironmentName::AzureCloud),
    ("AzureChinaCloud", EnvironmentName::AzureChinaCloud),
    ("AzureGermanCloud", EnvironmentName::AzureGermanCloud),
    ("AzurePPE", EnvironmentName::AzurePPE),
    ("AzureUSGovernment", EnvironmentName::AzureUSGovernment),
];

impl EnvironmentName {
    /// Reads a name, ignoring case; anything else is refused with the list of valid names.
    pub fn parse(name: &str) -> crate::Result<Self> {
        crate::params::choose("Environment", name, ENVIRONMENT_NAMES)
    }

    /// The cloud of the table.
    pub fn cloud(self) -> Cloud {
        match self {
            Self::AzureCloud => Cloud::AzureCloud,
            Self::AzureChinaCloud => Cloud::AzureChinaCloud,
            Self::AzureGermanCloud => Cloud::AzureGermanCloud,
            Self::AzurePPE => Cloud::AzurePPE,
            Self::AzureUSGovernment => Cloud::AzureUSGovernment,
        }
    }
}

impl From<EnvironmentName> for Environment {
    fn from(name: EnvironmentName) -> Self {
        Environment::from(name.cloud())
    }
}

/// The environment a PartnerCenter or SecMgmt `-Environment` name selects.
pub fn parse_environment_name(name: &str) -> crate::Result<Environment> {
    EnvironmentName::parse(name).map(Environment::from)
}

#[cfg(test)]
mod environment_name_tests {
    use super::*;

    #[test]
    fn every_name_maps_to_its_cloud_and_case_does_not_matter() {
        for (name, value) in ENVIRONMENT_NAMES {
            assert_eq!(EnvironmentName::parse(&name.to_lowercase()).unwrap(), *value);
            assert_eq!(parse_environment_name(name).unwrap().name, value.cloud().name());
        }
        // The original mapped AzurePPE to no cloud at all; the table's PPE host is used.
        assert_eq!(
            parse_environment_name("AzurePPE")
                .unwrap()
                .authority_host
                .as_str(),
            "https://login.windows-ppe.net/"
        );
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        insta::assert_snapshot!(parse_environment_name("USGovDoD").unwrap_err(), @"invalid value for -Environment: 'USGovDoD' is not one of the accepted values: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment");
    }

    #[test]
    fn the_german_cloud_is_accepted_but_marked_retired() {
        let environment = parse_environment_name("AzureGermanCloud").unwrap();
        assert!(environment.retirement().is_some());
    }
}
