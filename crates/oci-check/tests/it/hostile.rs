//! Hostile registries, played by fault servers on loopback: credentials that must stay with one registry, text that
//! must not reach a terminal as it is, waits and timeouts that must stay bounded, and challenges that never settle.
//! Each test is an attack from a security review, run against the built binary.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oci_digest::Digest;
use oci_testkit::fault::{FaultServer, OTHER_HOST, Reply, Request};
use serde_json::Value;

use crate::{Outcome, oci_check};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
const OCI: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const LOCAL: std::net::Ipv4Addr = std::net::Ipv4Addr::LOCALHOST;
const PASSWORD: &str = "hunter2-s3cret";

/// A manifest reply with its `Docker-Content-Digest`.
fn manifest() -> Reply {
    Reply::response(
        200,
        &[("Content-Type", OCI), ("Docker-Content-Digest", digest().as_str())],
        MANIFEST,
    )
}

/// The digest of [`MANIFEST`].
fn digest() -> Digest {
    Digest::sha256(MANIFEST)
}

/// A `401` asking for HTTP Basic.
fn basic_challenge(realm: &str) -> Reply {
    Reply::response(401, &[("WWW-Authenticate", &format!("Basic realm=\"{realm}\""))], b"")
}

/// A character that must not reach a terminal as itself: a control character other than the line ending, a
/// bidirectional control, or a line or paragraph separator.
fn hostile_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

fn assert_printable(what: &str, text: &str) {
    let found: Vec<char> = text.chars().filter(|&c| hostile_char(c)).collect();
    assert!(found.is_empty(), "{what} holds {found:?}: {text:?}");
}

/// The JSON lines of `--json`.
fn records(out: &Outcome) -> Vec<Value> {
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line:?} in {out:?}")))
        .collect()
}

fn authorized(request: &Request) -> bool {
    request.header("authorization").is_some()
}

/// A registry that wants credentials, any credentials, and serves [`MANIFEST`] to whoever sends some.
fn locked_registry(ip: std::net::Ipv4Addr) -> FaultServer {
    FaultServer::with_handler(ip, |request, _| {
        if authorized(request) {
            if request.path() == "/v2/" {
                Reply::status(200)
            } else {
                manifest()
            }
        } else {
            basic_challenge("x")
        }
    })
}

#[test]
fn username_without_a_registry_is_refused_when_images_are_on_two_registries_and_goes_to_the_named_one_only() {
    let one = locked_registry(LOCAL);
    let other = locked_registry(OTHER_HOST);
    let (one_host, other_host) = (one.host(), other.host());
    let first = format!("{one_host}/a:1@{}", digest());
    let second = format!("{other_host}/b:1@{}", digest());
    let insecure = ["--insecure-registry", &one_host, "--insecure-registry", &other_host];
    let password = format!("{PASSWORD}\n");

    // Without REGISTRY=, which registry the password is for is ambiguous: a usage error, and nothing is sent.
    let mut args = vec!["update", "--json", "--username", "alice", "--password-stdin"];
    args.extend(insecure);
    args.extend([first.as_str(), second.as_str()]);
    let out = oci_check(&args, &password);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--username REGISTRY=NAME"), "{}", out.stderr);
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(one.requests().is_empty(), "{:?}", one.request_lines());
    assert!(other.requests().is_empty(), "{:?}", other.request_lines());

    // With REGISTRY=, the credentials go there and nowhere else.
    let named = format!("{one_host}=alice");
    let mut args = vec!["update", "--json", "--username", &named, "--password-stdin"];
    args.extend(insecure);
    args.extend([first.as_str(), second.as_str()]);
    let out = oci_check(&args, &password);
    assert_eq!(out.code, 1, "{out:?}");
    let lines = records(&out);
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0]["status"], "up_to_date", "{out:?}");
    assert_eq!(lines[1]["status"], "error", "{out:?}");
    assert_eq!(lines[1]["error"]["kind"], "unauthorized", "{out:?}");
    let expected = format!("Basic {}", oci_testkit::base64(format!("alice:{PASSWORD}").as_bytes()));
    assert!(
        one.requests()
            .iter()
            .any(|request| request.header("authorization") == Some(expected.as_str())),
        "{:?}",
        one.requests()
    );
    let leaked: Vec<Request> = other.requests().into_iter().filter(authorized).collect();
    assert!(leaked.is_empty(), "the other registry was sent credentials: {leaked:?}");
    assert!(!other.requests().is_empty(), "the other image was checked");
}

/// `oci-check tags` of `demo` on a registry whose one tag page is `body`.
fn tags_of(body: String) -> Outcome {
    let server = FaultServer::with_handler(LOCAL, move |request, _| match request.path() {
        "/v2/" => Reply::status(200),
        "/v2/demo/tags/list" => Reply::response(200, &[("Content-Type", "application/json")], body.as_bytes()),
        _ => Reply::status(404),
    });
    let host = server.host();
    oci_check(&["tags", "--insecure-registry", &host, &format!("{host}/demo")], "")
}

