//! Newer versions: which newer tag to move to, confirmed against the registry, as a pure state machine
//! ([`NewerSearch`]), in the style of [`Verdict`](crate::Verdict). No IO: the rules are documented and unit-tested
//! here; [`Client::newer_version`](crate::Client::newer_version) is the small loop that fetches what it asks for.

use std::time::SystemTime;

use oci_digest::Digest;
use oci_manifest::{ImageConfig, Platform};
use oci_ref::Reference;
use oci_version::{Jump, Policy, Tag};

use crate::error::{Error, ErrorKind};
use crate::verdict::UpdateRequest;

/// The most candidates confirmed against the registry before giving up.
pub const MAX_CONFIRMATIONS: usize = 3;

/// How many version tags of each shape a rolling tag is compared with.
pub const ROLLING_PER_SHAPE: usize = 3;

/// The most tags a rolling tag is compared with in all (one `HEAD` each): a repository with thousands of tag shapes
/// would otherwise cost thousands of requests for one check.
const MAX_ROLLING_HEADS: usize = 30;

/// What to look for: the tag in use (and its digest when known), the platform, and the policy.
#[derive(Debug, Clone)]
pub struct NewerRequest {
    reference: Reference,
    current: Option<Digest>,
    /// What the tag names now, when the caller knows it (a search chained after an update check).
    tag_digest: Option<Digest>,
    platform: Platform,
    policy: Policy,
    keep_tags: bool,
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
#[derive(Debug, Clone)]
pub struct NewerCheck {
    newer: Option<NewerVersion>,
    same_as: Vec<String>,
    rolling: bool,
    skipped: Vec<(String, String)>,
    note: Option<String>,
    tags: Vec<String>,
    requests: u32,
    pulls: u32,
    cache_hits: u32,
}

/// What a [`NewerSearch`] needs to know next.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewerNeed {
    /// Every tag of the repository: answered with [`NewerAnswer::Tags`].
    Tags,
    /// The digest a tag names now (a `HEAD`, free on Docker Hub): [`NewerAnswer::Head`], [`NewerAnswer::Missing`],
    /// or [`NewerAnswer::Withheld`] (a registry without `Docker-Content-Digest` is asked with a `GET`).
    TagHead(String),
    /// The manifest with this digest (read through the cache): [`NewerAnswer::Manifest`], [`NewerAnswer::Missing`]
    /// or [`NewerAnswer::Withheld`].
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
    /// A manifest was not fetched, for the reason given (the pull budget, or a `429`): the search ends with what
    /// it found so far and says why.
    Withheld(&'a str),
}

/// What the search is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Comparing a rolling tag's digest with version tags'.
    Rolling,
    /// Reading the image in use.
    InUse,
    /// Confirming the candidate at this position of `candidates`.
    Candidate(usize),
}

