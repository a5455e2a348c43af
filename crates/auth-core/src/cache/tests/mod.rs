//! Tests of the token cache.
