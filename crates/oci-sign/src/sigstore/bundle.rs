//! [`Bundle`]: a Sigstore bundle (`*.sigstore.json`), read strictly into what verification needs.

use serde::Deserialize;

use super::json::{self, Int64, RawBytes, RawLogId};
use crate::error::{Error, ErrorKind, quote};
use crate::timestamp::Timestamp;
use crate::x509::{Certificate, MAX_CHAIN};

/// The largest bundle read. A DSSE envelope carries its whole payload (SLSA provenance is tens of KiB).
const MAX_BUNDLE: usize = 4 * 1024 * 1024;

/// The most transparency log entries, and RFC 3161 timestamps, one bundle may carry.
const MAX_ENTRIES: usize = 8;

/// The most hashes one inclusion proof may hold: a tree of 2^64 leaves needs 64.
const MAX_PROOF_HASHES: usize = 64;

/// A Sigstore bundle: the signature, the material that names the signer, and the transparency log's receipts.
///
/// Only constructed from a well-formed bundle of a known version: see [`from_json`](Self::from_json).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub(super) version: BundleVersion,
    pub(super) material: Material,
    pub(super) entries: Vec<TlogEntry>,
    pub(super) timestamps: Vec<Timestamp>,
    pub(super) content: Content,
}

/// The bundle format versions read.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`: a certificate chain; log entries must carry an
    /// inclusion promise.
    V0_1,
    /// `...;version=0.2`: as 0.1, but log entries must carry an inclusion proof.
    V0_2,
    /// `...;version=0.3` or `application/vnd.dev.sigstore.bundle.v0.3+json`: one certificate instead of a chain.
    V0_3,
}

/// Who signed, as the bundle says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Material {
    /// A Fulcio certificate (v0.3), or the leaf of a chain (v0.1, v0.2); the rest of a chain is not used, since
    /// the intermediates come from the trusted root.
    Certificate(Box<Certificate>),
    /// A key the verifier knows; the hint (often empty) is not trusted for anything.
    PublicKey,
}

/// One transparency log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TlogEntry {
    pub(super) log_index: u64,
    pub(super) log_id: Vec<u8>,
    pub(super) kind: String,
    pub(super) version: String,
    /// Absent in Rekor v2 entries, whose time is an RFC 3161 timestamp.
    pub(super) integrated_time: Option<u64>,
    pub(super) promise: Option<Vec<u8>>,
    pub(super) proof: Option<InclusionProof>,
    pub(super) body: Vec<u8>,
}

/// A Merkle inclusion proof and the checkpoint it ends in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct InclusionProof {
    pub(super) log_index: u64,
    pub(super) root_hash: Vec<u8>,
    pub(super) tree_size: u64,
    pub(super) hashes: Vec<Vec<u8>>,
    /// Older v0.1 bundles carry none (their inclusion promise signs the entry instead).
    pub(super) checkpoint: Option<String>,
}

