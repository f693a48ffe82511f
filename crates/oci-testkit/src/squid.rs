//! A real HTTP proxy, Debian's `squid`, on a free loopback port: one process per fixture, killed on drop.
//!
//! Each proxy has a directory of its own holding its configuration, pid file, logs, password file and hosts file;
//! it keeps no disk cache and caches nothing in memory either (`cache deny all`), so every request reaches the
//! upstream. Its `hosts_file` holds the names [`SquidBuilder::host`] gave it and nothing else of the machine's,
//! so a registry can be given a name (`registry.test`) that resolves only inside the proxy: a client that bypasses
//! the proxy cannot reach it.
//!
//! With [`SquidBuilder::basic_auth`], every request needs `Proxy-Authorization: Basic` for that user, checked by
//! squid's `basic_ncsa_auth` against a password file written here. The hash is bcrypt (`$2y$`): `basic_ncsa_auth`
//! hands the stored hash to the C library's `crypt()`, and Debian's libxcrypt reads bcrypt as well as MD5-crypt
//! (`$1$`), so the registry's htpasswd code serves here too.
//!
//! The access log is written in a format of its own, one request per line, `METHOD URL STATUS USER RESULT`
//! ([`AccessEntry`]); a `CONNECT` tunnel is logged once, when it closes. [`Squid::mark`] sends a request squid
//! refuses by its name alone and waits for its line, so that a test can tell "nothing else came" from "not logged
//! yet".
//!
//! As root, squid drops to the `proxy` user (`cache_effective_user`); the directory is given to that user first.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, free_port};

/// Where the tests look for squid (they also honour `OCI_TEST_SQUID`).
pub const SQUID: &str = "/usr/sbin/squid";

/// Where Debian's squid package keeps the Basic auth helper (the tests also honour `OCI_TEST_SQUID_NCSA_AUTH`).
pub const BASIC_NCSA_AUTH: &str = "/usr/lib/squid/basic_ncsa_auth";

/// How long squid may take to listen, and a log line to appear.
const WAIT: Duration = Duration::from_secs(30);

/// The domain [`Squid::mark`] sends its requests to: refused by name, before any lookup.
const MARK_DOMAIN: &str = "mark.oci-testkit.invalid";

/// What [`Squid`] is started with; [`Squid::builder`] makes one.
#[derive(Debug, Default)]
pub struct SquidBuilder {
    user: Option<(String, String)>,
    hosts: Vec<(String, IpAddr)>,
}

/// Squid on a free port of 127.0.0.1 with a directory of its own; killed, and the directory removed, on drop. Its
/// `Debug` output shows `***` for the password.
pub struct Squid {
    child: Child,
    port: u16,
    user: Option<(String, String)>,
    dir: TempDir,
    marks: AtomicU64,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// `CONNECT`, `GET`, `HEAD`...
    pub method: String,
    /// `HOST:PORT` for `CONNECT`, else the absolute URL.
    pub url: String,
    /// The status squid answered with (`200` for an opened tunnel, `407` when credentials were missing or wrong).
    pub status: u16,
    /// The user who authenticated, when one did.
    pub user: Option<String>,
    /// Squid's result code: `TCP_TUNNEL`, `TCP_MISS`, `TCP_DENIED`...
    pub result: String,
}

impl SquidBuilder {
    /// Wants `Proxy-Authorization: Basic` as `username` with `password` for every request.
    ///
    /// # Panics
    ///
    /// When `username` holds `:` or a line break, which the password file cannot hold.
    pub fn basic_auth(mut self, username: &str, password: &str) -> Self {
        assert!(
            !username.contains([':', '\n', '\r']),
            "a squid user name cannot hold `:` or a line break"
        );
        self.user = Some((username.to_owned(), password.to_owned()));
        self
    }

    /// Resolves `name` to `address` inside the proxy (its own hosts file; no other name of the machine's).
    pub fn host(mut self, name: &str, address: IpAddr) -> Self {
        self.hosts.push((name.to_owned(), address));
        self
    }

