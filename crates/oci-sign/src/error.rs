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
