//! A private Sigstore instance for keyless tests: a Fulcio-shaped CA (a root and an intermediate issuing short-lived
//! code-signing certificates that name an identity and its OIDC issuer), a Rekor-shaped log key (signed entry
//! timestamps, inclusion proofs and signed checkpoints), a Rekor v2-shaped log (Ed25519 checkpoints, entries
//! without an integrated time), a timestamp authority, and the `trusted_root.json` that trusts them.
//!
//! The timestamp authority is real: OpenSSL's `openssl ts -reply` answers an `openssl ts -query` for the
//! signature, with a certificate this instance issued for time stamping. Its RFC 3161 responses are the Rekor v2
//! bundles' signing times ([`Sigstore::sign_image_rekor_v2`]).
//!
//! Fulcio and Rekor cannot run here (Rekor needs Trillian and a database, Fulcio an OIDC provider), and the public
//! instance is off limits to tests. So this writes what they would hand a signer, in their formats: the bundles are
//! Sigstore bundle v0.3 JSON with a DSSE envelope (an in-toto statement of predicate type
//! `https://sigstore.dev/cosign/sign/v1` for an image digest, as cosign 3 signs images), the certificate, and a
//! `dsse` 0.0.1 log entry with its SET and an inclusion proof in a two-leaf tree. What those formats are is pinned by
//! `oci-sign`'s tests against the public Sigstore conformance suite; this instance only stands in for the servers.
//!
//! [`Sigstore::attach`] pushes a bundle as cosign does: an OCI 1.1 artifact of type
//! `application/vnd.dev.sigstore.bundle.v0.3+json` whose `subject` is the image, listed under the referrers tag
//! (`sha256-<hex>`) for registries without the referrers API.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_digest::Digest;
use oci_registry::Error;
use rcgen::{CertificateParams, CustomExtension, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SanType};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use serde_json::json;

use crate::base64;
use crate::images::{Images, Pushed};
use crate::pki::ca_params;
use crate::temp::pem;
use crate::tsa::Tsa;

/// The artifact type (and layer media type) of a Sigstore bundle attached to an image.
pub const BUNDLE_ARTIFACT: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The predicate type of cosign 3's image signatures.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Fulcio's OIDC issuer extension (v2, a DER UTF8String).
const ISSUER_V2: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];

/// Fulcio's legacy OIDC issuer extension (the raw string).
const ISSUER_V1: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 1];

/// The log's name in its checkpoints.
const LOG_NAME: &str = "rekor.test";

/// The Rekor v2 log's name: its checkpoints' origin line and signature name.
const LOG2_NAME: &str = "log2026.rekor.test";

/// The embedded SCT list extension (RFC 6962).
const SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

/// A CA, a CT log key and a transparency log key made for one test.
pub struct Sigstore {
    root_der: Vec<u8>,
    intermediate_der: Vec<u8>,
    intermediate_spki: Vec<u8>,
    intermediate: Issuer<'static, KeyPair>,
    ct_key: EcdsaKeyPair,
    ct_spki: Vec<u8>,
    log_key: EcdsaKeyPair,
    log_spki: Vec<u8>,
    log2_key: Ed25519KeyPair,
    tsa: Tsa,
    next_index: AtomicU64,
    rng: SystemRandom,
}

/// How a signature is made: who signs, and when the log says it saw it.
#[derive(Clone, Debug)]
pub struct Signing<'a> {
    /// The certificate's identity (a URI SAN when it has a scheme, else an e-mail SAN).
    pub identity: &'a str,
    /// The OIDC issuer written in the certificate.
    pub issuer: &'a str,
    /// The log's integrated time, seconds since 1970; the certificate is valid from a minute before to ten minutes
    /// after it, as Fulcio's are.
    pub integrated_time: u64,
}

impl std::fmt::Debug for Sigstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sigstore").finish_non_exhaustive()
    }
}

impl Default for Sigstore {
    fn default() -> Self {
        Self::new()
    }
}

/// Seconds since 1970, now.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A DER UTF8String of `text` (short form lengths suffice for an issuer URL under 128 bytes; longer uses the long
/// form).
fn utf8_string(text: &str) -> Vec<u8> {
    let mut out = vec![0x0c];
    let len = text.len();
    if len < 128 {
        out.push(u8::try_from(len).unwrap());
    } else {
        out.push(0x81);
        out.push(u8::try_from(len).unwrap());
    }
    out.extend_from_slice(text.as_bytes());
    out
}

