//! Content digests as the OCI image specification defines them.
//!
//! A [`Digest`] is `algorithm:encoded`, for example
//! `sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
//! It is only ever constructed valid: parsing checks the algorithm, the length and the alphabet
//! of the encoded part, and computing one hashes bytes with [ring]. Everything above this crate
//! (references, manifests, the registry client) can therefore hold a `Digest` without
//! re-checking it.
//!
//! The rules follow the reference implementation, `github.com/opencontainers/go-digest`:
//! `sha256`, `sha384` and `sha512` are supported and need 64, 96 and 128 lower-case hex
//! characters; any other algorithm that the grammar allows is refused as
//! [unsupported](ErrorKind::UnsupportedAlgorithm). Each way a string can be wrong has its own
//! [`ErrorKind`], and the error's message quotes the input.
//!
//! - [`Digest`]: the validated value, with [`FromStr`] and
//!   [`Display`](std::fmt::Display) that round-trip exactly, and a [short form](Digest::short).
//! - [`Digester`]: incremental hashing of data that arrives in pieces.
//! - [`Verifier`]: checks a stream against an expected digest and reports both digests on a
//!   [`Mismatch`].
//!
//! ```
//! use oci_digest::{Digest, Verifier};
//!
//! let digest: Digest = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".parse()?;
//! assert_eq!(digest, Digest::sha256(b"abc"));
//! assert_eq!(digest.short(), "ba7816bf8f01");
//!
//! let mut verifier = Verifier::new(digest);
//! verifier.update(b"a");
//! verifier.update(b"bc");
//! verifier.finish()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! - `serde`: `Serialize` and `Deserialize` for [`Digest`] and [`Algorithm`] as their string forms.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

mod digester;
mod error;
mod quote;
#[cfg(feature = "serde")]
mod serde_impl;

pub use digester::{Digester, Verifier};
pub use error::{Error, ErrorKind, Mismatch};

/// Helpers public only so that `oci-ref` and `oci-manifest` quote refused input as this crate does: **not** part of
/// the stable interface, and may change in any release (as rustls's `internal` module).
#[doc(hidden)]
pub mod internal {
    pub use crate::quote::{QUOTE_LIMIT, quote, write_quoted};
}

/// A hash algorithm that a [`Digest`] can use.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the algorithm registries use for nearly everything.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// A validated content digest, `algorithm:encoded`.
///
/// Equality, ordering and hashing are those of the string form.
#[derive(Clone)]
pub struct Digest {
    repr: Box<str>,
    algorithm: Algorithm,
}

impl Algorithm {
    /// Every supported algorithm, strongest last.
    pub const ALL: [Self; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    /// The name used in the string form, such as `sha256`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The length of the hash output in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The length of the encoded part of a digest: two hex characters per output byte.
    pub const fn encoded_len(self) -> usize {
        self.output_len() * 2
    }

    /// The algorithm with this exact (lower-case) name, if it is supported.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|algorithm| algorithm.name() == name)
    }

    fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            Self::Sha256 => &ring::digest::SHA256,
            Self::Sha384 => &ring::digest::SHA384,
            Self::Sha512 => &ring::digest::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses a supported algorithm name; a name the grammar allows but this crate does not
    /// implement is [`ErrorKind::UnsupportedAlgorithm`].
    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(algorithm) = Self::from_name(s) {
            Ok(algorithm)
        } else if is_algorithm_grammar(s) {
            Err(Error::new(ErrorKind::UnsupportedAlgorithm, s))
        } else {
            Err(Error::format(s, "not an algorithm name"))
        }
    }
}

