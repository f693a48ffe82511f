//! Podman's API service with storage and configuration of its own, and a unix-socket proxy that records the
//! requests sent to an engine.
//!
//! [`Podman`] runs `podman system service --time=0 unix://DIR/podman.sock` with `--root`, `--runroot` and `--tmpdir`
//! in a temporary directory, and points `CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF`, `CONTAINERS_REGISTRIES_CONF`,
//! `REGISTRY_AUTH_FILE`, `HOME`, `TMPDIR` and `XDG_*` into it, so it neither reads the host's container configuration
//! nor writes the host's storage. It uses the `vfs` storage driver (no mounts to leave behind) and `cgroupfs`, and
//! trusts any image (its own `policy.json`). [`Podman::command`] runs the podman CLI on the same storage.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::tools::tool;

/// Where the tests look for podman (they also honour `OCI_TEST_PODMAN`).
pub const PODMAN: &str = "/usr/bin/podman";

/// `podman system service` on a socket of its own, killed on drop (after removing its containers), with its storage
/// and configuration in a directory removed on drop.
#[derive(Debug)]
pub struct Podman {
    child: Child,
    binary: PathBuf,
    socket: PathBuf,
    dir: TempDir,
}

/// A unix-socket proxy in front of an engine that records the request line (`GET /v1.41/info HTTP/1.1`) of every
/// request a client sends through it. Its threads end when it is dropped.
#[derive(Debug)]
pub struct EngineRecorder {
    socket: PathBuf,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    _dir: TempDir,
}

