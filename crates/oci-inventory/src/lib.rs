//! What images run where: the workloads of a Docker or Podman engine, of `docker inspect` output and of compose
//! files, each with the image as configured, every digest known to be in use, its platform and its source.
//!
//! The key design decision: every parser is pure. Engine answers, inspect output, compose files and `.env` files
//! are parsed from bytes and strings the caller hands in (and fuzzed that way), and the decisions about what an
//! engine's fields mean live in pure code ([`internal::assemble`]). The only IO is reading files when asked
//! ([`load_compose`]), and the environment is read only when the caller asks ([`Variables::capture`]).
//!
//! - [`Workload`]: [`Source`], name, [`ImageRef`] as configured, `RepoDigests`, the image ID, the platform and the
//!   [`State`].
//! - [`parse_inspect`]: `docker inspect` / `podman inspect` output.
//! - [`parse_compose`] and [`load_compose`]: compose files with `${VAR}` substitution from [`Variables`] and
//!   `.env`, override files, `extends`, merge keys and `!reset`.
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
//! The YAML is read with [saphyr-parser](https://docs.rs/saphyr-parser), the maintained successor of yaml-rust
//! (serde_yaml is archived): its event parser gives line numbers and tags, and this crate builds its own tree so
//! aliases are shared, not copied.
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answers;
mod assemble;
mod compose;
mod error;
mod inspect;
mod text;
mod workload;

pub use answers::ApiVersion;
pub use compose::{ComposeFile, MAX_FILE_SIZE, Variables, load_compose, parse_compose};
pub use error::{Error, ErrorKind};
pub use inspect::parse_inspect;
pub use workload::{ImageRef, Source, State, Workload};

/// What is public only for the tests and fuzz targets: the engine answers' parsers and the assembly of workloads
/// from them. Not part of the stable API.
#[doc(hidden)]
pub mod internal {
    /// The parsers of engine answers.
    pub mod answers {
        pub use crate::answers::*;
    }
    /// From engine answers to workloads.
    pub mod assemble {
        pub use crate::assemble::*;
    }
}