impl Sigstore {
    /// A new CA (root and intermediate) and log key.
    pub fn new() -> Self {
        let root_key = KeyPair::generate().unwrap();
        let root = ca_params("test sigstore root").self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(ca_params("test sigstore root"), root_key);
        let intermediate_key = KeyPair::generate().unwrap();
        let intermediate = ca_params("test sigstore intermediate")
            .signed_by(&intermediate_key, &root_issuer)
            .unwrap();
        let rng = SystemRandom::new();
        let p256 = || {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
            let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
            let spki = p256_spki(key.public_key().as_ref());
            (key, spki)
        };
        let (log_key, log_spki) = p256();
        let (ct_key, ct_spki) = p256();
        let log2_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let log2_key = Ed25519KeyPair::from_pkcs8(log2_pkcs8.as_ref()).unwrap();
        Self {
            root_der: root.der().to_vec(),
            intermediate_der: intermediate.der().to_vec(),
            intermediate_spki: rcgen::PublicKeyData::subject_public_key_info(&intermediate_key),
            intermediate: Issuer::new(ca_params("test sigstore intermediate"), intermediate_key),
            ct_key,
            ct_spki,
            log_key,
            log_spki,
            log2_key,
            tsa: Tsa::new(),
            next_index: AtomicU64::new(7),
            rng,
        }
    }

    /// The log's id: SHA-256 of its public key's SubjectPublicKeyInfo.
    fn log_id(&self) -> [u8; 32] {
        sha256(&self.log_spki)
    }

    /// The Rekor v2 log's public key as a SubjectPublicKeyInfo (Ed25519).
    fn log2_spki(&self) -> Vec<u8> {
        let prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        [&prefix[..], self.log2_key.public_key().as_ref()].concat()
    }

    /// The Rekor v2 log's id: its signed-note key hash, SHA-256 of its name, a newline, the Ed25519 algorithm byte
    /// and the key; checkpoint signatures carry its first four bytes.
    fn log2_id(&self) -> [u8; 32] {
        sha256(&[LOG2_NAME.as_bytes(), b"\n\x01", self.log2_key.public_key().as_ref()].concat())
    }

    /// `trusted_root.json` trusting this CA, this CT log, both transparency logs and the timestamp authority.
    pub fn trusted_root_json(&self) -> String {
        self.trusted_root(true)
    }

    /// As [`trusted_root_json`](Self::trusted_root_json), without the timestamp authority: a Rekor v2 bundle's
    /// timestamp then verifies with nobody.
    pub fn trusted_root_json_without_tsa(&self) -> String {
        self.trusted_root(false)
    }

