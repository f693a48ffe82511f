//! `oci-check update`: is there a newer digest behind each image's tag than the one in use?

mod input;
mod verdict;

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use oci_manifest::Platform;
use serde::Serialize;

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::{Output, exit};
use input::Entry;
use verdict::{RateLimit, Status, Verdict};

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
    registry: RegistryArgs,
}

/// The outcome for one entry.
type Outcome = Result<Verdict, Failure>;

/// Checks every image and prints the answers; the exit code says whether anything needs doing.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    let mut entries: Vec<Entry> = args.images.iter().map(|image| input::parse_entry(image)).collect();
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
            Ok(text) => entries.extend(input::parse_lines(&text)),
            Err(err) => return exit::usage(&format!("could not read `{}`: {err}", path.display())),
        }
    }
    if entries.is_empty() {
        return exit::usage("no images to check: give IMAGE[@DIGEST] arguments or -f FILE");
    }
    let registries: BTreeSet<String> = entries
        .iter()
        .filter_map(|entry| entry.parsed.as_ref().ok())
        .map(|target| target.reference.registry().to_owned())
        .collect();
    let client = match args.registry.prepare(&registries, Some(usize::from(args.concurrency))) {
        Ok(client) => client,
        Err(failure) => return exit::failure(&failure),
    };
    let runtime = match crate::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let progress = (!args.json && !output.quiet && entries.len() > 3 && io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(entries.len() as u64));
    let mut printer = Printer::new(args.json, output);
    let outcomes = runtime.block_on(check_all(&client, &registries, &entries, args, |index, outcomes| {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        printer.ready(&entries, outcomes, index, progress.as_ref());
    }));
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    printer.finish(&entries, &outcomes);
    let failed = outcomes.iter().any(Result::is_err);
    let updates = outcomes.iter().any(|outcome| {
        outcome
            .as_ref()
            .is_ok_and(|verdict| verdict.status == Status::UpdateAvailable)
    });
    match (failed, updates) {
        (true, _) => ExitCode::from(exit::FAILED),
        (false, true) => ExitCode::from(exit::UPDATES),
        (false, false) => ExitCode::SUCCESS,
    }
}

/// Checks the entries `args.concurrency` at a time; `done(index, outcomes)` is called as each finishes.
///
/// Every registry is pinged first, all at once, so that the checks share its connection (one HTTP/2 connection
/// carries them all) and its answered challenge instead of racing to open their own. A failed ping is left for
/// the checks to report.
async fn check_all(
    client: &oci_client::Client,
    registries: &BTreeSet<String>,
    entries: &[Entry],
    args: &Args,
    mut done: impl FnMut(usize, &[Option<Outcome>]),
) -> Vec<Outcome> {
    let mut pings = tokio::task::JoinSet::new();
    for registry in registries {
        let (client, registry) = (client.clone(), registry.clone());
        pings.spawn(async move {
            let ping = client.ping(&registry).await;
            tracing::debug!(registry, ok = ping.is_ok(), "ping");
        });
    }
    while pings.join_next().await.is_some() {}
    let semaphore = Arc::new(tokio::sync::Semaphore::new(usize::from(args.concurrency)));
    let platform = Arc::new(args.platform.clone());
    let mut outcomes: Vec<Option<Outcome>> = vec![None; entries.len()];
    let mut tasks = tokio::task::JoinSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let target = match &entry.parsed {
            Ok(target) => target.clone(),
            Err(failure) => {
                outcomes[index] = Some(Err(failure.clone()));
                done(index, &outcomes);
                continue;
            }
        };
        let (client, semaphore, platform) = (client.clone(), Arc::clone(&semaphore), Arc::clone(&platform));
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            tracing::debug!(image = %target.reference, "checking");
            let outcome = verdict::check(&client, &target, &platform).await;
            (index, outcome)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, outcome)) => {
                outcomes[index] = Some(outcome);
                done(index, &outcomes);
            }
            Err(err) => tracing::error!("a check stopped unexpectedly: {err}"),
        }
    }
    outcomes
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err(Failure::new("internal", "the check stopped unexpectedly"))))
        .collect()
}

/// Prints JSON lines in input order as soon as they are known, and errors on stderr as they happen; the table at
/// the end.
struct Printer {
    json: bool,
    output: Output,
    next: usize,
}

impl Printer {
    fn new(json: bool, output: Output) -> Self {
        Self { json, output, next: 0 }
    }

