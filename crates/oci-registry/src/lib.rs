//! A registry client for OCI and Docker registries on hyper, hyper-util and rustls (ring provider), whose headline
//! job is the update check: is the image someone runs still the newest one behind its tag, for their platform?
//!
//! The key design decision: the client is built directly on hyper 1 and rustls, not on a general-purpose HTTP
//! crate, so that it controls exactly what goes over the wire. One pooled connection per registry (HTTP/2 when ALPN
//! negotiates it), every manifest request with all four manifest types in `Accept`, and nothing trusted that was not
//! verified: a manifest's bytes are checked against the digest asked for or announced, and never re-serialized.
//!
//! # Example
//!
//! Add credentials for a registry, check `nginx:latest` against the digest you run:
//!
//! ```no_run
//! use oci_registry::{Client, UpdateRequest};
//!
//! # async fn run() -> Result<(), oci_registry::Error> {
//! let client = Client::builder()
//!     .add_auth("docker.io", "alice", "dckr_pat_token")
//!     .build()?;
//! let request = UpdateRequest::parse(
//!     "nginx:latest",
//!     Some("sha256:aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa24"),
//! )?;
//! match client.check_for_update(&request).await {
//!     Ok(check) if check.has_update() => println!("nginx:latest moved to {}", check.latest_digest()),
//!     Ok(check) => println!("nginx:latest is {}", check.status()),
//!     // `{:#}` adds the causes (the IO or TLS error under a failed request).
//!     Err(err) => eprintln!("nginx:latest: {err:#}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Overview
//!
//! - [`Client`] is cheap to clone; clones share one connection pool and one auth cache. Build it with
//!   [`Client::builder`] ([`ClientBuilder`]), with per-registry [`RegistryOptions`]: [`Scheme`], extra CA
//!   certificates, [`Credentials`] ([`ClientBuilder::add_auth`] for short).
//! - Update checks, the heart of the product: [`Client::check_for_update`] of an [`UpdateRequest`] gives an
//!   [`UpdateCheck`] with an honest multi-arch verdict ([`UpdateStatus`], [`UpdateCheck::has_update`]), one `HEAD`
//!   when the image is up to date. The rules are a pure state machine, [`Verdict`], that says what it [`Need`]s
//!   and is given each [`Answer`]; the client is the small loop that fetches. [`Client::check_many`] and
//!   [`Client::check_each`] run many with bounded concurrency ([`CheckOptions`]), tokens batched per registry,
//!   each distinct request checked once. [`UpdateRequest::parse_entry`] reads `IMAGE[@DIGEST]` or `IMAGE DIGEST`.
//! - Newer versions: [`Client::newer_version`] of a [`NewerRequest`] (rules on [`NewerSearch`]), or chained after
//!   each check with [`CheckOptions::newer`]; a repeat search reads everything but its `HEAD`s from the cache.
//! - Costs: every check and search says its requests, pulls (manifest `GET`s) and cache hits, counted from one
//!   fetch step's events, as is [`Client::pull_stats`] for the run; a [`Cache`](cache::Cache) and a [`PullBudget`] keep them low.
//! - Operations: [`Client::ping`], [`Client::manifest_digest`] (a `HEAD`, falling back to `GET` and hashing),
//!   [`Client::manifest`] (size-limited and verified), [`Client::resolve_digest`] and [`Client::fetch_manifest`] of
//!   a [`Reference`], [`Client::tags`] (every page), [`Client::blob`] (a verified [`Blob`] stream),
//!   [`Client::push_blob`] and [`Client::push_manifest`].
//! - Addresses: [`Repository`] and [`ManifestLocation`] (by tag or by [`Digest`]), from a [`Reference`] or from
//!   strings.
//! - Failures: one [`Error`] (one pointer wide) with an [`ErrorKind`], the registry and repository concerned, the
//!   HTTP status and the registry's own error codes ([`ServerError`]). Its `Display` says what failed at this layer
//!   only (as reqwest's does); print it with `{:#}` to add the causes (`eprintln!("{err:#}")`), or walk
//!   [`source()`](std::error::Error::source). [`text`] is where every foreign string is escaped and cut before it
//!   reaches a message.
//! - [`Reference`], [`Digest`] and [`Platform`] are re-exported from `oci-ref`, `oci-digest` and `oci-manifest`, so
//!   this crate is enough to depend on.
//!
//! Scheme: HTTPS by default; a loopback registry (`localhost`, 127.0.0.0/8, `::1`) whose HTTPS port answers in
//! plain HTTP is then spoken to in plain HTTP, as Docker treats its default insecure range, decided once per registry.
//! Any other registry gets plain HTTP only when configured with [`Scheme::Http`] and marked
//! [`RegistryOptions::insecure`]. `docker.io` means Docker Hub's API host `registry-1.docker.io`.
//!
//! Proxies: [`ClientBuilder::proxy`] with a [`ProxyConfig`] (built from [`ProxyUrl`]s and a [`NoProxy`] list, or
//! from the variables the caller hands to [`ProxyConfig::from_env`], read as Go's `httpproxy` reads them; this crate
//! reads no environment itself) sends every connection, to registries, token realms and redirect targets alike,
//! through an HTTP proxy: HTTPS in a `CONNECT` tunnel, plain HTTP in absolute form, the proxy's credentials only to
//! the proxy. Loopback hosts are never proxied. A proxy's refusal is [`ErrorKind::Proxy`], naming it.
//!
//! Auth follows the registry's challenge through `oci-auth`: Basic gets the credentials ([`Credentials`], or a
//! [`CredentialStore`](oci_auth::CredentialStore) given to [`ClientBuilder::credential_store`]), Bearer a token from
//! the realm, cached for every clone, fetched once however many requests need it, pre-fetched for many repositories at
//! once with [`Client::authorize_batch`]. One request answers at most three challenges. Idempotent requests are
//! retried after connect errors, 5xx and 429 by a [`RetryPolicy`] honouring `Retry-After`, never past the operation's
//! deadline ([`ClientConfig::request_timeout`]), with at most [`ClientConfig::max_concurrency_per_registry`] requests
//! in flight per registry. Each request is logged at `tracing`'s info level (method, URL, status, time, size).
//!
//! The configuration is checked before any connection is made:
//!
//! ```
//! use oci_registry::{Client, ErrorKind, RegistryOptions, Scheme};
//!
//! let plain = RegistryOptions::new().scheme(Scheme::Http);
//! let err = Client::builder().registry("registry.example", plain).config().unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InsecureTransport);
//! ```
//!
//! # Cargo features
//!
//! - `redis` (off by default): `RedisCache`, a [`Cache`](cache::Cache) and [`SharedBudget`](cache::SharedBudget) in a Redis server that a fleet of
//!   hosts shares, on the `redis` crate (plain TCP or a unix socket, no TLS).
//!
//! TLS always uses rustls with the ring provider and the web PKI roots of `webpki-roots`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod blob;
mod budget;
pub mod cache;
mod cached;
mod check;
mod client;
mod config;
mod connector;
mod entry;
mod error;
mod fetch;
mod http_date;
mod link;
mod location;
mod newer;
mod proxy;
mod ratelimit;
mod referrers;
mod retry;
mod tags;
pub mod text;
mod transport;
mod uri;
mod verdict;
mod wire;

