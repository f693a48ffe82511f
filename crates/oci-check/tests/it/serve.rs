//! `watch --listen`: the page, the results, the metrics and the health check over real HTTP, the token rules, and
//! a fleet of two watchers on one real Redis.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oci_testkit::{Registry, TempDir, block_on, free_port};
use serde_json::Value;

use crate::oci_check;

/// One HTTP/1.1 answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `METHOD PATH` with `headers` to 127.0.0.1:`port` and reads the whole answer.
pub(crate) fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut body = String::new();
    reader.read_to_string(&mut body).unwrap();
    Answer { status, headers, body }
}

/// A watcher running in the background, its stderr collected.
pub(crate) struct Watcher {
    child: Child,
    pub(crate) log: Arc<Mutex<String>>,
    /// Its home (config and cache), and its state directory when [`Watcher::listening`] made one: removed when it
    /// is dropped.
    _dirs: Vec<TempDir>,
}

impl Watcher {
    /// `watch --interval 1h --host-name box-1 --platform linux/amd64` on a free port, with a state directory of its
    /// own, on `extra` (images and sources): the watcher and its port.
    pub(crate) fn listening(extra: &[&str]) -> (Self, u16) {
        let state = TempDir::new("serve-state");
        let port = free_port();
        let listen = port.to_string();
        let mut args = vec![
            "--interval",
            "1h",
            "--state",
            state.path().to_str().unwrap(),
            "--host-name",
            "box-1",
            "--platform",
            "linux/amd64",
            "--listen",
            &listen,
        ];
        args.extend_from_slice(extra);
        let mut watcher = Self::start(&args);
        watcher._dirs.push(state);
        (watcher, port)
    }