impl Digest {
    /// Parses `algorithm:encoded`; the same as [`str::parse`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        let Some((name, encoded)) = s.split_once(':') else {
            return Err(Error::format(s, "expected `algorithm:encoded`, found no `:`"));
        };
        if name.is_empty() {
            return Err(Error::format(s, "the algorithm before `:` is empty"));
        }
        if encoded.is_empty() {
            return Err(Error::format(s, "the encoded part after `:` is empty"));
        }
        let Some(algorithm) = Algorithm::from_name(name) else {
            // go-digest: an algorithm it does not know is "unsupported" only when the whole
            // string fits the grammar; otherwise the string is malformed.
            return Err(if is_algorithm_grammar(name) && is_encoded_grammar(encoded) {
                Error::new(ErrorKind::UnsupportedAlgorithm, s)
            } else if name.bytes().any(|b| b.is_ascii_uppercase()) && is_algorithm_grammar(&name.to_ascii_lowercase()) {
                Error::format(s, "the algorithm must be lower case")
            } else {
                Error::format(s, "not a valid digest")
            });
        };
        if encoded.len() != algorithm.encoded_len() {
            return Err(Error::new(
                ErrorKind::InvalidLength {
                    algorithm,
                    found: encoded.len(),
                },
                s,
            ));
        }
        if !encoded.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::new(ErrorKind::InvalidHex, s));
        }
        if encoded.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(Error::new(ErrorKind::UppercaseHex, s));
        }
        Ok(Self {
            repr: s.into(),
            algorithm,
        })
    }

    /// Hashes `data` with `algorithm`.
    pub fn compute(algorithm: Algorithm, data: &[u8]) -> Self {
        Self::from_output(algorithm, ring::digest::digest(algorithm.ring(), data).as_ref())
    }

    /// Hashes `data` with SHA-256.
    pub fn sha256(data: &[u8]) -> Self {
        Self::compute(Algorithm::Sha256, data)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The encoded part after the `:`: lower-case hex.
    pub fn encoded(&self) -> &str {
        &self.repr[self.algorithm.name().len() + 1..]
    }

    /// The first 12 hex characters of the encoded part, as tools show digests to people.
    pub fn short(&self) -> &str {
        &self.encoded()[..12]
    }

    /// The whole string form, `algorithm:encoded`.
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// Checks that `data` hashes to this digest.
    pub fn verify(&self, data: &[u8]) -> Result<(), Mismatch> {
        let actual = Self::compute(self.algorithm, data);
        if actual == *self {
            Ok(())
        } else {
            Err(Mismatch::new(self.clone(), actual))
        }
    }

    /// Builds the digest from raw hash output; `output` has the algorithm's length.
    fn from_output(algorithm: Algorithm, output: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        debug_assert_eq!(output.len(), algorithm.output_len());
        let mut repr = String::with_capacity(algorithm.name().len() + 1 + algorithm.encoded_len());
        repr.push_str(algorithm.name());
        repr.push(':');
        for &byte in output {
            repr.push(char::from(HEX[usize::from(byte >> 4)]));
            repr.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self {
            repr: repr.into_boxed_str(),
            algorithm,
        }
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Digest").field(&&*self.repr).finish()
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.repr
    }
}

// The algorithm is a function of the string, so the string alone decides equality and order.
impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.repr == other.repr
    }
}

impl Eq for Digest {}

impl Hash for Digest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.repr.hash(state);
    }
}

impl PartialOrd for Digest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Digest {
    fn cmp(&self, other: &Self) -> Ordering {
        self.repr.cmp(&other.repr)
    }
}

