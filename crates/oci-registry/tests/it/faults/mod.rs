//! What a real registry will not do, played by oci-testkit's `FaultServer` (scripted routes, or a handler per
//! request): each fault ends in the documented retry, answer or typed error, within a bound, and credentials go
//! nowhere they do not belong. One test per scenario, each in the module of its topic. The attacks of the security
//! review are in `hostile`; what the fault server itself promises is tested in oci-testkit.

// Challenges, token endpoints and cached tokens: what a registry or its token server gets wrong about auth.
mod auth;
// Manifests and blobs: digests checked, sizes limited, truncated bodies and the registry's error bodies reported.
mod content;
// Redirects: no Authorization to another host, and loops and long chains end.
mod redirect;
// When a request is sent again and how long the client waits: 5xx, 429 and `Retry-After`, rate-limit headers,
// connect errors, stalls past the deadline, the per-registry concurrency limit.
mod retry;
// Tag lists: every same-origin page followed as an opaque cursor, a cross-origin `Link` never.
mod tags;

use std::future::Future;
use std::net::Ipv4Addr;
use std::time::Duration;

use oci_digest::Digest;
use oci_registry::{Client, ClientBuilder, ManifestLocation, RegistryOptions, Repository, RetryPolicy, Scheme};
use oci_testkit::fault::{FaultServer, OTHER_HOST, Reply};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
/// The manifest every scenario asks for unless it says otherwise: `a:v1`.
const PATH: &str = "/v2/a/manifests/v1";
const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Another loopback address: another host as far as origins go.
const OTHER: Ipv4Addr = OTHER_HOST;

/// Every client-side scenario ends within this, whatever the client does.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("the client must not hang on a fault")
}

/// Four attempts, 10 ms apart at first: retries that keep the tests quick.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(10), Duration::from_secs(5))
}

/// A client for `server` over plain HTTP with [`fast_retries`] and a 5-second deadline, to adjust before `build`.
fn builder(server: &FaultServer, options: RegistryOptions) -> ClientBuilder {
    Client::builder()
        .registry(&server.host(), options.scheme(Scheme::Http))
        .retry_policy(fast_retries())
        .request_timeout(Duration::from_secs(5))
}

fn client(server: &FaultServer, options: RegistryOptions) -> Client {
    builder(server, options).build().unwrap()
}

/// `a:v1` on `server`.
fn location(server: &FaultServer) -> ManifestLocation {
    Repository::new(&server.host(), "a").unwrap().tag("v1").unwrap()
}

/// [`MANIFEST`] with its type and digest, as a registry serves it.
fn manifest() -> Reply {
    Reply::status(200)
        .header("Content-Type", OCI)
        .header("Docker-Content-Digest", Digest::sha256(MANIFEST).as_str())
        .body(MANIFEST)
}
