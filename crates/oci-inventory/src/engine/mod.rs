//! The engine client: the crate's only network IO. HTTP/1.1 `GET`s on one connection to a Docker or Podman
//! engine over its unix socket or plain TCP, with timeouts and bounded bodies.
//!
//! It never writes: the one function that builds requests ([`get_request`]) builds them with [`Method::GET`] and
//! takes nothing but a path, so no code path can send another method. The events stream
//! ([`Engine::container_events`]) is a `GET` too, on a connection of its own.

mod address;
pub(crate) mod context;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, HeaderMap, USER_AGENT};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

pub use address::{DOCKER_SOCKET, EngineAddress, EngineKind, Environment, Located, Origin, PODMAN_ROOT_SOCKET};

pub use crate::answers::ContainerEvent;
use crate::answers::{
    ApiVersion, parse_container, parse_containers, parse_error_message, parse_image, parse_info, parse_info_mirrors,
    parse_libpod_image, parse_ping_version, parse_version,
};
use crate::assemble::Assembly;
use crate::error::{Error, ErrorKind};
use crate::text::quote;
use crate::workload::{Source, Workload};

/// Limits for talking to an engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineOptions {
    connect_timeout: Duration,
    request_timeout: Duration,
    total_timeout: Option<Duration>,
    body_limit: usize,
}

/// A connected engine, spoken to in the API version it offers (capped at [`ApiVersion::MAXIMUM`]).
///
/// Its futures need a tokio runtime with IO and timers (a current-thread one is enough): the connection is driven
/// by a task spawned on it, aborted when the `Engine` is dropped.
#[derive(Debug)]
pub struct Engine {
    located: Located,
    options: EngineOptions,
    connection: Option<Connection>,
    api: ApiVersion,
    /// Podman's own API version (`Libpod-Api-Version`), for its `/libpod` endpoints.
    libpod: Option<String>,
    source: Source,
    requests: u64,
    /// When the total timeout runs out, counted from `connect`.
    deadline: Option<Instant>,
}

/// One HTTP/1.1 connection and the task driving it.
#[derive(Debug)]
struct Connection {
    sender: http1::SendRequest<Empty<Bytes>>,
    task: JoinHandle<()>,
}

/// Why an exchange failed: before any answer (the connection was dead; a GET may be sent again), or otherwise.
enum Failure {
    BeforeAnswer(Error),
    Other(Error),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Self::BeforeAnswer(error) | Self::Other(error) => error,
        }
    }
}

