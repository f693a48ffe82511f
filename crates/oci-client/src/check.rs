//! Update checks: the small IO loop that drives the pure [`Verdict`](crate::Verdict) (whose documentation states the
//! rules), one check or many at once, and the lookups of one reference (`resolve_digest`, `fetch_manifest`).

use std::collections::HashMap;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use tokio::sync::OnceCell;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{Client, Manifest};
use crate::error::{Error, ErrorKind};
use crate::location::{ManifestLocation, Repository};
use crate::ratelimit::RateLimit;
use crate::verdict::{Answer, Need, UpdateCheck, UpdateRequest, Verdict};

/// Per registry that more than one check goes to: the gate its checks pass once it is prepared, and its
/// repositories.
type Gates = HashMap<String, (OnceCell<()>, Vec<String>)>;

/// The default number of checks [`Client::check_many`] runs at once.
const DEFAULT_CONCURRENCY: usize = 32;

/// Options of [`Client::check_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    concurrency: usize,
}

/// A reference resolved to a digest by [`Client::resolve_digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDigest {
    digest: Digest,
    media_type: String,
    platform_digest: Option<Digest>,
    rate_limit: Option<RateLimit>,
}

impl CheckOptions {
    /// The defaults: 32 checks at once.
    pub fn new() -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Runs at most `n` checks at once (at least one).
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
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

impl Manifest {
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

impl Client {
    /// Checks one image with as few requests as the verdict allows: one `HEAD` when the image is up to date, and a
    /// manifest `GET` or two when the tag names a multi-arch index (see [`Verdict`] for the rules). The whole
    /// check, retries and `Retry-After` waits included, ends within the configured
    /// [`request_timeout`](crate::ClientConfig::request_timeout).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a reference without a tag, [`ErrorKind::PlatformNotFound`] when the tag's
    /// index has no image for the platform, [`ErrorKind::InvalidManifest`] for a manifest that cannot be parsed,
    /// [`ErrorKind::Timeout`] past the timeout, and the errors of [`Client::manifest`] (a 404 for the tag is
    /// [`ErrorKind::NotFound`]).
    pub async fn check_for_update(&self, request: &UpdateRequest) -> Result<UpdateCheck, Error> {
        self.check_until(request, self.deadline()).await
    }

    async fn check_until(&self, request: &UpdateRequest, deadline: Instant) -> Result<UpdateCheck, Error> {
        let repository = Repository::from(request.reference());
        let at = |err: Error| at(err, &repository);
        let mut verdict = Verdict::new(request)?;
        let (mut requests, mut pulls, mut cache_hits) = (0, 0, 0);
        let mut rate_limit = None;
        loop {
            let need = verdict.need().clone();
            let answered = match &need {
                Need::TagHead => {
                    let head = self
                        .manifest_digest_until(&ManifestLocation::from(request.reference()), deadline)
                        .await?;
                    requests += 1;
                    rate_limit = head.rate_limit().cloned().or(rate_limit);
                    verdict.answer(Answer::Head {
                        digest: head.digest(),
                        media_type: head.media_type(),
                    })
                }
                Need::LatestManifest(digest) | Need::CurrentManifest(digest) | Need::ImageManifest(digest) => {
                    let fetched = self.manifest_until(&repository.digest(digest.clone()), deadline).await;
                    match &fetched {
                        Ok(manifest) if manifest.from_cache() => cache_hits += 1,
                        Ok(_) => {
                            requests += 1;
                            pulls += 1;
                        }
                        Err(err) if err.kind() == ErrorKind::PullBudget => {}
                        // Sent, but answered with an error (a 404, a 429): no image was pulled.
                        Err(_) => requests += 1,
                    }
                    match fetched {
                        Err(err)
                            if err.kind() == ErrorKind::NotFound
                                && matches!(need, Need::CurrentManifest(_) | Need::ImageManifest(_)) =>
                        {
                            verdict.answer(Answer::Missing)
                        }
                        Err(err) => match withheld(&err) {
                            Some(reason) => {
                                rate_limit = err.rate_limit().cloned().or(rate_limit);
                                verdict.answer(Answer::Withheld(&reason))
                            }
                            None => return Err(err),
                        },
                        Ok(manifest) => {
                            rate_limit = manifest.rate_limit().cloned().or(rate_limit);
                            let parsed = manifest.parse().map_err(at)?;
                            verdict.answer(Answer::Manifest(&parsed))
                        }
                    }
                }
                Need::CurrentHead(digest) => {
                    let head = self
                        .manifest_digest_until(&repository.digest(digest.clone()), deadline)
                        .await;
                    requests += 1;
                    match head {
                        Err(err) if err.kind() == ErrorKind::NotFound => verdict.answer(Answer::Missing),
                        Err(err) => return Err(err),
                        Ok(head) => {
                            rate_limit = head.rate_limit().cloned().or(rate_limit);
                            verdict.answer(Answer::Head {
                                digest: head.digest(),
                                media_type: head.media_type(),
                            })
                        }
                    }
                }
                _ => {
                    verdict.record(requests, pulls, cache_hits, rate_limit);
                    return verdict.finish();
                }
            };
            answered.map_err(at)?;
        }
    }

