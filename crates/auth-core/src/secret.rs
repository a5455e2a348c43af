//! Secret newtypes: every credential the crate handles is wrapped so it cannot leak through `Debug`,
//! `Display`, logs or errors, and is wiped from memory when dropped.

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

/// The text every secret prints instead of its value.
pub(crate) const REDACTED: &str = "[redacted]";

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` and `Display` print `[redacted]`; the value is zeroized on drop. There is deliberately no
        /// `PartialEq`, so a secret cannot be compared in non-constant time by accident.
        #[derive(Clone)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Zeroizing::new(value.into()))
            }

            /// The secret itself.
            ///
            /// # Security
            /// Whatever the caller does with the returned text is outside the redaction this type gives:
            /// send it over TLS or into the cache file, and never log, print or format it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({REDACTED})", stringify!($name))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }
    };
}

secret_type!(
    /// An application's client secret.
    ClientSecret
);
secret_type!(
    /// A user's password (resource owner password flow) or a certificate file's password.
    Password
);
secret_type!(
    /// An OAuth refresh token.
    RefreshToken
);
secret_type!(
    /// An OAuth access token (a bearer credential).
    AccessToken
);
secret_type!(
    /// An authorization code returned to the redirect URI.
    AuthorizationCode
);
secret_type!(
    /// The raw, signed ID token (its claims are decoded separately and are not secret).
    IdToken
);
secret_type!(
    /// The `device_code` of the device authorization grant, which redeems the user's sign-in.
    DeviceCode
);
secret_type!(
    /// A signed client assertion (a JWT that authenticates a confidential client).
    ClientAssertion
);
secret_type!(
    /// A PKCE code verifier.
    CodeVerifier
);
secret_type!(
    /// A federated token (a JWT from Kubernetes, GitHub Actions or Azure Pipelines) sent as a client
    /// assertion.
    FederatedToken
);
secret_type!(
    /// A bearer credential that lets this process ask a CI system for a federated token
    /// (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`, `SYSTEM_ACCESSTOKEN`).
    RequestToken
);
secret_type!(
    /// The header value that proves a caller may use a host's managed identity (`IDENTITY_HEADER`, an
    /// Azure Arc challenge file's content).
    IdentityHeader
);
secret_type!(
    /// A secret as given (a token, a client secret, a password), before it is turned into the type the
    /// flow needs.
    SecretText
);

/// A secret handed on as another kind, moved, never copied: a secret as given (a `-` read from stdin, a
/// variable) becomes the token or client secret it is, and a credential's password its client secret.
macro_rules! secret_becomes {
    ($from:ident => $($to:ident),+) => {
        $(impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self(value.0)
            }
        })+
    };
}

secret_becomes!(SecretText => AccessToken, RefreshToken, ClientSecret, Password);
secret_becomes!(Password => ClientSecret, SecretText);

/// Names of form fields and JSON members whose values are secrets, for redacting traces.
pub const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "password",
    "code",
    "code_verifier",
    "device_code",
    "assertion",
    "secret",
    // GitHub Actions' and Azure Pipelines' answers carry the federated JWT in these members
    "value",
    "oidcToken",
];

/// Replaces the values of secret members (at any depth) in a JSON text, and any other string shaped
/// like a token ([`redact_text`]); a text that is not JSON is replaced whole, since we cannot tell what
/// in it is secret.
pub(crate) fn redact_json(body: &str) -> String {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if SECRET_FIELDS.contains(&key.as_str()) {
                        *member = serde_json::Value::String(REDACTED.to_owned());
                    } else {
                        walk(member);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::String(text) => {
                if let Cow::Owned(redacted) = redact_shapes(text) {
                    *text = redacted;
                }
            }
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            walk(&mut value);
            value.to_string()
        }
        Err(_) => format!("<{} bytes, not JSON>", body.len()),
    }
}

