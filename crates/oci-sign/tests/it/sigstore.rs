//! Sigstore bundles: every case of the public conformance suite's `bundle-verify` (tests/data/sigstore-conformance),
//! and changes of its happy paths one at a time.

use std::path::{Path, PathBuf};

use oci_digest::Digest;
use oci_sign::sigstore::{Artifact, Bundle, Keyless, Policy, TrustedRoot};
use oci_sign::{ErrorKind, PublicKey, Signer};
use serde_json::Value;

/// Later than every integrated time of the suite, so that "in the future" is judged the same every day.
const NOW: i64 = 1_800_000_000;

pub(crate) const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
pub(crate) const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub(crate) fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore-conformance")
}

/// A regular expression that matches `text` only.
fn escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

fn read_opt(dir: &Path, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(name)).ok()
}

/// Runs one case as the suite's README says: `artifact` (else `../a.txt`), `identity`, `issuer`, `key.pub` (a key
/// policy instead of keyless), `trusted_root.json` (else Sigstore's public-good root).
pub(crate) fn run(name: &str) -> Result<Signer, oci_sign::Error> {
    let dir = suite().join(name);
    let root_json =
        read_opt(&dir, "trusted_root.json").unwrap_or_else(|| crate::data("sigstore-public-good/trusted_root.json"));
    let root = TrustedRoot::from_json(&root_json)?;
    let artifact = read_opt(&dir, "artifact").unwrap_or_else(|| std::fs::read(suite().join("a.txt")).unwrap());
    let bundle = Bundle::from_json(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap())?;
    if let Some(pem) = read_opt(&dir, "key.pub") {
        let key = PublicKey::from_pem(std::str::from_utf8(&pem).unwrap())?;
        let keys = [key];
        return bundle.verify(
            Artifact::Bytes(&artifact),
            &Policy::Keys {
                keys: &keys,
                root: Some(&root),
            },
            NOW,
        );
    }
    let text = |file: &str, default: &str| {
        read_opt(&dir, file).map_or(default.to_owned(), |b| String::from_utf8(b).unwrap().trim().to_owned())
    };
    let policy = Keyless::new(
        root,
        &escape(&text("identity", DEFAULT_IDENTITY)),
        &text("issuer", DEFAULT_ISSUER),
    )?;
    bundle.verify(Artifact::Bytes(&artifact), &Policy::Keyless(&policy), NOW)
}

/// What a case must give.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Expect {
    /// Verifies (the suite's cases without `_fail`).
    Verify,
    /// Fails with this kind (`_fail` cases): the kind pins that it fails for the reason the case is about.
    Fail(ErrorKind),
}
use Expect::{Fail, Verify};

