//! Newer versions: which newer tag to move to, confirmed against the registry, as a pure state machine
//! ([`NewerSearch`]) in the style of [`Verdict`](crate::Verdict), driven by [`Client::newer_version`].
//!
//! # The rules
//!
//! 1. List the repository's tags ([`NewerNeed::Tags`], every page).
//! 2. A rolling current tag (no number, like `latest`; or one that covers versions, like `1.29` among `1.29.3`)
//!    is compared by digest with the newest few version tags of each shape ([`NewerNeed::TagHead`], `HEAD`s
//!    only): the tags naming the same image are reported as [`NewerCheck::same_as`] (`latest = 1.27.3`).
//! 3. Otherwise the candidates are the tags of the current tag's shape that are newer, newest first, within the
//!    policy (`oci_version::newer_candidates`). The image in use is read first (its manifest, its image for the
//!    platform, its config's `created`), then each candidate in turn, at most [`MAX_CONFIRMATIONS`] of them,
//!    until one holds: it exists; it has an image for the platform (an index entry for it, or a single image
//!    whose config is for it); and that image is not older than the one in use. A candidate that fails is
//!    skipped with the reason. When either date is missing, the candidate holds and says the dates could not be
//!    compared.
//!
//! The last check is what keeps a calver tag (`2021.12.16` among `10.10.x`) or a fat-fingered one (`8.1.2135`
//! among `0.8.x`) from being proposed when its image is older, and a newly pushed tag whose image for the
//! platform is not there yet (staggered multi-arch pushes) from being proposed before it is.

use std::time::SystemTime;

use oci_digest::Digest;
use oci_manifest::{ImageConfig, Platform};
use oci_ref::Reference;
use oci_version::{Jump, Policy, Tag};

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::location::Repository;

/// The most candidates confirmed against the registry before giving up.
pub const MAX_CONFIRMATIONS: usize = 3;

/// How many version tags of each shape a rolling tag is compared with.
pub const ROLLING_PER_SHAPE: usize = 3;

/// What to look for: the tag in use (and its digest when known), the platform, and the policy.
#[derive(Debug, Clone)]
pub struct NewerRequest {
    reference: Reference,
    current: Option<Digest>,
    platform: Platform,
    policy: Policy,
}

/// The newer version found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewerVersion {
    tag: String,
    digest: Digest,
    jump: Jump,
    created: Option<String>,
}

/// The answer to a [`NewerRequest`].
#[derive(Debug, Clone, Default)]
pub struct NewerCheck {
    newer: Option<NewerVersion>,
    same_as: Vec<String>,
    rolling: bool,
    skipped: Vec<(String, String)>,
    note: Option<String>,
}

/// What a [`NewerSearch`] needs to know next.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewerNeed {
    /// Every tag of the repository: answered with [`NewerAnswer::Tags`].
    Tags,
    /// The digest a tag names now (a `HEAD`): [`NewerAnswer::Head`] or [`NewerAnswer::Missing`].
    TagHead(String),
    /// The manifest a tag names now (a `GET`): [`NewerAnswer::Manifest`] or [`NewerAnswer::Missing`].
    TagManifest(String),
    /// The manifest with this digest: [`NewerAnswer::Manifest`] or [`NewerAnswer::Missing`].
    Manifest(Digest),
    /// The image config blob with this digest: [`NewerAnswer::Config`] or [`NewerAnswer::Missing`].
    Config(Digest),
    /// Nothing more: [`NewerSearch::finish`].
    Done,
}

