//! `oci-check verify` against the real cosign and the real registry: signatures cosign wrote, in its legacy tag
//! and as OCI 1.1 referrers (which this registry lists under the referrers tag), judged as `cosign verify` judges
//! them, with the exit codes the command promises.

use oci_testkit::cosign::{Cosign, Mode};
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{Registry, block_on};
use serde_json::Value;

use crate::oci_check;

/// Runs `verify --json` for `images` with `keys` and returns the exit code and the records.
fn verify(keys: &[&str], images: &[&str]) -> (i32, Vec<Value>) {
    let mut args = Vec::new();
    for key in keys {
        args.extend(["--key", key]);
    }
    args.extend_from_slice(images);
    crate::verify_json(&args)
}

#[test]
fn verify_tells_verified_untrusted_and_unsigned_as_cosign_does_and_exits_0_only_when_all_verify() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let other = cosign.generate_key_pair("other");
    let images = registry.images("signed/app").unwrap();
    let host = registry.host().to_owned();
    let (legacy, referrers, unsigned) = block_on(async {
        let legacy = images
            .image(OCI_MANIFEST, "legacy", Some("legacy"))
            .await
            .unwrap()
            .digest;
        let referrers = images.image(OCI_MANIFEST, "oci11", Some("oci11")).await.unwrap().digest;
        let unsigned = images
            .image(OCI_MANIFEST, "unsigned", Some("unsigned"))
            .await
            .unwrap()
            .digest;
        (legacy, referrers, unsigned)
    });
    cosign.sign(&trusted, &format!("{host}/signed/app@{legacy}"), Mode::Tag);
    cosign.sign(&trusted, &format!("{host}/signed/app@{referrers}"), Mode::Referrers);
    cosign.attach(
        &format!("{host}/signed/app@{referrers}"),
        "application/spdx+json",
        r#"{"spdxVersion":"SPDX-2.3"}"#,
    );
    let trusted_pem = trusted.public.display().to_string();
    let other_pem = other.public.display().to_string();
    let (legacy_tag, referrers_tag, unsigned_tag) = (
        format!("{host}/signed/app:legacy"),
        format!("{host}/signed/app:oci11"),
        format!("{host}/signed/app:unsigned"),
    );

    let (code, records) = verify(&[&trusted_pem], &[&legacy_tag, &referrers_tag]);
    assert_eq!(code, 0, "{records:#?}");
    let signer = records[0]["signature"]["signer"].as_str().unwrap().to_owned();
    assert!(signer.starts_with("sha256:"), "{signer}");
    for (record, digest, via) in [
        (&records[0], &legacy, "sig-tag"),
        (&records[1], &referrers, "referrers-tag"),
    ] {
        assert_eq!(record["digest"], digest.as_str(), "{record}");
        assert_eq!(record["signature"]["status"], "verified", "{record}");
        assert_eq!(record["signature"]["found_via"], via, "{record}");
        assert_eq!(record["signature"]["format"], "cosign", "{record}");
        assert_eq!(record["signature"]["signer"], signer.as_str(), "the same key: {record}");
        let (accepted, output) = cosign.verify(
            &trusted.public,
            &format!("{host}/signed/app@{digest}"),
            if via == "sig-tag" { Mode::Tag } else { Mode::Referrers },
        );
        assert!(accepted, "cosign agrees: {output}");
    }

    // The table: one line per image, its status, signer and where the signature was found.
    let out = oci_check(&["verify", "--key", &trusted_pem, &legacy_tag, &unsigned_tag], "");
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(
        lines[0].contains("  verified  ") && lines[0].contains(&signer) && lines[0].ends_with("(sig-tag)"),
        "{out:?}"
    );
    assert!(lines[1].ends_with("  unsigned"), "{out:?}");

    // Another key: signed, but by no trusted key; cosign refuses too.
    let (code, records) = verify(&[&other_pem], &[&legacy_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "untrusted", "{records:#?}");
    assert_eq!(records[0]["signature"]["signer"], Value::Null);
    let (accepted, _) = cosign.verify(&other.public, &format!("{host}/signed/app@{legacy}"), Mode::Tag);
    assert!(!accepted);

    // Unsigned: nothing found anywhere, and the exit code says not all verified.
    let (code, records) = verify(&[&trusted_pem, &other_pem], &[&unsigned_tag, &legacy_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["digest"], unsigned.as_str());
    assert_eq!(records[0]["signature"]["status"], "unsigned", "{records:#?}");
    assert_eq!(records[0]["signature"]["found_via"], Value::Null);
    assert_eq!(
        records[1]["signature"]["status"], "verified",
        "either key may verify: {records:#?}"
    );

    // A key scoped to other repositories does not apply.
    let scoped = format!("{host}/other/*={trusted_pem}");
    let (code, records) = verify(&[&scoped], &[&legacy_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "untrusted", "{records:#?}");
    let scoped = format!("{host}/signed/*={trusted_pem}");
    let (code, _) = verify(&[&scoped], &[&legacy_tag]);
    assert_eq!(code, 0);
}

#[test]
fn a_signature_copied_from_another_image_is_invalid() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let images = registry.images("copied/app").unwrap();
    let host = registry.host().to_owned();
    let (a, b) = block_on(async {
        let a = images.image(OCI_MANIFEST, "a", Some("a")).await.unwrap().digest;
        let b = images.image(OCI_MANIFEST, "b", Some("b")).await.unwrap().digest;
        (a, b)
    });
    cosign.sign(&trusted, &format!("{host}/copied/app@{a}"), Mode::Tag);
    // A's signature manifest pushed under B's signature tag: a valid signature, of the wrong image.
    block_on(async {
        let client = registry.client();
        let repository = images.repository();
        let a_sig = repository.tag(&oci_sign::SignatureTag::new(&a).to_string()).unwrap();
        let manifest = client.manifest(&a_sig).await.unwrap();
        images
            .manifest(
                OCI_MANIFEST,
                manifest.bytes().clone(),
                Some(&oci_sign::SignatureTag::new(&b).to_string()),
            )
            .await
            .unwrap();
    });
    let key = trusted.public.display().to_string();
    let (code, records) = verify(&[&key], &[&format!("{host}/copied/app:b")]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "invalid", "{records:#?}");
    assert!(
        records[0]["signature"]["note"].as_str().unwrap().contains(a.as_str()),
        "the note names the digest the payload signs: {records:#?}"
    );
    let (accepted, _) = cosign.verify(&trusted.public, &format!("{host}/copied/app@{b}"), Mode::Tag);
    assert!(!accepted, "cosign refuses it too");
}

#[test]
fn verify_needs_a_key_and_a_readable_one() {
    let out = oci_check(&["verify", "127.0.0.1:1/app:1"], "");
    assert_eq!(out.code, 2, "{out:?}");
    let out = oci_check(&["verify", "--key", "/nonexistent/cosign.pub", "127.0.0.1:1/app:1"], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("cosign.pub"), "{}", out.stderr);
    let dir = oci_testkit::TempDir::new("verify-key");
    let bad = dir.path().join("bad.pub");
    std::fs::write(
        &bad,
        "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let out = oci_check(&["verify", "--key", bad.to_str().unwrap(), "127.0.0.1:1/app:1"], "");
    assert_eq!(out.code, 2, "{out:?}");
}

/// `update --verify-key`: the tag moved to an image signed by the same key (verified, same signer), by another
/// trusted key (verified, not the same signer), or to an unsigned image, which `--require-signed` refuses.
#[test]
fn update_verifies_what_it_proposes_and_require_signed_refuses_the_unsigned() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let moves = crate::SignedMoves::new(&registry, &cosign, "moving/app");
    let first_pem = moves.first.public.display().to_string();
    let second_pem = moves.second.public.display().to_string();
    let (same, rotated, unsigned) = (&moves.same.running, &moves.rotated.running, &moves.unsigned.running);
    let (same_new, unsigned_new) = (&moves.same.new, &moves.unsigned.new);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "update",
            "--json",
            "--verify-key",
            &first_pem,
            "--verify-key",
            &second_pem,
        ];
        args.extend_from_slice(extra);
        args.extend([same.as_str(), rotated.as_str(), unsigned.as_str()]);
        crate::oci_check_json(&args)
    };

    let (code, records) = run(&[]);
    assert_eq!(code, 10, "updates, none refused: {records:#?}");
    assert_eq!(records[0]["status"], "update_available");
    assert_eq!(records[0]["latest_digest"], same_new.as_str());
    assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[0]["same_signer"], true, "{records:#?}");
    assert_eq!(records[1]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[1]["signature"]["found_via"], "referrers-tag");
    assert_eq!(
        records[1]["same_signer"], false,
        "the project changed its key: {records:#?}"
    );
    assert_ne!(records[0]["signature"]["signer"], records[1]["signature"]["signer"]);
    assert_eq!(records[2]["status"], "update_available");
    assert_eq!(records[2]["signature"]["status"], "unsigned", "{records:#?}");
    assert_eq!(records[2]["same_signer"], Value::Null);
    assert_eq!(records[2]["latest_digest"], unsigned_new.as_str());

    let (code, records) = run(&["--require-signed"]);
    assert_eq!(code, 1, "an unsigned update is refused: {records:#?}");
    assert_eq!(records[0]["status"], "update_available");
    assert_eq!(records[1]["status"], "update_available");
    assert_eq!(records[2]["status"], "untrusted", "{records:#?}");

    // Without the second key, the rotated key's signature is a stranger's.
    let out = oci_check(
        &[
            "update",
            "--json",
            "--require-signed",
            "--verify-key",
            &first_pem,
            rotated,
        ],
        "",
    );
    assert_eq!(out.code, 1, "{out:?}");
    let record: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(record["status"], "untrusted");
    assert_eq!(record["signature"]["status"], "untrusted");

    // Without --verify-key the records have no signature fields at all.
    let out = oci_check(&["update", "--json", same], "");
    let record: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert!(
        record.get("signature").is_none() && record.get("same_signer").is_none(),
        "{record}"
    );

    // The table says it in the note.
    let out = oci_check(&["update", "--verify-key", &first_pem, same], "");
    assert_eq!(out.code, 10, "{out:?}");
    assert!(out.stdout.contains("signature verified by sha256:"), "{}", out.stdout);
}

