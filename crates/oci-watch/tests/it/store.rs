use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use oci_watch::{DirStore, HostName, Policy, State, Store, StoreErrorKind};

use crate::{round, update};

/// A fresh directory under the target dir, removed first if a previous run left it.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("oci-watch-store")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn host(name: &str) -> HostName {
    name.parse().unwrap()
}

fn a_state(name: &str) -> State {
    let mut state = State::new(host(name));
    state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &Policy::new(),
    );
    state
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn round_trip_private_files_in_a_private_directory() {
    let dir = scratch("round-trip").join("nested");
    let store = DirStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(store.load_blocking(&host("web-1")).unwrap(), None);
    let state = a_state("web-1");
    store.save_blocking(&state).unwrap();
    store.save_blocking(&state).unwrap();
    let path = store.path(&host("web-1")).unwrap();
    assert_eq!(path, dir.join("state-web-1.json"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(store.load_blocking(&host("web-1")).unwrap(), Some(state));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(r#"{"version":1,"host":"web-1","#), "{text}");
    // Nothing but the state is left behind.
    let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["state-web-1.json"]);
}

#[test]
fn one_file_per_host_with_names_that_cannot_escape() {
    let store = DirStore::open(&scratch("hosts")).unwrap();
    for name in ["web-1", "../etc/passwd", "a_b", "a/b"] {
        store.save_blocking(&a_state(name)).unwrap();
    }
    let hosts: Vec<String> = store.hosts_blocking().unwrap().into_iter().map(String::from).collect();
    assert_eq!(hosts, ["../etc/passwd", "a/b", "a_b", "web-1"]);
    assert_eq!(
        store.path(&host("../etc/passwd")).unwrap().file_name().unwrap(),
        "state-.._2fetc_2fpasswd.json"
    );
    assert_eq!(
        store.path(&host(&"x".repeat(201))).unwrap_err().kind(),
        StoreErrorKind::HostNameTooLong
    );
}

#[test]
fn the_async_store_does_the_same_on_the_blocking_pool() {
    let store = DirStore::open(&scratch("async")).unwrap();
    let state = a_state("web-1");
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (hosts, loaded) = runtime.block_on(async {
        store.save(&state).await.unwrap();
        (store.hosts().await.unwrap(), store.load(&host("web-1")).await.unwrap())
    });
    assert_eq!(hosts, [host("web-1")]);
    assert_eq!(loaded, Some(state));
}

/// Writes `bytes` as web-1's state and returns the load error's kind.
fn unreadable(name: &str, bytes: &[u8]) -> StoreErrorKind {
    let store = DirStore::open(&scratch(name)).unwrap();
    fs::write(store.path(&host("web-1")).unwrap(), bytes).unwrap();
    let err = store.load_blocking(&host("web-1")).unwrap_err();
    assert!(err.is_unreadable(), "{err}");
    err.kind()
}

#[test]
fn corrupt_states_are_one_typed_error() {
    let cases: [(&str, &[u8], StoreErrorKind); 7] = [
        ("not-json", b"{\"version\":1,", StoreErrorKind::Corrupt),
        ("empty", b"", StoreErrorKind::Corrupt),
        (
            "wrong-version",
            br#"{"version":2,"host":"web-1","format":"new"}"#,
            StoreErrorKind::UnsupportedVersion,
        ),
        ("no-version", br#"{"host":"web-1"}"#, StoreErrorKind::Corrupt),
        (
            "other-host",
            br#"{"version":1,"host":"web-2"}"#,
            StoreErrorKind::Corrupt,
        ),
        (
            "bad-key",
            br#"{"version":1,"host":"web-1","workloads":{"x":{}}}"#,
            StoreErrorKind::Corrupt,
        ),
        ("deep", &[b'['; 100_000], StoreErrorKind::Corrupt),
    ];
    for (name, bytes, kind) in cases {
        assert_eq!(unreadable(name, bytes), kind, "{name}");
    }
}

#[test]
fn a_mismatched_workload_is_corrupt() {
    let state = a_state("web-1");
    let text = String::from_utf8(state.to_json()).unwrap();
    let swapped = text.replacen("\"key\":\"web-1|docker|proxy|", "\"key\":\"web-1|docker|other|", 1);
    assert_ne!(swapped, text);
    assert_eq!(unreadable("mismatch", swapped.as_bytes()), StoreErrorKind::Corrupt);
}

#[test]
fn an_oversized_state_is_refused_without_reading_it() {
    let store = DirStore::open(&scratch("oversized")).unwrap();
    let path = store.path(&host("web-1")).unwrap();
    let file = fs::File::create(&path).unwrap();
    // Sparse: 64 MiB + 1 costs no disk.
    file.set_len(oci_watch::MAX_STATE_BYTES + 1).unwrap();
    let err = store.load_blocking(&host("web-1")).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::TooLarge);
    assert!(err.is_unreadable());
}

#[test]
fn a_symlinked_state_is_refused_and_replaced_not_followed() {
    let dir = scratch("symlink");
    let store = DirStore::open(&dir).unwrap();
    let outside = dir.join("outside.json");
    fs::write(&outside, a_state("web-1").to_json()).unwrap();
    let path = store.path(&host("web-1")).unwrap();
    symlink(&outside, &path).unwrap();
    let err = store.load_blocking(&host("web-1")).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Symlink);
    assert!(err.is_unreadable());
    // Saving replaces the link itself; the file it pointed to is untouched.
    let before = fs::read(&outside).unwrap();
    store.save_blocking(&State::new(host("web-1"))).unwrap();
    assert_eq!(fs::read(&outside).unwrap(), before);
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
}

#[test]
fn a_symlinked_directory_is_refused() {
    let dir = scratch("symlink-dir");
    fs::create_dir_all(dir.join("real")).unwrap();
    symlink(dir.join("real"), dir.join("link")).unwrap();
    assert_eq!(
        DirStore::open(&dir.join("link")).unwrap_err().kind(),
        StoreErrorKind::Symlink
    );
}

#[test]
fn a_fifo_neither_hangs_nor_is_read() {
    let store = DirStore::open(&scratch("fifo")).unwrap();
    let path = store.path(&host("web-1")).unwrap();
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let err = store.load_blocking(&host("web-1")).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotAFile);
    assert!(err.is_unreadable());
    // Nor is it written over by a save.
    let err = store.save_blocking(&State::new(host("web-1"))).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotAFile);
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_fifo_like());
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}