/// Every directory of the suite, once: a case added to the data without a line here fails the test.
pub(crate) const CASES: &[(&str, Expect)] = &[
    ("bundle-empty-certificate-chain_fail", Fail(ErrorKind::Bundle)),
    ("bundle-from-wrong-instance_fail", Fail(ErrorKind::UnknownLog)),
    ("bundle-invalid-base64-signature_fail", Fail(ErrorKind::Bundle)),
    ("bundle-malformed-json_fail", Fail(ErrorKind::Bundle)),
    ("bundle-negative-log-index_fail", Fail(ErrorKind::Bundle)),
    ("bundle-unknown-version_fail", Fail(ErrorKind::Bundle)),
    ("bundle-with-root-cert_fail", Fail(ErrorKind::Bundle)),
    ("bundle-with-sct-with-extensions", Verify),
    ("checkpoint-bad-keyhint_fail", Fail(ErrorKind::Checkpoint)),
    ("checkpoint-wrong-roothash_fail", Fail(ErrorKind::Checkpoint)),
    ("dsse-invalid-sig_fail", Fail(ErrorKind::BadSignature)),
    ("dsse-mismatch-envelope_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("dsse-mismatch-sig_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("happy-path-intoto-in-dsse-v3", Verify),
    ("happy-path-v0.1", Verify),
    ("happy-path-v0.2", Verify),
    ("happy-path-v0.3", Verify),
    ("happy-path-v0.3-new-mediaType", Verify),
    ("inclusion-proof-corrupted-hash_fail", Fail(ErrorKind::InclusionProof)),
    ("incorrect-public-key_fail", Fail(ErrorKind::InclusionPromise)),
    ("integrated-time-in-future_fail", Fail(ErrorKind::SigningTime)),
    ("intoto-expired-certificate_fail", Fail(ErrorKind::SigningTime)),
    ("intoto-log-entry-mismatch_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("intoto-missing-inclusion-proof_fail", Fail(ErrorKind::InclusionProof)),
    (
        "intoto-set-outside-signing-cert-validity_fail",
        Fail(ErrorKind::SigningTime),
    ),
    (
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        Fail(ErrorKind::SigningTime),
    ),
    ("intoto-with-custom-trust-root", Verify),
    ("invalid-checkpoint-signature_fail", Fail(ErrorKind::Checkpoint)),
    ("invalid-ct-key_fail", Fail(ErrorKind::CertificateTransparency)),
    ("invalid-inclusion-proof_fail", Fail(ErrorKind::InclusionProof)),
    ("managed-key-and-trusted-root", Verify),
    ("managed-key-happy-path", Verify),
    ("managed-key-no-key_fail", Fail(ErrorKind::WrongMaterial)),
    ("managed-key-wrong-key_fail", Fail(ErrorKind::Base64)),
    ("message-digest-mismatch_fail", Fail(ErrorKind::ArtifactMismatch)),
    ("rekor2-checkpoint-cosigned", Verify),
    (
        "rekor2-checkpoint-missing-log-signature_fail",
        Fail(ErrorKind::Checkpoint),
    ),
    ("rekor2-checkpoint-missing-origin_fail", Fail(ErrorKind::Checkpoint)),
    ("rekor2-checkpoint-missing-root-hash_fail", Fail(ErrorKind::Checkpoint)),
    ("rekor2-checkpoint-missing-size_fail", Fail(ErrorKind::Checkpoint)),
    ("rekor2-checkpoint-multiple-cosigs", Verify),
    (
        "rekor2-checkpoint-no-matching-signature_fail",
        Fail(ErrorKind::Checkpoint),
    ),
    ("rekor2-checkpoint-origin-not-first", Verify),
    ("rekor2-checkpoint-two-sigs-cosigned", Verify),
    ("rekor2-checkpoint-two-sigs-from-origin", Verify),
    ("rekor2-dsse-happy-path", Verify),
    ("rekor2-dsse-invalid-sig_fail", Fail(ErrorKind::BadSignature)),
    ("rekor2-dsse-mismatch-envelope_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("rekor2-dsse-mismatch-sig_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("rekor2-happy-path", Verify),
    ("rekor2-no-inclusion-proof_fail", Fail(ErrorKind::InclusionProof)),
    ("rekor2-no-timestamp_fail", Fail(ErrorKind::Timestamp)),
    (
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        Fail(ErrorKind::Timestamp),
    ),
    (
        "rekor2-timestamp-outside-tsa-cert-validity_fail",
        Fail(ErrorKind::Timestamp),
    ),
    ("rekor2-timestamp-payload-mismatch_fail", Fail(ErrorKind::Timestamp)),
    (
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        Fail(ErrorKind::Timestamp),
    ),
    (
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        Fail(ErrorKind::Timestamp),
    ),
    ("rekor2-timestamp-with-embedded-cert", Verify),
    ("rekor2-timestamp-with-expired-cert-chain", Verify),
    (
        "rekor2-timestamp-with-incorrect-time_fail",
        Fail(ErrorKind::SigningTime),
    ),
    ("rekor2-timestamp-without-embedded-cert", Verify),
    ("set-invalid-signature_fail", Fail(ErrorKind::InclusionPromise)),
    ("signature-mismatch_fail", Fail(ErrorKind::BadSignature)),
    (
        "trust-root-tlog-missing-validity-start_fail",
        Fail(ErrorKind::TrustedRoot),
    ),
    ("trust-root-tlog-validity-end-inclusive", Verify),
    ("trust-root-tsa-validity-end-inclusive", Verify),
    ("wrong-hashedrekord-artifact_fail", Fail(ErrorKind::LogEntryMismatch)),
    (
        "wrong-hashedrekord-cert-and-sig_fail",
        Fail(ErrorKind::LogEntryMismatch),
    ),
    ("wrong-hashedrekord-entry_fail", Fail(ErrorKind::LogEntryMismatch)),
    ("wrong-material_fail", Fail(ErrorKind::ArtifactMismatch)),
];

#[test]
fn every_conformance_case_gives_what_the_suite_expects() {
    let mut dirs: Vec<String> = std::fs::read_dir(suite())
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let listed: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
    assert_eq!(dirs, listed, "every case directory is listed once, in order");
    for (name, expect) in CASES {
        match (expect, run(name)) {
            (Verify, Ok(_)) => {}
            (Fail(kind), Err(err)) => assert_eq!(err.kind(), *kind, "{name}: {err}"),
            (expect, got) => panic!("{name}: expected {expect:?}, got {got:?}"),
        }
    }
    // Every case runs, Rekor v2 and RFC 3161 timestamps included; and the suite has both kinds.
    let verified = CASES.iter().filter(|(_, expect)| matches!(expect, Verify)).count();
    assert_eq!((CASES.len(), verified), (70, 21));
}

fn case_json(name: &str, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(suite().join(name).join(file)).unwrap()).unwrap()
}

fn production_root() -> Value {
    serde_json::from_slice(&crate::data("sigstore-public-good/trusted_root.json")).unwrap()
}

fn a_txt() -> Vec<u8> {
    std::fs::read(suite().join("a.txt")).unwrap()
}

/// Verifies `bundle` (as JSON) for `a.txt` under a keyless policy of `root`, `identity` and `issuer`.
fn keyless(bundle: &Value, root: &Value, identity: &str, issuer: &str, now: i64) -> Result<Signer, oci_sign::Error> {
    let root = TrustedRoot::from_json(&serde_json::to_vec(root).unwrap())?;
    let policy = Keyless::new(root, identity, issuer)?;
    let bundle = Bundle::from_json(&serde_json::to_vec(bundle).unwrap())?;
    bundle.verify(Artifact::Bytes(&a_txt()), &Policy::Keyless(&policy), now)
}

fn kind(result: Result<Signer, oci_sign::Error>) -> ErrorKind {
    result.unwrap_err().kind()
}

/// The Rekor v2 happy path (no integrated time: its only signing time is its RFC 3161 timestamp) changed one way
/// at a time: each change fails for its reason, and the unchanged bundle verifies.
#[test]
fn a_rekor_v2_bundle_changed_one_way_at_a_time_fails_for_that_reason() {
    let name = "rekor2-happy-path";
    let bundle = case_json(name, "bundle.sigstore.json");
    let root = case_json(name, "trusted_root.json");
    let identity = escape(DEFAULT_IDENTITY);
    keyless(&bundle, &root, &identity, DEFAULT_ISSUER, NOW).unwrap();
    let pointer = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let text: String = bundle.pointer(pointer).unwrap().as_str().unwrap().replace('\n', "");
    let der = crate::base64_decode(&text);
    let with_timestamp = |der: &[u8]| {
        let mut changed = bundle.clone();
        *changed.pointer_mut(pointer).unwrap() = Value::from(oci_testkit::base64(der));
        keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)
    };
    // The round trip through base64 (without the line breaks this case's timestamp has) changes nothing.
    with_timestamp(&der).unwrap();

    // The timestamp's time (2025-06-12T12:02:20Z) is a signing time: after "now", it is refused.
    assert_eq!(
        kind(keyless(&bundle, &root, &identity, DEFAULT_ISSUER, 1_749_729_739)),
        ErrorKind::SigningTime
    );
    keyless(&bundle, &root, &identity, DEFAULT_ISSUER, 1_749_729_740).unwrap();

    // The authority's signature (the last bytes of the token) changed: the signed attributes no longer verify.
    let mut changed = der.clone();
    *changed.last_mut().unwrap() ^= 1;
    let err = with_timestamp(&changed).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timestamp);
    assert!(err.to_string().contains("signature does not verify"), "{err}");

    // The time inside the signed TSTInfo changed: its digest is no longer the one the signed attributes carry.
    let at = der.windows(6).position(|w| w == b"202506").expect("the genTime");
    let mut changed = der.clone();
    changed[at + 3] = b'7';
    let err = with_timestamp(&changed).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timestamp);
    assert!(err.to_string().contains("message-digest attribute"), "{err}");

    // Cut short, or not DER at all: the bundle is refused as it is read, with a one-line message.
    for bad in [&der[..der.len() - 1], &der[..10], b"not a timestamp".as_slice()] {
        let err = with_timestamp(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timestamp, "{err}");
        assert!(!err.to_string().contains('\n'), "{err}");
    }

    // Without the timestamp there is no signing time; with a root that has no timestamp authority, the timestamp
    // verifies with nobody; with two timestamps, both must verify.
    let mut changed = bundle.clone();
    changed["verificationMaterial"]
        .as_object_mut()
        .unwrap()
        .remove("timestampVerificationData");
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::Timestamp
    );
    let mut no_tsa = root.clone();
    no_tsa["timestampAuthorities"] = Value::Array(Vec::new());
    assert_eq!(
        kind(keyless(&bundle, &no_tsa, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::Timestamp
    );
    let other = case_json("rekor2-timestamp-payload-mismatch_fail", "bundle.sigstore.json");
    let mut changed = bundle.clone();
    let stamps = changed
        .pointer_mut("/verificationMaterial/timestampVerificationData/rfc3161Timestamps")
        .unwrap()
        .as_array_mut()
        .unwrap();
    stamps.push(
        other
            .pointer("/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0")
            .unwrap()
            .clone(),
    );
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::Timestamp
    );

    // The log key's window in the trusted root ends before the timestamp: the entry cannot be from then.
    let mut late_log = root.clone();
    for log in late_log["tlogs"].as_array_mut().unwrap() {
        log["publicKey"]["validFor"]["end"] = Value::from("2025-06-01T00:00:00Z");
    }
    assert_eq!(
        kind(keyless(&bundle, &late_log, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::SigningTime
    );
}

/// The happy path of v0.3 changed one way at a time: each change must fail with its own kind, and the
/// unchanged bundle must pass (so the failures are the changes').
#[test]
fn the_happy_path_changed_one_way_at_a_time_fails_for_that_reason() {
    let bundle = case_json("happy-path-v0.3", "bundle.sigstore.json");
    let root = production_root();
    let identity = escape(DEFAULT_IDENTITY);
    let signer = keyless(&bundle, &root, &identity, DEFAULT_ISSUER, NOW).unwrap();
    assert_eq!(
        signer,
        Signer::Identity {
            identity: DEFAULT_IDENTITY.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned()
        }
    );
    assert_eq!(
        signer.to_string(),
        format!("{DEFAULT_IDENTITY:?} from {DEFAULT_ISSUER:?}")
    );

    // A pattern matches the whole identity, not a part of it.
    let whole = r"https://github\.com/sigstore-conformance/.*";
    keyless(&bundle, &root, whole, DEFAULT_ISSUER, NOW).unwrap();
    for pattern in [
        r"https://github\.com/sigstore-conformance",
        r"extremely-dangerous-oidc-beacon\.yml@refs/heads/main",
        r"https://github\.com/sigstore-conformance/.*@refs/heads/other",
    ] {
        assert_eq!(
            kind(keyless(&bundle, &root, pattern, DEFAULT_ISSUER, NOW)),
            ErrorKind::Identity,
            "{pattern}"
        );
    }
    assert_eq!(
        kind(keyless(&bundle, &root, "a)|(b", DEFAULT_ISSUER, NOW)),
        ErrorKind::Regex
    );
    for issuer in [
        "https://token.actions.githubusercontent.com/",
        "https://accounts.google.com",
        "",
    ] {
        assert_eq!(
            kind(keyless(&bundle, &root, &identity, issuer, NOW)),
            ErrorKind::Issuer,
            "{issuer}"
        );
    }

    // The signing time (2024-03-19T17:26:26Z) after "now".
    assert_eq!(
        kind(keyless(&bundle, &root, &identity, DEFAULT_ISSUER, 1_710_869_185)),
        ErrorKind::SigningTime
    );
    keyless(&bundle, &root, &identity, DEFAULT_ISSUER, 1_710_869_186).unwrap();

    // Another entry's signed entry timestamp, and one byte of this one changed.
    let other = case_json("happy-path-v0.1", "bundle.sigstore.json");
    let mut changed = bundle.clone();
    changed["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"] =
        other["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"].clone();
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::InclusionPromise
    );
    let mut changed = bundle.clone();
    changed["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = Value::from("1710869187");
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::InclusionPromise
    );
    let mut changed = bundle.clone();
    changed["verificationMaterial"]["tlogEntries"][0]["logIndex"] = Value::from("79571824");
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::InclusionPromise
    );

    // No log entry at all, and a v0.3 entry without its inclusion proof.
    let mut changed = bundle.clone();
    changed["verificationMaterial"]["tlogEntries"] = Value::Array(Vec::new());
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::UnknownLog
    );
    let mut changed = bundle.clone();
    changed["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionProof");
    assert_eq!(
        kind(keyless(&changed, &root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::InclusionProof
    );

    // The trusted root's Fulcio authorities end before the signing time: no path.
    let mut changed_root = root.clone();
    for authority in changed_root["certificateAuthorities"].as_array_mut().unwrap() {
        authority["validFor"]["end"] = Value::from("2024-03-19T17:26:25Z");
    }
    assert_eq!(
        kind(keyless(&bundle, &changed_root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::CertificatePath
    );
    // The Rekor key's window ends one second before the entry (it is closed: the same second passes).
    for (end, ok) in [("2024-03-19T17:26:25Z", false), ("2024-03-19T17:26:26Z", true)] {
        let mut changed_root = root.clone();
        changed_root["tlogs"][0]["publicKey"]["validFor"]["end"] = Value::from(end);
        let result = keyless(&bundle, &changed_root, &identity, DEFAULT_ISSUER, NOW);
        assert_eq!(
            result.as_ref().err().map(oci_sign::Error::kind),
            (!ok).then_some(ErrorKind::SigningTime),
            "{end}"
        );
    }
    // No CT log: the certificate's SCT verifies with nothing.
    let mut changed_root = root.clone();
    changed_root["ctlogs"] = Value::Array(Vec::new());
    assert_eq!(
        kind(keyless(&bundle, &changed_root, &identity, DEFAULT_ISSUER, NOW)),
        ErrorKind::CertificateTransparency
    );

    // A key policy for a keyless bundle, and a digest where the bytes are needed.
    let parsed = Bundle::from_json(&serde_json::to_vec(&bundle).unwrap()).unwrap();
    let key = PublicKey::from_pem(&crate::text("cosign-2.5/cosign.pub")).unwrap();
    let keys = [key];
    let keyed = Policy::Keys {
        keys: &keys,
        root: None,
    };
    assert_eq!(
        kind(parsed.verify(Artifact::Bytes(&a_txt()), &keyed, NOW)),
        ErrorKind::WrongMaterial
    );
    let root_value = TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap()).unwrap();
    let policy = Keyless::new(root_value, &identity, DEFAULT_ISSUER).unwrap();
    let digest = Digest::sha256(&a_txt());
    assert_eq!(
        kind(parsed.verify(Artifact::Digest(&digest), &Policy::Keyless(&policy), NOW)),
        ErrorKind::Unsupported
    );
}

#[test]
fn a_dsse_bundle_verifies_with_the_subjects_digest_alone() {
    let name = "intoto-with-custom-trust-root";
    let root = TrustedRoot::from_json(&std::fs::read(suite().join(name).join("trusted_root.json")).unwrap()).unwrap();
    let policy = Keyless::new(root, &escape(DEFAULT_IDENTITY), DEFAULT_ISSUER).unwrap();
    let bundle = Bundle::from_json(&std::fs::read(suite().join(name).join("bundle.sigstore.json")).unwrap()).unwrap();
    let subject = Digest::sha256(&std::fs::read(suite().join(name).join("artifact")).unwrap());
    bundle
        .verify(Artifact::Digest(&subject), &Policy::Keyless(&policy), NOW)
        .unwrap();
    let other = Digest::sha256(b"another artifact");
    let err = bundle
        .verify(Artifact::Digest(&other), &Policy::Keyless(&policy), NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ArtifactMismatch, "{err}");
}

#[test]
fn the_production_trusted_root_reads_whole() {
    let root = TrustedRoot::from_json(&crate::data("sigstore-public-good/trusted_root.json")).unwrap();
    assert_eq!(root.counts(), [2, 2, 2, 1]);
    let cases: &[(&str, ErrorKind)] = &[
        ("{}", ErrorKind::TrustedRoot),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=9"}"#,
            ErrorKind::TrustedRoot,
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"publicKey":{"rawBytes":"!"},"logId":{"keyId":""}}]}"#,
            ErrorKind::TrustedRoot,
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","certificateAuthorities":[{"certChain":{"certificates":[]},"validFor":{"start":"2021-01-01T00:00:00Z"}}]}"#,
            ErrorKind::TrustedRoot,
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(
            TrustedRoot::from_json(json.as_bytes()).unwrap_err().kind(),
            *expected,
            "{json}"
        );
    }
}

