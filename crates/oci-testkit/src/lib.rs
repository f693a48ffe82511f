//! Test support for the oci workspace: everything the integration tests, benchmarks and examples of `oci-registry`
//! and `oci-check` start on loopback, in one place.
//!
//! The key design decision is the house rule "no mocks of the registry": [`Registry`] runs the real CNCF registry
//! (Debian's `docker-registry`) on a free loopback port with its own storage and configuration, open, behind
//! htpasswd Basic auth, behind Bearer tokens from [`TokenServer`], and over TLS with a certificate from [`TestCa`].
//! Every fixture stops what it started when it is dropped (processes are killed, threads joined, tasks aborted,
//! directories removed), and panics with a message saying what failed when it cannot be set up: a setup failure is
//! a test failure with a location.
//!
//! - [`Registry`]: the real registry; [`Auth`] says how it authenticates. It hands out its host, client options and
//!   clients, its credentials, its CA file and the number of token requests its token server answered.
//! - [`TokenServer`]: signs ES256 JWTs that the registry verifies, and counts the token requests it answers.
//! - [`TestCa`]: a P-256 test CA and a loopback server certificate.
//! - [`Proxy`]: a TCP proxy that counts connections and HTTP/1.1 request heads, and can delay each direction.
//! - [`RateLimitProxy`]: an HTTP/1.1 reverse proxy that plays Docker Hub's pull rate limit (rate-limit headers on
//!   manifest answers, a pull spent per manifest `GET`, its own 429 once none are left) and counts requests.
//! - [`Images`]: pushes test images, indexes and raw manifests through the registry's upload API.
//! - [`FaultServer`]: for the faults a real registry cannot be made to show; scripted or computed replies
//!   ([`fault::Reply`]: well-formed, raw, or a stall), every request recorded with its body.
//! - [`Podman`]: podman's API service on a socket of its own, with its own storage and configuration, and the podman
//!   CLI on the same storage; [`EngineRecorder`] records the requests a client sends to an engine.
//! - [`RedisServer`]: a real Redis (`redis-server`) on a free loopback port, with or without a password, that can
//!   be stopped, paused (a hanging Redis) and restarted, for `oci-registry`'s `RedisCache`.
//! - [`Squid`]: a real HTTP proxy (Debian's `squid`) on a free loopback port, with Basic proxy auth and a hosts file
//!   of its own (a registry name that resolves only inside the proxy), and its access log.
//! - [`Mosquitto`]: a real MQTT broker (Debian's `mosquitto`) on a free loopback port, open, with a user and
//!   password, or over TLS, whose retained messages `mosquitto_sub` reads back.
//! - [`SmtpServer`]: a real SMTP server (Debian's `python3-aiosmtpd`) on a free loopback port, with AUTH, STARTTLS or
//!   implicit TLS, that stores each message it accepts with its envelope.
//! - [`Ntfy`]: the real ntfy server (`ntfy serve`) on a free loopback port, open or with one user allowed one
//!   topic, and the messages it keeps, read back through its own JSON API.
//! - [`Cosign`]: the real cosign (Debian trixie's, unpacked by `cargo xtask test`) signing and verifying against
//!   loopback registries with a home of its own and no way out (no transparency log, no TUF, a dead proxy), and
//!   oras attaching referrers that are not signatures.
//! - [`Sigstore`]: a private Sigstore instance (a Fulcio-shaped CA, a Rekor-shaped log key, their
//!   `trusted_root.json`) that writes keyless bundles for image digests and attaches them as cosign does.
//! - [`Notary`]: a CA and a signing certificate writing notation JWS envelopes for image digests, attached as
//!   `notation sign` attaches them.
//! - [`TempDir`], [`free_port`], [`block_on`], [`base64()`]: the small things every test needs.
//!
//! # Example
//!
//! ```no_run
//! use oci_testkit::{Registry, block_on, images::OCI_INDEX};
//!
//! let registry = Registry::bearer("pusher", "secret");
//! let images = registry.images("demo/app").unwrap();
//! let (index, _children) = block_on(images.list(OCI_INDEX, "demo", "latest")).unwrap();
//! println!("{}/demo/app:latest is {}", registry.host(), index.digest);
//! println!("token requests so far: {}", registry.token_requests());
//! ```
//!
//! The registry binary is `/usr/bin/docker-registry` (`cargo xtask test` installs it), or the one named by
//! `OCI_TEST_REGISTRY`; Redis is `/usr/bin/redis-server` (installed the same way), or the one named by
//! `OCI_TEST_REDIS`; squid is `/usr/sbin/squid` (installed the same way), or the one named by `OCI_TEST_SQUID`. This
//! crate has no cargo features and is never published.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(
    clippy::unwrap_used,
    reason = "a test kit: a failed setup step panics, which is a test failure with a location"
)]

pub mod browser;
pub mod cosign;
pub mod docker;
pub mod fault;
pub mod images;
pub mod mosquitto;
pub mod notation;
pub mod ntfy;
mod pki;
pub mod podman;
pub mod prometheus;
mod proxy;
pub mod ratelimit;
pub mod redis;
mod registry;
pub mod sigstore;
pub mod smtp;
pub mod squid;
mod temp;
pub mod token;
mod tools;
pub mod tsa;

pub use browser::ChromeDriver;
pub use cosign::Cosign;
pub use docker::{DEAD_PROXY, DockerEngine};
pub use fault::FaultServer;
pub use images::{Images, Pushed};
pub use mosquitto::Mosquitto;
pub use notation::Notary;
pub use ntfy::Ntfy;
pub use pki::TestCa;
pub use podman::{EngineRecorder, Podman};
pub use prometheus::Prometheus;
pub use proxy::Proxy;
pub use ratelimit::RateLimitProxy;
pub use redis::RedisServer;
pub use registry::{Auth, Registry};
pub use sigstore::Sigstore;
pub use smtp::SmtpServer;
pub use squid::Squid;
pub use temp::{TempDir, base64, block_on, free_port};
pub use token::TokenServer;
pub use tsa::Tsa;
