//! The parse [`Error`] with its [`ErrorKind`], and the [`NoMatch`] of a platform selection.

use std::fmt;

pub(crate) use oci_digest::internal::quote;

use crate::Platform;

/// A manifest, image config or platform that could not be parsed.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What is wrong with the input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The body is larger than [`ParseOptions::max_size`](crate::ParseOptions::max_size); it was
    /// refused before parsing.
    TooLarge,
    /// The body is not JSON, or not a JSON object.
    InvalidJson,
    /// A Docker schema 1 manifest (by its media type or by `schemaVersion: 1`). It is obsolete,
    /// and this crate does not support it: ask the registry for schema 2 or OCI instead.
    Schema1,
    /// `schemaVersion` is missing or is not 2.
    SchemaVersion,
    /// The declared `mediaType` is not a manifest or index type this crate knows.
    UnknownMediaType,
    /// The document's `mediaType` contradicts the `Content-Type` it was served with.
    MediaTypeMismatch,
    /// There is no known `Content-Type` and no `mediaType`, and the document has neither
    /// `manifests` (an index) nor `config`/`layers` (a manifest).
    UnknownShape,
    /// The document has the fields of both an index and a manifest, or the fields of the other
    /// kind than its type says; such documents can be read differently by different tools.
    Ambiguous,
    /// A required field is missing (or `null`).
    MissingField,
    /// A descriptor's `digest` is not a valid digest.
    InvalidDigest,
    /// A descriptor's `size` is negative.
    NegativeSize,
    /// A field has the wrong JSON type or an invalid value.
    InvalidField,
    /// A platform specifier is not `os[(os.version)]/arch[/variant]`.
    InvalidPlatform,
}

/// No entry of an index fits the wanted platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoMatch {
    // Boxed to keep `Result<&Descriptor, NoMatch>` small.
    inner: Box<(Platform, Vec<Platform>)>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What is wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl NoMatch {
    pub(crate) fn new(wanted: Platform, available: Vec<Platform>) -> Self {
        Self {
            inner: Box::new((wanted, available)),
        }
    }

    /// The platform that was asked for.
    pub fn wanted(&self) -> &Platform {
        &self.inner.0
    }

    /// The platforms the index offers, in its order, without attestation manifests.
    pub fn available(&self) -> &[Platform] {
        &self.inner.1
    }
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no manifest for platform {} in the index; ", self.wanted())?;
        if self.available().is_empty() {
            return f.write_str("it lists no platforms");
        }
        f.write_str("it has ")?;
        for (i, platform) in self.available().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{platform}")?;
        }
        Ok(())
    }
}

impl std::error::Error for NoMatch {}
