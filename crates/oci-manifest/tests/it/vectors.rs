//! Manifests shaped like what Docker Hub, GHCR, Quay and MCR serve, each with an expectation
//! file whose digest was computed with `sha256sum`, not with this crate.

use std::fs;

use oci_digest::Digest;
use oci_manifest::{Manifest, ManifestBody, ManifestKind};
use serde_json::Value;

use crate::data;

#[test]
fn every_vector_matches_its_expectation() {
    let mut seen = 0;
    let mut names: Vec<_> = fs::read_dir(data("manifests"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".json") && !path.to_string_lossy().ends_with(".expect.json"))
        .collect();
    names.sort();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        let expect: Value = serde_json::from_slice(&fs::read(path.with_extension("expect.json")).unwrap()).unwrap();
        check(&name, &bytes, &expect);
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} vectors");
}

fn check(name: &str, bytes: &[u8], expect: &Value) {
    let digest: Digest = expect["digest"].as_str().unwrap().parse().unwrap();
    // The expectation's digest is sha256sum's; check it against the file and the crate below.
    assert_eq!(
        Digest::sha256(bytes),
        digest,
        "{name}: the expectation's digest is stale"
    );
    assert_eq!(expect["size"].as_u64().unwrap(), bytes.len() as u64, "{name}");
    let content_type = expect["content_type"].as_str();
    let result = Manifest::parse(bytes, content_type);
    if let Some(kind) = expect["error"].as_str() {
        let err = result.expect_err(name);
        assert_eq!(format!("{:?}", err.kind()), kind, "{name}: {err}");
        return;
    }
    let manifest = result.unwrap_or_else(|err| panic!("{name}: {err}"));
    assert_eq!(manifest.digest(), &digest, "{name}");
    assert_eq!(*manifest.digest(), Digest::sha256(bytes), "{name}");
    assert_eq!(manifest.bytes(), bytes, "{name}");
    assert_eq!(manifest.size(), bytes.len() as u64, "{name}");
    assert_eq!(
        format!("{:?}", manifest.kind()),
        expect["kind"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(manifest.media_type(), expect["media_type"].as_str().unwrap(), "{name}");
    let descriptor = manifest.descriptor();
    assert_eq!((descriptor.digest(), descriptor.size()), (&digest, bytes.len() as u64));
    let count = |field: &str| expect[field].as_u64().unwrap_or(0) as usize;
    match manifest.body() {
        ManifestBody::Index(index) => {
            assert!(manifest.kind().is_index(), "{name}");
            assert_eq!(index.manifests().len(), count("manifests"), "{name}");
            let attestations = index.manifests().iter().filter(|d| d.is_attestation()).count();
            assert_eq!(attestations, count("attestations"), "{name}");
            let platforms: Vec<String> = index.platforms().map(ToString::to_string).collect();
            let expected: Vec<&str> = expect["platforms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(platforms, expected, "{name}");
            assert_eq!(index.annotations().len(), count("annotations"), "{name}");
        }
        ManifestBody::Image(image) => {
            assert!(!manifest.kind().is_index(), "{name}");
            assert_eq!(image.layers().len(), count("layers"), "{name}");
            assert_eq!(image.artifact_type(), expect["artifact_type"].as_str(), "{name}");
            assert_eq!(
                image.subject().is_some(),
                expect["subject"].as_bool().unwrap_or(false),
                "{name}"
            );
            assert_eq!(
                image.config().media_type(),
                expect["config_media_type"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(image.annotations().len(), count("annotations"), "{name}");
        }
        other => panic!("{name}: unexpected body {other:?}"),
    }
    // Typed -> canonical JSON -> typed gives the same value, but (re-serialized) other bytes
    // and so another digest: which is why the digest is never taken from re-serialized JSON.
    let json = match manifest.body() {
        ManifestBody::Index(index) => index.to_json(),
        ManifestBody::Image(image) => image.to_json(),
        other => panic!("{other:?}"),
    };
    let again = Manifest::parse(&json, Some(manifest.media_type())).unwrap();
    assert_eq!(again.body(), manifest.body(), "{name}");
    assert_eq!(*again.digest(), Digest::sha256(&json), "{name}");
}

#[test]
fn docker_list_keeps_variants_and_flavour() {
    let bytes = fs::read(data("manifests/dockerhub-docker-list-arm-variants.json")).unwrap();
    let manifest = Manifest::parse(&bytes, None).unwrap();
    assert_eq!(manifest.kind(), ManifestKind::DockerManifestList);
    assert!(manifest.kind().is_docker());
    let index = manifest.as_index().unwrap();
    let variants: Vec<_> = index
        .manifests()
        .iter()
        .filter_map(|d| d.platform()?.variant())
        .collect();
    assert_eq!(variants, ["v5", "v6", "v7", "v8"]);
    assert!(manifest.as_image().is_none());
}

#[test]
fn oci_manifest_keeps_urls_data_and_annotations() {
    let bytes = fs::read(data("manifests/ghcr-oci-manifest-annotations.json")).unwrap();
    let manifest = Manifest::parse(&bytes, Some("application/vnd.oci.image.manifest.v1+json")).unwrap();
    let image = manifest.as_image().unwrap();
    assert_eq!(image.layers()[1].urls().len(), 2);
    assert_eq!(image.layers()[2].data(), Some("aGVsbG8gd29ybGQK"));
    assert_eq!(
        image.layers()[2].annotation("org.opencontainers.image.title"),
        Some("hello.txt")
    );
    assert_eq!(
        image
            .annotations()
            .get("org.opencontainers.image.version")
            .map(String::as_str),
        Some("2.4.1")
    );
}

#[test]
fn artifact_has_subject_and_empty_config() {
    let bytes = fs::read(data("manifests/ghcr-artifact-subject.json")).unwrap();
    let manifest = Manifest::parse(&bytes, None).unwrap();
    let image = manifest.as_image().unwrap();
    assert_eq!(manifest.kind(), ManifestKind::OciManifest);
    assert_eq!(image.config().data(), Some("e30="));
    assert_eq!(image.config().digest(), &Digest::sha256(b"{}"));
    assert_eq!(
        image.subject().unwrap().media_type(),
        "application/vnd.oci.image.index.v1+json"
    );
}

#[test]
fn digest_with_other_algorithms_hashes_the_same_bytes() {
    let bytes = fs::read(data("manifests/quay-schema2-compact.json")).unwrap();
    let manifest = Manifest::parse(&bytes, None).unwrap();
    let sha512 = manifest.digest_with(oci_digest::Algorithm::Sha512);
    assert_eq!(sha512, Digest::compute(oci_digest::Algorithm::Sha512, &bytes));
    assert_eq!(
        manifest.digest_with(oci_digest::Algorithm::Sha256),
        Digest::sha256(&bytes)
    );
    assert_eq!(manifest.into_bytes(), bytes);
}
