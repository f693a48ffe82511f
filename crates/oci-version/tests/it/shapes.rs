//! The shapes table in tests/data/shapes.txt: each tag's shape and kind.

use oci_version::{Shape, Tag, TagKind};

use crate::{cases, noise_word};

#[test]
fn shapes_table() {
    for (context, line) in cases("shapes.txt") {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [text, shape, kind] = fields[..] else {
            panic!("{context}: expected `tag | shape | kind`")
        };
        let tag = match Tag::parse(text) {
            Ok(tag) => tag,
            Err(err) => {
                assert_eq!(kind, "invalid", "{context}: {err}");
                assert_eq!(err.input(), text, "{context}");
                continue;
            }
        };
        assert_ne!(kind, "invalid", "{context}: parsed");
        assert_eq!(tag.shape().as_str(), shape, "{context}");
        let found = match tag.kind() {
            TagKind::Version => "version".to_owned(),
            TagKind::Noise(noise) => format!("noise:{}", noise_word(noise)),
            other => panic!("{context}: {other:?}"),
        };
        assert_eq!(found, kind, "{context}");
        // The shape's own text form round-trips, and counts the tag's numbers.
        let parsed: Shape = shape.parse().unwrap_or_else(|err| panic!("{context}: {err}"));
        assert_eq!(&parsed, tag.shape(), "{context}");
        assert_eq!(parsed.number_count(), tag.numbers().len(), "{context}");
        assert_eq!(tag.to_string(), text, "{context}");
    }
}

#[test]
fn only_shapes_of_tags_parse() {
    for bad in [
        "",
        "##",
        "#1",
        "1",
        "amd6#",
        "x86_#",
        "#/#",
        "-#",
        "#.#é",
        &"#".repeat(129),
    ] {
        assert!(Shape::parse(bad).is_err(), "{bad:?}");
    }
    for good in ["#", "#.#.#-alpine", "amd64-#", "latest", "_#", &"a#".repeat(64)] {
        assert_eq!(Shape::parse(good).unwrap().as_str(), good);
    }
}
