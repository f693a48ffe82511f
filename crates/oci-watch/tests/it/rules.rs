use oci_watch::{
    CheckError, EventKey, EventKind, Interval, Jump, Observation, PendingReason, Policy, RoundOutcome, State, Status,
    TargetId,
};

use crate::{key, newer, round, target, update};

fn fresh() -> State {
    State::new("web-1".parse().unwrap())
}

/// The keys `to` is still to be told, as `kind detail`.
fn told(outcome: &RoundOutcome, to: &TargetId) -> Vec<String> {
    outcome
        .to_tell(to)
        .iter()
        .map(|event| format!("{} {}", event.kind(), event.key().detail()))
        .collect()
}

/// Tells `to` everything it is due and confirms delivery.
fn deliver(state: &mut State, outcome: &RoundOutcome, to: &TargetId) -> Vec<String> {
    let keys: Vec<EventKey> = outcome.to_tell(to).iter().map(|event| event.key().clone()).collect();
    state.delivered(to, &keys);
    told(outcome, to)
}

fn failing(name: &str) -> Observation {
    let mut seen = Observation::new(key(name), Status::Error);
    seen.error = Some(CheckError {
        kind: "network".into(),
        message: "connection refused".into(),
    });
    seen
}

#[test]
fn an_update_is_told_once() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(deliver(&mut state, &first, &ntfy), ["update sha256:b"]);
    let second = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(second.events().len(), 1, "still current");
    assert!(told(&second, &ntfy).is_empty());
}

#[test]
fn a_restart_does_not_repeat() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    deliver(&mut state, &first, &ntfy);
    let mut restarted = State::from_json(&state.to_json()).unwrap();
    assert_eq!(restarted, state);
    let again = restarted.round(
        &round("2026-12-05T06:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert!(told(&again, &ntfy).is_empty());
}

#[test]
fn a_second_rebuild_is_a_second_event() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    deliver(&mut state, &first, &ntfy);
    let rebuilt = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![update("proxy", "sha256:c", None)],
        &policy,
    );
    assert_eq!(deliver(&mut state, &rebuilt, &ntfy), ["update sha256:c"]);
    let key_b = first.events()[0].key().clone();
    assert_eq!(
        state.workload(&key("proxy")).unwrap().told_to(&key_b),
        None,
        "the superseded key is forgotten"
    );
}

#[test]
fn an_index_rebuilt_with_the_platform_image_unchanged_tells_nothing() {
    let (mut state, policy) = (fresh(), Policy::new());
    let outcome = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![Observation::new(key("proxy"), Status::UpToDate)],
        &policy,
    );
    assert!(outcome.events().is_empty());
}

#[test]
fn a_newer_version_is_told_with_its_jump_and_again_when_re_pushed() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let seen = newer("proxy", "1.28.0", Jump::Minor, "sha256:n1", None);
    let first = state.round(&round("2026-12-05T00:00:00Z"), vec![seen.clone()], &policy);
    assert_eq!(first.events()[0].jump(), Some(Jump::Minor));
    assert_eq!(first.events()[0].tag(), Some("1.28.0"));
    assert_eq!(deliver(&mut state, &first, &ntfy), ["newer 1.28.0@sha256:n1"]);
    let same = state.round(&round("2026-12-05T06:00:00Z"), vec![seen], &policy);
    assert!(told(&same, &ntfy).is_empty());
    let pushed = state.round(
        &round("2026-12-05T12:00:00Z"),
        vec![newer("proxy", "1.28.0", Jump::Minor, "sha256:n2", None)],
        &policy,
    );
    assert_eq!(told(&pushed, &ntfy), ["newer 1.28.0@sha256:n2"]);
}

#[test]
fn an_error_is_told_once_then_recovered_to_those_told() {
    let (mut state, policy) = (fresh(), Policy::new());
    let (ntfy, mail) = (target("ntfy"), target("mail"));
    let first = state.round(&round("2026-12-05T00:00:00Z"), vec![failing("proxy")], &policy);
    assert_eq!(first.events()[0].error().map(|e| e.kind.as_str()), Some("network"));
    assert_eq!(deliver(&mut state, &first, &ntfy), ["error 2026-12-05T00:00:00Z"]);
    let still = state.round(&round("2026-12-05T06:00:00Z"), vec![failing("proxy")], &policy);
    assert!(told(&still, &ntfy).is_empty(), "told once until it recovers");
    let up = Observation::new(key("proxy"), Status::UpToDate);
    let back = state.round(&round("2026-12-05T12:00:00Z"), vec![up.clone()], &policy);
    assert_eq!(deliver(&mut state, &back, &ntfy), ["recovered 2026-12-05T00:00:00Z"]);
    assert!(told(&back, &mail).is_empty(), "mail never heard of the error");
    let later = state.round(&round("2026-12-05T18:00:00Z"), vec![up], &policy);
    assert!(later.events().is_empty());
    // A second failure is a second event.
    let again = state.round(&round("2026-12-06T00:00:00Z"), vec![failing("proxy")], &policy);
    assert_eq!(told(&again, &ntfy), ["error 2026-12-06T00:00:00Z"]);
}

