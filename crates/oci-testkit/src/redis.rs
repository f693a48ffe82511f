//! A real Redis (`redis-server`) on a free loopback port, one process per fixture, killed on drop.
//!
//! The server keeps nothing on disk (`--save "" --appendonly no`), listens on 127.0.0.1 only and on a unix socket
//! (`--unixsocket`, mode 700), and runs in a temporary directory of its own (`--dir`) holding its log and socket.
//! [`RedisServer::stop`] kills it and [`RedisServer::pause`] freezes it (`SIGSTOP`), so that tests can show what a
//! client does when Redis went away or hangs; [`RedisServer::restart`] brings it back, empty, on the same port.

use std::fmt;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, free_port};

/// Where the tests look for Redis (they also honour `OCI_TEST_REDIS`).
pub const REDIS: &str = "/usr/bin/redis-server";

/// How long a server may take to answer its first `PING`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// `redis-server` on a free port of 127.0.0.1 with a directory of its own; killed, and the directory removed, on
/// drop. Its `Debug` output shows `***` for the password.
pub struct RedisServer {
    child: Option<Child>,
    binary: PathBuf,
    port: u16,
    password: Option<String>,
    paused: bool,
    dir: TempDir,
}

impl RedisServer {
    /// A server without a password.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing (the message says how to install it) or does not answer `PING` within 20 s
    /// (the message quotes its log).
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// A server that wants `password` (`--requirepass`) before any command but `AUTH`; [`url_with_password`]
    /// is the URL that carries it.
    ///
    /// [`url_with_password`]: Self::url_with_password
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_with_password(password: &str) -> Self {
        Self::launch(Some(password.to_owned()))
    }

    fn launch(password: Option<String>) -> Self {
        let binary = tool("OCI_TEST_REDIS", REDIS, &apt("redis-server"));
        let dir = TempDir::new("oci-testkit-redis");
        let mut server = Self {
            child: None,
            binary,
            port: 0,
            password,
            paused: false,
            dir,
        };
        // A port that was free a moment ago may be taken before redis-server binds it: then try another.
        let mut last_log = String::new();
        for _ in 0..5 {
            server.port = free_port();
            match server.spawn() {
                Ok(()) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("redis-server did not start; its last log:\n{last_log}");
    }

    /// `redis://127.0.0.1:PORT/0`, without the password.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis://:PASSWORD@127.0.0.1:PORT/0`, the password percent-encoded.
    ///
    /// # Panics
    ///
    /// When the server was started without a password.
    pub fn url_with_password(&self) -> String {
        let password = self
            .password
            .as_deref()
            .expect("url_with_password: this server was started without a password");
        format!("redis://:{}@127.0.0.1:{}/0", percent_encode(password), self.port)
    }

    /// `redis+unix:///DIR/redis.sock?db=0`, the server's unix socket, without the password.
    pub fn unix_url(&self) -> String {
        format!("redis+unix://{}?db=0", self.socket().display())
    }

    /// The server's unix socket, `redis.sock` in its [`dir`](Self::dir).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's directory, holding `redis.log` and `redis.sock`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether the server process runs (paused or not).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the server (`SIGKILL`: no goodbye to its clients beyond the kernel closing their connections) and
    /// waits for it; its port is then closed. Does nothing when it is already stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.paused = false;
    }

    /// Starts the server again on the same port, empty (it keeps nothing on disk), stopping it first if it runs.
    ///
    /// # Panics
    ///
    /// When it does not answer `PING` within 20 s (the message quotes its log).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.spawn() {
            panic!("redis-server did not restart on port {}; its log:\n{log}", self.port);
        }
    }

    /// Freezes the server (`SIGSTOP`): connections stay open, and new ones are accepted by the kernel, but nothing
    /// is answered until [`resume`](Self::resume). A hanging Redis, as a client sees it.
    ///
    /// # Panics
    ///
    /// When the server is not running or `kill` fails.
    pub fn pause(&mut self) {
        self.signal("STOP");
        self.paused = true;
    }

    /// Lets a [`pause`](Self::pause)d server run again (`SIGCONT`).
    ///
    /// # Panics
    ///
    /// When the server is not running or `kill` fails.
    pub fn resume(&mut self) {
        self.signal("CONT");
        self.paused = false;
    }

    fn signal(&self, signal: &str) {
        let pid = self.pid().expect("the Redis server is not running");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .unwrap_or_else(|err| panic!("could not run `kill -{signal} {pid}`: {err}"));
        assert!(status.success(), "`kill -{signal} {pid}` failed ({status})");
    }

    /// Starts redis-server on `self.port` and waits until it answers `PING`; on failure, kills it and returns
    /// its log.
    fn spawn(&mut self) -> Result<(), String> {
        let log_path = self.dir.path().join("redis.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut command = Command::new(&self.binary);
        command
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--bind", "127.0.0.1"])
            .args(["--daemonize", "no"])
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--unixsocket")
            .arg(self.socket())
            .args(["--unixsocketperm", "700"]);
        if let Some(password) = &self.password {
            command.arg("--requirepass").arg(password);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {}: {err}", self.binary.display()));
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if !self.is_running() {
                break;
            }
            if self.answers_ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        Err(std::fs::read_to_string(&log_path).unwrap_or_default())
    }

    /// Whether a fresh connection gets `+PONG` to a `PING` (after `AUTH` when the server has a password), written
    /// in RESP over a plain TCP stream.
    fn answers_ping(&self) -> bool {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let mut request = Vec::new();
        let mut expected = Vec::new();
        if let Some(password) = &self.password {
            request.extend_from_slice(format!("*2\r\n$4\r\nAUTH\r\n${}\r\n", password.len()).as_bytes());
            request.extend_from_slice(password.as_bytes());
            request.extend_from_slice(b"\r\n");
            expected.extend_from_slice(b"+OK\r\n");
        }
        request.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        expected.extend_from_slice(b"+PONG\r\n");
        if stream.write_all(&request).is_err() {
            return false;
        }
        let mut reply = vec![0; expected.len()];
        stream.read_exact(&mut reply).is_ok() && reply == expected
    }
}

impl fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisServer")
            .field("port", &self.port)
            .field("pid", &self.child.as_ref().map(Child::id))
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("paused", &self.paused)
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too; resuming first is not needed.
        self.stop();
    }
}

/// Every byte but the URL's unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_bytes_only() {
        assert_eq!(percent_encode("aZ9-._~"), "aZ9-._~");
        assert_eq!(percent_encode("p@ss:w/rd é"), "p%40ss%3Aw%2Frd%20%C3%A9");
    }
}
