//! cosign's signature manifests ([`SignatureManifest`]), in both forms, and the [`Verdict`] on one.

use std::fmt;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::{Descriptor, ImageIndex, Manifest, ManifestBody};

use crate::der::is_ecdsa_signature;
use crate::encoding::base64_decode;
use crate::error::{Error, ErrorKind, quote};
use crate::key::{KeyId, PublicKey};
use crate::notation::{COSE_ENVELOPE, Envelope, JWS_ENVELOPE, NOTATION_SIGNATURE_ARTIFACT, TrustedIdentity};
use crate::payload::Payload;
use crate::sigstore::{Artifact, Bundle, Keyless, Policy};
use crate::x509::Certificate;

/// The media type of a layer that holds a simple-signing payload.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The artifact type of cosign's OCI 1.1 signature manifests (their config's media type, and the `artifactType`
/// their referrers index entry carries).
pub const COSIGN_SIGNATURE_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

/// The artifact type (and layer media type) of a Sigstore bundle attached to an image: cosign 3's image
/// signatures, and `cosign attest --new-bundle-format`'s attestations.
pub const SIGSTORE_BUNDLE_ARTIFACT: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The predicate type of the in-toto statement of cosign's image signatures in a bundle; a bundle of another
/// predicate type (SLSA provenance, an SBOM) is an attestation, not a signature.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The manifest annotation cosign writes with a bundle's predicate type, read to skip attestations without
/// fetching them (the bundle's own statement is checked as well).
const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// The layer annotation that holds the base64 signature over the layer's payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// A cosign signature manifest, read for the digest it should sign: the signature layers it names, each a payload
/// blob and a signature. Only constructed when the manifest is an image manifest of either form that may sign that
/// digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureManifest {
    signed: Digest,
    form: SignatureForm,
    layers: Vec<Layer>,
}

/// Where a signature manifest came from, told by its shape.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureForm {
    /// cosign's legacy `sha256-<hex>.sig` tag: an image manifest without `subject`, one layer per signature.
    Tag,
    /// An OCI 1.1 artifact (`cosign sign --registry-referrers-mode=oci-1-1`): artifact type
    /// [`COSIGN_SIGNATURE_ARTIFACT`] (in `artifactType`, else as the config's media type) and `subject` the signed
    /// digest; found through the referrers API or the referrers tag.
    Artifact,
    /// A Sigstore bundle as an OCI 1.1 artifact (cosign 3): artifact type [`SIGSTORE_BUNDLE_ARTIFACT`], one layer
    /// of that media type holding the bundle, `subject` the signed digest. Keyed or keyless; see
    /// [`crate::sigstore`].
    Bundle,
    /// A notation signature: artifact type [`NOTATION_SIGNATURE_ARTIFACT`], a JWS envelope layer, `subject` the
    /// signed digest; see [`crate::notation`].
    Notation,
}

/// One signature layer: its blob, and what the blob is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Layer {
    blob: Digest,
    size: u64,
    kind: LayerKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum LayerKind {
    /// A simple-signing payload, with the signature from the layer's annotation.
    SimpleSigning { signature: Option<String> },
    /// A Sigstore bundle.
    Bundle,
    /// A notation JWS envelope.
    Jws,
    /// A notation COSE envelope.
    Cose,
}

/// The verdict on the signatures of a digest.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A trusted key signed a payload for this digest.
    Verified {
        /// Who: the first trusted key that verifies, in the order the keys were given.
        signer: Signer,
    },
    /// A signature that cannot be right whoever made it: a payload for another digest (copied from another image),
    /// a subject that is another digest, a payload that is not simple signing, a signature that is not shaped like
    /// one, a payload blob that is missing or does not match its digest.
    Invalid {
        /// What is wrong, as an [`Error`] whose [`ErrorKind`] says which.
        reason: Error,
    },
    /// Well-formed signatures over payloads for this digest, none of which a trusted key verifies: signed by
    /// another key. (A well-formed signature whose bytes were changed is indistinguishable from one by a key not
    /// given, so it is untrusted too; only a trusted key could tell, and none verifies it.)
    Untrusted,
    /// No signature: the manifest has no simple-signing layer (or, for the caller, there is no signature manifest).
    Unsigned,
}

