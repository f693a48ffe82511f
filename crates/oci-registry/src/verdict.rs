//! The update verdict as a pure state machine: it says which manifest it needs next, is told what the registry
//! answered, and ends with an [`UpdateCheck`]. No IO: [`Client::check_for_update`](crate::Client::check_for_update)
//! is the small loop that fetches what it asks for. The rules are documented on [`Verdict`], and each is
//! unit-tested here without a registry.

use std::fmt;

use oci_digest::Digest;
use oci_manifest::{ManifestKind, Platform};
use oci_ref::Reference;

use crate::error::{Error, ErrorKind};
use crate::newer::NewerCheck;
use crate::ratelimit::RateLimit;

/// One image to check: a reference (its tag is what is checked), the digest running now, and the platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpdateRequest {
    reference: Reference,
    current: Option<Digest>,
    /// Other digests known to be in use (an engine's other RepoDigests of the image, for the same repository).
    also_in_use: Vec<Digest>,
    /// The image ID in use (the digest of its config), when an engine says it.
    image_id: Option<Digest>,
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
    /// No current digest was given: the tag's digest is reported (to pin it), without a verdict.
    NoDigest,
}

/// The answer to one [`UpdateRequest`].
#[derive(Debug, Clone)]
pub struct UpdateCheck {
    reference: Reference,
    status: UpdateStatus,
    current: Option<Digest>,
    latest: Digest,
    found: Findings,
    rate_limit: Option<RateLimit>,
    requests: u32,
    pulls: u32,
    cache_hits: u32,
    /// The mirror that answered the tag's `HEAD`, when one did.
    served_by: Option<String>,
    /// What the registry itself names, asked past the mirror that answered ([`ClientBuilder::mirror_drift`]).
    ///
    /// [`ClientBuilder::mirror_drift`]: crate::ClientBuilder::mirror_drift
    upstream: Option<Digest>,
    /// The version search chained after the check, when asked for ([`CheckOptions::newer`](crate::CheckOptions::newer)).
    newer: Option<Box<Result<NewerCheck, Error>>>,
}

/// What a [`Verdict`] needs to know next.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// The tag's digest and media type: a `HEAD` of the tag, answered with [`Answer::Head`].
    TagHead,
    /// The tag's manifest, by this digest: answered with [`Answer::Manifest`].
    LatestManifest(Digest),
    /// Whether the current digest exists and what kind of manifest it is: a `HEAD` by digest, answered with
    /// [`Answer::Head`] or [`Answer::Missing`].
    CurrentHead(Digest),
    /// The current digest's manifest: answered with [`Answer::Manifest`] or [`Answer::Missing`].
    CurrentManifest(Digest),
    /// The manifest of the tag's image for the platform, to compare its config with the image ID in use:
    /// answered with [`Answer::Manifest`] or [`Answer::Missing`].
    ImageManifest(Digest),
    /// Nothing more: [`Verdict::finish`] gives the answer.
    Done,
}

