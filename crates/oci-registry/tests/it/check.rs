//! Update checks against the real registry: multi-arch indexes and lists, moved tags, deleted old indexes, and
//! `check_many` with failures among successes. Requests are counted at a TCP proxy between client and registry.

use std::time::Duration;

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use oci_registry::{CheckOptions, Client, Credentials, ErrorKind, UpdateCheck, UpdateRequest, UpdateStatus};
use oci_testkit::images::{DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Pushed};
use oci_testkit::{Auth, Images, Proxy, Registry, TestCa, TokenServer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The platforms every test index has.
const PLATFORMS: [(&str, Option<&str>); 3] = [("amd64", None), ("arm64", None), ("arm", Some("v7"))];

/// Pushes one image per platform, each from `seeds[i]`, and an index of kind `list_type` naming them under `tag`.
async fn push_index(images: &Images, list_type: &'static str, seeds: [&str; 3], tag: &str) -> (Pushed, Vec<Digest>) {
    let child_type = if list_type == OCI_INDEX {
        OCI_MANIFEST
    } else {
        DOCKER_MANIFEST
    };
    let mut entries = Vec::new();
    let mut children = Vec::new();
    for ((arch, variant), seed) in PLATFORMS.iter().zip(seeds) {
        let child = images.image(child_type, seed, None).await.unwrap();
        let mut platform = json!({"architecture": arch, "os": "linux"});
        if let Some(variant) = variant {
            platform["variant"] = json!(variant);
        }
        entries.push(json!({
            "mediaType": child_type,
            "digest": child.digest.as_str(),
            "size": child.bytes.len(),
            "platform": platform,
        }));
        children.push(child.digest);
    }
    let list = json!({"schemaVersion": 2, "mediaType": list_type, "manifests": entries});
    let bytes = Bytes::from(serde_json::to_string_pretty(&list).unwrap());
    (images.manifest(list_type, bytes, Some(tag)).await.unwrap(), children)
}

/// A registry with a counting proxy in front; pushes go straight to the registry, checks through the proxy.
struct Setup {
    registry: Registry,
    proxy: Proxy,
    pusher: Client,
    client: Client,
}

impl Setup {
    async fn new() -> Self {
        let registry = Registry::open();
        let proxy = Proxy::start(registry.host().parse().unwrap(), Duration::ZERO).await;
        let pusher = registry.client_builder().build().unwrap();
        let client = Client::builder()
            .registry(&proxy.host(), registry.options())
            .build()
            .unwrap();
        Self {
            registry,
            proxy,
            pusher,
            client,
        }
    }

    fn images(&self, name: &str) -> Images {
        Images::new(&self.pusher, self.registry.host(), name).unwrap()
    }

    fn request(&self, name: &str, tag: &str, current: Option<&Digest>, platform: &str) -> UpdateRequest {
        let reference = Reference::parse_normalized(&format!("{}/{name}:{tag}", self.proxy.host())).unwrap();
        UpdateRequest::new(reference, current.cloned(), platform.parse::<Platform>().unwrap())
    }

    /// Checks and returns the verdict with the number of request heads the proxy saw for it.
    async fn check(&self, request: &UpdateRequest) -> (UpdateCheck, u64) {
        let before = self.proxy.request_heads();
        let check = self.client.check_for_update(request).await.unwrap();
        (check, self.proxy.request_heads() - before)
    }
}

/// Deletes a manifest by digest with a raw `DELETE` (the client has no delete) and expects 202.
pub(crate) async fn delete_manifest(host: &str, name: &str, digest: &Digest) {
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("DELETE /v2/{name}/manifests/{digest} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
}

#[tokio::test]
async fn multi_arch_verdicts_for_indexes_and_lists() {
    let setup = Setup::new().await;
    for (list_type, name) in [(OCI_INDEX, "multi/oci"), (DOCKER_LIST, "multi/docker")] {
        let images = setup.images(name);
        let (old, old_children) = push_index(&images, list_type, ["a1", "b1", "c1"], "t").await;

        // The current digest is the tag's: up to date after exactly one request.
        let (check, heads) = setup
            .check(&setup.request(name, "t", Some(&old.digest), "linux/amd64"))
            .await;
        assert_eq!(check.status(), UpdateStatus::UpToDate, "{list_type}");
        assert_eq!(heads, 1, "{list_type}");
        assert_eq!(check.requests(), 1, "{list_type}");
        assert_eq!(check.latest_digest(), &old.digest);
        assert_eq!(check.media_type(), list_type);
        assert_eq!(check.index_changed(), Some(false));
        assert_eq!(check.platform_changed(), Some(false));

        // Move the tag: a new amd64 image, the same arm64 and arm/v7 images.
        let (new, new_children) = push_index(&images, list_type, ["a2", "b1", "c1"], "t").await;
        assert_ne!(old.digest, new.digest);
        assert_ne!(old_children[0], new_children[0]);
        assert_eq!(old_children[1..], new_children[1..]);

        // amd64 running the old index: its image changed.
        let (check, heads) = setup
            .check(&setup.request(name, "t", Some(&old.digest), "linux/amd64"))
            .await;
        assert_eq!(check.status(), UpdateStatus::UpdateAvailable, "{list_type}");
        assert_eq!(check.latest_digest(), &new.digest);
        assert_eq!(check.platform_digest(), Some(&new_children[0]));
        assert_eq!(check.index_changed(), Some(true));
        assert_eq!(check.platform_changed(), Some(true));
        assert!(check.verified());
        assert_eq!((check.requests(), heads), (3, 3), "HEAD tag, GET index, GET old index");

        // arm64 and arm/v7 running the old index: the index changed, their images did not.
        for (platform, child) in [("linux/arm64", &new_children[1]), ("linux/arm/v7", &new_children[2])] {
            let (check, _) = setup
                .check(&setup.request(name, "t", Some(&old.digest), platform))
                .await;
            assert_eq!(check.status(), UpdateStatus::UpToDate, "{list_type} {platform}");
            assert_eq!(check.index_changed(), Some(true), "{platform}");
            assert_eq!(check.platform_changed(), Some(false), "{platform}");
            assert_eq!(check.platform_digest(), Some(child), "{platform}");
            assert!(check.verified());
            assert!(check.note().unwrap().contains("not its"), "{:?}", check.note());
        }

        // Running the platform's image itself: up to date when it is the new child, not when it is the old one.
        let (check, heads) = setup
            .check(&setup.request(name, "t", Some(&new_children[0]), "linux/amd64"))
            .await;
        assert_eq!(check.status(), UpdateStatus::UpToDate);
        assert_eq!(check.platform_changed(), Some(false));
        assert_eq!(check.index_changed(), None);
        assert_eq!(heads, 2);
        let (check, _) = setup
            .check(&setup.request(name, "t", Some(&old_children[0]), "linux/amd64"))
            .await;
        assert_eq!(check.status(), UpdateStatus::UpdateAvailable);
        assert_eq!(check.platform_changed(), Some(true));

        // No current digest: the tag's digest and the platform's image, no verdict.
        let (check, _) = setup.check(&setup.request(name, "t", None, "linux/arm64")).await;
        assert_eq!(check.status(), UpdateStatus::NoDigest);
        assert_eq!(check.latest_digest(), &new.digest);
        assert_eq!(check.platform_digest(), Some(&new_children[1]));

        // A platform the index does not have.
        let err = setup
            .client
            .check_for_update(&setup.request(name, "t", Some(&old.digest), "linux/s390x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PlatformNotFound, "{err}");

        // The registry forgets the old index: still an update for arm64, but unverified.
        delete_manifest(setup.registry.host(), name, &old.digest).await;
        let (check, _) = setup
            .check(&setup.request(name, "t", Some(&old.digest), "linux/arm64"))
            .await;
        assert_eq!(check.status(), UpdateStatus::UpdateAvailable);
        assert!(!check.verified());
        assert!(check.note().unwrap().contains("unverified"), "{:?}", check.note());
        assert_eq!(check.platform_changed(), None);
    }
    // Sequential checks share one pooled connection.
    assert_eq!(setup.proxy.connections(), 1);
}

#[tokio::test]
async fn single_arch_moved_tag() {
    let setup = Setup::new().await;
    let images = setup.images("single/app");
    let old = images.image(OCI_MANIFEST, "s1", Some("v1")).await.unwrap();
    let new = images.image(OCI_MANIFEST, "s2", Some("v1")).await.unwrap();

    let (check, heads) = setup
        .check(&setup.request("single/app", "v1", Some(&old.digest), "linux/amd64"))
        .await;
    assert_eq!(check.status(), UpdateStatus::UpdateAvailable);
    assert_eq!(check.latest_digest(), &new.digest);
    assert_eq!(check.media_type(), OCI_MANIFEST);
    assert_eq!(check.platform_digest(), None);
    assert_eq!(check.platform_changed(), Some(true));
    assert_eq!(check.index_changed(), None);
    assert!(check.verified(), "a HEAD by digest confirmed the old image exists");
    assert_eq!(
        heads, 2,
        "the media type says it is not an index: a HEAD of the tag and of the old digest, no GET"
    );

    let (check, heads) = setup
        .check(&setup.request("single/app", "v1", Some(&new.digest), "linux/amd64"))
        .await;
    assert_eq!(check.status(), UpdateStatus::UpToDate);
    assert_eq!(heads, 1);

    let (check, _) = setup
        .check(&setup.request("single/app", "v1", None, "linux/amd64"))
        .await;
    assert_eq!(check.status(), UpdateStatus::NoDigest);
    assert_eq!(check.latest_digest(), &new.digest);

    // The digest in the reference is the current one when none is given.
    let pinned = Reference::parse_normalized(&format!("{}/single/app:v1@{}", setup.proxy.host(), old.digest)).unwrap();
    let request = UpdateRequest::new(pinned, None, Platform::new("linux", "amd64"));
    assert_eq!(request.current(), Some(&old.digest));
    let (check, _) = setup.check(&request).await;
    assert_eq!(check.status(), UpdateStatus::UpdateAvailable);
    assert_eq!(check.current_digest(), Some(&old.digest));
}

#[tokio::test]
async fn check_many_keeps_order_and_isolates_failures() {
    let setup = Setup::new().await;
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for i in 0..12 {
        let name = format!("many/app{i}");
        let images = setup.images(&name);
        let (index, _) = push_index(&images, OCI_INDEX, [&format!("x{i}"), "y", "z"], "1").await;
        match i % 4 {
            0 => {
                requests.push(setup.request(&name, "1", Some(&index.digest), "linux/amd64"));
                expected.push(Ok((UpdateStatus::UpToDate, index.digest)));
            }
            1 => {
                requests.push(setup.request(&name, "missing", Some(&index.digest), "linux/amd64"));
                expected.push(Err(ErrorKind::NotFound));
            }
            2 => {
                let (moved, _) = push_index(&images, OCI_INDEX, [&format!("x{i}-new"), "y", "z"], "1").await;
                requests.push(setup.request(&name, "1", Some(&index.digest), "linux/amd64"));
                expected.push(Ok((UpdateStatus::UpdateAvailable, moved.digest)));
            }
            _ => {
                requests.push(setup.request("many/absent", "1", None, "linux/amd64"));
                expected.push(Err(ErrorKind::NotFound));
            }
        }
    }
    for concurrency in [1, 3, 64] {
        let options = CheckOptions::new().concurrency(concurrency);
        let results = setup.client.check_many(&requests, &options).await;
        assert_eq!(results.len(), requests.len());
        for (i, (result, expected)) in results.iter().zip(&expected).enumerate() {
            match (result, expected) {
                (Ok(check), Ok((status, latest))) => {
                    assert_eq!(check.reference(), requests[i].reference(), "{i}");
                    assert_eq!((check.status(), check.latest_digest()), (*status, latest), "{i}");
                }
                (Err(err), Err(kind)) => assert_eq!(err.kind(), *kind, "{i}: {err}"),
                _ => panic!("{i}: {result:?} but expected {expected:?}"),
            }
        }
    }
    assert!(setup.client.check_many(&[], &CheckOptions::new()).await.is_empty());
}

#[tokio::test]
async fn resolve_and_fetch_by_reference() {
    let setup = Setup::new().await;
    let images = setup.images("resolve/app");
    let (index, children) = push_index(&images, DOCKER_LIST, ["r1", "r2", "r3"], "2").await;
    let reference = Reference::parse_normalized(&format!("{}/resolve/app:2", setup.proxy.host())).unwrap();

    let resolved = setup.client.resolve_digest(&reference, None).await.unwrap();
    assert_eq!(resolved.digest(), &index.digest);
    assert_eq!(resolved.media_type(), DOCKER_LIST);
    assert_eq!(resolved.platform_digest(), None);
    let arm = Platform::new("linux", "arm").with_variant("v7");
    let resolved = setup.client.resolve_digest(&reference, Some(&arm)).await.unwrap();
    assert_eq!(resolved.platform_digest(), Some(&children[2]));

    let manifest = setup.client.fetch_manifest(&reference, None).await.unwrap();
    assert_eq!(manifest.bytes(), &index.bytes);
    let parsed = manifest.parse().unwrap();
    assert_eq!(parsed.as_index().unwrap().manifests().len(), 3);
    let by_digest =
        Reference::parse_normalized(&format!("{}/resolve/app@{}", setup.proxy.host(), children[1])).unwrap();
    let child = setup.client.fetch_manifest(&by_digest, None).await.unwrap();
    assert_eq!(child.digest(), &children[1]);
    assert!(child.parse().unwrap().as_image().is_some());

    let missing = Reference::parse_normalized(&format!("{}/resolve/app:nope", setup.proxy.host())).unwrap();
    let err = setup.client.resolve_digest(&missing, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn check_many_over_tls_shares_one_http2_connection() {
    let ca = TestCa::new();
    let registry = Registry::start(Auth::Open, Some(&ca));
    let proxy = Proxy::start(registry.host().parse().unwrap(), Duration::ZERO).await;
    let pusher = registry.client_builder().build().unwrap();
    let mut requests = Vec::new();
    for i in 0..16 {
        let name = format!("tls/app{i}");
        let images = Images::new(&pusher, registry.host(), &name).unwrap();
        let (index, _) = push_index(&images, OCI_INDEX, [&format!("t{i}"), "u", "v"], "1").await;
        let reference = Reference::parse_normalized(&format!("{}/{name}:1", proxy.host())).unwrap();
        requests.push(UpdateRequest::new(
            reference,
            Some(index.digest),
            Platform::new("linux", "amd64"),
        ));
    }
    let client = Client::builder()
        .registry(&proxy.host(), registry.options())
        .build()
        .unwrap();
    let results = client.check_many(&requests, &CheckOptions::new().concurrency(64)).await;
    for result in &results {
        let check = result.as_ref().unwrap();
        assert_eq!((check.status(), check.requests()), (UpdateStatus::UpToDate, 1));
    }
    // The registry was pinged before the checks, so all of them went over the one connection the ping opened.
    assert_eq!(proxy.connections(), 1);
    assert_eq!(
        client.ping(&proxy.host()).await.unwrap().http_version(),
        http::Version::HTTP_2
    );
}

#[tokio::test]
async fn check_many_batches_token_requests() {
    let names: Vec<String> = (0..10).map(|i| format!("tok/app{i}")).collect();
    let public: Vec<&str> = names.iter().map(String::as_str).collect();
    let tokens = TokenServer::start(&[("pusher", "push-pass")], &public);
    let registry = Registry::start(Auth::Token(&tokens), None);
    let pusher = Client::builder()
        .registry(
            registry.host(),
            registry.options().credentials(Credentials::new("pusher", "push-pass")),
        )
        .build()
        .unwrap();
    let mut requests = Vec::new();
    for name in &names {
        let images = Images::new(&pusher, registry.host(), name).unwrap();
        let pushed = images.image(OCI_MANIFEST, name, Some("1")).await.unwrap();
        let reference = Reference::parse_normalized(&format!("{}/{name}:1", registry.host())).unwrap();
        requests.push(UpdateRequest::new(
            reference,
            Some(pushed.digest),
            Platform::new("linux", "amd64"),
        ));
    }
    let client = registry.client_builder().build().unwrap();
    let before = tokens.requests();
    let results = client.check_many(&requests, &CheckOptions::new()).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap().status() == UpdateStatus::UpToDate)
    );
    // A handful of token requests for the whole batch (the ping's, then one for all ten scopes), not one per
    // repository.
    let sent = tokens.requests() - before;
    assert!(sent <= 2, "{sent}: {:?}", tokens.scopes());
    assert_eq!(oci_registry::internal::token_requests(&client), sent as u64);
}
