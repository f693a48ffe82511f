//! The answer for one image: is there a newer digest behind its tag than the one in use?

use oci_client::{Client, UpdateRequest, UpdateStatus};
use oci_digest::Digest;
use oci_manifest::Platform;

use super::input::Target;
use crate::failure::Failure;

/// The verdict on one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The digest in use is the tag's, or the tag's image for the platform.
    UpToDate,
    /// The tag now names another image for the platform.
    UpdateAvailable,
    /// No digest was given: the tag's current digests are reported (to pin them).
    NoDigest,
}

impl Status {
    /// The `status` of `--json`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::UpToDate => "up_to_date",
            Self::UpdateAvailable => "update_available",
            Self::NoDigest => "no_digest",
        }
    }
}

/// A rate limit the registry announced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct RateLimit {
    pub(crate) limit: Option<u64>,
    pub(crate) remaining: Option<u64>,
    /// The window in seconds.
    pub(crate) window: Option<u64>,
    pub(crate) source: Option<String>,
}

impl From<&oci_client::RateLimit> for RateLimit {
    fn from(limit: &oci_client::RateLimit) -> Self {
        Self {
            limit: limit.limit(),
            remaining: limit.remaining(),
            window: limit.window().map(|window| window.as_secs()),
            source: limit.source().map(str::to_owned),
        }
    }
}

/// What was found for one image.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub(crate) status: Status,
    pub(crate) current: Option<Digest>,
    pub(crate) latest: Digest,
    pub(crate) platform_digest: Option<Digest>,
    pub(crate) media_type: String,
    pub(crate) index_changed: Option<bool>,
    pub(crate) platform_changed: Option<bool>,
    pub(crate) verified: bool,
    pub(crate) note: Option<String>,
    pub(crate) rate_limit: Option<RateLimit>,
}

/// Checks one image with [`Client::check_for_update`].
///
/// The rules (DESIGN.md, "Multi-arch"): `HEAD` the tag; the digest in use equal to the tag's is up to date (one
/// request). When the tag is an index, its image for the platform decides: the digest in use equal to it is up to
/// date; an old index whose image for the platform is the same is up to date although the index changed; an old
/// digest the registry no longer has is reported as an update, unverified.
pub(crate) async fn check(client: &Client, target: &Target, platform: &Platform) -> Result<Verdict, Failure> {
    let request = UpdateRequest::new(target.reference.clone(), target.current.clone(), platform.clone());
    let check = client
        .check_for_update(&request)
        .await
        .map_err(|err| Failure::from_client(&target.reference.familiar(), &err))?;
    let status = match check.status() {
        UpdateStatus::UpToDate => Status::UpToDate,
        UpdateStatus::Unpinned => Status::NoDigest,
        _ => Status::UpdateAvailable,
    };
    let note = match (status, check.note()) {
        (_, Some(note)) => Some(note.to_owned()),
        (Status::NoDigest, None) => Some("no digest given: pin the latest digest".to_owned()),
        _ => None,
    };
    Ok(Verdict {
        status,
        current: check.current_digest().cloned(),
        latest: check.latest_digest().clone(),
        platform_digest: check.platform_digest().cloned(),
        media_type: check.media_type().to_owned(),
        index_changed: check.index_changed(),
        platform_changed: check.platform_changed(),
        verified: check.verified(),
        note,
        rate_limit: check.rate_limit().map(RateLimit::from),
    })
}
