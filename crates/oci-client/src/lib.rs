//! A registry client for OCI and Docker registries on hyper, hyper-util and rustls (ring provider).
//!
//! The key design decision: the client is built directly on hyper 1 and rustls, not on a general-purpose HTTP
//! crate, so that it controls exactly what goes over the wire. One pooled connection per registry (HTTP/2 when ALPN
//! negotiates it), every manifest request with all four manifest types in `Accept`, and nothing trusted that was not
//! verified: a manifest's bytes are checked against the digest asked for or announced, and never re-serialized.
//!
//! # Overview
//!
//! - [`Client`] is cheap to clone; clones share one connection pool and one auth cache. Build it with
//!   [`Client::builder`] ([`ClientBuilder`]), with per-registry [`RegistryOptions`]: [`Transport`], extra CA
//!   certificates, [`Credentials`].
//! - Operations: [`Client::ping`], [`Client::manifest_digest`] (a `HEAD`, falling back to `GET` and hashing),
//!   [`Client::manifest`] (size-limited and verified), [`Client::push_blob`] and [`Client::push_manifest`].
//! - Update checks, the heart of the product: [`Client::check_for_update`] of an [`UpdateRequest`] gives an
//!   [`UpdateCheck`] with an honest multi-arch verdict ([`UpdateStatus`]), one `HEAD` when the image is up to date;
//!   [`Client::check_many`] runs many with bounded concurrency ([`CheckOptions`]), tokens batched per registry,
//!   results in input order; [`Client::resolve_digest`] and [`Client::fetch_manifest`] take an `oci_ref::Reference`.
//! - Addresses: [`Repository`] and [`ManifestLocation`] (by tag or by [`Digest`](oci_digest::Digest)), also from an
//!   `oci_ref::Reference`.
//! - Failures: one [`Error`] with an [`ErrorKind`], the registry and repository concerned, the HTTP status and the
//!   registry's own error codes ([`ServerError`]).
//!
//! Plain HTTP is used only for registries configured with [`Transport::Http`], and the configuration is refused
//! unless the registry is on loopback or marked [`RegistryOptions::insecure`], as Docker does. `docker.io` means
//! Docker Hub's API host `registry-1.docker.io`.
//!
//! Auth follows the registry's challenge through `oci-auth`: Basic gets the credentials ([`Credentials`], or a
//! [`CredentialStore`](oci_auth::CredentialStore) given to [`ClientBuilder::credential_store`]), Bearer a token from
//! the realm, cached for every clone, fetched once however many requests need it, pre-fetched for many repositories at
//! once with [`Client::authorize_batch`]. Idempotent requests are retried after connect errors, 5xx and 429 by a
//! [`RetryPolicy`] honouring `Retry-After`, with at most [`ClientConfig::max_concurrency_per_registry`] requests in
//! flight per registry. [`Client::tags`] follows every page; [`Client::blob`] streams a verified [`Blob`].
//!
//! # Example
//!
//! ```no_run
//! use oci_client::{Client, Repository};
//!
//! # async fn run() -> Result<(), oci_client::Error> {
//! let client = Client::new()?;
//! let alpine = Repository::new("docker.io", "library/alpine")?.tag("3")?;
//! let head = client.manifest_digest(&alpine).await?;
//! println!("{alpine} is {}", head.digest());
//! # Ok(())
//! # }
//! ```
//!
//! The configuration is checked before any connection is made:
//!
//! ```
//! use oci_client::{Client, ErrorKind, RegistryOptions, Transport};
//!
//! let plain = RegistryOptions::new().transport(Transport::Http);
//! let err = Client::builder().registry("registry.example", plain).config().unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InsecureTransport);
//! ```
//!
//! # Cargo features
//!
//! None. TLS always uses rustls with the ring provider and the web PKI roots of `webpki-roots`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod blob;
mod check;
mod client;
mod config;
mod connector;
mod error;
mod link;
mod location;
mod ratelimit;
mod retry;
mod tags;
pub mod text;

pub use blob::{Blob, MAX_REDIRECTS};
pub use check::{CheckOptions, ResolvedDigest, UpdateCheck, UpdateRequest, UpdateStatus};
pub use client::{Client, MANIFEST_ACCEPT, Manifest, ManifestHead, Ping};
pub use config::{ClientBuilder, ClientConfig, Credentials, RegistryOptions, Transport};
pub use error::{Error, ErrorKind, ServerError};
pub use link::{IgnoredReason, Link, LinkError, LinkErrorKind, NextPage, next_page};
pub use location::{ManifestLocation, ManifestReference, Repository};
pub use ratelimit::RateLimit;
pub use retry::{Jitter, Outcome, RetryPolicy, parse_http_date, parse_retry_after};
