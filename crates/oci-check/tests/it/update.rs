//! `oci-check update` against a real registry: verdicts, JSON fields, the table and the exit codes.

use oci_digest::Digest;
use oci_testkit::{Images, Registry, TempDir, block_on};
use serde_json::Value;

use crate::{Demo, Outcome, oci_check};

/// A registry with the demo's images, before and after their tags moved.
struct Fixture {
    registry: Registry,
    /// demo/app:1 before the move (a single-arch image).
    app1: Digest,
    app2: Digest,
    /// demo/multi:latest before and after only its arm64 image was rebuilt, and its amd64 child.
    multi1: Digest,
    multi2: Digest,
    multi_amd64: Digest,
    /// demo/rebuilt:3 before and after both images were rebuilt, and its new amd64 child.
    rebuilt1: Digest,
    rebuilt2: Digest,
    rebuilt_amd64_2: Digest,
}

impl Fixture {
    fn new() -> Self {
        let Demo {
            registry,
            app: app1,
            multi: multi1,
            amd64: multi_amd64,
            ..
        } = Demo::new();
        let client = registry.client();
        let host = registry.host().to_owned();
        block_on(async {
            let app = Images::new(&client, &host, "demo/app").unwrap();
            let multi = Images::new(&client, &host, "demo/multi").unwrap();
            let rebuilt = Images::new(&client, &host, "demo/rebuilt").unwrap();
            let old_amd64 = rebuilt
                .platform_image("amd64", "rebuilt-amd64-1", None)
                .await
                .unwrap()
                .digest;
            let old_arm64 = rebuilt
                .platform_image("arm64", "rebuilt-arm64-1", None)
                .await
                .unwrap()
                .digest;
            let rebuilt1 = rebuilt
                .index(&[("amd64", &old_amd64), ("arm64", &old_arm64)], "3")
                .await
                .unwrap()
                .digest;
            // The moves.
            let app2 = app.platform_image("amd64", "app-1.1", Some("1")).await.unwrap().digest;
            let arm64_2 = multi
                .platform_image("arm64", "multi-arm64-2", None)
                .await
                .unwrap()
                .digest;
            let multi2 = multi
                .index(&[("amd64", &multi_amd64), ("arm64", &arm64_2)], "latest")
                .await
                .unwrap()
                .digest;
            let rebuilt_amd64_2 = rebuilt
                .platform_image("amd64", "rebuilt-amd64-2", None)
                .await
                .unwrap()
                .digest;
            let new_arm64 = rebuilt
                .platform_image("arm64", "rebuilt-arm64-2", None)
                .await
                .unwrap()
                .digest;
            let rebuilt2 = rebuilt
                .index(&[("amd64", &rebuilt_amd64_2), ("arm64", &new_arm64)], "3")
                .await
                .unwrap()
                .digest;
            Self {
                registry,
                app1,
                app2,
                multi1,
                multi2,
                multi_amd64,
                rebuilt1,
                rebuilt2,
                rebuilt_amd64_2,
            }
        })
    }

    fn host(&self) -> &str {
        self.registry.host()
    }

    /// `oci-check update --insecure-registry HOST --platform linux/amd64 EXTRA...`.
    fn update(&self, extra: &[&str], stdin: &str) -> Outcome {
        let mut args = vec![
            "update",
            "--insecure-registry",
            self.host(),
            "--platform",
            "linux/amd64",
        ];
        args.extend_from_slice(extra);
        oci_check(&args, stdin)
    }
}

/// The JSON lines of stdout.
fn lines(outcome: &Outcome) -> Vec<Value> {
    outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{line}: {err}")))
        .collect()
}

/// Checks the fields of one JSON object that `expected` names; every object has all the documented keys.
fn check(object: &Value, expected: &[(&str, Value)]) {
    let keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "image",
        "reference",
        "status",
        "current_digest",
        "latest_digest",
        "platform_digest",
        "media_type",
        "index_changed",
        "platform_changed",
        "verified",
        "note",
        "rate_limit",
        "error",
    ] {
        assert!(keys.contains(&key), "{key} missing from {object}");
    }
    for (key, value) in expected {
        assert_eq!(&object[key], value, "{key} of {object}");
    }
}

