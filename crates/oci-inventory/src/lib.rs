//! What images run where: the workloads of a Docker or Podman engine, of `docker inspect` output, of compose
//! files and of a Kubernetes cluster's pods (`kubectl get pods,nodes -A -o json`), each with the image as
//! configured, every digest known to be in use, its platform and its source.
//!
//! The key design decision: every parser is pure. Engine answers, inspect output, kubectl output, compose files
//! and `.env` files are parsed from bytes and strings the caller hands in (and fuzzed that way), and the decisions
//! about what an engine's fields mean live in pure code ([`internal::assemble`]). The only network IO is
//! [`Engine`], a small HTTP/1.1 client that sends nothing but `GET` requests to an engine's unix socket or plain
//! TCP port; the only other IO is reading files when asked ([`load_compose`] and the files its `include:` names,
//! [`read_inspect`], [`read_kubectl`]), reading the docker context store and checking whether podman's rootless
//! socket exists ([`EngineAddress::locate`]). The environment is read only when the caller asks
//! ([`Environment::capture`], [`Variables::capture`]).
//!
//! - [`Workload`]: [`Source`] ([`Docker`](Source::Docker), [`Podman`](Source::Podman),
//!   [`Compose`](Source::Compose), [`Inspect`](Source::Inspect), [`Kubernetes`](Source::Kubernetes)), name,
//!   [`ImageRef`] as configured (a registry [`Reference`](ImageRef::Reference), an [`ImageId`](ImageRef::ImageId),
//!   a [`BareDigest`](ImageRef::BareDigest), a [`Local`](ImageRef::Local) image, or
//!   [`BuildOnly`](ImageRef::BuildOnly)), `RepoDigests`, the image ID, the platform and the [`State`].
//! - [`Engine`]: [`connect`](Engine::connect) to the address [`EngineAddress::locate`] finds (`--host`, then
//!   `DOCKER_HOST` or `CONTAINER_HOST`, then the docker context, then the default sockets), then
//!   [`workloads`](Engine::workloads); [`registry_mirrors`](Engine::registry_mirrors) for Docker Hub's mirrors.
//! - [`parse_inspect`]: `docker inspect` / `podman inspect` output; [`read_inspect`] reads it from a file or standard
//!   input within [`MAX_INSPECT_SIZE`].
//! - [`parse_kubectl`]: `kubectl get pods,nodes -A -o json` output, one workload per owner's container (the
//!   replicas of a Deployment are one), on its node's platform; [`read_kubectl`] reads it within
//!   [`MAX_KUBECTL_SIZE`]. No API server is asked: `docs/kubernetes-containerd.md` says what one would add.
//! - [`parse_compose`] and [`load_compose`]: compose files with `${VAR}` substitution from [`Variables`] and
//!   `.env`, override files, `extends`, merge keys and `!reset`; [`load_compose`] also follows `include:`.
//! - [`Error`] with an [`ErrorKind`], the file and line where there is one, and messages that say what to do.
//!
//! ```
//! use std::path::Path;
//! use oci_inventory::{ComposeFile, ImageRef, Variables, parse_compose};
//!
//! let text = "services:\n  web:\n    image: nginx:${TAG:-1.25}\n  app:\n    build: .\n";
//! let vars = Variables::from_pairs([("TAG", "1.27")]);
//! let workloads = parse_compose(&[ComposeFile { path: Path::new("compose.yaml"), text }], &vars)?;
//! assert_eq!(workloads[0].name(), "web");
//! assert_eq!(workloads[0].image().to_string(), "nginx:1.27");
//! assert_eq!(workloads[1].image(), &ImageRef::BuildOnly);
//! # Ok::<(), oci_inventory::Error>(())
//! ```
//!
//! Reading a Docker engine (in a tokio runtime):
//!
//! ```no_run
//! use oci_inventory::{Engine, EngineAddress, EngineKind, EngineOptions, Environment};
//!
//! # async fn run() -> Result<(), oci_inventory::Error> {
//! let located = EngineAddress::locate(EngineKind::Docker, None, &Environment::capture())?;
//! let mut engine = Engine::connect(located, EngineOptions::new()).await?;
//! for workload in engine.workloads(false).await? {
//!     println!("{} {} {:?}", workload.name(), workload.image(), workload.digests());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The YAML is read with [saphyr-parser](https://docs.rs/saphyr-parser), the maintained successor of yaml-rust
//! (serde_yaml is archived): its event parser gives line numbers and tags, and this crate builds its own tree so
//! aliases are shared, not copied. containerd (through the CRI) is not read yet, nor a live Kubernetes API; the
//! crate's README points to the notes that say which fields would give the same answers.
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answers;
mod assemble;
mod compose;
mod engine;
mod error;
mod file;
mod inspect;
mod kubernetes;
mod registries_conf;
mod text;
mod workload;

pub use compose::{
    ComposeFile, MAX_COMPOSE_FILES, MAX_FILE_SIZE, MAX_INCLUDE_DEPTH, Variables, load_compose, parse_compose,
};
pub use engine::{
    ContainerEvent, ContainerEvents, DOCKER_SOCKET, Engine, EngineAddress, EngineKind, EngineOptions, Environment,
    Located, MAX_EVENT_LINE, Origin, PODMAN_ROOT_SOCKET,
};
pub use error::{Error, ErrorKind};
pub use inspect::{MAX_INSPECT_SIZE, parse_inspect, read_inspect};
pub use kubernetes::{MAX_KUBECTL_SIZE, parse_kubectl, read_kubectl};
pub use registries_conf::{
    MAX_REGISTRIES_CONF, Mirror, PullFromMirror, RegistriesConf, RegistryEntry, load_registries_conf,
    parse_registries_conf, registries_conf_path,
};
pub use workload::{ImageRef, Source, State, Workload};

pub use answers::ApiVersion;

/// What is public only for the tests and fuzz targets: the engine answers' parsers and the assembly of workloads
/// from them. Not part of the stable API.
#[doc(hidden)]
pub mod internal {
    /// The parsers of engine answers.
    pub mod answers {
        pub use crate::answers::*;
    }
    /// Docker contexts: which one is named, and what its `meta.json` says.
    pub mod context {
        pub use crate::engine::context::{
            ContextName, DEFAULT_CONTEXT, MAX_CONTEXT_FILE, MAX_CONTEXT_NAME, context_hash, context_name,
            parse_context_meta,
        };
    }
    /// A compose file's `include` entries.
    pub mod compose {
        pub use crate::compose::include::{Include, MAX_INCLUDE_ENTRIES, compose_includes};
    }
    /// From engine answers to workloads.
    pub mod assemble {
        pub use crate::assemble::*;
    }
}
