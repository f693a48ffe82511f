//! The vectors the Go reference implementation wrote (`cargo xtask baseline`): every field of
//! every line must match.

use oci_ref::{Error, Reference, parse_any};
use serde_json::Value;

const BASELINE: &str = include_str!("../data/baseline.jsonl");

/// What oci-ref says about `input`, in the baseline's format and key order.
fn describe(input: &str) -> Vec<(&'static str, Value)> {
    let kind = |err: Error| err.kind().as_str().to_owned();
    let text = |s: &str| Value::String(s.to_owned());
    let opt = |s: Option<&str>| s.map_or(Value::Null, text);
    let normalized = Reference::parse_normalized(input);
    let raw = Reference::parse_raw(input);
    let mut fields = vec![("input", text(input)), ("ok", Value::Bool(normalized.is_ok()))];
    match &normalized {
        Ok(r) => fields.extend([
            ("error_kind", Value::Null),
            ("registry", text(r.registry())),
            ("repository", text(r.repository())),
            ("tag", opt(r.tag())),
            ("digest", opt(r.digest().map(|d| d.as_str()))),
            ("canonical", text(&r.to_string())),
            ("familiar", text(&r.familiar())),
        ]),
        Err(err) => {
            fields.push(("error_kind", text(err.kind().as_str())));
            for key in ["registry", "repository", "tag", "digest", "canonical", "familiar"] {
                fields.push((key, Value::Null));
            }
        }
    }
    let named = Reference::parse_named(input).map_or_else(kind, |_| "ok".to_owned());
    fields.push(("named", Value::String(named)));
    fields.push((
        "raw",
        Value::String(raw.as_ref().map_or_else(|e| kind(e.clone()), |_| "ok".to_owned())),
    ));
    fields.push(("raw_registry", opt(raw.as_ref().ok().map(Reference::registry))));
    fields.push(("raw_repository", opt(raw.as_ref().ok().map(Reference::repository))));
    let docker_ref =
        Reference::parse_docker_ref(input).map_or_else(|e| format!("error:{}", kind(e)), |r| r.to_string());
    fields.push(("docker_ref", Value::String(docker_ref)));
    let any = parse_any(input).map_or_else(|e| format!("error:{}", kind(e)), |r| r.to_string());
    fields.push(("any", Value::String(any)));
    let tag_name_only = normalized.ok().map(|r| r.with_default_tag().to_string());
    fields.push(("tag_name_only", opt(tag_name_only.as_deref())));
    fields
}

#[test]
fn every_field_of_every_vector_matches() {
    let mut lines = 0;
    let mut mismatches = Vec::new();
    for (number, line) in BASELINE.lines().enumerate() {
        let expected: serde_json::Map<String, Value> =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("line {}: {err}", number + 1));
        let input = expected["input"].as_str().expect("input is a string");
        let actual = describe(input);
        let mut keys: Vec<&str> = actual.iter().map(|(key, _)| *key).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            expected.keys().map(String::as_str).collect::<Vec<_>>(),
            "line {}: the keys of the format changed",
            number + 1
        );
        for (key, value) in actual {
            if expected[key] != value {
                mismatches.push(format!(
                    "line {} {input:?}: {key}: expected {}, got {value}",
                    number + 1,
                    expected[key]
                ));
            }
        }
        lines += 1;
    }
    assert!(lines >= 500, "only {lines} baseline vectors");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
