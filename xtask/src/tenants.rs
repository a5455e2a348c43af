//! `cargo xtask bench-tenants [--tenants N] [--debug]`: issue 23's count of `token --tenant` from one
//! user sign-in. A stand-in authority on a loopback port (plain HTTP, one thread, counting the token
//! requests it answers, each token a JWT naming the tenant of its path) serves `msconnect secmgmt
//! connect` with a refresh token, then `msconnect secmgmt token --tenant T` runs for N customer tenants
//! (1,000 by default), twice. The goal: exactly N requests the first time, none the second, and every
//! printed token for the tenant asked for. Prints the counts and times as BENCHMARKS.md lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::run;

mod fleet;

const APP: &str = "00000000-0000-0000-0000-00000000a11c";
const HOME_TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OID: &str = "6f1d8a3c-2f54-4e0b-9a55-0c9a8f0c1d2e";

pub(crate) fn run_bench_tenants(args: &[String]) -> Result<(), String> {
    let (tenants, debug, workers) = parse(args)?;
    if let Some((workers, name_by)) = workers {
        return fleet::run(workers, tenants, name_by, debug);
    }
    let (binary, profile) = msconnect_binary(debug)?;
    let stand_in = StandIn::start()?;
    let url = stand_in.url.clone();
    let home = std::env::temp_dir().join(format!("msconnect-bench-tenants-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).map_err(|e| format!("creating {}: {e}", home.display()))?;
    let msconnect = |args: &[&str]| -> Result<String, String> {
        let output = Command::new(&binary)
            .args(args)
            .env_clear()
            .env("MSCONNECT_HOME", &home)
            .env("AZURE_AUTHORITY_HOST", &url)
            .env("MSCONNECT_REFRESH_TOKEN", "bench-refresh-token")
            .output()
            .map_err(|e| format!("running {}: {e}", binary.display()))?;
        if !output.status.success() {
            return Err(format!(
                "msconnect {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    msconnect(&["secmgmt", "connect", "--application-id", APP])?;
    let names: Vec<String> = (1..=tenants).map(tenant).collect();
    let mut passes = Vec::new();
    for pass in 1..=2 {
        let before = stand_in.requests();
        let started = Instant::now();
        for name in &names {
            let printed = msconnect(&["secmgmt", "token", "--tenant", name])?;
            let payload = printed.split('.').nth(1).unwrap_or_default();
            if payload != b64(format!("{{\"tid\":\"{name}\"}}").as_bytes()) {
                return Err(format!(
                    "pass {pass}: the token printed for {name} is for another tenant"
                ));
            }
        }
        passes.push((stand_in.requests() - before, started.elapsed()));
    }
    let _ = std::fs::remove_dir_all(&home);
    let goal = [tenants, 0];
    for (i, (count, elapsed)) in passes.iter().enumerate() {
        println!(
            "- `token --tenant` pass {} over {tenants} tenants ({profile} build): {count} token requests \
             (goal {}), {:.2} s in all, {:.1} ms a command",
            i + 1,
            goal[i],
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 / tenants as f64
        );
    }
    if passes[0].0 != tenants || passes[1].0 != 0 {
        return Err(format!(
            "expected {tenants} requests then 0, got {} then {}",
            passes[0].0, passes[1].0
        ));
    }
    Ok(())
}

/// The fleet's workers and how they name their connections, when `--fleet` is given.
type Fleet = Option<(usize, fleet::NameBy)>;

fn parse(args: &[String]) -> Result<(usize, bool, Fleet), String> {
    let mut tenants = 1_000;
    let mut debug = false;
    let mut workers = None;
    let mut name_by = fleet::NameBy::Worker;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tenants" => {
                tenants = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--tenants takes a positive number")?;
            }
            "--fleet" => {
                let (w, t) = fleet::parse_size(args.next().map_or("", String::as_str))?;
                workers = Some(w);
                tenants = t;
            }
            "--name-by" => {
                name_by = fleet::NameBy::parse(args.next().map_or("", String::as_str))?;
            }
            "--debug" => debug = true,
            other => {
                return Err(format!(
                    "bench-tenants takes --tenants N, --fleet WxT, --name-by WORD and --debug, got '{other}'"
                ));
            }
        }
    }
    Ok((tenants, debug, workers.map(|w| (w, name_by))))
}

/// Builds msconnect (release, or debug with `--debug`) and returns its path and the profile's name.
pub(crate) fn msconnect_binary(debug: bool) -> Result<(std::path::PathBuf, &'static str), String> {
    let profile = if debug {
        run("cargo", &["build", "--locked", "-p", "msconnect"])?;
        "debug"
    } else {
        run("cargo", &["build", "--release", "--locked", "-p", "msconnect"])?;
        "release"
    };
    let binary = crate::target_dir()?
        .join(profile)
        .join(format!("msconnect{}", std::env::consts::EXE_SUFFIX));
    Ok((binary, profile))
}

/// The stand-in authority: a loopback port answering every token request (plain HTTP, one thread, one
/// request a connection), counting them.
pub(crate) struct StandIn {
    pub(crate) url: String,
    requests: Arc<AtomicUsize>,
}

impl StandIn {
    pub(crate) fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("binding the stand-in: {e}"))?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // one request per connection: msconnect's client keeps none open across processes
                if answer(stream).is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(Self { url, requests })
    }

    /// The token requests answered so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// The `n`th customer tenant's id.
pub(crate) fn tenant(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

/// Reads one request and answers it: the token endpoint of the tenant in its path, for the user.
fn answer(mut stream: TcpStream) -> Result<(), String> {
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| e.to_string())?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    let tid = match path.trim_start_matches('/').split('/').next() {
        Some("organizations") | None => HOME_TENANT.to_owned(),
        Some(tenant) => tenant.to_owned(),
    };
    let json = if String::from_utf8_lossy(&body).contains("grant_type=client_credentials") {
        app_token_answer(&tid)
    } else {
        token_answer(&tid)
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
        json.len()
    );
    stream.write_all(response.as_bytes()).map_err(|e| e.to_string())
}

/// A user's token answer in `tid`: the access token's only claim is the tenant (so the bench can check
/// it), the ID token names the user in that tenant, `client_info` the home account.
fn token_answer(tid: &str) -> String {
    let id_token = jwt(&format!(
        r#"{{"oid":"{OID}","tid":"{tid}","sub":"s","preferred_username":"admin@contoso.com","exp":4102444800}}"#
    ));
    serde_json::json!({
        "token_type": "Bearer",
        "scope": "https://graph.microsoft.com/.default",
        "expires_in": 3599,
        "access_token": jwt(&format!(r#"{{"tid":"{tid}"}}"#)),
        "refresh_token": "bench-refresh-token",
        "id_token": id_token,
        "client_info": b64(format!(r#"{{"uid":"{OID}","utid":"{HOME_TENANT}"}}"#).as_bytes()),
    })
    .to_string()
}

/// An application's token answer in `tid`: the access token only.
fn app_token_answer(tid: &str) -> String {
    serde_json::json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "access_token": jwt(&app_claims(tid)),
    })
    .to_string()
}

/// The claims of an application's access token in `tid`.
pub(crate) fn app_claims(tid: &str) -> String {
    format!(r#"{{"tid":"{tid}","exp":4102444800}}"#)
}

/// An unsigned JWT of `claims`.
fn jwt(claims: &str) -> String {
    format!(
        "{}.{}.{}",
        b64(br#"{"alg":"none"}"#),
        b64(claims.as_bytes()),
        b64(b"s")
    )
}

/// Base64url without padding.
pub(crate) fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_and_tenants_read_as_expected() {
        assert_eq!(b64(b"{\"tid\":\"x\"}"), "eyJ0aWQiOiJ4In0");
        assert_eq!(b64(b"ab"), "YWI");
        assert_eq!(tenant(1), "00000001-0000-4000-8000-000000000001");
        assert_eq!(tenant(1000), "000003e8-0000-4000-8000-0000000003e8");
        assert_eq!(
            parse(&["--tenants".into(), "5".into()]).unwrap(),
            (5, false, None)
        );
        assert!(parse(&["--tenants".into(), "0".into()]).is_err());
    }
}
