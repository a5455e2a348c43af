//! Choosing a cmdlet's parameter set from the options given, as PowerShell's binder does, and explaining
//! in command-line terms (`--application-id`, not `-ApplicationId`) why no set, or several, fit.
//!
//! The sets and the choice are the product crates' and auth-core's (`auth_core::params::resolve`, one
//! resolver for every caller); the explanation is the command line's own, because it speaks in option
//! names.

use auth_core::params::ParameterSetInfo;

use crate::modules::Cmdlet;

/// The set for the parameters `given` (PowerShell names): among the sets that take every given parameter,
/// the one whose mandatory parameters are all given, or the default set when several are complete.
/// The error explains the failure with the cmdlet's option names.
pub(crate) fn resolve(cmdlet: &Cmdlet, given: &[&str]) -> Result<&'static ParameterSetInfo, String> {
    let sets = cmdlet.sets;
    if let Ok(set) = auth_core::params::resolve(cmdlet.name, sets, given) {
        return Ok(set);
    }
    let candidates: Vec<&'static ParameterSetInfo> = sets
        .iter()
        .filter(|set| given.iter().all(|g| set.accepts(g)))
        .collect();
    let complete: Vec<&'static ParameterSetInfo> = candidates
        .iter()
        .copied()
        .filter(|set| set.missing(given).is_empty())
        .collect();
    match complete.as_slice() {
        [] => {}
        several => {
            let names: Vec<&str> = several.iter().map(|s| s.name).collect();
            return Err(format!(
                "{} fit several parameter sets of {} ({}); add an option only one of them takes",
                options(cmdlet, given),
                cmdlet.name,
                names.join(", ")
            ));
        }
    }
    if candidates.is_empty() {
        let mut lines = Vec::new();
        for set in sets {
            if !given.iter().any(|g| set.accepts(g)) {
                continue;
            }
            let refused: Vec<&str> = given.iter().copied().filter(|g| !set.accepts(g)).collect();
            lines.push(format!(
                "  {} does not take {}",
                set.name,
                options(cmdlet, &refused)
            ));
        }
        return Err(format!(
            "{} cannot be used together with {}:\n{}",
            options(cmdlet, given),
            cmdlet.name,
            lines.join("\n")
        ));
    }
    let subject = if given.is_empty() {
        "no options".to_owned()
    } else {
        options(cmdlet, given)
    };
    let lines: Vec<String> = candidates
        .iter()
        .map(|set| format!("  {} needs {}", set.name, options(cmdlet, &set.missing(given))))
        .collect();
    Err(format!(
        "{subject} match no parameter set of {}; add what one of them needs:\n{}",
        cmdlet.name,
        lines.join("\n")
    ))
}

/// `--a, --b and --c` for PowerShell names.
fn options(cmdlet: &Cmdlet, names: &[&str]) -> String {
    let dashed: Vec<String> = names.iter().map(|n| format!("--{}", cmdlet.long_of(n))).collect();
    match dashed.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::{common, partnercenter};

    fn set_for(given: &[&str]) -> Result<&'static str, String> {
        resolve(&partnercenter::CONNECT, given).map(|s| s.name)
    }

    #[test]
    fn sets_resolve_as_powershell_resolves_them() {
        assert_eq!(set_for(&[]), Ok("User"));
        assert_eq!(set_for(&["Tenant", "UseDeviceAuthentication"]), Ok("User"));
        assert_eq!(set_for(&["AccessToken"]), Ok("AccessToken"));
        assert_eq!(set_for(&["ApplicationId", "RefreshToken"]), Ok("RefreshToken"));
        assert_eq!(
            set_for(&["ApplicationId", "Tenant", "CertificateThumbprint"]),
            Ok("ServicePrincipalCertificate")
        );
        assert_eq!(
            set_for(&["Credential", "Tenant", "ServicePrincipal"]),
            Ok("ServicePrincipal")
        );
    }

    /// Two complete sets and no default: a combination PowerShell cannot resolve.
    static AMBIGUOUS: Cmdlet = Cmdlet {
        name: "Connect-Test",
        about: "",
        params: &[common::TENANT, common::APPLICATION_ID],
        shared: &[],
        sets: &[
            ParameterSetInfo {
                name: "First",
                mandatory: &["Tenant"],
                optional: &["ApplicationId"],
                default: false,
            },
            ParameterSetInfo {
                name: "Second",
                mandatory: &["ApplicationId"],
                optional: &["Tenant"],
                default: false,
            },
        ],
        environments: Vec::new,
    };

    #[test]
    fn several_complete_sets_without_a_default_are_named() {
        let error = resolve(&AMBIGUOUS, &["Tenant", "ApplicationId"]).unwrap_err();
        insta::assert_snapshot!(error, @"--tenant and --application-id fit several parameter sets of Connect-Test (First, Second); add an option only one of them takes");
    }

    #[test]
    fn failures_name_the_sets_and_what_each_needs() {
        insta::assert_snapshot!(set_for(&["Credential", "Tenant"]).unwrap_err(), @r"
        --credential and --tenant match no parameter set of Connect-PartnerCenter; add what one of them needs:
          RefreshToken needs --application-id and --refresh-token
          ServicePrincipal needs --service-principal
        ");
        insta::assert_snapshot!(set_for(&["AccessToken", "UseDeviceAuthentication"]).unwrap_err(), @r"
        --access-token and --use-device-authentication cannot be used together with Connect-PartnerCenter:
          User does not take --access-token
          AccessToken does not take --use-device-authentication
        ");
    }
}
