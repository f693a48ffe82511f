//! The engine answers' parsers and the assembly of workloads, on podman's recorded answers and Docker's written
//! from the API documentation (`tests/data/docker/README.md` says how they differ).

use std::collections::HashMap;

use oci_digest::Digest;
use oci_inventory::internal::answers::{
    ImageDetails, engine_platform, parse_container, parse_containers, parse_error_message, parse_image, parse_info,
    parse_info_mirrors, parse_libpod_image, parse_ping_version, parse_version,
};
use oci_inventory::internal::assemble::Assembly;
use oci_inventory::{ApiVersion, ErrorKind, ImageRef, Source, State, Workload};
use oci_ref::Reference;

use super::data;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(data(path)).unwrap()
}

/// Every `image-*.json` of a directory, by ID.
fn images(dir: &str) -> HashMap<Digest, ImageDetails> {
    let mut images = HashMap::new();
    for entry in std::fs::read_dir(data(dir)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("image-") && name != "image-missing.json" {
            let details = parse_image(&std::fs::read(&path).unwrap()).unwrap();
            images.insert(details.id.clone(), details);
        }
    }
    images
}

/// A header's value in a recorded `ping.txt`.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn find<'a>(workloads: &'a [Workload], name: &str) -> &'a Workload {
    workloads
        .iter()
        .find(|w| w.name() == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn reference(s: &str) -> Reference {
    s.parse().unwrap()
}

#[test]
fn podman_ping_version_and_info() {
    let ping = String::from_utf8(read("podman/ping.txt")).unwrap();
    let version = header(&ping, "Api-Version").unwrap();
    assert_eq!(parse_ping_version(version.as_bytes()).unwrap(), ApiVersion::new(1, 41));
    assert_eq!(header(&ping, "Libpod-Api-Version"), Some("4.3.1"));
    let version = parse_version(&read("podman/version.json")).unwrap();
    assert_eq!(version.api_version, ApiVersion::new(1, 41));
    assert_eq!(version.min_api_version, Some(ApiVersion::new(1, 24)));
    assert!(version.podman);
    // Go's architecture name.
    assert_eq!(
        parse_info(&read("podman/info.json")).unwrap().unwrap().to_string(),
        "linux/amd64"
    );
    assert_eq!(
        parse_info_mirrors(&read("podman/info.json")).unwrap(),
        Vec::<String>::new()
    );
    let missing = parse_error_message(&read("podman/image-missing.json")).unwrap();
    assert!(missing.starts_with("failed to find image"), "{missing}");
}

#[test]
fn docker_ping_version_and_info() {
    let ping = String::from_utf8(read("docker/ping.txt")).unwrap();
    let version = header(&ping, "Api-Version").unwrap();
    assert_eq!(parse_ping_version(version.as_bytes()).unwrap(), ApiVersion::new(1, 48));
    assert_eq!(header(&ping, "Libpod-Api-Version"), None);
    let version = parse_version(&read("docker/version.json")).unwrap();
    assert_eq!(version.api_version, ApiVersion::new(1, 48));
    assert!(!version.podman);
    // The kernel's architecture name.
    assert_eq!(
        parse_info(&read("docker/info.json")).unwrap().unwrap().to_string(),
        "linux/amd64"
    );
    assert_eq!(
        parse_info_mirrors(&read("docker/info.json")).unwrap(),
        Vec::<String>::new()
    );
    assert!(
        parse_error_message(&read("docker/error-404.json"))
            .unwrap()
            .starts_with("No such image")
    );
}

#[test]
fn podman_answers_make_the_same_workloads_as_the_live_test() {
    let containers = parse_containers(&read("podman/containers.json")).unwrap();
    assert_eq!(containers.len(), 7);
    let images = images("podman");
    let mut assembly = Assembly::new(Source::Podman, containers);
    let needed = assembly.images_needed();
    assert_eq!(needed.len(), 5, "each distinct image once");
    for id in needed {
        let details = images.get(&id).cloned();
        assert!(details.is_some(), "{id} was recorded");
        assembly.add_image(id, details);
    }
    assert!(
        assembly.containers_needed().is_empty(),
        "podman lists names, or sha256:ID as given"
    );
    assert!(
        !assembly.needs_engine_platform(),
        "podman gives every image's Architecture"
    );
    // The amd64 image of `multi` lost its name when the tag moved on.
    let histories = assembly.histories_needed();
    assert_eq!(histories.len(), 1);
    let history = parse_libpod_image(&read("podman/libpod-image-multi.json")).unwrap();
    assert!(history.digest.is_some());
    assembly.add_history(histories[0].clone(), history.clone());
    let workloads = assembly.finish().unwrap();

    let single = find(&workloads, "single");
    let ImageRef::Reference(single_ref) = single.image() else {
        panic!("{single:?}")
    };
    let host = single_ref.registry();
    assert_eq!(single.state(), Some(&State::Created));
    assert_eq!(single.repo_digests().len(), 1);
    assert_eq!(single.platform().unwrap().to_string(), "linux/amd64");
    assert_eq!(
        find(&workloads, "by-id").image(),
        &ImageRef::ImageId(single.image_id().unwrap().clone())
    );
    assert_eq!(find(&workloads, "by-short-id").image(), single.image());
    assert_eq!(
        find(&workloads, "local").image(),
        &ImageRef::Local(reference("localhost/committed:1"))
    );
    let arm = find(&workloads, "multi-arm");
    assert_eq!(arm.platform().unwrap().to_string(), "linux/arm64");
    assert_eq!(arm.repo_digests().len(), 2, "the index and the arm64 manifest");
    let multi = find(&workloads, "multi");
    let index = history.digest.unwrap();
    assert_eq!(
        multi.repo_digests(),
        [reference(&format!("{host}/inventory/multi@{index}"))]
    );
    assert!(arm.repo_digests().contains(&multi.repo_digests()[0]));
}

#[test]
fn podman_container_inspect_by_id() {
    let details = parse_container(&read("podman/container-by-id.json")).unwrap();
    assert_eq!(details.name, "by-id");
    assert_eq!(
        Some(details.configured.as_str()),
        details.image_id.as_ref().map(Digest::as_str)
    );
    assert!(!details.podman, "the compatible API has no ImageName");
    assert_eq!(details.state, Some(State::Created));
}

#[test]
fn docker_answers() {
    let containers = parse_containers(&read("docker/containers.json")).unwrap();
    let images = images("docker");
    let mut assembly = Assembly::new(Source::Docker, containers);
    for id in assembly.images_needed() {
        assembly.add_image(id.clone(), images.get(&id).cloned());
    }
    // `cache` is listed by its image ID (its tag moved on), `by-prefix` by an ID prefix: both need Config.Image.
    let needed = assembly.containers_needed();
    assert_eq!(needed.len(), 2, "{needed:?}");
    let cache = parse_container(&read("docker/container-cache.json")).unwrap();
    assert_eq!(cache.configured, "redis:7");
    assert!(needed.contains(&cache.id));
    assembly.add_configured(&cache.id, cache.configured);
    assert!(assembly.histories_needed().is_empty(), "only podman forgets digests");
    assert!(assembly.needs_engine_platform(), "busybox's image has no Architecture");
    assembly.set_engine_platform(parse_info(&read("docker/info.json")).unwrap());
    let workloads = assembly.finish().unwrap();
    assert_eq!(workloads.len(), 7);

    let web = find(&workloads, "web");
    assert_eq!(web.source(), &Source::Docker);
    assert_eq!(web.image(), &ImageRef::Reference(reference("nginx:1.27")));
    assert_eq!(web.repo_digests().len(), 1);
    assert_eq!(web.repo_digests()[0].name(), "docker.io/library/nginx");
    assert_eq!(web.state(), Some(&State::Running));
    assert_eq!(web.platform().unwrap().to_string(), "linux/amd64");

    let api = find(&workloads, "api");
    let ImageRef::Reference(pinned) = api.image() else {
        panic!("{api:?}")
    };
    assert_eq!(api.digests(), [pinned.digest().unwrap()]);
    assert_eq!(
        api.platform().unwrap().to_string(),
        "linux/arm64",
        "v8 is arm64's default"
    );

    let cache = find(&workloads, "cache");
    assert_eq!(cache.image(), &ImageRef::Reference(reference("redis:7")));
    assert_eq!(cache.state(), Some(&State::Exited));
    assert_eq!(
        cache.repo_digests()[0].name(),
        "docker.io/library/redis",
        "Docker keeps a dangling image's"
    );

    let by_prefix = find(&workloads, "by-prefix");
    assert_eq!(by_prefix.image(), &ImageRef::ImageId(web.image_id().unwrap().clone()));
    assert_eq!(by_prefix.state(), Some(&State::Created));

    let app = find(&workloads, "app");
    assert_eq!(app.image(), &ImageRef::Local(reference("myapp:dev")));
    assert!(app.digests().is_empty());

    let edge = find(&workloads, "edge");
    let manifest = edge.manifest_digest().unwrap();
    assert_eq!(edge.digests()[0], manifest);
    assert_eq!(
        edge.digests().len(),
        2,
        "the platform manifest, then the index of RepoDigests"
    );
    assert_eq!(edge.platform().unwrap().to_string(), "linux/arm64");

    let tools = find(&workloads, "tools");
    assert_eq!(tools.platform().unwrap().to_string(), "linux/amd64", "the engine's");
    assert_eq!(tools.state(), Some(&State::Paused));
}

#[test]
fn the_running_list_has_only_running_and_paused_containers() {
    let running = parse_containers(&read("docker/containers-running.json")).unwrap();
    assert!(
        running
            .iter()
            .all(|c| matches!(c.state, Some(State::Running | State::Paused)))
    );
}

#[test]
fn engine_architectures() {
    assert_eq!(engine_platform("linux", "aarch64").unwrap().to_string(), "linux/arm64");
    assert_eq!(engine_platform("linux", "armv7l").unwrap().to_string(), "linux/arm/v7");
}

#[test]
fn answers_that_are_not_what_the_api_describes() {
    for (body, kind) in [
        (&b"<html>nginx</html>"[..], ErrorKind::InvalidJson),
        (b"{\"Id\": \"sha256:abc\"}", ErrorKind::InvalidField),
        (b"{\"Id\": \"\"}", ErrorKind::InvalidField),
        (b"{\"Id\": \"sha256:abc\", \"RepoTags\": 5}", ErrorKind::InvalidJson),
    ] {
        let err = parse_image(body).unwrap_err();
        assert_eq!(err.kind(), kind, "{}: {err}", String::from_utf8_lossy(body));
    }
    let id = Digest::sha256(b"x");
    for (field, entry) in [
        ("RepoTags", "Nginx:1"),
        ("RepoDigests", "nginx:1.25"),
        ("RepoDigests", "nginx@sha256:1"),
    ] {
        let body = format!("{{\"Id\": \"{id}\", \"{field}\": [\"{entry}\"]}}");
        let err = parse_image(body.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidField, "{body}");
        assert!(err.to_string().contains(entry), "{err}");
    }
    // Docker's placeholders are skipped, podman's nulls are empty.
    let body = format!("{{\"Id\": \"{id}\", \"RepoTags\": [\"<none>:<none>\"], \"RepoDigests\": [\"<none>@<none>\"]}}");
    let details = parse_image(body.as_bytes()).unwrap();
    assert!(details.repo_tags.is_empty() && details.repo_digests.is_empty());
    let body = format!("{{\"Id\": \"{id}\", \"RepoTags\": null, \"RepoDigests\": null, \"Variant\": null}}");
    assert!(parse_image(body.as_bytes()).unwrap().platform.is_none());
    let err = parse_containers(b"[{\"Id\": \"a\", \"ImageID\": \"sha256:nothex\"}]").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidField);
    let err = parse_version(b"{}").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedApiVersion);
}

