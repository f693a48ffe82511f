//! End-to-end tests: the built `oci-check` binary, run as a user would run it, against the real CNCF registry
//! (`docker-registry`) started by each test on a free loopback port.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions panic on setup failures, as tests do"
)]

// The cache and the pull budget: second runs, shared directories, corrupt entries, the size cap, ratelimit, cache.
mod cache;
// Credentials as a user gives them: helpers, `auths`, `--username`/`--password-stdin`, Bearer, and missing or wrong ones.
mod auth;
// The page in a real headless Chromium over WebDriver: rows, filter, sorting, refresh, hostile strings.
mod browser;
// Sigstore bundles: cosign's keyed bundles, keyless ones from a private Sigstore instance, in verify and update.
mod bundles;
// The demo's registry (examples/push-demo.rs): what `cargo xtask demo` leaves behind.
mod demo;
// What works without flags or despite a broken environment (loopback HTTP, unreadable credentials files, flag spellings).
mod defaults;
// The real Docker Engine (dockerd from docker.io): update --docker on running, created, moved, pinned and local images.
mod docker;
// Attacks from hostile registries (fault servers): leaked credentials, terminal injection, unbounded waits, auth loops.
mod hostile;
// Hostile sources of what runs here: compose projects and inspect output from elsewhere, engines that stall.
mod hostile_sources;
// `update --kubectl-json`: a cluster's pods and nodes from kubectl output, against images in the real registry.
mod kubernetes;
// Notation signatures: JWS envelopes as `notation sign` attaches them, against --notation-root.
mod notation;
// Behind a proxy (a real squid): verdicts through CONNECT tunnels and absolute-form requests, NO_PROXY, refusals.
mod proxy;
// `oci-check ref`: parsing and printing references, no registry needed.
// `watch --listen`: the page, the results, the metrics, tokens, a fleet on one Redis.
mod reference;
mod serve;
// What runs here: --compose (and the engines and inspect output), services and containers in the output.
mod sources;
// `oci-check digest` and `oci-check manifest`; a new read-only subcommand goes here too.
mod subcommands;
// `oci-check update`: verdicts, JSON fields, the table, exit codes. Most new CLI behaviour belongs here.
mod update;
// `verify`: cosign signatures from the real cosign, found in the legacy tag and the referrers tag.
mod verify;
// `update --newer` and `versions`: newer version tags, with images of chosen dates and platforms.
mod versions;
// `oci-check watch` and `notify --test`: events told once per target, state, cooldown, signals.
mod watch;

use std::io::Write;
use std::process::{Command, Stdio};

use oci_digest::Digest;
use oci_testkit::{Registry, block_on};

/// One tag moved from an old image to a new one.
struct Moved {
    new: Digest,
    /// `HOST/REPOSITORY:TAG@OLD`: the image as it runs, before the move.
    running: String,
}

/// The signing keys (whose files live as long as the `Cosign` that made them) and three moved tags of `repository` that `update --verify-key` and `watch --verify-key` judge:
/// every old image signed by `first` (legacy tag); `same` moved to an image `first` signed too, `rotated` to one
/// `second` signed (OCI 1.1, through the referrers tag), `unsigned` to an unsigned one.
struct SignedMoves {
    first: oci_testkit::cosign::KeyPair,
    second: oci_testkit::cosign::KeyPair,
    same: Moved,
    rotated: Moved,
    unsigned: Moved,
}

