//! What every source yields: [`Workload`], with its [`Source`], [`ImageRef`] and [`State`].

use std::fmt;
use std::path::{Path, PathBuf};

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;

/// One thing that runs (or would run) an image: a container of an engine, an image or container of an inspect
/// file, or a compose service.
///
/// It says which image was asked for ([`image`](Self::image), as configured), every digest the image is known by
/// ([`repo_digests`](Self::repo_digests), [`manifest_digest`](Self::manifest_digest)), the image's ID, the platform
/// it runs on, and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    source: Source,
    name: String,
    id: Option<String>,
    image: ImageRef,
    repo_digests: Vec<Reference>,
    manifest_digest: Option<Digest>,
    image_id: Option<Digest>,
    platform: Option<Platform>,
    state: Option<State>,
}

/// What engine answers and inspect output both know of a container, besides its name and image.
pub(crate) struct ContainerFacts {
    pub(crate) id: String,
    pub(crate) manifest_digest: Option<Digest>,
    pub(crate) image_id: Option<Digest>,
    pub(crate) state: Option<State>,
}

/// Where a [`Workload`] was found.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A Docker Engine's API.
    Docker,
    /// Podman's Docker-compatible API.
    Podman,
    /// A compose file: the one that set the service's `image` (or `build`), the last one that did when several
    /// files override each other.
    Compose {
        /// The compose file.
        file: PathBuf,
    },
    /// `docker inspect` or `podman inspect` output.
    Inspect {
        /// The file it was read from; `None` for standard input.
        file: Option<PathBuf>,
    },
    /// `kubectl get pods,nodes -o json` output: a Kubernetes cluster's pods.
    Kubernetes {
        /// The file it was read from; `None` for standard input.
        file: Option<PathBuf>,
    },
}

/// The image a workload asked for, as configured.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImageRef {
    /// A reference to an image in a registry (`nginx:1.25`, `ghcr.io/o/app@sha256:...`), normalized as Docker reads
    /// it.
    Reference(Reference),
    /// The engine's image ID (the digest of the image config), given instead of a name: the container was created
    /// from `sha256:...` or an ID prefix, or the engine replaced the name by the ID because the tag moved on. A
    /// prefix is completed from the container's image ID.
    ImageId(Digest),
    /// A digest without a name whose meaning cannot be told: `image: sha256:...` in a compose file, or an ID that
    /// is not the one of the image the engine reports.
    BareDigest(Digest),
    /// A name that exists only on this engine: podman's `localhost/NAME` (local builds and commits), an image no
    /// registry gave (it has no `RepoDigests` entry for this name), or a compose service that builds its image.
    /// Asking a registry about it makes no sense.
    Local(Reference),
    /// A compose service with `build:` and no `image:`: compose names the result after the project and service.
    BuildOnly,
    /// An image that is not a reference (a compose service's `image:` after substitution, say): the image as
    /// written and why it is not one. The other services are still read; this one has nothing to check.
    Invalid {
        /// The image as the file writes it (before substitution: a value may be a secret).
        image: String,
        /// Why it is not a reference, naming the variables substituted into it and those that were unset.
        reason: String,
    },
}

/// The state of a container, as the engine reports it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Created and never started (podman's `configured` and `initialized` too).
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Exited (podman's `stopped` and `stopping` too).
    Exited,
    /// Dead: removal failed half-way.
    Dead,
    /// A state this crate does not know, as the engine spelled it.
    Other(String),
}

impl Workload {
    pub(crate) fn new(source: Source, name: impl Into<String>, image: ImageRef) -> Self {
        Self {
            source,
            name: name.into(),
            id: None,
            image,
            repo_digests: Vec::new(),
            manifest_digest: None,
            image_id: None,
            platform: None,
            state: None,
        }
    }

    /// A container's workload: what engine answers and inspect output both know of it, the image as configured,
    /// the digests it is known by and its platform.
    pub(crate) fn container(
        source: Source,
        name: String,
        image: ImageRef,
        facts: ContainerFacts,
        repo_digests: Vec<Reference>,
        platform: Option<Platform>,
    ) -> Self {
        let mut workload = Self::new(source, name, image);
        workload.set_id(Some(facts.id));
        workload.set_repo_digests(repo_digests);
        workload.set_manifest_digest(facts.manifest_digest);
        workload.set_image_id(facts.image_id);
        workload.set_platform(platform);
        workload.set_state(facts.state);
        workload
    }

    pub(crate) fn set_id(&mut self, id: Option<String>) {
        self.id = id;
    }

    pub(crate) fn set_repo_digests(&mut self, repo_digests: Vec<Reference>) {
        self.repo_digests = repo_digests;
    }

    pub(crate) fn set_manifest_digest(&mut self, digest: Option<Digest>) {
        self.manifest_digest = digest;
    }

    pub(crate) fn set_image_id(&mut self, image_id: Option<Digest>) {
        self.image_id = image_id;
    }

    pub(crate) fn set_platform(&mut self, platform: Option<Platform>) {
        self.platform = platform;
    }

    pub(crate) fn set_state(&mut self, state: Option<State>) {
        self.state = state;
    }

    /// Where the workload was found.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The container's name without Docker's leading `/`, the compose service's name, for an image of an
    /// inspect file its first tag (else its ID), or for Kubernetes `NAMESPACE/OWNER/CONTAINER` (see
    /// [`parse_kubectl`](crate::parse_kubectl)).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The container's ID, for containers of an engine or inspect file (not for Kubernetes, whose workload stands
    /// for the container in every replica).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The image as configured.
    pub fn image(&self) -> &ImageRef {
        &self.image
    }

