//! `oci-check versions`: a repository's version tags by shape, newest first, the tag in use and the one
//! `update --newer` would pick marked, and why the others were skipped.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_registry::text::cut;
use oci_registry::{Jump, NewerRequest, Platform};
use oci_version::{Skip, Tag};

use crate::failure::Failure;
use crate::registry::RegistryArgs;
use crate::update::VersionArgs;
use crate::{Output, exit};

/// The arguments of `oci-check versions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The image, `IMAGE[:TAG][@DIGEST]`: the tag (`latest` when none) and digest in use.
    #[arg(value_name = "IMAGE[:TAG]")]
    image: String,
    /// The platform whose image must exist in a newer tag, `os/arch[/variant]`.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value_t = Platform::host())]
    platform: Platform,
    #[command(flatten)]
    versions: VersionArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Lists the tags by shape and explains the choice.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    args.registry.with_session(&args.image, output, |session| {
        let policy = args.versions.policy(args.versions.newer.unwrap_or(Jump::Major));
        let request =
            NewerRequest::new(session.reference.clone(), None, args.platform.clone(), policy.clone()).keep_tags();
        let current_text = request.reference().tag().unwrap_or("latest").to_owned();
        let check = match session.runtime.block_on(session.client.newer_version(&request)) {
            Ok(check) => check,
            Err(err) => {
                output.error(&Failure::from_client(&session.reference.familiar(), &err));
                return ExitCode::from(exit::FAILED);
            }
        };
        let tags: Vec<&str> = check.tags().iter().map(String::as_str).collect();
        let mut out = String::new();
        let current = Tag::parse(&current_text).ok();
        let picked = check.newer().map(|newer| newer.tag().to_owned());
        let pure = current
            .as_ref()
            .map(|current| oci_version::newer_candidates(current, tags.iter().copied(), &policy));
        let reason_of = |tag: &str| -> Option<String> {
            if let Some((_, reason)) = check.skipped().iter().find(|(skipped, _)| skipped == tag) {
                return Some(reason.clone());
            }
            let pure = pure.as_ref()?;
            if let Some(candidate) = pure.candidates().iter().find(|c| c.tag().as_str() == tag) {
                // Candidates are tried newest first: one that was not tried is older than the pick, or past the cap.
                return Some(match &picked {
                    Some(pick) => format!("newer ({}), not tried: {} is newer", candidate.jump(), cut(pick)),
                    None => format!(
                        "newer ({}), not tried: at most {} candidates are confirmed",
                        candidate.jump(),
                        oci_registry::internal::MAX_CONFIRMATIONS
                    ),
                });
            }
            pure.skipped()
                .iter()
                .find(|skipped| skipped.tag() == tag)
                .filter(|skipped| !matches!(skipped.reason(), Skip::OtherShape))
                .map(|skipped| skipped.reason().to_string())
        };
        let _ = writeln_line(
            &mut out,
            &format!(
                "{} on {}: {}",
                session.reference.familiar(),
                args.platform,
                match (&picked, check.is_rolling()) {
                    (Some(tag), _) => format!("newer version {}", cut(tag)),
                    (None, true) if !check.same_as().is_empty() => {
                        format!("a rolling tag, now {}", cut(&check.same_as().join(", ")))
                    }
                    (None, true) => "a rolling tag".to_owned(),
                    (None, false) => "no newer version".to_owned(),
                }
            ),
        );
        if let Some(note) = check.note() {
            let _ = writeln_line(&mut out, &format!("note: {}", cut(note)));
        }
        for (shape, group) in oci_version::group_by_shape(tags.iter().copied()) {
            let _ = writeln_line(&mut out, &format!("\n{}", cut(shape.as_str())));
            for tag in group {
                let text = tag.as_str();
                let mark = if text == current_text {
                    "in use".to_owned()
                } else if picked.as_deref() == Some(text) {
                    let jump = check.newer().map(|newer| newer.jump().to_string()).unwrap_or_default();
                    format!("<- newer ({jump})")
                } else if check.same_as().iter().any(|same| same == text) {
                    format!("= {}", cut(&current_text))
                } else {
                    reason_of(text)
                        .map(|reason| oci_registry::text::escape(&reason, REASON_LIMIT).into_owned())
                        .unwrap_or_default()
                };
                let _ = writeln_line(&mut out, format!("  {:<24} {mark}", cut(text)).trim_end());
            }
        }
        let noise: Vec<String> = tags
            .iter()
            .filter_map(|text| Tag::parse(text).ok())
            .filter(|tag| !tag.is_version())
            .map(|tag| cut(tag.as_str()).into_owned())
            .collect();
        if !noise.is_empty() {
            let _ = writeln_line(&mut out, &format!("\nnot versions: {}", noise.join(" ")));
        }
        let mut stdout = io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
        ExitCode::SUCCESS
    })
}

/// The longest reason printed for a skipped tag.
const REASON_LIMIT: usize = 240;

fn writeln_line(out: &mut String, line: &str) -> std::fmt::Result {
    use std::fmt::Write as _;
    writeln!(out, "{line}")
}
