//! The cache and the pull budget through the CLI, against the real registry behind oci-testkit's Docker-Hub-like
//! rate-limit proxy (which counts the pulls): second runs, two processes at once, corrupt entries, a directory
//! that cannot be written, the size cap, the budget, `ratelimit` and `cache`.

use std::path::Path;
use std::process::{Command, Stdio};

use oci_digest::Digest;
use oci_testkit::{RateLimitProxy, RedisServer, Registry, TempDir};
use serde_json::Value;

use crate::{Outcome, oci_check};

/// Ten rebuilt multi-arch tags behind a rate-limit proxy: `app{i}:v1` moved from an index to another whose arm64
/// image changed (so each is up to date for linux/amd64, after two manifest GETs).
struct Rebuilt {
    registry: Registry,
    proxy: RateLimitProxy,
    /// `HOST/app{i}:v1 OLD_DIGEST` lines for `-f -`.
    input: String,
    /// Runs the proxy while the CLI does.
    runtime: tokio::runtime::Runtime,
}

impl Rebuilt {
    fn new(remaining: u64) -> Self {
        let runtime = proxy_runtime();
        let registry = Registry::open();
        let (proxy, input) = runtime.block_on(async {
            let proxy = RateLimitProxy::start(registry.host(), remaining.max(100), remaining).await;
            let mut input = String::new();
            for i in 0..10 {
                let images = registry.images(&format!("app{i}")).unwrap();
                let old: Digest = images.rebuilt(&format!("cli-{i}"), "v1").await.unwrap().0.digest;
                input.push_str(&format!("{}/app{i}:v1 {old}\n", proxy.host()));
            }
            (proxy, input)
        });
        Self {
            registry,
            proxy,
            input,
            runtime,
        }
    }

    fn args<'a>(&'a self, host: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "update",
            "-f",
            "-",
            "--json",
            "--insecure-registry",
            host,
            "--platform",
            "linux/amd64",
        ];
        args.extend_from_slice(extra);
        args
    }

    fn update(&self, extra: &[&str]) -> Outcome {
        let host = self.proxy.host();
        oci_check(&self.args(&host, extra), &self.input)
    }

    /// Another rate-limit proxy in front of the same registry, counting against `source` with `remaining` left, and
    /// holding each request `delay`.
    fn another_proxy(&self, remaining: u64, source: &str, delay: std::time::Duration) -> RateLimitProxy {
        self.runtime.block_on(async {
            RateLimitProxy::start(self.registry.host(), 100, remaining)
                .await
                .with_source(source)
                .with_delay(delay)
        })
    }

    /// `update` through `proxy` instead.
    fn update_via(&self, proxy: &RateLimitProxy, extra: &[&str]) -> Outcome {
        let host = proxy.host();
        let input = self.input.replace(&self.proxy.host(), &host);
        oci_check(&self.args(&host, extra), input)
    }
}

