//! Notation signatures in `oci-check verify`: JWS envelopes attached as `notation sign` attaches them, verified
//! against the CA given with `--notation-root`, scoped like keys.

use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{Notary, Registry, TempDir, Tsa, block_on};

use crate::{oci_check, verify_json as verify};

#[test]
fn notation_signatures_verify_against_their_ca_only_and_a_copied_envelope_is_invalid() {
    let registry = Registry::open();
    let images = registry.images("notary/app").unwrap();
    let host = registry.host().to_owned();
    let notary = Notary::new("wabbit-networks.io");
    let stranger = Notary::new("stranger.example");
    let dir = TempDir::new("oci-notation");
    let root = notary.write_root(dir.path(), "wabbit.pem").display().to_string();
    let other_root = stranger.write_root(dir.path(), "stranger.pem").display().to_string();
    let (signed, copied) = block_on(async {
        let signed = images.image(OCI_MANIFEST, "signed", Some("signed")).await.unwrap();
        let copied = images.image(OCI_MANIFEST, "copied", Some("copied")).await.unwrap();
        notary.attach(&images, &signed).await.unwrap();
        // The envelope for `signed`, attached to `copied`.
        notary
            .attach_envelope(&images, &copied, &notary.sign(&signed))
            .await
            .unwrap();
        (signed, copied)
    });
    let (signed_tag, copied_tag) = (format!("{host}/notary/app:signed"), format!("{host}/notary/app:copied"));

    let (code, records) = verify(&["--notation-root", &root, &signed_tag]);
    assert_eq!(code, 0, "{records:#?}");
    let signature = &records[0]["signature"];
    assert_eq!(records[0]["digest"], signed.digest.as_str());
    assert_eq!(signature["status"], "verified", "{records:#?}");
    assert_eq!(signature["format"], "notation", "{records:#?}");
    assert_eq!(signature["found_via"], "referrers-tag", "{records:#?}");
    assert_eq!(signature["signer"], "CN=wabbit-networks.io", "{records:#?}");

    let (code, records) = verify(&["--notation-root", &other_root, &signed_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "untrusted", "{records:#?}");

    // Scoped to other repositories, the CA does not apply; scoped to this one, it does.
    let scoped = format!("{host}/other/*={root}");
    let (code, records) = verify(&["--notation-root", &scoped, &signed_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "untrusted", "{records:#?}");
    let scoped = format!("{host}/notary/*={root}");
    assert_eq!(verify(&["--notation-root", &scoped, &signed_tag]).0, 0);

    // A trusted identity narrows the CA to the certificates whose subject has its attributes.
    for (identity, status) in [
        ("x509.subject: CN=wabbit-networks.io", "verified"),
        ("CN=stranger.example", "untrusted"),
        ("CN=wabbit-networks.io, O=Wabbit", "untrusted"),
    ] {
        let (_, records) = verify(&["--notation-root", &root, "--notation-identity", identity, &signed_tag]);
        assert_eq!(records[0]["signature"]["status"], status, "{identity}: {records:#?}");
    }
    let out = oci_check(
        &[
            "verify",
            "--notation-root",
            &root,
            "--notation-identity",
            "CN",
            &signed_tag,
        ],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--notation-identity"), "{out:?}");

    let (code, records) = verify(&["--notation-root", &root, &copied_tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["digest"], copied.digest.as_str());
    assert_eq!(records[0]["signature"]["status"], "invalid", "{records:#?}");

    // A file that is not PEM certificates is a usage error that names the option.
    let not_pem = dir.path().join("not-pem.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let out = oci_check(
        &["verify", "--notation-root", &not_pem.display().to_string(), &signed_tag],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--notation-root"), "{out:?}");
}

/// `--notation-tsa-root`: an envelope timestamped by an RFC 3161 authority (the test kit's, OpenSSL's `ts -reply`) is
/// verified when the authority chains to the root given (a DER file here, PEM for the other), and invalid when it
/// does not: the timestamp is checked, not passed over. The option needs `--notation-root`.
#[test]
fn a_timestamped_notation_signature_is_checked_against_the_tsa_root_given() {
    let registry = Registry::open();
    let images = registry.images("notary/stamped").unwrap();
    let notary = Notary::new("wabbit-networks.io");
    let (tsa, other_tsa) = (Tsa::new(), Tsa::new());
    let dir = TempDir::new("oci-notation-tsa");
    let root = notary.write_root(dir.path(), "wabbit.pem").display().to_string();
    // As notation's trust stores may hold it: DER (a `.cer`), not PEM.
    let tsa_root = dir.path().join("tsa.cer");
    std::fs::write(&tsa_root, tsa.root_der()).unwrap();
    let tsa_root = tsa_root.display().to_string();
    let other_tsa_root = other_tsa.write_root(dir.path(), "other-tsa.pem").display().to_string();
    block_on(async {
        let signed = images.image(OCI_MANIFEST, "stamped", Some("stamped")).await.unwrap();
        let envelope = notary.sign_timestamped(&signed, &tsa);
        notary.attach_envelope(&images, &signed, &envelope).await.unwrap();
    });
    let tag = format!("{}/notary/stamped:stamped", registry.host());

    for args in [
        vec!["--notation-root", &root, &tag],
        vec!["--notation-root", &root, "--notation-tsa-root", &tsa_root, &tag],
    ] {
        let (code, records) = verify(&args);
        assert_eq!(code, 0, "{args:?}: {records:#?}");
        assert_eq!(records[0]["signature"]["status"], "verified", "{records:#?}");
    }
    let (code, records) = verify(&["--notation-root", &root, "--notation-tsa-root", &other_tsa_root, &tag]);
    assert_eq!(code, 1, "{records:#?}");
    assert_eq!(records[0]["signature"]["status"], "invalid", "{records:#?}");
    let note = records[0]["signature"]["note"].as_str().unwrap_or_default();
    assert!(note.contains("timestamp"), "{records:#?}");

    let out = oci_check(&["verify", "--notation-tsa-root", &tsa_root, &tag], "");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--notation-root"), "{out:?}");
}
