//! How `oci-check update` tells what it found: JSON lines in input order, failures on stderr as they happen (a
//! failure repeated for one registry and cause told once, then counted), the table at the end.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};

use oci_registry::{Digest, NewerCheck, RateLimit, UpdateCheck};
use serde::Serialize;

use super::Outcome;
use super::input::Entry;
use super::signatures::Signed;
use crate::Output;
use crate::failure::Failure;
use crate::verify::SignatureRecord;

/// Logs the candidates the version search skipped, and tells a search that failed (the check itself stands).
pub(super) fn tell_newer(image: &str, check: &UpdateCheck, printer: &mut Printer) {
    match check.newer() {
        Some(Ok(newer)) => {
            for (tag, reason) in newer.skipped() {
                tracing::info!(
                    "{image}: skipped {}: {}",
                    oci_registry::text::cut(tag),
                    oci_registry::text::cut(reason)
                );
            }
        }
        Some(Err(err)) => {
            let failure = Failure::from_client(image, err);
            printer.failure(&Failure::new(failure.kind(), format!("newer versions: {failure}")));
        }
        None => {}
    }
}

/// Prints JSON lines in input order as soon as they are known, and failures on stderr as they happen (a failure
/// seen before for the same registry and cause only counted, and summed up at the end); the table at the end.
pub(super) struct Printer {
    json: bool,
    /// With `--newer`, the table's NEWER column.
    newer: bool,
    /// With `--newer` (the version search) or `--verify-key` (the signatures), JSON waits for the end.
    deferred: bool,
    output: Output,
    progress: Option<indicatif::ProgressBar>,
    next: usize,
    /// Failures by (registry, kind): how many more after the first, printed one.
    repeated: BTreeMap<(String, &'static str), usize>,
}

impl Printer {
    pub(super) fn new(
        json: bool,
        newer: bool,
        verifying: bool,
        output: Output,
        progress: Option<indicatif::ProgressBar>,
    ) -> Self {
        Self {
            json,
            newer,
            deferred: newer || verifying,
            output,
            progress,
            next: 0,
            repeated: BTreeMap::new(),
        }
    }

    pub(super) fn ready(&mut self, entries: &[Entry], outcomes: &[Option<Outcome>], index: usize) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
        if let Some(Some(Err(failure))) = outcomes.get(index) {
            if !failure.is_local() {
                self.failure(failure);
            }
        }
        if !self.json || self.deferred {
            return;
        }
        let mut stdout = io::stdout().lock();
        while let Some(Some(outcome)) = outcomes.get(self.next) {
            let line = json_line(&record(&entries[self.next], outcome, None));
            let _ = writeln!(stdout, "{line}");
            self.next += 1;
        }
        let _ = stdout.flush();
    }

    /// Tells a failure unless the same registry failed the same way before.
    pub(super) fn failure(&mut self, failure: &Failure) {
        if let Some(registry) = failure.registry() {
            let key = (registry.to_owned(), failure.kind());
            if let Some(count) = self.repeated.get_mut(&key) {
                *count += 1;
                return;
            }
            self.repeated.insert(key, 0);
        }
        let output = self.output;
        match &self.progress {
            Some(bar) => bar.suspend(|| output.error(failure)),
            None => output.error(failure),
        }
    }

    /// Tells the repeated failures, then the deferred JSON lines or the table; `signed` is empty without
    /// `--verify-key`, else one per outcome.
    pub(super) fn finish(&mut self, entries: &[Entry], outcomes: &[Outcome], signed: &[Option<Signed>]) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        for ((registry, kind), count) in &self.repeated {
            if *count > 0 {
                let more = if *count == 1 { "image" } else { "images" };
                self.output.error(&Failure::new(
                    kind,
                    format!(
                        "{count} more {more} on {} failed the same way ({})",
                        oci_registry::text::cut(registry),
                        kind.replace('_', " ")
                    ),
                ));
            }
        }
        if self.json && self.deferred {
            let mut stdout = io::stdout().lock();
            for (index, (entry, outcome)) in entries.iter().zip(outcomes).enumerate() {
                let line = json_line(&signed_record(entry, outcome, Signatures::at(signed, index)));
                let _ = writeln!(stdout, "{line}");
            }
            let _ = stdout.flush();
        }
        // No rows (every input unreadable, or an engine running nothing): no header alone on stdout either.
        if !self.json && !entries.is_empty() {
            let colour = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let _ = io::stdout().write_all(table(entries, outcomes, signed, self.newer, colour).as_bytes());
        }
    }
}

