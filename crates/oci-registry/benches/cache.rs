//! The cache against the real registry at 50 ms round trip: 500 multi-arch images of which 50 tags were rebuilt
//! (a new index whose arm64 image changed, the amd64 one kept), checked for linux/amd64 with the old digests in
//! use. A cold run (empty cache directory) and a warm one (the same directory, a fresh client: a new run); with the
//! `redis` feature, the same on a Redis server (another host's run warming it for the next).
//!
//! Run by `cargo xtask bench` (`cargo bench` passes `--bench`). Without `--bench`, as `cargo test` runs it, a
//! 10-image smoke run (2 rebuilt) with the same code and assertions.
//!
//! Then `update --newer` as the library runs it (`CheckOptions::newer`): as many repositories with a version in use
//! (`1.0.0`) and a newer one (`1.1.0`), with no cache, cold and warm: a warm run sends HEADs only.
//!
//! Columns: wall time of `check_many` (concurrency 64); manifest HEADs and GETs the client sent (GETs are what
//! Docker Hub counts as pulls); cache hits; bytes in the cache directory after the run (not counting Redis).

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark program: setup failures abort it, and it prints its figures"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use oci_registry::cache::{Cache, FsCache};
use oci_registry::{CheckOptions, Client, Policy, UpdateRequest, UpdateStatus};
use oci_testkit::images::OCI_INDEX;
use oci_testkit::{Images, Proxy, Registry, TempDir};
use tokio::task::JoinSet;

/// One way of the 50 ms round trip.
const ONE_WAY: Duration = Duration::from_millis(25);

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (count, rebuilt) = if full { (500, 50) } else { (10, 2) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(count, rebuilt));
    runtime.block_on(newer(count));
}