/// What makes a signature trusted: public keys (a signature one of them verifies), and a Sigstore keyless policy
/// (a bundle whose certificate names a matching identity and issuer, verified against its trusted root).
///
/// One value per image, so that keys scoped to some repositories are handed only to their images. The keyless
/// policy is shared (`Arc`): a trusted root is read once for every image.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    keys: Vec<PublicKey>,
    keyless: Option<Arc<Keyless>>,
    notation: Vec<Certificate>,
    notation_tsa: Vec<Certificate>,
    notation_identities: Vec<TrustedIdentity>,
    now: Option<i64>,
}

impl Trust {
    /// Trusts the signatures `keys` verify.
    pub fn keys(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Also trusts keyless bundles `keyless` accepts; its trusted root also verifies the log entries of keyed
    /// bundles.
    #[must_use]
    pub fn with_keyless(mut self, keyless: Arc<Keyless>) -> Self {
        self.keyless = Some(keyless);
        self
    }

    /// Also trusts notation signatures whose certificate chain leads to one of `certificates` (a notation trust
    /// store of type `ca`, or a self-signed signing certificate).
    #[must_use]
    pub fn with_notation(mut self, certificates: impl IntoIterator<Item = Certificate>) -> Self {
        self.notation.extend(certificates);
        self
    }

    /// Also trusts the timestamp authorities whose certificates chain to `certificates` (a notation trust store of
    /// type `tsa`): a notation signature they timestamped is judged at its timestamp (its certificates may have
    /// expired since), and a timestamp that does not verify makes it invalid.
    #[must_use]
    pub fn with_notation_tsa(mut self, certificates: impl IntoIterator<Item = Certificate>) -> Self {
        self.notation_tsa.extend(certificates);
        self
    }

    /// Trusts a notation signature only when its signing certificate's subject matches one of `identities` (a
    /// trust policy's `trustedIdentities`); without any, every certificate the trust store leads to.
    #[must_use]
    pub fn with_notation_identities(mut self, identities: impl IntoIterator<Item = TrustedIdentity>) -> Self {
        self.notation_identities.extend(identities);
        self
    }

    /// Judges bundles and notation certificates as of `unix_seconds` (a signing time after it is refused); without it, the system clock's
    /// now.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.now = Some(unix_seconds);
        self
    }

    /// The trusted keys, in the order given.
    pub fn public_keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// The keyless policy, if any.
    pub fn keyless(&self) -> Option<&Keyless> {
        self.keyless.as_deref()
    }

    /// Whether nothing is trusted (every signature is then at best [`Verdict::Untrusted`]).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.keyless.is_none() && self.notation.is_empty()
    }

    fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        })
    }
}

/// Who made a verified signature.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Signer {
    /// A public key given by the caller, by its id (`sha256:` of its SubjectPublicKeyInfo).
    Key(KeyId),
    /// A Sigstore keyless signer: the identity (the certificate's subject alternative name, a URI or an e-mail
    /// address) that the policy's pattern matched, and the OIDC issuer that vouched for it.
    Identity {
        /// The URI or e-mail address the certificate was issued to.
        identity: String,
        /// The OIDC issuer of the certificate (Fulcio's issuer extension).
        issuer: String,
    },
    /// A notation signer: the signing certificate, whose chain leads to a trusted certificate.
    Certificate {
        /// The signing certificate's subject, as RFC 4514 writes it.
        subject: String,
        /// `sha256:` of the signing certificate's DER.
        fingerprint: Digest,
    },
}

impl SignatureManifest {
    /// Reads `bytes` (the manifest under the signature tag or a referrer of `signed`) as a signature manifest for
    /// `signed`. See [`from_manifest`](Self::from_manifest); a body that is not a manifest is
    /// [`ErrorKind::Manifest`], with oci-manifest's error as the source.
    pub fn parse(signed: &Digest, bytes: &[u8]) -> Result<Self, Error> {
        let manifest = Manifest::parse(bytes, None).map_err(|err| {
            Error::new(
                ErrorKind::Manifest,
                format!("the signature manifest of {signed} is not a manifest"),
            )
            .with_source(err)
        })?;
        Self::from_manifest(signed, &manifest)
    }

