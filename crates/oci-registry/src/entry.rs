//! The text form of an image to check, `IMAGE[@DIGEST]` or `IMAGE DIGEST` (one argument, or one line of a list),
//! read into an [`UpdateRequest`] with a typed [`EntryError`] when it is not one, so every caller reads it alike.

use std::error::Error as StdError;
use std::fmt;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;

use crate::text::cut as quote;
use crate::verdict::UpdateRequest;

/// Why a text is not an image to check.
#[derive(Debug, Clone)]
pub struct EntryError {
    kind: EntryErrorKind,
    message: String,
    source: Option<std::sync::Arc<dyn StdError + Send + Sync>>,
}

/// The ways a text can fail to be an image to check.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryErrorKind {
    /// The image is not a reference, the text has more than two words, or it names two different digests.
    InvalidReference,
    /// The second word is not a digest.
    InvalidDigest,
    /// A digest without a tag: there is nothing to compare it with.
    NoTag,
}

impl EntryErrorKind {
    /// The kind as a word with underscores (`invalid_reference`, `invalid_digest`, `no_tag`), as JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidReference => "invalid_reference",
            Self::InvalidDigest => "invalid_digest",
            Self::NoTag => "no_tag",
        }
    }
}

impl EntryError {
    fn new(kind: EntryErrorKind, message: String) -> Self {
        Self {
            kind,
            message,
            source: None,
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> EntryErrorKind {
        self.kind
    }
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for EntryError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn StdError + 'static))
    }
}

impl UpdateRequest {
    /// Reads one image to check for `platform`: `IMAGE[@DIGEST]` or `IMAGE DIGEST` (surrounding whitespace
    /// ignored), where the digest is the one in use.
    ///
    /// ```
    /// use oci_registry::{EntryErrorKind, Platform, UpdateRequest};
    ///
    /// let digest = format!("sha256:{}", "1".repeat(64));
    /// let request = UpdateRequest::parse_entry(&format!("nginx:1.27 {digest}"), &Platform::host()).unwrap();
    /// assert_eq!(request.reference().to_string(), "docker.io/library/nginx:1.27");
    /// assert_eq!(request.current().map(|d| d.as_str()), Some(digest.as_str()));
    /// let err = UpdateRequest::parse_entry(&format!("nginx@{digest}"), &Platform::host()).unwrap_err();
    /// assert_eq!(err.kind(), EntryErrorKind::NoTag);
    /// ```
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong and how to write it.
    pub fn parse_entry(text: &str, platform: &Platform) -> Result<Self, EntryError> {
        let text = text.trim();
        let mut words = text.split_whitespace();
        let image = words.next().unwrap_or_default();
        let separate = words.next();
        if words.next().is_some() {
            return Err(EntryError::new(
                EntryErrorKind::InvalidReference,
                format!(
                    "`{}` has more than two words: write IMAGE[@DIGEST] or IMAGE DIGEST, one per line",
                    quote(text)
                ),
            ));
        }
        let reference = Reference::parse_normalized(image).map_err(|err| EntryError {
            message: format!(
                "`{}` is not an image reference ({err}); write it as [REGISTRY/]REPOSITORY[:TAG][@DIGEST]",
                quote(image)
            ),
            kind: EntryErrorKind::InvalidReference,
            source: Some(std::sync::Arc::new(err)),
        })?;
        let mut current = reference.digest().cloned();
        if let Some(separate) = separate {
            let digest = Digest::parse(separate).map_err(|err| {
                EntryError::new(
                    EntryErrorKind::InvalidDigest,
                    format!(
                        "`{}` is not a digest ({err}); write it as sha256:<64 hex digits>",
                        quote(separate)
                    ),
                )
            })?;
            if current.as_ref().is_some_and(|inline| *inline != digest) {
                return Err(EntryError::new(
                    EntryErrorKind::InvalidReference,
                    format!("`{}` names two different digests: keep one", quote(text)),
                ));
            }
            current = Some(digest);
        }
        if reference.tag().is_none() && current.is_some() {
            return Err(EntryError::new(
                EntryErrorKind::NoTag,
                format!(
                    "`{}` names a digest but no tag to compare it with: write {}:TAG@DIGEST",
                    quote(text),
                    reference.familiar_name()
                ),
            ));
        }
        Ok(Self::new(reference, current, platform.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    /// `text` parses to `reference` (canonical) and `current`, or fails with `Err(kind)`.
    fn check(text: &str, expected: Result<(&str, Option<&str>), EntryErrorKind>) {
        match (UpdateRequest::parse_entry(text, &Platform::host()), expected) {
            (Ok(request), Ok((reference, current))) => {
                assert_eq!(request.reference().to_string(), reference, "{text}");
                assert_eq!(request.current().map(Digest::as_str), current, "{text}");
            }
            (Err(err), Err(kind)) => assert_eq!(err.kind(), kind, "{text}: {err}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn entries() {
        use EntryErrorKind::{InvalidDigest, InvalidReference, NoTag};
        check("nginx", Ok(("docker.io/library/nginx:latest", None)));
        check("  nginx:1.25  ", Ok(("docker.io/library/nginx:1.25", None)));
        check(
            &format!("nginx:1.25@{D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25 {D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25\t{D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("nginx:1.25@{D1} {D1}"),
            Ok(("docker.io/library/nginx:1.25", Some(D1))),
        );
        check(
            &format!("localhost:5000/app:v1@{D2}"),
            Ok(("localhost:5000/app:v1", Some(D2))),
        );
        check(&format!("nginx:1.25@{D1} {D2}"), Err(InvalidReference));
        check(&format!("nginx@{D1}"), Err(NoTag));
        check("nginx:1.25 sha256:abc", Err(InvalidDigest));
        check("nginx:1.25 a b", Err(InvalidReference));
        check("NGINX", Err(InvalidReference));
        check("nginx:", Err(InvalidReference));
        check("http://nginx", Err(InvalidReference));
    }
}
