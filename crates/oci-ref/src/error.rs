//! The parse [`Error`] and its [`ErrorKind`].

use std::fmt;

use oci_digest::internal::write_quoted;

/// A string that is not a valid image reference (for the entry point that read it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    input: Box<str>,
    detail: Detail,
}

/// What is wrong with a reference, one class per error of `github.com/distribution/reference`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The string does not match the reference grammar: a character that is not allowed, an
    /// empty or malformed component, a tag longer than 128 characters, a malformed digest.
    InvalidFormat,
    /// The repository name has upper-case letters (Unicode-aware, as Go's `strings.ToLower`
    /// sees them), or the string would be valid if it were lower case.
    ContainsUppercase,
    /// The repository path is longer than 255 bytes (the domain does not count).
    NameTooLong,
    /// The string is empty ([`Reference::parse_raw`](crate::Reference::parse_raw) only; the
    /// normalizing parsers report an empty string as [`ErrorKind::InvalidFormat`]).
    NameEmpty,
    /// The string is 64 lower-case hex digits: an image ID, not a name. Use
    /// [`parse_any`](crate::parse_any) to accept it as a digest.
    HexIdentifier,
    /// A `sha256`, `sha384` or `sha512` digest with the wrong number of hex digits.
    InvalidDigestLength,
    /// A digest of a known algorithm with upper-case hex, or an algorithm with upper-case letters.
    InvalidDigest,
    /// A digest whose algorithm is well formed but not `sha256`, `sha384` or `sha512`.
    UnsupportedDigest,
    /// [`Reference::parse_named`](crate::Reference::parse_named) only: the reference is valid but
    /// not written in its canonical, fully qualified form.
    NameNotCanonical,
}

/// What the message says beyond the kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    None,
    /// The grammar stopped at byte `offset` of the input, wanting `expected`.
    At {
        offset: usize,
        expected: &'static str,
    },
    /// The message names the repository that must be lower case, as Go names it (with
    /// `library/` added); it is found again in the input when the message is written.
    Repository,
    /// The length of a repository path that is too long.
    Length(usize),
    /// The message names the canonical form the input should have been written in; the input
    /// is parsed again to write it.
    Canonical,
    /// Why `oci-digest` refused the digest.
    Digest(oci_digest::Error),
}

impl ErrorKind {
    /// The snake_case name of the kind, such as `"invalid_format"`, for machine-readable output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFormat => "invalid_format",
            Self::ContainsUppercase => "contains_uppercase",
            Self::NameTooLong => "name_too_long",
            Self::NameEmpty => "name_empty",
            Self::HexIdentifier => "hex_identifier",
            Self::InvalidDigestLength => "invalid_digest_length",
            Self::InvalidDigest => "invalid_digest",
            Self::UnsupportedDigest => "unsupported_digest",
            Self::NameNotCanonical => "name_not_canonical",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, input: &str, detail: Detail) -> Self {
        Self {
            kind,
            input: input.into(),
            detail,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The string that was refused, exactly as it was given.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = &*self.input;
        match self.kind {
            ErrorKind::InvalidFormat => {
                f.write_str("invalid reference format ")?;
                write_quoted(f, input)?;
                if let Detail::At { offset, expected } = self.detail {
                    write!(f, ": expected {expected} at byte {offset}, found ")?;
                    match input.get(offset..).and_then(|rest| rest.chars().next()) {
                        Some(c) => write!(f, "{c:?}")?,
                        None => f.write_str("the end")?,
                    }
                }
                Ok(())
            }
            ErrorKind::ContainsUppercase => {
                f.write_str("invalid reference format ")?;
                write_quoted(f, input)?;
                f.write_str(": repository name ")?;
                if let Detail::Repository = self.detail {
                    write_quoted(f, &crate::go_remote_name(input))?;
                    f.write_str(" ")?;
                }
                f.write_str("must be lowercase")?;
                if let Some((offset, c)) = input.char_indices().find(|&(_, c)| crate::lower::changes_char(c)) {
                    write!(f, " (found {c:?} at byte {offset})")?;
                }
                Ok(())
            }
            ErrorKind::NameTooLong => {
                f.write_str("invalid reference ")?;
                write_quoted(f, input)?;
                f.write_str(": repository name must not be more than 255 characters")?;
                if let Detail::Length(length) = self.detail {
                    write!(f, " (its path has {length} bytes, counting any `library/` added)")?;
                }
                Ok(())
            }
            ErrorKind::NameEmpty => {
                f.write_str("invalid reference \"\": repository name must have at least one component")
            }
            ErrorKind::HexIdentifier => {
                f.write_str("invalid repository name ")?;
                write_quoted(f, input)?;
                f.write_str(": cannot specify 64-byte hexadecimal strings (an image ID is not a name)")
            }
            ErrorKind::InvalidDigestLength | ErrorKind::InvalidDigest | ErrorKind::UnsupportedDigest => {
                f.write_str("invalid reference ")?;
                write_quoted(f, input)?;
                match &self.detail {
                    Detail::Digest(err) => write!(f, ": {err}"),
                    _ => write!(f, ": {}", self.kind),
                }
            }
            ErrorKind::NameNotCanonical => {
                f.write_str("reference ")?;
                write_quoted(f, input)?;
                f.write_str(" is not canonical")?;
                if let (Detail::Canonical, Ok(canonical)) = (&self.detail, crate::Reference::parse_normalized(input)) {
                    f.write_str("; write it as ")?;
                    write_quoted(f, &canonical.to_string())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.detail {
            Detail::Digest(err) => Some(err),
            _ => None,
        }
    }
}
