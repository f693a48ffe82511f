//! Integration tests of oci-watch: durations and times, the telling rules one test each, the
//! directory store against real files, and property tests.

// As clippy.toml says for #[test] functions: the helpers here may unwrap too.
#![allow(clippy::unwrap_used)]

// Durations, timestamps and keys: parsing, display, error messages.
mod durations;
// Properties: durations and states round trip through their text.
mod props;
// The telling rules of State::round and State::delivered, one test per rule.
mod rules;
// DirStore on real files: round trip, permissions, corrupt, oversized, symlink and FIFO states.
mod store;

use std::time::Duration;

use oci_watch::{Jump, NewerVersion, Observation, Round, Status, TargetId, WorkloadKey};

/// The workload most tests watch.
fn key(name: &str) -> WorkloadKey {
    WorkloadKey::new("web-1", "docker", name, "nginx:1.27", "linux/amd64")
}

/// A round that starts at `at` (RFC 3339) and takes 5 s.
fn round(at: &str) -> Round {
    Round {
        started: at.parse().unwrap(),
        duration: Duration::from_secs(5),
        pulls_left: [("docker.io".to_owned(), 76)].into(),
        requests: [("HEAD".to_owned(), 3)].into(),
        pulls: 0,
    }
}

/// An update to `digest`, its image created at `created`.
fn update(name: &str, digest: &str, created: Option<&str>) -> Observation {
    let mut seen = Observation::new(key(name), Status::UpdateAvailable);
    seen.current_digest = Some("sha256:old".into());
    seen.latest_digest = Some(digest.into());
    seen.latest_created = created.map(str::to_owned);
    seen.record = serde_json::json!({"image": "nginx:1.27", "status": "update_available"});
    seen
}

/// A newer version `tag` with `digest`.
fn newer(name: &str, tag: &str, jump: Jump, digest: &str, created: Option<&str>) -> Observation {
    let mut seen = Observation::new(key(name), Status::NewerAvailable);
    seen.newer = Some(NewerVersion {
        tag: tag.into(),
        jump,
        digest: Some(digest.into()),
        created: created.map(str::to_owned),
    });
    seen
}

fn target(id: &str) -> TargetId {
    id.parse().unwrap()
}
