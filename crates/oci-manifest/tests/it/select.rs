//! The platform-matching table in tests/data/platform-matching.txt.

use std::fs;

use oci_digest::Digest;
use oci_manifest::{Descriptor, ImageIndex, MatchOptions, Platform, media_type};

use crate::data;

/// An index entry as written in the table, kept raw (not normalized).
fn entry(position: usize, text: &str) -> Descriptor {
    let digest = Digest::sha256(format!("{position}:{text}").as_bytes());
    let descriptor = Descriptor::new(media_type::OCI_IMAGE_MANIFEST, digest, 1000 + position as u64);
    if text == "-" {
        return descriptor;
    }
    let (text, attestation) = match text.strip_suffix("@att") {
        Some(text) => (text, true),
        None => (text, false),
    };
    let parts: Vec<&str> = text.split('/').collect();
    let (os, os_version) = match parts[0].split_once('(') {
        Some((os, version)) => (os, Some(version.trim_end_matches(')'))),
        None => (parts[0], None),
    };
    let mut platform = Platform::new(os, parts[1]);
    if let Some(variant) = parts.get(2) {
        platform = platform.with_variant(*variant);
    }
    if let Some(version) = os_version {
        platform = platform.with_os_version(version);
    }
    let descriptor = descriptor.with_platform(platform);
    if attestation {
        descriptor.with_annotation("vnd.docker.reference.type", "attestation-manifest")
    } else {
        descriptor
    }
}

#[test]
fn platform_matching_table() {
    let table = fs::read_to_string(data("platform-matching.txt")).unwrap();
    let mut cases = 0;
    for (number, line) in table.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let context = format!("platform-matching.txt:{}: {line}", number + 1);
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(fields.len(), 3, "{context}");
        let (wanted, cross) = match fields[0].strip_suffix("+cross") {
            Some(wanted) => (wanted.trim(), true),
            None => (fields[0], false),
        };
        let wanted: Platform = wanted.parse().unwrap_or_else(|err| panic!("{context}: {err}"));
        let texts: Vec<&str> = if fields[1].is_empty() {
            Vec::new()
        } else {
            fields[1].split(',').map(str::trim).collect()
        };
        let index = ImageIndex::new(
            media_type::OCI_IMAGE_INDEX,
            texts.iter().enumerate().map(|(i, text)| entry(i, text)).collect(),
        );
        let options = MatchOptions::new().cross_architecture(cross);
        let result = index.select_with(&wanted, &options);
        match fields[2] {
            "none" => {
                let err = result.expect_err(&context);
                assert_eq!(err.wanted(), &wanted, "{context}");
                let expected: Vec<&Platform> = index.platforms().collect();
                assert_eq!(err.available().iter().collect::<Vec<_>>(), expected, "{context}");
                assert!(
                    err.to_string()
                        .starts_with(&format!("no manifest for platform {wanted}")),
                    "{context}"
                );
            }
            expected => {
                let position = match expected.strip_prefix('#') {
                    Some(position) => position.parse::<usize>().unwrap(),
                    None => {
                        let found: Vec<usize> = (0..texts.len()).filter(|&i| texts[i] == expected).collect();
                        assert_eq!(found.len(), 1, "{context}: the expected entry must appear once");
                        found[0]
                    }
                };
                let chosen = result.unwrap_or_else(|err| panic!("{context}: {err}"));
                assert_eq!(chosen, &index.manifests()[position], "{context}");
            }
        }
        cases += 1;
    }
    assert!(cases >= 30, "only {cases} cases");
}

#[test]
fn no_match_lists_the_platforms() {
    let bytes = fs::read(data("manifests/dockerhub-oci-index-attestations.json")).unwrap();
    let manifest = oci_manifest::Manifest::parse(&bytes, None).unwrap();
    let index = manifest.as_index().unwrap();
    let err = index.select(&"linux/riscv64".parse().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no manifest for platform linux/riscv64 in the index; it has linux/amd64, linux/arm/v6, linux/arm/v7, \
         linux/arm64/v8, linux/386, linux/ppc64le, linux/s390x"
    );
    let empty = ImageIndex::new(media_type::OCI_IMAGE_INDEX, Vec::new());
    let err = empty.select(&"linux/amd64".parse().unwrap()).unwrap_err();
    assert!(err.to_string().ends_with("it lists no platforms"), "{err}");
}

#[test]
fn vectors_choose_what_a_host_would_run() {
    let check = |file: &str, wanted: &str, expected: &str| {
        let bytes = fs::read(data(file)).unwrap();
        let manifest = oci_manifest::Manifest::parse(&bytes, None).unwrap();
        let index = manifest.as_index().unwrap();
        let chosen = index.select(&wanted.parse().unwrap()).unwrap();
        assert_eq!(chosen.platform().unwrap().to_string(), expected, "{file} {wanted}");
        assert!(!chosen.is_attestation());
    };
    check(
        "manifests/dockerhub-oci-index-attestations.json",
        "linux/amd64",
        "linux/amd64",
    );
    check(
        "manifests/dockerhub-oci-index-attestations.json",
        "linux/arm64",
        "linux/arm64/v8",
    );
    check(
        "manifests/dockerhub-oci-index-attestations.json",
        "linux/arm/v8",
        "linux/arm/v7",
    );
    check(
        "manifests/dockerhub-docker-list-arm-variants.json",
        "linux/arm/v6",
        "linux/arm/v6",
    );
    check(
        "manifests/dockerhub-docker-list-arm-variants.json",
        "linux/armel",
        "linux/arm/v6",
    );
    check(
        "manifests/mcr-windows-list.json",
        "windows(10.0.17763.5122)/amd64",
        "windows(10.0.17763.6414)/amd64",
    );
    check(
        "manifests/mcr-windows-list.json",
        "windows(10.0.20348.1)/amd64",
        "windows(10.0.20348.2762)/amd64",
    );
    check(
        "manifests/mcr-windows-list.json",
        "windows(10.0.26100.1)/amd64",
        "windows(10.0.26100.2033)/amd64",
    );
}
