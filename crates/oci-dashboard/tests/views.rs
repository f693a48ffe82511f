//! The views rendered from states made by the watcher's own machine: escaping of hostile strings, filters,
//! staleness, and metrics in the text format.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use oci_dashboard::{Filter, Snapshot, metrics, page, results};
use oci_watch::{Jump, NewerVersion, Observation, Policy, Round, State, Status, Timestamp, WorkloadKey};
use serde_json::json;

const HOSTILE_TAG: &str = "1.2.3<script>alert(1)</script>";
const QUOTED_IMAGE: &str = "reg.example/a\"b'c:1";

fn round(at: i64) -> Round {
    Round {
        started: Timestamp::from_unix(at).unwrap(),
        duration: Duration::from_millis(1500),
        pulls_left: [("docker.io".to_owned(), 76)].into(),
        requests: [("HEAD".to_owned(), 3), ("GET".to_owned(), 1)].into(),
        pulls: 1,
    }
}

fn host_state(host: &str, at: i64) -> State {
    let mut state = State::new(host.parse().unwrap());
    let key = |name: &str, image: &str| WorkloadKey::new(host, "docker", name, image, "linux/amd64");
    let mut updated = Observation::from_record(
        key("web", "nginx:1.27"),
        json!({"image": "nginx:1.27", "status": "update_available", "current_digest": "sha256:aaaa", "platform_digest": "sha256:bbbb", "note": "rebuilt <b>today</b>"}),
    );
    updated.latest_created = Some("2020-01-01T00:00:00Z".into());
    let mut newer = Observation::from_record(
        key("db\"x", QUOTED_IMAGE),
        json!({"image": QUOTED_IMAGE, "status": "newer_available", "current_digest": "sha256:cccc"}),
    );
    newer.newer = Some(NewerVersion {
        tag: HOSTILE_TAG.into(),
        jump: Jump::Minor,
        digest: Some("sha256:dddd".into()),
        created: Some("2020-01-01T00:00:00Z".into()),
    });
    let failed = Observation::from_record(
        key("cache", "redis:7"),
        json!({"image": "redis:7", "status": "error", "error": {"kind": "auth", "message": "denied\nby <registry>"}}),
    );
    let current = Observation::from_record(
        key("proxy", "traefik:3"),
        json!({"image": "traefik:3", "status": "up_to_date"}),
    );
    state.round(&round(at), vec![updated, newer, failed, current], &Policy::new());
    state
}

const NOW: i64 = 1_800_000_000;

