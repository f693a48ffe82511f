//! The glob table in tests/data/globs.txt.

use oci_version::{ErrorKind, Glob};

use crate::cases;

#[test]
fn globs_table() {
    for (context, line) in cases("globs.txt") {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [pattern, error] = fields[..] {
            let expected = match error.strip_prefix("error: ") {
                Some("empty-glob") => ErrorKind::EmptyGlob,
                Some("unclosed-class") => ErrorKind::UnclosedClass,
                Some("empty-class") => ErrorKind::EmptyClass,
                Some("reversed-range") => ErrorKind::ReversedRange,
                Some("glob-character") => ErrorKind::GlobCharacter,
                _ => panic!("{context}: unknown error {error:?}"),
            };
            let err = Glob::parse(pattern).expect_err(&context);
            assert_eq!(err.kind(), expected, "{context}: {err}");
            assert_eq!(err.input(), pattern, "{context}");
            continue;
        }
        let [pattern, matching, other] = fields[..] else {
            panic!("{context}: expected `glob | matches | does not match` or `glob | error: kind`")
        };
        let glob = Glob::parse(pattern).unwrap_or_else(|err| panic!("{context}: {err}"));
        assert_eq!(glob.to_string(), pattern, "{context}");
        for tag in matching.split_whitespace() {
            assert!(glob.matches(tag), "{context}: should match {tag:?}");
        }
        for tag in other.split_whitespace() {
            assert!(!glob.matches(tag), "{context}: should not match {tag:?}");
        }
    }
}

#[test]
fn empty_glob() {
    assert_eq!(Glob::parse("").unwrap_err().kind(), ErrorKind::EmptyGlob);
}
