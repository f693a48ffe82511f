//! Errors: a parse [`Error`] with its [`ErrorKind`], and the [`Mismatch`] of a failed verification.

use std::fmt;

use crate::quote::write_quoted;
use crate::{Algorithm, Digest};

/// A string that is not a valid digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    input: Box<str>,
    reason: Option<&'static str>,
}

/// What is wrong with a digest string.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The string is not `algorithm:encoded` as the OCI grammar defines it (no `:`, an empty
    /// part, characters the grammar does not allow, an upper-case algorithm).
    InvalidFormat,
    /// The string fits the grammar, but its algorithm is not `sha256`, `sha384` or `sha512`.
    UnsupportedAlgorithm,
    /// The encoded part does not have the length its algorithm needs.
    InvalidLength {
        /// The algorithm named by the string.
        algorithm: Algorithm,
        /// How many characters the encoded part has.
        found: usize,
    },
    /// The encoded part is hex but has upper-case letters; digests are lower-case hex.
    UppercaseHex,
    /// The encoded part has the right length but characters that are not hex digits.
    InvalidHex,
}

/// Data that did not hash to the digest it was expected to have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    expected: Digest,
    actual: Digest,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, input: &str) -> Self {
        Self {
            kind,
            input: input.into(),
            reason: None,
        }
    }

    pub(crate) fn format(input: &str, reason: &'static str) -> Self {
        Self {
            kind: ErrorKind::InvalidFormat,
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
        f.write_str("invalid digest ")?;
        write_quoted(f, &self.input)?;
        f.write_str(": ")?;
        match self.kind {
            ErrorKind::InvalidFormat => f.write_str(self.reason.unwrap_or("not a valid digest")),
            ErrorKind::UnsupportedAlgorithm => {
                let name = self.input.split(':').next().unwrap_or_default();
                f.write_str("unsupported digest algorithm ")?;
                write_quoted(f, name)?;
                f.write_str(" (supported: sha256, sha384, sha512)")
            }
            ErrorKind::InvalidLength { algorithm, found } => {
                write!(
                    f,
                    "{algorithm} needs {} hex characters, found {found}",
                    algorithm.encoded_len()
                )
            }
            ErrorKind::UppercaseHex => f.write_str("the hex must be lower case"),
            ErrorKind::InvalidHex => f.write_str("the encoded part has characters that are not hex digits"),
        }
    }
}

impl std::error::Error for Error {}

impl Mismatch {
    pub(crate) fn new(expected: Digest, actual: Digest) -> Self {
        Self { expected, actual }
    }

    /// The digest the data should have had.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// The digest the data had.
    pub fn actual(&self) -> &Digest {
        &self.actual
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "digest mismatch: expected {}, got {}", self.expected, self.actual)
    }
}

impl std::error::Error for Mismatch {}
