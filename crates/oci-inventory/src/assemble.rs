//! From an engine's answers to workloads, without IO: what to ask next, and what the answers mean.
//!
//! The engine client (`engine.rs`) lists the containers, hands the list to an [`Assembly`], fetches what it
//! [needs](Assembly::images_needed) (each image once, the configuration of containers listed by ID, the engine's
//! platform if an image has none) and then [finishes](Assembly::finish) it. Every rule about what an engine's
//! `Image` field means lives in [`classify`], where it is unit-tested.

use std::collections::{HashMap, HashSet};

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::{AnyReference, Reference};

use crate::answers::{ContainerSummary, ImageDetails, PodmanHistory};
use crate::error::{Error, ErrorKind};
use crate::text::quote;
use crate::workload::{ContainerFacts, ImageRef, Source, Workload};

/// The answers about one engine's containers, gathered until they make workloads.
#[derive(Debug)]
pub struct Assembly {
    source: Source,
    containers: Vec<ContainerSummary>,
    images: HashMap<Digest, Option<ImageDetails>>,
    configured: HashMap<String, String>,
    histories: HashMap<Digest, PodmanHistory>,
    engine_platform: Option<Platform>,
}

impl Assembly {
    /// Starts from the container list of a Docker ([`Source::Docker`]) or podman ([`Source::Podman`]) engine.
    pub fn new(source: Source, containers: Vec<ContainerSummary>) -> Self {
        Self {
            source,
            containers,
            images: HashMap::new(),
            configured: HashMap::new(),
            histories: HashMap::new(),
            engine_platform: None,
        }
    }

    /// The image IDs to inspect (`GET /images/{id}/json`), each once, in the order the list first names them.
    pub fn images_needed(&self) -> Vec<Digest> {
        let mut needed: Vec<Digest> = Vec::new();
        let mut seen: HashSet<&Digest> = HashSet::new();
        for id in self.containers.iter().filter_map(|c| c.image_id.as_ref()) {
            if !self.images.contains_key(id) && seen.insert(id) {
                needed.push(id.clone());
            }
        }
        needed
    }

    /// Records what the engine said about an image; `None` when it does not know the ID (a `404`).
    pub fn add_image(&mut self, id: Digest, details: Option<ImageDetails>) {
        self.images.insert(id, details);
    }

    /// The containers (IDs) whose list entry names the image only by its ID: Docker puts the ID there when the
    /// tag the container was created from has moved on, so `Config.Image` of `GET /containers/{id}/json` is
    /// needed to know what was configured. Podman never does (it lists an ID only when it was given one).
    pub fn containers_needed(&self) -> Vec<String> {
        if self.source == Source::Podman {
            return Vec::new();
        }
        self.containers
            .iter()
            .filter(|c| !self.configured.contains_key(&c.id))
            .filter(|c| names_image_id(&c.image, c.image_id.as_ref()))
            .map(|c| c.id.clone())
            .collect()
    }

    /// Records a container's `Config.Image`.
    pub fn add_configured(&mut self, container: &str, configured: String) {
        self.configured.insert(container.to_owned(), configured);
    }

    /// The images (IDs) whose history podman's own API should give (`GET /libpod/images/{id}/json`): podman
    /// computes `RepoDigests` from the names an image has, so an image whose tag moved on to a newer image lists
    /// none, while a container still runs it. Only for podman, and only for images a container names.
    pub fn histories_needed(&self) -> Vec<Digest> {
        if self.source != Source::Podman {
            return Vec::new();
        }
        let mut needed: Vec<Digest> = Vec::new();
        let mut seen: HashSet<&Digest> = HashSet::new();
        for container in &self.containers {
            let Some(id) = &container.image_id else { continue };
            let nameless = self
                .images
                .get(id)
                .and_then(Option::as_ref)
                .is_some_and(|details| details.repo_digests.is_empty() && details.repo_tags.is_empty());
            if nameless && !self.histories.contains_key(id) && seen.insert(id) {
                needed.push(id.clone());
            }
        }
        needed
    }

    /// Records what podman's own API says about an image.
    pub fn add_history(&mut self, id: Digest, history: PodmanHistory) {
        self.histories.insert(id, history);
    }

    /// Whether some workload would have no platform without the engine's (`GET /info`).
    pub fn needs_engine_platform(&self) -> bool {
        self.engine_platform.is_none()
            && self.containers.iter().any(|c| {
                c.manifest.as_ref().and_then(|m| m.platform.as_ref()).is_none()
                    && c.image_id
                        .as_ref()
                        .and_then(|id| self.images.get(id))
                        .and_then(|details| details.as_ref())
                        .and_then(|details| details.platform.as_ref())
                        .is_none()
            })
    }

