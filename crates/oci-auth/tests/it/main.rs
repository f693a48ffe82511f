//! Integration tests of oci-auth: challenges, scopes, credentials files and helpers, token requests and
//! responses, the cache, the security rules, and property round-trips.

// clippy's allow-unwrap-in-tests covers `#[test]` functions only; the helpers they call are test code too.
#![allow(clippy::unwrap_used)]

// `TokenCache` on a manual clock: expiry, margin, batching, the fallback signal.
mod cache;
// `WWW-Authenticate` parsing: one table of real and synthetic headers; add a row for a new header.
mod challenges;
// Credentials files (docker `config.json`, podman `auth.json`), key normalization, the environment.
mod config;
// `docker-credential-*` helpers run for real from a temporary `PATH`.
mod helpers;
// Property round-trips of every type with a text form (scopes, scope sets, challenges).
mod props;
// `Scope` and `ScopeSet`: parsing, display, merging, covering.
mod scopes;
// The security rules (plain HTTP, realms, loopback), one test each.
mod security;
// Token requests (GET, OAuth2 POST, fallback) and token responses.
mod tokens;

use std::path::PathBuf;

/// A file under `tests/data`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
