//! The reference grammar of `github.com/distribution/reference` v0.6.0, written with nom.
//!
//! Go matches one anchored regular expression with an optional domain group tried first. The
//! domain cannot contain `/` and must be followed by one, so the only candidate for it is the
//! text before the first `/`; when that candidate is not a valid host (and port) the whole name
//! is read as a path. That is the one backtracking point of the regex, and [`split`] makes it
//! explicit. Every other choice in the grammar is decided by the next character, so the nom
//! parsers below are greedy and never backtrack further.
//!
//! All text handed to these parsers is a suffix of the caller's input, so the remaining input
//! of a [`Fail`] locates the offending byte in it.

use nom::branch::alt;
use nom::character::complete::{char, one_of};
use nom::combinator::{opt, recognize, verify};
use nom::error::{ErrorKind, ParseError};
use nom::multi::many0_count;
use nom::{IResult, Parser};

/// The longest tag the grammar allows.
pub(crate) const TAG_MAX: usize = 128;

/// The shortest hex part of a digest the reference grammar allows.
const DIGEST_HEX_MIN: usize = 32;

/// Where and why the grammar stopped matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fail<'a> {
    /// The input from the offending character on.
    pub(crate) rest: &'a str,
    /// What the grammar wanted there.
    pub(crate) expected: &'static str,
}

/// The pieces of a reference that matched the grammar, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// The host and port, or `""` when the name has no domain.
    pub(crate) domain: &'a str,
    /// The path (remote name).
    pub(crate) path: &'a str,
    /// The tag after `:`, without the `:`.
    pub(crate) tag: Option<&'a str>,
    /// The digest after `@`, without the `@`, checked against the reference grammar only.
    pub(crate) digest: Option<&'a str>,
}

type Res<'a, O> = IResult<&'a str, O, Fail<'a>>;

impl<'a> ParseError<&'a str> for Fail<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Self {
            rest: input,
            expected: "",
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// Matches a whole reference the way Go's `Parse` does: `[domain "/"] path [":" tag] ["@" digest]`.
pub(crate) fn split(s: &str) -> Result<Parts<'_>, Fail<'_>> {
    if let Some(slash) = s.find('/') {
        let domain = &s[..slash];
        if is_domain(domain) {
            return remote(&s[slash + 1..]).map(|parts| Parts { domain, ..parts });
        }
    }
    remote(s)
}

/// Matches `path [":" tag] ["@" digest]` to the end of `s`, with an empty domain.
pub(crate) fn remote(s: &str) -> Result<Parts<'_>, Fail<'_>> {
    match remote_parser(s) {
        Ok((_, parts)) => Ok(parts),
        Err(nom::Err::Error(fail) | nom::Err::Failure(fail)) => Err(fail),
        // Only streaming parsers report missing input; these are all complete ones.
        Err(nom::Err::Incomplete(_)) => Err(Fail {
            rest: "",
            expected: "more input",
        }),
    }
}

/// Whether `s` is exactly `host [":" port]`.
pub(crate) fn is_domain(s: &str) -> bool {
    matches!(domain_and_port(s), Ok(("", _)))
}

/// Whether `s` is exactly 64 lower-case hex digits, an image ID rather than a name.
pub(crate) fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn remote_parser(i: &str) -> Res<'_, Parts<'_>> {
    let (i, path) = path(i)?;
    let (i, tag) = match i.strip_prefix(':') {
        Some(rest) => tag_text(rest).map(|(i, tag)| (i, Some(tag)))?,
        None => (i, None),
    };
    let (i, digest) = match i.strip_prefix('@') {
        Some(rest) => digest_text(rest).map(|(i, digest)| (i, Some(digest)))?,
        None => (i, None),
    };
    if !i.is_empty() {
        return Err(nom::Err::Error(trailing(i, tag.is_some(), digest.is_some())));
    }
    Ok((
        i,
        Parts {
            domain: "",
            path,
            tag,
            digest,
        },
    ))
}

/// Explains the first character that no part of the grammar could take.
fn trailing(rest: &str, after_tag: bool, after_digest: bool) -> Fail<'_> {
    let expected = if after_digest {
        "the end of the reference after the digest's hex digits"
    } else if after_tag {
        if rest.bytes().next().is_some_and(is_tag_byte) {
            "at most 128 characters in the tag"
        } else {
            "`@digest` or the end after the tag (a tag has letters, digits, `_`, `.` and `-`)"
        }
    } else if rest.starts_with(['.', '_', '-']) {
        // Point after the separator, where the letter or digit is missing.
        let rest = separator(rest).map_or(rest, |(after, _)| after);
        return Fail {
            rest,
            expected: "a lowercase letter or digit after the separator (separators are `.`, `_`, `__` or dashes, and a path component cannot end with one)",
        };
    } else if let Some(after) = rest.strip_prefix('/') {
        return Fail {
            rest: after,
            expected: "a path component after `/`",
        };
    } else if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        "lowercase letters only in the repository path"
    } else {
        "`/`, `:tag`, `@digest` or the end after the repository path (lowercase letters, digits and separators)"
    };
    Fail { rest, expected }
}

