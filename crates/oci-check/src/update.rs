//! `oci-check update`: is there a newer digest behind each image's tag than the one in use?

mod input;

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use oci_client::{
    CheckOptions, Digest, Glob, Jump, NewerCheck, NewerRequest, Platform, Policy, RateLimit, UpdateCheck,
};
use serde::Serialize;

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::{Output, exit};
use input::Entry;

/// The arguments of `oci-check update`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Images to check, `IMAGE[:TAG][@DIGEST]`; the digest is the one in use.
    #[arg(value_name = "IMAGE[@DIGEST]")]
    images: Vec<String>,
    /// Read images from FILE (`-` for standard input): one `IMAGE[@DIGEST]` or `IMAGE DIGEST` per line; blank lines
    /// and `#` comments are skipped.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// The platform whose image matters when a tag names a multi-arch index, `os/arch[/variant]`.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value_t = Platform::host())]
    platform: Platform,
    /// How many images to check at once (also the most requests in flight to one registry).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Print one JSON object per image (JSON Lines), in input order.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    versions: VersionArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// What runs here: containers of engines, services of compose files, inspect output.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SourceArgs {
    /// Check the containers of the Docker engine (`--host`, else DOCKER_HOST, else /var/run/docker.sock): running
    /// ones, or all with --all. Only GET requests reach the engine.
    #[arg(long, help_heading = "What runs here")]
    docker: bool,
    /// Check the containers of Podman's Docker-compatible API (`--host`, else CONTAINER_HOST, else
    /// $XDG_RUNTIME_DIR/podman/podman.sock, else /run/podman/podman.sock).
    #[arg(long, help_heading = "What runs here")]
    podman: bool,
    /// The engine's address, `unix:///path/to.sock` or `tcp://HOST:PORT`.
    #[arg(long, value_name = "URL", help_heading = "What runs here")]
    host: Option<String>,
    /// With --docker or --podman: also created and stopped containers, as `docker ps -a`.
    #[arg(long, help_heading = "What runs here")]
    all: bool,
    /// Check the images of a compose file's services (repeatable: later files override earlier ones, as
    /// `docker compose -f a -f b`); variables from the environment and the `.env` beside the first file.
    #[arg(long = "compose", value_name = "FILE", help_heading = "What runs here")]
    compose: Vec<PathBuf>,
    /// Check the containers or images in `docker inspect` / `podman inspect` output (`-` for standard input).
    #[arg(long, value_name = "FILE|-", help_heading = "What runs here")]
    inspect: Option<PathBuf>,
}

/// The workloads of the sources asked for, sorted by source then name; a source that cannot be read is a
/// failure, and the others are still read. Each engine is read within `timeout` in all (`--timeout`).
fn workloads(
    sources: &SourceArgs,
    runtime: &tokio::runtime::Runtime,
    timeout: std::time::Duration,
) -> (Vec<oci_inventory::Workload>, Vec<Failure>) {
    use oci_inventory::{Engine, EngineAddress, EngineKind, EngineOptions, Environment, Variables};
    let mut read: Vec<(String, Result<Vec<oci_inventory::Workload>, String>)> = Vec::new();
    if !sources.compose.is_empty() {
        let loaded = oci_inventory::load_compose(&sources.compose, Variables::capture());
        read.push(("the compose files".to_owned(), loaded.map_err(|err| err.to_string())));
    }
    if let Some(path) = &sources.inspect {
        // The library bounds what it reads (a file, a pipe or standard input) and parses as it goes.
        let file = (path.as_os_str() != "-").then_some(path.as_path());
        let parsed = oci_inventory::read_inspect(file).map_err(|err| err.to_string());
        read.push(("the inspect output".to_owned(), parsed));
    }
    for (asked, kind, name) in [
        (sources.docker, EngineKind::Docker, "the Docker engine"),
        (sources.podman, EngineKind::Podman, "the Podman engine"),
    ] {
        if asked {
            let listed = runtime.block_on(async {
                let located = EngineAddress::locate(kind, sources.host.as_deref(), &Environment::capture())?;
                let options = EngineOptions::new()
                    .total_timeout(timeout)
                    .request_timeout(timeout)
                    .connect_timeout(timeout.min(std::time::Duration::from_secs(5)));
                let mut engine = Engine::connect(located, options).await?;
                engine.workloads(sources.all).await
            });
            read.push((name.to_owned(), listed.map_err(|err| err.to_string())));
        }
    }
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for (what, result) in read {
        match result {
            Ok(workloads) => found.extend(workloads),
            Err(err) => failures.push(Failure::new("source", format!("could not read {what}: {err}"))),
        }
    }
    found.sort_by(|a, b| (a.source().to_string(), a.name()).cmp(&(b.source().to_string(), b.name())));
    (found, failures)
}

