//! An HTTP/1.1 reverse proxy on loopback that plays Docker Hub's pull rate limit in front of a real registry, and
//! counts what it sees.
//!
//! Docker Hub announces its quota on manifest responses (`ratelimit-limit: 100;w=21600`,
//! `ratelimit-remaining: 76;w=21600`, `docker-ratelimit-source: 192.0.2.1`), counts a pull for each manifest `GET` it
//! answers 200 (a `HEAD` is free), and once the quota is spent answers manifest `GET`s with a 429 and a
//! `TOOMANYREQUESTS` error body, without `Retry-After`. [`RateLimitProxy`] does the same in front of a
//! [`Registry`](crate::Registry), with a quota the test sets and resets, so that the client's rate-limit handling is
//! tested against real registry answers; everything else is forwarded unchanged, bodies streamed both ways.
//!
//! It speaks plain HTTP only. A TLS `ClientHello` is not HTTP, so hyper answers it `400 Bad Request` in plain text,
//! which is what lets a client that tries HTTPS first on loopback notice the plain-HTTP server and fall back.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// The window Docker Hub announces, in seconds: six hours.
pub const WINDOW_SECONDS: u64 = 21_600;

/// The source announced unless [`RateLimitProxy::with_source`] names another: the client's address as Docker Hub
/// would see it.
pub const DEFAULT_SOURCE: &str = "127.0.0.1";

/// The body of the proxy's own 429, Docker Hub's words.
pub const TOO_MANY_REQUESTS_BODY: &str = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"}]}"#;

/// Headers that belong to one connection, never forwarded (RFC 9110, section 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// The body of every answer: upstream's, streamed, or the proxy's own.
type Body = BoxBody<Bytes, hyper::Error>;

/// One request as the proxy answered it.
#[derive(Debug, Clone)]
struct Logged {
    method: Method,
    target: String,
    /// The manifest reference (tag or digest) of a `/v2/<name>/manifests/<reference>` request.
    reference: Option<String>,
    status: StatusCode,
}

/// State shared by the proxy's tasks and its handle.
struct Shared {
    upstream: String,
    limit: u64,
    remaining: AtomicU64,
    source: Mutex<HeaderValue>,
    delay: Mutex<Duration>,
    /// Whether `HEAD` answers go without the rate-limit headers.
    quiet_heads: std::sync::atomic::AtomicBool,
    requests: AtomicU64,
    manifest_heads: AtomicU64,
    manifest_gets: AtomicU64,
    refused: AtomicU64,
    log: Mutex<Vec<Logged>>,
    client: Client<HttpConnector, Incoming>,
}

