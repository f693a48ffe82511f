//! `docker inspect` and `podman inspect` output: a JSON array of containers, images, or both.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::answers::{ContainerDetails, ImageDetails, parse_container, parse_image};
use crate::assemble::classify;
use crate::error::{Error, ErrorKind};
use crate::text::quote;
use crate::workload::{ContainerFacts, ImageRef, Source, Workload};

/// The workloads of `docker inspect` or `podman inspect` output, read from `file` (`None` for standard input).
///
/// The output is a JSON array as those commands print it, of containers (`docker inspect CONTAINER...`,
/// `docker container inspect`), images (`docker image inspect`), or both, since `docker inspect` takes either.
/// Each container is a workload, joined with its image when the array has it (for the `RepoDigests` and the
/// platform); each image no container of the array uses is a workload of its own, named after its first tag.
/// Both engines' spellings are read (podman's bare hex IDs, `ImageName` and `ImageDigest`; see
/// [`internal::answers`](crate::internal::answers)).
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the text is not a JSON array of objects, or an element is neither a container
/// nor an image (networks and volumes are not workloads); [`ErrorKind::InvalidField`] for a malformed ID, digest
/// or reference. Errors name `file` and the element's position.
pub fn parse_inspect(text: &[u8], file: Option<&Path>) -> Result<Vec<Workload>, Error> {
    let elements: Vec<Value> = serde_json::from_slice(text).map_err(|err| {
        Error::new(
            ErrorKind::InvalidJson,
            format!(
                "not the JSON array `docker inspect` prints: {}",
                crate::text::clip(&err.to_string())
            ),
        )
        .with_file(file)
    })?;
    let mut containers: Vec<ContainerDetails> = Vec::new();
    let mut images: Vec<ImageDetails> = Vec::new();
    for (position, element) in elements.iter().enumerate() {
        let at = |err: Error| err.prefixed(&format!("element {position}: ")).with_file(file);
        let Value::Object(object) = element else {
            return Err(at(Error::new(ErrorKind::InvalidJson, "not an object")));
        };
        let bytes =
            serde_json::to_vec(element).map_err(|err| at(Error::new(ErrorKind::InvalidJson, err.to_string())))?;
        if object.contains_key("RepoTags") || object.contains_key("RepoDigests") {
            images.push(parse_image(&bytes).map_err(at)?);
        } else if object.contains_key("State") || object.contains_key("Config") {
            containers.push(parse_container(&bytes).map_err(at)?);
        } else {
            return Err(at(Error::new(
                ErrorKind::InvalidJson,
                "neither a container nor an image (networks, volumes and the like hold no workload)",
            )));
        }
    }
    let source = Source::Inspect {
        file: file.map(Path::to_path_buf),
    };
    let mut used = HashSet::new();
    let mut workloads = Vec::new();
    for container in containers {
        let details = container
            .image_id
            .as_ref()
            .and_then(|id| images.iter().find(|image| image.id == *id));
        if let Some(details) = details {
            used.insert(details.id.clone());
        }
        let whose = format!("container {}", quote(&container.name));
        let image = classify(
            &container.configured,
            container.image_id.as_ref(),
            details,
            container.podman,
            &whose,
        )
        .map_err(|err| err.with_file(file))?;
        let mut repo_digests = details.map(|d| d.repo_digests.clone()).unwrap_or_default();
        // Without the image in the file, podman's `ImageDigest` under the configured name is the one digest known
        // (the image's first, which podman pairs with every name of the image as it does in `RepoDigests`).
        if let (None, Some(digest), Some(reference)) = (details, &container.image_digest, image.reference()) {
            if let Ok(pulled) = format!("{}@{digest}", reference.name()).parse() {
                if !repo_digests.contains(&pulled) {
                    repo_digests.push(pulled);
                }
            }
        }
        let platform = container
            .manifest
            .as_ref()
            .and_then(|m| m.platform.clone())
            .or_else(|| details.and_then(|d| d.platform.clone()));
        let facts = ContainerFacts {
            id: container.id,
            manifest_digest: container.manifest.map(|m| m.digest),
            image_id: container.image_id,
            state: container.state,
        };
        workloads.push(Workload::container(
            source.clone(),
            container.name,
            image,
            facts,
            repo_digests,
            platform,
        ));
    }
    for image in images.into_iter().filter(|image| !used.contains(&image.id)) {
        let (name, image_ref) = match image.repo_tags.first() {
            Some(tag) => {
                let reference = tag.clone();
                let local = (reference.registry() == "localhost")
                    || !image.repo_digests.iter().any(|rd| rd.name() == reference.name());
                let name = reference.familiar();
                if local {
                    (name, ImageRef::Local(reference))
                } else {
                    (name, ImageRef::Reference(reference))
                }
            }
            None => (image.id.to_string(), ImageRef::ImageId(image.id.clone())),
        };
        let mut workload = Workload::new(source.clone(), name, image_ref);
        workload.set_repo_digests(image.repo_digests);
        workload.set_image_id(Some(image.id));
        workload.set_platform(image.platform);
        workloads.push(workload);
    }
    Ok(workloads)
}
