//! The programs the integration tests start: the CNCF distribution registry (`oci-registry`'s tests, on loopback
//! ports), podman (`oci-inventory`'s tests, its API service on a socket of its own), Redis (the tests of
//! `oci-registry`'s `redis` feature, on loopback ports) and squid (the proxy tests of `oci-registry` and `oci-check`,
//! on loopback ports).
//!
//! Debian ships them as `docker-registry`, `podman`, `redis-server` and `squid`. `cargo xtask test` installs each when it is missing and the
//! user is root, and otherwise stops with the command to run: the integration tests are never skipped silently.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Result;

/// Where the tests look for the registry (they also honour `OCI_TEST_REGISTRY`).
pub(crate) const BINARY: &str = "/usr/bin/docker-registry";

/// Where `oci-inventory`'s tests look for podman (they also honour `OCI_TEST_PODMAN`).
pub(crate) const PODMAN: &str = "/usr/bin/podman";

/// Where the tests of `oci-registry`'s `redis` feature look for Redis (they also honour `OCI_TEST_REDIS`).
pub(crate) const REDIS: &str = "/usr/bin/redis-server";

/// Where the proxy tests look for squid (they also honour `OCI_TEST_SQUID`).
pub(crate) const SQUID: &str = "/usr/sbin/squid";

/// Where the Docker Engine tests look for dockerd (they also honour `OCI_TEST_DOCKERD`).
pub(crate) const DOCKERD: &str = "/usr/sbin/dockerd";

/// The static busybox the Docker Engine tests import as their only container image (also `OCI_TEST_BUSYBOX`).
pub(crate) const BUSYBOX: &str = "/bin/busybox";

/// Whether `apt-get update` ran in this process: once is enough for every package installed after it.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// A program the tests need, and the Debian package that has it.
struct Needed {
    binary: &'static str,
    package: &'static str,
    /// The environment variable that names another binary.
    variable: &'static str,
    /// What it is, for messages.
    what: &'static str,
}

/// Makes sure the registry binary exists, installing Debian's package when running as root.
pub(crate) fn ensure() -> Result {
    ensure_one(&Needed {
        binary: BINARY,
        package: "docker-registry",
        variable: "OCI_TEST_REGISTRY",
        what: "the CNCF registry",
    })
}

/// Makes sure podman exists, installing Debian's package when running as root.
pub(crate) fn ensure_podman() -> Result {
    ensure_one(&Needed {
        binary: PODMAN,
        package: "podman",
        variable: "OCI_TEST_PODMAN",
        what: "podman",
    })
}

/// Makes sure redis-server exists, installing Debian's package when running as root. The package also tries to
/// start a system service; the tests do not use it, they start their own on free ports.
pub(crate) fn ensure_redis() -> Result {
    ensure_one(&Needed {
        binary: REDIS,
        package: "redis-server",
        variable: "OCI_TEST_REDIS",
        what: "Redis",
    })
}

/// Makes sure squid exists, installing Debian's package when running as root. The package also tries to start a
/// system service on port 3128; the tests do not use it, they start their own on free ports with their own
/// configuration.
pub(crate) fn ensure_squid() -> Result {
    ensure_one(&Needed {
        binary: SQUID,
        package: "squid",
        variable: "OCI_TEST_SQUID",
        what: "squid",
    })
}

/// Makes sure the Docker Engine (`dockerd`, Debian's `docker.io`) and a static busybox (the only program the test
/// containers run, imported as an image) exist. The docker.io package also tries to start a system service; the tests
/// start their own engines with their own data roots and sockets.
pub(crate) fn ensure_docker() -> Result {
    ensure_one(&Needed {
        binary: DOCKERD,
        package: "docker.io",
        variable: "OCI_TEST_DOCKERD",
        what: "the Docker Engine",
    })?;
    ensure_one(&Needed {
        binary: BUSYBOX,
        package: "busybox-static",
        variable: "OCI_TEST_BUSYBOX",
        what: "a static busybox",
    })
}

fn ensure_one(needed: &Needed) -> Result {
    let Needed {
        binary,
        package,
        variable,
        what,
    } = *needed;
    if let Ok(custom) = std::env::var(variable) {
        if Path::new(&custom).exists() {
            return Ok(());
        }
        return Err(format!("{variable} names `{custom}`, which does not exist").into());
    }
    if Path::new(binary).exists() {
        return Ok(());
    }
    let install = format!("apt-get update && apt-get install -y {package}");
    if !is_root() {
        return Err(
            format!("the integration tests need {what} at {binary}; install it with `sudo sh -c '{install}'`").into(),
        );
    }
    eprintln!("xtask: {binary} is missing; installing Debian's {package} package");
    let update = !APT_UPDATED.swap(true, Ordering::Relaxed);
    let steps = [&["update"][..], &["install", "-y", package][..]];
    for args in steps.into_iter().skip(usize::from(!update)) {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()?;
        if !status.success() {
            return Err(format!("`apt-get {}` failed; install {what} with `{install}`", args.join(" ")).into());
        }
    }
    if !Path::new(binary).exists() {
        return Err(format!("apt-get installed {package} but {binary} is still missing").into());
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}
