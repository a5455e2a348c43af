//! The one list of insta filters: what changes from run to run (ports, GUIDs, times, tokens) rewritten
//! to a placeholder, so snapshots hold only what a user would recognise.

/// Regular expression and replacement, applied in order.
pub(crate) const FILTERS: &[(&str, &str)] = &[
    // a JWT, or anything shaped like one (three base64url parts)
    (r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*", "[JWT]"),
    (
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "[GUID]",
    ),
    (
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
        "[TIME]",
    ),
    (r"(127\.0\.0\.1|localhost|\[::1\]):\d{2,5}", "$1:[PORT]"),
    // the same in a query string (`redirect_uri=http%3A%2F%2Flocalhost%3A8400%2F`): the port is the first
    // free one, so a snapshot must not hold it
    (r"(127\.0\.0\.1|localhost|%5B%3A%3A1%5D)%3A\d{2,5}", "$1%3A[PORT]"),
    // the version, so a release does not rewrite every help snapshot
    (r"msconnect \d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", "msconnect [VERSION]"),
];

/// Settings with [`FILTERS`] added to the current ones.
pub(crate) fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    settings
}