/// What the registry answered to a [`Need`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    /// A `HEAD`: the manifest's digest and its media type, when the registry said.
    Head {
        /// The manifest's digest.
        digest: &'a Digest,
        /// The `Content-Type`, if any.
        media_type: Option<&'a str>,
    },
    /// A manifest, fetched, verified against its digest and parsed.
    Manifest(&'a oci_manifest::Manifest),
    /// The registry does not have the manifest asked for (404).
    Missing,
    /// The manifest was not fetched, for the reason given: the pull budget forbids a `GET`, or the registry
    /// answered `429 toomanyrequests`. Fits every manifest need; the verdict finishes on what it knows.
    Withheld(&'a str),
}

/// The update rules for one request, as a state machine: [`Verdict::need`] says what it needs next,
/// [`Verdict::answer`] takes what the registry said, [`Verdict::finish`] gives the [`UpdateCheck`].
///
/// # The rules
///
/// The digest in use `U` (optional), the tag's digest `D` and media type `T`, the platform `P`:
///
/// 1. Ask for the tag's `HEAD` ([`Need::TagHead`]): `D` and `T`.
/// 2. `U = D`: up to date, after one request.
/// 3. `T` is an index, or unknown: ask for the tag's manifest by digest ([`Need::LatestManifest`]). An index gives
///    its image for `P`, `C` (never an attestation). No `U`: [`UpdateStatus::NoDigest`]. `U = C`: up to date.
///    Otherwise ask for `U`'s manifest ([`Need::CurrentManifest`]): an index whose image for `P` is `C` is up to date
///    although the index changed (only other platforms' images moved, which other checkers report as an update);
///    another index, or a single image, is an update.
/// 4. `T` is a single image: no `U` gives [`UpdateStatus::NoDigest`]. Otherwise ask whether `U` exists and what it
///    is with a `HEAD` ([`Need::CurrentHead`]): a single image is an update; an index is fetched
///    ([`Need::CurrentManifest`]) and is up to date when its image for `P` is `D` (the tag now names that image
///    directly), an update otherwise.
/// 5. When the registry no longer has `U`, the verdict is an update marked unverified: it cannot be told whether
///    the image for `P` changed.
/// 6. When a manifest is withheld ([`Answer::Withheld`]: the pull budget is spent, or the registry answered `429`),
///    the verdict ends on the `HEAD`: `U = D` was already up to date; otherwise an update marked unverified, with
///    a note saying why (without `U`, [`UpdateStatus::NoDigest`]). Never an error, never a guess told as fact.
/// 7. An engine may know several digests in use (`U` and others: [`UpdateRequest::with_digests_in_use`]): any of
///    them equal to `D` or `C` makes the image up to date. When the rules end without a match and the image ID in use
///    is known ([`UpdateRequest::with_image_id`]), the tag's image for `P` is fetched ([`Need::ImageManifest`]) and
///    its config digest compared with the image ID: equal is up to date (the image lost its RepoDigests but is the
///    tag's image); otherwise the verdict stands, or is an update when there was no digest at all.
///
/// [`UpdateCheck::matched_digest`] says which digest in use matched, for an up-to-date verdict.
///
/// The fields are honest: [`UpdateCheck::verified`] is `true` only when `U` was confirmed to exist (it equals the
/// tag's digest or its image for `P`, or the registry served it); [`UpdateCheck::index_changed`] and
/// [`UpdateCheck::platform_changed`] are `None` exactly when the answers seen cannot tell.
#[derive(Debug, Clone)]
pub struct Verdict {
    platform: Platform,
    also_in_use: Vec<Digest>,
    image_id: Option<Digest>,
    check: Known,
    need: Need,
    /// Why the rules cannot finish: an answer that did not fit, or an index without the platform. [`Verdict::finish`]
    /// refuses then.
    failed: Option<(ErrorKind, String)>,
}

/// What the rules know so far. Nothing here is a stand-in: what is not known yet is `None`, and
/// [`Verdict::finish`] builds an [`UpdateCheck`] only when the tag's digest and the status are known.
#[derive(Debug, Clone)]
struct Known {
    reference: Reference,
    current: Option<Digest>,
    latest: Option<Digest>,
    status: Option<UpdateStatus>,
    found: Findings,
}

/// What the rules found besides the status, as [`UpdateCheck`] reports it.
#[derive(Debug, Clone)]
struct Findings {
    platform_digest: Option<Digest>,
    media_type: String,
    index_changed: Option<bool>,
    platform_changed: Option<bool>,
    verified: bool,
    note: Option<String>,
    matched: Option<Digest>,
}

impl UpdateRequest {
    /// Checks the tag of `reference` (`latest` when it has neither tag nor digest) against `current`, for
    /// `platform`.
    ///
    /// When `current` is `None` and the reference carries a digest (`app:1.2@sha256:…`), that digest is the current
    /// one. A reference with a digest and no tag (`app@sha256:…`) has no tag to check: its check fails with
    /// [`ErrorKind::InvalidInput`] rather than guess `latest`.
    pub fn new(reference: Reference, current: Option<Digest>, platform: Platform) -> Self {
        let current = current.or_else(|| reference.digest().cloned());
        let pinned_without_tag = reference.tag().is_none() && reference.digest().is_some();
        let reference = reference.without_digest();
        Self {
            reference: if pinned_without_tag {
                reference
            } else {
                reference.with_default_tag()
            },
            current,
            also_in_use: Vec::new(),
            image_id: None,
            platform,
        }
    }

    /// Adds digests also known to be in use: an engine's other RepoDigests of the image for this repository (an
    /// image pulled twice, or by index and by platform, has several). Any of them equal to the registry's answer
    /// makes the image up to date, and [`UpdateCheck::matched_digest`] says which.
    #[must_use]
    pub fn with_digests_in_use(mut self, digests: impl IntoIterator<Item = Digest>) -> Self {
        for digest in digests {
            if self.current.is_none() {
                self.current = Some(digest);
            } else if self.current.as_ref() != Some(&digest) && !self.also_in_use.contains(&digest) {
                self.also_in_use.push(digest);
            }
        }
        self
    }

    /// Adds the image ID in use (the digest of the image's config, as engines show it). When no digest in use
    /// matches the registry's answer, the config of the tag's image for the platform is compared with it: equal is
    /// up to date (an image whose RepoDigests were lost, as podman loses them when the tag is pulled again for
    /// another platform).
    #[must_use]
    pub fn with_image_id(mut self, image_id: Digest) -> Self {
        self.image_id = Some(image_id);
        self
    }

    /// Every digest known to be in use, the current one first.
    pub fn digests_in_use(&self) -> impl Iterator<Item = &Digest> {
        self.current.iter().chain(&self.also_in_use)
    }

    /// The image ID in use, when known.
    pub fn image_id(&self) -> Option<&Digest> {
        self.image_id.as_ref()
    }

    /// Parses `image` as Docker reads it (`nginx:latest`, `ghcr.io/o/app:1.2@sha256:…`) and `current_digest`
    /// (`sha256:…`), to be checked for the platform of this machine ([`Platform::host`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an image that is not a reference, a digest that is not a digest, or two
    /// different digests.
    pub fn parse(image: &str, current_digest: Option<&str>) -> Result<Self, Error> {
        let reference = Reference::parse_normalized(image).map_err(|err| {
            Error::new(ErrorKind::InvalidInput)
                .with_source(err)
                .with_detail("not an image reference")
        })?;
        let current = current_digest
            .map(|text| {
                Digest::parse(text.trim()).map_err(|err| {
                    Error::new(ErrorKind::InvalidInput)
                        .with_source(err)
                        .with_detail("not a digest")
                })
            })
            .transpose()?;
        if let (Some(inline), Some(given)) = (reference.digest(), &current) {
            if inline != given {
                return Err(Error::new(ErrorKind::InvalidInput).with_detail(format!(
                    "the image names {inline} and the current digest is {given}: keep one"
                )));
            }
        }
        Ok(Self::new(reference, current, Platform::host()))
    }

    /// The reference to check, without a digest.
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

impl UpdateStatus {
    /// The status as a word with underscores, as JSON output writes it: `up_to_date`, `update_available`,
    /// `no_digest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpToDate => "up_to_date",
            Self::UpdateAvailable => "update_available",
            Self::NoDigest => "no_digest",
        }
    }
}

impl fmt::Display for UpdateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UpToDate => "up to date",
            Self::UpdateAvailable => "update available",
            Self::NoDigest => "no digest",
        })
    }
}

impl UpdateCheck {
    /// The reference as checked (with the default tag added, without a digest).
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The verdict.
    pub fn status(&self) -> UpdateStatus {
        self.status
    }

    /// Whether the tag names another image for the platform than the one running:
    /// [`UpdateStatus::UpdateAvailable`].
    pub fn has_update(&self) -> bool {
        self.status == UpdateStatus::UpdateAvailable
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
        self.found.platform_digest.as_ref()
    }

    /// The media type of the tag's manifest; empty when the registry did not say and it was not fetched.
    pub fn media_type(&self) -> &str {
        &self.found.media_type
    }

    /// Whether the tag's index is another than the index the current digest names: `None` when that cannot be
    /// known (no current digest, a tag or a current digest that is not an index).
    pub fn index_changed(&self) -> Option<bool> {
        self.found.index_changed
    }

    /// Whether the image for the platform changed; `None` when that cannot be known (no current digest, or one the
    /// registry no longer has).
    pub fn platform_changed(&self) -> Option<bool> {
        self.found.platform_changed
    }

