//! Helpers shared by the suites; each helper's part lives in its own file so parallel work merges simply.

pub(crate) mod filters;