/// One line of `--json`; the field order is the key order.
#[derive(Debug, Serialize)]
struct Record<'a> {
    image: Cow<'a, str>,
    /// The container or compose service, for images found by --docker, --podman, --compose, --inspect or
    /// --kubectl-json (`NAMESPACE/OWNER/CONTAINER`).
    container: Option<Cow<'a, str>>,
    /// `docker`, `podman`, `compose:FILE`, `inspect` or `kubernetes`; null for arguments and -f lists.
    source: Option<Cow<'a, str>>,
    reference: Option<String>,
    status: &'static str,
    current_digest: Option<&'a str>,
    latest_digest: Option<&'a str>,
    platform_digest: Option<&'a str>,
    media_type: Option<&'a str>,
    index_changed: Option<bool>,
    platform_changed: Option<bool>,
    verified: bool,
    /// The digest in use (a RepoDigest, the digest given, or the image ID) that matched, when up to date.
    matched_digest: Option<&'a str>,
    note: Option<Cow<'a, str>>,
    rate_limit: Option<RateLimitRecord<'a>>,
    /// Manifest GETs the check sent (pulls, on Docker Hub), with `--newer` the version search's too.
    pulls: u32,
    /// Manifests the check (and with `--newer` the version search) read from the cache.
    cache_hits: u32,
    error: Option<ErrorRecord<'a>>,
    /// With `--newer`: the newer version found, or null.
    newer: Option<NewerRecord<'a>>,
    /// With `--newer`, for a rolling tag: the version tags naming the same image.
    same_as: &'a [String],
    /// The mirror that answered the tag's HEAD (`--mirror`), or null when the registry itself did.
    served_by: Option<Cow<'a, str>>,
    /// With `--mirror-drift`, when a mirror answered: whether the registry itself names another image; else null.
    mirror_drift: Option<bool>,
    /// With `--mirror-drift`: the digest the registry itself names for the tag, or null.
    upstream_digest: Option<&'a str>,
    /// With `--verify-key`: the signature of the image the update proposes, or null when there is no update.
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Option<&'a SignatureRecord>>,
    /// With `--verify-key`: whether the image in use was signed by the same key, or null when either is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    same_signer: Option<Option<bool>>,
}

/// A newer version.
#[derive(Debug, Serialize)]
struct NewerRecord<'a> {
    tag: &'a str,
    digest: &'a str,
    kind: &'static str,
    created: Option<&'a str>,
    /// With `--verify-key`: the newer version's signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Option<&'a SignatureRecord>>,
}

/// A rate limit the registry announced.
#[derive(Debug, Serialize)]
struct RateLimitRecord<'a> {
    limit: Option<u64>,
    remaining: Option<u64>,
    /// The window in seconds.
    window: Option<u64>,
    source: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct ErrorRecord<'a> {
    kind: &'static str,
    message: &'a str,
}

impl<'a> From<&'a RateLimit> for RateLimitRecord<'a> {
    fn from(limit: &'a RateLimit) -> Self {
        Self {
            limit: limit.limit(),
            remaining: limit.remaining(),
            window: limit.window().map(|window| window.as_secs()),
            source: limit.source(),
        }
    }
}

/// One JSON line, with what serde_json leaves raw but a terminal must not see (C1 and bidi controls, U+2028,
/// U+2029) escaped as `\u` escapes.
pub(crate) fn json_line(value: &impl Serialize) -> String {
    let line = serde_json::to_string(value).unwrap_or_default();
    oci_registry::text::json_escape(&line).into_owned()
}

/// A foreign string (from an engine, a compose or inspect file, a registry) as a JSON record carries it: at most
/// [`oci_registry::text::JSON_LIMIT`] characters.
fn foreign(text: &str) -> Cow<'_, str> {
    oci_registry::text::bound(text, oci_registry::text::JSON_LIMIT)
}

/// The version search's answer, when it was asked for and found something to say.
fn newer_of(outcome: &Outcome) -> Option<&NewerCheck> {
    outcome.as_ref().ok()?.newer()?.ok()
}

/// The status word: `newer_available` when the tag is up to date (or unpinned) but a newer version was found;
/// `untrusted` when `--require-signed` refuses what it would propose.
fn status(check: &UpdateCheck, signed: Option<&Signed>) -> &'static str {
    if signed.is_some_and(Signed::untrusted) {
        return "untrusted";
    }
    match check.newer() {
        Some(Ok(newer)) if newer.newer().is_some() && !check.has_update() => "newer_available",
        _ => check.status().as_str(),
    }
}

