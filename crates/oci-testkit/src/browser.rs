//! A real browser for the page tests: Debian's `chromedriver` (WebDriver) driving headless Chromium, on a free
//! loopback port, killed on drop with the browsers it started.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, free_port};

/// Where the tests look for chromedriver (they also honour `OCI_TEST_CHROMEDRIVER`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where the tests look for Chromium (they also honour `OCI_TEST_CHROMIUM`).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver may take to be ready.
const WAIT: Duration = Duration::from_secs(30);

/// chromedriver on a free port of 127.0.0.1, with a profile directory of its own for the browser.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
    profile: TempDir,
}

impl ChromeDriver {
    /// Starts chromedriver and waits until its `/status` says it is ready.
    ///
    /// # Panics
    ///
    /// When it cannot start or is not ready within 30 s.
    pub fn start() -> Self {
        let profile = TempDir::new("oci-testkit-chromium");
        let port = free_port();
        let log = std::fs::File::create(profile.path().join("chromedriver.log")).unwrap();
        let child = Command::new(tool("OCI_TEST_CHROMEDRIVER", CHROMEDRIVER, &apt("chromium-driver")))
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("chromedriver starts (cargo xtask test installs Debian's `chromium-driver`)");
        let driver = Self { child, port, profile };
        let start = Instant::now();
        while !driver.ready() {
            assert!(start.elapsed() < WAIT, "chromedriver is not ready after {WAIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// The WebDriver URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The capabilities of a headless Chromium with a profile in this driver's directory, its console kept for
    /// [`ChromeDriver::console`]: `--no-sandbox`, since the tests run as root.
    pub fn capabilities(&self) -> serde_json::Map<String, serde_json::Value> {
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": tool("OCI_TEST_CHROMIUM", CHROMIUM, &apt("chromium-driver")),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", self.profile.path().join("profile").display()),
                ],
            },
        });
        match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("a JSON object"),
        }
    }

    /// The browser console's entries of `session` so far (chromedriver's log endpoint), each `{level, message}`.
    ///
    /// # Panics
    ///
    /// When chromedriver does not answer.
    pub fn console(&self, session: &str) -> Vec<serde_json::Value> {
        let body = r#"{"type":"browser"}"#;
        let answer = self
            .exchange("POST", &format!("/session/{session}/se/log"), Some(body))
            .expect("chromedriver answers");
        let value: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
        value["value"].as_array().cloned().unwrap_or_default()
    }

    fn ready(&self) -> bool {
        self.exchange("GET", "/status", None)
            .and_then(|body| serde_json::from_str::<serde_json::Value>(&body).ok())
            .is_some_and(|status| status["value"]["ready"] == true)
    }

    fn exchange(&self, method: &str, path: &str, body: Option<&str>) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let body = body.unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        // chromedriver may keep the connection open: read the head, then as many bytes as it announces.
        let mut reader = std::io::BufReader::new(stream);
        let mut length = None;
        loop {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut reader, &mut line).ok()?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let mut answer = vec![0; length?];
        reader.read_exact(&mut answer).ok()?;
        String::from_utf8(answer).ok()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The browsers it started outlive it when it is killed: end those that use this profile.
        let profile = self.profile.path().display().to_string();
        let _ = Command::new("pkill").args(["-f", &profile]).status();
    }
}
