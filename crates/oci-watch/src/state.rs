//! The pure machine: [`State`], one [`round`](State::round) at a time, and the events it tells.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::duration::Interval;
use crate::error::{Error, ErrorKind};
use crate::store::{StoreError, StoreErrorKind};
use crate::time::Timestamp;
use crate::workload::{CheckError, HostName, Jump, Observation, Status, TargetId, WorkloadKey, escape, unescape};

/// The version written in every state file; another version is refused as unreadable.
pub const STATE_VERSION: u32 = 1;

/// The largest state a parser accepts: 64 MiB.
pub const MAX_STATE_BYTES: u64 = 64 << 20;

/// How the machine tells: the cooldown, and how long an absent workload is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    min_age: Option<Interval>,
    forget_after: u32,
}

impl Policy {
    /// No cooldown; an absent workload is remembered for 4 rounds.
    pub fn new() -> Self {
        Self {
            min_age: None,
            forget_after: 4,
        }
    }

    /// Holds an update or newer version whose image is younger than `min_age` (`--min-age`).
    pub fn with_min_age(mut self, min_age: Interval) -> Self {
        self.min_age = Some(min_age);
        self
    }

    /// Remembers a workload (and what it was told) for `rounds` rounds in which it is absent, and
    /// forgets it in the round after. A container re-created within that time keeps its key and is
    /// not told the same event again; 0 forgets a workload in the first round without it.
    pub fn with_forget_after(mut self, rounds: u32) -> Self {
        self.forget_after = rounds;
        self
    }

    /// The cooldown, if any.
    pub fn min_age(&self) -> Option<Interval> {
        self.min_age
    }

    /// Rounds an absent workload is remembered.
    pub fn forget_after(&self) -> u32 {
        self.forget_after
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

/// What the caller knows about a round besides its observations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    /// When the round started.
    pub started: Timestamp,
    /// How long it took; `started` plus this is "now" for the cooldown.
    pub duration: Duration,
    /// Pulls left per rate-limit source (`docker.io`), as the registries last said.
    pub pulls_left: BTreeMap<String, u64>,
    /// Requests the round sent to registries, per method (`HEAD`, `GET`), for the metrics.
    pub requests: BTreeMap<String, u64>,
    /// Manifest `GET`s the round spent (pulls, as Docker Hub counts them).
    pub pulls: u64,
}

/// What the last round was, kept for the page and the metrics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSummary {
    /// When it started.
    pub started: Timestamp,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// How many workloads had each status (statuses with none are left out).
    pub counts: BTreeMap<Status, u32>,
    /// Pulls left per rate-limit source.
    pub pulls_left: BTreeMap<String, u64>,
    /// Requests sent per method (none in states written before this field).
    #[serde(default)]
    pub requests: BTreeMap<String, u64>,
    /// Pulls spent.
    #[serde(default)]
    pub pulls: u64,
    /// Requests per method over every round this state has seen: counters for the metrics, which survive a
    /// restart.
    #[serde(default)]
    pub requests_total: BTreeMap<String, u64>,
    /// Pulls over every round this state has seen.
    #[serde(default)]
    pub pulls_total: u64,
}

/// The kind of an event, for `--notify-on` filters and messages.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The tag names a new image for the platform.
    Update,
    /// A newer version tag exists; [`Event::jump`] says how far.
    Newer,
    /// A check started failing.
    Error,
    /// A check that failed, and whose failure was told, works again.
    Recovered,
    /// An update or newer version was found, but its signature is not verified (`--require-signed`), so it is
    /// not proposed; once it verifies it is told as an `update` or `newer`.
    Untrusted,
}

impl EventKind {
    /// `update`, `newer`, `error`, `recovered` or `untrusted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::Newer => "newer",
            Self::Error => "error",
            Self::Recovered => "recovered",
            Self::Untrusted => "untrusted",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        [Self::Update, Self::Newer, Self::Error, Self::Recovered, Self::Untrusted]
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| Error::new(ErrorKind::UnknownWord, text))
    }
}

