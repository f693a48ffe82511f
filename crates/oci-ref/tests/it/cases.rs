//! One-line cases for every rule of the grammar and of normalization.

use oci_ref::Reference;

/// 64, 96 and 128 lower-case hex digits, written `<H64>`, `<H96>`, `<H128>` in cases.
const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn expand(s: &str) -> String {
    s.replace("<H128>", &H64.repeat(2))
        .replace("<H96>", &H64[..32].repeat(3))
        .replace("<H64>", H64)
}

/// `expected` is `registry|repository|tag|digest` with `-` for no tag or digest, or `!kind`.
#[track_caller]
fn check(input: &str, expected: &str) {
    let input = expand(input);
    let expected = expand(expected);
    let actual = match Reference::parse_normalized(&input) {
        Ok(r) => format!(
            "{}|{}|{}|{}",
            r.registry(),
            r.repository(),
            r.tag().unwrap_or("-"),
            r.digest().map_or("-".to_owned(), ToString::to_string)
        ),
        Err(err) => {
            assert_eq!(err.input(), input);
            format!("!{}", err.kind().as_str())
        }
    };
    assert_eq!(actual, expected, "input {input:?}");
}

#[test]
fn normalized() {
    check("nginx", "docker.io|library/nginx|-|-");
    check("nginx:1.25", "docker.io|library/nginx|1.25|-");
    check("localhost:5000", "docker.io|library/localhost|5000|-");
    check("localhost:5000/a/b:1.0", "localhost:5000|a/b|1.0|-");
    check("Foo/bar", "Foo|bar|-|-");
    check("Foo", "!contains_uppercase");
    check("[::1]:5000/x", "[::1]:5000|x|-|-");
    check("nginx:1.25@sha256:<H64>", "docker.io|library/nginx|1.25|sha256:<H64>");
    check("<H64>", "!hex_identifier");
    check("ex_ample.com/foo", "|ex_ample.com/foo|-|-");
    check("", "!invalid_format");
    check("\u{130}stanbul", "!contains_uppercase");
    check("\u{212A}ube", "!contains_uppercase");
    check("École", "!contains_uppercase");
    check("index.docker.io/nginx", "docker.io|library/nginx|-|-");
    check("nginx@sha256:abc", "!invalid_format");
    check("nginx@sha256:<H64>0", "!invalid_digest_length");
    check("nginx@md5:<H64>", "!unsupported_digest");
    check("nginx@SHA256:<H64>", "!contains_uppercase");
}
