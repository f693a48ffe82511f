//! A notation signer for tests: a CA (a root issuing one code-signing certificate) and JWS envelopes
//! (`notary.x509`, ES256) for image digests, attached as `notation sign` attaches them.
//!
//! notation itself is not in Debian; its envelopes are pinned by `oci-sign`'s tests against ones notation wrote
//! (notation-go's test data). This stands in for `notation sign` so that the CLI can be tested against the real
//! registry: the same envelope, the same artifact manifest (`application/vnd.cncf.notary.signature` with a
//! `application/jose+json` layer and `subject`).

use std::path::{Path, PathBuf};

use oci_registry::Error;
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::json;

use crate::base64;
use crate::images::{Images, Pushed};
use crate::pki::ca_params;
use crate::temp::{base64url, pem};
use crate::tsa::Tsa;

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
        Self::with_leaf(name, |_| {})
    }

    /// As [`new`](Self::new), with the signing certificate's parameters (validity, key and extended key usages...)
    /// changed by `leaf` before it is issued: for the certificates a verifier must refuse.
    pub fn with_leaf(name: &str, leaf: impl FnOnce(&mut CertificateParams)) -> Self {
        let ca = || ca_params(&format!("{name} root"));
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
        leaf(&mut params);
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
        std::fs::write(&path, pem("CERTIFICATE", &self.root_der)).unwrap();
        path
    }

    /// A JWS envelope as `notation sign` writes one for `subject` (scheme `notary.x509`, ES256, the signing
    /// certificate in `x5c`).
    pub fn sign(&self, subject: &Pushed) -> Vec<u8> {
        self.sign_with(subject, None)
    }

    /// As [`sign`](Self::sign), with `tsa`'s RFC 3161 countersignature of the signature in the unprotected header
    /// (`io.cncf.notary.timestampSignature`), as `notation sign --timestamp-url` writes it.
    pub fn sign_timestamped(&self, subject: &Pushed, tsa: &Tsa) -> Vec<u8> {
        self.sign_with(subject, Some(tsa))
    }

    fn sign_with(&self, subject: &Pushed, tsa: Option<&Tsa>) -> Vec<u8> {
        let payload = json!({"targetArtifact": {
            "mediaType": subject.media_type,
            "digest": subject.digest.to_string(),
            "size": subject.bytes.len()
        }});
        self.envelope(&Self::header(), &payload, tsa)
    }

    /// The protected header `notation sign` writes: scheme `notary.x509`, ES256, a signing time.
    pub fn header() -> serde_json::Value {
        json!({
            "alg": "ES256",
            "cty": "application/vnd.cncf.notary.payload.v1+json",
            "crit": ["io.cncf.notary.signingScheme"],
            "io.cncf.notary.signingScheme": "notary.x509",
            "io.cncf.notary.signingTime": "2026-12-01T10:00:00Z"
        })
    }

    /// A JWS envelope of `payload` under the protected `header` (any, for the envelopes a verifier must refuse),
    /// signed ES256 by the signing certificate, countersigned by `tsa` when given.
    pub fn envelope(&self, header: &serde_json::Value, payload: &serde_json::Value, tsa: Option<&Tsa>) -> Vec<u8> {
        let protected = base64url(header.to_string().as_bytes());
        let payload = base64url(payload.to_string().as_bytes());
        let signature = self
            .signer
            .sign(&self.rng, format!("{protected}.{payload}").as_bytes())
            .unwrap();
        let mut header = json!({"x5c": [base64(&self.leaf_der)], "io.cncf.notary.signingAgent": "oci-testkit"});
        if let Some(tsa) = tsa {
            header["io.cncf.notary.timestampSignature"] = base64(&tsa.timestamp(signature.as_ref(), true)).into();
        }
        json!({
            "payload": payload,
            "protected": protected,
            "header": header,
            "signature": base64url(signature.as_ref())
        })
        .to_string()
        .into_bytes()
    }

    /// Signs `subject` and attaches the envelope as `notation sign` does, listed under the referrers tag.
    pub async fn attach(&self, images: &Images, subject: &Pushed) -> Result<Pushed, Error> {
        self.attach_envelope(images, subject, &self.sign(subject)).await
    }

    /// The root CA's certificate (DER).
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The signing certificate (DER).
    pub fn leaf_der(&self) -> &[u8] {
        &self.leaf_der
    }

    /// Attaches `envelope` (from [`sign`](Self::sign) or [`sign_timestamped`](Self::sign_timestamped)) to
    /// `subject` as `notation sign` does, listed under the referrers tag.
    pub async fn attach_envelope(&self, images: &Images, subject: &Pushed, envelope: &[u8]) -> Result<Pushed, Error> {
        let annotations = json!({"io.cncf.notary.x509chain.thumbprint#S256": "[]"});
        images
            .attach(
                subject,
                NOTATION_ARTIFACT,
                "application/jose+json",
                envelope,
                annotations,
            )
            .await
    }
}
