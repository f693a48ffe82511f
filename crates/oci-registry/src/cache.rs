//! What the client remembers between runs: a [`Cache`] of content-addressed entries (manifests and image configs by
//! digest, which never change) and of tag lists with a time to live, and optionally a [`SharedBudget`] of pulls that
//! several hosts spend together.
//!
//! A backend is a dumb store of bytes under a [`CacheKey`]: the client verifies every entry it reads (a manifest or
//! config against its digest, a tag list as JSON) and removes one that fails, so a corrupt, truncated or tampered
//! entry costs a fetch, never a wrong answer. The answer a verdict rests on, the tag's digest now, is never read
//! from a cache: every check still makes its `HEAD`.
//!
//! A backend that fails is never a failed check: the client logs a warning once, and goes on without it.
//!
//! Backends here: [`FsCache`] (a directory, the default of `oci-check`), and `RedisCache` with the `redis` feature
//! (a Redis server shared by a fleet, also holding the shared pull budget).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use oci_digest::Digest;

pub(crate) mod fs;
pub(crate) mod resp;

pub use fs::FsCache;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::RedisCache;

/// What a [`Cache`] operation returns.
pub type CacheResult<T> = Result<T, CacheError>;

/// The future of a [`Cache`] or [`SharedBudget`] operation.
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = CacheResult<T>> + Send + 'a>>;

/// A cache backend failed: it could not be read or written, or is unreachable.
#[derive(Debug)]
pub struct CacheError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The name of an entry.
///
/// Manifests and blobs are named by digest alone, whatever registry or repository served them: the same digest is
/// the same bytes (verified on every read), so an entry fetched from one repository answers for another, and an
/// entry stays useful after the registry deleted the manifest.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// A manifest or index, stored as its media type, a newline, and its exact bytes.
    Manifest(Digest),
    /// A blob (an image config), stored as its exact bytes.
    Blob(Digest),
    /// A repository's tag list, stored as JSON, with a time to live.
    Tags {
        /// The registry's API host (`registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`).
        registry: String,
        /// The repository (`library/nginx`).
        repository: String,
    },
}

/// The largest entry a backend hands back: a bigger one (the client's manifests and configs are far smaller) is
/// treated as corrupt and removed, so a poisoned shared store cannot make the client read without bound.
pub const MAX_ENTRY: u64 = 64 * 1024 * 1024;

/// The kinds of entries, as [`CacheKey::kind`] names them.
pub const KINDS: [&str; 3] = ["manifest", "blob", "tags"];

/// What a cache holds, from [`Cache::info`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheInfo {
    /// Where the cache is (a directory, a Redis URL without its password).
    pub location: String,
    /// Per kind of entry ([`KINDS`]): how many entries and how many bytes.
    pub entries: BTreeMap<String, (u64, u64)>,
    /// The size the cache is kept under, when it has one.
    pub max_size: Option<u64>,
}

/// What [`Cache::prune`] or [`Cache::clear`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Entries removed.
    pub entries: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// A store of entries, shared by every clone of the [`Client`](crate::Client) it is given to (and, for a directory
/// or a Redis server, by other processes and hosts).
///
/// The contract, which the client relies on and verifies where it can:
/// - `get` returns the bytes last `put` under the key, or `None`; never the bytes of another key, nor more than
///   [`MAX_ENTRY`] bytes. Bytes may be corrupt or truncated (the client checks and calls `remove`).
/// - An entry put with a `ttl` is never returned after the `ttl` passed.
/// - Writes are atomic: a reader sees a whole old value, a whole new one, or none.
/// - Errors are errors of the backend (unreachable, unwritable), not "not found".
pub trait Cache: Send + Sync {
    /// The entry under `key`, if any.
    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing any entry; with `ttl`, the entry expires after it.
    fn put<'a>(&'a self, key: &'a CacheKey, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()>;

    /// Removes the entry under `key`, if any.
    fn remove<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, ()>;

    /// What the cache holds.
    fn info(&self) -> CacheFuture<'_, CacheInfo>;

    /// Removes expired entries and leftovers of interrupted writes, and evicts the least recently used entries
    /// until the cache is under its size.
    fn prune(&self) -> CacheFuture<'_, Removed>;

    /// Removes every entry.
    fn clear(&self) -> CacheFuture<'_, Removed>;

    /// Where the cache is, for messages: never a password.
    fn location(&self) -> String;

    /// The pull budget shared through this backend, when it has one.
    fn shared_budget(&self) -> Option<&dyn SharedBudget> {
        None
    }
}

/// A pull budget shared by every host using the same backend: one counter per rate-limit source of the pulls left
/// in the registry's window, which every host decrements before a manifest `GET`.
pub trait SharedBudget: Send + Sync {
    /// The registry announced `remaining` pulls left for `source` in a window of `window`: the shared counter
    /// becomes the smaller of itself and `remaining` (announcements lag behind pulls in flight), and a new counter
    /// expires with the window.
    fn announce<'a>(&'a self, source: &'a str, remaining: u64, window: Option<Duration>) -> CacheFuture<'a, ()>;

