//! The real Docker Engine, Debian's `docker.io`: one `dockerd` per fixture, with its own data root, exec root, pid
//! file and unix socket inside a directory of its own, killed on drop.
//!
//! `dockerd` starts its own managed containerd (its state and socket live under the exec root, so two engines in
//! parallel do not share one). It runs with `--storage-driver vfs` (no overlay mounts needed, and tiny images make
//! its full copies cheap), no iptables rules and no bridge: the containers have no network, and every pull goes to a
//! loopback registry named in `insecure-registries`.
//!
//! Containers run a static busybox imported as an image ([`DockerEngine::import_busybox`]), so no registry outside
//! this machine is ever asked; dockerd's proxy is [`DEAD_PROXY`], so that one it tried could not be. Setup goes
//! through the docker CLI pointed at the socket with `-H`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;
use crate::tools::{apt, tool};

/// Where the tests look for dockerd (they also honour `OCI_TEST_DOCKERD`).
pub const DOCKERD: &str = "/usr/sbin/dockerd";

/// Where the tests look for the docker CLI of the same package (they also honour `OCI_TEST_DOCKER`).
pub const DOCKER: &str = "/usr/bin/docker";

/// Where the tests look for a static busybox (they also honour `OCI_TEST_BUSYBOX`).
pub const BUSYBOX: &str = "/bin/busybox";

/// A proxy address where nothing listens (port 9, discard, closed on a test machine), given to dockerd so that it
/// can reach no registry but loopback ones.
pub const DEAD_PROXY: &str = "http://127.0.0.1:9";

/// How long dockerd may take to answer on its socket.
const WAIT: Duration = Duration::from_secs(60);

/// A running dockerd; killed (with its containerd and containers), and its directory removed, on drop.
#[derive(Debug)]
pub struct DockerEngine {
    child: Child,
    dir: TempDir,
    socket: PathBuf,
}

