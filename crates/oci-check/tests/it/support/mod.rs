//! Test support: the real CNCF registry on a free loopback port (as oci-client's tests start it), and images.

pub(crate) mod images;

use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oci_client::{Client, Credentials, RegistryOptions, Transport};

pub(crate) use images::Images;

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The registry binary; `cargo xtask test` installs Debian's `docker-registry` package when it is missing.
fn binary() -> String {
    let path = std::env::var("OCI_TEST_REGISTRY").unwrap_or_else(|_| "/usr/bin/docker-registry".to_owned());
    assert!(
        Path::new(&path).exists(),
        "the registry binary {path} is missing: run `cargo xtask test`, which installs it, or \
         `apt-get update && apt-get install -y docker-registry` (or set OCI_TEST_REGISTRY)"
    );
    path
}

/// A registry over plain HTTP on 127.0.0.1, killed on drop.
pub(crate) struct Registry {
    child: Child,
    host: String,
    credentials: Option<(String, String)>,
    _dir: TempDir,
}

impl Registry {
    /// An open registry.
    pub(crate) fn open() -> Self {
        Self::start(None)
    }

    /// A registry that wants HTTP Basic with one htpasswd user.
    pub(crate) fn htpasswd(username: &str, password: &str) -> Self {
        Self::start(Some((username, password)))
    }

    fn start(htpasswd: Option<(&str, &str)>) -> Self {
        let binary = binary();
        for _ in 0..5 {
            let dir = TempDir::new("oci-check-registry");
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let host = format!("127.0.0.1:{port}");
            let mut config = format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: \"{host}\"\n  secret: oci-check-test-secret\n",
                dir.path().join("storage").display()
            );
            if let Some((username, password)) = htpasswd {
                let hash = bcrypt::hash_with_result(password, 4)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoY);
                let path = dir.path().join("htpasswd");
                std::fs::write(&path, format!("{username}:{hash}\n")).unwrap();
                writeln!(
                    config,
                    "auth:\n  htpasswd:\n    realm: oci-check-test\n    path: {}",
                    path.display()
                )
                .unwrap();
            }
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(&binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            let mut registry = Self {
                child,
                host,
                credentials: htpasswd.map(|(u, p)| (u.to_owned(), p.to_owned())),
                _dir: dir,
            };
            if registry.wait_until_listening(port) {
                return registry;
            }
        }
        panic!("the registry did not start");
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// A client that pushes to this registry.
    pub(crate) fn client(&self) -> Client {
        let mut options = RegistryOptions::new().transport(Transport::Http);
        if let Some((username, password)) = &self.credentials {
            options = options.credentials(Credentials::new(username, password));
        }
        Client::builder().registry(&self.host, options).build().unwrap()
    }

    fn wait_until_listening(&mut self, port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a future to completion (the pushes of a test).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Standard base64 with padding (for `auths` entries).
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