    fn trusted_root(&self, tsa: bool) -> String {
        let authorities = if tsa {
            json!([{
                "subject": {"organization": "oci-testkit", "commonName": "test timestamp authority"},
                "uri": "https://tsa.test",
                "certChain": {"certificates": [
                    {"rawBytes": base64(self.tsa.leaf_der())},
                    {"rawBytes": base64(self.tsa.root_der())}
                ]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            }])
        } else {
            json!([])
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": format!("https://{LOG_NAME}"),
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64(&self.log_spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"}
                },
                "logId": {"keyId": base64(&self.log_id())}
            }, {
                "baseUrl": format!("https://{LOG2_NAME}"),
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64(&self.log2_spki()),
                    "keyDetails": "PKIX_ED25519",
                    "validFor": {"start": "2020-01-01T00:00:00Z"}
                },
                "logId": {"keyId": base64(&self.log2_id())}
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "oci-testkit", "commonName": "test sigstore intermediate"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [
                    {"rawBytes": base64(&self.intermediate_der)},
                    {"rawBytes": base64(&self.root_der)}
                ]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            }],
            "ctlogs": [{
                "baseUrl": "https://ctfe.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64(&self.ct_spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"}
                },
                "logId": {"keyId": base64(&sha256(&self.ct_spki))}
            }],
            "timestampAuthorities": authorities
        })
        .to_string()
    }

    /// The CA's certificates, intermediate then root, in PEM.
    pub fn ca_pem(&self) -> String {
        [&self.intermediate_der, &self.root_der]
            .iter()
            .map(|der| pem("CERTIFICATE", der))
            .collect()
    }

    /// The CT log's public key, in PEM.
    pub fn ct_key_pem(&self) -> String {
        pem("PUBLIC KEY", &self.ct_spki)
    }

    /// The transparency log's public key, in PEM.
    pub fn log_key_pem(&self) -> String {
        pem("PUBLIC KEY", &self.log_spki)
    }

    /// Writes [`trusted_root_json`](Self::trusted_root_json) to `dir/name` and gives the path.
    pub fn write_trusted_root(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.trusted_root_json()).unwrap();
        path
    }

    /// A short-lived code-signing certificate for `signing`, with the CT log's SCT embedded as Fulcio embeds it,
    /// and its key.
    fn certificate(&self, signing: &Signing<'_>) -> (Vec<u8>, EcdsaKeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&signing.integrated_time.to_be_bytes()));
        params.subject_alt_names = vec![if signing.identity.contains("://") {
            SanType::URI(signing.identity.try_into().unwrap())
        } else {
            SanType::Rfc822Name(signing.identity.try_into().unwrap())
        }];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(ISSUER_V1, signing.issuer.as_bytes().to_vec()),
            CustomExtension::from_oid_content(ISSUER_V2, utf8_string(signing.issuer)),
        ];
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        params.not_before = epoch + Duration::from_secs(signing.integrated_time - 60);
        params.not_after = epoch + Duration::from_secs(signing.integrated_time + 600);
        // The precertificate: the same certificate without the SCT list, whose TBS the CT log signs. The SCT
        // list is the last extension, so the final TBS without it is exactly this one.
        let precertificate = params.signed_by(&key, &self.intermediate).unwrap();
        let tbs = first_element(precertificate.der()).unwrap();
        let timestamp = signing.integrated_time * 1000;
        let mut signed = vec![0, 0];
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&sha256(&self.intermediate_spki));
        signed.extend_from_slice(&u32::try_from(tbs.len()).unwrap().to_be_bytes()[1..]);
        signed.extend_from_slice(tbs);
        signed.extend_from_slice(&[0, 0]);
        let signature = self.ct_key.sign(&self.rng, &signed).unwrap();
        let mut sct = vec![0];
        sct.extend_from_slice(&sha256(&self.ct_spki));
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&u16::try_from(signature.as_ref().len()).unwrap().to_be_bytes());
        sct.extend_from_slice(signature.as_ref());
        let mut list = u16::try_from(sct.len() + 2).unwrap().to_be_bytes().to_vec();
        list.extend_from_slice(&u16::try_from(sct.len()).unwrap().to_be_bytes());
        list.extend_from_slice(&sct);
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(SCT_LIST, octet_string(&list)));
        let cert = params.signed_by(&key, &self.intermediate).unwrap();
        let signer =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key.serialize_der(), &self.rng).unwrap();
        (cert.der().to_vec(), signer)
    }

    /// A bundle v0.3 signing `digest` (an image manifest's) as cosign 3 does, by `signing`'s identity, with its
    /// log entry.
    pub fn sign_image(&self, digest: &Digest, signing: &Signing<'_>) -> Vec<u8> {
        self.sign_statement(image_statement(digest).as_bytes(), signing)
    }

    /// A bundle v0.3 signing `digest` as cosign 3 does with Rekor v2: the DSSE envelope of
    /// [`sign_image`](Self::sign_image), logged as a `hashedrekord` 0.0.2 entry of its PAE's digest (no integrated time, no
    /// SET; an inclusion proof whose checkpoint the v2 log signs with Ed25519), and an RFC 3161 timestamp of the
    /// signature from the timestamp authority (OpenSSL), whose time is now. `signing.integrated_time` is only the
    /// certificate's start: give [`now`] so that the timestamp falls within it.
    ///
    /// # Panics
    ///
    /// When OpenSSL is missing or refuses (a broken fixture).
    pub fn sign_image_rekor_v2(&self, digest: &Digest, signing: &Signing<'_>) -> Vec<u8> {
        let statement = image_statement(digest);
        let (cert, key) = self.certificate(signing);
        let (envelope, pae, signature) = self.envelope(&key, statement.as_bytes());
        // Rekor v2's hashedrekord 0.0.2 entry over a DSSE envelope: the digest of its PAE, which the signature signs.
        let body = json!({
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": base64(&sha256(&pae))},
                "signature": {
                    "content": base64(&signature),
                    "verifier": {"keyDetails": "PKIX_ECDSA_P256_SHA_256", "x509Certificate": {"rawBytes": base64(&cert)}}
                }
            }}
        })
        .to_string();
        let entry = self.log2_entry(body.as_bytes());
        let timestamp = self.tsa.timestamp(&signature, false);
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": base64(&cert)},
                "tlogEntries": [entry],
                "timestampVerificationData": {"rfc3161Timestamps": [{"signedTimestamp": base64(&timestamp)}]}
            },
            "dsseEnvelope": envelope
        })
        .to_string()
        .into_bytes()
    }

    /// A DSSE envelope of an in-toto `statement` signed by `key`: the envelope's JSON, the PAE signed, the signature.
    fn envelope(&self, key: &EcdsaKeyPair, statement: &[u8]) -> (serde_json::Value, Vec<u8>, Vec<u8>) {
        let payload_type = "application/vnd.in-toto+json";
        let pae = [
            format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), statement.len()).as_bytes(),
            statement,
        ]
        .concat();
        let signature = key.sign(&self.rng, &pae).unwrap().as_ref().to_vec();
        let envelope = json!({
            "payload": base64(statement),
            "payloadType": payload_type,
            "signatures": [{"sig": base64(&signature), "keyid": ""}]
        });
        (envelope, pae, signature)
    }

    /// A Rekor v2 entry for `body`: no integrated time, no SET, an inclusion proof as the second leaf of a two-leaf
    /// tree whose checkpoint the v2 log signs (Ed25519, key hint the first four bytes of its id).
    fn log2_entry(&self, body: &[u8]) -> serde_json::Value {
        let (root, sibling) = two_leaf_tree(body);
        let note = format!("{LOG2_NAME}\n2\n{}\n", base64(&root));
        let note_signature = self.log2_key.sign(note.as_bytes());
        let log_id = self.log2_id();
        let signed = [&log_id[..4], note_signature.as_ref()].concat();
        let checkpoint = format!("{note}\n\u{2014} {LOG2_NAME} {}\n", base64(&signed));
        json!({
            "logIndex": "1",
            "logId": {"keyId": base64(&log_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": inclusion_proof(&root, &sibling, &checkpoint),
            "canonicalizedBody": base64(body)
        })
    }

    /// A bundle v0.3 of a DSSE envelope over `statement` (an in-toto statement's JSON), by `signing`'s identity.
    pub fn sign_statement(&self, statement: &[u8], signing: &Signing<'_>) -> Vec<u8> {
        let (cert, key) = self.certificate(signing);
        let (envelope, _, signature) = self.envelope(&key, statement);
        let cert_pem = pem("CERTIFICATE", &cert);
        // Rekor's dsse 0.0.1 entry, its keys in canonical (sorted) order.
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(envelope.to_string().as_bytes()))},
                "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(statement))},
                "signatures": [{"signature": base64(&signature), "verifier": base64(cert_pem.as_bytes())}]
            }
        })
        .to_string();
        let entry = self.log_entry(body.as_bytes(), signing.integrated_time, ("dsse", "0.0.1"));
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": base64(&cert)},
                "tlogEntries": [entry]
            },
            "dsseEnvelope": envelope
        })
        .to_string()
        .into_bytes()
    }

    /// A bundle v0.3 of a message signature over `manifest` (an image manifest's bytes, as `cosign sign-blob`
    /// signs a file), by `signing`'s identity, with its `hashedrekord` 0.0.1 log entry.
    pub fn sign_manifest(&self, manifest: &[u8], signing: &Signing<'_>) -> Vec<u8> {
        let (cert, key) = self.certificate(signing);
        let signature = key.sign(&self.rng, manifest).unwrap();
        let digest = sha256(manifest);
        // Rekor's hashedrekord 0.0.1 entry, its keys in canonical (sorted) order.
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&digest)}},
                "signature": {
                    "content": base64(signature.as_ref()),
                    "publicKey": {"content": base64(pem("CERTIFICATE", &cert).as_bytes())}
                }
            }
        })
        .to_string();
        let entry = self.log_entry(body.as_bytes(), signing.integrated_time, ("hashedrekord", "0.0.1"));
        json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": base64(&cert)},
                "tlogEntries": [entry]
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": base64(&digest)},
                "signature": base64(signature.as_ref())
            }
        })
        .to_string()
        .into_bytes()
    }

    /// A log entry for `body`: its SET, and its inclusion proof as the second leaf of a two-leaf tree whose
    /// checkpoint the log signs.
    fn log_entry(&self, body: &[u8], integrated_time: u64, (kind, version): (&str, &str)) -> serde_json::Value {
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let log_id = self.log_id();
        let encoded_body = base64(body);
        // The SET: the log's signature over the canonical JSON of the entry's body, time, log id and index.
        let set_payload = json!({
            "body": encoded_body,
            "integratedTime": integrated_time,
            "logID": hex(&log_id),
            "logIndex": index,
        })
        .to_string();
        let set = self.log_key.sign(&self.rng, set_payload.as_bytes()).unwrap();
        let (root, sibling) = two_leaf_tree(body);
        let origin = format!("{LOG_NAME} - 1");
        let note = format!("{origin}\n2\n{}\n", base64(&root));
        let note_signature = self.log_key.sign(&self.rng, note.as_bytes()).unwrap();
        let signed = [&log_id[..4], note_signature.as_ref()].concat();
        let checkpoint = format!("{note}\n\u{2014} {LOG_NAME} {}\n", base64(&signed));
        json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": base64(&log_id)},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": integrated_time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": base64(set.as_ref())},
            "inclusionProof": inclusion_proof(&root, &sibling, &checkpoint),
            "canonicalizedBody": encoded_body
        })
    }

    /// Pushes `bundle` as cosign attaches one to `subject` (an image manifest in `images`' repository): an
    /// artifact manifest of type [`BUNDLE_ARTIFACT`] with the bundle as its one layer and cosign's predicate
    /// annotation, listed under the referrers tag (see [`Images::attach`]).
    pub async fn attach(
        images: &Images,
        subject: &Pushed,
        bundle: &[u8],
        predicate_type: &str,
    ) -> Result<Pushed, Error> {
        let annotations = json!({
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type
        });
        images
            .attach(subject, BUNDLE_ARTIFACT, BUNDLE_ARTIFACT, bundle, annotations)
            .await
    }
}

