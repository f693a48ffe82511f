//! The one fetch step: what the update verdict ([`Verdict`](crate::Verdict)) and the newer-version search
//! ([`NewerSearch`](crate::NewerSearch)) ask for is fetched here, through the cache and the pull budget, and every
//! answer says what it cost ([`Cost`]). The per-check and per-search counts ([`Tally`]), the JSON `pulls` and
//! `cache_hits` of `oci-check`, and the run's [`PullStats`](crate::PullStats) are all counted from these events, so
//! they cannot disagree.
//!
//! A **cache hit** is one entry (a manifest, an image config or a tag list) read from the cache and verified,
//! instead of asked of the registry. A manifest read again within one operation (the verdict read the image in use,
//! then the version search wants it) is neither a request nor a cache hit: a [`Fetch`] remembers what it read.

use std::collections::HashMap;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::ImageConfig;
use tokio::time::Instant;

use crate::client::{Core, ManifestHead, RawManifest};
use crate::error::{Error, ErrorKind};
use crate::location::{ManifestLocation, Repository};
use crate::ratelimit::RateLimit;
use crate::wire::HeadAnswer;

/// The largest image config read.
const CONFIG_LIMIT: u64 = 4 * 1024 * 1024;

/// What one lookup cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    /// A manifest `HEAD` was sent (free on Docker Hub).
    Head,
    /// A manifest `GET` was answered with the manifest: a pull, on Docker Hub.
    Pull,
    /// A manifest `GET` was sent and answered with an error (`404`, `429`, ...): a request, but no pull.
    RefusedGet,
    /// An entry was read from the cache (and verified) instead of asked of the registry.
    CacheHit,
    /// A manifest `GET` was not sent: the pull budget withheld it.
    Withheld,
    /// A blob (an image config) was fetched from the registry: not a pull.
    Blob,
    /// A tag list was fetched from the registry (every page): not a pull.
    TagList,
}

/// What an operation's lookups cost, counted from their [`Cost`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) heads: u32,
    pub(crate) gets: u32,
    pub(crate) pulls: u32,
    pub(crate) cache_hits: u32,
}

/// The answer to one lookup.
#[derive(Debug)]
pub(crate) enum Fetched<T> {
    /// What was asked for.
    Got(T),
    /// The registry does not have it (`404`): the error, for a need that cannot take "missing" for an answer.
    Missing(Error),
    /// A manifest `GET` was not sent (the pull budget) or was refused (`429`): why, and the error.
    Withheld(String, Error),
}

/// A manifest read and parsed.
#[derive(Debug)]
pub(crate) struct Read {
    pub(crate) raw: RawManifest,
    pub(crate) parsed: oci_manifest::Manifest,
}

/// The lookups of one operation (a check, a version search, or both chained) in one repository, within one
/// deadline: the cost of each, the last rate limit seen, and the manifests read so far by digest.
pub(crate) struct Fetch<'a> {
    core: &'a Core,
    repository: Repository,
    deadline: Instant,
    tally: Tally,
    rate_limit: Option<RateLimit>,
    /// The mirror that answered the last tag `HEAD`, when one did.
    served_by: Option<String>,
    read: HashMap<Digest, Arc<Read>>,
}

impl Tally {
    /// Manifest requests sent (`HEAD`s and `GET`s), not counting authentication round trips.
    pub(crate) fn requests(&self) -> u32 {
        self.heads + self.gets
    }

    fn count(&mut self, cost: Cost) {
        match cost {
            Cost::Head => self.heads += 1,
            Cost::Pull => {
                self.gets += 1;
                self.pulls += 1;
            }
            Cost::RefusedGet => self.gets += 1,
            Cost::CacheHit => self.cache_hits += 1,
            Cost::Withheld | Cost::Blob | Cost::TagList => {}
        }
    }
}

impl<'a> Fetch<'a> {
    pub(crate) fn new(core: &'a Core, repository: Repository, deadline: Instant) -> Self {
        Self {
            core,
            repository,
            deadline,
            tally: Tally::default(),
            rate_limit: None,
            served_by: None,
            read: HashMap::new(),
        }
    }

    /// The mirror that answered the last `HEAD`, when one did.
    pub(crate) fn served_by(&self) -> Option<&str> {
        self.served_by.as_deref()
    }

    /// Whether a tag a mirror answered for is asked of the registry itself too.
    pub(crate) fn mirror_drift(&self) -> bool {
        self.core.config().mirror_drift
    }

    pub(crate) fn repository(&self) -> &Repository {
        &self.repository
    }

    /// What the lookups cost so far.
    pub(crate) fn tally(&self) -> Tally {
        self.tally
    }

    /// The last rate limit the registry announced.
    pub(crate) fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// Starts a new tally (and a new deadline) for the next operation, keeping what was read.
    pub(crate) fn next_operation(&mut self, deadline: Instant) -> Tally {
        self.deadline = deadline;
        self.rate_limit = None;
        std::mem::take(&mut self.tally)
    }

    fn spend(&mut self, cost: Cost) {
        self.tally.count(cost);
        self.core.ledger().spent(cost);
    }

    fn saw(&mut self, rate_limit: Option<&RateLimit>) {
        if let Some(rate_limit) = rate_limit {
            self.rate_limit = Some(rate_limit.clone());
        }
    }

