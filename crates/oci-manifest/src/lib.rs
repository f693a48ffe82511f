//! OCI image manifests and indexes, Docker schema 2 manifests and manifest lists, descriptors,
//! media types, image configs, and platform matching.
//!
//! The key decision: a [`Manifest`] keeps the exact bytes it was parsed from, and its
//! [digest](Manifest::digest) is computed over those bytes. A manifest is never re-serialized
//! to compute or check a digest, because JSON that means the same can hash differently.
//! Serialization exists only for building new manifests.
//!
//! - [`Manifest::parse`] takes a body and its `Content-Type` and gives a [`Manifest`]: the bytes,
//!   their digest, the [`ManifestKind`] (OCI or Docker, index or image), and the typed
//!   [`ManifestBody`], an [`ImageIndex`] or [`ImageManifest`]. Every way a body can be wrong is an
//!   [`ErrorKind`]; Docker schema 1 is recognized and refused. [`ParseOptions`] sets the size limit.
//! - [`Descriptor`]: media type, [`Digest`](oci_digest::Digest), size and extras.
//! - [`Platform`]: `os/arch[/variant]`, normalized as containerd does; [`Platform::host`]; and
//!   [`ImageIndex::select`] (or [`select`]) picks the entry a host would run, never an attestation,
//!   or says which platforms there are in a [`NoMatch`].
//! - [`ImageConfig`]: the platform, creation time and labels of an image config.
//! - [`media_type`]: the media type constants and annotation keys.
//!
//! ```
//! use oci_manifest::{Manifest, ManifestKind, Platform};
//!
//! let body = br#"{
//!   "schemaVersion": 2,
//!   "mediaType": "application/vnd.oci.image.index.v1+json",
//!   "manifests": [
//!     {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1234,
//!      "digest": "sha256:a7a1b7a9c2f6f4c5f0e2a35b8c1e0d2b9f8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
//!      "platform": {"architecture": "amd64", "os": "linux"}},
//!     {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1234,
//!      "digest": "sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
//!      "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
//!   ]
//! }"#;
//! let manifest = Manifest::parse(body, Some("application/vnd.oci.image.index.v1+json; charset=utf-8"))?;
//! assert_eq!(manifest.kind(), ManifestKind::OciIndex);
//! assert_eq!(*manifest.digest(), oci_digest::Digest::sha256(body));
//!
//! let index = manifest.as_index().expect("an index");
//! let host: Platform = "linux/aarch64".parse()?;
//! let chosen = index.select(&host)?;
//! assert_eq!(chosen.digest().short(), "0b1c2d3e4f5a");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! None. The crate always depends on `serde` and `serde_json`, and on `oci-digest` with its
//! `serde` feature.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod descriptor;
mod error;
mod manifest;
pub mod media_type;
mod platform;

pub use config::ImageConfig;
pub use descriptor::Descriptor;
pub use error::{Error, ErrorKind, NoMatch};
pub use manifest::{ImageIndex, ImageManifest, Manifest, ManifestBody, ManifestKind, ParseOptions};
pub use platform::{MatchOptions, Platform, select};

/// Deserializes `null` as the default value, as Go's `encoding/json` reads `null` into a nil
/// slice or map.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
