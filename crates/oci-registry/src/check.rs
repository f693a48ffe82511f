//! The drivers: the small IO loops that feed the pure machines ([`Verdict`](crate::Verdict) and
//! [`NewerSearch`](crate::NewerSearch)) what they ask for, through the one fetch step
//! ([`Fetch`](crate::fetch::Fetch)); running many at once; and the lookups of one reference (`resolve_digest`,
//! `fetch_manifest`). [`Client`](crate::Client)'s methods call these; nothing here calls back up.

use std::collections::HashMap;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use oci_version::Policy;
use tokio::sync::OnceCell;
use tokio::task::JoinSet;

use crate::auth::BatchPlan;
use crate::client::{Core, RawManifest};
use crate::error::{Error, ErrorKind};
use crate::fetch::{Fetch, Fetched, at};
use crate::location::{ManifestLocation, Repository};
use crate::newer::{NewerAnswer, NewerCheck, NewerNeed, NewerRequest, NewerSearch};
use crate::ratelimit::RateLimit;
use crate::verdict::{Answer, Need, UpdateCheck, UpdateRequest, Verdict};

/// Per registry that more than one check goes to: its repositories, and its token batches once planned (one
/// `GET /v2/`), each fetched once by the first check that needs it, so a check waits for its own batch only.
type Gates = HashMap<String, Gate>;

/// One registry's preparation: see [`Gates`].
struct Gate {
    repositories: Vec<String>,
    /// The plan (`None`: the registry asks for no token, or planning failed) and one cell per batch.
    plan: OnceCell<Option<Planned>>,
}

/// A registry's token batches, and one cell per batch that its first fetch fills.
type Planned = (Arc<BatchPlan>, Vec<OnceCell<()>>);

/// The default number of checks [`Client::check_many`](crate::Client::check_many) runs at once.
const DEFAULT_CONCURRENCY: usize = 32;

/// Options of [`Client::check_many`](crate::Client::check_many) and [`Client::check_each`](crate::Client::check_each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    concurrency: usize,
    newer: Option<Policy>,
}

/// A reference resolved to a digest by [`Client::resolve_digest`](crate::Client::resolve_digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDigest {
    digest: Digest,
    media_type: String,
    platform_digest: Option<Digest>,
    rate_limit: Option<RateLimit>,
}

