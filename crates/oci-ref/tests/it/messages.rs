//! Error messages quote the input, point at the offending part and say what was expected.

use oci_ref::{Error, ErrorKind, Reference};

#[track_caller]
fn check(result: Result<Reference, Error>, kind: ErrorKind, message: &str) {
    let err = result.expect_err(message);
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.to_string(), message);
}

const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn format_errors_point_at_the_byte() {
    let parse = Reference::parse_normalized;
    check(
        parse(""),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "": expected a repository path component (lowercase letters and digits) at byte 0, found the end"#,
    );
    check(
        parse("nginx:"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "nginx:": expected a tag after `:`, starting with a letter, digit or `_` at byte 6, found the end"#,
    );
    check(
        parse("foo bar"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "foo bar": expected `/`, `:tag`, `@digest` or the end after the repository path (lowercase letters, digits and separators) at byte 3, found ' '"#,
    );
    check(
        parse("a//b"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "a//b": expected a path component after `/` at byte 2, found '/'"#,
    );
    check(
        parse("a___b"),
        ErrorKind::InvalidFormat,
        "invalid reference format \"a___b\": expected a lowercase letter or digit after the separator (separators are \
         `.`, `_`, `__` or dashes, and a path component cannot end with one) at byte 3, found '_'",
    );
    check(
        parse("nginx@sha3-256:abc"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "nginx@sha3-256:abc": expected `:` after the digest algorithm at byte 10, found '-'"#,
    );
    check(
        parse("nginx@sha256:abc"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "nginx@sha256:abc": expected at least 32 hex digits after the digest algorithm at byte 13, found 'a'"#,
    );
    let long_tag = format!("nginx:{}", "a".repeat(129));
    let err = parse(&long_tag).expect_err("tag too long");
    assert!(
        err.to_string()
            .contains("at most 128 characters in the tag at byte 134"),
        "{err}"
    );
}

#[test]
fn uppercase_errors_name_the_repository() {
    check(
        Reference::parse_normalized("Nginx"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "Nginx": repository name "library/Nginx" must be lowercase (found 'N' at byte 0)"#,
    );
    check(
        Reference::parse_normalized("nginx@SHA256:abc"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "nginx@SHA256:abc": repository name "library/nginx@SHA256" must be lowercase (found 'S' at byte 6)"#,
    );
    check(
        Reference::parse_normalized("\u{212A}ube"),
        ErrorKind::ContainsUppercase,
        "invalid reference format \"\u{212A}ube\": repository name \"library/\u{212A}ube\" must be lowercase (found '\u{212A}' at byte 0)",
    );
    check(
        Reference::parse_raw("Foo"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "Foo": repository name must be lowercase (found 'F' at byte 0)"#,
    );
}

/// The repository and canonical names in these messages are found again in the input when the
/// message is written, not when the error is made.
#[test]
fn names_derived_from_the_input() {
    let parse = Reference::parse_normalized;
    check(
        parse("index.docker.io/Foo:Bar"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "index.docker.io/Foo:Bar": repository name "library/Foo" must be lowercase (found 'F' at byte 16)"#,
    );
    check(
        parse("localhost:5000/Foo"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "localhost:5000/Foo": repository name "Foo" must be lowercase (found 'F' at byte 15)"#,
    );
    // Only the whole string lowered matches: Go's grammar reads it as a path without a registry.
    check(
        parse("A_b/c"),
        ErrorKind::ContainsUppercase,
        r#"invalid reference format "A_b/c": repository name must be lowercase (found 'A' at byte 0)"#,
    );
    // Lowering the registry does not help.
    check(
        parse("EXAMPLE.com/foo bar"),
        ErrorKind::InvalidFormat,
        r#"invalid reference format "EXAMPLE.com/foo bar": expected `/`, `:tag`, `@digest` or the end after the repository path (lowercase letters, digits and separators) at byte 15, found ' '"#,
    );
    check(
        Reference::parse_named(&format!("nginx@sha256:{H64}")),
        ErrorKind::NameNotCanonical,
        &format!(
            r#"reference "nginx@sha256:{H64}" is not canonical; write it as "docker.io/library/nginx@sha256:{H64}""#
        ),
    );
    check(
        Reference::parse_named("index.docker.io/user/app:1"),
        ErrorKind::NameNotCanonical,
        r#"reference "index.docker.io/user/app:1" is not canonical; write it as "docker.io/user/app:1""#,
    );
}

#[test]
fn other_kinds() {
    check(
        Reference::parse_raw(""),
        ErrorKind::NameEmpty,
        r#"invalid reference "": repository name must have at least one component"#,
    );
    check(
        Reference::parse_normalized(H64),
        ErrorKind::HexIdentifier,
        &format!(
            r#"invalid repository name "{H64}": cannot specify 64-byte hexadecimal strings (an image ID is not a name)"#
        ),
    );
    check(
        Reference::parse_named("nginx"),
        ErrorKind::NameNotCanonical,
        r#"reference "nginx" is not canonical; write it as "docker.io/library/nginx""#,
    );
    check(
        Reference::parse_normalized("nginx@md5:0123456789abcdef0123456789abcdef"),
        ErrorKind::UnsupportedDigest,
        "invalid reference \"nginx@md5:0123456789abcdef0123456789abcdef\": invalid digest \
         \"md5:0123456789abcdef0123456789abcdef\": unsupported digest algorithm \"md5\" (supported: sha256, sha384, sha512)",
    );
    let err = Reference::parse_normalized(&format!("x@sha256:{H64}0")).expect_err("too long");
    assert_eq!(err.kind(), ErrorKind::InvalidDigestLength);
    assert!(
        err.to_string().ends_with("sha256 needs 64 hex characters, found 65"),
        "{err}"
    );
    let source = std::error::Error::source(&err).expect("the digest error is the source");
    assert!(source.to_string().starts_with("invalid digest \"sha256:"), "{source}");
    let err = Reference::parse_normalized(&format!("x@sha256:{}", H64.to_uppercase())).expect_err("upper");
    assert_eq!(err.kind(), ErrorKind::InvalidDigest);
    assert!(err.to_string().ends_with("the hex must be lower case"), "{err}");
}

#[test]
fn long_inputs_are_cut() {
    let long = "a".repeat(10_000);
    let err = Reference::parse_normalized(&long).expect_err("too long");
    assert_eq!(err.kind(), ErrorKind::NameTooLong);
    assert_eq!(err.input(), long);
    assert!(err.to_string().len() < 300, "{err}");
    assert!(err.to_string().contains("(10000 bytes)"), "{err}");
    assert!(err.to_string().contains("its path has 10008 bytes"), "{err}");
}

#[test]
fn kinds_have_stable_names() {
    let kinds = [
        (ErrorKind::InvalidFormat, "invalid_format"),
        (ErrorKind::ContainsUppercase, "contains_uppercase"),
        (ErrorKind::NameTooLong, "name_too_long"),
        (ErrorKind::NameEmpty, "name_empty"),
        (ErrorKind::HexIdentifier, "hex_identifier"),
        (ErrorKind::InvalidDigestLength, "invalid_digest_length"),
        (ErrorKind::InvalidDigest, "invalid_digest"),
        (ErrorKind::UnsupportedDigest, "unsupported_digest"),
        (ErrorKind::NameNotCanonical, "name_not_canonical"),
    ];
    for (kind, name) in kinds {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.to_string(), name);
    }
}
