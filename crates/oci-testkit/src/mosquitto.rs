//! A real MQTT broker, Debian's `mosquitto`, on a free loopback port: one process per fixture, killed on drop.
//!
//! Each broker has a directory of its own holding its configuration, its password file and its output; it keeps
//! nothing on disk (`persistence false`). With [`MosquittoBuilder::user`] it wants that user name and password
//! (a password file made by `mosquitto_passwd`) and refuses anonymous clients; with [`MosquittoBuilder::tls`] it
//! speaks TLS from the first byte with [`TestCa`]'s server certificate (an `mqtts://` broker).
//!
//! What the broker retained is read back by Debian's own subscriber, `mosquitto_sub` ([`Mosquitto::retained`]), so
//! a test of a publisher does not read back with the code it tests.
//!
//! The password is given to the clients on their command line: test credentials only.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, TestCa, free_port};

/// Where the tests look for the broker (they also honour `OCI_TEST_MOSQUITTO`).
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// Where the tests look for the subscriber (they also honour `OCI_TEST_MOSQUITTO_SUB`).
pub const MOSQUITTO_SUB: &str = "/usr/bin/mosquitto_sub";

/// Where the tests look for the password file tool (they also honour `OCI_TEST_MOSQUITTO_PASSWD`).
pub const MOSQUITTO_PASSWD: &str = "/usr/bin/mosquitto_passwd";

/// How long the broker may take to listen, and [`Mosquitto::retained`] to read.
/// The Debian packages of the broker and its clients, which `cargo xtask test` installs.
const PACKAGES: &str = "mosquitto mosquitto-clients";

const WAIT: Duration = Duration::from_secs(30);

/// Where the tests look for the publisher (they also honour `OCI_TEST_MOSQUITTO_PUB`).
pub const MOSQUITTO_PUB: &str = "/usr/bin/mosquitto_pub";

/// The topic [`Mosquitto::retained`] publishes to, so that its subscriber knows the retained messages are over.
const END_TOPIC: &str = "oci-testkit/end";

/// What [`Mosquitto`] is started with; [`Mosquitto::builder`] makes one.
#[derive(Default)]
pub struct MosquittoBuilder {
    user: Option<(String, String)>,
    tls: bool,
}

/// Mosquitto on a free port of 127.0.0.1 with a directory of its own; killed, and the directory removed, on drop.
/// Its `Debug` output shows `***` for the password.
pub struct Mosquitto {
    child: Child,
    port: u16,
    user: Option<(String, String)>,
    ca: Option<TestCa>,
    dir: TempDir,
    reads: AtomicU64,
}

/// One retained message, as the subscriber received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    /// The topic.
    pub topic: String,
    /// The payload, as text (the subscriber prints it so).
    pub payload: String,
}

impl MosquittoBuilder {
    /// Wants `username` with `password` from every client, and refuses anonymous ones.
    ///
    /// # Panics
    ///
    /// When `username` holds `:` or a line break, which the password file cannot hold.
    pub fn user(mut self, username: &str, password: &str) -> Self {
        assert!(
            !username.contains([':', '\n', '\r']),
            "a mosquitto user name cannot hold `:` or a line break"
        );
        self.user = Some((username.to_owned(), password.to_owned()));
        self
    }

    /// Speaks TLS from the first byte, with a server certificate from a new [`TestCa`] ([`Mosquitto::ca`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Starts the broker, retrying on another port when the chosen one was taken meanwhile.
    ///
    /// # Panics
    ///
    /// When mosquitto is missing (the message says how to install it), or it does not listen within 30 s (the
    /// message quotes its output).
    pub fn start(self) -> Mosquitto {
        let mosquitto = tool("OCI_TEST_MOSQUITTO", MOSQUITTO, &apt(PACKAGES));
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("oci-testkit-mosquitto");
            let port = free_port();
            let ca = self.tls.then(TestCa::new);
            self.write_files(dir.path(), port, ca.as_ref());
            let out = std::fs::File::create(dir.path().join("mosquitto.out")).unwrap();
            let child = Command::new(&mosquitto)
                .arg("-c")
                .arg(dir.path().join("mosquitto.conf"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {}: {err}", mosquitto.display()));
            let mut broker = Mosquitto {
                child,
                port,
                user: self.user.clone(),
                ca,
                dir,
                reads: AtomicU64::new(0),
            };
            if broker.wait_until_listening() {
                return broker;
            }
            last_log = broker.logs();
        }
        panic!("mosquitto did not start; its last output:\n{last_log}");
    }

    fn write_files(&self, dir: &Path, port: u16, ca: Option<&TestCa>) {
        // As root, mosquitto 2 drops to the `mosquitto` user after reading its configuration; the files it reads
        // later (the password file) must be readable to it.
        let mut config = format!(
            "listener {port} 127.0.0.1\n\
             persistence false\n\
             log_dest stderr\n\
             log_type error\n\
             log_type warning\n\
             log_type notice\n\
             log_type information\n\
             connection_messages true\n"
        );
        if let Some(ca) = ca {
            let (cert, key) = ca.write_server_files(dir);
            config.push_str(&format!("certfile {}\nkeyfile {}\n", cert.display(), key.display()));
        }
        match &self.user {
            Some((username, password)) => {
                let passwd = dir.join("passwd");
                let tool = tool("OCI_TEST_MOSQUITTO_PASSWD", MOSQUITTO_PASSWD, &apt(PACKAGES));
                let status = Command::new(&tool)
                    .arg("-b")
                    .arg("-c")
                    .arg(&passwd)
                    .arg(username)
                    .arg(password)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status()
                    .unwrap_or_else(|err| panic!("could not run {}: {err}", tool.display()));
                assert!(status.success(), "mosquitto_passwd failed: {status}");
                make_readable(&passwd);
                config.push_str(&format!("allow_anonymous false\npassword_file {}\n", passwd.display()));
            }
            None => config.push_str("allow_anonymous true\n"),
        }
        std::fs::write(dir.join("mosquitto.conf"), config).unwrap();
    }
}

impl Mosquitto {
    /// What to start: anonymous clients on plain TCP until the builder's methods say otherwise.
    pub fn builder() -> MosquittoBuilder {
        MosquittoBuilder::default()
    }

