//! [`ImageConfig`]: the fields of an image config that update checks and people look at.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::media_type::annotation;
use crate::{Platform, nullable};

/// The parts of an image config (OCI or Docker) that say what the image is: its platform, when
/// it was built, and its labels.
///
/// Other fields (the root filesystem, history, entrypoint, environment) are read past and not
/// kept, so serializing this gives a summary, not the config blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    /// The platform fields (`architecture`, `os`, `os.version`, `os.features`, `variant`), which a config writes
    /// as an index entry's platform does.
    #[serde(flatten)]
    platform: Platform,
    #[serde(default, skip_serializing_if = "RunConfig::is_empty", deserialize_with = "nullable")]
    config: RunConfig,
}

/// The `config` object: how to run the image. Only its labels are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct RunConfig {
    #[serde(
        rename = "Labels",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "nullable"
    )]
    labels: BTreeMap<String, String>,
}

impl ImageConfig {
    /// Parses a config blob.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(|err| {
            let kind = if err.is_data() {
                ErrorKind::InvalidField
            } else {
                ErrorKind::InvalidJson
            };
            Error::new(kind, format!("invalid image config: {err}")).with_source(err)
        })
    }

    /// A config for `platform`, with no date and no labels.
    pub fn new(platform: &Platform) -> Self {
        Self {
            created: None,
            author: None,
            platform: platform.clone(),
            config: RunConfig::default(),
        }
    }

    /// Sets the creation time (RFC 3339).
    #[must_use]
    pub fn with_created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// Sets a label.
    #[must_use]
    pub fn with_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.labels.insert(key.into(), value.into());
        self
    }

    /// When the image was created, as written (RFC 3339 by the spec).
    pub fn created(&self) -> Option<&str> {
        self.created.as_deref()
    }

    /// Who made the image.
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// The CPU architecture, as written.
    pub fn architecture(&self) -> &str {
        self.platform.architecture()
    }

    /// The operating system, as written.
    pub fn os(&self) -> &str {
        self.platform.os()
    }

    /// The operating system version (Windows images).
    pub fn os_version(&self) -> Option<&str> {
        self.platform.os_version()
    }

    /// Operating system features the image needs.
    pub fn os_features(&self) -> &[String] {
        self.platform.os_features()
    }

    /// The CPU variant, as written.
    pub fn variant(&self) -> Option<&str> {
        self.platform.variant()
    }

    /// The platform these fields describe, as written (not normalized).
    pub fn platform(&self) -> Platform {
        self.platform.clone()
    }

    /// The labels (`config.Labels`), sorted by key.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.config.labels
    }

    /// One label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.config.labels.get(key).map(String::as_str)
    }

    /// The `org.opencontainers.image.version` label: the version of the packaged software.
    pub fn version(&self) -> Option<&str> {
        self.label(annotation::IMAGE_VERSION)
    }
}

impl RunConfig {
    fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}