#[test]
fn tags_with_terminal_escapes_newlines_and_bidi_controls_are_printed_escaped_one_per_line() {
    let body = r#"{"name":"demo","tags":["ok","\u001b[2J\u001b[31mFAKE","line\nforged","\u202eevil"]}"#;
    let out = tags_of(body.to_owned());
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 4, "{:?}", out.stdout);
    assert_printable("stdout", &out.stdout);
    assert_printable("stderr", &out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "ok");
    assert!(
        lines[1].ends_with("FAKE") && lines[2].ends_with("forged") && lines[3].ends_with("evil"),
        "{lines:?}"
    );
}

#[test]
fn escape_sequences_and_newlines_in_a_registry_error_stay_out_of_stderr() {
    let body = br#"{"errors":[{"code":"\u001b[2J\u001b[1;1HUNKNOWN\nFORGED","message":"\u001b]0;pwned\u0007boom\r\noci-check: a:1 is up to date\u202e\u009b31m"}]}"#;
    // The tag now names an index, so the check GETs it, and that GET fails with the hostile body (a HEAD's
    // error has no body to show).
    let index = Digest::sha256(b"another index").to_string();
    let server = FaultServer::with_handler(LOCAL, move |request, _| {
        match (request.method.as_str(), request.path()) {
            (_, "/v2/") => Reply::status(200),
            ("HEAD", _) => Reply::response(200, &[("Content-Type", INDEX), ("Docker-Content-Digest", &index)], b""),
            _ => Reply::response(500, &[("Content-Type", "application/json")], body),
        }
    });
    let host = server.host();
    let image = format!("{host}/a:1@{}", digest());
    for json in [true, false] {
        let mut args = vec!["update", "--insecure-registry", &host, "--timeout", "10"];
        if json {
            args.push("--json");
        }
        args.push(&image);
        let out = oci_check(&args, "");
        assert_eq!(out.code, 1, "json {json}: {out:?}");
        assert!(!out.stderr.contains('\x1b'), "json {json}: {:?}", out.stderr);
        assert_printable("stderr", &out.stderr);
        assert_printable("stdout", &out.stdout);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one line for the one image: {:?}",
            out.stderr
        );
        assert!(
            out.stderr.contains("FORGED"),
            "the registry's words are kept, escaped: {:?}",
            out.stderr
        );
        if json {
            let lines = records(&out);
            assert_eq!(lines.len(), 1, "{out:?}");
            assert_eq!(lines[0]["status"], "error");
            let message = lines[0]["error"]["message"].as_str().unwrap();
            assert_printable("error.message", message);
            assert!(message.contains("FORGED"), "{message}");
        } else {
            assert_eq!(out.stdout.lines().count(), 2, "header and one row: {:?}", out.stdout);
        }
    }
}

#[test]
fn a_huge_tag_is_cut_and_a_huge_page_is_refused() {
    // 3 MB: within the page limit, so it is listed, and printed cut.
    let huge = "x".repeat(3_000_000);
    let body = format!(r#"{{"name":"demo","tags":["ok","{huge}","end"]}}"#);
    let out = tags_of(body);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.len() < 1024, "{} bytes on stdout", out.stdout.len());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!((lines[0], lines[2]), ("ok", "end"));
    assert!(
        lines[1].starts_with("xxxx") && lines[1].contains("bytes)"),
        "{}",
        lines[1]
    );

    // 20 MB: past the page limit, refused without printing it anywhere.
    let huge = "y".repeat(20_000_000);
    let body = format!(r#"{{"name":"demo","tags":["{huge}"]}}"#);
    let out = tags_of(body);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.len() < 1024, "{} bytes on stdout", out.stdout.len());
    assert!(out.stderr.len() < 4096, "{} bytes on stderr", out.stderr.len());
    assert!(!out.stderr.contains("yyyyyyyyyy"), "{}", out.stderr);
}

