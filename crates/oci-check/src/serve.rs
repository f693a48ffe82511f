//! `watch --listen`: the page, the JSON results, the metrics and a health check, served read-only from the last
//! round (`oci-dashboard` renders them; this is the thin HTTP edge).
//!
//! Safe by default: only `GET` and `HEAD`; loopback unless told otherwise, and a listener on another address needs
//! a token (`--listen-token FILE`: `Authorization: Bearer TOKEN`, or a cookie that `/?token=TOKEN` sets) or an
//! explicit `--listen-insecure`. The page is served with a Content-Security-Policy that allows only its own script
//! and style, and nothing on it comes from elsewhere.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use oci_dashboard::{Filter, Snapshot};

/// What the server shows: the snapshot of the last round and its pre-rendered page and metrics, replaced whole
/// after each round, so a request only copies bytes (or filters the results).
pub(crate) struct Views {
    current: RwLock<Arc<Rendered>>,
    token: Option<String>,
}

struct Rendered {
    snapshot: Snapshot,
    page: Bytes,
    metrics: Bytes,
}

impl Views {
    pub(crate) fn new(snapshot: Snapshot, token: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Arc::new(Rendered::of(snapshot))),
            token,
        })
    }

    /// Shows `snapshot` from now on.
    pub(crate) fn replace(&self, snapshot: Snapshot) {
        let rendered = Arc::new(Rendered::of(snapshot));
        match self.current.write() {
            Ok(mut current) => *current = rendered,
            Err(poisoned) => *poisoned.into_inner() = rendered,
        }
    }

    fn current(&self) -> Arc<Rendered> {
        match self.current.read() {
            Ok(current) => Arc::clone(&current),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

impl Rendered {
    fn of(snapshot: Snapshot) -> Self {
        Self {
            page: Bytes::from(oci_dashboard::page(&snapshot)),
            metrics: Bytes::from(oci_dashboard::metrics(&snapshot)),
            snapshot,
        }
    }
}

/// The address `--listen` names: `HOST:PORT`, `[V6]:PORT`, or a bare `PORT` on loopback.
pub(crate) fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        format!(
            "--listen takes HOST:PORT (an IP address), [IPV6]:PORT or PORT, not `{}`",
            crate::line(text)
        )
    })
}

/// Accepts connections on `listener` for as long as the runtime runs, one task per connection.
pub(crate) async fn serve(listener: tokio::net::TcpListener, views: Arc<Views>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let views = Arc::clone(&views);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let views = Arc::clone(&views);
                async move { Ok::<_, Infallible>(answer(&views, &request)) }
            });
            // A client that goes away mid-request is its own business.
            let _ = http1::Builder::new()
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The answer to one request.
fn answer(views: &Views, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD: this server changes nothing\n",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let path = request.uri().path();
    let query = request.uri().query().unwrap_or_default();
    if path == "/healthz" {
        return plain(StatusCode::OK, "ok\n");
    }
    if let Some(token) = &views.token {
        if path == "/" {
            if let Some(given) = query_value(query, "token") {
                return if same(&given, token) {
                    // The token leaves the URL (and the history) for a cookie only this origin's requests carry.
                    let mut response = plain(StatusCode::SEE_OTHER, "");
                    let headers = response.headers_mut();
                    headers.insert(header::LOCATION, HeaderValue::from_static("/"));
                    if let Ok(cookie) =
                        HeaderValue::from_str(&format!("oci_check_token={token}; Path=/; HttpOnly; SameSite=Strict"))
                    {
                        headers.insert(header::SET_COOKIE, cookie);
                    }
                    response
                } else {
                    unauthorized()
                };
            }
        }
        if !authorized(request, token) {
            return unauthorized();
        }
    }
    let current = views.current();
    match path {
        "/" => {
            let mut response = with_body(StatusCode::OK, "text/html; charset=utf-8", current.page.clone());
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(oci_dashboard::CONTENT_SECURITY_POLICY),
            );
            response
        }
        "/assets/app.js" => with_body(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            Bytes::from_static(oci_dashboard::APP_JS.as_bytes()),
        ),
        "/assets/app.css" => with_body(
            StatusCode::OK,
            "text/css; charset=utf-8",
            Bytes::from_static(oci_dashboard::APP_CSS.as_bytes()),
        ),
        "/assets/icon.svg" => with_body(
            StatusCode::OK,
            "image/svg+xml",
            Bytes::from_static(oci_dashboard::APP_ICON.as_bytes()),
        ),
        "/api/v1/results" => {
            let results = oci_dashboard::results(&current.snapshot, &Filter::from_query(query));
            with_body(
                StatusCode::OK,
                "application/json",
                Bytes::from(serde_json::to_vec(&results).unwrap_or_default()),
            )
        }
        "/metrics" => with_body(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            current.metrics.clone(),
        ),
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Whether the request carries the token, as a bearer token or the cookie.
fn authorized(request: &Request<Incoming>, token: &str) -> bool {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim(), token));
    let cookie = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("oci_check_token="))
        .any(|given| same(given, token));
    bearer || cookie
}

/// Compares in time that does not depend on where the strings differ.
fn same(given: &str, token: &str) -> bool {
    let (a, b) = (given.as_bytes(), token.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for (index, byte) in b.iter().enumerate() {
        diff |= a.get(index).copied().unwrap_or(0) ^ byte;
    }
    diff == 0
}

/// The first value of `name` in a query string, percent-decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            let filter = Filter::from_query(&format!("host={value}"));
            filter.host.unwrap_or_default()
        })
    })
}

fn unauthorized() -> Response<Full<Bytes>> {
    let mut response = plain(
        StatusCode::UNAUTHORIZED,
        "a token is needed: Authorization: Bearer TOKEN, or open /?token=TOKEN once\n",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    with_body(status, "text/plain; charset=utf-8", Bytes::from_static(text.as_bytes()))
}

fn with_body(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(parse_listen("8080"), Ok(SocketAddr::from(([127, 0, 0, 1], 8080))));
        assert_eq!(parse_listen("0.0.0.0:9"), Ok(SocketAddr::from(([0, 0, 0, 0], 9))));
        assert!(parse_listen("[::1]:80").is_ok());
        assert!(parse_listen("localhost:80").is_err());
        assert!(parse_listen("").is_err());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("s3cret", "s3cret"));
        assert!(!same("s3cre", "s3cret"));
        assert!(!same("s3cretX", "s3cret"));
        assert!(!same("", "s3cret"));
        assert!(!same("S3cret", "s3cret"));
    }
}
