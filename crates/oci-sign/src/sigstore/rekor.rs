//! Rekor log entries: the signed entry timestamp (v1), the RFC 6962 inclusion proof and its checkpoint (a signed
//! note), and whether the entry's body records what the bundle says.
//!
//! A Rekor v2 entry (`hashedrekord` or `dsse` 0.0.2) has no integrated time and no signed entry timestamp: it
//! stands on its inclusion proof and checkpoint, and its signing time comes from an RFC 3161 timestamp.

use ring::digest::{SHA256, digest};
use serde_json::Value;

use super::bundle::{BundleVersion, Content, TlogEntry};
use super::json::{self, hex};
use super::trusted_root::{Log, TimeRange, TrustedRoot};
use crate::encoding::base64_encode;
use crate::error::{Error, ErrorKind, quote};
use crate::key::PublicKey;
use crate::x509::Certificate;

/// What signed, as the log entry must record it.
pub(super) enum Signer<'a> {
    Certificate(&'a Certificate),
    Key(&'a PublicKey),
}

/// What a verified entry gives: its integrated time when signed (Rekor v1 with a promise), and the window of its
/// log's key, within which a signing time from elsewhere (an RFC 3161 timestamp) must fall.
pub(super) struct Verified {
    pub(super) time: Option<i64>,
    pub(super) log_valid_for: TimeRange,
}

/// Verifies one entry against the trusted root: a known log, its promise and proof as the bundle version
/// requires (a Rekor v2 entry, without an integrated time, always needs a proof and its checkpoint), and an
/// integrated time within the log key's window. Returns the integrated time when the promise (which signs it)
/// verified, since an unsigned time proves nothing.
pub(super) fn verify_entry(entry: &TlogEntry, version: BundleVersion, root: &TrustedRoot) -> Result<Verified, Error> {
    let log = root.tlog(&entry.log_id).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownLog,
            format!(
                "the log entry is from log {}, which the trusted root does not list (another Sigstore instance?)",
                hex(&entry.log_id)
            ),
        )
    })?;
    let Some(time) = entry.integrated_time else {
        // Rekor v2: nothing signs the entry but the checkpoint its proof ends in.
        if entry.proof.as_ref().is_none_or(|proof| proof.checkpoint.is_none()) {
            return Err(Error::new(
                ErrorKind::InclusionProof,
                "a log entry without an integrated time (Rekor v2) needs its inclusion proof and checkpoint",
            ));
        }
        verify_proof(entry, log, version)?;
        return Ok(Verified {
            time: None,
            log_valid_for: log.valid_for,
        });
    };
    let time = i64::try_from(time).map_err(|_| {
        Error::new(
            ErrorKind::SigningTime,
            format!("an integrated time of {time} is too far ahead"),
        )
    })?;
    if !log.valid_for.contains(time) {
        return Err(Error::new(
            ErrorKind::SigningTime,
            format!(
                "the entry's integrated time {time} is outside the log key's validity in the trusted root ({}..{})",
                log.valid_for.start,
                log.valid_for.end.map_or(String::new(), |end| end.to_string())
            ),
        ));
    }
    match (&entry.promise, version) {
        (Some(promise), _) => verify_promise(entry, log, time, promise)?,
        (None, BundleVersion::V0_1) => {
            return Err(Error::new(
                ErrorKind::InclusionPromise,
                "a version 0.1 bundle's log entry without its inclusion promise (signed entry timestamp)",
            ));
        }
        (None, _) => {}
    }
    match &entry.proof {
        Some(_) => verify_proof(entry, log, version)?,
        None if version >= BundleVersion::V0_2 => {
            return Err(Error::new(
                ErrorKind::InclusionProof,
                "a version 0.2 or later bundle's log entry without its inclusion proof",
            ));
        }
        None => {}
    }
    Ok(Verified {
        time: entry.promise.as_ref().map(|_| time),
        log_valid_for: log.valid_for,
    })
}

/// The signed entry timestamp: the log's signature over the canonical JSON of body, time, log id and index.
fn verify_promise(entry: &TlogEntry, log: &Log, time: i64, promise: &[u8]) -> Result<(), Error> {
    // RFC 8785 canonical form of four fields whose values need no escaping (base64, hex, integers): keys sorted,
    // no white space.
    let canonical = format!(
        r#"{{"body":"{}","integratedTime":{time},"logID":"{}","logIndex":{}}}"#,
        base64_encode(&entry.body),
        hex(&entry.log_id),
        entry.log_index
    );
    if log.key.verify(canonical.as_bytes(), promise) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InclusionPromise,
            "the log entry's signed entry timestamp does not verify with the log's key",
        ))
    }
}