/// What makes an event itself: its kind, what changed, and the workload.
///
/// - `update`: the new digest, so a second rebuild is a second event and a restart is not;
/// - `newer`: the newer tag and its digest (`1.28.0@sha256:...`, `-` when unknown);
/// - `error` and `recovered`: when the failure began, so each failure is told once;
/// - `untrusted`: what was refused, the tag's digest and the newer version (`sha256:... 1.28.0@sha256:...`), so
///   a new unsigned push is told again and the same one is not.
///
/// Its string form is `KIND|DETAIL|WORKLOAD` with the detail `%`-escaped like a [`WorkloadKey`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventKey {
    kind: EventKind,
    detail: String,
    workload: WorkloadKey,
}

impl EventKey {
    fn new(kind: EventKind, detail: String, workload: &WorkloadKey) -> Self {
        Self {
            kind,
            detail,
            workload: workload.clone(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The digest, tag and digest, or start of failure that makes the event itself.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The workload.
    pub fn workload(&self) -> &WorkloadKey {
        &self.workload
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|", self.kind)?;
        escape(f, &self.detail)?;
        write!(f, "|{}", self.workload)
    }
}

impl FromStr for EventKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = || Error::new(ErrorKind::InvalidEventKey, text);
        let mut parts = text.splitn(3, '|');
        let (Some(kind), Some(detail), Some(workload)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let key = Self {
            kind: kind.parse().map_err(|_| invalid())?,
            detail: unescape(detail).ok_or_else(invalid)?,
            workload: workload.parse().map_err(|_| invalid())?,
        };
        if key.to_string() != text {
            return Err(invalid());
        }
        Ok(key)
    }
}

impl TryFrom<String> for EventKey {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<EventKey> for String {
    fn from(key: EventKey) -> Self {
        key.to_string()
    }
}

/// One thing to tell, as the last round found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    key: EventKey,
    jump: Option<Jump>,
    tag: Option<String>,
    digest: Option<String>,
    error: Option<CheckError>,
    since: Option<Timestamp>,
    record: serde_json::Value,
    audience: Option<BTreeSet<TargetId>>,
    told_to: BTreeSet<TargetId>,
}

impl Event {
    /// The key that makes it told once.
    pub fn key(&self) -> &EventKey {
        &self.key
    }

    /// The kind.
    pub fn kind(&self) -> EventKind {
        self.key.kind
    }

    /// The workload.
    pub fn workload(&self) -> &WorkloadKey {
        &self.key.workload
    }

    /// How far a `newer` version is.
    pub fn jump(&self) -> Option<Jump> {
        self.jump
    }

    /// The newer tag of a `newer` event.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The new digest (`update`) or the newer tag's digest (`newer`, when known).
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// Why the check fails (`error`) or failed (`recovered`: the last error seen is not kept, so
    /// this is `None` there).
    pub fn error(&self) -> Option<&CheckError> {
        self.error.as_ref()
    }

    /// When the failure began (`error`, `recovered`).
    pub fn since(&self) -> Option<Timestamp> {
        self.since
    }

    /// The workload's `update --json` record from this round.
    pub fn record(&self) -> &serde_json::Value {
        &self.record
    }

    /// Whether `target` is to be told this event: not yet delivered to it, and for `recovered`,
    /// only to the targets that were told the error.
    pub fn is_for(&self, target: &TargetId) -> bool {
        !self.told_to.contains(target) && self.audience.as_ref().is_none_or(|audience| audience.contains(target))
    }
}

/// Why an update or newer version is held back instead of told.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum PendingReason {
    /// The image is younger than the cooldown; it is told from `until` on.
    TooYoung {
        /// Its `created` plus the cooldown.
        until: Timestamp,
    },
    /// The image's creation date is unknown, so its age cannot be proven (fail closed).
    UnknownDate,
    /// The image's creation date is not RFC 3339 text.
    BadDate {
        /// The text, as the registry gave it.
        created: String,
    },
    /// An update whose new digest is unknown cannot be keyed, so it cannot be told once.
    UnknownDigest,
}

impl fmt::Display for PendingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooYoung { until } => write!(f, "pending until {}", until.to_utc_minutes()),
            Self::UnknownDate => f.write_str("pending: the image's creation date is unknown"),
            Self::BadDate { created } => {
                write!(
                    f,
                    "pending: the image's creation date `{}` is not RFC 3339",
                    created.escape_debug()
                )
            }
            Self::UnknownDigest => f.write_str("pending: the new digest is unknown"),
        }
    }
}

