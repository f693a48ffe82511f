//! What runs here: `update --compose` (and, next, `--docker`, `--podman`, `--inspect`), with the container or service
//! named in the output.

use oci_testkit::{Registry, TempDir, block_on};
use serde_json::Value;

use crate::oci_check;

#[test]
fn compose_files_with_dotenv_and_an_override_give_each_service_its_status() {
    let registry = Registry::open();
    let host = registry.host().to_owned();
    let (old, new) = block_on(async {
        let app = registry.images("demo/app").unwrap();
        let old = app.platform_image("amd64", "old", Some("1")).await.unwrap().digest;
        let new = app.platform_image("amd64", "new", Some("1")).await.unwrap().digest;
        app.platform_image("amd64", "two", Some("2")).await.unwrap();
        (old, new)
    });
    let dir = TempDir::new("oci-check-compose");
    let base = dir.path().join("compose.yaml");
    let over = dir.path().join("compose.override.yaml");
    std::fs::write(
        &base,
        "services:\n  web:\n    image: ${REGISTRY}/demo/app:${TAG:-1}\n  pinned:\n    image: ${REGISTRY}/demo/app:1@${OLD}\n  built:\n    build: .\n",
    )
    .unwrap();
    std::fs::write(&over, "services:\n  web:\n    image: ${REGISTRY}/demo/app:2\n").unwrap();
    std::fs::write(dir.path().join(".env"), format!("REGISTRY={host}\nOLD={old}\n")).unwrap();
    let out = oci_check(
        &[
            "update",
            "--json",
            "--platform",
            "linux/amd64",
            "--compose",
            base.to_str().unwrap(),
            "--compose",
            over.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.code, 10, "the pinned service's tag moved: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let by_name = |name: &str| {
        records
            .iter()
            .find(|record| record["container"] == name)
            .unwrap_or_else(|| panic!("no record for {name}: {records:?}"))
            .clone()
    };
    assert_eq!(records.len(), 3, "{records:?}");
    let built = by_name("built");
    assert_eq!(built["status"], "local");
    assert_eq!(built["error"], Value::Null);
    let pinned = by_name("pinned");
    assert_eq!(pinned["status"], "update_available");
    assert_eq!(pinned["current_digest"], old.as_str());
    assert_eq!(pinned["latest_digest"], new.as_str());
    assert_eq!(pinned["source"], format!("compose:{}", base.display()));
    let web = by_name("web");
    assert_eq!(web["reference"], format!("{host}/demo/app:2"), "the override file wins");
    assert_eq!(web["status"], "no_digest");
    assert_eq!(web["source"], format!("compose:{}", over.display()));

    // The table names the services; a local image is not a failure.
    let table = oci_check(
        &[
            "update",
            "--platform",
            "linux/amd64",
            "--compose",
            base.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        table.stdout.lines().next().unwrap().starts_with("CONTAINER"),
        "{table:?}"
    );
    assert!(
        table
            .stdout
            .lines()
            .any(|line| line.starts_with("built") && line.contains("local")),
        "{table:?}"
    );
    assert_eq!(table.stderr, "", "{table:?}");
}

#[test]
fn every_unreadable_input_exits_one_and_prints_no_empty_table() {
    let dir = TempDir::new("oci-check-unreadable");
    let missing = dir.path().join("missing");
    let missing = missing.to_str().unwrap();
    for args in [
        &["update", "-f", missing][..],
        &["update", "--compose", missing],
        &["update", "--inspect", missing],
    ] {
        let out = oci_check(args, "");
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}: a table header with no rows");
        assert!(out.stderr.contains("could not read"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn one_service_whose_image_is_no_reference_does_not_hide_the_others() {
    let registry = Registry::open();
    let image = block_on(async {
        let app = registry.images("demo/app").unwrap();
        app.platform_image("amd64", "one", Some("1")).await.unwrap().digest
    });
    let dir = TempDir::new("oci-check-compose-one-bad");
    let compose = dir.path().join("compose.yaml");
    std::fs::write(
        &compose,
        format!(
            "services:\n  good:\n    image: {}/demo/app:1@{image}\n  bad:\n    image: ${{OCI_CHECK_TEST_UNSET}}/app:1\n",
            registry.host()
        ),
    )
    .unwrap();
    let out = oci_check(&["update", "--json", "--compose", compose.to_str().unwrap()], "");
    assert_eq!(out.code, 1, "{out:?}");
    let records: Vec<Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let status = |name: &str| records.iter().find(|r| r["container"] == name).unwrap()["status"].clone();
    assert_eq!(status("good"), "up_to_date", "{records:?}");
    assert_eq!(status("bad"), "error", "{records:?}");
    assert!(
        out.stderr
            .contains("$OCI_CHECK_TEST_UNSET is not set, so it expanded to nothing"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreadable_compose_file_is_a_failure_and_the_other_images_are_checked() {
    let registry = Registry::open();
    let image = block_on(async {
        let app = registry.images("demo/app").unwrap();
        app.platform_image("amd64", "one", Some("1")).await.unwrap().digest
    });
    let dir = TempDir::new("oci-check-compose-bad");
    let bad = dir.path().join("compose.yaml");
    std::fs::write(&bad, "services:\n  web:\n    image: [not, a, string]\n").unwrap();
    let pinned = format!("{}/demo/app:1@{image}", registry.host());
    let out = oci_check(&["update", "--json", "--compose", bad.to_str().unwrap(), &pinned], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("\"up_to_date\""), "{out:?}");
    assert!(
        out.stderr.contains("compose.yaml:3:") && out.stderr.contains("must be a string"),
        "{}",
        out.stderr
    );
}

#[test]
fn podman_containers_get_the_status_of_the_image_each_runs() {
    use oci_testkit::Podman;
    let registry = Registry::open();
    let podman = Podman::start();
    let host = registry.host().to_owned();
    let multi_ref = format!("{host}/demo/multi:2");
    let (arm_digest, both_amd, single_ref) = block_on(async {
        let single = registry.images("demo/single").unwrap();
        single.pullable_image("amd64", "single-1", Some("1")).await.unwrap();
        let two = registry.images("demo/two").unwrap();
        let two_image = two.pullable_image("amd64", "two", Some("a")).await.unwrap();
        two.manifest(oci_testkit::images::OCI_MANIFEST, two_image.bytes.clone(), Some("b"))
            .await
            .unwrap();
        let multi = registry.images("demo/multi").unwrap();
        let amd = multi.pullable_image("amd64", "multi-amd64", None).await.unwrap();
        let arm = multi.pullable_image("arm64", "multi-arm64", None).await.unwrap();
        multi
            .index(&[("amd64", &amd.digest), ("arm64", &arm.digest)], "2")
            .await
            .unwrap();
        let both = registry.images("demo/both").unwrap();
        let both_amd = both.pullable_image("amd64", "both-amd64", None).await.unwrap();
        let both_arm = both.pullable_image("arm64", "both-arm64", None).await.unwrap();
        both.index(&[("amd64", &both_amd.digest), ("arm64", &both_arm.digest)], "1")
            .await
            .unwrap();
        (arm.digest, both_amd.digest, format!("{host}/demo/single:1"))
    });
    let pull = |args: &[&str]| {
        let mut all = vec!["pull", "--quiet", "--tls-verify=false"];
        all.extend_from_slice(args);
        format!("sha256:{}", podman.run(&all))
    };
    pull(&[&single_ref]);
    pull(&[&format!("{host}/demo/two:a")]);
    pull(&[&format!("{host}/demo/two:b")]);
    podman.run(&["create", "--name", "single", &single_ref]);
    podman.run(&["create", "--name", "two-a", &format!("{host}/demo/two:a")]);
    podman.run(&["create", "--name", "two-b", &format!("{host}/demo/two:b")]);
    // The index pulled for arm64, then for amd64: the arm64 image loses its RepoDigests, its container keeps it.
    pull(&["--arch", "arm64", &multi_ref]);
    podman.run(&["create", "--name", "multi-arm", "--arch", "arm64", &multi_ref]);
    pull(&["--arch", "amd64", &multi_ref]);
    podman.run(&["create", "--name", "multi-amd", "--arch", "amd64", &multi_ref]);
    podman.run(&["commit", "--quiet", "single", "committed:1"]);
    podman.run(&["create", "--name", "local", "committed:1"]);
    // A multi-arch image pulled by its tag and by its amd64 image's digest: two RepoDigests, both current.
    let both_ref = format!("{host}/demo/both:1");
    pull(&["--arch", "amd64", &both_ref]);
    pull(&[&format!("{host}/demo/both@{both_amd}")]);
    podman.run(&["create", "--name", "both", "--arch", "amd64", &both_ref]);
    // A container created from an image ID names no tag.
    let single_id = podman.run(&["image", "inspect", "--format", "{{.Id}}", &single_ref]);
    podman.run(&["create", "--name", "by-id", &format!("sha256:{}", single_id.trim())]);
    // Then the tags move: the single-arch tag to a new image, the index rebuilt with only its amd64 image new.
    block_on(async {
        let single = registry.images("demo/single").unwrap();
        single.pullable_image("amd64", "single-2", Some("1")).await.unwrap();
        let multi = registry.images("demo/multi").unwrap();
        let amd = multi
            .pullable_image("amd64", "multi-amd64-rebuilt", None)
            .await
            .unwrap();
        multi
            .index(&[("amd64", &amd.digest), ("arm64", &arm_digest)], "2")
            .await
            .unwrap();
    });

    let url = podman.url();
    let out = oci_check(&["update", "--podman", "--host", &url, "--all", "--json"], "");
    assert_eq!(out.code, 10, "the moved tags are updates: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let status = |name: &str| -> (String, Value) {
        let record = records
            .iter()
            .find(|record| record["container"] == name)
            .unwrap_or_else(|| panic!("no record for {name}: {records:#?}"));
        assert_eq!(record["source"], "podman", "{record}");
        (
            record["status"].as_str().unwrap().to_owned(),
            record["matched_digest"].clone(),
        )
    };
    assert_eq!(status("single").0, "update_available");
    assert_eq!(status("two-a").0, "up_to_date");
    assert_eq!(status("two-b").0, "up_to_date");
    assert_eq!(status("multi-amd").0, "update_available", "its amd64 image was rebuilt");
    let (arm_status, arm_matched) = status("multi-arm");
    assert_eq!(arm_status, "up_to_date", "only the amd64 image changed: {records:#?}");
    // Podman still knows the index it was pulled by (oci-inventory asks its own API), so the old index matches:
    // its arm64 image is the new index's. (Without that digest the image ID would decide: a verdict unit test.)
    assert!(arm_matched.is_string(), "{records:#?}");
    assert_eq!(status("local").0, "local");
    let (both_status, both_matched) = status("both");
    assert_eq!(both_status, "up_to_date", "{records:#?}");
    assert!(both_matched.is_string(), "{records:#?}");
    assert_eq!(status("by-id").0, "local", "an image ID names no tag: said, not failed");
    // The same containers through `podman inspect` output piped in: the same statuses.
    let inspected = podman.run(&["container", "inspect", "single", "two-a", "local"]);
    let piped = oci_check(&["update", "--inspect", "-", "--json"], inspected.as_bytes());
    assert_eq!(piped.code, 10, "{piped:?}");
    let piped: Vec<Value> = piped
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(piped.len(), 3, "{piped:#?}");
    for record in &piped {
        let name = record["container"].as_str().unwrap();
        assert_eq!(record["source"], "inspect", "{record}");
        assert_eq!(record["status"].as_str().unwrap(), status(name).0, "{name}: {record}");
    }
    let names: Vec<&str> = records
        .iter()
        .filter_map(|record| record["container"].as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "containers in a stable order");
}

#[test]
fn a_missing_engine_socket_is_one_line_saying_what_to_do() {
    let dir = TempDir::new("oci-check-no-engine");
    let socket = dir.path().join("docker.sock");
    let url = format!("unix://{}", socket.display());
    let out = oci_check(&["update", "--docker", "--host", &url], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("docker.sock"), "{}", out.stderr);
    assert!(
        out.stderr.contains("--host") || out.stderr.contains("DOCKER_HOST"),
        "{}",
        out.stderr
    );
}

#[test]
fn compose_include_checks_the_included_services_and_a_cycle_is_a_failure() {
    let registry = Registry::open();
    let host = registry.host().to_owned();
    let (old, new) = block_on(async {
        let app = registry.images("demo/app").unwrap();
        let old = app.platform_image("amd64", "old", Some("1")).await.unwrap().digest;
        let new = app.platform_image("amd64", "new", Some("1")).await.unwrap().digest;
        (old, new)
    });
    let dir = TempDir::new("oci-check-compose-include");
    let main = dir.path().join("compose.yaml");
    std::fs::create_dir(dir.path().join("db")).unwrap();
    std::fs::write(
        &main,
        "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: ${REGISTRY}/demo/app:1\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), format!("REGISTRY={host}\n")).unwrap();
    // The included project's own .env gives its pinned digest; REGISTRY comes from the includer.
    std::fs::write(
        dir.path().join("db/compose.yaml"),
        "services:\n  db:\n    image: ${REGISTRY}/demo/app:1@${OLD}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("db/.env"), format!("OLD={old}\n")).unwrap();
    let run = || {
        oci_check(
            &[
                "update",
                "--json",
                "--platform",
                "linux/amd64",
                "--compose",
                main.to_str().unwrap(),
            ],
            "",
        )
    };
    let out = run();
    assert_eq!(out.code, 10, "the included service's tag moved: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let db = records.iter().find(|r| r["container"] == "db").unwrap();
    assert_eq!(db["status"], "update_available", "{db}");
    assert_eq!(db["latest_digest"], new.to_string(), "{db}");
    assert_eq!(
        db["source"],
        format!("compose:{}", dir.path().join("db/compose.yaml").display())
    );
    let web = records.iter().find(|r| r["container"] == "web").unwrap();
    assert_eq!(web["source"], format!("compose:{}", main.display()));

    // The included file includes the includer: the compose source fails, told with the file.
    std::fs::write(
        dir.path().join("db/compose.yaml"),
        "include: [../compose.yaml]\nservices:\n  db:\n    image: ${REGISTRY}/demo/app:1@${OLD}\n",
    )
    .unwrap();
    let out = run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("could not read the compose files") && out.stderr.contains("`include` makes a cycle"),
        "{}",
        out.stderr
    );
}
