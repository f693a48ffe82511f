//! The update watcher's read-only views, rendered from its states: one HTML page, the JSON results and the
//! Prometheus metrics, for one host or a fleet.
//!
//! The key decision is that the views are pure functions of a [`Snapshot`] (every host's last round, as
//! [`oci_watch::State`] keeps it, and the time it is looked at): a server renders them on request from memory, with
//! no registry work and nothing computed between rounds, and tests render them without a server. Every foreign
//! string (image names, tags, notes, container names, host names) is escaped for where it goes: HTML text and
//! attributes, Prometheus label values, JSON. No credential or notification target is in a state, so none can be
//! shown.
//!
//! - [`Snapshot`], [`HostView`]: what is shown, with hosts that missed rounds marked stale.
//! - [`page`]: the HTML page (server-rendered; [`APP_JS`] adds a filter, sorting and refresh, [`APP_CSS`] styles
//!   it, both served from the same origin so that [`CONTENT_SECURITY_POLICY`] can forbid everything else).
//! - [`results`]: the `update --json` records with `host` and `checked_at`, filtered by [`Filter`].
//! - [`metrics`]: the Prometheus text exposition.
//!
//! ```
//! use oci_dashboard::{Filter, Snapshot, metrics, page, results};
//! use oci_watch::{HostName, State, Timestamp};
//!
//! let state = State::new("nas".parse::<HostName>()?);
//! let snapshot = Snapshot::new(vec![state], Timestamp::from_unix(1_800_000_000).unwrap(), 3600);
//! assert!(page(&snapshot).contains("<title>oci-check</title>"));
//! assert_eq!(results(&snapshot, &Filter::default()), serde_json::json!([]));
//! assert!(metrics(&snapshot).contains("# TYPE oci_check_update_available gauge"));
//! # Ok::<(), oci_watch::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod escape;
mod metrics;
mod page;

use oci_watch::{State, Status, Timestamp, WorkloadKey, WorkloadState};
use serde_json::Value;

pub use escape::{html, label};
pub use metrics::metrics;
pub use page::page;

/// The page's script: a filter box, sorting by column, and a refresh of the rows without a full reload.
pub const APP_JS: &str = include_str!("assets/app.js");

/// The page's style sheet: readable on a phone, light and dark by `prefers-color-scheme`.
pub const APP_CSS: &str = include_str!("assets/app.css");

/// The page's icon (SVG), linked from the page so that browsers do not ask for `/favicon.ico`.
pub const APP_ICON: &str = include_str!("assets/icon.svg");

/// The policy the page is served with: only its own script and style, nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Every host's state as of `now`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    hosts: Vec<HostView>,
    now: Timestamp,
}

/// One host's state and whether it is stale.
#[derive(Clone, Debug)]
pub struct HostView {
    /// The host's state.
    pub state: State,
    /// Its last round is older than the snapshot allows (it missed two rounds, or never ran one).
    pub stale: bool,
}

impl Snapshot {
    /// The `states` of every host, sorted by host name, looked at `now`; a host whose last round started more than
    /// `stale_after_secs` before `now` (two intervals, say) is stale.
    pub fn new(mut states: Vec<State>, now: Timestamp, stale_after_secs: u64) -> Self {
        states.sort_by(|a, b| a.host().as_str().cmp(b.host().as_str()));
        let hosts = states
            .into_iter()
            .map(|state| {
                let stale = state.last_round().is_none_or(|round| {
                    round
                        .started
                        .checked_add(stale_after_secs)
                        .is_none_or(|limit| limit.unix() < now.unix())
                });
                HostView { state, stale }
            })
            .collect();
        Self { hosts, now }
    }

    /// The hosts, by name.
    pub fn hosts(&self) -> &[HostView] {
        &self.hosts
    }

    /// When it is looked at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Every workload seen in its host's last round (absent ones are left out), by host, source and name.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.hosts.iter().flat_map(|host| {
            host.state
                .workloads()
                .filter(|(_, workload)| workload.absent_rounds() == 0)
                .map(move |(key, workload)| Row { host, key, workload })
        })
    }
}

/// One workload as a view shows it.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// Its host.
    pub host: &'a HostView,
    /// Which workload.
    pub key: &'a WorkloadKey,
    /// What the state knows of it.
    pub workload: &'a WorkloadState,
}

impl Row<'_> {
    /// Its status in the last round.
    pub fn status(&self) -> Status {
        self.workload.last().status
    }

    /// A text field of its `update --json` record.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.workload.last().record.get(name).and_then(Value::as_str)
    }

    /// The container or service, or the image when it came from a list.
    pub fn container(&self) -> &str {
        self.key.name()
    }
}

/// Which rows [`results`] returns: `?status=` and `?host=`, each matching exactly when given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only rows with this status (`update_available`, ...).
    pub status: Option<String>,
    /// Only rows of this host.
    pub host: Option<String>,
}

impl Filter {
    /// The filter a query string says (`status=update_available&host=nas`); unknown keys are ignored, values are
    /// percent-decoded.
    pub fn from_query(query: &str) -> Self {
        let mut filter = Self::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = escape::percent_decode(value);
            match key {
                "status" => filter.status = Some(value),
                "host" => filter.host = Some(value),
                _ => {}
            }
        }
        filter
    }

    fn admits(&self, row: &Row<'_>) -> bool {
        self.status
            .as_deref()
            .is_none_or(|status| status == row.status().as_str())
            && self
                .host
                .as_deref()
                .is_none_or(|host| host == row.host.state.host().as_str())
    }
}

/// The `update --json` records of the rows `filter` admits, each with `host`, `checked_at` (RFC 3339), `stale`,
/// and `pending_until` when an event waits for its age.
pub fn results(snapshot: &Snapshot, filter: &Filter) -> Value {
    let records = snapshot
        .rows()
        .filter(|row| filter.admits(row))
        .map(|row| {
            let mut record = match &row.workload.last().record {
                Value::Object(map) => map.clone(),
                _ => serde_json::Map::new(),
            };
            record.insert("host".into(), row.host.state.host().as_str().into());
            record.insert("checked_at".into(), row.workload.checked_at().to_string().into());
            record.insert("stale".into(), row.host.stale.into());
            if let Some(until) = row.workload.pending_until() {
                record.insert("pending_until".into(), until.to_string().into());
            }
            Value::Object(record)
        })
        .collect();
    Value::Array(records)
}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
