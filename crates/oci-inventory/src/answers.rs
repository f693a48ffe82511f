//! The engines' JSON, parsed without IO: `GET /_ping`, `/version`, `/info`, `/containers/json`,
//! `/containers/{id}/json` and `/images/{id}/json` of the Docker Engine API and of Podman's Docker-compatible API,
//! and the objects `docker inspect` and `podman inspect` print.
//!
//! Where Podman (4.3, compat API 1.41) differs from Docker, which the tests show with recorded answers of both:
//!
//! - `/_ping` carries `Libpod-Api-Version` (and `Server: Libpod/...`) besides `Api-Version`; that is how a podman
//!   engine is told from a Docker one. `/version` names a component `Podman Engine`.
//! - `/info` gives `Architecture` in Go's words (`amd64`, `arm64`); Docker gives the kernel's (`x86_64`,
//!   `aarch64`, `armv7l`). Both are normalized to the image spec's.
//! - `/images/{id}/json` has no `Variant` key at all (Docker omits it only when empty), and `RepoDigests` pairs
//!   every name of the image with every digest it was pulled by, so a multi-platform pull lists both the index
//!   and the platform manifest under each repository (Docker: the digest the repository was pulled by).
//! - Images built or committed locally are named `localhost/NAME` and still get a `RepoDigests` entry of their own
//!   (`localhost/NAME@sha256:...`, the digest of a manifest podman made up); Docker leaves `RepoDigests` empty.
//! - A container created from an image ID lists the image's first name as its `Image`; Docker lists what was
//!   given (an ID prefix, or `sha256:...`), and replaces a name by the image ID when the tag moves to another
//!   image.
//! - `podman inspect` (the command, not the API) spells image IDs as bare hex, names the image `ImageName` (no
//!   `Config.Image` needed), adds the pulled digest as `ImageDigest` (images: `Digest`), and writes
//!   `"Variant": null`.
//! - The list has podman-only keys (`Name`, `Platform: null`, `AdjustCPUShares`) that are ignored, and error
//!   bodies carry `cause` and `response` beside Docker's `message`.
//!
//! Unknown keys are ignored everywhere; engines add them in every release.

use std::fmt;
use std::str::FromStr;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};

use crate::error::{Error, ErrorKind};
use crate::text::quote;
use crate::workload::State;

/// An Engine API version, `MAJOR.MINOR`, as in `/v1.41/containers/json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    major: u16,
    minor: u16,
}

/// One entry of `GET /containers/json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerSummary {
    /// The container's ID.
    pub id: String,
    /// Its first name without the leading `/`, else the first 12 characters of the ID.
    pub name: String,
    /// `Image`: the image as configured (see the module documentation for how engines fill it).
    pub image: String,
    /// `ImageID`.
    pub image_id: Option<Digest>,
    /// `State`.
    pub state: Option<State>,
    /// `ImageManifestDescriptor` (Docker, API 1.48, containerd image store).
    pub manifest: Option<ManifestDescriptor>,
}

/// What `ImageManifestDescriptor` says: the manifest a container was created from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestDescriptor {
    /// Its digest.
    pub digest: Digest,
    /// Its platform, normalized.
    pub platform: Option<Platform>,
}

/// `GET /containers/{id}/json`, or a container of `docker inspect`/`podman inspect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerDetails {
    /// The container's ID.
    pub id: String,
    /// Its name without the leading `/`.
    pub name: String,
    /// The image as configured: `Config.Image`, else podman's `ImageName`.
    pub configured: String,
    /// `Image`: the image ID.
    pub image_id: Option<Digest>,
    /// `State.Status`.
    pub state: Option<State>,
    /// Podman's `ImageDigest`: the digest the image was pulled by.
    pub image_digest: Option<Digest>,
    /// `ImageManifestDescriptor`.
    pub manifest: Option<ManifestDescriptor>,
    /// Whether podman wrote it (it has `ImageName`).
    pub podman: bool,
}