/// What `--verify-key` found for one entry, as its record shows it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Signatures<'a> {
    /// Without `--verify-key`: the record has no signature fields at all.
    NotAsked,
    /// The signatures of the entry's proposals; `None` when it proposes nothing or its check failed (the fields
    /// are `null`).
    Judged(Option<&'a Signed>),
}

impl<'a> Signatures<'a> {
    /// Entry `index` of what [`super::signatures::judge`] returned for every entry; an empty list (no
    /// `--verify-key`) is [`Signatures::NotAsked`].
    pub(crate) fn at(signed: &'a [Option<Signed>], index: usize) -> Self {
        if signed.is_empty() {
            Self::NotAsked
        } else {
            Self::Judged(signed.get(index).and_then(Option::as_ref))
        }
    }
}

/// The `--json` record of one entry with its signatures, as a JSON value (the watcher keeps it and passes it to
/// targets): `update --json` and `watch` build it in this one place.
pub(crate) fn record_value(entry: &Entry, outcome: &Outcome, signatures: Signatures<'_>) -> serde_json::Value {
    serde_json::to_value(signed_record(entry, outcome, signatures)).unwrap_or_default()
}

/// The record with `signature`, `newer.signature` and `same_signer` when signatures were judged, and the status
/// `untrusted` when `--require-signed` refuses what it proposes.
fn signed_record<'a>(entry: &'a Entry, outcome: &'a Outcome, signatures: Signatures<'a>) -> Record<'a> {
    let Signatures::Judged(found) = signatures else {
        return record(entry, outcome, None);
    };
    let mut record = record(entry, outcome, found);
    record.signature = Some(found.and_then(|signed| signed.latest.as_ref()));
    record.same_signer = Some(found.and_then(|signed| signed.same_signer));
    if let Some(newer) = &mut record.newer {
        newer.signature = Some(found.and_then(|signed| signed.newer.as_ref()));
    }
    record
}

fn record<'a>(entry: &'a Entry, outcome: &'a Outcome, signed: Option<&'a Signed>) -> Record<'a> {
    let newer = newer_of(outcome);
    let same_as = newer.map_or(&[][..], NewerCheck::same_as);
    let (newer_pulls, newer_hits) = newer.map_or((0, 0), |newer| (newer.pulls(), newer.cache_hits()));
    let newer = newer.and_then(NewerCheck::newer).map(|newer| NewerRecord {
        tag: newer.tag(),
        digest: newer.digest().as_str(),
        kind: newer.jump().name(),
        created: newer.created(),
        signature: None,
    });
    let request = entry.parsed.as_ref().ok();
    let reference = request.map(|request| request.reference().to_string());
    match outcome {
        Ok(check) => Record {
            image: foreign(&entry.image),
            container: entry.container.as_deref().map(foreign),
            source: entry.source.as_deref().map(foreign),
            reference,
            status: status(check, signed),
            current_digest: check.current_digest().map(Digest::as_str),
            latest_digest: Some(check.latest_digest().as_str()),
            platform_digest: check.platform_digest().map(Digest::as_str),
            media_type: Some(check.media_type()),
            index_changed: check.index_changed(),
            platform_changed: check.platform_changed(),
            verified: check.verified(),
            matched_digest: check.matched_digest().map(Digest::as_str),
            note: check.note().map(foreign),
            rate_limit: check.rate_limit().map(RateLimitRecord::from),
            pulls: check.pulls() + newer_pulls,
            cache_hits: check.cache_hits() + newer_hits,
            error: None,
            newer,
            same_as,
            served_by: check.served_by().map(foreign),
            mirror_drift: check.mirror_drift(),
            upstream_digest: check.upstream_digest().map(Digest::as_str),
            signature: None,
            same_signer: None,
        },
        Err(failure) => Record {
            image: foreign(&entry.image),
            container: entry.container.as_deref().map(foreign),
            source: entry.source.as_deref().map(foreign),
            reference,
            status: if failure.is_local() { "local" } else { "error" },
            current_digest: request.and_then(|request| request.current()).map(Digest::as_str),
            latest_digest: None,
            platform_digest: None,
            media_type: None,
            index_changed: None,
            platform_changed: None,
            verified: false,
            matched_digest: None,
            note: entry.local.as_deref().map(foreign),
            rate_limit: None,
            pulls: 0,
            cache_hits: 0,
            error: (!failure.is_local()).then(|| ErrorRecord {
                kind: failure.kind(),
                message: failure.message(),
            }),
            newer: None,
            same_as: &[],
            served_by: None,
            mirror_drift: None,
            upstream_digest: None,
            signature: None,
            same_signer: None,
        },
    }
}

