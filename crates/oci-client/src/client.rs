//! The [`Client`] and its operations.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use oci_digest::{Digest, Digester, Verifier};
use tokio::time::Instant;

use crate::auth::{Auth, status_error};
use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{Error, ErrorKind, quote};
use crate::location::{ManifestLocation, Repository, api_host};
use crate::ratelimit::RateLimit;
use crate::transport::{Call, Transport, header_str, read_body};

/// The four manifest media types, lists first, sent in every manifest request's `Accept`.
///
/// Leaving out a list type can make a registry answer with one platform's manifest and that child's digest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// A registry client: cheap to clone, every clone sharing one connection pool and one auth cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Connections, schemes, concurrency limits and retries, shared by every clone.
    transport: Transport,
    /// Tokens, challenges and credentials, shared by every clone.
    auth: Auth,
    /// Pulls spent and allowed, `HEAD`s and cache hits, shared by every clone.
    ledger: crate::budget::Ledger,
}

/// The answer to [`Client::ping`].
#[derive(Debug, Clone)]
pub struct Ping {
    http_version: Version,
    api_version: Option<String>,
}

/// A manifest's digest and headers, from [`Client::manifest_digest`].
#[derive(Debug, Clone)]
pub struct ManifestHead {
    digest: Digest,
    media_type: Option<String>,
    size: Option<u64>,
    http_version: Version,
    rate_limit: Option<RateLimit>,
}

