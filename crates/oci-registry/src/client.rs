//! The [`Client`] and its operations.

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, Version};
use hyper::body::Incoming;
use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use tokio::time::Instant;

use crate::auth::Auth;
use crate::blob::Blob;
use crate::budget::{Ledger, PullStats};
use crate::check::{CheckOptions, ResolvedDigest, got};
use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{Error, ErrorKind};
use crate::fetch::Fetch;
use crate::location::{ManifestLocation, Repository, api_host};
use crate::newer::{NewerCheck, NewerRequest};
use crate::ratelimit::RateLimit;
use crate::transport::{Call, Transport};
use crate::verdict::{UpdateCheck, UpdateRequest};

/// The four manifest media types, lists first, sent in every manifest request's `Accept` (oci-manifest's one
/// constant, re-exported here for users of this crate alone).
///
/// Leaving out a list type can make a registry answer with one platform's manifest and that child's digest.
pub use oci_manifest::media_type::MANIFEST_ACCEPT;

/// A registry client: cheap to clone, every clone sharing one connection pool and one auth cache.
///
/// Every public operation is a method here, the one home of the client's API; each hands its work to the layers
/// below (the drivers in `check.rs`, the fetch step in `fetch.rs`, the cache and budget in `cached.rs`, one request
/// in `wire.rs`), which take the shared `Core` and never call back up.
#[derive(Clone)]
pub struct Client {
    core: Arc<Core>,
}

/// What every clone of a [`Client`] shares.
pub(crate) struct Core {
    /// Connections, schemes, concurrency limits and retries, shared by every clone.
    transport: Transport,
    /// Tokens, challenges and credentials, shared by every clone.
    auth: Auth,
    /// Pulls spent and allowed, `HEAD`s and cache hits, shared by every clone.
    ledger: Ledger,
    /// Per registry, whether it answered the referrers API (learned on first use).
    referrers_api: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

/// The answer to [`Client::ping`].
#[derive(Debug, Clone)]
pub struct Ping {
    pub(crate) http_version: Version,
    pub(crate) api_version: Option<String>,
}

/// A manifest's digest and headers, from [`Client::manifest_digest`].
#[derive(Debug, Clone)]
pub struct ManifestHead {
    pub(crate) digest: Digest,
    pub(crate) media_type: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) http_version: Version,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) served_by: Option<String>,
}

/// A manifest's exact bytes, verified against its digest, from [`Client::manifest`].
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub(crate) digest: Digest,
    pub(crate) media_type: Option<String>,
    pub(crate) bytes: Bytes,
    pub(crate) http_version: Version,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) cached: bool,
    /// The mirror that answered, when one did.
    pub(crate) served_by: Option<String>,
}

impl Client {
    /// A builder with the default configuration.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with the default configuration: HTTPS, web PKI roots, no credentials.
    ///
    /// # Errors
    ///
    /// When the TLS configuration cannot be built, which the default configuration never causes.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A client for `config`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidCertificate`] when a registry's CA certificate is unusable.
    pub fn from_config(config: ClientConfig) -> Result<Self, Error> {
        Ok(Self {
            core: Arc::new(Core {
                ledger: Ledger::new(config.pull_budget),
                transport: Transport::new(config)?,
                auth: Auth::default(),
                referrers_api: std::sync::Mutex::default(),
            }),
        })
    }

    /// The configuration the client was built from.
    pub fn config(&self) -> &ClientConfig {
        self.core.config()
    }

    /// Checks that `registry` speaks the registry API (`GET /v2/`), authenticating when it asks.
    ///
    /// # Errors
    ///
    /// A connect, TLS or timeout error, [`ErrorKind::Unauthorized`] when credentials are missing or refused, or
    /// another [`ErrorKind`] for an unexpected status.
    pub async fn ping(&self, registry: &str) -> Result<Ping, Error> {
        crate::wire::ping(&self.core, registry).await
    }