    /// `true` when the current digest was confirmed to exist (it is the tag's digest or its image for the platform,
    /// or the registry served it); `false` when it could not be, so the verdict is a guess.
    pub fn verified(&self) -> bool {
        self.found.verified
    }

    /// A short explanation, when the verdict needs one.
    pub fn note(&self) -> Option<&str> {
        self.found.note.as_deref()
    }

    /// The last rate limit the registry announced during the check.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// How many manifest requests (`HEAD` or `GET`) the check sent, not counting authentication round trips.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// How many manifest `GET`s the check sent that were answered with a manifest: what Docker Hub counts as pulls
    /// (a `HEAD` is free; a `GET` answered `404` or `429` spent none).
    pub fn pulls(&self) -> u32 {
        self.pulls
    }

    /// How many entries (manifests) the check read from the cache instead of the registry: its cache hits.
    pub fn cache_hits(&self) -> u32 {
        self.cache_hits
    }

    /// The version search chained after the check ([`CheckOptions::newer`](crate::CheckOptions::newer)): `None` when
    /// none was asked for, else its answer or why it failed (the check itself stands either way).
    pub fn newer(&self) -> Option<Result<&NewerCheck, &Error>> {
        self.newer.as_deref().map(Result::as_ref)
    }

    /// Whether there is something to do: an update of the tag, or a newer version found by the chained search.
    pub fn needs_action(&self) -> bool {
        self.has_update() || matches!(self.newer(), Some(Ok(newer)) if newer.newer().is_some())
    }

    /// The mirror that answered the tag's `HEAD` ([`ClientBuilder::mirror`](crate::ClientBuilder::mirror)), or
    /// `None` when the registry itself did.
    pub fn served_by(&self) -> Option<&str> {
        self.served_by.as_deref()
    }

    /// With [`ClientBuilder::mirror_drift`](crate::ClientBuilder::mirror_drift), when a mirror answered the tag's
    /// `HEAD` and the registry itself answered the one asked past it: whether the two name different images
    /// (`Some(true)`: the mirror is stale, or ahead; the verdict is the mirror's). `None` when no mirror answered,
    /// drift was not asked for, or the registry could not say.
    pub fn mirror_drift(&self) -> Option<bool> {
        self.upstream.as_ref().map(|upstream| *upstream != self.latest)
    }

    /// The digest the registry itself names for the tag, when [`mirror_drift`](Self::mirror_drift) asked it.
    pub fn upstream_digest(&self) -> Option<&Digest> {
        self.upstream.as_ref()
    }

    /// Records what the registry itself named past the mirror.
    pub(crate) fn with_upstream(mut self, upstream: Option<Digest>) -> Self {
        self.upstream = upstream;
        self
    }

    /// Records which mirror answered the tag's `HEAD`.
    pub(crate) fn with_served_by(mut self, served_by: Option<&str>) -> Self {
        self.served_by = served_by.map(str::to_owned);
        self
    }

    /// Records what the check's lookups cost and the last rate limit the registry announced (the driver counts).
    pub(crate) fn with_costs(mut self, tally: crate::fetch::Tally, rate_limit: Option<RateLimit>) -> Self {
        self.requests = tally.requests();
        self.pulls = tally.pulls;
        self.cache_hits = tally.cache_hits;
        self.rate_limit = rate_limit;
        self
    }

    /// Adds the chained version search's answer.
    pub(crate) fn with_newer(mut self, newer: Result<NewerCheck, Error>) -> Self {
        self.newer = Some(Box::new(newer));
        self
    }

    /// The digest in use that matched the registry's answer, when the verdict is up to date: the tag's digest, its
    /// image for the platform, an old index whose image for the platform is unchanged, or the image ID.
    pub fn matched_digest(&self) -> Option<&Digest> {
        self.found.matched.as_ref()
    }
}

impl Verdict {
    /// The rules for `request`, needing [`Need::TagHead`] first.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the reference has a digest but no tag: there is nothing to check.
    pub fn new(request: &UpdateRequest) -> Result<Self, Error> {
        if request.reference.tag().is_none() {
            return Err(Error::new(ErrorKind::InvalidInput).with_detail(format!(
                "`{}` has a digest but no tag to check: write {}:TAG@DIGEST",
                request.reference.familiar(),
                request.reference.familiar_name()
            )));
        }
        Ok(Self {
            platform: request.platform.clone(),
            also_in_use: request.also_in_use.clone(),
            image_id: request.image_id.clone(),
            check: Known {
                reference: request.reference.clone(),
                current: request.current.clone(),
                latest: None,
                status: None,
                found: Findings {
                    platform_digest: None,
                    media_type: String::new(),
                    index_changed: None,
                    platform_changed: None,
                    // Without a digest in use there is nothing to confirm.
                    verified: request.current.is_none(),
                    note: None,
                    matched: None,
                },
            },
            need: Need::TagHead,
            failed: None,
        })
    }

    /// What the rules need next.
    pub fn need(&self) -> &Need {
        &self.need
    }

    /// Feeds the registry's answer to the current [`Need`], and returns the next one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PlatformNotFound`] when the tag's index has no image for the platform; [`ErrorKind::Protocol`]
    /// for an answer that does not fit the need (a missing tag, a manifest given for a `HEAD`, an answer after
    /// [`Need::Done`]): the caller's bug or a registry that changed its mind, never a silent verdict. Either way the
    /// verdict stays failed: [`Verdict::finish`] refuses it, and every later answer is refused too.
    pub fn answer(&mut self, answer: Answer<'_>) -> Result<&Need, Error> {
        if let Some((kind, detail)) = &self.failed {
            return Err(Error::new(*kind).with_detail(format!("the verdict failed before: {detail}")));
        }
        let need = std::mem::replace(&mut self.need, Need::Done);
        let next = match (need, answer) {
            (Need::TagHead, Answer::Head { digest, media_type }) => Ok(self.tag_head(digest, media_type)),
            (Need::LatestManifest(_), Answer::Manifest(manifest)) => self.latest_manifest(manifest),
            (Need::CurrentHead(_), Answer::Head { media_type, .. }) => Ok(self.current_head(media_type)),
            (Need::CurrentHead(_) | Need::CurrentManifest(_), Answer::Missing) => Ok(self.current_missing()),
            (Need::CurrentManifest(_), Answer::Manifest(manifest)) => Ok(self.current_manifest(manifest)),
            (Need::ImageManifest(_), Answer::Manifest(manifest)) => Ok(self.image_manifest(manifest)),
            (Need::ImageManifest(_), Answer::Missing) => Ok(Need::Done),
            (Need::LatestManifest(_) | Need::CurrentManifest(_), Answer::Withheld(reason)) => Ok(self.withheld(reason)),
            // The verdict by digest stands; only the image ID could not be compared.
            (Need::ImageManifest(_), Answer::Withheld(_)) => Ok(Need::Done),
            (need, answer) => Err((
                ErrorKind::Protocol,
                format!("the answer {answer:?} does not fit the need {need:?}"),
            )),
        };
        match next {
            Ok(next) => {
                self.need = next;
                Ok(&self.need)
            }
            Err((kind, detail)) => {
                let err = Error::new(kind).with_detail(detail.clone());
                self.failed = Some((kind, detail));
                Err(err)
            }
        }
    }