    /// Reads a parsed manifest as a signature manifest for `signed`.
    ///
    /// Refused: an index ([`ErrorKind::Manifest`]); an artifact of another type ([`ErrorKind::NotASignature`]); a
    /// `subject` that is not `signed` ([`ErrorKind::SubjectMismatch`]). Layers of other media types are left out; a
    /// manifest without simple-signing layers reads, and its verdict is [`Verdict::Unsigned`].
    pub fn from_manifest(signed: &Digest, manifest: &Manifest) -> Result<Self, Error> {
        let ManifestBody::Image(image) = manifest.body() else {
            return Err(Error::new(
                ErrorKind::Manifest,
                format!("the signature manifest of {signed} is an index, not an image manifest"),
            ));
        };
        let artifact_type = image.artifact_type().unwrap_or_else(|| image.config().media_type());
        let subject = image.subject();
        let form = if subject.is_none() && image.artifact_type().is_none() {
            SignatureForm::Tag
        } else if artifact_type == COSIGN_SIGNATURE_ARTIFACT {
            SignatureForm::Artifact
        } else if artifact_type == SIGSTORE_BUNDLE_ARTIFACT {
            if let Some(predicate) = image.annotations().get(BUNDLE_PREDICATE_ANNOTATION) {
                if predicate != COSIGN_SIGN_PREDICATE {
                    return Err(not_a_signature(manifest.digest(), predicate));
                }
            }
            SignatureForm::Bundle
        } else if artifact_type == NOTATION_SIGNATURE_ARTIFACT {
            SignatureForm::Notation
        } else {
            return Err(Error::new(
                ErrorKind::NotASignature,
                format!(
                    "the artifact {} of type {} is not a cosign signature ({COSIGN_SIGNATURE_ARTIFACT})",
                    manifest.digest(),
                    quote(artifact_type)
                ),
            ));
        };
        if let Some(subject) = subject {
            if subject.digest() != signed {
                return Err(Error::new(
                    ErrorKind::SubjectMismatch,
                    format!(
                        "the signature manifest {} is for {}, not for {signed}",
                        manifest.digest(),
                        subject.digest()
                    ),
                ));
            }
        }
        let layers = image
            .layers()
            .iter()
            .filter_map(|layer| {
                let kind = match (form, layer.media_type()) {
                    (SignatureForm::Tag | SignatureForm::Artifact, SIMPLE_SIGNING) => LayerKind::SimpleSigning {
                        signature: layer.annotation(SIGNATURE_ANNOTATION).map(str::to_owned),
                    },
                    (SignatureForm::Bundle, SIGSTORE_BUNDLE_ARTIFACT) => LayerKind::Bundle,
                    (SignatureForm::Notation, JWS_ENVELOPE) => LayerKind::Jws,
                    (SignatureForm::Notation, COSE_ENVELOPE) => LayerKind::Cose,
                    _ => return None,
                };
                Some(Layer {
                    blob: layer.digest().clone(),
                    size: layer.size(),
                    kind,
                })
            })
            .collect();
        Ok(Self {
            signed: signed.clone(),
            form,
            layers,
        })
    }

    /// The digest the signatures should sign.
    pub fn signed(&self) -> &Digest {
        &self.signed
    }

    /// Which form the manifest has.
    pub fn form(&self) -> SignatureForm {
        self.form
    }

