//! `oci-check watch` and `notify --test` against a real registry: events told once per target across rounds and
//! restarts, a target down for a round, a corrupt state, secrets kept out of logs and state, the cooldown, signals.
//!
//! The webhook receiver here is a plain HTTP/1.1 server that records each request and answers 200: a webhook is
//! any HTTP server, so this is the real component for `webhook+http://`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oci_digest::Digest;
use oci_testkit::{Images, Registry, TempDir, block_on, free_port};
use serde_json::Value;

use crate::{Outcome, oci_check};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A webhook receiver on a loopback port, recording every request.
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start() -> Self {
        Self::start_on(0)
    }

    fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    // Keep-alive: one connection may carry several requests.
                    while let Some(request) = read_request(&mut reader) {
                        recorded.lock().unwrap().push(request);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";
                        if reader.get_mut().write_all(answer).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { port, got }
    }

    fn url(&self, path: &str) -> String {
        format!("webhook+http://127.0.0.1:{}{path}", self.port)
    }

    fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits up to `limit` for at least `count` requests.
    fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        while self.requests().len() < count && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.requests()
    }
}

fn read_request(reader: &mut BufReader<std::net::TcpStream>) -> Option<Received> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body,
    })
}

/// A registry with `watch/app:1` pushed (an image created in 2020), and what pushes its rebuilds.
struct Watched {
    registry: Registry,
    images: Images,
    old: Digest,
}

impl Watched {
    fn new() -> Self {
        let registry = Registry::open();
        let images = registry.images("watch/app").unwrap();
        let old = block_on(images.dated_image("amd64", "app-1", Some("2020-01-01T00:00:00Z"), Some("1")))
            .unwrap()
            .digest;
        Self { registry, images, old }
    }

    /// The image as a workload runs it: the tag and the digest in use.
    fn in_use(&self) -> String {
        format!("{}/watch/app:1@{}", self.registry.host(), self.old)
    }

    /// Moves tag `1` to a new image created at `created`.
    fn rebuild(&self, seed: &str, created: &str) -> Digest {
        block_on(self.images.dated_image("amd64", seed, Some(created), Some("1")))
            .unwrap()
            .digest
    }
}

