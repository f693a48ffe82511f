//! One-line cases for every rule of the grammar and of normalization, from
//! `reference-grammar.md` (distribution/reference v0.6.0).
//!
//! In inputs and expectations `<H64>`, `<H96>` and `<H128>` stand for that many lower-case hex
//! digits, `<U64>` for 64 upper-case ones, `<H32>` for 32, and `<aN>` for `N` times `a`.

use oci_ref::{AnyReference, Reference, parse_any};

const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn expand(s: &str) -> String {
    let mut out = s
        .replace("<H128>", &H64.repeat(2))
        .replace("<H96>", &H64[..32].repeat(3))
        .replace("<H64>", H64)
        .replace("<U64>", &H64.to_uppercase())
        .replace("<H32>", &H64[..32]);
    while let Some(start) = out.find("<a") {
        let end = start + out[start..].find('>').expect("closing >");
        let count: usize = out[start + 2..end].parse().expect("a count");
        out.replace_range(start..=end, &"a".repeat(count));
    }
    out
}

/// `registry|repository|tag|digest` with `-` for no tag or digest, or `!kind`.
fn fields(result: Result<Reference, oci_ref::Error>, input: &str) -> String {
    match result {
        Ok(r) => format!(
            "{}|{}|{}|{}",
            r.registry(),
            r.repository(),
            r.tag().unwrap_or("-"),
            r.digest().map_or("-".to_owned(), ToString::to_string)
        ),
        Err(err) => {
            assert_eq!(err.input(), input, "the error keeps the input");
            format!("!{}", err.kind().as_str())
        }
    }
}

/// [`Reference::parse_normalized`], also through `FromStr`.
#[track_caller]
fn check(input: &str, expected: &str) {
    let (input, expected) = (expand(input), expand(expected));
    assert_eq!(
        fields(Reference::parse_normalized(&input), &input),
        expected,
        "input {input:?}"
    );
    assert_eq!(
        fields(input.parse::<Reference>(), &input),
        expected,
        "FromStr of {input:?}"
    );
}

/// [`Reference::parse_raw`].
#[track_caller]
fn check_raw(input: &str, expected: &str) {
    let (input, expected) = (expand(input), expand(expected));
    assert_eq!(fields(Reference::parse_raw(&input), &input), expected, "raw {input:?}");
}

/// The canonical string and the familiar one of a normalized reference.
#[track_caller]
fn check_strings(input: &str, canonical: &str, familiar: &str) {
    let (input, canonical, familiar) = (expand(input), expand(canonical), expand(familiar));
    let reference = Reference::parse_normalized(&input).expect(&input);
    assert_eq!(reference.to_string(), canonical, "canonical of {input:?}");
    assert_eq!(reference.familiar(), familiar, "familiar of {input:?}");
    let familiar_name = reference.familiar_name();
    assert!(
        familiar.starts_with(familiar_name),
        "familiar name {familiar_name:?} of {input:?}"
    );
}

/// The string of a successful parse, or `!kind`.
fn shown<T: ToString>(result: Result<T, oci_ref::Error>) -> String {
    result.map_or_else(|err| format!("!{}", err.kind().as_str()), |value| value.to_string())
}

#[track_caller]
fn check_named(input: &str, expected: &str) {
    let (input, expected) = (expand(input), expand(expected));
    assert_eq!(shown(Reference::parse_named(&input)), expected, "named {input:?}");
}

#[track_caller]
fn check_docker_ref(input: &str, expected: &str) {
    let (input, expected) = (expand(input), expand(expected));
    assert_eq!(
        shown(Reference::parse_docker_ref(&input)),
        expected,
        "docker ref {input:?}"
    );
}

/// [`parse_any`]: `digest:<string>`, `named:<string>` or `!kind`.
#[track_caller]
fn check_any(input: &str, expected: &str) {
    let (input, expected) = (expand(input), expand(expected));
    let actual = match parse_any(&input) {
        Ok(AnyReference::Digest(digest)) => format!("digest:{digest}"),
        Ok(AnyReference::Named(reference)) => format!("named:{reference}"),
        Ok(other) => format!("other:{other}"),
        Err(err) => format!("!{}", err.kind().as_str()),
    };
    assert_eq!(actual, expected, "any {input:?}");
}

