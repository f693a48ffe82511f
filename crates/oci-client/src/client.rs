//! The [`Client`] and its operations.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use oci_digest::{Digest, Digester, Verifier};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

use crate::auth::{AuthState, call_scopes};
use crate::config::{ClientBuilder, ClientConfig, Transport};
use crate::connector::{ConnectError, Connector};
use crate::error::{Error, ErrorKind, ServerError, truncate};
use crate::location::{ManifestLocation, Repository, is_loopback, normalize_registry};
use crate::ratelimit::RateLimit;
use crate::retry::{Jitter, Outcome};

/// The four manifest media types, lists first, sent in every manifest request's `Accept`.
///
/// Leaving out a list type can make a registry answer with one platform's manifest and that child's digest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// How much of an error body is read to find the registry's error codes.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A registry client: cheap to clone, every clone sharing one connection pool and one auth cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: legacy::Client<Connector, Full<Bytes>>,
    config: ClientConfig,
    /// Tokens, challenges and credentials, shared by every clone.
    pub(crate) auth: AuthState,
    /// One semaphore per registry, limiting the requests in flight to it.
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
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
}

/// One request as the operations describe it; [`Client::send`] adds the endpoint, auth and timeouts.
pub(crate) struct Call<'a> {
    pub(crate) registry: &'a str,
    pub(crate) repository: Option<&'a str>,
    /// The actions of the repository scope, `pull` or `pull,push`.
    pub(crate) actions: &'static str,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
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
        let connector = Connector::new(&config)?;
        let http = legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                auth: AuthState::default(),
                limits: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration the client was built from.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Checks that `registry` speaks the registry API (`GET /v2/`), authenticating when it asks.
    ///
    /// # Errors
    ///
    /// A connect, TLS or timeout error, [`ErrorKind::Unauthorized`] when credentials are missing or refused, or
    /// another [`ErrorKind`] for an unexpected status.
    pub async fn ping(&self, registry: &str) -> Result<Ping, Error> {
        let registry = normalize_registry(registry)?;
        let call = Call::new(&registry, None, Method::GET, "/v2/".to_owned());
        let (response, deadline) = self.send(&call).await?;
        let response = self.expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
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
        let call = manifest_call(location, Method::HEAD);
        let (response, deadline) = self.send(&call).await?;
        let response = self.expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let headers = response.headers();
        let Some(digest) = content_digest(&call, headers)? else {
            let manifest = self.manifest(location).await?;
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
        let call = manifest_call(location, Method::GET);
        let (response, deadline) = self.send(&call).await?;
        let response = self.expect_status(&call, response, deadline, &[StatusCode::OK]).await?;
        let http_version = response.version();
        let announced = content_digest(&call, response.headers())?;
        let media_type = content_type(response.headers());
        let rate_limit = RateLimit::from_headers(response.headers());
        let limit = self.inner.config.manifest_size_limit;
        let bytes = read_body(&call, response, limit, deadline).await?;
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
        let (response, deadline) = self.send(&start).await?;
        let response = self
            .expect_status(&start, response, deadline, &[StatusCode::ACCEPTED])
            .await?;
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
        let (response, deadline) = self.send(&put).await?;
        self.expect_status(&put, response, deadline, &[StatusCode::CREATED])
            .await?;
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
            Error::new(ErrorKind::InvalidInput).with_detail(format!("not a media type: `{}`", truncate(media_type)))
        })?;
        call.headers.push((header::CONTENT_TYPE, content_type));
        call.body = bytes;
        let (response, deadline) = self.send(&call).await?;
        let response = self
            .expect_status(&call, response, deadline, &[StatusCode::CREATED])
            .await?;
        if let Some(announced) = content_digest(&call, response.headers())? {
            if announced != digest {
                return Err(call
                    .error(ErrorKind::DigestMismatch)
                    .with_detail(format!("pushed `{digest}`, the registry stored `{announced}`")));
            }
        }
        Ok(digest)
    }

    /// The shared state.
    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Sends `call`, authorized as the registry asks (see the `auth` module), retrying as the [`RetryPolicy`]
    /// allows, and returns the response with the deadline for reading its body.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<(Response<Incoming>, Instant), Error> {
        let scopes = call_scopes(call)?;
        let mut sent = self.preauthorize(call, &scopes).await?;
        loop {
            let (response, deadline) = self.send_with_retries(call, sent.header.as_ref()).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok((response, deadline));
            }
            match self.answer_challenge(call, &scopes, &response, &sent, deadline).await? {
                Some(next) => sent = next,
                None => return Ok((response, deadline)),
            }
        }
    }

    /// Sends `call` to its registry, again after a connect error, a 5xx or a 429 when the method is idempotent and
    /// the policy allows, each attempt holding one of the registry's concurrency permits until its headers arrive.
    pub(crate) async fn send_with_retries(
        &self,
        call: &Call<'_>,
        authorization: Option<&HeaderValue>,
    ) -> Result<(Response<Incoming>, Instant), Error> {
        let policy = self.inner.config.retry_policy;
        let mut jitter = Jitter::new();
        let mut attempt = 1;
        loop {
            let deadline = Instant::now() + self.inner.config.request_timeout;
            let result = {
                let _permit = self.permit(call.registry).await;
                self.send_once(call, authorization, deadline).await
            };
            let outcome = match &result {
                Ok(response) => Outcome::Status(response.status()),
                Err(err) if err.kind() == ErrorKind::Connect => Outcome::Connect,
                Err(_) => return result.map(|response| (response, deadline)),
            };
            let retry_after = result
                .as_ref()
                .ok()
                .and_then(|response| header_str(response.headers(), header::RETRY_AFTER.as_str()));
            let delay = policy.next_delay(
                attempt,
                &call.method,
                outcome,
                retry_after,
                SystemTime::now(),
                &mut jitter,
            );
            let Some(delay) = delay else {
                return result.map(|response| (response, deadline));
            };
            drop(result);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// A permit of `registry`'s semaphore, when the configuration limits concurrency.
    async fn permit(&self, registry: &str) -> Option<OwnedSemaphorePermit> {
        let limit = self.inner.config.max_concurrency_per_registry?;
        let semaphore = {
            let mut limits = self.inner.limits.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(
                limits
                    .entry(registry.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(limit.max(1)))),
            )
        };
        semaphore.acquire_owned().await.ok()
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let base = self.base_url(call.registry)?;
        let uri: Uri = format!("{base}{}", call.path)
            .parse()
            .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
        self.request(call, uri, authorization, deadline).await
    }

    /// Sends one request to `uri` with the call's method, headers and body.
    pub(crate) async fn request(
        &self,
        call: &Call<'_>,
        uri: Uri,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        self.request_parts(
            call,
            call.method.clone(),
            uri,
            &call.headers,
            call.body.clone(),
            authorization,
            deadline,
        )
        .await
    }

    /// Sends one request to `uri`, which may be on another host than the call's registry (a token realm, a
    /// redirect); errors name the call's registry and repository.
    #[allow(
        clippy::too_many_arguments,
        reason = "an internal helper with the parts of one request"
    )]
    pub(crate) async fn request_parts(
        &self,
        call: &Call<'_>,
        method: Method,
        uri: Uri,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let mut request = Request::builder().method(method).uri(uri);
        let user_agent = header_value(&self.inner.config.user_agent)?;
        if let Some(request_headers) = request.headers_mut() {
            request_headers.insert(header::USER_AGENT, user_agent);
            for (name, value) in headers {
                request_headers.append(name.clone(), value.clone());
            }
            if let Some(value) = authorization {
                request_headers.insert(header::AUTHORIZATION, value.clone());
            }
        }
        let request = request
            .body(Full::new(body))
            .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
        match timeout_at(deadline, self.inner.http.request(request)).await {
            Err(_) => Err(call
                .error(ErrorKind::Timeout)
                .with_detail("no response within the request timeout")),
            Ok(Err(err)) => Err(call.error(transport_kind(&err)).with_source(err)),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// `https://host` or, where the configuration asks for it and permits it, `http://host`.
    pub(crate) fn base_url(&self, registry: &str) -> Result<String, Error> {
        let options = self.inner.config.registry(registry);
        match options.map(|o| o.transport).unwrap_or_default() {
            Transport::Http => {
                if !options.is_some_and(|o| o.insecure) && !is_loopback(registry) {
                    return Err(Error::new(ErrorKind::InsecureTransport).with_registry(registry));
                }
                Ok(format!("http://{registry}"))
            }
            Transport::Https => Ok(format!("https://{registry}")),
        }
    }

    /// Whether plain HTTP may be used for `authority` (a token realm's host, for example).
    pub(crate) fn plain_http_allowed(&self, authority: &str) -> bool {
        is_loopback(authority) || self.inner.config.registry(authority).is_some_and(|o| o.insecure)
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
            .base_url(call.registry)?
            .parse()
            .map_err(|err| call.error(ErrorKind::InvalidInput).with_source(err))?;
        if uri.authority() != base.authority() {
            return Err(call
                .error(ErrorKind::Protocol)
                .with_detail(format!("upload location on another host: `{}`", truncate(location))));
        }
        Ok(uri.path_and_query().map_or("/", |p| p.as_str()).to_owned())
    }

    /// Passes a response with one of the `expected` statuses, and turns any other into a typed error that carries
    /// the registry's error codes.
    pub(crate) async fn expect_status(
        &self,
        call: &Call<'_>,
        response: Response<Incoming>,
        deadline: Instant,
        expected: &[StatusCode],
    ) -> Result<Response<Incoming>, Error> {
        let status = response.status();
        if expected.contains(&status) {
            return Ok(response);
        }
        let challenge = header_str(response.headers(), header::WWW_AUTHENTICATE.as_str()).map(truncate);
        let rate_limit = RateLimit::from_headers(response.headers());
        let body = read_body(call, response, ERROR_BODY_LIMIT, deadline)
            .await
            .unwrap_or_default();
        let kind = match status {
            StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
            StatusCode::FORBIDDEN => ErrorKind::Denied,
            StatusCode::NOT_FOUND => ErrorKind::NotFound,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::TooManyRequests,
            _ => ErrorKind::Status,
        };
        let mut err = call
            .error(kind)
            .with_status(status, ServerError::parse_body(&body))
            .with_rate_limit(rate_limit);
        if status == StatusCode::UNAUTHORIZED {
            if let Ok(scopes) = call_scopes(call) {
                err = err.with_scope(&scopes);
            }
        }
        if let Some(challenge) = challenge {
            err = err.with_detail(format!("challenge `{challenge}`"));
        }
        Err(err)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<'a> Call<'a> {
    pub(crate) fn new(registry: &'a str, repository: Option<&'a str>, method: Method, path: String) -> Self {
        Self {
            registry,
            repository,
            actions: "pull",
            method,
            path,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    fn push(mut self) -> Self {
        self.actions = "pull,push";
        self
    }

    pub(crate) fn get(&self, path: String) -> Self {
        Self::new(self.registry, self.repository, Method::GET, path)
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind)
            .with_registry(self.registry)
            .with_repository(self.repository)
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

/// Reads a body up to `limit` bytes: refuses a larger `Content-Length` up front and stops reading past the limit.
pub(crate) async fn read_body(
    call: &Call<'_>,
    response: Response<Incoming>,
    limit: u64,
    deadline: Instant,
) -> Result<Bytes, Error> {
    let too_large = || {
        call.error(ErrorKind::TooLarge)
            .with_detail(format!("the limit is {limit} bytes"))
    };
    let length = header_str(response.headers(), header::CONTENT_LENGTH.as_str()).and_then(|l| l.parse::<u64>().ok());
    if length.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = response.into_body();
    let mut bytes = BytesMut::new();
    loop {
        let frame = match timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(call
                    .error(ErrorKind::Timeout)
                    .with_detail("the body did not arrive in time"));
            }
            Ok(None) => break,
            Ok(Some(Err(err))) => return Err(call.error(ErrorKind::Http).with_source(err)),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() as u64 + data.len() as u64 > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes.freeze())
}

fn transport_kind(err: &legacy::Error) -> ErrorKind {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = next {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            return connect.kind;
        }
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return ErrorKind::Timeout;
        }
        next = cause.source();
    }
    if err.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Http
    }
}

pub(crate) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::new(ErrorKind::InvalidInput).with_detail("a header value holds characters HTTP forbids"))
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
