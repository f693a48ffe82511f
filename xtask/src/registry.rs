//! The programs the integration tests start: the CNCF distribution registry (`oci-registry`'s tests, on loopback
//! ports), podman (`oci-inventory`'s tests, its API service on a socket of its own), Redis (the tests of
//! `oci-registry`'s `redis` feature, on loopback ports) and squid (the proxy tests of `oci-registry` and `oci-check`,
//! on loopback ports), mosquitto and aiosmtpd (the MQTT and SMTP senders' tests of `oci-check`, on loopback ports),
//! and OpenSSL's `openssl ts` (the test kit's RFC 3161 timestamp authority).
//!
//! Debian ships them as `docker-registry`, `podman`, `redis-server`, `squid`, `mosquitto` with `mosquitto-clients`, and
//! `python3-aiosmtpd`. `cargo xtask test` installs each when it is missing and the
//! user is root, and otherwise stops with the command to run: the integration tests are never skipped silently.
//!
//! The ntfy server (the notification tests), cosign (the signature tests) and oras (a referrer that is not a
//! signature) are the exceptions: bookworm's archive has none of them, so [`ensure_unpacked`] fetches trixie's
//! package from the Debian mirror the machine's apt sources name, checks it against the suite's index and unpacks
//! it with `dpkg -x` below `target/test-tools/`, without installing anything.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Result, output, run};

/// Where the tests look for the registry (they also honour `OCI_TEST_REGISTRY`).
pub(crate) const BINARY: &str = "/usr/bin/docker-registry";

/// Where `oci-inventory`'s tests look for podman (they also honour `OCI_TEST_PODMAN`).
pub(crate) const PODMAN: &str = "/usr/bin/podman";

/// Where the tests of `oci-registry`'s `redis` feature look for Redis (they also honour `OCI_TEST_REDIS`).
pub(crate) const REDIS: &str = "/usr/bin/redis-server";

/// Where the proxy tests look for squid (they also honour `OCI_TEST_SQUID`).
pub(crate) const SQUID: &str = "/usr/sbin/squid";
/// OpenSSL's command-line tool: the test kit's timestamp authority (`openssl ts -reply`) signs Rekor v2 bundles'
/// RFC 3161 timestamps with it.
pub(crate) const OPENSSL: &str = "/usr/bin/openssl";

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

/// Makes sure OpenSSL's command-line tool exists (Debian's `openssl`, on most machines already), installing it when
/// running as root.
pub(crate) fn ensure_openssl() -> Result {
    ensure_one(&Needed {
        binary: OPENSSL,
        package: "openssl",
        variable: "OCI_TEST_OPENSSL",
        what: "OpenSSL's command-line tool",
    })
}

/// Where the MQTT sender's tests look for the broker and its subscriber (they also honour `OCI_TEST_MOSQUITTO` and
/// `OCI_TEST_MOSQUITTO_SUB`).
pub(crate) const MOSQUITTO: &str = "/usr/sbin/mosquitto";
pub(crate) const MOSQUITTO_SUB: &str = "/usr/bin/mosquitto_sub";

/// What the SMTP sender's tests import: Debian's aiosmtpd for the system Python (`/usr/bin/python3`).
pub(crate) const AIOSMTPD: &str = "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py";

/// Makes sure mosquitto and its command-line clients exist, installing Debian's packages when running as root. The
/// broker package also tries to start a system service on port 1883; the tests do not use it, they start their own
/// on free ports with their own configuration.
pub(crate) fn ensure_mosquitto() -> Result {
    ensure_one(&Needed {
        binary: MOSQUITTO,
        package: "mosquitto",
        variable: "OCI_TEST_MOSQUITTO",
        what: "the mosquitto MQTT broker",
    })?;
    ensure_one(&Needed {
        binary: MOSQUITTO_SUB,
        package: "mosquitto-clients",
        variable: "OCI_TEST_MOSQUITTO_SUB",
        what: "mosquitto_sub",
    })
}

