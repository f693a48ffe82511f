//! Property tests: the text form round-trips, and no string makes parsing panic.

use oci_digest::{Algorithm, Digest, ErrorKind};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn digest() -> impl Strategy<Value = Digest> {
    (algorithm(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(a, data)| Digest::compute(a, &data))
}

proptest! {
    #[test]
    fn display_parse_round_trip(d in digest()) {
        let text = d.to_string();
        let parsed: Digest = text.parse().unwrap();
        prop_assert_eq!(&parsed, &d);
        prop_assert_eq!(parsed.to_string(), text);
        prop_assert_eq!(parsed.algorithm(), d.algorithm());
    }

    #[test]
    fn valid_strings_round_trip(a in algorithm(), hex in "[0-9a-f]{128}") {
        let text = format!("{}:{}", a.name(), &hex[..a.encoded_len()]);
        let parsed: Digest = text.parse().unwrap();
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn wrong_length_is_its_own_kind(a in algorithm(), len in 1usize..200) {
        prop_assume!(len != a.encoded_len());
        let text = format!("{}:{}", a.name(), "0".repeat(len));
        prop_assert_eq!(Digest::parse(&text).unwrap_err().kind(), ErrorKind::InvalidLength { algorithm: a, found: len });
    }

    #[test]
    fn any_string_parses_or_errs_without_panic(s in "\\PC*") {
        match Digest::parse(&s) {
            Ok(d) => prop_assert_eq!(d.to_string(), s),
            Err(e) => prop_assert_eq!(e.input(), s.as_str()),
        }
    }

    #[test]
    fn equality_and_order_follow_the_text(a in digest(), b in digest()) {
        prop_assert_eq!(a == b, a.as_str() == b.as_str());
        prop_assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
    }
}