/// The Merkle path from the entry's leaf to the proof's root hash, and the checkpoint that signs that root.
fn verify_proof(entry: &TlogEntry, log: &Log, version: BundleVersion) -> Result<(), Error> {
    let Some(proof) = &entry.proof else {
        return Ok(());
    };
    let bad = |why: String| Error::new(ErrorKind::InclusionProof, why);
    let hash32 = |bytes: &[u8]| -> Option<[u8; 32]> { bytes.try_into().ok() };
    let expected = hash32(&proof.root_hash).ok_or_else(|| bad("a root hash that is not 32 bytes".into()))?;
    let path = proof
        .hashes
        .iter()
        .map(|hash| hash32(hash))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("a proof hash that is not 32 bytes".into()))?;
    let leaf = hash_children_or_leaf(&[0], &entry.body, &[]);
    let root = root_from_inclusion_proof(proof.log_index, proof.tree_size, leaf, &path).ok_or_else(|| {
        bad(format!(
            "the inclusion proof does not fit index {} of a tree of {}",
            proof.log_index, proof.tree_size
        ))
    })?;
    if root != expected {
        return Err(bad("the inclusion proof does not lead to its root hash".into()));
    }
    match &proof.checkpoint {
        Some(checkpoint) => verify_checkpoint(checkpoint, log, proof.tree_size, &expected),
        // A root hash nobody signed proves nothing; a v0.1 entry's promise signs it instead.
        None if version == BundleVersion::V0_1 => Ok(()),
        None => Err(bad(
            "the inclusion proof has no checkpoint that signs its root hash".into()
        )),
    }
}

/// RFC 6962's hashes: `SHA256(0x00 || leaf)` for a leaf, `SHA256(0x01 || left || right)` for a node.
fn hash_children_or_leaf(prefix: &[u8], left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut data = Vec::with_capacity(1 + left.len() + right.len());
    data.extend_from_slice(prefix);
    data.extend_from_slice(left);
    data.extend_from_slice(right);
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, &data).as_ref());
    out
}

