//! `check_many` against the real registry: 500 multi-arch images, on loopback and at 50 ms round trip through a
//! latency-injecting TCP proxy, over plain HTTP, TLS (HTTP/2) and TLS with Bearer tokens; then 10 000 checks for
//! the peak memory.
//!
//! Run by `cargo xtask bench` (`cargo bench` passes `--bench`). Without `--bench`, as `cargo test` runs it, it does
//! a 5-image smoke run with the same code and assertions.
//!
//! Each run uses a fresh client (cold connections, empty token cache) whose checks all find the tag at the digest
//! given, so a check is one `HEAD`. Columns: wall time of `check_many`; manifest requests per image counted by the
//! checks, plus the constant per registry (the ping, and over plain HTTP the request heads the proxy saw, which
//! count everything); TCP connections accepted by the proxy; token requests answered by the token server; the
//! process's peak resident memory (`VmHWM`) after the run; CPU milliseconds spent during the run by this process
//! (client and proxy) and by the registry, which on a shared machine explain where the time goes.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark program: setup failures abort it, and it prints its figures"
)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use oci_registry::{CheckOptions, Client, Credentials, RegistryOptions, UpdateRequest, UpdateStatus};
use oci_testkit::images::OCI_INDEX;
use oci_testkit::{Auth, Images, Proxy, Registry, TestCa, TokenServer};
use tokio::task::JoinSet;

/// One way of the 50 ms round trip.
const ONE_WAY: Duration = Duration::from_millis(25);

struct Setup {
    label: &'static str,
    registry: Registry,
    /// `(repository, index digest)` of every pushed image.
    images: Vec<(String, Digest)>,
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (count, memory_checks) = if full { (500, 10_000) } else { (5, 40) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(count, memory_checks));
}

async fn run(count: usize, memory_checks: usize) {
    let ca = TestCa::new();
    let names: Vec<String> = (0..count).map(|i| format!("bench/app{i}")).collect();
    let public: Vec<&str> = names.iter().map(String::as_str).collect();
    let token_server = TokenServer::start(&[("pusher", "push-pass")], &public);

    let started = Instant::now();
    let mut setups = Vec::new();
    for (label, auth, tls) in [
        ("http", Auth::Open, None),
        ("https h2", Auth::Open, Some(&ca)),
        ("https h2 + token", Auth::Token(&token_server), Some(&ca)),
    ] {
        let token = matches!(auth, Auth::Token(_));
        let registry = Registry::start(auth, tls);
        let images = push_all(&registry, &names, token).await;
        setups.push(Setup {
            label,
            registry,
            images,
        });
    }
    println!(
        "check_many: pushed {count} multi-arch images (OCI index, linux/amd64 + linux/arm64) into each of {} registries in {:.1} s",
        setups.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "peak memory after pushing: {:.1} MiB",
        peak_memory_kib() as f64 / 1024.0
    );
    println!(
        "{:<18} {:>6} {:>5} {:>6} {:>9} {:>9} {:>10} {:>6} {:>7} {:>9} {:>7} {:>7}",
        "transport",
        "rtt",
        "conc",
        "checks",
        "wall ms",
        "req/img",
        "http reqs",
        "conns",
        "tokens",
        "VmHWM MiB",
        "cli cpu",
        "reg cpu"
    );
    let repeat = memory_checks.div_ceil(count.max(1));
    let row = measure(&setups[1], Duration::ZERO, 256, repeat).await;
    println!(
        "memory run first, before any run at high connection counts raises the peak: {} checks over https h2, concurrency 256",
        row.checks
    );
    row.print(setups[1].label, Duration::ZERO, 256);
    println!("then every image once per run, a fresh client each:");
    for setup in &setups {
        for delay in [Duration::ZERO, ONE_WAY] {
            for concurrency in [32, 256] {
                let row = measure(setup, delay, concurrency, 1).await;
                row.print(setup.label, delay, concurrency);
            }
        }
    }
}

