//! Registry mirrors: a real CNCF registry in proxy mode (a pull-through cache) in front of another real registry,
//! with the upstream's requests counted at a proxy. Manifests come from the mirror (`served_by` says so), a warm
//! mirror sends the upstream no manifest GET, a mirror that is down falls back to the upstream unless the client is
//! mirror-only, and a warm mirror answers mirror-only with the upstream gone.

use std::time::Duration;

use oci_manifest::Platform;
use oci_ref::Reference;
use oci_registry::{Client, ErrorKind, RegistryOptions, UpdateRequest, UpdateStatus};
use oci_testkit::{Proxy, Registry, free_port};

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_through_mirror_answers_first_and_a_warm_one_spares_the_upstream_its_gets() {
    let upstream = Registry::open();
    let images = upstream.images("mirror/app").unwrap();
    let old = images.platform_image("amd64", "app-1", Some("1")).await.unwrap().digest;
    let new = images.platform_image("amd64", "app-2", Some("1")).await.unwrap().digest;
    let counted = Proxy::start(upstream.host().parse().unwrap(), Duration::ZERO).await;
    let mirror = Registry::pull_through(&format!("http://{}", counted.host()));

    let client = |mirror_only: bool| {
        let mut builder = Client::builder().registry(upstream.host(), upstream.options()).mirror(
            upstream.host(),
            mirror.host(),
            RegistryOptions::new(),
        );
        if mirror_only {
            builder = builder.mirror_only();
        }
        builder.build().unwrap()
    };
    let request = UpdateRequest::new(
        Reference::parse_normalized(&format!("{}/mirror/app:1", upstream.host())).unwrap(),
        Some(old.clone()),
        Platform::new("linux", "amd64"),
    );

    let upstream_before = counted.request_heads();
    let cold = client(false).check_for_update(&request).await.unwrap();
    assert_eq!(cold.status(), UpdateStatus::UpdateAvailable);
    assert_eq!(cold.latest_digest(), &new);
    assert_eq!(cold.served_by(), Some(mirror.host()));
    assert!(counted.request_heads() > 0, "the cold mirror fetched from the upstream");
    eprintln!(
        "cold mirror: {} requests to the mirror ({} pulls), {} to the upstream",
        cold.requests(),
        cold.pulls(),
        counted.request_heads() - upstream_before
    );

    // Warm: the mirror holds the manifest; it only asks the upstream what the tag names now.
    let before = counted.request_heads();
    let warm = client(false).check_for_update(&request).await.unwrap();
    assert_eq!(warm.latest_digest(), &new);
    assert_eq!(warm.served_by(), Some(mirror.host()));
    eprintln!(
        "warm mirror: {} requests to the mirror ({} pulls), {} to the upstream",
        warm.requests(),
        warm.pulls(),
        counted.request_heads() - before
    );
    let location = oci_registry::ManifestLocation::from(
        &Reference::parse_normalized(&format!("{}/mirror/app@{new}", upstream.host())).unwrap(),
    );
    let manifest = client(false).manifest(&location).await.unwrap();
    assert_eq!(manifest.served_by(), Some(mirror.host()));
    assert!(
        counted.request_heads() - before <= 2,
        "a warm mirror asks the upstream at most about the tag: {} requests",
        counted.request_heads() - before
    );

    // The upstream gone (the mirror's only way to it closed): a warm mirror still answers, mirror-only, from what
    // it holds.
    drop(counted);
    let offline = client(true).check_for_update(&request).await.unwrap();
    assert_eq!(offline.latest_digest(), &new);
    assert_eq!(offline.served_by(), Some(mirror.host()));
}

#[tokio::test]
async fn a_mirror_that_is_down_falls_back_to_the_registry_unless_mirror_only() {
    let upstream = Registry::open();
    let images = upstream.images("mirror/app").unwrap();
    let digest = images.platform_image("amd64", "app-1", Some("1")).await.unwrap().digest;
    let down = format!("127.0.0.1:{}", free_port());
    let request = UpdateRequest::new(
        Reference::parse_normalized(&format!("{}/mirror/app:1", upstream.host())).unwrap(),
        Some(digest),
        Platform::new("linux", "amd64"),
    );
    let builder = || {
        Client::builder().registry(upstream.host(), upstream.options()).mirror(
            upstream.host(),
            &down,
            RegistryOptions::new(),
        )
    };
    let fell_back = builder().build().unwrap().check_for_update(&request).await.unwrap();
    assert_eq!(fell_back.status(), UpdateStatus::UpToDate);
    assert_eq!(fell_back.served_by(), None, "the registry itself answered");

    let err = builder()
        .mirror_only()
        .build()
        .unwrap()
        .check_for_update(&request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err:#}");
    assert!(
        format!("{err:#}").contains(&down),
        "the error names the mirror: {err:#}"
    );
}
