//! Notation JWS envelopes: the ones notation itself wrote (tests/data/notation), and envelopes the test kit's
//! `Notary` makes for what the public data lacks (a CA chain, an expired certificate, malformed headers).

use oci_digest::Digest;
use oci_sign::notation::Envelope;
use oci_sign::x509::Certificate;
use oci_sign::{ErrorKind, SignatureManifest, Signer, Trust, Verdict};
use oci_testkit::Notary;
use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyUsagePurpose};
use serde_json::{Value, json};

use crate::data;

/// 2026-12-05, inside every certificate's validity here.
const NOW: i64 = 1_796_000_000;

const WITHOUT_TIMESTAMP: (&str, &str) = (
    "notation/without-timestamp.jws.json",
    "sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda",
);
const JWS_SIGNATURE: (&str, &str) = (
    "notation/jws-signature.jws.json",
    "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0",
);

fn digest(text: &str) -> Digest {
    text.parse().unwrap()
}

fn b64url(data: &[u8]) -> String {
    oci_testkit::base64(data)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn b64url_decode(text: &str) -> Vec<u8> {
    let mut standard = text.replace('-', "+").replace('_', "/");
    while standard.len() % 4 != 0 {
        standard.push('=');
    }
    crate::base64_decode(&standard)
}

#[test]
fn envelopes_notation_wrote_verify_with_their_certificate_and_nothing_else() {
    let wabbit = Certificate::from_pem(std::str::from_utf8(&data("notation/wabbit-networks.io.crt")).unwrap()).unwrap();
    for (file, signed) in [WITHOUT_TIMESTAMP, JWS_SIGNATURE] {
        let bytes = data(file);
        let envelope = Envelope::parse(&bytes).unwrap();
        assert_eq!(envelope.signed_digest(), &digest(signed));
        let leaf = envelope.chain()[0].clone();
        let signer = envelope
            .verify(&digest(signed), std::slice::from_ref(&leaf), NOW)
            .unwrap();
        assert!(signer.subject.contains("CN=alpine"), "{signer:?}");
        assert_eq!(signer.fingerprint, Digest::sha256(leaf.der()));

        let untrusted = envelope
            .verify(&digest(signed), std::slice::from_ref(&wabbit), NOW)
            .unwrap_err();
        assert_eq!(untrusted.kind(), ErrorKind::CertificatePath, "{file}: {untrusted}");
        let empty = envelope.verify(&digest(signed), &[], NOW).unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::CertificatePath, "{file}: {empty}");
        let copied = envelope
            .verify(&Digest::sha256(b"another image"), std::slice::from_ref(&leaf), NOW)
            .unwrap_err();
        assert_eq!(copied.kind(), ErrorKind::OtherDigest, "{file}: {copied}");
        // After the certificate's end, its own store no longer trusts it.
        let later = envelope
            .verify(&digest(signed), std::slice::from_ref(&leaf), 5_000_000_000)
            .unwrap_err();
        assert_eq!(later.kind(), ErrorKind::CertificatePath, "{file}: {later}");

        // A changed signature, or a payload naming another digest under the old signature, does not verify.
        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        let mut signature = b64url_decode(value["signature"].as_str().unwrap());
        signature[10] ^= 1;
        value["signature"] = b64url(&signature).into();
        let tampered = Envelope::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
        let err = tampered
            .verify(&digest(signed), std::slice::from_ref(&leaf), NOW)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadSignature, "{file}: {err}");

        let mut value: Value = serde_json::from_slice(&bytes).unwrap();
        let other = Digest::sha256(b"another image");
        let mut payload: Value = serde_json::from_slice(&b64url_decode(value["payload"].as_str().unwrap())).unwrap();
        payload["targetArtifact"]["digest"] = other.to_string().into();
        value["payload"] = b64url(&serde_json::to_vec(&payload).unwrap()).into();
        let swapped = Envelope::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
        let err = swapped.verify(&other, &[leaf], NOW).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadSignature, "{file}: {err}");
    }
}

/// A root, and a code-signing leaf it issued (valid 2025 to 2027, or `expired`: 2020 to 2021), with the leaf's
/// ES256 signer: the test kit's `Notary`, its certificates read here.
struct Chain {
    notary: Notary,
    root: Certificate,
}