/// An answer: status, headers, and the body read within the limit.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl EngineOptions {
    /// The largest answer read by default: 16 MiB, far above a listing of thousands of containers.
    pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

    /// 5 s to connect, 30 s per request, bodies up to [`DEFAULT_BODY_LIMIT`](Self::DEFAULT_BODY_LIMIT).
    pub fn new() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            total_timeout: None,
            body_limit: Self::DEFAULT_BODY_LIMIT,
        }
    }

    /// How long connecting may take.
    #[must_use]
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// How long one request may take, from sending it to the end of the body.
    #[must_use]
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = limit;
        self
    }

    /// How long everything may take in all, from [`Engine::connect`] on: connecting, the version, the list and
    /// every inspect of [`Engine::workloads`]. Without it only each request is bounded, and an engine that answers
    /// each of a thousand requests just in time keeps the caller for a thousand request timeouts.
    #[must_use]
    pub fn total_timeout(mut self, limit: Duration) -> Self {
        self.total_timeout = Some(limit);
        self
    }

    /// The largest body read, in bytes.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    /// Connects to the engine at `located` and agrees on the API version: `GET /_ping`'s `Api-Version` header,
    /// else `GET /version`. A `Libpod-Api-Version` header (or a `Podman Engine` component) says it is podman,
    /// whatever `located` was looking for.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SocketNotFound`], [`ErrorKind::PermissionDenied`] or [`ErrorKind::Connect`] with what to do;
    /// [`ErrorKind::Timeout`] (a request, connecting, or the [total timeout](EngineOptions::total_timeout), which
    /// starts here); [`ErrorKind::NotAnEngine`] when what answers is no engine;
    /// [`ErrorKind::UnsupportedApiVersion`] for an engine older than [`ApiVersion::MINIMUM`].
    pub async fn connect(located: Located, options: EngineOptions) -> Result<Self, Error> {
        let deadline = options
            .total_timeout
            .and_then(|limit| Instant::now().checked_add(limit));
        let mut engine = Self {
            source: match located.kind() {
                EngineKind::Podman => Source::Podman,
                _ => Source::Docker,
            },
            located,
            deadline,
            options,
            connection: None,
            api: ApiVersion::MINIMUM,
            libpod: None,
            requests: 0,
        };
        let ping = engine.get("/_ping").await?;
        let podman_header = ping.headers.contains_key("libpod-api-version")
            || ping
                .headers
                .get("server")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|server| server.starts_with("Libpod"));
        engine.libpod = ping
            .headers
            .get("libpod-api-version")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .map(str::to_owned);
        let offered = match ping.headers.get("api-version") {
            Some(value) if ping.status.is_success() => {
                engine.source = if podman_header { Source::Podman } else { Source::Docker };
                parse_ping_version(value.as_bytes())?
            }
            _ => {
                let version = engine.get("/version").await?;
                let info = (version.status == StatusCode::OK)
                    .then(|| parse_version(&version.body).ok())
                    .flatten()
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::NotAnEngine,
                            format!(
                                "{} answers HTTP, but not as a Docker or Podman engine (no `Api-Version` from /_ping, \
                                 no version from /version)",
                                engine.located.address()
                            ),
                        )
                    })?;
                engine.source = if info.podman || podman_header {
                    Source::Podman
                } else {
                    Source::Docker
                };
                info.api_version
            }
        };
        engine.api = ApiVersion::negotiate(offered)?;
        Ok(engine)
    }

    /// [`Source::Docker`] or [`Source::Podman`], as the engine showed itself.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The API version spoken.
    pub fn api_version(&self) -> ApiVersion {
        self.api
    }

    /// Where the engine is.
    pub fn located(&self) -> &Located {
        &self.located
    }

    /// How many requests were sent so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The containers as workloads: the running ones, or with `all` also created, paused and exited ones.
    ///
    /// It lists the containers (`GET /containers/json`), inspects each distinct image once
    /// (`GET /images/{id}/json`; an image the engine no longer knows leaves the workload without digests), asks
    /// podman's own API for the pull digest of images whose names are gone (`GET /libpod/images/{id}/json`), reads
    /// `Config.Image` of the containers the list names by image ID only (`GET /containers/{id}/json`), and asks
    /// for the engine's platform (`GET /info`) only when an image has none.
    ///
    /// # Errors
    ///
    /// Those of the requests, as [`connect`](Self::connect); [`ErrorKind::Status`] when the engine refuses one;
    /// [`ErrorKind::InvalidJson`] and [`ErrorKind::InvalidField`] for answers that are not what the API describes.
    pub async fn workloads(&mut self, all: bool) -> Result<Vec<Workload>, Error> {
        let list = if all {
            "/containers/json?all=1"
        } else {
            "/containers/json"
        };
        let body = self.get_ok(list).await?;
        let mut assembly = Assembly::new(self.source.clone(), parse_containers(&body)?);
        for id in assembly.images_needed() {
            let answer = self.get_versioned(&format!("/images/{id}/json")).await?;
            let details = match answer.status {
                StatusCode::OK => Some(parse_image(&answer.body)?),
                StatusCode::NOT_FOUND => None,
                _ => return Err(self.status_error(&format!("/images/{id}/json"), &answer)),
            };
            assembly.add_image(id, details);
        }
        if let Some(libpod) = self.libpod.clone() {
            for id in assembly.histories_needed() {
                let path = format!("/v{libpod}/libpod/images/{id}/json");
                let answer = self.get(&path).await?;
                if answer.status == StatusCode::OK {
                    assembly.add_history(id, parse_libpod_image(&answer.body)?);
                }
            }
        }
        for container in assembly.containers_needed() {
            if !is_path_safe(&container) {
                return Err(Error::new(
                    ErrorKind::InvalidField,
                    format!("the container ID {} is not an ID", quote(&container)),
                ));
            }
            let path = format!("/containers/{container}/json");
            let answer = self.get_versioned(&path).await?;
            match answer.status {
                StatusCode::OK => {
                    let details = parse_container(&answer.body)?;
                    assembly.add_configured(&container, details.configured);
                }
                // Removed since the listing: its list entry stands.
                StatusCode::NOT_FOUND => {}
                _ => return Err(self.status_error(&path, &answer)),
            }
        }
        if assembly.needs_engine_platform() {
            let body = self.get_ok("/info").await?;
            assembly.set_engine_platform(parse_info(&body)?);
        }
        assembly.finish()
    }

    /// The Docker Hub mirrors the engine pulls through (`GET /info`, `RegistryConfig.Mirrors`: dockerd's
    /// `registry-mirrors`), as URLs in the engine's order; none for an engine without them.
    ///
    /// # Errors
    ///
    /// Those of the request, as [`connect`](Self::connect); [`ErrorKind::Status`] when the engine refuses; those
    /// of [`parse_info_mirrors`](crate::internal::answers::parse_info_mirrors).
    pub async fn registry_mirrors(&mut self) -> Result<Vec<String>, Error> {
        let body = self.get_ok("/info").await?;
        parse_info_mirrors(&body)
    }

    /// `GET /vX.Y{path}`, which must answer `200 OK`; its body.
    async fn get_ok(&mut self, path: &str) -> Result<Bytes, Error> {
        let answer = self.get_versioned(path).await?;
        if answer.status == StatusCode::OK {
            Ok(answer.body)
        } else {
            Err(self.status_error(path, &answer))
        }
    }

    async fn get_versioned(&mut self, path: &str) -> Result<Answer, Error> {
        let versioned = format!("/v{}{path}", self.api);
        self.get(&versioned).await
    }

    fn status_error(&self, path: &str, answer: &Answer) -> Error {
        let message = parse_error_message(&answer.body)
            .map(|message| format!(": {}", quote(&message)))
            .unwrap_or_default();
        Error::new(
            ErrorKind::Status,
            format!(
                "{} answered GET {path} with {}{message}",
                self.located.address(),
                answer.status
            ),
        )
        .with_status(answer.status.as_u16())
    }

    /// `GET path` within the request timeout (and what is left of the total), on the open connection or a new one.
    /// A request that fails before any answer on a reused connection (the engine closed it while idle) is sent once
    /// more on a new one: a GET may be.
    async fn get(&mut self, path: &str) -> Result<Answer, Error> {
        let (limit, total) = self.limit(self.options.request_timeout);
        let result = match timeout(limit, self.get_within(path)).await {
            Ok(result) => result,
            Err(_) if total => Err(self.total_timeout_error(&format!("GET {path}"))),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} did not answer GET {path} within {} s",
                    self.located.address(),
                    limit.as_secs_f32()
                ),
            )),
        };
        if result.is_err() {
            // The connection may be mid-answer: never reuse it.
            self.connection = None;
        }
        result
    }

    /// The shorter of `own` and what is left of the total timeout, and whether the total is the shorter.
    fn limit(&self, own: Duration) -> (Duration, bool) {
        match self.deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left <= own { (left, true) } else { (own, false) }
            }
            None => (own, false),
        }
    }

    fn total_timeout_error(&self, doing: &str) -> Error {
        let total = self.options.total_timeout.unwrap_or_default();
        Error::new(
            ErrorKind::Timeout,
            format!(
                "reading {} took longer than {} s in all (stopped at {doing})",
                self.located.address(),
                total.as_secs_f32()
            ),
        )
    }

    async fn get_within(&mut self, path: &str) -> Result<Answer, Error> {
        let reusable = self
            .connection
            .as_ref()
            .is_some_and(|c| !c.sender.is_closed() && !c.task.is_finished());
        if !reusable {
            self.connection = Some(self.open().await?);
        }
        match self.exchange(path).await {
            Err(Failure::BeforeAnswer(_)) if reusable => {
                self.connection = Some(self.open().await?);
                self.exchange(path).await.map_err(Failure::into_error)
            }
            result => result.map_err(Failure::into_error),
        }
    }

    /// The one function that sends a request: a `GET` of `path` on the open connection, and its answer with the body
    /// read within the limit.
    async fn exchange(&mut self, path: &str) -> Result<Answer, Failure> {
        let address = self.located.address().to_string();
        let request = get_request(self.located.address(), path).map_err(Failure::Other)?;
        let limit = self.options.body_limit;
        let Some(connection) = self.connection.as_mut() else {
            return Err(Failure::Other(Error::new(ErrorKind::Connect, "no connection")));
        };
        self.requests += 1;
        connection
            .sender
            .ready()
            .await
            .map_err(|err| Failure::BeforeAnswer(not_an_engine(&address, err)))?;
        let response = connection.sender.send_request(request).await.map_err(|err| {
            let before = err.is_canceled() || err.is_closed() || err.is_incomplete_message();
            let error = not_an_engine(&address, err);
            if before {
                Failure::BeforeAnswer(error)
            } else {
                Failure::Other(error)
            }
        })?;
        let (parts, body) = response.into_parts();
        let announced = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || {
            Failure::Other(Error::new(
                ErrorKind::BodyTooLarge,
                format!("{address} answered GET {path} with more than {limit} bytes"),
            ))
        };
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        let body = Limited::new(body, limit).collect().await.map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                Failure::Other(
                    Error::new(
                        ErrorKind::NotAnEngine,
                        format!("{address} broke off its answer to GET {path}"),
                    )
                    .with_source(err),
                )
            }
        })?;
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.to_bytes(),
        })
    }

    async fn open(&self) -> Result<Connection, Error> {
        let address = self.located.address();
        let (limit, total) = self.limit(self.options.connect_timeout);
        let timed_out = || {
            if total {
                self.total_timeout_error("connecting")
            } else {
                Error::new(
                    ErrorKind::Timeout,
                    format!("connecting to {address} took longer than {} s", limit.as_secs_f32()),
                )
            }
        };
        match address {
            EngineAddress::Unix(path) => {
                let stream = timeout(limit, UnixStream::connect(path))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|err| connect_error(&self.located, err))?;
                handshake(stream, address).await
            }
            EngineAddress::Tcp { host, port } => {
                let stream = timeout(limit, TcpStream::connect((host.as_str(), *port)))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|err| connect_error(&self.located, err))?;
                let _ = stream.set_nodelay(true);
                handshake(stream, address).await
            }
        }
    }
}

