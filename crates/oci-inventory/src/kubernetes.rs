//! `kubectl get pods,nodes -A -o json` output: the containers of a cluster's pods, with the image each runs and
//! the platform of its node.
//!
//! What is read, of the Kubernetes v1 API's objects (every other key is skipped unread, as serde skips a field no
//! type names, so `managedFields`, `env` and `volumes` are never held in memory):
//!
//! - the document: a `List` (what `kubectl get pods,nodes` prints), a `PodList` or `NodeList` (what the API server
//!   answers, whose items carry no `kind`), or one `Pod` (`kubectl get pod NAME -o json`). In a `List`, items of
//!   other kinds (`Service`, `Deployment`... from `kubectl get all`) are skipped: they describe wanted pods, and the
//!   pods themselves are in the list.
//! - a pod's `metadata` (`namespace`, `name`, `labels`, the controller's `ownerReferences`), `spec.nodeName`, the
//!   `name` and `image` of each of `spec.containers`, `spec.initContainers` and `spec.ephemeralContainers`, and the
//!   `name`, `imageID` and `state` of each of the matching `status.*ContainerStatuses`.
//! - a node's `metadata.name`, `status.nodeInfo.operatingSystem` and `architecture`, and the labels
//!   `kubernetes.io/os` and `kubernetes.io/arch` when `nodeInfo` says nothing.
//!
//! `imageID` is what the runtime reports: a repo digest (`docker.io/library/nginx@sha256:...`, containerd and
//! CRI-O; the old dockershim prefixed it with `docker-pullable://`), or an image ID, the digest of the image's config
//! (`sha256:...`, an image no registry gave, or `docker://sha256:...` from dockershim). The first is one of the
//! workload's [`repo_digests`](Workload::repo_digests), the second its [`image_id`](Workload::image_id), as for a
//! container of an engine.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::{AnyReference, Reference};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::answers::{engine_platform, image_id, nullable};
use crate::error::{Error, ErrorKind};
use crate::file::{Accept, read, read_limited};
use crate::text::quote;
use crate::workload::{ImageRef, Source, State, Workload};

/// The most `kubectl ... -o json` output [`read_kubectl`] reads: a cluster of thousands of pods prints less.
pub const MAX_KUBECTL_SIZE: u64 = 64 * 1024 * 1024;

/// Reads `kubectl get pods,nodes -A -o json` output from `path` (`None` for standard input) and
/// [`parse_kubectl`]s it.
///
/// At most [`MAX_KUBECTL_SIZE`] bytes are read (one more tells a longer input). A path must name a regular file
/// or a pipe (`<(kubectl get ...)`), as for [`read_inspect`](crate::read_inspect).
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file does not exist or cannot be read, [`ErrorKind::NotRegularFile`] for anything
/// but a regular file or a pipe, [`ErrorKind::LimitExceeded`] for input over the limit; then as [`parse_kubectl`].
pub fn read_kubectl(path: Option<&Path>) -> Result<Vec<Workload>, Error> {
    let what = "kubectl output";
    let bytes = match path {
        None => read_limited(std::io::stdin().lock(), MAX_KUBECTL_SIZE, what)?,
        Some(path) => read(path, Accept::RegularOrPipe, MAX_KUBECTL_SIZE, what)?
            .ok_or_else(|| Error::new(ErrorKind::Io, "no such file").with_file(Some(path)))?,
    };
    parse_kubectl(&bytes, path)
}