/// Runs `watch --once` with a state directory and host name, and `args`.
fn watch_once(state: &Path, args: &[&str]) -> Outcome {
    let state = state.to_str().unwrap();
    let mut all = vec![
        "watch",
        "--once",
        "--state",
        state,
        "--host-name",
        "box-1",
        "--platform",
        "linux/amd64",
    ];
    all.extend_from_slice(args);
    oci_check(&all, "")
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

#[test]
fn an_update_is_told_once_across_runs_and_a_second_rebuild_is_told_again() {
    let watched = Watched::new();
    let receiver = Receiver::start();
    let state = TempDir::new("watch-state");
    let hook = receiver.url("/hook");
    let image = watched.in_use();

    // Up to date: nothing to tell.
    let quiet = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert!(receiver.requests().is_empty());
    assert!(
        quiet.stderr.contains("round: 1 workload (1 up_to_date)"),
        "{}",
        quiet.stderr
    );

    let new = watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let first = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(first.code, 10, "{first:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].request_line.starts_with("POST /hook "),
        "{}",
        got[0].request_line
    );
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    let document = got[0].json();
    assert_eq!(document["host"], "box-1");
    let events = document["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{document}");
    assert_eq!(events[0]["kind"], "update");
    assert_eq!(events[0]["latest"], new.as_str());
    assert_eq!(events[0]["current"], watched.old.as_str());
    // The record is `update --json`'s.
    assert_eq!(events[0]["record"]["status"], "update_available");
    assert_eq!(events[0]["record"]["current_digest"], watched.old.as_str());

    // The same update again, and after a "restart" (another process): told already.
    for _ in 0..2 {
        let again = watch_once(state.path(), &["--notify", &hook, &image]);
        assert_eq!(again.code, 10, "{again:?}");
        assert_eq!(receiver.requests().len(), 1);
        assert!(again.stderr.contains("0 events told"), "{}", again.stderr);
    }

    // A second rebuild is a new event.
    let newest = watched.rebuild("app-3", "2020-03-01T00:00:00Z");
    let second = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(second.code, 10, "{second:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["events"][0]["latest"], newest.as_str());
}

#[test]
fn a_target_that_was_down_is_told_once_it_is_back_and_its_password_stays_out_of_logs_and_state() {
    let watched = Watched::new();
    watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let state = TempDir::new("watch-state");
    let port = free_port();
    let password = "pw-Zq81xv";
    let hook = format!("webhook+http://alice:{password}@127.0.0.1:{port}/hook");
    let image = watched.in_use();

    let down = watch_once(state.path(), &["--notify", &hook, &image, "-v"]);
    assert_eq!(down.code, 10, "{down:?}");
    assert!(
        down.stderr.contains("not delivered, tried again next round"),
        "{}",
        down.stderr
    );
    assert!(down.stderr.contains("alice:***@"), "{}", down.stderr);
    assert!(
        !down.stderr.contains(password) && !down.stdout.contains(password),
        "{down:?}"
    );

    let receiver = Receiver::start_on(port);
    let back = watch_once(state.path(), &["--notify", &hook, &image, "-v"]);
    assert_eq!(back.code, 10, "{back:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].json()["events"][0]["kind"], "update");
    // The password goes to the target, in its Authorization header, and nowhere else.
    let expected = format!("Basic {}", oci_testkit::base64(format!("alice:{password}").as_bytes()));
    assert_eq!(got[0].header("authorization"), Some(expected.as_str()));
    assert!(!back.stderr.contains(password), "{}", back.stderr);
    let files = files_under(state.path());
    assert!(!files.is_empty());
    for (path, bytes) in files {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(password),
            "{} holds the password",
            path.display()
        );
    }

    let later = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(later.code, 10);
    assert_eq!(receiver.requests().len(), 1, "told once");
}

#[test]
fn a_corrupt_state_is_one_warning_and_a_fresh_start() {
    let watched = Watched::new();
    watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let receiver = Receiver::start();
    let state = TempDir::new("watch-state");
    let hook = receiver.url("/hook");
    let image = watched.in_use();
    assert_eq!(watch_once(state.path(), &["--notify", &hook, &image]).code, 10);
    assert_eq!(receiver.requests().len(), 1);

    let files = files_under(state.path());
    assert_eq!(files.len(), 1, "one state file per host: {files:?}");
    std::fs::write(&files[0].0, b"{\"version\": 1, \"host\": 7, garbage").unwrap();
    let fresh = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(fresh.code, 10, "{fresh:?}");
    assert_eq!(fresh.stderr.matches("cannot be read").count(), 1, "{}", fresh.stderr);
    assert_eq!(receiver.requests().len(), 2, "told once more after the fresh start");
    // And the state is whole again.
    let again = watch_once(state.path(), &["--notify", &hook, &image]);
    assert!(!again.stderr.contains("cannot be read"), "{}", again.stderr);
    assert_eq!(receiver.requests().len(), 2);
}

#[test]
fn min_age_holds_a_young_image_and_tells_an_old_one() {
    let watched = Watched::new();
    let receiver = Receiver::start();
    let hook = receiver.url("/hook");
    let image = watched.in_use();
    let now = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    let now = String::from_utf8(now.stdout).unwrap().trim().to_owned();

    // Rebuilt a moment ago: pending for a day, nothing told; the exit code still says an update exists.
    watched.rebuild("app-young", &now);
    let state = TempDir::new("watch-state");
    let young = watch_once(state.path(), &["--notify", &hook, "--min-age", "1d", &image]);
    assert_eq!(young.code, 10, "{young:?}");
    assert!(receiver.requests().is_empty(), "{:?}", receiver.requests());
    let document: Value = serde_json::from_slice(&files_under(state.path())[0].1).unwrap();
    assert!(document.to_string().contains("pending"), "{document}");

    // Without the cooldown, the same state tells it at once.
    let told = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(told.code, 10);
    assert_eq!(receiver.requests().len(), 1);

    // An image that is old enough is told with the cooldown on.
    let old_enough = watched.rebuild("app-old", "2021-01-01T00:00:00Z");
    let aged = watch_once(state.path(), &["--notify", &hook, "--min-age", "1d", &image]);
    assert_eq!(aged.code, 10, "{aged:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].json()["events"][0]["latest"], old_enough.as_str());
}

#[test]
fn a_script_target_gets_the_document_on_its_standard_input() {
    let watched = Watched::new();
    watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let dir = TempDir::new("watch-script");
    let out = dir.path().join("got.json");
    let script = dir.path().join("tell.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat > '{}'\n", out.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let state = TempDir::new("watch-state");
    let target = format!("script://{}", script.display());
    let run = watch_once(state.path(), &["--notify", &target, &watched.in_use()]);
    assert_eq!(run.code, 10, "{run:?}");
    let document: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(document["host"], "box-1");
    assert_eq!(document["events"][0]["kind"], "update");

    // A script that fails is not a delivery: told again next round.
    std::fs::remove_file(&out).unwrap();
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap();
    let other = TempDir::new("watch-state");
    let failed = watch_once(other.path(), &["--notify", &target, &watched.in_use()]);
    assert!(
        failed.stderr.contains("exited with exit status: 3"),
        "{}",
        failed.stderr
    );
}

#[test]
fn notify_test_says_per_target_what_happened() {
    let receiver = Receiver::start();
    let port = free_port();
    let closed = format!("webhook+http://127.0.0.1:{port}/nobody");
    let run = oci_check(
        &[
            "notify",
            "--test",
            "--host-name",
            "box-1",
            &receiver.url("/hook"),
            &closed,
        ],
        "",
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].ends_with(": sent"), "{}", lines[0]);
    // A webhook's path may be its secret (Discord's and Slack's are), so it is not shown.
    assert!(
        lines[1].starts_with(&format!(
            "webhook+http://127.0.0.1:{port}/***: failed: could not connect"
        )),
        "{}",
        lines[1]
    );
    let got = receiver.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["host"], "box-1");
    assert_eq!(got[0].json()["events"], serde_json::json!([]));

    let bad = oci_check(&["notify", "--test", "ftp://example.com/x"], "");
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn watching_tells_a_moved_tag_within_two_intervals_once_and_stops_on_sigterm_with_the_state_saved() {
    let watched = Watched::new();
    let receiver = Receiver::start();
    let state = TempDir::new("watch-state");
    let empty = TempDir::new("watch-config");
    let cache = TempDir::new("watch-cache");
    let child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
        .env("DOCKER_CONFIG", empty.path())
        .env("XDG_CACHE_HOME", cache.path())
        .args([
            "watch",
            "--interval",
            "1s",
            "--state",
            state.path().to_str().unwrap(),
            "--host-name",
            "box-1",
            "--platform",
            "linux/amd64",
            "--notify",
            &receiver.url("/hook"),
            &watched.in_use(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(receiver.requests().is_empty());
    let new = watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let got = receiver.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].json()["events"][0]["latest"], new.as_str());
    // Two more rounds at least: nothing repeated.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(receiver.requests().len(), 1);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.matches("round: ").count() >= 3, "{stderr}");
    assert_eq!(files_under(state.path()).len(), 1, "the state is saved");
}

#[test]
fn a_newer_version_is_told_once_with_its_jump_and_a_rebuilt_index_for_another_platform_is_not_news() {
    let registry = Registry::open();
    let images = registry.images("watch/versions").unwrap();
    let in_use = block_on(images.in_use_and_newer("v")).unwrap().digest;
    let multi = registry.images("watch/multi").unwrap();
    let (amd64, index) = block_on(async {
        let amd64 = multi.platform_image("amd64", "m-amd64", None).await.unwrap().digest;
        let arm64 = multi.platform_image("arm64", "m-arm64-1", None).await.unwrap().digest;
        let index = multi
            .index(&[("amd64", &amd64), ("arm64", &arm64)], "latest")
            .await
            .unwrap()
            .digest;
        (amd64, index)
    });
    let receiver = Receiver::start();
    let state = TempDir::new("watch-state");
    let hook = receiver.url("/hook");
    let versioned = format!("{}/watch/versions:1.0.0@{in_use}", registry.host());
    let pinned_multi = format!("{}/watch/multi:latest@{index}", registry.host());
    let args = ["--newer", "--notify", &hook, &versioned, &pinned_multi];

    let first = watch_once(state.path(), &args);
    assert_eq!(first.code, 10, "{first:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    let events = got[0].json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "newer");
    assert_eq!(events[0]["jump"], "minor");
    assert_eq!(events[0]["tag"], "1.1.0");

    // Only the arm64 image of the index is rebuilt: for linux/amd64 nothing changed, so nothing is told.
    block_on(async {
        let arm64 = multi.platform_image("arm64", "m-arm64-2", None).await.unwrap().digest;
        multi
            .index(&[("amd64", &amd64), ("arm64", &arm64)], "latest")
            .await
            .unwrap();
    });
    let second = watch_once(state.path(), &args);
    assert_eq!(second.code, 10, "the newer version is still there: {second:?}");
    assert_eq!(receiver.requests().len(), 1, "{:?}", receiver.requests());

    // With the newer kinds off for this target, nothing of the kind is told, even to a fresh state.
    let other = TempDir::new("watch-state");
    let updates_only = format!("{hook}?on=update,error");
    let filtered = watch_once(other.path(), &["--newer", "--notify", &updates_only, &versioned]);
    assert_eq!(filtered.code, 10);
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn ntfy_gets_one_message_per_round_and_a_wrong_password_is_a_clear_failure_that_never_shows_it() {
    use oci_testkit::Ntfy;
    let watched = Watched::new();
    let other = watched.registry.images("watch/other").unwrap();
    let other_old = block_on(other.dated_image("amd64", "other-1", Some("2020-01-01T00:00:00Z"), Some("2")))
        .unwrap()
        .digest;
    watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    block_on(other.dated_image("amd64", "other-2", Some("2020-02-01T00:00:00Z"), Some("2"))).unwrap();
    let other_in_use = format!("{}/watch/other:2@{other_old}", watched.registry.host());

    let ntfy = Ntfy::start_with_user("watcher", "ntfy-pw-77", "updates");
    let target = format!(
        "ntfy://watcher:ntfy-pw-77@127.0.0.1:{}/updates?scheme=http&tags=whale&priority=4",
        ntfy.port()
    );
    let state = TempDir::new("watch-state");
    let run = watch_once(state.path(), &["--notify", &target, &watched.in_use(), &other_in_use]);
    assert_eq!(run.code, 10, "{run:?}");
    let messages = ntfy.messages("updates");
    assert_eq!(messages.len(), 1, "two updates, one message: {messages:?}");
    let message = &messages[0];
    let title = message["title"].as_str().unwrap();
    assert!(title.contains("box-1"), "{message}");
    let text = message["message"].as_str().unwrap();
    assert!(text.contains("watch/app:1") && text.contains("watch/other:2"), "{text}");
    assert_eq!(message["priority"], 4);
    assert_eq!(message["tags"], serde_json::json!(["whale"]));
    assert!(!run.stderr.contains("ntfy-pw-77"));

    let again = watch_once(state.path(), &["--notify", &target, &watched.in_use(), &other_in_use]);
    assert_eq!(again.code, 10);
    assert_eq!(ntfy.messages("updates").len(), 1, "told once");

    let wrong = target.replace("ntfy-pw-77", "not-the-pw");
    let fresh = TempDir::new("watch-state");
    let refused = watch_once(fresh.path(), &["--notify", &wrong, &watched.in_use()]);
    assert!(refused.stderr.contains("answered 401"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("not-the-pw"), "{}", refused.stderr);
    assert_eq!(ntfy.messages("updates").len(), 1);
}

#[test]
fn a_container_created_while_watching_is_checked_within_seconds_not_at_the_next_interval() {
    use oci_testkit::Podman;
    let registry = Registry::open();
    let podman = Podman::start();
    let image = format!("{}/watch/pod:1", registry.host());
    let images = registry.images("watch/pod").unwrap();
    block_on(images.pullable_image("amd64", "pod-1", Some("1"))).unwrap();
    podman.run(&["pull", "--quiet", "--tls-verify=false", &image]);
    // The tag moves after the pull: a container made from the local image runs an old one.
    block_on(images.pullable_image("amd64", "pod-2", Some("1"))).unwrap();

    let receiver = Receiver::start();
    let state = TempDir::new("watch-state");
    let empty = TempDir::new("watch-config");
    let cache = TempDir::new("watch-cache");
    let mut child = Command::new(env!("CARGO_BIN_EXE_oci-check"))
        .env("DOCKER_CONFIG", empty.path())
        .env("XDG_CACHE_HOME", cache.path())
        .args([
            "watch",
            "--interval",
            "1h",
            "--state",
            state.path().to_str().unwrap(),
            "--host-name",
            "box-1",
            "--podman",
            "--host",
            &podman.url(),
            "--all",
            "--notify",
            &receiver.url("/hook"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let log = Arc::clone(&log);
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                log.lock().unwrap().push_str(&line);
                log.lock().unwrap().push('\n');
            }
        })
    };
    let start = Instant::now();
    while !log.lock().unwrap().contains("round: 0 workloads") && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        log.lock().unwrap().contains("round: 0 workloads"),
        "{}",
        log.lock().unwrap()
    );
    // Let the events stream open (it is opened as the watcher starts, before its first round).
    std::thread::sleep(Duration::from_millis(500));
    podman.run(&["create", "--name", "fresh", &image]);
    let got = receiver.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1, "{}", log.lock().unwrap());
    let event = &got[0].json()["events"][0];
    assert_eq!(event["kind"], "update");
    assert_eq!(event["workload"], "podman/fresh");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{}", log.lock().unwrap());
    assert!(
        log.lock()
            .unwrap()
            .contains("a container was created or started (fresh)"),
        "{}",
        log.lock().unwrap()
    );
}

#[test]
fn a_fleet_keeps_its_state_in_redis_one_document_per_host_and_a_password_never_shows() {
    use oci_testkit::RedisServer;
    let watched = Watched::new();
    watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let redis = RedisServer::start_with_password("redis-pw-31");
    let url = redis.url_with_password();
    assert!(url.contains("redis-pw-31"));
    let receiver = Receiver::start();
    let hook = receiver.url("/hook");
    let image = watched.in_use();
    let watch = |host: &str| {
        oci_check(
            &[
                "watch",
                "--once",
                "--state",
                &url,
                "--host-name",
                host,
                "--platform",
                "linux/amd64",
                "--notify",
                &hook,
                &image,
                "-v",
            ],
            "",
        )
    };
    let first = watch("box-1");
    assert_eq!(first.code, 10, "{first:?}");
    assert_eq!(receiver.requests().len(), 1);
    assert!(!first.stderr.contains("redis-pw-31"), "{}", first.stderr);
    assert!(
        first.stderr.contains(":***@"),
        "the state's place is shown without its password: {}",
        first.stderr
    );
    // The same host again: told already. Another host of the fleet: its own state, told once for it.
    assert_eq!(watch("box-1").code, 10);
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(watch("box-2").code, 10);
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["host"], "box-2");
    assert_eq!(watch("box-2").code, 10);
    assert_eq!(receiver.requests().len(), 2);

    // A Redis that cannot be reached is a failure of its own, not a silent fresh start.
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let down = oci_check(&["watch", "--once", "--state", &closed, &image], "");
    assert_eq!(down.code, 1, "{down:?}");
    assert!(
        down.stderr.contains("the Redis state cannot be used"),
        "{}",
        down.stderr
    );
}

#[test]
fn chat_services_get_their_documented_payloads_at_explicit_urls() {
    let receiver = Receiver::start();
    let at = |service: &str, rest: &str| format!("{service}+http://127.0.0.1:{}{rest}", receiver.port);
    let targets = [
        at("discord", "/discord?username=watcher"),
        at("slack", "/slack"),
        at("gotify", "/gotify/message?priority=7"),
        at("telegram", "/telegram/sendMessage?chats=42,@ops"),
    ];
    let mut args = vec!["notify", "--test", "--host-name", "box-1"];
    args.extend(targets.iter().map(String::as_str));
    let run = oci_check(&args, "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().filter(|line| line.ends_with(": sent")).count(),
        4,
        "{}",
        run.stdout
    );
    let got = receiver.requests();
    let by_path = |path: &str| -> Vec<Value> {
        got.iter()
            .filter(|request| {
                request
                    .request_line
                    .split(' ')
                    .nth(1)
                    .is_some_and(|p| p.starts_with(path))
            })
            .map(Received::json)
            .collect()
    };
    let discord = by_path("/discord");
    assert_eq!(discord.len(), 1, "{got:?}");
    assert!(
        discord[0]["content"].as_str().unwrap().contains("box-1"),
        "{}",
        discord[0]
    );
    assert_eq!(discord[0]["username"], "watcher");
    let slack = by_path("/slack");
    assert!(slack[0]["text"].as_str().unwrap().contains("box-1"), "{}", slack[0]);
    let gotify = by_path("/gotify/message");
    assert_eq!(gotify[0]["priority"], 7);
    assert!(
        gotify[0]["title"].is_string() && gotify[0]["message"].is_string(),
        "{}",
        gotify[0]
    );
    // Telegram: one request per chat.
    let telegram = by_path("/telegram/sendMessage");
    let chats: Vec<&Value> = telegram.iter().map(|body| &body["chat_id"]).collect();
    assert_eq!(telegram.len(), 2, "{telegram:?}");
    assert!(
        chats.contains(&&Value::from("42")) || chats.contains(&&Value::from(42)),
        "{chats:?}"
    );
    assert!(chats.contains(&&Value::from("@ops")), "{chats:?}");
    assert!(
        telegram
            .iter()
            .all(|body| body["text"].as_str().is_some_and(|text| text.contains("box-1")))
    );
}

#[test]
fn a_check_that_starts_failing_is_told_once_and_its_recovery_is_told_to_whoever_heard_of_it() {
    let registry = Registry::open();
    let images = registry.images("watch/later").unwrap();
    // The digest in use names an image the registry does not have yet: the tag is unknown, the check fails.
    let pushed_later = block_on(images.dated_image("amd64", "later-1", Some("2020-01-01T00:00:00Z"), None))
        .unwrap()
        .digest;
    let image = format!("{}/watch/later:1@{pushed_later}", registry.host());
    let receiver = Receiver::start();
    let hook = receiver.url("/hook");
    let state = TempDir::new("watch-state");
    let failing = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(failing.code, 1, "{failing:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "{got:?}");
    let event = &got[0].json()["events"][0];
    assert_eq!(event["kind"], "error");
    assert!(event["note"].as_str().is_some_and(|note| !note.is_empty()), "{event}");
    // Still failing: not told again.
    assert_eq!(watch_once(state.path(), &["--notify", &hook, &image]).code, 1);
    assert_eq!(receiver.requests().len(), 1);

    // The tag appears, naming the image in use: the check works again.
    block_on(images.dated_image("amd64", "later-1", Some("2020-01-01T00:00:00Z"), Some("1"))).unwrap();
    let works = watch_once(state.path(), &["--notify", &hook, &image]);
    assert_eq!(works.code, 0, "{works:?}");
    let got = receiver.requests();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].json()["events"][0]["kind"], "recovered");
    assert_eq!(watch_once(state.path(), &["--notify", &hook, &image]).code, 0);
    assert_eq!(receiver.requests().len(), 2);
}

#[test]
fn mqtt_keeps_a_retained_state_per_workload_and_a_mail_tells_the_round_once() {
    use oci_testkit::mosquitto::Mosquitto;
    use oci_testkit::smtp::SmtpServer;
    let watched = Watched::new();
    let new = watched.rebuild("app-2", "2020-02-01T00:00:00Z");
    let broker = Mosquitto::builder().user("watcher", "mqtt-pw-5").start();
    let mail = SmtpServer::start();
    let mqtt = format!("mqtt://watcher:mqtt-pw-5@127.0.0.1:{}/oci-check", broker.port());
    let smtp = format!(
        "smtp://127.0.0.1:{}/?from=oci@example.test&to=ops@example.test&tls=no",
        mail.port()
    );
    let state = TempDir::new("watch-state");
    let run = watch_once(state.path(), &["--notify", &mqtt, "--notify", &smtp, &watched.in_use()]);
    assert_eq!(run.code, 10, "{run:?}");
    assert!(!run.stderr.contains("mqtt-pw-5"), "{}", run.stderr);

    let retained = broker.retained("#");
    let states: Vec<_> = retained
        .iter()
        .filter(|message| message.topic.starts_with("oci-check/box-1/"))
        .collect();
    assert_eq!(states.len(), 1, "{retained:?}");
    let state_doc: Value = serde_json::from_str(&states[0].payload).unwrap();
    assert_eq!(state_doc["latest_version"], &new.as_str()[..19], "{state_doc}");
    assert_eq!(state_doc["events"], serde_json::json!(["update"]));
    assert!(
        retained
            .iter()
            .any(|message| message.topic.starts_with("homeassistant/update/")),
        "a Home Assistant discovery config: {retained:?}"
    );

    let mails = mail.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].rcpt_tos, ["ops@example.test"]);
    let parsed = mails[0].parsed();
    assert!(parsed.body.contains("watch/app:1"), "{}", parsed.body);
    assert!(parsed.defects.is_empty(), "{:?}", parsed.defects);

    // The next round has nothing new: no second mail.
    assert_eq!(
        watch_once(state.path(), &["--notify", &mqtt, "--notify", &smtp, &watched.in_use()]).code,
        10
    );
    assert_eq!(mail.mails().len(), 1);
}