/// `GET /images/{id}/json`, or an image of `docker inspect`/`podman inspect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDetails {
    /// `Id`: the digest of the image config.
    pub id: Digest,
    /// `RepoTags`, without Docker's `<none>:<none>`.
    pub repo_tags: Vec<Reference>,
    /// `RepoDigests`, without Docker's `<none>@<none>`; each has a digest.
    pub repo_digests: Vec<Reference>,
    /// `Os`/`Architecture`/`Variant`, normalized; `None` when the architecture is empty.
    pub platform: Option<Platform>,
    /// Podman's `Digest`: the digest the image was first pulled by.
    pub digest: Option<Digest>,
}

/// What podman's own API (`GET /libpod/images/{id}/json`) still knows of an image whose names are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodmanHistory {
    /// `Digest`: the digest the image was first pulled by.
    pub digest: Option<Digest>,
    /// `NamesHistory`: the names the image had, most recent first.
    pub names: Vec<Reference>,
}

/// A container the engine created or started, from its events stream (`GET /events`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerEvent {
    /// `create` or `start`.
    pub action: String,
    /// The container's ID.
    pub id: String,
    /// Its name, when the event says it.
    pub name: Option<String>,
    /// The image it was created from, as the event names it.
    pub image: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Action", default)]
    action: Option<String>,
    /// The action in answers from before API 1.22, and podman's.
    #[serde(default)]
    status: Option<String>,
    #[serde(rename = "Actor", default)]
    actor: Option<RawActor>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    from: Option<String>,
}

#[derive(Deserialize)]
struct RawActor {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "Attributes", default, deserialize_with = "nullable")]
    attributes: std::collections::BTreeMap<String, String>,
}

/// One line of `GET /events`: the container created or started, or `None` for any other event (images, networks,
/// a container's other actions), which a watcher ignores.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the line is not an event object; [`ErrorKind::InvalidField`] for a container
/// event without an ID.
pub fn parse_event(line: &[u8]) -> Result<Option<ContainerEvent>, Error> {
    let raw: RawEvent = from_json(line, "an engine event")?;
    let action = raw.action.or(raw.status).unwrap_or_default();
    // Actions may carry details after a colon (`exec_start: sh`); only the word counts.
    let word = action.split(':').next().unwrap_or_default().trim();
    let is_container = raw.kind.as_deref().is_none_or(|kind| kind == "container");
    if !is_container || !matches!(word, "create" | "start") {
        return Ok(None);
    }
    let mut actor = raw.actor.unwrap_or(RawActor {
        id: None,
        attributes: std::collections::BTreeMap::new(),
    });
    let id = actor
        .id
        .take()
        .or(raw.id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidField, "a container event names no container ID"))?;
    Ok(Some(ContainerEvent {
        action: word.to_owned(),
        id,
        name: actor.attributes.remove("name"),
        image: actor.attributes.remove("image").or(raw.from),
    }))
}

/// `GET /version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    /// `ApiVersion`.
    pub api_version: ApiVersion,
    /// `MinAPIVersion`.
    pub min_api_version: Option<ApiVersion>,
    /// Whether a component is named `Podman Engine`.
    pub podman: bool,
}

impl ApiVersion {
    /// The oldest version this crate speaks: every field it reads exists since.
    pub const MINIMUM: Self = Self::new(1, 24);
    /// The newest version this crate asks for (`ImageManifestDescriptor` came with it); a newer engine is spoken
    /// to in this version, an older one in its own.
    pub const MAXIMUM: Self = Self::new(1, 48);

    /// `major.minor`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// The major version.
    pub fn major(self) -> u16 {
        self.major
    }

    /// The minor version.
    pub fn minor(self) -> u16 {
        self.minor
    }