#[test]
fn the_page_shows_every_row_with_hostile_strings_as_text() {
    let snapshot = Snapshot::new(
        vec![host_state("nas", NOW - 60)],
        Timestamp::from_unix(NOW).unwrap(),
        7200,
    );
    let html = page(&snapshot);
    assert_eq!(html.matches("<tr data-status=").count(), 4, "{html}");
    assert!(html.contains("<tr data-status=\"update_available\">"));
    assert!(html.contains("1.2.3&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("reg.example/a&quot;b&#39;c:1"));
    assert!(html.contains("rebuilt &lt;b&gt;today&lt;/b&gt;"));
    assert!(html.contains("denied\nby &lt;registry&gt;"));
    // The only script is the page's own, from the same origin.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/assets/app.js\" defer></script>"));
    assert!(html.contains("4 workloads on 1 host"));
    assert!(html.contains("76 pulls left at docker.io"));
    assert!(!html.contains("stale:"));
}

#[test]
fn results_carry_the_records_with_host_and_filter_by_status_and_host() {
    let snapshot = Snapshot::new(
        vec![host_state("nas", NOW - 60), host_state("pi", NOW - 60)],
        Timestamp::from_unix(NOW).unwrap(),
        7200,
    );
    let all = results(&snapshot, &Filter::default());
    assert_eq!(all.as_array().unwrap().len(), 8);
    let updates = results(&snapshot, &Filter::from_query("status=update_available"));
    let updates = updates.as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert!(updates.iter().all(|record| record["image"] == "nginx:1.27"));
    assert_eq!(updates[0]["host"], "nas");
    assert_eq!(
        updates[0]["note"], "rebuilt <b>today</b>",
        "JSON keeps the text as it is"
    );
    assert!(updates[0]["checked_at"].as_str().unwrap().ends_with('Z'));
    let pi = results(&snapshot, &Filter::from_query("host=pi&status=error"));
    assert_eq!(pi.as_array().unwrap().len(), 1);
    assert_eq!(pi[0]["host"], "pi");
    assert_eq!(results(&snapshot, &Filter::from_query("status=nope")), json!([]));
}

#[test]
fn a_host_that_missed_two_rounds_is_stale() {
    let snapshot = Snapshot::new(
        vec![host_state("nas", NOW - 60), host_state("old", NOW - 10_000)],
        Timestamp::from_unix(NOW).unwrap(),
        7200,
    );
    let stale: Vec<(&str, bool)> = snapshot
        .hosts()
        .iter()
        .map(|host| (host.state.host().as_str(), host.stale))
        .collect();
    assert_eq!(stale, [("nas", false), ("old", true)]);
    assert!(page(&snapshot).contains("<strong>old</strong>"));
    assert_eq!(page(&snapshot).matches("stale: it missed").count(), 1);
    assert!(metrics(&snapshot).contains("oci_check_host_stale{host=\"old\"} 1"));
}

#[test]
fn metrics_are_in_the_text_format_with_escaped_labels() {
    let mut state = host_state("nas", NOW - 60);
    // A second round adds to the counters.
    let again: Vec<Observation> = state.workloads().map(|(_, workload)| workload.last().clone()).collect();
    state.round(&round(NOW - 30), again, &Policy::new());
    let snapshot = Snapshot::new(vec![state], Timestamp::from_unix(NOW).unwrap(), 7200);
    let text = metrics(&snapshot);
    for line in text.lines() {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP oci_check_") || line.starts_with("# TYPE oci_check_"),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("oci_check_") && series.ends_with('}'), "{line}");
    }
    assert!(text.contains(
        "oci_check_update_available{host=\"nas\",source=\"docker\",container=\"web\",image=\"nginx:1.27\",platform=\"linux/amd64\"} 1"
    ));
    assert!(text.contains(
        "oci_check_newer_available{host=\"nas\",source=\"docker\",container=\"db\\\"x\",image=\"reg.example/a\\\"b'c:1\",platform=\"linux/amd64\",tag=\"1.2.3<script>alert(1)</script>\",kind=\"minor\"} 1"
    ), "{text}");
    assert!(
        text.contains("oci_check_check_failed{host=\"nas\",source=\"docker\",container=\"cache\",image=\"redis:7\"} 1")
    );
    assert!(
        text.contains("oci_check_requests_total{host=\"nas\",method=\"HEAD\"} 6"),
        "{text}"
    );
    assert!(text.contains("oci_check_pulls_total{host=\"nas\"} 2"));
    assert!(text.contains("oci_check_ratelimit_remaining{source=\"docker.io\"} 76"));
    assert!(text.contains("oci_check_round_duration_seconds{host=\"nas\"} 1.5"));
    assert!(text.contains(&format!(
        "oci_check_last_round_timestamp_seconds{{host=\"nas\"}} {}",
        NOW - 30
    )));
    assert_eq!(Status::ALL.len(), 7);
}

#[test]
fn an_untrusted_update_is_shown_filtered_and_counted_but_not_as_an_update() {
    let mut state = State::new("nas".parse().unwrap());
    let refused = Observation::from_record(
        WorkloadKey::new("nas", "docker", "web", "nginx:1.27", "linux/amd64"),
        json!({"image": "nginx:1.27", "status": "untrusted", "current_digest": "sha256:aaaa", "platform_digest": "sha256:bbbb", "signature": {"status": "unsigned"}, "same_signer": null}),
    );
    state.round(&round(NOW - 60), vec![refused], &Policy::new());
    let snapshot = Snapshot::new(vec![state], Timestamp::from_unix(NOW).unwrap(), 7200);
    let html = page(&snapshot);
    assert!(
        html.contains("<td class=\"status s-untrusted\">untrusted</td>"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"status s-untrusted\">1 untrusted</span>"),
        "{html}"
    );
    let found = results(&snapshot, &Filter::from_query("status=untrusted"));
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["signature"]["status"], "unsigned");
    assert_eq!(
        results(&snapshot, &Filter::from_query("status=update_available")),
        json!([])
    );
    let text = metrics(&snapshot);
    let series = "{host=\"nas\",source=\"docker\",container=\"web\",image=\"nginx:1.27\"";
    assert!(text.contains(&format!("oci_check_untrusted{series}}} 1")), "{text}");
    assert!(
        text.contains(&format!(
            "oci_check_update_available{series},platform=\"linux/amd64\"}} 0"
        )),
        "refused, so not proposed: {text}"
    );
    assert!(text.contains("# TYPE oci_check_untrusted gauge"));
}
