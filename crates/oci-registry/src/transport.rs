//! The request pipeline: a request described as data ([`Call`]), the context its errors name ([`Context`]), and
//! the [`Transport`] that sends it (scheme, per-registry concurrency, retries, deadlines, bounded bodies).
//!
//! Auth sits above this module (`auth.rs` sends token requests through [`Transport::request`]), and the operations
//! above both (`client.rs`): nothing here knows about tokens or manifests.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

use crate::config::{ClientConfig, Scheme};
use crate::connector::{ConnectError, Connector};
use crate::error::{Error, ErrorKind, cut};
use crate::location::is_loopback;
use crate::proxy::ProxyUrl;
use crate::ratelimit::RateLimit;
use crate::retry::{Jitter, Outcome};

/// What a request's errors name: the registry it went to (or was made for) and the repository it concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) registry: &'a str,
    pub(crate) repository: Option<&'a str>,
}

/// The access a request needs to its repository, which decides the token scope asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reading: `repository:NAME:pull`.
    Pull,
    /// Writing: `repository:NAME:pull,push`.
    Push,
}

/// One request to a registry, as the operations describe it: a path on the registry, never a whole URL.
pub(crate) struct Call<'a> {
    pub(crate) at: Context<'a>,
    pub(crate) access: Access,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Call<'_> {
    /// Whether this is a manifest `GET`: a pull, on Docker Hub.
    pub(crate) fn is_pull(&self) -> bool {
        self.method == Method::GET && self.path.contains("/manifests/")
    }
}

/// One request to any URL (a token realm, a redirect target), with the headers it carries.
pub(crate) struct Outgoing<'a> {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: &'a [(HeaderName, HeaderValue)],
    pub(crate) body: Bytes,
    pub(crate) authorization: Option<&'a HeaderValue>,
}

/// The pooled HTTP client with what it learns per registry; shared by every clone of a client.
pub(crate) struct Transport {
    http: legacy::Client<Connector, Full<Bytes>>,
    config: ClientConfig,
    /// One semaphore per registry, limiting the requests in flight to it.
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Loopback registries found to answer in plain HTTP, decided once per registry.
    plain: Mutex<HashMap<String, bool>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(registry: &'a str, repository: Option<&'a str>) -> Self {
        Self { registry, repository }
    }

    pub(crate) fn error(self, kind: ErrorKind) -> Error {
        Error::new(kind)
            .with_registry(self.registry)
            .with_repository(self.repository)
    }
}