    /// The version to speak with an engine that offers `offered`: it, capped at [`MAXIMUM`](Self::MAXIMUM).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnsupportedApiVersion`] when `offered` is older than [`MINIMUM`](Self::MINIMUM).
    pub fn negotiate(offered: Self) -> Result<Self, Error> {
        if offered < Self::MINIMUM {
            return Err(Error::new(
                ErrorKind::UnsupportedApiVersion,
                format!(
                    "the engine speaks API {offered}, older than {}, the oldest this program reads; upgrade the engine",
                    Self::MINIMUM
                ),
            ));
        }
        Ok(offered.min(Self::MAXIMUM))
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    /// Parses `1.41`: two decimal numbers without signs or spaces.
    fn from_str(s: &str) -> Result<Self, Error> {
        let number = |part: &str| {
            (!part.is_empty() && part.len() <= 5 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        match s.split_once('.') {
            Some((major, minor)) => match (number(major), number(minor)) {
                (Some(major), Some(minor)) => Ok(Self::new(major, minor)),
                _ => Err(bad_version(s)),
            },
            None => Err(bad_version(s)),
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn bad_version(s: &str) -> Error {
    Error::new(
        ErrorKind::UnsupportedApiVersion,
        format!("the engine's API version {} is not `MAJOR.MINOR`", quote(s)),
    )
}

/// The `Api-Version` header of `GET /_ping`.
///
/// # Errors
///
/// [`ErrorKind::UnsupportedApiVersion`] when it is malformed.
pub fn parse_ping_version(header: &[u8]) -> Result<ApiVersion, Error> {
    let text = std::str::from_utf8(header)
        .map_err(|_| bad_version(&String::from_utf8_lossy(header)))?
        .trim();
    text.parse()
}

/// `GET /containers/json`: a JSON array of containers.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the body is not such an array, [`ErrorKind::InvalidField`] when an `ImageID` is
/// not a digest or an `ImageManifestDescriptor` is malformed.
pub fn parse_containers(body: &[u8]) -> Result<Vec<ContainerSummary>, Error> {
    let raw: Vec<RawSummary> = from_json(body, "the container list")?;
    raw.into_iter().map(RawSummary::check).collect()
}

/// `GET /containers/{id}/json`, or one container of `docker inspect`/`podman inspect` output.
///
/// # Errors
///
/// As [`parse_containers`].
pub fn parse_container(body: &[u8]) -> Result<ContainerDetails, Error> {
    let raw: RawContainer = from_json(body, "the container")?;
    raw.check()
}

/// `GET /images/{id}/json`, or one image of `docker inspect`/`podman inspect` output.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the body is not an image object, [`ErrorKind::InvalidField`] when its `Id` is
/// not a digest or a `RepoTags` or `RepoDigests` entry is not a reference (with a digest).
pub fn parse_image(body: &[u8]) -> Result<ImageDetails, Error> {
    let raw: RawImage = from_json(body, "the image")?;
    raw.check()
}

/// `GET /libpod/images/{id}/json` of podman's own API: `Digest` and `NamesHistory`. Entries of `NamesHistory` that
/// are not references are skipped (they only help to pair a name with the digest).
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] for another shape, [`ErrorKind::InvalidField`] when `Digest` is not a digest.
pub fn parse_libpod_image(body: &[u8]) -> Result<PodmanHistory, Error> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "Digest", default, deserialize_with = "nullable")]
        digest: String,
        #[serde(rename = "NamesHistory", default, deserialize_with = "nullable")]
        names_history: Vec<String>,
    }
    let raw: Raw = from_json(body, "podman's image")?;
    let digest = if raw.digest.is_empty() {
        None
    } else {
        Some(Digest::parse(&raw.digest).map_err(|err| {
            Error::new(
                ErrorKind::InvalidField,
                format!("the Digest {} of podman's image is not a digest", quote(&raw.digest)),
            )
            .with_source(err)
        })?)
    };
    let names = raw
        .names_history
        .iter()
        .filter_map(|name| Reference::parse_normalized(name).ok())
        .collect();
    Ok(PodmanHistory { digest, names })
}

/// `GET /info`: the engine's platform, from `OSType` and `Architecture`; `None` when either is empty.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the body is not an object with string fields there.
pub fn parse_info(body: &[u8]) -> Result<Option<Platform>, Error> {
    let raw: RawInfo = from_json(body, "the engine's information")?;
    Ok(engine_platform(&raw.os_type, &raw.architecture))
}

/// The most registry mirrors [`parse_info_mirrors`] takes: far above any real configuration.
pub const MAX_MIRRORS: usize = 64;

/// The longest mirror URL [`parse_info_mirrors`] takes, in bytes.
pub const MAX_MIRROR_URL: usize = 2048;

/// `GET /info`: the Docker Hub mirrors the engine is configured with (`RegistryConfig.Mirrors`, dockerd's
/// `registry-mirrors`), as the engine writes them (`https://mirror.example/`), in its order. An engine without
/// mirrors (or podman, whose compat answer may have no `RegistryConfig`) gives none.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the body is not an object or `Mirrors` is not a list of strings;
/// [`ErrorKind::LimitExceeded`] for more than [`MAX_MIRRORS`] mirrors or one longer than [`MAX_MIRROR_URL`];
/// [`ErrorKind::InvalidField`] for an empty mirror or one with a control character or a space.
pub fn parse_info_mirrors(body: &[u8]) -> Result<Vec<String>, Error> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(rename = "RegistryConfig", default, deserialize_with = "nullable")]
        registry_config: RawRegistryConfig,
    }
    #[derive(Deserialize, Default)]
    struct RawRegistryConfig {
        #[serde(rename = "Mirrors", default, deserialize_with = "nullable")]
        mirrors: Vec<String>,
    }
    let raw: Raw = from_json(body, "the engine's information")?;
    let mirrors = raw.registry_config.mirrors;
    if mirrors.len() > MAX_MIRRORS {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the engine names {} registry mirrors, more than {MAX_MIRRORS}",
                mirrors.len()
            ),
        ));
    }
    for mirror in &mirrors {
        if mirror.len() > MAX_MIRROR_URL {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the engine's registry mirror {} is longer than {MAX_MIRROR_URL} bytes",
                    quote(mirror)
                ),
            ));
        }
        if mirror.is_empty() || mirror.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::new(
                ErrorKind::InvalidField,
                format!("the engine's registry mirror {} is not a URL", quote(mirror)),
            ));
        }
    }
    Ok(mirrors)
}