fn chain(expired: bool, eku: ExtendedKeyUsagePurpose) -> Chain {
    chain_with(expired, |params| params.extended_key_usages = vec![eku])
}

/// As [`chain`], with the leaf's parameters set by `leaf`.
fn chain_with(expired: bool, leaf: impl FnOnce(&mut CertificateParams)) -> Chain {
    let notary = Notary::with_leaf("wabbit-networks.io", |params| {
        (params.not_before, params.not_after) = if expired {
            (rcgen::date_time_ymd(2020, 1, 1), rcgen::date_time_ymd(2021, 1, 1))
        } else {
            (rcgen::date_time_ymd(2025, 1, 1), rcgen::date_time_ymd(2027, 1, 1))
        };
        leaf(params);
    });
    let root = Certificate::from_der(notary.root_der()).unwrap();
    Chain { notary, root }
}

/// An ES256 envelope by `chain`'s leaf with the protected header `header` over a payload naming `signed`.
fn envelope(chain: &Chain, header: &Value, signed: &Digest) -> Vec<u8> {
    let payload = json!({"targetArtifact": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": signed.to_string(), "size": 100
    }});
    chain.notary.envelope(header, &payload, None)
}

fn header() -> Value {
    Notary::header()
}

#[test]
fn a_ca_chain_verifies_and_every_broken_rule_has_its_error() {
    let signed = Digest::sha256(b"an image manifest");
    let good = chain(false, ExtendedKeyUsagePurpose::CodeSigning);
    let roots = [good.root.clone()];
    let verified = Envelope::parse(&envelope(&good, &header(), &signed)).unwrap();
    assert_eq!(
        verified.verify(&signed, &roots, NOW).unwrap().subject,
        "CN=wabbit-networks.io"
    );

    let expired = chain(true, ExtendedKeyUsagePurpose::CodeSigning);
    let err = Envelope::parse(&envelope(&expired, &header(), &signed))
        .unwrap()
        .verify(&signed, std::slice::from_ref(&expired.root), NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificatePath, "{err}");
    let server = chain(false, ExtendedKeyUsagePurpose::ServerAuth);
    let err = Envelope::parse(&envelope(&server, &header(), &signed))
        .unwrap()
        .verify(&signed, std::slice::from_ref(&server.root), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("code signing"), "{err}");
    // A leaf whose key usage is for signing certificates only may not sign envelopes (webpki leaves the leaf's key
    // usage to the caller); with digitalSignature it may.
    for (usage, allowed) in [
        (KeyUsagePurpose::KeyCertSign, false),
        (KeyUsagePurpose::DigitalSignature, true),
    ] {
        let chain = chain_with(false, |params| {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
            params.key_usages = vec![usage];
        });
        let result = Envelope::parse(&envelope(&chain, &header(), &signed)).unwrap().verify(
            &signed,
            std::slice::from_ref(&chain.root),
            NOW,
        );
        match (result, allowed) {
            (Ok(_), true) => {}
            (Err(err), false) => {
                assert_eq!(err.kind(), ErrorKind::CertificatePath, "{err}");
                assert!(err.to_string().contains("digitalSignature"), "{err}");
            }
            (result, _) => panic!("{usage:?}: {result:?}"),
        }
    }

    let mut expiring = header();
    expiring["io.cncf.notary.expiry"] = "2026-01-01T00:00:00Z".into();
    expiring["crit"] = json!(["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"]);
    let err = Envelope::parse(&envelope(&good, &expiring, &signed))
        .unwrap()
        .verify(&signed, &roots, NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SigningTime, "{err}");

    let mut mismatched = header();
    mismatched["alg"] = "ES384".into();
    let err = Envelope::parse(&envelope(&good, &mismatched, &signed))
        .unwrap()
        .verify(&signed, &roots, NOW)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::BadSignature,
        "an ES384 header over a P-256 key: {err}"
    );

    let cases: Vec<(&str, Value, ErrorKind)> = vec![
        (
            "expiry not in crit",
            {
                let mut h = header();
                h["io.cncf.notary.expiry"] = "2030-01-01T00:00:00Z".into();
                h
            },
            ErrorKind::Notation,
        ),
        (
            "unknown critical header",
            {
                let mut h = header();
                h["x-critical"] = "1".into();
                h["crit"] = json!(["io.cncf.notary.signingScheme", "x-critical"]);
                h
            },
            ErrorKind::Notation,
        ),
        (
            "crit names a missing header",
            {
                let mut h = header();
                h["crit"] = json!(["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"]);
                h
            },
            ErrorKind::Notation,
        ),
        (
            "signing authority scheme",
            {
                let mut h = header();
                h["io.cncf.notary.signingScheme"] = "notary.x509.signingAuthority".into();
                h
            },
            ErrorKind::Unsupported,
        ),
        (
            "another content type",
            {
                let mut h = header();
                h["cty"] = "application/json".into();
                h
            },
            ErrorKind::Notation,
        ),
        (
            "no signing time",
            {
                let mut h = header();
                h.as_object_mut().unwrap().remove("io.cncf.notary.signingTime");
                h
            },
            ErrorKind::Notation,
        ),
        (
            "HS256",
            {
                let mut h = header();
                h["alg"] = "HS256".into();
                h
            },
            ErrorKind::Unsupported,
        ),
    ];
    for (what, header, kind) in cases {
        let err = Envelope::parse(&envelope(&good, &header, &signed)).unwrap_err();
        assert_eq!(err.kind(), kind, "{what}: {err}");
        assert!(!err.to_string().chars().any(char::is_control), "{what}: {err}");
    }
    for bytes in [
        &b""[..],
        b"{}",
        b"[]",
        br#"{"payload":"","protected":"","header":{"x5c":[]},"signature":""}"#,
    ] {
        assert!(Envelope::parse(bytes).is_err(), "{}", String::from_utf8_lossy(bytes));
    }
}

