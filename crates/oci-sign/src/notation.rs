//! Notation (Notary Project) signatures: the JWS (`application/jose+json`) or COSE (`application/cose`) envelope of
//! an OCI 1.1 signature artifact (`application/vnd.cncf.notary.signature`), verified offline against a trust store
//! of CA certificates. Both formats carry the same headers and payload and are judged by the same rules; COSE's
//! `COSE_Sign1` is read with the crate's own strict CBOR reader, and its `Sig_structure` is what is signed.
//!
//! The key decisions, after the Notary Project's signature and trust store specifications:
//! - **Only the `notary.x509` signing scheme.** Its signing time is what the signer claims, so it proves nothing:
//!   the certificate chain must be valid *now* (the verification time), as notation checks it without a timestamp
//!   countersignature. With one (`notation sign --timestamp-url`) and a trust store of timestamp authorities
//!   ([`Envelope::verify_timestamped`]), the chain is judged at the timestamp's verified time instead.
//!   `notary.x509.signingAuthority` (a signing service's scheme, with plugins) is
//!   [unsupported](ErrorKind::Unsupported).
//! - **The protected header is checked as JWS demands** (and COSE alike: labels 1, 2 and 3 are `alg`, `crit` and
//!   `cty`, times are CBOR epoch times). `alg` one of `PS256`, `PS384`, `PS512`, `ES256`, `ES384`
//!   and fitting the leaf's key; `cty` the notation payload type; `crit` listing exactly the critical headers
//!   present (the signing scheme, and the expiry or the verification plugin when there); an unknown critical header
//!   is refused. An `io.cncf.notary.expiry` in the past makes the signature invalid.
//! - **The payload's `targetArtifact.digest` must be the digest being verified**, so an envelope copied from
//!   another image is invalid whoever signed it.
//! - **The chain is the envelope's `x5c`, leaf first.** rustls-webpki checks it against the trust store's
//!   certificates ([`Certificate::verify_path`]); a leaf that is itself in the trust store (a self-signed
//!   certificate made by `notation cert generate-test`) is trusted as it is, when valid now. A chain that reaches no
//!   certificate of the store is untrusted, not invalid: the signature may be right, by someone not trusted. webpki
//!   leaves the leaf's key usage to its caller: when the leaf has the extension, it must allow `digitalSignature`.
//! - **Trusted identities** ([`TrustedIdentity`], a trust policy's `x509.subject:` entries) narrow a CA to the
//!   certificates whose subject has their attributes; the caller applies them to the leaf
//!   ([`crate::Trust::with_notation_identities`]).
//! - Revocation (OCSP, CRLs) is not checked: there is no network here.

use std::fmt;

use oci_digest::Digest;
use serde::Deserialize;
use serde_json::Value;

use crate::cbor::{self, Cbor};
use crate::encoding::{base64_decode, base64url_decode};
use crate::error::{Error, ErrorKind, quote};
use crate::timestamp::Timestamp;
use crate::x509::{Certificate, MAX_CHAIN, Usage};

/// The artifact type of notation's signature manifests.
pub const NOTATION_SIGNATURE_ARTIFACT: &str = "application/vnd.cncf.notary.signature";

/// The media type of a JWS envelope layer.
pub const JWS_ENVELOPE: &str = "application/jose+json";

/// The media type of a COSE envelope layer.
pub const COSE_ENVELOPE: &str = "application/cose";

/// The content type of notation's payload.
const PAYLOAD_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";

/// The largest envelope read.
const MAX_ENVELOPE: usize = 256 * 1024;

const SIGNING_SCHEME: &str = "io.cncf.notary.signingScheme";
const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
const EXPIRY: &str = "io.cncf.notary.expiry";
const AUTHENTIC_SIGNING_TIME: &str = "io.cncf.notary.authenticSigningTime";
const VERIFICATION_PLUGIN: &str = "io.cncf.notary.verificationPlugin";
const VERIFICATION_PLUGIN_MIN_VERSION: &str = "io.cncf.notary.verificationPluginMinVersion";
const TIMESTAMP_SIGNATURE: &str = "io.cncf.notary.timestampSignature";

/// The protected headers notation defines, and whether each must be listed in `crit` when present.
const KNOWN_HEADERS: &[(&str, bool)] = &[
    ("alg", false),
    ("cty", false),
    ("crit", false),
    (SIGNING_SCHEME, true),
    (SIGNING_TIME, false),
    (EXPIRY, true),
    (AUTHENTIC_SIGNING_TIME, true),
    (VERIFICATION_PLUGIN, true),
    (VERIFICATION_PLUGIN_MIN_VERSION, true),
];

