//! A fault-injecting HTTP/1.1 server on loopback, for what the real registry never does: scripted or computed
//! replies, well-formed, raw (malformed, truncated) or none at all (a stall), and every request recorded with its
//! body.
//!
//! Each connection gets its own thread and one request (`Connection: close`), so a stalled reply never holds up
//! another. A server answers either from per-route scripts ([`FaultServer::start`], [`FaultServer::route`]) or from
//! a function of the request ([`FaultServer::with_handler`]). Any address of 127.0.0.0/8 plays another host
//! ([`FaultServer::start_on`], [`OTHER_HOST`]).

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Another loopback address: another host as far as origins go.
pub const OTHER_HOST: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The longest a stalled connection is held open (the server's drop ends it sooner).
const STALL_LIMIT: Duration = Duration::from_secs(30);

/// The largest request body read (and recorded).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A well-formed response with `Connection: close`; the body is left out for `HEAD`.
    Response {
        /// The status code.
        status: u16,
        /// Headers, in order, before the framing header.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
        /// Chunked transfer coding (chunks of 1000 bytes) instead of `Content-Length`.
        chunked: bool,
    },
    /// Bytes written as they are, then the connection is closed: for malformed or truncated responses.
    Raw(Vec<u8>),
    /// Read the request, then never answer (until the server is dropped).
    Stall,
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

/// Computes the reply to a request, given how many earlier requests had the same path (query ignored).
type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// The server on a free port; dropping it stops it and ends its stalls.
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    stop: AtomicBool,
    answer: Answer,
    requests: Mutex<Vec<Request>>,
    per_path: Mutex<HashMap<String, usize>>,
}

enum Answer {
    Routes(Mutex<HashMap<String, VecDeque<Reply>>>),
    Handler(Box<Handler>),
}

impl Reply {
    /// A response with `status`, no headers and an empty body.
    pub fn status(status: u16) -> Self {
        Self::Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }

    /// A response with `status`, `headers` and `body`.
    pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        headers
            .iter()
            .fold(Self::status(status), |reply, (name, value)| reply.header(name, value))
            .body(body)
    }

    /// The same response with one more header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Response { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// The same response with `body`.
    #[must_use]
    pub fn body(mut self, bytes: &[u8]) -> Self {
        if let Self::Response { body, .. } = &mut self {
            *body = bytes.to_vec();
        }
        self
    }

    /// The same response sent with chunked transfer coding: no `Content-Length` to refuse it up front.
    #[must_use]
    pub fn chunked(mut self) -> Self {
        if let Self::Response { chunked, .. } = &mut self {
            *chunked = true;
        }
        self
    }

    /// A 200 whose `Content-Length` promises `promised` bytes, of which only `body` is sent before closing.
    pub fn truncated(headers: &[(&str, &str)], body: &[u8], promised: usize) -> Self {
        let mut out = String::from("HTTP/1.1 200 OK\r\nConnection: close\r\n");
        for (name, value) in headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        let _ = write!(out, "Content-Length: {promised}\r\n\r\n");
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        Self::Raw(out)
    }

    /// A redirect with `status` (301, 302, 307 or 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    fn bytes(&self, method: &str) -> Vec<u8> {
        match self {
            Self::Raw(bytes) => bytes.clone(),
            Self::Stall => Vec::new(),
            Self::Response {
                status,
                headers,
                body,
                chunked,
            } => {
                let mut out = format!("HTTP/1.1 {status} {}\r\nConnection: close\r\n", reason(*status));
                for (name, value) in headers {
                    let _ = write!(out, "{name}: {value}\r\n");
                }
                if *chunked {
                    out.push_str("Transfer-Encoding: chunked\r\n\r\n");
                } else {
                    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
                }
                let mut out = out.into_bytes();
                if method == "HEAD" {
                    return out;
                }
                if *chunked {
                    for chunk in body.chunks(1000) {
                        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                        out.extend_from_slice(chunk);
                        out.extend_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(b"0\r\n\r\n");
                } else {
                    out.extend_from_slice(body);
                }
                out
            }
        }
    }
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

impl FaultServer {
    /// A scripted server on 127.0.0.1: routes added with [`route`](Self::route), a 404 for anything else.
    pub fn start() -> Self {
        Self::start_on(Ipv4Addr::LOCALHOST)
    }

    /// A scripted server on another loopback address (any of 127.0.0.0/8), to play another host.
    pub fn start_on(ip: Ipv4Addr) -> Self {
        Self::spawn(ip, Answer::Routes(Mutex::new(HashMap::new())))
    }

    /// A server on `ip` that answers each request with `handler(request, n)`, where `n` is how many earlier
    /// requests had the same path (query ignored): 0 for the first.
    pub fn with_handler(ip: Ipv4Addr, handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::spawn(ip, Answer::Handler(Box::new(handler)))
    }