/// Makes sure the system Python has aiosmtpd (the SMTP server the mail sender's tests run), installing Debian's
/// package when running as root.
pub(crate) fn ensure_aiosmtpd() -> Result {
    ensure_one(&Needed {
        binary: AIOSMTPD,
        package: "python3-aiosmtpd",
        variable: "OCI_TEST_PYTHON",
        what: "Python's aiosmtpd",
    })
}

/// A test program that Debian's stable archive lacks, taken from another suite's package without installing it.
pub(crate) struct Unpacked {
    /// The Debian package.
    package: &'static str,
    /// The program inside the unpacked package.
    in_package: &'static str,
    /// Where it is unpacked, relative to the workspace root; oci-testkit looks there too.
    dir: &'static str,
    /// The environment variable that names another binary (the tests honour it too).
    pub(crate) variable: &'static str,
    /// The suite whose package is taken.
    suite: &'static str,
}

/// The ntfy server (the notification tests). Bookworm does not have it; trixie's is a Go binary that runs on
/// bookworm (it links only libc and libsqlite3, both old enough there).
pub(crate) const NTFY: Unpacked = Unpacked {
    package: "ntfy",
    in_package: "usr/bin/ntfy",
    dir: "target/test-tools/ntfy",
    variable: "OCI_TEST_NTFY",
    suite: "trixie",
};

/// cosign, which signs and verifies in `oci-sign`'s tests. Bookworm does not have it; trixie's is a static Go
/// binary.
pub(crate) const COSIGN: Unpacked = Unpacked {
    package: "cosign",
    in_package: "usr/bin/cosign",
    dir: "target/test-tools/cosign",
    variable: "OCI_TEST_COSIGN",
    suite: "trixie",
};

/// oras, which attaches referrers that are not signatures in `oci-sign`'s tests. Bookworm does not have it; trixie's
/// is a static Go binary.
pub(crate) const ORAS: Unpacked = Unpacked {
    package: "oras",
    in_package: "usr/bin/oras",
    dir: "target/test-tools/oras",
    variable: "OCI_TEST_ORAS",
    suite: "trixie",
};

/// Every program [`ensure_unpacked`] provides, for `cargo xtask test` and `cargo xtask test-tools`.
pub(crate) const UNPACKED: [&Unpacked; 3] = [&NTFY, &COSIGN, &ORAS];

/// Makes sure `tool`'s binary exists and returns its path, for the tests' environment variable.
///
/// The variable, when set, must name an existing binary. Otherwise the one unpacked by an earlier run is used;
/// only when there is none are the suite's package index and the `.deb` downloaded (once each), the `.deb` checked
/// against the index's SHA-256 and unpacked with `dpkg -x`. Nothing is installed, so root is not needed.
pub(crate) fn ensure_unpacked(root: &Path, tool: &Unpacked) -> Result<PathBuf> {
    let Unpacked {
        package,
        in_package,
        dir,
        variable,
        suite,
    } = *tool;
    if let Some(custom) = std::env::var_os(variable) {
        let custom = PathBuf::from(custom);
        if custom.is_file() {
            return Ok(custom);
        }
        return Err(format!("{variable} names `{}`, which does not exist", custom.display()).into());
    }
    let dir = root.join(dir);
    let binary = dir.join(in_package);
    if binary.is_file() {
        return Ok(binary);
    }
    let mirror = debian_mirror(variable)?;
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let arch = arch.trim();
    // A download or unpack cut short leaves only these, never a `dir` that looks complete.
    let work = dir.with_extension("download");
    let unpacked = dir.with_extension("partial");
    for stale in [&work, &unpacked, &dir] {
        if stale.exists() {
            fs::remove_dir_all(stale)?;
        }
    }
    fs::create_dir_all(&work)?;
    eprintln!("xtask: {package} is missing; fetching Debian {suite}'s {package} package from {mirror}");
    let index_url = format!("{mirror}/dists/{suite}/main/binary-{arch}/Packages.xz");
    let index = suite_index(root, &index_url)?;
    let entry = find_package(&index, package)
        .ok_or_else(|| format!("{index_url} has no complete entry for the package {package}"))?;
    let deb = work.join(format!("{package}.deb"));
    download(&format!("{mirror}/{}", entry.filename), &deb)?;
    let sum = output(Command::new("sha256sum").arg("--binary").arg(&deb))?;
    let sum = sum.split_whitespace().next().unwrap_or_default();
    if !sum.eq_ignore_ascii_case(&entry.sha256) {
        return Err(format!(
            "{} has SHA-256 {sum}, but {index_url} says {}; not unpacking it",
            entry.filename, entry.sha256
        )
        .into());
    }
    run(Command::new("dpkg").arg("-x").arg(&deb).arg(&unpacked))?;
    if !unpacked.join(in_package).is_file() {
        return Err(format!("{} holds no {in_package}", entry.filename).into());
    }
    fs::rename(&unpacked, &dir)?;
    fs::remove_dir_all(&work)?;
    eprintln!("xtask: unpacked {package} {} to {}", entry.version, dir.display());
    Ok(binary)
}

