//! oci-sign's integration tests, one binary.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions panic on setup failures, as tests do"
)]

mod cosign; // the real cosign against the real registry on loopback: it signs, we and `cosign verify` judge
mod keys; // public keys of every kind OpenSSL makes, and signatures OpenSSL made with them
mod notation; // notation's JWS envelopes: ones notation wrote, and made here for the rules they do not show
mod props; // proptest round-trips of everything with a text form
mod sigstore; // Sigstore bundles: the public conformance suite, and its happy paths changed one way at a time
mod sigstore_cosign; // the real cosign judges the same conformance cases offline, and agrees
mod vectors; // signature manifests cosign pushed, replayed offline, and changed one way at a time

use std::path::PathBuf;

/// A file below `tests/data/`.
fn data(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A text file below `tests/data/`.
fn text(path: &str) -> String {
    String::from_utf8(data(path)).unwrap()
}

/// Base64 read by the machine's `base64 -d` (the crate's own reader is private).
fn base64_decode(text: &str) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("base64")
        .arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "base64 -d refused {text:?}");
    out.stdout
}
