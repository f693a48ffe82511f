//! Integration tests of oci-version: the tables in tests/data/ (shapes, order, globs, newer
//! candidates, rolling tags), error messages and property tests.

// As clippy.toml says for #[test] functions: the helpers here may unwrap too.
#![allow(clippy::unwrap_used)]

// Order within a shape and jump kinds (tests/data/compare.txt).
mod compare;
// Include and exclude globs (tests/data/globs.txt).
mod globs;
// The exact text of every error message.
mod messages;
// newer_candidates over real tag families (tests/data/newer.txt): the contract's main table.
mod newer;
// Properties: total order within a shape, shapes stable under digit changes, no panic, round trips.
mod props;
// Rolling tags (latest, 1.27) and which versions they are compared with.
mod rolling;
// Shapes and noise of single tags (tests/data/shapes.txt).
mod shapes;

use std::fs;
use std::path::PathBuf;

use oci_version::{NoiseKind, Policy, Skip};

/// A file under `tests/data/`.
fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
}

/// The cases of a table: each line that is neither empty nor a comment, with `file:line: text`
/// to name it in failures.
fn cases(file: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(data(file)).unwrap();
    let cases: Vec<(String, String)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(number, line)| (format!("{file}:{}: {line}", number + 1), line.to_owned()))
        .collect();
    assert!(!cases.is_empty(), "{file} has no case");
    cases
}

/// The words of a field, split on spaces; `<digest>` stands for the hex of sha256("").
fn words(field: &str) -> Vec<String> {
    field
        .split_whitespace()
        .map(|word| {
            word.replace(
                "<digest>",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
        })
        .collect()
}

/// Splits `current --newer=J --include=G --exclude=G` into the current tag and a policy, and
/// returns the words that are neither.
fn policy(field: &str) -> (Vec<String>, Policy) {
    let mut policy = Policy::new();
    let mut rest = Vec::new();
    for word in words(field) {
        if let Some(jump) = word.strip_prefix("--newer=") {
            policy = policy.with_max_jump(jump.parse().unwrap());
        } else if let Some(glob) = word.strip_prefix("--include=") {
            policy = policy.with_include(glob.parse().unwrap());
        } else if let Some(glob) = word.strip_prefix("--exclude=") {
            policy = policy.with_exclude(glob.parse().unwrap());
        } else {
            rest.push(word);
        }
    }
    (rest, policy)
}

/// The word the tables use for a reason.
fn reason_word(reason: &Skip) -> String {
    match reason {
        Skip::Invalid => "invalid".into(),
        Skip::Duplicate => "duplicate".into(),
        Skip::Noise(noise) => format!("noise:{}", noise_word(*noise)),
        Skip::Excluded(_) => "excluded".into(),
        Skip::NotIncluded => "not-included".into(),
        Skip::OtherShape => "other-shape".into(),
        Skip::SameVersion => "same".into(),
        Skip::Older => "older".into(),
        Skip::TooFar(jump) => format!("too-far:{jump}"),
        other => panic!("a reason the tables do not know: {other:?}"),
    }
}

/// The word the tables use for a kind of noise.
fn noise_word(noise: NoiseKind) -> &'static str {
    match noise {
        NoiseKind::NoNumber => "no-number",
        NoiseKind::Cosign => "cosign",
        NoiseKind::Referrers => "referrers",
        NoiseKind::CommitHash => "commit-hash",
        other => panic!("a kind of noise the tables do not know: {other:?}"),
    }
}
