//! `oci-check watch` as an operator runs it: 500 images on the real registry behind a 50 ms round trip, one round
//! every 2 s, for 100 rounds. Measured from outside, as a user would: the round lines on stderr (HEADs and pulls
//! per round, which on a warm round must be HEADs only), the process's resident memory after the last round
//! (`VmRSS`), and its CPU time while it sleeps between rounds (`utime + stime` over one idle second).
//!
//! Run by `cargo xtask bench` (`cargo bench` passes `--bench`). Without `--bench`, as `cargo test` runs it, a
//! 10-image, 3-round smoke run with the same code and assertions.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark program: setup failures abort it, and it prints its figures"
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oci_testkit::{Images, Proxy, Registry, TempDir};
use tokio::task::JoinSet;

/// One way of the 50 ms round trip.
const ONE_WAY: Duration = Duration::from_millis(25);

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (count, rounds) = if full { (500, 100) } else { (10, 3) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = Registry::open();
    let started = Instant::now();
    let digests = runtime.block_on(push(&registry, count));
    println!(
        "watch: pushed {count} images in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let proxy = runtime.block_on(Proxy::start(registry.host().parse().unwrap(), ONE_WAY));
    let dir = TempDir::new("oci-check-bench-watch");
    let list = dir.path().join("images.txt");
    let mut file = std::fs::File::create(&list).unwrap();
    for (position, digest) in digests.iter().enumerate() {
        writeln!(file, "{}/bench/w{position}:1@{digest}", proxy.host()).unwrap();
    }
    drop(file);

    let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
        .env("DOCKER_CONFIG", dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args(["watch", "--interval", "2s", "--platform", "linux/amd64", "-f"])
        .arg(&list)
        .arg("--state")
        .arg(dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (lines, rounds_seen) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if line.contains("round: ") && lines.send(line).is_err() {
                return;
            }
        }
    });
    println!(
        "{:>6} {:>6} {:>6} {:>6} {:>8}",
        "round", "HEADs", "pulls", "hits", "wall ms"
    );
    let mut warm = Vec::new();
    for round in 1..=rounds {
        let line = rounds_seen
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("round {round} did not end within 120 s"));
        let figure = |unit: &str| -> u64 {
            let before = line.split(unit).next().unwrap();
            before.trim_end().rsplit([' ', ',']).next().unwrap().parse().unwrap()
        };
        let (heads, pulls, hits, wall) = (figure(" HEAD"), figure(" pull"), figure(" cache hit"), figure(" ms"));
        assert!(
            line.contains(&format!("round: {count} workloads ({count} up_to_date)")),
            "{line}"
        );
        assert_eq!(heads, count as u64, "one HEAD per image each round: {line}");
        if round > 1 {
            assert_eq!(pulls, 0, "a warm round spends no pull: {line}");
            warm.push(wall);
        }
        if round <= 3 || round == rounds || round % 25 == 0 {
            println!("{round:>6} {heads:>6} {pulls:>6} {hits:>6} {wall:>8}");
        }
    }
    // Right after a round line the watcher sleeps for the rest of its 2 s interval.
    let rss_kib = status_field(pid, "VmRSS:");
    let cpu_before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_millis(1000));
    let cpu_idle = cpu_ticks(pid) - cpu_before;
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    warm.sort_unstable();
    let median = warm.get(warm.len() / 2).copied().unwrap_or_default();
    println!(
        "watch {count} images at {} ms RTT: warm round median {median} ms; RSS after {rounds} rounds {:.1} MiB; \
         CPU while idle {} ms per second",
        (ONE_WAY * 2).as_millis(),
        rss_kib as f64 / 1024.0,
        cpu_idle * 1000 / clock_ticks()
    );
}

/// Pushes `bench/w{i}:1` for each `i`, as dated images: their digests.
async fn push(registry: &Registry, count: usize) -> Vec<oci_digest::Digest> {
    let mut running = JoinSet::new();
    let mut digests = vec![None; count];
    let mut next = 0;
    loop {
        while next < count && running.len() < 32 {
            let (client, host, position) = (registry.client(), registry.host().to_owned(), next);
            running.spawn(async move {
                let images = Images::new(&client, &host, &format!("bench/w{position}")).unwrap();
                let pushed = images
                    .dated_image(
                        "amd64",
                        &format!("w{position}"),
                        Some("2024-01-01T00:00:00Z"),
                        Some("1"),
                    )
                    .await
                    .unwrap();
                (position, pushed.digest)
            });
            next += 1;
        }
        match running.join_next().await {
            Some(joined) => {
                let (position, digest) = joined.unwrap();
                digests[position] = Some(digest);
            }
            None => break,
        }
    }
    digests.into_iter().map(Option::unwrap).collect()
}

/// A `kB` field of `/proc/PID/status`.
fn status_field(pid: u32, name: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(name)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `utime + stime` of `/proc/PID/stat`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces; the fields after its closing parenthesis are plain.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 on Linux.
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}
