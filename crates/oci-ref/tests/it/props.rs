//! Property tests: references generated from the grammar round-trip through their canonical and
//! familiar strings, normalizing is idempotent, and no string makes a parser panic.

use oci_ref::{AnyReference, Reference, parse_any};
use proptest::prelude::*;

/// A host name (mixed case, dashes inside labels), an IPv6 address or a well-known name, and
/// perhaps a port.
fn domain() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        4 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?){0,3}",
        1 => "[0-9]{1,3}(\\.[0-9]{1,3}){3}",
        // Without a `:` Docker would not take the brackets for a registry.
        1 => "\\[[0-9a-fA-F]{0,4}:[0-9a-fA-F:]{0,12}\\]",
        1 => "localhost|docker\\.io|index\\.docker\\.io",
    ];
    (host, proptest::option::of("[0-9]{1,5}")).prop_map(|(host, port)| match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// One to four path components of `[a-z0-9]` runs joined by separators.
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z0-9]{1,8}((\\.|_|__|-{1,3})[a-z0-9]{1,8}){0,3}", 1..5).prop_map(|parts| parts.join("/"))
}

fn tag() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
}

fn digest() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{64}".prop_map(|hex| format!("sha256:{hex}")),
        "[0-9a-f]{96}".prop_map(|hex| format!("sha384:{hex}")),
        "[0-9a-f]{128}".prop_map(|hex| format!("sha512:{hex}")),
    ]
}

/// A string the grammar accepts: `[domain "/"] path [":" tag] ["@" digest]`.
fn reference() -> impl Strategy<Value = String> {
    (
        proptest::option::of(domain()),
        path(),
        proptest::option::of(tag()),
        proptest::option::of(digest()),
    )
        .prop_map(|(domain, path, tag, digest)| {
            let mut s = domain.map(|d| format!("{d}/")).unwrap_or_default();
            s.push_str(&path);
            if let Some(tag) = tag {
                s.push(':');
                s.push_str(&tag);
            }
            if let Some(digest) = digest {
                s.push('@');
                s.push_str(&digest);
            }
            s
        })
}

/// Whether Go's rules read the familiar form as something else: a Docker Hub repository whose
/// first component looks like a registry, or whose familiar name is an image ID.
fn familiar_is_ambiguous(r: &Reference) -> bool {
    let first = r.familiar_name().split('/').next().unwrap_or_default();
    let looks_like_registry = r.familiar_name().contains('/') && (first.contains(['.', ':']) || first == "localhost");
    let image_id = r.familiar_name().len() == 64 && r.familiar_name().bytes().all(|b| b.is_ascii_hexdigit());
    r.registry() == "docker.io" && (looks_like_registry || image_id)
}

/// The round trips every successfully parsed, normalized reference must satisfy.
fn check_normalized(r: &Reference) -> Result<(), TestCaseError> {
    let canonical = r.to_string();
    prop_assert_eq!(
        &Reference::parse_normalized(&canonical).expect("parses"),
        r,
        "canonical {}",
        canonical
    );
    prop_assert_eq!(&Reference::parse_named(&canonical).expect("parses"), r);
    prop_assert_eq!(&Reference::parse_raw(&canonical).expect("parses"), r);
    prop_assert_eq!(
        &r.clone().with_default_tag().with_default_tag(),
        &r.clone().with_default_tag()
    );
    prop_assert!(canonical.starts_with(r.name()));
    prop_assert!(r.familiar().starts_with(r.familiar_name()));
    if !familiar_is_ambiguous(r) {
        prop_assert_eq!(
            &Reference::parse_normalized(&r.familiar()).expect("parses"),
            r,
            "familiar {}",
            r.familiar()
        );
    }
    if let Ok(AnyReference::Named(any)) = parse_any(&canonical) {
        prop_assert_eq!(&any, r);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_references_round_trip(s in reference()) {
        let r = Reference::parse_normalized(&s).expect("parses");
        check_normalized(&r)?;
        // The parts survive normalization.
        prop_assert!(s.contains(r.repository().trim_start_matches("library/")));
        if let Some(tag) = r.tag() {
            let with_colon = format!(":{tag}");
            prop_assert!(s.contains(&with_colon));
        }
        if let Some(digest) = r.digest() {
            let with_at = format!("@{digest}");
            prop_assert!(s.ends_with(&with_at));
        }
        // A reference with an explicit registry other than Docker Hub is already canonical.
        let first = s.split('/').next().unwrap_or_default();
        let explicit = s.contains('/')
            && (first.contains(['.', ':']) || first == "localhost" || first.bytes().any(|b| b.is_ascii_uppercase()));
        if explicit && first != "docker.io" && first != "index.docker.io" && r.registry() == first {
            prop_assert_eq!(r.to_string(), s.as_str());
        }
        // Pulling keeps the digest and drops the tag, or adds `latest`.
        let pull = Reference::parse_docker_ref(&s).expect("parses");
        prop_assert_eq!(pull.digest(), r.digest());
        prop_assert_eq!(pull.tag(), if r.digest().is_some() { None } else { Some(r.tag().unwrap_or("latest")) });
    }

    #[test]
    fn raw_references_round_trip(s in reference()) {
        let r = Reference::parse_raw(&s).expect("parses");
        prop_assert_eq!(r.to_string(), s);
        prop_assert_eq!(&Reference::parse_raw(&r.to_string()).expect("parses"), &r);
    }

    #[test]
    fn near_grammar_strings_never_panic(s in "[a-zA-Z0-9._:/@\\[\\]+-]{0,40}") {
        check_any_string(&s)?;
    }

    #[test]
    fn any_string_never_panics(s in "\\PC{0,60}") {
        check_any_string(&s)?;
    }
}

/// Whatever the parsers accept round-trips; whatever they refuse is a typed error naming the input.
fn check_any_string(s: &str) -> Result<(), TestCaseError> {
    match Reference::parse_normalized(s) {
        Ok(r) => check_normalized(&r)?,
        Err(err) => {
            prop_assert_eq!(err.input(), s);
            prop_assert!(!err.to_string().is_empty());
        }
    }
    if let Ok(r) = Reference::parse_raw(s) {
        prop_assert_eq!(r.to_string(), s);
    }
    if let Ok(r) = Reference::parse_named(s) {
        prop_assert_eq!(r.to_string(), s);
    }
    if let Ok(any) = parse_any(s) {
        prop_assert_eq!(&parse_any(&any.to_string()).expect("parses"), &any);
    }
    Ok(())
}