/// Gives the errors of `parser` a reason when they have none yet.
fn expecting<'a, O>(
    expected: &'static str,
    mut parser: impl Parser<&'a str, Output = O, Error = Fail<'a>>,
) -> impl Parser<&'a str, Output = O, Error = Fail<'a>> {
    move |i: &'a str| {
        parser.parse(i).map_err(|err| {
            err.map(|mut fail| {
                if fail.expected.is_empty() {
                    fail.expected = expected;
                }
                fail
            })
        })
    }
}

/// `host [":" port]`, where host is a domain name or a bracketed IPv6 address.
fn domain_and_port(i: &str) -> Res<'_, &str> {
    recognize((
        alt((domain_name, ipv6_address)),
        opt((char(':'), ascii(1, usize::MAX, |b| b.is_ascii_digit()))),
    ))
    .parse(i)
}

/// Labels joined by single dots; IPv4 addresses are domain names made of digit labels.
fn domain_name(i: &str) -> Res<'_, &str> {
    recognize((domain_label, many0_count((char('.'), domain_label)))).parse(i)
}

/// `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn domain_label(i: &str) -> Res<'_, &str> {
    verify(
        ascii(1, usize::MAX, |b| b.is_ascii_alphanumeric() || b == b'-'),
        |label: &str| !label.starts_with('-') && !label.ends_with('-'),
    )
    .parse(i)
}

/// `[` hex digits and colons `]`; nothing else is allowed inside the brackets.
fn ipv6_address(i: &str) -> Res<'_, &str> {
    recognize((
        char('['),
        ascii(1, usize::MAX, |b| b.is_ascii_hexdigit() || b == b':'),
        char(']'),
    ))
    .parse(i)
}

/// Path components joined by single slashes.
fn path(i: &str) -> Res<'_, &str> {
    expecting(
        "a repository path component (lowercase letters and digits)",
        recognize((path_component, many0_count((char('/'), path_component)))),
    )
    .parse(i)
}

/// Runs of `[a-z0-9]` joined by exactly one separator: `.`, `_`, `__` or one or more `-`.
fn path_component(i: &str) -> Res<'_, &str> {
    recognize((alphanumeric, many0_count((separator, alphanumeric)))).parse(i)
}

fn alphanumeric(i: &str) -> Res<'_, &str> {
    ascii(1, usize::MAX, |b| b.is_ascii_lowercase() || b.is_ascii_digit()).parse(i)
}

