//! Feature `azure-core`: a connection's handle ([`Connected`]) is an Azure SDK for Rust credential
//! (`azure_core::credentials::TokenCredential`), so it goes into any Azure SDK client as
//! `Arc<dyn TokenCredential>`. Each token comes from [`Connected::token`]: the cache, else renewed
//! silently, for whichever scopes the client asks.

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::time::OffsetDateTime;

use crate::session::Connected;

#[async_trait::async_trait]
impl TokenCredential for Connected {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let result = self
            .token(scopes)
            .await
            .map_err(|error| azure_core::Error::new(ErrorKind::Credential, error))?;
        let expires_on = OffsetDateTime::from_unix_timestamp(result.expires_on)
            .map_err(|error| azure_core::Error::new(ErrorKind::DataConversion, error))?;
        Ok(AccessToken::new(
            result.access_token.secret().to_owned(),
            expires_on,
        ))
    }
}