/// What the registry answered to a [`NewerNeed`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy)]
pub enum NewerAnswer<'a> {
    /// The repository's tags.
    Tags(&'a [String]),
    /// A tag's digest.
    Head(&'a Digest),
    /// A manifest, verified and parsed.
    Manifest(&'a oci_manifest::Manifest),
    /// An image config, verified and parsed.
    Config(&'a ImageConfig),
    /// The registry does not have it.
    Missing,
}

/// Whose image the search is reading.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// The image in use.
    InUse,
    /// The candidate at this position of `candidates`.
    Candidate(usize),
}

/// The rules for one request, as a state machine (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct NewerSearch {
    request: NewerRequest,
    need: NewerNeed,
    check: NewerCheck,
    /// The version candidates, newest first, with their jumps.
    candidates: Vec<(String, Jump)>,
    /// Rolling mode: the tags still to compare, and the digest of the current tag.
    rolling: Vec<String>,
    current_tag_digest: Option<Digest>,
    reading: Reading,
    /// The platform image of what is being read, once known.
    image: Option<Digest>,
    in_use_created: Option<SystemTime>,
    in_use_created_text: Option<String>,
    tried: usize,
}

impl NewerRequest {
    /// Looks for a newer version of `reference`'s tag (which must be a version tag, or a rolling one), for
    /// `platform`; `current` is the digest in use, when known (else the tag's image is taken as the one in use).
    pub fn new(reference: Reference, current: Option<Digest>, platform: Platform, policy: Policy) -> Self {
        let current = current.or_else(|| reference.digest().cloned());
        Self {
            reference: reference.without_digest().with_default_tag(),
            current,
            platform,
            policy,
        }
    }

    /// The reference whose tag is looked at.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The platform whose image counts.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }
}

impl NewerVersion {
    /// The newer tag.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The digest of its image for the platform (the tag's own digest for a single image).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// How far it is from the tag in use.
    pub fn jump(&self) -> Jump {
        self.jump
    }

    /// Its image's `created` date, as the config says it.
    pub fn created(&self) -> Option<&str> {
        self.created.as_deref()
    }
}

impl NewerCheck {
    /// The newest version that held, if any.
    pub fn newer(&self) -> Option<&NewerVersion> {
        self.newer.as_ref()
    }

    /// For a rolling tag, the version tags that name the same image now.
    pub fn same_as(&self) -> &[String] {
        &self.same_as
    }

    /// Whether the tag in use is a rolling tag.
    pub fn is_rolling(&self) -> bool {
        self.rolling
    }

    /// The candidates that were looked at and did not hold, with why (newest first).
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// A short explanation, when the answer needs one.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

impl NewerSearch {
    /// The rules for `request`, needing [`NewerNeed::Tags`] first.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] when the reference has no tag.
    pub fn new(request: &NewerRequest) -> Result<Self, Error> {
        if request.reference.tag().is_none() {
            return Err(Error::new(ErrorKind::InvalidInput).with_detail(format!(
                "`{}` has no tag to compare versions with",
                request.reference.familiar_name()
            )));
        }
        Ok(Self {
            request: request.clone(),
            need: NewerNeed::Tags,
            check: NewerCheck::default(),
            candidates: Vec::new(),
            rolling: Vec::new(),
            current_tag_digest: None,
            reading: Reading::InUse,
            image: None,
            in_use_created: None,
            in_use_created_text: None,
            tried: 0,
        })
    }

    /// What the rules need next.
    pub fn need(&self) -> &NewerNeed {
        &self.need
    }

    /// Feeds the registry's answer to the current need and returns the next one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] for an answer that does not fit the need.
    pub fn answer(&mut self, answer: NewerAnswer<'_>) -> Result<&NewerNeed, Error> {
        let need = std::mem::replace(&mut self.need, NewerNeed::Done);
        self.need = match (need, answer) {
            (NewerNeed::Tags, NewerAnswer::Tags(tags)) => self.tags(tags),
            (NewerNeed::TagHead(tag), NewerAnswer::Head(digest)) => self.rolling_head(&tag, Some(digest)),
            (NewerNeed::TagHead(tag), NewerAnswer::Missing) => self.rolling_head(&tag, None),
            (NewerNeed::TagManifest(_) | NewerNeed::Manifest(_), NewerAnswer::Manifest(manifest)) => {
                self.manifest(manifest)
            }
            (NewerNeed::Config(_), NewerAnswer::Config(config)) => self.config(Some(config)),
            (NewerNeed::Config(_), NewerAnswer::Missing) => self.config(None),
            (NewerNeed::TagManifest(_) | NewerNeed::Manifest(_), NewerAnswer::Missing) => {
                self.unreadable("the registry does not have it")
            }
            (need, answer) => {
                return Err(Error::new(ErrorKind::Protocol)
                    .with_detail(format!("the answer {answer:?} does not fit the need {need:?}")));
            }
        };
        Ok(&self.need)
    }

    /// The answer, once [`NewerSearch::need`] is [`NewerNeed::Done`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] when the rules still need something.
    pub fn finish(self) -> Result<NewerCheck, Error> {
        if self.need != NewerNeed::Done {
            return Err(Error::new(ErrorKind::Protocol)
                .with_detail(format!("the search still needs {:?}", self.need)));
        }
        Ok(self.check)
    }

    fn current_tag(&self) -> &str {
        self.request.reference.tag().unwrap_or("latest")
    }

    /// Rule 1, and the choice between rules 2 and 3.
    fn tags(&mut self, tags: &[String]) -> NewerNeed {
        let current = match Tag::parse(self.current_tag()) {
            Ok(tag) => tag,
            Err(err) => {
                self.check.note = Some(format!("the tag in use cannot be compared: {err}"));
                return NewerNeed::Done;
            }
        };
        let texts = || tags.iter().map(String::as_str);
        if oci_version::is_rolling(&current, texts()) {
            self.check.rolling = true;
            let groups = oci_version::rolling_candidates(&current, texts(), &self.request.policy, ROLLING_PER_SHAPE);
            self.rolling = groups
                .into_values()
                .flatten()
                .map(|tag| tag.as_str().to_owned())
                .rev()
                .collect();
            if self.rolling.is_empty() {
                return NewerNeed::Done;
            }
            return NewerNeed::TagHead(self.current_tag().to_owned());
        }
        let newer = oci_version::newer_candidates(&current, texts(), &self.request.policy);
        self.candidates = newer
            .candidates()
            .iter()
            .map(|candidate| (candidate.tag().as_str().to_owned(), candidate.jump()))
            .collect();
        if self.candidates.is_empty() {
            return NewerNeed::Done;
        }
        self.reading = Reading::InUse;
        match &self.request.current {
            Some(digest) => NewerNeed::Manifest(digest.clone()),
            None => NewerNeed::TagManifest(self.current_tag().to_owned()),
        }
    }

    /// Rule 2: the current tag's digest first, then each version tag's.
    fn rolling_head(&mut self, tag: &str, digest: Option<&Digest>) -> NewerNeed {
        if tag == self.current_tag() && self.current_tag_digest.is_none() {
            let Some(digest) = digest else {
                self.check.note = Some(format!("the registry does not have the tag `{tag}`"));
                return NewerNeed::Done;
            };
            self.current_tag_digest = Some(digest.clone());
        } else if digest.is_some() && digest == self.current_tag_digest.as_ref() {
            self.check.same_as.push(tag.to_owned());
        }
        match self.rolling.pop() {
            Some(next) => NewerNeed::TagHead(next),
            None => NewerNeed::Done,
        }
    }

    /// A manifest of the image in use or of a candidate: an index gives its image for the platform, a single image
    /// its config.
    fn manifest(&mut self, manifest: &oci_manifest::Manifest) -> NewerNeed {
        if let Some(index) = manifest.as_index() {
            return match index.select(&self.request.platform) {
                Ok(descriptor) => {
                    self.image = Some(descriptor.digest().clone());
                    NewerNeed::Manifest(descriptor.digest().clone())
                }
                Err(_) => self.unreadable(&format!("no {} image", self.request.platform)),
            };
        }
        let Some(image) = manifest.as_image() else {
            return self.unreadable("not an image");
        };
        if self.image.is_none() {
            self.image = Some(manifest.digest().clone());
        }
        NewerNeed::Config(image.config().digest().clone())
    }

    /// The config of the image in use or of a candidate: its date, and for a candidate the verdict.
    fn config(&mut self, config: Option<&ImageConfig>) -> NewerNeed {
        let created_text = config.and_then(ImageConfig::created).map(str::to_owned);
        let created = created_text.as_deref().and_then(parse_rfc3339);
        match self.reading {
            Reading::InUse => {
                self.in_use_created = created;
                self.in_use_created_text = created_text;
                self.next_candidate()
            }
            Reading::Candidate(position) => {
                if let Some(config) = config {
                    if !self.request.platform.runs(&config.platform()) {
                        return self.unreadable(&format!("its image is for {}", config.platform()));
                    }
                }
                match (created, self.in_use_created) {
                    (Some(candidate), Some(in_use)) if candidate < in_use => {
                        let reason = format!(
                            "its image (created {}) is older than the one in use (created {})",
                            created_text.unwrap_or_default(),
                            self.in_use_created_text.clone().unwrap_or_default()
                        );
                        return self.unreadable(&reason);
                    }
                    (Some(_), Some(_)) => {}
                    _ => {
                        self.check.note = Some("the images' creation dates could not be compared".to_owned());
                    }
                }
                let (tag, jump) = self.candidates[position].clone();
                let digest = self.image.clone().unwrap_or_else(|| Digest::sha256(b""));
                self.check.newer = Some(NewerVersion {
                    tag,
                    digest,
                    jump,
                    created: created_text,
                });
                NewerNeed::Done
            }
        }
    }

    /// What is being read cannot be used: the image in use without a date, or a candidate skipped.
    fn unreadable(&mut self, reason: &str) -> NewerNeed {
        match self.reading {
            Reading::InUse => {
                self.in_use_created = None;
                self.in_use_created_text = None;
                self.next_candidate()
            }
            Reading::Candidate(position) => {
                let tag = self.candidates[position].0.clone();
                self.check.skipped.push((tag, reason.to_owned()));
                self.next_candidate()
            }
        }
    }

    /// The next candidate to confirm, if any are left and the budget allows.
    fn next_candidate(&mut self) -> NewerNeed {
        self.image = None;
        if self.tried == MAX_CONFIRMATIONS || self.tried == self.candidates.len() {
            if self.tried < self.candidates.len() {
                self.check.note = Some(format!(
                    "{} newer tags were not confirmed: at most {MAX_CONFIRMATIONS} are tried",
                    self.candidates.len() - self.tried
                ));
            }
            return NewerNeed::Done;
        }
        let position = self.tried;
        self.tried += 1;
        self.reading = Reading::Candidate(position);
        NewerNeed::TagManifest(self.candidates[position].0.clone())
    }
}

/// The largest image config read.
const CONFIG_LIMIT: u64 = 4 * 1024 * 1024;

impl Client {
    /// Looks for a newer version of the tag in use (see [`NewerSearch`] for the rules): the tag list (every page),
    /// then at most a few manifest and config requests, all within one deadline.
    ///
    /// # Errors
    ///
    /// The errors of [`Client::tags`], [`Client::manifest`] and [`Client::blob`] other than a 404 (which is an
    /// answer), and [`ErrorKind::InvalidInput`] for a reference without a tag.
    pub async fn newer_version(&self, request: &NewerRequest) -> Result<NewerCheck, Error> {
        let deadline = self.deadline();
        let repository = Repository::from(&request.reference);
        let mut search = NewerSearch::new(request)?;
        loop {
            let need = search.need().clone();
            // A tag from the registry's list that is not a valid tag is treated as missing.
            let tag_location = |tag: &str| repository.tag(tag).ok();
            match &need {
                NewerNeed::Tags => {
                    let tags = self.tags(&repository).await?;
                    search.answer(NewerAnswer::Tags(&tags))?;
                }
                NewerNeed::TagHead(tag) => {
                    let head = match tag_location(tag) {
                        Some(location) => missing_is_none(self.manifest_digest_until(&location, deadline).await)?,
                        None => None,
                    };
                    match &head {
                        Some(head) => search.answer(NewerAnswer::Head(head.digest()))?,
                        None => search.answer(NewerAnswer::Missing)?,
                    };
                }
                NewerNeed::TagManifest(_) | NewerNeed::Manifest(_) => {
                    let location = match &need {
                        NewerNeed::Manifest(digest) => Some(repository.digest(digest.clone())),
                        NewerNeed::TagManifest(tag) => tag_location(tag),
                        _ => None,
                    };
                    let manifest = match location {
                        Some(location) => missing_is_none(self.manifest_until(&location, deadline).await)?,
                        None => None,
                    };
                    let parsed = manifest.as_ref().map(crate::Manifest::parse).transpose()?;
                    match &parsed {
                        Some(parsed) => search.answer(NewerAnswer::Manifest(parsed))?,
                        None => search.answer(NewerAnswer::Missing)?,
                    };
                }
                NewerNeed::Config(digest) => {
                    let blob = missing_is_none(self.blob(&repository, digest).await)?;
                    let config = match blob {
                        Some(blob) => Some(blob.bytes(CONFIG_LIMIT).await?),
                        None => None,
                    };
                    let parsed = config.as_deref().and_then(|bytes| ImageConfig::parse(bytes).ok());
                    match &parsed {
                        Some(config) => search.answer(NewerAnswer::Config(config))?,
                        None => search.answer(NewerAnswer::Missing)?,
                    };
                }
                _ => return search.finish(),
            }
        }
    }
}

/// A 404 as `None`, any other error as it is.
fn missing_is_none<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// An RFC 3339 date-time as a time, `None` when it is not one.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    oci_auth::internal::parse_rfc3339(text)
}
