//! Claims challenges and client capabilities (continuous access evaluation): the `claims` request
//! parameter, read once where it enters (a 401's `WWW-Authenticate` gives it in base64, an authority's
//! error answer in JSON) and merged with the `cp1` capability a CAE connection announces, as MSAL's
//! `client_capabilities` does.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The client capability of continuous access evaluation.
pub const CAE_CAPABILITY: &str = "cp1";

/// The largest claims challenge accepted (a few KiB is already generous: real ones are under 1 KiB).
const MAX_CLAIMS_LEN: usize = 16 * 1024;

/// A claims challenge: a JSON object such as `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`,
/// checked when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsChallenge(String);

impl ClaimsChallenge {
    /// Reads a challenge as a 401's `WWW-Authenticate` gives it (`claims="eyJhY2Nlc3NfdG9rZW4i…"`, base64
    /// with or without padding, standard or URL-safe) or as JSON. The error names `claims`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim().trim_matches('"');
        if text.len() > MAX_CLAIMS_LEN {
            return Err(Error::invalid(
                "claims",
                format!(
                    "a claims challenge of {} bytes is more than the {MAX_CLAIMS_LEN} accepted",
                    text.len()
                ),
            ));
        }
        let json = if text.starts_with('{') {
            text.to_owned()
        } else {
            let trimmed = text.trim_end_matches('=');
            let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(trimmed)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            decoded.ok_or_else(|| {
                Error::invalid(
                    "claims",
                    "give the claims challenge as JSON or as the base64 of a 401's WWW-Authenticate claims=\"…\"",
                )
            })?
        };
        match serde_json::from_str::<Value>(&json) {
            Ok(Value::Object(_)) => Ok(Self(json)),
            _ => Err(Error::invalid(
                "claims",
                "a claims challenge is a JSON object such as {\"access_token\":{\"acrs\":{\"essential\":true,\"value\":\"c1\"}}}",
            )),
        }
    }

    /// The challenge in base64 (standard alphabet, padded), as a 401's `WWW-Authenticate` carries it:
    /// one word a shell needs no quotes for.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }

    /// The challenge as JSON, as the `claims` parameter carries it.
    pub fn as_json(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClaimsChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `claims` parameter of a request: the challenge, if any, with the client capabilities announced
/// (`{"access_token":{"xms_cc":{"values":["cp1"]}}}` merged in, as MSAL merges them); `None` when there
/// is neither.
pub(crate) fn claims_parameter(challenge: Option<&ClaimsChallenge>, capabilities: &[&str]) -> Option<String> {
    if capabilities.is_empty() {
        return challenge.map(|c| c.0.clone());
    }
    let mut merged: Map<String, Value> = challenge
        .and_then(|c| serde_json::from_str::<Value>(&c.0).ok())
        .and_then(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    let access_token = merged
        .entry("access_token")
        .or_insert_with(|| Value::Object(Map::new()));
    if !access_token.is_object() {
        *access_token = Value::Object(Map::new());
    }
    if let Value::Object(access_token) = access_token {
        access_token.insert("xms_cc".into(), json!({ "values": capabilities }));
    }
    Some(Value::Object(merged).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_read_from_json_or_base64_either_alphabet_padded_or_not() {
        let json = r#"{"access_token":{"nbf":{"essential":true,"value":"1726000000"}}}"#;
        let standard = base64::engine::general_purpose::STANDARD.encode(json);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        for text in [
            json,
            standard.as_str(),
            url_safe.as_str(),
            &format!("\"{standard}\""),
        ] {
            assert_eq!(ClaimsChallenge::parse(text).unwrap().as_json(), json, "{text}");
        }
        for bad in ["", "not base64!", "WzFd", "[1]", "{"] {
            let error = ClaimsChallenge::parse(bad).unwrap_err().to_string();
            assert!(error.starts_with("invalid value for claims:"), "{bad}: {error}");
        }
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_CLAIMS_LEN));
        assert!(
            ClaimsChallenge::parse(&huge)
                .unwrap_err()
                .to_string()
                .contains("more than")
        );
    }

    #[test]
    fn the_capability_is_merged_into_the_challenge_as_msal_merges_it() {
        assert_eq!(claims_parameter(None, &[]), None);
        assert_eq!(
            claims_parameter(None, &[CAE_CAPABILITY]).unwrap(),
            r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#
        );
        let challenge = ClaimsChallenge::parse(
            r#"{"access_token":{"nbf":{"essential":true,"value":"1"}},"id_token":{}}"#,
        )
        .unwrap();
        assert_eq!(
            claims_parameter(Some(&challenge), &[CAE_CAPABILITY]).unwrap(),
            r#"{"access_token":{"nbf":{"essential":true,"value":"1"},"xms_cc":{"values":["cp1"]}},"id_token":{}}"#
        );
        assert_eq!(
            claims_parameter(Some(&challenge), &[]).unwrap(),
            challenge.as_json()
        );
    }
}