    /// Every `RepoDigests` entry of the image, as `name@digest` references (`docker.io/library/nginx@sha256:...`):
    /// the manifests (platform manifest, and for podman also the index) the image was pulled or pushed by. Empty
    /// for compose services and for images no registry gave.
    ///
    /// Podman pairs every repository the image is known by with every digest it was pulled by, so an entry may
    /// name a repository that never served that digest; Docker lists one entry per repository.
    pub fn repo_digests(&self) -> &[Reference] {
        &self.repo_digests
    }

    /// The digest of the exact manifest the container was created from, when the engine says: Docker 25 and later
    /// with the containerd image store (`ImageManifestDescriptor`, API 1.48), for multi-platform images the
    /// platform's manifest.
    pub fn manifest_digest(&self) -> Option<&Digest> {
        self.manifest_digest.as_ref()
    }

    /// The image's ID, the digest of its config, when known.
    pub fn image_id(&self) -> Option<&Digest> {
        self.image_id.as_ref()
    }

    /// The platform the workload runs on, normalized: the image's `Os`/`Architecture`/`Variant`, else the engine's
    /// (`OSType`, `Architecture`), else for a compose service its `platform:`.
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// The container's state; `None` for compose services and for images of an inspect file.
    pub fn state(&self) -> Option<&State> {
        self.state.as_ref()
    }

    /// Every digest known to be in use, without repeats, in this order: the configured reference's digest, the
    /// manifest digest, then those of [`repo_digests`](Self::repo_digests).
    pub fn digests(&self) -> Vec<&Digest> {
        let configured = match &self.image {
            ImageRef::Reference(reference) | ImageRef::Local(reference) => reference.digest(),
            _ => None,
        };
        let mut digests: Vec<&Digest> = Vec::new();
        let all = configured
            .into_iter()
            .chain(self.manifest_digest.as_ref())
            .chain(self.repo_digests.iter().filter_map(Reference::digest));
        for digest in all {
            if !digests.contains(&digest) {
                digests.push(digest);
            }
        }
        digests
    }
}

impl Source {
    /// The file the workload was read from, for compose files, inspect files and kubectl output.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::Compose { file } => Some(file),
            Self::Inspect { file } | Self::Kubernetes { file } => file.as_deref(),
            Self::Docker | Self::Podman => None,
        }
    }
}

impl fmt::Display for Source {
    /// `docker`, `podman`, `compose FILE`, `inspect FILE`, `inspect -`, `kubernetes FILE` or `kubernetes -`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Docker => f.write_str("docker"),
            Self::Podman => f.write_str("podman"),
            Self::Compose { file } => write!(f, "compose {}", crate::text::path(file)),
            Self::Inspect { file: Some(file) } => write!(f, "inspect {}", crate::text::path(file)),
            Self::Inspect { file: None } => f.write_str("inspect -"),
            Self::Kubernetes { file: Some(file) } => write!(f, "kubernetes {}", crate::text::path(file)),
            Self::Kubernetes { file: None } => f.write_str("kubernetes -"),
        }
    }
}

impl ImageRef {
    /// The reference, for [`Reference`](Self::Reference) and [`Local`](Self::Local).
    pub fn reference(&self) -> Option<&Reference> {
        match self {
            Self::Reference(reference) | Self::Local(reference) => Some(reference),
            _ => None,
        }
    }

    /// Whether a registry can say anything about this image: only a [`Reference`](Self::Reference) can.
    pub fn is_in_registry(&self) -> bool {
        matches!(self, Self::Reference(_))
    }
}

impl fmt::Display for ImageRef {
    /// The familiar form of a reference (`nginx:1.25`), the digest of an ID or bare digest, `(build)` for a
    /// build-only service.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reference(reference) | Self::Local(reference) => f.write_str(&reference.familiar()),
            Self::ImageId(digest) | Self::BareDigest(digest) => write!(f, "{digest}"),
            Self::BuildOnly => f.write_str("(build)"),
            Self::Invalid { image, .. } => f.write_str(image),
        }
    }
}

impl State {
    /// The state an engine names, in Docker's words or podman's (case-insensitive).
    pub fn from_engine(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "created" | "configured" | "initialized" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" | "stopped" | "stopping" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Other(name.to_owned()),
        }
    }

    /// Docker's name of the state; an unknown state as the engine spelled it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text::escape_short(self.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_of_both_engines() {
        for (name, state) in [
            ("created", State::Created),
            ("configured", State::Created),
            ("Running", State::Running),
            ("stopped", State::Exited),
            ("exited", State::Exited),
            ("dead", State::Dead),
        ] {
            assert_eq!(State::from_engine(name), state, "{name}");
        }
        assert_eq!(State::from_engine("weird").as_str(), "weird");
        assert_eq!(State::from_engine("a\u{1b}b").to_string(), "a\\u{1b}b");
    }

    #[test]
    fn digests_in_use_without_repeats() {
        let digest = Digest::sha256(b"a");
        let other = Digest::sha256(b"b");
        let configured: Reference = format!("nginx@{digest}").parse().unwrap();
        let mut workload = Workload::new(Source::Docker, "web", ImageRef::Reference(configured.clone()));
        workload.set_repo_digests(vec![configured, format!("nginx@{other}").parse().unwrap()]);
        workload.set_manifest_digest(Some(other.clone()));
        assert_eq!(workload.digests(), vec![&digest, &other]);
    }
}