/// A notation signature manifest (as `notation sign` pushes it), JWS or COSE, judged through `SignatureManifest` and
/// `Trust`: verified by its certificate (and for a trusted identity its subject has), untrusted otherwise, invalid
/// under another image.
#[test]
fn a_notation_signature_manifest_is_verified_untrusted_or_invalid_under_a_trust() {
    use oci_sign::notation::TrustedIdentity;
    let cases = [
        (WITHOUT_TIMESTAMP.0, WITHOUT_TIMESTAMP.1, "application/jose+json"),
        ("notation/cose-signature.cose", JWS_SIGNATURE.1, "application/cose"),
    ];
    for (file, signed, media_type) in cases {
        let signed = digest(signed);
        let bytes = data(file);
        let envelope = if media_type == "application/cose" {
            Envelope::parse_cose(&bytes)
        } else {
            Envelope::parse(&bytes)
        };
        let leaf = envelope.unwrap().chain()[0].clone();
        let manifest = |subject: &Digest| {
            serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.cncf.notary.signature",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json", "size": 2,
                           "digest": Digest::sha256(b"{}").to_string()},
                "layers": [{"mediaType": media_type, "size": bytes.len(),
                            "digest": Digest::sha256(&bytes).to_string()}],
                "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 528,
                            "digest": subject.to_string()}
            }))
            .unwrap()
        };
        let blob = |wanted: &Digest| (*wanted == Digest::sha256(&bytes)).then_some(&bytes[..]);
        let parsed = SignatureManifest::parse(&signed, &manifest(&signed)).unwrap();
        assert_eq!(parsed.format(), "notation");
        let trusted = Trust::default().with_notation([leaf.clone()]).at(NOW);
        match parsed.verify(blob, &trusted) {
            Verdict::Verified {
                signer: Signer::Certificate { subject, .. },
            } => assert!(subject.contains("alpine"), "{file}"),
            other => panic!("{file}: {other:?}"),
        }
        assert_eq!(
            parsed.verify(blob, &Trust::default().at(NOW)),
            Verdict::Untrusted,
            "{file}"
        );
        // A trusted identity the subject has, and one it lacks.
        let identity = |text: &str| [text.parse::<TrustedIdentity>().unwrap()];
        let narrowed = |text: &str| {
            Trust::default()
                .with_notation([leaf.clone()])
                .with_notation_identities(identity(text))
                .at(NOW)
        };
        assert!(matches!(
            parsed.verify(blob, &narrowed("O=Notary, CN=alpine")),
            Verdict::Verified { .. }
        ));
        assert_eq!(
            parsed.verify(blob, &narrowed("O=Notary, CN=other")),
            Verdict::Untrusted,
            "{file}"
        );
        // The envelope under another image's manifest: its subject says so.
        let other = Digest::sha256(b"another image");
        let copied = SignatureManifest::parse(&other, &manifest(&other)).unwrap();
        match copied.verify(blob, &trusted) {
            Verdict::Invalid { reason } => assert_eq!(reason.kind(), ErrorKind::OtherDigest, "{reason}"),
            verdict => panic!("{file}: {verdict:?}"),
        }
    }
}

