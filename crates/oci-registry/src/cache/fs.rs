//! [`FsCache`]: the cache in a directory, shared by every process that opens the same one.
//!
//! # Layout
//!
//! Everything lives in `v1/` under the directory given to [`FsCache::open`] (an incompatible later format would
//! take `v2/` beside it rather than misread these files):
//!
//! - `v1/<name>`: one file per entry, `<name>` being [`CacheKey::name`] (`manifest/sha256/<hex>`,
//!   `blob/sha256/<hex>`, `tags/<hex>`);
//! - `v1/tmp/`: writes in progress, one file each, named `<pid>-<counter>-<nanoseconds>.tmp`.
//!
//! On unix the directories the cache creates are `0700` and its files `0600`: tag lists name private repositories.
//!
//! # File format
//!
//! An entry's file is one header line, then the value's exact bytes (anything at all, newlines included):
//!
//! ```text
//! oci-cache 1 -\n<value>               an entry without a time to live
//! oci-cache 1 1767225600000\n<value>   an entry that expires at this Unix time, in milliseconds
//! ```
//!
//! The expiry is the time of the `put` plus the time to live, rounded down to the millisecond, and the entry is
//! expired from that millisecond on: it is never returned after its time to live (at worst a millisecond before).
//! A file without such a header (a newline within its first 64 bytes, after `oci-cache 1 `, then `-` or digits), or
//! with more than 64 MiB of value, is corrupt: reading it removes it and answers `None`, and pruning removes it.
//!
//! # Writes, reads and eviction
//!
//! A `put` writes the whole file in `v1/tmp/`, then renames it over the entry's file: readers and writers, in this
//! process or another, see a whole old file, a whole new one, or none. A `get` that hits sets the file's
//! modification time to now, so modification times order the entries from least to most recently used.
//!
//! The size the cache is kept under counts the entries' files, headers included. Each [`FsCache`] keeps an
//! estimate of the total (a scan of `v1/` the first time it is needed, then what its own writes and removals
//! change); a `put` that takes the estimate over the maximum scans `v1/`, removes the least recently used entries
//! until the total is at most 90 % of the maximum, and takes the scanned total as its new estimate, which makes up
//! for what other processes wrote meanwhile. So with several writers at once the total can pass the maximum for a
//! while (each counts its own writes); the next `put` that finds it over brings it back under.
//!
//! The work of an operation is a few `std::fs` calls on small files, run on Tokio's blocking pool, never on the
//! executor's threads.
//!
//! # Whose directory
//!
//! The directory must be the user's own (owned by this process's user, writable by nobody else), and nothing the
//! cache keeps inside it may be a symbolic link: [`FsCache::open`] refuses otherwise, entries are opened with
//! `O_NOFOLLOW | O_NONBLOCK` and must be regular files, and only names the cache writes are counted, pruned or
//! cleared. Another user who could write the directory could otherwise make the cache write, read or delete files
//! elsewhere, or hang it on a FIFO.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Cache, CacheError, CacheFuture, CacheInfo, CacheKey, CacheResult, KINDS, Removed};

/// The directory of this format's files, under the cache's directory.
const VERSION: &str = "v1";
/// The directory of writes in progress, under [`VERSION`].
const TMP: &str = "tmp";
/// What every header starts with.
const MAGIC: &[u8] = b"oci-cache 1 ";
/// A header's newline is within this many bytes.
const MAX_HEADER: usize = 64;
/// The largest value kept.
const MAX_VALUE: u64 = super::MAX_ENTRY;
/// The largest file read.
const MAX_FILE: u64 = MAX_VALUE + MAX_HEADER as u64;
/// A temporary file older than this is a leftover of an interrupted write.
const TMP_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// The estimate before the first scan.
const UNKNOWN: u64 = u64::MAX;

/// A [`Cache`] in a directory on the local file system, shared by every process and every [`Client`](crate::Client)
/// that opens the same directory, kept under a size by evicting the least recently used entries.
///
/// Each entry is a file, `v1/<name>` under the directory ([`CacheKey::name`]), holding a header line then the
/// value's exact bytes: `oci-cache 1 -` for an entry without a time to live, `oci-cache 1 <expiry>` with the
/// expiry in Unix milliseconds otherwise. A `put` writes a temporary file in `v1/tmp/` and renames it over the
/// entry, so that readers see a whole value or none; a `get` that hits sets the file's modification time to now,
/// and eviction removes the files least recently modified until the total is at most 90 % of the maximum size. An
/// expired or corrupt file is removed when read. On unix, the directories the cache creates are `0700` and its
/// files `0600`.
///
/// ```no_run
/// use oci_registry::cache::FsCache;
///
/// # fn main() -> Result<(), oci_registry::cache::CacheError> {
/// // The directory is the caller's choice (oci-check uses `$XDG_CACHE_HOME/oci-check`).
/// let dir = std::env::temp_dir().join("my-tool-cache");
/// let cache = FsCache::open(dir, 256 * 1024 * 1024)?;
/// println!("caching in {}", cache.dir().display());
/// # Ok(())
/// # }
/// ```
pub struct FsCache {
    /// Shared with the blocking pool, where every file operation runs.
    inner: Arc<Inner>,
}

/// What an [`FsCache`] is, behind its `Arc`.
struct Inner {
    /// The directory given to [`FsCache::open`].
    dir: PathBuf,
    /// `dir/v1`.
    entries: PathBuf,
    /// `dir/v1/tmp`.
    tmp: PathBuf,
    max_size: u64,
    /// The total size of the entries' files as this instance knows it, or [`UNKNOWN`] before the first scan.
    estimate: AtomicU64,
}

/// A file found by a scan.
#[derive(Debug)]
struct Found {
    path: PathBuf,
    /// The first component of the entry's name (one of [`KINDS`] for an entry of this version).
    kind: String,
    len: u64,
    modified: SystemTime,
}