/// The one builder of requests: a `GET` of `path`, with the `Host` Docker's own client sends.
fn get_request(address: &EngineAddress, path: &str) -> Result<Request<Empty<Bytes>>, Error> {
    let host = match address {
        EngineAddress::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
        EngineAddress::Tcp { host, port } => format!("{host}:{port}"),
        // What Docker's own client sends over a unix socket.
        _ => "localhost".to_owned(),
    };
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(HOST, host)
        .header(USER_AGENT, concat!("oci-inventory/", env!("CARGO_PKG_VERSION")))
        .body(Empty::<Bytes>::new())
        .map_err(|err| Error::new(ErrorKind::InvalidField, format!("cannot request {}", quote(path))).with_source(err))
}

/// The longest line of the events stream read (an event with many labels stays far below).
pub const MAX_EVENT_LINE: usize = 1024 * 1024;

/// The engine's events stream, container creations and starts only, from [`Engine::container_events`]; it ends
/// when the engine closes it.
pub struct ContainerEvents {
    /// Kept open for the stream: dropping it aborts the task driving the connection.
    _connection: Connection,
    body: hyper::body::Incoming,
    buffer: Vec<u8>,
    address: String,
}

impl std::fmt::Debug for ContainerEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerEvents")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Subscribes to the engine's events (`GET /events` filtered to containers' `create` and `start`), on a
    /// connection of its own, so that a watcher can check a new container within seconds. It is a `GET` like every
    /// other request; the timeouts bound connecting and the answer's head, not the stream, which lasts until the
    /// engine closes it or the value is dropped.
    ///
    /// # Errors
    ///
    /// Those of connecting, as [`connect`](Self::connect); [`ErrorKind::Status`] when the engine refuses.
    pub async fn container_events(&mut self) -> Result<ContainerEvents, Error> {
        let filters = r#"{"type":["container"],"event":["create","start"]}"#;
        let path = format!("/v{}/events?filters={}", self.api, percent_encode(filters));
        let address = self.located.address().to_string();
        let mut connection = self.open().await?;
        let request = get_request(self.located.address(), &path)?;
        self.requests += 1;
        let head = async {
            connection.sender.ready().await?;
            connection.sender.send_request(request).await
        };
        let response = timeout(self.options.request_timeout, head)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{address} did not answer GET /events within {} s",
                        self.options.request_timeout.as_secs_f32()
                    ),
                )
            })?
            .map_err(|err| not_an_engine(&address, err))?;
        let (parts, body) = response.into_parts();
        if parts.status != StatusCode::OK {
            let body = Limited::new(body, 64 * 1024)
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            let answer = Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            };
            return Err(self.status_error("/events", &answer));
        }
        Ok(ContainerEvents {
            _connection: connection,
            body,
            buffer: Vec::new(),
            address,
        })
    }
}

