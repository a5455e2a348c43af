//! `cargo xtask bench-tenants --fleet WxT [--name-by worker|tenant|none] [--debug]`: issue 23's fleet,
//! the scenario that found the shared current connection. W workers share one `MSCONNECT_HOME` and one
//! stand-in authority; each runs, for each of T customer tenants (starting at its own offset, so the
//! workers spread over the tenants), `msconnect partnercenter connect --service-principal --credential
//! APP --tenant T` then `msconnect partnercenter token`, both with `--context NAME` where NAME is the
//! worker's (`--name-by worker`, the default), the tenant's (`tenant`), or none at all (`none`, the
//! unnamed current connection every process shares). Every printed token's `tid` is checked against the
//! tenant asked for. The goal, with names: every command exits 0, no token for another tenant, and
//! exactly T token requests (one application token a tenant, the rest from the shared cache file).
//! Prints the figures as a BENCHMARKS.md table row.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::{StandIn, app_claims, b64, msconnect_binary, tenant};

const APP: &str = "00000000-0000-0000-0000-00000000f1ee";

/// How the workers name their connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameBy {
    Worker,
    Tenant,
    None,
}

impl NameBy {
    pub(crate) fn parse(word: &str) -> Result<Self, String> {
        match word {
            "worker" => Ok(Self::Worker),
            "tenant" => Ok(Self::Tenant),
            "none" => Ok(Self::None),
            other => Err(format!("--name-by takes worker, tenant or none, got '{other}'")),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Worker => "a name per worker",
            Self::Tenant => "a name per tenant",
            Self::None => "no name (the shared current connection)",
        }
    }
}

/// What the fleet did, counted across the workers.
#[derive(Default)]
struct Counts {
    commands: AtomicUsize,
    failed: AtomicUsize,
    wrong: AtomicUsize,
}

pub(crate) fn run(workers: usize, tenants: usize, name_by: NameBy, debug: bool) -> Result<(), String> {
    let (binary, profile) = msconnect_binary(debug)?;
    let stand_in = StandIn::start()?;
    let home = std::env::temp_dir().join(format!("msconnect-bench-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| format!("creating {}: {e}", home.display()))?;
    let counts = Arc::new(Counts::default());
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (binary, home, url, counts, first_error) =
                (&binary, &home, &stand_in.url, counts.clone(), first_error.clone());
            scope.spawn(move || {
                let run = |args: &[&str]| {
                    counts.commands.fetch_add(1, Ordering::Relaxed);
                    let output = std::process::Command::new(binary)
                        .args(args)
                        .env_clear()
                        .env("MSCONNECT_HOME", home)
                        .env("AZURE_AUTHORITY_HOST", url)
                        .env("MSCONNECT_PASSWORD", "fleet-secret")
                        .output();
                    let failure = match output {
                        Ok(output) if output.status.success() => {
                            return Some(String::from_utf8_lossy(&output.stdout).trim().to_owned());
                        }
                        Ok(output) => format!(
                            "msconnect {}: {}",
                            args.join(" "),
                            String::from_utf8_lossy(&output.stderr).trim()
                        ),
                        Err(e) => format!("starting {}: {e}", binary.display()),
                    };
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                    let mut first = first_error.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert(failure);
                    None
                };
                let offset = worker * tenants / workers;
                for i in 0..tenants {
                    let tenant = tenant((offset + i) % tenants + 1);
                    let name = match name_by {
                        NameBy::Worker => Some(format!("worker-{worker}")),
                        NameBy::Tenant => Some(format!("tenant-{tenant}")),
                        NameBy::None => None,
                    };
                    let mut connect = vec![
                        "partnercenter",
                        "connect",
                        "--service-principal",
                        "--credential",
                        APP,
                        "--tenant",
                        &tenant,
                    ];
                    let mut token = vec!["partnercenter", "token"];
                    if let Some(name) = &name {
                        connect.extend(["--context", name]);
                        token.extend(["--context", name]);
                    }
                    if run(&connect).is_none() {
                        continue;
                    }
                    if let Some(printed) = run(&token) {
                        let payload = printed.split('.').nth(1).unwrap_or_default();
                        if payload != b64(app_claims(&tenant).as_bytes()) {
                            counts.wrong.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let requests = stand_in.requests();
    let _ = std::fs::remove_dir_all(&home);
    let (commands, failed, wrong) = (
        counts.commands.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        counts.wrong.load(Ordering::Relaxed),
    );
    println!(
        "| {workers} x {tenants} | {} | {commands} | {failed} | {wrong} of {} | {requests} (goal {tenants}) | {:.0} s ({profile}) |",
        name_by.word(),
        workers * tenants,
        elapsed.as_secs_f64()
    );
    if let Some(first) = first_error.lock().unwrap_or_else(|e| e.into_inner()).take() {
        eprintln!("the first failure: {first}");
    }
    if name_by != NameBy::None && (failed != 0 || wrong != 0 || requests != tenants) {
        return Err(format!(
            "with names: {failed} failed commands, {wrong} tokens for another tenant and {requests} requests (goal 0, 0, {tenants})"
        ));
    }
    Ok(())
}

/// `WxT`: workers and tenants, both positive.
pub(crate) fn parse_size(size: &str) -> Result<(usize, usize), String> {
    size.split_once('x')
        .and_then(|(w, t)| Some((w.parse().ok()?, t.parse().ok()?)))
        .filter(|(w, t)| *w > 0 && *t > 0)
        .ok_or_else(|| format!("--fleet takes WORKERSxTENANTS such as 64x1000, got '{size}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_names_read_as_written() {
        assert_eq!(parse_size("64x1000"), Ok((64, 1000)));
        assert!(parse_size("0x10").is_err());
        assert!(parse_size("64").is_err());
        assert_eq!(NameBy::parse("tenant"), Ok(NameBy::Tenant));
        assert!(NameBy::parse("tenants").is_err());
    }
}
