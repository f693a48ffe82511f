//! RFC 3161 timestamps: a timestamp authority's signed statement that a hash existed at a time. A Sigstore bundle
//! carries them (`timestampVerificationData.rfc3161Timestamps`, over its signature; Rekor v2 entries have no
//! integrated time, so such a timestamp is their only signing time), and so does a notation envelope
//! (`io.cncf.notary.timestampSignature`, over its signature), whose certificates it lets outlive their validity.
//!
//! A timestamp is the DER of a `TimeStampResp` (RFC 3161, 2.4.2), or of the bare `TimeStampToken` in it: a CMS
//! `SignedData` (RFC 5652) whose content is a `TSTInfo`. It is verified as Sigstore's clients verify it:
//! - the response's status is granted, the content is a `TSTInfo`, and its message imprint is the hash of the
//!   bundle's signature (what the signer sent to the authority);
//! - exactly one signer, whose signed attributes name the `TSTInfo` content type and its digest, and whose signature
//!   over those attributes verifies with the certificate the signer identifier names;
//! - that certificate (embedded in the token, or the leaf a Sigstore trusted root gives) chains to a trusted
//!   certificate ([`Timestamp::verify`]: roots, as notation's TSA trust store holds them) or to the certificate
//!   chain of a timestamp authority of a Sigstore trusted root, with every certificate valid at the time and the
//!   leaf for time stamping.
//!
//! The time is `genTime`, whole seconds (a fraction is dropped; the accuracy field is not used).

use crate::der::{self, CONTEXT_0, CONTEXT_1, GENERALIZED_TIME, INTEGER, OCTET_STRING, OID, Reader, SEQUENCE, SET};
use crate::error::{Error, ErrorKind};
use crate::key::Hash;
use crate::sigstore::rfc3339;
use crate::x509::{Certificate, MAX_CHAIN, Usage};

/// The largest timestamp read: tokens with their certificates are a few KiB.
pub const MAX_TIMESTAMP: usize = 64 * 1024;

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

/// An RFC 3161 timestamp read from DER: [`from_der`](Self::from_der) checks its shape, [`verify`](Self::verify) what
/// it says against trusted roots. [`Bundle::verify`](crate::sigstore::Bundle::verify) verifies a bundle's own
/// against its trusted root's timestamp authorities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// `genTime`, seconds since 1970.
    time: i64,
    imprint_hash: Hash,
    imprint: Vec<u8>,
    /// The `TSTInfo` DER, whose digest the signed attributes must carry.
    tst_info: Vec<u8>,
    certificates: Vec<Certificate>,
    signer: SignerId,
    digest_hash: Hash,
    /// The signed attributes as encoded, with their `[0]` tag.
    signed_attributes: Vec<u8>,
    /// What the signed attributes say: the content type's OID (dotted) and the message digest.
    content_type: String,
    message_digest: Vec<u8>,
    signature_hash: Hash,
    signature: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum SignerId {
    IssuerSerial { issuer: Vec<u8>, serial: Vec<u8> },
    KeyId(Vec<u8>),
}

fn malformed(why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Timestamp, format!("not an RFC 3161 timestamp: {why}"))
}

fn failed(why: impl Into<Box<str>>) -> Error {
    Error::new(ErrorKind::Timestamp, why)
}