/// `GET /version`.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] for a body of another shape, [`ErrorKind::UnsupportedApiVersion`] when `ApiVersion`
/// is missing or malformed.
pub fn parse_version(body: &[u8]) -> Result<VersionInfo, Error> {
    let raw: RawVersion = from_json(body, "the engine's version")?;
    let Some(api_version) = raw.api_version else {
        return Err(Error::new(
            ErrorKind::UnsupportedApiVersion,
            "the engine's version answer has no `ApiVersion`",
        ));
    };
    let min_api_version = match raw.min_api_version.as_deref() {
        Some(text) if !text.is_empty() => Some(text.parse()?),
        _ => None,
    };
    Ok(VersionInfo {
        api_version: api_version.parse()?,
        min_api_version,
        podman: raw.components.iter().any(|c| c.name.contains("Podman")),
    })
}

/// The `message` of an engine's error body (`{"message": "..."}`), if it has one.
pub fn parse_error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        message: Option<String>,
    }
    serde_json::from_slice::<Body>(body).ok()?.message
}

/// The platform of an engine's `OSType` and `Architecture`: Docker reports the kernel's architecture (`x86_64`,
/// `aarch64`, `armv7l`, `i686`), podman Go's (`amd64`); both become the image spec's, normalized.
pub fn engine_platform(os: &str, architecture: &str) -> Option<Platform> {
    if os.is_empty() || architecture.is_empty() {
        return None;
    }
    let lower = architecture.to_ascii_lowercase();
    let (architecture, variant) = match lower.as_str() {
        "armv5l" | "armv5tel" | "armv5tejl" => ("arm", Some("v5")),
        "armv6l" => ("arm", Some("v6")),
        "armv7l" | "armv7" => ("arm", Some("v7")),
        "armv8l" => ("arm", Some("v8")),
        "i386" | "i486" | "i586" | "i686" => ("386", None),
        "ppc64le" | "ppc64el" => ("ppc64le", None),
        other => (other, None),
    };
    let platform = Platform::new(os, architecture);
    Some(match variant {
        Some(variant) => platform.with_variant(variant),
        None => platform,
    })
    .map(|p| p.normalize())
}

