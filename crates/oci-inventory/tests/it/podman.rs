//! The engine client against the real podman API service, on images pulled from the test's own registry.
//!
//! With `OCI_INVENTORY_RECORD=1` the test also writes the service's answers (and `podman inspect` output) to
//! `tests/data/podman/`, where the parser tests replay them.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use oci_inventory::{
    ApiVersion, Engine, EngineAddress, EngineKind, EngineOptions, ImageRef, Located, Source, State, Workload,
    parse_inspect,
};
use oci_ref::Reference;
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{EngineRecorder, Podman, Registry, block_on};

#[test]
fn workloads_of_a_real_podman_service() {
    let registry = Registry::open();
    let podman = Podman::start();
    let host = registry.host().to_owned();
    let (single, two, amd, arm, index) = block_on(async {
        let single = registry.images("inventory/single").unwrap();
        let single = single.pullable_image("amd64", "single", Some("1.0")).await.unwrap();
        let two_images = registry.images("inventory/two").unwrap();
        let two = two_images.pullable_image("amd64", "two", Some("a")).await.unwrap();
        two_images
            .manifest(OCI_MANIFEST, two.bytes.clone(), Some("b"))
            .await
            .unwrap();
        let multi = registry.images("inventory/multi").unwrap();
        let amd = multi.pullable_image("amd64", "multi-amd64", None).await.unwrap();
        let arm = multi.pullable_image("arm64", "multi-arm64", None).await.unwrap();
        let index = multi
            .index(&[("amd64", &amd.digest), ("arm64", &arm.digest)], "2.0")
            .await
            .unwrap();
        (single.digest, two.digest, amd.digest, arm.digest, index.digest)
    });
    let single_ref = format!("{host}/inventory/single:1.0");
    let multi_ref = format!("{host}/inventory/multi:2.0");
    let pull = |args: &[&str]| {
        let mut all = vec!["pull", "--quiet", "--tls-verify=false"];
        all.extend_from_slice(args);
        format!("sha256:{}", podman.run(&all))
    };
    let single_id = pull(&[&single_ref]);
    let two_id = pull(&[&format!("{host}/inventory/two:a")]);
    assert_eq!(
        pull(&[&format!("{host}/inventory/two:b")]),
        two_id,
        "one image, two tags"
    );
    let multi_amd_id = pull(&["--arch", "amd64", &multi_ref]);
    podman.run(&["create", "--name", "single", &single_ref]);
    podman.run(&["create", "--name", "two-b", &format!("{host}/inventory/two:b")]);
    podman.run(&["create", "--name", "multi", "--arch", "amd64", &multi_ref]);
    podman.run(&["create", "--name", "by-id", &single_id]);
    podman.run(&["create", "--name", "by-short-id", &single_id["sha256:".len()..][..12]]);
    let committed_id = format!("sha256:{}", podman.run(&["commit", "--quiet", "single", "committed:1"]));
    podman.run(&["create", "--name", "local", "committed:1"]);
    // Pulling the other platform moves the tag to the arm64 image; the amd64 container keeps its image.
    let multi_arm_id = pull(&["--arch", "arm64", &multi_ref]);
    podman.run(&["create", "--name", "multi-arm", "--arch", "arm64", &multi_ref]);

    let recorder = EngineRecorder::start(podman.socket());
    let (running, workloads) = block_on(async {
        let located = Located::explicit(EngineKind::Podman, EngineAddress::Unix(recorder.socket().to_path_buf()));
        let mut engine = Engine::connect(located, EngineOptions::new()).await.unwrap();
        assert_eq!(engine.source(), &Source::Podman);
        assert_eq!(engine.api_version(), ApiVersion::new(1, 41));
        let running = engine.workloads(false).await.unwrap();
        (running, engine.workloads(true).await.unwrap())
    });
    assert!(running.is_empty(), "nothing runs in this sandbox: {running:#?}");

    // Only GETs reached the engine, and each distinct image was inspected once per listing.
    let requests = recorder.requests();
    assert!(requests.iter().all(|line| line.starts_with("GET ")), "{requests:#?}");
    let count = |part: &str| requests.iter().filter(|line| line.contains(part)).count();
    assert_eq!(count(" /v1.41/images/"), 5, "{requests:#?}");
    assert_eq!(count("/libpod/images/"), 1, "{requests:#?}");
    assert!(
        requests.iter().all(|line| !line.contains("/info")),
        "every image has a platform: {requests:#?}"
    );

    let reference = |s: &str| s.parse::<Reference>().unwrap();
    let find = |name: &str| -> &Workload {
        workloads
            .iter()
            .find(|w| w.name() == name)
            .unwrap_or_else(|| panic!("no workload {name}: {workloads:#?}"))
    };
    assert_eq!(workloads.len(), 7, "{workloads:#?}");
    for workload in &workloads {
        assert_eq!(workload.source(), &Source::Podman);
        assert_eq!(workload.state(), Some(&State::Created));
        assert!(workload.id().is_some());
    }

    // A single-platform image pulled by tag: one RepoDigests entry, the manifest pulled.
    let w = find("single");
    assert_eq!(w.image(), &ImageRef::Reference(reference(&single_ref)));
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(single_id.as_str()));
    assert_eq!(
        w.repo_digests(),
        [reference(&format!("{host}/inventory/single@{single}"))]
    );
    assert_eq!(w.platform().unwrap().to_string(), "linux/amd64");

    // One image pulled by two tags: one manifest, one entry for the repository.
    let w = find("two-b");
    assert_eq!(
        w.image(),
        &ImageRef::Reference(reference(&format!("{host}/inventory/two:b")))
    );
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(two_id.as_str()));
    assert_eq!(w.repo_digests(), [reference(&format!("{host}/inventory/two@{two}"))]);

    // A multi-platform image: podman records the index and the platform manifest it pulled.
    let multi_index = reference(&format!("{host}/inventory/multi@{index}"));
    let multi_amd = reference(&format!("{host}/inventory/multi@{amd}"));
    let multi_arm = reference(&format!("{host}/inventory/multi@{arm}"));
    let w = find("multi-arm");
    assert_eq!(w.image(), &ImageRef::Reference(reference(&multi_ref)));
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(multi_arm_id.as_str()));
    assert!(w.repo_digests().contains(&multi_index), "{w:#?}");
    assert!(w.repo_digests().contains(&multi_arm), "{w:#?}");
    assert_eq!(w.repo_digests().len(), 2, "{w:#?}");
    assert_eq!(
        w.platform().unwrap().to_string(),
        "linux/arm64",
        "the image's platform, not the engine's"
    );

    // The amd64 image lost its name when the tag moved on to the arm64 one, and with it its RepoDigests; podman's
    // own API still has the digest it was first pulled by: the index's.
    let w = find("multi");
    assert_eq!(w.image(), &ImageRef::Reference(reference(&multi_ref)));
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(multi_amd_id.as_str()));
    assert_eq!(w.repo_digests(), [multi_index], "{w:#?}");
    assert!(!w.repo_digests().contains(&multi_amd));
    assert_eq!(w.platform().unwrap().to_string(), "linux/amd64");

    // Created from an image ID: kept as given when it is `sha256:...`, but podman lists the image's first name for a
    // short ID (Docker keeps the prefix, which `classify` completes).
    let w = find("by-id");
    assert_eq!(w.image(), &ImageRef::ImageId(single_id.parse().unwrap()));
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(single_id.as_str()));
    assert_eq!(w.repo_digests(), find("single").repo_digests());
    let w = find("by-short-id");
    assert_eq!(w.image(), &ImageRef::Reference(reference(&single_ref)));
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(single_id.as_str()));

    // A committed image: podman names it localhost/NAME and makes up a RepoDigests entry of its own.
    let w = find("local");
    assert_eq!(w.image(), &ImageRef::Local(reference("localhost/committed:1")));
    assert!(!w.image().is_in_registry());
    assert_eq!(w.image_id().map(|d| d.as_str()), Some(committed_id.as_str()));
    assert_eq!(w.repo_digests().len(), 1, "{w:#?}");
    assert_eq!(w.repo_digests()[0].name(), "localhost/committed");

    // `podman inspect` output gives the same images.
    let names = ["single", "two-b", "multi", "by-id", "by-short-id", "local", "multi-arm"];
    let mut args = vec!["container", "inspect"];
    args.extend(names);
    let containers = podman.run(&args);
    let from_file = parse_inspect(containers.as_bytes(), Some(Path::new("containers.json"))).unwrap();
    for name in names {
        let inspected = from_file.iter().find(|w| w.name() == name).unwrap();
        assert_eq!(inspected.image(), find(name).image(), "{name}");
        assert_eq!(inspected.image_id(), find(name).image_id(), "{name}");
        assert_eq!(inspected.state(), Some(&State::Created));
    }
    let image_ids = [&single_id, &two_id, &multi_amd_id, &committed_id, &multi_arm_id];
    let mut args = vec!["image", "inspect"];
    args.extend(image_ids.iter().map(|id| id.as_str()));
    let images = podman.run(&args);
    let from_file = parse_inspect(images.as_bytes(), None).unwrap();
    assert_eq!(from_file.len(), 5);
    let arm_image = from_file
        .iter()
        .find(|w| w.image_id().map(|d| d.as_str()) == Some(&multi_arm_id))
        .unwrap();
    assert_eq!(arm_image.platform().unwrap().to_string(), "linux/arm64");
    assert_eq!(arm_image.repo_digests(), find("multi-arm").repo_digests());

    if std::env::var_os("OCI_INVENTORY_RECORD").is_some() {
        record(&podman, &names, &containers, &images);
    }
}

