//! [`ImageManifest`], [`ImageIndex`], and [`Manifest`]: either of them parsed together with its
//! exact bytes and digest.

use std::collections::BTreeMap;

use oci_digest::{Algorithm, Digest};
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, NoMatch, quote};
use crate::platform::{self, MatchOptions};
use crate::{Descriptor, Platform, media_type, nullable};

/// An image manifest, OCI or Docker schema 2: a config and layers, and for OCI artifacts an
/// artifact type and a subject.
///
/// Serializes as canonical JSON for building manifests: compact, fields in the order of the
/// image spec's Go type (`schemaVersion`, `mediaType`, `artifactType`, `config`, `layers`,
/// `subject`, `annotations`), empty optional fields left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    schema_version: SchemaVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    config: Descriptor,
    layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
}

/// An image index, OCI or a Docker manifest list: manifests, usually one per platform.
///
/// Serializes like [`ImageManifest`], with `manifests` in place of `config` and `layers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    schema_version: SchemaVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
}

/// Which of the four manifest types a document is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManifestKind {
    /// [`media_type::OCI_IMAGE_INDEX`].
    OciIndex,
    /// [`media_type::DOCKER_MANIFEST_LIST`].
    DockerManifestList,
    /// [`media_type::OCI_IMAGE_MANIFEST`].
    OciManifest,
    /// [`media_type::DOCKER_MANIFEST`].
    DockerManifest,
}

/// The typed content of a [`Manifest`].
// There is one per parsed manifest, so boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestBody {
    /// An OCI index or a Docker manifest list.
    Index(ImageIndex),
    /// An OCI image manifest or a Docker schema 2 manifest.
    Image(ImageManifest),
}

/// A manifest or index as a registry served it: the exact bytes, their digest, the kind, and
/// the typed content.
///
/// The digest is computed over the bytes given to [`parse`](Self::parse), never over
/// re-serialized JSON, so it is the digest the registry addresses the content by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    bytes: Box<[u8]>,
    digest: Digest,
    kind: ManifestKind,
    body: ManifestBody,
}

/// Limits for [`Manifest::parse_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    max_size: usize,
}

/// `schemaVersion`, which is always 2 for the types here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SchemaVersion;

/// The methods [`ImageManifest`] and [`ImageIndex`] share: the fields the image spec gives both (`mediaType`,
/// `artifactType`, `subject`, `annotations`), and canonical JSON.
macro_rules! shared_methods {
    () => {
        /// Sets the artifact type.
        #[must_use]
        pub fn with_artifact_type(mut self, artifact_type: impl Into<String>) -> Self {
            self.artifact_type = Some(artifact_type.into());
            self
        }

        /// Sets the subject: the manifest this one refers to (a signature, SBOM or attestation).
        #[must_use]
        pub fn with_subject(mut self, subject: Descriptor) -> Self {
            self.subject = Some(subject);
            self
        }

        /// Sets an annotation.
        #[must_use]
        pub fn with_annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.annotations.insert(key.into(), value.into());
            self
        }

        /// The declared `mediaType`, if the document has one.
        pub fn media_type(&self) -> Option<&str> {
            self.media_type.as_deref()
        }

        /// The artifact type, for artifacts.
        pub fn artifact_type(&self) -> Option<&str> {
            self.artifact_type.as_deref()
        }

        /// The manifest this one refers to.
        pub fn subject(&self) -> Option<&Descriptor> {
            self.subject.as_ref()
        }

        /// The annotations, sorted by key.
        pub fn annotations(&self) -> &BTreeMap<String, String> {
            &self.annotations
        }

        /// Canonical JSON bytes: see the type's documentation.
        pub fn to_json(&self) -> Vec<u8> {
            to_json(self)
        }
    };
}