    fn ready(
        &mut self,
        entries: &[Entry],
        outcomes: &[Option<Outcome>],
        index: usize,
        progress: Option<&indicatif::ProgressBar>,
    ) {
        if let Some(Err(failure)) = &outcomes[index] {
            if !self.output.quiet {
                let line = format!("oci-check: {failure}");
                match progress {
                    Some(bar) => bar.suspend(|| writeln!(io::stderr(), "{line}")).ok(),
                    None => writeln!(io::stderr(), "{line}").ok(),
                };
            }
        }
        if !self.json {
            return;
        }
        let mut stdout = io::stdout().lock();
        while let Some(Some(outcome)) = outcomes.get(self.next) {
            let line = serde_json::to_string(&record(&entries[self.next], outcome)).unwrap_or_default();
            let _ = writeln!(stdout, "{line}");
            self.next += 1;
        }
        let _ = stdout.flush();
    }

    fn finish(&mut self, entries: &[Entry], outcomes: &[Outcome]) {
        if !self.json {
            let colour = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let _ = io::stdout().write_all(table(entries, outcomes, colour).as_bytes());
        }
    }
}

/// One line of `--json`; the field order is the key order.
#[derive(Debug, Serialize)]
struct Record<'a> {
    image: &'a str,
    reference: Option<String>,
    status: &'static str,
    current_digest: Option<&'a str>,
    latest_digest: Option<&'a str>,
    platform_digest: Option<&'a str>,
    media_type: Option<&'a str>,
    index_changed: Option<bool>,
    platform_changed: Option<bool>,
    verified: bool,
    note: Option<&'a str>,
    rate_limit: Option<&'a RateLimit>,
    error: Option<ErrorRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct ErrorRecord<'a> {
    kind: &'static str,
    message: &'a str,
}

fn record<'a>(entry: &'a Entry, outcome: &'a Outcome) -> Record<'a> {
    let reference = entry.parsed.as_ref().ok().map(|target| target.reference.to_string());
    match outcome {
        Ok(verdict) => Record {
            image: &entry.image,
            reference,
            status: verdict.status.as_str(),
            current_digest: verdict.current.as_ref().map(|d| d.as_str()),
            latest_digest: Some(verdict.latest.as_str()),
            platform_digest: verdict.platform_digest.as_ref().map(|d| d.as_str()),
            media_type: Some(&verdict.media_type),
            index_changed: verdict.index_changed,
            platform_changed: verdict.platform_changed,
            verified: verdict.verified,
            note: verdict.note.as_deref(),
            rate_limit: verdict.rate_limit.as_ref(),
            error: None,
        },
        Err(failure) => Record {
            image: &entry.image,
            reference,
            status: "error",
            current_digest: entry
                .parsed
                .as_ref()
                .ok()
                .and_then(|target| target.current.as_ref())
                .map(|d| d.as_str()),
            latest_digest: None,
            platform_digest: None,
            media_type: None,
            index_changed: None,
            platform_changed: None,
            verified: false,
            note: None,
            rate_limit: None,
            error: Some(ErrorRecord {
                kind: failure.kind(),
                message: failure.message(),
            }),
        },
    }
}

/// The table: image, status, short digests, and a note where the verdict needs one.
fn table(entries: &[Entry], outcomes: &[Outcome], colour: bool) -> String {
    let short = |digest: Option<&oci_digest::Digest>| digest.map_or_else(|| "-".to_owned(), |d| d.short().to_string());
    let mut rows = vec![[
        "IMAGE".to_owned(),
        "STATUS".to_owned(),
        "CURRENT".to_owned(),
        "LATEST".to_owned(),
        "PLATFORM".to_owned(),
        "NOTE".to_owned(),
    ]];
    for (entry, outcome) in entries.iter().zip(outcomes) {
        let image = entry
            .parsed
            .as_ref()
            .map_or_else(|_| entry.image.clone(), |target| target.reference.familiar());
        rows.push(match outcome {
            Ok(verdict) => [
                image,
                verdict.status.as_str().replace('_', " "),
                short(verdict.current.as_ref()),
                short(Some(&verdict.latest)),
                short(verdict.platform_digest.as_ref()),
                verdict.note.clone().unwrap_or_default(),
            ],
            Err(failure) => [
                image,
                "error".to_owned(),
                short(entry.parsed.as_ref().ok().and_then(|target| target.current.as_ref())),
                "-".to_owned(),
                "-".to_owned(),
                failure.kind().replace('_', " "),
            ],
        });
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            if column == 5 {
                line.push_str(cell);
                break;
            }
            let padded = format!("{cell:<width$}  ");
            let code = match (colour, column, cell.as_str()) {
                (true, 1, "up to date") => Some("32"),
                (true, 1, "update available") => Some("33"),
                (true, 1, "error") => Some("31"),
                (true, 1, "no digest") => Some("2"),
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
