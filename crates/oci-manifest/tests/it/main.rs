//! Integration tests of oci-manifest: registry-shaped vectors, parse errors, platforms, the
//! platform-matching table, image configs, property round-trips and replayed fuzzer findings.

// As clippy.toml says for #[test] functions: the helpers here may unwrap too.
#![allow(clippy::unwrap_used)]

// Image configs: platform, creation time and labels.
mod config;
// One test per error kind a body can be refused with; unknown fields tolerated.
mod errors;
// Replays of fuzzer findings in `tests/data/fuzzed/`: add a file there, not a test here.
mod fuzzed;
// Platform text forms: containerd's normalization and the specifier back.
mod platform;
// Property round-trips (typed -> JSON -> typed, platform text) and no-panic checks.
mod props;
// The platform-matching table in `tests/data/platform-matching.txt`: add a line there.
mod select;
// Registry-shaped manifests with expectation files whose digests come from `sha256sum`.
mod vectors;

use std::path::PathBuf;

/// A file under `tests/data/`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
