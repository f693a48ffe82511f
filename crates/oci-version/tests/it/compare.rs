//! The order table in tests/data/compare.txt.

use std::cmp::Ordering;

use oci_version::Tag;

use crate::cases;

#[test]
fn compare_table() {
    for (context, line) in cases("compare.txt") {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [a, relation, b] = words[..] else {
            panic!("{context}: expected `a < b`, `a = b` or `a <> b`")
        };
        let a = Tag::parse(a).unwrap_or_else(|err| panic!("{context}: {err}"));
        let b = Tag::parse(b).unwrap_or_else(|err| panic!("{context}: {err}"));
        let expected = match relation {
            "<" => Some(Ordering::Less),
            "=" => Some(Ordering::Equal),
            "<>" => None,
            other => panic!("{context}: unknown relation {other:?}"),
        };
        assert_eq!(a.compare(&b), expected, "{context}");
        assert_eq!(b.compare(&a), expected.map(Ordering::reverse), "{context}");
        assert_eq!(expected == Some(Ordering::Equal), a == b, "{context}");
    }
}