/// The root an inclusion proof leads to (RFC 9162, section 2.1.3.2), or `None` when the path does not fit the
/// index and size.
fn root_from_inclusion_proof(index: u64, size: u64, leaf: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = hash_children_or_leaf(&[1], p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = hash_children_or_leaf(&[1], &r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// A checkpoint is a signed note (`origin\nsize\nbase64 root\n[extensions\n]\n— name base64(hint || signature)\n`):
/// its size and root must be the proof's, and a signature whose key hint is the log's must verify.
fn verify_checkpoint(note: &str, log: &Log, tree_size: u64, root_hash: &[u8; 32]) -> Result<(), Error> {
    let bad = |why: String| Error::new(ErrorKind::Checkpoint, why);
    let (text, signatures) = note
        .split_once("\n\n")
        .ok_or_else(|| bad("a checkpoint without the blank line before its signatures".into()))?;
    let mut lines = text.split('\n');
    let _origin = lines
        .next()
        .filter(|origin| !origin.is_empty())
        .ok_or_else(|| bad("a checkpoint without its origin".into()))?;
    let size = lines.next().unwrap_or_default();
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) || size.parse::<u64>().ok() != Some(tree_size) {
        return Err(bad(format!(
            "the checkpoint's tree size {} is not the inclusion proof's {tree_size}",
            quote(size)
        )));
    }
    let root = lines.next().unwrap_or_default();
    if crate::encoding::base64_decode(root).as_deref() != Some(root_hash.as_slice()) {
        return Err(bad(format!(
            "the checkpoint's root hash {} is not the inclusion proof's",
            quote(root)
        )));
    }
    let signed = format!("{text}\n");
    // The note's key hint is the first four bytes of the log's id: SHA-256 of the key's DER for a v1 (ECDSA) log,
    // the note key hash of its name and Ed25519 key for a v2 log. Signatures with other hints (witnesses'
    // cosignatures, other keys) are not the log's and are passed over.
    let spki_hash = digest(&SHA256, log.key.spki_der());
    let hints = [log.id.get(..4), Some(&spki_hash.as_ref()[..4])];
    let mut by_log = 0;
    for line in signatures.lines().filter(|line| !line.is_empty()) {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| bad(format!("the checkpoint line {} is not a signature", quote(line))))?;
        let (_name, signature) = rest.rsplit_once(' ').ok_or_else(|| {
            bad(format!(
                "the checkpoint signature line {} has no signature",
                quote(line)
            ))
        })?;
        let signature = json::base64(signature, ErrorKind::Checkpoint, "a checkpoint signature")?;
        if signature.len() < 5 || !hints.contains(&Some(&signature[..4])) {
            continue;
        }
        by_log += 1;
        if !log.key.verify(signed.as_bytes(), &signature[4..]) {
            return Err(bad("the checkpoint's signature by the log's key does not verify".into()));
        }
    }
    if by_log == 0 {
        return Err(bad(
            "the checkpoint has no signature whose key hint is the log's key".into()
        ));
    }
    Ok(())
}

/// Whether the entry's body records this bundle: the same kind, artifact digest, signature and signer. `digest`
/// is the artifact's SHA-256 for a message signature.
pub(super) fn check_body(
    entry: &TlogEntry,
    content: &Content,
    digest: Option<&[u8]>,
    signer: &Signer<'_>,
) -> Result<(), Error> {
    let mismatch = |why: &str| Error::new(ErrorKind::LogEntryMismatch, format!("the log entry's body {why}"));
    let body: Value = serde_json::from_slice(&entry.body).map_err(|_| mismatch("is not JSON"))?;
    let field = |path: &[&str]| -> Option<&str> {
        path.iter()
            .try_fold(&body, |value, key| value.get(key))
            .and_then(Value::as_str)
    };
    if field(&["kind"]) != Some(entry.kind.as_str()) || field(&["apiVersion"]) != Some(entry.version.as_str()) {
        return Err(mismatch("is not of the kind and version the entry names"));
    }
    let decode = |text: Option<&str>, what: &str| -> Result<Vec<u8>, Error> {
        text.and_then(crate::encoding::base64_decode)
            .ok_or_else(|| mismatch(&format!("has no base64 {what}")))
    };
    match (entry.kind.as_str(), entry.version.as_str(), content) {
        ("hashedrekord", "0.0.1", Content::MessageSignature { signature, .. }) => {
            if field(&["spec", "data", "hash", "algorithm"]) != Some("sha256")
                || field(&["spec", "data", "hash", "value"]).map(str::to_ascii_lowercase) != digest.map(hex)
            {
                return Err(mismatch("records another artifact digest"));
            }
            if decode(field(&["spec", "signature", "content"]), "signature")? != *signature {
                return Err(mismatch("records another signature"));
            }
            let verifier = decode(field(&["spec", "signature", "publicKey", "content"]), "public key")?;
            check_verifier(&verifier, signer).map_err(|()| mismatch("records another certificate or key"))
        }
        ("dsse", "0.0.1", Content::Dsse { payload, signature, .. }) => {
            if field(&["spec", "payloadHash", "algorithm"]) != Some("sha256")
                || field(&["spec", "payloadHash", "value"]) != Some(hex(digest_of(payload).as_slice()).as_str())
            {
                return Err(mismatch("records another payload"));
            }
            let recorded = only_signature(body.pointer("/spec/signatures")).map_err(&mismatch)?;
            let recorded_sig = decode(recorded.get("signature").and_then(Value::as_str), "signature")?;
            let verifier = decode(recorded.get("verifier").and_then(Value::as_str), "verifier")?;
            if recorded_sig != *signature || check_verifier(&verifier, signer).is_err() {
                return Err(mismatch("records another signature or signer"));
            }
            Ok(())
        }
        ("intoto", "0.0.2", Content::Dsse { payload, signature, .. }) => {
            if body
                .pointer("/spec/content/payloadHash/algorithm")
                .and_then(Value::as_str)
                != Some("sha256")
                || body.pointer("/spec/content/payloadHash/value").and_then(Value::as_str)
                    != Some(hex(digest_of(payload).as_slice()).as_str())
            {
                return Err(mismatch("records another payload"));
            }
            let recorded = only_signature(body.pointer("/spec/content/envelope/signatures")).map_err(&mismatch)?;
            // intoto 0.0.2 stores the signature base64-encoded twice.
            let once = decode(recorded.get("sig").and_then(Value::as_str), "signature")?;
            let recorded_sig = std::str::from_utf8(&once)
                .ok()
                .and_then(crate::encoding::base64_decode)
                .ok_or_else(|| mismatch("has a signature that is not base64 twice"))?;
            let verifier = decode(recorded.get("publicKey").and_then(Value::as_str), "public key")?;
            if recorded_sig != *signature || check_verifier(&verifier, signer).is_err() {
                return Err(mismatch("records another signature or signer"));
            }
            Ok(())
        }
        ("hashedrekord", "0.0.2", content) => {
            let spec = body
                .pointer("/spec/hashedRekordV002")
                .ok_or_else(|| mismatch("has no hashedRekordV002 spec"))?;
            // A message signature records the artifact's digest; a DSSE envelope (Rekor v2 logs envelopes as
            // hashedrekord) the digest of its PAE, which its signature signs.
            let (expected, signature) = match content {
                Content::MessageSignature { signature, .. } => (digest.map(<[u8]>::to_vec), signature),
                Content::Dsse {
                    payload,
                    payload_type,
                    signature,
                } => (Some(digest_of(&super::dsse::pae(payload_type, payload))), signature),
            };
            if spec.pointer("/data/algorithm").and_then(Value::as_str) != Some("SHA2_256")
                || spec
                    .pointer("/data/digest")
                    .and_then(Value::as_str)
                    .and_then(crate::encoding::base64_decode)
                    != expected
            {
                return Err(mismatch("records another artifact digest"));
            }
            let recorded = decode(spec.pointer("/signature/content").and_then(Value::as_str), "signature")?;
            if recorded != *signature {
                return Err(mismatch("records another signature"));
            }
            check_verifier_v2(spec.pointer("/signature/verifier"), signer)
                .map_err(|()| mismatch("records another certificate or key"))
        }
        ("dsse", "0.0.2", Content::Dsse { payload, signature, .. }) => {
            let spec = body
                .pointer("/spec/dsseV002")
                .ok_or_else(|| mismatch("has no dsseV002 spec"))?;
            if spec.pointer("/payloadHash/algorithm").and_then(Value::as_str) != Some("SHA2_256")
                || spec
                    .pointer("/payloadHash/digest")
                    .and_then(Value::as_str)
                    .and_then(crate::encoding::base64_decode)
                    != Some(digest_of(payload))
            {
                return Err(mismatch("records another payload"));
            }
            let recorded = only_signature(spec.get("signatures")).map_err(&mismatch)?;
            let recorded_sig = decode(recorded.get("content").and_then(Value::as_str), "signature")?;
            if recorded_sig != *signature || check_verifier_v2(recorded.get("verifier"), signer).is_err() {
                return Err(mismatch("records another signature or signer"));
            }
            Ok(())
        }
        (kind, version, _) => {
            let fits = matches!(
                (kind, content),
                ("hashedrekord", Content::MessageSignature { .. }) | ("dsse" | "intoto", Content::Dsse { .. })
            );
            if fits {
                Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "a {} log entry of version {}; supported: hashedrekord 0.0.1 and 0.0.2, dsse 0.0.1 and 0.0.2, \
                         intoto 0.0.2",
                        quote(kind),
                        quote(version)
                    ),
                ))
            } else {
                Err(mismatch(&format!(
                    "is a {} entry, which cannot record this bundle's kind of signature",
                    quote(kind)
                )))
            }
        }
    }
}

