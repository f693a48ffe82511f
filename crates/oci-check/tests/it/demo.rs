//! The demo's registry (`examples/push-demo.rs`, which `cargo xtask demo` drives): killed with its process group,
//! as `cargo xtask demo --keep` tells users to stop it, it leaves no directory behind.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oci_testkit::TempDir;

/// `target/debug/examples/push-demo`, which `cargo xtask test` builds before the tests (`cargo test` builds examples
/// only as test harnesses).
fn push_demo() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = debug.join("examples").join("push-demo");
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --examples` first (`cargo xtask test` does)",
        path.display()
    );
    path
}

#[test]
fn the_demo_killed_with_its_process_group_leaves_no_directory() {
    let dir = TempDir::new("oci-check-demo-kill");
    let demo_dir = dir.path().join("demo");
    std::fs::create_dir(&demo_dir).unwrap();
    let mut command = Command::new(push_demo());
    command
        .args(["serve", demo_dir.to_str().unwrap(), "--keep"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap();
    let mut host = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut host)
        .unwrap();
    assert!(host.trim().starts_with("127.0.0.1:"), "{host:?}");
    // What `cargo xtask demo --keep` prints: kill -- -PGID.
    let group = format!("-{}", child.id());
    let killed = Command::new("kill").args(["-TERM", "--", &group]).status().unwrap();
    assert!(killed.success());
    let _ = child.wait();
    // The watcher outside the group cleans up once the server is gone; wait for it, within a bound.
    let started = Instant::now();
    while demo_dir.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!demo_dir.exists(), "the demo's directory was left behind");
}

/// Waits, within a bound, until `path` is gone; true when it is.
fn gone_in_time(path: &std::path::Path) -> bool {
    let started = Instant::now();
    while path.exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    !path.exists()
}

/// `push-demo serve DIR` as `cargo xtask demo` starts it (with or without `--keep`): standard input and output
/// piped, a process group of its own. Returns the child after its first line, the registry's address.
fn serve(demo_dir: &std::path::Path) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut command = Command::new(push_demo());
    command
        .args(["serve", demo_dir.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut host = String::new();
    stdout.read_line(&mut host).unwrap();
    assert!(host.trim().starts_with("127.0.0.1:"), "{host:?}");
    (child, stdout)
}

#[test]
fn the_demo_whose_driver_ends_before_keep_stops_and_leaves_no_directory() {
    // `cargo xtask demo --keep` interrupted (Ctrl-C) or failed before the demo ran: its end of the pipe closes.
    let dir = TempDir::new("oci-check-demo-early");
    let demo_dir = dir.path().join("demo");
    std::fs::create_dir(&demo_dir).unwrap();
    let (mut child, _stdout) = serve(&demo_dir);
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(gone_in_time(&demo_dir), "the demo's directory was left behind");
}

#[test]
fn the_demo_told_to_keep_outlives_its_driver_until_its_group_is_killed() {
    use std::io::Write;

    let dir = TempDir::new("oci-check-demo-keep");
    let demo_dir = dir.path().join("demo");
    std::fs::create_dir(&demo_dir).unwrap();
    let (mut child, mut stdout) = serve(&demo_dir);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"keep\n").unwrap();
    stdin.flush().unwrap();
    // Read on a thread, so that a server that never answers fails the test instead of hanging it.
    let (sender, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = sender.send(line);
    });
    let answer = answer.recv_timeout(Duration::from_secs(30));
    assert_eq!(answer.as_deref(), Ok("kept\n"));
    // The driver (xtask) ends: the registry stays, with its directory.
    drop(stdin);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "a kept demo must keep running");
    assert!(demo_dir.exists());
    let group = format!("-{}", child.id());
    let killed = Command::new("kill").args(["-TERM", "--", &group]).status().unwrap();
    assert!(killed.success());
    let _ = child.wait();
    assert!(gone_in_time(&demo_dir), "the demo's directory was left behind");
}
