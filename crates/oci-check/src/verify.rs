//! `oci-check verify`: whether each image is signed by something trusted: a key (cosign's simple signing, keyed
//! Sigstore bundles), a keyless identity (Sigstore bundles against a trusted root), a notation CA.
//!
//! For each image: the digest its tag names (or its own), and with a multi-arch index also the platform's image, since
//! a signature on either counts. For each digest, its signatures are looked for in the order the issue set: the
//! referrers (the API, else the referrers tag schema, through `Client::referrers`), then cosign's legacy
//! `sha256-<hex>.sig` tag (a `HEAD`, then the manifest by digest). Every signature manifest and payload is read by
//! digest, through the cache. `oci-sign` judges them; the best verdict wins (verified, invalid, untrusted, unsigned).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use oci_registry::{Client, Digest, ErrorKind, Platform, Reference, Repository};
use oci_sign::notation::TrustedIdentity;
use oci_sign::sigstore::{Keyless, TrustedRoot};
use oci_sign::x509::Certificate;
use oci_sign::{ErrorKind as SignErrorKind, PublicKey, SignatureManifest, SignatureTag, Signer, Trust, Verdict};

use crate::Output;
use crate::exit;
use crate::failure::Failure;
use crate::registry::RegistryArgs;

/// The largest public key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// The largest trusted root read, as oci-sign bounds it (the public instance's is about 20 KiB).
const MAX_TRUSTED_ROOT: u64 = 1024 * 1024;

/// The largest simple-signing payload read.
const MAX_PAYLOAD: u64 = 256 * 1024;

/// How many images are judged at once.
const CONCURRENCY: usize = 32;

/// The most signature manifests judged for one digest.
const MAX_SIGNATURES: usize = 32;

/// The arguments of `oci-check verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Images, `IMAGE[:TAG][@DIGEST]`.
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<String>,
    /// A trusted public key (PEM: ECDSA P-256/P-384, RSA or Ed25519, as `cosign generate-key-pair` writes
    /// `cosign.pub`), for every image or, as `GLOB=PEM`, for the images whose `REGISTRY/REPOSITORY` matches GLOB
    /// (`*` matches anything). Repeatable.
    #[arg(long = "key", value_name = "[GLOB=]PEM", help_heading = "Signatures")]
    keys: Vec<String>,
    #[command(flatten)]
    trust: TrustArgs,
    /// The platform whose image's signature also counts when the tag names a multi-arch index (default: this
    /// machine's).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
    /// One JSON object per image (JSON Lines): image, digest, platform_digest, signature {status, format, signer,
    /// found_via, note}, error.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Keyless (Sigstore) and notation trust, the same options for `verify`, `update` and `watch` (keys are
/// `--key` in `verify`, `--verify-key` in the others).
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct TrustArgs {
    /// Keyless signatures (Sigstore bundles with a Fulcio certificate): the Sigstore trusted root to verify them
    /// against offline (`trusted_root.json`: its certificate authorities, transparency logs, CT logs and timestamp
    /// authorities; the public instance's comes from sigstore/root-signing). With --identity and --issuer.
    #[arg(long, value_name = "FILE", requires_all = ["identity", "issuer"], help_heading = "Signatures")]
    trusted_root: Option<PathBuf>,
    /// Keyless: the signer's identity, a regular expression the certificate's URI or e-mail must match in whole
    /// (e.g. `https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/.*`).
    #[arg(long, value_name = "REGEX", requires = "trusted_root", help_heading = "Signatures")]
    identity: Option<String>,
    /// Keyless: the OIDC issuer the certificate must name, exactly (e.g.
    /// `https://token.actions.githubusercontent.com`).
    #[arg(long, value_name = "URL", requires = "trusted_root", help_heading = "Signatures")]
    issuer: Option<String>,
    /// Notation signatures: a trusted certificate (PEM, a file may hold several, or DER; a CA of a notation trust
    /// store, or a self-signed signing certificate), for every image or, as `GLOB=PEM`, for the images whose
    /// `REGISTRY/REPOSITORY` matches GLOB. Repeatable.
    #[arg(long = "notation-root", value_name = "[GLOB=]PEM", help_heading = "Signatures")]
    notation_roots: Vec<String>,
    /// Notation signatures timestamped by an RFC 3161 authority (`notation sign --timestamp-url`): a trusted root of
    /// timestamp authorities (PEM or DER, a notation trust store of type `tsa`). A signature such an authority
    /// timestamped is judged at its timestamp, so a certificate that has expired since still verifies it; a
    /// timestamp that does not verify makes it invalid. Repeatable.
    #[arg(
        long = "notation-tsa-root",
        value_name = "PEM",
        requires = "notation_roots",
        help_heading = "Signatures"
    )]
    notation_tsa_roots: Vec<PathBuf>,
    /// Notation signatures: a trusted identity, as a trust policy's `trustedIdentities` writes it (`x509.subject:
    /// C=US, ST=WA, O=wabbit-networks.io`): the signing certificate's subject must have each attribute with that
    /// value. Repeatable (any one will do); without it, every certificate a --notation-root leads to is trusted.
    #[arg(
        long = "notation-identity",
        value_name = "DN",
        requires = "notation_roots",
        help_heading = "Signatures"
    )]
    notation_identities: Vec<String>,
}

