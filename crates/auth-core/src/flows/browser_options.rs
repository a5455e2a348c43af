//! What a browser sign-in is given, compiled with or without the feature `browser` (which brings the flow
//! itself, `browser.rs`): the loopback ports it may take, the opener of the system's browser; and, without the feature, the error that names it.

use std::io;
use std::ops::RangeInclusive;

/// Which loopback ports the listener may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortPolicy {
    /// The first free port of the range, tried in order (for apps registered with a fixed
    /// `http://localhost:PORT`).
    Range(RangeInclusive<u16>),
    /// Any free port the system picks (for apps registered with `http://localhost`, which matches any
    /// port).
    Any,
}

/// Opens a URL in a browser.
pub trait BrowserOpener: Send + Sync {
    /// Opens `url`; an error says why no browser could.
    fn open(&self, url: &str) -> io::Result<()>;
}

/// Why a browser sign-in cannot run in this build.
#[cfg(not(feature = "browser"))]
pub(crate) fn needs_browser() -> crate::error::Error {
    crate::error::Error::FeatureOff {
        needs: "signing in in a browser",
        feature: "browser",
    }
}
