//! `oci-check verify` as an operator runs it before taking updates: 100 images signed by the real cosign (half in
//! the legacy `.sig` tag, half as OCI 1.1 referrers, which this registry lists under the referrers tag), verified
//! through a 50 ms round trip, with a cold cache and then a warm one. Reported: wall time, and the requests, pulls
//! and cache hits of `-v`'s summary line.
//!
//! Run by `cargo xtask bench` (`cargo bench` passes `--bench`). Without `--bench`, as `cargo test` runs it, a
//! 4-image smoke run with the same code and assertions.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark program: setup failures abort it, and it prints its figures"
)]

use std::process::Command;
use std::time::{Duration, Instant};

use oci_testkit::cosign::{Cosign, Mode};
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{Proxy, Registry, TempDir};

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
    let proxy = runtime.block_on(Proxy::start(registry.host().parse().unwrap(), ONE_WAY));
    let dir = TempDir::new("oci-check-bench-verify");
    let references: Vec<String> = (0..count)
        .map(|position| format!("{}/bench/signed:s{position}", proxy.host()))
        .collect();
    for run in ["cold", "warm"] {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_oci-check"))
            .env("DOCKER_CONFIG", dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .args(["-v", "verify", "--json", "--key"])
            .arg(&key.public)
            .args(&references)
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
            "verify {count} signed images at {} ms RTT, {run} cache: {:.0} ms; {summary}",
            (ONE_WAY * 2).as_millis(),
            wall.as_secs_f64() * 1000.0
        );
    }
}