impl ImageManifest {
    /// A manifest of `media_type` (usually [`media_type::OCI_IMAGE_MANIFEST`] or
    /// [`media_type::DOCKER_MANIFEST`]) with this config and these layers.
    pub fn new(media_type: impl Into<String>, config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self {
            schema_version: SchemaVersion,
            media_type: Some(media_type.into()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    shared_methods!();

    /// The config descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }
}

impl ImageIndex {
    /// An index of `media_type` (usually [`media_type::OCI_IMAGE_INDEX`] or
    /// [`media_type::DOCKER_MANIFEST_LIST`]) with these entries.
    pub fn new(media_type: impl Into<String>, manifests: Vec<Descriptor>) -> Self {
        Self {
            schema_version: SchemaVersion,
            media_type: Some(media_type.into()),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    shared_methods!();

    /// The entries, in the index's order.
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The platforms of the entries that are images (not attestations), in the index's order.
    pub fn platforms(&self) -> impl Iterator<Item = &Platform> {
        self.manifests
            .iter()
            .filter(|entry| !entry.is_attestation())
            .filter_map(Descriptor::platform)
    }

    /// The entry that best fits `platform`; see [`select`](crate::select) for the rules.
    pub fn select(&self, platform: &Platform) -> Result<&Descriptor, NoMatch> {
        platform::select(&self.manifests, platform, &MatchOptions::default())
    }

    /// [`select`](Self::select) with options.
    pub fn select_with(&self, platform: &Platform, options: &MatchOptions) -> Result<&Descriptor, NoMatch> {
        platform::select(&self.manifests, platform, options)
    }
}

impl ManifestKind {
    /// Every kind, indexes first.
    pub const ALL: [Self; 4] = [
        Self::OciIndex,
        Self::DockerManifestList,
        Self::OciManifest,
        Self::DockerManifest,
    ];

    /// The kind with this exact media type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.media_type() == media_type)
    }

    /// The media type.
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::OciIndex => media_type::OCI_IMAGE_INDEX,
            Self::DockerManifestList => media_type::DOCKER_MANIFEST_LIST,
            Self::OciManifest => media_type::OCI_IMAGE_MANIFEST,
            Self::DockerManifest => media_type::DOCKER_MANIFEST,
        }
    }

    /// Whether this is a list of manifests (an OCI index or a Docker manifest list).
    pub const fn is_index(self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerManifestList)
    }

    /// Whether this is a Docker type rather than an OCI one.
    pub const fn is_docker(self) -> bool {
        matches!(self, Self::DockerManifestList | Self::DockerManifest)
    }
}

impl Manifest {
    /// Parses a manifest or index with the default [`ParseOptions`].
    ///
    /// `content_type` is the response's `Content-Type`, if there was one; its parameters
    /// (`; charset=utf-8`) are ignored. The kind is taken from it when it is one of the four
    /// manifest types, else from the document's `mediaType`, else from its shape (`manifests`
    /// makes an index; `config` or `layers` a manifest, OCI since Docker's always declares its
    /// type). Other `Content-Type`s, such as `application/json`, are ignored.
    ///
    /// Refused, each with its own [`ErrorKind`]: a body over the size limit (before parsing);
    /// Docker schema 1 by media type or by `schemaVersion: 1`; a `schemaVersion` other than 2;
    /// a `mediaType` that is not a manifest type or that contradicts the `Content-Type`; a
    /// document with both index and manifest fields; malformed JSON; missing fields, bad
    /// digests and negative sizes in descriptors. Unknown fields are ignored, and of duplicate
    /// keys the last one counts (as in Go).
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Self, Error> {
        Self::parse_with(bytes, content_type, &ParseOptions::default())
    }