    /// The answer, once [`Verdict::need`] is [`Need::Done`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] when the rules still need something, or the error an earlier answer failed with
    /// ([`ErrorKind::PlatformNotFound`], [`ErrorKind::Protocol`]): a failed verdict never finishes.
    pub fn finish(self) -> Result<UpdateCheck, Error> {
        if let Some((kind, detail)) = self.failed {
            return Err(Error::new(kind).with_detail(detail));
        }
        if self.need != Need::Done {
            return Err(Error::new(ErrorKind::Protocol).with_detail(format!("the verdict still needs {:?}", self.need)));
        }
        let known = self.check;
        let (Some(latest), Some(status)) = (known.latest, known.status) else {
            return Err(Error::new(ErrorKind::Protocol).with_detail("the verdict ended without the tag's digest"));
        };
        Ok(UpdateCheck {
            reference: known.reference,
            status,
            current: known.current,
            latest,
            found: known.found,
            rate_limit: None,
            requests: 0,
            pulls: 0,
            cache_hits: 0,
            served_by: None,
            upstream: None,
            newer: None,
        })
    }

    /// Rules 1, 2 and the branch to 3 or 4.
    fn tag_head(&mut self, digest: &Digest, media_type: Option<&str>) -> Need {
        let check = &mut self.check;
        check.latest = Some(digest.clone());
        check.found.media_type = media_type.unwrap_or_default().to_owned();
        let kind = media_type.and_then(ManifestKind::from_media_type);
        let in_use = check.current.as_ref() == Some(digest) || self.also_in_use.contains(digest);
        if in_use {
            check.found.matched = Some(digest.clone());
            check.status = Some(UpdateStatus::UpToDate);
            check.found.verified = true;
            check.found.platform_changed = Some(false);
            check.found.index_changed = kind.filter(|kind| kind.is_index()).map(|_| false);
            return Need::Done;
        }
        match kind {
            Some(kind) if !kind.is_index() => self.single_tag(),
            _ => Need::LatestManifest(digest.clone()),
        }
    }

    /// Rule 3 (and 4 when the tag's kind was unknown before its manifest came).
    fn latest_manifest(&mut self, manifest: &oci_manifest::Manifest) -> Result<Need, (ErrorKind, String)> {
        self.check.found.media_type = manifest.media_type().to_owned();
        let Some(index) = manifest.as_index() else {
            return Ok(self.single_tag());
        };
        let child = index
            .select(&self.platform)
            .map(|descriptor| descriptor.digest().clone())
            .map_err(|no_match| (ErrorKind::PlatformNotFound, no_match.to_string()))?;
        let check = &mut self.check;
        check.found.platform_digest = Some(child.clone());
        let Some(current) = check.current.clone() else {
            return Ok(self.no_digest());
        };
        if current == child || self.also_in_use.contains(&child) {
            check.found.matched = Some(child);
            check.status = Some(UpdateStatus::UpToDate);
            check.found.verified = true;
            check.found.platform_changed = Some(false);
            check.found.note = Some(format!(
                "the current digest is the {} image of the tag's index",
                self.platform
            ));
            return Ok(Need::Done);
        }
        Ok(Need::CurrentManifest(current))
    }

    /// Rule 4: the tag names a single image, other than the current digest.
    fn single_tag(&mut self) -> Need {
        match self.check.current.clone() {
            None => self.no_digest(),
            Some(current) => Need::CurrentHead(current),
        }
    }

    fn no_digest(&mut self) -> Need {
        self.check.status = Some(UpdateStatus::NoDigest);
        self.check.found.note = Some("no digest given: pin the latest digest".to_owned());
        self.image_id_or_done()
    }

    /// Rule 7: the verdict is not up to date by digest: compare the image ID in use, when known, with the config of the
    /// tag's image for the platform (one more manifest `GET`); else the verdict stands.
    fn image_id_or_done(&mut self) -> Need {
        if self.image_id.is_none() {
            return Need::Done;
        }
        match self
            .check
            .found
            .platform_digest
            .clone()
            .or_else(|| self.check.latest.clone())
        {
            Some(now) => Need::ImageManifest(now),
            None => Need::Done,
        }
    }

    /// The tag's image for the platform, to compare with the image ID in use.
    fn image_manifest(&mut self, manifest: &oci_manifest::Manifest) -> Need {
        let (Some(image_id), Some(image)) = (&self.image_id, manifest.as_image()) else {
            return Need::Done;
        };
        let check = &mut self.check;
        if image.config().digest() == image_id {
            check.status = Some(UpdateStatus::UpToDate);
            check.found.verified = true;
            check.found.platform_changed = Some(false);
            check.found.matched = Some(image_id.clone());
            check.found.note = Some(format!(
                "the image in use (ID {}) is the tag's {} image",
                image_id.short(),
                self.platform
            ));
        } else if check.status == Some(UpdateStatus::NoDigest) {
            check.status = Some(UpdateStatus::UpdateAvailable);
            check.found.verified = false;
            check.found.platform_changed = Some(true);
            check.found.note = Some(format!(
                "the image in use (ID {}) is not the tag's {} image",
                image_id.short(),
                self.platform
            ));
        }
        Need::Done
    }