impl DockerEngine {
    /// Starts an engine that trusts the given loopback registries over plain HTTP (`host:port` each) and has
    /// `mirrors` as its `registry-mirrors`.
    ///
    /// # Panics
    ///
    /// When dockerd cannot start or does not answer within a minute (a broken fixture, not a test result).
    pub fn start_with(insecure: &[String], mirrors: &[String]) -> Self {
        let dir = TempDir::new("dockerd");
        let root = dir.path();
        let config = serde_json::json!({
            "insecure-registries": insecure,
            "registry-mirrors": mirrors,
        });
        std::fs::write(root.join("daemon.json"), config.to_string()).expect("write daemon.json");
        // A short socket path: unix socket paths are limited to 108 bytes.
        let socket = root.join("s");
        let log = std::fs::File::create(root.join("dockerd.log")).expect("create dockerd.log");
        let child = Command::new(tool("OCI_TEST_DOCKERD", DOCKERD, &apt("docker.io")))
            .arg("--config-file")
            .arg(root.join("daemon.json"))
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("--pidfile")
            .arg(root.join("pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args([
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
            ])
            // A registry not on loopback (Docker Hub, when a mirror fails) is asked through a proxy where nothing
            // listens, so it never is: Go's proxy rules never proxy loopback hosts, which are all the tests use.
            .env("HTTPS_PROXY", DEAD_PROXY)
            .env("HTTP_PROXY", DEAD_PROXY)
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        let mut engine = Self { child, dir, socket };
        let deadline = Instant::now() + WAIT;
        loop {
            if engine.try_docker(&["version"]).is_ok() {
                return engine;
            }
            if let Ok(Some(status)) = engine.child.try_wait() {
                panic!("dockerd exited with {status}:\n{}", engine.log());
            }
            assert!(Instant::now() < deadline, "dockerd did not answer:\n{}", engine.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts an engine that trusts `registry` (`host:port`) over plain HTTP.
    pub fn start(registry: &str) -> Self {
        Self::start_with(&[registry.to_owned()], &[])
    }

    /// The engine's unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The engine's own directory (data root, exec root, socket, log); removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `unix:///…`, as `--host` and `DOCKER_HOST` take it.
    pub fn host_url(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// dockerd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    fn try_docker(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new(tool("OCI_TEST_DOCKER", DOCKER, &apt("docker.io")))
            .arg("-H")
            .arg(self.host_url())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Runs the docker CLI against this engine and returns its trimmed stdout.
    ///
    /// # Panics
    ///
    /// When the command fails.
    pub fn docker(&self, args: &[&str]) -> String {
        self.try_docker(args)
            .unwrap_or_else(|e| panic!("docker {args:?} failed: {e}"))
    }

    /// Imports the static busybox as `tag` (`/bin/busybox` and `/bin/sh`), an image no registry has; returns its id.
    pub fn import_busybox(&self, tag: &str) -> String {
        let stage = self.dir.path().join("busybox-root");
        let bin = stage.join("bin");
        std::fs::create_dir_all(&bin).expect("create busybox root");
        std::fs::copy(
            tool("OCI_TEST_BUSYBOX", BUSYBOX, &apt("busybox-static")),
            bin.join("busybox"),
        )
        .expect("copy busybox");
        let _ = std::fs::remove_file(bin.join("sh"));
        std::os::unix::fs::symlink("busybox", bin.join("sh")).expect("link sh");
        let tar = self.dir.path().join("busybox.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&stage)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .expect("run tar");
        assert!(status.success(), "tar failed");
        let tar = tar.to_string_lossy().into_owned();
        self.docker(&["import", &tar, tag])
    }

    /// Pulls `image` (from a registry this engine trusts).
    pub fn pull(&self, image: &str) {
        self.docker(&["pull", "-q", image]);
    }

    /// Tags `image` as `tag` (a name no registry has: a local image).
    pub fn tag(&self, image: &str, tag: &str) {
        self.docker(&["tag", image, tag]);
    }

    /// Starts a container `name` from `image` running `busybox sleep 3600`; returns its id.
    pub fn run(&self, name: &str, image: &str) -> String {
        self.docker(&[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            name,
            image,
            "/bin/busybox",
            "sleep",
            "3600",
        ])
    }

    /// Creates (does not start) a container `name` from `image`; returns its id.
    pub fn create(&self, name: &str, image: &str) -> String {
        self.docker(&[
            "create",
            "--network",
            "none",
            "--name",
            name,
            image,
            "/bin/busybox",
            "sleep",
            "3600",
        ])
    }
}

impl Drop for DockerEngine {
    fn drop(&mut self) {
        // Containers first, so no shim outlives the engine; then SIGTERM so dockerd stops its containerd and
        // unmounts; a kill if it does not stop.
        if let Ok(ids) = self.try_docker(&["ps", "-aq"]) {
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids);
                let _ = self.try_docker(&args);
            }
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut stopped = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                stopped = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // dockerd leaves its default network namespace bind-mounted under the exec root (`exec/netns/default`),
        // and a mount point cannot be removed: without this, every engine's 150 MB data root outlived the test.
        for point in mounts_under(self.dir.path()) {
            let _ = Command::new("umount").arg("-l").arg(&point).status();
        }
        // The directory itself goes when `dir` drops, after this.
    }
}

/// Mount points at or below `root`, deepest first, read from `/proc/self/mountinfo` (field 5; octal escapes such as
/// `\040` for a space are decoded).
fn mounts_under(root: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mountinfo(field)))
        .filter(|point| point.starts_with(root))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    points
}

fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = (bytes[i] == b'\\')
            .then(|| bytes.get(i + 1..i + 4))
            .flatten()
            .filter(|digits| digits.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u8::from_str_radix(digits, 8).ok());
        match octal {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape_mountinfo("/tmp/a\\040b/exec"), "/tmp/a b/exec");
        assert_eq!(unescape_mountinfo("/tmp/tab\\011"), "/tmp/tab\t");
        // Not an escape: too short, or not octal.
        assert_eq!(unescape_mountinfo("/x\\04"), "/x\\04");
        assert_eq!(unescape_mountinfo("/x\\089"), "/x\\089");
        assert_eq!(unescape_mountinfo("/x\\777"), "/x\\777");
        assert_eq!(unescape_mountinfo("/x\\+12"), "/x\\+12");
    }

    #[test]
    fn mounts_under_a_root_are_found_deepest_first() {
        // `/proc` is a mount point under `/`, so at least it is found, and `/` (the shallowest) comes last.
        let points = mounts_under(Path::new("/"));
        assert!(points.iter().any(|p| p == Path::new("/proc")), "{points:?}");
        let depths: Vec<usize> = points.iter().map(|p| p.components().count()).collect();
        assert!(depths.windows(2).all(|w| w[0] >= w[1]), "{points:?}");
        assert!(mounts_under(Path::new("/no/such/root")).is_empty());
    }
}
