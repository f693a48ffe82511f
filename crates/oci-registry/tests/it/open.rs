//! An open registry over plain HTTP on loopback.

use http::Version;
use oci_registry::{ErrorKind, Repository};
use oci_testkit::images::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Pushed};
use oci_testkit::{Images, Registry};

#[tokio::test]
async fn ping_answers_registry_api() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let ping = client.ping(registry.host()).await.unwrap();
    assert_eq!(ping.api_version(), Some("registry/2.0"));
    assert_eq!(ping.http_version(), Version::HTTP_11);
}

/// HEAD gives the digest of the exact bytes pushed and their content type; GET gives those bytes, verified.
async fn check_round_trip(images: &Images, pushed: &Pushed, tag: &str) {
    let location = images.repository().tag(tag).unwrap();
    let head = images.client().manifest_digest(&location).await.unwrap();
    assert_eq!(head.digest(), &pushed.digest, "{tag}");
    assert_eq!(head.media_type(), Some(pushed.media_type), "{tag}");
    assert_eq!(head.size(), Some(pushed.bytes.len() as u64), "{tag}");

    let manifest = images.client().manifest(&location).await.unwrap();
    assert_eq!(manifest.bytes(), &pushed.bytes, "{tag}");
    assert_eq!(manifest.digest(), &pushed.digest, "{tag}");
    assert_eq!(manifest.media_type(), Some(pushed.media_type), "{tag}");

    let by_digest = images.repository().digest(pushed.digest.clone());
    assert_eq!(
        images.client().manifest(&by_digest).await.unwrap().bytes(),
        &pushed.bytes,
        "{tag}"
    );
    assert_eq!(
        images.client().manifest_digest(&by_digest).await.unwrap().digest(),
        &pushed.digest,
        "{tag}"
    );
}

#[tokio::test]
async fn head_and_get_each_manifest_kind() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let images = Images::new(&client, registry.host(), "kinds/app").unwrap();

    let oci = images.image(OCI_MANIFEST, "oci", Some("oci")).await.unwrap();
    check_round_trip(&images, &oci, "oci").await;
    let docker = images.image(DOCKER_MANIFEST, "docker", Some("docker")).await.unwrap();
    check_round_trip(&images, &docker, "docker").await;

    // The list digests, not a child's: every list type is in Accept.
    let (index, children) = images.list(OCI_INDEX, "index", "index").await.unwrap();
    check_round_trip(&images, &index, "index").await;
    assert!(children.iter().all(|child| child.digest != index.digest));
    let (list, children) = images.list(DOCKER_LIST, "list", "list").await.unwrap();
    check_round_trip(&images, &list, "list").await;
    for child in &children {
        let head = client
            .manifest_digest(&images.repository().digest(child.digest.clone()))
            .await
            .unwrap();
        assert_eq!(head.media_type(), Some(DOCKER_MANIFEST));
    }
}

#[tokio::test]
async fn unknown_tag_and_repository_are_not_found() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let images = Images::new(&client, registry.host(), "present").unwrap();
    images.image(OCI_MANIFEST, "present", Some("v1")).await.unwrap();

    for (name, tag) in [("present", "missing"), ("absent/repo", "v1")] {
        let location = Repository::new(registry.host(), name).unwrap().tag(tag).unwrap();
        let err = client.manifest_digest(&location).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.registry(), Some(registry.host()));
        assert_eq!(err.repository(), Some(name));
        let err = client.manifest(&location).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
        assert_eq!(err.server_errors()[0].code(), "MANIFEST_UNKNOWN", "{err}");
        assert!(err.to_string().contains("MANIFEST_UNKNOWN"), "{err}");
    }
}

#[tokio::test]
async fn moved_tag_gives_new_digest() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let images = Images::new(&client, registry.host(), "moving").unwrap();
    let location = images.repository().tag("latest").unwrap();

    let first = images.image(OCI_MANIFEST, "first", Some("latest")).await.unwrap();
    assert_eq!(client.manifest_digest(&location).await.unwrap().digest(), &first.digest);
    let second = images.image(OCI_MANIFEST, "second", Some("latest")).await.unwrap();
    assert_ne!(first.digest, second.digest);
    assert_eq!(
        client.manifest_digest(&location).await.unwrap().digest(),
        &second.digest
    );
    assert_eq!(client.manifest(&location).await.unwrap().bytes(), &second.bytes);
    // The old manifest is still there by digest.
    let old = client
        .manifest(&images.repository().digest(first.digest.clone()))
        .await
        .unwrap();
    assert_eq!(old.bytes(), &first.bytes);
}

#[tokio::test]
async fn manifest_size_limit_is_enforced() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let images = Images::new(&client, registry.host(), "limits").unwrap();
    let pushed = images.image(OCI_MANIFEST, "limits", Some("v1")).await.unwrap();
    let location = images.repository().tag("v1").unwrap();

    let exact = registry
        .client_builder()
        .manifest_size_limit(pushed.bytes.len() as u64)
        .build()
        .unwrap();
    assert_eq!(exact.manifest(&location).await.unwrap().bytes(), &pushed.bytes);
    let small = registry
        .client_builder()
        .manifest_size_limit(pushed.bytes.len() as u64 - 1)
        .build()
        .unwrap();
    let err = small.manifest(&location).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
}

#[tokio::test]
async fn wrong_digest_in_a_request_is_not_found_not_trusted() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let images = Images::new(&client, registry.host(), "digests").unwrap();
    images.image(OCI_MANIFEST, "digests", Some("v1")).await.unwrap();
    let absent = images
        .repository()
        .digest(oci_digest::Digest::sha256(b"no such manifest"));
    assert_eq!(client.manifest(&absent).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn clones_share_the_connection_pool() {
    let registry = Registry::open();
    let client = registry.client_builder().build().unwrap();
    let clone = client.clone();
    let images = Images::new(&client, registry.host(), "shared").unwrap();
    let pushed = images.image(DOCKER_MANIFEST, "shared", Some("v1")).await.unwrap();
    let location = images.repository().tag("v1").unwrap();
    let (a, b) = tokio::join!(client.manifest_digest(&location), clone.manifest_digest(&location));
    assert_eq!(a.unwrap().digest(), &pushed.digest);
    assert_eq!(b.unwrap().digest(), &pushed.digest);
}