/// A notation JWS envelope, read strictly: its parts decoded and its headers checked for form (not yet trusted).
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    /// What was signed: for JWS, the protected header and the payload as encoded, joined by `.`; for COSE, the
    /// `Sig_structure`.
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    alg: String,
    expiry: Option<i64>,
    signed_digest: Digest,
    chain: Vec<Certificate>,
    /// The RFC 3161 countersignature of the signature (`io.cncf.notary.timestampSignature`), if any.
    timestamp: Option<Timestamp>,
}

/// Who made a verified notation signature: the leaf certificate's subject and its SHA-256 fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NotationSigner {
    /// The leaf's subject, as RFC 4514 writes it.
    pub subject: String,
    /// `sha256:` of the leaf certificate's DER.
    pub fingerprint: Digest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    payload: String,
    protected: String,
    header: RawHeader,
    signature: String,
}

#[derive(Deserialize)]
struct RawHeader {
    x5c: Vec<String>,
    #[serde(rename = "io.cncf.notary.timestampSignature")]
    timestamp_signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayload {
    target_artifact: RawTarget,
}

#[derive(Deserialize)]
struct RawTarget {
    digest: String,
}

/// A protected header, JWS or COSE, as the rules below need it: `Ok`/`Err(())` for a time that is present and
/// well-formed or not.
struct Header {
    alg: Option<String>,
    cty: Option<String>,
    crit: Option<Vec<String>>,
    /// Every label present, `alg`, `cty` and `crit` included.
    names: Vec<String>,
    scheme: Option<String>,
    signing_time: Result<Option<i64>, ()>,
    expiry: Result<Option<i64>, ()>,
}

/// What a checked header gives the envelope.
struct Checked {
    alg: String,
    expiry: Option<i64>,
}

impl Header {
    /// notation's rules for the protected header, the same for both envelope formats.
    fn check(self) -> Result<Checked, Error> {
        let alg = self.alg.ok_or_else(|| malformed("the protected header has no `alg`"))?;
        if !["PS256", "PS384", "PS512", "ES256", "ES384"].contains(&alg.as_str()) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the signature algorithm {} is not one notation signs with here (PS256/384/512, ES256/384)",
                    quote(&alg)
                ),
            ));
        }
        if self.cty.as_deref() != Some(PAYLOAD_TYPE) {
            return Err(malformed(format!("the protected header's `cty` is not {PAYLOAD_TYPE}")));
        }
        let crit = self
            .crit
            .ok_or_else(|| malformed("the protected header has no `crit` list"))?;
        for name in &self.names {
            match KNOWN_HEADERS.iter().find(|(known, _)| known == name) {
                Some((_, true)) if !crit.contains(name) => {
                    return Err(malformed(format!(
                        "the critical header {} is not listed in `crit`",
                        quote(name)
                    )));
                }
                Some(_) => {}
                None if crit.contains(name) => {
                    return Err(malformed(format!(
                        "the critical header {} is not one notation defines",
                        quote(name)
                    )));
                }
                None => {}
            }
        }
        if let Some(listed) = crit.iter().find(|name| !self.names.contains(name)) {
            return Err(malformed(format!(
                "`crit` lists {}, which the header does not have",
                quote(listed)
            )));
        }
        match self.scheme.as_deref() {
            Some("notary.x509") => {}
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "the signing scheme {} needs a signing service's plugin; only notary.x509 is verified here",
                        quote(other)
                    ),
                ));
            }
            None => return Err(malformed("the protected header has no signing scheme")),
        }
        if !matches!(self.signing_time, Ok(Some(_))) {
            return Err(malformed("the signing time is missing or malformed"));
        }
        let expiry = self.expiry.map_err(|()| malformed("the expiry is malformed"))?;
        Ok(Checked { alg, expiry })
    }
}

/// Refuses an envelope over the size limit.
fn check_size(bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() > MAX_ENVELOPE {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "a notation envelope of {} bytes; the limit is {MAX_ENVELOPE}",
                bytes.len()
            ),
        ));
    }
    Ok(())
}

