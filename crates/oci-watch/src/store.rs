//! Where states live: the [`Store`] trait, the directory store [`DirStore`], and [`StoreError`].

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::future::Future;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::state::{MAX_STATE_BYTES, State};
use crate::workload::HostName;

/// A place that keeps one [`State`] per host.
///
/// Async because a shared store (Redis) is; [`DirStore`] does its file IO on tokio's blocking
/// pool, so its futures need a tokio runtime.
pub trait Store {
    /// The state of `host`; `Ok(None)` when there is none yet. An unreadable state is an error
    /// whose [`is_unreadable`](StoreError::is_unreadable) is true: warn and start afresh.
    fn load(&self, host: &HostName) -> impl Future<Output = Result<Option<State>, StoreError>> + Send;

    /// Replaces the state of `state.host()`, atomically: a reader sees the old state or the new
    /// one, never a mix.
    fn save(&self, state: &State) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The hosts that have a state here, sorted.
    fn hosts(&self) -> impl Future<Output = Result<Vec<HostName>, StoreError>> + Send;
}

/// A state that could not be loaded or saved.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    detail: Option<String>,
    path: Option<PathBuf>,
    source: Option<io::Error>,
}

/// What went wrong with a stored state.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// Not JSON, or not a state: unreadable.
    Corrupt,
    /// A `version` this build does not know: unreadable.
    UnsupportedVersion,
    /// Larger than 64 MiB: unreadable.
    TooLarge,
    /// A symlink where a state file belongs: refused, unreadable.
    Symlink,
    /// A FIFO, device, directory or other non-regular file where a state file belongs: unreadable.
    NotAFile,
    /// A host name too long to be a file name.
    HostNameTooLong,
    /// Reading, writing or renaming failed.
    Io,
}

impl StoreError {
    pub(crate) fn new(kind: StoreErrorKind, detail: Option<String>) -> Self {
        Self {
            kind,
            detail,
            path: None,
            source: None,
        }
    }

    fn io(path: &Path, err: io::Error) -> Self {
        Self {
            kind: StoreErrorKind::Io,
            detail: None,
            path: Some(path.to_owned()),
            source: Some(err),
        }
    }

    fn at(mut self, path: &Path) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The file, for a directory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether the stored state cannot be read (corrupt, unknown version, too large, a symlink or
    /// not a file), as opposed to the store failing: the caller warns and starts afresh, and
    /// each current event is told once more.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self.kind,
            StoreErrorKind::Corrupt
                | StoreErrorKind::UnsupportedVersion
                | StoreErrorKind::TooLarge
                | StoreErrorKind::Symlink
                | StoreErrorKind::NotAFile
        )
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::Corrupt => "the watch state is corrupt",
            StoreErrorKind::UnsupportedVersion => "the watch state has a version this build does not read",
            StoreErrorKind::TooLarge => "the watch state is larger than 64 MiB",
            StoreErrorKind::Symlink => "the watch state is a symlink, which is refused",
            StoreErrorKind::NotAFile => "the watch state is not a regular file",
            StoreErrorKind::HostNameTooLong => "the host name is too long for a state file name",
            StoreErrorKind::Io => "the watch state could not be read or written",
        };
        f.write_str(what)?;
        if let Some(path) = &self.path {
            write!(f, " ({})", path.display())?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {}", detail.escape_debug())?;
        }
        Ok(())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|err| err as _)
    }
}

/// States as files in one directory: `state-<host>.json`, 0600, in a directory created 0700.
///
/// The host name is written with every byte other than ASCII letters, digits, `.` and `-` as
/// `_xx` (hex), so every name has its own file and none can leave the directory. Writes go to a
/// temporary file in the same directory, are flushed to disk, then renamed over the state.
/// Opening never follows a symlink nor waits on a FIFO.
#[derive(Clone, Debug)]
pub struct DirStore {
    dir: PathBuf,
}

