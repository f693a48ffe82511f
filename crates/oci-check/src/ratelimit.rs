//! `oci-check ratelimit`: the pull rate limit each image's registry announces, learned with `HEAD` requests only
//! (free on Docker Hub), as `regctl image ratelimit` does.

use std::io::{self, Write};
use std::process::ExitCode;

use oci_registry::{ManifestLocation, RateLimit};
use serde::Serialize;

use crate::Output;
use crate::failure::Failure;
use crate::registry::RegistryArgs;

/// The arguments of `oci-check ratelimit`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Images, `IMAGE[:TAG]`: one `HEAD` each.
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<String>,
    /// Print one JSON object per image (JSON Lines): image, limit, remaining, window (seconds), source.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, Serialize)]
struct Record<'a> {
    image: &'a str,
    limit: Option<u64>,
    remaining: Option<u64>,
    window: Option<u64>,
    source: Option<&'a str>,
}

/// Prints one line per image; a failure is told on stderr and the others are still asked.
pub(crate) fn run(args: &Args, output: Output) -> ExitCode {
    args.registry.with_batch(&args.images, output, |batch| {
        if !args.json {
            let _ = writeln!(
                io::stdout(),
                "{:<40} {:>9} {:>6} {:>8}  SOURCE",
                "IMAGE",
                "REMAINING",
                "LIMIT",
                "WINDOW"
            );
        }
        batch.each(output, |runtime, client, position, reference| {
            let location = ManifestLocation::from(&reference.clone().with_default_tag());
            let head = runtime
                .block_on(client.manifest_digest(&location))
                .map_err(|err| Failure::from_client(&reference.familiar(), &err))?;
            Ok(print(
                &mut io::stdout(),
                &args.images[position],
                head.rate_limit(),
                args.json,
            ))
        })
    })
}

/// Prints one image's line; `false` when standard output is closed.
fn print(out: &mut impl Write, image: &str, limit: Option<&RateLimit>, json: bool) -> bool {
    let record = Record {
        image,
        limit: limit.and_then(RateLimit::limit),
        remaining: limit.and_then(RateLimit::remaining),
        window: limit.and_then(RateLimit::window).map(|window| window.as_secs()),
        source: limit.and_then(RateLimit::source),
    };
    if json {
        return writeln!(out, "{}", crate::update::json_line(&record)).is_ok();
    }
    let number = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let window = record.window.map_or_else(|| "-".to_owned(), |w| format!("{w}s"));
    let source = match (limit, record.source) {
        (None, _) => "no rate limit announced".to_owned(),
        (Some(_), Some(source)) => crate::line(source).into_owned(),
        (Some(_), None) => "-".to_owned(),
    };
    writeln!(
        out,
        "{:<40} {:>9} {:>6} {:>8}  {source}",
        crate::line(image),
        number(record.remaining),
        number(record.limit),
        window
    )
    .is_ok()
}