impl Timestamp {
    /// Reads a `TimeStampResp` or a `TimeStampToken`, the whole of `der`.
    ///
    /// Refused with [`ErrorKind::Timestamp`]: DER that is not one of them (a `SignedData` of another content than a
    /// `TSTInfo`, not exactly one signer, no signed attributes or without the content type or message digest, a
    /// `genTime` that is not DER's `YYYYMMDDhhmmss[.f]Z`), or a response whose status is not granted; with
    /// [`ErrorKind::Unsupported`]: a hash other than SHA-256, SHA-384 or SHA-512, a signature algorithm other than
    /// ECDSA, RSA PKCS#1 v1.5 or Ed25519; with [`ErrorKind::TooLarge`]: over 64 KiB or 16 certificates; and what
    /// [`Certificate::from_der`] refuses of an embedded certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        if der.len() > MAX_TIMESTAMP {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "an RFC 3161 timestamp of {} bytes; the limit is {MAX_TIMESTAMP}",
                    der.len()
                ),
            ));
        }
        let mut outer = Reader::new(der);
        let top = outer.read(SEQUENCE).map_err(malformed)?;
        outer.finish().map_err(malformed)?;
        let mut top = Reader::new(top);
        // A response starts with its status (a SEQUENCE); a token, which is a ContentInfo, with an OID.
        let content_info = if top.peek() == Some(SEQUENCE) {
            let mut status = Reader::new(top.read(SEQUENCE).map_err(malformed)?);
            let code = status.unsigned().map_err(malformed)?;
            // granted (0) or grantedWithMods (1); the rest (rejection, waiting...) carry no token.
            if !matches!(code, [0] | [1]) {
                return Err(failed(format!(
                    "the timestamp authority did not grant the timestamp (status {})",
                    code.iter()
                        .fold(0u64, |n, b| n.saturating_mul(256).saturating_add(u64::from(*b)))
                )));
            }
            let token = top.read(SEQUENCE).map_err(malformed)?;
            top.finish().map_err(malformed)?;
            Reader::new(token)
        } else {
            top
        };
        Self::from_content_info(content_info)
    }

    fn from_content_info(mut info: Reader<'_>) -> Result<Self, Error> {
        let content_type = der::dotted(info.read(OID).map_err(malformed)?);
        if content_type != SIGNED_DATA {
            return Err(malformed(format!("a content of type {content_type}, not SignedData")));
        }
        let mut explicit = Reader::new(info.read(CONTEXT_0).map_err(malformed)?);
        info.finish().map_err(malformed)?;
        let signed_data = explicit.read(SEQUENCE).map_err(malformed)?;
        explicit.finish().map_err(malformed)?;
        let mut signed_data = Reader::new(signed_data);
        signed_data.read(INTEGER).map_err(malformed)?;
        signed_data.read(SET).map_err(malformed)?;
        let mut encapsulated = Reader::new(signed_data.read(SEQUENCE).map_err(malformed)?);
        let econtent_type = der::dotted(encapsulated.read(OID).map_err(malformed)?);
        if econtent_type != TST_INFO {
            return Err(malformed(format!(
                "signed content of type {econtent_type}, not TSTInfo"
            )));
        }
        let mut explicit = Reader::new(encapsulated.read(CONTEXT_0).map_err(malformed)?);
        encapsulated.finish().map_err(malformed)?;
        let tst_info = explicit.read(OCTET_STRING).map_err(malformed)?;
        explicit.finish().map_err(malformed)?;

        let mut certificates = Vec::new();
        if let Some(set) = signed_data.optional(CONTEXT_0).map_err(malformed)? {
            let mut set = Reader::new(set);
            while !set.is_empty() {
                // Other certificate formats (attribute certificates...) have other tags and are refused here.
                let der = set.element(SEQUENCE).map_err(malformed)?;
                if certificates.len() == MAX_CHAIN {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!("more than {MAX_CHAIN} certificates in a timestamp"),
                    ));
                }
                certificates.push(Certificate::from_der(der)?);
            }
        }
        // Revocation lists are not used.
        signed_data.optional(CONTEXT_1).map_err(malformed)?;
        let mut signer_infos = Reader::new(signed_data.read(SET).map_err(malformed)?);
        signed_data.finish().map_err(malformed)?;
        let signer_info = signer_infos.read(SEQUENCE).map_err(malformed)?;
        if !signer_infos.is_empty() {
            return Err(malformed("more than one signer"));
        }

        let mut info = Reader::new(signer_info);
        info.read(INTEGER).map_err(malformed)?;
        let signer = match info.peek() {
            Some(SEQUENCE) => {
                let mut id = Reader::new(info.read(SEQUENCE).map_err(malformed)?);
                let issuer = id.element(SEQUENCE).map_err(malformed)?.to_vec();
                let serial = id.read(INTEGER).map_err(malformed)?.to_vec();
                id.finish().map_err(malformed)?;
                SignerId::IssuerSerial { issuer, serial }
            }
            // `[0] IMPLICIT SubjectKeyIdentifier`: a primitive OCTET STRING under a context tag.
            Some(0x80) => SignerId::KeyId(info.read(0x80).map_err(malformed)?.to_vec()),
            _ => {
                return Err(malformed(
                    "a signer identifier that is neither issuer and serial nor a key id",
                ));
            }
        };
        let digest_hash = hash_of(info.read(SEQUENCE).map_err(malformed)?)?;
        if info.peek() != Some(CONTEXT_0) {
            return Err(malformed("a signer without signed attributes"));
        }
        let signed_attributes = info.element(CONTEXT_0).map_err(malformed)?.to_vec();
        let (content_type, message_digest) = attributes(&signed_attributes)?;
        let signature_hash = signature_hash(info.read(SEQUENCE).map_err(malformed)?, digest_hash)?;
        let signature = info.read(OCTET_STRING).map_err(malformed)?.to_vec();
        info.optional(CONTEXT_1).map_err(malformed)?;
        info.finish().map_err(malformed)?;

        let (time, imprint_hash, imprint) = tst_fields(tst_info)?;
        Ok(Self {
            time,
            imprint_hash,
            imprint,
            tst_info: tst_info.to_vec(),
            certificates,
            signer,
            digest_hash,
            signed_attributes,
            content_type,
            message_digest,
            signature_hash,
            signature,
        })
    }

    /// Verifies that a timestamp authority whose certificate chains to one of `roots` (through the certificates the
    /// token embeds; or one of `roots` itself) timestamped `signed` (a signature's bytes), and returns the time it
    /// signed (`genTime`, in whole seconds since 1970). Every certificate of the path must be valid then, and the
    /// signer's for time stamping. Every failure is [`ErrorKind::Timestamp`] (besides [`ErrorKind::Unsupported`]
    /// for a signer's key this crate does not read).
    pub fn verify(&self, signed: &[u8], roots: &[Certificate]) -> Result<i64, Error> {
        let attributes = self.check_content(signed)?;
        let signer = self.signer_among(self.certificates.iter(), &attributes)?;
        if roots.iter().any(|root| root.der() == signer.der()) {
            // A root that signs timestamps itself: trusted as it is.
            return Ok(self.time);
        }
        signer
            .verify_path(&self.certificates, roots, self.time, Usage::TimeStamping)
            .map_err(|err| failed(format!("the timestamp's signer: {err}")))?;
        Ok(self.time)
    }

    /// As [`verify`](Self::verify), for a Sigstore timestamp authority: `chain` is its certificate chain, leaf first
    /// and root last (its leaf may be the signer when the token embeds no certificate); `attributes` is what
    /// [`check_content`](Self::check_content) gave, checked once for every authority tried.
    pub(crate) fn verify_chain(&self, attributes: &[u8], chain: &[Certificate]) -> Result<i64, Error> {
        let signer = self.signer_among(self.certificates.iter().chain(chain.first()), attributes)?;
        match chain {
            // A chain of the leaf alone: trusted as it is.
            [leaf] if leaf.der() == signer.der() => Ok(self.time),
            [intermediates @ .., anchor] => signer
                .verify_path(
                    intermediates,
                    std::slice::from_ref(anchor),
                    self.time,
                    Usage::TimeStamping,
                )
                .map(|()| self.time)
                .map_err(|err| failed(format!("the timestamp's signer: {err}"))),
            [] => Err(failed("a timestamp authority without certificates")),
        }
    }

    /// The time the token says it was made (`genTime`), unverified.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// That the token timestamps `signed`, and its signed attributes are those of its `TSTInfo`: the attributes'
    /// DER as signed (with the SET OF tag in place of the `[0]` they are sent with).
    pub(crate) fn check_content(&self, signed: &[u8]) -> Result<Vec<u8>, Error> {
        if self.imprint_hash.digest(signed).as_ref() != self.imprint.as_slice() {
            return Err(failed(
                "the timestamp is for another signature (its message imprint is not the hash of this signature)",
            ));
        }
        if self.content_type != TST_INFO {
            return Err(failed("the timestamp's signed content-type attribute is not TSTInfo"));
        }
        if self.digest_hash.digest(&self.tst_info).as_ref() != self.message_digest.as_slice() {
            return Err(failed(
                "the timestamp's signed message-digest attribute is not the digest of its TSTInfo",
            ));
        }
        let mut attributes = self.signed_attributes.clone();
        attributes[0] = SET;
        Ok(attributes)
    }

    /// The certificate among `candidates` the signer identifier names, whose key verifies the signature over
    /// `attributes` and which was valid at the time.
    fn signer_among<'c>(
        &self,
        mut candidates: impl Iterator<Item = &'c Certificate>,
        attributes: &[u8],
    ) -> Result<&'c Certificate, Error> {
        let signer = candidates
            .find(|certificate| match &self.signer {
                SignerId::IssuerSerial { issuer, serial } => certificate.is_named_by(issuer, serial),
                SignerId::KeyId(id) => certificate.subject_key_id() == Some(id.as_slice()),
            })
            .ok_or_else(|| failed("no certificate of the timestamp or of the trust given is the timestamp's signer"))?;
        let key = signer.public_key()?;
        if !key.verify_with(self.signature_hash, attributes, &self.signature) {
            return Err(failed(
                "the timestamp's signature does not verify with its signer's certificate",
            ));
        }
        if !signer.valid_at(self.time) {
            return Err(failed(format!(
                "the timestamp's time {} is outside its signer's certificate validity ({}..{})",
                self.time,
                signer.not_before(),
                signer.not_after()
            )));
        }
        Ok(signer)
    }
}