    /// Adds `replies` to the route `target` (a path, or a path with its query; the full target is looked up first,
    /// then its path). Each route plays its replies in order and then repeats the last one.
    ///
    /// # Panics
    ///
    /// On a server started [`with_handler`](Self::with_handler).
    pub fn route(&self, target: &str, replies: impl IntoIterator<Item = Reply>) -> &Self {
        let Answer::Routes(routes) = &self.state.answer else {
            panic!("route: this fault server answers with a handler");
        };
        routes
            .lock()
            .unwrap()
            .entry(target.to_owned())
            .or_default()
            .extend(replies);
        self
    }

    /// `host:port`, as a registry name.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Every request received so far as `METHOD TARGET`.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|request| format!("{} {}", request.method, request.target))
            .collect()
    }

    /// How many requests for `path` (query ignored) were received.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }

    fn spawn(ip: Ipv4Addr, answer: Answer) -> Self {
        let listener =
            TcpListener::bind((IpAddr::V4(ip), 0)).unwrap_or_else(|err| panic!("could not listen on {ip}: {err}"));
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            stop: AtomicBool::new(false),
            answer,
            requests: Mutex::new(Vec::new()),
            per_path: Mutex::new(HashMap::new()),
        });
        let accept_state = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&accept_state);
                std::thread::spawn(move || serve(&state, stream));
            }
        });
        Self {
            addr,
            state,
            thread: Some(thread),
        }
    }
}

impl std::fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What [`get`] received: the status, the headers and the body.
pub type Fetched = (u16, http::HeaderMap, Vec<u8>);

/// A plain HTTP/1.1 GET over a fresh connection with a 2-second read timeout, for tests of the server itself:
/// status, headers, body.
pub fn get(addr: &str, target: &str, headers: &[(&str, &str)]) -> std::io::Result<Fetched> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let mut headers = http::HeaderMap::new();
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        let name = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(std::io::Error::other)?;
        let value = http::HeaderValue::from_str(value.trim()).map_err(std::io::Error::other)?;
        headers.append(name, value);
    }
    Ok((status, headers, raw[end + 4..].to_vec()))
}

fn serve(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    let earlier = {
        let mut per_path = state.per_path.lock().unwrap();
        let count = per_path.entry(request.path().to_owned()).or_default();
        *count += 1;
        *count - 1
    };
    let reply = match &state.answer {
        Answer::Handler(handler) => handler(&request, earlier),
        Answer::Routes(routes) => scripted(&mut routes.lock().unwrap(), &request),
    };
    let method = request.method.clone();
    state.requests.lock().unwrap().push(request);
    let mut stream = stream;
    if let Reply::Stall = reply {
        let start = Instant::now();
        while !state.stop.load(Ordering::SeqCst) && start.elapsed() < STALL_LIMIT {
            std::thread::sleep(Duration::from_millis(20));
        }
        return;
    }
    // A client that stops reading (an oversized body refused) must not hold this thread for long.
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(&reply.bytes(&method));
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Drain what the client still sends, so that closing does not reset the connection before it read the reply.
    let mut sink = [0u8; 1024];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// The next scripted reply for `request`: by full target, then by path; a 404 when neither has a route.
fn scripted(routes: &mut HashMap<String, VecDeque<Reply>>, request: &Request) -> Reply {
    let key = if routes.contains_key(&request.target) {
        Some(request.target.clone())
    } else {
        Some(request.path().to_owned()).filter(|path| routes.contains_key(path))
    };
    match key.and_then(|key| routes.get_mut(&key)) {
        Some(queue) if queue.len() > 1 => queue.pop_front(),
        Some(queue) => queue.front().cloned(),
        None => None,
    }
    .unwrap_or_else(|| Reply::status(404))
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.trim_end().split(' ');
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0u8; length.min(BODY_LIMIT)];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_leave_the_body_out_for_head_and_can_be_chunked() {
        let reply = Reply::response(200, &[("X-A", "1")], b"hello");
        assert_eq!(
            reply.bytes("GET"),
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello"
        );
        assert_eq!(
            reply.bytes("HEAD"),
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: 1\r\nContent-Length: 5\r\n\r\n"
        );
        let chunked = Reply::status(200).body(&[b'x'; 1500]).chunked().bytes("GET");
        let text = String::from_utf8(chunked).unwrap();
        assert!(text.contains("Transfer-Encoding: chunked\r\n\r\n3e8\r\n"), "{text}");
        let last = format!("\r\n1f4\r\n{}\r\n0\r\n\r\n", "x".repeat(500));
        assert!(text.ends_with(&last), "{text}");
    }
}
