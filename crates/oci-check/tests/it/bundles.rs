//! Sigstore bundles in `oci-check verify` and `update`: bundles the real cosign attaches with a key (cosign 3's
//! image signature format), and keyless bundles from a private Sigstore instance, checked offline against its
//! `trusted_root.json` for an identity and an issuer.

use oci_testkit::cosign::Cosign;
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::sigstore::{SIGN_PREDICATE, Signing, now};
use oci_testkit::{Images, Registry, Sigstore, TempDir, block_on};

use crate::{oci_check, verify_json as verify};

const IDENTITY: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A registry with a repository of images, a private Sigstore instance, and its trusted root written to a
/// directory of the test's own (`root`, its path).
fn keyless_setup(repository: &str) -> (Registry, Images, Sigstore, TempDir, String) {
    let registry = Registry::open();
    let images = registry.images(repository).unwrap();
    let sigstore = Sigstore::new();
    let dir = TempDir::new("oci-keyless");
    let root = sigstore.write_trusted_root(dir.path(), "trusted_root.json");
    let root = root.display().to_string();
    (registry, images, sigstore, dir, root)
}

#[test]
fn bundles_cosign_attaches_with_a_key_verify_and_attestations_of_other_types_are_not_signatures() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let other = cosign.generate_key_pair("other");
    let images = registry.images("bundled/app").unwrap();
    let host = registry.host().to_owned();
    let (signed, attested) = block_on(async {
        let signed = images
            .image(OCI_MANIFEST, "signed", Some("signed"))
            .await
            .unwrap()
            .digest;
        let attested = images
            .image(OCI_MANIFEST, "attested", Some("attested"))
            .await
            .unwrap()
            .digest;
        (signed, attested)
    });
    cosign.attest_bundle(&trusted, &format!("{host}/bundled/app@{signed}"), SIGN_PREDICATE);
    // An SLSA provenance attestation by the trusted key is not a signature of the image.
    cosign.attest_bundle(
        &trusted,
        &format!("{host}/bundled/app@{attested}"),
        "https://slsa.dev/provenance/v1",
    );
    let (trusted_pem, other_pem) = (trusted.public.display().to_string(), other.public.display().to_string());
    let (signed_tag, attested_tag) = (
        format!("{host}/bundled/app:signed"),
        format!("{host}/bundled/app:attested"),
    );

    let (code, records) = verify(&["--key", &trusted_pem, &signed_tag]);
    assert_eq!(code, 0, "{records:#?}");
    let signature = &records[0]["signature"];
    assert_eq!(signature["status"], "verified", "{records:#?}");
    assert_eq!(signature["format"], "sigstore-bundle", "{records:#?}");
    assert_eq!(signature["found_via"], "referrers-tag", "{records:#?}");
    assert!(
        signature["signer"].as_str().unwrap().starts_with("sha256:"),
        "{records:#?}"
    );

    // With a trusted root for keyless signatures as well, a keyed bundle without log entries still stands on its key.
    let dir = TempDir::new("oci-keyed-and-keyless");
    let root = Sigstore::new().write_trusted_root(dir.path(), "trusted_root.json");
    let root = root.display().to_string();
    let (code, records) = verify(&[
        "--key",
        &trusted_pem,
        "--trusted-root",
        &root,
        "--identity",
        ".*",
        "--issuer",
        ISSUER,
        &signed_tag,
    ]);
    assert_eq!(code, 0, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");

    let (code, records) = verify(&["--key", &other_pem, &signed_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "untrusted", "{records:#?}");

    let (code, records) = verify(&["--key", &trusted_pem, &attested_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "unsigned", "{records:#?}");
}

#[test]
fn keyless_bundles_verify_for_their_identity_and_issuer_and_a_bundle_for_another_digest_is_invalid() {
    let (registry, images, sigstore, dir, root) = keyless_setup("keyless/app");
    let host = registry.host().to_owned();
    let signing = Signing {
        identity: IDENTITY,
        issuer: ISSUER,
        integrated_time: now(),
    };
    let (signed, copied, message) = block_on(async {
        let signed = images.image(OCI_MANIFEST, "signed", Some("signed")).await.unwrap();
        let copied = images.image(OCI_MANIFEST, "copied", Some("copied")).await.unwrap();
        let bundle = sigstore.sign_image(&signed.digest, &signing);
        Sigstore::attach(&images, &signed, &bundle, SIGN_PREDICATE)
            .await
            .unwrap();
        // The same bundle attached to another image: it signs the first one's digest.
        Sigstore::attach(&images, &copied, &bundle, SIGN_PREDICATE)
            .await
            .unwrap();
        // A message signature over the manifest's bytes (no in-toto statement, so no predicate annotation).
        let message = images.image(OCI_MANIFEST, "message", Some("message")).await.unwrap();
        let bundle = sigstore.sign_manifest(&message.bytes, &signing);
        let kind = oci_testkit::sigstore::BUNDLE_ARTIFACT;
        images
            .attach(&message, kind, kind, &bundle, serde_json::json!({}))
            .await
            .unwrap();
        (signed, copied, message)
    });
    let (signed_tag, copied_tag) = (
        format!("{host}/keyless/app:signed"),
        format!("{host}/keyless/app:copied"),
    );
    let keyless = |identity: &'static str, issuer: &'static str| {
        vec!["--trusted-root", &*root, "--identity", identity, "--issuer", issuer]
    };

    let identity_regex = "https://github\\.com/acme/.*";
    let mut args = keyless(identity_regex, ISSUER);
    args.push(&signed_tag);
    let (code, records) = verify(&args);
    assert_eq!(code, 0, "{records:#?}");
    let signature = &records[0]["signature"];
    assert_eq!(records[0]["digest"], signed.digest.as_str());
    assert_eq!(signature["status"], "verified", "{records:#?}");
    assert_eq!(signature["format"], "sigstore-bundle", "{records:#?}");
    assert_eq!(signature["signer"], IDENTITY, "{records:#?}");

    // A message-signature bundle signs the manifest's bytes, which are read for it.
    let message_tag = format!("{host}/keyless/app:message");
    let mut args = keyless(identity_regex, ISSUER);
    args.push(&message_tag);
    let (code, records) = verify(&args);
    assert_eq!(code, 0, "{records:#?}");
    assert_eq!(records[0]["digest"], message.digest.as_str());
    assert_eq!(records[0]["signature"]["signer"], IDENTITY, "{records:#?}");

    // The regex must match the whole identity, and the issuer exactly.
    for (identity, issuer) in [
        ("https://github\\.com/acme", ISSUER),
        ("https://github\\.com/other/.*", ISSUER),
        (identity_regex, "https://accounts.google.com"),
    ] {
        let mut args = keyless(identity, issuer);
        args.push(&signed_tag);
        let (code, records) = verify(&args);
        assert_eq!(code, 1, "{identity} {issuer}: {records:#?}");
        assert_eq!(
            records[0]["signature"]["status"], "untrusted",
            "{identity} {issuer}: {records:#?}"
        );
    }

    let mut args = keyless(identity_regex, ISSUER);
    args.push(&copied_tag);
    let (code, records) = verify(&args);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["digest"], copied.digest.as_str());
    assert_eq!(records[0]["signature"]["status"], "invalid", "{records:#?}");

    // The keyless options come together, and the trusted root must read.
    for args in [
        vec!["verify", "--identity", IDENTITY, "--issuer", ISSUER, &signed_tag],
        vec!["verify", "--trusted-root", &root, "--issuer", ISSUER, &signed_tag],
        vec![
            "verify",
            "--trusted-root",
            &root,
            "--identity",
            "(",
            "--issuer",
            ISSUER,
            &signed_tag,
        ],
    ] {
        let out = oci_check(&args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
    }
    let not_a_root = dir.path().join("not-a-root.json");
    std::fs::write(&not_a_root, "{}").unwrap();
    let not_a_root = not_a_root.display().to_string();
    let out = oci_check(
        &[
            "verify",
            "--trusted-root",
            &not_a_root,
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
            &signed_tag,
        ],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--trusted-root"), "{out:?}");
}

/// `update` with the keyless options: the new images' keyless signatures, whether the workflow that signed them
/// is the one that signed the image in use, and `--require-signed` refusing an unsigned one.
#[test]
fn update_verifies_keyless_proposals_and_tells_a_change_of_identity() {
    let (registry, images, sigstore, _dir, root) = keyless_setup("keyless/moving");
    let host = registry.host().to_owned();
    let other_workflow = "https://github.com/acme/app/.github/workflows/nightly.yml@refs/heads/main";
    let sign = |image: &oci_testkit::Pushed, identity: &str| {
        let signing = Signing {
            identity,
            issuer: ISSUER,
            integrated_time: now(),
        };
        let bundle = sigstore.sign_image(&image.digest, &signing);
        block_on(Sigstore::attach(&images, image, &bundle, SIGN_PREDICATE)).unwrap();
    };
    let mut in_use = Vec::new();
    for (tag, new_signer) in [
        ("same", Some(IDENTITY)),
        ("other", Some(other_workflow)),
        ("unsigned", None),
    ] {
        let (old, new) = block_on(images.moved(tag)).unwrap();
        sign(&old, IDENTITY);
        if let Some(identity) = new_signer {
            sign(&new, identity);
        }
        in_use.push(format!("{host}/keyless/moving:{tag}@{}", old.digest));
    }
    let run = |extra: &[&str]| {
        let mut args = vec![
            "update",
            "--json",
            "--trusted-root",
            &root,
            "--identity",
            "https://github\\.com/acme/app/.*",
            "--issuer",
            ISSUER,
        ];
        args.extend_from_slice(extra);
        args.extend(in_use.iter().map(String::as_str));
        crate::oci_check_json(&args)
    };

    let (code, records) = run(&[]);
    assert_eq!(code, 10, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[0]["signature"]["signer"], IDENTITY, "{records:#?}");
    assert_eq!(records[0]["same_signer"], true, "{records:#?}");
    assert_eq!(records[1]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[1]["signature"]["signer"], other_workflow, "{records:#?}");
    assert_eq!(
        records[1]["same_signer"], false,
        "another workflow signed it: {records:#?}"
    );
    assert_eq!(records[2]["signature"]["status"], "unsigned", "{records:#?}");

    let (code, records) = run(&["--require-signed"]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["status"], "update_available", "{records:#?}");
    assert_eq!(records[2]["status"], "untrusted", "{records:#?}");
}

/// An identity is text from a certificate: the table shows it escaped, JSON as it is.
#[test]
fn a_keyless_identity_with_control_characters_is_escaped_in_the_table() {
    let (registry, images, sigstore, _dir, root) = keyless_setup("keyless/hostile");
    let identity = "https://evil.example/\u{1b}[2J\u{1b}[31mtrusted";
    let signing = Signing {
        identity,
        issuer: ISSUER,
        integrated_time: now(),
    };
    block_on(async {
        let image = images.image(OCI_MANIFEST, "hostile", Some("v1")).await.unwrap();
        let bundle = sigstore.sign_image(&image.digest, &signing);
        Sigstore::attach(&images, &image, &bundle, SIGN_PREDICATE)
            .await
            .unwrap();
    });
    let tag = format!("{}/keyless/hostile:v1", registry.host());
    let trust = [
        "--trusted-root",
        &*root,
        "--identity",
        "https://evil\\.example/.*",
        "--issuer",
        ISSUER,
    ];
    let mut args = vec!["verify"];
    args.extend(trust);
    args.push(&tag);
    let out = oci_check(&args, "");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains('\u{1b}'), "{out:?}");
    assert!(out.stdout.contains("evil.example"), "{out:?}");
    let mut args = trust.to_vec();
    args.push(&tag);
    let (code, records) = verify(&args);
    assert_eq!(code, 0, "{records:#?}");
    assert_eq!(records[0]["signature"]["signer"], identity, "{records:#?}");
}

/// A bundle as cosign 3 writes it with Rekor v2: the log entry has no time of its own, and its signing time is an
/// RFC 3161 timestamp (OpenSSL's, from the test kit's timestamp authority). It verifies against a trusted root that
/// lists the authority, and is invalid against one that does not: nobody vouches for when it was signed.
#[test]
fn a_rekor_v2_bundle_verifies_at_its_timestamp_and_not_without_the_timestamp_authority() {
    let (registry, images, sigstore, dir, root) = keyless_setup("rekor2/app");
    let no_tsa = dir.path().join("no_tsa.json");
    std::fs::write(&no_tsa, sigstore.trusted_root_json_without_tsa()).unwrap();
    let signed = block_on(async {
        let signed = images.image(OCI_MANIFEST, "signed", Some("v2")).await.unwrap();
        let signing = Signing {
            identity: IDENTITY,
            issuer: ISSUER,
            integrated_time: now(),
        };
        let bundle = sigstore.sign_image_rekor_v2(&signed.digest, &signing);
        Sigstore::attach(&images, &signed, &bundle, SIGN_PREDICATE)
            .await
            .unwrap();
        signed
    });
    let tag = format!("{}/rekor2/app:v2", registry.host());
    let run = |root: &std::path::Path| {
        let root = root.display().to_string();
        verify(&[
            "--trusted-root",
            &root,
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
            &tag,
        ])
    };

    let (code, records) = run(std::path::Path::new(&root));
    assert_eq!(code, 0, "{records:#?}");
    assert_eq!(records[0]["digest"], signed.digest.as_str());
    assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");
    assert_eq!(records[0]["signature"]["signer"], IDENTITY, "{records:#?}");

    let (code, records) = run(&no_tsa);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "invalid", "{records:#?}");
    let note = records[0]["signature"]["note"].as_str().unwrap_or_default();
    assert!(note.contains("timestamp authority"), "{records:#?}");
}
