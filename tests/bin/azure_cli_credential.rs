//! The Azure SDK for Rust's `AzureCliCredential` (crate `azure_identity`), unchanged, for the `az`
//! suite: it runs `az` from `PATH` (through `/bin/sh -c`), where the suite puts a link to msconnect.
//! Arguments: the scope, and a tenant or an empty string. Prints `<token> <expires_on as epoch seconds>`,
//! or the credential's error on stderr with exit code 1.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a test program: printing is how it reports

use std::process::ExitCode;

use azure_core::credentials::TokenCredential as _;
use azure_identity::{AzureCliCredential, AzureCliCredentialOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scope, tenant] = args.as_slice() else {
        eprintln!("usage: azure-cli-credential SCOPE TENANT-OR-EMPTY");
        return ExitCode::from(2);
    };
    let options = AzureCliCredentialOptions {
        tenant_id: Some(tenant.clone()).filter(|t| !t.is_empty()),
        ..AzureCliCredentialOptions::default()
    };
    let answer = match AzureCliCredential::new(Some(options)) {
        Ok(credential) => credential.get_token(&[scope.as_str()], None).await,
        Err(error) => Err(error),
    };
    match answer {
        Ok(token) => {
            println!("{} {}", token.token.secret(), token.expires_on.unix_timestamp());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("azure-cli-credential: {error}");
            ExitCode::FAILURE
        }
    }
}
