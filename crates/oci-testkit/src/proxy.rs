//! A TCP proxy on loopback that counts connections and plain-HTTP request heads, and can delay each direction.
//!
//! Used by the integration tests (counting requests) and the `check_many` benchmark (latency injection, since the
//! kernel here has no netem). Bytes are forwarded as they come, each chunk released `delay` after it was read, so
//! streams stay pipelined: a round trip through the proxy costs twice the delay, however many requests are in
//! flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Counters shared by the proxy's tasks.
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    request_heads: AtomicU64,
}

/// A TCP proxy on 127.0.0.1 in front of one upstream address. Dropping it closes its listener and every
/// connection it forwards.
///
/// Its tasks run on the Tokio runtime it was started on.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 and forwards every connection to `upstream`, delaying each direction by `delay`.
    pub async fn start(upstream: SocketAddr, delay: Duration) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        let accept = tokio::spawn(async move {
            // Owned by the accept task, so that aborting it on drop also ends every forwarded connection.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let counters = Arc::clone(&shared);
                connections.spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = pipe(client_read, server_write, delay, Some(Arc::clone(&counters)));
                    let down = pipe(server_read, client_write, delay, None);
                    let _ = tokio::join!(up, down);
                });
            }
        });
        Self { addr, counters, accept }
    }

    /// `127.0.0.1:PORT`, the address clients use.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::Relaxed)
    }

    /// HTTP/1.1 request heads (each ends with an empty line) seen from clients so far; meaningful only for plain
    /// HTTP requests without bodies, which is what manifest `HEAD` and `GET` requests are.
    pub fn request_heads(&self) -> u64 {
        self.counters.request_heads.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Forwards `from` to `to`, each chunk released `delay` after it was read; counts `\r\n\r\n` when `counters` is set.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    counters: Option<Arc<Counters>>,
) {
    let (sender, mut receiver) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = async move {
        while let Some((read_at, chunk)) = receiver.recv().await {
            if !delay.is_zero() {
                tokio::time::sleep_until(read_at + delay).await;
            }
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    let reader = async move {
        let mut buffer = vec![0_u8; 16 * 1024];
        // The last three bytes of the previous chunk, so that an empty line split across reads is still counted.
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = match from.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = buffer[..n].to_vec();
            if let Some(counters) = &counters {
                tail.extend_from_slice(&chunk);
                let heads = tail.windows(4).filter(|w| *w == b"\r\n\r\n").count();
                counters.request_heads.fetch_add(heads as u64, Ordering::Relaxed);
                let keep = tail.len().min(3);
                tail.drain(..tail.len() - keep);
            }
            if sender.send((Instant::now(), chunk)).is_err() {
                break;
            }
        }
    };
    tokio::join!(reader, writer);
}