/// The decompressed `Packages` index at `url` (about 10 MB compressed), downloaded at most once per run of xtask
/// and kept in memory: a fresh machine unpacks several programs from the same suite. Never kept across runs, so
/// a checksum is never taken from an index older than the run.
fn suite_index(root: &Path, url: &str) -> Result<String> {
    static FETCHED: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());
    let mut fetched = FETCHED.lock().map_err(|_| "the package index cache was poisoned")?;
    if let Some((_, index)) = fetched.iter().find(|(seen, _)| seen == url) {
        return Ok(index.clone());
    }
    let dir = root.join("target/test-tools");
    fs::create_dir_all(&dir)?;
    let file = dir.join("Packages.xz");
    download(url, &file)?;
    let index = output(Command::new("xz").arg("--decompress").arg("--stdout").arg(&file))?;
    fs::remove_file(&file)?;
    fetched.push((url.to_owned(), index.clone()));
    Ok(index)
}

/// One package's entry in a suite's `Packages` index: what the download and its check need.
#[derive(Debug, PartialEq, Eq)]
struct PackageEntry {
    version: String,
    /// The path below the mirror's root, `pool/main/...`.
    filename: String,
    sha256: String,
}

/// The first entry of package `name` in a `Packages` index that has a version, a file under `pool/` with no `..`
/// and a 64-digit SHA-256; `None` when there is none (the index is foreign input: a hostile file name must not
/// make the download leave the mirror).
fn find_package(index: &str, name: &str) -> Option<PackageEntry> {
    index.split("\n\n").find_map(|stanza| {
        let field = |key: &str| {
            stanza.lines().find_map(|line| {
                let (field, value) = line.split_once(':')?;
                (!line.starts_with([' ', '\t']) && field == key).then(|| value.trim().to_owned())
            })
        };
        if field("Package")? != name {
            return None;
        }
        let filename = field("Filename")?;
        let sha256 = field("SHA256")?;
        let safe_path = filename.starts_with("pool/")
            && filename
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-+~".contains(&b))
            && !filename.split('/').any(|part| part == "..");
        let hex = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        (safe_path && hex).then(|| PackageEntry {
            version: field("Version").unwrap_or_default(),
            filename,
            sha256,
        })
    })
}

/// The Debian mirror the machine's apt sources name for its own release (`VERSION_CODENAME` in `/etc/os-release`):
/// `/etc/apt/sources.list`, then `/etc/apt/sources.list.d/*.list` and `*.sources` in name order.
fn debian_mirror(variable: &str) -> Result<String> {
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let codename = os_release
        .lines()
        .find_map(|line| line.strip_prefix("VERSION_CODENAME="))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| format!("/etc/os-release names no VERSION_CODENAME; set {variable} to the binary"))?;
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.filter_map(|entry| Some(entry.ok()?.path())).collect();
        more.sort();
        files.extend(more);
    }
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| {
            let text = fs::read_to_string(&path).ok()?;
            Some((path, text))
        })
        .collect();
    mirror_for(&sources, &codename).ok_or_else(|| {
        format!(
            "no apt source names a Debian mirror for `{codename}` (looked in /etc/apt/sources.list and \
             /etc/apt/sources.list.d); set {variable} to the binary"
        )
        .into()
    })
}