impl FsCache {
    /// Opens the cache in `dir`, kept under `max_size` bytes, creating the directory and its parents if missing.
    ///
    /// A value bigger than `max_size` (or than 64 MiB) is not kept. A directory that exists but is read-only opens:
    /// reads work, and writes fail.
    ///
    /// The directory must be the user's own: on unix, owned by this process's user and writable by nobody else,
    /// and nothing inside it (`v1`, `v1/tmp`, the kinds' directories) may be a symbolic link. Another user who could
    /// write it could otherwise make this cache write, read or delete files elsewhere.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created (`cannot create /var/cache/oci-check/v1/tmp: permission denied`), is
    /// owned by another user or writable by others, or holds a symbolic link where the cache keeps a directory.
    pub fn open(dir: impl Into<PathBuf>, max_size: u64) -> Result<Self, CacheError> {
        let dir = dir.into();
        let entries = dir.join(VERSION);
        let tmp = entries.join(TMP);
        create_dirs(&dir).map_err(|err| failed("create", &dir, err))?;
        check_private(&dir, true)?;
        ensure_dir(&entries)?;
        ensure_dir(&tmp)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                entries,
                tmp,
                max_size,
                estimate: AtomicU64::new(UNKNOWN),
            }),
        })
    }

    /// The directory given to [`FsCache::open`].
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The size, in bytes, the cache is kept under.
    pub fn max_size(&self) -> u64 {
        self.inner.max_size
    }

    /// Runs `work` on the cache's files on Tokio's blocking pool, off the executor's threads: file system calls
    /// block, and a slow disk must not stall every check.
    fn blocking<'a, T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> CacheResult<T> + Send + 'static,
    ) -> CacheFuture<'a, T> {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&inner))
                .await
                .unwrap_or_else(|err| Err(CacheError::new(format!("the cache's file work stopped: {err}"))))
        })
    }
}