impl TrustArgs {
    /// The keyless policy, if asked for; `Err` is a usage message.
    fn policy(&self) -> Result<Option<Arc<Keyless>>, String> {
        let (Some(path), Some(identity), Some(issuer)) = (&self.trusted_root, &self.identity, &self.issuer) else {
            return Ok(None);
        };
        let shown = oci_registry::text::quote(&path.display().to_string());
        let bytes = read_bounded(path, MAX_TRUSTED_ROOT).map_err(|err| format!("--trusted-root {shown}: {err}"))?;
        let root = TrustedRoot::from_json(&bytes).map_err(|err| format!("--trusted-root {shown}: {err}"))?;
        let keyless = Keyless::new(root, identity, issuer).map_err(|err| format!("--identity: {err}"))?;
        Ok(Some(Arc::new(keyless)))
    }
}

/// Everything the command line trusts, for every image or for some: what [`TrustConfig::for_image`] turns into
/// one image's [`Trust`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustConfig {
    keys: Vec<Scoped<PublicKey>>,
    keyless: Option<Arc<Keyless>>,
    notation: Vec<Scoped<Vec<Certificate>>>,
    notation_tsa: Vec<Certificate>,
    notation_identities: Vec<TrustedIdentity>,
}

impl TrustConfig {
    /// Reads `--key`/`--verify-key` values (`[GLOB=]PEM`) and the keyless and notation options; `Err` is a usage
    /// message.
    pub(crate) fn from_args(keys: &[String], trust: &TrustArgs) -> Result<Self, String> {
        let key = |bytes: &[u8]| {
            let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
            text.parse::<PublicKey>().map_err(|err| err.to_string())
        };
        let certificates = |bytes: &[u8]| certificate_file(bytes);
        Ok(Self {
            keys: keys
                .iter()
                .map(|spec| scoped(spec, "--key", MAX_KEY_FILE, key))
                .collect::<Result<_, _>>()?,
            keyless: trust.policy()?,
            notation: trust
                .notation_roots
                .iter()
                .map(|spec| scoped(spec, "--notation-root", MAX_KEY_FILE, certificates))
                .collect::<Result<_, _>>()?,
            notation_tsa: trust
                .notation_tsa_roots
                .iter()
                .map(|path| {
                    let shown = oci_registry::text::quote(&path.display().to_string());
                    read_bounded(path, MAX_KEY_FILE)
                        .and_then(|bytes| certificates(&bytes))
                        .map_err(|err| format!("--notation-tsa-root {shown}: {err}"))
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect(),
            notation_identities: trust
                .notation_identities
                .iter()
                .map(|text| text.parse().map_err(|err| format!("--notation-identity: {err}")))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether nothing is trusted, so no signature is looked for.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.keyless.is_none() && self.notation.is_empty()
    }

    /// What is trusted for `reference`'s repository: the keys and notation certificates scoped to it or to every
    /// image, and the keyless policy.
    pub(crate) fn for_image(&self, reference: &Reference) -> Trust {
        let name = repository_name(reference);
        let applies = |scope: &Option<String>| scope.as_deref().is_none_or(|scope| wildcard(scope, &name));
        let trust = Trust::keys(
            self.keys
                .iter()
                .filter(|trusted| applies(&trusted.scope))
                .map(|trusted| trusted.value.clone()),
        )
        .with_notation(
            self.notation
                .iter()
                .filter(|trusted| applies(&trusted.scope))
                .flat_map(|trusted| trusted.value.iter().cloned()),
        )
        .with_notation_tsa(self.notation_tsa.iter().cloned())
        .with_notation_identities(self.notation_identities.iter().cloned());
        match &self.keyless {
            Some(keyless) => trust.with_keyless(Arc::clone(keyless)),
            None => trust,
        }
    }
}

/// Something trusted (a key, notation certificates) and the images it is for: every image, or those whose
/// repository matches the GLOB.
#[derive(Debug, Clone)]
struct Scoped<T> {
    scope: Option<String>,
    value: T,
}

/// The verdict on one image's signatures, and where it was found.
pub(crate) struct Finding {
    verdict: Verdict,
    /// `referrers`, `referrers-tag` or `sig-tag`; `None` for unsigned.
    found_via: Option<&'static str>,
    /// The digest the verdict is about (the index's or the platform image's).
    digest: Digest,
    /// The signature's format (`cosign`, `sigstore-bundle`, `notation`); `None` for unsigned.
    format: Option<&'static str>,
}

/// Prints one line (or JSON object) per image; exits 0 when every image is verified, 1 otherwise, 2 on usage.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    let trust = match TrustConfig::from_args(&args.keys, &args.trust) {
        Ok(trust) if trust.is_empty() => {
            return exit::usage("verify needs --key, --trusted-root with --identity and --issuer, or --notation-root");
        }
        Ok(trust) => trust,
        Err(message) => return exit::usage(&message),
    };
    let platform = args.platform.clone().unwrap_or_else(Platform::host);
    let mut all_verified = true;
    let code = args.registry.with_batch(&args.images, output, |batch| {
        let client = batch.client.clone();
        // Every image at once (bounded), printed in order afterwards.
        let jobs: Vec<Option<(Reference, Trust)>> = batch
            .parsed
            .iter()
            .map(|parsed| {
                let reference = parsed.as_ref().ok()?;
                Some((reference.clone(), trust.for_image(reference)))
            })
            .collect();
        let mut judged = batch.runtime.block_on(judge_all(&client, jobs, &platform));
        let code = batch.each(output, |_, _, position, reference| {
            let image = &args.images[position];
            let scoped = trust.for_image(&reference);
            let Some(judged) = judged[position].take() else {
                all_verified = false;
                return Err(Failure::new("internal", "the signature check stopped unexpectedly"));
            };
            let (resolved, finding) = match judged {
                Ok(judged) => judged,
                Err(err) => {
                    all_verified = false;
                    let failure = Failure::from_client(&reference.familiar(), &err);
                    if args.json {
                        let line = serde_json::json!({
                            "image": image,
                            "digest": null,
                            "platform_digest": null,
                            "signature": null,
                            "error": {"kind": failure.kind(), "message": failure.message()},
                        });
                        let printed = writeln!(io::stdout(), "{line}").is_ok();
                        output.error(&failure);
                        return Ok(printed);
                    }
                    return Err(failure);
                }
            };
            if !matches!(finding.verdict, Verdict::Verified { .. }) {
                all_verified = false;
            }
            let record = SignatureRecord::of(&finding, scoped.is_empty());
            let (status, signer, note) = (record.status, record.signer.clone(), record.note.clone());
            let printed = if args.json {
                let line = serde_json::json!({
                    "image": image,
                    "digest": resolved.0.as_str(),
                    "platform_digest": resolved.1.as_ref().map(Digest::as_str),
                    "signature": record,
                    "error": null,
                });
                writeln!(io::stdout(), "{line}").is_ok()
            } else {
                let shown = oci_registry::text::escape(image, 200);
                let mut line = format!("{shown}  {}  {status}", short(&resolved.0));
                if let Some(signer) = &signer {
                    // A keyless identity or a certificate subject came from a certificate: escaped.
                    line.push_str(&format!("  {}", oci_registry::text::escape(signer, 200)));
                }
                if let Some(via) = finding.found_via {
                    line.push_str(&format!("  ({via})"));
                }
                if let Some(note) = &note {
                    line.push_str(&format!("  {note}"));
                }
                writeln!(io::stdout(), "{line}").is_ok()
            };
            Ok(printed)
        });
        tracing::info!("summary: {}", crate::cache::summary(&client.pull_stats()));
        code
    });
    if code != ExitCode::SUCCESS {
        return code;
    }
    if all_verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

/// What the line says beyond the status.
fn note(finding: &Finding, no_key: bool) -> Option<String> {
    match &finding.verdict {
        Verdict::Invalid { reason } => Some(oci_registry::text::escape(&reason.to_string(), 400).into_owned()),
        Verdict::Untrusted if no_key => Some("signed, but nothing trusted applies to this image".to_owned()),
        Verdict::Untrusted => Some("signed, but not by a trusted key or identity".to_owned()),
        _ => None,
    }
}

/// How a signer is named in records: a key's `sha256:` id, a keyless signer's identity.
fn signer_name(signer: &Signer) -> String {
    match signer {
        Signer::Identity { identity, .. } => identity.clone(),
        Signer::Certificate { subject, .. } => subject.clone(),
        other => other.to_string(),
    }
}

fn short(digest: &Digest) -> String {
    let text = digest.as_str();
    text.chars().take("sha256:".len() + 12).collect()
}

/// `REGISTRY/REPOSITORY` of `reference`, what a key's GLOB is matched against.
fn repository_name(reference: &Reference) -> String {
    let location = oci_registry::ManifestLocation::from(reference);
    let repository = location.repository();
    format!("{}/{}", repository.registry(), repository.name())
}

/// `--key [GLOB=]PEM` (or `--notation-root`, named `option`): a file that exists is for every image; otherwise the
/// text after the last `=` is the file and the text before it the GLOB. The file, at most `limit` bytes of UTF-8, is
/// read by `read`.
fn scoped<T>(
    spec: &str,
    option: &str,
    limit: u64,
    read: impl Fn(&[u8]) -> Result<T, String>,
) -> Result<Scoped<T>, String> {
    let (scope, path) = if Path::new(spec).is_file() {
        (None, PathBuf::from(spec))
    } else {
        match spec.rsplit_once('=') {
            Some((glob, path)) if !glob.is_empty() => (Some(glob.to_owned()), PathBuf::from(path)),
            _ => (None, PathBuf::from(spec)),
        }
    };
    let shown = oci_registry::text::quote(&path.display().to_string());
    let bytes = read_bounded(&path, limit).map_err(|err| format!("{option} {shown}: {err}"))?;
    let value = read(&bytes).map_err(|err| format!("{option} {shown}: {err}"))?;
    Ok(Scoped { scope, value })
}

/// A certificate file as notation's trust stores hold them: PEM (one or more `CERTIFICATE` blocks), or one DER
/// certificate (a `.cer`, which starts with a SEQUENCE byte, never with text).
fn certificate_file(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if bytes.first() == Some(&0x30) {
        return Certificate::from_der(bytes)
            .map(|certificate| vec![certificate])
            .map_err(|err| err.to_string());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "neither PEM text nor a DER certificate".to_owned())?;
    Certificate::all_from_pem(text).map_err(|err| err.to_string())
}

/// The bytes of the regular file `path`, at most `limit` of them.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let metadata = std::fs::metadata(path).map_err(|err| err.to_string())?;
    if !metadata.is_file() || metadata.len() > limit {
        return Err(format!("not a regular file of at most {limit} bytes"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| io::Read::read_to_end(&mut io::Read::take(file, limit + 1), &mut bytes))
        .map_err(|err| err.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("not a regular file of at most {limit} bytes"));
    }
    Ok(bytes)
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (slashes too) and every other
/// character itself.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// The images judged at once, at most [`CONCURRENCY`] at a time, in the order given (`None` where no job).
async fn judge_all(client: &Client, jobs: Vec<Option<(Reference, Trust)>>, platform: &Platform) -> Vec<Option<Judged>> {
    let mut results: Vec<Option<Judged>> = jobs.iter().map(|_| None).collect();
    let mut pending = jobs
        .into_iter()
        .enumerate()
        .filter_map(|(position, job)| Some((position, job?)));
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some((position, (reference, trust))) = pending.next() else {
                break;
            };
            let (client, platform) = (client.clone(), platform.clone());
            running.spawn(async move { (position, judge(&client, &reference, &platform, &trust).await) });
        }
        match running.join_next().await {
            Some(Ok((position, judged))) => results[position] = Some(judged),
            // A panicked task leaves its image unjudged, which is told as an error.
            Some(Err(_)) => {}
            None => return results,
        }
    }
}

/// What [`judge`] answers: the image's digests (the tag's, and the platform's image) and the best finding.
type Judged = Result<((Digest, Option<Digest>), Finding), oci_registry::Error>;

/// The image's digests and the best verdict on their signatures.
async fn judge(
    client: &Client,
    reference: &Reference,
    platform: &Platform,
    trust: &Trust,
) -> Result<((Digest, Option<Digest>), Finding), oci_registry::Error> {
    let resolved = client.resolve_digest(reference, Some(platform)).await?;
    let index = resolved.digest().clone();
    let child = resolved.platform_digest().filter(|child| **child != index).cloned();
    let finding = judge_digests(client, reference, &index, child.as_ref(), trust).await?;
    Ok(((index, child), finding))
}

/// The best verdict on the signatures of `index` (a tag's digest) and, when given, the platform's image `child`: a
/// signature on either counts.
pub(crate) async fn judge_digests(
    client: &Client,
    reference: &Reference,
    index: &Digest,
    child: Option<&Digest>,
    trust: &Trust,
) -> Result<Finding, oci_registry::Error> {
    let repository = oci_registry::ManifestLocation::from(reference).repository().clone();
    let mut best: Option<Finding> = None;
    for digest in std::iter::once(index).chain(child) {
        let finding = signatures_of(client, &repository, digest, trust).await?;
        let verified = matches!(finding.verdict, Verdict::Verified { .. });
        if best
            .as_ref()
            .is_none_or(|best| rank(&finding.verdict) > rank(&best.verdict))
        {
            best = Some(finding);
        }
        if verified {
            break;
        }
    }
    Ok(best.unwrap_or(Finding {
        verdict: Verdict::Unsigned,
        found_via: None,
        digest: index.clone(),
        format: None,
    }))
}

/// A finding as JSON records carry it: `{status, format, signer, found_via, signed_digest, note}`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct SignatureRecord {
    pub(crate) status: &'static str,
    format: Option<&'static str>,
    pub(crate) signer: Option<String>,
    found_via: Option<&'static str>,
    signed_digest: Option<String>,
    note: Option<String>,
}

impl SignatureRecord {
    pub(crate) fn of(finding: &Finding, no_key: bool) -> Self {
        let (status, signer) = match &finding.verdict {
            Verdict::Verified { signer } => ("verified", Some(signer_name(signer))),
            Verdict::Invalid { .. } => ("invalid", None),
            Verdict::Untrusted => ("untrusted", None),
            _ => ("unsigned", None),
        };
        let signed = status != "unsigned";
        Self {
            status,
            format: finding.format.filter(|_| signed),
            signer,
            found_via: finding.found_via,
            signed_digest: signed.then(|| finding.digest.to_string()),
            note: note(finding, no_key),
        }
    }