/// Which newer versions count, for `update --newer` and `versions`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct VersionArgs {
    /// Also look for a newer version tag of the tag in use (of the same shape: `1.27.3-alpine` moves to
    /// `1.28.0-alpine`), at most a CAP jump away (`patch`, `minor` or `major`, the default), confirmed on the
    /// registry: an image for the platform, not older than the one in use. A newer version counts as an update.
    #[arg(long, value_name = "CAP", num_args = 0..=1, default_missing_value = "major", help_heading = "Versions")]
    pub(crate) newer: Option<Jump>,
    /// Only propose tags matching GLOB (`*`, `?`, `[...]`; repeatable).
    #[arg(long, value_name = "GLOB", help_heading = "Versions")]
    include: Vec<Glob>,
    /// Never propose tags matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB", help_heading = "Versions")]
    exclude: Vec<Glob>,
}

impl VersionArgs {
    /// The policy these options give, with `cap` as the largest jump.
    pub(crate) fn policy(&self, cap: Jump) -> Policy {
        let mut policy = Policy::new().with_max_jump(cap);
        for glob in &self.include {
            policy = policy.with_include(glob.clone());
        }
        for glob in &self.exclude {
            policy = policy.with_exclude(glob.clone());
        }
        policy
    }
}

/// The outcome for one entry.
type Outcome = Result<UpdateCheck, Failure>;

/// Checks every image and prints the answers; the exit code says whether anything needs doing.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    let mut entries: Vec<Entry> = args
        .images
        .iter()
        .map(|image| input::parse_entry(image, &args.platform))
        .collect();
    if let Some(path) = &args.file {
        if path.as_os_str() == "-" && args.registry.password_stdin() {
            return exit::usage("-f - and --password-stdin both want standard input: put the images in a file");
        }
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            io::stdin().read_to_string(&mut text).map(|_| text)
        } else {
            std::fs::read_to_string(path)
        };
        match text {
            Ok(text) => entries.extend(input::parse_lines(&text, &args.platform)),
            Err(err) => return exit::usage(&format!("could not read `{}`: {err}", path.display())),
        }
    }
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let (found, source_failures) = workloads(&args.sources, &runtime, args.registry.timeout());
    entries.extend(
        found
            .iter()
            .map(|workload| input::from_workload(workload, &args.platform)),
    );
    let asked_sources = args.sources.docker || args.sources.podman || !args.sources.compose.is_empty();
    if entries.is_empty() && source_failures.is_empty() && !asked_sources && args.sources.inspect.is_none() {
        return exit::usage(
            "no images to check: give IMAGE[@DIGEST] arguments, -f FILE, --docker, --podman, --compose FILE or --inspect FILE",
        );
    }
    let references = entries
        .iter()
        .filter_map(|entry| entry.parsed.as_ref().ok())
        .map(oci_client::UpdateRequest::reference);
    let client = match args
        .registry
        .prepare(references, Some(usize::from(args.concurrency)), output, &runtime)
    {
        Ok(client) => client,
        Err(failure) => return exit::failure(&failure),
    };
    let progress = (!args.json && !output.quiet && entries.len() > 3 && io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(entries.len() as u64));
    let mut printer = Printer::new(args.json, args.versions.newer.is_some(), output, progress);
    for failure in &source_failures {
        printer.failure(failure);
    }
    // One registry check per distinct request, however many containers share it.
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(entries.len());
    let mut requests: Vec<oci_client::UpdateRequest> = Vec::new();
    let mut positions: Vec<Vec<usize>> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match &entry.parsed {
            Ok(request) => {
                match requests.iter().position(|known| known == request) {
                    Some(at) => positions[at].push(index),
                    None => {
                        requests.push(request.clone());
                        positions.push(vec![index]);
                    }
                }
                outcomes.push(None);
            }
            Err(failure) => outcomes.push(Some(Err(failure.clone()))),
        }
    }
    for index in 0..entries.len() {
        if outcomes[index].is_some() {
            printer.ready(&entries, &outcomes, index);
        }
    }
    let options = CheckOptions::new().concurrency(usize::from(args.concurrency));
    runtime.block_on(client.check_each(&requests, &options, |done, result| {
        let image = requests[done].reference().familiar();
        let outcome = result.map_err(|err| Failure::from_client(&image, &err));
        for &index in &positions[done] {
            outcomes[index] = Some(outcome.clone());
            printer.ready(&entries, &outcomes, index);
        }
    }));
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err(Failure::new("internal", "the check stopped unexpectedly"))))
        .collect();
    let mut newers: Vec<Option<NewerCheck>> = vec![None; entries.len()];
    if let Some(cap) = args.versions.newer {
        let policy = args.versions.policy(cap);
        let (requests, positions): (Vec<NewerRequest>, Vec<usize>) = entries
            .iter()
            .zip(&outcomes)
            .enumerate()
            .filter_map(|(index, (entry, outcome))| {
                let request = entry.parsed.as_ref().ok()?;
                outcome.as_ref().ok()?;
                let newer = NewerRequest::new(
                    request.reference().clone(),
                    request.current().cloned(),
                    request.platform().clone(),
                    policy.clone(),
                );
                Some((newer, index))
            })
            .unzip();
        runtime.block_on(client.newer_each(&requests, &options, |done, result| {
            let index = positions[done];
            match result {
                Ok(check) => {
                    for (tag, reason) in check.skipped() {
                        tracing::info!(
                            "{}: skipped {}: {}",
                            requests[done].reference().familiar(),
                            oci_client::text::cut(tag),
                            oci_client::text::cut(reason)
                        );
                    }
                    newers[index] = Some(check);
                }
                Err(err) => {
                    let image = requests[done].reference().familiar();
                    let failure = Failure::from_client(&image, &err);
                    printer.failure(&Failure::new(failure.kind(), format!("newer versions: {failure}")));
                }
            }
        }));
    }
    printer.finish(&entries, &outcomes, &newers);
    tracing::info!("summary: {}", crate::cache::summary(&client.pull_stats()));
    let failed = !source_failures.is_empty()
        || outcomes
            .iter()
            .any(|outcome| outcome.as_ref().is_err_and(|failure| !failure.is_local()));
    let updates = outcomes
        .iter()
        .any(|outcome| outcome.as_ref().is_ok_and(UpdateCheck::has_update))
        || newers.iter().flatten().any(|newer| newer.newer().is_some());
    match (failed, updates) {
        (true, _) => ExitCode::from(exit::FAILED),
        (false, true) => ExitCode::from(exit::UPDATES),
        (false, false) => ExitCode::SUCCESS,
    }
}