/// The workloads of `kubectl get pods,nodes -A -o json` output, read from `file` (`None` for standard input).
///
/// One workload per container of a pod's `containers`, `initContainers` and `ephemeralContainers`, named
/// `NAMESPACE/OWNER/CONTAINER`, with [`Source::Kubernetes`]:
///
/// - OWNER is the pod's controller (its `ownerReferences` entry with `controller: true`): a `DaemonSet`,
///   `StatefulSet` or `Job` by its name, and a `ReplicaSet` by its `Deployment`'s name when the pod's label
///   `pod-template-hash` is the suffix `-HASH` of the ReplicaSet's name (kubectl shows the ReplicaSet only). A pod
///   without a controller, or a static pod (whose owner is its `Node`), is its own owner: OWNER is the pod's name.
/// - The image as configured is the container's `image` ([`ImageRef::Invalid`] when it is no reference: the other
///   containers are still read). The image in use is its status's `imageID`, with the `docker-pullable://` or
///   `docker://` prefix removed: a `NAME@DIGEST` is a [`repo_digests`](Workload::repo_digests) entry, a bare
///   `sha256:...` the [`image_id`](Workload::image_id). A container that never started (`ImagePullBackOff`,
///   `ContainerCreating`, some `CrashLoopBackOff`s) has none.
/// - The platform is the node's (`spec.nodeName`): `status.nodeInfo`'s `operatingSystem/architecture`, else its
///   `kubernetes.io/os` and `kubernetes.io/arch` labels. Without the node in the document, or a pod not scheduled
///   yet, it is `None`: not guessed.
/// - The state is the container's: `running` is [`State::Running`], `terminated` [`State::Exited`], `waiting`
///   [`State::Other`] with its reason (`CrashLoopBackOff`).
///
/// The replicas of an owner are one workload per container, not one per pod: pods of the same owner whose
/// container has the same image, platform and image in use are one workload (its state is running when any of
/// them runs; a replica whose container has no image in use yet joins them). Replicas that differ stay apart, so
/// that a node still running an older digest of the tag is never hidden by one running the newer: when several
/// workloads would have the same name, the name says the platform (`(linux/arm64)`) where their platforms differ,
/// and the first pod (`(pod web-7d4b9c5f6d-x2x8k)`) where only the image in use does. A rollout in progress, whose
/// old and new pods configure different images, is two workloads of the same name and different images.
///
/// # Errors
///
/// [`ErrorKind::InvalidJson`] when the text is not JSON of the Kubernetes v1 API's shape (a `List`, `PodList`,
/// `NodeList` or `Pod`; a string where an array belongs, an array where an object does; an item of a `List`
/// without a `kind`; a pod or node without a name); [`ErrorKind::InvalidField`] for an `imageID` that is neither a
/// digest nor a `NAME@DIGEST` reference. Errors name `file` and the item's position.
pub fn parse_kubectl(text: &[u8], file: Option<&Path>) -> Result<Vec<Workload>, Error> {
    // serde reads a struct from an array too (its fields by position); kubectl prints an object.
    if let Some(other) = text.iter().find(|b| !b.is_ascii_whitespace()).filter(|&&b| b != b'{') {
        let what = if *other == b'[' { "an array" } else { "no object" };
        return Err(Error::new(
            ErrorKind::InvalidJson,
            format!("{what}, not the JSON object `kubectl get pods,nodes -o json` prints"),
        )
        .with_file(file));
    }
    let document: RawDocument = serde_json::from_slice(text).map_err(|err| {
        Error::new(
            ErrorKind::InvalidJson,
            format!(
                "not the JSON `kubectl get pods,nodes -o json` prints: {}",
                crate::text::clip(&err.to_string())
            ),
        )
        .with_file(file)
    })?;
    read_document(document).map_err(|err| err.with_file(file)).map(|found| {
        found.into_workloads(&Source::Kubernetes {
            file: file.map(Path::to_path_buf),
        })
    })
}

/// The document, read: a list's items or one object's keys.
#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a Kubernetes object: a List, PodList, NodeList or Pod"
)]
struct RawDocument {
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default)]
    items: Option<Vec<Object<RawObject>>>,
    #[serde(default, deserialize_with = "object")]
    metadata: RawMetadata,
    #[serde(default, deserialize_with = "object")]
    spec: RawSpec,
    #[serde(default, deserialize_with = "object")]
    status: RawStatus,
}

/// A pod or a node (or an item of another kind, which is skipped): the keys of both that matter.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawObject {
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "object")]
    metadata: RawMetadata,
    #[serde(default, deserialize_with = "object")]
    spec: RawSpec,
    #[serde(default, deserialize_with = "object")]
    status: RawStatus,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "objects")]
    owner_references: Vec<RawOwner>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOwner {
    #[serde(default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    controller: bool,
}