impl<'a> Call<'a> {
    pub(crate) fn new(registry: &'a str, repository: Option<&'a str>, method: Method, path: String) -> Self {
        Self {
            at: Context::new(registry, repository),
            access: Access::Pull,
            method,
            path,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub(crate) fn push(mut self) -> Self {
        self.access = Access::Push;
        self
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        self.at.error(kind)
    }
}

impl Transport {
    pub(crate) fn new(config: ClientConfig) -> Result<Self, Error> {
        let connector = Connector::new(&config)?;
        let http = legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector);
        Ok(Self {
            http,
            config,
            limits: Mutex::new(HashMap::new()),
            plain: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The deadline of an operation starting now: the request timeout from now (saturating, never a panic).
    pub(crate) fn deadline(&self) -> Instant {
        deadline_after(self.config.request_timeout)
    }

    /// `https://host` or `http://host`: plain HTTP where the configuration asks for it and permits it, and for a
    /// loopback registry that was found to answer in plain HTTP.
    pub(crate) fn base_url(&self, registry: &str) -> Result<String, Error> {
        let options = self.config.registry(registry);
        match options.and_then(|o| o.scheme) {
            Some(Scheme::Http) => {
                if !options.is_some_and(|o| o.insecure) && !is_loopback(registry) {
                    return Err(Error::new(ErrorKind::InsecureTransport).with_registry(registry));
                }
                Ok(format!("http://{registry}"))
            }
            Some(Scheme::Https) => Ok(format!("https://{registry}")),
            None if self.learned_plain(registry) => Ok(format!("http://{registry}")),
            None => Ok(format!("https://{registry}")),
        }
    }

    /// Whether plain HTTP may be used for `authority` (a token realm's host, a redirect target).
    pub(crate) fn plain_http_allowed(&self, authority: &str) -> bool {
        is_loopback(authority) || self.config.registry(authority).is_some_and(|o| o.insecure)
    }

    /// The proxy a request to `uri` goes through, as the connector decides it for the connection.
    fn proxy_for(&self, uri: &Uri) -> Option<&ProxyUrl> {
        let https = uri.scheme_str() == Some("https");
        let host = uri.host()?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        self.config.proxy.proxy_for(https, host, port)
    }

    fn learned_plain(&self, registry: &str) -> bool {
        lock(&self.plain).get(registry).copied().unwrap_or(false)
    }

    /// Whether `registry` may be tried in plain HTTP after its HTTPS attempt met a server speaking plain HTTP:
    /// loopback registries without an explicit transport, as Docker treats its default insecure range.
    fn may_fall_back_to_plain(&self, registry: &str) -> bool {
        is_loopback(registry) && self.config.registry(registry).and_then(|o| o.scheme).is_none()
    }

    /// Sends `call` to its registry, again after a connect error, a 5xx or a 429 when the method is idempotent and
    /// the policy allows and the wait fits before `deadline`; each attempt holds one of the registry's concurrency
    /// permits until its headers arrive.
    pub(crate) async fn send_with_retries(
        &self,
        call: &Call<'_>,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let policy = self.config.retry_policy;
        let mut jitter = Jitter::new();
        let mut attempt = 1;
        loop {
            let result = {
                let _permit = self.permit(call.at.registry).await;
                self.send_once(call, authorization, deadline).await
            };
            let outcome = match &result {
                // A pull refused with 429 stops pulls from its source for the run (the budget takes note), with or
                // without rate-limit headers: sending it again would only spend more of a quota that is gone.
                Ok(response)
                    if response.status() == StatusCode::TOO_MANY_REQUESTS
                        && (call.is_pull()
                            || RateLimit::from_headers(response.headers())
                                .is_some_and(|limit| limit.is_exhausted())) =>
                {
                    Outcome::QuotaSpent
                }
                Ok(response) => Outcome::Status(response.status()),
                Err(err) if err.kind() == ErrorKind::Connect => Outcome::Connect,
                Err(_) => return result,
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
                return result;
            };
            let wake = Instant::now().checked_add(delay);
            if wake.is_none_or(|wake| wake >= deadline) {
                tracing::debug!(
                    registry = call.at.registry,
                    ?delay,
                    "no retry: the wait would pass the deadline"
                );
                return result;
            }
            tracing::debug!(registry = call.at.registry, attempt, ?delay, ?outcome, "retrying");
            drop(result);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// A permit of `registry`'s semaphore, when the configuration limits concurrency.
    async fn permit(&self, registry: &str) -> Option<OwnedSemaphorePermit> {
        let limit = self.config.max_concurrency_per_registry?;
        let semaphore = Arc::clone(
            lock(&self.limits)
                .entry(registry.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(limit.max(1)))),
        );
        semaphore.acquire_owned().await.ok()
    }

    /// One attempt at `call`; a loopback registry whose HTTPS port answers in plain HTTP is tried again in plain HTTP
    /// at once, and remembered.
    async fn send_once(
        &self,
        call: &Call<'_>,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        let registry = call.at.registry;
        let result = self.send_to_base(call, authorization, deadline).await;
        match result {
            Err(Failure::PlainHttpAnswer(_)) if self.may_fall_back_to_plain(registry) => {
                tracing::info!(
                    registry,
                    "the registry answers in plain HTTP on loopback: using http://"
                );
                lock(&self.plain).insert(registry.to_owned(), true);
                self.send_to_base(call, authorization, deadline)
                    .await
                    .map_err(Failure::into_plain_error)
            }
            Err(failure) => Err(failure.into_plain_error()),
            Ok(response) => Ok(response),
        }
    }

    async fn send_to_base(
        &self,
        call: &Call<'_>,
        authorization: Option<&HeaderValue>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Failure> {
        let base = self.base_url(call.at.registry).map_err(Failure::Error)?;
        let uri: Uri = format!("{base}{}", call.path)
            .parse()
            .map_err(|err| Failure::Error(call.error(ErrorKind::InvalidInput).with_source(err)))?;
        let request = Outgoing {
            method: call.method.clone(),
            uri,
            headers: &call.headers,
            body: call.body.clone(),
            authorization,
        };
        self.exchange(call.at, request, deadline).await
    }

    /// Sends one request to any URL, which may be on another host than the context's registry (a token realm, a
    /// redirect target).
    pub(crate) async fn request(
        &self,
        at: Context<'_>,
        request: Outgoing<'_>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Error> {
        self.exchange(at, request, deadline)
            .await
            .map_err(Failure::into_plain_error)
    }

    async fn exchange(
        &self,
        at: Context<'_>,
        request: Outgoing<'_>,
        deadline: Instant,
    ) -> Result<Response<Incoming>, Failure> {
        let started = Instant::now();
        let (method, uri) = (request.method.clone(), request.uri.clone());
        let proxy = self.proxy_for(&uri);
        let mut builder = Request::builder().method(request.method).uri(request.uri);
        let user_agent = HeaderValue::from_str(&self.config.user_agent).map_err(|_| {
            Failure::Error(
                Error::new(ErrorKind::InvalidInput).with_detail("the user agent holds characters HTTP forbids"),
            )
        })?;
        if let Some(headers) = builder.headers_mut() {
            headers.insert(header::USER_AGENT, user_agent);
            for (name, value) in request.headers {
                headers.append(name.clone(), value.clone());
            }
            if let Some(value) = request.authorization {
                headers.insert(header::AUTHORIZATION, value.clone());
            }
            // Plain HTTP goes to the proxy itself, which wants its credentials on each request; HTTPS carries them
            // on the CONNECT only (the connector's), never inside the tunnel.
            if uri.scheme_str() == Some("http") {
                if let Some(secret) = proxy.and_then(ProxyUrl::basic_authorization) {
                    let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                        Failure::Error(
                            at.error(ErrorKind::InvalidInput)
                                .with_detail("an unusable proxy credential"),
                        )
                    })?;
                    value.set_sensitive(true);
                    headers.insert(header::PROXY_AUTHORIZATION, value);
                }
            }
        }
        let sent = builder
            .body(Full::new(request.body))
            .map_err(|err| Failure::Error(at.error(ErrorKind::InvalidInput).with_source(err)))?;
        let result = match timeout_at(deadline, self.http.request(sent)).await {
            Err(_) => Err(Failure::Error(
                at.error(ErrorKind::Timeout)
                    .with_detail("no response within the timeout"),
            )),
            Ok(Err(err)) => {
                let (kind, plain_answer) = transport_kind(&err);
                let error = match connect_error(&err) {
                    Some(connect) => {
                        let mut error = at.error(kind);
                        if let Some(proxy) = &connect.proxy {
                            error = error.with_proxy(proxy);
                        }
                        match connect.proxy_failure() {
                            Some((what, cause)) => {
                                error = error.with_detail(what);
                                if let Some(cause) = cause {
                                    error = error.with_source(cause.to_string());
                                }
                                error
                            }
                            None => error.with_source(err),
                        }
                    }
                    None => at.error(kind).with_source(err),
                };
                Err(if plain_answer {
                    Failure::PlainHttpAnswer(error)
                } else {
                    Failure::Error(error)
                })
            }
            // A registry never answers 407: through a proxy, it is the proxy asking for (other) credentials.
            Ok(Ok(response))
                if response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED
                    && uri.scheme_str() == Some("http") =>
            {
                match proxy {
                    Some(proxy) => Err(Failure::Error(
                        at.error(ErrorKind::Proxy)
                            .with_proxy(proxy)
                            .with_detail(match proxy.username() {
                                None => "the proxy answered 407: it wants credentials, and the proxy URL has none \
                                         (write http://USER:PASSWORD@HOST:PORT)"
                                    .to_owned(),
                                Some(user) => format!(
                                    "the proxy answered 407: it refused the credentials of `{}` from the proxy URL",
                                    cut(user)
                                ),
                            }),
                    )),
                    None => Ok(response),
                }
            }
            Ok(Ok(response)) => Ok(response),
        };
        let via = proxy
            .map(|proxy| format!(" through the proxy {proxy}"))
            .unwrap_or_default();
        let elapsed = started.elapsed();
        match &result {
            Ok(response) => tracing::info!(
                "{method} {} -> {} in {} ms{}{via}",
                cut(&uri.to_string()),
                response.status().as_u16(),
                elapsed.as_millis(),
                header_str(response.headers(), header::CONTENT_LENGTH.as_str())
                    .map(|length| format!(", {} bytes", cut(length)))
                    .unwrap_or_default()
            ),
            // A loopback registry's HTTPS port answering in plain HTTP is how the fallback finds out, not a failure.
            Err(Failure::PlainHttpAnswer(_)) if uri.scheme_str() == Some("https") => tracing::debug!(
                "probe: {method} {} met a plain-HTTP server after {} ms",
                cut(&uri.to_string()),
                elapsed.as_millis()
            ),
            Err(failure) => tracing::info!(
                "{method} {} failed after {} ms{via}: {}",
                cut(&uri.to_string()),
                elapsed.as_millis(),
                failure.error()
            ),
        }
        result
    }
}

/// A failed exchange, telling apart a TLS handshake that met a plain-HTTP server.
enum Failure {
    Error(Error),
    PlainHttpAnswer(Error),
}

impl Failure {
    fn error(&self) -> &Error {
        match self {
            Self::Error(err) | Self::PlainHttpAnswer(err) => err,
        }
    }

    fn into_plain_error(self) -> Error {
        match self {
            Self::Error(err) => err,
            Self::PlainHttpAnswer(err) => err.with_detail(
                "the server answered in plain HTTP; if it has no TLS, allow plain HTTP for it (--insecure-registry)",
            ),
        }
    }
}

/// `now + timeout`, saturating far in the future instead of overflowing.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Reads a body up to `limit` bytes: refuses a larger `Content-Length` up front and stops reading past the limit.
pub(crate) async fn read_body(
    at: Context<'_>,
    response: Response<Incoming>,
    limit: u64,
    deadline: Instant,
) -> Result<Bytes, Error> {
    let too_large = || {
        at.error(ErrorKind::TooLarge)
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
                return Err(at
                    .error(ErrorKind::Timeout)
                    .with_detail("the body did not arrive in time"));
            }
            Ok(None) => break,
            Ok(Some(Err(err))) => return Err(at.error(ErrorKind::Http).with_source(err)),
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

/// The kind of a transport failure, and whether a TLS handshake met a server answering in plain HTTP.
fn transport_kind(err: &legacy::Error) -> (ErrorKind, bool) {
    if let Some(connect) = connect_error(err) {
        return (connect.kind, connect.plain_http_answer);
    }
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = next {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return (ErrorKind::Timeout, false);
        }
        next = cause.source();
    }
    if err.is_connect() {
        (ErrorKind::Connect, false)
    } else {
        (ErrorKind::Http, false)
    }
}

/// The connector's error in `err`'s chain, when the connection failed.
fn connect_error(err: &legacy::Error) -> Option<&ConnectError> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(cause) = next {
        if let Some(connect) = cause.downcast_ref::<ConnectError>() {
            return Some(connect);
        }
        next = cause.source();
    }
    None
}

pub(crate) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Whether `status` is one of the redirect statuses a client follows.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegistryOptions;

    fn transport(builder: crate::ClientBuilder) -> Transport {
        Transport::new(builder.config().unwrap()).unwrap()
    }

    #[test]
    fn only_loopback_registries_fall_back_to_plain_http_by_themselves() {
        let default = transport(crate::Client::builder());
        for loopback in ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "127.9.9.9"] {
            assert!(default.may_fall_back_to_plain(loopback), "{loopback}");
            assert_eq!(default.base_url(loopback).unwrap(), format!("https://{loopback}"));
        }
        for remote in [
            "registry.example:5000",
            "10.0.0.1:5000",
            "ghcr.io",
            "localhost.example.com:5000",
        ] {
            assert!(!default.may_fall_back_to_plain(remote), "{remote}");
            assert_eq!(default.base_url(remote).unwrap(), format!("https://{remote}"));
        }
        // An explicit transport is kept as it is.
        let strict = transport(
            crate::Client::builder().registry("127.0.0.1:5000", RegistryOptions::new().scheme(Scheme::Https)),
        );
        assert!(!strict.may_fall_back_to_plain("127.0.0.1:5000"));
        // A non-loopback registry needs to be marked insecure for plain HTTP, by host:port or by host.
        let by_host = transport(
            crate::Client::builder().registry("10.0.0.1", RegistryOptions::new().scheme(Scheme::Http).insecure()),
        );
        assert_eq!(by_host.base_url("10.0.0.1:5000").unwrap(), "http://10.0.0.1:5000");
        assert_eq!(by_host.base_url("10.0.0.2:5000").unwrap(), "https://10.0.0.2:5000");
    }

    #[test]
    fn deadlines_saturate() {
        let far = deadline_after(Duration::from_secs(u64::MAX));
        assert!(far > Instant::now() + Duration::from_secs(365 * 24 * 3600));
    }
}