/// The first `deb` source with suite `codename` and an `http(s)` URI, from one-line `.list` files and deb822
/// `.sources` files (other file names are ignored, as apt ignores them; so are `Enabled: no` stanzas), without
/// its trailing `/`.
fn mirror_for(sources: &[(PathBuf, String)], codename: &str) -> Option<String> {
    let web = |uri: &str| uri.starts_with("http://") || uri.starts_with("https://");
    sources.iter().find_map(|(path, text)| {
        let name = path.file_name()?.to_str()?;
        let uri = if name == "sources.list" || name.ends_with(".list") {
            text.lines().find_map(|line| {
                let line = line.split('#').next().unwrap_or_default();
                let mut words = line.split_whitespace();
                if words.next()? != "deb" {
                    return None;
                }
                let mut uri = words.next()?;
                if uri.starts_with('[') {
                    // Options such as `[signed-by=...]`, possibly spread over several words.
                    while !uri.ends_with(']') {
                        uri = words.next()?;
                    }
                    uri = words.next()?;
                }
                (words.next()? == codename && web(uri)).then_some(uri)
            })
        } else if name.ends_with(".sources") {
            text.split("\n\n").find_map(|stanza| {
                let field = |key: &str| {
                    stanza.lines().find_map(|line| {
                        // Continuation lines (an inline `Signed-By` key) and comments hold no fields.
                        if line.starts_with([' ', '\t', '#']) {
                            return None;
                        }
                        let (field, value) = line.split_once(':')?;
                        field.eq_ignore_ascii_case(key).then(|| value.trim())
                    })
                };
                let enabled = field("Enabled").is_none_or(|value| value != "no");
                let deb = field("Types")?.split_whitespace().any(|kind| kind == "deb");
                let suite = field("Suites")?.split_whitespace().any(|suite| suite == codename);
                let uri = field("URIs")?.split_whitespace().find(|uri| web(uri))?;
                (enabled && deb && suite).then_some(uri)
            })
        } else {
            None
        }?;
        Some(uri.trim_end_matches('/').to_owned())
    })
}