    /// A search for signatures that failed (the registry did not answer): not verified.
    pub(crate) fn failed(err: &oci_registry::Error) -> Self {
        Self {
            status: "error",
            format: None,
            signer: None,
            found_via: None,
            signed_digest: None,
            note: Some(oci_registry::text::escape(&format!("{err:#}"), 400).into_owned()),
        }
    }

    pub(crate) fn verified(&self) -> bool {
        self.status == "verified"
    }
}

/// Verified beats invalid beats untrusted beats unsigned (cosign's rule: one signature that verifies is enough; a
/// broken one is worth telling over one by a stranger).
fn rank(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Verified { .. } => 3,
        Verdict::Invalid { .. } => 2,
        Verdict::Untrusted => 1,
        _ => 0,
    }
}

/// The best verdict on the signatures of `digest`: its referrers first, then the legacy signature tag.
async fn signatures_of(
    client: &Client,
    repository: &Repository,
    digest: &Digest,
    trust: &Trust,
) -> Result<Finding, oci_registry::Error> {
    let mut best = Finding {
        verdict: Verdict::Unsigned,
        found_via: None,
        digest: digest.clone(),
        format: None,
    };
    let consider = |(verdict, format): (Verdict, Option<&'static str>), via: &'static str, best: &mut Finding| {
        if rank(&verdict) > rank(&best.verdict) {
            *best = Finding {
                verdict,
                found_via: Some(via),
                digest: digest.clone(),
                format,
            };
        }
    };
    let referrers = client.referrers(repository, digest, None).await?;
    let via = referrers.found_via().as_str();
    let signatures = referrers
        .descriptors()
        .iter()
        .filter(|descriptor| oci_sign::may_be_signature(descriptor))
        .take(MAX_SIGNATURES);
    for descriptor in signatures {
        let judged = judge_manifest(client, repository, digest, descriptor.digest(), trust).await?;
        consider(judged, via, &mut best);
        if matches!(best.verdict, Verdict::Verified { .. }) {
            return Ok(best);
        }
    }
    let tag = repository.tag(&SignatureTag::new(digest).to_string())?;
    match client.manifest_digest(&tag).await {
        Ok(head) => {
            let judged = judge_manifest(client, repository, digest, head.digest(), trust).await?;
            consider(judged, "sig-tag", &mut best);
        }
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    Ok(best)
}

/// The verdict on one signature manifest (read by digest, through the cache) for `signed`, and the signature's
/// format when the manifest is one.
async fn judge_manifest(
    client: &Client,
    repository: &Repository,
    signed: &Digest,
    manifest: &Digest,
    trust: &Trust,
) -> Result<(Verdict, Option<&'static str>), oci_registry::Error> {
    let raw = client.manifest(&repository.digest(manifest.clone())).await?;
    let signatures = match SignatureManifest::parse(signed, raw.bytes()) {
        Ok(signatures) => signatures,
        // A referrer whose type only its manifest tells (see `may_be_signature`) and that is something else.
        Err(reason) if reason.kind() == SignErrorKind::NotASignature => return Ok((Verdict::Unsigned, None)),
        Err(reason) => return Ok((Verdict::Invalid { reason }, None)),
    };
    let mut blobs = HashMap::new();
    for blob in signatures.blobs() {
        if blobs.contains_key(blob) {
            continue;
        }
        // A payload that cannot be fetched is missing: the verdict says invalid, as for a mismatch.
        let bytes = match client.blob(repository, blob).await {
            Ok(download) => download.bytes(MAX_PAYLOAD).await.ok(),
            Err(err) if err.kind() == ErrorKind::NotFound => None,
            Err(err) => return Err(err),
        };
        if let Some(bytes) = bytes {
            blobs.insert(blob.clone(), bytes);
        }
    }
    if signatures.wants_signed_manifest(|digest| blobs.get(digest).map(|bytes| bytes.as_ref())) {
        // A message-signature bundle signs the manifest's bytes: read by digest, through the cache.
        let manifest = client.manifest(&repository.digest(signed.clone())).await?;
        blobs.insert(signed.clone(), manifest.bytes().clone());
    }
    let verdict = signatures.verify(|digest| blobs.get(digest).map(|bytes| bytes.as_ref()), trust);
    Ok((verdict, Some(signatures.format())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_across_slashes() {
        assert!(wildcard("ghcr.io/acme/*", "ghcr.io/acme/app"));
        assert!(wildcard("ghcr.io/acme/*", "ghcr.io/acme/team/app"));
        assert!(wildcard("*", "docker.io/library/nginx"));
        assert!(wildcard("docker.io/library/nginx", "docker.io/library/nginx"));
        assert!(!wildcard("ghcr.io/acme/*", "ghcr.io/other/app"));
        assert!(!wildcard("ghcr.io/acme", "ghcr.io/acme/app"));
        assert!(wildcard("*/app", "127.0.0.1:5000/app"));
        assert!(!wildcard("*/app", "127.0.0.1:5000/apps"));
    }
}