/// The digest notation's payload (`{"targetArtifact": {...}}`) signs.
fn target_digest(payload: &[u8]) -> Result<Digest, Error> {
    let payload: RawPayload = serde_json::from_slice(payload)
        .map_err(|err| malformed(format!("the payload: {}", quote(&err.to_string()))))?;
    payload.target_artifact.digest.parse().map_err(|_| {
        malformed(format!(
            "the target digest {} is not a digest",
            quote(&payload.target_artifact.digest)
        ))
    })
}

fn malformed(why: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Notation,
        format!("not a notation JWS envelope: {}", why.into()),
    )
}

impl Envelope {
    /// Reads a JWS envelope (JSON serialization, as notation writes it).
    ///
    /// Refused: over 256 KiB ([`ErrorKind::TooLarge`]); not the JWS JSON shape, a part that is not base64url, a
    /// protected header without `alg`, `cty` or the signing scheme, an unknown or unlisted critical header, a
    /// payload without `targetArtifact.digest`, an `x5c` that is empty, over 16 certificates or not DER
    /// certificates ([`ErrorKind::Notation`] or the certificate's kind); a scheme other than `notary.x509` or an
    /// algorithm other than `PS256`/`PS384`/`PS512`/`ES256`/`ES384` ([`ErrorKind::Unsupported`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        check_size(bytes)?;
        // serde's messages may name what the input held (an unknown field), so they are quoted: escaped and cut.
        let raw: RawEnvelope = serde_json::from_slice(bytes).map_err(|err| malformed(quote(&err.to_string())))?;
        let protected = base64url_decode(&raw.protected).ok_or_else(|| malformed("`protected` is not base64url"))?;
        let payload = base64url_decode(&raw.payload).ok_or_else(|| malformed("`payload` is not base64url"))?;
        let signature = base64url_decode(&raw.signature).ok_or_else(|| malformed("`signature` is not base64url"))?;
        let header: serde_json::Map<String, Value> = serde_json::from_slice(&protected)
            .map_err(|err| malformed(format!("the protected header: {}", quote(&err.to_string()))))?;
        let text = |name: &str| header.get(name).and_then(Value::as_str);
        let time = |name: &str| match header.get(name) {
            None => Ok(None),
            Some(value) => value.as_str().and_then(crate::sigstore::rfc3339).map(Some).ok_or(()),
        };
        let crit = match header.get("crit") {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| malformed("`crit` holds something other than names"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => None,
        };
        let checked = Header {
            alg: text("alg").map(str::to_owned),
            cty: text("cty").map(str::to_owned),
            crit,
            names: header.keys().cloned().collect(),
            scheme: text(SIGNING_SCHEME).map(str::to_owned),
            signing_time: time(SIGNING_TIME),
            expiry: time(EXPIRY),
        }
        .check()?;
        if raw.header.x5c.is_empty() || raw.header.x5c.len() > MAX_CHAIN {
            return Err(malformed(format!(
                "`x5c` holds {} certificates; 1 to {MAX_CHAIN} are read",
                raw.header.x5c.len()
            )));
        }
        let chain = raw
            .header
            .x5c
            .iter()
            .map(|encoded| {
                let der = base64_decode(encoded).ok_or_else(|| malformed("an `x5c` certificate is not base64"))?;
                Certificate::from_der(&der)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let timestamp = raw
            .header
            .timestamp_signature
            .as_deref()
            .map(|encoded| {
                let der =
                    base64_decode(encoded).ok_or_else(|| malformed("the timestamp countersignature is not base64"))?;
                Timestamp::from_der(&der)
            })
            .transpose()?;
        Ok(Self {
            signing_input: format!("{}.{}", raw.protected, raw.payload).into_bytes(),
            signature,
            alg: checked.alg,
            expiry: checked.expiry,
            signed_digest: target_digest(&payload)?,
            chain,
            timestamp,
        })
    }

    /// Reads a COSE envelope (`application/cose`: a `COSE_Sign1`, as `notation sign --signature-format cose`
    /// writes it), with the same rules as [`parse`](Self::parse): the protected header's `alg` (1), content type
    /// (3), `crit` (2) and notation's labels, the certificate chain in the unprotected `x5chain` (33), the
    /// timestamp countersignature in `io.cncf.notary.timestampSignature`. Refused as `parse` refuses, and what
    /// is not strict CBOR (indefinite lengths, duplicate keys, over 16 levels deep) with [`ErrorKind::Notation`].
    pub fn parse_cose(bytes: &[u8]) -> Result<Self, Error> {
        check_size(bytes)?;
        let bad = |why: &str| malformed(format!("the COSE envelope: {why}"));
        let item = cbor::decode(bytes).map_err(bad)?;
        let item = match item {
            Cbor::Tag(18, item) => *item,
            Cbor::Tag(..) => return Err(bad("a tag other than COSE_Sign1's (18)")),
            item => item,
        };
        let Cbor::Array(parts) = item else {
            return Err(bad("not a COSE_Sign1 array"));
        };
        let [
            Cbor::Bytes(protected_bytes),
            unprotected @ Cbor::Map(_),
            Cbor::Bytes(payload),
            Cbor::Bytes(signature),
        ] = parts.as_slice()
        else {
            return Err(bad(
                "not the four parts of a COSE_Sign1 (protected, unprotected, payload, signature)",
            ));
        };
        let protected = cbor::decode(protected_bytes).map_err(bad)?;
        let Cbor::Map(entries) = &protected else {
            return Err(bad("the protected header is not a map"));
        };
        let label = |key: &Cbor<'_>| match key {
            Cbor::Text(text) => Some((*text).to_owned()),
            Cbor::Unsigned(1) => Some("alg".to_owned()),
            Cbor::Unsigned(2) => Some("crit".to_owned()),
            Cbor::Unsigned(3) => Some("cty".to_owned()),
            other => other.integer().map(|n| n.to_string()),
        };
        let names = entries
            .iter()
            .map(|(key, _)| label(key).ok_or_else(|| bad("a header label that is neither text nor an integer")))
            .collect::<Result<Vec<_>, _>>()?;
        let alg = match protected.get(&Cbor::Unsigned(1)).and_then(Cbor::integer) {
            None => None,
            Some(-7) => Some("ES256".to_owned()),
            Some(-35) => Some("ES384".to_owned()),
            Some(-37) => Some("PS256".to_owned()),
            Some(-38) => Some("PS384".to_owned()),
            Some(-39) => Some("PS512".to_owned()),
            Some(other) => Some(format!("COSE algorithm {other}")),
        };
        let text = |key: &Cbor<'_>| match protected.get(key) {
            Some(Cbor::Text(text)) => Some((*text).to_owned()),
            _ => None,
        };
        // notation writes times as CBOR epoch times: tag 1 over an integer.
        let time = |name: &str| match protected.get(&Cbor::Text(name)) {
            None => Ok(None),
            Some(Cbor::Tag(1, value)) => value.integer().map(Some).ok_or(()),
            Some(_) => Err(()),
        };
        let crit = match protected.get(&Cbor::Unsigned(2)) {
            Some(Cbor::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| label(item).ok_or_else(|| bad("`crit` holds something other than labels")))
                    .collect::<Result<_, _>>()?,
            ),
            _ => None,
        };
        let checked = Header {
            alg,
            cty: text(&Cbor::Unsigned(3)),
            crit,
            names,
            scheme: text(&Cbor::Text(SIGNING_SCHEME)),
            signing_time: time(SIGNING_TIME),
            expiry: time(EXPIRY),
        }
        .check()?;
        let chain = match unprotected.get(&Cbor::Unsigned(33)) {
            Some(Cbor::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(single @ Cbor::Bytes(_)) => vec![single],
            _ => {
                return Err(bad(
                    "no certificate chain (x5chain, label 33) in the unprotected header",
                ));
            }
        };
        if chain.is_empty() || chain.len() > MAX_CHAIN {
            return Err(bad(&format!(
                "x5chain holds {} certificates; 1 to {MAX_CHAIN} are read",
                chain.len()
            )));
        }
        let chain = chain
            .into_iter()
            .map(|item| match item {
                Cbor::Bytes(der) => Certificate::from_der(der),
                _ => Err(bad("an x5chain entry that is not a byte string")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let timestamp = match unprotected.get(&Cbor::Text(TIMESTAMP_SIGNATURE)) {
            None => None,
            Some(Cbor::Bytes(der)) => Some(Timestamp::from_der(der)?),
            Some(_) => return Err(bad("the timestamp countersignature is not a byte string")),
        };
        Ok(Self {
            signing_input: cbor::sig_structure(protected_bytes, payload),
            signature: signature.to_vec(),
            alg: checked.alg,
            expiry: checked.expiry,
            signed_digest: target_digest(payload)?,
            chain,
            timestamp,
        })
    }

    /// The digest the payload names as its target artifact.
    pub fn signed_digest(&self) -> &Digest {
        &self.signed_digest
    }

    /// The `x5c` chain, leaf first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// Verifies the envelope for `signed` against `trust_store` at `now` (seconds since 1970).
    ///
    /// `Ok(signer)` when the payload names `signed`, the leaf's key verifies the signature, the envelope has not
    /// expired, the leaf's key usage (when it has the extension) allows `digitalSignature`, and the chain leads to a
    /// certificate of the store valid now. Errors: another digest
    /// ([`ErrorKind::OtherDigest`]); a signature that does not verify, or an algorithm that does not fit the key
    /// ([`ErrorKind::BadSignature`]); expired ([`ErrorKind::SigningTime`]); a chain that reaches no certificate of
    /// the store, or is not valid now ([`ErrorKind::CertificatePath`]: untrusted rather than invalid).
    pub fn verify(&self, signed: &Digest, trust_store: &[Certificate], now: i64) -> Result<NotationSigner, Error> {
        self.verify_timestamped(signed, trust_store, &[], now)
    }

    /// Whether the envelope carries an RFC 3161 timestamp countersignature (`io.cncf.notary.timestampSignature`).
    pub fn is_timestamped(&self) -> bool {
        self.timestamp.is_some()
    }

    /// As [`verify`](Self::verify), with `tsa_roots` a trust store of timestamp authorities (notation's `tsa` trust
    /// store). When it is not empty and the envelope carries a timestamp countersignature, the countersignature
    /// must verify (an authority chaining to `tsa_roots` timestamped this very signature, no later than `now`;
    /// else [`ErrorKind::Timestamp`]), and the chain is judged at the timestamp's time instead of now: a
    /// certificate that has since expired still verifies a signature timestamped while it was valid, as notation
    /// allows. Without a countersignature, or without `tsa_roots`, the chain must be valid now.
    pub fn verify_timestamped(
        &self,
        signed: &Digest,
        trust_store: &[Certificate],
        tsa_roots: &[Certificate],
        now: i64,
    ) -> Result<NotationSigner, Error> {
        if self.signed_digest != *signed {
            return Err(Error::new(
                ErrorKind::OtherDigest,
                format!(
                    "the notation signature signs {}, not {signed}: a signature copied from another image",
                    self.signed_digest
                ),
            ));
        }
        let (leaf, intermediates) = self.chain.split_first().ok_or_else(|| malformed("an empty `x5c`"))?;
        let key = leaf.public_key()?;
        if !key.verify_jws(&self.alg, &self.signing_input, &self.signature) {
            return Err(Error::new(
                ErrorKind::BadSignature,
                format!(
                    "the notation signature ({}) does not verify with its certificate's key",
                    self.alg
                ),
            ));
        }
        if let Some(expiry) = self.expiry.filter(|expiry| *expiry < now) {
            return Err(Error::new(
                ErrorKind::SigningTime,
                format!("the notation signature expired at {expiry} (seconds since 1970)"),
            ));
        }
        if !leaf.allows_digital_signature() {
            return Err(Error::new(
                ErrorKind::CertificatePath,
                "the signing certificate's key usage does not include digitalSignature",
            ));
        }
        let at = match &self.timestamp {
            Some(timestamp) if !tsa_roots.is_empty() => {
                let time = timestamp.verify(&self.signature, tsa_roots)?;
                if time > now {
                    return Err(Error::new(
                        ErrorKind::SigningTime,
                        format!("the notation signature's timestamp {time} is after now ({now})"),
                    ));
                }
                time
            }
            _ => now,
        };
        let in_store = trust_store.iter().any(|trusted| trusted.der() == leaf.der());
        if in_store {
            if !leaf.valid_at(at) {
                return Err(Error::new(
                    ErrorKind::CertificatePath,
                    format!("the trusted signing certificate is not valid at {at} (seconds since 1970)"),
                ));
            }
        } else {
            leaf.verify_path(intermediates, trust_store, at, Usage::CodeSigningIfPresent)?;
        }
        Ok(NotationSigner {
            subject: leaf.subject().to_owned(),
            fingerprint: Digest::sha256(leaf.der()),
        })
    }
}

/// A notation trusted identity (`x509.subject: C=US, ST=WA, O=wabbit-networks.io`, as a trust policy's
/// `trustedIdentities` lists it): the attributes a signing certificate's subject must have, each with exactly this
/// value (a subject may have more). Without any, every certificate the trust store leads to is trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedIdentity {
    attributes: Vec<(String, String)>,
}

impl std::str::FromStr for TrustedIdentity {
    type Err = Error;

    /// Reads `[x509.subject:] TYPE=VALUE, TYPE=VALUE...` (RFC 4514: `,` or `+` between attributes, `\` escaping
    /// one character or two hex digits; a type by its short name, any case, or its dotted OID). Refused
    /// ([`ErrorKind::TrustedIdentity`]): no attribute, an attribute without `=` or with an empty type or value, a
    /// type given twice, a dangling escape.
    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::TrustedIdentity,
                format!(
                    "the trusted identity {} is not a distinguished name: {why}",
                    quote(text)
                ),
            )
        };
        // Only leading spaces go here: a trailing one may be escaped, and the value's end drops unescaped ones.
        let dn = text.trim_start();
        let dn = dn.strip_prefix("x509.subject:").unwrap_or(dn);
        // (type, value, unescaped spaces at the value's end, which are dropped), for each attribute.
        let mut read: Vec<(String, String)> = Vec::new();
        let (mut name, mut value) = (String::new(), String::new());
        let (mut in_value, mut trailing) = (false, 0);
        let mut chars = dn.chars().peekable();
        let mut finish = |name: &mut String, value: &mut String, in_value: bool, trailing: &mut usize| {
            if !in_value {
                return Err(bad("an attribute without `=`"));
            }
            value.truncate(value.len() - *trailing);
            *trailing = 0;
            read.push((std::mem::take(name), std::mem::take(value)));
            Ok(())
        };
        while let Some(c) = chars.next() {
            let (c, escaped) = match c {
                '\\' => {
                    let next = chars.next().ok_or_else(|| bad("it ends in `\\`"))?;
                    match (next.to_digit(16), chars.peek().and_then(|c| c.to_digit(16))) {
                        (Some(hi), Some(lo)) if hi < 8 => {
                            chars.next();
                            (char::from(u8::try_from(hi * 16 + lo).expect("an ASCII byte")), true)
                        }
                        _ => (next, true),
                    }
                }
                c => (c, false),
            };
            match (c, escaped, in_value) {
                (',' | '+', false, _) => {
                    finish(&mut name, &mut value, in_value, &mut trailing)?;
                    in_value = false;
                }
                ('=', false, false) => in_value = true,
                (' ', false, false) => {}
                (' ', false, true) if value.is_empty() => {}
                (c, _, false) => name.push(c),
                (c, escaped, true) => {
                    trailing = if c == ' ' && !escaped { trailing + 1 } else { 0 };
                    value.push(c);
                }
            }
        }
        finish(&mut name, &mut value, in_value, &mut trailing)?;
        let mut attributes: Vec<(String, String)> = Vec::new();
        for (name, value) in read {
            if name.is_empty() || value.is_empty() {
                return Err(bad("an attribute with an empty type or value"));
            }
            let name = if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                crate::x509::short_name(&name).map_or(name.clone(), str::to_owned)
            } else {
                name.to_ascii_uppercase()
            };
            if attributes.iter().any(|(known, _)| *known == name) {
                return Err(bad(&format!("the type {name} is given twice")));
            }
            attributes.push((name, value));
        }
        Ok(Self { attributes })
    }
}