    /// Rule 4: the current digest exists; an index is looked into, a single image is an update.
    fn current_head(&mut self, media_type: Option<&str>) -> Need {
        self.check.found.verified = true;
        match media_type.and_then(ManifestKind::from_media_type) {
            Some(kind) if !kind.is_index() => {
                self.single_update();
                self.image_id_or_done()
            }
            _ => match self.check.current.clone() {
                Some(current) => Need::CurrentManifest(current),
                None => Need::Done,
            },
        }
    }

    /// Rules 3 and 4: what the current digest is decides.
    fn current_manifest(&mut self, manifest: &oci_manifest::Manifest) -> Need {
        self.check.found.verified = true;
        let Some(old_index) = manifest.as_index() else {
            self.single_update();
            return self.image_id_or_done();
        };
        let platform = &self.platform;
        let check = &mut self.check;
        let old_child = old_index.select(platform).ok().map(|d| d.digest().clone());
        // The image for the platform now: the tag's index's, or the tag's single image.
        let (now, tag_is_index) = match &check.found.platform_digest {
            Some(child) => (child.clone(), true),
            None => match &check.latest {
                Some(latest) => (latest.clone(), false),
                None => return Need::Done,
            },
        };
        check.found.index_changed = tag_is_index.then_some(true);
        match old_child {
            Some(old) if old == now => {
                check.found.matched = check.current.clone();
                check.status = Some(UpdateStatus::UpToDate);
                check.found.platform_changed = Some(false);
                check.found.note = Some(if tag_is_index {
                    format!("the index changed, but not its {platform} image")
                } else {
                    format!("the tag now names the {platform} image of the index in use")
                });
            }
            Some(_) => {
                check.status = Some(UpdateStatus::UpdateAvailable);
                check.found.platform_changed = Some(true);
            }
            None => {
                check.status = Some(UpdateStatus::UpdateAvailable);
                check.found.platform_changed = None;
                check.found.note = Some(format!("the index in use has no {platform} image"));
            }
        }
        if self.check.status == Some(UpdateStatus::UpToDate) {
            return Need::Done;
        }
        self.image_id_or_done()
    }

    /// The current digest is a single image other than the platform's image now.
    fn single_update(&mut self) {
        let check = &mut self.check;
        check.status = Some(UpdateStatus::UpdateAvailable);
        check.found.platform_changed = Some(true);
        if check.found.platform_digest.is_some() {
            check.found.note = Some(format!(
                "the current digest is a single image, not the tag's {} image",
                self.platform
            ));
        }
    }

    /// Rule 6: a manifest that was not fetched. The tag's digest is not a digest in use (else the verdict would be
    /// done): without the manifest, whether the image for the platform changed cannot be told, so the verdict is an
    /// update marked unverified, saying why. Without a digest in use, nothing is lost but the platform's digest.
    fn withheld(&mut self, reason: &str) -> Need {
        let platform = &self.platform;
        let check = &mut self.check;
        if check.current.is_none() {
            check.status = Some(UpdateStatus::NoDigest);
            check.found.note = Some(format!("the tag's {platform} image was not looked up: {reason}"));
            return Need::Done;
        }
        check.status = Some(UpdateStatus::UpdateAvailable);
        check.found.verified = false;
        check.found.platform_changed = None;
        check.found.note = Some(format!(
            "unconfirmed: the tag moved, but whether its {platform} image changed was not checked: {reason}"
        ));
        Need::Done
    }

    /// Rule 5.
    fn current_missing(&mut self) -> Need {
        let check = &mut self.check;
        check.status = Some(UpdateStatus::UpdateAvailable);
        check.found.verified = false;
        check.found.platform_changed = None;
        check.found.index_changed = None;
        if let Some(current) = &check.current {
            check.found.note = Some(format!(
                "unverified: the registry does not have {}, so whether its {} image changed cannot be told",
                current.short(),
                self.platform
            ));
        }
        self.image_id_or_done()
    }
}

#[cfg(test)]
mod tests {
    //! Every rule through the state machine alone: a scripted registry answers what it needs.

    use std::collections::HashMap;

    use super::*;

    const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