/// The table: image, status, short digests, the newer version with `--newer`, and a note where the verdict needs
/// one.
fn table(entries: &[Entry], outcomes: &[Outcome], signed: &[Option<Signed>], newer: bool, colour: bool) -> String {
    let short = |digest: Option<&Digest>| digest.map_or_else(|| "-".to_owned(), |d| d.short().to_string());
    let containers = entries.iter().any(|entry| entry.container.is_some());
    let mut header = if containers { vec!["CONTAINER"] } else { Vec::new() };
    header.extend(["IMAGE", "STATUS", "CURRENT", "LATEST", "PLATFORM"]);
    if newer {
        header.push("NEWER");
    }
    header.push("NOTE");
    let mut rows: Vec<Vec<String>> = vec![header.into_iter().map(str::to_owned).collect()];
    for (index, (entry, outcome)) in entries.iter().zip(outcomes).enumerate() {
        let signed = signed.get(index).and_then(Option::as_ref);
        let image = entry.parsed.as_ref().map_or_else(
            |_| oci_registry::text::cut(&entry.image).into_owned(),
            |request| request.reference().familiar(),
        );
        let mut row = if containers {
            vec![
                entry
                    .container
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), |name| oci_registry::text::cut(name).into_owned()),
            ]
        } else {
            Vec::new()
        };
        row.extend(match outcome {
            Ok(check) => vec![
                image,
                match status(check, signed) {
                    "newer_available" => "newer version".to_owned(),
                    "untrusted" => "untrusted".to_owned(),
                    _ => check.status().to_string(),
                },
                short(check.current_digest()),
                short(Some(check.latest_digest())),
                short(check.platform_digest()),
            ],
            Err(failure) => vec![
                image,
                if failure.is_local() { "local" } else { "error" }.to_owned(),
                short(entry.parsed.as_ref().ok().and_then(|request| request.current())),
                "-".to_owned(),
                "-".to_owned(),
            ],
        });
        if newer {
            row.push(match newer_of(outcome) {
                Some(check) if check.newer().is_some() => check
                    .newer()
                    .map(|newer| format!("{} ({})", oci_registry::text::cut(newer.tag()), newer.jump()))
                    .unwrap_or_default(),
                Some(check) if !check.same_as().is_empty() => {
                    format!("= {}", oci_registry::text::cut(&check.same_as().join(", ")))
                }
                _ => "-".to_owned(),
            });
        }
        // The note is the reason (a budget, a 429, a missing digest): never cut, only made printable. The last
        // column, so a long one runs on instead of pushing the others apart.
        row.push(match outcome {
            // What to write to pin it: the tag's own digest (an index stays multi-arch).
            Ok(check) if check.status() == oci_registry::UpdateStatus::NoDigest => {
                format!("pin {}@{}", check.reference().familiar(), check.latest_digest())
            }
            Ok(check) => {
                let note = check
                    .note()
                    .map(|note| crate::line(note).into_owned())
                    .unwrap_or_default();
                match signed.and_then(|signed| signed.latest.as_ref().or(signed.newer.as_ref())) {
                    Some(signature) => {
                        let told = match &signature.signer {
                            // A keyless identity or a certificate subject came from a certificate: escaped.
                            Some(signer) => format!(
                                "signature {} by {}",
                                signature.status,
                                oci_registry::text::escape(signer, 200)
                            ),
                            None => format!("signature {}", signature.status),
                        };
                        if note.is_empty() {
                            told
                        } else {
                            format!("{note}; {told}")
                        }
                    }
                    None => note,
                }
            }
            Err(failure) if failure.is_local() => entry.local.clone().unwrap_or_default(),
            Err(failure) => failure.kind().replace('_', " "),
        });
        rows.push(row);
    }
    let columns = rows[0].len();
    let mut widths = vec![0; columns];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if column + 1 == columns {
                line.push_str(cell);
                break;
            }
            let padded = format!("{cell:<width$}  ");
            let status_column = usize::from(containers) + 1;
            let code = match (colour && column == status_column, cell.as_str()) {
                (true, "up to date") => Some("32"),
                (true, "update available" | "newer version") => Some("33"),
                (true, "error") => Some("31"),
                (true, "no digest" | "local") => Some("2"),
                _ => None,
            };
            match code {
                Some(code) => line.push_str(&format!("\x1b[{code}m{cell}\x1b[0m{}", &padded[cell.len()..])),
                None => line.push_str(&padded),
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
