//! The answer for one image: is there a newer digest behind its tag than the one in use?

use oci_client::Client;
use oci_digest::Digest;
use oci_manifest::Platform;

use super::input::Target;
use crate::failure::Failure;
use crate::resolve;

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

/// Checks one image.
///
/// The rules (DESIGN.md, "Multi-arch"): `HEAD` the tag; the digest in use equal to the tag's is up to date (one
/// request). When the tag is an index, its child for the platform decides: the digest in use equal to it is up to
/// date; an old index whose child for the platform is the same image is up to date although the index changed;
/// an old digest the registry no longer has is reported as an update, unverified.
pub(crate) async fn check(client: &Client, target: &Target, platform: &Platform) -> Result<Verdict, Failure> {
    let image = target.reference.familiar();
    let location = resolve::location(&target.reference)?;
    let head = client
        .manifest_digest(&location)
        .await
        .map_err(|err| Failure::from_client(&image, &err))?;
    let latest = head.digest().clone();
    let media_type = head.media_type().unwrap_or_default().to_owned();
    let mut verdict = Verdict {
        status: Status::UpToDate,
        current: target.current.clone(),
        latest: latest.clone(),
        platform_digest: None,
        media_type,
        index_changed: None,
        platform_changed: None,
        verified: true,
        note: None,
        rate_limit: None,
    };
    let is_index = oci_manifest::ManifestKind::from_media_type(&verdict.media_type).is_some_and(|kind| {
        matches!(
            kind,
            oci_manifest::ManifestKind::OciIndex | oci_manifest::ManifestKind::DockerManifestList
        )
    });
    if target.current.as_ref() == Some(&latest) {
        verdict.index_changed = is_index.then_some(false);
        verdict.platform_changed = Some(false);
        return Ok(verdict);
    }
    let repository = location.repository();
    let child = if is_index {
        let index = resolve::fetch(client, &image, &repository.digest(latest.clone())).await?;
        let child = resolve::select(&image, &index.parsed, platform)?;
        verdict.platform_digest = Some(child.clone());
        Some(child)
    } else {
        None
    };
    let Some(current) = &target.current else {
        verdict.status = Status::NoDigest;
        verdict.note = Some("no digest given: pin the latest digest".to_owned());
        return Ok(verdict);
    };
    let Some(child) = child else {
        verdict.status = Status::UpdateAvailable;
        verdict.platform_changed = Some(true);
        return Ok(verdict);
    };
    if *current == child {
        verdict.platform_changed = Some(false);
        verdict.note = Some(format!("pinned to the {platform} image, which the tag still names"));
        return Ok(verdict);
    }
    verdict.status = Status::UpdateAvailable;
    match resolve::fetch(client, &image, &repository.digest(current.clone())).await {
        Ok(old) if old.parsed.as_index().is_some() => {
            verdict.index_changed = Some(true);
            match resolve::select(&image, &old.parsed, platform) {
                Ok(old_child) if old_child == child => {
                    verdict.status = Status::UpToDate;
                    verdict.platform_changed = Some(false);
                    verdict.note = Some(format!("the index changed, the {platform} image did not"));
                }
                Ok(_) => verdict.platform_changed = Some(true),
                Err(_) => {
                    verdict.platform_changed = Some(true);
                    verdict.note = Some(format!("the old index had no {platform} image"));
                }
            }
        }
        Ok(_) => verdict.platform_changed = Some(true),
        Err(failure) if failure.kind() == "not_found" => {
            verdict.verified = false;
            verdict.note = Some("the registry no longer has the digest in use: unverified".to_owned());
        }
        Err(failure) => return Err(failure),
    }
    Ok(verdict)
}
