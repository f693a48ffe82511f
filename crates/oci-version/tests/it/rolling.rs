//! The rolling-tags table in tests/data/rolling.txt.

use oci_version::{Tag, is_rolling, rolling_candidates};

use crate::{cases, policy, words};

#[test]
fn rolling_table() {
    for (context, line) in cases("rolling.txt") {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [head, tags, expected] = fields[..] else {
            panic!("{context}: expected `current per-shape [options] | tags | expected`")
        };
        let (head, policy) = policy(head);
        let [current, per_shape] = &head[..] else {
            panic!("{context}: a current tag and a number per shape")
        };
        let current = Tag::parse(current).unwrap_or_else(|err| panic!("{context}: {err}"));
        let per_shape: usize = per_shape.parse().unwrap();
        let tags = words(tags);
        let rolling = is_rolling(&current, tags.iter().map(String::as_str));
        let groups = rolling_candidates(&current, tags.iter().map(String::as_str), &policy, per_shape);
        let found = if !rolling {
            assert!(groups.is_empty(), "{context}: groups for a tag that does not roll");
            "not rolling".to_owned()
        } else if groups.is_empty() {
            "none".to_owned()
        } else {
            groups
                .iter()
                .map(|(shape, tags)| {
                    assert!(tags.len() <= per_shape, "{context}");
                    assert!(tags.iter().all(|tag| tag.shape() == shape), "{context}");
                    let tags: Vec<&str> = tags.iter().map(Tag::as_str).collect();
                    format!("{shape}={}", tags.join(","))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        assert_eq!(found, expected, "{context}");
    }
}

#[test]
fn covers_needs_fewer_numbers_and_the_same_text() {
    let covers = |a: &str, b: &str| Tag::parse(a).unwrap().covers(&Tag::parse(b).unwrap());
    assert!(covers("1.29", "1.29.3"));
    assert!(covers("1", "1.29.3"));
    assert!(covers("16-alpine", "16.4-alpine"));
    assert!(covers("01.29", "1.29.3"));
    assert!(!covers("1.29", "1.29"));
    assert!(!covers("1.29.3", "1.29"));
    assert!(!covers("1.29", "1.30.0"));
    assert!(!covers("1.29", "1.29.3-alpine"));
    assert!(!covers("16-alpine", "16.4-bookworm"));
    assert!(!covers("latest", "1.2.3"));
    assert!(!covers("2026-08", "2026-08-28"));
}

#[test]
fn group_by_shape_newest_first() {
    let groups = oci_version::group_by_shape(
        words("1.27.3 1.27.10 1.27.4 1.27.4 1.27 mainline 1.28 -bad 1.27.4-alpine sha-1a2b3c4")
            .iter()
            .map(String::as_str),
    );
    let shown: Vec<String> = groups
        .iter()
        .map(|(shape, tags)| {
            let tags: Vec<&str> = tags.iter().map(Tag::as_str).collect();
            format!("{shape}={}", tags.join(","))
        })
        .collect();
    assert_eq!(
        shown,
        [
            "#.#=1.28,1.27",
            "#.#.#=1.27.10,1.27.4,1.27.3",
            "#.#.#-alpine=1.27.4-alpine"
        ]
    );
}