/// The rules for one request, as a state machine: [`NewerSearch::need`] says what it needs next,
/// [`NewerSearch::answer`] takes what the registry said, [`NewerSearch::finish`] gives the [`NewerCheck`].
///
/// # The rules
///
/// 1. List the repository's tags ([`NewerNeed::Tags`], every page).
/// 2. A rolling tag (no number, like `latest`; or one that covers versions, like `1.29` among `1.29.3`) is
///    compared by digest with the newest few version tags of each shape ([`ROLLING_PER_SHAPE`], at most
///    30 in all; `HEAD`s only): the tags naming the same image are reported as
///    [`NewerCheck::same_as`] (`latest = 1.27.3`). Then it moves on like any tag (rule 3): `1.26` proposes `1.27`,
///    never `1.28.0` (another shape).
/// 3. The candidates are the tags of the current tag's shape that are newer, newest first, within the policy
///    (`oci_version::newer_candidates`). The image in use is read first (the manifest of the digest in use, else of
///    what the tag names now; its image for the platform; its config's `created`), then each candidate in turn, at
///    most [`MAX_CONFIRMATIONS`] of them, until one holds: its digest by `HEAD` (free on Docker Hub), its manifest
///    by that digest (from the cache when it holds it, so a repeat run spends no pull), its image for the platform
///    (an index entry for it, or a single image whose config is for it), and that image not older than the one in
///    use. A candidate that fails is skipped with the reason. When either date is missing, the candidate holds and
///    says the dates could not be compared.
/// 4. A manifest withheld ([`NewerAnswer::Withheld`]: the pull budget, a `429`) ends the search with what it found,
///    and a note saying why.
///
/// The date check is what keeps a calver tag (`2021.12.16` among `10.10.x`) or a fat-fingered one (`8.1.2135`
/// among `0.8.x`) from being proposed when its image is older, and a newly pushed tag whose image for the platform
/// is not there yet (staggered multi-arch pushes) from being proposed before it is.
///
/// An answer that does not fit the need leaves the search failed: [`NewerSearch::finish`] refuses it.
#[derive(Debug, Clone)]
pub struct NewerSearch {
    request: NewerRequest,
    need: NewerNeed,
    check: NewerCheck,
    phase: Phase,
    /// The version candidates, newest first, with their jumps.
    candidates: Vec<(String, Jump)>,
    /// Rolling mode: the tags still to compare.
    rolling: Vec<String>,
    /// What the tag in use names now, once known.
    tag_digest: Option<Digest>,
    /// The platform image of what is being read, once known.
    image: Option<Digest>,
    in_use_created: Option<SystemTime>,
    in_use_created_text: Option<String>,
    tried: usize,
    failed: Option<String>,
}

impl NewerRequest {
    /// Looks for a newer version of `reference`'s tag (which must be a version tag, or a rolling one), for
    /// `platform`; `current` is the digest in use, when known (else the tag's image is taken as the one in use).
    pub fn new(reference: Reference, current: Option<Digest>, platform: Platform, policy: Policy) -> Self {
        let current = current.or_else(|| reference.digest().cloned());
        Self {
            reference: reference.without_digest().with_default_tag(),
            current,
            tag_digest: None,
            platform,
            policy,
            keep_tags: false,
        }
    }

    /// The search for newer versions of what `update` checks: its tag, digest in use and platform.
    pub fn from_update(update: &UpdateRequest, policy: Policy) -> Self {
        Self::new(
            update.reference().clone(),
            update.current().cloned(),
            update.platform().clone(),
            policy,
        )
    }

    /// Says what the tag names now (an update check just asked), so the search does not ask again.
    #[must_use]
    pub fn knowing_tag_digest(mut self, digest: Digest) -> Self {
        self.tag_digest = Some(digest);
        self
    }

    /// Keeps the repository's tag list in the answer ([`NewerCheck::tags`]), for a caller that shows them.
    #[must_use]
    pub fn keep_tags(mut self) -> Self {
        self.keep_tags = true;
        self
    }