    /// The digest of the manifest at `location`, by `HEAD`, falling back to `GET` and hashing the body when the
    /// registry sends no `Docker-Content-Digest`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown repository, tag or digest, [`ErrorKind::DigestMismatch`] when the
    /// registry names another digest than the one asked for, and the errors of [`Client::ping`].
    pub async fn manifest_digest(&self, location: &ManifestLocation) -> Result<ManifestHead, Error> {
        let mut fetch = Fetch::new(&self.core, location.repository().clone(), self.core.deadline());
        got(fetch.head(location).await?)
    }

    /// The manifest at `location`: its exact bytes, at most the configured size limit, verified against the digest
    /// asked for, or against `Docker-Content-Digest` when fetched by tag.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TooLarge`] past the size limit, [`ErrorKind::DigestMismatch`] when the bytes do not match, and
    /// the errors of [`Client::manifest_digest`].
    pub async fn manifest(&self, location: &ManifestLocation) -> Result<RawManifest, Error> {
        let mut fetch = Fetch::new(&self.core, location.repository().clone(), self.core.deadline());
        got(fetch.manifest_raw(location).await?)
    }

    /// The manifests that refer to `subject` in `repository` (signatures, SBOMs, attestations), of
    /// `artifact_type` when given: from the referrers API, else from the referrers tag schema (`sha256-<hex>`),
    /// whichever the registry has, learned on first use and remembered for the client's life. The tag schema's
    /// index is read by digest through the cache, so a repeat lookup spends only a `HEAD`.
    ///
    /// # Errors
    ///
    /// A connect, TLS or timeout error, [`ErrorKind::Unauthorized`], [`ErrorKind::Protocol`] for an answer that is
    /// not an image index or pages that loop, [`ErrorKind::TooLarge`] past 10,000 referrers, or
    /// [`ErrorKind::PullBudget`] when the index would need a pull the budget withholds. No referrers is not an
    /// error: an empty list.
    pub async fn referrers(
        &self,
        repository: &Repository,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<crate::referrers::Referrers, Error> {
        crate::referrers::referrers(&self.core, repository, subject, artifact_type).await
    }

    /// The repository's tags, as listed, when the request asked to keep them ([`NewerRequest::keep_tags`]).
    pub async fn tags(&self, repository: &Repository) -> Result<Vec<String>, Error> {
        let mut tags = Vec::new();
        crate::tags::tags_each(&self.core, repository, None, |page| tags.extend(page)).await?;
        Ok(tags)
    }

    /// Lists the tags of `repository` as [`Client::tags`] does, giving each page to `each_page` as it arrives, so a
    /// caller can print or filter them without holding them all.
    ///
    /// # Errors
    ///
    /// As [`Client::tags`]; the pages given before the error stay given.
    pub async fn tags_each<F>(&self, repository: &Repository, each_page: F) -> Result<(), Error>
    where
        F: FnMut(Vec<String>),
    {
        crate::tags::tags_each(&self.core, repository, None, each_page).await
    }

    /// Starts downloading the blob `digest` of `repository` (`GET /v2/NAME/blobs/DIGEST`), following at most
    /// five redirects. The registry's `Authorization` goes only to the registry's own origin (scheme,
    /// host and port): a redirect to storage elsewhere is followed without it, and never from HTTPS to plain HTTP
    /// unless the target may use plain HTTP (loopback or marked insecure).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown blob, [`ErrorKind::TooManyRedirects`] past the limit or for a loop,
    /// [`ErrorKind::Protocol`] for a redirect without a usable `Location`, [`ErrorKind::InsecureTransport`] for a
    /// redirect to plain HTTP, and the errors of [`Client::ping`].
    pub async fn blob(&self, repository: &Repository, digest: &Digest) -> Result<Blob, Error> {
        crate::blob::blob(&self.core, repository, digest).await
    }

    /// Uploads `data` as a blob of `repository` in one request (`POST` then `PUT ?digest=`) and returns its digest.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] when the registry's upload location is missing or points to another host, and the
    /// errors of [`Client::ping`].
    pub async fn push_blob(&self, repository: &Repository, data: Bytes) -> Result<Digest, Error> {
        crate::wire::push_blob(&self.core, repository, data).await
    }

    /// Uploads a manifest's exact bytes to `location` (a tag, or the manifest's own digest) with its media type, and
    /// returns its digest.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a media type that cannot be a header, [`ErrorKind::DigestMismatch`] when the
    /// registry names another digest, and the errors of [`Client::ping`].
    pub async fn push_manifest(
        &self,
        location: &ManifestLocation,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest, Error> {
        crate::wire::push_manifest(&self.core, location, media_type, bytes).await
    }

    /// Fetches tokens ahead of time for pulling every repository of `repositories` on `registry`, in as few token
    /// requests as the registry allows: one for the whole batch (split only when the query would grow too long),
    /// and one per repository where the registry granted fewer scopes than asked for. Later requests to these
    /// repositories then find their token in the cache.
    ///
    /// Does nothing for a registry that asks for no token (open, or Basic auth). Learns the registry's challenge with
    /// one `GET /v2/` when it is not known yet.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an invalid registry or repository name, and the errors of a token request
    /// (see [`Client::ping`]). A repository the registry refuses is no error here: its own request will say so.
    pub async fn authorize_batch(&self, registry: &str, repositories: &[&str]) -> Result<(), Error> {
        let registry = api_host(registry)?;
        let core = &self.core;
        core.auth
            .authorize_batch(&core.transport, &registry, repositories, core.deadline())
            .await
    }

    /// How many token requests this client (and its clones) has sent so far.
    pub(crate) fn token_requests(&self) -> u64 {
        self.core.auth.token_requests()
    }

    /// What the client spent so far: `HEAD`s, `GET`s, cache hits, and each rate-limit source's budget.
    pub fn pull_stats(&self) -> PullStats {
        self.core.ledger.stats()
    }

    /// Checks one image with as few requests as the verdict allows: one `HEAD` when the image is up to date, and a
    /// manifest `GET` or two when the tag names a multi-arch index (see [`Verdict`](crate::Verdict) for the rules). The whole
    /// check, retries and `Retry-After` waits included, ends within the configured
    /// [`request_timeout`](crate::ClientConfig::request_timeout).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a reference without a tag, [`ErrorKind::PlatformNotFound`] when the tag's
    /// index has no image for the platform, [`ErrorKind::InvalidManifest`] for a manifest that cannot be parsed,
    /// [`ErrorKind::Timeout`] past the timeout, and the errors of [`Client::manifest`] (a 404 for the tag is
    /// [`ErrorKind::NotFound`]).
    pub async fn check_for_update(&self, request: &UpdateRequest) -> Result<UpdateCheck, Error> {
        crate::check::check_then_search(&self.core, request, None).await
    }

    /// Runs [`Client::check_for_update`] for every request, at most [`CheckOptions::concurrency`] at once, and
    /// returns one result per request in the input's order. A failed check does not stop the others.
    ///
    /// [`Client::check_each`] does the same and reports each result as it completes.
    pub async fn check_many(
        &self,
        requests: &[UpdateRequest],
        options: &CheckOptions,
    ) -> Vec<Result<UpdateCheck, Error>> {
        let mut results: Vec<Option<Result<UpdateCheck, Error>>> = (0..requests.len()).map(|_| None).collect();
        self.check_each(requests, options, |index, result| {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        })
        .await;
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| Err(Error::new(ErrorKind::Protocol).with_detail("the check was cancelled")))
            })
            .collect()
    }

    /// Runs [`Client::check_for_update`] for every request, at most [`CheckOptions::concurrency`] at once, and calls
    /// `done(index, result)` as each check completes (in completion order; `index` is the request's position). A
    /// failed check does not stop the others; each request gets exactly one call.
    ///
    /// Each check is its own task on the Tokio runtime; the connection pool and the token cache are shared. A
    /// registry that more than one request goes to is prepared once, before its first check, with
    /// [`Client::authorize_batch`] (a ping and a handful of token requests for all its repositories), so that its
    /// checks share one connection and a few tokens. Only that registry's checks wait for it: a slow or broken
    /// registry holds up nobody else.
    ///
    /// ```no_run
    /// use oci_registry::{CheckOptions, Client, UpdateRequest};
    ///
    /// # async fn run() -> Result<(), oci_registry::Error> {
    /// let client = Client::new()?;
    /// let requests = vec![
    ///     UpdateRequest::parse("nginx:1.27", Some("sha256:aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa24"))?,
    ///     UpdateRequest::parse("ghcr.io/home-assistant/home-assistant:stable", None)?,
    /// ];
    /// client
    ///     .check_each(&requests, &CheckOptions::new(), |index, result| match result {
    ///         Ok(check) if check.has_update() => println!("{}: update to {}", requests[index].reference(), check.latest_digest()),
    ///         Ok(check) => println!("{}: {}", requests[index].reference(), check.status()),
    ///         Err(err) => eprintln!("{}: {err}", requests[index].reference()),
    ///     })
    ///     .await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn check_each<F>(&self, requests: &[UpdateRequest], options: &CheckOptions, done: F)
    where
        F: FnMut(usize, Result<UpdateCheck, Error>),
    {
        crate::check::check_each(&self.core, requests, options, done).await;
    }

    /// Looks for a newer version of the tag in use: the tag list (every page), then a few `HEAD`s and manifest and
    /// config reads by digest (through the cache), all within one deadline. The rules are [`NewerSearch`]'s
    /// (documented there); this is the small loop that fetches what it asks for. To search right after an update
    /// check, reusing what it learned, use [`CheckOptions::newer`].
    ///
    /// [`NewerSearch`]: crate::NewerSearch
    ///
    /// # Errors
    ///
    /// The errors of [`Client::tags`], [`Client::manifest`] and [`Client::blob`] other than a 404 (which is an
    /// answer), and [`ErrorKind::InvalidInput`] for a reference without a tag.
    pub async fn newer_version(&self, request: &NewerRequest) -> Result<NewerCheck, Error> {
        crate::check::newer_version(&self.core, request).await
    }

    /// Runs [`Client::newer_version`] for every request, at most [`CheckOptions::max_concurrency`] at once, and
    /// calls `done(index, result)` as each completes (each request gets exactly one call). Tag lists are requests
    /// like any other: the per-registry limit applies to them too.
    pub async fn newer_each<F>(&self, requests: &[NewerRequest], options: &CheckOptions, done: F)
    where
        F: FnMut(usize, Result<NewerCheck, Error>),
    {
        crate::check::newer_each(&self.core, requests, options.max_concurrency(), done).await;
    }

    /// The digest a reference names now: the tag's (one `HEAD`), or the reference's own digest (checked with a
    /// `HEAD`); with `platform`, also the platform's image when the manifest is an index (one more `GET`).
    ///
    /// # Errors
    ///
    /// The errors of [`Client::check_for_update`].
    pub async fn resolve_digest(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
    ) -> Result<ResolvedDigest, Error> {
        crate::check::resolve_digest(&self.core, reference, platform).await
    }

    /// The manifest a reference names, by digest when it has one and by tag otherwise (`latest` when it has
    /// neither): its exact bytes, verified against the digest. With `platform`, an index is followed to its image
    /// for the platform (one more `GET`). [`RawManifest::parse`] reads the bytes.
    ///
    /// # Errors
    ///
    /// The errors of [`Client::manifest`], and [`ErrorKind::PlatformNotFound`] when an index has no image for the
    /// platform.
    pub async fn fetch_manifest(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
    ) -> Result<RawManifest, Error> {
        crate::check::fetch_manifest(&self.core, reference, platform).await
    }

    /// Sends one request outside the registry protocol (a notification to a webhook or a chat service, say)
    /// through this client's connections: the same proxies, TLS roots, HTTP/2 and address checks (no link-local
    /// or metadata address by DNS), within the request timeout, with no retry and no registry credentials. Answers
    /// the status and at most `limit` bytes of the body; a status that is not a success is an answer, not an error.
    ///
    /// `url` may hold secrets (a token in its path): errors name only its host, and `Authorization` headers are
    /// marked sensitive.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a URL that is not `http://` or `https://` with a host, or a header that
    /// cannot be sent; the transport errors of [`Client::ping`] ([`ErrorKind::Connect`], [`ErrorKind::Timeout`],
    /// [`ErrorKind::Proxy`], ...), and [`ErrorKind::TooLarge`] for a longer answer.
    pub async fn send(
        &self,
        method: http::Method,
        url: &str,
        headers: &[(String, String)],
        body: Bytes,
        limit: u64,
    ) -> Result<(http::StatusCode, Bytes), Error> {
        crate::wire::send_any(&self.core, method, url, headers, body, limit).await
    }
}