/// A multi-arch tag: a signature on the index counts for every platform, one on a platform's image only for that
/// platform; the record names the digest the signature was found on.
#[test]
fn multi_arch_signed_at_the_index_or_at_one_child_counts_for_the_platforms_it_covers() {
    use oci_testkit::images::OCI_INDEX;

    let registry = Registry::open();
    let cosign = Cosign::new();
    let key = cosign.generate_key_pair("multi");
    let images = registry.images("multi/app").unwrap();
    let host = registry.host().to_owned();
    let ((index_signed, _), (child_signed, children)) = block_on(async {
        (
            images.list(OCI_INDEX, "at-index", "at-index").await.unwrap(),
            images.list(OCI_INDEX, "at-child", "at-child").await.unwrap(),
        )
    });
    cosign.sign(&key, &format!("{host}/multi/app@{}", index_signed.digest), Mode::Tag);
    // Only the amd64 image of the second index is signed.
    let amd64 = &children[0].digest;
    cosign.sign(&key, &format!("{host}/multi/app@{amd64}"), Mode::Referrers);
    let pem = key.public.display().to_string();
    let verify_on = |platform: &str, tag: &str| {
        crate::verify_json(&[
            "--key",
            &pem,
            "--platform",
            platform,
            &format!("{host}/multi/app:{tag}"),
        ])
    };

    for platform in ["linux/amd64", "linux/arm64"] {
        let (code, records) = verify_on(platform, "at-index");
        assert_eq!(code, 0, "{platform}: {records:#?}");
        assert_eq!(
            records[0]["signature"]["status"], "verified",
            "{platform}: {records:#?}"
        );
        assert_eq!(
            records[0]["signature"]["signed_digest"],
            index_signed.digest.as_str(),
            "{records:#?}"
        );
    }
    let (code, records) = verify_on("linux/amd64", "at-child");
    assert_eq!(code, 0, "{records:#?}");
    assert_eq!(records[0]["digest"], child_signed.digest.as_str());
    assert_eq!(records[0]["platform_digest"], amd64.as_str(), "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[0]["signature"]["signed_digest"], amd64.as_str(), "{records:#?}");
    assert_eq!(records[0]["signature"]["found_via"], "referrers-tag", "{records:#?}");
    let (code, records) = verify_on("linux/arm64", "at-child");
    assert_eq!(code, 1, "the arm64 image is not signed, nor is the index: {records:#?}");
    assert_eq!(records[0]["signature"]["status"], "unsigned", "{records:#?}");
}
