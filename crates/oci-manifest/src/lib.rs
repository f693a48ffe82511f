//! OCI image manifests and indexes, Docker schema2 manifests and manifest lists, descriptors, media types and platform matching. Parsing keeps the exact bytes, so digests are computed over what was received.
//!
//! This crate is being built; see `docs/architecture.md` for the part it plays.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