    /// An open broker on plain TCP.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA whose certificate the broker serves, with [`MosquittoBuilder::tls`].
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// Every message the broker retains under `filter` (`#` for all), read by `mosquitto_sub`, in the order the
    /// broker sent them.
    ///
    /// The broker queues all retained messages for a subscription when it takes the subscription, so the first
    /// message published after it comes behind them: `mosquitto_sub --retained-only` exits on that first
    /// non-retained message, which `mosquitto_pub` sends to an end topic until the subscriber has exited.
    ///
    /// # Panics
    ///
    /// When the subscriber has not exited within 30 s, or it fails (the message quotes its output).
    pub fn retained(&self, filter: &str) -> Vec<Retained> {
        let mut subscriber = self.client("OCI_TEST_MOSQUITTO_SUB", MOSQUITTO_SUB);
        subscriber
            .args(["-t", filter, "-t", END_TOPIC, "--retained-only"])
            // Topic, a tab, payload: one message a line (the payloads here are JSON, one line each).
            .args(["-F", "%t\t%p"])
            .stdin(Stdio::null());
        // Files, not pipes: a pipe nobody reads until the subscriber exits would stop it at 64 KiB.
        let n = self.reads.fetch_add(1, Ordering::Relaxed);
        let out_path = self.dir.path().join(format!("retained-{n}.out"));
        let err_path = self.dir.path().join(format!("retained-{n}.err"));
        subscriber
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap());
        let mut child = subscriber.spawn().unwrap();
        let read = |path: &Path| String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
        let deadline = Instant::now() + WAIT;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "mosquitto_sub did not end within 30 s; it printed:\n{}{}\nthe broker's output:\n{}",
                    read(&out_path),
                    read(&err_path),
                    self.logs()
                );
            }
            let _ = self
                .client("OCI_TEST_MOSQUITTO_PUB", MOSQUITTO_PUB)
                .args(["-t", END_TOPIC, "-m", "end"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = child.wait().unwrap();
        let text = read(&out_path);
        assert!(
            status.success(),
            "mosquitto_sub failed ({status}); it printed:\n{text}{}\nthe broker's output:\n{}",
            read(&err_path),
            self.logs()
        );
        text.lines()
            .map(|line| {
                let (topic, payload) = line.split_once('\t').unwrap_or((line, ""));
                Retained {
                    topic: topic.to_owned(),
                    payload: payload.to_owned(),
                }
            })
            .collect()
    }

    /// A command of mosquitto's clients with the broker's address, user and CA.
    fn client(&self, variable: &str, default: &str) -> Command {
        let mut command = Command::new(tool(variable, default, &apt(PACKAGES)));
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some((username, password)) = &self.user {
            command.args(["-u", username, "-P", password]);
        }
        if let Some(ca) = &self.ca {
            command.arg("--cafile").arg(ca.write_ca_file(self.dir.path()));
        }
        command
    }

    /// The broker's output (its log), for failure messages and for what it says about clients.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.out")).unwrap_or_default()
    }

    /// The broker's directory: `mosquitto.conf`, `passwd`, `mosquitto.out`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
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
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl fmt::Debug for MosquittoBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MosquittoBuilder")
            .field("user", &self.user.as_ref().map(|(username, _)| (username, "***")))
            .field("tls", &self.tls)
            .finish()
    }
}

impl fmt::Debug for Mosquitto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mosquitto")
            .field("port", &self.port)
            .field("pid", &self.child.id())
            .field("user", &self.user.as_ref().map(|(username, _)| (username, "***")))
            .field("tls", &self.ca.is_some())
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lets the `mosquitto` user, whom the broker becomes when started as root, read `path`.
fn make_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
}
