//! The Azure CLI's sign-in as a flow (`--from-azure-cli`): a silent request on the CLI's own cache, with
//! its account's (family) refresh token. What the CLI keeps (its folder, profile, accounts and cache) is
//! `azure_cli.rs`'s, which uses no flow.

use crate::azure_cli::{AzureCli, AzureCliSignIn, FromAzureCli, printable, signed_out};
use crate::error::{Error, Result};
use crate::flows::SilentRequest;
use crate::http::HttpClient;
use crate::ids::Tenant;

impl AzureCli {
    /// Signs in silently with the Azure CLI's sign-in: chooses the account (`username`, else the only
    /// one), opens the CLI's cache, and gets a token for `scopes` in `tenant` (else the account's tenant
    /// in the CLI) from `authority` for `client_id`, from the cache or bought with the account's (family)
    /// refresh token. Returns the token, the account and the cache, which the connection keeps using.
    pub async fn sign_in(&self, http: &HttpClient, request: FromAzureCli<'_>) -> Result<AzureCliSignIn> {
        let chosen = self.choose(request.username)?;
        let cache = self.token_cache()?;
        let tenant = match request.tenant {
            Some(tenant) => tenant.clone(),
            None => Tenant::parse(&chosen.tenant_id).map_err(|_| Error::InvalidFile {
                path: self.profile_path(),
                reason: format!("the tenant of {} is not a tenant id", printable(&chosen.username)),
            })?,
        };
        let authority = request.authority.with_tenant(&tenant)?;
        cache.check_writable()?;
        let account = self.cached_account(&cache, &chosen, &authority.environment())?;
        let client_id = self.client_for(&account, request.client_id);
        let token = SilentRequest::new(&cache, &authority, &client_id)
            .account(Some(&account.home_account_id))
            .scopes(request.scopes)
            .send(http)
            .await
            .map_err(|error| match error {
                Error::SignInRequired(_) => signed_out(&chosen.username),
                other => other,
            })?;
        Ok(AzureCliSignIn {
            token,
            account,
            cache,
        })
    }
}
