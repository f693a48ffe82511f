//! The real ntfy server (`ntfy serve`) on a free loopback port: one process per fixture, killed on drop.
//!
//! Each server has a directory of its own holding its configuration, its message cache (an SQLite file, so that
//! messages can be read back with ntfy's own JSON API: `GET /TOPIC/json?poll=1&since=all`), its user database when
//! it has users, and its log. It talks to nothing else: no upstream server, no Firebase, no SMTP, no attachments
//! (no attachment directory), no web app, and `behind-proxy` off so the client's own address is the visitor.
//! 127.0.0.1 is exempt from the visitor rate limits: a test's bursts are not what it tests.
//!
//! [`Ntfy::start_with_user`] makes a server that refuses anonymous clients (`auth-default-access: deny-all`) and
//! knows one user, who may read and write one topic. The user is added with ntfy's own `ntfy user add`, the
//! password handed over in `NTFY_PASSWORD` (never on a command line), once the running server has created its
//! user database.
//!
//! The binary is the one `OCI_TEST_NTFY` names, else the one `cargo xtask test` unpacks from Debian's `ntfy`
//! package to `target/test-tools/ntfy/usr/bin/ntfy` in the workspace ([`NTFY_UNPACKED`]).

use std::fmt;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::tool;
use crate::{TempDir, base64, free_port};

/// Where `cargo xtask test` unpacks Debian's ntfy package's server binary (the tests also honour `OCI_TEST_NTFY`).
pub const NTFY_UNPACKED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-tools/ntfy/usr/bin/ntfy");

/// How long ntfy may take to answer its health check, and one request its answer.
const WAIT: Duration = Duration::from_secs(30);

/// `ntfy serve` on a free port of 127.0.0.1 with a directory of its own; killed, and the directory removed, on
/// drop. Its `Debug` output shows `***` for the password.
pub struct Ntfy {
    child: Child,
    binary: PathBuf,
    port: u16,
    user: Option<User>,
    dir: TempDir,
}

/// The one user of a server started with [`Ntfy::start_with_user`].
struct User {
    name: String,
    password: String,
    topic: String,
}