    /// The signatures' format, as reports name it: `cosign` (simple signing, in either form), `sigstore-bundle` or
    /// `notation`.
    pub fn format(&self) -> &'static str {
        match self.form {
            SignatureForm::Tag | SignatureForm::Artifact => "cosign",
            SignatureForm::Bundle => "sigstore-bundle",
            SignatureForm::Notation => "notation",
        }
    }

    /// Whether [`verify`](Self::verify) needs the signed manifest's own bytes, handed over as the blob of
    /// [`signed`](Self::signed): when a bundle among the blobs given holds a message signature, which signs those
    /// bytes (cosign 3's image signatures are DSSE envelopes, which do not need them).
    pub fn wants_signed_manifest<'b>(&self, blob: impl Fn(&Digest) -> Option<&'b [u8]>) -> bool {
        self.layers
            .iter()
            .filter(|layer| layer.kind == LayerKind::Bundle)
            .filter_map(|layer| blob(&layer.blob))
            .any(|bytes| Bundle::from_json(bytes).is_ok_and(|bundle| bundle.is_message_signature()))
    }

    /// The payload blobs to fetch for [`verify`](Self::verify), one per signature, in the manifest's order.
    pub fn blobs(&self) -> impl Iterator<Item = &Digest> {
        self.layers.iter().map(|layer| &layer.blob)
    }

    /// The verdict, given each payload blob's bytes by digest (`blob`; the bytes are checked against the digest and
    /// size here) and what is trusted.
    ///
    /// Each signature layer is judged alone: its blob must be there with the right digest and size, its payload
    /// simple signing for this digest, its signature base64 shaped like a signature; then it is verified if a
    /// trusted key verifies it, else untrusted. Over the layers, [`Verdict::Verified`] (the first layer a key
    /// verifies, as `cosign verify` passes when one does) wins over [`Verdict::Invalid`] (the first invalid one),
    /// which wins over [`Verdict::Untrusted`]; without layers, [`Verdict::Unsigned`].
    pub fn verify<'b>(&self, blob: impl Fn(&Digest) -> Option<&'b [u8]>, trust: &Trust) -> Verdict {
        let mut invalid = None;
        let mut untrusted = false;
        for layer in &self.layers {
            match self.verify_layer(layer, &blob, trust) {
                Ok(Some(signer)) => return Verdict::Verified { signer },
                Ok(None) => untrusted = true,
                // An attestation in a bundle: not a signature, so neither for nor against.
                Err(reason) if reason.kind() == ErrorKind::NotASignature => {}
                Err(reason) => {
                    invalid.get_or_insert(reason);
                }
            }
        }
        match invalid {
            Some(reason) => Verdict::Invalid { reason },
            None if untrusted => Verdict::Untrusted,
            None => Verdict::Unsigned,
        }
    }

    /// One layer: `Ok(Some(signer))` verified, `Ok(None)` untrusted, `Err` invalid.
    fn verify_layer<'b>(
        &self,
        layer: &Layer,
        blob: &impl Fn(&Digest) -> Option<&'b [u8]>,
        trust: &Trust,
    ) -> Result<Option<Signer>, Error> {
        let payload = blob(&layer.blob).ok_or_else(|| {
            Error::new(
                ErrorKind::MissingBlob,
                format!("the signature payload {} was not fetched", layer.blob),
            )
        })?;
        if u64::try_from(payload.len()).ok() != Some(layer.size) {
            return Err(Error::new(
                ErrorKind::BlobMismatch,
                format!(
                    "the signature payload {} has {} bytes, its descriptor says {}",
                    layer.blob,
                    payload.len(),
                    layer.size
                ),
            ));
        }
        layer.blob.verify(payload).map_err(|mismatch| {
            Error::new(
                ErrorKind::BlobMismatch,
                format!("the signature payload {} hashes to {}", layer.blob, mismatch.actual()),
            )
        })?;
        match &layer.kind {
            LayerKind::SimpleSigning { signature } => {
                self.verify_simple_signing(&layer.blob, payload, signature.as_deref(), trust)
            }
            LayerKind::Bundle => self.verify_bundle(&layer.blob, payload, blob, trust),
            LayerKind::Jws => self.verify_notation(&Envelope::parse(payload)?, trust),
            LayerKind::Cose => self.verify_notation(&Envelope::parse_cose(payload)?, trust),
        }
    }

    /// A simple-signing payload for this digest and its signature: `Ok(Some(signer))` verified, `Ok(None)`
    /// untrusted, `Err` invalid.
    fn verify_simple_signing(
        &self,
        blob: &Digest,
        payload: &[u8],
        signature: Option<&str>,
        trust: &Trust,
    ) -> Result<Option<Signer>, Error> {
        let parsed = Payload::parse(payload)?;
        if *parsed.digest() != self.signed {
            return Err(Error::new(
                ErrorKind::OtherDigest,
                format!(
                    "the signature payload {blob} signs {}, not {}: a signature copied from another image",
                    parsed.digest(),
                    self.signed
                ),
            ));
        }
        let encoded = signature.ok_or_else(|| {
            Error::new(
                ErrorKind::Signature,
                format!("the signature layer {blob} has no {SIGNATURE_ANNOTATION} annotation"),
            )
        })?;
        let signature = base64_decode(encoded).ok_or_else(|| {
            Error::new(
                ErrorKind::Signature,
                format!("the signature {} of {blob} is not base64", quote(encoded)),
            )
        })?;
        if !is_signature_shaped(&signature) {
            return Err(Error::new(
                ErrorKind::Signature,
                format!(
                    "the signature {} of {blob} is not an ECDSA, Ed25519 or RSA signature",
                    quote(encoded)
                ),
            ));
        }
        Ok(trust
            .keys
            .iter()
            .find(|key| key.verify(payload, &signature))
            .map(|key| Signer::Key(key.id().clone())))
    }

    /// A Sigstore bundle for this digest: `Ok(Some(signer))` verified by a trusted key or the keyless policy,
    /// `Ok(None)` untrusted (another key, another identity or issuer, a certificate of another authority), `Err`
    /// invalid (for another digest, a broken signature or log entry) or [`ErrorKind::NotASignature`] (an
    /// attestation).
    fn verify_bundle<'b>(
        &self,
        blob: &Digest,
        bytes: &[u8],
        blobs: &impl Fn(&Digest) -> Option<&'b [u8]>,
        trust: &Trust,
    ) -> Result<Option<Signer>, Error> {
        let bundle = Bundle::from_json(bytes)?;
        if let Some(predicate) = bundle.predicate_type() {
            if predicate != COSIGN_SIGN_PREDICATE {
                return Err(not_a_signature(blob, &predicate));
            }
        }
        // A message signature is over the signed manifest's bytes (see `wants_signed_manifest`); a DSSE envelope's
        // statement names its digest.
        let artifact = if bundle.is_message_signature() {
            let manifest = blobs(&self.signed).filter(|manifest| self.signed.verify(manifest).is_ok());
            Artifact::Bytes(manifest.ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingBlob,
                    format!(
                        "the bundle {blob} signs the bytes of {}, which were not handed over",
                        self.signed
                    ),
                )
            })?)
        } else {
            Artifact::Digest(&self.signed)
        };
        let now = trust.now();
        let mut invalid = None;
        if !trust.keys.is_empty() {
            // A key is trust enough; a trusted root, when given, must also vouch for the log entries the bundle
            // carries, but a bundle without any (signed with `--tlog-upload=false`) stands on its key alone, as
            // cosign's simple signing does here.
            let root = trust.keyless().map(Keyless::root).filter(|_| bundle.log_entries() > 0);
            let policy = Policy::Keys {
                keys: &trust.keys,
                root,
            };
            match bundle.verify(artifact, &policy, now) {
                Ok(signer) => return Ok(Some(signer)),
                // A keyless bundle, or one no given key verifies.
                Err(err) if matches!(err.kind(), ErrorKind::WrongMaterial | ErrorKind::BadSignature) => {}
                Err(err) => invalid = Some(err),
            }
        }
        if let Some(keyless) = trust.keyless() {
            match bundle.verify(artifact, &Policy::Keyless(keyless), now) {
                Ok(signer) => return Ok(Some(signer)),
                // A keyed bundle, or a valid one by someone else: another identity, issuer or authority.
                Err(err)
                    if matches!(
                        err.kind(),
                        ErrorKind::WrongMaterial | ErrorKind::Identity | ErrorKind::Issuer | ErrorKind::CertificatePath
                    ) => {}
                Err(err) => {
                    invalid.get_or_insert(err);
                }
            }
        }
        match invalid {
            Some(err) => Err(err),
            None => Ok(None),
        }
    }
}

