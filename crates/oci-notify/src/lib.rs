//! Notification targets for a container update watcher: shoutrrr-style URLs parsed and shown
//! redacted, and one pure payload renderer per service.
//!
//! The key decision is that this crate does no IO. [`Target::render`] turns one round's
//! [`Notification`] into a [`Rendered`] value (HTTP requests, MQTT publishes, a mail, a script
//! run) that a small sender at the IO edge carries out. So every service's request shape is
//! unit-tested byte for byte, and a target's secrets live in one type, [`Secret`], whose `Debug`
//! and `Display` say `***`: a [`Target`] displays as its URL with secrets redacted
//! (`ntfy://alice:***@ntfy.example/updates`), and an [`Error`] quotes its input the same way.
//!
//! - [`Target`]: `ntfy://`, `mqtt://`/`mqtts://`, `smtp://`, `webhook+https://`, `discord://`,
//!   `slack://`, `gotify://`, `telegram://`, `matrix://`, `pushover://`, `script:///`, and
//!   `SERVICE+https://FULL-URL` for an explicit endpoint (the README lists every form and
//!   option). Each takes `?on=KINDS`, a [`KindSet`] of [`Kind`]s.
//! - [`Notification`] and [`Event`]: the document, serialized as `{"host", "events": [...]}`;
//!   the webhook body and a script's standard input, a contract.
//! - [`Rendered`]: [`HttpRequest`]s (with a Matrix login first when needed,
//!   [`matrix_access_token`]), [`Publish`]es, a [`Mail`], or a script run; [`Server`] says where
//!   an MQTT broker or mail server is.
//!
//! ```
//! use oci_notify::{Event, EventKind, Notification, Rendered, Target};
//!
//! let target: Target = "ntfy://alice:s3cret@ntfy.example/updates?priority=high&on=update".parse()?;
//! assert_eq!(target.to_string(), "ntfy://alice:***@ntfy.example/updates?priority=high&on=update");
//! assert!(!format!("{target:?}").contains("s3cret"));
//!
//! let round = Notification {
//!     host: "nas".into(),
//!     events: vec![Event {
//!         kind: EventKind::Update,
//!         workload: "docker/web".into(),
//!         image: "nginx:1.27".into(),
//!         current: Some("sha256:1111111111111111111111111111111111111111111111111111111111111111".into()),
//!         latest: Some("sha256:2222222222222222222222222222222222222222222222222222222222222222".into()),
//!         tag: None,
//!         note: None,
//!         record: serde_json::json!({"image": "nginx:1.27"}),
//!     }],
//! };
//! let Some(Rendered::Http { requests, .. }) = target.render(&round) else { panic!("ntfy speaks HTTP") };
//! assert_eq!(requests[0].url(), "https://ntfy.example/");
//! let body: serde_json::Value = serde_json::from_slice(requests[0].body())?;
//! assert_eq!(body["title"], "oci-check on nas: 1 update");
//! assert_eq!(body["priority"], 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! None.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod document;
mod error;
mod kinds;
mod render;
mod target;
mod text;
mod url;

pub use document::{Event, EventKind, Jump, Notification};
pub use error::{Error, ErrorKind};
pub use kinds::{Kind, KindSet};
pub use render::{HttpRequest, Mail, Publish, Rendered, matrix_access_token};
pub use target::{Secret, Server, ServiceKind, Target, Tls};

/// For fuzzing and tests only: not part of the stable interface.
#[doc(hidden)]
pub mod internal {
    /// The secrets a target holds, exposed, so that a fuzzer can check none of them shows.
    pub fn secrets(target: &crate::Target) -> Vec<&str> {
        target.secrets()
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