/// An update or newer version held back, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// `update` or `newer`.
    pub kind: EventKind,
    /// The newer tag, for `newer`.
    #[serde(default)]
    pub tag: Option<String>,
    /// Why, and until when.
    #[serde(flatten)]
    pub reason: PendingReason,
}

impl Pending {
    /// When it will be told, if it is only waiting for its age.
    pub fn until(&self) -> Option<Timestamp> {
        match self.reason {
            PendingReason::TooYoung { until } => Some(until),
            _ => None,
        }
    }
}

/// A recovery still to be told to the targets that were told the failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Recovered {
    since: Timestamp,
    audience: BTreeSet<TargetId>,
    rounds: u32,
}

/// What the state remembers of one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadState {
    last: Observation,
    checked_at: Timestamp,
    #[serde(default)]
    absent_rounds: u32,
    #[serde(default)]
    failing_since: Option<Timestamp>,
    #[serde(default)]
    pending: Vec<Pending>,
    #[serde(default)]
    told: BTreeMap<EventKey, BTreeSet<TargetId>>,
    #[serde(default)]
    recovered: Option<Recovered>,
}

impl WorkloadState {
    /// The last observation.
    pub fn last(&self) -> &Observation {
        &self.last
    }

    /// When it was last checked (the end of that round).
    pub fn checked_at(&self) -> Timestamp {
        self.checked_at
    }

    /// Rounds in a row without it; 0 when the last round saw it. The page shows only present ones.
    pub fn absent_rounds(&self) -> u32 {
        self.absent_rounds
    }

    /// When its check began to fail, while it fails.
    pub fn failing_since(&self) -> Option<Timestamp> {
        self.failing_since
    }

    /// Updates and newer versions held back, with their reasons.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// The earliest time a held-back event will be told, if one waits only for its age.
    pub fn pending_until(&self) -> Option<Timestamp> {
        self.pending.iter().filter_map(Pending::until).min()
    }

    /// The targets an event was delivered to.
    pub fn told_to(&self, key: &EventKey) -> Option<&BTreeSet<TargetId>> {
        self.told.get(key)
    }
}

/// One host's memory across rounds.
///
/// Rules, each with its test in `tests/it/rules.rs`:
/// - An event is told to a target until the caller confirms delivery with [`State::delivered`];
///   after that, never again to that target, across restarts (the state keeps it). A target added
///   later is told every current event once.
/// - `update` is keyed by the new digest, `newer` by tag and digest, `error` by when the failure
///   began; `recovered` follows a told `error`, told only to the targets that were told the error,
///   and is given up after `max(forget_after, 1)` rounds for a target that stays unreachable.
/// - With a cooldown, an update or newer version is pending until its image is `min_age` old; an
///   unknown or unreadable date keeps it pending, with the reason.
/// - `untrusted` (an update or newer version whose signature `--require-signed` refuses) is told
///   instead of them, at once (it proposes nothing, so no cooldown), keyed by what was refused;
///   once the signature verifies, the update or newer version is told as usual.
/// - Keys no longer current are forgotten after a definite answer (see [`Status::is_definite`]);
///   an error, `untrusted`, `no_digest` or `local` round in between forgets nothing.
/// - A workload absent from a round is kept for [`Policy::forget_after`] such rounds, then dropped
///   with what it was told. Two observations of one workload in a round: the later one counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    host: HostName,
    #[serde(default)]
    last_round: Option<RoundSummary>,
    #[serde(default)]
    workloads: BTreeMap<WorkloadKey, WorkloadState>,
}

