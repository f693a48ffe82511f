//! The notification document: what a round has to tell, and the webhook's JSON contract.

use serde::{Deserialize, Serialize};

/// One round's news for one host: the document a webhook receives and a script reads.
///
/// Serialized it is exactly `{"host": ..., "events": [...]}` (see [`Event`]); the README states
/// it as a contract.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The name of the host that watched (`--host-name`, else the system's host name).
    pub host: String,
    /// What happened, in the order the watcher found it.
    pub events: Vec<Event>,
}

/// One thing to tell about one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened; serialized as `"kind"` (and `"jump"` for `newer`).
    #[serde(flatten)]
    pub kind: EventKind,
    /// The workload, such as `docker/web` (engine and container) or `compose/app/db`.
    pub workload: String,
    /// The image reference the workload runs, as written.
    pub image: String,
    /// The digest (or version) the workload runs, when known.
    pub current: Option<String>,
    /// The digest the tag names now, for `update` (and `untrusted`).
    pub latest: Option<String>,
    /// The newer tag, for `newer` (and `untrusted`).
    pub tag: Option<String>,
    /// A human note: why a check failed, what recovered, which signature was refused.
    pub note: Option<String>,
    /// The `update --json` record of the check, passed through untouched.
    pub record: serde_json::Value,
}

/// What happened to a workload.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EventKind {
    /// The tag names a new image for the workload's platform.
    Update,
    /// A newer version's tag exists.
    Newer {
        /// How far the newer version is.
        jump: Jump,
    },
    /// A check started failing.
    Error,
    /// A check that failed works again.
    Recovered,
    /// An update or newer version was found but not proposed: its signature is not verified
    /// (`--require-signed`); `latest` and `tag` say what was refused, `note` why.
    Untrusted,
}

/// How far a newer version is, named after the first number that differs.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jump {
    /// The first number.
    Major,
    /// The second number.
    Minor,
    /// The third number.
    Patch,
    /// A later number.
    Build,
}

impl Jump {
    /// The lowercase name: `major`, `minor`, `patch`, `build`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Build => "build",
        }
    }
}

impl Notification {
    /// The document as the webhook body: compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing strings, options and a `Value` cannot fail; an empty body would be noticed.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