    pub(crate) fn start(args: &[&str]) -> Self {
        let empty = TempDir::new("serve-config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
            .env("DOCKER_CONFIG", empty.path())
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", empty.path())
            .arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let collected = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self {
            child,
            log,
            _dirs: vec![empty],
        }
    }

    /// Waits up to 30 s until the log holds `count` lines containing `text`.
    pub(crate) fn wait_for(&self, text: &str, count: usize) {
        let start = Instant::now();
        while self.log.lock().unwrap().matches(text).count() < count {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {count} × {text:?} in:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it with SIGTERM; its exit code.
    pub(crate) fn stop(mut self) -> Option<i32> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap().code()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry with `serve/app:1` moved since `old`, and `serve/ok:1` current: (registry, the two images in use).
pub(crate) fn images() -> (Registry, String, String) {
    let registry = Registry::open();
    let app = registry.images("serve/app").unwrap();
    let ok = registry.images("serve/ok").unwrap();
    let (old, current) = block_on(async {
        let old = app
            .dated_image("amd64", "app-1", Some("2020-01-01T00:00:00Z"), Some("1"))
            .await
            .unwrap()
            .digest;
        app.dated_image("amd64", "app-2", Some("2020-02-01T00:00:00Z"), Some("1"))
            .await
            .unwrap();
        let current = ok
            .dated_image("amd64", "ok-1", Some("2020-01-01T00:00:00Z"), Some("1"))
            .await
            .unwrap()
            .digest;
        (old, current)
    });
    let host = registry.host().to_owned();
    (
        registry,
        format!("{host}/serve/app:1@{old}"),
        format!("{host}/serve/ok:1@{current}"),
    )
}

#[test]
fn the_page_results_metrics_and_health_are_served_read_only_from_the_last_round() {
    let (_registry, moved, current) = images();
    let (watcher, port) = Watcher::listening(&[&moved, &current]);
    watcher.wait_for("round: 2 workloads", 1);
    assert!(
        watcher
            .log
            .lock()
            .unwrap()
            .contains(&format!("at http://127.0.0.1:{port}/"))
    );

    let page = request(port, "GET", "/", &[]);
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("default-src 'none'"),
        "{policy}"
    );
    assert!(
        page.body
            .contains("<tr data-status=\"update_available\"><td>box-1</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<tr data-status=\"up_to_date\">"));
    assert_eq!(request(port, "GET", "/assets/app.js", &[]).status, 200);
    assert_eq!(request(port, "GET", "/assets/app.css", &[]).status, 200);

    let results = request(port, "GET", "/api/v1/results?status=update_available", &[]);
    assert_eq!(results.header("content-type"), Some("application/json"));
    let records: Value = serde_json::from_str(&results.body).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["host"], "box-1");
    assert_eq!(records[0]["status"], "update_available");
    assert_eq!(records[0]["image"], moved.as_str());

    let metrics = request(port, "GET", "/metrics", &[]);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(
        metrics
            .body
            .contains("oci_check_update_available{host=\"box-1\",source=\"args\""),
        "{}",
        metrics.body
    );
    assert_eq!(metrics.body.matches("oci_check_update_available{").count(), 2);
    assert!(
        metrics
            .body
            .contains("oci_check_requests_total{host=\"box-1\",method=\"HEAD\"}")
    );

    assert_eq!(request(port, "GET", "/healthz", &[]).body, "ok\n");
    let head = request(port, "HEAD", "/", &[]);
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    let post = request(port, "POST", "/", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(request(port, "GET", "/nothing", &[]).status, 404);
    assert_eq!(watcher.stop(), Some(0));
}

#[test]
fn another_address_needs_a_token_and_requests_without_it_get_401() {
    let refused = oci_check(&["watch", "--listen", "0.0.0.0:9", "nginx:1.27"], "");
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--listen-token FILE"), "{}", refused.stderr);
    let dir = TempDir::new("serve-token");
    let short = dir.path().join("short");
    std::fs::write(&short, "abc\n").unwrap();
    let weak = oci_check(
        &[
            "watch",
            "--listen",
            "0.0.0.0:9",
            "--listen-token",
            short.to_str().unwrap(),
            "nginx:1.27",
        ],
        "",
    );
    assert_eq!(weak.code, 2, "{weak:?}");

    let (_registry, moved, _) = images();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "tok-0123456789abcdef\n").unwrap();
    let state = TempDir::new("serve-state");
    let port = free_port();
    let listen = format!("0.0.0.0:{port}");
    let watcher = Watcher::start(&[
        "--interval",
        "1h",
        "--state",
        state.path().to_str().unwrap(),
        "--platform",
        "linux/amd64",
        "--listen",
        &listen,
        "--listen-token",
        token_file.to_str().unwrap(),
        &moved,
    ]);
    watcher.wait_for("round: 1 workload", 1);
    for path in ["/", "/api/v1/results", "/metrics", "/assets/app.js"] {
        let answer = request(port, "GET", path, &[]);
        assert_eq!(answer.status, 401, "{path}: {answer:?}");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        assert!(!answer.body.contains("tok-0123"));
        assert_eq!(
            request(port, "GET", path, &[("Authorization", "Bearer wrong-token-000000")]).status,
            401
        );
    }
    assert_eq!(
        request(port, "GET", "/healthz", &[]).status,
        200,
        "a health check needs no token"
    );
    let bearer = request(
        port,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer tok-0123456789abcdef")],
    );
    assert_eq!(bearer.status, 200);
    assert_eq!(request(port, "GET", "/?token=nope", &[]).status, 401);
    let login = request(port, "GET", "/?token=tok-0123456789abcdef", &[]);
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location"), Some("/"));
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let page = request(port, "GET", "/", &[("Cookie", pair)]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("update_available"));
    assert_eq!(watcher.stop(), Some(0));
}

#[test]
fn a_fleet_on_one_redis_shows_every_host_and_a_stopped_one_goes_stale() {
    use oci_testkit::RedisServer;
    let (_registry, moved, current) = images();
    let redis = RedisServer::start();
    let url = redis.url();
    let (port_a, port_b) = (free_port(), free_port());
    let (listen_a, listen_b) = (port_a.to_string(), port_b.to_string());
    let common = ["--interval", "1s", "--state", url.as_str(), "--platform", "linux/amd64"];
    let mut a_args = common.to_vec();
    a_args.extend(["--host-name", "alpha", "--listen", &listen_a, moved.as_str()]);
    let mut b_args = common.to_vec();
    b_args.extend(["--host-name", "beta", "--listen", &listen_b, current.as_str()]);
    let alpha = Watcher::start(&a_args);
    let beta = Watcher::start(&b_args);
    alpha.wait_for("round: ", 2);
    beta.wait_for("round: ", 2);
    for port in [port_a, port_b] {
        let page = request(port, "GET", "/", &[]);
        assert!(
            page.body.contains("<strong>alpha</strong>") && page.body.contains("<strong>beta</strong>"),
            "{}",
            page.body
        );
        assert!(page.body.contains("2 workloads on 2 hosts"), "{}", page.body);
        assert!(!page.body.contains("stale:"));
        let records: Value =
            serde_json::from_str(&request(port, "GET", "/api/v1/results?host=beta", &[]).body).unwrap();
        assert_eq!(records.as_array().unwrap().len(), 1);
        assert_eq!(records[0]["status"], "up_to_date");
    }
    assert_eq!(beta.stop(), Some(0));
    // Two missed rounds and the slack: 2 × 1 s + 10 s.
    let start = Instant::now();
    loop {
        let metrics = request(port_a, "GET", "/metrics", &[]).body;
        if metrics.contains("oci_check_host_stale{host=\"beta\"} 1") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{metrics}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let page = request(port_a, "GET", "/", &[]);
    assert_eq!(page.body.matches("stale: it missed").count(), 1, "{}", page.body);
    assert_eq!(alpha.stop(), Some(0));
}

#[test]
fn promtool_accepts_the_metrics_and_a_real_prometheus_finds_the_updated_workload() {
    use oci_testkit::Prometheus;
    let (_registry, moved, current) = images();
    let (watcher, port) = Watcher::listening(&[&moved, &current]);
    watcher.wait_for("round: 2 workloads", 1);
    let metrics = request(port, "GET", "/metrics", &[]).body;
    if let Err(complaints) = oci_testkit::prometheus::check_metrics(&metrics) {
        panic!("promtool: {complaints}\n{metrics}");
    }

    let prometheus = Prometheus::start(&[format!("127.0.0.1:{port}")]);
    let updated = prometheus.wait_for("oci_check_update_available == 1");
    assert_eq!(updated.len(), 1, "{updated:?}");
    // The image as written, without the digest in use: a new digest is the same series.
    let image = |pinned: &str| pinned.split_once('@').unwrap().0.to_owned();
    assert_eq!(updated[0]["metric"]["image"], image(&moved));
    assert_eq!(updated[0]["metric"]["host"], "box-1");
    assert_eq!(updated[0]["metric"]["platform"], "linux/amd64");
    let current_series = prometheus.query("oci_check_update_available == 0");
    assert_eq!(current_series.len(), 1);
    assert_eq!(current_series[0]["metric"]["image"], image(&current));
    assert_eq!(watcher.stop(), Some(0));
}
