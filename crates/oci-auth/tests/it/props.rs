//! Property round-trips: scopes, scope sets, challenges.

use oci_auth::{Challenge, Scope, ScopeSet};
use proptest::prelude::*;

fn scope() -> impl Strategy<Value = Scope> {
    (
        "[a-z0-9]{1,10}",
        proptest::option::of("[a-z0-9]{1,6}"),
        "[a-zA-Z0-9._/:-]{1,30}",
        proptest::collection::vec(prop_oneof!["[a-z_-]{1,8}", Just("*".to_owned())], 1..4),
    )
        .prop_map(|(t, class, name, actions)| {
            let kind = match class {
                Some(c) => format!("{t}({c})"),
                None => t,
            };
            Scope::parse(&format!("{kind}:{name}:{}", actions.join(","))).unwrap()
        })
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

/// A header built from parts, with arbitrary case, spacing and quoting.
fn header() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        token(),
        "[ -~\u{a0}-\u{ff}\t]{0,20}".prop_map(|v| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))),
    ];
    let param = (token(), " {0,2}", " {0,2}", value).prop_map(|(k, a, b, v)| format!("{k}{a}={b}{v}"));
    let challenge = prop_oneof![
        (token(), proptest::collection::vec(param, 0..4)).prop_map(|(s, ps)| {
            if ps.is_empty() {
                s
            } else {
                format!("{s} {}", ps.join(", "))
            }
        }),
        (token(), "[A-Za-z0-9._~+/-]{1,12}={0,2}").prop_map(|(s, t)| format!("{s} {t}")),
    ];
    proptest::collection::vec(challenge, 1..4).prop_map(|cs| cs.join(" , "))
}

proptest! {
    #[test]
    fn scope_round_trips(s in scope()) {
        prop_assert_eq!(Scope::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn scope_set_round_trips(v in proptest::collection::vec(scope(), 0..6)) {
        let set: ScopeSet = v.into_iter().collect();
        prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
    }

    #[test]
    fn challenge_display_round_trips(h in header()) {
        let parsed = Challenge::parse_header(&h).unwrap();
        let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        let again = Challenge::parse_header(&shown.join(", ")).unwrap();
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn challenge_parse_never_panics(h in "\\PC{0,60}") {
        if let Err(err) = Challenge::parse_header(&h) {
            prop_assert!(err.position().unwrap() <= h.len());
        }
    }
}
