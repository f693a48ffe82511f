//! Integration tests of oci-notify: the table of target URLs (tests/data/targets.txt), redaction
//! of secrets, the `on` filter, the document's JSON contract and golden renders per service
//! (tests/data/render/).

// As clippy.toml says for #[test] functions: the helpers here may unwrap too.
#![allow(clippy::unwrap_used)]

// The document's JSON contract and KindSet's text form.
mod document;
// Every URL of tests/data/targets.txt: service, redacted display, error kind, and reparsing.
mod parse;
// Secrets never in Display, Debug or errors: the table's secrets and proptest's arbitrary ones.
mod redaction;
// Golden renders per service (tests/data/render/NAME.json), the `on` filter, test messages.
mod render;

use std::fs;
use std::path::PathBuf;

/// A file under `tests/data/`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}

/// The cases of a table: each line that is neither empty nor a comment, with `file:line` to name
/// it in failures.
fn cases(file: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(data(file)).unwrap();
    let cases: Vec<(String, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(number, line)| (format!("{file}:{}", number + 1), line.to_owned()))
        .collect();
    assert!(!cases.is_empty(), "{file} has no case");
    cases
}

/// The secrets the tables spell, which no output may show.
#[allow(dead_code)]
const SECRETS: &[&str] = &["s3cret", "t0ken", "hunter2", "Uuserkey", "XXXt0ken", "T000", "B000"];