    /// Starts squid, retrying on another port when the chosen one was taken meanwhile.
    ///
    /// # Panics
    ///
    /// When squid or its Basic auth helper is missing (the message says how to install them), or squid does not
    /// listen within 30 s (the message quotes its log).
    pub fn start(self) -> Squid {
        let squid = tool("OCI_TEST_SQUID", SQUID, &apt("squid"));
        let helper = tool("OCI_TEST_SQUID_NCSA_AUTH", BASIC_NCSA_AUTH, &apt("squid"));
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("oci-testkit-squid");
            let port = free_port();
            self.write_files(dir.path(), port, &helper);
            give_to_proxy_user(dir.path());
            let out = std::fs::File::create(dir.path().join("squid.out")).unwrap();
            let child = Command::new(&squid)
                .arg("-N")
                .arg("-f")
                .arg(dir.path().join("squid.conf"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {}: {err}", squid.display()));
            let mut squid = Squid {
                child,
                port,
                user: self.user.clone(),
                dir,
                marks: AtomicU64::new(0),
            };
            if squid.wait_until_listening() {
                return squid;
            }
            last_log = squid.logs();
        }
        panic!("squid did not start; its last logs:\n{last_log}");
    }

    fn write_files(&self, dir: &Path, port: u16, helper: &Path) {
        let hosts: String = self
            .hosts
            .iter()
            .map(|(name, address)| format!("{address} {name}\n"))
            .collect();
        std::fs::write(dir.join("hosts"), hosts).unwrap();
        let mut config = format!(
            "http_port 127.0.0.1:{port}\n\
             pid_filename {dir}/squid.pid\n\
             cache_log {dir}/cache.log\n\
             logformat oci %rm %ru %>Hs %un %Ss\n\
             access_log stdio:{dir}/access.log oci\n\
             buffered_logs off\n\
             cache_store_log none\n\
             coredump_dir {dir}\n\
             hosts_file {dir}/hosts\n\
             visible_hostname oci-testkit-squid\n\
             cache deny all\n\
             cache_mem 8 MB\n\
             memory_cache_shared off\n\
             pinger_enable off\n\
             netdb_filename none\n\
             max_filedescriptors 1024\n\
             shutdown_lifetime 0 seconds\n\
             acl mark dstdomain .{MARK_DOMAIN}\n\
             http_access deny mark\n",
            dir = dir.display()
        );
        if proxy_user().is_some() {
            config.push_str("cache_effective_user proxy\n");
        }
        match &self.user {
            Some((username, password)) => {
                let hash = bcrypt::hash_with_result(password, 4)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoY);
                std::fs::write(dir.join("passwd"), format!("{username}:{hash}\n")).unwrap();
                config.push_str(&format!(
                    "auth_param basic program {} {}/passwd\n\
                     auth_param basic children 2 startup=1 idle=1\n\
                     auth_param basic realm oci-testkit\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access deny !authed\n\
                     http_access allow authed\n",
                    helper.display(),
                    dir.display()
                ));
            }
            None => config.push_str("acl loopback src 127.0.0.0/8\nhttp_access allow loopback\n"),
        }
        config.push_str("http_access deny all\n");
        std::fs::write(dir.join("squid.conf"), config).unwrap();
    }
}

impl Squid {
    /// What to start: no auth and no names until the builder's methods say otherwise.
    pub fn builder() -> SquidBuilder {
        SquidBuilder::default()
    }

    /// `127.0.0.1:PORT`, where squid listens.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The proxy URL with the user and password squid wants, when it wants one: `http://USER:PASSWORD@127.0.0.1:PORT`
    /// (user and password percent-encoded).
    pub fn url(&self) -> String {
        match &self.user {
            Some((username, password)) => self.url_as(username, password),
            None => format!("http://{}", self.address()),
        }
    }

    /// The proxy URL with other credentials: `http://USER:PASSWORD@127.0.0.1:PORT`.
    pub fn url_as(&self, username: &str, password: &str) -> String {
        format!(
            "http://{}:{}@{}",
            percent_encode(username),
            percent_encode(password),
            self.address()
        )
    }

