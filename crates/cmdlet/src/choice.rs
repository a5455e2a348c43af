//! A value picked from a fixed list, as PowerShell's `ValidateSet` picks it: any case, and anything else
//! refused with the list of accepted values. The environment names and `-Module` choose this way.

/// Picks a value from a fixed list (PowerShell's `ValidateSet`), ignoring case; anything else is refused
/// with the list of accepted values, naming the parameter (`Environment`).
pub fn choose<T: Copy>(parameter: &str, value: &str, accepted: &[(&'static str, T)]) -> auth_core::Result<T> {
    let value = value.trim();
    accepted
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = accepted.iter().map(|(n, _)| *n).collect();
            auth_core::Error::invalid(
                format!("-{parameter}"),
                format!(
                    "'{value}' is not one of the accepted values: {}",
                    names.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_set_values_ignore_case_and_list_the_accepted_ones() {
        let accepted = [("AzureCloud", 1), ("AzureChinaCloud", 2)];
        assert_eq!(choose("Environment", "azurechinacloud", &accepted).unwrap(), 2);
        insta::assert_snapshot!(choose("Environment", "Mars", &accepted).unwrap_err(), @"invalid value for -Environment: 'Mars' is not one of the accepted values: AzureCloud, AzureChinaCloud");
    }
}
