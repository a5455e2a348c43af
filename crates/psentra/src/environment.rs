//! The environment names PSMicrosoftEntraID accepts, mapped to auth-core's cloud table; the environment
//! keeps the module's name.

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
    USGovDOD,
}

/// Every accepted name, spelled as the module spells them.
pub const ENVIRONMENT_NAMES: &[(&str, EnvironmentName)] = &[
    ("Global", EnvironmentName::Global),
    ("China", EnvironmentName::China),
    ("USGov", EnvironmentName::USGov),
    ("USGovDOD", EnvironmentName::USGovDOD),
];

impl EnvironmentName {
    /// Reads a name, ignoring case; anything else is refused with the list of valid names.
    pub fn parse(name: &str) -> auth_core::Result<Self> {
        choose("Environment", name, ENVIRONMENT_NAMES)
    }

    /// The cloud of the table.
    pub fn cloud(self) -> Cloud {
        match self {
            Self::Global => Cloud::AzureCloud,
            Self::China => Cloud::AzureChinaCloud,
            Self::USGov => Cloud::AzureUSGovernment,
            Self::USGovDOD => Cloud::AzureUSGovernmentDoD,
        }
    }
}

impl From<EnvironmentName> for Environment {
    fn from(name: EnvironmentName) -> Self {
        let mut environment = Environment::from(name.cloud());
        if let Some((text, _)) = ENVIRONMENT_NAMES.iter().find(|(_, value)| *value == name) {
            environment.name = (*text).to_owned();
        }
        environment
    }
}

/// The environment a `-Environment` name selects.
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
    fn every_name_maps_to_its_cloud() {
        for (name, value) in ENVIRONMENT_NAMES {
            let environment = parse(&name.to_lowercase()).unwrap();
            assert_eq!(
                (environment.name.as_str(), environment.cloud),
                (*name, Some(value.cloud()))
            );
        }
        insta::assert_snapshot!(parse("Germany").unwrap_err(), @"invalid value for -Environment: 'Germany' is not one of the accepted values: Global, China, USGov, USGovDOD");
    }
}