impl TrustedIdentity {
    /// Whether `certificate`'s subject has every attribute of this identity, with the same value.
    pub fn matches(&self, certificate: &Certificate) -> bool {
        self.attributes.iter().all(|(name, value)| {
            certificate
                .subject_attributes()
                .any(|(own_name, own_value)| own_name.eq_ignore_ascii_case(name) && own_value == value)
        })
    }
}

impl fmt::Display for TrustedIdentity {
    /// `x509.subject: TYPE=VALUE, ...`, the types as read (short names upper-cased), the values escaped as RFC 4514
    /// escapes them, so that it reads back as the same identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("x509.subject: ")?;
        for (index, (name, value)) in self.attributes.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}=")?;
            // RFC 4514's escapes, so that what is written reads back the same.
            let last = value.chars().count().saturating_sub(1);
            for (at, c) in value.chars().enumerate() {
                let special = matches!(c, '\\' | ',' | '+' | '=' | '"' | ';' | '<' | '>')
                    || (at == 0 && matches!(c, '#' | ' '))
                    || (at == last && c == ' ');
                if special {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("alg", &self.alg)
            .field("signed_digest", &self.signed_digest)
            .field("expiry", &self.expiry)
            .field("chain", &self.chain)
            .field("timestamped", &self.timestamp.is_some())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for NotationSigner {
    /// The leaf's subject.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.subject)
    }
}