    /// The digest the registry itself names for `location`, past its mirrors, by one `HEAD`; `None` when it sends
    /// no digest or cannot be asked (a drift check never fails the check it belongs to).
    pub(crate) async fn upstream_digest(&mut self, location: &ManifestLocation) -> Option<Digest> {
        self.spend(Cost::Head);
        match crate::wire::upstream_head(self.core, location, self.deadline).await {
            Ok(head) => head.map(|head| head.digest().clone()),
            Err(err) => {
                tracing::debug!(error = %err, "the registry itself did not answer the drift HEAD");
                None
            }
        }
    }

    /// A manifest's digest and media type by `HEAD` (free on Docker Hub); when the registry sends no
    /// `Docker-Content-Digest`, by `GET` and hashing (a pull).
    pub(crate) async fn head(&mut self, location: &ManifestLocation) -> Result<Fetched<ManifestHead>, Error> {
        self.spend(Cost::Head);
        let answer = match crate::wire::manifest_head(self.core, location, self.deadline).await {
            Ok(answer) => answer,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Fetched::Missing(err)),
            Err(err) => return Err(err),
        };
        match answer {
            HeadAnswer::Digest(head) => {
                crate::cached::observe(self.core, self.repository.registry(), head.rate_limit()).await;
                self.saw(head.rate_limit());
                self.served_by = head.served_by.clone();
                Ok(Fetched::Got(head))
            }
            HeadAnswer::NoDigest(rate_limit) => {
                crate::cached::observe(self.core, self.repository.registry(), rate_limit.as_ref()).await;
                self.saw(rate_limit.as_ref());
                Ok(match self.manifest_raw(location).await? {
                    Fetched::Got(raw) => Fetched::Got(ManifestHead::of(&raw)),
                    Fetched::Missing(err) => Fetched::Missing(err),
                    Fetched::Withheld(reason, err) => Fetched::Withheld(reason, err),
                })
            }
        }
    }

    /// A manifest, verified and parsed: one already read in this operation, else from the cache, else by a `GET`
    /// the pull budget allows.
    pub(crate) async fn manifest(&mut self, location: &ManifestLocation) -> Result<Fetched<Arc<Read>>, Error> {
        if let Some(read) = location.digest().and_then(|digest| self.read.get(digest)) {
            return Ok(Fetched::Got(Arc::clone(read)));
        }
        let raw = match self.manifest_raw(location).await? {
            Fetched::Got(raw) => raw,
            Fetched::Missing(err) => return Ok(Fetched::Missing(err)),
            Fetched::Withheld(reason, err) => return Ok(Fetched::Withheld(reason, err)),
        };
        let parsed = raw.parse().map_err(|err| at(err, &self.repository))?;
        let read = Arc::new(Read { raw, parsed });
        self.read.insert(read.raw.digest().clone(), Arc::clone(&read));
        Ok(Fetched::Got(read))
    }

    /// A manifest's exact bytes, verified, not parsed: from the cache, else by a `GET` the pull budget allows.
    pub(crate) async fn manifest_raw(&mut self, location: &ManifestLocation) -> Result<Fetched<RawManifest>, Error> {
        match crate::cached::manifest(self.core, location, self.deadline).await {
            Ok(raw) => {
                self.spend(if raw.from_cache() { Cost::CacheHit } else { Cost::Pull });
                self.saw(raw.rate_limit());
                Ok(Fetched::Got(raw))
            }
            Err(err) => {
                match err.kind() {
                    ErrorKind::PullBudget => self.spend(Cost::Withheld),
                    // The registry answered: a request, no pull.
                    _ if err.status().is_some() => self.spend(Cost::RefusedGet),
                    _ => {}
                }
                self.saw(err.rate_limit());
                match (withheld(&err), err.kind()) {
                    (Some(reason), _) => Ok(Fetched::Withheld(reason, err)),
                    (None, ErrorKind::NotFound) => Ok(Fetched::Missing(err)),
                    (None, _) => Err(err),
                }
            }
        }
    }

    /// An image config by digest, verified and parsed: `None` when the registry does not have it or it is not a
    /// config.
    pub(crate) async fn config(&mut self, digest: &Digest) -> Result<Option<ImageConfig>, Error> {
        match crate::cached::config_blob(self.core, &self.repository, digest, CONFIG_LIMIT).await {
            Ok((bytes, from_cache)) => {
                self.spend(if from_cache { Cost::CacheHit } else { Cost::Blob });
                Ok(ImageConfig::parse(&bytes).ok())
            }
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Every tag of the repository, from the cache while young enough, else every page within the deadline.
    pub(crate) async fn tags(&mut self) -> Result<Vec<String>, Error> {
        let (tags, from_cache) = crate::cached::tags(self.core, &self.repository, self.deadline).await?;
        self.spend(if from_cache { Cost::CacheHit } else { Cost::TagList });
        Ok(tags)
    }
}

/// Why a manifest was not fetched, when the pull budget withheld it or the registry's rate limit refused it: the
/// operation then finishes on what it knows instead of failing.
fn withheld(err: &Error) -> Option<String> {
    match err.kind() {
        ErrorKind::PullBudget => Some(format!(
            "the pull budget withheld the manifest GET ({})",
            err.detail().unwrap_or("no pulls left")
        )),
        ErrorKind::TooManyRequests => {
            Some("the registry refused the manifest GET: 429, pull rate limit reached".to_owned())
        }
        _ => None,
    }
}

/// `err`, said to concern `repository` unless it names a registry already.
pub(crate) fn at(err: Error, repository: &Repository) -> Error {
    if err.registry().is_some() {
        return err;
    }
    err.with_registry(repository.registry())
        .with_repository(Some(repository.name()))
}