/// What was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Content {
    /// A signature over the artifact's bytes, with the SHA-256 digest the signer claims (a hint only).
    MessageSignature {
        digest: Option<Vec<u8>>,
        signature: Vec<u8>,
    },
    /// A DSSE envelope with its one signature.
    Dsse {
        payload: Vec<u8>,
        payload_type: String,
        signature: Vec<u8>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: RawMaterial,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    certificate: Option<RawBytes>,
    x509_certificate_chain: Option<RawChain>,
    public_key: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    tlog_entries: Vec<RawTlogEntry>,
    timestamp_verification_data: Option<RawTimestampData>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestampData {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTlogEntry {
    log_index: Int64,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    integrated_time: Option<Int64>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Int64,
    root_hash: String,
    tree_size: Int64,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawHashOutput>,
    signature: String,
}

#[derive(Deserialize)]
struct RawHashOutput {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<RawEnvelopeSignature>,
}

#[derive(Deserialize)]
struct RawEnvelopeSignature {
    sig: String,
}

impl Bundle {
    /// Reads a bundle of media type `application/vnd.dev.sigstore.bundle+json;version=0.1`, `0.2` or `0.3`, or
    /// `application/vnd.dev.sigstore.bundle.v0.3+json`.
    ///
    /// Refused with [`ErrorKind::Bundle`]: not JSON of that shape, another media type or version, both or neither
    /// of `messageSignature` and `dsseEnvelope`, not exactly one kind of verification material, a chain or an
    /// envelope's signatures that are empty (or more than one signature), a negative log index, base64 that is
    /// not standard, a message digest that is not SHA-256 of 32 bytes; with [`ErrorKind::Timestamp`]: an RFC 3161
    /// timestamp that is not a well-formed response or token; with [`ErrorKind::TooLarge`]: over 4 MiB, more than 8
    /// log entries or timestamps, more than 64 hashes in a proof, a timestamp over 64 KiB; and what
    /// [`Certificate::from_der`] refuses. Fields this crate does not use are ignored, as protobuf's JSON readers
    /// ignore them.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BUNDLE {
            return Err(too_large(format!(
                "a bundle of {} bytes is over the limit of {MAX_BUNDLE}",
                bytes.len()
            )));
        }
        let raw: RawBundle = serde_json::from_slice(bytes)
            .map_err(|err| Error::new(ErrorKind::Bundle, format!("not a Sigstore bundle: {err}")).with_source(err))?;
        let version = match raw.media_type.as_str() {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => BundleVersion::V0_1,
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => BundleVersion::V0_2,
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => BundleVersion::V0_3,
            other => {
                return Err(invalid(format!(
                    "the media type {} is not a bundle version this crate reads (0.1, 0.2, 0.3)",
                    quote(other)
                )));
            }
        };
        let material = material(
            raw.verification_material.certificate,
            raw.verification_material.x509_certificate_chain,
            raw.verification_material.public_key.is_some(),
        )?;
        let raw_entries = raw.verification_material.tlog_entries;
        let raw_timestamps = raw
            .verification_material
            .timestamp_verification_data
            .map_or_else(Vec::new, |data| data.rfc3161_timestamps);
        if raw_entries.len() > MAX_ENTRIES || raw_timestamps.len() > MAX_ENTRIES {
            return Err(too_large(format!(
                "{} log entries and {} timestamps in a bundle; the limit is {MAX_ENTRIES} of each",
                raw_entries.len(),
                raw_timestamps.len()
            )));
        }
        let entries = raw_entries.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        let timestamps = raw_timestamps
            .iter()
            .map(|raw| Timestamp::from_der(&bytes64(&raw.signed_timestamp, "an rfc3161Timestamps signedTimestamp")?))
            .collect::<Result<Vec<_>, _>>()?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(message), None) => {
                let digest = match message.message_digest {
                    None => None,
                    Some(digest) => {
                        if digest.algorithm != "SHA2_256" {
                            return Err(invalid(format!(
                                "a message digest of algorithm {}; supported: SHA2_256",
                                quote(&digest.algorithm)
                            )));
                        }
                        let bytes = bytes64(&digest.digest, "messageSignature.messageDigest.digest")?;
                        if bytes.len() != 32 {
                            return Err(invalid(format!("a SHA-256 message digest of {} bytes", bytes.len())));
                        }
                        Some(bytes)
                    }
                };
                Content::MessageSignature {
                    digest,
                    signature: bytes64(&message.signature, "messageSignature.signature")?,
                }
            }
            (None, Some(envelope)) => {
                let [signature] = envelope.signatures.as_slice() else {
                    return Err(invalid(format!(
                        "a DSSE envelope with {} signatures; a Sigstore bundle's has exactly one",
                        envelope.signatures.len()
                    )));
                };
                Content::Dsse {
                    payload: bytes64(&envelope.payload, "dsseEnvelope.payload")?,
                    payload_type: envelope.payload_type,
                    signature: bytes64(&signature.sig, "dsseEnvelope.signatures[0].sig")?,
                }
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "a bundle with both a messageSignature and a dsseEnvelope".into(),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "a bundle with neither a messageSignature nor a dsseEnvelope".into(),
                ));
            }
        };
        Ok(Self {
            version,
            material,
            entries,
            timestamps,
            content,
        })
    }

    /// The bundle's format version.
    pub fn version(&self) -> BundleVersion {
        self.version
    }

    /// How many transparency log entries the bundle carries (a keyed bundle made with `--tlog-upload=false` has
    /// none).
    pub fn log_entries(&self) -> usize {
        self.entries.len()
    }

    /// How many RFC 3161 timestamps the bundle carries. With a trusted root, each must verify, and its time is a
    /// signing time.
    pub fn rfc3161_timestamps(&self) -> usize {
        self.timestamps.len()
    }

    /// The predicate type of the in-toto statement a DSSE bundle signs (`https://sigstore.dev/cosign/sign/v1` for
    /// cosign's image signatures, SLSA provenance, an SBOM...), as the payload says before any verification;
    /// `None` for a message signature or a payload that is not an in-toto statement.
    pub fn predicate_type(&self) -> Option<String> {
        #[derive(Deserialize)]
        struct Predicate {
            #[serde(rename = "predicateType")]
            predicate_type: String,
        }
        match &self.content {
            Content::Dsse { payload, .. } => serde_json::from_slice::<Predicate>(payload)
                .ok()
                .map(|statement| statement.predicate_type),
            Content::MessageSignature { .. } => None,
        }
    }

    /// Whether the bundle holds a message signature (over the artifact's bytes, which verifying then needs) rather
    /// than a DSSE envelope (whose statement names the artifact's digest).
    pub fn is_message_signature(&self) -> bool {
        matches!(self.content, Content::MessageSignature { .. })
    }

    /// The signing certificate, for a keyless bundle (`None` when the bundle names a public key).
    pub fn certificate(&self) -> Option<&Certificate> {
        match &self.material {
            Material::Certificate(certificate) => Some(certificate),
            Material::PublicKey => None,
        }
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::Bundle, message)
}