pub use blob::Blob;
pub use budget::{PullBudget, PullStats, SourceBudget};
pub use check::{CheckOptions, ResolvedDigest};
pub use client::{Client, ManifestHead, Ping, RawManifest};
pub use config::{ClientBuilder, ClientConfig, Credentials, RegistryOptions, Scheme};
pub use entry::{EntryError, EntryErrorKind};
pub use error::{Error, ErrorKind, ServerError};
pub use location::{ManifestLocation, ManifestReference, Repository};
pub use newer::{NewerAnswer, NewerCheck, NewerNeed, NewerRequest, NewerSearch, NewerVersion};
pub use proxy::{NoProxy, ProxyConfig, ProxyError, ProxyErrorKind, ProxyUrl};
pub use ratelimit::RateLimit;
pub use referrers::{FoundVia, Referrers, referrers_tag};
pub use retry::RetryPolicy;
pub use verdict::{Answer, Need, UpdateCheck, UpdateRequest, UpdateStatus, Verdict};

// The types in this crate's signatures that come from the crates below it, so that a user of `oci-registry` alone
// can name them.
pub use oci_digest::Digest;
pub use oci_manifest::Platform;
pub use oci_ref::Reference;
pub use oci_version::{Glob, Jump, Policy};

/// Wire helpers public only for this crate's tests and fuzz targets: **not** part of the stable interface, and may
/// change in any release (as rustls's `internal` module).
#[doc(hidden)]
pub mod internal {
    // Tuning constants: what the client does with them is its interface, their values are not.
    pub use crate::blob::{MAX_REDIRECTS, MIN_BLOB_RATE};
    pub use crate::client::MANIFEST_ACCEPT;
    pub use crate::config::DEFAULT_TAGS_MAX_AGE;
    pub use crate::newer::{MAX_CONFIRMATIONS, ROLLING_PER_SHAPE};
    pub use crate::tags::MAX_TAGS;

    /// How many token requests `client` (and its clones) has sent so far: what the tests and benchmarks count.
    pub fn token_requests(client: &crate::Client) -> u64 {
        client.token_requests()
    }
    pub use crate::auth::{AuthRounds, AuthStep, MAX_AUTH_ROUNDS};
    pub use crate::cache::fs::{header as cache_header, parse_header as parse_cache_header};
    pub use crate::cache::resp::{MAX_BULK, MAX_DEPTH, MAX_ELEMENTS, MAX_LINE, MAX_REPLY, ReplyBound, ReplyError};
    pub use crate::cached::{TagsEntry, decode_manifest as decode_cached_manifest, decode_tags as decode_cached_tags};
    pub use crate::http_date::parse as parse_http_date;
    pub use crate::link::{IgnoredReason, Link, LinkError, LinkErrorKind, NextPage, next_page};
    pub use crate::proxy::{ConnectReply, ConnectReplyError, MAX_CONNECT_REPLY, read_connect_reply};
    pub use crate::retry::{Jitter, Outcome, parse_retry_after};
    pub use crate::uri::{resolve_against, same_origin};
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
