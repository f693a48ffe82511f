//! Error messages: lowercase, quoting the input, cut when it is long, saying what to do.

use oci_version::{Glob, Jump, Shape, Tag};

#[test]
fn messages_quote_the_input() {
    let cases = [
        (
            Tag::parse("1.2/3").unwrap_err(),
            r#"invalid tag "1.2/3": a tag has only letters, digits, `_`, `.` and `-`"#,
        ),
        (Tag::parse("").unwrap_err(), r#"invalid tag "": a tag cannot be empty"#),
        (
            Tag::parse("-1").unwrap_err(),
            r#"invalid tag "-1": a tag starts with a letter, a digit or `_`"#,
        ),
        (
            Shape::parse("##").unwrap_err(),
            r###"invalid tag shape "##": no tag has this shape: a number is one `#`, and digits stand only inside architecture names"###,
        ),
        (
            Glob::parse("1.[2").unwrap_err(),
            r#"invalid glob "1.[2": a `[` has no closing `]`"#,
        ),
        (
            Glob::parse("[9-0]").unwrap_err(),
            r#"invalid glob "[9-0]": a range in `[...]` ends before it starts; write it low to high"#,
        ),
        (
            "newest".parse::<Jump>().unwrap_err(),
            r#"invalid jump "newest": expected major, minor, patch or build"#,
        ),
    ];
    for (err, expected) in cases {
        assert_eq!(err.to_string(), expected);
    }
}

#[test]
fn long_inputs_are_cut() {
    let long = "x/".repeat(5000);
    let message = Tag::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 300, "{message}");
    assert!(message.contains("(10000 bytes)"), "{message}");
}

#[test]
fn error_is_small() {
    assert!(size_of::<oci_version::Error>() <= 48);
}
