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
    /// Not run, and why.
    Skip(&'static str),
}
use Expect::{Fail, Skip, Verify};

const REKOR_V2: &str = "Rekor v2 (hashedrekord 0.0.2): the entry has no integrated time, its time is an RFC 3161 timestamp, not verified here";
const RFC_3161: &str = "the failure is in the RFC 3161 timestamp, which this crate counts but does not verify (its \
                        log entry verifies, so it would pass)";

/// Every directory of the suite, once: a case added to the data without a line here fails the test.
pub(crate) const CASES: &[(&str, Expect)] = &[
    ("bundle-empty-certificate-chain_fail", Fail(ErrorKind::Bundle)),
    ("bundle-from-wrong-instance_fail", Fail(ErrorKind::UnknownLog)),
    ("bundle-invalid-base64-signature_fail", Fail(ErrorKind::Bundle)),
    ("bundle-malformed-json_fail", Fail(ErrorKind::Bundle)),
    ("bundle-negative-log-index_fail", Fail(ErrorKind::Bundle)),
    ("bundle-unknown-version_fail", Fail(ErrorKind::Bundle)),
    ("bundle-with-root-cert_fail", Fail(ErrorKind::Bundle)),
    ("bundle-with-sct-with-extensions", Skip(REKOR_V2)),
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
    ("intoto-tsa-timestamp-outside-cert-validity_fail", Skip(RFC_3161)),
    ("intoto-with-custom-trust-root", Verify),
    ("invalid-checkpoint-signature_fail", Fail(ErrorKind::Checkpoint)),
    ("invalid-ct-key_fail", Fail(ErrorKind::CertificateTransparency)),
    ("invalid-inclusion-proof_fail", Fail(ErrorKind::InclusionProof)),
    ("managed-key-and-trusted-root", Verify),
    ("managed-key-happy-path", Verify),
    ("managed-key-no-key_fail", Fail(ErrorKind::WrongMaterial)),
    ("managed-key-wrong-key_fail", Fail(ErrorKind::Base64)),
    ("message-digest-mismatch_fail", Fail(ErrorKind::ArtifactMismatch)),
    ("rekor2-checkpoint-cosigned", Skip(REKOR_V2)),
    ("rekor2-checkpoint-missing-log-signature_fail", Skip(REKOR_V2)),
    ("rekor2-checkpoint-missing-origin_fail", Skip(REKOR_V2)),
    ("rekor2-checkpoint-missing-root-hash_fail", Skip(REKOR_V2)),
    ("rekor2-checkpoint-missing-size_fail", Skip(REKOR_V2)),
    ("rekor2-checkpoint-multiple-cosigs", Skip(REKOR_V2)),
    ("rekor2-checkpoint-no-matching-signature_fail", Skip(REKOR_V2)),
    ("rekor2-checkpoint-origin-not-first", Skip(REKOR_V2)),
    ("rekor2-checkpoint-two-sigs-cosigned", Skip(REKOR_V2)),
    ("rekor2-checkpoint-two-sigs-from-origin", Skip(REKOR_V2)),
    ("rekor2-dsse-happy-path", Skip(REKOR_V2)),
    // Rekor v2, but the envelope's signature fails first, which is the point of the case.
    ("rekor2-dsse-invalid-sig_fail", Fail(ErrorKind::BadSignature)),
    ("rekor2-dsse-mismatch-envelope_fail", Skip(REKOR_V2)),
    ("rekor2-dsse-mismatch-sig_fail", Skip(REKOR_V2)),
    ("rekor2-happy-path", Skip(REKOR_V2)),
    ("rekor2-no-inclusion-proof_fail", Skip(REKOR_V2)),
    ("rekor2-no-timestamp_fail", Skip(REKOR_V2)),
    ("rekor2-timestamp-outside-trust-root-tsa-validity_fail", Skip(REKOR_V2)),
    ("rekor2-timestamp-outside-tsa-cert-validity_fail", Skip(REKOR_V2)),
    ("rekor2-timestamp-payload-mismatch_fail", Skip(REKOR_V2)),
    ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", Skip(REKOR_V2)),
    (
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        Skip(REKOR_V2),
    ),
    ("rekor2-timestamp-with-embedded-cert", Skip(REKOR_V2)),
    ("rekor2-timestamp-with-expired-cert-chain", Skip(REKOR_V2)),
    ("rekor2-timestamp-with-incorrect-time_fail", Skip(REKOR_V2)),
    ("rekor2-timestamp-without-embedded-cert", Skip(REKOR_V2)),
    ("set-invalid-signature_fail", Fail(ErrorKind::InclusionPromise)),
    ("signature-mismatch_fail", Fail(ErrorKind::BadSignature)),
    (
        "trust-root-tlog-missing-validity-start_fail",
        Fail(ErrorKind::TrustedRoot),
    ),
    ("trust-root-tlog-validity-end-inclusive", Verify),
    ("trust-root-tsa-validity-end-inclusive", Skip(REKOR_V2)),
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
    let mut ran = 0;
    for (name, expect) in CASES {
        match (expect, run(name)) {
            (Verify, Ok(_)) => {}
            (Fail(kind), Err(err)) => assert_eq!(err.kind(), *kind, "{name}: {err}"),
            (Skip(reason), _) => {
                assert!(!reason.is_empty());
                // A skip is for a case whose point is a feature this crate lacks, never for a `_fail` case that
                // happens to pass: those that need Rekor v2 fail anyway, as unsupported.
                if name.starts_with("rekor2-") && name.ends_with("_fail") {
                    let kind = run(name).unwrap_err().kind();
                    assert_eq!(kind, ErrorKind::Unsupported, "{name}");
                }
                continue;
            }
            (expect, got) => panic!("{name}: expected {expect:?}, got {got:?}"),
        }
        ran += 1;
    }
    let skipped: Vec<&str> = CASES
        .iter()
        .filter(|(_, expect)| matches!(expect, Skip(_)))
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(ran + skipped.len(), CASES.len());
    // The skips are exactly the Rekor v2 cases and the one about an RFC 3161 timestamp; every Rekor v1 case runs.
    assert!(
        skipped.iter().all(|name| name.starts_with("rekor2-")
            || [
                "bundle-with-sct-with-extensions",
                "trust-root-tsa-validity-end-inclusive",
                "intoto-tsa-timestamp-outside-cert-validity_fail"
            ]
            .contains(name)),
        "{skipped:?}"
    );
    assert_eq!((ran, skipped.len()), (42, 28));
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