/// A pod's spec; a node's has none of these keys.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSpec {
    #[serde(default, deserialize_with = "nullable")]
    node_name: String,
    #[serde(default, deserialize_with = "objects")]
    containers: Vec<RawContainer>,
    #[serde(default, deserialize_with = "objects")]
    init_containers: Vec<RawContainer>,
    #[serde(default, deserialize_with = "objects")]
    ephemeral_containers: Vec<RawContainer>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContainer {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    image: String,
}

/// A pod's status (its containers') or a node's (`nodeInfo`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatus {
    #[serde(default, deserialize_with = "objects")]
    container_statuses: Vec<RawContainerStatus>,
    #[serde(default, deserialize_with = "objects")]
    init_container_statuses: Vec<RawContainerStatus>,
    #[serde(default, deserialize_with = "objects")]
    ephemeral_container_statuses: Vec<RawContainerStatus>,
    #[serde(default, deserialize_with = "object")]
    node_info: RawNodeInfo,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContainerStatus {
    #[serde(default, deserialize_with = "nullable")]
    name: String,
    #[serde(rename = "imageID", default, deserialize_with = "nullable")]
    image_id: String,
    #[serde(default, deserialize_with = "object")]
    state: RawContainerState,
}

/// One of the three keys is set.
#[derive(Default, Deserialize)]
struct RawContainerState {
    #[serde(default)]
    running: Option<Object<IgnoredAny>>,
    #[serde(default)]
    waiting: Option<Object<RawWaiting>>,
    #[serde(default)]
    terminated: Option<Object<IgnoredAny>>,
}

#[derive(Default, Deserialize)]
struct RawWaiting {
    #[serde(default, deserialize_with = "nullable")]
    reason: String,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNodeInfo {
    #[serde(default, deserialize_with = "nullable")]
    operating_system: String,
    #[serde(default, deserialize_with = "nullable")]
    architecture: String,
}

/// A JSON object read as `T`, `null` as its default. serde's derived structs also read an array, their fields by
/// position; kubectl never prints one, and a document that does is refused.
#[derive(Default)]
struct Object<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for Only<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }

            fn visit_unit<E: de::Error>(self) -> Result<T, E> {
                Ok(T::default())
            }
        }

        deserializer.deserialize_any(Only(PhantomData)).map(Object)
    }
}

/// A field that is an object (see [`Object`]).
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<T, D::Error> {
    Object::deserialize(deserializer).map(|Object(value)| value)
}

/// A field that is an array of objects, `null` as none.
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let list: Option<Vec<Object<T>>> = Option::deserialize(deserializer)?;
    Ok(unwrap(list.unwrap_or_default()))
}

fn unwrap<T>(objects: Vec<Object<T>>) -> Vec<T> {
    objects.into_iter().map(|Object(value)| value).collect()
}

/// The image a container runs, from its status's `imageID`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct InUse {
    repo_digest: Option<Reference>,
    image_id: Option<Digest>,
}

/// Replicas of one owner's container with the same image as configured and platform.
struct Group {
    base: String,
    image: ImageRef,
    platform: Option<Platform>,
    /// Each distinct image in use, with the pods that run it.
    variants: Vec<Variant>,
    /// Where each image in use is in `variants` (a scan would make thousands of replicas quadratic).
    by_image: HashMap<InUse, usize>,
    /// The replicas whose container has no image in use yet: they join the first variant, if there is one.
    pending: Option<Variant>,
}

struct Variant {
    in_use: InUse,
    first_pod: String,
    state: Option<State>,
}

/// What a document holds: the groups of containers, in the order they were first seen.
struct Found {
    groups: Vec<Group>,
}

