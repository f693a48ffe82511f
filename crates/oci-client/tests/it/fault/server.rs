//! A fault-injecting HTTP/1.1 server on loopback: scripted replies per request target, every request recorded.
//!
//! Each connection gets its own thread and one request (`Connection: close`), so a stalled reply never holds up
//! another. Replies are looked up by the full request target (`/v2/_catalog?n=2`) first, then by its path; each
//! route plays its replies in order and then repeats the last one. Unknown routes get a 404.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a stalled connection is held open (the server's drop ends it sooner).
const STALL_LIMIT: Duration = Duration::from_secs(30);

/// One scripted reply.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A well-formed response; `Content-Length` is added, and the body is left out for `HEAD`.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Bytes written as they are, then the connection is closed: for malformed or truncated responses.
    Raw(Vec<u8>),
    /// Read the request, then never answer (until the server is dropped).
    Stall,
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) target: String,
    /// Header names in lowercase, in the order received.
    pub(crate) headers: Vec<(String, String)>,
}

/// The server; dropping it stops it.
pub(crate) struct FaultServer {
    addr: SocketAddr,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

struct State {
    stop: AtomicBool,
    routes: Mutex<HashMap<String, VecDeque<Reply>>>,
    requests: Mutex<Vec<Recorded>>,
}

impl Reply {
    /// A response with `status`, no headers and an empty body.
    pub(crate) fn status(status: u16) -> Self {
        Self::Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The same response with one more header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Response { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// The same response with `body`.
    pub(crate) fn body(mut self, bytes: &[u8]) -> Self {
        if let Self::Response { body, .. } = &mut self {
            *body = bytes.to_vec();
        }
        self
    }

    /// A 200 whose `Content-Length` promises `promised` bytes, of which only `body` is sent before closing.
    pub(crate) fn truncated(headers: &[(&str, &str)], body: &[u8], promised: usize) -> Self {
        let mut out = String::from("HTTP/1.1 200 OK\r\nConnection: close\r\n");
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!("Content-Length: {promised}\r\n\r\n"));
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        Self::Raw(out)
    }

    /// A redirect with `status` (301, 302, 307 or 308) to `location`.
    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    fn bytes(&self, method: &str) -> Vec<u8> {
        match self {
            Self::Raw(bytes) => bytes.clone(),
            Self::Stall => Vec::new(),
            Self::Response { status, headers, body } => {
                let mut out = format!("HTTP/1.1 {status} {}\r\nConnection: close\r\n", reason(*status));
                for (name, value) in headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let mut out = out.into_bytes();
                if method != "HEAD" {
                    out.extend_from_slice(body);
                }
                out
            }
        }
    }
}

impl Recorded {
    /// The first value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

impl FaultServer {
    /// A server on 127.0.0.1 and a free port.
    pub(crate) fn start() -> Self {
        Self::start_on(Ipv4Addr::LOCALHOST)
    }

    /// A server on another loopback address (any of 127.0.0.0/8), to play "another host".
    pub(crate) fn start_on(ip: Ipv4Addr) -> Self {
        let listener = TcpListener::bind((IpAddr::V4(ip), 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            stop: AtomicBool::new(false),
            routes: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
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

    /// Adds `replies` to the route `target` (a path, or a path with its query).
    pub(crate) fn route(&self, target: &str, replies: impl IntoIterator<Item = Reply>) -> &Self {
        self.state
            .routes
            .lock()
            .unwrap()
            .entry(target.to_owned())
            .or_default()
            .extend(replies);
        self
    }

    /// `host:port`, as a registry name.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many requests for `path` (query ignored) were received.
    pub(crate) fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
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

fn serve(state: &State, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    let reply = {
        let mut routes = state.routes.lock().unwrap();
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
    let _ = stream.write_all(&reply.bytes(&method));
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Drain what the client still sends, so that closing does not reset the connection before it read the reply.
    let mut sink = [0u8; 1024];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
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
        let (name, value) = header.split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0u8; length.min(16 * 1024 * 1024)];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    }
}

/// What [`get`] received: the status, the headers (names in lowercase) and the body.
pub(crate) type Fetched = (u16, Vec<(String, String)>, Vec<u8>);

/// A plain HTTP/1.1 GET over a fresh connection, for tests of the server itself: status, headers, body.
pub(crate) fn get(addr: &str, target: &str, headers: &[(&str, &str)]) -> std::io::Result<Fetched> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
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
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok((status, headers, raw[end + 4..].to_vec()))
}