impl Inner {
    /// The file of `key`'s entry.
    fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.entries.join(key.name())
    }

    /// What eviction brings the total down to: 90 % of the maximum.
    fn target(&self) -> u64 {
        self.max_size - self.max_size / 10
    }

    fn get_now(&self, key: &CacheKey) -> CacheResult<Option<Vec<u8>>> {
        let path = self.entry_path(key);
        if !self.real_parents(&path)? {
            return Ok(None);
        }
        let mut file = match open_entry(&path) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(None),
            Err(Opened::NotRegular) => {
                // A link, a FIFO, a device or a directory where an entry belongs: never read, removed.
                tracing::debug!(path = %path.display(), "removing what is no cache entry");
                let _ = remove_path(&path);
                return Ok(None);
            }
            Err(Opened::Io(err)) => return Err(failed("read", &path, err)),
        };
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| failed("read", &path, err))?;
        let len = bytes.len() as u64;
        let Some((expires, start)) = parse_header(&bytes).filter(|_| len <= MAX_FILE) else {
            tracing::debug!(path = %path.display(), "removing a corrupt cache entry");
            self.discard(&path, len)?;
            return Ok(None);
        };
        let now = SystemTime::now();
        if is_expired(expires, now) {
            self.discard(&path, len)?;
            return Ok(None);
        }
        touch(&file, &path, now);
        bytes.drain(..start);
        Ok(Some(bytes))
    }

    fn put_now(&self, key: &CacheKey, value: &[u8], ttl: Option<Duration>) -> CacheResult<()> {
        let path = self.entry_path(key);
        let header = header(ttl.map(|ttl| expiry(SystemTime::now(), ttl)));
        let size = (header.len() as u64).saturating_add(value.len() as u64);
        if value.len() as u64 > MAX_VALUE || size > self.max_size {
            // Not kept; nor is the value it replaces, which `get` would otherwise answer.
            tracing::debug!(path = %path.display(), size, "not caching an entry bigger than the cache");
            return self.remove_now(key);
        }
        self.make_parents(&path)?;
        let tmp = self.write_temp(&header, value)?;
        let replaced = fs::symlink_metadata(&path)
            .ok()
            .filter(fs::Metadata::is_file)
            .map_or(0, |metadata| metadata.len());
        match install(&tmp, &path) {
            Ok(true) => self.grown(size, replaced),
            Ok(false) => Ok(()),
            Err(err) => {
                let _ = fs::remove_file(&tmp);
                Err(err)
            }
        }
    }

    /// Writes a new file in `v1/tmp/` holding `header` and `value`.
    fn write_temp(&self, header: &[u8], value: &[u8]) -> CacheResult<PathBuf> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let name = format!(
            "{}-{}-{nanos}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.tmp.join(name);
        let created = match create_new(&tmp) {
            // The directory went away (someone removed the cache while we ran): make it again.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                ensure_dir(&self.entries)?;
                ensure_dir(&self.tmp)?;
                create_new(&tmp)
            }
            created => created,
        };
        let mut file = created.map_err(|err| failed("write", &tmp, err))?;
        if let Err(err) = file.write_all(header).and_then(|()| file.write_all(value)) {
            drop(file);
            let _ = fs::remove_file(&tmp);
            return Err(failed("write", &tmp, err));
        }
        Ok(tmp)
    }

    /// This instance wrote `added` bytes over an entry of `replaced` bytes: updates the estimate, and evicts when it
    /// goes over the maximum.
    fn grown(&self, added: u64, replaced: u64) -> CacheResult<()> {
        let grow = |total: u64| total.saturating_add(added).saturating_sub(replaced);
        match self
            .estimate
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |total| {
                (total != UNKNOWN).then(|| grow(total))
            }) {
            Ok(previous) if grow(previous) > self.max_size => self.evict(self.scan()?, self.target()).map(drop),
            Ok(_) => Ok(()),
            Err(_) => {
                // The first write: the scan counts the entry just written.
                let found = self.scan()?;
                let total = total_of(&found);
                if total > self.max_size {
                    self.evict(found, self.target()).map(drop)
                } else {
                    self.estimate.store(total, Ordering::Relaxed);
                    Ok(())
                }
            }
        }
    }

    /// Removes the least recently used of `found` until their total is at most `target`, and takes what is left as
    /// the estimate.
    fn evict(&self, mut found: Vec<Found>, target: u64) -> CacheResult<Removed> {
        found.sort_by_key(|file| file.modified);
        let mut total = total_of(&found);
        let mut removed = Removed::default();
        for file in &found {
            if total <= target {
                break;
            }
            if remove_path(&file.path)? {
                removed.entries += 1;
                removed.bytes += file.len;
            }
            total = total.saturating_sub(file.len);
        }
        self.estimate.store(total, Ordering::Relaxed);
        if removed.entries > 0 {
            tracing::debug!(
                dir = %self.dir.display(),
                entries = removed.entries,
                bytes = removed.bytes,
                "evicted the least recently used cache entries"
            );
        }
        Ok(removed)
    }

    fn remove_now(&self, key: &CacheKey) -> CacheResult<()> {
        let path = self.entry_path(key);
        if !self.real_parents(&path)? {
            return Ok(());
        }
        let len = fs::symlink_metadata(&path).map_or(0, |metadata| metadata.len());
        self.discard(&path, len).map(drop)
    }

    /// Removes the file at `path`, of `len` bytes, from the disk and from the estimate.
    fn discard(&self, path: &Path, len: u64) -> CacheResult<bool> {
        let removed = remove_path(path)?;
        if removed {
            let _ = self
                .estimate
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |total| {
                    (total != UNKNOWN).then(|| total.saturating_sub(len))
                });
        }
        Ok(removed)
    }

    /// Every entry's file: the files under `v1/` named as the cache names entries (`manifest/<alg>/<hex>`,
    /// `blob/<alg>/<hex>`, `tags/<hex>`). Anything else (another name, a link, a FIFO) is neither counted nor ever
    /// removed, and no link is followed.
    fn scan(&self) -> CacheResult<Vec<Found>> {
        let mut found = Vec::new();
        if !is_real_dir(&self.entries).map_err(|err| failed("read", &self.entries, err))? {
            return Ok(found);
        }
        for kind in KINDS {
            let dir = self.entries.join(kind);
            if !is_dir_not_link(&dir) {
                continue;
            }
            if kind == "tags" {
                walk(&dir, kind, &mut found, is_hex_name)?;
                continue;
            }
            for algorithm in ["sha256", "sha384", "sha512"] {
                let dir = dir.join(algorithm);
                if is_dir_not_link(&dir) {
                    walk(&dir, kind, &mut found, is_hex_name)?;
                }
            }
        }
        Ok(found)
    }

    /// The files in `v1/tmp/` named as the cache names its writes in progress.
    fn temp_files(&self) -> CacheResult<Vec<Found>> {
        let mut found = Vec::new();
        if is_real_dir(&self.tmp).map_err(|err| failed("read", &self.tmp, err))? {
            walk(&self.tmp, TMP, &mut found, is_temp_name)?;
        }
        Ok(found)
    }

    /// Whether every directory between `v1` and the entry at `path` is a real directory (`false` when one is
    /// missing); an error for a symbolic link or anything else in their place, which is never followed.
    fn real_parents(&self, path: &Path) -> CacheResult<bool> {
        let Ok(below) = path.strip_prefix(&self.entries) else {
            return Ok(false);
        };
        let mut dir = self.entries.clone();
        for component in below.parent().into_iter().flat_map(Path::components) {
            dir.push(component);
            match fs::symlink_metadata(&dir) {
                Ok(metadata) if metadata.is_dir() => {}
                Ok(_) => return Err(not_a_directory(&dir)),
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(err) => return Err(failed("read", &dir, err)),
            }
        }
        Ok(true)
    }

    /// Creates the missing directories between `v1` and the entry at `path`, one at a time, each checked to be a
    /// real directory and not a link.
    fn make_parents(&self, path: &Path) -> CacheResult<()> {
        let Ok(below) = path.strip_prefix(&self.entries) else {
            return Ok(());
        };
        ensure_dir(&self.entries)?;
        let mut dir = self.entries.clone();
        for component in below.parent().into_iter().flat_map(Path::components) {
            dir.push(component);
            ensure_dir(&dir)?;
        }
        Ok(())
    }

    fn info_now(&self) -> CacheResult<CacheInfo> {
        let found = self.scan()?;
        let mut entries: BTreeMap<String, (u64, u64)> = KINDS.iter().map(|kind| ((*kind).to_owned(), (0, 0))).collect();
        for file in &found {
            if let Some((count, bytes)) = entries.get_mut(&file.kind) {
                *count += 1;
                *bytes += file.len;
            }
        }
        self.estimate.store(total_of(&found), Ordering::Relaxed);
        Ok(CacheInfo {
            location: self.location(),
            entries,
            max_size: Some(self.max_size),
        })
    }

    fn prune_now(&self) -> CacheResult<Removed> {
        let now = SystemTime::now();
        let mut removed = Removed::default();
        let mut count = |file: &Found| {
            removed.entries += 1;
            removed.bytes += file.len;
        };
        for file in self.temp_files()? {
            let stale = now.duration_since(file.modified).is_ok_and(|age| age > TMP_MAX_AGE);
            if stale && remove_path(&file.path)? {
                count(&file);
            }
        }
        let mut kept = Vec::new();
        for file in self.scan()? {
            let keep = match read_header(&file.path) {
                Ok(Some(expires)) => file.len <= MAX_FILE && !is_expired(expires, now),
                Ok(None) => false,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(failed("read", &file.path, err)),
            };
            if keep {
                kept.push(file);
            } else if remove_path(&file.path)? {
                count(&file);
            }
        }
        let evicted = self.evict(kept, self.target())?;
        removed.entries += evicted.entries;
        removed.bytes += evicted.bytes;
        Ok(removed)
    }

    fn clear_now(&self) -> CacheResult<Removed> {
        let mut removed = Removed::default();
        for file in self.scan()?.into_iter().chain(self.temp_files()?) {
            if remove_path(&file.path)? {
                removed.entries += 1;
                removed.bytes += file.len;
            }
        }
        self.estimate.store(0, Ordering::Relaxed);
        Ok(removed)
    }
}

impl Cache for FsCache {
    /// The entry's value; `None` when there is none, when it expired or when its file is corrupt (both removed).
    /// A hit makes the entry the most recently used.
    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<Vec<u8>>> {
        let key = key.clone();
        self.blocking(move |inner| inner.get_now(&key))
    }

    /// Writes the entry atomically, then evicts the least recently used entries if the cache went over its size.
    fn put<'a>(&'a self, key: &'a CacheKey, value: &'a [u8], ttl: Option<Duration>) -> CacheFuture<'a, ()> {
        let (key, value) = (key.clone(), value.to_vec());
        self.blocking(move |inner| inner.put_now(&key, &value, ttl))
    }

    fn remove<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, ()> {
        let key = key.clone();
        self.blocking(move |inner| inner.remove_now(&key))
    }

    /// Every kind of [`KINDS`], with its count and bytes (files, headers included); the location is the directory.
    fn info(&self) -> CacheFuture<'_, CacheInfo> {
        self.blocking(Inner::info_now)
    }

    /// Removes expired and corrupt entries and temporary files older than 10 minutes (counted as entries too), then
    /// the least recently used entries until the total is at most 90 % of the maximum size.
    fn prune(&self) -> CacheFuture<'_, Removed> {
        self.blocking(Inner::prune_now)
    }

    /// Removes every entry and temporary file (counted as entries too); the directories stay.
    fn clear(&self) -> CacheFuture<'_, Removed> {
        self.blocking(Inner::clear_now)
    }

    /// The directory, as given to [`FsCache::open`].
    fn location(&self) -> String {
        self.inner.location()
    }
}