/// A rate-limiting reverse proxy on 127.0.0.1 (plain HTTP/1.1) in front of one registry. Dropping it closes its
/// listener and every connection it serves.
///
/// - Every request is forwarded to the registry (method, path and query, headers but the hop-by-hop ones, `Host`
///   included so that upload locations point back at the proxy, and body) and the answer streamed back.
/// - Manifest requests (`HEAD` and `GET` of `/v2/<name>/manifests/<reference>`) get `ratelimit-limit: L;w=21600`,
///   `ratelimit-remaining: R;w=21600` and `docker-ratelimit-source: S` added to the answer, whatever its status.
/// - A manifest `GET` takes one from the remaining pulls before it is forwarded, and gives it back unless the
///   registry answers 200; its `ratelimit-remaining` is the count after this pull, as Docker Hub shows it. A `HEAD`
///   never spends a pull.
/// - With no pulls left, a manifest `GET` is answered by the proxy itself, never forwarded: 429, `content-type:
///   application/json`, [`TOO_MANY_REQUESTS_BODY`], the rate-limit headers (remaining 0) and no `Retry-After`.
///
/// Taking the pull before forwarding means concurrent `GET`s never spend more than the remaining count. Its tasks
/// run on the Tokio runtime it was started on.
pub struct RateLimitProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl RateLimitProxy {
    /// Listens on 127.0.0.1 in front of the registry at `upstream` (`127.0.0.1:PORT`, plain HTTP), announcing a
    /// quota of `limit` pulls per window of which `remaining` are left.
    ///
    /// # Panics
    ///
    /// When `upstream` is not a `host:port`, or no port is free.
    pub async fn start(upstream: &str, limit: u64, remaining: u64) -> Self {
        assert!(
            format!("http://{upstream}/").parse::<Uri>().is_ok(),
            "RateLimitProxy::start: `{upstream}` is not a host:port"
        );
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            limit,
            remaining: AtomicU64::new(remaining),
            source: Mutex::new(HeaderValue::from_static(DEFAULT_SOURCE)),
            delay: Mutex::new(Duration::ZERO),
            quiet_heads: std::sync::atomic::AtomicBool::new(false),
            requests: AtomicU64::new(0),
            manifest_heads: AtomicU64::new(0),
            manifest_gets: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            // Owned by the accept task, so that aborting it on drop also ends every connection being served.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                let shared = Arc::clone(&accept_shared);
                connections.spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, shared, accept }
    }

    /// The same proxy announcing `source` in `docker-ratelimit-source` (an IP address or an account's UUID on
    /// Docker Hub), so that two proxies can play two sources with quotas of their own.
    ///
    /// # Panics
    ///
    /// When `source` cannot be a header value.
    #[must_use]
    pub fn with_source(self, source: &str) -> Self {
        let value = HeaderValue::from_str(source)
            .unwrap_or_else(|_| panic!("with_source: `{source}` cannot be a header value"));
        *lock(&self.shared.source) = value;
        self
    }

    /// The same proxy holding every request `delay` before handling it (once per request, refused ones included):
    /// latency for benchmarks.
    #[must_use]
    pub fn with_delay(self, delay: Duration) -> Self {
        *lock(&self.shared.delay) = delay;
        self
    }

    /// The same proxy answering manifest `HEAD`s without the rate-limit headers, as registries that announce the
    /// quota on `GET`s only do: a client then learns the quota from its pulls, and can meet a 429 when another host
    /// spent the rest.
    #[must_use]
    pub fn with_quiet_heads(self) -> Self {
        self.shared.quiet_heads.store(true, Ordering::SeqCst);
        self
    }

    /// `127.0.0.1:PORT`, the registry name clients use.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The quota announced in `ratelimit-limit`.
    pub fn limit(&self) -> u64 {
        self.shared.limit
    }

    /// The pulls left in the window.
    pub fn remaining(&self) -> u64 {
        self.shared.remaining.load(Ordering::SeqCst)
    }

    /// Sets the pulls left, as a new window would. (A `GET` in flight that is not answered 200 still gives its
    /// pull back afterwards.)
    pub fn set_remaining(&self, remaining: u64) {
        self.shared.remaining.store(remaining, Ordering::SeqCst);
    }

    /// Every HTTP request the proxy answered or is answering (a TLS `ClientHello` is not one: hyper refuses it
    /// before the proxy sees a request).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Manifest `HEAD` requests received, whatever their answer.
    pub fn manifest_heads(&self) -> u64 {
        self.shared.manifest_heads.load(Ordering::SeqCst)
    }

    /// Manifest `GET` requests forwarded and answered 200: the pulls spent.
    pub fn manifest_gets(&self) -> u64 {
        self.shared.manifest_gets.load(Ordering::SeqCst)
    }

    /// Manifest `GET` requests the proxy refused with its own 429, none of which reached the registry.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Pulls spent on manifest `reference` (a tag, or a digest such as `sha256:…`): `GET`s of
    /// `/v2/<any name>/manifests/<reference>` answered 200.
    pub fn gets_of(&self, reference: &str) -> u64 {
        let log = lock(&self.shared.log);
        let count = log
            .iter()
            .filter(|entry| {
                entry.method == Method::GET
                    && entry.status == StatusCode::OK
                    && entry.reference.as_deref() == Some(reference)
            })
            .count();
        count as u64
    }

    /// Every request answered so far as `(method, path and query, status)`, in the order their answers' heads were
    /// sent; `502` stands for a registry the proxy could not reach.
    pub fn log(&self) -> Vec<(String, String, u16)> {
        lock(&self.shared.log)
            .iter()
            .map(|entry| (entry.method.to_string(), entry.target.clone(), entry.status.as_u16()))
            .collect()
    }
}

impl std::fmt::Debug for RateLimitProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .field("limit", &self.shared.limit)
            .field("remaining", &self.remaining())
            .finish_non_exhaustive()
    }
}