/// An image ID as engines spell it: `sha256:<hex>`, or podman's bare 64 hex. Empty is none.
pub(crate) fn image_id(text: &str, whose: &str) -> Result<Option<Digest>, Error> {
    if text.is_empty() {
        return Ok(None);
    }
    let parsed = if text.len() == 64 && !text.contains(':') {
        Digest::parse(&format!("sha256:{text}"))
    } else {
        Digest::parse(text)
    };
    parsed.map(Some).map_err(|err| {
        Error::new(
            ErrorKind::InvalidField,
            format!("the image ID {} of {whose} is not a digest", quote(text)),
        )
        .with_source(err)
    })
}

/// A container of inspect output, from the JSON values of the keys it needs (see `inspect.rs`).
pub(crate) fn container_from_value(value: serde_json::Value) -> Result<ContainerDetails, Error> {
    let raw: RawContainer = from_value(value, "the container")?;
    raw.check()
}

/// An image of inspect output, from the JSON values of the keys it needs.
pub(crate) fn image_from_value(value: serde_json::Value) -> Result<ImageDetails, Error> {
    let raw: RawImage = from_value(value, "the image")?;
    raw.check()
}

/// The keys of an inspect element that [`container_from_value`] and [`image_from_value`] read; `Config` is read
/// for its `Image` only.
pub(crate) const INSPECT_KEYS: &[&str] = &[
    "Id",
    "ID",
    "Name",
    "Image",
    "ImageName",
    "ImageDigest",
    "State",
    "ImageManifestDescriptor",
    "RepoTags",
    "RepoDigests",
    "Os",
    "Architecture",
    "Variant",
    "Digest",
];

fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|err| {
        let reason = crate::text::clip(&err.to_string());
        Error::new(
            ErrorKind::InvalidJson,
            format!("{what} is not what the Engine API describes: {reason}"),
        )
    })
}

fn from_json<'a, T: Deserialize<'a>>(body: &'a [u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|err| {
        let reason = crate::text::clip(&err.to_string());
        Error::new(
            ErrorKind::InvalidJson,
            format!("{what} is not what the Engine API describes: {reason}"),
        )
    })
}

/// `null` as the type's default, as Go encodes empty slices and maps.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawSummary {
    #[serde(rename = "Id", alias = "ID")]
    id: String,
    #[serde(rename = "Names", default, deserialize_with = "nullable")]
    names: Vec<String>,
    #[serde(rename = "Image", default, deserialize_with = "nullable")]
    image: String,
    #[serde(rename = "ImageID", alias = "ImageId", default, deserialize_with = "nullable")]
    image_id: String,
    #[serde(rename = "State", default, deserialize_with = "nullable")]
    state: RawState,
    #[serde(rename = "ImageManifestDescriptor", default)]
    manifest: Option<RawDescriptor>,
}

#[derive(Deserialize)]
struct RawContainer {
    #[serde(rename = "Id", alias = "ID")]
    id: String,
    #[serde(rename = "Name", default, deserialize_with = "nullable")]
    name: String,
    #[serde(rename = "Image", default, deserialize_with = "nullable")]
    image: String,
    #[serde(rename = "ImageName", default)]
    image_name: Option<String>,
    #[serde(rename = "ImageDigest", default, deserialize_with = "nullable")]
    image_digest: String,
    #[serde(rename = "Config", default, deserialize_with = "nullable")]
    config: RawConfig,
    #[serde(rename = "State", default, deserialize_with = "nullable")]
    state: RawState,
    #[serde(rename = "ImageManifestDescriptor", default)]
    manifest: Option<RawDescriptor>,
}

#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(rename = "Image", default, deserialize_with = "nullable")]
    image: String,
}

/// `State`: a string in the list, an object with `Status` in an inspect.
#[derive(Default)]
struct RawState(String);

#[derive(Deserialize)]
struct RawImage {
    #[serde(rename = "Id", alias = "ID")]
    id: String,
    #[serde(rename = "RepoTags", default, deserialize_with = "nullable")]
    repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests", default, deserialize_with = "nullable")]
    repo_digests: Vec<String>,
    #[serde(rename = "Os", default, deserialize_with = "nullable")]
    os: String,
    #[serde(rename = "Architecture", default, deserialize_with = "nullable")]
    architecture: String,
    #[serde(rename = "Variant", default, deserialize_with = "nullable")]
    variant: String,
    #[serde(rename = "Digest", default, deserialize_with = "nullable")]
    digest: String,
}

