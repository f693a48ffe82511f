//! The one [`Error`] of this crate and its [`ErrorKind`].

use std::fmt;

/// The longest part of an input that an error message quotes.
const QUOTE_LIMIT: usize = 100;

/// A string that is not a valid tag, shape, glob or jump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    input: Box<str>,
    reason: Option<&'static str>,
}

/// What is wrong with a string.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Not a tag as the distribution grammar defines it: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    InvalidTag,
    /// Not the shape of any tag (see [`Shape`](crate::Shape)).
    InvalidShape,
    /// An empty glob, which would match no tag.
    EmptyGlob,
    /// A `[` in a glob without its closing `]`.
    UnclosedClass,
    /// A class that holds no character: `[]` or `[!]`.
    EmptyClass,
    /// A range in a class whose end comes before its start, such as `[9-0]`.
    ReversedRange,
    /// A glob character that no tag has (such as `/`, `:` or a space), so the glob could never
    /// match; or a `]`, `!` or `^` outside the place a class gives it meaning.
    GlobCharacter,
    /// A jump that is not `major`, `minor`, `patch` or `build`.
    UnknownJump,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, input: &str) -> Self {
        Self {
            kind,
            input: input.into(),
            reason: None,
        }
    }

    pub(crate) fn with_reason(kind: ErrorKind, input: &str, reason: &'static str) -> Self {
        Self {
            kind,
            input: input.into(),
            reason: Some(reason),
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The string that was refused.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::InvalidTag => "tag",
            ErrorKind::InvalidShape => "tag shape",
            ErrorKind::UnknownJump => "jump",
            ErrorKind::EmptyGlob
            | ErrorKind::UnclosedClass
            | ErrorKind::EmptyClass
            | ErrorKind::ReversedRange
            | ErrorKind::GlobCharacter => "glob",
        };
        write!(f, "invalid {what} ")?;
        write_quoted(f, &self.input)?;
        f.write_str(": ")?;
        let default = match self.kind {
            ErrorKind::InvalidTag => "not a tag",
            ErrorKind::InvalidShape => "not the shape of any tag (a tag with each number replaced by `#`)",
            ErrorKind::EmptyGlob => "an empty glob matches no tag",
            ErrorKind::UnclosedClass => "a `[` has no closing `]`",
            ErrorKind::EmptyClass => "a class `[...]` must hold at least one character",
            ErrorKind::ReversedRange => "a range in `[...]` ends before it starts; write it low to high",
            ErrorKind::GlobCharacter => {
                "it has a character no tag has, so it would never match (tags have letters, digits, `_`, `.` \
                 and `-`; globs add `*`, `?` and `[...]` with `!` or `^` to negate)"
            }
            ErrorKind::UnknownJump => "expected major, minor, patch or build",
        };
        f.write_str(self.reason.unwrap_or(default))
    }
}

impl std::error::Error for Error {}

/// Writes `s` quoted and escaped, cut at [`QUOTE_LIMIT`] characters so that a huge input
/// cannot flood a log.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    match s.char_indices().nth(QUOTE_LIMIT) {
        None => write!(f, "{s:?}"),
        Some((cut, _)) => write!(f, "{:?}... ({} bytes)", &s[..cut], s.len()),
    }
}
