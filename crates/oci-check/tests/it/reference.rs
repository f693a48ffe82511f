//! `oci-check ref`.

use serde_json::Value;

use crate::{Outcome, oci_check};

const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The keys of a `--json` record, in the documented order.
const KEYS: [&str; 10] = [
    "input",
    "ok",
    "error_kind",
    "error",
    "registry",
    "repository",
    "tag",
    "digest",
    "canonical",
    "familiar",
];

/// The JSON objects of a `--json` run, one per line.
fn records(outcome: &Outcome) -> Vec<Value> {
    outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

/// `oci-check ref --json INPUT` prints one object with these fields (null where `None`).
#[allow(clippy::too_many_arguments)]
fn check_valid(
    input: &str,
    registry: &str,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
    canonical: &str,
    familiar: &str,
) {
    let outcome = oci_check(&["ref", "--json", input], "");
    assert_eq!(outcome.code, 0, "{input}: {outcome:?}");
    let records = records(&outcome);
    assert_eq!(records.len(), 1, "{input}: {outcome:?}");
    let expected = serde_json::json!({
        "input": input, "ok": true, "error_kind": null, "error": null, "registry": registry,
        "repository": repository, "tag": tag, "digest": digest, "canonical": canonical, "familiar": familiar,
    });
    assert_eq!(records[0], expected, "{input}");
}

/// `oci-check ref --json INPUT` reports the error kind, a message quoting the input, and null fields.
fn check_invalid(input: &str, kind: &str) {
    let outcome = oci_check(&["ref", "--json", "--", input], "");
    assert_eq!(outcome.code, 1, "{input}: {outcome:?}");
    let records = records(&outcome);
    assert_eq!(records.len(), 1, "{input}: {outcome:?}");
    let record = &records[0];
    assert_eq!(record["input"], input);
    assert_eq!(record["ok"], false, "{input}");
    assert_eq!(record["error_kind"], kind, "{input}: {record}");
    let message = record["error"].as_str().expect("an error message");
    assert!(!message.is_empty() && !message.ends_with('.'), "{input}: {message}");
    for key in ["registry", "repository", "tag", "digest", "canonical", "familiar"] {
        assert_eq!(record[key], Value::Null, "{input}: {key}");
    }
}

#[test]
fn json_from_stdin_field_by_field() {
    let outcome = oci_check(&["ref", "--json"], "localhost:5000/a/b:1.0\n");
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(outcome.stderr, "");
    let records = records(&outcome);
    assert_eq!(records.len(), 1);
    let record = records[0].as_object().expect("an object");
    let keys: Vec<&str> = record.keys().map(String::as_str).collect();
    let mut expected_keys = KEYS.to_vec();
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    assert_eq!(record["input"], "localhost:5000/a/b:1.0");
    assert_eq!(record["ok"], true);
    assert_eq!(record["error_kind"], Value::Null);
    assert_eq!(record["error"], Value::Null);
    assert_eq!(record["registry"], "localhost:5000");
    assert_eq!(record["repository"], "a/b");
    assert_eq!(record["tag"], "1.0");
    assert_eq!(record["digest"], Value::Null);
    assert_eq!(record["canonical"], "localhost:5000/a/b:1.0");
    assert_eq!(record["familiar"], "localhost:5000/a/b:1.0");
}

#[test]
fn json_keys_come_in_the_documented_order() {
    let outcome = oci_check(&["ref", "--json", "nginx", "Foo"], "");
    for line in outcome.stdout.lines() {
        let positions: Vec<usize> = KEYS
            .iter()
            .map(|key| {
                line.find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("{key} in {line}"))
            })
            .collect();
        assert!(positions.is_sorted(), "{line}");
    }
}

#[test]
fn valid_references() {
    check_valid(
        "nginx",
        "docker.io",
        "library/nginx",
        None,
        None,
        "docker.io/library/nginx",
        "nginx",
    );
    check_valid(
        "nginx:1.25",
        "docker.io",
        "library/nginx",
        Some("1.25"),
        None,
        "docker.io/library/nginx:1.25",
        "nginx:1.25",
    );
    check_valid(
        "user/app",
        "docker.io",
        "user/app",
        None,
        None,
        "docker.io/user/app",
        "user/app",
    );
    check_valid(
        "index.docker.io/library/nginx:LATEST",
        "docker.io",
        "library/nginx",
        Some("LATEST"),
        None,
        "docker.io/library/nginx:LATEST",
        "nginx:LATEST",
    );
    check_valid(
        "docker.io:443/nginx",
        "docker.io:443",
        "nginx",
        None,
        None,
        "docker.io:443/nginx",
        "docker.io:443/nginx",
    );
    check_valid("Foo/bar", "Foo", "bar", None, None, "Foo/bar", "Foo/bar");
    check_valid(
        "[::1]:5000/x",
        "[::1]:5000",
        "x",
        None,
        None,
        "[::1]:5000/x",
        "[::1]:5000/x",
    );
    check_valid(
        "localhost:5000",
        "docker.io",
        "library/localhost",
        Some("5000"),
        None,
        "docker.io/library/localhost:5000",
        "localhost:5000",
    );
    check_valid(
        "ex_ample.com/foo",
        "",
        "ex_ample.com/foo",
        None,
        None,
        "ex_ample.com/foo",
        "ex_ample.com/foo",
    );
    check_valid(
        &format!("nginx:1@{DIGEST}"),
        "docker.io",
        "library/nginx",
        Some("1"),
        Some(DIGEST),
        &format!("docker.io/library/nginx:1@{DIGEST}"),
        &format!("nginx:1@{DIGEST}"),
    );
    check_valid(
        &format!("ghcr.io/o/r@{DIGEST}"),
        "ghcr.io",
        "o/r",
        None,
        Some(DIGEST),
        &format!("ghcr.io/o/r@{DIGEST}"),
        &format!("ghcr.io/o/r@{DIGEST}"),
    );
}

