//! Sigstore bundles, verified offline: keyless (a Fulcio certificate, an identity and its OIDC issuer) or with
//! known keys, against a [`TrustedRoot`].
//!
//! [`Bundle::from_json`] reads a bundle (`*.sigstore.json`, versions 0.1 to 0.3), [`TrustedRoot::from_json`] a
//! `trusted_root.json`, and [`Bundle::verify`] judges the bundle for an [`Artifact`] under a [`Policy`] at a given
//! time, giving the [`Signer`] or an [`Error`] whose [`ErrorKind`] says what failed. Nothing here fetches: the
//! trusted root comes from the caller (TUF is the caller's business), and so does the time.
//!
//! The key decisions:
//! - **Signing times are signed ones.** A Rekor v1 entry's integrated time counts when its signed entry timestamp
//!   verified with a log key of the trusted root valid then; an RFC 3161 timestamp's time when a timestamp
//!   authority of the trusted root valid then signed it, over the bundle's signature. Every timestamp a bundle
//!   carries must verify. A Rekor v2 entry has no time of its own, so it needs a timestamp. The certificate is
//!   judged at every verified time: each must be within its validity and its authority's, and not after `now`.
//! - **No chain logic here.** The leaf is checked with [`Certificate::verify_path`] (rustls-webpki) against
//!   each certificate authority of the trusted root valid at the signing time; the intermediates of a v0.1/v0.2
//!   bundle's chain are not used (the trusted root has them), and a root in that chain is refused.
//! - **Every log entry must verify, and record this bundle.** Its inclusion promise (required in v0.1) and its
//!   inclusion proof (required from v0.2, and for Rekor v2) with the checkpoint signed by the log's key; its body
//!   names the same artifact digest, signature and certificate or key (`hashedrekord` 0.0.1 and 0.0.2, `dsse`
//!   0.0.1 and 0.0.2, `intoto` 0.0.2).
//! - **Certificate transparency too.** A keyless certificate must carry a signed certificate timestamp by a
//!   CT log of the trusted root valid at the time it was issued.
//! - **A message signature needs the artifact's bytes.** ring verifies a signature over a message, hashing it
//!   itself; it has no API to verify over a digest computed elsewhere. A DSSE bundle needs only the artifact's
//!   digest, which its in-toto statement must name among its subjects.
//! - **Identity by full match.** The policy's pattern must match a subject alternative name (URI or e-mail) in
//!   whole. cosign's `--certificate-identity-regexp` is Go's unanchored match, so a pattern written for
//!   `github.com/org/repo` also accepts `github.com/org/repo-evil`; here it does not. The issuer (Fulcio's
//!   extension `1.3.6.1.4.1.57264.1.8`, else the legacy `.1.1`) must be equal.
//!
//! ```
//! use oci_sign::sigstore::{Artifact, Bundle, Keyless, Policy, TrustedRoot};
//! # fn demo(root_json: &[u8], bundle_json: &[u8], artifact: &[u8]) -> Result<(), oci_sign::Error> {
//! let policy = Keyless::new(
//!     TrustedRoot::from_json(root_json)?,
//!     r"https://github\.com/example/repo/\.github/workflows/release\.yml@refs/tags/v.*",
//!     "https://token.actions.githubusercontent.com",
//! )?;
//! let now = 1_765_000_000; // seconds since 1970
//! let signer = Bundle::from_json(bundle_json)?.verify(Artifact::Bytes(artifact), &Policy::Keyless(&policy), now)?;
//! println!("signed by {signer}");
//! # Ok(()) }
//! ```

mod bundle;
mod dsse;
mod json;
mod rekor;
mod sct;
mod trusted_root;

use oci_digest::{Algorithm, Digest};
use regex::Regex;

pub use crate::timestamp::{MAX_TIMESTAMP, Timestamp};
pub use bundle::{Bundle, BundleVersion};
pub use trusted_root::TrustedRoot;
pub(crate) use trusted_root::rfc3339;

