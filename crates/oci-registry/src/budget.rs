//! Pulls as money: Docker Hub counts every manifest `GET` as a pull (a `HEAD` is free) against a quota per
//! rate-limit source (`docker-ratelimit-source`: an address or an account). The [`Ledger`] learns each source's
//! quota from the `ratelimit-*` headers of every answer, decides before each manifest `GET` whether the
//! [`PullBudget`] allows it, stops pulling from a source that answered `429`, and counts `HEAD`s, `GET`s and cache
//! hits for the run.
//!
//! The ledger is the client's memory within one run; with a shared backend
//! ([`SharedBudget`](crate::cache::SharedBudget)), hosts also spend one counter per source together.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::ratelimit::RateLimit;

/// How many manifest `GET`s a client may spend: a cap for the run, and pulls kept in reserve of what the registry
/// announces as remaining (for the user's real pulls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullBudget {
    max_pulls: Option<u64>,
    reserve: u64,
}

/// What one rate-limit source was spent and what it announced, from [`PullStats::sources`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBudget {
    source: String,
    limit: Option<u64>,
    remaining: Option<u64>,
    window: Option<Duration>,
    pulls: u64,
    refused: Option<String>,
}

/// What a client spent so far, from [`Client::pull_stats`](crate::Client::pull_stats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullStats {
    heads: u64,
    gets: u64,
    cache_hits: u64,
    withheld: u64,
    sources: Vec<SourceBudget>,
}

impl PullBudget {
    /// No cap and no reserve: every `GET` a check needs is sent, until a source answers `429`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends at most `n` manifest `GET`s in all (the rest of the checks finish on their `HEAD`s).
    #[must_use]
    pub fn max_pulls(mut self, n: u64) -> Self {
        self.max_pulls = Some(n);
        self
    }

    /// Leaves `n` of the pulls a registry announces as remaining untouched.
    #[must_use]
    pub fn reserve(mut self, n: u64) -> Self {
        self.reserve = n;
        self
    }

    /// The cap on manifest `GET`s, if any.
    pub fn pull_cap(&self) -> Option<u64> {
        self.max_pulls
    }

    /// The pulls kept in reserve.
    pub fn reserved(&self) -> u64 {
        self.reserve
    }
}

impl SourceBudget {
    /// What the quota is counted against: the `docker-ratelimit-source`, else the registry.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The quota of the window, as announced.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The pulls left, as last announced less the pulls sent since.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// The length of the window, as announced.
    pub fn window(&self) -> Option<Duration> {
        self.window
    }

    /// The manifest `GET`s sent to the source by this client.
    pub fn pulls(&self) -> u64 {
        self.pulls
    }

    /// Why no more `GET`s go to the source, when none do.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }
}

impl PullStats {
    /// Manifest `HEAD`s sent.
    pub fn heads(&self) -> u64 {
        self.heads
    }

    /// Manifest `GET`s answered with a manifest: pulls, on Docker Hub (a `GET` answered `404` or `429` spent none).
    pub fn gets(&self) -> u64 {
        self.gets
    }

    /// Cache hits: manifests, image configs and tag lists read from the cache (and verified) instead of the
    /// registry.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits
    }

    /// Manifest `GET`s the budget withheld.
    pub fn withheld(&self) -> u64 {
        self.withheld
    }

    /// Every rate-limit source seen, by name.
    pub fn sources(&self) -> &[SourceBudget] {
        &self.sources
    }
}

/// One source's state within the run.
#[derive(Debug, Default)]
struct Source {
    limit: Option<u64>,
    /// The pulls left: the smallest announcement less the pulls sent since (announcements lag behind pulls in flight).
    remaining: Option<u64>,
    window: Option<u64>,
    pulls: u64,
    refused: Option<String>,
    /// The first pull to the source: until it is answered, nobody knows how many pulls are left, so the other
    /// `GET`s wait for it instead of going out as one wave that may spend the reserve.
    first: FirstPull,
}

/// Where the first pull of a source is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum FirstPull {
    #[default]
    NotSent,
    InFlight,
    Answered,
}

#[derive(Debug, Default)]
struct State {
    /// The source each registry's answers named.
    source_of: HashMap<String, String>,
    sources: HashMap<String, Source>,
    gets: u64,
}

impl State {
    /// The source `registry`'s pulls count against: the one its answers named, else the registry itself.
    fn source(&self, registry: &str) -> String {
        self.source_of
            .get(registry)
            .cloned()
            .unwrap_or_else(|| registry.to_owned())
    }

    /// Takes back one pull counted for `source`.
    fn uncount(&mut self, source: &str) -> Option<&mut Source> {
        self.gets = self.gets.saturating_sub(1);
        let entry = self.sources.get_mut(source)?;
        entry.pulls = entry.pulls.saturating_sub(1);
        Some(entry)
    }
}

/// A change of a source's count worth telling a shared budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Announcement {
    pub(crate) source: String,
    pub(crate) remaining: u64,
    pub(crate) window: Option<Duration>,
}

