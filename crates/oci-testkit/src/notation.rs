//! A notation signer for tests: a CA (a root issuing one code-signing certificate) and JWS envelopes
//! (`notary.x509`, ES256) for image digests, attached as `notation sign` attaches them.
//!
//! notation itself is not in Debian; its envelopes are pinned by `oci-sign`'s tests against ones notation wrote
//! (notation-go's test data). This stands in for `notation sign` so that the CLI can be tested against the real
//! registry: the same envelope, the same artifact manifest (`application/vnd.cncf.notary.signature` with a
//! `application/jose+json` layer and `subject`).

use std::path::{Path, PathBuf};

use oci_registry::Error;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::json;

use crate::base64;
use crate::images::{Images, Pushed};
use crate::temp::base64url;

/// The artifact type of notation's signature manifests.
pub const NOTATION_ARTIFACT: &str = "application/vnd.cncf.notary.signature";

/// A root CA and the signing certificate it issued, with the certificate's key.
pub struct Notary {
    root_der: Vec<u8>,
    leaf_der: Vec<u8>,
    signer: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Notary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notary").finish_non_exhaustive()
    }
}

impl Default for Notary {
    fn default() -> Self {
        Self::new("wabbit-networks.io")
    }
}

impl Notary {
    /// A root CA and a code-signing certificate for `CN=name` it issued, valid from 2020 to 2090.
    pub fn new(name: &str) -> Self {
        let ca = || {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, format!("{name} root"));
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2090, 1, 1);
            params
        };
        let root_key = KeyPair::generate().unwrap();
        let root = ca().self_signed(&root_key).unwrap();
        let issuer = Issuer::new(ca(), root_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2090, 1, 1);
        let leaf = params.signed_by(&leaf_key, &issuer).unwrap();
        let rng = SystemRandom::new();
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &leaf_key.serialize_der(), &rng).unwrap();
        Self {
            root_der: root.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
            signer,
            rng,
        }
    }

    /// Writes the root CA in PEM to `dir/name` (a notation trust store's certificate) and gives the path.
    pub fn write_root(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let body = base64(&self.root_der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).unwrap())
            .collect();
        std::fs::write(
            &path,
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            ),
        )
        .unwrap();
        path
    }

    /// A JWS envelope as `notation sign` writes one for `subject` (scheme `notary.x509`, ES256, the signing
    /// certificate in `x5c`).
    pub fn sign(&self, subject: &Pushed) -> Vec<u8> {
        let header = json!({
            "alg": "ES256",
            "cty": "application/vnd.cncf.notary.payload.v1+json",
            "crit": ["io.cncf.notary.signingScheme"],
            "io.cncf.notary.signingScheme": "notary.x509",
            "io.cncf.notary.signingTime": "2026-12-01T10:00:00Z"
        });
        let payload = json!({"targetArtifact": {
            "mediaType": subject.media_type,
            "digest": subject.digest.to_string(),
            "size": subject.bytes.len()
        }});
        let protected = base64url(header.to_string().as_bytes());
        let payload = base64url(payload.to_string().as_bytes());
        let signature = self
            .signer
            .sign(&self.rng, format!("{protected}.{payload}").as_bytes())
            .unwrap();
        json!({
            "payload": payload,
            "protected": protected,
            "header": {"x5c": [base64(&self.leaf_der)], "io.cncf.notary.signingAgent": "oci-testkit"},
            "signature": base64url(signature.as_ref())
        })
        .to_string()
        .into_bytes()
    }

    /// Signs `subject` and attaches the envelope as `notation sign` does, listed under the referrers tag.
    pub async fn attach(&self, images: &Images, subject: &Pushed) -> Result<Pushed, Error> {
        let envelope = self.sign(subject);
        let annotations = json!({"io.cncf.notary.x509chain.thumbprint#S256": "[]"});
        images
            .attach(
                subject,
                NOTATION_ARTIFACT,
                "application/jose+json",
                &envelope,
                annotations,
            )
            .await
    }
}
