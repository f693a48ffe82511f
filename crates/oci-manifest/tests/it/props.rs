//! Property tests: typed -> JSON -> typed and platform text round-trips; no input panics.

use oci_digest::Digest;
use oci_manifest::{Descriptor, ImageIndex, ImageManifest, Manifest, ManifestBody, MatchOptions, Platform, media_type};
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._-]{0,12}"
}

fn platform_text() -> impl Strategy<Value = String> {
    let os = prop::sample::select(vec![
        "linux", "windows", "darwin", "freebsd", "macos", "Linux", "unknown",
    ]);
    let arch = prop::sample::select(vec![
        "amd64", "x86_64", "x86-64", "arm64", "aarch64", "arm", "armhf", "armel", "386", "i386", "ppc64le", "s390x",
        "riscv64", "unknown",
    ]);
    let variant = prop::option::of(prop::sample::select(vec![
        "v5", "v6", "v7", "v8", "8", "v8.0", "v8.2", "v9", "9.0", "v1", "v2", "v3", "x",
    ]));
    let version = prop::option::of("[0-9]{1,2}\\.[0-9]\\.[0-9]{3,5}(\\.[0-9]{1,4})?");
    (os, arch, variant, version).prop_map(|(os, arch, variant, version)| {
        let mut text = os.to_owned();
        if let Some(version) = version {
            text.push_str(&format!("({version})"));
        }
        text.push('/');
        text.push_str(arch);
        if let Some(variant) = variant {
            text.push('/');
            text.push_str(variant);
        }
        text
    })
}

/// Platforms as an index carries them: any strings, not normalized.
fn raw_platform() -> impl Strategy<Value = Platform> {
    (
        word(),
        word(),
        prop::option::of(word()),
        prop::option::of("[0-9.]{0,16}"),
        prop::collection::vec(word(), 0..3),
    )
        .prop_map(|(os, arch, variant, version, features)| {
            let mut platform = Platform::new(os, arch).with_os_features(features);
            if let Some(variant) = variant {
                platform = platform.with_variant(variant);
            }
            if let Some(version) = version {
                platform = platform.with_os_version(version);
            }
            platform
        })
}

fn digest() -> impl Strategy<Value = Digest> {
    prop::collection::vec(any::<u8>(), 0..16).prop_map(|data| Digest::sha256(&data))
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    (
        "[a-z]+/[a-z0-9.+-]{1,30}",
        digest(),
        any::<u64>(),
        prop::collection::vec("https://[a-z]{1,8}\\.example/[a-z0-9/]{0,12}", 0..3),
        prop::collection::btree_map(word(), "\\PC{0,12}", 0..3),
        prop::option::of("[A-Za-z0-9+/]{0,12}={0,2}"),
        prop::option::of(raw_platform()),
        prop::option::of(word()),
    )
        .prop_map(
            |(media_type, digest, size, urls, annotations, data, platform, artifact_type)| {
                let mut d = Descriptor::new(media_type, digest, size).with_urls(urls);
                for (k, v) in annotations {
                    d = d.with_annotation(k, v);
                }
                if let Some(data) = data {
                    d = d.with_data(data);
                }
                if let Some(platform) = platform {
                    d = d.with_platform(platform);
                }
                if let Some(artifact_type) = artifact_type {
                    d = d.with_artifact_type(artifact_type);
                }
                d
            },
        )
}

fn extras() -> impl Strategy<Value = (Option<String>, Option<Descriptor>, Vec<(String, String)>)> {
    (
        prop::option::of(word()),
        prop::option::of(descriptor()),
        prop::collection::vec((word(), "\\PC{0,16}"), 0..3),
    )
}

/// `$value` (an image manifest or an index, which share these builders) with the artifact type, subject and
/// annotations of [`extras`].
macro_rules! with_extras {
    ($value:expr, $extras:expr) => {{
        let (artifact_type, subject, annotations) = $extras;
        let mut m = $value;
        if let Some(a) = artifact_type {
            m = m.with_artifact_type(a);
        }
        if let Some(s) = subject {
            m = m.with_subject(s);
        }
        for (k, v) in annotations {
            m = m.with_annotation(k, v);
        }
        m
    }};
}

fn image_manifest() -> impl Strategy<Value = ImageManifest> {
    (
        prop::sample::select(vec![media_type::OCI_IMAGE_MANIFEST, media_type::DOCKER_MANIFEST]),
        descriptor(),
        prop::collection::vec(descriptor(), 0..4),
        extras(),
    )
        .prop_map(|(kind, config, layers, extras)| with_extras!(ImageManifest::new(kind, config, layers), extras))
}

fn image_index() -> impl Strategy<Value = ImageIndex> {
    (
        prop::sample::select(vec![media_type::OCI_IMAGE_INDEX, media_type::DOCKER_MANIFEST_LIST]),
        prop::collection::vec(descriptor(), 0..5),
        extras(),
    )
        .prop_map(|(kind, manifests, extras)| with_extras!(ImageIndex::new(kind, manifests), extras))
}

