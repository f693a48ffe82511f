//! The newer-candidates table in tests/data/newer.txt, and the rules every answer keeps.

use std::cmp::Ordering;

use oci_version::{Jump, Newer, Policy, Skip, Tag, newer_candidates};

use crate::{cases, policy, reason_word, words};

#[test]
fn newer_table() {
    for (context, line) in cases("newer.txt") {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let (head, tags, expected, skips) = match fields[..] {
            [head, tags, expected] => (head, tags, expected, ""),
            [head, tags, expected, skips] => (head, tags, expected, skips),
            _ => panic!("{context}: expected `current [options] | tags | candidates [| skips]`"),
        };
        let (current, policy) = policy(head);
        let [current] = &current[..] else {
            panic!("{context}: one current tag")
        };
        let current = Tag::parse(current).unwrap_or_else(|err| panic!("{context}: {err}"));
        let tags = words(tags);
        let newer = newer_candidates(&current, tags.iter().map(String::as_str), &policy);

        let found: Vec<String> = newer
            .candidates()
            .iter()
            .map(|candidate| format!("{}:{}", candidate.tag(), candidate.jump()))
            .collect();
        let expected: Vec<String> = if expected == "none" {
            Vec::new()
        } else {
            words(expected)
        };
        assert_eq!(found, expected, "{context}");

        for skip in words(skips) {
            let (tag, reason) = skip.rsplit_once('=').unwrap_or_else(|| panic!("{context}: {skip}"));
            assert!(
                newer
                    .skipped()
                    .iter()
                    .any(|skipped| skipped.tag() == tag && reason_word(skipped.reason()) == reason),
                "{context}: {tag} should be skipped as {reason}; skipped: {:?}",
                newer.skipped()
            );
        }
        check_rules(&context, &current, &tags, &policy, &newer);
    }
}

/// What holds for every answer: each tag accounted for once, candidates newer, of the shape,
/// within the cap and newest first, and reasons that agree with the order.
pub(crate) fn check_rules(context: &str, current: &Tag, tags: &[String], policy: &Policy, newer: &Newer) {
    assert_eq!(
        newer.candidates().len() + newer.skipped().len(),
        tags.len(),
        "{context}"
    );
    // Skipped tags keep the order of the list: they are a subsequence of it.
    let mut skipped = newer.skipped().iter().peekable();
    for tag in tags {
        skipped.next_if(|skipped| skipped.tag() == tag);
    }
    assert!(skipped.next().is_none(), "{context}: skipped tags out of order");
    for candidate in newer.candidates() {
        let tag = candidate.tag();
        assert!(
            tags.iter().any(|listed| listed == tag.as_str()),
            "{context}: {tag} was not listed"
        );
        assert!(tag.is_version(), "{context}: {tag} is noise");
        assert_eq!(tag.shape(), current.shape(), "{context}: {tag}");
        assert_eq!(current.compare(tag), Some(Ordering::Less), "{context}: {tag}");
        assert_eq!(current.jump(tag), Some(candidate.jump()), "{context}: {tag}");
        assert!(candidate.jump() <= policy.max_jump(), "{context}: {tag}");
        assert_eq!(policy.judge(current, tag), Ok(candidate.jump()), "{context}: {tag}");
    }
    for pair in newer.candidates().windows(2) {
        assert_eq!(
            pair[0].tag().compare(pair[1].tag()),
            Some(Ordering::Greater),
            "{context}: not newest first"
        );
    }
    for skipped in newer.skipped() {
        if skipped.reason() == &Skip::Duplicate {
            assert!(tags.iter().filter(|tag| *tag == skipped.tag()).count() > 1, "{context}");
            continue;
        }
        let Ok(tag) = Tag::parse(skipped.tag()) else {
            assert_eq!(skipped.reason(), &Skip::Invalid, "{context}");
            continue;
        };
        match skipped.reason() {
            Skip::Older => assert_eq!(tag.compare(current), Some(Ordering::Less), "{context}: {tag}"),
            Skip::SameVersion => assert_eq!(tag.jump(current), None, "{context}: {tag}"),
            Skip::TooFar(jump) => {
                assert!(*jump > policy.max_jump(), "{context}: {tag}");
                assert_eq!(current.jump(&tag), Some(*jump), "{context}: {tag}");
            }
            Skip::OtherShape => assert!(
                !current.is_version() || tag.shape() != current.shape(),
                "{context}: {tag}"
            ),
            Skip::Noise(noise) => assert_eq!(tag.kind(), oci_version::TagKind::Noise(*noise), "{context}"),
            Skip::Excluded(glob) => assert!(glob.matches(tag.as_str()), "{context}: {tag}"),
            _ => {}
        }
    }
}

#[test]
fn newest_is_the_first_candidate() {
    let current = Tag::parse("1.2.3").unwrap();
    let newer = newer_candidates(&current, ["1.2.4", "1.3.0"], &Policy::new());
    assert_eq!(newer.newest().map(|c| c.tag().as_str()), Some("1.3.0"));
    assert_eq!(newer.newest().map(|c| c.jump()), Some(Jump::Minor));
    assert!(newer_candidates(&current, ["1.2.2"], &Policy::new()).newest().is_none());
}

#[test]
fn skip_reasons_read_well() {
    let shown: Vec<String> = [
        Skip::Noise(oci_version::NoiseKind::Cosign),
        Skip::Excluded("*-rc*".parse().unwrap()),
        Skip::TooFar(Jump::Major),
        Skip::OtherShape,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        shown,
        [
            "a cosign signature, attestation or SBOM",
            "excluded by `*-rc*`",
            "a major jump, more than allowed",
            "another shape",
        ]
    );
}
