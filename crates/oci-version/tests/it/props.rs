//! Property tests: the order within a shape is total, shapes ignore which digits a number has,
//! nothing panics, text forms round-trip, globs agree with a naive matcher, and every answer of
//! `newer_candidates` keeps its rules.

use std::cmp::Ordering;

use oci_version::{Glob, Jump, Policy, Shape, Tag, newer_candidates};
use proptest::prelude::*;

use crate::newer::check_rules;

/// A number as tags write them: small ones (so that ties happen), zero-padded ones, and ones
/// longer than any integer type.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-3]{1,2}",
        2 => "0{1,3}[0-9]{1,2}",
        1 => "[0-9]{1,4}",
        1 => "[1-9][0-9]{19,40}",
    ]
}

/// Three tags of one shape: the same separators and suffix, their own numbers.
fn same_shape_triple() -> impl Strategy<Value = [String; 3]> {
    (1usize..5)
        .prop_flat_map(|count| {
            let separators = prop::collection::vec(prop::sample::select(vec![".", "-", "rc", "p", "-ls"]), count - 1);
            let suffix = prop::sample::select(vec!["", "-alpine", "-slim-bookworm"]);
            let prefix = prop::sample::select(vec!["", "v", "version-", "amd64-"]);
            let numbers = || prop::collection::vec(number(), count);
            (prefix, separators, suffix, [numbers(), numbers(), numbers()])
        })
        .prop_map(|(prefix, separators, suffix, numbers)| {
            numbers.map(|numbers| {
                let mut tag = prefix.to_owned();
                for (i, number) in numbers.iter().enumerate() {
                    if i > 0 {
                        tag.push_str(separators[i - 1]);
                    }
                    tag.push_str(number);
                }
                tag.push_str(suffix);
                tag
            })
        })
}

/// Tags whose letters cannot spell an architecture name: each of those has a digit right after
/// one of `c d g h i m s v x`, which this alphabet leaves out.
fn tag_without_architectures() -> impl Strategy<Value = String> {
    "[0-9abefjklnopqrtuwyzABEFJ_][0-9abefjklnopqrtuwyzABEFJ_.-]{0,80}"
}

/// Tags from a small alphabet, so that lists share shapes and numbers.
fn family_tag() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[0-2]{1,2}(\\.[0-2]{1,2}){0,3}(-alpine|-rc[0-2])?",
        1 => prop::sample::select(vec!["latest", "sha-1a2b3c4", "-bad", "1.0.0", "01.0.0"]).prop_map(String::from),
    ]
}

/// A glob that parses: tag characters, `*`, `?` and classes with ranges low to high.
fn glob_text() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        4 => "[a-z0-9._-]".prop_map(String::from),
        2 => Just("*".to_owned()),
        1 => Just("?".to_owned()),
        1 => (prop::sample::select(vec!["", "!", "^"]), prop::collection::vec((0u8..3, 0u8..3), 1..3)).prop_map(
            |(negation, ranges)| {
                let items: String = ranges
                    .into_iter()
                    .map(|(lo, width)| {
                        let lo = b'0' + lo;
                        format!("{}-{}", char::from(lo), char::from(lo + width))
                    })
                    .collect();
                format!("[{negation}{items}]")
            }
        ),
    ];
    prop::collection::vec(item, 1..8).prop_map(|items| items.concat())
}

/// The obvious recursive matcher, to check the iterative one against.
fn naive_match(glob: &[u8], text: &[u8]) -> bool {
    match glob.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| naive_match(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && naive_match(rest, &text[1..]),
        Some((b'[', rest)) => {
            let negated = matches!(rest.first(), Some(b'!' | b'^'));
            let rest = &rest[usize::from(negated)..];
            let close = rest.iter().position(|&b| b == b']').unwrap();
            let (class, rest) = (&rest[..close], &rest[close + 1..]);
            let Some((&first, text_rest)) = text.split_first() else {
                return false;
            };
            let in_class = class.chunks(3).any(|range| (range[0]..=range[2]).contains(&first));
            in_class != negated && naive_match(rest, text_rest)
        }
        Some((&byte, rest)) => text.first() == Some(&byte) && naive_match(rest, &text[1..]),
    }
}