#[derive(Deserialize)]
struct RawDescriptor {
    digest: String,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

#[derive(Deserialize)]
struct RawPlatform {
    #[serde(default, deserialize_with = "nullable")]
    architecture: String,
    #[serde(default, deserialize_with = "nullable")]
    os: String,
    #[serde(default, deserialize_with = "nullable")]
    variant: String,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(rename = "OSType", default, deserialize_with = "nullable")]
    os_type: String,
    #[serde(rename = "Architecture", default, deserialize_with = "nullable")]
    architecture: String,
}

#[derive(Deserialize)]
struct RawVersion {
    #[serde(rename = "ApiVersion", default)]
    api_version: Option<String>,
    #[serde(rename = "MinAPIVersion", default)]
    min_api_version: Option<String>,
    #[serde(rename = "Components", default, deserialize_with = "nullable")]
    components: Vec<RawComponent>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(rename = "Name", default, deserialize_with = "nullable")]
    name: String,
}

impl<'de> Deserialize<'de> for RawState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Name(String),
            Object {
                #[serde(rename = "Status", default)]
                status: Option<String>,
                #[serde(flatten)]
                _rest: std::collections::BTreeMap<String, IgnoredAny>,
            },
        }
        Ok(match Either::deserialize(deserializer)? {
            Either::Name(name) => Self(name),
            Either::Object { status, .. } => Self(status.unwrap_or_default()),
        })
    }
}

impl RawState {
    fn state(&self) -> Option<State> {
        (!self.0.is_empty()).then(|| State::from_engine(&self.0))
    }
}

impl RawSummary {
    fn check(self) -> Result<ContainerSummary, Error> {
        let name = self
            .names
            .first()
            .map(|name| name.trim_start_matches('/').to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| short_id(&self.id));
        let whose = format!("container {}", quote(&name));
        Ok(ContainerSummary {
            image_id: image_id(&self.image_id, &whose)?,
            manifest: self.manifest.map(|m| m.check(&whose)).transpose()?,
            state: self.state.state(),
            image: self.image,
            id: self.id,
            name,
        })
    }
}

impl RawContainer {
    fn check(self) -> Result<ContainerDetails, Error> {
        let name = match self.name.trim_start_matches('/') {
            "" => short_id(&self.id),
            name => name.to_owned(),
        };
        let whose = format!("container {}", quote(&name));
        let image_digest = if self.image_digest.is_empty() {
            None
        } else {
            Some(Digest::parse(&self.image_digest).map_err(|err| {
                Error::new(
                    ErrorKind::InvalidField,
                    format!(
                        "the ImageDigest {} of {whose} is not a digest",
                        quote(&self.image_digest)
                    ),
                )
                .with_source(err)
            })?)
        };
        let podman = self.image_name.is_some();
        let configured = match self.image_name {
            Some(image_name) if self.config.image.is_empty() => image_name,
            _ => self.config.image,
        };
        Ok(ContainerDetails {
            image_id: image_id(&self.image, &whose)?,
            manifest: self.manifest.map(|m| m.check(&whose)).transpose()?,
            state: self.state.state(),
            id: self.id,
            name,
            configured,
            image_digest,
            podman,
        })
    }
}