    /// Takes one pull from `source`'s counter unless only `reserve` or fewer are left: `Some(true)` when taken,
    /// `Some(false)` when refused, `None` when there is no counter for `source` (nothing announced yet).
    fn take<'a>(&'a self, source: &'a str, reserve: u64) -> CacheFuture<'a, Option<bool>>;
}

impl CacheError {
    /// A failure described by `message` (`cannot write /var/cache/oci-check: read-only file system`).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// Adds the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if f.alternate() {
            if let Some(source) = &self.source {
                write!(f, ": {source}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl CacheKey {
    /// The kind of entry: one of [`KINDS`].
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Manifest(_) => KINDS[0],
            Self::Blob(_) => KINDS[1],
            Self::Tags { .. } => KINDS[2],
        }
    }

    /// The entry's name: `manifest/sha256/<hex>`, `blob/sha256/<hex>`, or `tags/<sha256 of registry/repository>`.
    /// Made of ASCII letters, digits, `/`, `+`, `.`, `_`, `=` and `-` only, never `.` or `..` as a part, so a
    /// backend can use it as a relative path or a key.
    pub fn name(&self) -> String {
        match self {
            Self::Manifest(digest) | Self::Blob(digest) => {
                format!("{}/{}/{}", self.kind(), digest.algorithm(), digest.encoded())
            }
            Self::Tags { registry, repository } => {
                let named = Digest::sha256(format!("{registry}/{repository}").as_bytes());
                format!("{}/{}", self.kind(), named.encoded())
            }
        }
    }

    /// Whether the entry is content-addressed (a manifest or blob by digest) and so never changes.
    pub fn is_immutable(&self) -> bool {
        !matches!(self, Self::Tags { .. })
    }
}

/// The cache a client was given, shared by its clones: a backend that fails is told once, as a warning, and
/// not used again in the run.
#[derive(Clone)]
pub(crate) struct CacheSlot {
    cache: Arc<dyn Cache>,
    failed: Arc<AtomicBool>,
}

impl fmt::Debug for CacheSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cache").field(&self.cache.location()).finish()
    }
}

impl CacheSlot {
    pub(crate) fn new(cache: Arc<dyn Cache>) -> Self {
        Self {
            cache,
            failed: Arc::new(AtomicBool::new(false)),
        }
    }

    pub(crate) fn backend(&self) -> &Arc<dyn Cache> {
        &self.cache
    }

    fn usable(&self) -> bool {
        !self.failed.load(Ordering::Relaxed)
    }

    /// The value of a result, or `None` after telling the failure (the first time) and giving up on the backend.
    fn settle<T>(&self, result: CacheResult<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                if !self.failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "the cache at {} failed, going on without it: {err:#}",
                        crate::text::escape(&self.cache.location(), crate::text::QUOTE_LIMIT)
                    );
                }
                None
            }
        }
    }

    pub(crate) async fn get(&self, key: &CacheKey) -> Option<Vec<u8>> {
        if !self.usable() {
            return None;
        }
        let value = self.settle(self.cache.get(key).await)??;
        Some(value)
    }

    pub(crate) async fn put(&self, key: &CacheKey, value: &[u8], ttl: Option<Duration>) {
        if self.usable() {
            let _ = self.settle(self.cache.put(key, value, ttl).await);
        }
    }

    /// Removes an entry that failed verification.
    pub(crate) async fn drop_corrupt(&self, key: &CacheKey) {
        tracing::warn!("dropping a corrupt cache entry: {}", key.name());
        if self.usable() {
            let _ = self.settle(self.cache.remove(key).await);
        }
    }

    pub(crate) async fn announce(&self, source: &str, remaining: u64, window: Option<Duration>) {
        if let Some(budget) = self.cache.shared_budget().filter(|_| self.usable()) {
            let _ = self.settle(budget.announce(source, remaining, window).await);
        }
    }

    /// `Some(false)` when the shared budget refuses a pull from `source`.
    pub(crate) async fn take(&self, source: &str, reserve: u64) -> Option<bool> {
        let budget = self.cache.shared_budget().filter(|_| self.usable())?;
        self.settle(budget.take(source, reserve).await)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_paths_and_distinct() {
        let digest = Digest::sha256(b"x");
        let keys = [
            CacheKey::Manifest(digest.clone()),
            CacheKey::Blob(digest.clone()),
            CacheKey::Tags {
                registry: "ghcr.io".into(),
                repository: "../../etc".into(),
            },
            CacheKey::Tags {
                registry: "ghcr.io/..".into(),
                repository: "etc".into(),
            },
        ];
        let names: Vec<String> = keys.iter().map(CacheKey::name).collect();
        assert_eq!(names[0], format!("manifest/sha256/{}", digest.encoded()));
        for name in &names {
            assert!(
                name.split('/')
                    .all(|part| !part.is_empty() && part != "." && part != ".."),
                "{name}"
            );
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+._=-".contains(&b)),
                "{name}"
            );
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(keys[0].is_immutable() && !keys[2].is_immutable());
    }
}