/// A runtime that runs the rate-limit proxy while the CLI runs.
fn proxy_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn records(outcome: &Outcome) -> Vec<Value> {
    outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn sum(records: &[Value], key: &str) -> u64 {
    records.iter().map(|record| record[key].as_u64().unwrap()).sum()
}

fn all_up_to_date_and_verified(outcome: &Outcome) {
    assert_eq!(outcome.code, 0, "{outcome:?}");
    let records = records(outcome);
    assert_eq!(records.len(), 10);
    for record in &records {
        assert_eq!(
            (record["status"].as_str(), record["verified"].as_bool()),
            (Some("up_to_date"), Some(true)),
            "{record}"
        );
    }
}

#[test]
fn a_second_run_spends_only_its_heads_and_says_so() {
    let rebuilt = Rebuilt::new(1000);
    let dir = TempDir::new("oci-check-cache-second");
    let cache_dir = dir.path().to_str().unwrap();
    let first = rebuilt.update(&["--cache-dir", cache_dir]);
    all_up_to_date_and_verified(&first);
    assert_eq!(
        (sum(&records(&first), "pulls"), sum(&records(&first), "cache_hits")),
        (20, 0)
    );
    assert_eq!(rebuilt.proxy.manifest_gets(), 20);

    let second = rebuilt.update(&["--cache-dir", cache_dir, "-v"]);
    all_up_to_date_and_verified(&second);
    assert_eq!(
        (sum(&records(&second), "pulls"), sum(&records(&second), "cache_hits")),
        (0, 20)
    );
    assert_eq!(
        (rebuilt.proxy.manifest_gets(), rebuilt.proxy.manifest_heads()),
        (20, 20)
    );
    let summary = second
        .stderr
        .lines()
        .find(|line| line.contains("summary:"))
        .unwrap_or_else(|| panic!("{}", second.stderr));
    assert!(summary.contains("10 HEADs, 0 GETs (pulls), 20 cache hits"), "{summary}");
    assert!(
        summary.contains("127.0.0.1: 980 of 1000 pulls left per 21600s"),
        "{summary}"
    );

    // --no-cache fetches again.
    let uncached = rebuilt.update(&["--no-cache"]);
    assert_eq!(sum(&records(&uncached), "pulls"), 20);
}

#[test]
fn a_warm_newer_run_spends_no_manifest_get_and_says_the_same() {
    let runtime = proxy_runtime();
    let registry = Registry::open();
    // Ten repositories with a version in use and a newer one, behind the counting Docker-Hub-like proxy.
    let (proxy, input) = runtime.block_on(async {
        let proxy = RateLimitProxy::start(registry.host(), 1000, 1000).await;
        let mut input = String::new();
        for i in 0..10 {
            let images = registry.images(&format!("svc{i}")).unwrap();
            let seed = format!("svc{i}");
            let old = images.in_use_and_newer(&seed).await.unwrap();
            input.push_str(&format!("{}/svc{i}:1.0.0 {}\n", proxy.host(), old.digest));
        }
        (proxy, input)
    });
    let dir = TempDir::new("oci-check-cache-newer");
    let host = proxy.host();
    let args = [
        "update",
        "-f",
        "-",
        "--json",
        "--newer",
        "--platform",
        "linux/amd64",
        "--insecure-registry",
        &host,
        "--cache-dir",
        dir.path().to_str().unwrap(),
    ];
    let verdicts = |outcome: &Outcome| -> Vec<(String, String)> {
        records(outcome)
            .iter()
            .map(|record| {
                (
                    record["status"].as_str().unwrap().to_owned(),
                    record["newer"]["tag"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect()
    };

    let cold = oci_check(&args, &input);
    assert_eq!(cold.code, 10, "{cold:?}");
    let expected = vec![("newer_available".to_owned(), "1.1.0".to_owned()); 10];
    assert_eq!(verdicts(&cold), expected);
    let cold_gets = proxy.manifest_gets();
    assert!(cold_gets > 0);
    assert_eq!(
        sum(&records(&cold), "pulls"),
        cold_gets,
        "the JSON counts are the proxy's"
    );

    let warm = oci_check(&args, &input);
    assert_eq!(warm.code, 10, "{warm:?}");
    assert_eq!(verdicts(&warm), expected, "the same verdicts and newer tags");
    assert_eq!(
        proxy.manifest_gets(),
        cold_gets,
        "the warm run sent no manifest GET: {:?}",
        proxy.log()
    );
    assert_eq!(sum(&records(&warm), "pulls"), 0);
    assert!(sum(&records(&warm), "cache_hits") >= 40, "{}", warm.stdout);
}

#[test]
fn two_processes_share_one_cache_directory_at_once() {
    let rebuilt = Rebuilt::new(1000);
    let dir = TempDir::new("oci-check-cache-shared");
    let cache_dir = dir.path().to_str().unwrap();
    let host = rebuilt.proxy.host();
    let spawn = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
            .args(rebuilt.args(&host, &["--cache-dir", cache_dir, "--concurrency", "2"]))
            .env("DOCKER_CONFIG", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), rebuilt.input.as_bytes()).unwrap();
        child
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let output = child.wait_with_output().unwrap();
        let outcome = Outcome {
            code: output.status.code().unwrap(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        };
        all_up_to_date_and_verified(&outcome);
        assert!(
            !outcome.stderr.contains("cache"),
            "no cache warning: {}",
            outcome.stderr
        );
    }
    let gets = rebuilt.proxy.manifest_gets();
    assert!((20..=40).contains(&gets), "{gets}");
    let third = rebuilt.update(&["--cache-dir", cache_dir]);
    all_up_to_date_and_verified(&third);
    assert_eq!(sum(&records(&third), "pulls"), 0, "both runs left whole entries");
    assert_eq!(rebuilt.proxy.manifest_gets(), gets);
}

/// Every manifest entry file under `dir`.
fn manifest_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.join("v1/manifest")];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn corrupt_entries_are_fetched_again_and_a_cache_that_cannot_be_written_is_a_warning() {
    let rebuilt = Rebuilt::new(1000);
    let dir = TempDir::new("oci-check-cache-corrupt");
    let cache_dir = dir.path().to_str().unwrap();
    all_up_to_date_and_verified(&rebuilt.update(&["--cache-dir", cache_dir]));
    let entries = manifest_entries(dir.path());
    assert_eq!(entries.len(), 20);
    for (i, path) in entries.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        // Half truncated, half with one byte flipped near the end.
        let corrupt = if i % 2 == 0 {
            bytes[..bytes.len() / 2].to_vec()
        } else {
            let mut flipped = bytes.clone();
            let at = flipped.len() - 3;
            flipped[at] ^= 0x20;
            flipped
        };
        std::fs::write(path, corrupt).unwrap();
    }
    let again = rebuilt.update(&["--cache-dir", cache_dir]);
    all_up_to_date_and_verified(&again);
    assert_eq!(sum(&records(&again), "pulls"), 20, "no corrupt entry was trusted");

    // A cache directory under a regular file cannot even be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let under = file.join("cache");
    let unwritable = rebuilt.update(&["--cache-dir", under.to_str().unwrap()]);
    all_up_to_date_and_verified(&unwritable);
    assert!(
        unwritable.stderr.contains("going on without a cache"),
        "{}",
        unwritable.stderr
    );
    assert!(
        unwritable.stderr.contains("a-file"),
        "the path is named: {}",
        unwritable.stderr
    );
}

#[test]
fn the_size_cap_evicts_and_cache_info_prune_clear_tell() {
    let rebuilt = Rebuilt::new(1000);
    let dir = TempDir::new("oci-check-cache-cap");
    let cache_dir = dir.path().to_str().unwrap();
    all_up_to_date_and_verified(&rebuilt.update(&["--cache-dir", cache_dir, "--cache-max-size", "4K"]));
    let total: u64 = manifest_entries(dir.path())
        .iter()
        .map(|path| std::fs::metadata(path).unwrap().len())
        .sum();
    assert!(total > 0 && total <= 4096, "{total} bytes kept");

    let info = oci_check(&["cache", "info", "--cache-dir", cache_dir], "");
    assert_eq!(info.code, 0, "{info:?}");
    assert!(info.stdout.contains(&format!("cache: {cache_dir}")), "{}", info.stdout);
    let manifests: u64 = info
        .stdout
        .lines()
        .find(|line| line.starts_with("manifest "))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|count| count.parse().ok())
        .unwrap();
    assert!((1..20).contains(&manifests), "{}", info.stdout);
    assert!(info.stdout.contains("max size: 256.0 MiB"), "{}", info.stdout);

    let prune = oci_check(
        &["cache", "prune", "--cache-dir", cache_dir, "--cache-max-size", "1K"],
        "",
    );
    assert_eq!(prune.code, 0, "{prune:?}");
    assert!(prune.stdout.starts_with("pruned "), "{}", prune.stdout);
    let kept: u64 = manifest_entries(dir.path())
        .iter()
        .map(|path| std::fs::metadata(path).unwrap().len())
        .sum();
    assert!(kept <= 1024, "{kept}");
    let clear = oci_check(&["cache", "clear", "--cache-dir", cache_dir], "");
    assert_eq!(clear.code, 0, "{clear:?}");
    assert!(manifest_entries(dir.path()).is_empty());
}

#[test]
fn three_pulls_left_with_one_in_reserve_spend_two_and_ratelimit_spends_none() {
    let rebuilt = Rebuilt::new(3);
    let host = rebuilt.proxy.host();
    let ratelimit = oci_check(
        &[
            "ratelimit",
            "--insecure-registry",
            &host,
            &format!("{host}/app0:v1"),
            &format!("{host}/app1:v1"),
        ],
        "",
    );
    assert_eq!(ratelimit.code, 0, "{ratelimit:?}");
    let row = ratelimit.stdout.lines().nth(1).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[1..],
        ["3", "100", "21600s", "127.0.0.1"],
        "{row}"
    );
    assert_eq!((rebuilt.proxy.manifest_gets(), rebuilt.proxy.manifest_heads()), (0, 2));

    let outcome = rebuilt.update(&["--no-cache", "--reserve", "1", "-v"]);
    assert_eq!(outcome.code, 10, "unconfirmed updates are updates: {outcome:?}");
    assert_eq!(rebuilt.proxy.manifest_gets(), 2);
    assert_eq!(rebuilt.proxy.refused(), 0);
    let records = records(&outcome);
    assert_eq!(records.len(), 10);
    assert_eq!(sum(&records, "pulls"), 2);
    let unconfirmed: Vec<&Value> = records.iter().filter(|record| record["verified"] == false).collect();
    assert!(unconfirmed.len() >= 9, "{records:?}");
    for record in unconfirmed {
        assert_eq!(record["status"], "update_available");
        assert!(record["error"].is_null());
        let note = record["note"].as_str().unwrap();
        assert!(
            note.contains("unconfirmed") && note.contains("1 are kept in reserve"),
            "{note}"
        );
    }
    assert!(
        outcome.stderr.contains("0 GETs") || outcome.stderr.contains("2 GETs (pulls)"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("GETs withheld"), "{}", outcome.stderr);

    let json = oci_check(
        &[
            "ratelimit",
            "--json",
            "--insecure-registry",
            &host,
            &format!("{host}/app2:v1"),
        ],
        "",
    );
    let record: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(record["remaining"], 1);
    assert_eq!(record["window"], 21600);
    assert_eq!(rebuilt.proxy.manifest_gets(), 2, "ratelimit spends nothing");
}

#[test]
fn hosts_sharing_redis_share_the_entries_and_one_pull_budget() {
    let rebuilt = Rebuilt::new(1000);
    let redis = RedisServer::start();
    let url = redis.url();
    let first = rebuilt.update(&["--cache", &url]);
    all_up_to_date_and_verified(&first);
    assert_eq!(sum(&records(&first), "pulls"), 20);
    // Another host (another cache directory, none at all here) finds the entries in Redis.
    let second = rebuilt.update(&["--cache", &url]);
    all_up_to_date_and_verified(&second);
    assert_eq!(
        (sum(&records(&second), "pulls"), sum(&records(&second), "cache_hits")),
        (0, 20)
    );

    let info = oci_check(&["cache", "info", "--cache", &url], "");
    assert_eq!(info.code, 0, "{info:?}");
    assert!(
        info.stdout
            .lines()
            .any(|line| line.split_whitespace().take(2).eq(["manifest", "20"])),
        "{}",
        info.stdout
    );
    let clear = oci_check(&["cache", "clear", "--cache", &url], "");
    assert!(
        clear.stdout.starts_with("cleared redis://127.0.0.1:") && clear.stdout.contains(": removed 20 entries ("),
        "{clear:?}"
    );

    // Two hosts behind one address: each sees the registry say "3 left"; together they spend what one may.
    let (a, b) = (
        rebuilt.another_proxy(3, "203.0.113.7", std::time::Duration::ZERO),
        rebuilt.another_proxy(3, "203.0.113.7", std::time::Duration::ZERO),
    );
    let fresh = RedisServer::start();
    let shared = fresh.url();
    let on_a = rebuilt.update_via(&a, &["--cache", &shared, "--reserve", "1"]);
    assert_eq!((on_a.code, a.manifest_gets()), (10, 2), "{on_a:?}");
    // The entries host A cached answer some of host B's checks; the budget forbids the rest.
    let on_b = rebuilt.update_via(&b, &["--cache", &shared, "--reserve", "1", "-v"]);
    assert_eq!(b.manifest_gets(), 0, "{on_b:?}");
    assert!(on_b.stderr.contains("shared with other hosts"), "{}", on_b.stderr);
    // Without the shared counter, host B alone would have spent two more.
    let alone = rebuilt.another_proxy(3, "203.0.113.7", std::time::Duration::ZERO);
    rebuilt.update_via(&alone, &["--no-cache", "--reserve", "1"]);
    assert_eq!(alone.manifest_gets(), 2);
}

#[test]
fn redis_going_away_is_a_warning_and_the_run_goes_on_without_it() {
    let rebuilt = Rebuilt::new(1000);
    let mut redis = RedisServer::start();
    let url = redis.url();
    // Slow requests, one image at a time: the run takes seconds, and Redis dies after its first image.
    let slow = rebuilt.another_proxy(1000, "127.0.0.1", std::time::Duration::from_millis(60));
    let host = slow.host();
    let input = rebuilt.input.replace(&rebuilt.proxy.host(), &host);
    let args = rebuilt.args(&host, &["--cache", &url, "--concurrency", "1"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
        .args(&args)
        .env("DOCKER_CONFIG", redis.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    // Stop Redis once the first image has been asked about (its cache lookups have worked by then).
    let waited = std::time::Instant::now();
    while slow.manifest_heads() == 0 && waited.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let heads_when_stopped = slow.manifest_heads();
    redis.stop();
    let output = child.wait_with_output().unwrap();
    let outcome = Outcome {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        (1..10).contains(&heads_when_stopped),
        "Redis stopped mid-run: after {heads_when_stopped} checks"
    );
    all_up_to_date_and_verified(&outcome);
    let warnings: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|line| line.contains("going on without it"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {}", outcome.stderr);
    assert!(warnings[0].contains(&url), "{}", warnings[0]);

    // Down from the start: the same warning at once, and the checks as without a cache.
    let down = rebuilt.update(&["--cache", &url]);
    all_up_to_date_and_verified(&down);
    assert!(down.stderr.contains("going on without a cache"), "{}", down.stderr);
}

#[test]
fn a_cache_directory_with_a_link_inside_is_refused_and_nothing_outside_is_touched() {
    let outside = TempDir::new("oci-check-cache-outside");
    let precious = outside.path().join("manifest/sha256").join("a".repeat(64));
    std::fs::create_dir_all(precious.parent().unwrap()).unwrap();
    std::fs::write(&precious, b"the user's own file").unwrap();
    let dir = TempDir::new("oci-check-cache-link");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("v1")).unwrap();
    for action in ["clear", "prune", "info"] {
        let out = oci_check(&["cache", action, "--cache-dir", dir.path().to_str().unwrap()], "");
        assert_eq!(out.code, 1, "{action}: {out:?}");
        assert!(out.stderr.contains("symbolic link"), "{action}: {}", out.stderr);
        assert!(precious.exists(), "{action} removed a file outside the cache");
    }
}

#[test]
fn a_cache_url_that_does_not_parse_is_a_usage_error_and_an_unreachable_one_says_the_budget_was_not_shared() {
    let registry = Registry::open();
    let image = format!("{}/nothing:1", registry.host());
    let typo = oci_check(&["update", "--cache", "redis//127.0.0.1:6379", &image], "");
    assert_eq!(
        typo.code, 2,
        "a typo once turned the shared budget off in silence: {typo:?}"
    );
    assert!(typo.stderr.contains("--cache"), "{}", typo.stderr);
    // Nothing listens on port 1: a warning, the run goes on, and the summary says the budget was this host's alone.
    let down = oci_check(&["-v", "update", "--cache", "redis://127.0.0.1:1/0", &image], "");
    assert_ne!(down.code, 2, "{down:?}");
    let summary = down
        .stderr
        .lines()
        .find(|line| line.contains("summary:"))
        .unwrap_or_default();
    assert!(summary.contains("the pull budget was not shared"), "{}", down.stderr);
}

#[test]
fn cache_info_does_not_create_the_directory_it_is_asked_about() {
    let dir = TempDir::new("oci-check-cache-info-new");
    let new = dir.path().join("not-yet");
    let info = oci_check(&["cache", "info", "--cache-dir", new.to_str().unwrap()], "");
    assert_eq!(info.code, 0, "{info:?}");
    assert!(info.stdout.contains("not created yet"), "{}", info.stdout);
    assert!(!new.exists(), "cache info created the directory");
}