impl RawImage {
    fn check(self) -> Result<ImageDetails, Error> {
        let whose = format!("image {}", quote(&self.id));
        let Some(id) = image_id(&self.id, &whose)? else {
            return Err(Error::new(ErrorKind::InvalidField, "an image has an empty `Id`"));
        };
        let mut repo_tags = Vec::new();
        for tag in self.repo_tags.iter().filter(|tag| *tag != "<none>:<none>") {
            repo_tags.push(Reference::parse_normalized(tag).map_err(|err| {
                Error::new(
                    ErrorKind::InvalidField,
                    format!("the RepoTags entry {} of {whose} is not a reference", quote(tag)),
                )
                .with_source(err)
            })?);
        }
        let mut repo_digests = Vec::new();
        for entry in self.repo_digests.iter().filter(|entry| *entry != "<none>@<none>") {
            let invalid = || {
                Error::new(
                    ErrorKind::InvalidField,
                    format!(
                        "the RepoDigests entry {} of {whose} is not a `name@digest` reference",
                        quote(entry)
                    ),
                )
            };
            let reference = Reference::parse_normalized(entry).map_err(|err| invalid().with_source(err))?;
            if reference.digest().is_none() {
                return Err(invalid());
            }
            if !repo_digests.contains(&reference) {
                repo_digests.push(reference);
            }
        }
        let digest = if self.digest.is_empty() {
            None
        } else {
            Some(Digest::parse(&self.digest).map_err(|err| {
                Error::new(
                    ErrorKind::InvalidField,
                    format!("the Digest {} of {whose} is not a digest", quote(&self.digest)),
                )
                .with_source(err)
            })?)
        };
        let platform = (!self.architecture.is_empty()).then(|| {
            let os = if self.os.is_empty() { "linux" } else { &self.os };
            let platform = Platform::new(os, &self.architecture);
            let platform = if self.variant.is_empty() {
                platform
            } else {
                platform.with_variant(&self.variant)
            };
            platform.normalize()
        });
        Ok(ImageDetails {
            id,
            repo_tags,
            repo_digests,
            platform,
            digest,
        })
    }
}

impl RawDescriptor {
    fn check(self, whose: &str) -> Result<ManifestDescriptor, Error> {
        let digest = Digest::parse(&self.digest).map_err(|err| {
            Error::new(
                ErrorKind::InvalidField,
                format!(
                    "the ImageManifestDescriptor digest {} of {whose} is not a digest",
                    quote(&self.digest)
                ),
            )
            .with_source(err)
        })?;
        let platform = self
            .platform
            .filter(|p| !p.architecture.is_empty() && !p.os.is_empty())
            .map(|p| {
                let platform = Platform::new(p.os, p.architecture);
                if p.variant.is_empty() {
                    platform
                } else {
                    platform.with_variant(p.variant)
                }
                .normalize()
            });
        Ok(ManifestDescriptor { digest, platform })
    }
}