/// Index entries with platforms drawn from the specifier vocabulary, some marked as attestations.
fn index_entries() -> impl Strategy<Value = Vec<Descriptor>> {
    prop::collection::vec((platform_text(), any::<bool>(), digest()), 0..8).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(text, attestation, digest)| {
                let platform: Platform = text.parse().unwrap();
                let d = Descriptor::new(media_type::OCI_IMAGE_MANIFEST, digest, 1).with_platform(platform);
                if attestation {
                    d.with_annotation("vnd.docker.reference.type", "attestation-manifest")
                } else {
                    d
                }
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn selection_picks_a_runnable_image_or_lists_the_rest(
        entries in index_entries(),
        wanted in platform_text(),
        cross in any::<bool>(),
    ) {
        let wanted: Platform = wanted.parse().unwrap();
        let index = ImageIndex::new(media_type::OCI_IMAGE_INDEX, entries);
        match index.select_with(&wanted, &MatchOptions::new().cross_architecture(cross)) {
            Ok(chosen) => {
                prop_assert!(!chosen.is_attestation());
                let platform = chosen.platform().unwrap();
                let normalized = platform.normalize();
                prop_assert_eq!(normalized.os(), wanted.os());
                if !cross {
                    prop_assert!(wanted.runs(platform));
                    prop_assert_eq!(normalized.architecture(), wanted.architecture());
                }
            }
            Err(err) => {
                prop_assert_eq!(err.available().len(), index.platforms().count());
                if !cross {
                    prop_assert!(index.platforms().all(|p| !wanted.runs(p)));
                }
            }
        }
        // An exact entry, when there is one that is not an attestation, always wins over inexact
        // ones: the chosen entry matches as exactly. Off Windows, os.version plays no part, so an
        // entry differing only in it is as exact, and index order decides between them, as in
        // containerd. (On Windows a newer build can win over an entry without os.version.)
        let exact = index.manifests().iter().find(|d| !d.is_attestation() && d.platform() == Some(&wanted));
        if let (Some(exact), false) = (exact, wanted.os() == "windows") {
            let chosen = index.select(&wanted).unwrap();
            let key = |p: &Platform| {
                let p = p.normalize();
                (p.os().to_owned(), p.architecture().to_owned(), p.variant().map(str::to_owned))
            };
            prop_assert_eq!(chosen.platform().map(key), exact.platform().map(key));
        }
    }

    #[test]
    fn platform_text_round_trips(text in platform_text()) {
        let platform: Platform = text.parse().unwrap();
        let shown = platform.to_string();
        let again: Platform = shown.parse().unwrap();
        prop_assert_eq!(&again, &platform);
        prop_assert_eq!(again.to_string(), shown);
        prop_assert_eq!(platform.normalize(), platform);
    }

    #[test]
    fn platform_json_round_trips(platform in raw_platform()) {
        let json = serde_json::to_string(&platform).unwrap();
        prop_assert_eq!(serde_json::from_str::<Platform>(&json).unwrap(), platform);
    }

    #[test]
    fn descriptor_json_round_trips(d in descriptor()) {
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Descriptor>(&json).unwrap(), d);
    }

    #[test]
    fn image_manifest_round_trips(m in image_manifest()) {
        let json = m.to_json();
        prop_assert_eq!(&serde_json::from_slice::<ImageManifest>(&json).unwrap(), &m);
        let parsed = Manifest::parse(&json, None).unwrap();
        prop_assert_eq!(parsed.media_type(), m.media_type().unwrap());
        prop_assert_eq!(parsed.body(), &ManifestBody::Image(m));
        prop_assert_eq!(parsed.digest(), &Digest::sha256(&json));
    }

    #[test]
    fn image_index_round_trips(m in image_index()) {
        let json = m.to_json();
        prop_assert_eq!(&serde_json::from_slice::<ImageIndex>(&json).unwrap(), &m);
        let parsed = Manifest::parse(&json, m.media_type()).unwrap();
        prop_assert_eq!(parsed.body(), &ManifestBody::Index(m));
        prop_assert_eq!(parsed.bytes(), &json[..]);
    }

    #[test]
    fn any_bytes_give_a_value_or_a_typed_error(
        body in prop::collection::vec(any::<u8>(), 0..256),
        content_type in prop::option::of(prop::sample::select(vec![
            media_type::OCI_IMAGE_INDEX, media_type::OCI_IMAGE_MANIFEST, media_type::DOCKER_MANIFEST,
            media_type::DOCKER_MANIFEST_LIST, "application/json", "x/y",
        ])),
    ) {
        if let Ok(manifest) = Manifest::parse(&body, content_type) {
            prop_assert_eq!(manifest.digest(), &Digest::sha256(&body));
        }
    }

    #[test]
    fn mutated_manifests_never_panic(m in image_manifest(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut json = m.to_json();
        let at = cut.index(json.len());
        json[at] = byte;
        if let Ok(manifest) = Manifest::parse(&json, None) {
            prop_assert_eq!(manifest.digest(), &Digest::sha256(&json));
        }
    }
}
