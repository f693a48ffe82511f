//! Signed certificate timestamps (RFC 6962) embedded in a Fulcio certificate: at least one must be signed by a
//! certificate transparency log of the trusted root, valid when it was made.
//!
//! An embedded SCT signs the precertificate: the leaf's TBSCertificate without the SCT list extension, and the
//! issuer's key hash. The extension is cut out by a small TLV walk over the DER (the certificate has already been
//! read strictly by x509-parser and webpki, so only its layout is needed here).

use ring::digest::{SHA256, digest};

use super::trusted_root::TrustedRoot;
use crate::error::{Error, ErrorKind};
use crate::x509::Certificate;

/// `1.3.6.1.4.1.11129.2.4.2`, the embedded SCT list extension.
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
/// The same OID's DER content octets.
const SCT_LIST_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// The most SCTs read from one certificate.
const MAX_SCTS: usize = 16;

/// Checks that one of `leaf`'s embedded SCTs is signed by a CT log of `root` valid at the SCT's time. `issuer` is
/// the certificate that issued the leaf (whose key hash the precertificate signature covers).
pub(super) fn verify(leaf: &Certificate, issuer: &Certificate, root: &TrustedRoot) -> Result<(), Error> {
    let bad = |why: &str| Error::new(ErrorKind::CertificateTransparency, why.to_owned());
    let value = leaf
        .extension(SCT_LIST)
        .ok_or_else(|| bad("the certificate has no signed certificate timestamp (SCT) extension"))?;
    let Some((0x04, list, [])) = tlv(value) else {
        return Err(bad("the SCT extension is not an OCTET STRING"));
    };
    let scts = sct_list(list).ok_or_else(|| bad("the SCT list is malformed"))?;
    let tbs =
        precertificate_tbs(leaf.der()).ok_or_else(|| bad("the certificate's DER could not be cut for its SCT"))?;
    let issuer_key_hash = digest(&SHA256, issuer.spki_der());
    for sct in scts {
        let Some(log) = root.ctlog(sct.log_id) else {
            continue;
        };
        let Ok(seconds) = i64::try_from(sct.timestamp / 1000) else {
            continue;
        };
        if !log.valid_for.contains(seconds) {
            continue;
        }
        let mut signed = Vec::with_capacity(tbs.len() + 64);
        signed.extend_from_slice(&[0, 0]); // v1, certificate_timestamp
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]); // precert_entry
        signed.extend_from_slice(issuer_key_hash.as_ref());
        let Ok(tbs_len) = u32::try_from(tbs.len()) else {
            continue;
        };
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        let Ok(extensions_len) = u16::try_from(sct.extensions.len()) else {
            continue;
        };
        signed.extend_from_slice(&extensions_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        if log.key.verify(&signed, sct.signature) {
            return Ok(());
        }
    }
    Err(bad(
        "no signed certificate timestamp of the certificate verifies with a CT log key of the trusted root",
    ))
}

struct Sct<'a> {
    log_id: &'a [u8],
    timestamp: u64,
    extensions: &'a [u8],
    signature: &'a [u8],
}

/// Reads the TLS `SignedCertificateTimestampList` (u16 length, then u16-prefixed SCTs of version 1).
fn sct_list(data: &[u8]) -> Option<Vec<Sct<'_>>> {
    let (mut list, rest) = u16_prefixed(data)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !list.is_empty() {
        let (sct, rest) = u16_prefixed(list)?;
        list = rest;
        if out.len() == MAX_SCTS {
            return None;
        }
        let (&version, sct) = sct.split_first()?;
        if version != 0 || sct.len() < 40 {
            if version != 0 {
                continue;
            }
            return None;
        }
        let (log_id, sct) = sct.split_at(32);
        let (timestamp, sct) = sct.split_at(8);
        let timestamp = u64::from_be_bytes(timestamp.try_into().ok()?);
        let (extensions, sct) = u16_prefixed(sct)?;
        // The signature's hash and signature algorithms: the log's key decides how it verifies.
        let sct = sct.get(2..)?;
        let (signature, rest) = u16_prefixed(sct)?;
        if !rest.is_empty() {
            return None;
        }
        out.push(Sct {
            log_id,
            timestamp,
            extensions,
            signature,
        });
    }
    Some(out)
}

fn u16_prefixed(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
    let rest = &data[2..];
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// The leaf's TBSCertificate DER without the SCT list extension.
fn precertificate_tbs(certificate: &[u8]) -> Option<Vec<u8>> {
    let (0x30, outer, []) = tlv(certificate)? else {
        return None;
    };
    let (0x30, mut fields, _) = tlv(outer)? else {
        return None;
    };
    let mut tbs = Vec::new();
    while !fields.is_empty() {
        let (tag, content, rest) = tlv(fields)?;
        let whole = &fields[..fields.len() - rest.len()];
        fields = rest;
        if tag != 0xa3 {
            tbs.extend_from_slice(whole);
            continue;
        }
        let (0x30, mut extensions, []) = tlv(content)? else {
            return None;
        };
        let mut kept = Vec::new();
        while !extensions.is_empty() {
            let (0x30, extension, rest) = tlv(extensions)? else {
                return None;
            };
            let whole = &extensions[..extensions.len() - rest.len()];
            extensions = rest;
            let (0x06, oid, _) = tlv(extension)? else {
                return None;
            };
            if oid != SCT_LIST_OID {
                kept.extend_from_slice(whole);
            }
        }
        let sequence = encode(0x30, &kept);
        tbs.extend_from_slice(&encode(0xa3, &sequence));
    }
    Some(encode(0x30, &tbs))
}

/// One DER value: its tag, its contents and what follows it (definite lengths of up to four bytes).
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count].iter().fold(0usize, |n, &b| (n << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (len <= rest.len()).then(|| (tag, &rest[..len], &rest[len..]))
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    super::trusted_root::der_value(tag, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_round_trip_through_encode_and_tlv() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536] {
            let content = vec![7; len];
            let encoded = encode(0x30, &content);
            assert_eq!(tlv(&encoded), Some((0x30, content.as_slice(), &[][..])), "{len}");
        }
        assert_eq!(tlv(&[0x30, 0x81]), None);
        assert_eq!(tlv(&[0x30, 0x02, 0x00]), None);
        assert_eq!(tlv(&[0x30, 0x85, 1, 0, 0, 0, 0]), None);
    }
}