/// Writes the service's answers to `tests/data/podman/`, exactly as received.
fn record(podman: &Podman, names: &[&str], containers: &str, images: &str) {
    let dir = super::data("podman");
    std::fs::create_dir_all(&dir).unwrap();
    let (head, _) = raw_get(podman.socket(), "/_ping");
    std::fs::write(dir.join("ping.txt"), head).unwrap();
    for (file, path) in [
        ("version.json", "/v1.41/version"),
        ("info.json", "/v1.41/info"),
        ("containers.json", "/v1.41/containers/json?all=1"),
        ("container-by-id.json", "/v1.41/containers/by-id/json"),
        (
            "image-missing.json",
            "/v1.41/images/sha256:0000000000000000000000000000000000000000000000000000000000000000/json",
        ),
    ] {
        std::fs::write(dir.join(file), raw_get(podman.socket(), path).1).unwrap();
    }
    for name in names {
        let id = podman.run(&["container", "inspect", "--format", "{{.Image}}", name]);
        let body = raw_get(podman.socket(), &format!("/v1.41/images/sha256:{id}/json")).1;
        std::fs::write(dir.join(format!("image-{name}.json")), body).unwrap();
    }
    let id = podman.run(&["container", "inspect", "--format", "{{.Image}}", "multi"]);
    let body = raw_get(podman.socket(), &format!("/v4.3.1/libpod/images/{id}/json")).1;
    std::fs::write(dir.join("libpod-image-multi.json"), body).unwrap();
    std::fs::write(dir.join("inspect-containers.json"), containers).unwrap();
    std::fs::write(dir.join("inspect-images.json"), images).unwrap();
}