#[test]
fn an_error_round_in_between_does_not_repeat_an_update() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    deliver(&mut state, &first, &ntfy);
    let broken = state.round(&round("2026-12-05T06:00:00Z"), vec![failing("proxy")], &policy);
    deliver(&mut state, &broken, &ntfy);
    let back = state.round(
        &round("2026-12-05T12:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(told(&back, &ntfy), ["recovered 2026-12-05T06:00:00Z"]);
}

#[test]
fn min_age_holds_then_tells() {
    let policy = Policy::new().with_min_age(Interval::from_secs(86_400).unwrap());
    let (mut state, ntfy) = (fresh(), target("ntfy"));
    let seen = update("proxy", "sha256:b", Some("2026-12-06T10:00:00Z"));
    let young = state.round(&round("2026-12-06T12:00:00Z"), vec![seen.clone()], &policy);
    assert!(young.events().is_empty());
    let workload = state.workload(&key("proxy")).unwrap();
    assert_eq!(workload.pending_until(), Some("2026-12-07T10:00:00Z".parse().unwrap()));
    assert_eq!(
        workload.pending()[0].reason.to_string(),
        "pending until 2026-12-07 10:00 UTC"
    );
    let aged = state.round(&round("2026-12-07T10:00:00Z"), vec![seen], &policy);
    assert_eq!(deliver(&mut state, &aged, &ntfy), ["update sha256:b"]);
    assert!(state.workload(&key("proxy")).unwrap().pending().is_empty());
}

#[test]
fn an_unknown_or_unreadable_date_stays_pending_with_its_reason() {
    let policy = Policy::new().with_min_age(Interval::from_secs(60).unwrap());
    let mut state = fresh();
    let mut later = newer("cache", "8.0.0", Jump::Major, "sha256:r", Some("last tuesday"));
    later.key = key("cache");
    let outcome = state.round(
        &round("2030-01-01T00:00:00Z"),
        vec![update("proxy", "sha256:b", None), later],
        &policy,
    );
    assert!(outcome.events().is_empty());
    let reasons: Vec<(EventKind, String)> = state
        .workloads()
        .flat_map(|(_, w)| w.pending().iter().map(|p| (p.kind, p.reason.to_string())))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                EventKind::Newer,
                "pending: the image's creation date `last tuesday` is not RFC 3339".to_owned()
            ),
            (
                EventKind::Update,
                "pending: the image's creation date is unknown".to_owned()
            ),
        ]
    );
    assert_eq!(
        state.workload(&key("proxy")).unwrap().pending()[0].reason,
        PendingReason::UnknownDate
    );
    assert_eq!(state.workload(&key("proxy")).unwrap().pending_until(), None);
}

