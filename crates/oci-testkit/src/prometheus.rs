//! A real Prometheus, Debian's `prometheus`, scraping given targets every second on a free loopback port; and
//! `promtool check metrics`, the format's own linter.
//!
//! Each server has a directory of its own (configuration and time-series database), removed on drop with the
//! process. [`Prometheus::query`] asks its HTTP API (`/api/v1/query`), the way a dashboard or an alert rule would.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, free_port};

/// Where the tests look for Prometheus (they also honour `OCI_TEST_PROMETHEUS`).
pub const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Where the tests look for promtool (they also honour `OCI_TEST_PROMTOOL`).
pub const PROMTOOL: &str = "/usr/bin/promtool";

/// How long Prometheus may take to answer.
const WAIT: Duration = Duration::from_secs(60);

/// Prometheus on a free port of 127.0.0.1, scraping `targets` every second; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`HOST:PORT`, path `/metrics`) every second, and waits until it is
    /// ready.
    ///
    /// # Panics
    ///
    /// When it cannot start or is not ready within a minute; the message has its log.
    pub fn start(targets: &[String]) -> Self {
        let dir = TempDir::new("oci-testkit-prometheus");
        let config = dir.path().join("prometheus.yml");
        let quoted: Vec<String> = targets.iter().map(|target| format!("'{target}'")).collect();
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: oci-check\n    \
                 static_configs:\n      - targets: [{}]\n",
                quoted.join(", ")
            ),
        )
        .unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(tool("OCI_TEST_PROMETHEUS", PROMETHEUS, &apt("prometheus")))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus starts (cargo xtask test installs Debian's `prometheus`)");
        let prometheus = Self { child, port, _dir: dir };
        let start = Instant::now();
        while prometheus.get("/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(
                start.elapsed() < WAIT,
                "prometheus is not ready after {WAIT:?}:\n{}",
                prometheus.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        prometheus
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The answer of `/api/v1/query` for `expression` at the current time: the `data.result` array.
    ///
    /// # Panics
    ///
    /// When Prometheus does not answer with `status: success`.
    pub fn query(&self, expression: &str) -> Vec<serde_json::Value> {
        let path = format!("/api/v1/query?query={}", encode(expression));
        let (status, body) = self.get(&path).expect("prometheus answers");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(
            (status, &answer["status"]),
            (200, &serde_json::json!("success")),
            "{body}"
        );
        answer["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Waits up to a minute for `expression` to have at least one series.
    ///
    /// # Panics
    ///
    /// When it has none by then; the message shows the scrape targets' health.
    pub fn wait_for(&self, expression: &str) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let result = self.query(expression);
            if !result.is_empty() {
                return result;
            }
            assert!(
                start.elapsed() < WAIT,
                "no series for {expression} after {WAIT:?}; targets: {}",
                self.get("/api/v1/targets").map(|(_, body)| body).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let status = answer.split(' ').nth(1)?.parse().ok()?;
        let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())?;
        Some((status, body))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `promtool check metrics` on `text`: `Ok` when it accepts it, else its complaints.
///
/// # Panics
///
/// When promtool cannot run.
pub fn check_metrics(text: &str) -> Result<(), String> {
    let mut child = Command::new(tool("OCI_TEST_PROMTOOL", PROMTOOL, &apt("prometheus")))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian's `prometheus` package has it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
