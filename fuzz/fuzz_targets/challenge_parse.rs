//! Any header parses to challenges or a typed error with a position inside the input; displayed challenges
//! parse back to the same challenges; scopes inside round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_auth::{Challenge, ErrorKind, Scope};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Challenge::parse_header(text) {
        Ok(challenges) => {
            assert!(!challenges.is_empty());
            let shown: Vec<String> = challenges.iter().map(ToString::to_string).collect();
            let again = Challenge::parse_header(&shown.join(", ")).expect("a displayed challenge parses");
            assert_eq!(again, challenges);
            for challenge in &challenges {
                let _ = Challenge::preferred(&challenges);
                if let Ok(Some(bearer)) = challenge.bearer() {
                    let _ = bearer.scope_set();
                }
                for scope in challenge.scopes() {
                    if let Ok(parsed) = Scope::parse(scope) {
                        assert_eq!(Scope::parse(&parsed.to_string()).expect("a displayed scope parses"), parsed);
                    }
                }
            }
        }
        Err(err) => {
            assert!(matches!(err.kind(), ErrorKind::InvalidChallenge { .. }));
            assert!(err.position().expect("a challenge error has a position") <= text.len());
            assert!(!err.to_string().is_empty());
        }
    }
});
