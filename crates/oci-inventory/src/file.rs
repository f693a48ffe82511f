//! Reading the files this crate is asked to read: compose files, `.env` files and inspect output.
//!
//! A path may name a FIFO, a socket or a device: opening a FIFO for reading blocks until something writes to it,
//! and reading a device may never end. So the path is checked before it is opened (as oci-auth reads credentials
//! files), opened without blocking where the platform allows, and checked again on the open file, since the path
//! may have changed in between. At most the limit plus one byte is read, to tell a longer file.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, ErrorKind};

/// Which kinds of file a reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Regular files only.
    Regular,
    /// Regular files and pipes (`--inspect <(docker inspect ...)`): a pipe was named on purpose, and waiting for
    /// its writer is what the caller asked for.
    RegularOrPipe,
}

/// The bytes of `path`, at most `limit` of them; `Ok(None)` when it does not exist. `what` names the file in the
/// too-large message (`a compose file`).
pub(crate) fn read(path: &Path, accept: Accept, limit: u64, what: &str) -> Result<Option<Vec<u8>>, Error> {
    let Some(file) = open(path, accept)? else {
        return Ok(None);
    };
    read_limited(file, limit, what)
        .map(Some)
        .map_err(|err| err.with_file(Some(path)))
}

/// At most `limit` bytes of `reader`; a longer input is [`ErrorKind::LimitExceeded`].
pub(crate) fn read_limited(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| Error::new(ErrorKind::Io, "cannot read it").with_source(err))?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("larger than {limit} bytes, this program's limit for {what}"),
        ));
    }
    Ok(bytes)
}

/// `path` opened for reading, if it is a file `accept` allows; `Ok(None)` when it does not exist.
fn open(path: &Path, accept: Accept) -> Result<Option<File>, Error> {
    let io_error = |err: std::io::Error| {
        Error::new(ErrorKind::Io, "cannot read it")
            .with_file(Some(path))
            .with_source(err)
    };
    let before = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    check(&before, accept, path)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if before.is_file() {
        use std::os::unix::fs::OpenOptionsExt;
        // Should the path have become a FIFO since the check, this open returns at once instead of waiting for
        // a writer; the check of the open file below then refuses it. Reads of a regular file ignore the flag.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    let after = file.metadata().map_err(io_error)?;
    if before.is_file() && !after.is_file() {
        return Err(not_regular(&after, path));
    }
    check(&after, accept, path)?;
    Ok(Some(file))
}

fn check(metadata: &Metadata, accept: Accept, path: &Path) -> Result<(), Error> {
    if metadata.is_file() || (accept == Accept::RegularOrPipe && is_pipe(metadata)) {
        Ok(())
    } else {
        Err(not_regular(metadata, path))
    }
}

fn not_regular(metadata: &Metadata, path: &Path) -> Error {
    Error::new(
        ErrorKind::NotRegularFile,
        format!(
            "it is {}, not a regular file; reading it could block or never end",
            file_type(metadata)
        ),
    )
    .with_file(Some(path))
}

fn is_pipe(metadata: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        metadata.file_type().is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

fn file_type(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    "something else"
}