/// A text that may hold secrets but is not JSON (a token answer with `"expires_in": NaN` or a raw control
/// character, a proxy's page quoting a request) with them replaced: the value after each secret field's
/// name (`"refresh_token": "…"`, `access_token=…`), and, anywhere, whatever is shaped like a token
/// (a JWT `eyJ…`, a refresh token `0.A…`, any run of 32 token characters or more that is not a GUID).
pub(crate) fn redact_text(text: &str) -> String {
    redact_shapes(&redact_named(text)).into_owned()
}

/// The characters tokens are written with: base64, base64url, URL-escaped and dotted.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.~+/=%".contains(c)
}

/// `text` with the value after every secret field's name replaced (see [`redact_text`]).
fn redact_named(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_name(bytes[i]) || (i > 0 && is_name(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name(bytes[i]) {
            i += 1;
        }
        if !SECRET_FIELDS.contains(&&text[start..i]) {
            continue;
        }
        // `"name" : "value"`, `name=value`, `'name': value`
        let mut j = i;
        let skip_space = |mut j: usize| {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            j
        };
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            j += 1;
        }
        j = skip_space(j);
        if j >= bytes.len() || !matches!(bytes[j], b':' | b'=') {
            continue;
        }
        j = skip_space(j + 1);
        let value_start = j;
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            let quote = bytes[j];
            j += 1;
            while j < bytes.len() && bytes[j] != quote {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            j = (j + 1).min(bytes.len());
        } else {
            while j < bytes.len()
                && !matches!(bytes[j], b',' | b'}' | b']' | b'&' | b'"')
                && !bytes[j].is_ascii_whitespace()
            {
                j += 1;
            }
        }
        if j > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = j;
        }
        i = j;
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` with every run of token characters shaped like a token replaced; borrowed when there is none.
fn redact_shapes(text: &str) -> Cow<'_, str> {
    fn tokenish(run: &str) -> bool {
        let bytes = run.as_bytes();
        let refresh_token = bytes.len() >= 12 && bytes[0].is_ascii_digit() && run[1..].starts_with(".A");
        let jwt = run.len() >= 16 && run.starts_with("eyJ");
        (run.len() >= 32 && !is_guid(run)) || refresh_token || jwt
    }
    fn is_guid(run: &str) -> bool {
        run.len() == 36
            && run.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut rest = text;
    while let Some(start) = rest.find(is_token_char) {
        let run = &rest[start..];
        let len = run.find(|c| !is_token_char(c)).unwrap_or(run.len());
        let offset = text.len() - rest.len() + start;
        if tokenish(&run[..len]) {
            out.push_str(&text[copied..offset]);
            out.push_str(REDACTED);
            copied = offset + len;
        }
        rest = &run[len..];
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A form body for traces, with the values of secret fields replaced.
pub(crate) fn redact_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(key, value)| {
            if SECRET_FIELDS.contains(key) {
                format!("{key}={REDACTED}")
            } else {
                format!("{key}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_becomes_its_kind_by_moving_and_stays_redacted() {
        let token: AccessToken = SecretText::new("eyJ.a.b").into();
        assert_eq!(token.secret(), "eyJ.a.b");
        let client_secret: ClientSecret = Password::new("s3cret").into();
        assert_eq!(client_secret.secret(), "s3cret");
        insta::assert_snapshot!(format!("{token:?} {client_secret:?}"), @"AccessToken([redacted]) ClientSecret([redacted])");
    }

    #[test]
    fn every_secret_type_is_redacted_in_debug_and_display() {
        let value = "s3cr3t-value-that-must-not-leak";
        let printed = [
            format!("{:?} {}", ClientSecret::new(value), ClientSecret::new(value)),
            format!("{:?} {}", Password::new(value), Password::new(value)),
            format!("{:?} {}", RefreshToken::new(value), RefreshToken::new(value)),
            format!("{:?} {}", AccessToken::new(value), AccessToken::new(value)),
            format!(
                "{:?} {}",
                AuthorizationCode::new(value),
                AuthorizationCode::new(value)
            ),
            format!("{:?} {}", IdToken::new(value), IdToken::new(value)),
            format!("{:?} {}", DeviceCode::new(value), DeviceCode::new(value)),
            format!(
                "{:?} {}",
                ClientAssertion::new(value),
                ClientAssertion::new(value)
            ),
            format!("{:?} {}", CodeVerifier::new(value), CodeVerifier::new(value)),
            format!("{:?} {}", SecretText::new(value), SecretText::new(value)),
            format!("{:?} {}", FederatedToken::new(value), FederatedToken::new(value)),
            format!("{:?} {}", RequestToken::new(value), RequestToken::new(value)),
            format!("{:?} {}", IdentityHeader::new(value), IdentityHeader::new(value)),
        ];
        for line in &printed {
            assert!(!line.contains(value), "{line}");
        }
        insta::assert_snapshot!(printed.join("\n"), @r"
        ClientSecret([redacted]) [redacted]
        Password([redacted]) [redacted]
        RefreshToken([redacted]) [redacted]
        AccessToken([redacted]) [redacted]
        AuthorizationCode([redacted]) [redacted]
        IdToken([redacted]) [redacted]
        DeviceCode([redacted]) [redacted]
        ClientAssertion([redacted]) [redacted]
        CodeVerifier([redacted]) [redacted]
        SecretText([redacted]) [redacted]
        FederatedToken([redacted]) [redacted]
        RequestToken([redacted]) [redacted]
        IdentityHeader([redacted]) [redacted]
        ");
    }

    #[test]
    fn the_value_is_still_available_on_request() {
        assert_eq!(ClientSecret::new("abc").secret(), "abc");
    }

    #[test]
    fn json_traces_hide_tokens_at_any_depth() {
        let body = r#"{"access_token":"AT","nested":{"refresh_token":"RT"},"list":[{"id_token":"IT"}],"scope":"a b"}"#;
        insta::assert_snapshot!(redact_json(body), @r#"{"access_token":"[redacted]","nested":{"refresh_token":"[redacted]"},"list":[{"id_token":"[redacted]"}],"scope":"a b"}"#);
        assert_eq!(redact_json("<html>AT</html>"), "<15 bytes, not JSON>");
    }

    #[test]
    fn form_traces_hide_secret_fields() {
        let form = [
            ("grant_type", "password"),
            ("username", "u@x"),
            ("password", "hunter2"),
        ];
        assert_eq!(
            redact_form(&form),
            "grant_type=password&username=u@x&password=[redacted]"
        );
    }

    #[test]
    fn text_that_is_not_json_loses_secret_members_and_token_shapes() {
        let jwt = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln";
        let cases = [
            // almost JSON: NaN, out-of-range numbers, raw control characters
            (
                format!(r#"{{"access_token":"{jwt}","refresh_token":"0.AXo-short","expires_in":NaN}}"#),
                r#"{"access_token":[redacted],"refresh_token":[redacted],"expires_in":NaN}"#.to_owned(),
            ),
            (
                "{\"password\": \"hunter2\", \"value\":'v\\'x', \"n\": 1e400\u{1}}".to_owned(),
                "{\"password\": [redacted], \"value\":[redacted], \"n\": 1e400\u{1}}".to_owned(),
            ),
            // forms, and tokens under names no list holds
            (
                "code=abc&state=s client_secret = xyz".to_owned(),
                "code=[redacted]&state=s client_secret = [redacted]".to_owned(),
            ),
            (
                format!("token {jwt} and 1.AQ-refreshtoken, not 0.5 or AADSTS50076"),
                "token [redacted] and [redacted], not 0.5 or AADSTS50076".to_owned(),
            ),
            // a long opaque run goes; a GUID (a trace or correlation id) and a word stay
            (
                format!(
                    "{} 72f988bf-86f1-41af-91ab-2d7cd011db47 error_code=5",
                    "A".repeat(40)
                ),
                "[redacted] 72f988bf-86f1-41af-91ab-2d7cd011db47 error_code=5".to_owned(),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(redact_text(&text), expected, "{text}");
        }
        // in JSON that parses, a token under a member no list names goes by its shape
        insta::assert_snapshot!(redact_json(&format!(r#"{{"note":"got {jwt}","id":"abc"}}"#)), @r#"{"note":"got [redacted]","id":"abc"}"#);
    }
}