#[test]
fn events_are_read_as_docker_and_podman_write_them() {
    use oci_inventory::internal::answers::parse_event;
    let docker = br#"{"status":"create","id":"4f1c","from":"nginx:1.27","Type":"container","Action":"create","Actor":{"ID":"4f1c","Attributes":{"image":"nginx:1.27","name":"web"}},"scope":"local","time":1733390000,"timeNano":1733390000000000000}"#;
    let event = parse_event(docker).unwrap().expect("a container creation");
    assert_eq!(
        (
            event.action.as_str(),
            event.id.as_str(),
            event.name.as_deref(),
            event.image.as_deref()
        ),
        ("create", "4f1c", Some("web"), Some("nginx:1.27"))
    );
    // Podman's compat API: the same shape; older answers have only `status`, `id` and `from`.
    let old = br#"{"status":"start","id":"9a","from":"busybox"}"#;
    let event = parse_event(old).unwrap().expect("a container start");
    assert_eq!(
        (event.action.as_str(), event.image.as_deref(), event.name),
        ("start", Some("busybox"), None)
    );
    // Other events are not errors, only not news.
    for other in [
        &br#"{"Type":"image","Action":"pull","Actor":{"ID":"nginx"}}"#[..],
        br#"{"Type":"container","Action":"exec_start: sh -c true","Actor":{"ID":"4f1c"}}"#,
        br#"{"Type":"container","Action":"die","Actor":{"ID":"4f1c","Attributes":null}}"#,
    ] {
        assert_eq!(parse_event(other).unwrap(), None, "{}", String::from_utf8_lossy(other));
    }
    for bad in [&b"[1]"[..], b"not json", br#"{"Type":"container","Action":"create"}"#] {
        let err = parse_event(bad).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}