/// `watch --verify-key --require-signed`: signed updates are told as updates with their signatures in the record
/// (and a changed signer as a warning), an unsigned one as `untrusted` (exit 1, as `update`), a warm round reads
/// every signature from the cache (no pull), and an update told as untrusted is told as an update once it is signed.
#[test]
fn watch_verifies_what_it_proposes_and_tells_the_unsigned_as_untrusted_until_it_is_signed() {
    use oci_testkit::cosign::{Cosign, Mode};

    let registry = Registry::open();
    let cosign = Cosign::new();
    let moves = crate::SignedMoves::new(&registry, &cosign, "watch/signed");
    let host = registry.host().to_owned();
    let (same_new, unsigned_new) = (&moves.same.new, &moves.unsigned.new);

    let receiver = Receiver::start();
    let hook = receiver.url("/hook");
    let slack = format!("slack+http://127.0.0.1:{}/slack", receiver.port);
    let state = TempDir::new("watch-state");
    let cache = TempDir::new("watch-cache");
    let (first_pem, second_pem) = (
        moves.first.public.display().to_string(),
        moves.second.public.display().to_string(),
    );
    let (same, rotated, unsigned) = (&moves.same.running, &moves.rotated.running, &moves.unsigned.running);
    let run = || {
        watch_once(
            state.path(),
            &[
                "--cache-dir",
                cache.path().to_str().unwrap(),
                "--verify-key",
                &first_pem,
                "--verify-key",
                &second_pem,
                "--require-signed",
                "--notify",
                &hook,
                "--notify",
                &slack,
                same,
                rotated,
                unsigned,
            ],
        )
    };
    let documents = |path: &str| -> Vec<Value> {
        receiver
            .requests()
            .iter()
            .filter(|request| request.request_line.starts_with(&format!("POST {path} ")))
            .map(Received::json)
            .collect()
    };

    let cold = run();
    assert_eq!(
        cold.code, 1,
        "an unsigned update is refused, as update refuses it: {cold:?}"
    );
    assert!(
        cold.stderr
            .contains("round: 3 workloads (2 update_available, 1 untrusted)"),
        "{}",
        cold.stderr
    );
    let hooked = documents("/hook");
    assert_eq!(hooked.len(), 1, "{hooked:?}");
    let events = hooked[0]["events"].as_array().unwrap();
    let by_image = |image: &str| {
        events
            .iter()
            .find(|event| event["image"] == image)
            .unwrap_or_else(|| panic!("{image} in {events:?}"))
    };
    let (told_same, told_rotated, told_unsigned) = (by_image(same), by_image(rotated), by_image(unsigned));
    assert_eq!(told_same["kind"], "update");
    assert_eq!(told_same["latest"], same_new.as_str());
    assert_eq!(told_same["record"]["signature"]["status"], "verified", "{told_same}");
    assert_eq!(told_same["record"]["same_signer"], true, "{told_same}");
    assert_eq!(told_rotated["kind"], "update");
    assert_eq!(told_rotated["record"]["signature"]["found_via"], "referrers-tag");
    assert_eq!(told_rotated["record"]["same_signer"], false, "{told_rotated}");
    assert_eq!(
        told_unsigned["kind"], "untrusted",
        "never told as an update: {told_unsigned}"
    );
    assert_eq!(told_unsigned["latest"], unsigned_new.as_str());
    assert_eq!(told_unsigned["record"]["status"], "untrusted");
    assert_eq!(told_unsigned["record"]["signature"]["status"], "unsigned");
    assert_eq!(
        told_unsigned["note"], "not proposed (--require-signed): update signature unsigned",
        "{told_unsigned}"
    );
    // The chat message says it in words: the refusal in a group of its own, the new key as a warning.
    let text = documents("/slack")[0]["text"].as_str().unwrap().to_owned();
    assert!(text.contains("2 updates, 1 untrusted update"), "{text}");
    assert!(text.contains("Untrusted updates (1):"), "{text}");
    assert_eq!(
        text.matches("warning: signed by another key or identity than the image in use")
            .count(),
        1,
        "{text}"
    );

    // A warm round: the tags are asked again (HEAD), every manifest and signature comes from the cache.
    let warm = run();
    assert_eq!(warm.code, 1, "{warm:?}");
    assert!(warm.stderr.contains("0 events told"), "{}", warm.stderr);
    assert!(
        !cold.stderr.contains(" 0 pulls"),
        "the signatures were pulled once: {}",
        cold.stderr
    );
    assert!(warm.stderr.contains(" HEAD, 0 pulls, "), "{}", warm.stderr);
    assert!(!warm.stderr.contains(" 0 cache hits"), "{}", warm.stderr);
    assert_eq!(documents("/hook").len(), 1, "nothing told twice");

    // Signed at last: told as the update it is, once.
    cosign.sign(&moves.first, &format!("{host}/watch/signed@{unsigned_new}"), Mode::Tag);
    let signed = run();
    assert_eq!(signed.code, 10, "{signed:?}");
    assert!(
        signed.stderr.contains("round: 3 workloads (3 update_available)"),
        "{}",
        signed.stderr
    );
    let hooked = documents("/hook");
    assert_eq!(hooked.len(), 2, "{hooked:?}");
    let events = hooked[1]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "update");
    assert_eq!(events[0]["image"], unsigned.as_str());
    assert_eq!(events[0]["record"]["signature"]["status"], "verified");
}