impl Inner {
    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

impl fmt::Debug for FsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsCache")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

/// "cannot `action` `path`: `err`", with `err` as the source.
fn failed(action: &str, path: &Path, err: io::Error) -> CacheError {
    CacheError::new(format!("cannot {action} {}", path.display())).with_source(err)
}

/// Creates `dir` and its missing parents, `0700` on unix.
fn create_dirs(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates the file at `path`, which must not exist, `0600` on unix.
fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Renames the written `tmp` over the entry at `path` (whose directories exist, checked): `false` when `tmp` is gone
/// (a concurrent `clear` removed it, which is as if the entry was written and then cleared). A rename replaces a
/// link at `path` itself, never what it points to.
fn install(tmp: &Path, path: &Path) -> CacheResult<bool> {
    match fs::rename(tmp, path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound && fs::symlink_metadata(tmp).is_err() => Ok(false),
        Err(err) => Err(failed("write", path, err)),
    }
}

/// Removes the file at `path`: `false` when it was already gone.
fn remove_path(path: &Path) -> CacheResult<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(failed("remove", path, err)),
    }
}

/// Adds the regular files of `dir` whose names `wanted` accepts to `found`; links, directories, FIFOs and other
/// names are left alone, and files removed meanwhile are skipped.
fn walk(dir: &Path, kind: &str, found: &mut Vec<Found>, wanted: fn(&str) -> bool) -> CacheResult<()> {
    let listing = match fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(failed("read", dir, err)),
    };
    for entry in listing {
        let entry = entry.map_err(|err| failed("read", dir, err))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|err| failed("read", &path, err))?;
        if !file_type.is_file() || !entry.file_name().to_str().is_some_and(wanted) {
            continue;
        }
        match entry.metadata() {
            Ok(metadata) => found.push(Found {
                path,
                kind: kind.to_owned(),
                len: metadata.len(),
                modified: metadata.modified().unwrap_or(UNIX_EPOCH),
            }),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(failed("read", &path, err)),
        }
    }
    Ok(())
}

/// A name the cache gives an entry: lowercase hex, as long as a digest's (64, 96 or 128 characters).
fn is_hex_name(name: &str) -> bool {
    matches!(name.len(), 64 | 96 | 128) && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A name the cache gives a write in progress: `<pid>-<counter>-<nanoseconds>.tmp`.
fn is_temp_name(name: &str) -> bool {
    name.strip_suffix(".tmp").is_some_and(|stem| {
        let parts: Vec<&str> = stem.split('-').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Why an entry's file was not opened.
enum Opened {
    /// A link, a FIFO, a device or a directory where a regular file belongs.
    NotRegular,
    Io(io::Error),
}

/// Opens the entry file at `path` for reading: `None` when there is none. Never follows a symbolic link
/// (`O_NOFOLLOW`) and never blocks on a FIFO (`O_NONBLOCK`), then requires a regular file of what was opened.
fn open_entry(path: &Path) -> Result<Option<File>, Opened> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        // ELOOP: the entry is a symbolic link.
        Err(err) if err.raw_os_error() == Some(LOOP) => return Err(Opened::NotRegular),
        Err(err) => return Err(Opened::Io(err)),
    };
    match file.metadata() {
        Ok(metadata) if metadata.is_file() => Ok(Some(file)),
        Ok(_) => Err(Opened::NotRegular),
        Err(err) => Err(Opened::Io(err)),
    }
}

/// The errno of opening a symbolic link with `O_NOFOLLOW`.
#[cfg(unix)]
const LOOP: i32 = libc::ELOOP;
#[cfg(not(unix))]
const LOOP: i32 = -1;

/// Whether `path` is a real directory, not a link to one (anything else, or nothing, is skipped by a scan).
fn is_dir_not_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir())
}

/// Whether `path` is a real directory (not a link to one): `false` when it does not exist; an error naming it when
/// something else stands there.
fn is_real_dir(path: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(true),
        Ok(_) => Err(io::Error::other(
            "a symbolic link or a file stands where the cache keeps a directory",
        )),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

/// Creates the directory `dir` (its parent exists) `0700` if missing, and checks that it is a real directory, not a
/// link, and the user's own.
fn ensure_dir(dir: &Path) -> CacheResult<()> {
    let mut builder = DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(failed("create", dir, err)),
    }
    check_private(dir, false)
}

fn not_a_directory(path: &Path) -> CacheError {
    CacheError::new(format!(
        "refusing the cache: {} is a symbolic link or a file, not a directory (remove it, or choose another \
         --cache-dir)",
        path.display()
    ))
}

/// Checks that `dir` is a directory (a real one unless `follow`), owned by this process's user and writable by
/// nobody else (on unix).
fn check_private(dir: &Path, follow: bool) -> CacheResult<()> {
    let metadata = if follow {
        fs::metadata(dir)
    } else {
        fs::symlink_metadata(dir)
    };
    let metadata = metadata.map_err(|err| failed("read", dir, err))?;
    if !metadata.is_dir() {
        return Err(not_a_directory(dir));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The user this process runs as owns /proc/self (Linux); elsewhere the owner is not checked.
        if let Ok(me) = fs::metadata("/proc/self").map(|m| m.uid()) {
            if metadata.uid() != me {
                return Err(CacheError::new(format!(
                    "refusing the cache directory {}: it belongs to another user (uid {}), who could make this cache \
                     read, write or delete your files; use a directory of your own",
                    dir.display(),
                    metadata.uid()
                )));
            }
        }
        if metadata.mode() & 0o022 != 0 {
            return Err(CacheError::new(format!(
                "refusing the cache directory {}: others can write it (mode {:o}); `chmod go-w` it, or use a \
                 directory of your own",
                dir.display(),
                metadata.mode() & 0o7777
            )));
        }
    }
    Ok(())
}