impl ContainerEvents {
    /// The next container created or started; `None` when the engine ended the stream. Other events are skipped.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BodyTooLarge`] for a line longer than [`MAX_EVENT_LINE`], [`ErrorKind::NotAnEngine`] when the
    /// stream breaks, and the errors of [`parse_event`](crate::internal::answers::parse_event).
    pub async fn next(&mut self) -> Result<Option<ContainerEvent>, Error> {
        loop {
            while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                if let Some(event) = crate::answers::parse_event(line)? {
                    return Ok(Some(event));
                }
            }
            if self.buffer.len() > MAX_EVENT_LINE {
                return Err(Error::new(
                    ErrorKind::BodyTooLarge,
                    format!("{} sent an event line longer than {MAX_EVENT_LINE} bytes", self.address),
                ));
            }
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(err)) => {
                    return Err(Error::new(
                        ErrorKind::NotAnEngine,
                        format!("{} broke off its events stream", self.address),
                    )
                    .with_source(err));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// `text` with every byte but the unreserved ones as `%XX`, for a query value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a failed connect means, and what to do about it.
fn connect_error(located: &Located, err: std::io::Error) -> Error {
    let address = located.address();
    let advice = located.advice();
    let (kind, message) = match (err.kind(), address) {
        (std::io::ErrorKind::NotFound, EngineAddress::Unix(path)) => (
            ErrorKind::SocketNotFound,
            format!("no engine socket at {}: {advice}", crate::text::path(path)),
        ),
        (std::io::ErrorKind::PermissionDenied, EngineAddress::Unix(path)) => (
            ErrorKind::PermissionDenied,
            format!(
                "permission denied on {}: {}",
                crate::text::path(path),
                match located.kind() {
                    EngineKind::Podman =>
                        "use your own rootless socket ($XDG_RUNTIME_DIR/podman/podman.sock, `systemctl --user \
                             enable --now podman.socket`), or run as root for /run/podman/podman.sock",
                    _ =>
                        "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), \
                             or use rootless podman's socket with --host",
                }
            ),
        ),
        (std::io::ErrorKind::ConnectionRefused, EngineAddress::Unix(path)) => (
            ErrorKind::Connect,
            format!(
                "nothing listens on {} (a socket left behind by a stopped engine?): {advice}",
                crate::text::path(path)
            ),
        ),
        (std::io::ErrorKind::ConnectionRefused, _) => {
            (ErrorKind::Connect, format!("nothing listens at {address}: {advice}"))
        }
        _ => (ErrorKind::Connect, format!("cannot connect to {address}: {advice}")),
    };
    Error::new(kind, message).with_source(err)
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handshake<S>(stream: S, address: &EngineAddress) -> Result<Connection, Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = http1::Builder::new()
        .max_buf_size(64 * 1024)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|err| not_an_engine(&address.to_string(), err))?;
    let task = tokio::spawn(async move {
        // Its errors reach the request that was waiting on it.
        let _ = connection.await;
    });
    Ok(Connection { sender, task })
}

fn not_an_engine(address: &str, err: hyper::Error) -> Error {
    Error::new(
        ErrorKind::NotAnEngine,
        format!("{address} did not answer as an engine's HTTP API does"),
    )
    .with_source(err)
}

/// Whether an ID can go into a path as it is: engines' IDs are hex, names `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn is_path_safe(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !id.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_say_what_to_do() {
        let docker = Located::explicit(EngineKind::Docker, EngineAddress::Unix("/var/run/docker.sock".into()));
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let err = connect_error(&docker, denied());
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(
            err.to_string()
                .starts_with("permission denied on /var/run/docker.sock: add your user to the docker group"),
            "{err}"
        );
        let podman = Located::explicit(
            EngineKind::Podman,
            EngineAddress::Unix("/run/podman/podman.sock".into()),
        );
        let err = connect_error(&podman, denied());
        assert!(err.to_string().contains("rootless socket"), "{err}");
        let err = connect_error(&docker, std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(err.kind(), ErrorKind::SocketNotFound);
        assert_eq!(
            err.to_string(),
            "no engine socket at /var/run/docker.sock: --host names it; is the engine running there?"
        );
    }

    #[test]
    fn ids_in_paths() {
        assert!(is_path_safe("b1d2075707fbfa70"));
        assert!(is_path_safe("my_container-1.2"));
        for bad in ["", "..", "../info", "a/b", "a?b", "a b", "a%2f"] {
            assert!(!is_path_safe(bad), "{bad:?}");
        }
    }
}