#[test]
fn invalid_references_have_their_kind() {
    check_invalid("Foo", "contains_uppercase");
    check_invalid("İstanbul", "contains_uppercase");
    check_invalid("", "invalid_format");
    check_invalid(" nginx", "invalid_format");
    check_invalid("nginx:", "invalid_format");
    check_invalid("a___b", "invalid_format");
    check_invalid("-nginx", "invalid_format");
    check_invalid(&format!("nginx:{}", "x".repeat(129)), "invalid_format");
    check_invalid(&"a".repeat(248), "name_too_long");
    check_invalid(&"0123456789abcdef".repeat(4), "hex_identifier");
    check_invalid("nginx@sha256:0123", "invalid_format");
    check_invalid(&format!("nginx@sha256:{}", "a".repeat(63)), "invalid_digest_length");
    check_invalid(&format!("nginx@sha256:{}", "A".repeat(64)), "invalid_digest");
    check_invalid(&format!("nginx@md5:{}", "a".repeat(32)), "unsupported_digest");
    check_invalid(&format!("nginx@SHA256:{}", "a".repeat(64)), "contains_uppercase");
}

#[test]
fn mixed_lines_keep_their_order_and_an_invalid_one_does_not_stop_the_rest() {
    let inputs = ["nginx", "Foo", "", "quay.io/a/b:c", "nginx::x", "localhost/x"];
    let outcome = oci_check(&["ref", "--json"], &(inputs.join("\n") + "\n"));
    assert_eq!(outcome.code, 1, "{outcome:?}");
    let records = records(&outcome);
    let seen: Vec<(&str, bool)> = records
        .iter()
        .map(|r| (r["input"].as_str().expect("input"), r["ok"].as_bool().expect("ok")))
        .collect();
    assert_eq!(
        seen,
        [
            ("nginx", true),
            ("Foo", false),
            ("", false),
            ("quay.io/a/b:c", true),
            ("nginx::x", false),
            ("localhost/x", true)
        ]
    );
}

#[test]
fn stdin_lines_may_end_in_crlf_and_lack_a_final_newline() {
    let outcome = oci_check(&["ref", "--json"], "nginx\r\nalpine");
    assert_eq!(outcome.code, 0, "{outcome:?}");
    let inputs: Vec<Value> = records(&outcome).iter().map(|r| r["input"].clone()).collect();
    assert_eq!(inputs, ["nginx", "alpine"]);
}

#[test]
fn invalid_utf8_on_stdin_is_an_invalid_reference_not_a_crash() {
    let outcome = oci_check(&["ref", "--json"], b"ngi\xffnx\nnginx\n");
    assert_eq!(outcome.code, 1, "{outcome:?}");
    let records = records(&outcome);
    assert_eq!(records.len(), 2);
    // A byte that is not UTF-8 becomes U+FFFD, which no reference may contain.
    assert_eq!(records[0]["input"], "ngi\u{fffd}nx");
    assert_eq!(records[0]["error_kind"], "invalid_format");
    assert_eq!(records[1]["ok"], true);
}

#[test]
fn human_output_shows_each_part() {
    let outcome = oci_check(&["ref", "localhost:5000/a/b:1.0", "nginx"], "");
    assert_eq!(outcome.code, 0, "{outcome:?}");
    assert_eq!(outcome.stderr, "");
    let expected = "\
localhost:5000/a/b:1.0
  canonical   localhost:5000/a/b:1.0
  familiar    localhost:5000/a/b:1.0
  registry    localhost:5000
  repository  a/b
  tag         1.0
  digest      (none)

nginx
  canonical   docker.io/library/nginx
  familiar    nginx
  registry    docker.io
  repository  library/nginx
  tag         (none)
  digest      (none)

";
    assert_eq!(outcome.stdout, expected);
}

#[test]
fn human_output_puts_one_line_per_invalid_reference_on_stderr() {
    let outcome = oci_check(&["ref", "Foo"], "");
    assert_eq!(outcome.code, 1, "{outcome:?}");
    assert_eq!(outcome.stdout, "");
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    assert!(outcome.stderr.contains("\"Foo\""), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("lowercase"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("contains_uppercase"), "{}", outcome.stderr);

    let outcome = oci_check(&["ref"], "nginx\nNginx\nbusybox\n");
    assert_eq!(outcome.code, 1, "{outcome:?}");
    assert!(outcome.stdout.starts_with("nginx\n"), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("\nbusybox\n"), "{}", outcome.stdout);
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    assert!(outcome.stderr.contains("\"Nginx\""), "{}", outcome.stderr);
}

#[test]
fn exit_codes() {
    assert_eq!(oci_check(&["ref", "nginx"], "").code, 0);
    assert_eq!(oci_check(&["ref"], "").code, 0);
    assert_eq!(oci_check(&["ref", "nginx", "NGINX"], "").code, 1);
    assert_eq!(oci_check(&["ref", "--no-such-flag"], "").code, 2);
    assert_eq!(oci_check(&["no-such-command"], "").code, 2);
    assert_eq!(oci_check(&[], "").code, 2);
    let help = oci_check(&["ref", "--help"], "");
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--json"), "{}", help.stdout);
}
