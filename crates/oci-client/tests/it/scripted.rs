//! A scripted HTTP/1.1 server on a loopback address for the resilience tests: a handler sees each request (method,
//! target, headers) with its number on the route, and answers raw bytes, or nothing at all (a stall). One request per
//! connection; every request is recorded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    /// Lowercase names.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// Answers a request, given how many earlier requests had the same path: the raw response, or `None` to stall.
pub(crate) type Handler = dyn Fn(&Seen, usize) -> Option<Vec<u8>> + Send + Sync;

pub(crate) struct Scripted {
    ip: Ipv4Addr,
    port: u16,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    pub(crate) fn start(
        ip: Ipv4Addr,
        handler: impl Fn(&Seen, usize) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) -> Self {
        let handler: Arc<Handler> = Arc::new(handler);
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (thread_stop, thread_seen) = (Arc::clone(&stop), Arc::clone(&seen));
        let thread = std::thread::spawn(move || {
            let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, seen, counts, stop) = (
                    Arc::clone(&handler),
                    Arc::clone(&thread_seen),
                    Arc::clone(&counts),
                    Arc::clone(&thread_stop),
                );
                std::thread::spawn(move || {
                    let Some(request) = read_request(&stream) else { return };
                    let n = {
                        let mut counts = counts.lock().unwrap();
                        let n = counts.entry(request.path().to_owned()).or_default();
                        *n += 1;
                        *n - 1
                    };
                    seen.lock().unwrap().push(request.clone());
                    let mut stream = stream;
                    match handler(&request, n) {
                        Some(bytes) => {
                            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
                            let _ = stream.write_all(&bytes);
                        }
                        None => {
                            for _ in 0..300 {
                                if stop.load(Ordering::SeqCst) {
                                    break;
                                }
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                    }
                });
            }
        });
        Self {
            ip,
            port,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    pub(crate) fn host(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests had this path (the query left out).
    pub(crate) fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path() == path).count()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((self.ip, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header == "\r\n" {
            let length = headers
                .iter()
                .find(|(name, _): &&(String, String)| name == "content-length")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).ok()?;
            return Some(Seen {
                method,
                target,
                headers,
                body,
            });
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
}

/// A response: status line, headers, `Content-Length`, `Connection: close`, and the body unless `HEAD`.
pub(crate) fn reply(seen: &Seen, status: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<Vec<u8>> {
    Some(crate::support::faulty::response(
        status,
        headers,
        body,
        seen.method == "HEAD",
        false,
    ))
}