impl SignedMoves {
    fn new(registry: &Registry, cosign: &oci_testkit::Cosign, repository: &str) -> Self {
        use oci_testkit::cosign::Mode;
        let first = cosign.generate_key_pair("first");
        let second = cosign.generate_key_pair("second");
        let images = registry.images(repository).unwrap();
        let host = registry.host();
        let moved = |tag: &str| {
            let (old, new) = block_on(images.moved(tag)).unwrap();
            cosign.sign(&first, &format!("{host}/{repository}@{}", old.digest), Mode::Tag);
            Moved {
                running: format!("{host}/{repository}:{tag}@{}", old.digest),
                new: new.digest,
            }
        };
        let (same, rotated, unsigned) = (moved("same"), moved("rotated"), moved("unsigned"));
        cosign.sign(&first, &format!("{host}/{repository}@{}", same.new), Mode::Tag);
        cosign.sign(
            &second,
            &format!("{host}/{repository}@{}", rotated.new),
            Mode::Referrers,
        );
        Self {
            first,
            second,
            same,
            rotated,
            unsigned,
        }
    }
}

/// What one run of `oci-check` did.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `oci-check ARGS` and reads its standard output as JSON Lines: the exit code and one value per line.
fn oci_check_json(args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let out = oci_check(args, "");
    let records = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}\n{out:?}")))
        .collect();
    (out.code, records)
}

/// Runs `oci-check verify --json ARGS` (trust options, then images): the exit code and one record per image.
fn verify_json(args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut all = vec!["verify", "--json"];
    all.extend_from_slice(args);
    oci_check_json(&all)
}

/// Runs `oci-check ARGS` with `stdin` as its standard input.
fn oci_check(args: &[&str], stdin: impl AsRef<[u8]>) -> Outcome {
    oci_check_env(args, stdin, &[])
}

/// Runs `oci-check ARGS` with `stdin` and the environment variables `env` (an empty value removes one).
/// Credentials files are looked up in an empty directory unless `env` sets `DOCKER_CONFIG`.
fn oci_check_env(args: &[&str], stdin: impl AsRef<[u8]>, env: &[(&str, &str)]) -> Outcome {
    let empty = oci_testkit::TempDir::new("oci-check-empty-config");
    // Each run has a cache of its own unless the test gives one (--cache-dir, XDG_CACHE_HOME): a manifest cached by
    // another test must not answer for this one.
    let cache = oci_testkit::TempDir::new("oci-check-cache");
    let mut command = Command::new(env!("CARGO_BIN_EXE_oci-check"));
    command
        .env("DOCKER_CONFIG", empty.path())
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NO_COLOR");
    // A proxy set in the environment of whoever runs the tests must not carry the tests' loopback traffic;
    // the proxy tests set these themselves.
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        if value.is_empty() {
            command.env_remove(name);
        } else {
            command.env(name, value);
        }
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("oci-check runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.as_ref().to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().expect("oci-check finishes");
    // A command may exit before reading its input (a usage error found first): a closed pipe is not a failure.
    match writer.join().expect("writer thread") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => panic!("stdin not written: {err}"),
        _ => {}
    }
    Outcome {
        code: output.status.code().expect("oci-check exits rather than being killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// An open registry with the README demo's first images: `demo/app:1` (single-arch amd64) and `demo/multi:latest`
/// (an index of an amd64 and an arm64 image). `subcommands` reads them; `update` then moves the tags.
struct Demo {
    registry: Registry,
    app: Digest,
    multi: Digest,
    amd64: Digest,
    arm64: Digest,
}

impl Demo {
    fn new() -> Self {
        let registry = Registry::open();
        let app = registry.images("demo/app").unwrap();
        let multi = registry.images("demo/multi").unwrap();
        let (app, amd64, arm64, multi) = block_on(async {
            let app = app.platform_image("amd64", "app-1.0", Some("1")).await.unwrap().digest;
            let amd64 = multi.platform_image("amd64", "multi-amd64", None).await.unwrap().digest;
            let arm64 = multi
                .platform_image("arm64", "multi-arm64-1", None)
                .await
                .unwrap()
                .digest;
            let index = multi
                .index(&[("amd64", &amd64), ("arm64", &arm64)], "latest")
                .await
                .unwrap()
                .digest;
            (app, amd64, arm64, index)
        });
        Self {
            registry,
            app,
            multi,
            amd64,
            arm64,
        }
    }
}
