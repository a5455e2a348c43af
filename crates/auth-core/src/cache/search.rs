//! Searching the index of a cache (what the file and memory backends read, and what the Redis backend
//! builds from the candidates it fetched) for the best access token of a query and for accounts.

use crate::secret::AccessToken;
use crate::token::Account;

use super::index::{self, Field, Index};
use super::schema::ACCESS_TOKEN;
use super::{AccessTokenSearch, CachedAccessToken, CredentialFilter, EXPIRY_MARGIN_SECONDS, TokenQuery};

/// Whether an entry is a bearer token for the query; `scopes` are the query's, normalized. The cheapest
/// and most telling comparisons come first: a large cache is mostly other accounts' tokens.
pub(super) fn access_token_matches(
    index: &Index,
    e: &index::Entry,
    q: &TokenQuery,
    scopes: &[String],
) -> bool {
    let home_matches = match &q.home_account_id {
        Some(home) => index.field_is(e, Field::HomeAccountId, home),
        None => index.str(e, Field::HomeAccountId).is_none_or(str::is_empty),
    };
    // Tokens bound to a key (PoP, SSH certificates) or cached under extra request parameters are not
    // bearer tokens for this query: leave them to whoever asked for them.
    let bearer = || {
        index
            .str(e, Field::TokenType)
            .is_none_or(|t| t.eq_ignore_ascii_case("bearer"))
            && !e.has_ext_cache_key
            && !e.has_key_id
    };
    // The target's scopes without the OIDC ones carry every scope asked for (which has none of those).
    let carries = |scope: &String| {
        index
            .str(e, Field::Target)
            .unwrap_or_default()
            .split_whitespace()
            .any(|t| t.eq_ignore_ascii_case(scope))
    };
    // A token bought announcing client capabilities (continuous access evaluation) is served only to
    // requests that announce them, which ask for its mark among the scopes: one without them never sees it.
    let same_capabilities = || {
        let marked = |scope: &str| {
            scope
                .get(..super::schema::CAPABILITY_SCOPE_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(super::schema::CAPABILITY_SCOPE_PREFIX))
        };
        scopes.iter().any(|s| marked(s))
            || !index
                .str(e, Field::Target)
                .unwrap_or_default()
                .split_whitespace()
                .any(marked)
    };
    home_matches
        && index.field_is(e, Field::ClientId, q.client_id.as_str())
        && q.realm
            .as_ref()
            .is_none_or(|realm| index.field_is(e, Field::Realm, realm))
        && index.field_is(e, Field::Environment, &q.environment)
        && index
            .str(e, Field::CredentialType)
            .is_none_or(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN))
        && bearer()
        && scopes.iter().all(carries)
        && same_capabilities()
}

/// The best access tokens of `index` for `query` (whose scopes, normalized, are `scopes`): the fresh one
/// and the aging one that expire last, each with more than [`EXPIRY_MARGIN_SECONDS`] left. The winners are
/// found first; only their secrets are copied out of the text.
pub(super) fn best_access_tokens(
    index: &Index,
    query: &TokenQuery,
    scopes: &[String],
    credential: Option<CredentialFilter<'_>>,
    now: i64,
) -> AccessTokenSearch {
    let mut best: [Option<(&index::Entry, i64)>; 2] = [None, None];
    // An app-only token is served only to the credential that earned it; a user's token is the user's.
    let same_credential = |e: &index::Entry| {
        credential.is_none_or(|filter| {
            query.home_account_id.is_some()
                || match index.str(e, Field::Credential) {
                    Some(mark) => mark.eq_ignore_ascii_case(filter.fingerprint),
                    None => !filter.strict,
                }
        })
    };
    for entry in index
        .access_tokens
        .iter()
        .filter(|e| access_token_matches(index, e, query, scopes) && same_credential(e))
    {
        let Some(expires_on) = index.number(entry, Field::ExpiresOn) else {
            continue;
        };
        if index.str(entry, Field::Secret).is_none_or(str::is_empty)
            // saturating: a planted or corrupt `expires_on` of i64::MIN once overflowed here (issue 18)
            || expires_on.saturating_sub(now) <= EXPIRY_MARGIN_SECONDS
        {
            continue;
        }
        let aging = index
            .number(entry, Field::RefreshOn)
            .is_some_and(|refresh_on| refresh_on <= now);
        let slot = &mut best[usize::from(aging)];
        if slot.is_none_or(|(_, best)| best < expires_on) {
            *slot = Some((entry, expires_on));
        }
    }
    let [fresh, aging] = best;
    AccessTokenSearch {
        fresh: fresh.and_then(|(e, _)| cached_access_token(index, e)),
        aging: aging.and_then(|(e, _)| cached_access_token(index, e)),
    }
}

pub(super) fn cached_access_token(index: &Index, e: &index::Entry) -> Option<CachedAccessToken> {
    Some(CachedAccessToken {
        access_token: AccessToken::new(index.str(e, Field::Secret).filter(|s| !s.is_empty())?),
        expires_on: crate::time::clamp_epoch(index.number(e, Field::ExpiresOn)?),
        scopes: index
            .str(e, Field::Target)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        realm: index.str(e, Field::Realm).unwrap_or_default().to_owned(),
        home_account_id: index
            .str(e, Field::HomeAccountId)
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        token_type: index.str(e, Field::TokenType).unwrap_or("Bearer").to_owned(),
    })
}

pub(super) fn indexed_account(index: &Index, e: &index::Entry) -> Option<Account> {
    let text = |field| index.str(e, field).unwrap_or_default().to_owned();
    Some(Account {
        home_account_id: index
            .str(e, Field::HomeAccountId)
            .filter(|h| !h.is_empty())?
            .to_owned(),
        environment: text(Field::Environment),
        realm: text(Field::Realm),
        local_account_id: text(Field::LocalAccountId),
        username: text(Field::Username),
    })
}