fn read_document(document: RawDocument) -> Result<Found, Error> {
    let RawDocument {
        kind,
        items,
        metadata,
        spec,
        status,
    } = document;
    let (items, default_kind) = match (kind.as_str(), items) {
        ("Pod", _) => (
            vec![RawObject {
                kind,
                metadata,
                spec,
                status,
            }],
            None,
        ),
        ("List" | "", Some(items)) => (unwrap(items), None),
        ("PodList", Some(items)) => (unwrap(items), Some("Pod")),
        ("NodeList", Some(items)) => (unwrap(items), Some("Node")),
        ("List" | "PodList" | "NodeList", None) => (Vec::new(), None),
        ("", None) => {
            return Err(Error::new(
                ErrorKind::InvalidJson,
                "neither a list nor a pod (no `kind`): give `kubectl get pods,nodes -A -o json`",
            ));
        }
        (other, _) => {
            return Err(Error::new(
                ErrorKind::InvalidJson,
                format!(
                    "a {} holds no pods: give `kubectl get pods,nodes -A -o json`",
                    quote(other)
                ),
            ));
        }
    };
    let mut pods = Vec::new();
    let mut nodes: HashMap<String, Option<Platform>> = HashMap::new();
    for (position, item) in items.into_iter().enumerate() {
        let at = |err: Error| err.prefixed(&format!("item {position}: "));
        let kind = if item.kind.is_empty() {
            default_kind.ok_or_else(|| {
                at(Error::new(
                    ErrorKind::InvalidJson,
                    "no `kind`: a List's items say whether they are a Pod or a Node",
                ))
            })?
        } else {
            item.kind.as_str()
        };
        match kind {
            "Pod" => {
                if item.metadata.name.is_empty() {
                    return Err(at(Error::new(ErrorKind::InvalidJson, "a pod without `metadata.name`")));
                }
                pods.push((position, item));
            }
            "Node" => {
                if item.metadata.name.is_empty() {
                    return Err(at(Error::new(ErrorKind::InvalidJson, "a node without `metadata.name`")));
                }
                let platform = node_platform(&item);
                nodes.entry(item.metadata.name).or_insert(platform);
            }
            // Deployments, Services, ReplicaSets...: no running container of their own.
            _ => {}
        }
    }
    let mut found = Found { groups: Vec::new() };
    let mut index: HashMap<(String, ImageRef, Option<Platform>), usize> = HashMap::new();
    for (position, pod) in pods {
        let platform = nodes.get(&pod.spec.node_name).cloned().flatten();
        let namespace = if pod.metadata.namespace.is_empty() {
            // What the API server gives a pod created without one.
            "default"
        } else {
            pod.metadata.namespace.as_str()
        };
        let owner = owner(&pod.metadata);
        let pod_name = format!("{namespace}/{}", pod.metadata.name);
        for (containers, statuses) in [
            (&pod.spec.containers, &pod.status.container_statuses),
            (&pod.spec.init_containers, &pod.status.init_container_statuses),
            (&pod.spec.ephemeral_containers, &pod.status.ephemeral_container_statuses),
        ] {
            // The first status of each name, as a scan from the start would find it; a map, since a pod may list
            // many containers.
            let mut by_name: HashMap<&str, &RawContainerStatus> = HashMap::with_capacity(statuses.len());
            for status in statuses {
                by_name.entry(status.name.as_str()).or_insert(status);
            }
            for container in containers {
                let whose = format!("container {} of pod {}", quote(&container.name), quote(&pod_name));
                if container.name.is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidJson,
                        format!("item {position}: a container of pod {} has no `name`", quote(&pod_name)),
                    ));
                }
                let status = by_name.get(container.name.as_str()).copied();
                let in_use = match status {
                    Some(status) => {
                        in_use(&status.image_id, &whose).map_err(|err| err.prefixed(&format!("item {position}: ")))?
                    }
                    None => InUse {
                        repo_digest: None,
                        image_id: None,
                    },
                };
                let image = configured(&container.image, in_use.image_id.as_ref(), &whose);
                let state = status.and_then(|status| status.state.state());
                let key = (
                    format!("{namespace}/{owner}/{}", container.name),
                    image,
                    platform.clone(),
                );
                let at = *index.entry(key.clone()).or_insert_with(|| {
                    found.groups.push(Group {
                        base: key.0.clone(),
                        image: key.1.clone(),
                        platform: key.2.clone(),
                        variants: Vec::new(),
                        by_image: HashMap::new(),
                        pending: None,
                    });
                    found.groups.len() - 1
                });
                found.groups[at].add(in_use, &pod.metadata.name, state);
            }
        }
    }
    Ok(found)
}

