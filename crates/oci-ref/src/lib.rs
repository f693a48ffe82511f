//! Image references (`registry/repository:tag@digest`), parsed exactly as
//! `github.com/distribution/reference` v0.6.0 reads them, with a nom grammar.
//!
//! Users paste references from compose files, Kubernetes manifests and documentation. A client
//! that reads `localhost:5000`, `Foo/bar`, `[::1]:5000/x` or `nginx:1.25@sha256:…` differently
//! from Docker pulls the wrong image or refuses one Docker accepts. So the key design decision
//! is fidelity: this crate accepts the same strings as the Go package Docker, containerd and
//! buildkit use, reports the same class of error, and produces the same fields, canonical and
//! familiar strings, quirks included (each one is documented where it shows). Committed vectors
//! produced by the Go package check that in `cargo test`.
//!
//! - [`Reference`]: a validated, normalized reference, with borrowed getters for its
//!   [registry](Reference::registry), [repository](Reference::repository),
//!   [tag](Reference::tag) and [digest](Reference::digest). Its [`FromStr`] follows Go's
//!   `ParseNormalizedNamed` (Docker Hub defaults added) and its [`Display`](fmt::Display) is the
//!   canonical, fully qualified form; [`Reference::familiar`] is the short form people write.
//!   The other Go entry points are [`Reference::parse_named`] (canonical input only),
//!   [`Reference::parse_raw`] (no normalization) and [`Reference::parse_docker_ref`] (the form
//!   used to pull).
//! - [`parse_any`] also accepts a bare digest or 64-hex image ID, giving an [`AnyReference`].
//! - [`Error`] quotes the input and says what is wrong; [`ErrorKind`] is the class.
//!
//! Parsing borrows the input while it checks it and then allocates once, for the canonical
//! string; the getters borrow from it. A reference with a digest allocates a second time,
//! because [`Reference::digest`] lends an [`oci_digest::Digest`], which owns its string. Errors
//! allocate too (they keep the input). The crate does no IO.
//!
//! ```
//! use oci_ref::{ErrorKind, Reference};
//!
//! let nginx: Reference = "nginx:1.25".parse()?;
//! assert_eq!(nginx.registry(), "docker.io");
//! assert_eq!(nginx.repository(), "library/nginx");
//! assert_eq!(nginx.tag(), Some("1.25"));
//! assert_eq!(nginx.to_string(), "docker.io/library/nginx:1.25");
//! assert_eq!(nginx.familiar(), "nginx:1.25");
//!
//! let local: Reference = "localhost:5000/team/app".parse()?;
//! assert_eq!((local.registry(), local.repository(), local.tag()), ("localhost:5000", "team/app", None));
//! assert_eq!(local.with_default_tag().to_string(), "localhost:5000/team/app:latest");
//!
//! let err = "Nginx".parse::<Reference>().unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::ContainsUppercase);
//! # Ok::<(), oci_ref::Error>(())
//! ```
//!
//! # Cargo features
//!
//! - `serde`: `Serialize` and `Deserialize` for [`Reference`] as its canonical string
//!   (deserializing normalizes, like [`FromStr`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

use oci_digest::Digest;

mod error;
mod grammar;
mod lower;
#[cfg(feature = "serde")]
mod serde_impl;

pub use error::{Error, ErrorKind};

use error::Detail;
use grammar::Parts;

/// The registry Docker uses when a reference names none.
const DEFAULT_DOMAIN: &str = "docker.io";
/// The old name of the Docker Hub registry, rewritten to [`DEFAULT_DOMAIN`].
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag [`Reference::with_default_tag`] adds.
const DEFAULT_TAG: &str = "latest";
/// The longest repository path, in bytes.
const PATH_MAX: usize = 255;

/// A valid image reference: `[registry "/"] repository [":" tag] ["@" digest]`.
///
/// Constructed only by parsing, so every value is valid. The registry is `docker.io` for
/// references parsed with normalization unless the input names another; it is empty only for
/// [`Reference::parse_raw`] of a name without a domain and for one quirk of Go's grammar (see
/// [`Reference::registry`]).
///
/// Equality and hashing are those of the canonical string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `[domain "/"] path [":" tag]`: the canonical string without the digest.
    repr: String,
    /// The length of the domain at the start of `repr` (0 when there is none).
    domain_len: usize,
    /// Where the path ends in `repr`; a tag follows after one `:` when `repr` is longer.
    path_end: usize,
    digest: Option<Digest>,
}

