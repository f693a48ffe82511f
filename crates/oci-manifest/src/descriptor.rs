//! [`Descriptor`]: what a manifest says about another piece of content.

use std::collections::BTreeMap;

use oci_digest::Digest;
use serde::{Deserialize, Serialize};

use crate::media_type::annotation;
use crate::{Platform, nullable};

/// A reference to content by media type, digest and size, with optional extras.
///
/// Fields serialize in the order of the Go types of the image spec (`mediaType`, `digest`,
/// `size`, `urls`, `annotations`, `data`, `platform`, `artifactType`); empty optional fields are
/// left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    media_type: String,
    digest: Digest,
    size: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "nullable")]
    urls: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
}

impl Descriptor {
    /// A descriptor of `size` bytes of `media_type` content with this `digest`.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Self {
            media_type: media_type.into(),
            digest,
            size,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            platform: None,
            artifact_type: None,
        }
    }

    /// Adds URLs the content may also be fetched from.
    #[must_use]
    pub fn with_urls(mut self, urls: impl IntoIterator<Item = String>) -> Self {
        self.urls.extend(urls);
        self
    }

    /// Sets an annotation.
    #[must_use]
    pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Embeds the content, base64-encoded; the string is kept as given.
    #[must_use]
    pub fn with_data(mut self, base64: impl Into<String>) -> Self {
        self.data = Some(base64.into());
        self
    }

    /// Sets the platform, for an entry of an index.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Sets the artifact type, for an entry that points to an artifact.
    #[must_use]
    pub fn with_artifact_type(mut self, artifact_type: impl Into<String>) -> Self {
        self.artifact_type = Some(artifact_type.into());
        self
    }

    /// The media type of the content.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The digest of the content.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The size of the content in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Other places the content may be fetched from.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// One annotation.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// The embedded content, base64-encoded exactly as it was given; not decoded or checked.
    pub fn data(&self) -> Option<&str> {
        self.data.as_deref()
    }

    /// The platform of an index entry.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// The artifact type of the content this points to.
    pub fn artifact_type(&self) -> Option<&str> {
        self.artifact_type.as_deref()
    }

    /// Whether this index entry is an attestation manifest rather than an image: BuildKit marks
    /// those with `vnd.docker.reference.type: attestation-manifest` and the platform
    /// `unknown/unknown`. Either mark is enough.
    pub fn is_attestation(&self) -> bool {
        self.annotation(annotation::DOCKER_REFERENCE_TYPE) == Some(annotation::ATTESTATION_MANIFEST)
            || self
                .platform
                .as_ref()
                .is_some_and(|p| p.os() == "unknown" && p.architecture() == "unknown")
    }
}
