//! Image signatures without IO: cosign's simple-signing signatures (its legacy tag form and OCI 1.1 artifacts),
//! Sigstore bundles (keyed or keyless) and notation's JWS envelopes, verified on ring.
//!
//! The key decision: this crate judges bytes it is handed and fetches nothing. Finding a digest's signatures (the
//! referrers API, the referrers tag, the `.sig` tag) is the registry client's job; this crate names the tags
//! ([`SignatureTag`], [`ReferrersTag`]), picks the signatures out of a referrers index
//! ([`signature_descriptors`]), says which payload blobs to fetch ([`SignatureManifest::blobs`]) and gives the
//! [`Verdict`]. So every parser here is fuzzed without a network, and the verdict is unit-tested without a registry.
//!
//! - [`PublicKey`]: a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) for ECDSA P-256 or P-384, RSA (PKCS #1 v1.5 or PSS)
//!   or Ed25519, read by a small strict DER reader; its [`KeyId`] (SHA-256 of the DER, `sha256:<hex>`) names the
//!   signer.
//! - [`Payload`]: cosign's simple-signing JSON, read strictly; it names the digest signed.
//! - [`SignatureManifest`]: a signature manifest read for the digest it should sign, in its [`SignatureForm`]
//!   (cosign's two, a Sigstore bundle, a notation signature); [`SignatureManifest::verify`] (or [`verify`] in one
//!   step) gives [`Verdict::Verified`] with the [`Signer`], [`Verdict::Invalid`] with the reason (a payload for
//!   another digest, a malformed signature, ...), [`Verdict::Untrusted`] (nothing trusted verifies it) or
//!   [`Verdict::Unsigned`].
//! - [`sigstore`]: Sigstore bundles (`*.sigstore.json`, v0.1 to v0.3) verified offline against a trusted root,
//!   keyless (a Fulcio certificate whose identity matches a pattern and whose issuer is given, at the time Rekor
//!   signed for, with its log entry, inclusion proof and SCT checked) or with keys; the signer is a
//!   [`Signer::Identity`] or a [`Signer::Key`].
//! - [`notation`]: notation's JWS envelopes (`notary.x509`), their `x5c` chain checked against a trust store; the
//!   signer is a [`Signer::Certificate`].
//! - [`Trust`]: what one image's signatures are judged against: keys, a shared keyless policy, notation
//!   certificates.
//! - [`x509`]: X.509 certificates and their path to a trusted root (rustls-webpki).
//! - [`Error`] with an [`ErrorKind`] for every way an input can be wrong; no input panics.
//!
//! ```
//! use oci_digest::Digest;
//! use oci_sign::{PublicKey, Signer, SignatureTag, Trust, Verdict};
//!
//! // What `cosign sign --key cosign.key --tlog-upload=false REGISTRY/demo@DIGEST` pushed (cosign 2.5).
//! let key: PublicKey = "-----BEGIN PUBLIC KEY-----
//! MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+hZzHZRDl2IK8tEX01mLLkEJ8Xsw
//! Ytq2Zo/H1ILg/41JbEDZymdiZdETy4T4kOyOQaaJZbyaEJf34vRN3JyB9w==
//! -----END PUBLIC KEY-----".parse()?;
//! let signed: Digest = "sha256:70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9".parse()?;
//! assert_eq!(
//!     SignatureTag::new(&signed).to_string(),
//!     "sha256-70abd7814edc0fb29aba0378c776e9d43428e2ed3138abf4a47a1df3787b1bc9.sig"
//! );
//! let payload = format!(
//!     r#"{{"critical":{{"identity":{{"docker-reference":"127.0.0.1:5123/demo"}},"image":{{"docker-manifest-digest":"{signed}"}},"type":"cosign container image signature"}},"optional":null}}"#
//! );
//! let manifest = format!(
//!     r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
//!         "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":233,
//!                   "digest":"sha256:c02b6424865902c1e7e7f5e52e36c2f09a338b018130aff5b03e76c18203cddc"}},
//!         "layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":{},"digest":"{}",
//!                    "annotations":{{"dev.cosignproject.cosign/signature":"MEYCIQDCVyHrUU6kF4oBiec5qFxHI8EXB3lHpTZqSeLwOxjNBgIhAOsAJ3C+aA1TO5AFUkZUEJYYsRLpV9VxiUrlBzQ5yOlj"}}}}]}}"#,
//!     payload.len(),
//!     Digest::sha256(payload.as_bytes()),
//! );
//! let trust = Trust::keys([key.clone()]);
//! let verdict = oci_sign::verify(&signed, manifest.as_bytes(), |_| Some(payload.as_bytes()), &trust);
//! assert_eq!(verdict, Verdict::Verified { signer: Signer::Key(key.id().clone()) });
//! assert_eq!(key.id().to_string(), "sha256:9cdecc866eafae66aee262417bbdbd9873ba8acfd0275ce352d3265321e034fd");
//!
//! // The same signature for another digest: the payload no longer matches.
//! let other = Digest::sha256(b"another image");
//! let verdict = oci_sign::verify(&other, manifest.as_bytes(), |_| Some(payload.as_bytes()), &trust);
//! assert_eq!(verdict.to_string().split(':').next(), Some("invalid"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! None. The crate depends on ring (verification, SHA-256), serde and serde_json (the payload, Sigstore's JSON),
//! oci-digest and oci-manifest (the signature manifest), x509-parser and rustls-webpki (certificates) and regex
//! (Sigstore identity patterns); base64 and the DER of keys are small and strict here.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cbor;
mod der;
mod encoding;
mod error;
mod key;
pub mod notation;
mod payload;
mod signature;
pub mod sigstore;
mod tag;
pub mod timestamp;
pub mod x509;

pub use error::{Error, ErrorKind};
pub use key::{KeyAlgorithm, KeyId, PublicKey};
pub use payload::{COSIGN_SIGNATURE_TYPE, Payload};
pub use signature::{
    COSIGN_SIGN_PREDICATE, COSIGN_SIGNATURE_ARTIFACT, SIGNATURE_ANNOTATION, SIGNATURE_ARTIFACT_TYPES,
    SIGSTORE_BUNDLE_ARTIFACT, SIMPLE_SIGNING, SignatureForm, SignatureManifest, Signer, Trust, Verdict,
    may_be_signature, signature_descriptors, verify,
};
pub use tag::{ReferrersTag, SignatureTag};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