    /// The policy: which tags may be proposed.
    pub fn policy(&self) -> &Policy {
        &self.policy
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

    /// The repository's tags, as listed, when the request asked to keep them ([`NewerRequest::keep_tags`]).
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// How many manifest requests (`HEAD`s and `GET`s) the search sent.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// How many manifest `GET`s the search sent that were answered with a manifest (pulls, on Docker Hub).
    pub fn pulls(&self) -> u32 {
        self.pulls
    }

    /// How many entries (manifests, configs, the tag list) the search read from the cache instead of the registry.
    pub fn cache_hits(&self) -> u32 {
        self.cache_hits
    }

    /// Records what the search's lookups cost (the driver counts them).
    pub(crate) fn with_costs(mut self, tally: crate::fetch::Tally) -> Self {
        self.requests = tally.requests();
        self.pulls = tally.pulls;
        self.cache_hits = tally.cache_hits;
        self
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
            check: NewerCheck {
                newer: None,
                same_as: Vec::new(),
                rolling: false,
                skipped: Vec::new(),
                note: None,
                tags: Vec::new(),
                requests: 0,
                pulls: 0,
                cache_hits: 0,
            },
            phase: Phase::InUse,
            candidates: Vec::new(),
            rolling: Vec::new(),
            tag_digest: request.tag_digest.clone(),
            image: None,
            in_use_created: None,
            in_use_created_text: None,
            tried: 0,
            failed: None,
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
    /// [`ErrorKind::Protocol`] for an answer that does not fit the need; the search then stays failed, and
    /// [`NewerSearch::finish`] refuses it.
    pub fn answer(&mut self, answer: NewerAnswer<'_>) -> Result<&NewerNeed, Error> {
        if let Some(detail) = &self.failed {
            return Err(Error::new(ErrorKind::Protocol).with_detail(format!("the search failed before: {detail}")));
        }
        let need = std::mem::replace(&mut self.need, NewerNeed::Done);
        self.need = match (need, answer) {
            (NewerNeed::Tags, NewerAnswer::Tags(tags)) => self.tags(tags),
            (NewerNeed::TagHead(tag), NewerAnswer::Head(digest)) => self.tag_head(&tag, Some(digest)),
            (NewerNeed::TagHead(tag), NewerAnswer::Missing) => self.tag_head(&tag, None),
            (NewerNeed::Manifest(_), NewerAnswer::Manifest(manifest)) => self.manifest(manifest),
            (NewerNeed::Config(_), NewerAnswer::Config(config)) => self.config(Some(config)),
            (NewerNeed::Config(_), NewerAnswer::Missing) => self.config(None),
            (NewerNeed::Manifest(_), NewerAnswer::Missing) => self.unreadable("the registry does not have it"),
            (NewerNeed::TagHead(_) | NewerNeed::Manifest(_), NewerAnswer::Withheld(reason)) => {
                self.check.note = Some(format!("newer versions were not confirmed: {reason}"));
                NewerNeed::Done
            }
            (need, answer) => {
                let detail = format!("the answer {answer:?} does not fit the need {need:?}");
                self.failed = Some(detail.clone());
                return Err(Error::new(ErrorKind::Protocol).with_detail(detail));
            }
        };
        Ok(&self.need)
    }

    /// The answer, once [`NewerSearch::need`] is [`NewerNeed::Done`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Protocol`] when the rules still need something, or an answer did not fit.
    pub fn finish(self) -> Result<NewerCheck, Error> {
        if let Some(detail) = self.failed {
            return Err(Error::new(ErrorKind::Protocol).with_detail(format!("the search failed: {detail}")));
        }
        if self.need != NewerNeed::Done {
            return Err(Error::new(ErrorKind::Protocol).with_detail(format!("the search still needs {:?}", self.need)));
        }
        Ok(self.check)
    }

    fn current_tag(&self) -> &str {
        self.request.reference.tag().unwrap_or("latest")
    }

    /// Rule 1, and the choice between rules 2 and 3.
    fn tags(&mut self, tags: &[String]) -> NewerNeed {
        if self.request.keep_tags {
            self.check.tags = tags.to_vec();
        }
        let current = match Tag::parse(self.current_tag()) {
            Ok(tag) => tag,
            Err(err) => {
                self.check.note = Some(format!("the tag in use cannot be compared: {err}"));
                return NewerNeed::Done;
            }
        };
        let texts = || tags.iter().map(String::as_str);
        let newer = oci_version::newer_candidates(&current, texts(), &self.request.policy);
        self.candidates = newer
            .candidates()
            .iter()
            .map(|candidate| (candidate.tag().as_str().to_owned(), candidate.jump()))
            .collect();
        if oci_version::is_rolling(&current, texts()) {
            self.check.rolling = true;
            let groups = oci_version::rolling_candidates(&current, texts(), &self.request.policy, ROLLING_PER_SHAPE);
            let mut rolling: Vec<String> = groups
                .into_values()
                .flatten()
                .map(|tag| tag.as_str().to_owned())
                .collect();
            if rolling.len() > MAX_ROLLING_HEADS {
                self.check.note = Some(format!(
                    "{} version tags were not compared with `{}`: at most {MAX_ROLLING_HEADS} are",
                    rolling.len() - MAX_ROLLING_HEADS,
                    self.current_tag()
                ));
                rolling.truncate(MAX_ROLLING_HEADS);
            }
            rolling.reverse();
            self.rolling = rolling;
            if !self.rolling.is_empty() {
                self.phase = Phase::Rolling;
                return match &self.tag_digest {
                    Some(_) => self.next_rolling(),
                    None => NewerNeed::TagHead(self.current_tag().to_owned()),
                };
            }
        }
        self.read_in_use()
    }

    /// Rule 3 begins: the image in use is read, when there is a candidate to compare it with.
    fn read_in_use(&mut self) -> NewerNeed {
        if self.candidates.is_empty() {
            return NewerNeed::Done;
        }
        self.phase = Phase::InUse;
        self.image = None;
        match self.request.current.as_ref().or(self.tag_digest.as_ref()) {
            Some(digest) => NewerNeed::Manifest(digest.clone()),
            None => NewerNeed::TagHead(self.current_tag().to_owned()),
        }
    }

    /// A tag's digest: the tag in use (rules 2 and 3), a version tag compared with a rolling one (rule 2), or a
    /// candidate (rule 3).
    fn tag_head(&mut self, tag: &str, digest: Option<&Digest>) -> NewerNeed {
        match self.phase {
            Phase::Rolling | Phase::InUse if self.tag_digest.is_none() => {
                let Some(digest) = digest else {
                    self.check.note = Some(format!("the registry does not have the tag `{tag}`"));
                    return NewerNeed::Done;
                };
                self.tag_digest = Some(digest.clone());
                match self.phase {
                    Phase::Rolling => self.next_rolling(),
                    _ => NewerNeed::Manifest(digest.clone()),
                }
            }
            Phase::Rolling => {
                if digest.is_some() && digest == self.tag_digest.as_ref() {
                    self.check.same_as.push(tag.to_owned());
                }
                self.next_rolling()
            }
            Phase::Candidate(_) => match digest {
                Some(digest) => NewerNeed::Manifest(digest.clone()),
                None => self.unreadable("the registry does not have it"),
            },
            Phase::InUse => {
                let detail = format!("a tag's digest came while the image in use was read: `{tag}`");
                self.failed = Some(detail);
                NewerNeed::Done
            }
        }
    }

    /// Rule 2: the next version tag to compare with the rolling tag, then rule 3.
    fn next_rolling(&mut self) -> NewerNeed {
        match self.rolling.pop() {
            Some(next) => NewerNeed::TagHead(next),
            None => self.read_in_use(),
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
        let position = match self.phase {
            Phase::Candidate(position) => position,
            Phase::InUse => {
                self.in_use_created = created;
                self.in_use_created_text = created_text;
                return self.next_candidate();
            }
            Phase::Rolling => {
                self.failed = Some("a config came while tags were compared".to_owned());
                return NewerNeed::Done;
            }
        };
        if let Some(config) = config {
            if !self.request.platform.runs(&config.platform()) {
                return self.unreadable(&format!("its image is for {}", config.platform()));
            }
        }
        match (created, self.in_use_created) {
            (Some(candidate), Some(in_use)) if candidate < in_use => {
                let reason = format!(
                    "its image (created {}) is older than the one in use (created {})",
                    created_text.as_deref().unwrap_or_default(),
                    self.in_use_created_text.as_deref().unwrap_or_default()
                );
                return self.unreadable(&reason);
            }
            (Some(_), Some(_)) => {}
            _ => {
                self.check.note = Some("the images' creation dates could not be compared".to_owned());
            }
        }
        let (tag, jump) = self.candidates[position].clone();
        let Some(digest) = self.image.clone() else {
            self.failed = Some(format!("the image of `{tag}` was never read"));
            return NewerNeed::Done;
        };
        self.check.newer = Some(NewerVersion {
            tag,
            digest,
            jump,
            created: created_text,
        });
        NewerNeed::Done
    }

    /// What is being read cannot be used: the image in use without a date, or a candidate skipped.
    fn unreadable(&mut self, reason: &str) -> NewerNeed {
        match self.phase {
            Phase::InUse => {
                self.in_use_created = None;
                self.in_use_created_text = None;
                self.next_candidate()
            }
            Phase::Candidate(position) => {
                let tag = self.candidates[position].0.clone();
                self.check.skipped.push((tag, reason.to_owned()));
                self.next_candidate()
            }
            Phase::Rolling => {
                self.failed = Some(format!("a manifest answer came while tags were compared: {reason}"));
                NewerNeed::Done
            }
        }
    }

    /// The next candidate to confirm, if any are left and the budget allows.
    fn next_candidate(&mut self) -> NewerNeed {
        self.image = None;
        if self.tried == MAX_CONFIRMATIONS || self.tried == self.candidates.len() {
            let left = self.candidates.len() - self.tried;
            if left > 0 {
                let tags = if left == 1 { "tag was" } else { "tags were" };
                self.check.note = Some(format!(
                    "{left} newer {tags} not confirmed: at most {MAX_CONFIRMATIONS} are tried"
                ));
            }
            return NewerNeed::Done;
        }
        let position = self.tried;
        self.tried += 1;
        self.phase = Phase::Candidate(position);
        NewerNeed::TagHead(self.candidates[position].0.clone())
    }
}

/// An RFC 3339 date-time as a time, `None` when it is not one.
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    oci_auth::internal::parse_rfc3339(text)
}

#[cfg(test)]
mod tests {
    //! The rules through the state machine alone, against a scripted repository.

    use std::collections::HashMap;

    use super::*;

    const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

    /// A repository: tags naming manifests, manifests and configs by digest.
    #[derive(Default)]
    struct Repo {
        tags: HashMap<String, Digest>,
        manifests: HashMap<Digest, oci_manifest::Manifest>,
        configs: HashMap<Digest, ImageConfig>,
    }

    impl Repo {
        /// An image for `platform` created at `created` (or undated), returned by digest.
        fn image(&mut self, platform: &str, created: Option<&str>) -> Digest {
            let platform: Platform = platform.parse().unwrap();
            let mut config = ImageConfig::new(&platform).with_label("n", self.manifests.len().to_string());
            if let Some(created) = created {
                config = config.with_created(created);
            }
            let config_bytes = serde_json::to_vec(&config).unwrap();
            let config_digest = Digest::sha256(&config_bytes);
            self.configs
                .insert(config_digest.clone(), ImageConfig::parse(&config_bytes).unwrap());
            let json = format!(
                r#"{{"schemaVersion":2,"mediaType":"{IMAGE}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
                config_bytes.len()
            );
            let manifest = oci_manifest::Manifest::parse(json.as_bytes(), Some(IMAGE)).unwrap();
            let digest = manifest.digest().clone();
            self.manifests.insert(digest.clone(), manifest);
            digest
        }

        /// An index of `(platform, image)`.
        fn index(&mut self, entries: &[(&str, &Digest)]) -> Digest {
            let manifests: Vec<String> = entries
                .iter()
                .map(|(platform, digest)| {
                    let (os, arch) = platform.split_once('/').unwrap();
                    format!(r#"{{"mediaType":"{IMAGE}","digest":"{digest}","size":1,"platform":{{"os":"{os}","architecture":"{arch}"}}}}"#)
                })
                .collect();
            let json = format!(
                r#"{{"schemaVersion":2,"mediaType":"{INDEX}","manifests":[{}]}}"#,
                manifests.join(",")
            );
            let manifest = oci_manifest::Manifest::parse(json.as_bytes(), Some(INDEX)).unwrap();
            let digest = manifest.digest().clone();
            self.manifests.insert(digest.clone(), manifest);
            digest
        }

        fn tag(&mut self, tag: &str, digest: &Digest) {
            self.tags.insert(tag.to_owned(), digest.clone());
        }

        /// Runs the search for `current` (with the digest in use) on `platform`: the answer and how many
        /// manifest and config requests it made.
        fn search(
            &self,
            current: &str,
            in_use: Option<&Digest>,
            platform: &str,
            policy: Policy,
        ) -> (NewerCheck, usize) {
            let reference = Reference::parse_normalized(&format!("registry.example/app:{current}")).unwrap();
            let request = NewerRequest::new(reference, in_use.cloned(), platform.parse().unwrap(), policy);
            let mut search = NewerSearch::new(&request).unwrap();
            let tags: Vec<String> = self.tags.keys().cloned().collect();
            let mut requests = 0;
            loop {
                let need = search.need().clone();
                if !matches!(need, NewerNeed::Tags | NewerNeed::Done) {
                    requests += 1;
                }
                let manifest_of = |digest: Option<&Digest>| digest.and_then(|d| self.manifests.get(d));
                match need {
                    NewerNeed::Tags => search.answer(NewerAnswer::Tags(&tags)),
                    NewerNeed::TagHead(tag) => match self.tags.get(&tag) {
                        Some(digest) => search.answer(NewerAnswer::Head(digest)),
                        None => search.answer(NewerAnswer::Missing),
                    },
                    NewerNeed::Manifest(digest) => match manifest_of(Some(&digest)) {
                        Some(manifest) => search.answer(NewerAnswer::Manifest(manifest)),
                        None => search.answer(NewerAnswer::Missing),
                    },
                    NewerNeed::Config(digest) => match self.configs.get(&digest) {
                        Some(config) => search.answer(NewerAnswer::Config(config)),
                        None => search.answer(NewerAnswer::Missing),
                    },
                    _ => return (search.finish().unwrap(), requests),
                }
                .unwrap();
            }
        }
    }

    fn newer(check: &NewerCheck) -> Option<(&str, Jump)> {
        check.newer().map(|newer| (newer.tag(), newer.jump()))
    }

    #[test]
    fn the_newest_confirmed_candidate_wins() {
        let mut repo = Repo::default();
        let old = repo.image("linux/amd64", Some("2024-01-01T00:00:00Z"));
        let new = repo.image("linux/amd64", Some("2024-06-01T00:00:00Z"));
        let newest = repo.image("linux/amd64", Some("2024-09-01T00:00:00Z"));
        repo.tag("1.27.3", &old);
        repo.tag("1.27.4", &new);
        repo.tag("1.28.0", &newest);
        repo.tag("1.28.0-alpine", &newest);
        repo.tag("latest", &newest);
        let (check, requests) = repo.search("1.27.3", Some(&old), "linux/amd64", Policy::new());
        assert_eq!(newer(&check), Some(("1.28.0", Jump::Minor)));
        assert_eq!(check.newer().unwrap().digest(), &newest);
        assert_eq!(check.newer().unwrap().created(), Some("2024-09-01T00:00:00Z"));
        assert_eq!(
            requests, 5,
            "the image in use (manifest, config), the newest candidate (HEAD, manifest, config)"
        );
        assert!(!check.is_rolling());

        let capped = Policy::new().with_max_jump(Jump::Patch);
        let (check, _) = repo.search("1.27.3", Some(&old), "linux/amd64", capped);
        assert_eq!(newer(&check), Some(("1.27.4", Jump::Patch)));
    }

    #[test]
    fn an_older_image_under_a_higher_number_is_skipped() {
        // The calver trap and the fat finger: a higher number whose image is older than the one in use.
        let mut repo = Repo::default();
        let in_use = repo.image("linux/amd64", Some("2024-05-01T00:00:00Z"));
        let calver = repo.image("linux/amd64", Some("2021-12-16T00:00:00Z"));
        let patch = repo.image("linux/amd64", Some("2024-06-01T00:00:00Z"));
        repo.tag("10.10.7", &in_use);
        repo.tag("2021.12.16", &calver);
        repo.tag("10.10.8", &patch);
        let (check, _) = repo.search("10.10.7", Some(&in_use), "linux/amd64", Policy::new());
        assert_eq!(newer(&check), Some(("10.10.8", Jump::Patch)));
        assert_eq!(check.skipped().len(), 1);
        assert_eq!(check.skipped()[0].0, "2021.12.16");
        assert!(
            check.skipped()[0].1.contains("older than the one in use"),
            "{:?}",
            check.skipped()
        );
    }

    #[test]
    fn a_newer_tag_without_the_platforms_image_is_skipped() {
        let mut repo = Repo::default();
        let amd_old = repo.image("linux/amd64", Some("2024-01-01T00:00:00Z"));
        let arm_old = repo.image("linux/arm64", Some("2024-01-01T00:00:00Z"));
        let amd_new = repo.image("linux/amd64", Some("2024-06-01T00:00:00Z"));
        let arm_mid = repo.image("linux/arm64", Some("2024-03-01T00:00:00Z"));
        let old = repo.index(&[("linux/amd64", &amd_old), ("linux/arm64", &arm_old)]);
        let staggered = repo.index(&[("linux/amd64", &amd_new)]);
        let both = repo.index(&[("linux/amd64", &amd_old), ("linux/arm64", &arm_mid)]);
        repo.tag("1.0.0", &old);
        repo.tag("1.2.0", &staggered);
        repo.tag("1.1.0", &both);
        let (check, _) = repo.search("1.0.0", Some(&old), "linux/amd64", Policy::new());
        assert_eq!(newer(&check), Some(("1.2.0", Jump::Minor)));
        assert_eq!(check.newer().unwrap().digest(), &amd_new);
        let (check, _) = repo.search("1.0.0", Some(&old), "linux/arm64", Policy::new());
        assert_eq!(newer(&check), Some(("1.1.0", Jump::Minor)));
        assert_eq!(check.skipped()[0].0, "1.2.0");
        assert!(
            check.skipped()[0].1.contains("no linux/arm64 image"),
            "{:?}",
            check.skipped()
        );
    }

    #[test]
    fn undated_images_hold_but_say_so_and_nothing_newer_is_none() {
        let mut repo = Repo::default();
        let in_use = repo.image("linux/amd64", None);
        let next = repo.image("linux/amd64", Some("2024-06-01T00:00:00Z"));
        repo.tag("2.5.0p13", &in_use);
        repo.tag("2.5.0p14", &next);
        let (check, _) = repo.search("2.5.0p13", Some(&in_use), "linux/amd64", Policy::new());
        assert_eq!(newer(&check), Some(("2.5.0p14", Jump::Build)));
        assert_eq!(check.note(), Some("the images' creation dates could not be compared"));
        let (check, requests) = repo.search("2.5.0p14", None, "linux/amd64", Policy::new());
        assert_eq!((check.newer(), requests), (None, 0));
    }

    #[test]
    fn at_most_three_candidates_are_confirmed() {
        let mut repo = Repo::default();
        let in_use = repo.image("linux/amd64", Some("2024-05-01T00:00:00Z"));
        let older = repo.image("linux/amd64", Some("2020-01-01T00:00:00Z"));
        repo.tag("1.0.0", &in_use);
        for minor in 1..=5 {
            repo.tag(&format!("1.{minor}.0"), &older);
        }
        let (check, requests) = repo.search("1.0.0", Some(&in_use), "linux/amd64", Policy::new());
        assert_eq!(check.newer(), None);
        assert_eq!(check.skipped().len(), MAX_CONFIRMATIONS);
        assert_eq!(requests, 2 + 3 * MAX_CONFIRMATIONS);
        assert!(check.note().unwrap().contains("not confirmed"), "{:?}", check.note());
    }

    #[test]
    fn a_rolling_tag_names_the_versions_with_its_digest() {
        let mut repo = Repo::default();
        let new = repo.image("linux/amd64", None);
        let old = repo.image("linux/amd64", None);
        repo.tag("latest", &new);
        repo.tag("1.27.3", &new);
        repo.tag("1.27", &new);
        repo.tag("1.27.2", &old);
        repo.tag("1.27.3-alpine", &old);
        let (check, requests) = repo.search("latest", None, "linux/amd64", Policy::new());
        assert!(check.is_rolling());
        let mut same = check.same_as().to_vec();
        same.sort();
        assert_eq!(same, ["1.27", "1.27.3"]);
        assert_eq!(check.newer(), None);
        assert!(requests <= 1 + 3 * ROLLING_PER_SHAPE, "{requests} HEADs");
        let (check, _) = repo.search("1.27", None, "linux/amd64", Policy::new());
        assert!(check.is_rolling());
        assert_eq!(check.same_as(), ["1.27.3"]);
    }

    #[test]
    fn answers_that_do_not_fit_leave_the_search_failed() {
        let reference = Reference::parse_normalized("registry.example/app:1.0").unwrap();
        let request = NewerRequest::new(reference, None, Platform::host(), Policy::new());
        let mut search = NewerSearch::new(&request).unwrap();
        assert_eq!(
            search.answer(NewerAnswer::Missing).unwrap_err().kind(),
            ErrorKind::Protocol
        );
        // Every later answer is refused, even one that would fit, and the search never finishes.
        let tags = ["1.0".to_owned()];
        assert!(search.answer(NewerAnswer::Tags(&tags)).is_err());
        assert_eq!(search.finish().unwrap_err().kind(), ErrorKind::Protocol);
        let search = NewerSearch::new(&request).unwrap();
        assert_eq!(search.finish().unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_manifest_where_a_tags_digest_was_needed_fails_the_search() {
        let mut repo = Repo::default();
        let in_use = repo.image("linux/amd64", Some("2024-01-01T00:00:00Z"));
        let reference = Reference::parse_normalized("registry.example/app:1.0.0").unwrap();
        let request = NewerRequest::new(
            reference,
            Some(in_use.clone()),
            "linux/amd64".parse().unwrap(),
            Policy::new(),
        );
        let mut search = NewerSearch::new(&request).unwrap();
        let tags = ["1.0.0".to_owned(), "1.1.0".to_owned()];
        assert_eq!(
            search.answer(NewerAnswer::Tags(&tags)).unwrap(),
            &NewerNeed::Manifest(in_use.clone())
        );
        search.answer(NewerAnswer::Manifest(&repo.manifests[&in_use])).unwrap();
        let config = repo.configs.values().next().unwrap().clone();
        assert_eq!(
            search.answer(NewerAnswer::Config(&config)).unwrap(),
            &NewerNeed::TagHead("1.1.0".to_owned())
        );
        // The candidate's digest was asked for; a manifest is not an answer to that.
        assert!(search.answer(NewerAnswer::Manifest(&repo.manifests[&in_use])).is_err());
        assert_eq!(search.finish().unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn a_rolling_tag_also_moves_within_its_own_shape() {
        let mut repo = Repo::default();
        let old = repo.image("linux/amd64", Some("2024-01-01T00:00:00Z"));
        let new = repo.image("linux/amd64", Some("2024-06-01T00:00:00Z"));
        let newest = repo.image("linux/amd64", Some("2024-09-01T00:00:00Z"));
        let older = repo.image("linux/amd64", Some("2023-12-01T00:00:00Z"));
        repo.tag("1.26", &old);
        repo.tag("1.26.4", &old);
        repo.tag("1.26.3", &older);
        repo.tag("1.27", &new);
        repo.tag("1.27.1", &new);
        repo.tag("1.28.0", &newest);
        let (check, _) = repo.search("1.26", None, "linux/amd64", Policy::new());
        assert!(check.is_rolling());
        assert_eq!(check.same_as(), ["1.26.4"]);
        assert_eq!(
            newer(&check),
            Some(("1.27", Jump::Minor)),
            "never 1.28.0: another shape"
        );
        assert_eq!(check.newer().unwrap().digest(), &new);
        // A cap keeps the rolling tag where it is.
        let (check, _) = repo.search("1.26", None, "linux/amd64", Policy::new().with_max_jump(Jump::Patch));
        assert_eq!(check.newer(), None);
        assert_eq!(check.same_as(), ["1.26.4"]);
    }

    #[test]
    fn a_rolling_tag_is_compared_with_a_bounded_number_of_tags() {
        let mut repo = Repo::default();
        let image = repo.image("linux/amd64", None);
        repo.tag("latest", &image);
        // 100 shapes of three versions each: 300 version tags.
        for shape in 0..100 {
            for patch in 0..3 {
                repo.tag(&format!("1.0.{patch}-v{}", "x".repeat(shape + 1)), &image);
            }
        }
        let (check, requests) = repo.search("latest", None, "linux/amd64", Policy::new());
        assert!(requests <= 1 + MAX_ROLLING_HEADS, "{requests} HEADs");
        assert_eq!(check.same_as().len(), MAX_ROLLING_HEADS);
        assert!(
            check.note().unwrap().contains("were not compared"),
            "{:?}",
            check.note()
        );
    }
}
