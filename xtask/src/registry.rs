//! The CNCF distribution registry that `oci-client`'s integration tests start on loopback ports.
//!
//! Debian ships it as `docker-registry`. `cargo xtask test` installs it when it is missing and the user is root,
//! and otherwise stops with the command to run: the integration tests are never skipped silently.

use std::path::Path;
use std::process::Command;

use crate::Result;

/// Where the tests look for the registry (they also honour `OCI_TEST_REGISTRY`).
pub(crate) const BINARY: &str = "/usr/bin/docker-registry";

/// The command that installs the registry.
const INSTALL: &str = "apt-get update && apt-get install -y docker-registry";

/// Makes sure the registry binary exists, installing Debian's package when running as root.
pub(crate) fn ensure() -> Result {
    if let Ok(custom) = std::env::var("OCI_TEST_REGISTRY") {
        if Path::new(&custom).exists() {
            return Ok(());
        }
        return Err(format!("OCI_TEST_REGISTRY names `{custom}`, which does not exist").into());
    }
    if Path::new(BINARY).exists() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "the integration tests need the CNCF registry at {BINARY}; install it with `sudo sh -c '{INSTALL}'`"
        )
        .into());
    }
    eprintln!("xtask: {BINARY} is missing; installing Debian's docker-registry package");
    for args in [&["update"][..], &["install", "-y", "docker-registry"][..]] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()?;
        if !status.success() {
            return Err(format!(
                "`apt-get {}` failed; install the registry with `{INSTALL}`",
                args.join(" ")
            )
            .into());
        }
    }
    if !Path::new(BINARY).exists() {
        return Err(format!("apt-get installed docker-registry but {BINARY} is still missing").into());
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}
