//! Integration tests of oci-inventory: engine answers (recorded from podman, written by hand for Docker), inspect
//! files, kubectl output, compose files, the engine client against faults, and against the real podman service.

// clippy's allow-unwrap-in-tests covers `#[test]` functions only; the helpers they call are test code too.
#![allow(clippy::unwrap_used)]

/// The engine answers' parsers and the assembly of workloads, on recorded podman and hand-written Docker answers.
mod answers;
/// Compose files, `.env` files and substitution: most compose tests go here.
mod compose;
/// The engine client against a fake Docker engine and every fault: tests of IO and its errors go here.
mod engine;
/// Hostile inputs: what exhausts the stack, memory or time, reads outside the project, or prints a secret.
mod hostile;
/// `docker inspect` and `podman inspect` output.
mod inspect;
/// `kubectl get pods,nodes -A -o json` output: recorded documents, refusals and limits.
mod kubernetes;
/// The real podman API service: every source of the crate on the answers of a live engine.
mod podman;
/// Round-trips of text forms, and parsers that never panic.
mod props;

use std::path::PathBuf;

/// A file under `tests/data`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}