    /// [`parse`](Self::parse) with options.
    pub fn parse_with(bytes: &[u8], content_type: Option<&str>, options: &ParseOptions) -> Result<Self, Error> {
        if bytes.len() > options.max_size {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "manifest of {} bytes is larger than the limit of {} bytes; raise ParseOptions::max_size if such manifests are expected",
                    bytes.len(),
                    options.max_size
                ),
            ));
        }
        let served = ServedType::of(content_type)?;
        let value: Value = serde_json::from_slice(bytes).map_err(|err| {
            Error::new(ErrorKind::InvalidJson, format!("manifest is not valid JSON: {err}")).with_source(err)
        })?;
        let Value::Object(object) = &value else {
            return Err(Error::new(
                ErrorKind::InvalidJson,
                format!("manifest is JSON {}, not an object", json_type(&value)),
            ));
        };
        check_schema_version(object)?;
        let declared = match object.get("mediaType") {
            None | Some(Value::Null) => None,
            Some(Value::String(declared)) => Some(declared.as_str()),
            Some(other) => return Err(wrong_type("mediaType", "a string", other)),
        };
        if let Some(declared) = declared {
            if is_schema1(declared) {
                return Err(schema1(declared));
            }
        }
        let kind = match (served, declared) {
            (ServedType::Known(kind), Some(declared)) if declared != kind.media_type() => {
                return Err(Error::new(
                    ErrorKind::MediaTypeMismatch,
                    format!(
                        "manifest declares mediaType {} but was served as {}",
                        quote(declared),
                        quote(kind.media_type())
                    ),
                ));
            }
            (ServedType::Known(kind), _) => kind,
            (_, Some(declared)) => ManifestKind::from_media_type(declared).ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownMediaType,
                    format!(
                        "unknown manifest media type {}; expected one of {}",
                        quote(declared),
                        media_type::MANIFEST_TYPES.join(", ")
                    ),
                )
            })?,
            (served, None) => shape_of(object, &served)?,
        };
        let body = if kind.is_index() {
            for field in ["config", "layers"] {
                if object.contains_key(field) {
                    return Err(ambiguous(kind, field));
                }
            }
            ManifestBody::Index(ImageIndex {
                schema_version: SchemaVersion,
                media_type: declared.map(str::to_owned),
                artifact_type: optional_string(object, "artifactType")?,
                manifests: descriptors(object, "manifests")?,
                subject: optional_descriptor(object, "subject")?,
                annotations: annotations(object)?,
            })
        } else {
            if object.contains_key("manifests") {
                return Err(ambiguous(kind, "manifests"));
            }
            let config = match object.get("config") {
                None | Some(Value::Null) => return Err(missing("config")),
                Some(config) => descriptor(config, "config")?,
            };
            ManifestBody::Image(ImageManifest {
                schema_version: SchemaVersion,
                media_type: declared.map(str::to_owned),
                artifact_type: optional_string(object, "artifactType")?,
                config,
                layers: descriptors(object, "layers")?,
                subject: optional_descriptor(object, "subject")?,
                annotations: annotations(object)?,
            })
        };
        Ok(Self {
            bytes: bytes.into(),
            digest: Digest::sha256(bytes),
            kind,
            body,
        })
    }

    /// The exact bytes that were parsed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The SHA-256 digest of [`bytes`](Self::bytes): the manifest's content address.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The digest of the bytes with another algorithm, for references that use one.
    pub fn digest_with(&self, algorithm: Algorithm) -> Digest {
        match algorithm {
            Algorithm::Sha256 => self.digest.clone(),
            other => Digest::compute(other, &self.bytes),
        }
    }

    /// The bytes' length, as a descriptor of this manifest gives it.
    pub fn size(&self) -> u64 {
        // A usize always fits in a u64 on the platforms Rust supports.
        self.bytes.len() as u64
    }

    /// The kind, from the `Content-Type`, `mediaType` or shape.
    pub fn kind(&self) -> ManifestKind {
        self.kind
    }

    /// The media type of the kind; it tells Docker and OCI flavours apart.
    pub fn media_type(&self) -> &'static str {
        self.kind.media_type()
    }

    /// The typed content.
    pub fn body(&self) -> &ManifestBody {
        &self.body
    }

    /// The index, if this is one.
    pub fn as_index(&self) -> Option<&ImageIndex> {
        match &self.body {
            ManifestBody::Index(index) => Some(index),
            ManifestBody::Image(_) => None,
        }
    }

    /// The image manifest, if this is one.
    pub fn as_image(&self) -> Option<&ImageManifest> {
        match &self.body {
            ManifestBody::Image(image) => Some(image),
            ManifestBody::Index(_) => None,
        }
    }

    /// A descriptor of this manifest: its media type, digest and size.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(self.media_type(), self.digest.clone(), self.size())
    }

    /// The typed content, dropping the bytes.
    pub fn into_body(self) -> ManifestBody {
        self.body
    }

    /// The bytes, dropping the typed content.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes.into_vec()
    }
}