/// Envelopes notation 1.2 timestamped (`--timestamp-url`, GlobalSign's TSA; notation-go's test data): with the TSA's
/// root as the `tsa` trust store, the certificate is judged at the timestamp, so one that expired ten minutes after
/// it signed still verifies; without it, only a certificate valid now does. A timestamp that falls outside the
/// certificate, or an authority the store does not trust, is not accepted.
#[test]
fn timestamped_envelopes_are_judged_at_their_timestamp_with_a_tsa_trust_store() {
    let signed = digest("sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda");
    let globalsign = [Certificate::from_der(&data("notation/globalsign-tsa-root.cer")).unwrap()];
    let digicert = [Certificate::from_der(&data("notation/digicert-tsa-root.cer")).unwrap()];
    let open = |file: &str| {
        let envelope = Envelope::parse(&data(file)).unwrap();
        assert!(envelope.is_timestamped(), "{file}");
        let own = envelope.chain().to_vec();
        (envelope, own)
    };

    // Signed 2024-06-18 by a certificate valid 2023 to 2033, timestamped then.
    let (envelope, own) = open("notation/with-timestamp.jws.json");
    envelope.verify_timestamped(&signed, &own, &globalsign, NOW).unwrap();
    envelope.verify(&signed, &own, NOW).unwrap();
    let err = envelope.verify_timestamped(&signed, &own, &digicert, NOW).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timestamp, "{err}");
    // The timestamp is of this very signature: on another envelope's signature it proves nothing.
    let mut moved: Value = serde_json::from_slice(&data("notation/with-timestamp.jws.json")).unwrap();
    let other: Value = serde_json::from_slice(&data("notation/expired-with-timestamp.jws.json")).unwrap();
    moved["header"]["io.cncf.notary.timestampSignature"] = other["header"]["io.cncf.notary.timestampSignature"].clone();
    let err = Envelope::parse(&serde_json::to_vec(&moved).unwrap())
        .unwrap()
        .verify_timestamped(&signed, &own, &globalsign, NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timestamp, "{err}");
    assert!(err.to_string().contains("another signature"), "{err}");

    // A certificate valid for ten minutes on 2024-06-18, timestamped within them: verified at the timestamp,
    // untrusted (not valid now) without the TSA store.
    let (envelope, own) = open("notation/expired-with-timestamp.jws.json");
    let signer = envelope.verify_timestamped(&signed, &own, &globalsign, NOW).unwrap();
    assert!(signer.subject.contains("CN=testTSA"), "{signer:?}");
    let err = envelope.verify(&signed, &own, NOW).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificatePath, "{err}");
    // Before the timestamp's own time, it is in the future.
    let err = envelope
        .verify_timestamped(&signed, &own, &globalsign, 1_718_695_000)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SigningTime, "{err}");

    // A certificate valid from 2099, timestamped in 2024: not valid at the timestamp.
    let (envelope, own) = open("notation/timestamp-before-not-before.jws.json");
    let err = envelope
        .verify_timestamped(&signed, &own, &globalsign, NOW)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificatePath, "{err}");
}