impl CheckOptions {
    /// The defaults: 32 checks at once, no search for newer versions.
    pub fn new() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            newer: None,
        }
    }

    /// Runs at most `n` checks at once (at least one).
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// After each check that succeeds, also looks for a newer version of its tag within `policy`
    /// ([`Client::newer_version`](crate::Client::newer_version)), reusing what the check learned (the tag's digest,
    /// the manifests it read): the answer is [`UpdateCheck::newer`].
    #[must_use]
    pub fn newer(mut self, policy: Policy) -> Self {
        self.newer = Some(policy);
        self
    }

    /// The number of checks run at once.
    pub fn max_concurrency(&self) -> usize {
        self.concurrency
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ResolvedDigest {
    /// The tag's digest, or the digest the reference named.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The media type of that manifest; empty when the registry did not say.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The platform's image, when a platform was given and the manifest is an index.
    pub fn platform_digest(&self) -> Option<&Digest> {
        self.platform_digest.as_ref()
    }

    /// The last rate limit the registry announced.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }
}

impl RawManifest {
    /// Parses the verified bytes as an image manifest or index, by their `Content-Type`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidManifest`] when the bytes are not a manifest of a known kind.
    pub fn parse(&self) -> Result<oci_manifest::Manifest, Error> {
        oci_manifest::Manifest::parse(self.bytes(), self.media_type())
            .map_err(|err| Error::new(ErrorKind::InvalidManifest).with_source(err))
    }
}

/// Drives a [`Verdict`] for `request` to its end.
pub(crate) async fn check(fetch: &mut Fetch<'_>, request: &UpdateRequest) -> Result<UpdateCheck, Error> {
    let mut verdict = Verdict::new(request)?;
    loop {
        let need = verdict.need().clone();
        let answered = match &need {
            Need::TagHead => match fetch.head(&ManifestLocation::from(request.reference())).await? {
                Fetched::Got(head) => verdict.answer(Answer::Head {
                    digest: head.digest(),
                    media_type: head.media_type(),
                }),
                // What a tag names is the question: a missing tag, or one whose digest cannot be learned, fails.
                Fetched::Missing(err) | Fetched::Withheld(_, err) => return Err(err),
            },
            Need::CurrentHead(digest) => match fetch.head(&fetch.repository().digest(digest.clone())).await? {
                Fetched::Got(head) => verdict.answer(Answer::Head {
                    digest: head.digest(),
                    media_type: head.media_type(),
                }),
                Fetched::Missing(_) => verdict.answer(Answer::Missing),
                Fetched::Withheld(reason, _) => verdict.answer(Answer::Withheld(&reason)),
            },
            Need::LatestManifest(digest) | Need::CurrentManifest(digest) | Need::ImageManifest(digest) => {
                match fetch.manifest(&fetch.repository().digest(digest.clone())).await? {
                    Fetched::Got(read) => verdict.answer(Answer::Manifest(&read.parsed)),
                    // The tag's own manifest, just named by its HEAD, must exist.
                    Fetched::Missing(err) if matches!(need, Need::LatestManifest(_)) => return Err(err),
                    Fetched::Missing(_) => verdict.answer(Answer::Missing),
                    Fetched::Withheld(reason, _) => verdict.answer(Answer::Withheld(&reason)),
                }
            }
            _ => {
                let check = verdict.finish().map_err(|err| at(err, fetch.repository()))?;
                let served_by = fetch.served_by().map(str::to_owned);
                let upstream = match served_by {
                    Some(_) if fetch.mirror_drift() => {
                        fetch
                            .upstream_digest(&ManifestLocation::from(request.reference()))
                            .await
                    }
                    _ => None,
                };
                return Ok(check
                    .with_costs(fetch.tally(), fetch.rate_limit().cloned())
                    .with_served_by(served_by.as_deref())
                    .with_upstream(upstream));
            }
        };
        answered.map_err(|err| at(err, fetch.repository()))?;
    }
}

/// Drives a [`NewerSearch`] for `request` to its end.
pub(crate) async fn search(fetch: &mut Fetch<'_>, request: &NewerRequest) -> Result<NewerCheck, Error> {
    let mut search = NewerSearch::new(request)?;
    loop {
        let need = search.need().clone();
        match &need {
            NewerNeed::Tags => {
                let tags = fetch.tags().await?;
                search.answer(NewerAnswer::Tags(&tags))?;
            }
            NewerNeed::TagHead(tag) => {
                // A tag from the registry's list that is not a valid tag is treated as missing.
                let fetched = match fetch.repository().tag(tag) {
                    Ok(location) => Some(fetch.head(&location).await?),
                    Err(_) => None,
                };
                match &fetched {
                    Some(Fetched::Got(head)) => search.answer(NewerAnswer::Head(head.digest()))?,
                    Some(Fetched::Withheld(reason, _)) => search.answer(NewerAnswer::Withheld(reason))?,
                    Some(Fetched::Missing(_)) | None => search.answer(NewerAnswer::Missing)?,
                };
            }
            NewerNeed::Manifest(digest) => {
                match fetch.manifest(&fetch.repository().digest(digest.clone())).await? {
                    Fetched::Got(read) => search.answer(NewerAnswer::Manifest(&read.parsed))?,
                    Fetched::Missing(_) => search.answer(NewerAnswer::Missing)?,
                    Fetched::Withheld(reason, _) => search.answer(NewerAnswer::Withheld(&reason))?,
                };
            }
            NewerNeed::Config(digest) => {
                match fetch.config(digest).await? {
                    Some(config) => search.answer(NewerAnswer::Config(&config))?,
                    None => search.answer(NewerAnswer::Missing)?,
                };
            }
            _ => return Ok(search.finish()?.with_costs(fetch.tally())),
        }
    }
}

/// One check, and with `newer` the version search chained after it: one fetch step for both, so the search starts
/// from what the check learned (the tag's digest, the manifests it read) instead of asking again. The search has a
/// deadline of its own.
pub(crate) async fn check_then_search(
    core: &Core,
    request: &UpdateRequest,
    newer: Option<&Policy>,
) -> Result<UpdateCheck, Error> {
    let mut fetch = Fetch::new(core, Repository::from(request.reference()), core.deadline());
    let check = check(&mut fetch, request).await?;
    let Some(policy) = newer else {
        return Ok(check);
    };
    fetch.next_operation(core.deadline());
    let newer = NewerRequest::from_update(request, policy.clone()).knowing_tag_digest(check.latest_digest().clone());
    let found = search(&mut fetch, &newer).await;
    Ok(check.with_newer(found))
}

/// Runs [`check_then_search`] for every distinct request, at most `options.concurrency` at once, and calls
/// `done(index, result)` for every request as its check completes (equal requests share one check and each get its
/// result). A registry that more than one check goes to is prepared once, behind a gate only its own checks wait on.
pub(crate) async fn check_each<F>(core: &Arc<Core>, requests: &[UpdateRequest], options: &CheckOptions, mut done: F)
where
    F: FnMut(usize, Result<UpdateCheck, Error>),
{
    // One check per distinct request, however many callers share it.
    let mut distinct: Vec<UpdateRequest> = Vec::new();
    let mut positions: Vec<Vec<usize>> = Vec::new();
    let mut index_of: HashMap<&UpdateRequest, usize> = HashMap::new();
    for (position, request) in requests.iter().enumerate() {
        match index_of.get(request) {
            Some(&at) => positions[at].push(position),
            None => {
                index_of.insert(request, distinct.len());
                distinct.push(request.clone());
                positions.push(vec![position]);
            }
        }
    }
    let gates = gates(&distinct);
    let newer = options.newer.clone();
    let work = |_, request: UpdateRequest| {
        let (core, gates, newer) = (Arc::clone(core), Arc::clone(&gates), newer.clone());
        async move {
            let repository = Repository::from(request.reference());
            if let Some(gate) = gates.get(repository.registry()) {
                wait_for_token(&core, gate, &repository).await;
            }
            check_then_search(&core, &request, newer.as_ref()).await
        }
    };
    run_each(&distinct, options.concurrency, work, &mut |at: usize,
                                                         result: Result<
        UpdateCheck,
        Error,
    >| {
        let shared = &positions[at];
        for &position in &shared[1..] {
            done(position, result.clone());
        }
        done(shared[0], result);
    })
    .await;
}

/// Runs the version search for every request, at most `concurrency` at once.
pub(crate) async fn newer_each<F>(core: &Arc<Core>, requests: &[NewerRequest], concurrency: usize, mut done: F)
where
    F: FnMut(usize, Result<NewerCheck, Error>),
{
    let work = |_, request: NewerRequest| {
        let core = Arc::clone(core);
        async move { newer_version(&core, &request).await }
    };
    run_each(requests, concurrency, work, &mut done).await;
}

/// One version search, within one deadline.
pub(crate) async fn newer_version(core: &Core, request: &NewerRequest) -> Result<NewerCheck, Error> {
    let mut fetch = Fetch::new(core, Repository::from(request.reference()), core.deadline());
    search(&mut fetch, request).await
}

/// One gate per registry that more than one request goes to, with that registry's repositories.
fn gates(requests: &[UpdateRequest]) -> Arc<Gates> {
    let mut by_registry: HashMap<String, (usize, Vec<String>)> = HashMap::new();
    for request in requests {
        let repository = Repository::from(request.reference());
        let (count, names) = by_registry.entry(repository.registry().to_owned()).or_default();
        *count += 1;
        names.push(repository.name().to_owned());
    }
    Arc::new(
        by_registry
            .into_iter()
            .filter(|(_, (count, _))| *count > 1)
            .map(|(registry, (_, mut names))| {
                names.sort_unstable();
                names.dedup();
                let gate = Gate {
                    repositories: names,
                    plan: OnceCell::new(),
                };
                (registry, gate)
            })
            .collect(),
    )
}

/// Waits until `repository`'s pull token is cached: the registry's batches planned once (one ping, learning its
/// challenge), then the one batch holding the repository fetched by the first check that needs it. Checks of
/// other batches go on meanwhile, so the batches are fetched at once, not one after another. A failure here is
/// left for the check to report.
async fn wait_for_token(core: &Core, gate: &Gate, repository: &Repository) {
    let registry = repository.registry();
    let planned = gate
        .plan
        .get_or_init(|| async {
            let names: Vec<&str> = gate.repositories.iter().map(String::as_str).collect();
            match core
                .auth()
                .plan_batches(core.transport(), registry, &names, core.deadline())
                .await
            {
                Ok(plan) => plan.map(|plan| {
                    let cells = (0..plan.len()).map(|_| OnceCell::new()).collect();
                    (Arc::new(plan), cells)
                }),
                Err(err) => {
                    tracing::debug!(registry, "preparing the registry failed: {err}");
                    None
                }
            }
        })
        .await;
    let Some((plan, cells)) = planned else {
        return;
    };
    let Some(index) = plan.batch_of(repository.name()) else {
        return;
    };
    cells[index]
        .get_or_init(|| async {
            if let Err(err) = core
                .auth()
                .fetch_batch(core.transport(), plan, index, core.deadline())
                .await
            {
                tracing::debug!(registry, "fetching a token batch failed: {err}");
            }
        })
        .await;
}

/// The digest a reference names now (one `HEAD`, or the reference's own digest checked with one), and with
/// `platform` the platform's image of an index (one more `GET`).
pub(crate) async fn resolve_digest(
    core: &Core,
    reference: &Reference,
    platform: Option<&Platform>,
) -> Result<ResolvedDigest, Error> {
    let location = ManifestLocation::from(reference);
    let mut fetch = Fetch::new(core, location.repository().clone(), core.deadline());
    let head = got(fetch.head(&location).await?)?;
    let mut resolved = ResolvedDigest {
        digest: head.digest().clone(),
        media_type: head.media_type().unwrap_or_default().to_owned(),
        platform_digest: None,
        rate_limit: head.rate_limit().cloned(),
    };
    let Some(platform) = platform else {
        return Ok(resolved);
    };
    let known_single = head
        .media_type()
        .and_then(oci_manifest::ManifestKind::from_media_type)
        .is_some_and(|kind| !kind.is_index());
    if known_single {
        return Ok(resolved);
    }
    let read = got(fetch
        .manifest(&location.repository().digest(resolved.digest.clone()))
        .await?)?;
    if let Some(rate_limit) = fetch.rate_limit() {
        resolved.rate_limit = Some(rate_limit.clone());
    }
    resolved.media_type = read.parsed.media_type().to_owned();
    if let Some(index) = read.parsed.as_index() {
        resolved.platform_digest = Some(select(index, platform, location.repository())?);
    }
    Ok(resolved)
}

/// The manifest a reference names (by digest, else by tag), and with `platform` an index's image for it.
pub(crate) async fn fetch_manifest(
    core: &Core,
    reference: &Reference,
    platform: Option<&Platform>,
) -> Result<RawManifest, Error> {
    let location = ManifestLocation::from(reference);
    let mut fetch = Fetch::new(core, location.repository().clone(), core.deadline());
    let manifest = got(fetch.manifest_raw(&location).await?)?;
    let Some(platform) = platform else {
        return Ok(manifest);
    };
    let repository = location.repository();
    let parsed = manifest.parse().map_err(|err| at(err, repository))?;
    match parsed.as_index() {
        Some(index) => {
            let child = select(index, platform, repository)?;
            got(fetch.manifest_raw(&repository.digest(child)).await?)
        }
        None => Ok(manifest),
    }
}

/// What was asked for, or the error of a missing or withheld answer.
pub(crate) fn got<T>(fetched: Fetched<T>) -> Result<T, Error> {
    match fetched {
        Fetched::Got(value) => Ok(value),
        Fetched::Missing(err) | Fetched::Withheld(_, err) => Err(err),
    }
}

/// Runs `work(index, item)` for every item as its own task, at most `concurrency` at once, and calls
/// `done(index, result)` as each completes. A panicking task panics the caller, as it would have inline.
pub(crate) async fn run_each<T, R, W, Fut>(items: &[T], concurrency: usize, work: W, done: &mut impl FnMut(usize, R))
where
    T: Clone,
    R: Send + 'static,
    W: Fn(usize, T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let mut running = JoinSet::new();
    let mut next = 0;
    loop {
        while next < items.len() && running.len() < concurrency.max(1) {
            let (position, task) = (next, work(next, items[next].clone()));
            running.spawn(async move { (position, task.await) });
            next += 1;
        }
        match running.join_next().await {
            None => break,
            Some(Ok((position, result))) => done(position, result),
            Some(Err(err)) => {
                if err.is_panic() {
                    std::panic::resume_unwind(err.into_panic());
                }
            }
        }
    }
}

/// The platform's image in `index`, never an attestation.
fn select(index: &oci_manifest::ImageIndex, platform: &Platform, repository: &Repository) -> Result<Digest, Error> {
    index
        .select(platform)
        .map(|descriptor| descriptor.digest().clone())
        .map_err(|no_match| {
            at(
                Error::new(ErrorKind::PlatformNotFound).with_source(no_match),
                repository,
            )
        })
}