    /// Records the engine's platform, the fallback for images that say none.
    pub fn set_engine_platform(&mut self, platform: Option<Platform>) {
        self.engine_platform = platform;
    }

    /// The workloads, in the order of the container list.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidField`] when a container's image is neither a reference nor an ID.
    pub fn finish(self) -> Result<Vec<Workload>, Error> {
        let podman = self.source == Source::Podman;
        let mut workloads = Vec::with_capacity(self.containers.len());
        for container in self.containers {
            let details = container
                .image_id
                .as_ref()
                .and_then(|id| self.images.get(id))
                .and_then(Option::as_ref);
            let configured = match self.configured.get(&container.id) {
                Some(configured) if !configured.is_empty() => configured.as_str(),
                _ => container.image.as_str(),
            };
            let whose = format!("container {}", quote(&container.name));
            let image = classify(configured, container.image_id.as_ref(), details, podman, &whose)?;
            let platform = container
                .manifest
                .as_ref()
                .and_then(|m| m.platform.clone())
                .or_else(|| details.and_then(|d| d.platform.clone()))
                .or_else(|| self.engine_platform.clone());
            let mut repo_digests = details.map(|d| d.repo_digests.clone()).unwrap_or_default();
            if repo_digests.is_empty() {
                let history = container.image_id.as_ref().and_then(|id| self.histories.get(id));
                repo_digests.extend(pulled_by(&image, history));
            }
            let facts = ContainerFacts {
                id: container.id,
                manifest_digest: container.manifest.map(|m| m.digest),
                image_id: container.image_id,
                state: container.state,
            };
            let source = self.source.clone();
            workloads.push(Workload::container(
                source,
                container.name,
                image,
                facts,
                repo_digests,
                platform,
            ));
        }
        Ok(workloads)
    }
}

/// What an engine's image field means, given the container's image ID and what the engine says about that image.
///
/// - Empty: the image ID (engines fill the field, but an inspect file may not).
/// - An ID or ID prefix of the container's image (`sha256:...`, 64 hex, or a hex prefix as Docker keeps it), unless
///   the image is tagged with that very name: [`ImageRef::ImageId`], completed.
/// - Another digest: [`ImageRef::BareDigest`].
/// - A name: [`ImageRef::Local`] for podman's `localhost/` names; for Docker, for a name without digest whose
///   image has no `RepoDigests` entry for the name's repository (built, committed, loaded or tagged locally, never
///   pulled by it; Docker keeps the entries of an image whose tag moved on, podman drops them, so the rule is
///   Docker's only); else [`ImageRef::Reference`].
///
/// # Errors
///
/// [`ErrorKind::InvalidField`] when the field is not a reference, naming `whose` field it is.
pub fn classify(
    field: &str,
    image_id: Option<&Digest>,
    details: Option<&ImageDetails>,
    podman: bool,
    whose: &str,
) -> Result<ImageRef, Error> {
    let field = field.trim();
    if field.is_empty() {
        return match image_id {
            Some(id) => Ok(ImageRef::ImageId(id.clone())),
            None => Err(Error::new(
                ErrorKind::InvalidField,
                format!("{whose} names no image and no image ID"),
            )),
        };
    }
    if let Some(id) = image_id {
        if is_id_prefix(field, id) && !is_tag_of(field, details) {
            return Ok(ImageRef::ImageId(id.clone()));
        }
    }
    let parsed = oci_ref::parse_any(field).map_err(|err| {
        Error::new(
            ErrorKind::InvalidField,
            format!("the image {} of {whose} is not a reference", quote(field)),
        )
        .with_source(err)
    })?;
    Ok(match parsed {
        AnyReference::Digest(digest) if Some(&digest) == image_id => ImageRef::ImageId(digest),
        AnyReference::Digest(digest) => ImageRef::BareDigest(digest),
        AnyReference::Named(reference) if podman && reference.registry() == "localhost" => ImageRef::Local(reference),
        AnyReference::Named(reference) if !podman && is_local(&reference, details) => ImageRef::Local(reference),
        AnyReference::Named(reference) => ImageRef::Reference(reference),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidField,
                format!(
                    "the image {} of {whose} is of a kind this program does not know",
                    quote(field)
                ),
            ));
        }
    })
}

/// The configured name with the digest podman pulled the image by, when the image was once known by that name.
fn pulled_by(image: &ImageRef, history: Option<&PodmanHistory>) -> Option<Reference> {
    let (ImageRef::Reference(reference), Some(history)) = (image, history) else {
        return None;
    };
    let digest = history.digest.as_ref()?;
    if !history.names.iter().any(|name| name.name() == reference.name()) {
        return None;
    }
    format!("{}@{digest}", reference.name()).parse().ok()
}

/// Whether `field` is an image ID, or a prefix of one as Docker accepts and keeps, that `id` begins with.
fn names_image_id(field: &str, id: Option<&Digest>) -> bool {
    id.is_some_and(|id| is_id_prefix(field.trim(), id))
}