impl Core {
    /// Whether `registry` answered the referrers API, when that is known.
    pub(crate) fn referrers_api(&self, registry: &str) -> Option<bool> {
        self.referrers_api
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(registry)
            .copied()
    }

    /// Remembers whether `registry` answered the referrers API.
    pub(crate) fn learn_referrers_api(&self, registry: &str, answered: bool) {
        self.referrers_api
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(registry.to_owned(), answered);
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        self.transport.config()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    pub(crate) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.auth
    }

    /// When an operation started now must end: the configured request timeout from now.
    pub(crate) fn deadline(&self) -> Instant {
        self.transport.deadline()
    }

    /// Sends `call`, authorized as the registry asks.
    pub(crate) async fn send(&self, call: &Call<'_>, deadline: Instant) -> Result<Response<Incoming>, Error> {
        self.auth.send(&self.transport, call, deadline).await
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}

impl Ping {
    /// The HTTP version the registry answered with (`HTTP/2.0` when ALPN negotiated h2).
    pub fn http_version(&self) -> Version {
        self.http_version
    }

    /// The `Docker-Distribution-API-Version` header, usually `registry/2.0`.
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }
}

impl ManifestHead {
    /// What a `HEAD` would have said of a manifest fetched whole.
    pub(crate) fn of(manifest: &RawManifest) -> Self {
        Self {
            digest: manifest.digest.clone(),
            media_type: manifest.media_type.clone(),
            size: Some(manifest.bytes.len() as u64),
            http_version: manifest.http_version,
            rate_limit: manifest.rate_limit.clone(),
            served_by: manifest.served_by.clone(),
        }
    }