/// What [`parse_any`] found: a named reference, or a bare digest (Go's `ParseAnyReference`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A reference with a name (and perhaps a tag and digest).
    Named(Reference),
    /// A bare digest such as `sha256:<64 hex>`, or a 64-hex image ID read as a SHA-256 digest.
    Digest(Digest),
}

impl Reference {
    /// Parses a reference the way Docker reads user input (Go's `ParseNormalizedNamed`); the same
    /// as [`str::parse`].
    ///
    /// - A string of 64 lower-case hex digits is refused ([`ErrorKind::HexIdentifier`]).
    /// - The text before the first `/` is the registry if it is `localhost`, contains `.` or `:`,
    ///   or has an upper-case letter; otherwise the registry is `docker.io` and the whole string
    ///   is the repository. `index.docker.io` becomes `docker.io`.
    /// - A Docker Hub repository without `/` gets `library/` in front.
    /// - The repository (up to the first `:`) must be lower case, Unicode-aware as Go sees it
    ///   (simple case mapping, Go's Unicode 15.0 tables): `İstanbul` and `\u{212A}ube` (Kelvin
    ///   sign) are [`ErrorKind::ContainsUppercase`], `école` is [`ErrorKind::InvalidFormat`].
    ///
    /// So `localhost:5000` is the Docker Hub image `library/localhost` with tag `5000`, and
    /// `Foo/bar` is repository `bar` on the registry `Foo`.
    pub fn parse_normalized(s: &str) -> Result<Self, Error> {
        if grammar::is_identifier(s) {
            return Err(Error::new(ErrorKind::HexIdentifier, s, Detail::None));
        }
        let (domain, remainder, library) = split_docker_domain(s);
        if lower::changes(up_to_colon(remainder)) {
            return Err(Error::new(ErrorKind::ContainsUppercase, s, Detail::Repository));
        }
        // Go now parses `domain + "/" + [library/] + remainder`. A domain that is not valid
        // came from the input unchanged (docker.io is valid), so that string is `s` itself,
        // which Go's grammar then reads as a path without a domain.
        let parts = if domain == DEFAULT_DOMAIN || grammar::is_domain(domain) {
            grammar::remote(remainder).map(|parts| Parts { domain, ..parts })
        } else {
            grammar::remote(s)
        };
        match parts {
            Ok(parts) => Self::build(s, parts, library),
            Err(fail) => {
                let prefix = if library { OFFICIAL_REPO_PREFIX } else { "" };
                Err(grammar_error(s, &[domain, "/", prefix, remainder], fail))
            }
        }
    }

    /// Parses a reference that must already be in its canonical, fully qualified form (Go's
    /// `ParseNamed`): `docker.io/library/nginx` is accepted, `nginx` and `docker.io/nginx` are
    /// [`ErrorKind::NameNotCanonical`], and the message says how to write them.
    pub fn parse_named(s: &str) -> Result<Self, Error> {
        let reference = Self::parse_normalized(s)?;
        if reference.is_written_as(s) {
            Ok(reference)
        } else {
            Err(Error::new(ErrorKind::NameNotCanonical, s, Detail::Canonical))
        }
    }

    /// Parses a reference without normalization (Go's `Parse`): no Docker Hub defaults, no
    /// `library/`. The text before the first `/` is the registry whenever it is a valid host, so
    /// `foo/bar` has registry `foo`, and `nginx` has none (an empty [`registry`](Self::registry)).
    pub fn parse_raw(s: &str) -> Result<Self, Error> {
        if s.is_empty() {
            return Err(Error::new(ErrorKind::NameEmpty, s, Detail::None));
        }
        match grammar::split(s) {
            Ok(parts) => Self::build(s, parts, false),
            Err(fail) => Err(grammar_error(s, &[s], fail)),
        }
    }

    /// Parses a reference for pulling (Go's `ParseDockerRef`): normalized, then the tag is dropped
    /// when there is a digest (the digest decides what is pulled), and `latest` is added when
    /// there is neither.
    pub fn parse_docker_ref(s: &str) -> Result<Self, Error> {
        let mut reference = Self::parse_normalized(s)?;
        if reference.digest.is_some() {
            reference.repr.truncate(reference.path_end);
            Ok(reference)
        } else {
            Ok(reference.with_default_tag())
        }
    }

    /// The registry host and port (Go's `Domain()`), such as `docker.io` or `localhost:5000`.
    ///
    /// Empty for [`Reference::parse_raw`] of a name without a domain, and for a quirk of Go's
    /// grammar: when the text before the first `/` is taken as a registry but is not a valid
    /// host while the whole name is a valid path (`ex_ample.com/foo`), the reference has no
    /// registry and that whole name as its repository.
    pub fn registry(&self) -> &str {
        &self.repr[..self.domain_len]
    }