/// Prints JSON lines in input order as soon as they are known, and failures on stderr as they happen (a failure
/// seen before for the same registry and cause only counted, and summed up at the end); the table at the end.
struct Printer {
    json: bool,
    /// With `--newer`, JSON waits for the version search, so it is printed at the end.
    newer: bool,
    output: Output,
    progress: Option<indicatif::ProgressBar>,
    next: usize,
    /// Failures by (registry, kind): how many more after the first, printed one.
    repeated: BTreeMap<(String, &'static str), usize>,
}

impl Printer {
    fn new(json: bool, newer: bool, output: Output, progress: Option<indicatif::ProgressBar>) -> Self {
        Self {
            json,
            newer,
            output,
            progress,
            next: 0,
            repeated: BTreeMap::new(),
        }
    }

    fn ready(&mut self, entries: &[Entry], outcomes: &[Option<Outcome>], index: usize) {
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
        if let Some(Some(Err(failure))) = outcomes.get(index) {
            if !failure.is_local() {
                self.failure(failure);
            }
        }
        if !self.json || self.newer {
            return;
        }
        let mut stdout = io::stdout().lock();
        while let Some(Some(outcome)) = outcomes.get(self.next) {
            let line = serde_json::to_string(&record(&entries[self.next], outcome, None)).unwrap_or_default();
            let _ = writeln!(stdout, "{line}");
            self.next += 1;
        }
        let _ = stdout.flush();
    }

    /// Tells a failure unless the same registry failed the same way before.
    fn failure(&mut self, failure: &Failure) {
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

    fn finish(&mut self, entries: &[Entry], outcomes: &[Outcome], newers: &[Option<NewerCheck>]) {
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
                        oci_client::text::cut(registry),
                        kind.replace('_', " ")
                    ),
                ));
            }
        }
        if self.json && self.newer {
            let mut stdout = io::stdout().lock();
            for (index, (entry, outcome)) in entries.iter().zip(outcomes).enumerate() {
                let newer = newers.get(index).and_then(Option::as_ref);
                let line = serde_json::to_string(&record(entry, outcome, newer)).unwrap_or_default();
                let _ = writeln!(stdout, "{line}");
            }
            let _ = stdout.flush();
        }
        if !self.json {
            let colour = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let newers = self.newer.then_some(newers);
            let _ = io::stdout().write_all(table(entries, outcomes, newers, colour).as_bytes());
        }
    }
}

