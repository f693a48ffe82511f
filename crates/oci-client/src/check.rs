//! Update checks: is the image a tag names now the image someone runs, for their platform?
//!
//! The verdict rules (DESIGN.md, "Multi-arch"):
//!
//! 1. `HEAD` the tag with the four manifest types in `Accept`: the tag's digest `D` and media type `T`. Without a
//!    current digest the answer is [`UpdateStatus::Unpinned`], with `D` and, when `T` is an index, the platform's
//!    child of it.
//! 2. The current digest is `D`: [`UpdateStatus::UpToDate`], after exactly one request.
//! 3. `T` is an index: `GET` it by digest and select the platform's child `C` (never an attestation). The current
//!    digest is `C`: up to date. Otherwise the current digest is fetched by digest: an index whose child for the
//!    platform is `C` is up to date although the index changed (only other platforms' images moved, the case other
//!    checkers report as an update); any other index or a single manifest is an update. When the registry no
//!    longer has the current digest the verdict is an update, marked unverified.
//! 4. `T` is a single manifest: the current digest is not `D`, so an update is available.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::Platform;
use oci_ref::Reference;
use tokio::task::JoinSet;

use crate::client::{Client, Manifest};
use crate::error::{Error, ErrorKind};
use crate::location::{ManifestLocation, Repository};
use crate::ratelimit::RateLimit;

/// The default number of checks [`Client::check_many`] runs at once.
const DEFAULT_CONCURRENCY: usize = 32;

/// One image to check: a reference (its tag is what is checked), the digest running now, and the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    reference: Reference,
    current: Option<Digest>,
    platform: Platform,
}

/// Whether the image a tag names now is the one running.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateStatus {
    /// The current digest is the tag's digest, or the platform's image in it did not change.
    UpToDate,
    /// The tag names another image for the platform than the current digest.
    UpdateAvailable,
    /// No current digest was given: the tag's digest is reported, without a verdict.
    Unpinned,
}

/// The answer to one [`UpdateRequest`].
#[derive(Debug, Clone)]
pub struct UpdateCheck {
    reference: Reference,
    status: UpdateStatus,
    current: Option<Digest>,
    latest: Digest,
    platform_digest: Option<Digest>,
    media_type: String,
    index_changed: Option<bool>,
    platform_changed: Option<bool>,
    verified: bool,
    note: Option<String>,
    rate_limit: Option<RateLimit>,
    requests: u32,
}

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

impl UpdateRequest {
    /// Checks the tag of `reference` (`latest` when it has none) against `current`, for `platform`.
    ///
    /// When `current` is `None` and the reference carries a digest (`app:1.2@sha256:…`), that digest is the current
    /// one.
    pub fn new(reference: Reference, current: Option<Digest>, platform: Platform) -> Self {
        let current = current.or_else(|| reference.digest().cloned());
        Self {
            reference: reference.with_default_tag(),
            current,
            platform,
        }
    }

    /// The reference to check.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The digest running now, if known.
    pub fn current(&self) -> Option<&Digest> {
        self.current.as_ref()
    }

    /// The platform whose image counts.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }
}

impl UpdateCheck {
    /// The reference as checked (with the default tag added).
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The verdict.
    pub fn status(&self) -> UpdateStatus {
        self.status
    }

    /// The digest that was running, as given.
    pub fn current_digest(&self) -> Option<&Digest> {
        self.current.as_ref()
    }

    /// The tag's digest now: of an index or of a single manifest.
    pub fn latest_digest(&self) -> &Digest {
        &self.latest
    }

    /// The platform's image in the tag's index now, when the tag is an index and the index was fetched (it is not
    /// when the current digest is the index's own).
    pub fn platform_digest(&self) -> Option<&Digest> {
        self.platform_digest.as_ref()
    }

    /// The media type of the tag's manifest; empty when the registry did not say and it was not fetched.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// Whether the tag's index is another than the one the current digest came from; `None` when that cannot be
    /// known (no current digest, a single-platform tag, or a current digest that is a platform's image).
    pub fn index_changed(&self) -> Option<bool> {
        self.index_changed
    }