    /// The repository path (Go's `Path()`), such as `library/nginx`.
    pub fn repository(&self) -> &str {
        let start = if self.domain_len == 0 { 0 } else { self.domain_len + 1 };
        &self.repr[start..self.path_end]
    }

    /// The tag, if the reference has one; `None` is different from any tag, `latest` included.
    pub fn tag(&self) -> Option<&str> {
        self.repr.get(self.path_end + 1..)
    }

    /// The digest, if the reference has one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The registry and repository, `registry/repository` (Go's `Name()`); the repository alone
    /// when the registry is empty.
    pub fn name(&self) -> &str {
        &self.repr[..self.path_end]
    }

    /// The short form people write (Go's `FamiliarString`): without `docker.io/`, and without
    /// `library/` when no further `/` follows, such as `nginx:1.25`.
    ///
    /// Parsing it gives this reference back, except where Go's rules make the short form mean
    /// something else: a Docker Hub repository whose first component looks like a registry
    /// (`docker.io/localhost/foo`, `docker.io/foo.bar/baz`) or is 64 hex digits.
    pub fn familiar(&self) -> String {
        let name = self.familiar_name();
        let tag_len = self.tag().map_or(0, |tag| tag.len() + 1);
        let digest_len = self.digest.as_ref().map_or(0, |digest| digest.as_str().len() + 1);
        let mut familiar = String::with_capacity(name.len() + tag_len + digest_len);
        familiar.push_str(name);
        self.write_suffix(&mut familiar);
        familiar
    }

    /// The short form of the name (Go's `FamiliarName`), such as `nginx` or `user/app`.
    pub fn familiar_name(&self) -> &str {
        if self.registry() != DEFAULT_DOMAIN {
            return self.name();
        }
        let path = self.repository();
        match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(official) if !official.contains('/') => official,
            _ => path,
        }
    }

    /// Adds the tag `latest` when the reference has neither a tag nor a digest (Go's `TagNameOnly`).
    pub fn with_default_tag(mut self) -> Self {
        if self.tag().is_none() && self.digest.is_none() {
            self.repr.reserve_exact(1 + DEFAULT_TAG.len());
            self.repr.push(':');
            self.repr.push_str(DEFAULT_TAG);
        }
        self
    }

    /// The same reference without its digest (`app:1.2@sha256:…` becomes `app:1.2`): what a tag check looks at.
    #[must_use]
    pub fn without_digest(mut self) -> Self {
        self.digest = None;
        self
    }

    /// Checks the lengths and the digest of a grammatical reference and builds the value.
    fn build(input: &str, parts: Parts<'_>, library: bool) -> Result<Self, Error> {
        let prefix = if library { OFFICIAL_REPO_PREFIX } else { "" };
        let path_len = prefix.len() + parts.path.len();
        if path_len > PATH_MAX {
            return Err(Error::new(ErrorKind::NameTooLong, input, Detail::Length(path_len)));
        }
        let digest = match parts.digest {
            Some(digest) => Some(Digest::parse(digest).map_err(|err| digest_error(input, err))?),
            None => None,
        };
        let domain_len = parts.domain.len();
        let separator = if domain_len == 0 { "" } else { "/" };
        let tag_len = parts.tag.map_or(0, |tag| tag.len() + 1);
        let mut repr = String::with_capacity(domain_len + separator.len() + path_len + tag_len);
        repr.push_str(parts.domain);
        repr.push_str(separator);
        repr.push_str(prefix);
        repr.push_str(parts.path);
        let path_end = repr.len();
        if let Some(tag) = parts.tag {
            repr.push(':');
            repr.push_str(tag);
        }
        Ok(Self {
            repr,
            domain_len,
            path_end,
            digest,
        })
    }

    /// Whether `s` is exactly this reference's canonical string, without building that string.
    fn is_written_as(&self, s: &str) -> bool {
        let Some(rest) = s.strip_prefix(self.repr.as_str()) else {
            return false;
        };
        match &self.digest {
            None => rest.is_empty(),
            Some(digest) => rest.strip_prefix('@') == Some(digest.as_str()),
        }
    }

    /// Appends `[":" tag] ["@" digest]`.
    fn write_suffix(&self, out: &mut String) {
        if let Some(tag) = self.tag() {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest.as_str());
        }
    }
}