/// One line of `--json`; the field order is the key order.
#[derive(Debug, Serialize)]
struct Record<'a> {
    image: &'a str,
    /// The container or compose service, for images found by --docker, --podman, --compose or --inspect.
    container: Option<&'a str>,
    /// `docker`, `podman`, `compose:FILE` or `inspect`; null for arguments and -f lists.
    source: Option<&'a str>,
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
    note: Option<&'a str>,
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
}

/// A newer version.
#[derive(Debug, Serialize)]
struct NewerRecord<'a> {
    tag: &'a str,
    digest: &'a str,
    kind: &'static str,
    created: Option<&'a str>,
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

fn record<'a>(entry: &'a Entry, outcome: &'a Outcome, newer: Option<&'a NewerCheck>) -> Record<'a> {
    let same_as = newer.map_or(&[][..], NewerCheck::same_as);
    let (newer_pulls, newer_hits) = newer.map_or((0, 0), |newer| (newer.pulls(), newer.cache_hits()));
    let newer = newer.and_then(NewerCheck::newer).map(|newer| NewerRecord {
        tag: newer.tag(),
        digest: newer.digest().as_str(),
        kind: newer.jump().name(),
        created: newer.created(),
    });
    let request = entry.parsed.as_ref().ok();
    let reference = request.map(|request| request.reference().to_string());
    match outcome {
        Ok(check) => Record {
            image: &entry.image,
            container: entry.container.as_deref(),
            source: entry.source.as_deref(),
            reference,
            status: check.status().as_str(),
            current_digest: check.current_digest().map(Digest::as_str),
            latest_digest: Some(check.latest_digest().as_str()),
            platform_digest: check.platform_digest().map(Digest::as_str),
            media_type: Some(check.media_type()),
            index_changed: check.index_changed(),
            platform_changed: check.platform_changed(),
            verified: check.verified(),
            matched_digest: check.matched_digest().map(Digest::as_str),
            note: check.note(),
            rate_limit: check.rate_limit().map(RateLimitRecord::from),
            pulls: check.pulls() + newer_pulls,
            cache_hits: check.cache_hits() + newer_hits,
            error: None,
            newer,
            same_as,
        },
        Err(failure) => Record {
            image: &entry.image,
            container: entry.container.as_deref(),
            source: entry.source.as_deref(),
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
            note: entry.local.as_deref(),
            rate_limit: None,
            pulls: 0,
            cache_hits: 0,
            error: (!failure.is_local()).then(|| ErrorRecord {
                kind: failure.kind(),
                message: failure.message(),
            }),
            newer: None,
            same_as: &[],
        },
    }
}

/// The table: image, status, short digests, the newer version with `--newer`, and a note where the verdict needs
/// one.
fn table(entries: &[Entry], outcomes: &[Outcome], newers: Option<&[Option<NewerCheck>]>, colour: bool) -> String {
    let short = |digest: Option<&Digest>| digest.map_or_else(|| "-".to_owned(), |d| d.short().to_string());
    let containers = entries.iter().any(|entry| entry.container.is_some());
    let mut header = if containers { vec!["CONTAINER"] } else { Vec::new() };
    header.extend(["IMAGE", "STATUS", "CURRENT", "LATEST", "PLATFORM"]);
    if newers.is_some() {
        header.push("NEWER");
    }
    header.push("NOTE");
    let mut rows: Vec<Vec<String>> = vec![header.into_iter().map(str::to_owned).collect()];
    for (index, (entry, outcome)) in entries.iter().zip(outcomes).enumerate() {
        let image = entry.parsed.as_ref().map_or_else(
            |_| oci_client::text::cut(&entry.image).into_owned(),
            |request| request.reference().familiar(),
        );
        let mut row = if containers {
            vec![
                entry
                    .container
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), |name| oci_client::text::cut(name).into_owned()),
            ]
        } else {
            Vec::new()
        };
        row.extend(match outcome {
            Ok(check) => vec![
                image,
                check.status().to_string(),
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
        if let Some(newers) = newers {
            let newer = newers.get(index).and_then(Option::as_ref);
            row.push(match newer {
                Some(check) if check.newer().is_some() => check
                    .newer()
                    .map(|newer| format!("{} ({})", oci_client::text::cut(newer.tag()), newer.jump()))
                    .unwrap_or_default(),
                Some(check) if !check.same_as().is_empty() => {
                    format!("= {}", oci_client::text::cut(&check.same_as().join(", ")))
                }
                _ => "-".to_owned(),
            });
        }
        row.push(match outcome {
            Ok(check) => check
                .note()
                .map(|note| oci_client::text::cut(note).into_owned())
                .unwrap_or_default(),
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
                (true, "update available") => Some("33"),
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
