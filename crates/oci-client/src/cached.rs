//! Lookups through the cache and the pull budget: every manifest `GET` of the client passes here
//! ([`Client::manifest_until`]), as do the image configs and tag lists of the newer-version search.
//!
//! A manifest by digest is read from the cache first (verified against the digest, dropped when it fails), and
//! fetched only when missing; a fetch is allowed by the [`Ledger`](crate::budget::Ledger) (and a shared budget)
//! first, and what it brings is stored by its digest. A tag is never looked up in the cache: what a tag names now is
//! the question every check asks the registry.

use bytes::Bytes;
use oci_digest::{Digest, Verifier};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::budget::PullStats;
use crate::cache::CacheKey;
use crate::client::{Client, Manifest};
use crate::error::{Error, ErrorKind};
use crate::location::{ManifestLocation, Repository};
use crate::ratelimit::RateLimit;

/// A cached tag list.
#[derive(Serialize, Deserialize)]
struct TagList {
    tags: Vec<String>,
}

impl Client {
    /// The manifest at `location`: from the cache when the location is a digest the cache holds, else by a `GET`
    /// that the pull budget allows (else [`ErrorKind::PullBudget`]); what is fetched is cached by its digest.
    pub(crate) async fn manifest_until(
        &self,
        location: &ManifestLocation,
        deadline: Instant,
    ) -> Result<Manifest, Error> {
        if let Some(digest) = location.digest() {
            if let Some(manifest) = self.cached_manifest(digest).await {
                return Ok(manifest);
            }
        }
        let repository = location.repository();
        let taken_from = self.take_pull(repository).await?;
        let fetched = self.manifest_from_registry(location, deadline).await;
        match &fetched {
            Ok(manifest) => {
                self.observe(repository.registry(), manifest.rate_limit()).await;
                self.store_manifest(manifest).await;
            }
            Err(err) if err.kind() == ErrorKind::TooManyRequests => {
                self.ledger().refused_pull(&taken_from);
                self.observe(repository.registry(), err.rate_limit()).await;
                let source = self.ledger().source_of(repository.registry());
                self.ledger()
                    .refuse(&source, &format!("{source} answered 429 (too many requests)"));
            }
            Err(_) => {}
        }
        fetched
    }

    /// What the client spent so far: `HEAD`s, `GET`s, cache hits, and each rate-limit source's budget.
    pub fn pull_stats(&self) -> PullStats {
        self.ledger().stats()
    }

    /// Learns from a rate limit `registry` announced, and tells a shared budget when the count went down.
    pub(crate) async fn observe(&self, registry: &str, rate_limit: Option<&RateLimit>) {
        let Some(told) = self.ledger().observe(registry, rate_limit) else {
            return;
        };
        if let Some(cache) = &self.config().cache {
            cache.announce(&told.source, told.remaining, told.window).await;
        }
    }

    /// Takes one pull for a manifest `GET` from `repository`'s registry and says from which source, or fails with
    /// [`ErrorKind::PullBudget`].
    async fn take_pull(&self, repository: &Repository) -> Result<String, Error> {
        let withheld = |reason: &str| {
            Error::new(ErrorKind::PullBudget)
                .with_registry(repository.registry())
                .with_repository(Some(repository.name()))
                .with_detail(reason)
        };
        let source = self
            .ledger()
            .take(repository.registry())
            .map_err(|reason| withheld(&reason))?;
        let Some(cache) = &self.config().cache else {
            return Ok(source);
        };
        let reserve = self.ledger().budget().reserved();
        if cache.take(&source, reserve).await == Some(false) {
            self.ledger().give_back(&source);
            let reason =
                format!("the pulls {source} has left, shared with other hosts, are down to the reserve of {reserve}");
            self.ledger().refuse(&source, &reason);
            return Err(withheld(&reason));
        }
        Ok(source)
    }

