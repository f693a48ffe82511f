//! The real cosign signs images in the real registry on loopback; the signature manifests and payloads are fetched
//! with oci-registry's public client and judged by oci-sign, and `cosign verify` must agree on every case.

use bytes::Bytes;
use oci_digest::Digest;
use oci_manifest::Manifest;
use oci_registry::{Client, ErrorKind as RegistryErrorKind, ManifestLocation, Repository};
use oci_sign::{
    ErrorKind, PublicKey, ReferrersTag, SignatureForm, SignatureManifest, SignatureTag, Signer, Verdict,
    signature_descriptors,
};
use oci_testkit::cosign::{KeyPair, Mode};
use oci_testkit::images::OCI_MANIFEST;
use oci_testkit::{Cosign, Registry, block_on};
use serde_json::Value;

const REPOSITORY: &str = "signed/app";

fn public_key(pair: &KeyPair) -> PublicKey {
    std::fs::read_to_string(&pair.public).unwrap().parse().unwrap()
}

/// Fetches a signature manifest and its payload blobs as a caller would, and gives oci-sign's verdict.
async fn judge(
    client: &Client,
    repository: &Repository,
    signed: &Digest,
    manifest: &Manifest,
    keys: &[PublicKey],
) -> Verdict {
    let signatures = match SignatureManifest::from_manifest(signed, manifest) {
        Ok(signatures) => signatures,
        Err(reason) => return Verdict::Invalid { reason },
    };
    let mut blobs: Vec<(Digest, Bytes)> = Vec::new();
    for digest in signatures.blobs() {
        let bytes = client
            .blob(repository, digest)
            .await
            .unwrap()
            .bytes(1 << 20)
            .await
            .unwrap();
        blobs.push((digest.clone(), bytes));
    }
    signatures.verify(
        |wanted| blobs.iter().find(|(d, _)| d == wanted).map(|(_, b)| &b[..]),
        &oci_sign::Trust::keys(keys.iter().cloned()),
    )
}

/// The manifest at `location`, parsed with the `Content-Type` it was served with.
async fn fetch(client: &Client, location: &ManifestLocation) -> Manifest {
    let fetched = client.manifest(location).await.unwrap();
    Manifest::parse(fetched.bytes(), fetched.media_type()).unwrap()
}

/// The manifest under `signed`'s legacy signature tag.
async fn signature_tag(client: &Client, repository: &Repository, signed: &Digest) -> Manifest {
    let tag = SignatureTag::new(signed).to_string();
    fetch(client, &repository.tag(&tag).unwrap()).await
}

fn invalid_kind(verdict: &Verdict) -> Option<ErrorKind> {
    match verdict {
        Verdict::Invalid { reason } => Some(reason.kind()),
        _ => None,
    }
}