/// `.`, `_`, `__` or one or more `-`, chosen by the first byte (`__` wins over `_`, because nom
/// does not backtrack into the separator when no letter or digit follows).
fn separator(i: &str) -> Res<'_, &str> {
    let len = match i.as_bytes() {
        [b'_', b'_', ..] => 2,
        [b'.' | b'_', ..] => 1,
        [b'-', ..] => i.bytes().take_while(|&b| b == b'-').count(),
        _ => return Err(nom::Err::Error(Fail::from_error_kind(i, ErrorKind::Tag))),
    };
    Ok((&i[len..], &i[..len]))
}

fn is_tag_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Between `min` and `max` bytes that satisfy `accept`, nom's `take_while_m_n` on bytes.
///
/// The grammar is ASCII: `accept` must refuse every byte above 0x7f, so the cut falls on a
/// character boundary and no UTF-8 needs decoding. A failure points at the start, where the
/// missing part begins.
fn ascii<'a>(
    min: usize,
    max: usize,
    accept: impl Fn(u8) -> bool,
) -> impl Parser<&'a str, Output = &'a str, Error = Fail<'a>> {
    move |i: &'a str| {
        let len = i.bytes().take(max).take_while(|&b| accept(b)).count();
        if len < min {
            Err(nom::Err::Error(Fail::from_error_kind(i, ErrorKind::TakeWhileMN)))
        } else {
            Ok((&i[len..], &i[..len]))
        }
    }
}

/// `[\w][\w.-]{0,127}`.
fn tag_text(i: &str) -> Res<'_, &str> {
    expecting(
        "a tag after `:`, starting with a letter, digit or `_`",
        recognize((
            ascii(1, 1, |b| b.is_ascii_alphanumeric() || b == b'_'),
            ascii(0, TAG_MAX - 1, is_tag_byte),
        )),
    )
    .parse(i)
}

/// `algorithm ":" hex{32,}` with algorithm components `[A-Za-z][A-Za-z0-9]*` joined by `[-_+.]`.
fn digest_text(i: &str) -> Res<'_, &str> {
    recognize((
        expecting(
            "a digest algorithm after `@`, such as `sha256`",
            (algorithm_component, many0_count((one_of("-_+."), algorithm_component))),
        ),
        expecting("`:` after the digest algorithm", char(':')),
        expecting(
            "at least 32 hex digits after the digest algorithm",
            ascii(DIGEST_HEX_MIN, usize::MAX, |b| b.is_ascii_hexdigit()),
        ),
    ))
    .parse(i)
}

fn algorithm_component(i: &str) -> Res<'_, &str> {
    recognize((
        ascii(1, 1, |b| b.is_ascii_alphabetic()),
        ascii(0, usize::MAX, |b| b.is_ascii_alphanumeric()),
    ))
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in [
            "a",
            "localhost",
            "a-b",
            "a--b",
            "A.B",
            "1.2.3.4",
            "999.999.1",
            "a:0",
            "a:00080",
            "[::1]",
            "[:]",
            "[fe80::1]:5000",
        ] {
            assert!(is_domain(ok), "{ok}");
        }
        for bad in [
            "", "-a", "a-", "a..b", ".a", "a.", "a:", "a:x", "[]", "[g::1]", "[::1", "a_b", "a:1:2", "é",
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn components() {
        for ok in ["a", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c__d_e"] {
            assert_eq!(path_component(ok), Ok(("", ok)), "{ok}");
        }
        for (bad, matched) in [("a___b", "a"), ("a..b", "a"), ("a._b", "a"), ("a-", "a"), ("a-_b", "a")] {
            assert_eq!(path_component(bad).map(|(_, m)| m), Ok(matched), "{bad}");
        }
    }

    #[test]
    fn failures_locate_the_offending_byte() {
        let fail = split("foo/Bar").expect_err("uppercase");
        assert_eq!(fail.rest, "Bar");
        let fail = split("foo:").expect_err("empty tag");
        assert_eq!(fail.rest, "");
        assert!(fail.expected.contains("tag"), "{fail:?}");
        let fail = split("foo@sha256:abc").expect_err("short digest");
        assert_eq!(fail.rest, "abc");
    }
}