/// `algorithm-component (algorithm-separator algorithm-component)*` with components `[a-z0-9]+`
/// and separators `[+._-]`, as in the OCI image spec.
fn is_algorithm_grammar(name: &str) -> bool {
    !name.is_empty()
        && name.split(['+', '.', '_', '-']).all(|component| {
            !component.is_empty() && component.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `[a-zA-Z0-9=_-]+`, the encoded part of the OCI grammar.
fn is_encoded_grammar(encoded: &str) -> bool {
    !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[track_caller]
    fn check_err(input: &str, expected: ErrorKind) {
        let err = Digest::parse(input).expect_err(input);
        assert_eq!(err.kind(), expected, "{input:?}: {err}");
        assert_eq!(err.input(), input);
    }

    #[test]
    fn accepts_supported_algorithms() {
        for algorithm in Algorithm::ALL {
            let input = format!("{}:{}", algorithm.name(), "0a".repeat(algorithm.output_len()));
            let digest = Digest::parse(&input).expect("valid digest");
            assert_eq!(digest.algorithm(), algorithm);
            assert_eq!(digest.to_string(), input);
            assert_eq!(digest.encoded().len(), algorithm.encoded_len());
        }
    }

    #[test]
    fn error_kinds() {
        let hex64 = "a".repeat(64);
        check_err("", ErrorKind::InvalidFormat);
        check_err("sha256", ErrorKind::InvalidFormat);
        check_err(":abc", ErrorKind::InvalidFormat);
        check_err("sha256:", ErrorKind::InvalidFormat);
        check_err(&format!("SHA256:{hex64}"), ErrorKind::InvalidFormat);
        check_err(&format!("sha 256:{hex64}"), ErrorKind::InvalidFormat);
        check_err(&format!("md5:{hex64}:x"), ErrorKind::InvalidFormat);
        check_err(&format!("sha256-:{hex64}"), ErrorKind::InvalidFormat);
        check_err(&format!("md5:{}", "a".repeat(32)), ErrorKind::UnsupportedAlgorithm);
        check_err(&format!("sha3-256:{hex64}"), ErrorKind::UnsupportedAlgorithm);
        check_err(&format!("blake3:{hex64}"), ErrorKind::UnsupportedAlgorithm);
        check_err(&format!("sha256+b64u:{hex64}"), ErrorKind::UnsupportedAlgorithm);
        check_err(
            "sha256:abc",
            ErrorKind::InvalidLength {
                algorithm: Algorithm::Sha256,
                found: 3,
            },
        );
        check_err(
            &format!("sha256:{hex64}0"),
            ErrorKind::InvalidLength {
                algorithm: Algorithm::Sha256,
                found: 65,
            },
        );
        check_err(
            &format!("sha512:{hex64}"),
            ErrorKind::InvalidLength {
                algorithm: Algorithm::Sha512,
                found: 64,
            },
        );
        check_err(&format!("sha256:{}", "A".repeat(64)), ErrorKind::UppercaseHex);
        check_err(&format!("sha256:{}", "g".repeat(64)), ErrorKind::InvalidHex);
        check_err(&format!("sha256:{}:", "a".repeat(63)), ErrorKind::InvalidHex);
        check_err(&format!("sha256:{}é", "a".repeat(62)), ErrorKind::InvalidHex);
    }

    #[test]
    fn messages_quote_the_input() {
        let err = Digest::parse("sha256:abc").expect_err("too short");
        assert_eq!(
            err.to_string(),
            r#"invalid digest "sha256:abc": sha256 needs 64 hex characters, found 3"#
        );
        let err = Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e").expect_err("unsupported");
        assert!(
            err.to_string().contains("unsupported digest algorithm \"md5\""),
            "{err}"
        );
        let long = "x".repeat(10_000);
        assert!(Digest::parse(&long).expect_err("long").to_string().len() < 300);
    }

    #[test]
    fn short_and_parts() {
        let digest = Digest::parse(EMPTY_SHA256).expect("valid");
        assert_eq!(digest.short(), "e3b0c44298fc");
        assert_eq!(digest.algorithm(), Algorithm::Sha256);
        assert_eq!(digest.encoded(), &EMPTY_SHA256[7..]);
        assert_eq!(format!("{digest:?}"), format!("Digest({EMPTY_SHA256:?})"));
    }

    #[test]
    fn verify_reports_both_digests() {
        let digest = Digest::sha256(b"abc");
        digest.verify(b"abc").expect("same data");
        let mismatch = digest.verify(b"abd").expect_err("other data");
        assert_eq!(mismatch.expected(), &digest);
        assert_eq!(mismatch.actual(), &Digest::sha256(b"abd"));
    }

    #[test]
    fn algorithm_from_str() {
        assert_eq!("sha384".parse::<Algorithm>().expect("known"), Algorithm::Sha384);
        assert_eq!(
            "md5".parse::<Algorithm>().expect_err("unknown").kind(),
            ErrorKind::UnsupportedAlgorithm
        );
        assert_eq!(
            "MD5".parse::<Algorithm>().expect_err("bad").kind(),
            ErrorKind::InvalidFormat
        );
    }
}