impl Found {
    fn into_workloads(self, source: &Source) -> Vec<Workload> {
        // Which names need the platform to be told apart: those shared by groups of different platforms.
        let mut platforms: HashMap<&str, (&Option<Platform>, bool)> = HashMap::new();
        for group in &self.groups {
            let (first, differ) = platforms.entry(&group.base).or_insert((&group.platform, false));
            *differ |= *first != &group.platform;
        }
        let platform_named: HashMap<String, bool> = platforms
            .into_iter()
            .map(|(base, (_, differ))| (base.to_owned(), differ))
            .collect();
        let mut workloads = Vec::new();
        for group in self.groups {
            let Group {
                base,
                image,
                platform,
                mut variants,
                pending,
                ..
            } = group;
            if let Some(pending) = pending {
                match variants.first_mut() {
                    Some(first) => first.merge_state(pending.state),
                    None => variants.push(pending),
                }
            }
            let with_platform = platform_named.get(&base).copied().unwrap_or(false);
            let with_pod = variants.len() > 1;
            for variant in variants {
                let mut told = Vec::new();
                if with_platform {
                    told.push(
                        platform
                            .as_ref()
                            .map_or_else(|| "unknown platform".to_owned(), ToString::to_string),
                    );
                }
                if with_pod {
                    told.push(format!("pod {}", variant.first_pod));
                }
                let name = if told.is_empty() {
                    base.clone()
                } else {
                    format!("{base} ({})", told.join(", "))
                };
                let mut workload = Workload::new(source.clone(), name, image.clone());
                workload.set_repo_digests(variant.in_use.repo_digest.into_iter().collect());
                workload.set_image_id(variant.in_use.image_id);
                workload.set_platform(platform.clone());
                workload.set_state(variant.state);
                workloads.push(workload);
            }
        }
        workloads
    }
}

impl Group {
    /// One more replica's container.
    fn add(&mut self, in_use: InUse, pod: &str, state: Option<State>) {
        let known = in_use.repo_digest.is_some() || in_use.image_id.is_some();
        let slot = if known {
            self.by_image.get(&in_use).map(|&at| &mut self.variants[at])
        } else {
            self.pending.as_mut()
        };
        if let Some(variant) = slot {
            variant.merge_state(state);
            return;
        }
        let variant = Variant {
            in_use: in_use.clone(),
            first_pod: pod.to_owned(),
            state,
        };
        if known {
            self.by_image.insert(in_use, self.variants.len());
            self.variants.push(variant);
        } else {
            self.pending = Some(variant);
        }
    }
}

impl Variant {
    /// Running when any replica runs; else the first replica's state.
    fn merge_state(&mut self, state: Option<State>) {
        if self.state.is_none() || state == Some(State::Running) {
            if let Some(state) = state {
                self.state = Some(state);
            }
        }
    }
}

impl RawContainerState {
    fn state(&self) -> Option<State> {
        if self.running.is_some() {
            Some(State::Running)
        } else if self.terminated.is_some() {
            Some(State::Exited)
        } else {
            self.waiting.as_ref().map(|Object(waiting)| {
                if waiting.reason.is_empty() {
                    State::Other("waiting".to_owned())
                } else {
                    State::Other(waiting.reason.clone())
                }
            })
        }
    }
}

/// The name a pod's containers are known by: its controller's (a Deployment's for a ReplicaSet of one), else its
/// own.
fn owner(metadata: &RawMetadata) -> &str {
    let Some(controller) = metadata
        .owner_references
        .iter()
        .find(|owner| owner.controller && !owner.name.is_empty())
    else {
        return &metadata.name;
    };
    match controller.kind.as_str() {
        // A static pod: the kubelet's mirror of a manifest on that node, named after it.
        "Node" => &metadata.name,
        "ReplicaSet" => metadata
            .labels
            .get("pod-template-hash")
            .filter(|hash| !hash.is_empty())
            .and_then(|hash| controller.name.strip_suffix(hash.as_str()))
            .and_then(|rest| rest.strip_suffix('-'))
            .filter(|deployment| !deployment.is_empty())
            .unwrap_or(&controller.name),
        _ => &controller.name,
    }
}