proptest! {
    #[test]
    fn order_within_a_shape_is_total([a, b, c] in same_shape_triple()) {
        // Long digit runs can make a generated text longer than the 128 characters a tag may have.
        prop_assume!([&a, &b, &c].iter().all(|text| text.len() <= 128));
        let [a, b, c] = [a, b, c].map(|text| Tag::parse(&text).unwrap());
        prop_assert_eq!(a.shape(), b.shape());
        for (x, y) in [(&a, &b), (&b, &c), (&a, &c)] {
            let order = x.compare(y).unwrap();
            prop_assert_eq!(y.compare(x), Some(order.reverse()));
            prop_assert_eq!(order == Ordering::Equal, x == y);
            // The jump is named by the first number that differs in value, and only then.
            prop_assert_eq!(x.jump(y), y.jump(x));
            if x.jump(y).is_none() {
                prop_assert!(x.numbers().zip(y.numbers()).all(|(p, q)| p.trim_start_matches('0') == q.trim_start_matches('0')));
            }
        }
        let mut sorted = [&a, &b, &c];
        sorted.sort_by(|x, y| x.compare(y).unwrap());
        // Transitive: sorting gives a chain where every earlier tag is at most every later one.
        prop_assert!(sorted[0].compare(sorted[1]).unwrap().is_le());
        prop_assert!(sorted[1].compare(sorted[2]).unwrap().is_le());
        prop_assert!(sorted[0].compare(sorted[2]).unwrap().is_le());
    }

    #[test]
    fn shape_ignores_which_digits(text in tag_without_architectures(), seed in prop::collection::vec(0u8..10, 81)) {
        let tag = Tag::parse(&text).unwrap();
        let changed: String = text
            .bytes()
            .zip(&seed)
            .map(|(b, &digit)| char::from(if b.is_ascii_digit() { b'0' + digit } else { b }))
            .collect();
        let other = Tag::parse(&changed).unwrap();
        prop_assert_eq!(tag.shape(), other.shape());
        prop_assert!(tag.compare(&other).is_some());
        prop_assert_eq!(tag.numbers().len(), tag.shape().number_count());
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,140}") {
        match Tag::parse(&text) {
            Ok(tag) => {
                prop_assert_eq!(tag.to_string(), text.clone());
                prop_assert_eq!(tag.compare(&tag), Some(Ordering::Equal));
                let shape: Shape = tag.shape().to_string().parse().unwrap();
                prop_assert_eq!(&shape, tag.shape());
            }
            Err(err) => prop_assert_eq!(err.input(), text.as_str()),
        }
        match Glob::parse(&text) {
            Ok(glob) => prop_assert_eq!(glob.to_string(), text.clone()),
            Err(err) => prop_assert_eq!(err.input(), text.as_str()),
        }
        if let Ok(shape) = Shape::parse(&text) {
            prop_assert_eq!(shape.to_string(), text);
        }
    }

    #[test]
    fn tag_text_round_trips(text in "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}") {
        let tag: Tag = text.parse().unwrap();
        prop_assert_eq!(&tag.to_string(), &text);
        let shape: Shape = tag.shape().to_string().parse().unwrap();
        prop_assert_eq!(&shape, tag.shape());
        prop_assert_eq!(shape.number_count(), tag.numbers().len());
    }

    #[test]
    fn glob_round_trips_and_matches_like_the_naive_matcher(pattern in glob_text(), text in "[a-z0-9._-]{0,12}") {
        let glob: Glob = pattern.parse().unwrap();
        prop_assert_eq!(&glob.to_string(), &pattern);
        prop_assert_eq!(&pattern.parse::<Glob>().unwrap(), &glob);
        prop_assert_eq!(glob.matches(&text), naive_match(pattern.as_bytes(), text.as_bytes()));
    }

    #[test]
    fn newer_candidates_keep_the_rules(
        current in family_tag(),
        tags in prop::collection::vec(family_tag(), 0..20),
        max_jump in prop::sample::select(Jump::ALL.to_vec()),
        exclude in prop::option::of(glob_text()),
    ) {
        let Ok(current) = Tag::parse(&current) else { return Ok(()) };
        let mut policy = Policy::new().with_max_jump(max_jump);
        if let Some(exclude) = exclude {
            policy = policy.with_exclude(exclude.parse().unwrap());
        }
        let newer = newer_candidates(&current, tags.iter().map(String::as_str), &policy);
        check_rules("generated", &current, &tags, &policy, &newer);
    }
}

#[test]
fn jump_round_trips() {
    for jump in Jump::ALL {
        assert_eq!(jump.to_string().parse::<Jump>().unwrap(), jump);
    }
    assert!(Jump::Build < Jump::Patch && Jump::Patch < Jump::Minor && Jump::Minor < Jump::Major);
    assert!("Major".parse::<Jump>().is_err());
    assert!("".parse::<Jump>().is_err());
}
