//! [`Tag`]: a parsed tag with its [`Shape`], its [`TagKind`] and its numbers.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{Error, ErrorKind, Jump};

/// The longest tag the distribution grammar allows.
pub const MAX_TAG_LEN: usize = 128;

/// A tag, parsed: its text, its [`Shape`], its numbers and whether it is a version at all.
///
/// Equality and hashing are those of the text. There is deliberately no `Ord`: tags of different
/// shapes do not compare, so use [`Tag::compare`].
#[derive(Clone)]
pub struct Tag {
    text: Box<str>,
    shape: Shape,
    /// Byte ranges of the numbers in `text`; a tag has at most 128 bytes, so `u8` fits.
    runs: Box<[(u8, u8)]>,
    kind: TagKind,
}

/// A tag with each number replaced by `#`: `1.27.3-alpine` has the shape `#.#.#-alpine`.
///
/// Only tags of the same shape compare. Digits inside an architecture name (`amd64`, `arm64v8`,
/// `s390x`, ...) are part of the name, not a number, so they stay in the shape:
/// `amd64-1.2.3` has the shape `amd64-#.#.#`.
///
/// [`FromStr`] accepts exactly the shapes of valid tags; [`Display`](fmt::Display) gives the text
/// back.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shape(Box<str>);

/// Whether a tag names a version, or is noise that is never a candidate.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TagKind {
    /// A tag with numbers to compare.
    Version,
    /// A tag that is never a newer version of anything.
    Noise(NoiseKind),
}

/// Why a tag is noise.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoiseKind {
    /// No number outside an architecture name: `latest`, `stable`, `alpine`, `arm64v8-latest`.
    /// Such a tag is rolling: see [`is_rolling`](crate::is_rolling).
    NoNumber,
    /// A cosign signature, attestation or SBOM: `sha256-<hex>.sig`, `.att`, `.sbom`.
    Cosign,
    /// The tag of the OCI referrers fallback: `<algorithm>-<hex>`, such as `sha256-<64 hex>`.
    Referrers,
    /// A commit hash: 7 to 64 lower-case hex characters with both digits and letters, alone or
    /// after `sha-` or `git-` (`1a2b3c4d`, `sha-1a2b3c4`). Its numbers say nothing about age.
    CommitHash,
}