/// The hash an AlgorithmIdentifier names.
fn hash_of(algorithm: &[u8]) -> Result<Hash, Error> {
    let mut algorithm = Reader::new(algorithm);
    let oid = der::dotted(algorithm.read(OID).map_err(malformed)?);
    Hash::from_oid(&oid).ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!("a timestamp hashed with {oid}; supported: SHA-256, SHA-384, SHA-512"),
        )
    })
}

/// The hash a signature AlgorithmIdentifier names: ECDSA and RSA with a hash, or a bare key algorithm (with the
/// digest algorithm's hash), or Ed25519.
fn signature_hash(algorithm: &[u8], digest_hash: Hash) -> Result<Hash, Error> {
    let mut algorithm = Reader::new(algorithm);
    let oid = der::dotted(algorithm.read(OID).map_err(malformed)?);
    match oid.as_str() {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Ok(Hash::Sha256),
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Ok(Hash::Sha384),
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Ok(Hash::Sha512),
        // id-ecPublicKey, rsaEncryption, Ed25519
        "1.2.840.10045.2.1" | "1.2.840.113549.1.1.1" | "1.3.101.112" => Ok(digest_hash),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("a timestamp signed with {other}; supported: ECDSA, RSA PKCS#1 v1.5, Ed25519"),
        )),
    }
}