#[test]
fn legacy_tag_signatures_judged_as_cosign_verify_judges_them() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let other = cosign.generate_key_pair("other");
    let (trusted_key, other_key) = (public_key(&trusted), public_key(&other));
    assert_ne!(trusted_key.id(), other_key.id());
    let images = registry.images(REPOSITORY).unwrap();
    let client = registry.client();
    let repository = Repository::new(registry.host(), REPOSITORY).unwrap();
    block_on(async {
        let a = images.image(OCI_MANIFEST, "a", Some("a")).await.unwrap().digest;
        let b = images.image(OCI_MANIFEST, "b", Some("b")).await.unwrap().digest;
        let unsigned = images.image(OCI_MANIFEST, "unsigned", Some("c")).await.unwrap().digest;
        let image = |digest: &Digest| format!("{}/{REPOSITORY}@{digest}", registry.host());
        cosign.sign(&trusted, &image(&a), Mode::Tag);
        cosign.sign(&trusted, &image(&b), Mode::Tag);

        // Signed by the trusted key: verified, signer named by its key id; by another key: untrusted.
        let manifest_a = signature_tag(&client, &repository, &a).await;
        let parsed = SignatureManifest::from_manifest(&a, &manifest_a).unwrap();
        assert_eq!(parsed.form(), SignatureForm::Tag);
        assert_eq!(
            judge(
                &client,
                &repository,
                &a,
                &manifest_a,
                &[other_key.clone(), trusted_key.clone()]
            )
            .await,
            Verdict::Verified {
                signer: Signer::Key(trusted_key.id().clone())
            }
        );
        assert!(cosign.verify(&trusted.public, &image(&a), Mode::Tag).0);
        assert_eq!(
            judge(&client, &repository, &a, &manifest_a, std::slice::from_ref(&other_key)).await,
            Verdict::Untrusted
        );
        let (accepted, output) = cosign.verify(&other.public, &image(&a), Mode::Tag);
        assert!(!accepted, "{output}");

        // Unsigned: no signature tag at all (the caller's Unsigned), and cosign refuses it too.
        let missing = client
            .manifest(&repository.tag(&SignatureTag::new(&unsigned).to_string()).unwrap())
            .await
            .unwrap_err();
        assert_eq!(missing.kind(), RegistryErrorKind::NotFound);
        assert!(!cosign.verify(&trusted.public, &image(&unsigned), Mode::Tag).0);

        // A's signature manifest pushed as B's: a payload for another digest, whoever signed it.
        let b_tag = SignatureTag::new(&b).to_string();
        images
            .manifest(OCI_MANIFEST, Bytes::copy_from_slice(manifest_a.bytes()), Some(&b_tag))
            .await
            .unwrap();
        let copied = signature_tag(&client, &repository, &b).await;
        assert_eq!(copied.bytes(), manifest_a.bytes());
        let verdict = judge(&client, &repository, &b, &copied, std::slice::from_ref(&trusted_key)).await;
        assert_eq!(invalid_kind(&verdict), Some(ErrorKind::OtherDigest), "{verdict}");
        let (accepted, output) = cosign.verify(&trusted.public, &image(&b), Mode::Tag);
        assert!(!accepted, "{output}");

        // A's signature with its first byte changed (the DER SEQUENCE becomes a SET): invalid, and cosign refuses it.
        let mut value: Value = serde_json::from_slice(manifest_a.bytes()).unwrap();
        let annotation = &mut value["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"];
        let mut signature = crate::base64_decode(annotation.as_str().unwrap());
        signature[0] ^= 0x01;
        *annotation = oci_testkit::base64(&signature).into();
        let a_tag = SignatureTag::new(&a).to_string();
        images
            .manifest(
                OCI_MANIFEST,
                Bytes::from(serde_json::to_vec(&value).unwrap()),
                Some(&a_tag),
            )
            .await
            .unwrap();
        let corrupted = signature_tag(&client, &repository, &a).await;
        let verdict = judge(&client, &repository, &a, &corrupted, std::slice::from_ref(&trusted_key)).await;
        assert_eq!(invalid_kind(&verdict), Some(ErrorKind::Signature), "{verdict}");
        let (accepted, output) = cosign.verify(&trusted.public, &image(&a), Mode::Tag);
        assert!(!accepted, "{output}");

        // B signed again by cosign, over the copied manifest: cosign appends its layer, and the trusted signature
        // for B wins over the copied one, for both of us.
        cosign.sign(&trusted, &image(&b), Mode::Tag);
        let resigned = signature_tag(&client, &repository, &b).await;
        let layers = resigned.as_image().unwrap().layers().len();
        assert_eq!(layers, 2, "cosign appends a signature layer");
        assert_eq!(
            judge(&client, &repository, &b, &resigned, std::slice::from_ref(&trusted_key)).await,
            Verdict::Verified {
                signer: Signer::Key(trusted_key.id().clone())
            }
        );
        assert!(cosign.verify(&trusted.public, &image(&b), Mode::Tag).0);
    });
}

