//! A policy line (a jump, `+GLOB` includes, `-GLOB` excludes, space separated), the current tag,
//! then the repository's tags, one a line. Nothing panics; every candidate is a version of the
//! current tag's shape, newer, within the policy, and candidates come newest first; every tag is
//! a candidate or skipped, once; groups and rolling candidates keep their promises.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use oci_version::{Glob, Jump, NoiseKind, Policy, Shape, Skip, Tag, TagKind, group_by_shape, is_rolling};
use oci_version::{newer_candidates, rolling_candidates};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let policy = policy(lines.next().unwrap_or_default());
    let current = lines.next().unwrap_or_default();
    let tags: Vec<&str> = lines.collect();

    for (shape, group) in &group_by_shape(tags.iter().copied()) {
        assert!(!group.is_empty());
        assert!(group.iter().all(|tag| tag.shape() == shape && tag.is_version()));
        for pair in group.windows(2) {
            assert_eq!(
                pair[0].compare(&pair[1]),
                Some(Ordering::Greater),
                "{shape}: not newest first"
            );
        }
    }

    let current = match Tag::parse(current) {
        Ok(tag) => tag,
        Err(err) => {
            assert_eq!(err.input(), current);
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    assert_eq!(current.to_string(), current.as_str());
    let shape: Shape = current.shape().to_string().parse().expect("a tag's shape parses");
    assert_eq!(&shape, current.shape());
    assert_eq!(shape.number_count(), current.numbers().len());

    let newer = newer_candidates(&current, tags.iter().copied(), &policy);
    assert_eq!(newer.candidates().len() + newer.skipped().len(), tags.len());
    for candidate in newer.candidates() {
        let tag = candidate.tag();
        assert!(tag.is_version(), "{tag} is noise");
        assert_eq!(tag.shape(), current.shape());
        assert_eq!(
            current.compare(tag),
            Some(Ordering::Less),
            "{tag} is not newer than {current}"
        );
        assert_eq!(current.jump(tag), Some(candidate.jump()));
        assert!(candidate.jump() <= policy.max_jump());
        assert!(!policy.exclude().iter().any(|glob| glob.matches(tag.as_str())));
        assert!(policy.include().is_empty() || policy.include().iter().any(|glob| glob.matches(tag.as_str())));
    }
    for pair in newer.candidates().windows(2) {
        assert_eq!(
            pair[0].tag().compare(pair[1].tag()),
            Some(Ordering::Greater),
            "not newest first"
        );
    }
    for skipped in newer.skipped() {
        let Ok(tag) = Tag::parse(skipped.tag()) else {
            assert!(matches!(skipped.reason(), Skip::Invalid | Skip::Duplicate));
            continue;
        };
        match skipped.reason() {
            Skip::Older => assert_eq!(tag.compare(&current), Some(Ordering::Less)),
            Skip::SameVersion => assert_eq!(current.jump(&tag), None),
            Skip::TooFar(jump) => assert!(*jump > policy.max_jump()),
            Skip::Noise(noise) => assert_eq!(tag.kind(), TagKind::Noise(*noise)),
            Skip::Excluded(glob) => assert!(glob.matches(tag.as_str())),
            _ => {}
        }
    }

    let rolling = rolling_candidates(&current, tags.iter().copied(), &policy, 3);
    if !is_rolling(&current, tags.iter().copied()) {
        assert!(rolling.is_empty());
    }
    let any_version = current.kind() == TagKind::Noise(NoiseKind::NoNumber);
    for (shape, group) in &rolling {
        assert!(!group.is_empty() && group.len() <= 3);
        for tag in group {
            assert!(tag.shape() == shape && tag.is_version());
            assert!(any_version || current.covers(tag), "{current} does not cover {tag}");
        }
    }
});

/// The policy line: a jump, `+GLOB` and `-GLOB`; what does not parse is left out, after checking
/// that its error quotes it.
fn policy(line: &str) -> Policy {
    let mut policy = Policy::new();
    for word in line.split(' ') {
        if let Ok(jump) = word.parse::<Jump>() {
            assert_eq!(jump.to_string(), word);
            policy = policy.with_max_jump(jump);
            continue;
        }
        let (pattern, include) = match (word.strip_prefix('+'), word.strip_prefix('-')) {
            (Some(pattern), _) => (pattern, true),
            (_, Some(pattern)) => (pattern, false),
            _ => continue,
        };
        match Glob::parse(pattern) {
            Ok(glob) => {
                assert_eq!(glob.to_string(), pattern);
                policy = if include {
                    policy.with_include(glob)
                } else {
                    policy.with_exclude(glob)
                };
            }
            Err(err) => {
                assert_eq!(err.input(), pattern);
                assert!(!err.to_string().is_empty());
            }
        }
    }
    policy
}