/// A node's platform: `nodeInfo`, else its labels; `None` when neither says both the OS and the architecture.
fn node_platform(node: &RawObject) -> Option<Platform> {
    let info = &node.status.node_info;
    engine_platform(&info.operating_system, &info.architecture).or_else(|| {
        let label = |name: &str| node.metadata.labels.get(name).map_or("", String::as_str);
        engine_platform(label("kubernetes.io/os"), label("kubernetes.io/arch"))
    })
}

/// The image in use, from a status's `imageID`.
fn in_use(text: &str, whose: &str) -> Result<InUse, Error> {
    let text = text.trim();
    let bare = text
        .strip_prefix("docker-pullable://")
        .or_else(|| text.strip_prefix("docker://"))
        .unwrap_or(text);
    if bare.contains('@') {
        let invalid = || {
            Error::new(
                ErrorKind::InvalidField,
                format!(
                    "the imageID {} of {whose} is not a `name@digest` reference",
                    quote(text)
                ),
            )
        };
        let reference = Reference::parse_normalized(bare).map_err(|err| invalid().with_source(err))?;
        if reference.digest().is_none() {
            return Err(invalid());
        }
        return Ok(InUse {
            repo_digest: Some(reference),
            image_id: None,
        });
    }
    let image_id = image_id(bare, whose).map_err(|err| {
        Error::new(
            ErrorKind::InvalidField,
            format!(
                "the imageID {} of {whose} is neither a digest nor a `name@digest` reference",
                quote(text)
            ),
        )
        .with_source(err)
    })?;
    Ok(InUse {
        repo_digest: None,
        image_id,
    })
}