/// The client's pull accounting for the run. See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    budget: PullBudget,
    state: Mutex<State>,
    /// Woken when a first pull is answered (or given back).
    learned: tokio::sync::Notify,
    heads: AtomicU64,
    pulls: AtomicU64,
    cache_hits: AtomicU64,
    withheld: AtomicU64,
}

impl Ledger {
    pub(crate) fn new(budget: PullBudget) -> Self {
        Self {
            budget,
            ..Self::default()
        }
    }

    pub(crate) fn budget(&self) -> &PullBudget {
        &self.budget
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The source `registry`'s pulls count against.
    pub(crate) fn source_of(&self, registry: &str) -> String {
        self.state().source(registry)
    }

    /// Counts what one lookup cost, for the run's [`PullStats`]: the same events the per-check counts come from.
    pub(crate) fn spent(&self, cost: crate::fetch::Cost) {
        use crate::fetch::Cost;
        let counter = match cost {
            Cost::Head => &self.heads,
            Cost::Pull => &self.pulls,
            Cost::CacheHit => &self.cache_hits,
            Cost::Withheld => &self.withheld,
            Cost::RefusedGet | Cost::Blob | Cost::TagList => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Learns from an answer of `registry`: its source, the quota, and the pulls left. Returns what a shared budget
    /// should be told, when the count of pulls left went down (or became known).
    pub(crate) fn observe(&self, registry: &str, rate_limit: Option<&RateLimit>) -> Option<Announcement> {
        let rate_limit = rate_limit?;
        let mut state = self.state();
        let source = match rate_limit.source() {
            Some(source) => {
                let before = state.source_of.insert(registry.to_owned(), source.to_owned());
                // Pulls taken before the source was known were counted under the registry's name: they are the
                // source's.
                if before.is_none() && registry != source {
                    if let Some(early) = state.sources.remove(registry) {
                        let entry = state.sources.entry(source.to_owned()).or_default();
                        entry.pulls += early.pulls;
                        entry.refused = entry.refused.take().or(early.refused);
                    }
                }
                source.to_owned()
            }
            None => state.source(registry),
        };
        let entry = state.sources.entry(source.clone()).or_default();
        entry.limit = rate_limit.limit().or(entry.limit);
        entry.window = rate_limit.window().map(|w| w.as_secs()).or(entry.window);
        let announced = rate_limit.remaining()?;
        let lower = entry.remaining.is_none_or(|known| announced < known);
        if lower {
            entry.remaining = Some(announced);
        }
        lower.then(|| Announcement {
            source,
            remaining: announced,
            window: entry.window.map(Duration::from_secs),
        })
    }

    /// Takes one pull from `registry`'s source, or says why not. While the source's first pull is in flight (its
    /// quota not known yet), waits for its answer, at most until `deadline`.
    pub(crate) async fn take(&self, registry: &str, deadline: tokio::time::Instant) -> Result<String, String> {
        loop {
            let learned = self.learned.notified();
            tokio::pin!(learned);
            learned.as_mut().enable();
            let waiting = {
                let mut state = self.state();
                let source = state.source(registry);
                let entry = state.sources.entry(source).or_default();
                entry.first == FirstPull::InFlight && entry.remaining.is_none() && entry.refused.is_none()
            };
            if !waiting || tokio::time::timeout_at(deadline, learned).await.is_err() {
                break;
            }
        }
        self.take_now(registry)
    }

    fn take_now(&self, registry: &str) -> Result<String, String> {
        let mut guard = self.state();
        let state = &mut *guard;
        let source = state.source(registry);
        let refusal = {
            let entry = state.sources.entry(source.clone()).or_default();
            if let Some(reason) = &entry.refused {
                Some(reason.clone())
            } else if let Some(cap) = self.budget.max_pulls.filter(|cap| state.gets >= *cap) {
                Some(format!("the run's {cap} pulls are spent"))
            } else {
                match entry.remaining {
                    Some(left) if left <= self.budget.reserve => Some(format!(
                        "{left} pulls are left for {source} and {} are kept in reserve",
                        self.budget.reserve
                    )),
                    _ => None,
                }
            }
        };
        if let Some(reason) = refusal {
            return Err(reason);
        }
        state.gets += 1;
        let entry = state.sources.entry(source.clone()).or_default();
        entry.pulls += 1;
        entry.remaining = entry.remaining.map(|left| left.saturating_sub(1));
        if entry.first == FirstPull::NotSent {
            entry.first = FirstPull::InFlight;
        }
        Ok(source)
    }

    /// The `GET` of a pull taken from `source` was answered (whatever the answer): the source's first pull, if it
    /// was that, no longer holds the others back.
    pub(crate) fn sent_pull(&self, source: &str) {
        self.first_pull_over(source, FirstPull::Answered);
    }

    fn first_pull_over(&self, source: &str, now: FirstPull) {
        let mut state = self.state();
        if let Some(entry) = state.sources.get_mut(source) {
            if entry.first == FirstPull::InFlight {
                entry.first = now;
                drop(state);
                self.learned.notify_waiters();
            }
        }
    }

    /// Gives back a pull taken with [`Ledger::take`] that was not sent (a shared budget refused it).
    pub(crate) fn give_back(&self, source: &str) {
        if let Some(entry) = self.state().uncount(source) {
            entry.remaining = entry.remaining.map(|left| left.saturating_add(1));
        }
        self.first_pull_over(source, FirstPull::NotSent);
    }

    /// The `GET` of a pull taken with [`Ledger::take`] was refused with a `429`: it was sent, but spent nothing.
    pub(crate) fn refused_pull(&self, source: &str) {
        self.state().uncount(source);
    }

    /// No more pulls from `source` in this run, for `reason` (it answered `429`, or a shared budget is spent).
    pub(crate) fn refuse(&self, source: &str, reason: &str) {
        let mut state = self.state();
        let entry = state.sources.entry(source.to_owned()).or_default();
        entry.remaining = Some(0);
        entry.refused.get_or_insert_with(|| reason.to_owned());
    }

    pub(crate) fn stats(&self) -> PullStats {
        let state = self.state();
        let mut sources: Vec<SourceBudget> = state
            .sources
            .iter()
            .map(|(name, source)| SourceBudget {
                source: name.clone(),
                limit: source.limit,
                remaining: source.remaining,
                window: source.window.map(Duration::from_secs),
                pulls: source.pulls,
                refused: source.refused.clone(),
            })
            .collect();
        sources.sort_by(|a, b| a.source.cmp(&b.source));
        PullStats {
            heads: self.heads.load(Ordering::Relaxed),
            gets: self.pulls.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            withheld: self.withheld.load(Ordering::Relaxed),
            sources,
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn limit(remaining: u64, source: Option<&str>) -> RateLimit {
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit-limit", "100;w=21600".parse().unwrap());
        headers.insert("ratelimit-remaining", format!("{remaining};w=21600").parse().unwrap());
        if let Some(source) = source {
            headers.insert("docker-ratelimit-source", source.parse().unwrap());
        }
        RateLimit::from_headers(&headers).unwrap()
    }

    #[test]
    fn the_reserve_is_kept_and_late_announcements_never_raise_the_count() {
        let ledger = Ledger::new(PullBudget::new().reserve(1));
        assert_eq!(ledger.take_now("hub").as_deref(), Ok("hub"), "nothing known: allowed");
        let told = ledger.observe("hub", Some(&limit(3, Some("192.0.2.1")))).unwrap();
        assert_eq!((told.source.as_str(), told.remaining), ("192.0.2.1", 3));
        assert_eq!(told.window, Some(Duration::from_secs(21600)));
        assert_eq!(ledger.take_now("hub").as_deref(), Ok("192.0.2.1"));
        // An answer sent before that pull still says 3: the count stays at 2.
        assert_eq!(ledger.observe("hub", Some(&limit(3, Some("192.0.2.1")))), None);
        assert!(ledger.take_now("hub").is_ok());
        let refused = ledger.take_now("hub").unwrap_err();
        assert!(refused.contains("1 pulls are left for 192.0.2.1"), "{refused}");
        let stats = ledger.stats();
        assert_eq!(
            stats.sources().len(),
            1,
            "the pull taken before the source was known is the source's"
        );
        let hub = &stats.sources()[0];
        assert_eq!((hub.source(), hub.remaining(), hub.pulls()), ("192.0.2.1", Some(1), 3));
    }

    #[test]
    fn the_cap_counts_every_source_and_a_429_stops_one() {
        let ledger = Ledger::new(PullBudget::new().max_pulls(2));
        assert!(ledger.take_now("a").is_ok());
        ledger.refuse("b", "the registry answered 429");
        assert_eq!(ledger.take_now("b").unwrap_err(), "the registry answered 429");
        assert!(ledger.take_now("c").is_ok());
        assert_eq!(ledger.take_now("a").unwrap_err(), "the run's 2 pulls are spent");
        ledger.give_back("c");
        assert!(ledger.take_now("a").is_ok());
        assert_eq!(ledger.state().gets, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_pull_of_a_source_is_answered_before_the_others_go() {
        let ledger = std::sync::Arc::new(Ledger::new(PullBudget::new().reserve(5)));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        assert_eq!(ledger.take("hub", deadline).await.as_deref(), Ok("hub"));
        // A second GET waits while the first is in flight...
        let second = tokio::spawn({
            let ledger = std::sync::Arc::clone(&ledger);
            async move { ledger.take("hub", deadline).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            !second.is_finished(),
            "the second pull went out before the first was answered"
        );
        // ...and is refused once the first answer says only the reserve is left.
        ledger.observe("hub", Some(&limit(5, None)));
        ledger.sent_pull("hub");
        let refused = second.await.unwrap().unwrap_err();
        assert!(refused.contains("5 pulls are left for hub"), "{refused}");
        // A registry that never announces holds nobody back after its first answer.
        assert!(ledger.take("open", deadline).await.is_ok());
        ledger.sent_pull("open");
        assert!(ledger.take("open", deadline).await.is_ok());
        assert!(ledger.take("open", deadline).await.is_ok());
    }
}
