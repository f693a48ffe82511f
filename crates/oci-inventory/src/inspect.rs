//! `docker inspect` and `podman inspect` output: a JSON array of containers, images, or both.
//!
//! The array is read element by element: each element keeps only the keys a workload needs (`Config` only for its
//! `Image`) and becomes a container's or an image's details before the next is read, so 64 MiB of inspect output
//! (mostly `Env`, `Mounts`, `Labels`, `GraphDriver`...) is never a tree of JSON values in memory.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::answers::{ContainerDetails, INSPECT_KEYS, ImageDetails, container_from_value, image_from_value};
use crate::assemble::classify;
use crate::error::{Error, ErrorKind};
use crate::file::{Accept, read, read_limited};
use crate::text::quote;
use crate::workload::{ContainerFacts, ImageRef, Source, Workload};

/// The most inspect output [`read_inspect`] reads: hundreds of containers fit in far less.
pub const MAX_INSPECT_SIZE: u64 = 64 * 1024 * 1024;

/// Reads `docker inspect` or `podman inspect` output from `path` (`None` for standard input) and
/// [`parse_inspect`]s it.
///
/// At most [`MAX_INSPECT_SIZE`] bytes are read (one more tells a longer input). A path must name a regular file
/// or a pipe (`<(docker inspect ...)`): a device or socket could never end, and a FIFO found where a regular file
/// was checked is refused rather than waited on.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file does not exist or cannot be read, [`ErrorKind::NotRegularFile`] for anything
/// but a regular file or a pipe, [`ErrorKind::LimitExceeded`] for input over the limit; then as [`parse_inspect`].
pub fn read_inspect(path: Option<&Path>) -> Result<Vec<Workload>, Error> {
    let what = "inspect output";
    let bytes = match path {
        None => read_limited(std::io::stdin().lock(), MAX_INSPECT_SIZE, what)?,
        Some(path) => read(path, Accept::RegularOrPipe, MAX_INSPECT_SIZE, what)?
            .ok_or_else(|| Error::new(ErrorKind::Io, "no such file").with_file(Some(path)))?,
    };
    parse_inspect(&bytes, path)
}

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
    let mut elements = Elements {
        containers: Vec::new(),
        images: Vec::new(),
        failure: None,
        file,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let parsed = deserializer
        .deserialize_seq(&mut elements)
        .and_then(|()| deserializer.end());
    if let Some(failure) = elements.failure {
        return Err(failure);
    }
    parsed.map_err(|err| {
        Error::new(
            ErrorKind::InvalidJson,
            format!(
                "not the JSON array `docker inspect` prints: {}",
                crate::text::clip(&err.to_string())
            ),
        )
        .with_file(file)
    })?;
    let Elements { containers, images, .. } = elements;
    // The first image of each ID, as a scan from the start would find it.
    let mut by_id: HashMap<&oci_digest::Digest, usize> = HashMap::with_capacity(images.len());
    for (index, image) in images.iter().enumerate() {
        by_id.entry(&image.id).or_insert(index);
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
            .and_then(|id| by_id.get(id))
            .map(|&index| &images[index]);
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
    drop(by_id);
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

/// The elements of the array as they are read: containers and images, or the first error.
struct Elements<'a> {
    containers: Vec<ContainerDetails>,
    images: Vec<ImageDetails>,
    /// Our error, when an element stopped the reading (serde's error type cannot carry it).
    failure: Option<Error>,
    file: Option<&'a Path>,
}

/// One element, with only the keys that matter; `None` when it is no object.
struct Element(Option<Map<String, Value>>);

impl<'de> Visitor<'de> for &mut Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut position = 0usize;
        while let Some(Element(object)) = seq.next_element::<Element>()? {
            let file = self.file;
            let at = |err: Error| err.prefixed(&format!("element {position}: ")).with_file(file);
            let outcome = match object {
                None => Err(Error::new(ErrorKind::InvalidJson, "not an object")),
                Some(object) if object.contains_key("RepoTags") || object.contains_key("RepoDigests") => {
                    image_from_value(Value::Object(object)).map(|image| self.images.push(image))
                }
                Some(object) if object.contains_key("State") || object.contains_key("Config") => {
                    container_from_value(Value::Object(object)).map(|container| self.containers.push(container))
                }
                Some(_) => Err(Error::new(
                    ErrorKind::InvalidJson,
                    "neither a container nor an image (networks, volumes and the like hold no workload)",
                )),
            };
            if let Err(err) = outcome {
                self.failure = Some(at(err));
                return Err(de::Error::custom("stopped at an element that is not right"));
            }
            position += 1;
        }
        Ok(())
    }
}

impl<'de> de::Deserialize<'de> for Element {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an element of inspect output")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "Config" {
                let config = map.next_value_seed(ConfigImage)?;
                kept.insert("Config".to_owned(), config);
            } else if INSPECT_KEYS.contains(&key.as_ref()) {
                let value = map.next_value::<Value>()?;
                kept.insert(key.into_owned(), value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Element(Some(kept)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element, E> {
        Ok(Element(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element, E> {
        Ok(Element(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element, E> {
        Ok(Element(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Element, E> {
        Ok(Element(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element(None))
    }
}

/// A `Config` value: an object is kept with its `Image` only; anything else is kept as it is, so that a container
/// whose `Config` is no object is refused as before.
struct ConfigImage;

impl<'de> DeserializeSeed<'de> for ConfigImage {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ConfigImage {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a container's Config")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "Image" {
                kept.insert("Image".to_owned(), map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(kept))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Array(Vec::new()))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}
