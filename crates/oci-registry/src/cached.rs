//! Lookups through the cache and the pull budget: every manifest `GET` of the client passes here ([`manifest`]), as
//! do the image configs and tag lists of the newer-version search. The layer over [`wire`](crate::wire) and under
//! the fetch step ([`fetch`](crate::fetch)), which counts what each lookup cost.
//!
//! A manifest by digest is read from the cache first (verified against the digest and its media type, dropped when
//! it fails), and fetched only when missing; a fetch is allowed by the [`Ledger`](crate::budget::Ledger) (and a
//! shared budget) first, and what it brings is stored by its digest. A tag is never looked up in the cache: what a
//! tag names now is the question every check asks the registry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use oci_digest::{Digest, Verifier};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::cache::CacheKey;
use crate::client::{Core, RawManifest};
use crate::error::{Error, ErrorKind};
use crate::location::{ManifestLocation, Repository};
use crate::ratelimit::RateLimit;

/// A cached tag list, with when it was listed: its age is judged by the reader's `tags_max_age`, never by an
/// expiry the entry carries (a forged entry could carry any).
#[derive(Serialize, Deserialize)]
struct TagList {
    /// Seconds since the Unix epoch.
    listed_at: u64,
    tags: Vec<String>,
}

/// How far in the future a tag list's `listed_at` may be (clocks of hosts sharing a cache differ a little); past it
/// the entry is forged or corrupt.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The manifest at `location`: from the cache when the location is a digest the cache holds, else by a `GET` that
/// the pull budget allows (else [`ErrorKind::PullBudget`]); what is fetched is cached by its digest.
pub(crate) async fn manifest(
    core: &Core,
    location: &ManifestLocation,
    deadline: Instant,
) -> Result<RawManifest, Error> {
    if let Some(digest) = location.digest() {
        if let Some(manifest) = cached_manifest(core, digest).await {
            return Ok(manifest);
        }
    }
    let repository = location.repository();
    let taken_from = take_pull(core, repository, deadline).await?;
    let fetched = crate::wire::manifest_get(core, location, deadline).await;
    core.ledger().sent_pull(&taken_from);
    match &fetched {
        Ok(manifest) => {
            observe(core, repository.registry(), manifest.rate_limit()).await;
            store_manifest(core, manifest).await;
        }
        Err(err) if err.kind() == ErrorKind::TooManyRequests => {
            core.ledger().refused_pull(&taken_from);
            observe(core, repository.registry(), err.rate_limit()).await;
            let source = core.ledger().source_of(repository.registry());
            core.ledger()
                .refuse(&source, &format!("{source} answered 429 (too many requests)"));
        }
        Err(_) => {}
    }
    fetched
}

/// Learns from a rate limit `registry` announced, and tells a shared budget when the count went down.
pub(crate) async fn observe(core: &Core, registry: &str, rate_limit: Option<&RateLimit>) {
    let Some(told) = core.ledger().observe(registry, rate_limit) else {
        return;
    };
    if let Some(cache) = &core.config().cache {
        cache.announce(&told.source, told.remaining, told.window).await;
    }
}

/// Takes one pull for a manifest `GET` from `repository`'s registry and says from which source, or fails with
/// [`ErrorKind::PullBudget`].
async fn take_pull(core: &Core, repository: &Repository, deadline: Instant) -> Result<String, Error> {
    let withheld = |reason: &str| {
        Error::new(ErrorKind::PullBudget)
            .with_registry(repository.registry())
            .with_repository(Some(repository.name()))
            .with_detail(reason)
    };
    let source = core
        .ledger()
        .take(repository.registry(), deadline)
        .await
        .map_err(|reason| withheld(&reason))?;
    let Some(cache) = &core.config().cache else {
        return Ok(source);
    };
    let reserve = core.ledger().budget().reserved();
    if cache.take(&source, reserve).await == Some(false) {
        core.ledger().give_back(&source);
        let reason =
            format!("the pulls {source} has left, shared with other hosts, are down to the reserve of {reserve}");
        core.ledger().refuse(&source, &reason);
        return Err(withheld(&reason));
    }
    Ok(source)
}

