//! Integration tests against the real CNCF registry (`docker-registry`), started by each test on a free loopback
//! port with its own storage and configuration, and against oci-testkit's fault-injecting server for what a real
//! registry will not do; with the `redis` feature, `RedisCache` against a real Redis.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions panic on setup failures, as tests do"
)]

// Auth against the real registry and token server: tokens shared and fetched once, batched scopes, credentials from
// docker configs and helpers. Auth faults the real registry cannot show go in `faults::auth`.
mod auth;
// A registry with htpasswd Basic auth over plain HTTP.
mod basic;
// A registry with token auth (ES256 JWTs from the test token server).
mod bearer;
// The cache (a directory): manifests fetched once and verified when read, tag lists for their age, broken caches.
mod cache;
// The pull budget behind a Docker-Hub-like rate limit: reserve, cap, 429, checks finishing on their HEAD.
mod budget;
// Update checks (`check_for_update`, `check_many`) against real images, with requests counted at a proxy.
mod check;
// Configuration refused before any connection, and transport errors without a registry.
mod config;
// What a real registry will not do, from the fault server, one test per scenario in a module per topic (retry,
// redirect, auth, tags, content): start there for a new fault.
mod faults;
// One test per attack of the security review; not for other faults.
mod hostile;
// Registry mirrors: a real pull-through cache in front of a real registry, fallback, mirror-only.
mod mirror;
// An open registry over plain HTTP: the operations themselves (ping, manifests, tags, blobs, pushes).
mod open;
// Referrers: the API from the fault server, the tag schema on the real registry.
mod referrers;
// RedisCache against a real Redis: shared entries, expiry, the shared budget, Redis gone or hanging, passwords.
#[cfg(feature = "redis")]
mod redis;
// A registry over TLS with a certificate from a test CA.
mod tls;

use oci_registry::{Client, ManifestHead};
use oci_testkit::Images;
use oci_testkit::images::OCI_MANIFEST;

/// Pushes an image made from `seed` to `host/repository:v1` with `client`, then asks for its digest by tag with the
/// same client: the round trip that shows the client may write and read there. Returns the answer to that `HEAD`.
async fn push_and_read_back(client: &Client, host: &str, repository: &str, seed: &str) -> ManifestHead {
    let images = Images::new(client, host, repository).unwrap();
    let pushed = images.image(OCI_MANIFEST, seed, Some("v1")).await.unwrap();
    let head = client
        .manifest_digest(&images.repository().tag("v1").unwrap())
        .await
        .unwrap();
    assert_eq!(head.digest(), &pushed.digest);
    head
}