impl FifoLike for fs::FileType {
    fn is_fifo_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_fifo(self)
    }
}

#[test]
fn a_directory_in_place_of_a_state_is_not_a_file() {
    let store = DirStore::open(&scratch("dir-in-place")).unwrap();
    fs::create_dir(store.path(&host("web-1")).unwrap()).unwrap();
    assert_eq!(
        store.load_blocking(&host("web-1")).unwrap_err().kind(),
        StoreErrorKind::NotAFile
    );
}

/// A version-1 file as written today keeps reading, with every field where it was.
#[test]
fn a_version_1_file_keeps_reading() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/state-v1.json");
    let state = State::from_json(&fs::read(path).unwrap()).unwrap();
    assert_eq!(state.host().as_str(), "web-1");
    assert_eq!(state.last_round().unwrap().duration_ms, 5000);
    let workloads: Vec<_> = state.workloads().collect();
    assert_eq!(workloads.len(), 2);
    let (db, db_state) = workloads[0];
    assert_eq!(
        (db.source(), db.name(), db.platform()),
        ("compose:/srv/a.yml", "db", "linux/arm64")
    );
    assert_eq!(
        (
            db_state.absent_rounds(),
            db_state.failing_since().unwrap().to_string().as_str()
        ),
        (2, "2026-12-04T18:00:00Z")
    );
    let (_, proxy) = workloads[1];
    assert_eq!(proxy.pending_until().unwrap().to_string(), "2026-12-05T10:00:00Z");
    assert_eq!(proxy.last().newer.as_ref().unwrap().jump, oci_watch::Jump::Minor);
    assert_eq!(State::from_json(&state.to_json()).unwrap(), state);
}