/// `GET path` in HTTP/1.0 (so the answer is neither chunked nor kept alive): the head and the body.
fn raw_get(socket: &Path, path: &str) -> (String, Vec<u8>) {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8(answer[..split + 2].to_vec()).unwrap(),
        answer[split + 4..].to_vec(),
    )
}

#[test]
fn the_events_stream_tells_a_container_created_and_started() {
    let registry = Registry::open();
    let podman = Podman::start();
    let image = format!("{}/inventory/events:1", registry.host());
    block_on(async {
        let images = registry.images("inventory/events").unwrap();
        images.pullable_image("amd64", "events", Some("1")).await.unwrap();
    });
    podman.run(&["pull", "--quiet", "--tls-verify=false", &image]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let address = EngineAddress::parse(&podman.url()).unwrap();
        let located = Located::explicit(EngineKind::Podman, address);
        let mut engine = Engine::connect(located, EngineOptions::new()).await.unwrap();
        let mut events = engine.container_events().await.unwrap();
        // The stream is open before the container is made, so its creation is in it.
        let made = tokio::task::spawn_blocking({
            let command = podman.command();
            let image = image.clone();
            move || {
                let mut command = command;
                let status = command
                    .args(["create", "--name", "fresh", &image])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        });
        let event = tokio::time::timeout(std::time::Duration::from_secs(20), events.next())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream is open");
        made.await.unwrap();
        assert_eq!(event.action, "create");
        assert_eq!(event.name.as_deref(), Some("fresh"));
        assert!(
            event
                .image
                .as_deref()
                .is_some_and(|named| named.contains("inventory/events")),
            "{event:?}"
        );
        assert!(!event.id.is_empty());
    });
}
