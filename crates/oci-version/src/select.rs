//! Choosing among a repository's tags: [`newer_candidates`], [`group_by_shape`], and the
//! rolling-tag helpers [`is_rolling`] and [`rolling_candidates`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use crate::{Jump, NoiseKind, Policy, Shape, Skip, Tag, TagKind};

/// A tag newer than the current one, of its shape, within the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    tag: Tag,
    jump: Jump,
}

/// A tag that is not a candidate, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    tag: Box<str>,
    reason: Skip,
}

/// What [`newer_candidates`] found: every tag of the list is in exactly one of the two lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Newer {
    candidates: Vec<Candidate>,
    skipped: Vec<Skipped>,
}

/// The tags of `tags` newer than `current`, newest first, and why each other tag is not one.
///
/// A candidate is a version (not noise), let through by the policy's globs, of `current`'s
/// shape, larger in value ([`Tag::compare`]), and at most the policy's
/// [`max_jump`](Policy::max_jump) away. The others are skipped, in the order of `tags`, with the
/// first reason of [`Skip`] that applies. The current tag itself, when listed, is skipped as
/// [`Skip::SameVersion`]. A current tag that is not a version has no candidates.
///
/// ```
/// use oci_version::{Jump, Policy, Skip, Tag, newer_candidates};
///
/// let current: Tag = "1.27.3-alpine".parse()?;
/// let tags = ["1.27.3-alpine", "1.27.4-alpine", "1.28.0-alpine", "1.28.0", "1.28.0-alpine-slim", "mainline"];
/// let newer = newer_candidates(&current, tags, &Policy::new());
/// let found: Vec<(&str, Jump)> = newer.candidates().iter().map(|c| (c.tag().as_str(), c.jump())).collect();
/// assert_eq!(found, [("1.28.0-alpine", Jump::Minor), ("1.27.4-alpine", Jump::Patch)]);
/// assert_eq!(newer.skipped()[1].reason(), &Skip::OtherShape);
/// # Ok::<(), oci_version::Error>(())
/// ```
pub fn newer_candidates<'a>(current: &Tag, tags: impl IntoIterator<Item = &'a str>, policy: &Policy) -> Newer {
    let mut newer = Newer::default();
    let mut seen = HashSet::new();
    for text in tags {
        let verdict = if seen.insert(text) {
            Tag::parse(text)
                .map_err(|_| Skip::Invalid)
                .and_then(|tag| Ok((policy.judge(current, &tag)?, tag)))
        } else {
            Err(Skip::Duplicate)
        };
        match verdict {
            Ok((jump, tag)) => newer.candidates.push(Candidate { tag, jump }),
            Err(reason) => newer.skipped.push(Skipped {
                tag: text.into(),
                reason,
            }),
        }
    }
    // Candidates share the current tag's shape, where the order is total.
    newer
        .candidates
        .sort_by(|a, b| b.tag.compare(&a.tag).unwrap_or(Ordering::Equal));
    newer
}

/// The version tags of `tags` by shape, newest first within each shape; shapes in the order of
/// their text. Noise, invalid strings and repeats are left out.
///
/// ```
/// use oci_version::group_by_shape;
///
/// let groups = group_by_shape(["1.27.3", "1.27", "1.27.4-alpine", "1.28.0", "latest"]);
/// let shown: Vec<String> = groups
///     .iter()
///     .map(|(shape, tags)| format!("{shape}: {}", tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" ")))
///     .collect();
/// assert_eq!(shown, ["#.#: 1.27", "#.#.#: 1.28.0 1.27.3", "#.#.#-alpine: 1.27.4-alpine"]);
/// ```
pub fn group_by_shape<'a>(tags: impl IntoIterator<Item = &'a str>) -> BTreeMap<Shape, Vec<Tag>> {
    group(
        tags.into_iter()
            .filter_map(|text| Tag::parse(text).ok())
            .filter(Tag::is_version),
    )
}

