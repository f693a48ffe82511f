//! The watcher's memory: which updates, newer versions and failures each workload has, and which
//! of them each notification target was already told.
//!
//! The key decision is that telling is a pure machine. [`State::round`] takes one round's
//! [`Observation`]s (what `update --json` found per workload) and returns the [`Event`]s to tell;
//! the caller sends them to each target and confirms with [`State::delivered`]. An event is keyed
//! by what makes it itself (an [`EventKey`]: the workload, the kind, and the new digest, the newer
//! tag or the start of a failure), so a second rebuild is a new event while a restart, a failed
//! round in between or a re-created container is not. Only the [`Store`] does IO.
//!
//! - [`Interval`] and [`parse_duration`]: `30s`, `15m`, `6h`, `1d`, `1h30m`, from 1 s to 365 d.
//! - [`Timestamp`]: whole UTC seconds, read from RFC 3339, shown as `2026-12-07 10:00 UTC`.
//! - [`WorkloadKey`], [`Observation`], [`Status`], [`NewerVersion`], [`Jump`], [`CheckError`]:
//!   the input; [`TargetId`] and [`HostName`]: opaque names the caller gives.
//! - [`State`], [`Policy`] (the `--min-age` cooldown, how long absent workloads are kept),
//!   [`Round`], [`RoundOutcome`], [`Event`], [`EventKind`], [`Pending`]: the machine.
//! - [`Store`], [`DirStore`], [`StoreError`]: one versioned JSON state per host, written atomically.
//!
//! ```
//! use std::time::Duration;
//! use oci_watch::{Observation, Policy, Round, State, Status, TargetId, Timestamp, WorkloadKey};
//!
//! let mut state = State::new("web-1".parse()?);
//! let policy = Policy::new().with_min_age("1d".parse()?);
//! let key = WorkloadKey::new("web-1", "docker", "proxy", "nginx:1.27", "linux/amd64");
//! let mut seen = Observation::new(key, Status::UpdateAvailable);
//! seen.latest_digest = Some("sha256:2b7a...".into());
//! seen.latest_created = Some("2026-12-06T10:00:00Z".into());
//! let round = |at: &str| Ok::<_, oci_watch::Error>(Round {
//!     started: at.parse()?, duration: Duration::from_secs(5), pulls_left: Default::default(), requests: Default::default(), pulls: 0,
//! });
//!
//! // Too young: pending, and the page can say until when.
//! let outcome = state.round(&round("2026-12-06T12:00:00Z")?, vec![seen.clone()], &policy);
//! assert!(outcome.events().is_empty());
//! let (_, workload) = state.workloads().next().expect("one workload");
//! assert_eq!(workload.pending()[0].reason.to_string(), "pending until 2026-12-07 10:00 UTC");
//!
//! // A day old: told once to each target.
//! let ntfy: TargetId = "ntfy-3f2a".parse()?;
//! let outcome = state.round(&round("2026-12-07T12:00:00Z")?, vec![seen.clone()], &policy);
//! let keys: Vec<_> = outcome.to_tell(&ntfy).iter().map(|event| event.key().clone()).collect();
//! assert_eq!(keys.len(), 1);
//! state.delivered(&ntfy, &keys);
//! let outcome = state.round(&round("2026-12-08T12:00:00Z")?, vec![seen], &policy);
//! assert!(outcome.to_tell(&ntfy).is_empty());
//! # Ok::<(), oci_watch::Error>(())
//! ```
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod duration;
mod error;
mod state;
mod store;
mod time;
mod workload;

pub use duration::{Interval, parse_duration};
pub use error::{Error, ErrorKind};
pub use state::{
    Event, EventKey, EventKind, MAX_STATE_BYTES, Pending, PendingReason, Policy, Round, RoundOutcome, RoundSummary,
    STATE_VERSION, State, WorkloadState,
};
pub use store::{DirStore, Store, StoreError, StoreErrorKind};
pub use time::Timestamp;
pub use workload::{CheckError, HostName, Jump, NewerVersion, Observation, Status, TargetId, WorkloadKey};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