/// The first 12 characters of an ID, as engines show it.
fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions() {
        assert_eq!("1.41".parse::<ApiVersion>().unwrap(), ApiVersion::new(1, 41));
        assert_eq!(ApiVersion::new(1, 9).to_string(), "1.9");
        for bad in ["", "1", "1.", ".1", "1.41.2", "v1.41", "+1.2", "1.99999999", " 1.4"] {
            let err = bad.parse::<ApiVersion>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnsupportedApiVersion, "{bad:?}");
        }
        assert_eq!(
            ApiVersion::negotiate(ApiVersion::new(1, 52)).unwrap(),
            ApiVersion::MAXIMUM
        );
        assert_eq!(
            ApiVersion::negotiate(ApiVersion::new(1, 41)).unwrap(),
            ApiVersion::new(1, 41)
        );
        let err = ApiVersion::negotiate(ApiVersion::new(1, 12)).unwrap_err();
        assert!(err.to_string().contains("upgrade the engine"), "{err}");
        assert_eq!(parse_ping_version(b" 1.41\r").unwrap(), ApiVersion::new(1, 41));
        assert!(parse_ping_version(b"\xff").is_err());
    }

    #[test]
    fn engine_platforms() {
        for (os, arch, expected) in [
            ("linux", "x86_64", "linux/amd64"),
            ("linux", "amd64", "linux/amd64"),
            ("linux", "aarch64", "linux/arm64"),
            ("linux", "armv7l", "linux/arm/v7"),
            ("linux", "armv6l", "linux/arm/v6"),
            ("linux", "i686", "linux/386"),
            ("windows", "x86_64", "windows/amd64"),
            ("linux", "s390x", "linux/s390x"),
        ] {
            let platform = engine_platform(os, arch).unwrap();
            assert_eq!(platform.to_string(), expected, "{arch}");
        }
        assert_eq!(engine_platform("", "x86_64"), None);
    }

    #[test]
    fn image_ids() {
        let hex = "a".repeat(64);
        let id = image_id(&hex, "x").unwrap().unwrap();
        assert_eq!(id.as_str(), format!("sha256:{hex}"));
        assert_eq!(image_id(&format!("sha256:{hex}"), "x").unwrap(), Some(id));
        assert_eq!(image_id("", "x").unwrap(), None);
        let err = image_id("sha256:zz", "container \"web\"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidField);
        assert_eq!(
            err.to_string(),
            "the image ID \"sha256:zz\" of container \"web\" is not a digest"
        );
    }

    #[test]
    fn state_as_string_or_object() {
        let list = br#"[{"Id":"abc","Names":["/web"],"Image":"nginx","ImageID":"","State":"running"}]"#;
        let parsed = parse_containers(list).unwrap();
        assert_eq!(parsed[0].state, Some(State::Running));
        assert_eq!(parsed[0].name, "web");
        let inspect = br#"{"Id":"abc","Name":"/web","Image":"","Config":{"Image":"nginx"},"State":{"Status":"exited","Running":false}}"#;
        let parsed = parse_container(inspect).unwrap();
        assert_eq!(parsed.state, Some(State::Exited));
        assert_eq!(parsed.configured, "nginx");
    }

    #[test]
    fn registry_mirrors_of_info() {
        let check = |body: &str, expected: Result<&[&str], ErrorKind>| {
            let got = parse_info_mirrors(body.as_bytes()).map_err(|err| err.kind());
            let expected = expected.map(|list| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(got, expected, "{body}");
        };
        check(
            r#"{"RegistryConfig":{"Mirrors":["https://m.example/","http://127.0.0.1:5000/"]}}"#,
            Ok(&["https://m.example/", "http://127.0.0.1:5000/"]),
        );
        check(r#"{"RegistryConfig":{"Mirrors":[]}}"#, Ok(&[]));
        check(r#"{"RegistryConfig":{"Mirrors":null}}"#, Ok(&[]));
        check(r#"{"RegistryConfig":null}"#, Ok(&[]));
        check(r#"{"OSType":"linux"}"#, Ok(&[]));
        check(r#""info""#, Err(ErrorKind::InvalidJson));
        check("{", Err(ErrorKind::InvalidJson));
        check(
            r#"{"RegistryConfig":{"Mirrors":"https://m"}}"#,
            Err(ErrorKind::InvalidJson),
        );
        check(r#"{"RegistryConfig":{"Mirrors":[1]}}"#, Err(ErrorKind::InvalidJson));
        check(r#"{"RegistryConfig":{"Mirrors":[""]}}"#, Err(ErrorKind::InvalidField));
        check(
            r#"{"RegistryConfig":{"Mirrors":["https://m\u001b[2J"]}}"#,
            Err(ErrorKind::InvalidField),
        );
        let many = format!(
            r#"{{"RegistryConfig":{{"Mirrors":[{}]}}}}"#,
            vec!["\"https://m/\""; MAX_MIRRORS + 1].join(",")
        );
        check(&many, Err(ErrorKind::LimitExceeded));
        let long = format!(
            r#"{{"RegistryConfig":{{"Mirrors":["https://{}"]}}}}"#,
            "m".repeat(MAX_MIRROR_URL)
        );
        let err = parse_info_mirrors(long.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert!(err.to_string().len() < 300, "{err}");
    }

    #[test]
    fn shapes_that_are_refused() {
        for body in [
            &b""[..],
            b"{}",
            b"[{}]",
            b"[{\"Id\": 3}]",
            b"[{\"Id\": \"a\", \"Names\": \"web\"}]",
            b"[{\"Id\": \"a\", \"State\": 3}]",
        ] {
            let err = parse_containers(body).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidJson, "{}", String::from_utf8_lossy(body));
        }
        let long = format!("[{{\"Id\": \"a\", \"Names\": \"{}\"}}]", "\u{1b}x".repeat(5000));
        let err = parse_containers(long.as_bytes()).unwrap_err();
        assert!(err.to_string().len() < 400, "{err}");
        assert!(!err.to_string().contains('\u{1b}'));
    }
}