#[test]
fn docker_hub_defaults() {
    check("nginx", "docker.io|library/nginx|-|-");
    check("a", "docker.io|library/a|-|-");
    check("0", "docker.io|library/0|-|-");
    check("nginx:1.25", "docker.io|library/nginx|1.25|-");
    check("library/nginx", "docker.io|library/nginx|-|-");
    check("user/app", "docker.io|user/app|-|-");
    check("user/app/sub", "docker.io|user/app/sub|-|-");
    check("docker.io/nginx", "docker.io|library/nginx|-|-");
    check("docker.io/library/nginx", "docker.io|library/nginx|-|-");
    check("docker.io/user/app:v1", "docker.io|user/app|v1|-");
    check("index.docker.io/nginx", "docker.io|library/nginx|-|-");
    check("index.docker.io/user/app", "docker.io|user/app|-|-");
    check("docker.io/library", "docker.io|library/library|-|-");
    check("library", "docker.io|library/library|-|-");
    check("library/library", "docker.io|library/library|-|-");
    check("docker.io/library/foo/bar", "docker.io|library/foo/bar|-|-");
    // Only the exact names count as Docker Hub.
    check("docker.io:443/nginx", "docker.io:443|nginx|-|-");
    check("registry-1.docker.io/nginx", "registry-1.docker.io|nginx|-|-");
    check("DOCKER.IO/nginx", "DOCKER.IO|nginx|-|-");
    check("index.docker.io:443/nginx", "index.docker.io:443|nginx|-|-");
}

#[test]
fn domain_detection_at_the_first_slash() {
    check("localhost/foo", "localhost|foo|-|-");
    check("localhost:5000/foo", "localhost:5000|foo|-|-");
    check("localhost:5000/a/b:1.0", "localhost:5000|a/b|1.0|-");
    check("example.com/foo", "example.com|foo|-|-");
    check("example.com:5000/foo/bar:tag", "example.com:5000|foo/bar|tag|-");
    check("foo:5000/bar", "foo:5000|bar|-|-");
    check("a.b/c", "a.b|c|-|-");
    check("Foo/bar", "Foo|bar|-|-");
    check("A/b", "A|b|-|-");
    check("LOCALHOST/foo", "LOCALHOST|foo|-|-");
    check("EXAMPLE.com/foo", "EXAMPLE.com|foo|-|-");
    check("foo/bar", "docker.io|foo/bar|-|-");
    check("localhostx/foo", "docker.io|localhostx/foo|-|-");
    check("my-registry/foo", "docker.io|my-registry/foo|-|-");
    // No slash: the name is a Docker Hub repository, whatever it looks like.
    check("localhost", "docker.io|library/localhost|-|-");
    check("localhost:5000", "docker.io|library/localhost|5000|-");
    check("example.com", "docker.io|library/example.com|-|-");
    check("example.com:5000", "docker.io|library/example.com|5000|-");
    check("sha256:<H64>", "docker.io|library/sha256|<H64>|-");
}

#[test]
fn hosts_ports_and_ip_addresses() {
    check("a-b/c", "docker.io|a-b/c|-|-");
    check("a-b.com/c", "a-b.com|c|-|-");
    check("a--b.com/c", "a--b.com|c|-|-");
    check("-a.com/c", "!invalid_format");
    check("a-.com/c", "!invalid_format");
    check("a..b/c", "!invalid_format");
    check(".a/c", "!invalid_format");
    check("a./c", "!invalid_format");
    check("1.2.3.4/c", "1.2.3.4|c|-|-");
    check("127.0.0.1:5000/c", "127.0.0.1:5000|c|-|-");
    check("256.256.256.256/c", "256.256.256.256|c|-|-");
    check("999.1.1.1/c", "999.1.1.1|c|-|-");
    check("1.2.3/c", "1.2.3|c|-|-");
    check("a:0/c", "a:0|c|-|-");
    check("a:65536/c", "a:65536|c|-|-");
    check("a:00080/c", "a:00080|c|-|-");
    check("a:/c", "!invalid_format");
    check("a:x/c", "!invalid_format");
    check("a:1:2/c", "!invalid_format");
    check("[::1]/c", "[::1]|c|-|-");
    check("[::1]:5000/c", "[::1]:5000|c|-|-");
    check("[::]/c", "[::]|c|-|-");
    check("[:]/c", "[:]|c|-|-");
    check("[fe80::1]:5000/c:1", "[fe80::1]:5000|c|1|-");
    check("[2001:DB8::1]:443/c", "[2001:DB8::1]:443|c|-|-");
    check("[::ffff:1.2.3.4]/c", "!invalid_format");
    check("[fe80::1%eth0]/c", "!invalid_format");
    check("[g::1]/c", "!invalid_format");
    check("[]/c", "!invalid_format");
    check("[::1/c", "!invalid_format");
    check("[::1]:/c", "!invalid_format");
    check(
        &format!("{}.com/c", "a".repeat(300)),
        &format!("{}.com|c|-|-", "a".repeat(300)),
    );
    check(
        &format!("a:{}/c", "9".repeat(300)),
        &format!("a:{}|c|-|-", "9".repeat(300)),
    );
}

