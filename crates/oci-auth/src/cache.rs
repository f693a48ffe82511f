//! A token cache with an injectable [`Clock`], scope batching, and the "fewer scopes granted" signal.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::credentials::normalize_registry;
use crate::encoding::percent_encode;
use crate::scope::{Scope, ScopeSet};
use crate::token::Token;

/// Where the cache gets the time from. Tests inject a [`ManualClock`].
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

/// A clock that stands still until told to move; clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

/// How the cache discounts a token's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    margin: Duration,
    margin_percent: u32,
}

/// How to split many scopes into token requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    max_query_bytes: usize,
    max_scopes: usize,
}

/// Tokens by registry, service and the scopes they cover.
///
/// A token stops being offered `margin` before it expires, where the margin is the smaller of a fixed duration
/// (30 s by default) and a share of the token's lifetime (10 %), so that a token is never sent just as it
/// expires and a 60 s token is still worth caching.
pub struct TokenCache<C: Clock = SystemClock> {
    clock: C,
    config: CacheConfig,
    entries: Vec<Entry>,
    /// `(registry, service)` pairs known to grant fewer scopes than asked for in one request.
    no_batching: BTreeSet<(String, String)>,
}

/// What a token response granted compared with what was asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    missing: ScopeSet,
}

struct Entry {
    registry: String,
    service: String,
    requested: ScopeSet,
    covers: ScopeSet,
    token: Token,
    usable_until: SystemTime,
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves the clock forward, stopping at the latest time the platform can represent.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = saturating_add(*now, by);
    }

    /// Sets the clock.
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl CacheConfig {
    /// 30 s or 10 % of the lifetime, whichever is smaller.
    pub const DEFAULT: Self = Self {
        margin: Duration::from_secs(30),
        margin_percent: 10,
    };

    /// A margin of the smaller of `margin` and `percent` % of the token's lifetime (`percent` is capped at 100).
    pub fn new(margin: Duration, percent: u32) -> Self {
        Self {
            margin,
            margin_percent: percent.min(100),
        }
    }

    /// The margin for a token living `lifetime` (any duration, up to [`Duration::MAX`]).
    pub fn margin_for(&self, lifetime: Duration) -> Duration {
        // A share that overflows is larger than any fixed margin, so the fixed one wins.
        lifetime
            .checked_mul(self.margin_percent)
            .map_or(self.margin, |share| self.margin.min(share / 100))
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl BatchConfig {
    /// Queries up to 2048 bytes of `scope` parameters, 64 scopes at most.
    pub const DEFAULT: Self = Self {
        max_query_bytes: 2048,
        max_scopes: 64,
    };

    /// A budget of `max_query_bytes` bytes of `&scope=...` parameters and `max_scopes` scopes per request
    /// (both at least 1).
    pub fn new(max_query_bytes: usize, max_scopes: usize) -> Self {
        Self {
            max_query_bytes: max_query_bytes.max(1),
            max_scopes: max_scopes.max(1),
        }
    }

    /// The byte budget.
    pub fn max_query_bytes(&self) -> usize {
        self.max_query_bytes
    }

    /// The scope budget.
    pub fn max_scopes(&self) -> usize {
        self.max_scopes
    }

    /// Splits `scopes` into sets whose `&scope=...` query parameters fit the budget, in order. A scope that
    /// alone exceeds the byte budget gets a request of its own.
    pub fn batch(&self, scopes: &ScopeSet) -> Vec<ScopeSet> {
        let mut batches = Vec::new();
        let mut current = ScopeSet::new();
        let mut bytes = 0;
        for scope in scopes.iter() {
            let cost = query_cost(scope);
            if !current.is_empty() && (bytes + cost > self.max_query_bytes || current.len() >= self.max_scopes) {
                batches.push(std::mem::take(&mut current));
                bytes = 0;
            }
            current.insert(scope.clone());
            bytes += cost;
        }
        if !current.is_empty() {
            batches.push(current);
        }
        batches
    }
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Grant {
    /// The requested scopes the token does not grant. Empty when it grants them all, or when the token does not
    /// say (it is not a JWT with an `access` claim).
    pub fn missing(&self) -> &ScopeSet {
        &self.missing
    }

    /// Whether the server granted fewer scopes than were asked for.
    pub fn is_partial(&self) -> bool {
        !self.missing.is_empty()
    }
}

impl TokenCache<SystemClock> {
    /// A cache on the system clock with the default margin.
    pub fn new() -> Self {
        Self::with_clock(SystemClock, CacheConfig::DEFAULT)
    }
}

impl Default for TokenCache<SystemClock> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Clock> TokenCache<C> {
    /// A cache on `clock`.
    pub fn with_clock(clock: C, config: CacheConfig) -> Self {
        Self {
            clock,
            config,
            entries: Vec::new(),
            no_batching: BTreeSet::new(),
        }
    }

    /// The cache's clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Stores a token obtained for `requested` scopes, replacing one stored under the same key.
    ///
    /// When the token is a JWT whose `access` claim grants fewer scopes than requested, only the granted ones are
    /// recorded as covered, the shortfall is returned, and when more than one scope was requested, later
    /// [`plan`](Self::plan)s for this registry and service ask one repository at a time.
    pub fn insert(&mut self, registry: &str, service: Option<&str>, requested: &ScopeSet, token: Token) -> Grant {
        let registry = normalize_registry(registry);
        let service = service.unwrap_or_default().to_owned();
        let (covers, missing) = match token.granted_scopes() {
            Some(granted) => {
                let covers: ScopeSet = requested.iter().filter(|s| granted.covers(s)).cloned().collect();
                (covers, requested.missing_from(&granted))
            }
            None => (requested.clone(), ScopeSet::new()),
        };
        if !missing.is_empty() && requested.len() > 1 {
            self.no_batching.insert((registry.clone(), service.clone()));
        }
        let margin = self.config.margin_for(token.expires_in());
        let usable_until = token.expires_at().checked_sub(margin).unwrap_or(token.expires_at());
        self.entries
            .retain(|e| !(e.registry == registry && e.service == service && e.requested == *requested));
        self.entries.push(Entry {
            registry,
            service,
            requested: requested.clone(),
            covers,
            token,
            usable_until,
        });
        Grant { missing }
    }

    /// A token still fresh (before its expiry minus the margin) whose scopes cover all of `needed`.
    /// Of several, the one that stays fresh longest.
    pub fn get(&self, registry: &str, service: Option<&str>, needed: &ScopeSet) -> Option<&Token> {
        let registry = normalize_registry(registry);
        let service = service.unwrap_or_default();
        let now = self.clock.now();
        self.entries
            .iter()
            .filter(|e| e.registry == registry && e.service == service && now < e.usable_until)
            .filter(|e| e.covers.covers_all(needed))
            .max_by_key(|e| e.usable_until)
            .map(|e| &e.token)
    }

    /// Records that a registry answered a request made with a cached token by an `insufficient_scope` challenge
    /// for `scope`: no cached token is trusted with that scope any more, and this registry and service are no
    /// longer asked for several scopes at once.
    pub fn insufficient_scope(&mut self, registry: &str, service: Option<&str>, scope: &Scope) {
        let registry = normalize_registry(registry);
        let service = service.unwrap_or_default().to_owned();
        for entry in self
            .entries
            .iter_mut()
            .filter(|e| e.registry == registry && e.service == service)
        {
            entry.covers.remove_resource(scope);
        }
        self.no_batching.insert((registry, service));
    }

    /// Whether this registry and service have been seen granting all the scopes of a multi-scope request (or
    /// have not been seen failing to).
    pub fn batching_allowed(&self, registry: &str, service: Option<&str>) -> bool {
        let key = (normalize_registry(registry), service.unwrap_or_default().to_owned());
        !self.no_batching.contains(&key)
    }

    /// The token requests needed for `needed`: the scopes no fresh cached token covers, batched by `config`, or
    /// one scope per request where the registry is known to grant fewer scopes than asked for.
    pub fn plan(
        &self,
        registry: &str,
        service: Option<&str>,
        needed: &ScopeSet,
        config: &BatchConfig,
    ) -> Vec<ScopeSet> {
        let uncovered: ScopeSet = needed
            .iter()
            .filter(|s| self.get(registry, service, &ScopeSet::from((*s).clone())).is_none())
            .cloned()
            .collect();
        if self.batching_allowed(registry, service) {
            config.batch(&uncovered)
        } else {
            uncovered.iter().cloned().map(ScopeSet::from).collect()
        }
    }

    /// Drops expired tokens; returns how many.
    pub fn purge_expired(&mut self) -> usize {
        let now = self.clock.now();
        let before = self.entries.len();
        self.entries.retain(|e| now < e.usable_until);
        before - self.entries.len()
    }

    /// How many tokens are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no token.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<C: Clock> fmt::Debug for TokenCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("config", &self.config)
            .field("tokens", &self.entries.len())
            .field("no_batching", &self.no_batching)
            .finish_non_exhaustive()
    }
}

/// `time + by`, or the latest time representable when that overflows (which `SystemTime` does not expose, so it is
/// approached by halving steps: at most two steps per halving, about 200 in all).
fn saturating_add(mut time: SystemTime, by: Duration) -> SystemTime {
    let mut left = by;
    let mut step = by;
    while !step.is_zero() {
        match time.checked_add(step) {
            Some(later) => {
                time = later;
                left -= step;
                step = step.min(left);
            }
            None => step /= 2,
        }
    }
    time
}

/// The bytes `&scope=<encoded>` adds to a query.
fn query_cost(scope: &Scope) -> usize {
    "&scope=".len() + percent_encode(&scope.to_string()).len()
}
