//! Image references (`registry/repository:tag@digest`), parsed exactly as `github.com/distribution/reference` v0.6.0 reads them, with a nom grammar.
//!
//! This crate is being built; see `docs/architecture.md` for the part it plays.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
