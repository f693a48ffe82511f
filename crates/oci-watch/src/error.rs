//! [`Error`]: a string that is not a duration, timestamp, key or name of this crate.

use std::fmt;

/// The longest part of an input that an error message quotes.
const QUOTE_LIMIT: usize = 100;

/// A string that does not parse as the type asked for; [`ErrorKind`] says which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    input: Box<str>,
}

/// What a refused string was meant to be, or why it is refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Not a duration: numbers each followed by `d`, `h`, `m` or `s`, in that order (`1h30m`).
    InvalidDuration,
    /// A duration shorter than one second or longer than 365 days.
    DurationOutOfRange,
    /// Not an RFC 3339 time between the years 1 and 9999.
    InvalidTimestamp,
    /// Not the string form of a workload key (five `|`-separated fields, `%`-escaped).
    InvalidWorkloadKey,
    /// Not an event key (`KIND|DETAIL|WORKLOAD`).
    InvalidEventKey,
    /// A target id that is empty, longer than 128 bytes, or has characters other than ASCII
    /// letters, digits, `-`, `_`, `.` and `:`.
    InvalidTargetId,
    /// A host name that is empty, longer than 253 bytes, or holds a control character.
    InvalidHostName,
    /// Not one of the status, jump or event kind words.
    UnknownWord,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, input: &str) -> Self {
        Self {
            kind,
            input: input.into(),
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
            ErrorKind::InvalidDuration => "invalid duration",
            ErrorKind::DurationOutOfRange => "duration out of range",
            ErrorKind::InvalidTimestamp => "invalid RFC 3339 time",
            ErrorKind::InvalidWorkloadKey => "invalid workload key",
            ErrorKind::InvalidEventKey => "invalid event key",
            ErrorKind::InvalidTargetId => "invalid target id",
            ErrorKind::InvalidHostName => "invalid host name",
            ErrorKind::UnknownWord => "unknown word",
        };
        f.write_str(what)?;
        f.write_str(" `")?;
        for (count, c) in self.input.chars().enumerate() {
            if count == QUOTE_LIMIT {
                f.write_str("...")?;
                break;
            }
            write!(f, "{}", c.escape_debug())?;
        }
        f.write_str("`")?;
        let hint = match self.kind {
            ErrorKind::InvalidDuration => "; write it like 30s, 15m, 6h, 1d or 1h30m",
            ErrorKind::DurationOutOfRange => "; use 1s to 365d",
            ErrorKind::InvalidTimestamp => "; write it like 2026-12-07T10:00:00Z",
            _ => "",
        };
        f.write_str(hint)
    }
}

impl std::error::Error for Error {}