/// Downloads `url` to `to` with curl, failing on an HTTP error status.
fn download(url: &str, to: &Path) -> Result {
    run(Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location", "--retry", "2"])
        .args(["--proto", "=http,https"])
        .arg("--output")
        .arg(to)
        .arg(url))
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

/// Where the metrics tests look for Prometheus and promtool (they also honour `OCI_TEST_PROMETHEUS` and
/// `OCI_TEST_PROMTOOL`).
pub(crate) const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Where the page tests look for Chromium's WebDriver server (they also honour `OCI_TEST_CHROMEDRIVER`); Debian's
/// `chromium-driver` depends on `chromium`, which it drives.
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Makes sure Prometheus (and promtool, in the same package) exists, installing Debian's package when running as
/// root. The package's own service is not used: the tests start their own servers on free ports.
pub(crate) fn ensure_prometheus() -> Result {
    ensure_one(&Needed {
        binary: PROMETHEUS,
        package: "prometheus",
        variable: "OCI_TEST_PROMETHEUS",
        what: "Prometheus",
    })
}

/// Makes sure chromedriver and Chromium exist, installing Debian's `chromium-driver` when running as root.
pub(crate) fn ensure_chromium() -> Result {
    ensure_one(&Needed {
        binary: CHROMEDRIVER,
        package: "chromium-driver",
        variable: "OCI_TEST_CHROMEDRIVER",
        what: "Chromium's WebDriver server",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three stanzas as trixie's index has them: a package whose name starts like ntfy's, ntfy, and one after.
    const INDEX: &str = "\
Package: ntfy-alertmanager
Version: 0.4.0-1
Filename: pool/main/n/ntfy-alertmanager/ntfy-alertmanager_0.4.0-1_amd64.deb
SHA256: 0000000000000000000000000000000000000000000000000000000000000000

Package: ntfy
Source: ntfy (2.11.0-2)
Version: 2.11.0-2+b4
Description: Send push notifications to your phone or desktop
 Package: not-this
 .
 SHA256: not-this-either
Filename: pool/main/n/ntfy/ntfy_2.11.0-2+b4_amd64.deb
Size: 4560048
SHA256: cd115b3a344b735787bacbe61b2da5f1c96d13bdc686f603558e6dad3c73a4be

Package: nudoku
Version: 5.0.0-1
Filename: pool/main/n/nudoku/nudoku_5.0.0-1_amd64.deb
SHA256: 1111111111111111111111111111111111111111111111111111111111111111
";

    #[test]
    fn the_index_entry_of_the_named_package_is_found() {
        assert_eq!(
            find_package(INDEX, "ntfy"),
            Some(PackageEntry {
                version: "2.11.0-2+b4".to_owned(),
                filename: "pool/main/n/ntfy/ntfy_2.11.0-2+b4_amd64.deb".to_owned(),
                sha256: "cd115b3a344b735787bacbe61b2da5f1c96d13bdc686f603558e6dad3c73a4be".to_owned(),
            })
        );
        assert_eq!(find_package(INDEX, "not-this"), None);
        assert_eq!(find_package(INDEX, "nt"), None);
    }

    #[test]
    fn an_entry_that_would_leave_the_pool_or_has_no_usable_checksum_is_refused() {
        let good = "pool/main/n/ntfy/ntfy_1_amd64.deb";
        let sum = "cd115b3a344b735787bacbe61b2da5f1c96d13bdc686f603558e6dad3c73a4be";
        for (filename, sha256, found) in [
            (good, sum, true),
            ("pool/../../etc/passwd", sum, false),
            ("/etc/passwd", sum, false),
            ("pool/main/n/ntfy/x.deb?y=1", sum, false),
            ("http://elsewhere.invalid/pool/x.deb", sum, false),
            (good, "cd115b", false),
            (good, &sum.replace('c', "g"), false),
        ] {
            let index = format!("Package: ntfy\nVersion: 1\nFilename: {filename}\nSHA256: {sha256}\n");
            assert_eq!(find_package(&index, "ntfy").is_some(), found, "{filename} {sha256}");
        }
        assert_eq!(
            find_package("Package: ntfy\nVersion: 1\nFilename: pool/a.deb\n", "ntfy"),
            None
        );
    }

    fn check_mirror(files: &[(&str, &str)], expected: Option<&str>) {
        let sources: Vec<(PathBuf, String)> = files
            .iter()
            .map(|(name, text)| (PathBuf::from("/etc/apt").join(name), (*text).to_owned()))
            .collect();
        assert_eq!(mirror_for(&sources, "bookworm").as_deref(), expected, "{files:?}");
    }

    #[test]
    fn the_mirror_is_the_one_the_sources_name_for_the_release() {
        // This machine's own layout: deb822, the security archive in a second stanza.
        let deb822 = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
                      URIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                      Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        check_mirror(
            &[("sources.list.d/debian.sources", deb822)],
            Some("http://deb.debian.org/debian"),
        );
        // Only the security archive, or a disabled stanza, or a file apt ignores: no mirror.
        let security = "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        check_mirror(&[("sources.list.d/debian.sources", security)], None);
        let disabled = "Enabled: no\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n";
        check_mirror(&[("sources.list.d/debian.sources", disabled)], None);
        check_mirror(&[("sources.list.d/debian.sources.disabled", deb822)], None);
        // One-line format, with options, comments and deb-src lines before the answer.
        let list = "# deb http://old.invalid/debian bookworm main\n\
                    deb-src http://src.invalid/debian bookworm main\n\
                    deb http://deb.debian.org/debian-security bookworm-security main\n\
                    deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://mirror.example/debian/ bookworm main\n";
        check_mirror(&[("sources.list", list)], Some("https://mirror.example/debian"));
        // A third party's repository for another suite is passed over; the first match wins.
        check_mirror(
            &[
                ("sources.list", ""),
                (
                    "sources.list.d/google.list",
                    "deb https://packages.example/apt cloud-sdk-bookworm main\n",
                ),
                ("sources.list.d/z.list", "deb http://ftp.example/debian bookworm main\n"),
            ],
            Some("http://ftp.example/debian"),
        );
        // A CD-ROM or file source is not a mirror to download from.
        check_mirror(&[("sources.list", "deb file:/media/cdrom bookworm main\n")], None);
    }
}
