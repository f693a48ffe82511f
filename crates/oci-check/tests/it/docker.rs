//! `update --docker` against the real Docker Engine (Debian's `docker.io`, one dockerd per test with its own data
//! root and socket): images pushed to and pulled from the loopback registry, containers running a static busybox.

use oci_testkit::{DockerEngine, Registry};
use serde_json::Value;

use crate::oci_check;

/// A registry and an engine that trusts it, with `REGISTRY/demo/app:1` pushed from an imported busybox and pulled.
struct Setup {
    registry: Registry,
    engine: DockerEngine,
    app: String,
}

impl Setup {
    fn new() -> Self {
        let registry = Registry::open();
        let engine = DockerEngine::start(registry.host());
        let app = format!("{}/demo/app:1", registry.host());
        engine.import_busybox(&app);
        engine.docker(&["push", "-q", &app]);
        Self { registry, engine, app }
    }

    /// Runs `update --docker --host SOCKET --json EXTRA` and returns the records.
    fn update(&self, extra: &[&str]) -> Vec<Value> {
        let host = self.engine.host_url();
        let mut args = vec!["update", "--docker", "--host", &host, "--json"];
        args.extend(extra);
        let out = oci_check(&args, "");
        assert!(out.code == 0 || out.code == 10, "{out:?}");
        out.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

fn status<'a>(records: &'a [Value], container: &str) -> &'a str {
    records
        .iter()
        .find(|r| r["container"] == container)
        .unwrap_or_else(|| panic!("no record for {container}: {records:#?}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn running_containers_of_a_pulled_image_are_up_to_date_and_named() {
    let setup = Setup::new();
    setup.engine.run("web", &setup.app);
    let records = setup.update(&[]);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(status(&records, "web"), "up_to_date");
    assert_eq!(records[0]["source"], "docker", "{records:#?}");
}

#[test]
fn created_containers_count_only_with_all() {
    let setup = Setup::new();
    setup.engine.run("web", &setup.app);
    setup.engine.create("idle", &setup.app);
    let running = setup.update(&[]);
    assert!(running.iter().all(|r| r["container"] != "idle"), "{running:#?}");
    let all = setup.update(&["--all"]);
    assert_eq!(status(&all, "idle"), "up_to_date");
    assert_eq!(status(&all, "web"), "up_to_date");
}

#[test]
fn a_tag_moved_after_the_pull_is_an_update() {
    let setup = Setup::new();
    setup.engine.run("web", &setup.app);
    // A different image under the same tag in the registry: the engine keeps the one it pulled.
    let other = format!("{}/demo/other:1", setup.registry.host());
    setup.engine.docker(&["commit", "-c", "LABEL moved=yes", "web", &other]);
    setup.engine.tag(&other, &setup.app);
    setup.engine.docker(&["push", "-q", &setup.app]);
    // Put the running container's image back under the tag locally by removing the moved one's tag.
    setup.engine.run("moved", &setup.app);
    let records = setup.update(&[]);
    assert_eq!(status(&records, "web"), "update_available", "{records:#?}");
    assert_eq!(status(&records, "moved"), "up_to_date", "{records:#?}");
}

#[test]
fn a_locally_imported_image_is_local() {
    let setup = Setup::new();
    setup.engine.import_busybox("built/here:1");
    setup.engine.run("built", "built/here:1");
    setup.engine.run("web", &setup.app);
    let records = setup.update(&[]);
    assert_eq!(status(&records, "built"), "local", "{records:#?}");
    assert_eq!(status(&records, "web"), "up_to_date", "{records:#?}");
}

#[test]
fn a_container_run_by_digest_alone_is_pinned_not_a_failure_and_says_how_to_name_a_tag() {
    // Nothing to follow without a tag: status `local` (as for a container created from an image ID), exit 0, the
    // running digest reported and a note that says to write REPO:TAG@DIGEST.
    let setup = Setup::new();
    let pinned = setup
        .engine
        .docker(&["inspect", "--format", "{{index .RepoDigests 0}}", &setup.app]);
    let (_, digest) = pinned.split_once('@').unwrap();
    setup.engine.run("pinned", &pinned);
    let host = setup.engine.host_url();
    let out = oci_check(&["update", "--docker", "--host", &host, "--json"], "");
    assert_eq!(out.code, 0, "{out:?}");
    let records: Vec<Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["container"], "pinned");
    assert_eq!(records[0]["status"], "local", "{records:#?}");
    assert_eq!(records[0]["error"], Value::Null, "{records:#?}");
    let note = records[0]["note"].as_str().unwrap();
    assert!(note.contains(digest) && note.contains(":TAG@DIGEST"), "{note}");
}