fn digest_of(data: &[u8]) -> Vec<u8> {
    digest(&SHA256, data).as_ref().to_vec()
}

/// Whether `pem` (a log entry's verifier) is the signer: the same certificate, or the same key.
fn check_verifier(pem: &[u8], signer: &Signer<'_>) -> Result<(), ()> {
    let text = std::str::from_utf8(pem).map_err(|_| ())?;
    match signer {
        Signer::Certificate(certificate) => {
            let recorded = Certificate::from_pem(text).map_err(|_| ())?;
            if recorded.der() == certificate.der() {
                Ok(())
            } else {
                Err(())
            }
        }
        Signer::Key(key) => {
            let recorded = PublicKey::from_pem(text).map_err(|_| ())?;
            if recorded.spki_der() == key.spki_der() {
                Ok(())
            } else {
                Err(())
            }
        }
    }
}

/// The one signature a DSSE or in-toto entry records (a Sigstore bundle's envelope has exactly one), or what is
/// wrong with the list.
fn only_signature(signatures: Option<&Value>) -> Result<&Value, &'static str> {
    match signatures.and_then(Value::as_array).map(Vec::as_slice) {
        Some([recorded]) => Ok(recorded),
        Some(_) => Err("records another number of signatures than one"),
        None => Err("has no signatures"),
    }
}

