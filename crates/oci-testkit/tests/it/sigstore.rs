//! `Sigstore`: the private instance's keyless bundles are what the real cosign accepts, offline, against the
//! instance's `trusted_root.json`, and only for the identity and issuer its certificate names.

use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::sigstore::{SIGN_PREDICATE, Signing, now};
use oci_testkit::{Cosign, Registry, Sigstore, block_on};

const IDENTITY: &str = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

#[test]
fn an_attached_keyless_bundle_verifies_with_cosign_for_its_identity_only() {
    let registry = Registry::open();
    let images = registry.images("keyless/app").unwrap();
    let sigstore = Sigstore::new();
    let cosign = Cosign::new();
    let root = sigstore.write_trusted_root(cosign.dir(), "trusted_root.json");
    let image = block_on(images.image(OCI_MANIFEST, "keyless", Some("v1"))).unwrap();
    let signing = Signing {
        identity: IDENTITY,
        issuer: ISSUER,
        integrated_time: now(),
    };
    let bundle = sigstore.sign_image(&image.digest, &signing);
    block_on(Sigstore::attach(&images, &image, &bundle, SIGN_PREDICATE)).unwrap();

    let ca = cosign.dir().join("ca.pem");
    std::fs::write(&ca, sigstore.ca_pem()).unwrap();
    let log_key = cosign.dir().join("rekor.pub");
    std::fs::write(&log_key, sigstore.log_key_pem()).unwrap();
    let ct_key = cosign.dir().join("ctfe.pub");
    std::fs::write(&ct_key, sigstore.ct_key_pem()).unwrap();
    let reference = format!("{}/keyless/app@{}", registry.host(), image.digest);
    let verify = |identity: &str, issuer: &str| {
        let out = cosign
            .cosign()
            .env("SIGSTORE_REKOR_PUBLIC_KEY", &log_key)
            .env("SIGSTORE_ROOT_FILE", &ca)
            .env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ct_key)
            .args([
                "verify-attestation",
                "--new-bundle-format",
                "--offline=true",
                "--trusted-root",
            ])
            .arg(&root)
            .args([
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                issuer,
                "--type",
                SIGN_PREDICATE,
                "--allow-insecure-registry",
                "--allow-http-registry",
                &reference,
            ])
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, output) = verify(IDENTITY, ISSUER);
    assert!(ok, "cosign refused the bundle: {output}");
    let (ok, output) = verify(
        "https://github.com/other/app/.github/workflows/release.yml@refs/heads/main",
        ISSUER,
    );
    assert!(!ok, "cosign accepted another identity: {output}");
    let (ok, output) = verify(IDENTITY, "https://accounts.google.com");
    assert!(!ok, "cosign accepted another issuer: {output}");
}