fn is_id_prefix(field: &str, id: &Digest) -> bool {
    let hex = field
        .strip_prefix(id.algorithm().name())
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(field);
    !hex.is_empty()
        && hex.len() <= id.encoded().len()
        && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && id.encoded().starts_with(hex)
}

/// Whether the image is tagged `field` (normalized, `latest` by default): then a hex-looking name is a name.
fn is_tag_of(field: &str, details: Option<&ImageDetails>) -> bool {
    let Some(details) = details else { return false };
    let Ok(reference) = Reference::parse_normalized(field) else {
        return false;
    };
    let reference = reference.with_default_tag();
    details
        .repo_tags
        .iter()
        .any(|tag| tag.clone().with_default_tag() == reference)
}

/// A name without digest whose image no registry gave under that repository.
fn is_local(reference: &Reference, details: Option<&ImageDetails>) -> bool {
    let Some(details) = details else { return false };
    reference.digest().is_none() && !details.repo_digests.iter().any(|rd| rd.name() == reference.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(id: &Digest, tags: &[&str], digests: &[&str]) -> ImageDetails {
        ImageDetails {
            id: id.clone(),
            repo_tags: tags.iter().map(|t| t.parse().unwrap()).collect(),
            repo_digests: digests.iter().map(|t| t.parse().unwrap()).collect(),
            platform: None,
            digest: None,
        }
    }

    #[track_caller]
    fn check(field: &str, id: Option<&Digest>, details: Option<&ImageDetails>, podman: bool, expected: &ImageRef) {
        let found = classify(field, id, details, podman, "container \"x\"").unwrap();
        assert_eq!(&found, expected, "{field:?}");
    }

    #[test]
    fn what_the_image_field_means() {
        let id = Digest::sha256(b"config");
        let other = Digest::sha256(b"other");
        let pulled = format!("nginx@{}", Digest::sha256(b"manifest"));
        let nginx = details(&id, &["nginx:1.25"], &[&pulled]);
        let reference = |s: &str| ImageRef::Reference(s.parse().unwrap());
        let local = |s: &str| ImageRef::Local(s.parse().unwrap());

        check("nginx:1.25", Some(&id), Some(&nginx), false, &reference("nginx:1.25"));
        check(
            "docker.io/library/nginx",
            Some(&id),
            Some(&nginx),
            false,
            &reference("nginx"),
        );
        // Unknown image (a 404): nothing says it is local.
        check("nginx:1.25", Some(&id), None, false, &reference("nginx:1.25"));
        // Tagged locally from nginx, never pulled as myapp.
        check("myapp", Some(&id), Some(&nginx), false, &local("myapp"));
        // Pinned by digest: a registry reference whatever the engine knows.
        let pinned = format!("myapp@{other}");
        check(&pinned, Some(&id), Some(&nginx), false, &reference(&pinned));
        // Podman's local names.
        let podman_local = details(&id, &["localhost/app:1"], &[&format!("localhost/app@{other}")]);
        check(
            "localhost/app:1",
            Some(&id),
            Some(&podman_local),
            true,
            &local("localhost/app:1"),
        );
        check(
            "localhost/app:1",
            Some(&id),
            Some(&podman_local),
            false,
            &reference("localhost/app:1"),
        );

        // IDs and prefixes.
        check(
            id.as_str(),
            Some(&id),
            Some(&nginx),
            false,
            &ImageRef::ImageId(id.clone()),
        );
        check(
            id.encoded(),
            Some(&id),
            Some(&nginx),
            false,
            &ImageRef::ImageId(id.clone()),
        );
        check(
            &id.encoded()[..12],
            Some(&id),
            Some(&nginx),
            false,
            &ImageRef::ImageId(id.clone()),
        );
        check(
            &format!("sha256:{}", &id.encoded()[..7]),
            Some(&id),
            None,
            false,
            &ImageRef::ImageId(id.clone()),
        );
        check("", Some(&id), None, false, &ImageRef::ImageId(id.clone()));
        check(
            other.as_str(),
            Some(&id),
            None,
            false,
            &ImageRef::BareDigest(other.clone()),
        );
        // A hex-looking name that the image is tagged with is a name.
        let prefix = &id.encoded()[..6];
        let tagged = details(&id, &[prefix], &[]);
        check(prefix, Some(&id), Some(&tagged), false, &local(prefix));
    }

    #[test]
    fn refused_fields_name_the_container() {
        let err = classify("Not A Reference", None, None, false, "container \"web\"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidField);
        assert_eq!(
            err.to_string(),
            "the image \"Not A Reference\" of container \"web\" is not a reference"
        );
        assert!(classify("", None, None, false, "container \"web\"").is_err());
    }
}