impl SignatureManifest {
    /// A notation envelope (JWS or COSE) for this digest: `Ok(Some(signer))` when its chain leads to a trusted
    /// certificate (of a trusted identity, when some are given), `Ok(None)` untrusted (a valid signature whose
    /// chain reaches none, or is not valid at the time judged, or another identity), `Err` invalid (for another
    /// digest, a broken signature or timestamp, expired, malformed).
    fn verify_notation(&self, envelope: &Envelope, trust: &Trust) -> Result<Option<Signer>, Error> {
        match envelope.verify_timestamped(&self.signed, &trust.notation, &trust.notation_tsa, trust.now()) {
            // A certificate the store leads to, but not one of the identities trusted: someone else's.
            Ok(_)
                if !trust.notation_identities.is_empty()
                    && !envelope
                        .chain()
                        .first()
                        .is_some_and(|leaf| trust.notation_identities.iter().any(|id| id.matches(leaf))) =>
            {
                Ok(None)
            }
            Ok(signer) => Ok(Some(Signer::Certificate {
                subject: signer.subject,
                fingerprint: signer.fingerprint,
            })),
            Err(err) if err.kind() == ErrorKind::CertificatePath => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// An artifact that is not a signature: a bundle of another predicate type (an attestation).
fn not_a_signature(manifest: &Digest, predicate: &str) -> Error {
    Error::new(
        ErrorKind::NotASignature,
        format!(
            "{manifest} is an attestation of predicate type {}, not a signature ({COSIGN_SIGN_PREDICATE})",
            quote(predicate)
        ),
    )
}

/// Reads `manifest` as a signature manifest for `signed` and gives its verdict, with a manifest that cannot be one
/// for `signed` (see [`SignatureManifest::from_manifest`]) [`Verdict::Invalid`].
pub fn verify<'b>(
    signed: &Digest,
    manifest: &[u8],
    blob: impl Fn(&Digest) -> Option<&'b [u8]>,
    trust: &Trust,
) -> Verdict {
    match SignatureManifest::parse(signed, manifest) {
        Ok(signatures) => signatures.verify(blob, trust),
        Err(reason) => Verdict::Invalid { reason },
    }
}

/// The artifact types of the signatures this crate reads.
pub const SIGNATURE_ARTIFACT_TYPES: &[&str] = &[
    COSIGN_SIGNATURE_ARTIFACT,
    SIGSTORE_BUNDLE_ARTIFACT,
    NOTATION_SIGNATURE_ARTIFACT,
];

/// The empty config's media type, which go-containerregistry (and so cosign) writes as a referrers tag entry's
/// `artifactType` for an artifact whose type is only in the manifest's own `artifactType` field.
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// Whether a referrers entry may be a signature, by its `artifactType`: one of [`SIGNATURE_ARTIFACT_TYPES`], or
/// none that says otherwise (absent, or the empty config's type, which cosign writes into the referrers tag for its
/// bundles), so that the manifest itself must be read to tell. SBOMs, attestations and other typed referrers are
/// not.
pub fn may_be_signature(entry: &Descriptor) -> bool {
    match entry.artifact_type() {
        None => true,
        Some(kind) => kind == EMPTY_CONFIG || SIGNATURE_ARTIFACT_TYPES.contains(&kind),
    }
}

/// The entries of a referrers index (the referrers API's answer, or the index under the referrers tag) that
/// [may be signatures](may_be_signature), in the index's order.
pub fn signature_descriptors(index: &ImageIndex) -> impl Iterator<Item = &Descriptor> {
    index.manifests().iter().filter(|entry| may_be_signature(entry))
}

/// Whether decoded signature bytes could be a signature of a supported kind at all.
fn is_signature_shaped(signature: &[u8]) -> bool {
    signature.len() == 64 || (256..=1024).contains(&signature.len()) || is_ecdsa_signature(signature)
}

impl fmt::Display for Signer {
    /// A key's id, `sha256:<hex>`; an identity with its issuer, both quoted and escaped (they came from a
    /// certificate): `"https://github.com/..." from "https://token.actions.githubusercontent.com"`; a notation
    /// certificate's subject, quoted likewise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(id) => id.fmt(f),
            Self::Identity { identity, issuer } => write!(f, "{identity:?} from {issuer:?}"),
            Self::Certificate { subject, .. } => write!(f, "{subject:?}"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verified { signer } => write!(f, "verified, signed by {signer}"),
            Self::Invalid { reason } => write!(f, "invalid: {reason}"),
            Self::Untrusted => f.write_str("untrusted: no trusted key verifies the signature"),
            Self::Unsigned => f.write_str("unsigned"),
        }
    }
}