/// A verified manifest from the cache; a corrupt entry is dropped.
async fn cached_manifest(core: &Core, digest: &Digest) -> Option<RawManifest> {
    let cache = core.config().cache.as_ref()?;
    let key = CacheKey::Manifest(digest.clone());
    let entry = cache.get(&key).await?;
    match decode_manifest(digest, &entry, core.config().manifest_size_limit) {
        Some((media_type, bytes)) => Some(RawManifest::cached(digest.clone(), media_type, bytes)),
        None => {
            cache.drop_corrupt(&key).await;
            None
        }
    }
}

async fn store_manifest(core: &Core, manifest: &RawManifest) {
    let Some(cache) = &core.config().cache else {
        return;
    };
    let media_type = manifest.media_type().unwrap_or_default();
    let mut entry = Vec::with_capacity(media_type.len() + 1 + manifest.bytes().len());
    entry.extend_from_slice(media_type.as_bytes());
    entry.push(b'\n');
    entry.extend_from_slice(manifest.bytes());
    cache
        .put(&CacheKey::Manifest(manifest.digest().clone()), &entry, None)
        .await;
}

/// The blob `digest` of `repository` (an image config), at most `limit` bytes, and whether it came from the cache:
/// from the cache when it holds it (verified), else fetched and cached. Blob `GET`s are not pulls.
pub(crate) async fn config_blob(
    core: &Core,
    repository: &Repository,
    digest: &Digest,
    limit: u64,
) -> Result<(Bytes, bool), Error> {
    let key = CacheKey::Blob(digest.clone());
    let cache = core.config().cache.as_ref();
    if let Some(cache) = cache {
        if let Some(entry) = cache.get(&key).await {
            if entry.len() as u64 <= limit && verifies(digest, &entry) {
                return Ok((Bytes::from(entry), true));
            }
            cache.drop_corrupt(&key).await;
        }
    }
    let bytes = crate::blob::blob(core, repository, digest).await?.bytes(limit).await?;
    if let Some(cache) = cache {
        cache.put(&key, &bytes, None).await;
    }
    Ok((bytes, false))
}

