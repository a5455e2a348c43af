//! Secret newtypes: every credential the crate handles is wrapped so it cannot leak through `Debug`,
//! `Display`, logs or errors, and is wiped from memory when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// The text every secret prints instead of its value.
pub const REDACTED: &str = "[redacted]";

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
pub(crate) const SECRET_FIELDS: &[&str] = &[
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

/// Replaces the values of secret members (at any depth) in a JSON text; a text that is not JSON is
/// replaced whole, since we cannot tell what in it is secret.
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
}
