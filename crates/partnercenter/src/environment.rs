//! The environment names Partner Center accepts (`-Environment`): the five of auth-core's
//! [`EnvironmentName`], which PartnerCenter and SecMgmt share, mapped to the cloud table.

use auth_core::Environment;
pub use auth_core::cloud::{ENVIRONMENT_NAMES, EnvironmentName};

/// The environment a `-Environment` name selects.
pub fn parse(name: &str) -> auth_core::Result<Environment> {
    auth_core::cloud::parse_environment_name(name)
}