/// The image as configured: a reference, an image ID or digest, or why it is neither.
fn configured(image: &str, image_id: Option<&Digest>, whose: &str) -> ImageRef {
    if image.trim().is_empty() {
        return ImageRef::Invalid {
            image: String::new(),
            reason: format!("{whose} names no image"),
        };
    }
    match oci_ref::parse_any(image) {
        Ok(AnyReference::Named(reference)) => ImageRef::Reference(reference),
        Ok(AnyReference::Digest(digest)) if Some(&digest) == image_id => ImageRef::ImageId(digest),
        Ok(AnyReference::Digest(digest)) => ImageRef::BareDigest(digest),
        Ok(_) => ImageRef::Invalid {
            image: image.to_owned(),
            reason: format!(
                "the image {} of {whose} is of a kind this program does not know",
                quote(image)
            ),
        },
        Err(err) => ImageRef::Invalid {
            image: image.to_owned(),
            reason: format!("the image {} of {whose} is not a reference ({err})", quote(image)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac";

    /// A pod document with one container whose status has `image_id`.
    fn pod(owner: &str, labels: &str, image: &str, image_id: &str) -> String {
        format!(
            r#"{{"kind":"Pod","metadata":{{"name":"web-7d4b9c5f6d-x2x8k","namespace":"shop","labels":{labels},
            "ownerReferences":[{owner}]}},"spec":{{"containers":[{{"name":"nginx","image":"{image}"}}]}},
            "status":{{"containerStatuses":[{{"name":"nginx","imageID":"{image_id}","state":{{"running":{{}}}}}}]}}}}"#
        )
    }

    #[test]
    fn image_ids_as_runtimes_write_them() {
        for (text, repo_digest, image_id) in [
            (
                format!("docker.io/library/nginx@sha256:{HEX}"),
                Some(format!("docker.io/library/nginx@sha256:{HEX}")),
                None,
            ),
            (
                format!("docker-pullable://nginx@sha256:{HEX}"),
                Some(format!("docker.io/library/nginx@sha256:{HEX}")),
                None,
            ),
            (format!("docker://sha256:{HEX}"), None, Some(format!("sha256:{HEX}"))),
            (format!("sha256:{HEX}"), None, Some(format!("sha256:{HEX}"))),
            (String::new(), None, None),
            // Nothing after the scheme is no image in use, as an empty imageID is.
            ("docker-pullable://".to_owned(), None, None),
        ] {
            let found = in_use(&text, "c").unwrap();
            assert_eq!(found.repo_digest.map(|r| r.to_string()), repo_digest, "{text}");
            assert_eq!(found.image_id.map(|d| d.to_string()), image_id, "{text}");
        }
        for bad in ["nginx:1.25", "nginx@sha256:abc", "docker://nginx", "sha256:xyz"] {
            let err = in_use(bad, "c").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidField, "{bad}: {err}");
        }
    }

    #[test]
    fn owners_name_the_deployment_when_the_hash_label_agrees() {
        let replica_set = r#"{"kind":"ReplicaSet","name":"web-7d4b9c5f6d","controller":true}"#;
        let check = |owner: &str, labels: &str, expected: &str| {
            let text = pod(owner, labels, "nginx:1.25", "");
            let workloads = parse_kubectl(text.as_bytes(), None).unwrap();
            assert_eq!(workloads[0].name(), expected, "{owner} {labels}");
        };
        check(replica_set, r#"{"pod-template-hash":"7d4b9c5f6d"}"#, "shop/web/nginx");
        // Without the label, or with another hash, the ReplicaSet is the owner as kubectl names it.
        check(replica_set, "{}", "shop/web-7d4b9c5f6d/nginx");
        check(
            replica_set,
            r#"{"pod-template-hash":"5f6d"}"#,
            "shop/web-7d4b9c5f6d/nginx",
        );
        check(
            r#"{"kind":"ReplicaSet","name":"7d4b9c5f6d","controller":true}"#,
            r#"{"pod-template-hash":"7d4b9c5f6d"}"#,
            "shop/7d4b9c5f6d/nginx",
        );
        check(
            r#"{"kind":"DaemonSet","name":"agent","controller":true}"#,
            "{}",
            "shop/agent/nginx",
        );
        // An owner that is not the controller, and a static pod's node, leave the pod its own owner.
        check(
            r#"{"kind":"ConfigMap","name":"x"}"#,
            "{}",
            "shop/web-7d4b9c5f6d-x2x8k/nginx",
        );
        check(
            r#"{"kind":"Node","name":"node-1","controller":true}"#,
            "{}",
            "shop/web-7d4b9c5f6d-x2x8k/nginx",
        );
    }

    #[test]
    fn a_container_whose_image_is_no_reference_is_invalid_not_an_error() {
        let text = pod("", "{}", "NGINX:1", "");
        let workloads = parse_kubectl(text.as_bytes(), None).unwrap();
        assert!(
            matches!(workloads[0].image(), ImageRef::Invalid { image, .. } if image == "NGINX:1"),
            "{workloads:?}"
        );
        let text = pod("", "{}", "", "");
        let workloads = parse_kubectl(text.as_bytes(), None).unwrap();
        assert!(
            matches!(workloads[0].image(), ImageRef::Invalid { .. }),
            "{workloads:?}"
        );
        // An image given by the ID the runtime reports is that ID.
        let text = pod("", "{}", &format!("sha256:{HEX}"), &format!("sha256:{HEX}"));
        let workloads = parse_kubectl(text.as_bytes(), None).unwrap();
        assert_eq!(
            workloads[0].image(),
            &ImageRef::ImageId(format!("sha256:{HEX}").parse().unwrap())
        );
    }

    #[test]
    fn states_of_containers() {
        for (state, expected) in [
            (
                r#"{"running":{"startedAt":"2026-01-01T00:00:00Z"}}"#,
                Some(State::Running),
            ),
            (
                r#"{"terminated":{"exitCode":0,"reason":"Completed"}}"#,
                Some(State::Exited),
            ),
            (
                r#"{"waiting":{"reason":"CrashLoopBackOff"}}"#,
                Some(State::Other("CrashLoopBackOff".to_owned())),
            ),
            (r#"{"waiting":{}}"#, Some(State::Other("waiting".to_owned()))),
            ("{}", None),
        ] {
            let parsed: RawContainerState = serde_json::from_str(state).unwrap();
            assert_eq!(parsed.state(), expected, "{state}");
        }
    }
}