impl ParseOptions {
    /// The default size limit: 4 MiB, the limit of the distribution registry and containerd.
    pub const DEFAULT_MAX_SIZE: usize = 4 * 1024 * 1024;

    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses bodies larger than `bytes` before parsing them.
    #[must_use]
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_size: Self::DEFAULT_MAX_SIZE,
        }
    }
}

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(2)
    }
}

impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u64::deserialize(deserializer)? {
            2 => Ok(Self),
            other => Err(de::Error::custom(format!(
                "schemaVersion {other} is not supported, expected 2"
            ))),
        }
    }
}

/// What the `Content-Type` says.
enum ServedType<'a> {
    /// None, or a generic type such as `application/json`.
    Unspecified,
    /// A manifest type.
    Known(ManifestKind),
    /// A type that is neither generic nor a manifest type.
    Unknown(&'a str),
}

impl<'a> ServedType<'a> {
    fn of(content_type: Option<&'a str>) -> Result<Self, Error> {
        let Some(content_type) = content_type else {
            return Ok(Self::Unspecified);
        };
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let lower = essence.to_ascii_lowercase();
        if is_schema1(&lower) {
            return Err(schema1(essence));
        }
        if let Some(kind) = ManifestKind::from_media_type(&lower) {
            return Ok(Self::Known(kind));
        }
        Ok(match lower.as_str() {
            "" | "application/json" | "text/plain" | "application/octet-stream" => Self::Unspecified,
            _ => Self::Unknown(essence),
        })
    }
}

/// The kind of a document without a usable `Content-Type` or `mediaType`.
fn shape_of(object: &Map<String, Value>, served: &ServedType<'_>) -> Result<ManifestKind, Error> {
    let is_index = object.contains_key("manifests");
    let is_image = object.contains_key("config") || object.contains_key("layers");
    match (is_index, is_image) {
        (true, true) => Err(Error::new(
            ErrorKind::Ambiguous,
            "manifest has both `manifests` (an index) and `config`/`layers` (an image manifest), and no mediaType to choose",
        )),
        (true, false) => Ok(ManifestKind::OciIndex),
        (false, true) => Ok(ManifestKind::OciManifest),
        (false, false) => Err(match served {
            ServedType::Unknown(content_type) => Error::new(
                ErrorKind::UnknownMediaType,
                format!(
                    "unknown manifest media type {} in Content-Type, and the document has no mediaType",
                    quote(content_type)
                ),
            ),
            _ => Error::new(
                ErrorKind::UnknownShape,
                "cannot tell the manifest's type: no manifest Content-Type, no mediaType, and neither `manifests` nor `config`/`layers`",
            ),
        }),
    }
}

fn check_schema_version(object: &Map<String, Value>) -> Result<(), Error> {
    match object.get("schemaVersion") {
        Some(Value::Number(n)) if n.as_u64() == Some(2) => Ok(()),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Err(Error::new(
            ErrorKind::Schema1,
            "Docker schema 1 manifest (schemaVersion 1) is not supported; ask the registry for schema 2 or OCI manifests",
        )),
        Some(Value::Number(n)) => Err(Error::new(
            ErrorKind::SchemaVersion,
            format!("manifest schemaVersion is {n}, expected 2"),
        )),
        Some(other) => Err(Error::new(
            ErrorKind::SchemaVersion,
            format!("manifest schemaVersion is {}, expected the number 2", json_type(other)),
        )),
        None => Err(Error::new(
            ErrorKind::SchemaVersion,
            "manifest has no schemaVersion, expected 2",
        )),
    }
}

fn is_schema1(media_type: &str) -> bool {
    media_type == media_type::DOCKER_SCHEMA1_MANIFEST || media_type == media_type::DOCKER_SCHEMA1_SIGNED_MANIFEST
}

fn schema1(media_type: &str) -> Error {
    Error::new(
        ErrorKind::Schema1,
        format!(
            "Docker schema 1 manifest ({}) is not supported; ask the registry for schema 2 or OCI manifests",
            quote(media_type)
        ),
    )
}