/// A manifest's exact bytes, verified against its digest, from [`Client::manifest`].
#[derive(Debug, Clone)]
pub struct Manifest {
    digest: Digest,
    media_type: Option<String>,
    bytes: Bytes,
    http_version: Version,
    rate_limit: Option<RateLimit>,
    cached: bool,
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
            inner: Arc::new(Inner {
                ledger: crate::budget::Ledger::new(config.pull_budget),
                transport: Transport::new(config)?,
                auth: Auth::default(),
            }),
        })
    }

    /// The configuration the client was built from.
    pub fn config(&self) -> &ClientConfig {
        self.inner.transport.config()
    }

    /// Checks that `registry` speaks the registry API (`GET /v2/`), authenticating when it asks.
    ///
    /// # Errors
    ///
    /// A connect, TLS or timeout error, [`ErrorKind::Unauthorized`] when credentials are missing or refused, or
    /// another [`ErrorKind`] for an unexpected status.
    pub async fn ping(&self, registry: &str) -> Result<Ping, Error> {
        let registry = api_host(registry)?;
        let call = Call::new(&registry, None, Method::GET, "/v2/".to_owned());
        let deadline = self.deadline();
        let response = self.send(&call, deadline).await?;
        let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let api_version = header_str(response.headers(), "docker-distribution-api-version").map(str::to_owned);
        Ok(Ping {
            http_version: response.version(),
            api_version,
        })
    }

    /// The digest of the manifest at `location`, by `HEAD`, falling back to `GET` and hashing the body when the
    /// registry sends no `Docker-Content-Digest`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] for an unknown repository, tag or digest, [`ErrorKind::DigestMismatch`] when the
    /// registry names another digest than the one asked for, and the errors of [`Client::ping`].
    pub async fn manifest_digest(&self, location: &ManifestLocation) -> Result<ManifestHead, Error> {
        self.manifest_digest_until(location, self.deadline()).await
    }

    pub(crate) async fn manifest_digest_until(
        &self,
        location: &ManifestLocation,
        deadline: Instant,
    ) -> Result<ManifestHead, Error> {
        let call = manifest_call(location, Method::HEAD);
        self.ledger().count_head();
        let response = self.send(&call, deadline).await?;
        let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let headers = response.headers();
        self.observe(
            location.repository().registry(),
            RateLimit::from_headers(headers).as_ref(),
        )
        .await;
        let Some(digest) = content_digest(&call, headers)? else {
            let manifest = self.manifest_until(location, deadline).await?;
            let size = Some(manifest.bytes.len() as u64);
            return Ok(ManifestHead {
                digest: manifest.digest,
                media_type: manifest.media_type,
                size,
                http_version: manifest.http_version,
                rate_limit: manifest.rate_limit,
            });
        };
        if let Some(expected) = location.digest() {
            if *expected != digest {
                return Err(call
                    .error(ErrorKind::DigestMismatch)
                    .with_detail(format!("asked for `{expected}`, the registry answered `{digest}`")));
            }
        }
        let size = header_str(headers, header::CONTENT_LENGTH.as_str()).and_then(|len| len.parse().ok());
        Ok(ManifestHead {
            digest,
            media_type: content_type(headers),
            size,
            http_version: response.version(),
            rate_limit: RateLimit::from_headers(headers),
        })
    }

    /// The manifest at `location`: its exact bytes, at most the configured size limit, verified against the digest
    /// asked for, or against `Docker-Content-Digest` when fetched by tag.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TooLarge`] past the size limit, [`ErrorKind::DigestMismatch`] when the bytes do not match, and
    /// the errors of [`Client::manifest_digest`].
    pub async fn manifest(&self, location: &ManifestLocation) -> Result<Manifest, Error> {
        self.manifest_until(location, self.deadline()).await
    }

    /// The manifest `GET` itself, under no budget and past no cache: see `Client::manifest_until`.
    pub(crate) async fn manifest_from_registry(
        &self,
        location: &ManifestLocation,
        deadline: Instant,
    ) -> Result<Manifest, Error> {
        let call = manifest_call(location, Method::GET);
        let response = self.send(&call, deadline).await?;
        let response = expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let http_version = response.version();
        let announced = content_digest(&call, response.headers())?;
        let media_type = content_type(response.headers());
        let rate_limit = RateLimit::from_headers(response.headers());
        let limit = self.config().manifest_size_limit;
        let bytes = read_body(call.at, response, limit, deadline).await?;
        let digest = match location.digest().or(announced.as_ref()) {
            Some(expected) => {
                let mut verifier = Verifier::new(expected.clone());
                verifier.update(&bytes);
                verifier
                    .finish()
                    .map_err(|mismatch| call.error(ErrorKind::DigestMismatch).with_source(mismatch))?
            }
            None => {
                let mut digester = Digester::sha256();
                digester.update(&bytes);
                digester.finish()
            }
        };
        if let (Some(requested), Some(announced)) = (location.digest(), &announced) {
            if requested != announced {
                return Err(call
                    .error(ErrorKind::DigestMismatch)
                    .with_detail(format!("asked for `{requested}`, the registry announced `{announced}`")));
            }
        }
        Ok(Manifest {
            digest,
            media_type,
            bytes,
            http_version,
            rate_limit,
            cached: false,
        })
    }

    /// Uploads `data` as a blob of `repository` in one request (`POST` then `PUT ?digest=`) and returns its digest.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] when the registry's upload location is missing or points to another host, and the
    /// errors of [`Client::ping`].
    pub async fn push_blob(&self, repository: &Repository, data: Bytes) -> Result<Digest, Error> {
        let digest = Digest::sha256(&data);
        let path = format!("/v2/{}/blobs/uploads/", repository.name());
        let start = Call::new(repository.registry(), Some(repository.name()), Method::POST, path).push();
        let deadline = self.deadline();
        let response = self.send(&start, deadline).await?;
        let response = expect_status(&start, response, deadline, &[StatusCode::ACCEPTED]).await?;
        let location = header_str(response.headers(), header::LOCATION.as_str()).ok_or_else(|| {
            start
                .error(ErrorKind::Protocol)
                .with_detail("upload answered without a Location")
        })?;
        let upload = self.same_origin_path(&start, location)?;
        let separator = if upload.contains('?') { '&' } else { '?' };
        let path = format!("{upload}{separator}digest={digest}");
        let mut put = Call::new(repository.registry(), Some(repository.name()), Method::PUT, path).push();
        put.headers.push((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ));
        put.body = data;
        let response = self.send(&put, deadline).await?;
        expect_status(&put, response, deadline, &[StatusCode::CREATED]).await?;
        Ok(digest)
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
        let digest = Digest::sha256(&bytes);
        let mut call = manifest_call(location, Method::PUT).push();
        call.headers.clear();
        let content_type = HeaderValue::from_str(media_type).map_err(|_| {
            Error::new(ErrorKind::InvalidInput).with_detail(format!("not a media type: `{}`", quote(media_type)))
        })?;
        call.headers.push((header::CONTENT_TYPE, content_type));
        call.body = bytes;
        let deadline = self.deadline();
        let response = self.send(&call, deadline).await?;
        let response = expect_status(&call, response, deadline, &[StatusCode::CREATED]).await?;
        if let Some(announced) = content_digest(&call, response.headers())? {
            if announced != digest {
                return Err(call
                    .error(ErrorKind::DigestMismatch)
                    .with_detail(format!("pushed `{digest}`, the registry stored `{announced}`")));
            }
        }
        Ok(digest)
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
        self.inner
            .auth
            .authorize_batch(&self.inner.transport, &registry, repositories, self.deadline())
            .await
    }

    /// How many token requests this client (and its clones) has sent so far.
    pub fn token_requests(&self) -> u64 {
        self.inner.auth.token_requests()
    }

    /// The transport under the client: connections, schemes, limits, retries.
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The pull accounting shared by every clone.
    pub(crate) fn ledger(&self) -> &crate::budget::Ledger {
        &self.inner.ledger
    }

    /// The auth state shared by every clone.
    pub(crate) fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The deadline of an operation starting now.
    pub(crate) fn deadline(&self) -> Instant {
        self.inner.transport.deadline()
    }

    /// Sends `call`, authorized as the registry asks (see the `auth` module), retrying as the
    /// [`RetryPolicy`](crate::RetryPolicy) allows, all before `deadline`.
    pub(crate) async fn send(&self, call: &Call<'_>, deadline: Instant) -> Result<Response<Incoming>, Error> {
        self.inner.auth.send(&self.inner.transport, call, deadline).await
    }

    /// The path of `location` when it is relative or on the registry's own origin.
    pub(crate) fn same_origin_path(&self, call: &Call<'_>, location: &str) -> Result<String, Error> {
        if location.starts_with('/') {
            return Ok(location.to_owned());
        }
        let uri: Uri = location.parse().map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("bad Location")
        })?;
        let base: Uri = self
            .transport()
            .base_url(call.at.registry)?
            .parse()
            .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
        if uri.authority() != base.authority() {
            return Err(call
                .error(ErrorKind::Protocol)
                .with_detail(format!("upload location on another host: `{}`", quote(location))));
        }
        Ok(uri.path_and_query().map_or("/", |p| p.as_str()).to_owned())
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}

