use oci_watch::{
    CheckError, Interval, Jump, NewerVersion, Observation, Policy, State, Status, TargetId, WorkloadKey, parse_duration,
};
use proptest::prelude::*;

use crate::round;

proptest! {
    #[test]
    fn durations_round_trip(seconds in 1u64..=365 * 86_400) {
        let interval = Interval::from_secs(seconds).unwrap();
        prop_assert_eq!(parse_duration(&interval.to_string()), Ok(interval));
    }

    #[test]
    fn duration_parsing_never_panics(text in "[0-9dhms]{0,12}") {
        if let Ok(interval) = parse_duration(&text) {
            prop_assert!((1..=365 * 86_400).contains(&interval.as_secs()));
        }
    }

    #[test]
    fn workload_keys_round_trip(fields in proptest::array::uniform5(".{0,12}")) {
        let [h, s, n, i, p] = &fields;
        let key = WorkloadKey::new(h, s, n, i, p);
        prop_assert_eq!(key.to_string().parse::<WorkloadKey>(), Ok(key));
    }

    #[test]
    fn states_round_trip(rounds in proptest::collection::vec(proptest::collection::vec(observation(), 0..6), 1..5),
                         delivered in proptest::collection::vec(0usize..8, 0..4)) {
        let mut state = State::new("web-1".parse().unwrap());
        let policy = Policy::new().with_min_age(Interval::from_secs(3600).unwrap()).with_forget_after(1);
        let target: TargetId = "t1".parse().unwrap();
        for (index, observations) in rounds.into_iter().enumerate() {
            let at = format!("2026-12-05T{:02}:00:00Z", index * 2);
            let outcome = state.round(&round(&at), observations, &policy);
            let keys: Vec<_> = outcome.events().iter().enumerate()
                .filter(|(i, _)| delivered.contains(i)).map(|(_, e)| e.key().clone()).collect();
            state.delivered(&target, &keys);
            let parsed = State::from_json(&state.to_json());
            prop_assert_eq!(parsed.as_ref().ok(), Some(&state));
        }
    }
}

fn observation() -> impl Strategy<Value = Observation> {
    (
        prop_oneof!["a", "b", "c|%"],
        proptest::sample::select(Status::ALL.to_vec()),
        proptest::option::of("sha256:[a-c]"),
        proptest::option::of(prop_oneof![
            "2026-12-05T00:00:00Z",
            "2026-12-05T05:00:00.5+01:00",
            "junk"
        ]),
        proptest::option::of((
            "[0-9]\\.[0-9]",
            proptest::sample::select(vec![Jump::Major, Jump::Minor, Jump::Patch, Jump::Build]),
        )),
        any::<i32>(),
    )
        .prop_map(|(name, status, digest, created, newer, number)| {
            let mut seen = Observation::new(
                WorkloadKey::new("web-1", "docker", &name, "nginx", "linux/amd64"),
                status,
            );
            seen.latest_digest = digest.clone();
            seen.latest_created = created.clone();
            seen.newer = newer.map(|(tag, jump)| NewerVersion {
                tag,
                jump,
                digest,
                created,
            });
            if status == Status::Error {
                seen.error = Some(CheckError {
                    kind: "network".into(),
                    message: format!("refused \u{1b} {number}"),
                });
            }
            seen.record = serde_json::json!({"n": number, "name": name});
            seen
        })
}