impl Tag {
    /// Parses a tag; the same as [`str::parse`].
    ///
    /// Any tag the distribution grammar allows parses, versions and noise alike; see
    /// [`Tag::kind`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        check_tag_grammar(s)?;
        let bytes = s.as_bytes();
        let mut shape = String::with_capacity(s.len());
        let mut runs = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if starts_word(bytes, i) {
                if let Some(len) = architecture_at(bytes, i) {
                    shape.push_str(&s[i..i + len]);
                    i += len;
                    continue;
                }
            }
            if bytes[i].is_ascii_digit() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push((offset(start), offset(i)));
                shape.push('#');
            } else {
                shape.push(char::from(bytes[i]));
                i += 1;
            }
        }
        let kind = match noise(s, runs.is_empty()) {
            Some(noise) => TagKind::Noise(noise),
            None => TagKind::Version,
        };
        Ok(Self {
            text: s.into(),
            shape: Shape(shape.into_boxed_str()),
            runs: runs.into_boxed_slice(),
            kind,
        })
    }

    /// The text of the tag.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The shape: the tag with each number replaced by `#`.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Whether this tag is a version or noise.
    pub fn kind(&self) -> TagKind {
        self.kind
    }

    /// Whether this tag is a version, not noise.
    pub fn is_version(&self) -> bool {
        self.kind == TagKind::Version
    }

    /// The numbers of the tag, left to right, as written (leading zeros kept).
    pub fn numbers(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.runs
            .iter()
            .map(|&(start, end)| &self.text[usize::from(start)..usize::from(end)])
    }

    /// Orders two tags of the same shape; `None` for tags of different shapes.
    ///
    /// Numbers compare by value, left to right, however long they are: `1.2.10` is after `1.2.9`.
    /// Tags whose numbers are all equal in value but written with different leading zeros are
    /// still ordered, so that the order is total: at the first number written differently,
    /// the one with more leading zeros comes first (`1.02` before `1.2`). Two such tags are
    /// never candidates for each other (see [`Skip::SameVersion`](crate::Skip::SameVersion)).
    ///
    /// This is the order of tags written by people, not of time: see the crate documentation
    /// for the calendar-version trap.
    pub fn compare(&self, other: &Self) -> Option<Ordering> {
        if self.shape != other.shape {
            return None;
        }
        let by_value = self
            .numbers()
            .zip(other.numbers())
            .map(|(a, b)| compare_numbers(a, b))
            .find(|order| order.is_ne());
        let by_zeros = || {
            self.numbers()
                .zip(other.numbers())
                .map(|(a, b)| b.len().cmp(&a.len()))
                .find(|order| order.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        Some(by_value.unwrap_or_else(by_zeros))
    }

    /// How far apart two tags of the same shape are: named after the first number that differs
    /// in value (see [`Jump`]). `None` for tags of different shapes, and for tags whose numbers
    /// are all equal in value.
    pub fn jump(&self, other: &Self) -> Option<Jump> {
        if self.shape != other.shape {
            return None;
        }
        self.numbers()
            .zip(other.numbers())
            .position(|(a, b)| compare_numbers(a, b).is_ne())
            .map(Jump::at)
    }

    /// Whether this tag, with fewer numbers, could be a rolling alias of `other`.
    ///
    /// Each dotted number of this tag (`1.29` in `1.29-alpine`) must begin `other`'s dotted
    /// number at the same place, with the same text around them, and at least one must be
    /// shorter: `1.29` covers `1.29.3`, `16-alpine` covers `16.4-alpine`, `8` covers `8.1.2135`;
    /// `1.29` does not cover `1.30.0` nor `1.29.3-alpine`. A tag without numbers covers nothing
    /// by this rule (but is rolling anyway, see [`is_rolling`](crate::is_rolling)).
    pub fn covers(&self, other: &Self) -> bool {
        let (mine, my_tail) = self.dotted();
        let (theirs, their_tail) = other.dotted();
        if mine.len() != theirs.len() || my_tail != their_tail {
            return false;
        }
        let mut shorter = false;
        for ((my_text, my_numbers), (their_text, their_numbers)) in mine.iter().zip(&theirs) {
            if my_text != their_text
                || my_numbers.len() > their_numbers.len()
                || my_numbers
                    .iter()
                    .zip(their_numbers)
                    .any(|(a, b)| compare_numbers(a, b).is_ne())
            {
                return false;
            }
            shorter |= my_numbers.len() < their_numbers.len();
        }
        shorter
    }

    /// The dotted numbers (`1.29.3`) with the text before each, and the text after the last.
    fn dotted(&self) -> (Vec<(&str, Vec<&str>)>, &str) {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        let mut position = 0;
        for &(start, end) in &self.runs {
            let (start, end) = (usize::from(start), usize::from(end));
            let number = &self.text[start..end];
            let between = &self.text[position..start];
            match groups.last_mut() {
                Some((_, numbers)) if between == "." => numbers.push(number),
                _ => groups.push((between, vec![number])),
            }
            position = end;
        }
        (groups, &self.text[position..])
    }
}

impl FromStr for Tag {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tag").field(&&*self.text).finish()
    }
}

impl AsRef<str> for Tag {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

// The shape, numbers and kind are functions of the text.
impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Tag {}

impl Hash for Tag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl Shape {
    /// Parses a shape; the same as [`str::parse`]. Only the shape of some tag parses: `#` where
    /// a number was, digits only inside an architecture name, never `##`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::with_reason(ErrorKind::InvalidShape, s, reason);
        if !s
            .bytes()
            .all(|b| b == b'#' || b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(invalid(
                "a shape has only letters, `_`, `.`, `-`, and `#` for each number",
            ));
        }
        // The tag with a zero for each `#` has this shape exactly when this is a shape.
        let tag = Tag::parse(&s.replace('#', "0")).map_err(|_| invalid("no tag has this shape"))?;
        if *tag.shape.0 != *s {
            return Err(invalid(
                "no tag has this shape: a number is one `#`, and digits stand only inside architecture names",
            ));
        }
        Ok(tag.shape)
    }

    /// The text of the shape, such as `#.#.#-alpine`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How many numbers a tag of this shape has.
    pub fn number_count(&self) -> usize {
        self.0.bytes().filter(|&b| b == b'#').count()
    }
}

impl FromStr for Shape {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shape").field(&&*self.0).finish()
    }
}

impl AsRef<str> for Shape {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NoiseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoNumber => "no version number",
            Self::Cosign => "a cosign signature, attestation or SBOM",
            Self::Referrers => "a referrers fallback tag",
            Self::CommitHash => "a commit hash",
        })
    }
}

/// Compares two runs of ASCII digits by value, whatever their length: without leading zeros,
/// the longer is larger, and equal lengths compare digit by digit.
pub(crate) fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The distribution grammar for tags: `[\w][\w.-]{0,127}`.
fn check_tag_grammar(s: &str) -> Result<(), Error> {
    let invalid = |reason| Error::with_reason(ErrorKind::InvalidTag, s, reason);
    let Some(&first) = s.as_bytes().first() else {
        return Err(invalid("a tag cannot be empty"));
    };
    if s.len() > MAX_TAG_LEN {
        return Err(invalid("a tag has at most 128 characters"));
    }
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        return Err(invalid("a tag starts with a letter, a digit or `_`"));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(invalid("a tag has only letters, digits, `_`, `.` and `-`"));
    }
    Ok(())
}

