//! [`Error`] and its [`ErrorKind`]: one type for every way a key, a payload, a signature manifest or a tag can be
//! wrong.

use std::fmt;
use std::sync::Arc;

/// A key, payload, signature manifest or tag that was refused, or the reason a signature is
/// [invalid](crate::Verdict::Invalid).
///
/// `Display` says what was wrong at this layer, quoting the offending input (cut at 100 characters); the cause, when
/// another crate found it (a manifest that is not JSON), is [`source`](std::error::Error::source).
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: Box<str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What is wrong.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The PEM text is not one `-----BEGIN ...-----` block with its `-----END ...-----` line and base64 between.
    Pem,
    /// The PEM block is not a `PUBLIC KEY` (SubjectPublicKeyInfo): a private key, a certificate, or PKCS#1's
    /// `RSA PUBLIC KEY`.
    PemLabel,
    /// Base64 that is not the standard alphabet with its padding (PEM bodies and signature annotations).
    Base64,
    /// DER that is not a well-formed SubjectPublicKeyInfo: a wrong tag, a length past the end or not in its shortest
    /// form, bytes after the end.
    Der,
    /// A key algorithm or curve this crate does not verify with (supported: ECDSA P-256 and P-384, RSA, Ed25519).
    UnsupportedKey,
    /// A key of a supported algorithm whose key bytes are wrong for it: a compressed or off-length EC point, an RSA
    /// modulus outside 2048 to 8192 bits, an even or tiny exponent, an Ed25519 key that is not 32 bytes.
    InvalidKey,
    /// Input over this crate's size limit (64 KiB for a key, 256 KiB for a payload).
    TooLarge,
    /// A payload that is not cosign's simple-signing JSON: not JSON, a missing or unknown field in `critical`, a
    /// duplicate key, a field of the wrong type.
    Payload,
    /// A payload whose `critical.type` is not `cosign container image signature`.
    PayloadType,
    /// A payload whose `critical.image.docker-manifest-digest` is not a digest.
    PayloadDigest,
    /// A payload that signs another digest than the one being verified: a signature copied from another image.
    OtherDigest,
    /// A signature manifest that is not an image manifest (not a manifest at all, or an index).
    Manifest,
    /// An artifact whose type is not cosign's signature type (`application/vnd.dev.cosign.artifact.sig.v1+json`).
    NotASignature,
    /// A signature manifest whose `subject` is another digest than the one being verified.
    SubjectMismatch,
    /// A payload blob the signature manifest names was not handed over.
    MissingBlob,
    /// A payload blob whose bytes do not have the digest or size its descriptor gives.
    BlobMismatch,
    /// A signature layer without its `dev.cosignproject.cosign/signature` annotation, or one that is not base64 or
    /// not shaped like any signature (an ECDSA `Ecdsa-Sig-Value`, 64 bytes of Ed25519, 256 to 1024 bytes of RSA).
    Signature,
    /// Bytes that are not one well-formed DER X.509 certificate (v3, as both x509-parser and webpki read it), or a
    /// certificate with a critical extension this crate does not know.
    Certificate,
    /// A certificate that does not chain to a trusted root at the time given: an unknown issuer, a certificate of
    /// the path outside its validity, a leaf not for code signing, a bad signature in the chain.
    CertificatePath,
    /// A Sigstore trusted root (`trusted_root.json`) that is not one: not JSON, an unknown media type, a missing or
    /// malformed field (a log key's `validFor.start`, a time that is not RFC 3339), bytes that are not base64.
    TrustedRoot,
    /// A Sigstore bundle that is not one: not JSON, an unknown media type or version, no verification material or
    /// content, an empty certificate chain, a negative log index, a field of the wrong type.
    Bundle,
    /// A well-formed Sigstore input that this crate does not verify: a log entry of a kind or version it does not
    /// read, a DSSE payload that is not an in-toto statement, a message signature given only the artifact's digest,
    /// a digest algorithm other than SHA-256, a timestamp hashed or signed with an algorithm it does not verify.
    Unsupported,
    /// The bundle's verification material does not fit the policy: a key-signed bundle and a keyless policy, or a
    /// certificate and a policy of keys.
    WrongMaterial,
    /// The signature over the artifact (or the DSSE envelope) does not verify with the bundle's key.
    BadSignature,
    /// The bundle is for another artifact: its message digest or the in-toto statement's subjects do not name the
    /// artifact's digest.
    ArtifactMismatch,
    /// A transparency log entry from a log the trusted root does not list (another Sigstore instance, a forged
    /// log id), or none at all where one is required.
    UnknownLog,
    /// A transparency log entry's signed entry timestamp (inclusion promise) is missing where required or does not
    /// verify with the log's key.
    InclusionPromise,
    /// A transparency log entry's inclusion proof is missing where required, or its Merkle path does not lead to
    /// its root hash.
    InclusionProof,
    /// A checkpoint (the log's signed tree head) that is malformed, is for another tree than the inclusion proof, or
    /// has no signature by the log's key that verifies.
    Checkpoint,
    /// A transparency log entry whose body records another artifact, signature, key or certificate than the bundle.
    LogEntryMismatch,
    /// A signing time (the log's integrated time, or an RFC 3161 timestamp's) is outside the certificate's
    /// validity, outside the log key's or a certificate authority's validity in the trusted root, or in the future.
    SigningTime,
    /// An RFC 3161 timestamp that is malformed, was not granted, is for another signature, or was not signed by a
    /// timestamp authority of the trusted root valid at its time (its signature, its signer's certificate path or
    /// validity fail); or a Rekor v2 entry, whose only time such a timestamp is, without one.
    Timestamp,
    /// The certificate's subject alternative name does not match the policy's identity pattern.
    Identity,
    /// The certificate's OIDC issuer is not the policy's issuer, or the certificate has no issuer extension.
    Issuer,
    /// A policy's identity pattern that is not a regular expression (or is over the size limit).
    Regex,
    /// The certificate's signed certificate timestamps (RFC 6962) are missing, malformed or not signed by a
    /// certificate transparency log of the trusted root.
    CertificateTransparency,
    /// A notation JWS envelope that is not well formed: not the JWS JSON shape, a part that is not base64url, a
    /// protected header without its required fields or with an unknown or unlisted critical one, a payload without
    /// a target digest, an empty or overlong `x5c`.
    Notation,
    /// A notation trusted identity that is not a distinguished name (`x509.subject: C=US, ST=WA, O=...`).
    TrustedIdentity,
    /// A tag that is not a cosign signature tag (`sha256-<hex>.sig`) or a referrers tag (`sha256-<hex>`).
    Tag,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Box<str>>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// What is wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("source", &self.inner.source)
            .finish()
    }
}

/// Equal when kind and message are: the source is detail.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.inner.kind == other.inner.kind && self.inner.message == other.inner.message
    }
}

impl Eq for Error {}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Refused text quoted for a message: escaped and cut, as the sibling crates quote.
pub(crate) fn quote(text: &str) -> String {
    oci_digest::internal::quote(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_one_pointer() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<(), Error>>(), size_of::<usize>());
    }
}