/// Tells apart the temporary files of concurrent saves in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DirStore {
    /// Opens `dir`, creating it (0700, with its parents) when missing. A symlink or a
    /// non-directory is refused.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        match fs::symlink_metadata(dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(StoreError::new(StoreErrorKind::Symlink, None).at(dir));
            }
            Ok(meta) if !meta.is_dir() => return Err(StoreError::new(StoreErrorKind::NotAFile, None).at(dir)),
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => create_dir(dir)?,
            Err(err) => return Err(StoreError::io(dir, err)),
        }
        Ok(Self { dir: dir.to_owned() })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds `host`'s state.
    pub fn path(&self, host: &HostName) -> Result<PathBuf, StoreError> {
        let stem = file_stem(host.as_str());
        if stem.len() > 200 {
            return Err(StoreError::new(StoreErrorKind::HostNameTooLong, None));
        }
        Ok(self.dir.join(format!("state-{stem}.json")))
    }

    /// [`Store::load`], blocking.
    pub fn load_blocking(&self, host: &HostName) -> Result<Option<State>, StoreError> {
        let path = self.path(host)?;
        let Some(bytes) = read_capped(&path)? else {
            return Ok(None);
        };
        let state = State::from_json(&bytes).map_err(|err| err.at(&path))?;
        if state.host() != host {
            let detail = format!("it belongs to host `{}`", state.host());
            return Err(StoreError::new(StoreErrorKind::Corrupt, Some(detail)).at(&path));
        }
        Ok(Some(state))
    }

    /// [`Store::save`], blocking.
    pub fn save_blocking(&self, state: &State) -> Result<(), StoreError> {
        self.write_blocking(state.host(), &state.to_json())
    }

    /// [`Store::hosts`], blocking. Files whose names do not decode are left out.
    pub fn hosts_blocking(&self) -> Result<Vec<HostName>, StoreError> {
        let mut hosts = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|err| StoreError::io(&self.dir, err))? {
            let entry = entry.map_err(|err| StoreError::io(&self.dir, err))?;
            let name = entry.file_name();
            let Some(stem) = name
                .to_str()
                .and_then(|n| n.strip_prefix("state-")?.strip_suffix(".json"))
            else {
                continue;
            };
            if let Some(host) = host_from_stem(stem) {
                hosts.push(host);
            }
        }
        hosts.sort();
        Ok(hosts)
    }

    fn write_blocking(&self, host: &HostName, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(host)?;
        let temp = self.dir.join(format!(
            ".state-tmp-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = create_private(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            refuse_non_file_target(&path)?;
            fs::rename(&temp, &path)?;
            // The rename is durable once the directory is.
            File::open(&self.dir)?.sync_all()
        })();
        written.map_err(|err| {
            let _ = fs::remove_file(&temp);
            if err.kind() == io::ErrorKind::Other && err.to_string() == NOT_A_FILE {
                StoreError::new(StoreErrorKind::NotAFile, None).at(&path)
            } else {
                StoreError::io(&path, err)
            }
        })
    }
}

impl Store for DirStore {
    fn load(&self, host: &HostName) -> impl Future<Output = Result<Option<State>, StoreError>> + Send {
        let (store, host) = (self.clone(), host.clone());
        blocking(move || store.load_blocking(&host))
    }

    fn save(&self, state: &State) -> impl Future<Output = Result<(), StoreError>> + Send {
        let (store, host, bytes) = (self.clone(), state.host().clone(), state.to_json());
        blocking(move || store.write_blocking(&host, &bytes))
    }

    fn hosts(&self) -> impl Future<Output = Result<Vec<HostName>, StoreError>> + Send {
        let store = self.clone();
        blocking(move || store.hosts_blocking())
    }
}

const NOT_A_FILE: &str = "a state file's place holds something other than a file";

/// Runs `work` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|err| {
        Err(StoreError::new(
            StoreErrorKind::Io,
            Some(format!("the store's blocking task failed: {err}")),
        ))
    })
}

/// `host` as a file name part: `[A-Za-z0-9.-]` kept, every other byte `_xx`.
fn file_stem(host: &str) -> String {
    let mut stem = String::with_capacity(host.len());
    for byte in host.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' {
            stem.push(char::from(byte));
        } else {
            stem.push_str(&format!("_{byte:02x}"));
        }
    }
    stem
}

fn host_from_stem(stem: &str) -> Option<HostName> {
    let bytes = stem.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'_' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    let host: HostName = String::from_utf8(out).ok()?.parse().ok()?;
    (file_stem(host.as_str()) == stem).then_some(host)
}

/// The file's bytes, `None` when it does not exist; at most [`MAX_STATE_BYTES`].
fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    let file = match open_read(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) if is_symlink_refusal(path, &err) => {
            return Err(StoreError::new(StoreErrorKind::Symlink, None).at(path));
        }
        Err(err) => return Err(StoreError::io(path, err)),
    };
    let meta = file.metadata().map_err(|err| StoreError::io(path, err))?;
    if !meta.is_file() {
        return Err(StoreError::new(StoreErrorKind::NotAFile, None).at(path));
    }
    if meta.len() > MAX_STATE_BYTES {
        return Err(StoreError::new(StoreErrorKind::TooLarge, None).at(path));
    }
    let mut bytes = Vec::new();
    // The file may grow between the check and the read.
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| StoreError::io(path, err))?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(StoreError::new(StoreErrorKind::TooLarge, None).at(path));
    }
    Ok(Some(bytes))
}

fn is_symlink_refusal(path: &Path, err: &io::Error) -> bool {
    #[cfg(unix)]
    if err.raw_os_error() == Some(libc::ELOOP) {
        return true;
    }
    let _ = err;
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// Refuses to rename over a directory, FIFO or other non-file (a symlink is replaced, not followed).
fn refuse_non_file_target(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.file_type().is_symlink() => Err(io::Error::other(NOT_A_FILE)),
        _ => Ok(()),
    }
}

#[cfg(unix)]
fn open_read(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_read(path: &Path) -> io::Result<File> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::other("symlink"));
    }
    if !meta.is_file() {
        return Err(io::Error::other(NOT_A_FILE));
    }
    File::open(path)
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|err| StoreError::io(dir, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_injective_and_decode() {
        for host in ["web-1.example.com", "a_b", "a/b", "../x", "ünï", "a b"] {
            let host: HostName = host.parse().expect("a host name");
            let stem = file_stem(host.as_str());
            assert!(
                stem.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "{stem}"
            );
            assert_eq!(host_from_stem(&stem), Some(host));
        }
        assert_ne!(file_stem("a_b"), file_stem("a/b"));
    }
}