/// Whether a Rekor v2 verifier (`{"x509Certificate": {"rawBytes": DER}}` or `{"publicKey": {"rawBytes": SPKI}}`, in
/// base64) is the signer.
fn check_verifier_v2(verifier: Option<&Value>, signer: &Signer<'_>) -> Result<(), ()> {
    let verifier = verifier.ok_or(())?;
    let raw = |field: &str| {
        verifier
            .get(field)
            .and_then(|value| value.get("rawBytes"))
            .and_then(Value::as_str)
            .and_then(crate::encoding::base64_decode)
    };
    let recorded = match signer {
        Signer::Certificate(certificate) => raw("x509Certificate").filter(|der| der == certificate.der()),
        Signer::Key(key) => raw("publicKey").filter(|der| der == key.spki_der()),
    };
    recorded.map(|_| ()).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `dsse` 0.0.2 body (Rekor v2; none in the conformance suite, which logs envelopes as `hashedrekord` 0.0.2)
    /// records this envelope's payload hash, its one signature and the key: each changed, it records something else.
    #[test]
    fn dsse_v2_bodies_record_the_payload_signature_and_signer() {
        let key = PublicKey::from_pem(include_str!("../../tests/data/keys/p256.pub")).unwrap();
        let other = PublicKey::from_pem(include_str!("../../tests/data/keys/p384.pub")).unwrap();
        let content = Content::Dsse {
            payload: b"{}".to_vec(),
            payload_type: "application/vnd.in-toto+json".to_owned(),
            signature: vec![1, 2, 3],
        };
        let body = |payload: &[u8], signature: &[u8], spki: &[u8]| {
            serde_json::json!({
                "apiVersion": "0.0.2",
                "kind": "dsse",
                "spec": {"dsseV002": {
                    "payloadHash": {"algorithm": "SHA2_256", "digest": base64_encode(&digest_of(payload))},
                    "signatures": [{"content": base64_encode(signature), "verifier": {
                        "publicKey": {"rawBytes": base64_encode(spki)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"
                    }}]
                }}
            })
            .to_string()
            .into_bytes()
        };
        let entry = |body: Vec<u8>| TlogEntry {
            log_index: 1,
            log_id: Vec::new(),
            kind: "dsse".to_owned(),
            version: "0.0.2".to_owned(),
            integrated_time: None,
            promise: None,
            proof: None,
            body,
        };
        let check = |body: Vec<u8>| check_body(&entry(body), &content, None, &Signer::Key(&key));
        check(body(b"{}", &[1, 2, 3], key.spki_der())).unwrap();
        for changed in [
            body(b"{ }", &[1, 2, 3], key.spki_der()),
            body(b"{}", &[1, 2, 4], key.spki_der()),
            body(b"{}", &[1, 2, 3], other.spki_der()),
        ] {
            assert_eq!(check(changed).unwrap_err().kind(), ErrorKind::LogEntryMismatch);
        }
    }

    /// A tree of `n` leaves `0..n` (each leaf one byte), its root, and the audit path of `index`, computed the
    /// slow recursive way RFC 6962 defines them.
    fn tree_root(leaves: &[[u8; 32]]) -> [u8; 32] {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = leaves.len().next_power_of_two() / 2;
        hash_children_or_leaf(&[1], &tree_root(&leaves[..k]), &tree_root(&leaves[k..]))
    }

    fn audit_path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if leaves.len() == 1 {
            return Vec::new();
        }
        let k = leaves.len().next_power_of_two() / 2;
        if index < k {
            let mut path = audit_path(index, &leaves[..k]);
            path.push(tree_root(&leaves[k..]));
            path
        } else {
            let mut path = audit_path(index - k, &leaves[k..]);
            path.push(tree_root(&leaves[..k]));
            path
        }
    }

    #[test]
    fn inclusion_proofs_lead_to_the_root_for_every_index_and_size_and_fail_when_changed() {
        for size in 1..=17usize {
            let leaves: Vec<[u8; 32]> = (0..size)
                .map(|i| hash_children_or_leaf(&[0], &[i as u8], &[]))
                .collect();
            let root = tree_root(&leaves);
            for index in 0..size {
                let path = audit_path(index, &leaves);
                let (i, n) = (index as u64, size as u64);
                assert_eq!(
                    root_from_inclusion_proof(i, n, leaves[index], &path),
                    Some(root),
                    "{index}/{size}"
                );
                if size > 1 {
                    // The same path at another index puts the leaf elsewhere in the tree.
                    let other = (i + 1) % n;
                    assert_ne!(
                        root_from_inclusion_proof(other, n, leaves[index], &path),
                        Some(root),
                        "{index}->{other}/{size}"
                    );
                }
                assert_eq!(root_from_inclusion_proof(n, n, leaves[index], &path), None);
                if let Some(first) = path.first() {
                    let mut changed = path.clone();
                    changed[0][0] ^= 1;
                    assert_ne!(root_from_inclusion_proof(i, n, leaves[index], &changed), Some(root));
                    let mut longer = path.clone();
                    longer.push(*first);
                    assert_eq!(root_from_inclusion_proof(i, n, leaves[index], &longer), None);
                }
            }
        }
    }
}