    /// A verified manifest from the cache; a corrupt entry is dropped.
    async fn cached_manifest(&self, digest: &Digest) -> Option<Manifest> {
        let cache = self.config().cache.as_ref()?;
        let key = CacheKey::Manifest(digest.clone());
        let entry = cache.get(&key).await?;
        match decode_manifest(digest, &entry, self.config().manifest_size_limit) {
            Some((media_type, bytes)) => {
                self.ledger().count_cache_hit();
                Some(Manifest::cached(digest.clone(), media_type, bytes))
            }
            None => {
                cache.drop_corrupt(&key).await;
                None
            }
        }
    }

    async fn store_manifest(&self, manifest: &Manifest) {
        let Some(cache) = &self.config().cache else {
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

    /// The blob `digest` of `repository` (an image config), at most `limit` bytes: from the cache when it holds it
    /// (verified), else fetched and cached. Blob `GET`s are not pulls.
    pub(crate) async fn config_blob(
        &self,
        repository: &Repository,
        digest: &Digest,
        limit: u64,
    ) -> Result<Bytes, Error> {
        let key = CacheKey::Blob(digest.clone());
        let cache = self.config().cache.as_ref();
        if let Some(cache) = cache {
            if let Some(entry) = cache.get(&key).await {
                if entry.len() as u64 <= limit && verifies(digest, &entry) {
                    self.ledger().count_cache_hit();
                    return Ok(Bytes::from(entry));
                }
                cache.drop_corrupt(&key).await;
            }
        }
        let bytes = self.blob(repository, digest).await?.bytes(limit).await?;
        if let Some(cache) = cache {
            cache.put(&key, &bytes, None).await;
        }
        Ok(bytes)
    }

    /// The tags of `repository`, from the cache when listed less than [`tags_max_age`](crate::ClientConfig::tags_max_age)
    /// ago.
    pub(crate) async fn tags_cached(&self, repository: &Repository) -> Result<Vec<String>, Error> {
        let max_age = self.config().tags_max_age;
        let cache = self.config().cache.as_ref().filter(|_| !max_age.is_zero());
        let key = CacheKey::Tags {
            registry: repository.registry().to_owned(),
            repository: repository.name().to_owned(),
        };
        if let Some(cache) = cache {
            if let Some(entry) = cache.get(&key).await {
                match serde_json::from_slice::<TagList>(&entry) {
                    // A list past the cap could not have come from `Client::tags`: corrupt.
                    Ok(list) if list.tags.len() <= crate::tags::MAX_TAGS => {
                        self.ledger().count_cache_hit();
                        return Ok(list.tags);
                    }
                    _ => cache.drop_corrupt(&key).await,
                }
            }
        }
        let tags = self.tags(repository).await?;
        if let Some(cache) = cache {
            let list = TagList { tags };
            if let Ok(entry) = serde_json::to_vec(&list) {
                cache.put(&key, &entry, Some(max_age)).await;
            }
            return Ok(list.tags);
        }
        Ok(tags)
    }
}

/// Whether `bytes` are the content of `digest`.
fn verifies(digest: &Digest, bytes: &[u8]) -> bool {
    let mut verifier = Verifier::new(digest.clone());
    verifier.update(bytes);
    verifier.finish().is_ok()
}

/// A cached manifest entry (`media type`, newline, bytes) whose bytes are `digest`'s and within `limit`.
pub fn decode_manifest(digest: &Digest, entry: &[u8], limit: u64) -> Option<(Option<String>, Bytes)> {
    let newline = entry.iter().position(|&b| b == b'\n')?;
    let (media_type, bytes) = (&entry[..newline], &entry[newline + 1..]);
    let media_type = std::str::from_utf8(media_type).ok()?;
    if bytes.len() as u64 > limit || !verifies(digest, bytes) {
        return None;
    }
    let media_type = (!media_type.is_empty()).then(|| media_type.to_owned());
    Some((media_type, Bytes::copy_from_slice(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_manifest_is_used_only_when_its_bytes_are_the_digests() {
        let bytes = br#"{"schemaVersion":2}"#;
        let digest = Digest::sha256(bytes);
        let mut entry = b"application/vnd.oci.image.index.v1+json\n".to_vec();
        entry.extend_from_slice(bytes);
        let (media_type, read) = decode_manifest(&digest, &entry, 1024).unwrap();
        assert_eq!(media_type.as_deref(), Some("application/vnd.oci.image.index.v1+json"));
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
}