    /// Whether the image for the platform changed; `None` when that cannot be known.
    pub fn platform_changed(&self) -> Option<bool> {
        self.platform_changed
    }

    /// `false` when the verdict could not be confirmed, because the registry no longer has the current digest.
    pub fn verified(&self) -> bool {
        self.verified
    }

    /// A short explanation, when the verdict needs one.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The last rate limit the registry announced during the check.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// How many manifest requests (`HEAD` or `GET`) the check sent, not counting authentication round trips.
    pub fn requests(&self) -> u32 {
        self.requests
    }
}

impl fmt::Display for UpdateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UpToDate => "up to date",
            Self::UpdateAvailable => "update available",
            Self::Unpinned => "unpinned",
        })
    }
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

/// What one check has learned so far.
struct Progress {
    requests: u32,
    rate_limit: Option<RateLimit>,
}

impl Progress {
    fn saw(&mut self, rate_limit: Option<&RateLimit>) {
        self.requests += 1;
        if let Some(rate_limit) = rate_limit {
            self.rate_limit = Some(rate_limit.clone());
        }
    }
}

impl Client {
    /// Checks one image, with as few requests as the verdict allows:
    ///
    /// 1. `HEAD` the tag with the four manifest types in `Accept`: the tag's digest `D` and media type `T`.
    /// 2. The current digest is `D`: [`UpdateStatus::UpToDate`] after this one request.
    /// 3. `T` is an index: `GET` it and select the platform's child `C` (never an attestation). No current digest:
    ///    [`UpdateStatus::Unpinned`] with `D` and `C`. The current digest is `C`: up to date. Otherwise the current
    ///    digest is fetched: an index whose child for the platform is also `C` is up to date although the index
    ///    changed (only other platforms' images moved, which other checkers report as an update); another index or
    ///    a single manifest means an update. When the registry no longer has the current digest, the verdict is an
    ///    update marked unverified ([`UpdateCheck::verified`] is `false`).
    /// 4. `T` is a single manifest: the current digest is not `D`, an update is available (or, without a current
    ///    digest, [`UpdateStatus::Unpinned`]).
    ///
    /// When the registry sends no `Content-Type` for the tag, the manifest is fetched to learn its kind.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a reference without a tag or registry, [`ErrorKind::PlatformNotFound`] when
    /// the tag's index has no image for the platform, [`ErrorKind::InvalidManifest`] for a manifest that cannot be
    /// parsed, and the errors of [`Client::manifest`] (a 404 for the tag is [`ErrorKind::NotFound`]).
    pub async fn check_for_update(&self, request: &UpdateRequest) -> Result<UpdateCheck, Error> {
        let reference = &request.reference;
        let repository = Repository::try_from(reference).map_err(|err| with_reference(err, reference))?;
        let Some(tag) = reference.tag() else {
            return Err(Error::new(ErrorKind::InvalidInput)
                .with_detail(format!("`{}` has a digest but no tag to check", reference.familiar())));
        };
        let tag_location = repository.tag(tag)?;
        let mut progress = Progress {
            requests: 0,
            rate_limit: None,
        };
        let head = self.manifest_digest(&tag_location).await?;
        progress.saw(head.rate_limit());
        let latest = head.digest().clone();
        let mut check = UpdateCheck {
            reference: reference.clone(),
            status: UpdateStatus::UpdateAvailable,
            current: request.current.clone(),
            latest: latest.clone(),
            platform_digest: None,
            media_type: head.media_type().unwrap_or_default().to_owned(),
            index_changed: None,
            platform_changed: None,
            verified: true,
            note: None,
            rate_limit: None,
            requests: 0,
        };
        let finish = |mut check: UpdateCheck, progress: Progress| {
            check.requests = progress.requests;
            check.rate_limit = progress.rate_limit;
            check
        };

        // Rule 2: the digest running is the tag's: one request.
        if request.current.as_ref() == Some(&latest) {
            check.status = UpdateStatus::UpToDate;
            check.index_changed = Some(false);
            check.platform_changed = Some(false);
            return Ok(finish(check, progress));
        }

        // Rules 1, 3 and 4 need to know whether the tag is an index; the media type says so, unless it is missing.
        let known_single = head
            .media_type()
            .and_then(oci_manifest::ManifestKind::from_media_type)
            .is_some_and(|kind| !kind.is_index());
        if known_single {
            return Ok(finish(single_verdict(check, request), progress));
        }
        let latest_manifest = self.manifest(&repository.digest(latest.clone())).await?;
        progress.saw(latest_manifest.rate_limit());
        let parsed = latest_manifest.parse().map_err(|err| at(err, &repository))?;
        check.media_type = parsed.media_type().to_owned();
        let Some(index) = parsed.as_index() else {
            return Ok(finish(single_verdict(check, request), progress));
        };
        let child = select(index, &request.platform, &repository)?;
        check.platform_digest = Some(child.clone());
        let Some(current) = &request.current else {
            check.status = UpdateStatus::Unpinned;
            return Ok(finish(check, progress));
        };
        if *current == child {
            check.status = UpdateStatus::UpToDate;
            check.platform_changed = Some(false);
            check.note = Some(format!(
                "the current digest is the {} image of the tag's index",
                request.platform
            ));
            return Ok(finish(check, progress));
        }

        // The current digest is neither the index nor its image for the platform: what was it?
        let old = match self.manifest(&repository.digest(current.clone())).await {
            Ok(old) => old,
            Err(err) if err.kind() == ErrorKind::NotFound => {
                progress.requests += 1;
                check.verified = false;
                check.note = Some(format!(
                    "unverified: the registry no longer has {}, so whether its {} image changed cannot be told",
                    current.short(),
                    request.platform
                ));
                return Ok(finish(check, progress));
            }
            Err(err) => return Err(err),
        };
        progress.saw(old.rate_limit());
        let old = old.parse().map_err(|err| at(err, &repository))?;
        match old.as_index() {
            Some(old_index) => {
                check.index_changed = Some(true);
                let old_child = old_index.select(&request.platform).ok().map(|d| d.digest());
                if old_child == Some(&child) {
                    check.status = UpdateStatus::UpToDate;
                    check.platform_changed = Some(false);
                    check.note = Some(format!("the index changed, but not its {} image", request.platform));
                } else {
                    check.platform_changed = Some(true);
                }
            }
            None => {
                check.platform_changed = Some(true);
                check.note = Some(format!(
                    "the current digest is a single image, not the tag's {} image",
                    request.platform
                ));
            }
        }
        Ok(finish(check, progress))
    }

