//! What images run where: the workloads of a Docker or Podman engine and of `docker inspect` output, each with the
//! image as configured, every digest known to be in use, its platform and its source.
//!
//! The key design decision: every parser is pure. Engine answers and inspect output are parsed from bytes the
//! caller hands in (and fuzzed that way), and the decisions about what an engine's fields mean live in pure code
//! ([`internal::assemble`]).
//!
//! - [`Workload`]: [`Source`], name, [`ImageRef`] as configured, `RepoDigests`, the image ID, the platform and the
//!   [`State`].
//! - [`parse_inspect`]: `docker inspect` / `podman inspect` output.
//! - [`Error`] with an [`ErrorKind`], the file and line where there is one, and messages that say what to do.
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answers;
mod assemble;
mod error;
mod inspect;
mod text;
mod workload;

pub use answers::ApiVersion;
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