/// Trusted identities as a notation trust policy writes them: every attribute given must be in the signing
/// certificate's subject with that value (`CN=alpine, O=Notary, L=Seattle, ST=WA, C=US` here).
#[test]
fn trusted_identities_match_the_subject_attributes_they_name() {
    use oci_sign::notation::TrustedIdentity;

    let envelope = Envelope::parse(&data(WITHOUT_TIMESTAMP.0)).unwrap();
    let leaf = &envelope.chain()[0];
    let identity = |text: &str| text.parse::<TrustedIdentity>().unwrap();
    for matching in [
        "x509.subject: C=US, ST=WA, O=Notary",
        "C=US,ST=WA,L=Seattle,O=Notary,CN=alpine",
        "cn=alpine",
        "2.5.4.10=Notary + 2.5.4.6=US",
        r"O=\4Eotary",
    ] {
        assert!(identity(matching).matches(leaf), "{matching}");
    }
    for other in ["C=US, ST=WA, O=Wabbit", "CN=alpine, OU=Finance", "O=notary", "CN=alpin"] {
        assert!(!identity(other).matches(leaf), "{other}");
    }
    assert_eq!(
        identity("x509.subject:  c=US,st=WA , 2.5.4.10=Notary").to_string(),
        "x509.subject: C=US, ST=WA, O=Notary"
    );
    assert_eq!(identity(r"O=a\,b").to_string(), r"x509.subject: O=a\,b");
    for bad in [
        "",
        "x509.subject:",
        "CN",
        "CN=",
        "=x",
        "C=US, C=DE",
        r"CN=a\",
        "CN=a,,O=b",
    ] {
        let err = bad.parse::<TrustedIdentity>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TrustedIdentity, "{bad}: {err}");
    }
}

/// COSE envelopes notation wrote (`--signature-format cose`; notation-go's test data): they verify with their own
/// certificate, as the JWS ones do, the expired one only at its timestamp, and a changed byte of the signature or
/// the payload, or another digest, is refused.
#[test]
fn cose_envelopes_notation_wrote_verify_as_the_jws_ones_do() {
    let globalsign = [Certificate::from_der(&data("notation/globalsign-tsa-root.cer")).unwrap()];
    let stamped = digest("sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda");
    for (file, signed) in [
        ("notation/cose-signature.cose", JWS_SIGNATURE.1),
        ("notation/cose-with-timestamp.cose", stamped.as_str()),
    ] {
        let bytes = data(file);
        let envelope = Envelope::parse_cose(&bytes).unwrap();
        assert_eq!(envelope.signed_digest(), &digest(signed), "{file}");
        let own = envelope.chain().to_vec();
        let signer = envelope.verify(&digest(signed), &own, NOW).unwrap();
        assert!(signer.subject.contains("CN=alpine"), "{signer:?}");
        let err = envelope.verify(&Digest::sha256(b"other"), &own, NOW).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OtherDigest, "{file}: {err}");
        // COSE is not JSON, and JSON is not COSE.
        assert_eq!(Envelope::parse(&bytes).unwrap_err().kind(), ErrorKind::Notation);
        // The signature is the last 256 bytes (PS256 with a 2048-bit key); the payload sits just before it.
        let mut changed = bytes.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        let err = Envelope::parse_cose(&changed)
            .unwrap()
            .verify(&digest(signed), &own, NOW)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadSignature, "{file}: {err}");
        let at = bytes.windows(14).position(|w| w == b"targetArtifact").unwrap();
        let mut changed = bytes.clone();
        changed[at] = b'T';
        let err = Envelope::parse_cose(&changed).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Notation, "{file}: {err}");
    }
    assert!(
        Envelope::parse_cose(&data("notation/cose-with-timestamp.cose"))
            .unwrap()
            .is_timestamped()
    );

    let envelope = Envelope::parse_cose(&data("notation/cose-expired-with-timestamp.cose")).unwrap();
    let own = envelope.chain().to_vec();
    envelope.verify_timestamped(&stamped, &own, &globalsign, NOW).unwrap();
    let err = envelope.verify(&stamped, &own, NOW).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificatePath, "{err}");

    for bad in [
        &b""[..],
        b"\xd2\x84",
        b"\xd2\x83\x40\xa0\x40",
        b"{}",
        b"\xd3\x84\x40\xa0\x40\x40",
    ] {
        let err = Envelope::parse_cose(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Notation, "{bad:02x?}: {err}");
    }
}