/// `count` repositories `bench/svc{i}` with `1.0.0` in use and a newer `1.1.0`, checked with the version search
/// chained after each check: no cache, cold, warm.
async fn newer(count: usize) {
    let registry = Registry::open();
    let started = Instant::now();
    let mut running = JoinSet::new();
    let mut in_use = vec![None; count];
    let mut next = 0;
    loop {
        while next < count && running.len() < 32 {
            let (client, host, position) = (registry.client(), registry.host().to_owned(), next);
            running.spawn(async move {
                let name = format!("bench/svc{position}");
                let images = Images::new(&client, &host, &name).unwrap();
                let old = images.in_use_and_newer(&name).await.unwrap();
                (position, name, old.digest)
            });
            next += 1;
        }
        match running.join_next().await {
            Some(joined) => {
                let (position, name, digest) = joined.unwrap();
                in_use[position] = Some((name, digest));
            }
            None => break,
        }
    }
    println!(
        "newer: pushed {count} repositories with 1.0.0 in use and 1.1.0, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let proxy = Proxy::start(registry.host().parse().unwrap(), ONE_WAY).await;
    let platform = Platform::new("linux", "amd64");
    let requests: Vec<UpdateRequest> = in_use
        .into_iter()
        .map(Option::unwrap)
        .map(|(name, digest)| {
            let reference = Reference::parse_normalized(&format!("{}/{name}:1.0.0", proxy.host())).unwrap();
            UpdateRequest::new(reference, Some(digest), platform.clone())
        })
        .collect();
    let dir = TempDir::new("oci-registry-bench-newer");
    println!(
        "{:<10} {:>6} {:>7} {:>6} {:>6} {:>10}",
        "--newer", "rtt", "wall ms", "HEADs", "GETs", "cache hits"
    );
    let options = CheckOptions::new().concurrency(64).newer(Policy::new());
    for run in ["no cache", "cold", "warm"] {
        let mut builder = Client::builder()
            .registry(&proxy.host(), registry.options())
            .max_concurrency_per_registry(64);
        if run != "no cache" {
            builder = builder.cache(Arc::new(FsCache::open(dir.path(), 256 << 20).unwrap()) as Arc<dyn Cache>);
        }
        let client = builder.build().unwrap();
        let started = Instant::now();
        let results = client.check_many(&requests, &options).await;
        let wall = started.elapsed();
        for result in &results {
            let newer = result.as_ref().unwrap().newer().unwrap().unwrap();
            assert_eq!(newer.newer().unwrap().tag(), "1.1.0");
        }
        let stats = client.pull_stats();
        if run == "warm" {
            assert_eq!(stats.gets(), 0, "a warm --newer run sends no manifest GET");
        }
        println!(
            "{run:<10} {:>4}ms {:>7} {:>6} {:>6} {:>10}",
            (ONE_WAY * 2).as_millis(),
            wall.as_millis(),
            stats.heads(),
            stats.gets(),
            stats.cache_hits()
        );
    }
}

async fn run(count: usize, rebuilt: usize) {
    let registry = Registry::open();
    let started = Instant::now();
    let images = push_all(&registry, count, rebuilt).await;
    println!(
        "cache: pushed {count} multi-arch images, {rebuilt} of them rebuilt, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let proxy = Proxy::start(registry.host().parse().unwrap(), ONE_WAY).await;
    let platform = Platform::new("linux", "amd64");
    let requests: Vec<UpdateRequest> = images
        .iter()
        .map(|(name, in_use)| {
            let reference = Reference::parse_normalized(&format!("{}/{name}:v1", proxy.host())).unwrap();
            UpdateRequest::new(reference, Some(in_use.clone()), platform.clone())
        })
        .collect();
    let dir = TempDir::new("oci-registry-bench-cache");
    println!(
        "{:<10} {:>6} {:>7} {:>6} {:>6} {:>10} {:>11}",
        "run", "rtt", "wall ms", "HEADs", "GETs", "cache hits", "cache bytes"
    );
    #[cfg(feature = "redis")]
    let redis = oci_testkit::RedisServer::start();
    let mut runs: Vec<(&str, Option<Arc<dyn Cache>>)> = vec![("no cache", None)];
    for run in ["cold", "warm", "warm"] {
        runs.push((run, Some(Arc::new(FsCache::open(dir.path(), 256 << 20).unwrap()))));
    }
    #[cfg(feature = "redis")]
    for run in ["cold redis", "warm redis"] {
        let cache = oci_registry::cache::RedisCache::connect(&redis.url(), "oci-check:")
            .await
            .unwrap();
        runs.push((run, Some(Arc::new(cache))));
    }
    for (run, cache) in runs {
        let mut builder = Client::builder()
            .registry(&proxy.host(), registry.options())
            .max_concurrency_per_registry(64);
        if let Some(cache) = cache {
            builder = builder.cache(cache);
        }
        let client = builder.build().unwrap();
        let started = Instant::now();
        let results = client.check_many(&requests, &CheckOptions::new().concurrency(64)).await;
        let wall = started.elapsed();
        for result in &results {
            let check = result.as_ref().unwrap();
            assert_eq!((check.status(), check.verified()), (UpdateStatus::UpToDate, true));
        }
        let stats = client.pull_stats();
        let expected_gets = if run.starts_with("warm") { 0 } else { 2 * rebuilt as u64 };
        assert_eq!(stats.gets(), expected_gets, "{run}");
        println!(
            "{run:<10} {:>4}ms {:>7} {:>6} {:>6} {:>10} {:>11}",
            (ONE_WAY * 2).as_millis(),
            wall.as_millis(),
            stats.heads(),
            stats.gets(),
            stats.cache_hits(),
            dir_bytes(dir.path())
        );
    }
}

/// Pushes `count` indexes (`bench/app{i}:v1`), the first `rebuilt` of them pushed again with a new arm64 image;
/// returns each repository with the digest in use (the first index).
async fn push_all(registry: &Registry, count: usize, rebuilt: usize) -> Vec<(String, Digest)> {
    let client = registry.client();
    let mut running = JoinSet::new();
    let mut pushed = vec![None; count];
    let mut next = 0;
    loop {
        while next < count && running.len() < 32 {
            let (client, host, position) = (client.clone(), registry.host().to_owned(), next);
            running.spawn(async move {
                let name = format!("bench/app{position}");
                let images = Images::new(&client, &host, &name).unwrap();
                let (index, children) = images.list(OCI_INDEX, &name, "v1").await.unwrap();
                if position < rebuilt {
                    let arm = images
                        .platform_image("arm64", &format!("{name}-rebuilt"), None)
                        .await
                        .unwrap();
                    images
                        .index(&[("amd64", &children[0].digest), ("arm64", &arm.digest)], "v1")
                        .await
                        .unwrap();
                }
                (position, name, index.digest)
            });
            next += 1;
        }
        match running.join_next().await {
            Some(joined) => {
                let (position, name, digest) = joined.unwrap();
                pushed[position] = Some((name, digest));
            }
            None => break,
        }
    }
    pushed.into_iter().map(Option::unwrap).collect()
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}