    /// Runs [`Client::check_for_update`] for every request, at most [`CheckOptions::concurrency`] at once, and
    /// returns one result per request in the input's order. A failed check does not stop the others.
    ///
    /// [`Client::check_each`] does the same and reports each result as it completes.
    pub async fn check_many(
        &self,
        requests: &[UpdateRequest],
        options: &CheckOptions,
    ) -> Vec<Result<UpdateCheck, Error>> {
        let mut results: Vec<Option<Result<UpdateCheck, Error>>> = (0..requests.len()).map(|_| None).collect();
        self.check_each(requests, options, |index, result| {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        })
        .await;
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| Err(Error::new(ErrorKind::Protocol).with_detail("the check was cancelled")))
            })
            .collect()
    }

    /// Runs [`Client::check_for_update`] for every request, at most [`CheckOptions::concurrency`] at once, and calls
    /// `done(index, result)` as each check completes (in completion order; `index` is the request's position). A
    /// failed check does not stop the others; each request gets exactly one call.
    ///
    /// Each check is its own task on the Tokio runtime; the connection pool and the token cache are shared. A
    /// registry that more than one request goes to is prepared once, before its first check, with
    /// [`Client::authorize_batch`] (a ping and a handful of token requests for all its repositories), so that its
    /// checks share one connection and a few tokens. Only that registry's checks wait for it: a slow or broken
    /// registry holds up nobody else.
    ///
    /// ```no_run
    /// use oci_client::{CheckOptions, Client, UpdateRequest};
    ///
    /// # async fn run() -> Result<(), oci_client::Error> {
    /// let client = Client::new()?;
    /// let requests = vec![
    ///     UpdateRequest::parse("nginx:1.27", Some("sha256:aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa246210cd06aa24"))?,
    ///     UpdateRequest::parse("ghcr.io/home-assistant/home-assistant:stable", None)?,
    /// ];
    /// client
    ///     .check_each(&requests, &CheckOptions::new(), |index, result| match result {
    ///         Ok(check) if check.has_update() => println!("{}: update to {}", requests[index].reference(), check.latest_digest()),
    ///         Ok(check) => println!("{}: {}", requests[index].reference(), check.status()),
    ///         Err(err) => eprintln!("{}: {err}", requests[index].reference()),
    ///     })
    ///     .await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn check_each<F>(&self, requests: &[UpdateRequest], options: &CheckOptions, mut done: F)
    where
        F: FnMut(usize, Result<UpdateCheck, Error>),
    {
        let gates = self.gates(requests);
        let work = |_, request: UpdateRequest| {
            let (client, gates) = (self.clone(), Arc::clone(&gates));
            async move {
                let deadline = client.deadline();
                let registry = Repository::from(request.reference()).registry().to_owned();
                if let Some((gate, repositories)) = gates.get(&registry) {
                    gate.get_or_init(|| client.warm_up(&registry, repositories)).await;
                }
                client.check_until(&request, deadline).await
            }
        };
        run_each(requests, options.concurrency, work, &mut done).await;
    }

    /// One gate per registry that more than one request goes to, with that registry's repositories.
    fn gates(&self, requests: &[UpdateRequest]) -> Arc<Gates> {
        let mut by_registry: HashMap<String, (usize, Vec<String>)> = HashMap::new();
        for request in requests {
            let repository = Repository::from(request.reference());
            let (count, names) = by_registry.entry(repository.registry().to_owned()).or_default();
            *count += 1;
            if !names.iter().any(|name| name == repository.name()) {
                names.push(repository.name().to_owned());
            }
        }
        Arc::new(
            by_registry
                .into_iter()
                .filter(|(_, (count, _))| *count > 1)
                .map(|(registry, (_, names))| (registry, (OnceCell::new(), names)))
                .collect(),
        )
    }

    /// Prepares `registry` for its checks: learns its challenge with one ping and fetches the pull tokens for all
    /// `repositories` in as few token requests as it allows. A failure here is left for the checks to report.
    async fn warm_up(&self, registry: &str, repositories: &[String]) {
        let names: Vec<&str> = repositories.iter().map(String::as_str).collect();
        if let Err(err) = self
            .auth()
            .authorize_batch(self.transport(), registry, &names, self.deadline())
            .await
        {
            tracing::debug!(registry, "preparing the registry failed: {err}");
        }
    }

    /// The digest a reference names now: the tag's (one `HEAD`), or the reference's own digest (checked with a
    /// `HEAD`); with `platform`, also the platform's image when the manifest is an index (one more `GET`).
    ///
    /// # Errors
    ///
    /// The errors of [`Client::check_for_update`].
    pub async fn resolve_digest(
        &self,
        reference: &Reference,
        platform: Option<&Platform>,
    ) -> Result<ResolvedDigest, Error> {
        let deadline = self.deadline();
        let location = ManifestLocation::from(reference);
        let head = self.manifest_digest_until(&location, deadline).await?;
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
        let repository = location.repository();
        let manifest = self
            .manifest_until(&repository.digest(resolved.digest.clone()), deadline)
            .await?;
        if let Some(rate_limit) = manifest.rate_limit() {
            resolved.rate_limit = Some(rate_limit.clone());
        }
        let parsed = manifest.parse().map_err(|err| at(err, repository))?;
        resolved.media_type = parsed.media_type().to_owned();
        if let Some(index) = parsed.as_index() {
            resolved.platform_digest = Some(select(index, platform, repository)?);
        }
        Ok(resolved)
    }

    /// The manifest a reference names, by digest when it has one and by tag otherwise (`latest` when it has
    /// neither): its exact bytes, verified against the digest. With `platform`, an index is followed to its image
    /// for the platform (one more `GET`). [`Manifest::parse`] reads the bytes.
    ///
    /// # Errors
    ///
    /// The errors of [`Client::manifest`], and [`ErrorKind::PlatformNotFound`] when an index has no image for the
    /// platform.
    pub async fn fetch_manifest(&self, reference: &Reference, platform: Option<&Platform>) -> Result<Manifest, Error> {
        let deadline = self.deadline();
        let location = ManifestLocation::from(reference);
        let manifest = self.manifest_until(&location, deadline).await?;
        let Some(platform) = platform else {
            return Ok(manifest);
        };
        let repository = location.repository();
        let parsed = manifest.parse().map_err(|err| at(err, repository))?;
        match parsed.as_index() {
            Some(index) => {
                let child = select(index, platform, repository)?;
                self.manifest_until(&repository.digest(child), deadline).await
            }
            None => Ok(manifest),
        }
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

/// Why a manifest was not fetched, when the pull budget withheld it or the registry's rate limit refused it: the
/// check then finishes on what it knows ([`Answer::Withheld`]) instead of failing.
pub(crate) fn withheld(err: &Error) -> Option<String> {
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

fn at(err: Error, repository: &Repository) -> Error {
    if err.registry().is_some() {
        return err;
    }
    err.with_registry(repository.registry())
        .with_repository(Some(repository.name()))
}