#[test]
fn an_invalid_host_that_is_a_valid_path_has_no_registry() {
    check("ex_ample.com/foo", "|ex_ample.com/foo|-|-");
    check("a.c_m/b", "|a.c_m/b|-|-");
    check("a.b__c/d:1", "|a.b__c/d|1|-");
    check("ex_ample.com/foo@sha256:<H64>", "|ex_ample.com/foo|-|sha256:<H64>");
    check("ex-.com/foo", "!invalid_format");
    check("ex_ample.com:5000/foo", "!invalid_format");
    check_named("ex_ample.com/foo", "ex_ample.com/foo");
}

#[test]
fn path_components_and_separators() {
    check("a.b", "docker.io|library/a.b|-|-");
    check("a_b", "docker.io|library/a_b|-|-");
    check("a__b", "docker.io|library/a__b|-|-");
    check("a-b", "docker.io|library/a-b|-|-");
    check("a--b", "docker.io|library/a--b|-|-");
    check("a-----b", "docker.io|library/a-----b|-|-");
    check("a.b-c_d__e", "docker.io|library/a.b-c_d__e|-|-");
    check("foo/bar.baz", "docker.io|foo/bar.baz|-|-");
    check("a___b", "!invalid_format");
    check("a..b", "!invalid_format");
    check("a._b", "!invalid_format");
    check("a-_b", "!invalid_format");
    check("a_-b", "!invalid_format");
    check("a.-b", "!invalid_format");
    check("_a", "!invalid_format");
    check("-a", "!invalid_format");
    check(".a", "!invalid_format");
    check("a-", "!invalid_format");
    check("a_", "!invalid_format");
    check("a.", "!invalid_format");
    check("/a", "!invalid_format");
    check("a/", "!invalid_format");
    check("a//b", "!invalid_format");
    check("foo/bar/", "!invalid_format");
    check("example.com/", "!invalid_format");
    check("example.com//a", "!invalid_format");
    check("a+b", "!invalid_format");
    check("a~b", "!invalid_format");
    check("a b", "!invalid_format");
}

#[test]
fn tags() {
    check("nginx:LATEST", "docker.io|library/nginx|LATEST|-");
    check("nginx:_x", "docker.io|library/nginx|_x|-");
    check("nginx:1.2-rc.3_b", "docker.io|library/nginx|1.2-rc.3_b|-");
    check("nginx:<a128>", "docker.io|library/nginx|<a128>|-");
    check("nginx:<a129>", "!invalid_format");
    check("nginx:", "!invalid_format");
    check("nginx::x", "!invalid_format");
    check("nginx:.x", "!invalid_format");
    check("nginx:-x", "!invalid_format");
    check("nginx:a+b", "!invalid_format");
    check("nginx:a~b", "!invalid_format");
    check("nginx:a:b", "!invalid_format");
    check("nginx:a/b", "!invalid_format");
    check("localhost:5000/nginx:a", "localhost:5000|nginx|a|-");
}