fn too_large(message: String) -> Error {
    Error::new(ErrorKind::TooLarge, message)
}

fn bytes64(text: &str, what: &str) -> Result<Vec<u8>, Error> {
    json::base64(text, ErrorKind::Bundle, what)
}

fn material(certificate: Option<RawBytes>, chain: Option<RawChain>, public_key: bool) -> Result<Material, Error> {
    match (certificate, chain, public_key) {
        (Some(certificate), None, false) => {
            let der = bytes64(&certificate.raw_bytes, "verificationMaterial.certificate.rawBytes")?;
            Ok(Material::Certificate(Box::new(Certificate::from_der(&der)?)))
        }
        (None, Some(chain), false) => {
            if chain.certificates.len() > MAX_CHAIN {
                return Err(too_large(format!(
                    "a certificate chain of {} certificates; the limit is {MAX_CHAIN}",
                    chain.certificates.len()
                )));
            }
            let certificates = chain
                .certificates
                .iter()
                .map(|raw| Certificate::from_der(&bytes64(&raw.raw_bytes, "a chain certificate's rawBytes")?))
                .collect::<Result<Vec<_>, _>>()?;
            let mut certificates = certificates.into_iter();
            let leaf = certificates
                .next()
                .ok_or_else(|| invalid("an empty x509CertificateChain".into()))?;
            // A root in the bundle is a sign of a signer that trusts its own chain; Sigstore's clients refuse it,
            // since the verifier's roots come from its trusted root only.
            if certificates.any(|certificate| is_self_issued(&certificate)) {
                return Err(invalid(
                    "the bundle's certificate chain contains a root certificate; roots come from the trusted root"
                        .into(),
                ));
            }
            Ok(Material::Certificate(Box::new(leaf)))
        }
        (None, None, true) => Ok(Material::PublicKey),
        (None, None, false) => Err(invalid(
            "no certificate, certificate chain or public key in verificationMaterial".into(),
        )),
        _ => Err(invalid(
            "more than one of certificate, x509CertificateChain and publicKey in verificationMaterial".into(),
        )),
    }
}

/// Whether the certificate names itself as its issuer (a root, or a self-signed leaf).
fn is_self_issued(certificate: &Certificate) -> bool {
    x509_parser::parse_x509_certificate(certificate.der())
        .is_ok_and(|(_, parsed)| parsed.issuer().as_raw() == parsed.subject().as_raw())
}

fn entry(raw: RawTlogEntry) -> Result<TlogEntry, Error> {
    let proof = match raw.inclusion_proof {
        None => None,
        Some(proof) => {
            if proof.hashes.len() > MAX_PROOF_HASHES {
                return Err(too_large(format!(
                    "an inclusion proof of {} hashes; the limit is {MAX_PROOF_HASHES}",
                    proof.hashes.len()
                )));
            }
            Some(InclusionProof {
                log_index: proof.log_index.non_negative("inclusionProof.logIndex")?,
                root_hash: bytes64(&proof.root_hash, "inclusionProof.rootHash")?,
                tree_size: proof.tree_size.non_negative("inclusionProof.treeSize")?,
                hashes: proof
                    .hashes
                    .iter()
                    .map(|hash| bytes64(hash, "an inclusionProof hash"))
                    .collect::<Result<_, _>>()?,
                checkpoint: proof.checkpoint.map(|checkpoint| checkpoint.envelope),
            })
        }
    };
    Ok(TlogEntry {
        log_index: raw.log_index.non_negative("a tlog entry's logIndex")?,
        log_id: bytes64(&raw.log_id.key_id, "logId.keyId")?,
        kind: raw.kind_version.kind,
        version: raw.kind_version.version,
        integrated_time: raw
            .integrated_time
            .map(|time| time.non_negative("integratedTime"))
            .transpose()?
            .filter(|&time| time != 0),
        promise: raw
            .inclusion_promise
            .map(|promise| bytes64(&promise.signed_entry_timestamp, "inclusionPromise.signedEntryTimestamp"))
            .transpose()?,
        proof,
        body: bytes64(&raw.canonicalized_body, "canonicalizedBody")?,
    })
}