fn s(text: impl ToString) -> Value {
    Value::String(text.to_string())
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

#[test]
fn moved_tags_multi_arch_and_unpinned_field_by_field() {
    let f = Fixture::new();
    let h = f.host();
    let list = format!(
        "# in use\n{h}/demo/app:1@{}\n\n{h}/demo/multi:latest {}\n{h}/demo/rebuilt:3@{}  # both rebuilt\n{h}/demo/multi\n",
        f.app1, f.multi1, f.rebuilt1
    );
    let out = f.update(&["--json", "-f", "-"], &list);
    assert_eq!(out.code, 10, "{out:?}");
    let objects = lines(&out);
    assert_eq!(objects.len(), 4, "{out:?}");
    check(
        &objects[0],
        &[
            ("image", s(format!("{h}/demo/app:1@{}", f.app1))),
            ("reference", s(format!("{h}/demo/app:1"))),
            ("status", s("update_available")),
            ("current_digest", s(&f.app1)),
            ("latest_digest", s(&f.app2)),
            ("platform_digest", Value::Null),
            ("media_type", s(OCI_MANIFEST)),
            ("platform_changed", Value::Bool(true)),
            ("verified", Value::Bool(true)),
            ("rate_limit", Value::Null),
            ("error", Value::Null),
        ],
    );
    // The index changed, the linux/amd64 image did not: up to date.
    check(
        &objects[1],
        &[
            ("image", s(format!("{h}/demo/multi:latest {}", f.multi1))),
            ("reference", s(format!("{h}/demo/multi:latest"))),
            ("status", s("up_to_date")),
            ("current_digest", s(&f.multi1)),
            ("latest_digest", s(&f.multi2)),
            ("platform_digest", s(&f.multi_amd64)),
            ("media_type", s(OCI_INDEX)),
            ("index_changed", Value::Bool(true)),
            ("platform_changed", Value::Bool(false)),
            ("verified", Value::Bool(true)),
            ("error", Value::Null),
        ],
    );
    check(
        &objects[2],
        &[
            ("status", s("update_available")),
            ("current_digest", s(&f.rebuilt1)),
            ("latest_digest", s(&f.rebuilt2)),
            ("platform_digest", s(&f.rebuilt_amd64_2)),
            ("index_changed", Value::Bool(true)),
            ("platform_changed", Value::Bool(true)),
            ("verified", Value::Bool(true)),
        ],
    );
    // No digest given: the tag's current digests, to pin them.
    check(
        &objects[3],
        &[
            ("image", s(format!("{h}/demo/multi"))),
            ("reference", s(format!("{h}/demo/multi:latest"))),
            ("status", s("no_digest")),
            ("current_digest", Value::Null),
            ("latest_digest", s(&f.multi2)),
            ("platform_digest", s(&f.multi_amd64)),
            ("media_type", s(OCI_INDEX)),
            ("error", Value::Null),
        ],
    );
}

#[test]
fn exit_codes_zero_ten_one() {
    let f = Fixture::new();
    let h = f.host();
    let current = [
        format!("{h}/demo/app:1@{}", f.app2),
        format!("{h}/demo/multi:latest@{}", f.multi2),
    ];
    let args: Vec<&str> = current.iter().map(String::as_str).collect();
    let up_to_date = f.update(&args, "");
    assert_eq!(up_to_date.code, 0, "{up_to_date:?}");
    assert_eq!(up_to_date.stderr, "");
    // Unpinned images alone need nothing done.
    assert_eq!(f.update(&[&format!("{h}/demo/app:1")], "").code, 0);

    let old = format!("{h}/demo/app:1@{}", f.app1);
    let update = f.update(&[&old, args[1]], "");
    assert_eq!(update.code, 10, "{update:?}");

    // A failure wins over an update, and the other images are still checked.
    let missing = format!("{h}/demo/missing:1");
    let failed = f.update(&["--json", &old, &missing, args[1]], "");
    assert_eq!(failed.code, 1, "{failed:?}");
    let objects = lines(&failed);
    let statuses: Vec<&str> = objects.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["update_available", "error", "up_to_date"]);
    check(
        &objects[1],
        &[
            ("reference", s(format!("{h}/demo/missing:1"))),
            ("latest_digest", Value::Null),
            ("verified", Value::Bool(false)),
        ],
    );
    assert_eq!(objects[1]["error"]["kind"], "not_found");
    let message = objects[1]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("demo/missing:1") && message.contains("was not found"),
        "{message}"
    );
    // One line on stderr for the failure, saying what to try.
    assert_eq!(failed.stderr.lines().count(), 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("check the name and tag"), "{}", failed.stderr);

    // -q: the exit code and stdout still tell, stderr stays empty.
    let quiet = f.update(&["-q", "--json", &old, &missing], "");
    assert_eq!(quiet.code, 1, "{quiet:?}");
    assert_eq!(quiet.stderr, "");
    assert_eq!(lines(&quiet).len(), 2);
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["update"][..],
        &["update", "--concurrency", "0", "nginx"],
        &["update", "--platform", "linux", "nginx"],
        &["update", "--no-such-flag", "nginx"],
        &["update", "--password-stdin", "nginx"],
        &["update", "--timeout", "0", "nginx"],
        &["update", "--ca-cert", "/nonexistent/ca.pem", "nginx"],
        &["update", "--ca-cert", "localhost:5000=/nonexistent/ca.pem", "nginx"],
        &["update", "-q", "-v", "nginx"],
        &["bogus"],
    ] {
        let out = oci_check(args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

#[test]
fn bad_references_and_digests_are_reported_per_line() {
    let f = Fixture::new();
    let h = f.host();
    let list = format!(
        "NGINX\n{h}/demo/app:1 sha256:abc\n{h}/demo/app@{}\n{h}/demo/app:1@{}\n",
        f.app1, f.app2
    );
    let out = f.update(&["--json", "-f", "-"], &list);
    assert_eq!(out.code, 1, "{out:?}");
    let objects = lines(&out);
    let kinds: Vec<&Value> = objects.iter().map(|o| &o["error"]["kind"]).collect();
    assert_eq!(
        kinds,
        [
            &s("invalid_reference"),
            &s("invalid_digest"),
            &s("no_tag"),
            &Value::Null
        ]
    );
    assert_eq!(objects[0]["reference"], Value::Null);
    assert_eq!(objects[3]["status"], "up_to_date");
    assert_eq!(out.stderr.lines().count(), 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("`NGINX` is not an image reference"),
        "{}",
        out.stderr
    );
}

#[test]
fn pinned_to_the_platform_image_and_gone_digests() {
    let f = Fixture::new();
    let h = f.host();
    let gone = Digest::sha256(b"an index the registry never had");
    let out = f.update(
        &[
            "--json",
            &format!("{h}/demo/multi:latest@{}", f.multi_amd64),
            &format!("{h}/demo/multi:latest@{gone}"),
        ],
        "",
    );
    assert_eq!(out.code, 10, "{out:?}");
    let objects = lines(&out);
    check(
        &objects[0],
        &[
            ("status", s("up_to_date")),
            ("platform_digest", s(&f.multi_amd64)),
            ("platform_changed", Value::Bool(false)),
            ("verified", Value::Bool(true)),
        ],
    );
    check(
        &objects[1],
        &[("status", s("update_available")), ("verified", Value::Bool(false))],
    );
    assert!(objects[1]["note"].as_str().unwrap().contains("unverified"));
}

#[test]
fn the_table_is_plain_when_piped() {
    let f = Fixture::new();
    let h = f.host();
    let dir = TempDir::new("oci-check-list");
    let list = dir.path().join("images.txt");
    std::fs::write(
        &list,
        format!("{h}/demo/app:1 {}\n{h}/demo/multi:latest@{}\n", f.app1, f.multi1),
    )
    .unwrap();
    let out = f.update(&["-f", list.to_str().unwrap()], "");
    assert_eq!(out.code, 10, "{out:?}");
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split("  ").filter(|c| !c.is_empty()).map(str::trim).collect())
        .collect();
    assert_eq!(rows[0], ["IMAGE", "STATUS", "CURRENT", "LATEST", "PLATFORM", "NOTE"]);
    assert_eq!(
        rows[1][..5],
        [
            &format!("{h}/demo/app:1"),
            "update available",
            f.app1.short(),
            f.app2.short(),
            "-"
        ]
    );
    assert_eq!(
        rows[2],
        [
            &format!("{h}/demo/multi:latest"),
            "up to date",
            f.multi1.short(),
            f.multi2.short(),
            f.multi_amd64.short(),
            "the index changed, but not its linux/amd64 image"
        ]
    );
}

#[test]
fn an_unreachable_registry_is_one_line_and_the_others_are_checked() {
    let f = Fixture::new();
    let h = f.host();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("127.0.0.1:{port}");
    let out = f.update(
        &[
            "--json",
            "--insecure-registry",
            &dead,
            &format!("{dead}/app:1"),
            &format!("{h}/demo/app:1@{}", f.app2),
        ],
        "",
    );
    assert_eq!(out.code, 1, "{out:?}");
    let objects = lines(&out);
    assert_eq!(objects[0]["error"]["kind"], "unreachable");
    assert_eq!(objects[1]["status"], "up_to_date");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("could not reach {dead}")),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_failures_print_nothing_on_stderr() {
    // Port 1 on loopback refuses connections: every network subcommand fails there.
    let cases: &[&[&str]] = &[
        &["-q", "update", "127.0.0.1:1/app:1"],
        &["-q", "update", "--newer=major", "127.0.0.1:1/app:1.0.0"],
        &["-q", "digest", "127.0.0.1:1/app:1"],
        &["-q", "manifest", "127.0.0.1:1/app:1"],
        &["-q", "tags", "127.0.0.1:1/app"],
        &["-q", "versions", "127.0.0.1:1/app:1.0.0"],
        &["-q", "ratelimit", "127.0.0.1:1/app:1"],
        &["-q", "cache", "info", "--cache-dir", "/dev/null/x"],
        &["-q", "ref", "NOT-A/REFERENCE:"],
        &["-q", "digest", "NOT A REFERENCE"],
    ];
    for args in cases {
        let outcome = oci_check(args, "");
        assert_eq!(outcome.code, 1, "{args:?}: {outcome:?}");
        assert_eq!(outcome.stderr, "", "{args:?} printed on stderr despite -q");
    }
}

#[test]
fn table_notes_are_never_cut_and_unpinned_rows_say_what_to_pin() {
    let f = Fixture::new();
    let h = f.host();
    // A rebuilt multi-arch tag whose manifest GETs the budget withholds: the reason is the note's tail, past 100
    // characters (where the table once cut it).
    let withheld = f.update(
        &[
            "--max-pulls",
            "0",
            "--no-cache",
            &format!("{h}/demo/rebuilt:3@{}", f.rebuilt1),
        ],
        "",
    );
    assert_eq!(withheld.code, 10, "{withheld:?}");
    let row = withheld.stdout.lines().nth(1).unwrap();
    assert!(
        row.ends_with("the pull budget withheld the manifest GET (the run's 0 pulls are spent)"),
        "{row}"
    );
    // Without a digest in use: the row gives the whole IMAGE@DIGEST to pin.
    let unpinned = f.update(&[&format!("{h}/demo/multi:latest")], "");
    assert_eq!(unpinned.code, 0, "{unpinned:?}");
    let row = unpinned.stdout.lines().nth(1).unwrap();
    assert!(
        row.ends_with(&format!("pin {h}/demo/multi:latest@{}", f.multi2)),
        "{row}"
    );
}

/// A registry whose `REPOSITORY:1` moved from the image `app-1` to `app-2`: the registry, the digest in use (the
/// old one) and the new one.
fn moved_tag(repository: &str) -> (Registry, Digest, Digest) {
    let registry = Registry::open();
    let images = Images::new(&registry.client(), registry.host(), repository).unwrap();
    let push = |name| {
        block_on(images.platform_image("amd64", name, Some("1")))
            .unwrap()
            .digest
    };
    let old = push("app-1");
    let new = push("app-2");
    (registry, old, new)
}

/// A pull-through mirror of `upstream`.
fn pull_through(upstream: &Registry) -> Registry {
    Registry::pull_through(&format!("http://{}", upstream.host()))
}

/// `oci-check update --json --platform linux/amd64 --daemon-json none EXTRA...`: no mirror from the engine's
/// configuration, only those `extra` gives.
fn update_json(extra: &[&str]) -> Outcome {
    let mut args = vec!["update", "--json", "--platform", "linux/amd64", "--daemon-json", "none"];
    args.extend_from_slice(extra);
    oci_check(&args, "")
}

/// A stale mirror (a registry that still holds the tag's old image) says "up to date"; `--mirror-drift` asks the
/// registry itself with one more HEAD and says that the two disagree, while a pull-through mirror agrees.
#[test]
fn mirror_drift_tells_a_stale_mirror_from_a_current_one() {
    let (upstream, old, new) = moved_tag("mirror/app");
    let stale = Registry::open();
    let copy = Images::new(&stale.client(), stale.host(), "mirror/app").unwrap();
    let copied = block_on(copy.platform_image("amd64", "app-1", Some("1")))
        .unwrap()
        .digest;
    assert_eq!(copied, old, "the stale mirror holds the old image under the tag");
    let current = pull_through(&upstream);
    let image = format!("{}/mirror/app:1@{old}", upstream.host());
    let run = |mirror: &str, drift: bool| {
        let flag = format!("{}=http://{mirror}", upstream.host());
        let mut args = vec!["--registries-conf", "none", "--mirror", &flag, &image];
        if drift {
            args.push("--mirror-drift");
        }
        let out = update_json(&args);
        assert!(out.code == 0 || out.code == 10, "{out:?}");
        serde_json::from_str::<Value>(out.stdout.trim()).unwrap()
    };

    let record = run(stale.host(), true);
    assert_eq!(record["served_by"], stale.host());
    assert_eq!(record["status"], "up_to_date", "the verdict is the mirror's: {record}");
    assert_eq!(record["mirror_drift"], true, "{record}");
    assert_eq!(record["upstream_digest"], new.as_str());

    let record = run(stale.host(), false);
    assert_eq!(record["mirror_drift"], Value::Null, "not asked: {record}");
    assert_eq!(record["upstream_digest"], Value::Null);

    let record = run(current.host(), true);
    assert_eq!(record["served_by"], current.host());
    assert_eq!(record["status"], "update_available");
    assert_eq!(record["mirror_drift"], false, "{record}");
    assert_eq!(record["upstream_digest"], new.as_str());
}

#[test]
fn a_mirror_answers_first_and_json_says_so_and_mirror_only_fails_without_it() {
    let (upstream, old, _) = moved_tag("mirror/app");
    let mirror = pull_through(&upstream);
    let image = format!("{}/mirror/app:1@{old}", upstream.host());
    let flag = format!("{}=http://{}", upstream.host(), mirror.host());
    let out = update_json(&["--mirror", &flag, &image]);
    assert_eq!(out.code, 10, "{out:?}");
    let record: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(record["status"], "update_available");
    assert_eq!(record["served_by"], mirror.host());

    // Without a mirror, nobody but the registry answered.
    let direct = update_json(&[&image]);
    let record: Value = serde_json::from_str(direct.stdout.trim()).unwrap();
    assert_eq!(record["served_by"], Value::Null);

    // A mirror that is down: the registry answers, unless --mirror-only.
    let down = format!("127.0.0.1:{}", oci_testkit::free_port());
    let down_flag = format!("{}=http://{down}", upstream.host());
    let fell_back = oci_check(
        &[
            "update",
            "--json",
            "--daemon-json",
            "none",
            "--timeout",
            "10",
            "--mirror",
            &down_flag,
            &image,
        ],
        "",
    );
    assert_eq!(fell_back.code, 10, "{fell_back:?}");
    let only = oci_check(
        &[
            "update",
            "--daemon-json",
            "none",
            "--timeout",
            "10",
            "--mirror",
            &down_flag,
            "--mirror-only",
            &image,
        ],
        "",
    );
    assert_eq!(only.code, 1, "{only:?}");
    assert!(only.stderr.contains(&down), "{}", only.stderr);
}

#[test]
fn mirror_flags_and_daemon_configurations_that_cannot_be_used_are_usage_errors() {
    let dir = TempDir::new("mirror-flags");
    for flag in [
        "docker.io",
        "docker.io=ftp://x",
        "docker.io=https://m.example/path",
        "docker.io=https://u@m",
    ] {
        let out = oci_check(&["update", "--mirror", flag, "nginx:1.27"], "");
        assert_eq!(out.code, 2, "{flag}: {out:?}");
        assert!(out.stderr.contains("--mirror"), "{}", out.stderr);
    }
    let bad = dir.path().join("daemon.json");
    for text in [
        "{",
        r#"{"registry-mirrors": "https://m"}"#,
        r#"{"registry-mirrors": [1]}"#,
    ] {
        std::fs::write(&bad, text).unwrap();
        let out = oci_check(&["update", "--daemon-json", bad.to_str().unwrap(), "nginx:1.27"], "");
        assert_eq!(out.code, 2, "{text}: {out:?}");
        assert!(out.stderr.contains("--daemon-json"), "{}", out.stderr);
    }
    let missing = dir.path().join("missing.json");
    let out = oci_check(
        &["update", "--daemon-json", missing.to_str().unwrap(), "nginx:1.27"],
        "",
    );
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn registries_conf_gives_mirrors_and_blocks_registries() {
    let (upstream, old, _) = moved_tag("conf/app");
    let mirror = pull_through(&upstream);
    let dir = TempDir::new("registries-conf");
    let conf = dir.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "unqualified-search-registries = [\"docker.io\"]\n\n[[registry]]\nlocation = \"{}\"\n\n\
             [[registry.mirror]]\nlocation = \"{}\"\ninsecure = true\n\n\
             [[registry]]\nlocation = \"blocked.example\"\nblocked = true\n",
            upstream.host(),
            mirror.host()
        ),
    )
    .unwrap();
    let conf_arg = conf.to_str().unwrap();
    let image = format!("{}/conf/app:1@{old}", upstream.host());
    let out = update_json(&["--registries-conf", conf_arg, &image, "blocked.example/app:1"]);
    assert_eq!(out.code, 1, "the blocked image is a failure: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records[0]["status"], "update_available");
    assert_eq!(records[0]["served_by"], mirror.host());
    assert_eq!(records[1]["status"], "error");
    assert_eq!(records[1]["error"]["kind"], "blocked");
    assert!(
        out.stderr.contains("registries.conf blocks blocked.example"),
        "{}",
        out.stderr
    );

    std::fs::write(&conf, "[[registry]]\nprefix = 7\n").unwrap();
    let bad = oci_check(&["update", "--registries-conf", conf_arg, &image], "");
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("--registries-conf"), "{}", bad.stderr);
}
