//! What cosign 2.5 pushed (tests/data/cosign-2.5*), replayed offline, and changed one way at a time.

use oci_digest::Digest;
use oci_manifest::Manifest;
use oci_sign::{
    ErrorKind, PublicKey, SignatureForm, SignatureManifest, Signer, Trust, Verdict, signature_descriptors, verify,
};
use serde_json::{Value, json};

use crate::{data, text};

const TAG_SIGNED: &str = "sha256:70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9";
const ARTIFACT_SIGNED: &str = "sha256:94190ff5968376c18dd12dc805c8148c9d787facda58750e0ae7b1be4f3fabd7";
const ED25519_SIGNED: &str = "sha256:dd09d3f8cf9405810648e9829d2811fd3a6e2503f52859d0945dd4b9d371cfd0";

fn key(dir: &str) -> PublicKey {
    text(&format!("{dir}/cosign.pub")).parse().unwrap()
}

fn digest(text: &str) -> Digest {
    text.parse().unwrap()
}

/// The verdict on `manifest` for `signed` with the blobs given (by their own digest) and the keys.
fn judge(signed: &str, manifest: &[u8], blobs: &[&[u8]], keys: &[&PublicKey]) -> Verdict {
    let blobs: Vec<(Digest, &[u8])> = blobs.iter().map(|b| (Digest::sha256(b), *b)).collect();
    let trust = Trust::keys(keys.iter().map(|&key| key.clone()));
    verify(
        &digest(signed),
        manifest,
        |wanted| blobs.iter().find(|(d, _)| d == wanted).map(|(_, b)| *b),
        &trust,
    )
}