#[test]
fn digests() {
    check("nginx@sha256:<H64>", "docker.io|library/nginx|-|sha256:<H64>");
    check("nginx:1.25@sha256:<H64>", "docker.io|library/nginx|1.25|sha256:<H64>");
    check("nginx@sha384:<H96>", "docker.io|library/nginx|-|sha384:<H96>");
    check("nginx@sha512:<H128>", "docker.io|library/nginx|-|sha512:<H128>");
    check("localhost:5000/a@sha256:<H64>", "localhost:5000|a|-|sha256:<H64>");
    // Wrong length for a known algorithm.
    check("nginx@sha256:<H64>0", "!invalid_digest_length");
    check("nginx@sha256:<H32>", "!invalid_digest_length");
    check("nginx@sha512:<H64>", "!invalid_digest_length");
    check("nginx@sha384:<H64>", "!invalid_digest_length");
    // Right length, upper-case hex.
    check("nginx@sha256:<U64>", "!invalid_digest");
    // Well-formed algorithms that go-digest does not know.
    check("nginx@md5:<H32>", "!unsupported_digest");
    check("nginx@blake3:<H64>", "!unsupported_digest");
    check("nginx@sha256+b64u:<H64>", "!unsupported_digest");
    check("nginx@a.b+c_d-e:<H64>", "!unsupported_digest");
    check("nginx@x:<U64>", "!unsupported_digest");
    check(&format!("nginx@x:{}", "a".repeat(1000)), "!unsupported_digest");
    // The reference grammar's own digest syntax.
    check("nginx@sha3-256:<H64>", "!invalid_format");
    check("nginx@sha3_256:<H64>", "!invalid_format");
    check("nginx@9a:<H64>", "!invalid_format");
    check("nginx@a-:<H64>", "!invalid_format");
    check("nginx@:<H64>", "!invalid_format");
    check("nginx@sha256:abc", "!invalid_format");
    check("nginx@sha256:<H64>g", "!invalid_format");
    check("nginx@sha256:", "!invalid_format");
    check("nginx@sha256", "!invalid_format");
    check("nginx@", "!invalid_format");
    check("nginx@sha256:<H64>@sha256:<H64>", "!invalid_format");
    check("nginx@sha256:<H64>:tag", "!invalid_format");
    // An upper-case algorithm is part of the repository name Go checks for case.
    check("nginx@SHA256:<H64>", "!contains_uppercase");
    check("localhost/nginx@Sha512:<H128>", "!contains_uppercase");
    // ... but only up to the first `:`, so after a tag Parse sees it and go-digest refuses it.
    check("nginx:1@SHA256:<H64>", "!invalid_digest");
}

#[test]
fn the_64_hex_identifier() {
    check("<H64>", "!hex_identifier");
    check("<H64>0", "docker.io|library/<H64>0|-|-");
    check(&H64[1..], &format!("docker.io|library/{}|-|-", &H64[1..]));
    check("<U64>", "!contains_uppercase");
    check("<H64>:tag", "docker.io|library/<H64>|tag|-");
    check("foo/<H64>", "docker.io|foo/<H64>|-|-");
    check_raw("<H64>", "|<H64>|-|-");
}

#[test]
fn upper_case_and_unicode() {
    check("Nginx", "!contains_uppercase");
    check("nginX:latest", "!contains_uppercase");
    check("foo/Bar", "!contains_uppercase");
    check("Foo/Bar", "!contains_uppercase");
    check("example.com/Foo", "!contains_uppercase");
    check("localhost:5000/Foo:tag", "!contains_uppercase");
    // An upper-case registry that is not a host, but would be a path when lowercased.
    check("A_B/c", "!contains_uppercase");
    check("Foo_/bar", "!invalid_format");
    // Go's simple case mapping: these change under strings.ToLower.
    check("\u{130}stanbul", "!contains_uppercase");
    check("\u{212A}ube", "!contains_uppercase");
    check("École", "!contains_uppercase");
    check("foo/Σ", "!contains_uppercase");
    check("ǅ", "!contains_uppercase");
    check("\u{2C2F}", "!contains_uppercase");
    // ... these do not, so they are format errors.
    check("école", "!invalid_format");
    check("ß", "!invalid_format");
    check("ſ", "!invalid_format");
    check("\u{1C89}", "!invalid_format");
    check("日本", "!invalid_format");
    // The registry is upper case by Go's rules, and lowercases to a valid name.
    check("\u{212A}ube/foo", "!contains_uppercase");
    check("\u{130}.com/foo", "!contains_uppercase");
    check("É.com/foo", "!invalid_format");
}

#[test]
fn whitespace_and_control_characters() {
    check("", "!invalid_format");
    check(" nginx", "!invalid_format");
    check("nginx ", "!invalid_format");
    check("nginx\t", "!invalid_format");
    check("nginx\r", "!invalid_format");
    check("nginx\n", "!invalid_format");
    check("\u{feff}nginx", "!invalid_format");
    check("nginx\u{a0}", "!invalid_format");
    check("ngi\0nx", "!invalid_format");
    check("nginx:1 ", "!invalid_format");
    check("/", "!invalid_format");
    check(":", "!invalid_format");
    check("@", "!invalid_format");
    check(":tag", "!invalid_format");
    check("@sha256:<H64>", "!invalid_format");
}