/// cosign 3's in-toto statement signing an image `digest`.
fn image_statement(digest: &Digest) -> String {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "image", "digest": {digest.algorithm().to_string(): digest.encoded()}}],
        "predicateType": SIGN_PREDICATE,
        "predicate": {}
    })
    .to_string()
}

/// The root of a two-leaf tree whose second leaf is `body`, and the first leaf's hash (the inclusion proof's one
/// hash). RFC 6962: a leaf is SHA-256(0x00 || entry), a node SHA-256(0x01 || left || right).
fn two_leaf_tree(body: &[u8]) -> ([u8; 32], [u8; 32]) {
    let sibling = sha256(&[&[0u8][..], b"another entry"].concat());
    let leaf = sha256(&[&[0u8][..], body].concat());
    (sha256(&[&[1u8][..], &sibling, &leaf].concat()), sibling)
}

/// The inclusion proof of the second leaf of the two-leaf tree of `root` (see [`two_leaf_tree`]), with its signed
/// `checkpoint`.
fn inclusion_proof(root: &[u8; 32], sibling: &[u8; 32], checkpoint: &str) -> serde_json::Value {
    json!({
        "logIndex": "1",
        "rootHash": base64(root),
        "treeSize": "2",
        "hashes": [base64(sibling)],
        "checkpoint": {"envelope": checkpoint}
    })
}