#[test]
fn oci_1_1_signatures_found_through_the_referrers_tag_among_other_referrers() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let other = cosign.generate_key_pair("other");
    let (trusted_key, other_key) = (public_key(&trusted), public_key(&other));
    let images = registry.images(REPOSITORY).unwrap();
    let client = registry.client();
    let repository = Repository::new(registry.host(), REPOSITORY).unwrap();
    block_on(async {
        let a = images.image(OCI_MANIFEST, "a", Some("a")).await.unwrap().digest;
        let image = format!("{}/{REPOSITORY}@{a}", registry.host());
        cosign.sign(&trusted, &image, Mode::Referrers);
        cosign.attach(&image, "application/spdx+json", r#"{"spdxVersion":"SPDX-2.3"}"#);

        // distribution 2.8 has no referrers API: both referrers are listed under the referrers tag, and no legacy
        // signature tag was written.
        let tags = client.tags(&repository).await.unwrap();
        let referrers_tag = ReferrersTag::new(&a).to_string();
        assert!(tags.contains(&referrers_tag), "{tags:?}");
        assert!(!tags.contains(&SignatureTag::new(&a).to_string()), "{tags:?}");
        let index = fetch(&client, &repository.tag(&referrers_tag).unwrap()).await;
        let index = index.as_index().unwrap();
        assert_eq!(index.manifests().len(), 2, "{index:?}");
        let picked: Vec<Digest> = signature_descriptors(index).map(|d| d.digest().clone()).collect();
        assert_eq!(picked.len(), 1, "only cosign's signature, not the SBOM: {index:?}");

        let manifest = fetch(&client, &repository.digest(picked[0].clone())).await;
        let parsed = SignatureManifest::from_manifest(&a, &manifest).unwrap();
        assert_eq!(parsed.form(), SignatureForm::Artifact);
        assert_eq!(
            judge(&client, &repository, &a, &manifest, std::slice::from_ref(&trusted_key)).await,
            Verdict::Verified {
                signer: Signer::Key(trusted_key.id().clone())
            }
        );
        let (accepted, output) = cosign.verify(&trusted.public, &image, Mode::Referrers);
        assert!(accepted, "{output}");
        assert_eq!(
            judge(&client, &repository, &a, &manifest, std::slice::from_ref(&other_key)).await,
            Verdict::Untrusted
        );
        let (accepted, output) = cosign.verify(&other.public, &image, Mode::Referrers);
        assert!(!accepted, "{output}");

        // The SBOM is no signature manifest, and the signature is not one for another image.
        let sbom = index.manifests().iter().find(|d| d.digest() != &picked[0]).unwrap();
        let sbom = fetch(&client, &repository.digest(sbom.digest().clone())).await;
        assert_eq!(
            SignatureManifest::from_manifest(&a, &sbom).map_err(|e| e.kind()),
            Err(ErrorKind::NotASignature)
        );
        let b = images.image(OCI_MANIFEST, "b", Some("b")).await.unwrap().digest;
        let verdict = judge(&client, &repository, &b, &manifest, std::slice::from_ref(&trusted_key)).await;
        assert_eq!(invalid_kind(&verdict), Some(ErrorKind::SubjectMismatch), "{verdict}");
    });
}

/// The test kit's cosign cannot leave the machine: asked to verify against the transparency log, it needs Sigstore's
/// TUF repository, and its request goes to the dead proxy and fails, rather than out.
#[test]
fn the_test_cosign_reaches_no_sigstore_service() {
    let registry = Registry::open();
    let cosign = Cosign::new();
    let trusted = cosign.generate_key_pair("trusted");
    let images = registry.images(REPOSITORY).unwrap();
    let a = block_on(images.image(OCI_MANIFEST, "a", Some("a"))).unwrap().digest;
    let image = format!("{}/{REPOSITORY}@{a}", registry.host());
    cosign.sign(&trusted, &image, Mode::Tag);
    let out = cosign
        .cosign()
        .args(["verify", "--key"])
        .arg(&trusted.public)
        .args(["--allow-insecure-registry", &image])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("proxyconnect tcp: dial tcp 127.0.0.1:9"), "{stderr}");
}