#[test]
fn a_retry_after_past_the_timeout_is_not_waited_for_and_a_huge_timeout_is_a_usage_error() {
    let server = FaultServer::with_handler(LOCAL, |request, _| match request.path() {
        "/v2/" => Reply::status(200),
        _ => Reply::response(
            429,
            &[("Retry-After", "30"), ("Content-Type", "application/json")],
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        ),
    });
    let host = server.host();
    let image = format!("{host}/a:1");
    let manifests = |server: &FaultServer| {
        server
            .requests()
            .iter()
            .filter(|request| request.path().starts_with("/v2/a/manifests/"))
            .count()
    };

    let out = oci_check(&["digest", "--insecure-registry", &host, "--timeout", "2", &image], "");
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(out.stderr.contains("rate limit"), "{}", out.stderr);
    assert_eq!(manifests(&server), 1, "{:?}", server.request_lines());

    let before = server.requests().len();
    let out = oci_check(
        &[
            "digest",
            "--insecure-registry",
            &host,
            "--timeout",
            "18446744073709551615",
            &image,
        ],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(out.stderr.contains("--timeout"), "{}", out.stderr);
    assert_eq!(
        server.requests().len(),
        before,
        "nothing is sent: {:?}",
        server.request_lines()
    );
}

/// Past this many requests the looping registry stops challenging (a 403), so that a client with no bound of its
/// own still ends and the test fails instead of hanging.
const LOOP_BACKSTOP: usize = 40;

#[test]
fn challenges_that_never_settle_end_in_auth_loop_without_resending_the_password() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let looping = FaultServer::with_handler(LOCAL, move |request, _| {
        if counter.fetch_add(1, Ordering::SeqCst) >= LOOP_BACKSTOP {
            return Reply::status(403);
        }
        let basic = request
            .header("authorization")
            .is_some_and(|value| value.starts_with("Basic "));
        if request.path() == "/token" {
            Reply::response(200, &[("Content-Type", "application/json")], br#"{"token":"t"}"#)
        } else if basic {
            let host = request.header("host").unwrap_or_default();
            Reply::response(
                401,
                &[(
                    "WWW-Authenticate",
                    &format!("Bearer realm=\"http://{host}/token\",service=\"s\""),
                )],
                b"",
            )
        } else {
            basic_challenge("r")
        }
    });
    let good = FaultServer::with_handler(OTHER_HOST, |request, _| match request.path() {
        "/v2/" => Reply::status(200),
        "/v2/b/manifests/1" => manifest(),
        _ => Reply::status(404),
    });
    let (host, good_host) = (looping.host(), good.host());
    let loop_image = format!("{host}/a:1@sha256:{}", "0".repeat(64));
    let good_image = format!("{good_host}/b:1@{}", digest());
    let user = format!("{host}=alice");
    let out = oci_check(
        &[
            "update",
            "--json",
            "--insecure-registry",
            &host,
            "--insecure-registry",
            &good_host,
            "--username",
            &user,
            "--password-stdin",
            &loop_image,
            &good_image,
        ],
        format!("{PASSWORD}\n"),
    );
    assert_eq!(out.code, 1, "{out:?}");
    let lines = records(&out);
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0]["status"], "error", "{out:?}");
    assert_eq!(lines[0]["error"]["kind"], "auth_loop", "{out:?}");
    assert_eq!(lines[1]["status"], "up_to_date", "{out:?}");

    let requests = looping.requests();
    let lines = looping.request_lines();
    assert!(requests.len() <= 12, "{} requests: {lines:?}", requests.len());
    let with_password = requests
        .iter()
        .filter(|request| {
            request
                .header("authorization")
                .is_some_and(|value| value.starts_with("Basic "))
        })
        .count();
    assert!(
        with_password <= 3,
        "the password went out {with_password} times: {lines:?}"
    );
    assert!(with_password >= 1, "the loop was reached through a login: {lines:?}");
}

#[test]
fn a_compose_file_cannot_send_the_client_to_a_metadata_address() {
    // The address rules exempt the registries the user configured; a compose file (or an engine, or inspect
    // output) is not the user: its registries keep the check, and the link-local metadata address is refused
    // before any connection.
    let dir = oci_testkit::TempDir::new("oci-check-compose-metadata");
    let compose = dir.path().join("compose.yaml");
    std::fs::write(
        &compose,
        "services:\n  steal:\n    image: 169.254.169.254/latest/meta-data:1\n",
    )
    .unwrap();
    let out = oci_check(&["update", "--json", "--compose", compose.to_str().unwrap()], "");
    assert_eq!(out.code, 1, "{out:?}");
    let record: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(record["error"]["kind"], "forbidden_address", "{record}");
}

#[test]
fn json_lines_escape_what_a_terminal_would_obey_and_bound_foreign_names() {
    // A container from inspect output whose name carries a right-to-left override, a C1 control and a line
    // separator, a megabyte long; its image on a loopback port nothing listens on.
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../oci-inventory/tests/data/docker/inspect-mixed.json"
    );
    let mut containers: Value = serde_json::from_str(&std::fs::read_to_string(data).unwrap()).unwrap();
    let mut container = containers[0].take();
    container["Name"] = Value::from(format!("/evil\u{202e}\u{85}\u{2028}{}", "x".repeat(1 << 20)));
    container["Config"]["Image"] = Value::from("127.0.0.1:1/app:1");
    let dir = oci_testkit::TempDir::new("oci-check-inspect-hostile");
    let file = dir.path().join("inspect.json");
    std::fs::write(&file, serde_json::to_vec(&[container]).unwrap()).unwrap();
    let out = oci_check(&["update", "--json", "--inspect", file.to_str().unwrap()], "");
    let line = out.stdout.lines().next().unwrap_or_else(|| panic!("{out:?}"));
    for raw in ['\u{202e}', '\u{85}', '\u{2028}'] {
        assert!(!line.contains(raw), "{raw:?} printed raw");
    }
    assert!(line.contains(r"evil\u202e\u0085\u2028xxx"), "{}", &line[..200]);
    assert!(line.len() < 16 * 1024, "a {} byte line", line.len());
    let record: Value = serde_json::from_str(line).unwrap();
    let name = record["container"].as_str().unwrap();
    assert!(
        name.contains("evil\u{202e}\u{85}\u{2028}x"),
        "the same value once parsed: {:?}",
        name.chars().take(12).collect::<String>()
    );
    assert!(name.ends_with("bytes)"), "cut with its marker");
}