#[test]
fn length_limits() {
    check("<a247>", "docker.io|library/<a247>|-|-");
    check("<a248>", "!name_too_long");
    check("foo/<a251>", "docker.io|foo/<a251>|-|-");
    check("foo/<a252>", "!name_too_long");
    check("example.com/<a255>", "example.com|<a255>|-|-");
    check("example.com/<a256>", "!name_too_long");
    check("example.com/<a100>/<a100>/<a53>", "example.com|<a100>/<a100>/<a53>|-|-");
    check("example.com/<a100>/<a100>/<a54>", "!name_too_long");
    // The domain does not count.
    check("<a300>.com/foo", "<a300>.com|foo|-|-");
    // Precedence: a format error beats a length error, a length error beats a digest error.
    check("<a300>:", "!invalid_format");
    check("<a300>@sha256:abc", "!invalid_format");
    check("<a300>@md5:<H32>", "!name_too_long");
    check("<a300>@sha256:<H32>", "!name_too_long");
    check_raw("<a255>", "|<a255>|-|-");
    check_raw("<a256>", "!name_too_long");
}

#[test]
fn raw_parsing_does_not_normalize() {
    check_raw("nginx", "|nginx|-|-");
    check_raw("foo/bar", "foo|bar|-|-");
    check_raw("foo/bar/baz", "foo|bar/baz|-|-");
    check_raw("docker.io/nginx", "docker.io|nginx|-|-");
    check_raw("index.docker.io/nginx", "index.docker.io|nginx|-|-");
    check_raw("localhost:5000", "|localhost|5000|-");
    check_raw("a_b/c", "|a_b/c|-|-");
    check_raw("nginx:1@sha256:<H64>", "|nginx|1|sha256:<H64>");
    check_raw("", "!name_empty");
    check_raw("Foo", "!contains_uppercase");
    check_raw("Foo/bar", "Foo|bar|-|-");
    check_raw("foo/Bar", "!contains_uppercase");
    check_raw("\u{130}stanbul", "!contains_uppercase");
    check_raw("\u{212A}ube", "!contains_uppercase");
    check_raw("École", "!invalid_format");
    check_raw("nginx@SHA256:<H64>", "!invalid_digest");
    check_raw("nginx@sha256:<U64>", "!invalid_digest");
    check_raw("NGINX@SHA256:<H64>", "!contains_uppercase");
    check_raw("a b", "!invalid_format");
}

#[test]
fn canonical_and_familiar_strings() {
    check_strings("nginx", "docker.io/library/nginx", "nginx");
    check_strings("nginx:1.25", "docker.io/library/nginx:1.25", "nginx:1.25");
    check_strings("docker.io/library/nginx", "docker.io/library/nginx", "nginx");
    check_strings("index.docker.io/user/app", "docker.io/user/app", "user/app");
    check_strings(
        "docker.io/library/foo/bar",
        "docker.io/library/foo/bar",
        "library/foo/bar",
    );
    check_strings("localhost/foo", "localhost/foo", "localhost/foo");
    check_strings(
        "localhost:5000/a/b:1.0",
        "localhost:5000/a/b:1.0",
        "localhost:5000/a/b:1.0",
    );
    check_strings("ex_ample.com/foo", "ex_ample.com/foo", "ex_ample.com/foo");
    check_strings(
        "nginx:1@sha256:<H64>",
        "docker.io/library/nginx:1@sha256:<H64>",
        "nginx:1@sha256:<H64>",
    );
    check_strings(
        "user/app@sha256:<H64>",
        "docker.io/user/app@sha256:<H64>",
        "user/app@sha256:<H64>",
    );
    check_strings("[::1]:5000/x", "[::1]:5000/x", "[::1]:5000/x");
    check_strings("Foo/bar:Tag", "Foo/bar:Tag", "Foo/bar:Tag");
}

#[test]
fn parse_named_wants_the_canonical_form() {
    check_named("docker.io/library/nginx", "docker.io/library/nginx");
    check_named(
        "docker.io/library/nginx:1@sha256:<H64>",
        "docker.io/library/nginx:1@sha256:<H64>",
    );
    check_named("localhost/foo", "localhost/foo");
    check_named("localhost:5000/a/b:1.0", "localhost:5000/a/b:1.0");
    check_named("nginx", "!name_not_canonical");
    check_named("docker.io/nginx", "!name_not_canonical");
    check_named("index.docker.io/library/nginx", "!name_not_canonical");
    check_named("library/nginx", "!name_not_canonical");
    check_named("user/app", "!name_not_canonical");
    check_named("Nginx", "!contains_uppercase");
    check_named("<H64>", "!hex_identifier");
    check_named("", "!invalid_format");
}