/// Parses a bare digest, a 64-hex image ID or a named reference (Go's `ParseAnyReference`).
///
/// 64 lower-case hex digits are the SHA-256 digest with that hex; a string `oci-digest` accepts
/// as a digest (`sha256:<64 hex>`) is that digest; anything else is parsed with
/// [`Reference::parse_normalized`].
pub fn parse_any(s: &str) -> Result<AnyReference, Error> {
    if grammar::is_identifier(s) {
        return Digest::parse(&format!("sha256:{s}"))
            .map(AnyReference::Digest)
            .map_err(|err| digest_error(s, err));
    }
    // Only these prefixes can make a valid digest; checking them first spares named references
    // the digest parser's error allocation.
    if ["sha256:", "sha384:", "sha512:"]
        .iter()
        .any(|prefix| s.starts_with(prefix))
    {
        if let Ok(digest) = Digest::parse(s) {
            return Ok(AnyReference::Digest(digest));
        }
    }
    Reference::parse_normalized(s).map(AnyReference::Named)
}

impl FromStr for Reference {
    type Err = Error;

    /// The same as [`Reference::parse_normalized`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse_normalized(s)
    }
}

impl fmt::Display for Reference {
    /// The canonical string (Go's `String()`): `registry/repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)?;
        if let Some(digest) = &self.digest {
            f.write_str("@")?;
            f.write_str(digest.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Reference").field(&self.to_string()).finish()
    }
}

impl FromStr for AnyReference {
    type Err = Error;

    /// The same as [`parse_any`].
    fn from_str(s: &str) -> Result<Self, Error> {
        parse_any(s)
    }
}

impl fmt::Display for AnyReference {
    /// The reference's canonical string, or the digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(reference) => reference.fmt(f),
            Self::Digest(digest) => digest.fmt(f),
        }
    }
}

/// Go's `splitDockerDomain`: the registry candidate, the rest, and whether `library/` goes in
/// front of the rest (a Docker Hub repository without `/`).
fn split_docker_domain(s: &str) -> (&str, &str, bool) {
    // Byte scans: every byte searched for is ASCII, and these strings are short.
    let Some(slash) = s.bytes().position(|b| b == b'/') else {
        return (DEFAULT_DOMAIN, s, true);
    };
    let (first, rest) = (&s[..slash], &s[slash + 1..]);
    let is_domain = first.bytes().any(|b| b == b'.' || b == b':') || first == "localhost" || lower::changes(first);
    if !is_domain {
        return (DEFAULT_DOMAIN, s, false);
    }
    let domain = if first == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        first
    };
    let library = domain == DEFAULT_DOMAIN && !rest.bytes().any(|b| b == b'/');
    (domain, rest, library)
}

/// The repository name Go's `ParseNormalizedNamed` checks for upper case, `library/` included:
/// the normalized remainder up to its first `:`.
pub(crate) fn go_remote_name(s: &str) -> String {
    let (_, remainder, library) = split_docker_domain(s);
    let prefix = if library { OFFICIAL_REPO_PREFIX } else { "" };
    format!("{prefix}{}", up_to_colon(remainder))
}

/// The text before the first `:`, or all of it.
fn up_to_colon(s: &str) -> &str {
    match s.bytes().position(|b| b == b':') {
        Some(colon) => &s[..colon],
        None => s,
    }
}

/// The error for a string the grammar refused: Go reports it as upper case when the
/// (Go-)lowercased string its grammar read, the concatenation of `parsed`, would have matched,
/// and as a format error otherwise.
fn grammar_error(input: &str, parsed: &[&str], fail: grammar::Fail<'_>) -> Error {
    // Lowering text that has no upper case gives the same text, which the grammar just refused,
    // so the second parse (and its allocation) is needed only when something changes.
    if parsed.iter().any(|piece| lower::changes(piece)) && grammar::split(&lower::to_lower(parsed)).is_ok() {
        return Error::new(ErrorKind::ContainsUppercase, input, Detail::None);
    }
    let offset = input.len().saturating_sub(fail.rest.len());
    Error::new(
        ErrorKind::InvalidFormat,
        input,
        Detail::At {
            offset,
            expected: fail.expected,
        },
    )
}

/// Maps `oci-digest`'s refusal to go-digest's three error values.
fn digest_error(input: &str, err: oci_digest::Error) -> Error {
    let kind = match err.kind() {
        oci_digest::ErrorKind::InvalidLength { .. } => ErrorKind::InvalidDigestLength,
        oci_digest::ErrorKind::UnsupportedAlgorithm => ErrorKind::UnsupportedDigest,
        _ => ErrorKind::InvalidDigest,
    };
    Error::new(kind, input, Detail::Digest(err))
}
