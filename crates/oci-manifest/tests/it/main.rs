//! Integration tests of oci-manifest: registry-shaped vectors, parse errors, platforms, the
//! platform-matching table, image configs, property round-trips and replayed fuzzer findings.

// As clippy.toml says for #[test] functions: the helpers here may unwrap too.
#![allow(clippy::unwrap_used)]

mod config;
mod errors;
mod fuzzed;
mod platform;
mod props;
mod select;
mod vectors;

use std::path::PathBuf;

/// A file under `tests/data/`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