/// The tags of `repository` and whether they came from the cache: from the cache when listed less than
/// [`tags_max_age`](crate::ClientConfig::tags_max_age) ago by the entry's own `listed_at` (an entry listed in the
/// future, or past the cap of tags, is corrupt), else every page within `deadline`.
pub(crate) async fn tags(
    core: &Core,
    repository: &Repository,
    deadline: Instant,
) -> Result<(Vec<String>, bool), Error> {
    let max_age = core.config().tags_max_age;
    let cache = core.config().cache.as_ref().filter(|_| !max_age.is_zero());
    let key = CacheKey::Tags {
        registry: repository.registry().to_owned(),
        repository: repository.name().to_owned(),
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    if let Some(cache) = cache {
        if let Some(entry) = cache.get(&key).await {
            match decode_tags(&entry, now, max_age) {
                TagsEntry::Fresh(tags) => return Ok((tags, true)),
                TagsEntry::Stale => {}
                TagsEntry::Corrupt => cache.drop_corrupt(&key).await,
            }
        }
    }
    let mut tags = Vec::new();
    crate::tags::tags_each(core, repository, Some(deadline), |page| tags.extend(page)).await?;
    if let Some(cache) = cache {
        let list = TagList {
            listed_at: now.as_secs(),
            tags,
        };
        if let Ok(entry) = serde_json::to_vec(&list) {
            cache.put(&key, &entry, Some(max_age)).await;
        }
        return Ok((list.tags, false));
    }
    Ok((tags, false))
}

/// What a cached tag list entry is worth to a reader whose clock says `now` and who takes lists up to `max_age` old.
#[derive(Debug, PartialEq, Eq)]
pub enum TagsEntry {
    /// Young enough: these tags.
    Fresh(Vec<String>),
    /// A real list, too old for this reader.
    Stale,
    /// Not a list this client wrote: not JSON, listed in the future, or past the cap of tags.
    Corrupt,
}

/// Judges a cached tag list entry by the reader's rule (see [`TagsEntry`]).
pub fn decode_tags(entry: &[u8], now: Duration, max_age: Duration) -> TagsEntry {
    let Ok(list) = serde_json::from_slice::<TagList>(entry) else {
        return TagsEntry::Corrupt;
    };
    // A list past the cap could not have come from the tag listing; one listed in the future was forged.
    if list.tags.len() > crate::tags::MAX_TAGS || list.listed_at > (now + CLOCK_SKEW).as_secs() {
        return TagsEntry::Corrupt;
    }
    if now.as_secs().saturating_sub(list.listed_at) > max_age.as_secs() {
        return TagsEntry::Stale;
    }
    TagsEntry::Fresh(list.tags)
}

/// Whether `bytes` are the content of `digest`.
fn verifies(digest: &Digest, bytes: &[u8]) -> bool {
    let mut verifier = Verifier::new(digest.clone());
    verifier.update(bytes);
    verifier.finish().is_ok()
}

/// A cached manifest entry (`media type`, newline, bytes) whose bytes are `digest`'s, within `limit`, and a manifest
/// of the media type the entry names (a forged media type line would fail every check that reads the entry, and
/// blame the registry).
pub fn decode_manifest(digest: &Digest, entry: &[u8], limit: u64) -> Option<(Option<String>, Bytes)> {
    let newline = entry.iter().position(|&b| b == b'\n')?;
    let (media_type, bytes) = (&entry[..newline], &entry[newline + 1..]);
    let media_type = std::str::from_utf8(media_type).ok()?;
    if bytes.len() as u64 > limit || !verifies(digest, bytes) {
        return None;
    }
    let media_type = (!media_type.is_empty()).then(|| media_type.to_owned());
    oci_manifest::Manifest::parse(bytes, media_type.as_deref()).ok()?;
    Some((media_type, Bytes::copy_from_slice(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

    #[test]
    fn a_cached_manifest_is_used_only_when_its_bytes_are_the_digests() {
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let digest = Digest::sha256(bytes);
        let mut entry = format!("{INDEX}\n").into_bytes();
        entry.extend_from_slice(bytes);
        let (media_type, read) = decode_manifest(&digest, &entry, 1024).unwrap();
        assert_eq!(media_type.as_deref(), Some(INDEX));
        assert_eq!(&read[..], bytes);
        assert!(
            decode_manifest(&digest, &entry[..entry.len() - 1], 1024).is_none(),
            "truncated"
        );
        assert!(decode_manifest(&digest, &entry, 4).is_none(), "past the size limit");
        assert!(decode_manifest(&digest, bytes, 1024).is_none(), "no media type line");
        let mut flipped = entry.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(decode_manifest(&digest, &flipped, 1024).is_none(), "one bit flipped");
        let mut untyped = b"\n".to_vec();
        untyped.extend_from_slice(bytes);
        assert_eq!(decode_manifest(&digest, &untyped, 1024).unwrap().0, None);
    }

    #[test]
    fn a_forged_media_type_line_makes_the_entry_corrupt() {
        let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let digest = Digest::sha256(bytes);
        for forged in [
            IMAGE,
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.v1+json",
        ] {
            let mut entry = format!("{forged}\n").into_bytes();
            entry.extend_from_slice(bytes);
            assert_eq!(decode_manifest(&digest, &entry, 1024), None, "{forged}");
        }
    }

    #[test]
    fn a_cached_tag_list_is_judged_by_the_readers_age_rule() {
        let minute = Duration::from_secs(60);
        let now = Duration::from_secs(1_800_000_000);
        let entry = |listed_at: u64, tags: &[&str]| {
            serde_json::to_vec(&serde_json::json!({ "listed_at": listed_at, "tags": tags })).unwrap()
        };
        let fresh = entry(now.as_secs() - 30, &["1.0"]);
        assert_eq!(
            decode_tags(&fresh, now, 5 * minute),
            TagsEntry::Fresh(vec!["1.0".to_owned()])
        );
        assert_eq!(decode_tags(&fresh, now, Duration::from_secs(10)), TagsEntry::Stale);
        let old = entry(now.as_secs() - 3600, &["1.0"]);
        assert_eq!(decode_tags(&old, now, 5 * minute), TagsEntry::Stale);
        // Listed in the year 5138: forged, whatever expiry the store gave it.
        let forged = entry(99_999_999_999, &["1.0"]);
        assert_eq!(decode_tags(&forged, now, 5 * minute), TagsEntry::Corrupt);
        assert_eq!(
            decode_tags(b"{\"tags\":[]}", now, 5 * minute),
            TagsEntry::Corrupt,
            "no date"
        );
        assert_eq!(decode_tags(b"not json", now, 5 * minute), TagsEntry::Corrupt);
    }
}