    /// The proxy URL without credentials: `http://127.0.0.1:PORT`.
    pub fn url_without_credentials(&self) -> String {
        format!("http://{}", self.address())
    }

    /// The proxy's directory: `squid.conf`, `hosts`, `passwd`, `access.log`, `cache.log`, `squid.out`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The access log as it stands, one entry per line that could be read (with [`mark`](Self::mark)s), leaving
    /// out connections that sent nothing (the start-up probe's).
    pub fn access_log(&self) -> Vec<AccessEntry> {
        std::fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(AccessEntry::parse)
            .filter(|entry| entry.url != "error:transaction-end-before-headers")
            .collect()
    }

    /// Sends a request squid refuses by its name alone (no lookup, no upstream) and waits until its line is in the
    /// access log; returns every entry before it since the previous mark (marks left out). Squid logs transactions
    /// as they end, so whatever ended before the mark was sent is in what this returns.
    ///
    /// # Panics
    ///
    /// When the mark's line does not appear within 30 s (the message quotes the logs).
    pub fn mark(&self) -> Vec<AccessEntry> {
        let n = self.marks.fetch_add(1, Ordering::Relaxed);
        let host = format!("m{n}.{MARK_DOMAIN}");
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        if let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(5)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                stream,
                "GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let entries = self.access_log();
            if let Some(at) = entries.iter().position(|entry| entry.url.contains(&host)) {
                let start = entries[..at]
                    .iter()
                    .rposition(|entry| entry.url.contains(MARK_DOMAIN))
                    .map_or(0, |previous| previous + 1);
                return entries[start..at].to_vec();
            }
            assert!(
                Instant::now() < deadline,
                "squid did not log the mark {host}; its logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Squid's own logs (`cache.log` and its output), for failure messages.
    pub fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!(
            "--- cache.log\n{}--- squid.out\n{}--- access.log\n{}",
            read("cache.log"),
            read("squid.out"),
            read("access.log")
        )
    }

    fn wait_until_listening(&mut self) -> bool {
        let deadline = Instant::now() + WAIT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl AccessEntry {
    /// One line of the `oci` log format: `METHOD URL STATUS USER RESULT`, `-` for no user.
    fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        let method = fields.next()?.to_owned();
        let url = fields.next()?.to_owned();
        let status = fields.next()?.parse().ok()?;
        let user = fields.next()?;
        let result = fields.next()?.to_owned();
        Some(Self {
            method,
            url,
            status,
            user: (user != "-").then(|| user.to_owned()),
            result,
        })
    }
}

impl fmt::Debug for Squid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Squid")
            .field("port", &self.port)
            .field("pid", &self.child.id())
            .field("user", &self.user.as_ref().map(|(username, _)| (username, "***")))
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        // The auth helpers read squid's pipes: they end when squid does.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `proxy` user's uid and gid, when the machine has one (Debian's squid runs as it).
fn proxy_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != "proxy" {
            return None;
        }
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}

/// Gives `dir` and what it holds to the `proxy` user, whom squid becomes when started as root; when not root,
/// the chown fails and squid runs as the caller, who owns the directory already.
fn give_to_proxy_user(dir: &Path) {
    let Some((uid, gid)) = proxy_user() else {
        return;
    };
    if std::os::unix::fs::chown(dir, Some(uid), Some(gid)).is_err() {
        return;
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let _ = std::os::unix::fs::chown(entry.unwrap().path(), Some(uid), Some(gid));
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
    fn access_log_lines() {
        assert_eq!(
            AccessEntry::parse("CONNECT registry.test:5000 200 alice TCP_TUNNEL"),
            Some(AccessEntry {
                method: "CONNECT".to_owned(),
                url: "registry.test:5000".to_owned(),
                status: 200,
                user: Some("alice".to_owned()),
                result: "TCP_TUNNEL".to_owned(),
            })
        );
        let denied = AccessEntry::parse("GET http://m0.mark.oci-testkit.invalid/ 403 - TCP_DENIED").unwrap();
        assert_eq!((denied.status, denied.user), (403, None));
        assert_eq!(AccessEntry::parse("garbage"), None);
    }
}