/// The events of one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundOutcome {
    events: Vec<Event>,
}

impl RoundOutcome {
    /// Every current event (not pending), told or not, in workload order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events `target` is still to be told.
    pub fn to_tell(&self, target: &TargetId) -> Vec<&Event> {
        self.events.iter().filter(|event| event.is_for(target)).collect()
    }
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u32,
    #[serde(flatten)]
    state: &'a State,
}

#[derive(Deserialize)]
struct FileIn {
    version: u32,
    host: HostName,
    #[serde(default)]
    last_round: Option<RoundSummary>,
    #[serde(default)]
    workloads: BTreeMap<WorkloadKey, WorkloadState>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: serde_json::Value,
}

impl State {
    /// An empty state for `host`: nothing told yet.
    pub fn new(host: HostName) -> Self {
        Self {
            host,
            last_round: None,
            workloads: BTreeMap::new(),
        }
    }

    /// The host.
    pub fn host(&self) -> &HostName {
        &self.host
    }

    /// The last round, if one ran.
    pub fn last_round(&self) -> Option<&RoundSummary> {
        self.last_round.as_ref()
    }

    /// Every remembered workload, present or absent (see [`WorkloadState::absent_rounds`]).
    pub fn workloads(&self) -> impl Iterator<Item = (&WorkloadKey, &WorkloadState)> {
        self.workloads.iter()
    }

    /// One workload.
    pub fn workload(&self, key: &WorkloadKey) -> Option<&WorkloadState> {
        self.workloads.get(key)
    }

    /// Takes one round's observations and says what to tell.
    pub fn round(&mut self, round: &Round, observations: Vec<Observation>, policy: &Policy) -> RoundOutcome {
        let now_secs = round.duration.as_secs();
        let now = round.started.checked_add(now_secs).unwrap_or(round.started);
        let mut latest: BTreeMap<WorkloadKey, Observation> = BTreeMap::new();
        for observation in observations {
            latest.insert(observation.key.clone(), observation);
        }
        let mut counts = BTreeMap::new();
        let mut events = Vec::new();
        let seen: BTreeSet<WorkloadKey> = latest.keys().cloned().collect();
        for (key, observation) in latest {
            *counts.entry(observation.status).or_insert(0) += 1;
            match self.workloads.get_mut(&key) {
                Some(entry) => entry.observe(observation, round.started, now, policy, &mut events),
                None => {
                    let mut entry = WorkloadState {
                        last: observation.clone(),
                        checked_at: now,
                        absent_rounds: 0,
                        failing_since: None,
                        pending: Vec::new(),
                        told: BTreeMap::new(),
                        recovered: None,
                    };
                    entry.observe(observation, round.started, now, policy, &mut events);
                    self.workloads.insert(key, entry);
                }
            }
        }
        self.workloads.retain(|key, entry| {
            if seen.contains(key) {
                return true;
            }
            entry.absent_rounds = entry.absent_rounds.saturating_add(1);
            entry.absent_rounds <= policy.forget_after
        });
        let (mut requests_total, pulls_total) = self
            .last_round
            .as_ref()
            .map(|last| (last.requests_total.clone(), last.pulls_total))
            .unwrap_or_default();
        for (method, count) in &round.requests {
            let total = requests_total.entry(method.clone()).or_insert(0);
            *total = total.saturating_add(*count);
        }
        self.last_round = Some(RoundSummary {
            requests_total,
            pulls_total: pulls_total.saturating_add(round.pulls),
            started: round.started,
            duration_ms: u64::try_from(round.duration.as_millis()).unwrap_or(u64::MAX),
            counts,
            pulls_left: round.pulls_left.clone(),
            requests: round.requests.clone(),
            pulls: round.pulls,
        });
        RoundOutcome { events }
    }