#[test]
fn docker_ref_drops_the_tag_or_adds_latest() {
    check_docker_ref("nginx", "docker.io/library/nginx:latest");
    check_docker_ref("nginx:1.25", "docker.io/library/nginx:1.25");
    check_docker_ref("nginx@sha256:<H64>", "docker.io/library/nginx@sha256:<H64>");
    check_docker_ref("nginx:1@sha256:<H64>", "docker.io/library/nginx@sha256:<H64>");
    check_docker_ref("localhost:5000/a", "localhost:5000/a:latest");
    check_docker_ref("ex_ample.com/foo:1@sha256:<H64>", "ex_ample.com/foo@sha256:<H64>");
    check_docker_ref("nginx:", "!invalid_format");
    check_docker_ref("<H64>", "!hex_identifier");
}

#[test]
fn with_default_tag_only_when_nothing_pins_the_image() {
    let tagged = |s: &str| {
        Reference::parse_normalized(&expand(s))
            .expect(s)
            .with_default_tag()
            .to_string()
    };
    assert_eq!(tagged("nginx"), "docker.io/library/nginx:latest");
    assert_eq!(tagged("nginx:1"), "docker.io/library/nginx:1");
    assert_eq!(
        tagged("nginx@sha256:<H64>"),
        expand("docker.io/library/nginx@sha256:<H64>")
    );
    assert_eq!(
        tagged("nginx:1@sha256:<H64>"),
        expand("docker.io/library/nginx:1@sha256:<H64>")
    );
    let r = Reference::parse_normalized("nginx").expect("valid").with_default_tag();
    assert_eq!(r.tag(), Some("latest"));
    assert_eq!(r.repository(), "library/nginx");
}

#[test]
fn parse_any_accepts_digests_and_image_ids() {
    check_any("<H64>", "digest:sha256:<H64>");
    check_any("sha256:<H64>", "digest:sha256:<H64>");
    check_any("sha384:<H96>", "digest:sha384:<H96>");
    check_any("sha512:<H128>", "digest:sha512:<H128>");
    check_any("nginx", "named:docker.io/library/nginx");
    check_any("sha256:<H64>0", "named:docker.io/library/sha256:<H64>0");
    check_any("sha256:abc", "named:docker.io/library/sha256:abc");
    check_any("md5:<H32>", "named:docker.io/library/md5:<H32>");
    check_any("<U64>", "!contains_uppercase");
    check_any("sha256:<U64>", "named:docker.io/library/sha256:<U64>");
    check_any("nginx@sha256:<H64>", "named:docker.io/library/nginx@sha256:<H64>");
    check_any("", "!invalid_format");
}

#[test]
fn getters_borrow_the_parts() {
    let r = Reference::parse_normalized(&expand("localhost:5000/a/b:1.0@sha256:<H64>")).expect("valid");
    assert_eq!(r.registry(), "localhost:5000");
    assert_eq!(r.repository(), "a/b");
    assert_eq!(r.name(), "localhost:5000/a/b");
    assert_eq!(r.tag(), Some("1.0"));
    assert_eq!(r.digest().map(|d| d.encoded()), Some(H64));
    assert_eq!(r.familiar_name(), "localhost:5000/a/b");
    let raw = Reference::parse_raw("nginx").expect("valid");
    assert_eq!(
        (raw.registry(), raw.name(), raw.familiar_name()),
        ("", "nginx", "nginx")
    );
    let hub = Reference::parse_normalized("user/app").expect("valid");
    assert_eq!((hub.name(), hub.familiar_name()), ("docker.io/user/app", "user/app"));
    assert_eq!(format!("{hub:?}"), "Reference(\"docker.io/user/app\")");
}

#[test]
fn equality_is_that_of_the_canonical_string() {
    let parse = |s: &str| Reference::parse_normalized(s).expect(s);
    assert_eq!(parse("nginx"), parse("docker.io/library/nginx"));
    assert_eq!(parse("index.docker.io/nginx"), parse("library/nginx"));
    assert_ne!(parse("nginx"), parse("nginx:latest"));
    assert_ne!(parse("localhost/foo"), parse("docker.io/localhost/foo"));
    assert_ne!(Reference::parse_raw("nginx").expect("valid"), parse("nginx"));
}
