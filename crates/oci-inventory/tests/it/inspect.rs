//! `docker inspect` and `podman inspect` output.

use std::path::Path;

use oci_inventory::{ErrorKind, ImageRef, Source, State, parse_inspect};

use super::data;

#[test]
fn docker_inspect_of_a_container_and_images() {
    let text = std::fs::read(data("docker/inspect-mixed.json")).unwrap();
    let workloads = parse_inspect(&text, Some(Path::new("inspect.json"))).unwrap();
    // The container, joined with its image; the image it uses is not repeated; the other image stands alone.
    assert_eq!(workloads.len(), 2, "{workloads:#?}");
    let cache = &workloads[0];
    assert_eq!(cache.name(), "cache");
    assert_eq!(cache.image(), &ImageRef::Reference("redis:7".parse().unwrap()));
    assert_eq!(cache.state(), Some(&State::Exited));
    assert_eq!(cache.repo_digests()[0].name(), "docker.io/library/redis");
    assert_eq!(cache.platform().unwrap().to_string(), "linux/amd64");
    assert_eq!(
        cache.source(),
        &Source::Inspect {
            file: Some("inspect.json".into())
        }
    );
    let app = &workloads[1];
    assert_eq!(app.name(), "myapp:dev");
    assert_eq!(app.image(), &ImageRef::Local("myapp:dev".parse().unwrap()));
    assert_eq!(app.state(), None);
    assert_eq!(app.id(), None);
}

#[test]
fn podman_inspect_output() {
    let containers = std::fs::read(data("podman/inspect-containers.json")).unwrap();
    let workloads = parse_inspect(&containers, None).unwrap();
    assert_eq!(workloads.len(), 7);
    let local = workloads.iter().find(|w| w.name() == "local").unwrap();
    assert_eq!(
        local.image(),
        &ImageRef::Local("localhost/committed:1".parse().unwrap())
    );
    // Without the images in the file, podman's ImageDigest under ImageName is the one digest known.
    let single = workloads.iter().find(|w| w.name() == "single").unwrap();
    assert_eq!(single.repo_digests().len(), 1);
    assert_eq!(single.source(), &Source::Inspect { file: None });
    let by_id = workloads.iter().find(|w| w.name() == "by-id").unwrap();
    assert_eq!(by_id.image(), &ImageRef::ImageId(single.image_id().unwrap().clone()));

    let images = std::fs::read(data("podman/inspect-images.json")).unwrap();
    let workloads = parse_inspect(&images, None).unwrap();
    assert_eq!(workloads.len(), 5);
    // The amd64 image whose tag moved on has no name left: it is named by its ID.
    let nameless = workloads
        .iter()
        .find(|w| w.image_id().map(|d| d.to_string()) == Some(w.name().to_owned()));
    assert!(nameless.is_some(), "{workloads:#?}");
    assert!(workloads.iter().all(|w| w.platform().is_some()));

    // Both files in one array, as `podman inspect` of containers and images prints them.
    let mut both: Vec<serde_json::Value> = serde_json::from_slice(&containers).unwrap();
    both.extend(serde_json::from_slice::<Vec<serde_json::Value>>(&images).unwrap());
    let joined = parse_inspect(&serde_json::to_vec(&both).unwrap(), None).unwrap();
    assert_eq!(joined.len(), 7, "every image is used by a container");
    let arm = joined.iter().find(|w| w.name() == "multi-arm").unwrap();
    assert_eq!(arm.platform().unwrap().to_string(), "linux/arm64");
    assert_eq!(arm.repo_digests().len(), 2);
}

#[test]
fn what_is_not_inspect_output() {
    for (text, kind, fragment) in [
        (&b""[..], ErrorKind::InvalidJson, "not the JSON array"),
        (b"{}", ErrorKind::InvalidJson, "not the JSON array"),
        (b"[1]", ErrorKind::InvalidJson, "element 0: not an object"),
        (
            b"[{\"Name\": \"bridge\", \"Driver\": \"bridge\", \"IPAM\": {}}]",
            ErrorKind::InvalidJson,
            "element 0: neither a container nor an image",
        ),
        (
            b"[{\"Id\": \"a\", \"State\": {}, \"Image\": \"sha256:x\"}]",
            ErrorKind::InvalidField,
            "element 0: the image ID",
        ),
    ] {
        let err = parse_inspect(text, Some(Path::new("in.json"))).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(err.file(), Some(Path::new("in.json")));
        assert!(err.to_string().contains(fragment), "{err}");
    }
    assert!(parse_inspect(b"[]", None).unwrap().is_empty());
}
