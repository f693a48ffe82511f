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
