//! A tiny HTTP/1.1 server on loopback answering canned responses, for what the real registry never does (a missing
//! or wrong `Docker-Content-Digest`, an oversized or chunked body). One request per connection.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Answers a request (method, path) with the raw bytes of a response, `Connection: close` included.
pub(crate) type Handler = dyn Fn(&str, &str) -> Vec<u8> + Send + Sync;

pub(crate) struct FaultyServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultyServer {
    pub(crate) fn start(handler: Box<Handler>) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (thread_stop, thread_requests) = (Arc::clone(&stop), Arc::clone(&requests));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let Some((method, path)) = read_request(&stream) else {
                    continue;
                };
                thread_requests.lock().unwrap().push(format!("{method} {path}"));
                let response = handler(&method, &path);
                // Written on its own thread: a client that stops reading must not block the next connection, nor
                // the server's drop while the client's runtime is blocked in it.
                let mut stream = stream;
                std::thread::spawn(move || {
                    let _ = stream.set_write_timeout(Some(std::time::Duration::from_secs(5)));
                    let _ = stream.write_all(&response);
                });
            }
        });
        Self {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The requests served so far, as `METHOD PATH`.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FaultyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split(' ');
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            return Some((method, path));
        }
    }
}

/// A response with `headers` and `body`; `Content-Length` is added unless `chunked`.
pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &[u8], head: bool, chunked: bool) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if chunked {
        out.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    }
    let mut out = out.into_bytes();
    if head {
        return out;
    }
    if chunked {
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