    /// Records that `keys` were delivered to `target`, so they are not told to it again. Keys of
    /// workloads the state no longer holds are ignored; returns how many were recorded.
    pub fn delivered(&mut self, target: &TargetId, keys: &[EventKey]) -> usize {
        let mut recorded = 0;
        for key in keys {
            if let Some(entry) = self.workloads.get_mut(&key.workload) {
                entry.told.entry(key.clone()).or_default().insert(target.clone());
                recorded += 1;
            }
        }
        recorded
    }

    /// The state file's JSON: `{"version":1,"host":...,"last_round":...,"workloads":{...}}`.
    pub fn to_json(&self) -> Vec<u8> {
        // Every key is a string and every value plain data, so serializing cannot fail; an empty
        // document would be refused when read, never taken for a state.
        serde_json::to_vec(&FileOut {
            version: STATE_VERSION,
            state: self,
        })
        .unwrap_or_default()
    }

    /// Reads a state file's JSON. Anything but a well-formed version-1 state of at most
    /// [`MAX_STATE_BYTES`] is one [`StoreError`] whose [`is_unreadable`](StoreError::is_unreadable)
    /// is true: the caller warns and starts afresh.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StoreError> {
        if bytes.len() as u64 > MAX_STATE_BYTES {
            return Err(StoreError::new(StoreErrorKind::TooLarge, None));
        }
        let file: FileIn = match serde_json::from_slice(bytes) {
            Ok(file) => file,
            Err(err) => {
                return Err(match serde_json::from_slice::<VersionOnly>(bytes) {
                    Ok(probe) if probe.version != serde_json::json!(STATE_VERSION) => {
                        StoreError::new(StoreErrorKind::UnsupportedVersion, Some(probe.version.to_string()))
                    }
                    _ => StoreError::new(StoreErrorKind::Corrupt, Some(err.to_string())),
                });
            }
        };
        if file.version != STATE_VERSION {
            return Err(StoreError::new(
                StoreErrorKind::UnsupportedVersion,
                Some(file.version.to_string()),
            ));
        }
        for (key, entry) in &file.workloads {
            if entry.last.key != *key || entry.told.keys().any(|told| told.workload != *key) {
                let detail = format!("workload `{key}` holds another workload's observation or event");
                return Err(StoreError::new(StoreErrorKind::Corrupt, Some(detail)));
            }
        }
        Ok(Self {
            host: file.host,
            last_round: file.last_round,
            workloads: file.workloads,
        })
    }
}

