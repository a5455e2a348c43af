//! The options of `token` that say which token and how fresh (`--tenant`, `--force-refresh`,
//! `--min-validity`, `--claims`), read once into auth-core's `TokenOptions`; and what a tenant that
//! wants the person to act becomes: exit 1 naming the tenant and the `connect` command to run.

use std::time::Duration;

use auth_core::{ClaimsChallenge, Error, Tenant, TokenOptions};
use clap::{Arg, ArgAction, ArgMatches};
use cmdlet::Module;

use crate::exit::{Failure, usage};

const TENANT: &str = "tenant";
const FORCE_REFRESH: &str = "force-refresh";
const MIN_VALIDITY: &str = "min-validity";
const CLAIMS: &str = "claims";

/// The options, for the `token` command.
pub(crate) fn args() -> [Arg; 4] {
    [
        Arg::new(TENANT)
            .long(TENANT)
            .visible_alias("tenant-id")
            .value_name("TENANT")
            .help(
                "A token in this tenant (id or domain) from the same sign-in: a user's refresh token is \
                 redeemed there, an application signs in there; cached per tenant",
            ),
        Arg::new(FORCE_REFRESH)
            .long(FORCE_REFRESH)
            .action(ArgAction::SetTrue)
            .help("Renew the token even though a cached one is still valid"),
        Arg::new(MIN_VALIDITY)
            .long(MIN_VALIDITY)
            .value_name("DURATION")
            .help("Renew the token when less than this is left of the cached one (90s, 5m, 2h, 1h30m)"),
        Arg::new(CLAIMS).long(CLAIMS).value_name("CHALLENGE").help(
            "Answer a claims challenge (the base64 or JSON claims of a 401's WWW-Authenticate): the \
                 cached token is skipped and the sign-in redeemed with the challenge",
        ),
    ]
}

/// The options given, each checked where it enters; a bad value is a usage error naming its option.
pub(crate) fn from_matches(matches: &ArgMatches) -> Result<TokenOptions, Failure> {
    let text = |name: &str| matches.try_get_one::<String>(name).ok().flatten();
    let tenant = text(TENANT)
        .map(|t| Tenant::parse(t).map_err(|e| usage(format!("--{TENANT}: {}", reason(e)))))
        .transpose()?;
    let min_validity = text(MIN_VALIDITY).map(|d| parse_duration(d)).transpose()?;
    let claims = text(CLAIMS)
        .map(|c| ClaimsChallenge::parse(c).map_err(|e| usage(format!("--{CLAIMS}: {}", reason(e)))))
        .transpose()?;
    Ok(TokenOptions {
        tenant,
        force_refresh: matches.try_get_one::<bool>(FORCE_REFRESH).ok().flatten() == Some(&true),
        min_validity,
        claims,
    })
}

/// Why a value was refused, without auth-core's name for the parameter (the option is named instead).
fn reason(error: Error) -> String {
    match error {
        Error::InvalidParameter { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// `90s`, `5m`, `2h`, `1d`, and sums of them (`1h30m`); a bare number is seconds. At most a week.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, Failure> {
    let bad = || {
        usage(format!(
            "--{MIN_VALIDITY}: '{}' is not a duration: give a number and a unit, such as 90s, 5m, 2h or 1h30m",
            text.escape_debug()
        ))
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut saw_unit = false;
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        saw_unit = true;
    }
    if !digits.is_empty() {
        if saw_unit {
            return Err(bad());
        }
        total = digits.parse().map_err(|_| bad())?;
    }
    const WEEK: u64 = 7 * 86_400;
    if total > WEEK {
        return Err(usage(format!(
            "--{MIN_VALIDITY}: {text} is longer than any token lives (at most 7d)"
        )));
    }
    Ok(Duration::from_secs(total))
}

/// auth-core's refusal of `tenant` (a managed identity, an access token) names the option instead.
pub(crate) fn named(error: Error) -> Failure {
    match error {
        Error::InvalidParameter { parameter, reason } if parameter == "tenant" => {
            usage(format!("--{TENANT}: {reason}"))
        }
        other => Failure::Auth(other),
    }
}

/// A tenant that wants the person (MFA, a conditional access policy, a claims challenge): exit 1 with
/// the tenant, what it said, and the `connect` command that signs in there, its claims challenge
/// included (base64, so it needs no quoting).
pub(crate) fn interaction_required(module: &Module, error: Error) -> Failure {
    let Error::InteractionRequired {
        tenant,
        claims,
        server,
    } = &error
    else {
        return named(error);
    };
    let cmdlet = module.connect.cmdlet();
    let tenant_option = cmdlet
        .tenant_parameter()
        .map(|p| p.option())
        .unwrap_or_else(|| "tenant".into());
    let mut command = format!("msconnect {} connect --{tenant_option} {tenant}", module.name);
    // the authority's challenge is checked like one typed: what is not JSON is not passed on
    if let Some(challenge) = claims.as_deref().and_then(|c| ClaimsChallenge::parse(c).ok()) {
        command.push_str(&format!(" --claims-challenge {}", challenge.to_base64()));
    }
    // what the authority said, led by its AADSTS code (or OAuth error) unless the description has it
    let summary = server.summary();
    let said = match server.aadsts() {
        _ if summary.starts_with("AADSTS") => summary.to_owned(),
        Some(code) => format!("AADSTS{code}: {summary}"),
        None if summary != server.error => format!("{}: {summary}", server.error),
        None => summary.to_owned(),
    };
    Failure::Failed(format!(
        "tenant {tenant} needs you to sign in ({said}); run:\n  {command}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_are_seconds() {
        let secs = |t: &str| {
            parse_duration(t)
                .map(|d| d.as_secs())
                .map_err(|e| e.report(false))
        };
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("5m"), Ok(300));
        assert_eq!(secs("2h"), Ok(7200));
        assert_eq!(secs("1h30m"), Ok(5400));
        assert_eq!(secs("45"), Ok(45));
        assert_eq!(secs("2H"), Ok(7200));
        for bad in ["", "m", "5x", "5m3", "-5m", "1.5h", "99999999999999999999h"] {
            let error = secs(bad).unwrap_err();
            assert!(error.contains("--min-validity"), "{bad}: {error}");
        }
        assert!(secs("8d").unwrap_err().contains("at most 7d"));
    }
}
