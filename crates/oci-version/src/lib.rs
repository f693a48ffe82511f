//! Which tags of a repository are newer versions of the tag an image runs, from the tags' text
//! alone.
//!
//! The key decision is the *shape*: a tag with each number replaced by `#` (`1.27.3-alpine` is
//! `#.#.#-alpine`). Two tags compare only when their shapes are equal, and then number by number,
//! by value. So a suffix is a compatibility class (`-alpine` stays `-alpine`), a prefix is kept
//! (`v`, `version-`), `1.27` moves to `1.28` and never to `1.28.0`, and a release candidate
//! (`1.28.0-rc1`, `3.13.0rc2`) never competes with a release. No list of conventions is needed,
//! and none is guessed. The one exception is architecture names (`amd64`, `arm64v8`, ...): their
//! digits are part of the name, so `amd64-1.2.3` has the shape `amd64-#.#.#`.
//!
//! The crate does no IO and has no dependencies: it only proposes. Text cannot tell every trap
//! apart. A repository that once used calendar versions (`2021.12.16`) and now uses `10.10.7` has
//! both in the shape `#.#.#`, and 2021 is more than 10, so the old tag is proposed as a major jump.
//! The network check that uses this crate confirms candidates with what the registry knows (the
//! images' creation dates and digests); an include glob or a smaller maximum jump avoids them here.
//!
//! - [`Tag`]: a parsed tag, with its [`Shape`], its [`TagKind`] (a version, or noise of some
//!   [`NoiseKind`]: no number, cosign, referrers, commit hash), [`Tag::compare`] within a shape,
//!   [`Tag::jump`] and [`Tag::covers`].
//! - [`Jump`]: how far a newer tag is (`major`, `minor`, `patch`, `build`), named after the first
//!   number that differs.
//! - [`Glob`] and [`Policy`]: include and exclude globs and the largest jump allowed;
//!   [`Policy::judge`] decides one tag and says why not with a [`Skip`].
//! - [`newer_candidates`]: every tag judged, the candidates newest first, the others with their
//!   reasons ([`Newer`]).
//! - [`group_by_shape`], [`is_rolling`] and [`rolling_candidates`]: for showing versions, and for
//!   rolling tags (`latest`, `1.29`) whose digest says which version they are.
//!
//! ```
//! use oci_version::{Jump, Policy, Tag, newer_candidates};
//!
//! let current: Tag = "1.27.3-alpine".parse()?;
//! let tags = [
//!     "1.27.3-alpine", "1.27.4-alpine", "1.28.0-alpine", "2.0.0-alpine", // same shape
//!     "1.28.0", "1.28-alpine", "1.28.0-rc1-alpine", "1.28.0-alpine-slim", // other shapes
//!     "mainline", "sha256-0b5f2a8a3e5d4c0f6a7e5b9d3c1e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e.sig", // noise
//! ];
//! let policy = Policy::new().with_max_jump(Jump::Minor);
//! let newer = newer_candidates(&current, tags, &policy);
//! let found: Vec<String> = newer.candidates().iter().map(|c| format!("{} ({})", c.tag(), c.jump())).collect();
//! assert_eq!(found, ["1.28.0-alpine (minor)", "1.27.4-alpine (patch)"]);
//! for skipped in newer.skipped() {
//!     println!("{}: {}", skipped.tag(), skipped.reason()); // "2.0.0-alpine: a major jump, more than allowed", ...
//! }
//! # Ok::<(), oci_version::Error>(())
//! ```
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod glob;
mod policy;
mod select;
mod tag;

pub use error::{Error, ErrorKind};
pub use glob::Glob;
pub use policy::{Jump, Policy, Skip};
pub use select::{Candidate, Newer, Skipped, group_by_shape, is_rolling, newer_candidates, rolling_candidates};
pub use tag::{MAX_TAG_LEN, NoiseKind, Shape, Tag, TagKind};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