/// Pushes one index with two platform images into each repository, 32 repositories at a time.
async fn push_all(registry: &Registry, names: &[String], token: bool) -> Vec<(String, Digest)> {
    let mut options = registry.options();
    if token {
        options = options.credentials(Credentials::new("pusher", "push-pass"));
    }
    let client = Client::builder().registry(registry.host(), options).build().unwrap();
    let mut running = JoinSet::new();
    let mut pushed = vec![None; names.len()];
    let mut next = 0;
    loop {
        while next < names.len() && running.len() < 32 {
            let client = client.clone();
            let host = registry.host().to_owned();
            let name = names[next].clone();
            let position = next;
            running.spawn(async move {
                let images = Images::new(&client, &host, &name).unwrap();
                let (index, _) = images.list(OCI_INDEX, &name, "v1").await.unwrap();
                (position, index.digest)
            });
            next += 1;
        }
        match running.join_next().await {
            Some(joined) => {
                let (position, digest) = joined.unwrap();
                pushed[position] = Some(digest);
            }
            None => break,
        }
    }
    names
        .iter()
        .cloned()
        .zip(pushed.into_iter().map(Option::unwrap))
        .collect()
}

struct Row {
    checks: usize,
    wall: Duration,
    requests_per_image: f64,
    http_requests: Option<u64>,
    connections: u64,
    tokens: usize,
    client_cpu: u64,
    registry_cpu: u64,
    peak_mib: f64,
}

/// Runs `check_many` over every image `repeat` times with a fresh client through a proxy delaying each way by
/// `delay`, and checks that every image is up to date.
async fn measure(setup: &Setup, delay: Duration, concurrency: usize, repeat: usize) -> Row {
    let upstream: SocketAddr = setup.registry.host().parse().unwrap();
    let proxy = Proxy::start(upstream, delay).await;
    let options: RegistryOptions = setup.registry.options();
    let client = Client::builder()
        .registry(&proxy.host(), options)
        .max_concurrency_per_registry(concurrency)
        .build()
        .unwrap();
    let platform = Platform::new("linux", "amd64");
    let requests: Vec<UpdateRequest> = (0..repeat)
        .flat_map(|_| setup.images.iter())
        .map(|(name, digest)| {
            let reference = Reference::parse_normalized(&format!("{}/{name}:v1", proxy.host())).unwrap();
            UpdateRequest::new(reference, Some(digest.clone()), platform.clone())
        })
        .collect();
    let tokens_before = setup.registry.token_server().map_or(0, TokenServer::requests);
    let cpu_before = (cpu_ms("self"), cpu_ms(&setup.registry.pid().to_string()));
    let started = Instant::now();
    let results = client
        .check_many(&requests, &CheckOptions::new().concurrency(concurrency))
        .await;
    let wall = started.elapsed();
    let client_cpu = cpu_ms("self") - cpu_before.0;
    let registry_cpu = cpu_ms(&setup.registry.pid().to_string()) - cpu_before.1;
    let mut manifest_requests = 0_u64;
    for result in &results {
        let check = result.as_ref().unwrap_or_else(|err| panic!("{}: {err}", setup.label));
        assert_eq!(check.status(), UpdateStatus::UpToDate);
        manifest_requests += u64::from(check.requests());
    }
    let tokens = setup.registry.token_server().map_or(0, TokenServer::requests) - tokens_before;
    assert_eq!(oci_registry::internal::token_requests(&client), tokens as u64);
    Row {
        checks: requests.len(),
        wall,
        // The ping before the checks is the constant per registry.
        requests_per_image: (manifest_requests + 1) as f64 / requests.len() as f64,
        http_requests: setup.label.eq("http").then(|| proxy.request_heads()),
        connections: proxy.connections(),
        tokens,
        client_cpu,
        registry_cpu,
        peak_mib: peak_memory_kib() as f64 / 1024.0,
    }
}

impl Row {
    fn print(&self, label: &str, delay: Duration, concurrency: usize) {
        let http = self.http_requests.map_or_else(|| "-".to_owned(), |n| n.to_string());
        println!(
            "{:<18} {:>4}ms {:>5} {:>6} {:>9.1} {:>9.3} {:>10} {:>6} {:>7} {:>9.1} {:>7} {:>7}",
            label,
            (delay * 2).as_millis(),
            concurrency,
            self.checks,
            self.wall.as_secs_f64() * 1000.0,
            self.requests_per_image,
            http,
            self.connections,
            self.tokens,
            self.peak_mib,
            self.client_cpu,
            self.registry_cpu
        );
    }
}

/// The process's peak resident set size in KiB (`VmHWM` in `/proc/self/status`), 0 where that is not available.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// User plus system CPU time of the process `pid` (`self` for this one) in milliseconds, from `/proc/PID/stat`; 0
/// where that is not available.
fn cpu_ms(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The fields after the command name in parentheses: state is the first, utime the 12th and stime the 13th.
    let Some((_, fields)) = stat.rsplit_once(") ") else {
        return 0;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // The kernel's USER_HZ is 100 on Linux.
    ticks * 10
}