/// A byte offset inside a tag, which has at most [`MAX_TAG_LEN`] bytes.
fn offset(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

/// Architecture names whose digits are part of the name. Lower case; matched ignoring case, as a
/// whole word (between the ends of the tag and characters that are not letters or digits).
const ARCHITECTURES: &[&str] = &[
    "aarch64", "amd64", "arm32v5", "arm32v6", "arm32v7", "arm64", "arm64v8", "armv5", "armv6", "armv7", "armv8",
    "i386", "i686", "loong64", "mips64", "mips64el", "mips64le", "ppc64", "ppc64el", "ppc64le", "riscv64", "s390x",
    "x86_64",
];

/// Whether a word can start at `i`: a letter after the start or a character that is neither a
/// letter nor a digit.
fn starts_word(bytes: &[u8], i: usize) -> bool {
    bytes[i].is_ascii_alphabetic() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
}

/// The length of the architecture name that is a whole word at `i`, if there is one.
fn architecture_at(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = &bytes[i..];
    ARCHITECTURES
        .iter()
        .map(|name| name.as_bytes())
        .find(|name| {
            rest.get(..name.len())
                .is_some_and(|word| word.eq_ignore_ascii_case(name))
                && rest.get(name.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
        })
        .map(<[u8]>::len)
}

/// Why a tag is noise, if it is.
fn noise(tag: &str, no_numbers: bool) -> Option<NoiseKind> {
    if let Some(kind) = digest_tag(tag) {
        return Some(kind);
    }
    if no_numbers {
        return Some(NoiseKind::NoNumber);
    }
    let hash = tag
        .strip_prefix("sha-")
        .or_else(|| tag.strip_prefix("git-"))
        .unwrap_or(tag);
    let commit = (7..=64).contains(&hash.len())
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && hash.bytes().any(|b| b.is_ascii_digit())
        && hash.bytes().any(|b| b.is_ascii_lowercase());
    commit.then_some(NoiseKind::CommitHash)
}

/// `<algorithm>-<hex>`, the referrers fallback tag, or with cosign's `.sig`, `.att` or `.sbom`.
///
/// The OCI distribution spec cuts the hex at 64 characters, so every algorithm has 64; a tag
/// with the algorithm's whole hex (96 for sha384) counts too.
fn digest_tag(tag: &str) -> Option<NoiseKind> {
    let (algorithm, rest) = tag.split_once('-')?;
    let full = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return None,
    };
    let (hex, kind) = match rest.split_once('.') {
        None => (rest, NoiseKind::Referrers),
        Some((hex, "sig" | "att" | "sbom")) => (hex, NoiseKind::Cosign),
        Some(_) => return None,
    };
    let hex_ok = (hex.len() == 64 || hex.len() == full) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex_ok.then_some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn shape(tag: &str) -> String {
        Tag::parse(tag).expect(tag).shape().to_string()
    }

    #[test]
    fn architecture_names_are_whole_words() {
        assert_eq!(shape("amd64-1.2.3"), "amd64-#.#.#");
        assert_eq!(shape("1.2.3-ARM64V8"), "#.#.#-ARM64V8");
        assert_eq!(shape("x86_64"), "x86_64");
        assert_eq!(shape("mips64el-1"), "mips64el-#");
        assert_eq!(shape("amd641"), "amd#");
        assert_eq!(shape("xamd64"), "xamd#");
        assert_eq!(shape("amd64v8"), "amd#v#");
    }

    #[test]
    fn numbers_keep_leading_zeros() {
        let tag = Tag::parse("2026-08-028").unwrap();
        assert_eq!(tag.numbers().collect::<Vec<_>>(), ["2026", "08", "028"]);
        assert_eq!(tag.shape().number_count(), 3);
    }

    #[test]
    fn compare_numbers_by_value() {
        assert_eq!(compare_numbers("10", "9"), Ordering::Greater);
        assert_eq!(compare_numbers("007", "7"), Ordering::Equal);
        assert_eq!(compare_numbers("000", "0"), Ordering::Equal);
        let huge = "9".repeat(40);
        assert_eq!(compare_numbers(&huge, &format!("1{}", "0".repeat(40))), Ordering::Less);
    }

    #[test]
    fn longest_tag() {
        assert!(Tag::parse(&"1".repeat(128)).is_ok());
        assert_eq!(Tag::parse(&"1".repeat(129)).unwrap_err().kind(), ErrorKind::InvalidTag);
        let tag = Tag::parse(&format!("{}a", "1".repeat(127))).unwrap();
        assert_eq!(tag.numbers().next().map(str::len), Some(127));
    }
}