impl Drop for RateLimitProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Answers one request: the quota for manifest requests, forwarding for everything else.
async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let delay = *lock(&shared.delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", PathAndQuery::as_str)
        .to_owned();
    let reference = manifest_reference(request.uri().path()).map(str::to_owned);
    let response = match (&method, &reference) {
        (&Method::GET, Some(_)) => {
            let taken = shared
                .remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1));
            match taken {
                Err(_) => {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    with_quota(&shared, too_many_requests(), 0)
                }
                Ok(before) => {
                    let response = forward(&shared, request).await;
                    let left = if response.status() == StatusCode::OK {
                        shared.manifest_gets.fetch_add(1, Ordering::SeqCst);
                        before - 1
                    } else {
                        shared.remaining.fetch_add(1, Ordering::SeqCst) + 1
                    };
                    with_quota(&shared, response, left)
                }
            }
        }
        (&Method::HEAD, Some(_)) => {
            shared.manifest_heads.fetch_add(1, Ordering::SeqCst);
            let response = forward(&shared, request).await;
            if shared.quiet_heads.load(Ordering::SeqCst) {
                response
            } else {
                let left = shared.remaining.load(Ordering::SeqCst);
                with_quota(&shared, response, left)
            }
        }
        _ => forward(&shared, request).await,
    };
    lock(&shared.log).push(Logged {
        method,
        target,
        reference,
        status: response.status(),
    });
    Ok(response)
}

/// The reference of a manifest path, `/v2/<name>/manifests/<reference>`.
fn manifest_reference(path: &str) -> Option<&str> {
    let (name, reference) = path.strip_prefix("/v2/")?.rsplit_once("/manifests/")?;
    (!name.is_empty() && !reference.is_empty() && !reference.contains('/')).then_some(reference)
}

/// Sends `request` to the registry and hands back its answer, the body streamed; a 502 when it cannot be reached.
async fn forward(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let (mut parts, body) = request.into_parts();
    let target = parts.uri.path_and_query().map_or("/", PathAndQuery::as_str);
    parts.uri = match format!("http://{}{target}", shared.upstream).parse() {
        Ok(uri) => uri,
        Err(err) => return text(StatusCode::BAD_REQUEST, &format!("rate-limit proxy: bad target: {err}")),
    };
    strip_hop_by_hop(&mut parts.headers);
    match shared.client.request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.boxed())
        }
        Err(err) => text(
            StatusCode::BAD_GATEWAY,
            &format!("rate-limit proxy: {} did not answer: {err}", shared.upstream),
        ),
    }
}

/// Removes the hop-by-hop headers, and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// `response` with Docker Hub's rate-limit headers, `left` pulls remaining.
fn with_quota(shared: &Shared, mut response: Response<Body>, left: u64) -> Response<Body> {
    let source = lock(&shared.source).clone();
    let headers = response.headers_mut();
    let quota = |n: u64| HeaderValue::from_str(&format!("{n};w={WINDOW_SECONDS}")).unwrap();
    headers.insert("ratelimit-limit", quota(shared.limit));
    headers.insert("ratelimit-remaining", quota(left));
    headers.insert("docker-ratelimit-source", source);
    response
}

/// The proxy's own 429, as Docker Hub sends it (without the rate-limit headers, which [`with_quota`] adds).
fn too_many_requests() -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(TOO_MANY_REQUESTS_BODY.as_bytes())));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A plain-text answer of the proxy's own.
fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(message.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_and_their_references() {
        assert_eq!(manifest_reference("/v2/app/manifests/latest"), Some("latest"));
        assert_eq!(
            manifest_reference("/v2/library/nginx/manifests/sha256:abc"),
            Some("sha256:abc")
        );
        // A repository may itself be called `manifests`.
        assert_eq!(manifest_reference("/v2/a/manifests/manifests/v1"), Some("v1"));
        for path in [
            "/v2/",
            "/v2/app/manifests/",
            "/v2//manifests/latest",
            "/v2/app/blobs/sha256:abc",
            "/v2/app/tags/list",
            "/v3/app/manifests/latest",
        ] {
            assert_eq!(manifest_reference(path), None, "{path}");
        }
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-private"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:5000"));
        strip_hop_by_hop(&mut headers);
        let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["content-length", "host"]);
    }
}