    /// The mirror that answered, when one did ([`ClientBuilder::mirror`](crate::ClientBuilder::mirror)); `None`
    /// when the registry itself did.
    pub fn served_by(&self) -> Option<&str> {
        self.served_by.as_deref()
    }

    /// The manifest's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The manifest's media type from `Content-Type`.
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref()
    }

    /// The manifest's size from `Content-Length`.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The rate limit the registry announced with the answer, if it sent rate-limit headers.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The HTTP version the registry answered with.
    pub fn http_version(&self) -> Version {
        self.http_version
    }
}

impl RawManifest {
    /// The manifest's digest, verified against its bytes.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The manifest's media type from `Content-Type`.
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref()
    }

    /// The manifest's exact bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The rate limit the registry announced with the answer, if it sent rate-limit headers.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The HTTP version the registry answered with.
    pub fn http_version(&self) -> Version {
        self.http_version
    }

    /// Whether the manifest came from the cache (verified against its digest) rather than the registry.
    pub fn from_cache(&self) -> bool {
        self.cached
    }

    /// A manifest read from the cache, its bytes verified against `digest`.
    pub(crate) fn cached(digest: Digest, media_type: Option<String>, bytes: Bytes) -> Self {
        Self {
            digest,
            media_type,
            bytes,
            http_version: Version::HTTP_11,
            rate_limit: None,
            cached: true,
            served_by: None,
        }
    }

    /// The mirror that answered, when one did; `None` when the registry itself (or the cache) did.
    pub fn served_by(&self) -> Option<&str> {
        self.served_by.as_deref()
    }
}