/// The content-type and message-digest attributes, each present once with one value.
fn attributes(signed_attributes: &[u8]) -> Result<(String, Vec<u8>), Error> {
    let mut outer = Reader::new(signed_attributes);
    let mut set = Reader::new(outer.read(CONTEXT_0).map_err(malformed)?);
    let (mut content_type, mut digest) = (None, None);
    while !set.is_empty() {
        let mut attribute = Reader::new(set.read(SEQUENCE).map_err(malformed)?);
        let oid = der::dotted(attribute.read(OID).map_err(malformed)?);
        let mut values = Reader::new(attribute.read(SET).map_err(malformed)?);
        attribute.finish().map_err(malformed)?;
        let slot = match oid.as_str() {
            CONTENT_TYPE => {
                let value = der::dotted(values.read(OID).map_err(malformed)?);
                content_type.replace(value).is_some()
            }
            MESSAGE_DIGEST => {
                let value = values.read(OCTET_STRING).map_err(malformed)?.to_vec();
                digest.replace(value).is_some()
            }
            _ => continue,
        };
        if slot {
            return Err(malformed(format!("the signed attribute {oid} twice")));
        }
        values
            .finish()
            .map_err(|_| malformed(format!("the signed attribute {oid} has more than one value")))?;
    }
    match (content_type, digest) {
        (Some(content_type), Some(digest)) => Ok((content_type, digest)),
        _ => Err(malformed(
            "the signed attributes lack the content type or the message digest",
        )),
    }
}

/// `genTime` and the message imprint of a `TSTInfo`.
fn tst_fields(tst_info: &[u8]) -> Result<(i64, Hash, Vec<u8>), Error> {
    let mut outer = Reader::new(tst_info);
    let mut info = Reader::new(outer.read(SEQUENCE).map_err(malformed)?);
    outer.finish().map_err(malformed)?;
    let version = info.unsigned().map_err(malformed)?;
    if version != [1] {
        return Err(malformed("a TSTInfo of another version than 1"));
    }
    info.read(OID).map_err(malformed)?;
    let mut imprint = Reader::new(info.read(SEQUENCE).map_err(malformed)?);
    let hash = hash_of(imprint.read(SEQUENCE).map_err(malformed)?)?;
    let hashed = imprint.read(OCTET_STRING).map_err(malformed)?.to_vec();
    imprint.finish().map_err(malformed)?;
    info.read(INTEGER).map_err(malformed)?;
    let time = info.read(GENERALIZED_TIME).map_err(malformed)?;
    let time = generalized_time(time).ok_or_else(|| malformed("a genTime that is not YYYYMMDDhhmmss[.f]Z"))?;
    // accuracy, ordering, nonce, tsa, extensions: not used.
    Ok((time, hash, hashed))
}

/// A DER GeneralizedTime (`YYYYMMDDhhmmss[.f...]Z`, UTC) as whole seconds since 1970.
fn generalized_time(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    let digits = text.get(..14)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = &text[14..];
    let fraction = match rest.strip_suffix('Z')? {
        "" => "",
        fraction => {
            let digits = fraction.strip_prefix('.')?;
            // DER drops trailing zeros, so `.0` and `.` are not DER.
            if digits.is_empty() || digits.ends_with('0') {
                return None;
            }
            fraction
        }
    };
    rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}{fraction}Z",
        &digits[..4],
        &digits[4..6],
        &digits[6..8],
        &digits[8..10],
        &digits[10..12],
        &digits[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times_are_der_utc() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20250612120220Z"), rfc3339("2025-06-12T12:02:20Z"));
        assert_eq!(generalized_time(b"20250612120220.5Z"), rfc3339("2025-06-12T12:02:20Z"));
        for bad in [
            &b"20250612120220"[..],
            b"20250612120220.Z",
            b"20250612120220.50Z",
            b"2025061212022Z",
            b"20251312120220Z",
            b"2025061212022xZ",
            b"20250612120220+0100",
            b"",
        ] {
            assert_eq!(generalized_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