    /// Runs [`Client::check_for_update`] for every request, at most [`CheckOptions::concurrency`] at once, and
    /// returns one result per request in the input's order. A failed check does not stop the others.
    ///
    /// Each check is its own task on the Tokio runtime, so a multi-threaded runtime spreads them over its threads;
    /// the connection pool and the token cache are shared. Each registry that more than one request goes to is
    /// prepared first with [`Client::authorize_batch`] (a ping and a handful of token requests per registry), so
    /// that the checks share its connection and its tokens.
    pub async fn check_many(
        &self,
        requests: &[UpdateRequest],
        options: &CheckOptions,
    ) -> Vec<Result<UpdateCheck, Error>> {
        self.warm_up(requests).await;
        let shared: Arc<[UpdateRequest]> = requests.into();
        let mut results: Vec<Option<Result<UpdateCheck, Error>>> = (0..requests.len()).map(|_| None).collect();
        let mut running = JoinSet::new();
        let mut next = 0;
        loop {
            while next < shared.len() && running.len() < options.concurrency {
                let client = self.clone();
                let requests = Arc::clone(&shared);
                let position = next;
                running.spawn(async move {
                    let result = match requests.get(position) {
                        Some(request) => client.check_for_update(request).await,
                        None => Err(Error::new(ErrorKind::InvalidInput)),
                    };
                    (position, result)
                });
                next += 1;
            }
            match running.join_next().await {
                None => break,
                Some(Ok((position, result))) => {
                    if let Some(slot) = results.get_mut(position) {
                        *slot = Some(result);
                    }
                }
                Some(Err(err)) => {
                    if err.is_panic() {
                        std::panic::resume_unwind(err.into_panic());
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| Err(Error::new(ErrorKind::Protocol).with_detail("the check was cancelled")))
            })
            .collect()
    }

    /// Prepares each registry that more than one request goes to, all registries at once, before the checks
    /// start: [`Client::authorize_batch`] learns its challenge with one ping and fetches the pull tokens for all its
    /// repositories in as few token requests as it allows. The checks then find the tokens cached and a
    /// connection open (one HTTP/2 connection takes them all), instead of each racing to open its own and to fetch
    /// its own token. A failure here is left for the checks to report.
    async fn warm_up(&self, requests: &[UpdateRequest]) {
        let mut by_registry: HashMap<&str, Vec<&str>> = HashMap::new();
        for request in requests {
            let repositories = by_registry.entry(request.reference.registry()).or_default();
            if !repositories.contains(&request.reference.repository()) {
                repositories.push(request.reference.repository());
            }
        }
        let mut batches = JoinSet::new();
        for (registry, repositories) in by_registry {
            let many = requests
                .iter()
                .filter(|request| request.reference.registry() == registry)
                .nth(1)
                .is_some();
            if many && !registry.is_empty() {
                let client = self.clone();
                let registry = registry.to_owned();
                let repositories: Vec<String> = repositories.into_iter().map(str::to_owned).collect();
                batches.spawn(async move {
                    let names: Vec<&str> = repositories.iter().map(String::as_str).collect();
                    client.authorize_batch(&registry, &names).await.is_ok()
                });
            }
        }
        while batches.join_next().await.is_some() {}
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
        let location = ManifestLocation::try_from(reference).map_err(|err| with_reference(err, reference))?;
        let head = self.manifest_digest(&location).await?;
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
        let manifest = self.manifest(&repository.digest(resolved.digest.clone())).await?;
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

    /// The manifest a reference names, by digest when it has one and by tag otherwise: its exact bytes, verified
    /// against the digest. [`Manifest::parse`] reads them.
    ///
    /// # Errors
    ///
    /// The errors of [`Client::manifest`], and [`ErrorKind::InvalidInput`] for a reference without a registry.
    pub async fn fetch_manifest(&self, reference: &Reference) -> Result<Manifest, Error> {
        let location = ManifestLocation::try_from(reference).map_err(|err| with_reference(err, reference))?;
        self.manifest(&location).await
    }
}

/// Rule 4: the tag is a single manifest and the current digest is not its digest.
fn single_verdict(mut check: UpdateCheck, request: &UpdateRequest) -> UpdateCheck {
    if request.current.is_none() {
        check.status = UpdateStatus::Unpinned;
    } else {
        check.status = UpdateStatus::UpdateAvailable;
        check.platform_changed = Some(true);
    }
    check
}

/// The platform's image in `index`, never an attestation.
fn select(index: &oci_manifest::ImageIndex, platform: &Platform, repository: &Repository) -> Result<Digest, Error> {
    index
        .select(platform)
        .map(|descriptor| descriptor.digest().clone())
        .map_err(|no_match| {
            Error::new(ErrorKind::PlatformNotFound)
                .with_registry(repository.registry())
                .with_repository(Some(repository.name()))
                .with_source(no_match)
        })
}

fn at(err: Error, repository: &Repository) -> Error {
    err.with_registry(repository.registry())
        .with_repository(Some(repository.name()))
}

fn with_reference(err: Error, reference: &Reference) -> Error {
    err.with_detail(format!("reference `{}`", reference.familiar()))
}
