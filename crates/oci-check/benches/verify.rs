//! `oci-check verify` as an operator runs it before taking updates, through a 50 ms round trip, with a cold cache
//! and then a warm one: 100 images signed by the real cosign with a key (half in the legacy `.sig` tag, half as OCI
//! 1.1 referrers, which this registry lists under the referrers tag), then 100 images signed keyless (Sigstore
//! bundles from a private instance, attached as cosign 3 attaches them) verified against its trusted root for an
//! identity and issuer, then 100 keyless as with Rekor v2 (each bundle's signing time an RFC 3161 timestamp from
//! OpenSSL's authority). Reported: wall time, and the requests, pulls and cache hits of `-v`'s summary line.
//!
//! Run by `cargo xtask bench` (`cargo bench` passes `--bench`). Without `--bench`, as `cargo test` runs it, a
//! 4-image smoke run with the same code and assertions.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark program: setup failures abort it, and it prints its figures"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use oci_testkit::cosign::{Cosign, Mode};
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::sigstore::{SIGN_PREDICATE, Signing, now};
use oci_testkit::{Proxy, Registry, Sigstore, TempDir};

/// One way of the 50 ms round trip.
const ONE_WAY: Duration = Duration::from_millis(25);

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let count = if full { 100 } else { 4 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::open();
    let images = registry.images("bench/signed").unwrap();
    let digests: Vec<_> = runtime.block_on(async {
        let mut digests = Vec::new();
        for position in 0..count {
            let tag = format!("s{position}");
            digests.push(images.image(OCI_MANIFEST, &tag, Some(&tag)).await.unwrap().digest);
        }
        digests
    });
    let cosign = Cosign::new();
    let key = cosign.generate_key_pair("bench");
    let started = Instant::now();
    for (position, digest) in digests.iter().enumerate() {
        let mode = if position % 2 == 0 { Mode::Tag } else { Mode::Referrers };
        cosign.sign(&key, &format!("{}/bench/signed@{digest}", registry.host()), mode);
    }
    println!(
        "verify: pushed and signed {count} images in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let sigstore = Sigstore::new();
    let keyless = registry.images("bench/keyless").unwrap();
    let signing = Signing {
        identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
        issuer: "https://token.actions.githubusercontent.com",
        integrated_time: now(),
    };
    runtime.block_on(async {
        for position in 0..count {
            let tag = format!("k{position}");
            let image = keyless.image(OCI_MANIFEST, &tag, Some(&tag)).await.unwrap();
            let bundle = sigstore.sign_image(&image.digest, &signing);
            Sigstore::attach(&keyless, &image, &bundle, SIGN_PREDICATE)
                .await
                .unwrap();
            // The same kind of image signed as with Rekor v2: its signing time an RFC 3161 timestamp.
            let tag = format!("t{position}");
            let image = keyless.image(OCI_MANIFEST, &tag, Some(&tag)).await.unwrap();
            let bundle = sigstore.sign_image_rekor_v2(&image.digest, &signing);
            Sigstore::attach(&keyless, &image, &bundle, SIGN_PREDICATE)
                .await
                .unwrap();
        }
    });
    let proxy = runtime.block_on(Proxy::start(registry.host().parse().unwrap(), ONE_WAY));
    let dir = TempDir::new("oci-check-bench-verify");
    let root = sigstore.write_trusted_root(dir.path(), "trusted_root.json");
    let keyed: Vec<String> = (0..count)
        .map(|position| format!("{}/bench/signed:s{position}", proxy.host()))
        .collect();
    let key = key.public.display().to_string();
    measure(
        "cosign, keyed",
        &dir.path().join("cache-keyed"),
        &["--key", &key],
        &keyed,
    );
    let keyless: Vec<String> = (0..count)
        .map(|position| format!("{}/bench/keyless:k{position}", proxy.host()))
        .collect();
    let root = root.display().to_string();
    let trust = [
        "--trusted-root",
        &root,
        "--identity",
        "https://github\\.com/acme/.*",
        "--issuer",
        signing.issuer,
    ];
    measure(
        "Sigstore bundles, keyless",
        &dir.path().join("cache-keyless"),
        &trust,
        &keyless,
    );
    let rekor_v2: Vec<String> = (0..count)
        .map(|position| format!("{}/bench/keyless:t{position}", proxy.host()))
        .collect();
    measure(
        "Sigstore bundles, keyless, Rekor v2 (RFC 3161 timestamps)",
        &dir.path().join("cache-rekor-v2"),
        &trust,
        &rekor_v2,
    );
}

/// Verifies `references` with `trust` twice, with a cold cache (the directory `cache`, which also stands for an
/// empty Docker config) and then warm, and prints the figures.
fn measure(what: &str, cache: &Path, trust: &[&str], references: &[String]) {
    let count = references.len();
    for run in ["cold", "warm"] {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_oci-check"))
            .env("DOCKER_CONFIG", cache)
            .env("XDG_CACHE_HOME", cache)
            .args(["-v", "verify", "--json"])
            .args(trust)
            .args(references)
            .output()
            .unwrap();
        let wall = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "every image verifies: {stdout}\n{stderr}");
        assert_eq!(stdout.matches(r#""status":"verified""#).count(), count, "{stdout}");
        let summary = stderr
            .lines()
            .find(|line| line.contains("summary:"))
            .unwrap_or_else(|| panic!("no summary line: {stderr}"));
        let summary = summary.split("summary:").nth(1).unwrap().trim();
        if run == "warm" {
            assert!(summary.contains(" 0 GETs"), "a warm run spends no pull: {summary}");
        }
        println!(
            "verify {count} images ({what}) at {} ms RTT, {run} cache: {:.0} ms; {summary}",
            (ONE_WAY * 2).as_millis(),
            wall.as_secs_f64() * 1000.0
        );
    }
}