use crate::der::Reader;
use crate::error::{Error, ErrorKind, quote};
use crate::key::PublicKey;
use crate::signature::Signer;
use crate::x509::{Certificate, Usage};
use bundle::{Content, Material};

/// Fulcio's OIDC issuer extension (a DER UTF8String), since 2022.
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Fulcio's first issuer extension (the raw string as the extension's value).
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

/// The largest compiled identity pattern, so that a policy cannot make the regex engine take unbounded memory.
const MAX_REGEX_SIZE: usize = 1 << 20;

/// What the bundle must have signed.
#[derive(Clone, Copy, Debug)]
pub enum Artifact<'a> {
    /// The artifact's bytes: works for every bundle.
    Bytes(&'a [u8]),
    /// Only the artifact's digest: enough for a DSSE bundle (its in-toto statement names the digest), refused
    /// for a message signature ([`ErrorKind::Unsupported`]), which ring verifies over the bytes only.
    Digest(&'a Digest),
}

/// Who may have signed.
#[derive(Clone, Copy, Debug)]
pub enum Policy<'a> {
    /// A bundle signed with one of these keys (a `publicKey` bundle). With a trusted root, its log entries are
    /// verified as for a keyless bundle; without one they are not looked at (cosign's `--insecure-ignore-tlog`).
    Keys {
        /// The keys, tried in order; the first that verifies is the [`Signer::Key`].
        keys: &'a [PublicKey],
        /// The trusted root whose logs the entries must come from, if they are to be verified.
        root: Option<&'a TrustedRoot>,
    },
    /// A keyless bundle: a Fulcio certificate for a matching identity and issuer.
    Keyless(&'a Keyless),
}

/// A keyless policy: the trusted root, the identity pattern, the issuer.
#[derive(Clone, Debug)]
pub struct Keyless {
    root: TrustedRoot,
    identity: Regex,
    identity_pattern: String,
    issuer: String,
}

impl Keyless {
    /// A policy that accepts certificates of `root`'s authorities whose subject alternative name (URI or e-mail)
    /// matches `identity_regex` in whole and whose OIDC issuer is exactly `issuer`.
    ///
    /// Refused: a pattern that is not a regular expression of Rust's `regex` syntax, or compiles to over 1 MiB
    /// ([`ErrorKind::Regex`]).
    pub fn new(root: TrustedRoot, identity_regex: &str, issuer: &str) -> Result<Self, Error> {
        let compile = |pattern: &str| {
            regex::RegexBuilder::new(pattern)
                .size_limit(MAX_REGEX_SIZE)
                .build()
                .map_err(|err| {
                    Error::new(
                        ErrorKind::Regex,
                        format!(
                            "the identity pattern {} is not a regular expression",
                            quote(identity_regex)
                        ),
                    )
                    .with_source(err)
                })
        };
        // Compiled alone first, so that the anchors wrap a whole expression: `a)|(b` is refused here rather
        // than read as `^(?:a)|(b)$`.
        compile(identity_regex)?;
        Ok(Self {
            root,
            identity: compile(&format!("^(?:{identity_regex})$"))?,
            identity_pattern: identity_regex.to_owned(),
            issuer: issuer.to_owned(),
        })
    }

    /// The trusted root.
    pub fn root(&self) -> &TrustedRoot {
        &self.root
    }

    /// The identity pattern, as given.
    pub fn identity(&self) -> &str {
        &self.identity_pattern
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

impl Bundle {
    /// Verifies the bundle for `artifact` under `policy`, with `now` (seconds since 1970) the latest acceptable
    /// signing time. Returns who signed: [`Signer::Identity`] for a keyless policy, [`Signer::Key`] for keys.
    ///
    /// In order, each failure with its [`ErrorKind`]: material that does not fit the policy
    /// ([`WrongMaterial`](ErrorKind::WrongMaterial)); a message digest or in-toto subject that is not the
    /// artifact's ([`ArtifactMismatch`](ErrorKind::ArtifactMismatch)); a signature that does not verify
    /// ([`BadSignature`](ErrorKind::BadSignature); for keys, [`Untrusted`](crate::Verdict::Untrusted) is this
    /// kind too); a log entry from an unknown log ([`UnknownLog`](ErrorKind::UnknownLog)), whose promise, proof or
    /// checkpoint fails ([`InclusionPromise`](ErrorKind::InclusionPromise),
    /// [`InclusionProof`](ErrorKind::InclusionProof), [`Checkpoint`](ErrorKind::Checkpoint)), or whose body
    /// records something else ([`LogEntryMismatch`](ErrorKind::LogEntryMismatch)); a signing time outside a
    /// validity or after `now` ([`SigningTime`](ErrorKind::SigningTime)); a certificate path that does not verify
    /// ([`CertificatePath`](ErrorKind::CertificatePath)); no valid SCT
    /// ([`CertificateTransparency`](ErrorKind::CertificateTransparency)); another identity or issuer
    /// ([`Identity`](ErrorKind::Identity), [`Issuer`](ErrorKind::Issuer)).
    pub fn verify(&self, artifact: Artifact<'_>, policy: &Policy<'_>, now: i64) -> Result<Signer, Error> {
        let artifact_sha256 = match artifact {
            Artifact::Bytes(bytes) => Some(Digest::sha256(bytes)),
            Artifact::Digest(digest) if digest.algorithm() == Algorithm::Sha256 => Some(digest.clone()),
            Artifact::Digest(_) => None,
        };
        let artifact_sha256 = artifact_sha256.as_ref().map(sha256_bytes);
        match policy {
            Policy::Keyless(keyless) => {
                let Material::Certificate(leaf) = &self.material else {
                    return Err(Error::new(
                        ErrorKind::WrongMaterial,
                        "the bundle was signed with a key (its material is a public key), not a certificate; verify \
                         it with the key",
                    ));
                };
                let key = leaf.public_key()?;
                self.verify_content(&key, artifact)?;
                let times = self.signing_times(
                    &keyless.root,
                    artifact_sha256.as_deref(),
                    &rekor::Signer::Certificate(leaf),
                    now,
                )?;
                if times.is_empty() {
                    return Err(if self.entries.iter().any(|entry| entry.integrated_time.is_none()) {
                        Error::new(
                            ErrorKind::Timestamp,
                            "a Rekor v2 log entry has no time of its own, and the bundle has no RFC 3161 timestamp: \
                             the certificate has no verified signing time",
                        )
                    } else {
                        Error::new(
                            ErrorKind::InclusionPromise,
                            "no log entry with a signed entry timestamp, and no RFC 3161 timestamp: the certificate \
                             has no verified signing time",
                        )
                    });
                }
                // The certificate must have been good at every verified time, not only at the kindest one.
                for time in times {
                    check_certificate(leaf, &keyless.root, time)?;
                }
                let identity = leaf
                    .uris()
                    .chain(leaf.emails())
                    .find(|name| keyless.identity.is_match(name))
                    .ok_or_else(|| {
                        let names: Vec<String> = leaf.uris().chain(leaf.emails()).map(quote).collect();
                        Error::new(
                            ErrorKind::Identity,
                            format!(
                                "the certificate's identity ({}) does not match the pattern {}",
                                names.join(", "),
                                quote(&keyless.identity_pattern)
                            ),
                        )
                    })?;
                let issuer = issuer(leaf)?;
                if issuer != keyless.issuer {
                    return Err(Error::new(
                        ErrorKind::Issuer,
                        format!(
                            "the certificate's issuer {} is not {}",
                            quote(&issuer),
                            quote(&keyless.issuer)
                        ),
                    ));
                }
                Ok(Signer::Identity {
                    identity: identity.to_owned(),
                    issuer,
                })
            }
            Policy::Keys { keys, root } => {
                if !matches!(self.material, Material::PublicKey) {
                    return Err(Error::new(
                        ErrorKind::WrongMaterial,
                        "the bundle was signed keyless (its material is a certificate); verify it with an identity \
                         and an issuer",
                    ));
                }
                let mut first_error = None;
                for key in *keys {
                    match self.verify_content(key, artifact) {
                        Ok(()) => {
                            if let Some(root) = root {
                                self.signing_times(root, artifact_sha256.as_deref(), &rekor::Signer::Key(key), now)?;
                            }
                            return Ok(Signer::Key(key.id().clone()));
                        }
                        Err(err) if err.kind() == ErrorKind::BadSignature => {}
                        Err(err) => {
                            first_error.get_or_insert(err);
                        }
                    }
                }
                Err(first_error.unwrap_or_else(|| {
                    Error::new(
                        ErrorKind::BadSignature,
                        format!("none of the {} keys given verifies the bundle's signature", keys.len()),
                    )
                }))
            }
        }
    }

    /// The signature over the artifact (or the envelope), and the artifact's binding to it.
    fn verify_content(&self, key: &PublicKey, artifact: Artifact<'_>) -> Result<(), Error> {
        match &self.content {
            Content::MessageSignature { digest, signature } => {
                let Artifact::Bytes(bytes) = artifact else {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        "a message signature is verified over the artifact's bytes (ring verifies messages, not \
                         digests computed elsewhere); give the artifact, not its digest",
                    ));
                };
                if let Some(digest) = digest {
                    if *digest != sha256_bytes(&Digest::sha256(bytes)) {
                        return Err(Error::new(
                            ErrorKind::ArtifactMismatch,
                            "the bundle's message digest is not the artifact's SHA-256",
                        ));
                    }
                }
                if key.verify(bytes, signature) {
                    Ok(())
                } else {
                    Err(Error::new(
                        ErrorKind::BadSignature,
                        "the message signature does not verify over the artifact with the signer's key",
                    ))
                }
            }
            Content::Dsse {
                payload,
                payload_type,
                signature,
            } => {
                if !key.verify(&dsse::pae(payload_type, payload), signature) {
                    return Err(Error::new(
                        ErrorKind::BadSignature,
                        "the DSSE envelope's signature does not verify with the signer's key",
                    ));
                }
                if payload_type != dsse::IN_TOTO {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "a DSSE payload of type {}; only in-toto statements ({}) name the artifact they sign",
                            quote(payload_type),
                            dsse::IN_TOTO
                        ),
                    ));
                }
                let digest = match artifact {
                    Artifact::Bytes(bytes) => Digest::sha256(bytes),
                    Artifact::Digest(digest) => digest.clone(),
                };
                let (algorithm, hex) = digest.as_str().split_once(':').unwrap_or(("", digest.as_str()));
                dsse::statement_names(payload, algorithm, hex)
            }
        }
    }

    /// Verifies every log entry (at least one) and every RFC 3161 timestamp, and returns the verified signing
    /// times: the signed integrated times of Rekor v1 entries and the timestamps' times, each at most `now`. A
    /// Rekor v2 entry's log key must be valid at every timestamp's time.
    fn signing_times(
        &self,
        root: &TrustedRoot,
        artifact_sha256: Option<&[u8]>,
        signer: &rekor::Signer<'_>,
        now: i64,
    ) -> Result<Vec<i64>, Error> {
        if self.entries.is_empty() {
            return Err(Error::new(
                ErrorKind::UnknownLog,
                "the bundle has no transparency log entry",
            ));
        }
        let signature = match &self.content {
            Content::MessageSignature { signature, .. } | Content::Dsse { signature, .. } => signature,
        };
        let mut stamped = Vec::with_capacity(self.timestamps.len());
        for timestamp in &self.timestamps {
            stamped.push(verify_timestamp(timestamp, signature, root)?);
        }
        let mut times = Vec::new();
        for entry in &self.entries {
            let verified = rekor::verify_entry(entry, self.version, root)?;
            rekor::check_body(entry, &self.content, artifact_sha256, signer)?;
            if entry.integrated_time.is_none() {
                if let Some(outside) = stamped.iter().find(|&&time| !verified.log_valid_for.contains(time)) {
                    return Err(Error::new(
                        ErrorKind::SigningTime,
                        format!("the timestamp's time {outside} is outside the log key's validity in the trusted root"),
                    ));
                }
            }
            times.extend(verified.time);
        }
        times.extend(stamped);
        if let Some(late) = times.iter().find(|&&time| time > now) {
            return Err(Error::new(
                ErrorKind::SigningTime,
                format!("a signing time {late} (a log's integrated time or a timestamp's) is after now ({now})"),
            ));
        }
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }
}