#[test]
fn a_failed_delivery_is_retried_then_told_once() {
    let (mut state, policy) = (fresh(), Policy::new());
    let (ntfy, mail) = (target("ntfy"), target("mail"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    deliver(&mut state, &first, &ntfy);
    // mail was down: no delivered() for it.
    assert_eq!(told(&first, &mail), ["update sha256:b"]);
    let retry = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert!(told(&retry, &ntfy).is_empty());
    assert_eq!(deliver(&mut state, &retry, &mail), ["update sha256:b"]);
    let after = state.round(
        &round("2026-12-05T12:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert!(told(&after, &mail).is_empty() && told(&after, &ntfy).is_empty());
}

#[test]
fn a_recreated_container_is_not_told_again_but_a_long_gone_one_is() {
    let policy = Policy::new().with_forget_after(2);
    let (mut state, ntfy) = (fresh(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    deliver(&mut state, &first, &ntfy);
    state.round(&round("2026-12-05T06:00:00Z"), Vec::new(), &policy);
    state.round(&round("2026-12-05T12:00:00Z"), Vec::new(), &policy);
    assert_eq!(state.workload(&key("proxy")).unwrap().absent_rounds(), 2);
    let back = state.round(
        &round("2026-12-05T18:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert!(told(&back, &ntfy).is_empty(), "re-created within two rounds");
    for at in ["2026-12-06T00:00:00Z", "2026-12-06T06:00:00Z", "2026-12-06T12:00:00Z"] {
        state.round(&round(at), Vec::new(), &policy);
    }
    assert!(
        state.workload(&key("proxy")).is_none(),
        "forgotten after the third absent round"
    );
    let new = state.round(
        &round("2026-12-06T18:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(told(&new, &ntfy), ["update sha256:b"]);
}

#[test]
fn the_last_round_is_kept_for_the_page() {
    let (mut state, policy) = (fresh(), Policy::new());
    let mut up = Observation::new(key("db"), Status::UpToDate);
    up.record = serde_json::json!({"status": "up_to_date"});
    state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![
            update("proxy", "sha256:b", None),
            up,
            failing("cache"),
            update("proxy", "sha256:b", None),
        ],
        &policy,
    );
    let summary = state.last_round().unwrap();
    assert_eq!(summary.started.to_string(), "2026-12-05T00:00:00Z");
    assert_eq!(summary.duration_ms, 5000);
    let counts: Vec<(Status, u32)> = summary.counts.iter().map(|(s, n)| (*s, *n)).collect();
    assert_eq!(
        counts,
        [(Status::UpToDate, 1), (Status::UpdateAvailable, 1), (Status::Error, 1)]
    );
    assert_eq!(summary.pulls_left.get("docker.io"), Some(&76));
    let checked = state.workload(&key("db")).unwrap().checked_at();
    assert_eq!(checked.to_string(), "2026-12-05T00:00:05Z");
}

#[test]
fn delivered_ignores_unknown_workloads() {
    let (mut state, policy) = (fresh(), Policy::new());
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    let mut other = fresh();
    assert_eq!(other.delivered(&target("ntfy"), &[first.events()[0].key().clone()]), 0);
    assert_eq!(state.delivered(&target("ntfy"), &[first.events()[0].key().clone()]), 1);
}

#[test]
fn a_recovery_is_given_up_for_a_target_that_stays_down() {
    let policy = Policy::new().with_forget_after(2);
    let (mut state, ntfy) = (fresh(), target("ntfy"));
    let first = state.round(&round("2026-12-05T00:00:00Z"), vec![failing("proxy")], &policy);
    deliver(&mut state, &first, &ntfy);
    let up = Observation::new(key("proxy"), Status::UpToDate);
    for at in ["2026-12-05T06:00:00Z", "2026-12-05T12:00:00Z"] {
        let outcome = state.round(&round(at), vec![up.clone()], &policy);
        assert_eq!(
            told(&outcome, &ntfy),
            ["recovered 2026-12-05T00:00:00Z"],
            "{at}: ntfy is down"
        );
    }
    let late = state.round(&round("2026-12-05T18:00:00Z"), vec![up], &policy);
    assert!(late.events().is_empty());
}

#[test]
fn an_update_json_record_makes_its_observation() {
    use oci_watch::{Jump, Observation, Status, WorkloadKey};
    let key = || WorkloadKey::new("h", "docker", "web", "nginx:1.27", "linux/amd64");
    let record = serde_json::json!({
        "image": "nginx:1.27", "status": "newer_available",
        "current_digest": "sha256:aa", "latest_digest": "sha256:index", "platform_digest": "sha256:image",
        "newer": {"tag": "1.28.0", "digest": "sha256:bb", "kind": "minor", "created": "2026-12-01T00:00:00Z"},
        "error": null,
    });
    let seen = Observation::from_record(key(), record.clone());
    assert_eq!(seen.status, Status::NewerAvailable);
    assert_eq!(seen.current_digest.as_deref(), Some("sha256:aa"));
    assert_eq!(
        seen.latest_digest.as_deref(),
        Some("sha256:image"),
        "the platform's image, not the index"
    );
    let newer = seen.newer.as_ref().expect("a newer version");
    assert_eq!((newer.tag.as_str(), newer.jump), ("1.28.0", Jump::Minor));
    assert_eq!(newer.created.as_deref(), Some("2026-12-01T00:00:00Z"));
    assert!(seen.error.is_none());
    assert_eq!(seen.record, record);

    let failed = Observation::from_record(
        key(),
        serde_json::json!({"status": "error", "latest_digest": "sha256:index", "error": {"kind": "auth", "message": "denied"}}),
    );
    assert_eq!(failed.status, Status::Error);
    assert_eq!(failed.latest_digest.as_deref(), Some("sha256:index"));
    let error = failed.error.expect("the error");
    assert_eq!((error.kind.as_str(), error.message.as_str()), ("auth", "denied"));
    // A record that is not one: an error, not a guess.
    let odd = Observation::from_record(
        key(),
        serde_json::json!({"status": 7, "newer": {"tag": "x", "kind": "huge"}}),
    );
    assert_eq!(odd.status, Status::Error);
    assert!(odd.newer.is_none());
}

/// What `--require-signed` makes of an update to `digest` whose signature is not verified.
fn untrusted(name: &str, digest: &str) -> Observation {
    let mut seen = update(name, digest, None);
    seen.status = Status::Untrusted;
    seen.record = serde_json::json!({"image": "nginx:1.27", "status": "untrusted"});
    seen
}

#[test]
fn an_untrusted_update_is_told_as_untrusted_once_and_as_an_update_once_it_verifies() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let refused = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![untrusted("proxy", "sha256:b")],
        &policy,
    );
    assert_eq!(refused.events()[0].digest(), Some("sha256:b"));
    assert_eq!(
        deliver(&mut state, &refused, &ntfy),
        ["untrusted sha256:b"],
        "not told as an update"
    );
    let still = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![untrusted("proxy", "sha256:b")],
        &policy,
    );
    assert!(told(&still, &ntfy).is_empty(), "told once");
    let signed = state.round(
        &round("2026-12-05T12:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(deliver(&mut state, &signed, &ntfy), ["update sha256:b"]);
    let untrusted_key = refused.events()[0].key().clone();
    assert_eq!(
        state.workload(&key("proxy")).unwrap().told_to(&untrusted_key),
        None,
        "forgotten after the definite answer, so a later refusal is told again"
    );
}

#[test]
fn an_untrusted_round_between_two_identical_updates_does_not_repeat_the_update() {
    let (mut state, policy, ntfy) = (fresh(), Policy::new(), target("ntfy"));
    let first = state.round(
        &round("2026-12-05T00:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert_eq!(deliver(&mut state, &first, &ntfy), ["update sha256:b"]);
    // The signature could not be read this round: refused, and said so.
    let unread = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![untrusted("proxy", "sha256:b")],
        &policy,
    );
    assert_eq!(deliver(&mut state, &unread, &ntfy), ["untrusted sha256:b"]);
    let again = state.round(
        &round("2026-12-05T12:00:00Z"),
        vec![update("proxy", "sha256:b", None)],
        &policy,
    );
    assert!(told(&again, &ntfy).is_empty(), "the update was told already");
}

#[test]
fn a_refused_newer_version_is_not_told_as_newer_and_a_new_unsigned_push_is_told_again() {
    let (mut state, ntfy) = (fresh(), target("ntfy"));
    // No cooldown for a refusal: it proposes nothing.
    let policy = Policy::new().with_min_age(Interval::from_secs(86_400).unwrap());
    let mut seen = untrusted("proxy", "sha256:b");
    seen.newer = newer(
        "proxy",
        "1.28.0",
        Jump::Minor,
        "sha256:n1",
        Some("2026-12-05T00:00:00Z"),
    )
    .newer;
    let first = state.round(&round("2026-12-05T00:00:00Z"), vec![seen], &policy);
    assert_eq!(first.events().len(), 1, "{:?}", first.events());
    assert_eq!(first.events()[0].kind(), EventKind::Untrusted);
    assert_eq!(first.events()[0].tag(), Some("1.28.0"));
    assert_eq!(first.events()[0].jump(), Some(Jump::Minor));
    assert!(state.workload(&key("proxy")).unwrap().pending().is_empty());
    assert_eq!(
        deliver(&mut state, &first, &ntfy),
        ["untrusted sha256:b 1.28.0@sha256:n1"]
    );
    let pushed = state.round(
        &round("2026-12-05T06:00:00Z"),
        vec![untrusted("proxy", "sha256:c")],
        &policy,
    );
    assert_eq!(told(&pushed, &ntfy), ["untrusted sha256:c"]);
    // The key survives the state file.
    let restarted = State::from_json(&state.to_json()).unwrap();
    assert_eq!(restarted, state);
}

#[test]
fn an_untrusted_record_makes_an_untrusted_observation() {
    let seen = Observation::from_record(
        key("proxy"),
        serde_json::json!({"status": "untrusted", "latest_digest": "sha256:b", "signature": {"status": "unsigned"}}),
    );
    assert_eq!(seen.status, Status::Untrusted);
    assert!(!seen.status.is_definite());
    assert_eq!("untrusted".parse::<Status>().unwrap(), Status::Untrusted);
    assert_eq!("untrusted".parse::<EventKind>().unwrap(), EventKind::Untrusted);
    assert_eq!(EventKind::Untrusted.to_string(), "untrusted");
}