fn total_of(found: &[Found]) -> u64 {
    found.iter().fold(0, |total: u64, file| total.saturating_add(file.len))
}

/// Sets the file's modification time to `now`, making it the most recently used; a failure (a read-only cache)
/// only costs the order of eviction.
fn touch(file: &File, path: &Path, now: SystemTime) {
    let touched = file.set_modified(now).or_else(|_| {
        // Some systems want a handle open for writing.
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(now))
    });
    if let Err(err) = touched {
        tracing::debug!(path = %path.display(), %err, "cannot mark a cache entry as used");
    }
}

/// The header of an entry that expires at `expires` (Unix milliseconds), or never.
pub fn header(expires: Option<u64>) -> Vec<u8> {
    let mut header = MAGIC.to_vec();
    match expires {
        Some(at) => header.extend_from_slice(at.to_string().as_bytes()),
        None => header.push(b'-'),
    }
    header.push(b'\n');
    header
}

/// The expiry in a file's first bytes and where its value starts, or `None` when they are no header.
pub fn parse_header(bytes: &[u8]) -> Option<(Option<u64>, usize)> {
    let end = bytes.iter().take(MAX_HEADER).position(|&byte| byte == b'\n')?;
    let expires = match bytes[..end].strip_prefix(MAGIC)? {
        b"-" => None,
        digits if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Some(std::str::from_utf8(digits).ok()?.parse().ok()?)
        }
        _ => return None,
    };
    Some((expires, end + 1))
}

/// The header of the entry file at `path` (`None` when it has none, or is no regular file).
fn read_header(path: &Path) -> io::Result<Option<Option<u64>>> {
    let mut file = match open_entry(path) {
        Ok(Some(file)) => file,
        Ok(None) => return Err(io::ErrorKind::NotFound.into()),
        Err(Opened::NotRegular) => return Ok(None),
        Err(Opened::Io(err)) => return Err(err),
    };
    let mut head = Vec::with_capacity(MAX_HEADER);
    (&mut file).take(MAX_HEADER as u64).read_to_end(&mut head)?;
    Ok(parse_header(&head).map(|(expires, _)| expires))
}

/// The expiry of an entry put at `now` with `ttl`, in Unix milliseconds, rounded down.
fn expiry(now: SystemTime, ttl: Duration) -> u64 {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.saturating_add(ttl).as_millis()).unwrap_or(u64::MAX)
}

