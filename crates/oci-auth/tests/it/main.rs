//! Integration tests of oci-auth: challenges, scopes, credentials files and helpers, token requests and
//! responses, the cache, the security rules, and property round-trips.

// clippy's allow-unwrap-in-tests covers `#[test]` functions only; the helpers they call are test code too.
#![allow(clippy::unwrap_used)]

mod cache;
mod challenges;
mod config;
mod helpers;
mod props;
mod scopes;
mod security;
mod tokens;

use std::path::PathBuf;

/// A file under `tests/data`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
