//! `update --docker` against the real Docker Engine (Debian's `docker.io`, one dockerd per test with its own data
//! root and socket): images pushed to and pulled from the loopback registry, containers running a static busybox.

use oci_testkit::{DEAD_PROXY, DockerEngine, Registry};
use serde_json::Value;

use crate::{oci_check, oci_check_env};

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
    // The engine's directory (150 MB of data root) goes with it: dockerd's netns mount is undone first.
    let dir = setup.engine.dir().to_owned();
    drop(setup);
    assert!(!dir.exists(), "{} outlived its engine", dir.display());
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

/// Records of `update` (JSON Lines).
fn records(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn a_docker_hub_image_is_asked_of_the_mirror_the_engine_reports() {
    // A loopback "Docker Hub" (upstream), a pull-through mirror of it, and a dockerd whose `registry-mirrors` names
    // the mirror: `docker pull app:1` (docker.io/library/app:1) goes through the mirror, and so must oci-check,
    // which learns the mirror from the engine's GET /info. Docker Hub itself is never reached: dockerd's proxy and
    // oci-check's are dead loopback ports, and --mirror-only keeps oci-check off docker.io.
    let upstream = Registry::open();
    let mirror = Registry::pull_through(&format!("http://{}", upstream.host()));
    let engine = DockerEngine::start_with(
        &[upstream.host().to_owned(), mirror.host().to_owned()],
        &[format!("http://{}", mirror.host())],
    );
    let at_upstream = format!("{}/library/app:1", upstream.host());
    engine.import_busybox(&at_upstream);
    engine.docker(&["push", "-q", &at_upstream]);
    engine.pull("app:1");
    engine.run("hub", "app:1");
    let host = engine.host_url();
    let dir = oci_testkit::TempDir::new("daemon-json");
    // daemon.json says what the engine says (with the slash the engine adds left off): the mirror is used once.
    let daemon_json = dir.path().join("daemon.json");
    std::fs::write(
        &daemon_json,
        format!(r#"{{"registry-mirrors": ["http://{}"]}}"#, mirror.host()),
    )
    .unwrap();
    let run = |daemon_json: &str| {
        oci_check_env(
            &[
                "update",
                "--docker",
                "--host",
                &host,
                "--json",
                "-v",
                "--mirror-only",
                "--daemon-json",
                daemon_json,
                "--registries-conf",
                "none",
            ],
            "",
            &[("HTTPS_PROXY", DEAD_PROXY), ("HTTP_PROXY", DEAD_PROXY)],
        )
    };
    let out = run("none");
    assert_eq!(out.code, 0, "{out:?}\n{}", engine.log());
    let found = records(&out.stdout);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["container"], "hub");
    assert!(
        found[0]["reference"]
            .as_str()
            .is_some_and(|r| r.starts_with("docker.io/library/app:1")),
        "{found:#?}"
    );
    assert_eq!(found[0]["status"], "up_to_date", "{found:#?}");
    assert_eq!(found[0]["served_by"], mirror.host(), "{found:#?}");
    let named = format!("docker.io -> {}", mirror.host());
    assert!(out.stderr.contains(&format!("mirrors: {named}\n")), "{}", out.stderr);

    let both = run(daemon_json.to_str().unwrap());
    assert_eq!(both.code, 0, "{both:?}");
    assert!(both.stderr.contains(&format!("mirrors: {named}\n")), "{}", both.stderr);
    assert!(!both.stderr.contains(&format!("{named}, {named}")), "{}", both.stderr);

    // The tag moves upstream: the update is seen through the mirror.
    engine.docker(&["commit", "-c", "LABEL moved=yes", "hub", &at_upstream]);
    engine.docker(&["push", "-q", &at_upstream]);
    let moved = run("none");
    assert_eq!(moved.code, 10, "{moved:?}");
    let found = records(&moved.stdout);
    assert_eq!(found[0]["status"], "update_available", "{found:#?}");
    assert_eq!(found[0]["served_by"], mirror.host(), "{found:#?}");
}

/// A docker CLI configuration directory whose context store has `name` pointing at `host`, and `current` as
/// `currentContext` when given.
fn context_store(dir: &std::path::Path, name: &str, host: &str, current: Option<&str>) {
    let meta = dir
        .join("contexts/meta")
        .join(oci_digest::Digest::sha256(name.as_bytes()).encoded());
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        serde_json::json!({
            "Name": name,
            "Metadata": {"Description": "the test's dockerd"},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
        })
        .to_string(),
    )
    .unwrap();
    if let Some(current) = current {
        std::fs::write(
            dir.join("config.json"),
            serde_json::json!({"auths": {}, "currentContext": current}).to_string(),
        )
        .unwrap();
    }
}

#[test]
fn the_docker_context_names_the_engine_when_docker_host_is_unset() {
    let setup = Setup::new();
    setup.engine.run("web", &setup.app);
    let dir = oci_testkit::TempDir::new("docker-contexts");
    let config = dir.path().to_str().unwrap();
    context_store(dir.path(), "fixture", &setup.engine.host_url(), Some("fixture"));
    let run = |env: &[(&str, &str)]| {
        let mut vars = vec![("DOCKER_CONFIG", config), ("DOCKER_HOST", ""), ("DOCKER_CONTEXT", "")];
        vars.extend_from_slice(env);
        oci_check_env(&["update", "--docker", "--json", "--daemon-json", "none"], "", &vars)
    };
    // currentContext in config.json.
    let out = run(&[]);
    assert_eq!(out.code, 0, "{out:?}");
    let found = records(&out.stdout);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(status(&found, "web"), "up_to_date");
    // DOCKER_CONTEXT wins over currentContext: a context the store does not have is an error that says so.
    let out = run(&[("DOCKER_CONTEXT", "gone")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("could not read the Docker engine: the docker context \"gone\" (DOCKER_CONTEXT) does not exist"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // DOCKER_HOST wins over both.
    let out = run(&[("DOCKER_CONTEXT", "gone"), ("DOCKER_HOST", &setup.engine.host_url())]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(status(&records(&out.stdout), "web"), "up_to_date");
}