impl WorkloadState {
    fn observe(
        &mut self,
        observation: Observation,
        started: Timestamp,
        now: Timestamp,
        policy: &Policy,
        events: &mut Vec<Event>,
    ) {
        let key = observation.key.clone();
        self.checked_at = now;
        self.absent_rounds = 0;
        self.pending.clear();
        let mut current = BTreeSet::new();
        let event = |key: EventKey, told: &BTreeMap<EventKey, BTreeSet<TargetId>>| Event {
            told_to: told.get(&key).cloned().unwrap_or_default(),
            key,
            jump: None,
            tag: None,
            digest: None,
            error: None,
            since: None,
            record: observation.record.clone(),
            audience: None,
        };

        if observation.status == Status::Error {
            let since = *self.failing_since.get_or_insert(started);
            // A new failure supersedes a recovery not yet told.
            if let Some(recovered) = self.recovered.take() {
                self.told
                    .remove(&EventKey::new(EventKind::Recovered, recovered.since.to_string(), &key));
            }
            let error_key = EventKey::new(EventKind::Error, since.to_string(), &key);
            current.insert(error_key.clone());
            events.push(Event {
                error: observation.error.clone(),
                since: Some(since),
                ..event(error_key, &self.told)
            });
        } else if let Some(since) = self.failing_since.take() {
            let error_key = EventKey::new(EventKind::Error, since.to_string(), &key);
            let audience = self.told.remove(&error_key).unwrap_or_default();
            if !audience.is_empty() {
                self.recovered = Some(Recovered {
                    since,
                    audience,
                    rounds: 0,
                });
            }
        }

        if let Some(recovered) = &mut self.recovered {
            let recovered_key = EventKey::new(EventKind::Recovered, recovered.since.to_string(), &key);
            recovered.rounds += 1;
            let told = self.told.get(&recovered_key);
            let done = recovered
                .audience
                .iter()
                .all(|target| told.is_some_and(|told| told.contains(target)));
            if done || recovered.rounds > policy.forget_after.max(1) {
                self.told.remove(&recovered_key);
                self.recovered = None;
            } else {
                current.insert(recovered_key.clone());
                events.push(Event {
                    since: Some(recovered.since),
                    audience: Some(recovered.audience.clone()),
                    ..event(recovered_key, &self.told)
                });
            }
        }

        if observation.status == Status::UpdateAvailable {
            match &observation.latest_digest {
                None => self.pending.push(Pending {
                    kind: EventKind::Update,
                    tag: None,
                    reason: PendingReason::UnknownDigest,
                }),
                Some(digest) => {
                    let update_key = EventKey::new(EventKind::Update, digest.clone(), &key);
                    current.insert(update_key.clone());
                    match hold(observation.latest_created.as_deref(), policy, now) {
                        Some(reason) => self.pending.push(Pending {
                            kind: EventKind::Update,
                            tag: None,
                            reason,
                        }),
                        None => events.push(Event {
                            digest: Some(digest.clone()),
                            ..event(update_key, &self.told)
                        }),
                    }
                }
            }
        }

        if observation.status == Status::Untrusted {
            // Told at once, whatever the cooldown: it proposes nothing, it warns. Neither the update nor the newer
            // version is told, so that each is told as itself once its signature verifies.
            let refused_newer = observation.newer.as_ref().map_or_else(String::new, |newer| {
                format!(" {}@{}", newer.tag, newer.digest.as_deref().unwrap_or("-"))
            });
            let detail = format!("{}{refused_newer}", observation.latest_digest.as_deref().unwrap_or("-"));
            let untrusted_key = EventKey::new(EventKind::Untrusted, detail, &key);
            current.insert(untrusted_key.clone());
            events.push(Event {
                digest: observation.latest_digest.clone(),
                tag: observation.newer.as_ref().map(|newer| newer.tag.clone()),
                jump: observation.newer.as_ref().map(|newer| newer.jump),
                ..event(untrusted_key, &self.told)
            });
        }

        let proposes = !matches!(observation.status, Status::Error | Status::Untrusted);
        if let (Some(newer), true) = (&observation.newer, proposes) {
            let detail = format!("{}@{}", newer.tag, newer.digest.as_deref().unwrap_or("-"));
            let newer_key = EventKey::new(EventKind::Newer, detail, &key);
            current.insert(newer_key.clone());
            match hold(newer.created.as_deref(), policy, now) {
                Some(reason) => self.pending.push(Pending {
                    kind: EventKind::Newer,
                    tag: Some(newer.tag.clone()),
                    reason,
                }),
                None => events.push(Event {
                    jump: Some(newer.jump),
                    tag: Some(newer.tag.clone()),
                    digest: newer.digest.clone(),
                    ..event(newer_key, &self.told)
                }),
            }
        }

        if observation.status.is_definite() {
            self.told.retain(|told, _| current.contains(told));
        }
        self.last = observation;
    }
}

/// Why an image created at `created` is held back at `now`, if it is.
fn hold(created: Option<&str>, policy: &Policy, now: Timestamp) -> Option<PendingReason> {
    let min_age = policy.min_age?;
    let Some(created) = created else {
        return Some(PendingReason::UnknownDate);
    };
    let Ok(at) = Timestamp::parse(created) else {
        return Some(PendingReason::BadDate {
            created: created.chars().take(100).collect(),
        });
    };
    // Past the year 9999 cannot be shown as a time: the date is as good as unreadable.
    let Some(until) = at.checked_add(min_age.as_secs()) else {
        return Some(PendingReason::BadDate {
            created: created.chars().take(100).collect(),
        });
    };
    (now < until).then_some(PendingReason::TooYoung { until })
}