/// Passes a response with one of the `expected` statuses, and turns any other into a typed error that carries the
/// registry's error codes.
pub(crate) async fn expect_status(
    call: &Call<'_>,
    response: Response<Incoming>,
    deadline: Instant,
    expected: &[StatusCode],
) -> Result<Response<Incoming>, Error> {
    if expected.contains(&response.status()) {
        return Ok(response);
    }
    Err(status_error(call.at, response, deadline).await)
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

impl Manifest {
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
        }
    }
}

fn manifest_call(location: &ManifestLocation, method: Method) -> Call<'_> {
    let repository = location.repository();
    let path = format!(
        "/v2/{}/manifests/{}",
        repository.name(),
        location.reference().path_segment()
    );
    let mut call = Call::new(repository.registry(), Some(repository.name()), method, path);
    call.headers
        .push((header::ACCEPT, HeaderValue::from_static(MANIFEST_ACCEPT)));
    call
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    header_str(headers, header::CONTENT_TYPE.as_str()).map(str::to_owned)
}

/// The `Docker-Content-Digest` header, when present.
fn content_digest(call: &Call<'_>, headers: &HeaderMap) -> Result<Option<Digest>, Error> {
    match header_str(headers, "docker-content-digest") {
        None => Ok(None),
        Some(value) => Digest::parse(value.trim()).map(Some).map_err(|err| {
            call.error(ErrorKind::Protocol)
                .with_source(err)
                .with_detail("bad Docker-Content-Digest")
        }),
    }
}
