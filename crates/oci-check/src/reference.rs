//! `oci-check ref`: image references as Docker reads them.

use std::fmt::Write as _;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use oci_ref::Reference;
use serde::Serialize;

/// The arguments of `oci-check ref`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// References to parse; without any, one per line from standard input.
    #[arg(value_name = "REF")]
    references: Vec<String>,
    /// Print one JSON object per reference, in input order, instead of text.
    #[arg(long)]
    json: bool,
}

/// One line of `--json` output; the field order is the key order.
#[derive(Debug, Serialize)]
struct Record<'a> {
    input: &'a str,
    ok: bool,
    error_kind: Option<&'static str>,
    error: Option<String>,
    registry: Option<&'a str>,
    repository: Option<&'a str>,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
    canonical: Option<String>,
    familiar: Option<String>,
}

/// Parses every reference given (or read), prints each, and tells whether all were valid.
pub(crate) fn run(args: &Args, output: crate::Output) -> ExitCode {
    let result = if args.references.is_empty() {
        let stdin = io::stdin();
        if stdin.is_terminal() && !output.quiet {
            let _ = writeln!(
                io::stderr(),
                "oci-check: reading references from standard input, one per line"
            );
        }
        each_line(stdin.lock(), |input| show(input, args.json, output))
    } else {
        args.references.iter().try_fold(
            true,
            |all_valid, input| Ok(show(input, args.json, output)? && all_valid),
        )
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(crate::exit::FAILED),
        // The reader of our output has gone (`oci-check ref ... | head`): nothing left to tell.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => crate::exit::usage(&err.to_string()),
    }
}

/// Calls `f` on every line of `reader` (without its `\n` or `\r\n`; invalid UTF-8 replaced),
/// and returns whether every call returned true.
fn each_line(mut reader: impl BufRead, mut f: impl FnMut(&str) -> io::Result<bool>) -> io::Result<bool> {
    let mut all_valid = true;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(all_valid);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        all_valid &= f(&String::from_utf8_lossy(&line))?;
    }
}

/// Parses one reference and prints it; returns whether it was valid.
fn show(input: &str, json: bool, output: crate::Output) -> io::Result<bool> {
    let parsed = Reference::parse_normalized(input);
    let mut stdout = io::stdout().lock();
    if json {
        let record = record(input, &parsed);
        stdout.write_all(crate::update::json_line(&record).as_bytes())?;
        stdout.write_all(b"\n")?;
    } else {
        match &parsed {
            Ok(reference) => stdout.write_all(text(input, reference).as_bytes())?,
            Err(err) => {
                stdout.flush()?;
                output.error(&crate::failure::Failure::new(
                    "invalid_reference",
                    format!("{err} [{}]", err.kind().as_str()),
                ));
            }
        }
    }
    Ok(parsed.is_ok())
}

fn record<'a>(input: &'a str, parsed: &'a Result<Reference, oci_ref::Error>) -> Record<'a> {
    match parsed {
        Ok(reference) => Record {
            input,
            ok: true,
            error_kind: None,
            error: None,
            registry: Some(reference.registry()),
            repository: Some(reference.repository()),
            tag: reference.tag(),
            digest: reference.digest().map(|digest| digest.as_str()),
            canonical: Some(reference.to_string()),
            familiar: Some(reference.familiar()),
        },
        Err(err) => Record {
            input,
            ok: false,
            error_kind: Some(err.kind().as_str()),
            error: Some(err.to_string()),
            registry: None,
            repository: None,
            tag: None,
            digest: None,
            canonical: None,
            familiar: None,
        },
    }
}

/// The human-readable block for a valid reference, followed by a blank line.
fn text(input: &str, reference: &Reference) -> String {
    let none = "(none)";
    let registry = match reference.registry() {
        "" => "(none: the first component is not a valid host, so it is part of the path)",
        registry => registry,
    };
    let mut out = String::new();
    let _ = writeln!(out, "{input}");
    for (label, value) in [
        ("canonical", reference.to_string().as_str()),
        ("familiar", reference.familiar().as_str()),
        ("registry", registry),
        ("repository", reference.repository()),
        ("tag", reference.tag().unwrap_or(none)),
        ("digest", reference.digest().map_or(none, |digest| digest.as_str())),
    ] {
        let _ = writeln!(out, "  {label:<11} {value}");
    }
    out.push('\n');
    out
}