/// A change made to a bundle's JSON.
type Change<'a> = dyn Fn(&mut Value) + 'a;

#[test]
fn bundles_of_the_wrong_shape_are_refused_by_kind() {
    let v03 = case_json("happy-path-v0.3", "bundle.sigstore.json");
    let dsse = case_json("happy-path-intoto-in-dsse-v3", "bundle.sigstore.json");
    let v01 = case_json("happy-path-v0.1", "bundle.sigstore.json");
    let parsed = Bundle::from_json(&serde_json::to_vec(&v03).unwrap()).unwrap();
    assert_eq!(parsed.version(), oci_sign::sigstore::BundleVersion::V0_3);
    assert_eq!(parsed.rfc3161_timestamps(), 0);
    assert!(parsed.certificate().is_some());
    let custom = case_json("intoto-with-custom-trust-root", "bundle.sigstore.json");
    assert_eq!(
        Bundle::from_json(&serde_json::to_vec(&custom).unwrap())
            .unwrap()
            .rfc3161_timestamps(),
        1
    );

    let change = |bundle: &Value, f: &dyn Fn(&mut Value)| {
        let mut bundle = bundle.clone();
        f(&mut bundle);
        Bundle::from_json(&serde_json::to_vec(&bundle).unwrap())
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    let cases: &[(&str, &Value, &Change<'_>, ErrorKind)] = &[
        (
            "both contents",
            &v03,
            &|b| b["dsseEnvelope"] = dsse["dsseEnvelope"].clone(),
            ErrorKind::Bundle,
        ),
        (
            "no content",
            &v03,
            &|b| drop(b.as_object_mut().unwrap().remove("messageSignature")),
            ErrorKind::Bundle,
        ),
        (
            "two materials",
            &v03,
            &|b| b["verificationMaterial"]["publicKey"] = serde_json::json!({"hint": ""}),
            ErrorKind::Bundle,
        ),
        (
            "no material",
            &v03,
            &|b| drop(b["verificationMaterial"].as_object_mut().unwrap().remove("certificate")),
            ErrorKind::Bundle,
        ),
        (
            "two DSSE signatures",
            &dsse,
            &|b| {
                let sig = b["dsseEnvelope"]["signatures"][0].clone();
                b["dsseEnvelope"]["signatures"].as_array_mut().unwrap().push(sig);
            },
            ErrorKind::Bundle,
        ),
        (
            "a SHA-512 message digest",
            &v03,
            &|b| b["messageSignature"]["messageDigest"]["algorithm"] = Value::from("SHA2_512"),
            ErrorKind::Bundle,
        ),
        (
            "a log index as a negative number",
            &v03,
            &|b| b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = Value::from(-1),
            ErrorKind::Bundle,
        ),
        (
            "a log index of 20 digits",
            &v03,
            &|b| b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = Value::from("12345678901234567890"),
            ErrorKind::Bundle,
        ),
        (
            "a certificate that is not DER",
            &v03,
            &|b| b["verificationMaterial"]["certificate"]["rawBytes"] = Value::from("AAAA"),
            ErrorKind::Certificate,
        ),
        (
            "a proof of 65 hashes",
            &v03,
            &|b| {
                let hash = Value::from("Fnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=");
                b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"] = Value::Array(vec![hash; 65]);
            },
            ErrorKind::TooLarge,
        ),
        (
            "nine log entries",
            &v01,
            &|b| {
                let entry = b["verificationMaterial"]["tlogEntries"][0].clone();
                b["verificationMaterial"]["tlogEntries"] = Value::Array(vec![entry; 9]);
            },
            ErrorKind::TooLarge,
        ),
    ];
    for (what, bundle, f, kind) in cases {
        assert_eq!(change(bundle, *f), Err(*kind), "{what}");
    }
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    assert_eq!(Bundle::from_json(&huge).unwrap_err().kind(), ErrorKind::TooLarge);
}
