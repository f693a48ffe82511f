//! Referrers (signatures, SBOMs, attestations): the referrers API from the fault server (no registry on this
//! machine serves it), and the referrers tag schema on the real registry, which answers the API with 404.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use oci_digest::Digest;
use oci_registry::cache::FsCache;
use oci_registry::{Client, ErrorKind, FoundVia, RegistryOptions, Scheme, referrers_tag};
use oci_testkit::fault::{FaultServer, Reply};
use oci_testkit::images::{OCI_INDEX, OCI_MANIFEST};
use oci_testkit::{Registry, TempDir};
use serde_json::json;

const SIGNATURE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SBOM: &str = "application/spdx+json";

fn entry(artifact_type: &str, seed: &str) -> serde_json::Value {
    json!({
        "mediaType": OCI_MANIFEST,
        "digest": Digest::sha256(seed.as_bytes()).as_str(),
        "size": 100,
        "artifactType": artifact_type,
    })
}

fn index(entries: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})).unwrap()
}

fn fault_client(server: &FaultServer) -> Client {
    Client::builder()
        .registry(&server.host(), RegistryOptions::new().scheme(Scheme::Http))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_referrers_api_is_paged_filtered_here_when_the_registry_did_not_and_asked_once_per_registry() {
    let server = FaultServer::start();
    let subject = Digest::sha256(b"subject");
    let path = format!("/v2/app/referrers/{subject}");
    let page_two = format!("{path}?artifactType=x&last=2");
    server.route(
        &path,
        [Reply::response(
            200,
            &[
                ("Content-Type", OCI_INDEX),
                ("Link", &format!("<{page_two}>; rel=\"next\"")),
            ],
            &index(&[entry(SIGNATURE, "sig-1"), entry(SBOM, "sbom")]),
        )],
    );
    server.route(
        &page_two,
        [Reply::response(
            200,
            &[("Content-Type", OCI_INDEX)],
            &index(&[entry(SIGNATURE, "sig-2")]),
        )],
    );
    let client = fault_client(&server);
    let repository = oci_registry::Repository::new(&server.host(), "app").unwrap();
    let found = client.referrers(&repository, &subject, Some(SIGNATURE)).await.unwrap();
    assert_eq!(found.found_via(), FoundVia::Referrers);
    let digests: Vec<&Digest> = found.descriptors().iter().map(|d| d.digest()).collect();
    assert_eq!(
        digests,
        [&Digest::sha256(b"sig-1"), &Digest::sha256(b"sig-2")],
        "both pages, the SBOM filtered out"
    );
    assert_eq!(found.requests(), 2);
    assert_eq!(found.pulls(), 0);
    let first = &server.requests()[0];
    assert!(
        first
            .target
            .contains("artifactType=application%2Fvnd.dev.cosign.artifact.sig.v1%2Bjson"),
        "{}",
        first.target
    );
    // No artifact type: everything.
    let all = client.referrers(&repository, &subject, None).await.unwrap();
    assert_eq!(all.descriptors().len(), 3);
    // The registry never answered a tag schema question: the API answered.
    assert_eq!(
        server.count(&format!("/v2/app/manifests/{}", referrers_tag(&subject))),
        0
    );
}

#[tokio::test]
async fn a_registry_that_filtered_says_so_and_its_answer_is_kept_as_it_is() {
    let server = FaultServer::start();
    let subject = Digest::sha256(b"subject");
    server.route(
        &format!("/v2/app/referrers/{subject}"),
        [Reply::response(
            200,
            &[("Content-Type", OCI_INDEX), ("OCI-Filters-Applied", "artifactType")],
            // A registry's filter is its own business: what it sends is what it found.
            &index(&[entry(SIGNATURE, "sig"), entry("application/vnd.other", "other")]),
        )],
    );
    let client = fault_client(&server);
    let repository = oci_registry::Repository::new(&server.host(), "app").unwrap();
    let found = client.referrers(&repository, &subject, Some(SIGNATURE)).await.unwrap();
    assert_eq!(found.descriptors().len(), 2);
}

#[tokio::test]
async fn answers_that_are_not_an_index_and_pages_that_loop_are_protocol_errors() {
    let server = FaultServer::start();
    let subject = Digest::sha256(b"subject");
    let path = format!("/v2/app/referrers/{subject}");
    server.route(
        &path,
        [Reply::response(
            200,
            &[("Content-Type", "application/json")],
            b"{\"tags\":[]}",
        )],
    );
    let looping = Digest::sha256(b"loop");
    let loop_path = format!("/v2/app/referrers/{looping}");
    let other = format!("{loop_path}?page=2");
    // Two pages that name each other as the next.
    for (from, to) in [(&loop_path, &other), (&other, &loop_path)] {
        server.route(
            from,
            [Reply::response(
                200,
                &[("Content-Type", OCI_INDEX), ("Link", &format!("<{to}>; rel=\"next\""))],
                &index(&[]),
            )],
        );
    }
    let client = fault_client(&server);
    let repository = oci_registry::Repository::new(&server.host(), "app").unwrap();
    let err = client.referrers(&repository, &subject, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err:#}");
    let err = client.referrers(&repository, &looping, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err:#}");
    assert!(format!("{err:#}").contains("loop"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_registry_has_no_api_so_the_tag_schema_answers_and_a_repeat_spends_no_pull() {
    let registry = Registry::open();
    let images = registry.images("signed/app").unwrap();
    let subject = images.image(OCI_MANIFEST, "app", Some("1")).await.unwrap().digest;
    let signature = images.image(OCI_MANIFEST, "signature", None).await.unwrap();
    let sbom = images.image(OCI_MANIFEST, "sbom", None).await.unwrap();
    let descriptor = |pushed: &oci_testkit::Pushed, artifact_type: &str| {
        json!({
            "mediaType": OCI_MANIFEST,
            "digest": pushed.digest.as_str(),
            "size": pushed.bytes.len(),
            "artifactType": artifact_type,
        })
    };
    let list = index(&[descriptor(&signature, SIGNATURE), descriptor(&sbom, SBOM)]);
    images
        .manifest(OCI_INDEX, Bytes::from(list), Some(&referrers_tag(&subject)))
        .await
        .unwrap();

    let dir = TempDir::new("referrers-cache");
    let cache = Arc::new(FsCache::open(dir.path(), 64 * 1024 * 1024).unwrap());
    let client = Client::builder()
        .registry(registry.host(), registry.options())
        .cache(cache)
        .build()
        .unwrap();
    let repository = images.repository();
    let cold = client.referrers(repository, &subject, Some(SIGNATURE)).await.unwrap();
    assert_eq!(cold.found_via(), FoundVia::ReferrersTag);
    let digests: Vec<&Digest> = cold.descriptors().iter().map(|d| d.digest()).collect();
    assert_eq!(digests, [&signature.digest]);
    assert_eq!((cold.pulls(), cold.cache_hits()), (1, 0));

    let warm = client.referrers(repository, &subject, Some(SIGNATURE)).await.unwrap();
    assert_eq!(warm.descriptors().len(), 1);
    assert_eq!(
        (warm.pulls(), warm.cache_hits(), warm.requests()),
        (0, 1, 1),
        "a HEAD, the index from the cache"
    );

    // A digest nobody refers to: no referrers, no error.
    let unsigned = images.image(OCI_MANIFEST, "unsigned", None).await.unwrap().digest;
    let none = client.referrers(repository, &unsigned, None).await.unwrap();
    assert!(none.descriptors().is_empty());
    assert_eq!(none.found_via(), FoundVia::ReferrersTag);
}