impl Podman {
    /// Starts the service and waits until its socket answers.
    ///
    /// # Panics
    ///
    /// When podman is missing (the message says how to install it) or the service does not start (the message
    /// quotes its log).
    pub fn start() -> Self {
        let binary = tool(
            "OCI_TEST_PODMAN",
            PODMAN,
            "install podman (`sudo apt-get install -y podman`; `cargo xtask test` does it when run as root)",
        );
        // A short name: podman refuses a runroot longer than 50 characters, and the pid, counter and nanoseconds
        // in a temporary directory's name can make a longer prefix cross that.
        let dir = TempDir::new("ocp");
        let root = dir.path();
        for sub in [
            "root",
            "runroot",
            "tmp",
            "volumes",
            "networks",
            "home/.config/containers",
            "xdg-runtime",
            "var-lib-containers",
        ] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(
            root.join("containers.conf"),
            format!(
                "[engine]\ntmp_dir = \"{0}/tmp\"\nvolume_path = \"{0}/volumes\"\nstatic_dir = \"{0}/root/libpod\"\n\
                 image_copy_tmp_dir = \"{0}/tmp\"\nevents_logger = \"file\"\nevents_logfile_path = \"{0}/tmp/events.log\"\n\
                 cgroup_manager = \"cgroupfs\"\n\
                 [network]\nnetwork_config_dir = \"{0}/networks\"\n",
                root.display()
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("storage.conf"),
            format!(
                "[storage]\ndriver = \"vfs\"\ngraphroot = \"{0}/root\"\nrunroot = \"{0}/runroot\"\n",
                root.display()
            ),
        )
        .unwrap();
        std::fs::write(root.join("registries.conf"), "unqualified-search-registries = []\n").unwrap();
        std::fs::write(root.join("auth.json"), "{}\n").unwrap();
        std::fs::write(
            root.join("home/.config/containers/policy.json"),
            r#"{"default": [{"type": "insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let socket = root.join("podman.sock");
        let log = std::fs::File::create(root.join("service.log")).unwrap();
        let child = command(&binary, root)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {}: {err}", binary.display()));
        let mut podman = Self {
            child,
            binary,
            socket,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if UnixStream::connect(&podman.socket).is_ok() {
                return podman;
            }
            if let Ok(Some(status)) = podman.child.try_wait() {
                panic!("podman system service exited ({status}); its log:\n{}", podman.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "podman system service did not listen within 30 s; its log:\n{}",
            podman.log()
        );
    }

    /// The service's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `unix:///.../podman.sock`, for `--host` and `CONTAINER_HOST`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The directory holding the storage, configuration and `service.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The podman CLI on this service's storage and configuration, with nothing else of the host's environment
    /// than `PATH` (to find `crun`, `conmon` and the like).
    pub fn command(&self) -> Command {
        command(&self.binary, self.dir.path())
    }

    /// Runs `podman ARGS` and returns its standard output, trimmed.
    ///
    /// # Panics
    ///
    /// When the command fails; the message has its standard error.
    pub fn run(&self, args: &[&str]) -> String {
        let Output { status, stdout, stderr } = self.command().args(args).stdin(Stdio::null()).output().unwrap();
        assert!(
            status.success(),
            "`podman {}` failed ({status}):\n{}",
            args.join(" "),
            String::from_utf8_lossy(&stderr)
        );
        String::from_utf8_lossy(&stdout).trim().to_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        // Created containers hold nothing running, but removing them releases what podman set up for them.
        let _ = self
            .command()
            .args(["rm", "--all", "--force"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EngineRecorder {
    /// Listens on a socket of its own and forwards every connection to the engine socket `upstream`.
    pub fn start(upstream: &Path) -> Self {
        let dir = TempDir::new("oci-testkit-recorder");
        let socket = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let upstream = upstream.to_path_buf();
        let (shared, stopping) = (Arc::clone(&requests), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = UnixStream::connect(&upstream) else {
                            continue;
                        };
                        forward(client, server, Arc::clone(&shared));
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
        });
        Self {
            socket,
            requests,
            stop,
            accept: Some(accept),
            _dir: dir,
        }
    }

    /// The socket clients connect to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The request lines seen so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for EngineRecorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Copies both directions on threads of their own; the client's bytes are read as HTTP/1.1 request heads. A request
/// with a body (which a GET-only client never sends) is recorded by its request line, and its body then misread as
/// further heads: either way the test sees a method other than `GET`.
fn forward(client: UnixStream, server: UnixStream, requests: Arc<Mutex<Vec<String>>>) {
    let (mut server_write, mut server_read) = (server.try_clone().unwrap(), server);
    let (client_read, mut client_write) = (client.try_clone().unwrap(), client);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(client_read);
        let mut at_start = true;
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if at_start && !text.is_empty() {
                requests.lock().unwrap().push(text.to_owned());
                at_start = false;
            } else if text.is_empty() {
                at_start = true;
            }
            if server_write.write_all(&line).is_err() {
                break;
            }
        }
        let _ = server_write.shutdown(std::net::Shutdown::Write);
    });
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match server_read.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if client_write.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = client_write.shutdown(std::net::Shutdown::Write);
    });
}

/// podman on the storage and configuration under `root`, with only `PATH` of the host's environment.
///
/// As root, podman also keeps its blob-info cache in `/var/lib/containers/cache` whatever `--root` says, and some
/// temporary files in `/var/tmp` whatever `TMPDIR` says (podman 4.3); so it runs in a mount namespace of its own
/// where `ROOT/var-lib-containers` is mounted over the first (created empty when missing, as podman would create
/// it) and `ROOT/tmp` over the second. Rootless podman keeps both under `XDG_DATA_HOME` and `TMPDIR`.
fn command(binary: &Path, root: &Path) -> Command {
    let mut cmd = if is_root() {
        let _ = std::fs::create_dir_all(SYSTEM_DIR);
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(format!(
                "mount -n --bind \"$0/var-lib-containers\" {SYSTEM_DIR} && mount -n --bind \"$0/tmp\" /var/tmp && exec \"$@\""
            ))
            .arg(root)
            .arg(binary);
        cmd
    } else {
        Command::new(binary)
    };
    cmd.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into()),
        )
        .env("CONTAINERS_CONF", root.join("containers.conf"))
        .env("CONTAINERS_STORAGE_CONF", root.join("storage.conf"))
        .env("CONTAINERS_REGISTRIES_CONF", root.join("registries.conf"))
        .env("REGISTRY_AUTH_FILE", root.join("auth.json"))
        .env("HOME", root.join("home"))
        .env("XDG_CONFIG_HOME", root.join("home/.config"))
        .env("XDG_DATA_HOME", root.join("home/.local/share"))
        .env("XDG_RUNTIME_DIR", root.join("xdg-runtime"))
        .env("TMPDIR", root.join("tmp"))
        .arg("--root")
        .arg(root.join("root"))
        .arg("--runroot")
        .arg(root.join("runroot"))
        .arg("--tmpdir")
        .arg(root.join("tmp"))
        .args([
            "--storage-driver",
            "vfs",
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
        ]);
    cmd
}

/// The directory rootful podman keeps its blob-info cache in.
const SYSTEM_DIR: &str = "/var/lib/containers";

/// Whether this process runs as root: `/proc/self` belongs to the effective user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}