impl Ntfy {
    /// A server that anyone may publish to and read from.
    ///
    /// # Panics
    ///
    /// When the binary is missing (the message says how to get it) or the server does not answer within 30 s (the
    /// message quotes its log).
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// A server that refuses anonymous clients and knows one user, `user` with `password`, who may publish to and
    /// read `topic` (and no other topic). [`messages`](Self::messages) reads as that user.
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start), and when `user` or `topic` is not a name ntfy takes (letters, digits, `-`, `_`),
    /// or `ntfy user add` or `ntfy access` fails (the message quotes their output).
    pub fn start_with_user(user: &str, password: &str, topic: &str) -> Self {
        assert!(is_name(user), "`{user}` is not an ntfy user name");
        assert_topic(topic);
        let server = Self::launch(Some(User {
            name: user.to_owned(),
            password: password.to_owned(),
            topic: topic.to_owned(),
        }));
        server.add_user();
        server
    }

    /// `http://127.0.0.1:PORT`, without credentials.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's directory: `server.yml`, `cache.db`, `user.db` (with a user), `ntfy.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log as it stands.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ntfy.log")).unwrap_or_default()
    }

    /// Every message the server keeps for `topic`, oldest first, as ntfy's JSON API gives them
    /// (`GET /TOPIC/json?poll=1&since=all`, as the server's user when it has one): objects with `id`, `time`,
    /// `event` (`message`), `topic`, `message` and, when they were sent, `title`, `tags`, `priority`, `click`...
    ///
    /// # Panics
    ///
    /// When `topic` is not a topic name, or the server does not answer `200` with one JSON object per line.
    pub fn messages(&self, topic: &str) -> Vec<serde_json::Value> {
        assert_topic(topic);
        let (status, body) = self.get(&format!("/{topic}/json?poll=1&since=all"));
        assert_eq!(
            status,
            200,
            "ntfy answered {status} to the poll of `{topic}`: {}",
            String::from_utf8_lossy(&body)
        );
        String::from_utf8(body)
            .unwrap()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|err| panic!("ntfy sent a poll line that is not JSON ({err}): {line}"))
            })
            // Polls carry messages only; a keepalive or open event would not be one.
            .filter(|event| event["event"] == "message")
            .collect()
    }

    fn launch(user: Option<User>) -> Self {
        let binary = tool(
            "OCI_TEST_NTFY",
            NTFY_UNPACKED,
            "run `cargo xtask test`, which unpacks Debian's ntfy package there",
        );
        // A port that was free a moment ago may be taken before ntfy binds it: then try another.
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("oci-testkit-ntfy");
            let port = free_port();
            write_config(dir.path(), port, user.is_some());
            let log = std::fs::File::create(dir.path().join("ntfy.log")).unwrap();
            let child = ntfy_command(&binary)
                .arg("serve")
                .arg("--config")
                .arg(dir.path().join("server.yml"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {}: {err}", binary.display()));
            let mut server = Self {
                child,
                binary: binary.clone(),
                port,
                user: None,
                dir,
            };
            if server.wait_until_healthy() {
                server.user = user;
                return server;
            }
            last_log = server.logs();
        }
        panic!("ntfy did not start; its last log:\n{last_log}");
    }

    /// Whether `GET /v1/health` answers `{"healthy":true}` within [`WAIT`], while the process runs.
    fn wait_until_healthy(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return false;
            }
            let healthy = self.try_get("/v1/health").is_some_and(|(status, body)| {
                status == 200
                    && serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|health| health["healthy"] == true)
            });
            if healthy {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Adds the user and grants them their topic, with ntfy's own commands on the running server's user database
    /// (the server creates it when it starts, and reads users from it for each request).
    fn add_user(&self) {
        let user = self.user.as_ref().expect("add_user: a server with a user");
        let config = self.dir.path().join("server.yml");
        let add = ntfy_command(&self.binary)
            .arg("user")
            .arg("--config")
            .arg(&config)
            .args(["add", &user.name])
            .env("NTFY_PASSWORD", &user.password)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            add.status.success(),
            "`ntfy user add {}` failed ({}): {}",
            user.name,
            add.status,
            String::from_utf8_lossy(&add.stderr)
        );
        let grant = ntfy_command(&self.binary)
            .arg("access")
            .arg("--config")
            .arg(&config)
            .args([&user.name, &user.topic, "read-write"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            grant.status.success(),
            "`ntfy access {} {} read-write` failed ({}): {}",
            user.name,
            user.topic,
            grant.status,
            String::from_utf8_lossy(&grant.stderr)
        );
    }

    /// `GET path` as the server's user, if any; the status and body.
    ///
    /// # Panics
    ///
    /// When the request cannot be sent or its answer read within [`WAIT`].
    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        self.try_get(path)
            .unwrap_or_else(|| panic!("ntfy did not answer GET {path}; its log:\n{}", self.logs()))
    }

    /// HTTP/1.0, so that the server neither keeps the connection nor chunks the body: the body is what comes
    /// until it closes.
    fn try_get(&self, path: &str) -> Option<(u16, Vec<u8>)> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(WAIT)).ok()?;
        stream.set_write_timeout(Some(WAIT)).ok()?;
        let mut request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n", self.port);
        if let Some(user) = &self.user {
            let credentials = base64(format!("{}:{}", user.name, user.password).as_bytes());
            request.push_str(&format!("Authorization: Basic {credentials}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).ok()?;
        let end = reply.windows(4).position(|window| window == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&reply[..end]).ok()?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, reply[end + 4..].to_vec()))
    }
}

impl fmt::Debug for Ntfy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ntfy")
            .field("port", &self.port)
            .field("pid", &self.child.id())
            .field("user", &self.user.as_ref().map(|user| &user.name))
            .field("password", &self.user.as_ref().map(|_| "***"))
            .field("topic", &self.user.as_ref().map(|user| &user.topic))
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Drop for Ntfy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's configuration file. Every path is in `dir`; whatever is not set is off (upstream, Firebase, SMTP,
/// attachments, sign-up, login).
fn write_config(dir: &Path, port: u16, users: bool) {
    let dir = dir.display();
    let mut config = format!(
        "base-url: \"http://127.0.0.1:{port}\"\n\
         listen-http: \"127.0.0.1:{port}\"\n\
         cache-file: \"{dir}/cache.db\"\n\
         cache-duration: \"12h\"\n\
         behind-proxy: false\n\
         web-root: \"disable\"\n\
         visitor-request-limit-exempt-hosts: \"127.0.0.1\"\n"
    );
    if users {
        config.push_str(&format!(
            "auth-file: \"{dir}/user.db\"\n\
             auth-default-access: \"deny-all\"\n"
        ));
    }
    std::fs::write(format!("{dir}/server.yml"), config).unwrap();
}

/// The binary, with no `NTFY_*` variable of the caller's environment: each would override a setting of ours.
fn ntfy_command(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("NTFY_")) {
            command.env_remove(name);
        }
    }
    command
}

/// ntfy's topic and user names: 1 to 64 of letters, digits, `-` and `_`.
fn is_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn assert_topic(topic: &str) {
    assert!(is_name(topic), "`{topic}` is not an ntfy topic name");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_what_ntfy_takes() {
        for (name, ok) in [
            ("alerts", true),
            ("a-b_C9", true),
            (&"x".repeat(64), true),
            ("", false),
            (&"x".repeat(65), false),
            ("a/b", false),
            ("a b", false),
            ("a?b", false),
            ("é", false),
        ] {
            assert_eq!(is_name(name), ok, "{name}");
        }
    }
}