/// Whether `current` is a rolling tag: one that moves from version to version, so that its
/// digest, not its text, says which version it is.
///
/// A tag without a number (`latest`, `stable`, `alpine`) always is. A version tag is when it
/// [covers](Tag::covers) one of the version tags of `tags`: `1.29` among `1.29.3`, `8` among
/// `8.1.2`, `16-alpine` among `16.4-alpine`. Other noise (a signature, a commit hash) is not.
pub fn is_rolling<'a>(current: &Tag, tags: impl IntoIterator<Item = &'a str>) -> bool {
    match current.kind() {
        TagKind::Noise(NoiseKind::NoNumber) => true,
        TagKind::Version => tags
            .into_iter()
            .filter_map(|text| Tag::parse(text).ok())
            .any(|tag| tag.is_version() && current.covers(&tag)),
        _ => false,
    }
}

/// For a rolling `current`, the version tags whose digest to compare with its digest, to learn
/// which version it is: the newest `per_shape` of each shape, shapes in the order of their text.
///
/// For a tag without a number that is every version tag; for a version tag, those it
/// [covers](Tag::covers) (for `1.29`: `1.29.3`, `1.29.2`, ..., never `1.30.0`). The policy's
/// globs apply; its maximum jump does not. Empty when `current` is not rolling.
///
/// ```
/// use oci_version::{Policy, Tag, rolling_candidates};
///
/// let tags = ["1.29", "1.29.0", "1.29.1", "1.29.2", "1.30.0", "1.29.2-alpine", "1.29-alpine"];
/// let current: Tag = "1.29".parse()?;
/// let compare_with = rolling_candidates(&current, tags, &Policy::new(), 2);
/// let shown: Vec<(&str, Vec<&str>)> =
///     compare_with.iter().map(|(shape, tags)| (shape.as_str(), tags.iter().map(|t| t.as_str()).collect())).collect();
/// assert_eq!(shown, [("#.#.#", vec!["1.29.2", "1.29.1"])]);
/// # Ok::<(), oci_version::Error>(())
/// ```
pub fn rolling_candidates<'a>(
    current: &Tag,
    tags: impl IntoIterator<Item = &'a str>,
    policy: &Policy,
    per_shape: usize,
) -> BTreeMap<Shape, Vec<Tag>> {
    let any_version = match current.kind() {
        TagKind::Noise(NoiseKind::NoNumber) => true,
        TagKind::Version => false,
        _ => return BTreeMap::new(),
    };
    let mut groups = group(
        tags.into_iter()
            .filter_map(|text| Tag::parse(text).ok())
            .filter(|tag| tag.is_version() && (any_version || current.covers(tag)) && policy.admits(tag).is_ok()),
    );
    for tags in groups.values_mut() {
        tags.truncate(per_shape);
    }
    groups.retain(|_, tags| !tags.is_empty());
    groups
}

impl Candidate {
    /// The newer tag.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// How far it is from the current tag.
    pub fn jump(&self) -> Jump {
        self.jump
    }
}

impl Skipped {
    /// The tag as listed (perhaps not a valid tag: see [`Skip::Invalid`]).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Why it is not a candidate.
    pub fn reason(&self) -> &Skip {
        &self.reason
    }
}

impl Newer {
    /// The candidates, newest first.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The newest candidate, if there is one.
    pub fn newest(&self) -> Option<&Candidate> {
        self.candidates.first()
    }

    /// The other tags, in the order they were listed, each with its reason.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

/// Groups tags by shape, newest first, without repeats.
fn group(tags: impl Iterator<Item = Tag>) -> BTreeMap<Shape, Vec<Tag>> {
    let mut groups: BTreeMap<Shape, Vec<Tag>> = BTreeMap::new();
    for tag in tags {
        groups.entry(tag.shape().clone()).or_default().push(tag);
    }
    for tags in groups.values_mut() {
        // One shape: a total order, where equal means the same text.
        tags.sort_by(|a, b| b.compare(a).unwrap_or(Ordering::Equal));
        tags.dedup();
    }
    groups
}