    /// A single image manifest, told apart by `seed`.
    fn image(seed: &str) -> oci_manifest::Manifest {
        let config = Digest::sha256(seed.as_bytes());
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{IMAGE}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[]}}"#
        );
        oci_manifest::Manifest::parse(json.as_bytes(), Some(IMAGE)).unwrap()
    }

    /// An index of `(platform, image)` entries.
    fn index(entries: &[(&str, &oci_manifest::Manifest)]) -> oci_manifest::Manifest {
        let manifests: Vec<String> = entries
            .iter()
            .map(|(platform, manifest)| {
                let (os, arch) = platform.split_once('/').unwrap();
                format!(
                    r#"{{"mediaType":"{IMAGE}","digest":"{}","size":{},"platform":{{"os":"{os}","architecture":"{arch}"}}}}"#,
                    manifest.digest(),
                    manifest.size()
                )
            })
            .collect();
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{INDEX}","manifests":[{}]}}"#,
            manifests.join(",")
        );
        oci_manifest::Manifest::parse(json.as_bytes(), Some(INDEX)).unwrap()
    }

    /// What the scripted registry holds: the tag's manifest (and whether its HEAD says its media type), and other
    /// manifests by digest.
    struct Registry {
        tag: oci_manifest::Manifest,
        head_media_type: bool,
        others: HashMap<Digest, oci_manifest::Manifest>,
    }

    impl Registry {
        fn new(tag: &oci_manifest::Manifest, others: &[&oci_manifest::Manifest]) -> Self {
            let mut all: HashMap<Digest, oci_manifest::Manifest> =
                others.iter().map(|m| (m.digest().clone(), (*m).clone())).collect();
            all.insert(tag.digest().clone(), tag.clone());
            Self {
                tag: tag.clone(),
                head_media_type: true,
                others: all,
            }
        }
    }

    /// Runs the rules for `current` on linux/amd64 against `registry`: the answer and every need on the way.
    fn run(registry: &Registry, current: Option<&Digest>) -> (Result<UpdateCheck, Error>, Vec<Need>) {
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let request = UpdateRequest::new(reference, current.cloned(), "linux/amd64".parse().unwrap());
        run_request(registry, &request)
    }

    /// Runs the rules for `request` against `registry`.
    fn run_request(registry: &Registry, request: &UpdateRequest) -> (Result<UpdateCheck, Error>, Vec<Need>) {
        run_within(registry, request, usize::MAX)
    }

    /// Runs the rules for `current` with at most `gets` manifests served: the others are withheld.
    fn run_with_budget(
        registry: &Registry,
        current: Option<&Digest>,
        gets: usize,
    ) -> (Result<UpdateCheck, Error>, Vec<Need>) {
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let request = UpdateRequest::new(reference, current.cloned(), "linux/amd64".parse().unwrap());
        run_within(registry, &request, gets)
    }

    /// Runs the rules for `request` against `registry`, serving at most `gets` manifests (the others withheld).
    fn run_within(
        registry: &Registry,
        request: &UpdateRequest,
        mut gets: usize,
    ) -> (Result<UpdateCheck, Error>, Vec<Need>) {
        let mut verdict = Verdict::new(request).unwrap();
        let mut needs = Vec::new();
        loop {
            let need = verdict.need().clone();
            needs.push(need.clone());
            let result = match &need {
                Need::TagHead => verdict.answer(Answer::Head {
                    digest: registry.tag.digest(),
                    media_type: registry.head_media_type.then(|| registry.tag.media_type()),
                }),
                Need::LatestManifest(_) | Need::CurrentManifest(_) | Need::ImageManifest(_) if gets == 0 => {
                    verdict.answer(Answer::Withheld("the pull budget is spent"))
                }
                Need::LatestManifest(digest) | Need::CurrentManifest(digest) | Need::ImageManifest(digest) => {
                    gets -= 1;
                    match registry.others.get(digest) {
                        Some(manifest) => verdict.answer(Answer::Manifest(manifest)),
                        None => verdict.answer(Answer::Missing),
                    }
                }
                Need::CurrentHead(digest) => match registry.others.get(digest) {
                    Some(manifest) => verdict.answer(Answer::Head {
                        digest,
                        media_type: Some(manifest.media_type()),
                    }),
                    None => verdict.answer(Answer::Missing),
                },
                _ => return (verdict.finish(), needs),
            };
            if let Err(err) = result {
                return (Err(err), needs);
            }
        }
    }

    #[test]
    fn rule_6_a_withheld_manifest_ends_on_the_head_unverified() {
        let (amd, arm, arm2, amd2) = (image("amd"), image("arm"), image("arm2"), image("amd2"));
        let old = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let new = index(&[("linux/amd64", &amd), ("linux/arm64", &arm2)]);
        let registry = Registry::new(&new, &[&old]);
        for gets in [0, 1] {
            let (check, needs) = run_with_budget(&registry, Some(old.digest()), gets);
            let check = check.unwrap();
            assert_eq!(needs.len(), 3 + gets, "{:?}", kinds(&needs));
            assert_eq!(fields(&check), (UpdateAvailable, false, check.index_changed(), None));
            let note = check.note().unwrap();
            assert!(note.contains("unconfirmed") && note.contains("pull budget"), "{note}");
        }
        // With both manifests the same case is up to date: rule 6 never claims more than it knows.
        let (check, _) = run_with_budget(&registry, Some(old.digest()), 2);
        assert_eq!(check.unwrap().status(), UpToDate);
        // The tag's own digest needs no manifest.
        let (check, needs) = run_with_budget(&registry, Some(new.digest()), 0);
        assert_eq!((check.unwrap().status(), needs.len()), (UpToDate, 2));
        // No digest in use: the tag's digest, without its platform image.
        let (check, _) = run_with_budget(&registry, None, 0);
        let check = check.unwrap();
        assert_eq!((check.status(), check.platform_digest()), (NoDigest, None));
        // Single images need HEADs only: a verified update whatever the budget.
        let single = Registry::new(&amd2, &[&amd]);
        let (check, needs) = run_with_budget(&single, Some(amd.digest()), 0);
        assert_eq!(kinds(&needs), ["tag head", "current head", "done"]);
        assert_eq!(fields(&check.unwrap()), (UpdateAvailable, true, None, Some(true)));
    }

    fn kinds(needs: &[Need]) -> Vec<&'static str> {
        needs
            .iter()
            .map(|need| match need {
                Need::TagHead => "tag head",
                Need::LatestManifest(_) => "latest manifest",
                Need::CurrentHead(_) => "current head",
                Need::CurrentManifest(_) => "current manifest",
                Need::ImageManifest(_) => "image manifest",
                _ => "done",
            })
            .collect()
    }

    /// The fields that make a verdict: status, verified, index_changed, platform_changed.
    fn fields(check: &UpdateCheck) -> (UpdateStatus, bool, Option<bool>, Option<bool>) {
        (
            check.status(),
            check.verified(),
            check.index_changed(),
            check.platform_changed(),
        )
    }

    use UpdateStatus::{NoDigest, UpToDate, UpdateAvailable};

    #[test]
    fn rule_2_the_tags_digest_is_up_to_date_after_one_head() {
        let (amd, arm) = (image("amd"), image("arm"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, needs) = run(&Registry::new(&multi, &[]), Some(multi.digest()));
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "done"]);
        assert_eq!(fields(&check), (UpToDate, true, Some(false), Some(false)));
        assert!(!check.has_update());

        let single = image("one");
        let (check, _) = run(&Registry::new(&single, &[]), Some(single.digest()));
        assert_eq!(fields(&check.unwrap()), (UpToDate, true, None, Some(false)));
    }

    #[test]
    fn no_digest_reports_the_tag_and_for_an_index_its_platform_image() {
        let single = image("one");
        let (check, needs) = run(&Registry::new(&single, &[]), None);
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "done"]);
        assert_eq!(check.status(), NoDigest);
        assert_eq!(check.latest_digest(), single.digest());
        assert_eq!(check.platform_digest(), None);

        let (amd, arm) = (image("amd"), image("arm"));
        let multi = index(&[("linux/arm64", &arm), ("linux/amd64", &amd)]);
        let (check, needs) = run(&Registry::new(&multi, &[]), None);
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "latest manifest", "done"]);
        assert_eq!(check.status(), NoDigest);
        assert_eq!(check.platform_digest(), Some(amd.digest()));
        assert_eq!(check.note(), Some("no digest given: pin the latest digest"));
    }

    #[test]
    fn rule_3_the_platform_image_of_the_index_is_up_to_date() {
        let (amd, arm) = (image("amd"), image("arm"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, needs) = run(&Registry::new(&multi, &[]), Some(amd.digest()));
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "latest manifest", "done"]);
        assert_eq!(fields(&check), (UpToDate, true, None, Some(false)));
        assert_eq!(check.platform_digest(), Some(amd.digest()));
    }

    #[test]
    fn rule_3_an_index_whose_platform_image_did_not_change_is_up_to_date() {
        let (amd, arm, arm2) = (image("amd"), image("arm"), image("arm2"));
        let old = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let new = index(&[("linux/amd64", &amd), ("linux/arm64", &arm2)]);
        let (check, needs) = run(&Registry::new(&new, &[&old]), Some(old.digest()));
        let check = check.unwrap();
        assert_eq!(
            kinds(&needs),
            ["tag head", "latest manifest", "current manifest", "done"]
        );
        assert_eq!(fields(&check), (UpToDate, true, Some(true), Some(false)));
        assert_eq!(check.note(), Some("the index changed, but not its linux/amd64 image"));
    }

    #[test]
    fn rule_3_an_index_whose_platform_image_changed_is_an_update() {
        let (amd, amd2, arm) = (image("amd"), image("amd2"), image("arm"));
        let old = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let new = index(&[("linux/amd64", &amd2), ("linux/arm64", &arm)]);
        let (check, _) = run(&Registry::new(&new, &[&old]), Some(old.digest()));
        let check = check.unwrap();
        assert_eq!(fields(&check), (UpdateAvailable, true, Some(true), Some(true)));
        assert!(check.has_update());
    }

    #[test]
    fn rule_3_an_old_index_without_the_platform_is_an_update_that_cannot_say_more() {
        let (amd, arm) = (image("amd"), image("arm"));
        let old = index(&[("linux/arm64", &arm)]);
        let new = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, _) = run(&Registry::new(&new, &[&old]), Some(old.digest()));
        assert_eq!(fields(&check.unwrap()), (UpdateAvailable, true, Some(true), None));
    }

    #[test]
    fn rule_3_a_single_image_in_use_under_an_index_tag_is_an_update() {
        let (amd, arm, mine) = (image("amd"), image("arm"), image("mine"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, _) = run(&Registry::new(&multi, &[&mine]), Some(mine.digest()));
        let check = check.unwrap();
        assert_eq!(fields(&check), (UpdateAvailable, true, None, Some(true)));
        assert_eq!(
            check.note(),
            Some("the current digest is a single image, not the tag's linux/amd64 image")
        );
    }

    #[test]
    fn rule_4_a_single_image_tag_confirms_the_old_digest_with_a_head() {
        let (old, new) = (image("old"), image("new"));
        let (check, needs) = run(&Registry::new(&new, &[&old]), Some(old.digest()));
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "current head", "done"]);
        assert_eq!(fields(&check), (UpdateAvailable, true, None, Some(true)));
    }

    #[test]
    fn rule_4_an_index_in_use_whose_platform_image_the_tag_now_names_is_up_to_date() {
        let (amd, arm) = (image("amd"), image("arm"));
        let old = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, needs) = run(&Registry::new(&amd, &[&old]), Some(old.digest()));
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "current head", "current manifest", "done"]);
        assert_eq!(fields(&check), (UpToDate, true, None, Some(false)));

        let other = image("other");
        let (check, _) = run(&Registry::new(&other, &[&old]), Some(old.digest()));
        assert_eq!(fields(&check.unwrap()), (UpdateAvailable, true, None, Some(true)));
    }

    #[test]
    fn rule_5_a_digest_the_registry_does_not_have_is_an_unverified_update() {
        let never = Digest::sha256(b"never pushed");
        let single = image("one");
        let (check, needs) = run(&Registry::new(&single, &[]), Some(&never));
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "current head", "done"]);
        assert_eq!(fields(&check), (UpdateAvailable, false, None, None));
        assert!(check.note().unwrap().starts_with("unverified:"));

        let (amd, arm) = (image("amd"), image("arm"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let (check, needs) = run(&Registry::new(&multi, &[]), Some(&never));
        assert_eq!(
            kinds(&needs),
            ["tag head", "latest manifest", "current manifest", "done"]
        );
        assert_eq!(fields(&check.unwrap()), (UpdateAvailable, false, None, None));
    }

    #[test]
    fn a_head_without_media_type_fetches_the_tag_to_learn_its_kind() {
        let (old, new) = (image("old"), image("new"));
        let mut registry = Registry::new(&new, &[&old]);
        registry.head_media_type = false;
        let (check, needs) = run(&registry, Some(old.digest()));
        assert_eq!(kinds(&needs), ["tag head", "latest manifest", "current head", "done"]);
        assert_eq!(fields(&check.unwrap()), (UpdateAvailable, true, None, Some(true)));

        let (check, needs) = run(&registry, Some(new.digest()));
        assert_eq!(kinds(&needs), ["tag head", "done"]);
        assert_eq!(fields(&check.unwrap()), (UpToDate, true, None, Some(false)));
    }

    #[test]
    fn an_index_without_the_platform_is_a_typed_error() {
        let arm = image("arm");
        let multi = index(&[("linux/arm64", &arm)]);
        let (check, _) = run(&Registry::new(&multi, &[]), Some(arm.digest()));
        assert_eq!(check.unwrap_err().kind(), ErrorKind::PlatformNotFound);
    }

    #[test]
    fn answers_that_do_not_fit_are_refused() {
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let request = UpdateRequest::new(reference, None, Platform::host());
        let mut verdict = Verdict::new(&request).unwrap();
        assert_eq!(verdict.answer(Answer::Missing).unwrap_err().kind(), ErrorKind::Protocol);
        // The verdict stays failed: a later answer that would have fitted is refused, and it never finishes (it
        // once finished `Ok(UpdateAvailable)` with a placeholder digest here).
        let digest = Digest::sha256(b"tag");
        let head = Answer::Head {
            digest: &digest,
            media_type: Some(IMAGE),
        };
        assert!(verdict.answer(head).is_err());
        assert_eq!(verdict.finish().unwrap_err().kind(), ErrorKind::Protocol);
        let verdict = Verdict::new(&request).unwrap();
        assert_eq!(verdict.finish().unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_platform_not_found_verdict_never_finishes() {
        let arm = image("arm");
        let multi = index(&[("linux/arm64", &arm)]);
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let request = UpdateRequest::new(reference, Some(Digest::sha256(b"old")), "linux/amd64".parse().unwrap());
        let mut verdict = Verdict::new(&request).unwrap();
        verdict
            .answer(Answer::Head {
                digest: multi.digest(),
                media_type: Some(INDEX),
            })
            .unwrap();
        let err = verdict.answer(Answer::Manifest(&multi)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PlatformNotFound);
        assert_eq!(verdict.need(), &Need::Done);
        assert_eq!(verdict.finish().unwrap_err().kind(), ErrorKind::PlatformNotFound);
    }

    #[test]
    fn requests_need_a_tag() {
        let digest = Digest::sha256(b"x");
        let pinned = Reference::parse_normalized(&format!("registry.example/app@{digest}")).unwrap();
        let request = UpdateRequest::new(pinned, None, Platform::host());
        assert_eq!(request.current(), Some(&digest));
        assert_eq!(Verdict::new(&request).unwrap_err().kind(), ErrorKind::InvalidInput);

        let tagged = Reference::parse_normalized(&format!("registry.example/app:2@{digest}")).unwrap();
        let request = UpdateRequest::new(tagged, None, Platform::host());
        assert_eq!(request.reference().to_string(), "registry.example/app:2");
        assert_eq!(request.current(), Some(&digest));
    }

    #[test]
    fn parse_takes_text() {
        let digest = Digest::sha256(b"x").to_string();
        let request = UpdateRequest::parse("nginx", Some(&digest)).unwrap();
        assert_eq!(request.reference().to_string(), "docker.io/library/nginx:latest");
        assert_eq!(request.current().map(Digest::as_str), Some(digest.as_str()));
        assert_eq!(request.platform(), &Platform::host());
        let other = Digest::sha256(b"y");
        for (image, current) in [
            ("NGINX", None),
            ("nginx", Some("sha256:abc")),
            (&*format!("nginx:1@{other}"), Some(digest.as_str())),
        ] {
            let err = UpdateRequest::parse(image, current).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{image}");
        }
    }

    /// A request for registry.example/app:1 on linux/amd64 with these digests in use and image ID.
    fn engine_request(digests: &[&Digest], image_id: Option<&Digest>) -> UpdateRequest {
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let mut request = UpdateRequest::new(reference, None, "linux/amd64".parse().unwrap())
            .with_digests_in_use(digests.iter().map(|d| (*d).clone()));
        if let Some(image_id) = image_id {
            request = request.with_image_id(image_id.clone());
        }
        request
    }

    fn config_of(manifest: &oci_manifest::Manifest) -> Digest {
        manifest.as_image().unwrap().config().digest().clone()
    }

    #[test]
    fn any_digest_in_use_that_matches_is_up_to_date_and_said() {
        let (amd, arm) = (image("amd"), image("arm"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let older_index = Digest::sha256(b"an index pulled before");
        // Pulled by index once and by platform once: the platform digest matches.
        let request = engine_request(&[&older_index, amd.digest()], None);
        let (check, needs) = run_request(&Registry::new(&multi, &[]), &request);
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "latest manifest", "done"]);
        assert_eq!(check.status(), UpToDate);
        assert_eq!(check.matched_digest(), Some(amd.digest()));
        assert_eq!(
            check.current_digest(),
            Some(&older_index),
            "the first digest in use is still the current one"
        );
        // The index's own digest among several: one HEAD.
        let request = engine_request(&[amd.digest(), multi.digest()], None);
        let (check, needs) = run_request(&Registry::new(&multi, &[]), &request);
        assert_eq!(kinds(&needs), ["tag head", "done"]);
        assert_eq!(check.unwrap().matched_digest(), Some(multi.digest()));
    }

    #[test]
    fn an_image_that_lost_its_repo_digests_is_judged_by_its_image_id() {
        // Podman: the arm64 image lost its RepoDigests when the tag was pulled again for amd64; its container
        // keeps running it. Only its image ID (config digest) can tell.
        let (amd, arm, arm2) = (image("amd"), image("arm"), image("arm2"));
        let multi = index(&[("linux/amd64", &amd), ("linux/arm64", &arm)]);
        let reference = Reference::parse_normalized("registry.example/app:1").unwrap();
        let arm64: Platform = "linux/arm64".parse().unwrap();
        let same = UpdateRequest::new(reference.clone(), None, arm64.clone()).with_image_id(config_of(&arm));
        let (check, needs) = run_request(&Registry::new(&multi, &[&arm]), &same);
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "latest manifest", "image manifest", "done"]);
        assert_eq!(check.status(), UpToDate);
        assert_eq!(check.matched_digest(), Some(&config_of(&arm)));

        let other = UpdateRequest::new(reference, None, arm64).with_image_id(config_of(&arm2));
        let (check, _) = run_request(&Registry::new(&multi, &[&arm]), &other);
        let check = check.unwrap();
        assert_eq!(fields(&check), (UpdateAvailable, false, None, Some(true)));
        assert_eq!(check.matched_digest(), None);
    }

    #[test]
    fn a_repo_digest_update_is_overruled_by_a_matching_image_id() {
        // The digest in use is an older single image, but the image ID says the tag's image is what runs.
        let (old, new) = (image("old"), image("new"));
        let request = engine_request(&[old.digest()], Some(&config_of(&new)));
        let (check, needs) = run_request(&Registry::new(&new, &[&old]), &request);
        let check = check.unwrap();
        assert_eq!(kinds(&needs), ["tag head", "current head", "image manifest", "done"]);
        assert_eq!(check.status(), UpToDate);
        assert_eq!(check.matched_digest(), Some(&config_of(&new)));
        // Without an image ID the verdict stands.
        let request = engine_request(&[old.digest()], None);
        let (check, _) = run_request(&Registry::new(&new, &[&old]), &request);
        assert_eq!(check.unwrap().status(), UpdateAvailable);
    }
}
