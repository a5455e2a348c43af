//! The environment names Connect-Entra (Microsoft Graph PowerShell) accepts, mapped to auth-core's cloud
//! table; the environment keeps the Entra name, which the context shows.

use auth_core::params::choose;
use auth_core::{Cloud, Environment};

/// A name `-Environment` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvironmentName {
    /// The global cloud.
    #[default]
    Global,
    /// Azure operated by 21Vianet.
    China,
    /// Azure US Government.
    USGov,
    /// Azure US Government, Department of Defense.
    USGovDoD,
    /// Microsoft Cloud Deutschland, closed in 2021 (accepted with a warning).
    Germany,
}

/// Every accepted name.
pub const ENVIRONMENT_NAMES: &[(&str, EnvironmentName)] = &[
    ("Global", EnvironmentName::Global),
    ("China", EnvironmentName::China),
    ("USGov", EnvironmentName::USGov),
    ("USGovDoD", EnvironmentName::USGovDoD),
    ("Germany", EnvironmentName::Germany),
];

impl EnvironmentName {
    /// Reads a name, ignoring case; anything else is refused with the list of valid names.
    pub fn parse(name: &str) -> auth_core::Result<Self> {
        choose("Environment", name, ENVIRONMENT_NAMES)
    }

    /// The Entra name.
    pub fn name(self) -> &'static str {
        ENVIRONMENT_NAMES
            .iter()
            .find(|(_, value)| *value == self)
            .map_or("Global", |(name, _)| name)
    }

    /// The cloud of the table.
    pub fn cloud(self) -> Cloud {
        match self {
            Self::Global => Cloud::AzureCloud,
            Self::China => Cloud::AzureChinaCloud,
            Self::USGov => Cloud::AzureUSGovernment,
            Self::USGovDoD => Cloud::AzureUSGovernmentDoD,
            Self::Germany => Cloud::AzureGermanCloud,
        }
    }
}

impl From<EnvironmentName> for Environment {
    fn from(name: EnvironmentName) -> Self {
        let mut environment = Environment::from(name.cloud());
        environment.name = name.name().to_owned();
        environment
    }
}

/// The environment a `-Environment` name selects, named as Entra names it.
pub fn parse(name: &str) -> auth_core::Result<Environment> {
    EnvironmentName::parse(name).map(Environment::from)
}

/// The default environment: Global.
pub fn global() -> Environment {
    Environment::from(EnvironmentName::Global)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_maps_to_its_cloud_and_keeps_the_entra_name() {
        for (name, value) in ENVIRONMENT_NAMES {
            let environment = parse(&name.to_uppercase()).unwrap();
            assert_eq!(environment.name, *name);
            assert_eq!(environment.cloud, Some(value.cloud()));
        }
        assert_eq!(
            parse("usgovdod").unwrap().graph.as_str(),
            "https://dod-graph.microsoft.us/"
        );
        assert!(parse("Germany").unwrap().retirement().is_some());
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        insta::assert_snapshot!(parse("AzureCloud").unwrap_err(), @"invalid value for -Environment: 'AzureCloud' is not one of the accepted values: Global, China, USGov, USGovDoD, Germany");
    }
}