fn ambiguous(kind: ManifestKind, field: &str) -> Error {
    Error::new(
        ErrorKind::Ambiguous,
        format!(
            "manifest of type {} has the field `{field}`, which belongs to the other kind",
            quote(kind.media_type())
        ),
    )
}

fn missing(path: &str) -> Error {
    Error::new(ErrorKind::MissingField, format!("manifest lacks the field `{path}`"))
}

fn wrong_type(path: &str, expected: &str, found: &Value) -> Error {
    Error::new(
        ErrorKind::InvalidField,
        format!(
            "manifest field `{path}` should be {expected}, found {}",
            json_type(found)
        ),
    )
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn optional_string(object: &Map<String, Value>, field: &str) -> Result<Option<String>, Error> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(field, "a string", other)),
    }
}

fn annotations(object: &Map<String, Value>) -> Result<BTreeMap<String, String>, Error> {
    match object.get("annotations") {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(value) => annotation_map(value, "annotations"),
    }
}

fn annotation_map(value: &Value, path: &str) -> Result<BTreeMap<String, String>, Error> {
    let Value::Object(map) = value else {
        return Err(wrong_type(path, "an object of strings", value));
    };
    map.iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key.clone(), s.clone())),
            other => Err(wrong_type(&format!("{path}.{key}"), "a string", other)),
        })
        .collect()
}

fn descriptors(object: &Map<String, Value>, field: &str) -> Result<Vec<Descriptor>, Error> {
    match object.get(field) {
        None | Some(Value::Null) => Err(missing(field)),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| descriptor(item, &format!("{field}[{i}]")))
            .collect(),
        Some(other) => Err(wrong_type(field, "an array of descriptors", other)),
    }
}

fn optional_descriptor(object: &Map<String, Value>, field: &str) -> Result<Option<Descriptor>, Error> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => descriptor(value, field).map(Some),
    }
}

/// One descriptor, with the checks that have their own error kinds made first so that each
/// failure names its field.
fn descriptor(value: &Value, path: &str) -> Result<Descriptor, Error> {
    let Value::Object(object) = value else {
        return Err(wrong_type(path, "a descriptor object", value));
    };
    match object.get("mediaType") {
        None | Some(Value::Null) => return Err(missing(&format!("{path}.mediaType"))),
        Some(Value::String(_)) => {}
        Some(other) => return Err(wrong_type(&format!("{path}.mediaType"), "a string", other)),
    }
    match object.get("digest") {
        None | Some(Value::Null) => return Err(missing(&format!("{path}.digest"))),
        Some(Value::String(digest)) => {
            if let Err(err) = Digest::parse(digest) {
                return Err(Error::new(
                    ErrorKind::InvalidDigest,
                    format!("manifest field `{path}.digest`: {err}"),
                )
                .with_source(err));
            }
        }
        Some(other) => return Err(wrong_type(&format!("{path}.digest"), "a digest string", other)),
    }
    match object.get("size") {
        None | Some(Value::Null) => return Err(missing(&format!("{path}.size"))),
        Some(Value::Number(n)) if n.as_u64().is_some() => {}
        Some(Value::Number(n)) if n.as_i64().is_some() || n.as_f64().is_some_and(|f| f < 0.0) => {
            return Err(Error::new(
                ErrorKind::NegativeSize,
                format!("manifest field `{path}.size` is negative: {n}"),
            ));
        }
        Some(other) => return Err(wrong_type(&format!("{path}.size"), "a whole number of bytes", other)),
    }
    if let Some(annotations) = object.get("annotations").filter(|v| !v.is_null()) {
        annotation_map(annotations, &format!("{path}.annotations"))?;
    }
    Descriptor::deserialize(value).map_err(|err| {
        Error::new(
            ErrorKind::InvalidField,
            format!("manifest field `{path}` is not a valid descriptor: {err}"),
        )
        .with_source(err)
    })
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    // The types here have string keys and no custom serializers that fail, so this cannot fail.
    serde_json::to_vec(value).expect("manifest types always serialize")
}