/// A DER length's encoding.
fn der_length(len: usize) -> Vec<u8> {
    match len {
        0..0x80 => vec![u8::try_from(len).unwrap()],
        0x80..0x100 => vec![0x81, u8::try_from(len).unwrap()],
        _ => {
            let [high, low] = u16::try_from(len).unwrap().to_be_bytes();
            vec![0x82, high, low]
        }
    }
}

/// A DER OCTET STRING of `content`.
fn octet_string(content: &[u8]) -> Vec<u8> {
    [&[0x04][..], &der_length(content.len()), content].concat()
}

/// The first element (its whole TLV) inside the DER SEQUENCE `der`: a certificate's TBSCertificate.
fn first_element(der: &[u8]) -> Option<&[u8]> {
    fn header(data: &[u8]) -> Option<(usize, usize)> {
        let first = *data.get(1)?;
        if first < 0x80 {
            return Some((2, usize::from(first)));
        }
        let count = usize::from(first & 0x7f);
        let len = data
            .get(2..2 + count)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        Some((2 + count, len))
    }
    let (outer, _) = header(der)?;
    let inner = der.get(outer..)?;
    let (head, len) = header(inner)?;
    inner.get(..head + len)
}

/// The SubjectPublicKeyInfo DER of an uncompressed P-256 point.
fn p256_spki(point: &[u8]) -> Vec<u8> {
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0, point } }
    let mut out = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    out.extend_from_slice(point);
    out
}