fn invalid_kind(verdict: &Verdict) -> Option<ErrorKind> {
    match verdict {
        Verdict::Invalid { reason } => Some(reason.kind()),
        _ => None,
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

#[test]
fn cosign_signatures_verify_with_its_key_in_both_forms_and_for_ed25519() {
    let p256 = key("cosign-2.5");
    let ed25519 = key("cosign-2.5-ed25519");
    let keys = [&ed25519, &p256];
    for (signed, dir, prefix, form, signer) in [
        (TAG_SIGNED, "cosign-2.5", "tag", SignatureForm::Tag, &p256),
        (
            ARTIFACT_SIGNED,
            "cosign-2.5",
            "artifact",
            SignatureForm::Artifact,
            &p256,
        ),
        (
            ED25519_SIGNED,
            "cosign-2.5-ed25519",
            "tag",
            SignatureForm::Tag,
            &ed25519,
        ),
    ] {
        let manifest = data(&format!("{dir}/{prefix}-manifest.json"));
        let payload = data(&format!("{dir}/{prefix}-payload.json"));
        let parsed = SignatureManifest::parse(&digest(signed), &manifest).unwrap();
        assert_eq!(parsed.form(), form, "{dir} {prefix}");
        assert_eq!(parsed.blobs().collect::<Vec<_>>(), [&Digest::sha256(&payload)]);
        assert_eq!(
            judge(signed, &manifest, &[&payload], &keys),
            Verdict::Verified {
                signer: Signer::Key(signer.id().clone())
            },
            "{dir} {prefix}"
        );
        // Another key, or none: well-formed but untrusted.
        let other = if signer == &p256 { &ed25519 } else { &p256 };
        assert_eq!(judge(signed, &manifest, &[&payload], &[other]), Verdict::Untrusted);
        assert_eq!(judge(signed, &manifest, &[&payload], &[]), Verdict::Untrusted);
    }
}

#[test]
fn a_payload_for_another_digest_is_invalid_whoever_signed_it() {
    let p256 = key("cosign-2.5");
    let manifest = data("cosign-2.5/tag-manifest.json");
    let payload = data("cosign-2.5/tag-payload.json");
    // The tag's manifest and payload served as another image's signature: cosign's replay.
    let ed25519 = key("cosign-2.5-ed25519");
    for keys in [vec![&p256], vec![], vec![&ed25519]] {
        let verdict = judge(ARTIFACT_SIGNED, &manifest, &[&payload], &keys);
        assert_eq!(invalid_kind(&verdict), Some(ErrorKind::OtherDigest), "{verdict}");
    }
    let verdict = judge(ARTIFACT_SIGNED, &manifest, &[&payload], &[&p256]);
    assert_eq!(
        verdict.to_string(),
        format!(
            "invalid: the signature payload {} signs {TAG_SIGNED}, not {ARTIFACT_SIGNED}: a signature copied from \
             another image",
            Digest::sha256(&data("cosign-2.5/tag-payload.json"))
        )
    );
}

#[test]
fn an_artifact_whose_subject_is_another_digest_is_invalid() {
    let manifest = data("cosign-2.5/artifact-manifest.json");
    let payload = data("cosign-2.5/artifact-payload.json");
    let verdict = judge(TAG_SIGNED, &manifest, &[&payload], &[&key("cosign-2.5")]);
    assert_eq!(invalid_kind(&verdict), Some(ErrorKind::SubjectMismatch), "{verdict}");
}

/// The legacy manifest with its one layer's signature annotation set to `signature` (or removed for `None`).
fn with_signature(signature: Option<&str>) -> Vec<u8> {
    let mut manifest = json(&data("cosign-2.5/tag-manifest.json"));
    let annotations = manifest["layers"][0]["annotations"].as_object_mut().unwrap();
    match signature {
        Some(signature) => annotations.insert("dev.cosignproject.cosign/signature".into(), signature.into()),
        None => annotations.remove("dev.cosignproject.cosign/signature"),
    };
    bytes(&manifest)
}

#[test]
fn corrupted_signatures() {
    let p256 = key("cosign-2.5");
    let payload = data("cosign-2.5/tag-payload.json");
    let good =
        json(&data("cosign-2.5/tag-manifest.json"))["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"]
            .as_str()
            .unwrap()
            .to_owned();
    let raw = crate::base64_decode(&good);
    let encode = oci_testkit::base64;
    assert_eq!(encode(&raw), good);
    let mut not_der = raw.clone();
    not_der[0] ^= 0x01; // SEQUENCE becomes SET: no signature of any kind has that shape
    let mut truncated = raw.clone();
    truncated.truncate(raw.len() - 1);
    let mut inner = raw;
    let last = inner.len() - 1;
    inner[last] ^= 0x01; // still a well-formed Ecdsa-Sig-Value, over nothing
    let cases: [(Option<String>, Result<(), ErrorKind>); 7] = [
        (Some(good.clone()), Ok(())),
        (Some(encode(&not_der)), Err(ErrorKind::Signature)),
        (Some(encode(&truncated)), Err(ErrorKind::Signature)),
        (Some(format!("{good}!")), Err(ErrorKind::Signature)),
        (Some(good[..good.len() - 1].to_owned()), Err(ErrorKind::Signature)),
        (Some(String::new()), Err(ErrorKind::Signature)),
        (None, Err(ErrorKind::Signature)),
    ];
    for (signature, expected) in cases {
        let verdict = judge(TAG_SIGNED, &with_signature(signature.as_deref()), &[&payload], &[&p256]);
        match expected {
            Ok(()) => assert!(matches!(verdict, Verdict::Verified { .. }), "{verdict}"),
            Err(kind) => assert_eq!(invalid_kind(&verdict), Some(kind), "{signature:?}: {verdict}"),
        }
    }
    // A changed bit inside r or s leaves a well-formed signature that no key verifies: untrusted, as a signature by
    // another key is (neither can be told apart without the key that made it).
    let verdict = judge(
        TAG_SIGNED,
        &with_signature(Some(&encode(&inner))),
        &[&payload],
        &[&p256],
    );
    assert_eq!(verdict, Verdict::Untrusted);
}

#[test]
fn payload_blobs_must_be_there_and_match_their_descriptor() {
    let p256 = key("cosign-2.5");
    let manifest = data("cosign-2.5/tag-manifest.json");
    let payload = data("cosign-2.5/tag-payload.json");
    let verdict = judge(TAG_SIGNED, &manifest, &[], &[&p256]);
    assert_eq!(invalid_kind(&verdict), Some(ErrorKind::MissingBlob));
    // Other bytes handed over under the payload's digest, of the same length and of another.
    let signed = digest(TAG_SIGNED);
    let wanted = Digest::sha256(&payload);
    let mut changed = payload.clone();
    changed[10] ^= 0x20;
    for bytes in [changed, [payload.as_slice(), b" "].concat()] {
        let verdict = verify(
            &signed,
            &manifest,
            |d| (*d == wanted).then_some(bytes.as_slice()),
            &Trust::keys([p256.clone()]),
        );
        assert_eq!(invalid_kind(&verdict), Some(ErrorKind::BlobMismatch), "{verdict}");
    }
}

#[test]
fn a_payload_that_is_not_simple_signing_is_invalid() {
    let p256 = key("cosign-2.5");
    let payload = data("cosign-2.5/tag-payload.json");
    for (changed, kind) in [
        (
            String::from_utf8(payload)
                .unwrap()
                .replace("cosign container image", "atomic container"),
            ErrorKind::PayloadType,
        ),
        ("{}".to_owned(), ErrorKind::Payload),
        ("not json".to_owned(), ErrorKind::Payload),
    ] {
        // A manifest naming the changed payload, with the original signature (which cannot match: no matter).
        let mut manifest = json(&data("cosign-2.5/tag-manifest.json"));
        manifest["layers"][0]["digest"] = Digest::sha256(changed.as_bytes()).to_string().into();
        manifest["layers"][0]["size"] = changed.len().into();
        let verdict = judge(TAG_SIGNED, &bytes(&manifest), &[changed.as_bytes()], &[&p256]);
        assert_eq!(invalid_kind(&verdict), Some(kind), "{verdict}");
    }
}

#[test]
fn several_signatures_in_one_manifest() {
    let p256 = key("cosign-2.5");
    let ed25519 = key("cosign-2.5-ed25519");
    let payload = data("cosign-2.5/tag-payload.json");
    let mut manifest = json(&data("cosign-2.5/tag-manifest.json"));
    let good = manifest["layers"][0].clone();
    let mut broken = good.clone();
    broken["annotations"]["dev.cosignproject.cosign/signature"] = "AAAA".into();
    let other_type = json!({"mediaType": "text/plain", "digest": Digest::sha256(b"x").to_string(), "size": 1});
    manifest["layers"] = json!([broken, other_type, good]);
    let manifest = bytes(&manifest);
    // A trusted signature wins over a broken one (cosign verify passes when one signature verifies).
    assert_eq!(
        judge(TAG_SIGNED, &manifest, &[&payload], &[&p256]),
        Verdict::Verified {
            signer: Signer::Key(p256.id().clone())
        }
    );
    // Without a trusted one, the broken one is told rather than the untrusted one.
    let verdict = judge(TAG_SIGNED, &manifest, &[&payload], &[&ed25519]);
    assert_eq!(invalid_kind(&verdict), Some(ErrorKind::Signature), "{verdict}");
    // The layer of another type is no signature: only the two simple-signing layers' blobs are wanted.
    let parsed = SignatureManifest::parse(&digest(TAG_SIGNED), &manifest).unwrap();
    assert_eq!(parsed.blobs().count(), 2);
}

#[test]
fn manifests_that_are_no_signature_manifests() {
    let p256 = key("cosign-2.5");
    let signed = digest(ARTIFACT_SIGNED);
    // No simple-signing layer: unsigned.
    let mut manifest = json(&data("cosign-2.5/tag-manifest.json"));
    manifest["layers"] = json!([]);
    assert_eq!(judge(TAG_SIGNED, &bytes(&manifest), &[], &[&p256]), Verdict::Unsigned);
    // An SBOM referring to the digest.
    let mut sbom = json(&data("cosign-2.5/artifact-manifest.json"));
    sbom["artifactType"] = "application/spdx+json".into();
    let err = SignatureManifest::parse(&signed, &bytes(&sbom)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotASignature);
    // The referrers index itself, and something that is no manifest.
    let index = data("cosign-2.5/referrers-index.json");
    assert_eq!(
        SignatureManifest::parse(&signed, &index).map_err(|e| e.kind()),
        Err(ErrorKind::Manifest)
    );
    let err = SignatureManifest::parse(&signed, b"<html>").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Manifest);
    assert!(
        std::error::Error::source(&err).is_some(),
        "oci-manifest's error is the source"
    );
}

#[test]
fn signatures_are_picked_from_a_referrers_index_by_artifact_type() {
    let index = Manifest::parse(&data("cosign-2.5/referrers-index.json"), None).unwrap();
    let index = index.as_index().unwrap();
    let picked: Vec<String> = signature_descriptors(index).map(|d| d.digest().to_string()).collect();
    assert_eq!(
        picked,
        ["sha256:af9ab005479fe7dbbe52e9fc22aa6f3dc54bf9eea01028cf3afb6f10ccdd8190"]
    );
    assert_eq!(
        Digest::sha256(&data("cosign-2.5/artifact-manifest.json")).to_string(),
        picked[0]
    );
    // SBOMs and attestations are skipped; an entry without a type, or with the empty config's (what cosign writes
    // into the referrers tag for its bundles), may be a signature until its manifest says.
    let mut value = json(&data("cosign-2.5/referrers-index.json"));
    let entry = value["manifests"][0].clone();
    let cases = [
        (Some("application/spdx+json"), false),
        (Some("application/vnd.in-toto+json"), false),
        (None, true),
        (Some("application/vnd.oci.empty.v1+json"), true),
        (Some("application/vnd.dev.cosign.artifact.sig.v1+json"), true),
    ];
    let mut entries = vec![];
    for (position, (artifact_type, _)) in cases.iter().enumerate() {
        let mut entry = entry.clone();
        entry["size"] = position.into();
        match artifact_type {
            Some(t) => entry["artifactType"] = (*t).into(),
            None => {
                entry.as_object_mut().unwrap().remove("artifactType");
            }
        }
        entries.push(entry);
    }
    value["manifests"] = entries.into();
    let index = Manifest::parse(&bytes(&value), None).unwrap();
    let picked: Vec<u64> = signature_descriptors(index.as_index().unwrap())
        .map(|d| d.size())
        .collect();
    let expected: Vec<u64> = (0..)
        .zip(cases)
        .filter(|(_, (_, may))| *may)
        .map(|(position, _)| position)
        .collect();
    assert_eq!(picked, expected);
}

/// What the fuzz targets found, replayed: `payload-*` through `Payload::parse`, `notation-*` through
/// `notation::Envelope::parse`, `manifest-verify-*` as the
/// `sign_manifest_verify` target reads it (an odd first byte, then `SIGNATURE\nPAYLOAD` wrapped in the vectors'
/// manifest). Every message is one line.
#[test]
fn fuzzed_inputs_give_one_line_messages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzzed");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let input = std::fs::read(&path).unwrap();
        let message = if name.starts_with("payload-") {
            oci_sign::Payload::parse(&input).unwrap_err().to_string()
        } else if name.starts_with("notation-") {
            oci_sign::notation::Envelope::parse(&input).unwrap_err().to_string()
        } else if name.starts_with("manifest-verify-") {
            assert_eq!(input[0] % 2, 1, "{name}");
            let rest = &input[1..];
            let at = rest.iter().position(|&b| b == b'\n').unwrap();
            let (signature, payload) = (&rest[..at], &rest[at + 1..]);
            let mut manifest = json(&data("cosign-2.5/tag-manifest.json"));
            manifest["layers"][0]["digest"] = Digest::sha256(payload).to_string().into();
            manifest["layers"][0]["size"] = payload.len().into();
            manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] =
                String::from_utf8_lossy(signature).into_owned().into();
            let verdict = judge(TAG_SIGNED, &bytes(&manifest), &[payload], &[&key("cosign-2.5")]);
            assert_eq!(invalid_kind(&verdict), Some(ErrorKind::Payload), "{name}: {verdict}");
            verdict.to_string()
        } else {
            panic!("{name}: no replay for this kind of input")
        };
        assert!(!message.chars().any(char::is_control), "{name}: {message:?}");
        replayed += 1;
    }
    assert_eq!(replayed, 3);
}