/// Verifies `timestamp` of `signature` against the timestamp authorities of `root`: one valid at its time, whose
/// chain its signer's path reaches.
fn verify_timestamp(timestamp: &Timestamp, signature: &[u8], root: &TrustedRoot) -> Result<i64, Error> {
    if root.timestamp_authorities.is_empty() {
        return Err(Error::new(
            ErrorKind::Timestamp,
            "the trusted root lists no timestamp authority",
        ));
    }
    let attributes = timestamp.check_content(signature)?;
    let mut last_error = None;
    for authority in &root.timestamp_authorities {
        if !authority.valid_for.contains(timestamp.time()) {
            last_error = Some(Error::new(
                ErrorKind::Timestamp,
                format!(
                    "the timestamp's time {} is outside the timestamp authority's validity in the trusted root",
                    timestamp.time()
                ),
            ));
            continue;
        }
        match timestamp.verify_chain(&attributes, &authority.chain) {
            Ok(time) => return Ok(time),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        Error::new(
            ErrorKind::Timestamp,
            "no timestamp authority of the trusted root signed the timestamp",
        )
    }))
}

/// The leaf at the signing time: within its validity, issued by an authority of the trusted root valid then,
/// with an SCT by one of its CT logs.
fn check_certificate(leaf: &Certificate, root: &TrustedRoot, time: i64) -> Result<(), Error> {
    if !leaf.valid_at(time) {
        return Err(Error::new(
            ErrorKind::SigningTime,
            format!(
                "the signing time {time} (a log's integrated time or a timestamp's) is outside the certificate's \
                 validity ({}..{})",
                leaf.not_before(),
                leaf.not_after()
            ),
        ));
    }
    if leaf.is_ca() {
        return Err(Error::new(
            ErrorKind::CertificatePath,
            "the signing certificate is a CA certificate",
        ));
    }
    let mut last_error = None;
    let mut issuer = None;
    for authority in root.authorities.iter().filter(|a| a.valid_for.contains(time)) {
        let Some((anchor, intermediates)) = authority.chain.split_last() else {
            continue;
        };
        match leaf.verify_path(intermediates, std::slice::from_ref(anchor), time, Usage::CodeSigning) {
            Ok(()) => {
                issuer = Some(authority.chain.first().unwrap_or(anchor));
                break;
            }
            Err(err) => last_error = Some(err),
        }
    }
    let Some(issuer) = issuer else {
        return Err(last_error.unwrap_or_else(|| {
            Error::new(
                ErrorKind::CertificatePath,
                format!("no certificate authority of the trusted root is valid at the signing time {time}"),
            )
        }));
    };
    sct::verify(leaf, issuer, root)
}

/// The OIDC issuer Fulcio wrote into the certificate.
fn issuer(leaf: &Certificate) -> Result<String, Error> {
    let malformed = || {
        Error::new(
            ErrorKind::Issuer,
            "the certificate's issuer extension is not a UTF-8 string",
        )
    };
    if let Some(value) = leaf.extension(ISSUER_V2) {
        let mut reader = Reader::new(value);
        let text = reader.read(0x0c).map_err(|_| malformed())?;
        reader.finish().map_err(|_| malformed())?;
        return String::from_utf8(text.to_vec()).map_err(|_| malformed());
    }
    if let Some(value) = leaf.extension(ISSUER_V1) {
        return String::from_utf8(value.to_vec()).map_err(|_| malformed());
    }
    Err(Error::new(
        ErrorKind::Issuer,
        "the certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)",
    ))
}

/// The bytes of a digest (validated lowercase hex).
fn sha256_bytes(digest: &Digest) -> Vec<u8> {
    digest
        .encoded()
        .as_bytes()
        .chunks(2)
        .filter_map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}