/// Whether an entry expiring at `expires` has expired at `now`.
fn is_expired(expires: Option<u64>, now: SystemTime) -> bool {
    expires.is_some_and(|at| {
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX) >= at
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use oci_digest::Digest;
    use oci_testkit::TempDir;

    use super::*;

    const KIB: u64 = 1024;

    fn blob(i: u64) -> CacheKey {
        CacheKey::Blob(Digest::sha256(format!("blob {i}").as_bytes()))
    }

    fn tags(repository: &str) -> CacheKey {
        CacheKey::Tags {
            registry: "ghcr.io".into(),
            repository: repository.into(),
        }
    }

    fn set_mtime(path: &Path, at: SystemTime) {
        OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }

    fn mtime(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    /// The size of every file under `v1/` but `v1/tmp/`, counted independently of the cache's own scan.
    fn bytes_on_disk(dir: &Path) -> u64 {
        fn walk(dir: &Path) -> u64 {
            let mut total = 0;
            for entry in fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    if path.file_name().unwrap() != TMP {
                        total += walk(&path);
                    }
                } else {
                    total += entry.metadata().unwrap().len();
                }
            }
            total
        }
        walk(&dir.join(VERSION))
    }

    fn counts(info: &CacheInfo) -> (u64, u64) {
        info.entries
            .values()
            .fold((0, 0), |(count, bytes), (c, b)| (count + c, bytes + b))
    }

    #[tokio::test]
    async fn values_come_back_byte_for_byte() {
        let dir = TempDir::new("oci-fs-round-trip");
        let cache = FsCache::open(dir.path(), 16 * 1024 * KIB).unwrap();
        let every_byte: Vec<u8> = (0..=255).collect();
        let values: [&[u8]; 6] = [
            b"",
            b"\n",
            b"application/vnd.oci.image.manifest.v1+json\n{\"schemaVersion\":2}\n\n",
            &every_byte,
            // A value that looks like a header must not be taken for one.
            b"oci-cache 1 0\noci-cache 1 -\n",
            b"\r\n\0trailing newline\n",
        ];
        for (i, value) in values.iter().enumerate() {
            let key = CacheKey::Manifest(Digest::sha256(&[i as u8]));
            assert_eq!(cache.get(&key).await.unwrap(), None);
            cache.put(&key, value, None).await.unwrap();
            assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(*value), "value {i}");
            // A second read still answers: a hit does not consume the entry.
            assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(*value), "value {i}");
        }
        // Distinct keys never answer for each other, and a long ttl is no expiry.
        let key = tags("library/nginx");
        cache
            .put(&key, b"[\"1.0\"]", Some(Duration::from_secs(3600)))
            .await
            .unwrap();
        assert_eq!(cache.get(&tags("library/redis")).await.unwrap(), None);
        assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"[\"1.0\"]"[..]));
        // A shorter value replaces a longer one entirely.
        cache.put(&key, b"[]", None).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"[]"[..]));
        // Entries are files under v1/<name>, and no temporary file is left behind.
        assert!(dir.path().join(VERSION).join(key.name()).is_file());
        assert_eq!(fs::read_dir(dir.path().join(VERSION).join(TMP)).unwrap().count(), 0);
        cache.remove(&key).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), None);
        // Removing what is not there is fine.
        cache.remove(&key).await.unwrap();
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let dir = TempDir::new("oci-fs-ttl");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        let key = tags("library/nginx");
        let path = cache.inner.entry_path(&key);

        cache.put(&key, b"[]", Some(Duration::ZERO)).await.unwrap();
        assert!(path.is_file());
        assert_eq!(cache.get(&key).await.unwrap(), None);
        assert!(!path.exists(), "an expired entry is removed when read");

        cache
            .put(&key, b"[\"short\"]", Some(Duration::from_secs(2)))
            .await
            .unwrap();
        assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"[\"short\"]"[..]));
        std::thread::sleep(Duration::from_millis(2100));
        assert_eq!(cache.get(&key).await.unwrap(), None);
        assert!(!path.exists());

        // The boundary, with headers written by hand: expired from the millisecond of the expiry on.
        let now = SystemTime::now();
        let now_ms = expiry(now, Duration::ZERO);
        assert!(is_expired(Some(now_ms), now));
        assert!(!is_expired(Some(now_ms + 1), now));
        assert!(!is_expired(None, now));
        assert_eq!(expiry(UNIX_EPOCH, Duration::from_micros(1999)), 1);
        assert_eq!(expiry(now, Duration::MAX), u64::MAX);
        for (expires, answer) in [(now_ms - 1_000, None), (now_ms + 3_600_000, Some(&b"v"[..]))] {
            fs::write(&path, [&header(Some(expires))[..], b"v"].concat()).unwrap();
            assert_eq!(cache.get(&key).await.unwrap().as_deref(), answer, "expires {expires}");
            assert_eq!(path.exists(), answer.is_some());
        }
    }

    #[tokio::test]
    async fn corrupt_files_answer_none_and_are_removed() {
        let dir = TempDir::new("oci-fs-corrupt");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        let key = blob(1);
        let path = cache.inner.entry_path(&key);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let corrupt: [&[u8]; 8] = [
            b"",
            b"oci-cache 1 ",
            b"oci-cache 1 -",
            b"oci-cache 1 12x\nvalue",
            b"oci-cache 1 \nvalue",
            b"oci-cache 2 -\nvalue",
            b"{\"schemaVersion\":2}\n",
            &[b'x'; 100],
        ];
        for bytes in corrupt {
            fs::write(&path, bytes).unwrap();
            assert_eq!(
                cache.get(&key).await.unwrap(),
                None,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
            assert!(!path.exists(), "{:?}", String::from_utf8_lossy(bytes));
        }
        // The same key is usable again afterwards.
        cache.put(&key, b"fine", None).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"fine"[..]));
        assert_eq!(parse_header(b"oci-cache 1 -\n"), Some((None, 14)));
        assert_eq!(parse_header(b"oci-cache 1 99999999999999999999999\n"), None);
    }

    #[tokio::test]
    async fn a_hit_makes_the_entry_recent() {
        let dir = TempDir::new("oci-fs-touch");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        let key = blob(1);
        cache.put(&key, b"v", None).await.unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        set_mtime(&cache.inner.entry_path(&key), old);
        cache.get(&key).await.unwrap().unwrap();
        assert!(mtime(&cache.inner.entry_path(&key)) > old + Duration::from_secs(3000));
    }

    #[tokio::test]
    async fn puts_keep_the_cache_under_its_size() {
        let dir = TempDir::new("oci-fs-cap");
        let cache = FsCache::open(dir.path(), 10 * KIB).unwrap();
        let value = vec![b'x'; KIB as usize];
        for i in 0..30 {
            cache.put(&blob(i), &value, None).await.unwrap();
            assert!(bytes_on_disk(dir.path()) <= 10 * KIB, "after put {i}");
        }
        // The newest entry is always kept, and eviction happened.
        assert_eq!(cache.get(&blob(29)).await.unwrap(), Some(value.clone()));
        assert!(counts(&cache.info().await.unwrap()).0 < 30);

        // An entry bigger than the cache is not kept, nor the value it replaces.
        let key = blob(29);
        cache.put(&key, &vec![b'y'; 11 * KIB as usize], None).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), None);
        assert!(bytes_on_disk(dir.path()) <= 10 * KIB);
    }

    #[tokio::test]
    async fn eviction_removes_the_least_recently_used() {
        let dir = TempDir::new("oci-fs-lru");
        let value = vec![b'x'; KIB as usize];
        // Twenty entries, written without a cap, the i-th used i seconds after the first.
        let unbounded = FsCache::open(dir.path(), u64::MAX).unwrap();
        let first = SystemTime::now() - Duration::from_secs(3600);
        for i in 0..20 {
            unbounded.put(&blob(i), &value, None).await.unwrap();
            set_mtime(&unbounded.inner.entry_path(&blob(i)), first + Duration::from_secs(i));
        }
        let entry_size = (header(None).len() + value.len()) as u64;
        assert_eq!(bytes_on_disk(dir.path()), 20 * entry_size);

        // Another process with a 10 KiB cap reads an old entry, then writes one.
        let cache = FsCache::open(dir.path(), 10 * KIB).unwrap();
        assert_eq!(cache.get(&blob(3)).await.unwrap(), Some(value.clone()));
        cache.put(&blob(100), &value, None).await.unwrap();

        let total = bytes_on_disk(dir.path());
        assert!(total <= 9 * KIB, "{total}: evicted down to 90 % of the cap");
        let kept = (9 * KIB / entry_size) as usize;
        assert_eq!(kept, 8);
        assert_eq!(total, kept as u64 * entry_size, "no more evicted than needed");
        let mut survivors = BTreeSet::new();
        for i in (0..20).chain([100]) {
            if cache.inner.entry_path(&blob(i)).exists() {
                survivors.insert(i);
            }
        }
        // The touched entry and the new one, then the most recently used of the rest.
        let expected: BTreeSet<u64> = [3, 100].into_iter().chain(20 - (kept as u64 - 2)..20).collect();
        assert_eq!(survivors, expected);
        // The estimate was reset from the scan: info agrees.
        assert_eq!(counts(&cache.info().await.unwrap()), (kept as u64, total));
    }

    #[test]
    fn concurrent_writers_leave_whole_values() {
        let dir = TempDir::new("oci-fs-race");
        let keys: Vec<CacheKey> = (0..4).map(blob).collect();
        // Each writer's value has its own length and bytes, newlines included, so a mix or a cut shows.
        let values: Vec<Vec<u8>> = (0..8u64)
            .map(|t| {
                (0..2000 + 500 * t)
                    .map(|i| if i % 37 == 0 { b'\n' } else { (i * 7 + t * 13) as u8 })
                    .collect()
            })
            .collect();
        let hits = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for t in 0..8 {
                let (keys, values, hits, dir) = (&keys, &values, &hits, dir.path());
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                    // A cap small enough for evictions to race with the writes and reads.
                    let cache = FsCache::open(dir, 16 * KIB).unwrap();
                    for i in 0..200 {
                        let key = &keys[(i + t) % keys.len()];
                        runtime.block_on(cache.put(key, &values[t], None)).unwrap();
                        let key = &keys[(i * 3 + t) % keys.len()];
                        if let Some(value) = runtime.block_on(cache.get(key)).unwrap() {
                            assert!(
                                values.contains(&value),
                                "a value of {} bytes no writer wrote",
                                value.len()
                            );
                            hits.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert!(hits.load(Ordering::Relaxed) > 0);
        assert_eq!(fs::read_dir(dir.path().join(VERSION).join(TMP)).unwrap().count(), 0);
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let cache = FsCache::open(dir.path(), 16 * KIB).unwrap();
        for key in &keys {
            if let Some(value) = runtime.block_on(cache.get(key)).unwrap() {
                assert!(values.contains(&value));
            }
        }
        // Writers that each saw the total under the cap may together leave it over (each knows its own writes);
        // the next put that finds it over brings it back under.
        runtime.block_on(cache.put(&keys[0], &values[7], None)).unwrap();
        assert!(
            bytes_on_disk(dir.path()) <= 16 * KIB,
            "{} bytes",
            bytes_on_disk(dir.path())
        );
    }

    #[tokio::test]
    async fn info_prune_and_clear_count_what_they_see() {
        let dir = TempDir::new("oci-fs-prune");
        let value = vec![b'x'; 1000];
        let entry_size = (header(None).len() + value.len()) as u64;
        // Three entries fit, but not within 90 % of the cap.
        let cap = 3 * entry_size + 200;
        let cache = FsCache::open(dir.path(), cap).unwrap();
        let manifest = CacheKey::Manifest(Digest::sha256(b"m"));
        let config = CacheKey::Blob(Digest::sha256(b"c"));
        let list = tags("library/nginx");
        let first = SystemTime::now() - Duration::from_secs(3600);
        for (i, key) in [&manifest, &config, &list].into_iter().enumerate() {
            cache.put(key, &value, None).await.unwrap();
            set_mtime(&cache.inner.entry_path(key), first + Duration::from_secs(i as u64));
        }
        // Two expired entries, a corrupt one, an interrupted write and one in progress.
        let expired = [tags("a"), tags("b")];
        let mut doomed_bytes = 0;
        for key in &expired {
            cache.put(key, b"[]", Some(Duration::ZERO)).await.unwrap();
            doomed_bytes += fs::metadata(cache.inner.entry_path(key)).unwrap().len();
        }
        let corrupt = cache.inner.entry_path(&CacheKey::Blob(Digest::sha256(b"corrupt")));
        fs::write(&corrupt, b"garbage").unwrap();
        let stale = dir.path().join(VERSION).join(TMP).join("1-0-0.tmp");
        fs::write(&stale, b"oci-cache 1 -\nhalf a val").unwrap();
        set_mtime(&stale, SystemTime::now() - Duration::from_secs(11 * 60));
        let fresh = dir.path().join(VERSION).join(TMP).join("1-1-0.tmp");
        fs::write(&fresh, b"oci-cache 1 -\nin progress").unwrap();
        doomed_bytes += 7 + 24;

        let info = cache.info().await.unwrap();
        assert_eq!(info.location, dir.path().display().to_string());
        assert_eq!(info.max_size, Some(cap));
        assert_eq!(info.entries.len(), KINDS.len());
        assert_eq!(info.entries["manifest"], (1, entry_size));
        assert_eq!(info.entries["blob"], (2, entry_size + 7));
        assert_eq!(info.entries["tags"], (3, entry_size + doomed_bytes - 7 - 24));

        // Expired, corrupt and stale go, then the least recently used (the manifest) down to 90 % of the cap.
        let removed = cache.prune().await.unwrap();
        assert_eq!(
            removed,
            Removed {
                entries: 5,
                bytes: doomed_bytes + entry_size
            }
        );
        assert!(!stale.exists() && !corrupt.exists());
        assert!(fresh.exists(), "a write in progress is left alone");
        assert!(!cache.inner.entry_path(&manifest).exists());
        let info = cache.info().await.unwrap();
        assert_eq!(info.entries["manifest"], (0, 0));
        assert_eq!(info.entries["blob"], (1, entry_size));
        assert_eq!(info.entries["tags"], (1, entry_size));
        // Pruning again finds nothing to do.
        assert_eq!(cache.prune().await.unwrap(), Removed::default());

        // Clear removes every entry and temporary file, and the cache goes on working.
        let removed = cache.clear().await.unwrap();
        assert_eq!(
            removed,
            Removed {
                entries: 3,
                bytes: 2 * entry_size + 11 + 14
            }
        );
        assert_eq!(counts(&cache.info().await.unwrap()), (0, 0));
        assert!(!fresh.exists());
        assert!(dir.path().join(VERSION).join(TMP).is_dir());
        cache.put(&list, b"[]", None).await.unwrap();
        assert_eq!(cache.get(&list).await.unwrap().as_deref(), Some(&b"[]"[..]));
        assert_eq!(cache.clear().await.unwrap().entries, 1);
    }

    #[tokio::test]
    async fn unwritable_directories_are_errors_naming_the_path() {
        let dir = TempDir::new("oci-fs-unwritable");
        // A path under a regular file cannot be a directory, even for root.
        let file = dir.path().join("file");
        fs::write(&file, b"").unwrap();
        let err = FsCache::open(file.join("cache"), 1024 * KIB).unwrap_err();
        assert!(err.to_string().contains(&file.display().to_string()), "{err}");
        assert!(std::error::Error::source(&err).is_some());

        // A cache whose directory is replaced by a file after it was opened.
        let root = dir.path().join("cache");
        let cache = FsCache::open(&root, 1024 * KIB).unwrap();
        fs::remove_dir_all(root.join(VERSION)).unwrap();
        fs::write(root.join(VERSION), b"").unwrap();
        let err = cache.put(&blob(1), b"v", None).await.unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        assert!(err.to_string().contains(&root.display().to_string()), "{err}");
        assert!(cache.get(&blob(1)).await.is_err(), "an error other than not found");
        assert!(cache.info().await.is_err());
        assert!(cache.prune().await.is_err());
        assert!(cache.clear().await.is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn read_only_directories_refuse_writes() {
        use std::os::unix::fs::PermissionsExt;

        let dir = TempDir::new("oci-fs-read-only");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        cache.put(&blob(1), b"kept", None).await.unwrap();
        let tmp = dir.path().join(VERSION).join(TMP);
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o500)).unwrap();
        let probe = tmp.join("probe");
        let root_writes_anyway = fs::write(&probe, b"").is_ok();
        if !root_writes_anyway {
            let err = cache.put(&blob(2), b"v", None).await.unwrap_err();
            assert!(err.to_string().contains(&tmp.display().to_string()), "{err}");
            // Reading still works.
            assert_eq!(cache.get(&blob(1)).await.unwrap().as_deref(), Some(&b"kept"[..]));
        }
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o700)).unwrap();
        let _ = fs::remove_file(&probe);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn directories_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt;

        let dir = TempDir::new("oci-fs-modes");
        let root = dir.path().join("a").join("b");
        let cache = FsCache::open(&root, 1024 * KIB).unwrap();
        let key = blob(1);
        cache.put(&key, b"v", None).await.unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let entry = cache.inner.entry_path(&key);
        for created in [
            dir.path().join("a"),
            root.clone(),
            root.join(VERSION),
            root.join(VERSION).join(TMP),
            entry.parent().unwrap().to_owned(),
        ] {
            assert_eq!(mode(&created), 0o700, "{}", created.display());
        }
        assert_eq!(mode(&entry), 0o600);
    }

    #[test]
    fn debug_shows_the_directory() {
        let dir = TempDir::new("oci-fs-debug");
        let cache = FsCache::open(dir.path(), 1).unwrap();
        assert_eq!(format!("{cache:?}"), format!("FsCache {{ dir: {:?}, .. }}", dir.path()));
        assert_eq!(cache.dir(), dir.path());
        assert_eq!(cache.max_size(), 1);
        assert_eq!(cache.location(), dir.path().display().to_string());
        assert!(cache.shared_budget().is_none());
    }

    /// A directory of files that must survive whatever the cache does.
    #[cfg(unix)]
    fn precious(dir: &Path) -> Vec<PathBuf> {
        let hex = "a".repeat(64);
        let files = [
            dir.join("precious.txt"),
            dir.join(format!("manifest/sha256/{hex}")),
            dir.join(format!("tags/{hex}")),
            dir.join(&hex),
        ];
        for file in &files {
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, b"the user's own file").unwrap();
        }
        files.to_vec()
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn links_inside_the_cache_are_refused_and_never_followed() {
        use std::os::unix::fs::symlink;

        let outside = TempDir::new("oci-fs-outside");
        let files = precious(outside.path());
        let intact = || files.iter().all(|file| file.exists());

        // `v1` itself a link: clear, prune and eviction once deleted every file under its target.
        let dir = TempDir::new("oci-fs-link-v1");
        symlink(outside.path(), dir.path().join(VERSION)).unwrap();
        let err = FsCache::open(dir.path(), 1024 * KIB).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(intact());

        // `v1/tmp` a link: entries were written there, and clear removed what it held.
        let dir = TempDir::new("oci-fs-link-tmp");
        fs::create_dir(dir.path().join(VERSION)).unwrap();
        symlink(outside.path(), dir.path().join(VERSION).join(TMP)).unwrap();
        assert!(FsCache::open(dir.path(), 1024 * KIB).is_err());
        assert!(intact());

        // `v1/manifest` a link after the cache was opened: nothing is read, written or removed through it.
        let dir = TempDir::new("oci-fs-link-kind");
        let cache = FsCache::open(dir.path(), 1024).unwrap();
        let outside_manifests = outside.path().join("manifest");
        symlink(&outside_manifests, dir.path().join(VERSION).join("manifest")).unwrap();
        let key = CacheKey::Manifest(Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap());
        assert!(cache.get(&key).await.is_err());
        assert!(cache.put(&key, b"x", None).await.is_err());
        assert!(cache.remove(&key).await.is_err());
        assert_eq!(counts(&cache.info().await.unwrap()), (0, 0));
        // Eviction (a put over the size), prune and clear see no entry behind the link.
        for i in 0..8 {
            cache.put(&blob(i), &[0; 300], None).await.unwrap();
        }
        cache.prune().await.unwrap();
        cache.clear().await.unwrap();
        assert!(intact(), "a file outside the cache was removed");
        assert_eq!(
            fs::read(outside_manifests.join("sha256").join("a".repeat(64))).unwrap(),
            b"the user's own file"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn only_the_names_the_cache_writes_are_counted_or_removed() {
        let dir = TempDir::new("oci-fs-foreign-names");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        cache.put(&blob(1), b"v", None).await.unwrap();
        let v1 = dir.path().join(VERSION);
        let foreign = [
            v1.join("blob/sha256/notes.txt"),
            v1.join("blob/notes.txt"),
            v1.join("other/sha256").join("b".repeat(64)),
            v1.join("tmp/keep-me"),
        ];
        for file in &foreign {
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, b"not an entry").unwrap();
        }
        assert_eq!(counts(&cache.info().await.unwrap()).0, 1);
        assert_eq!(cache.clear().await.unwrap().entries, 1);
        assert!(
            foreign.iter().all(|file| file.exists()),
            "a file the cache never wrote was removed"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_or_another_user_owns_is_refused() {
        use std::os::unix::fs::PermissionsExt;

        let dir = TempDir::new("oci-fs-shared");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let err = FsCache::open(dir.path(), 1024 * KIB).unwrap_err();
        assert!(err.to_string().contains("others can write it"), "{err}");
        assert!(!dir.path().join(VERSION).exists(), "nothing created inside");

        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        // Tests run as root in CI: give the directory to another user (nobody).
        if std::os::unix::fs::chown(dir.path(), Some(65534), None).is_ok() {
            let err = FsCache::open(dir.path(), 1024 * KIB).unwrap_err();
            assert!(err.to_string().contains("belongs to another user"), "{err}");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_fifo_at_an_entry_is_removed_not_waited_on() {
        let dir = TempDir::new("oci-fs-fifo");
        let cache = FsCache::open(dir.path(), 1024 * KIB).unwrap();
        cache.put(&blob(1), b"v", None).await.unwrap();
        let path = cache.inner.entry_path(&blob(1));
        fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        // Opening a FIFO for reading blocks until a writer comes: bound the wait so a regression fails, not hangs.
        let got = tokio::time::timeout(Duration::from_secs(10), cache.get(&blob(1)))
            .await
            .expect("the read of a FIFO hung");
        assert_eq!(got.unwrap(), None);
        assert!(fs::symlink_metadata(&path).is_err(), "the FIFO was removed");
    }
}
