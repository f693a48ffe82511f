//! The one [`Error`] of the crate, with its [`ErrorKind`], the file and line it concerns, and its cause.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why reading an inventory failed: a parse error in an engine answer, an inspect file, a compose file or a `.env`
/// file (with the file and line when there is one), or an engine that could not be reached or answered badly.
///
/// `Display` says what went wrong at this layer, quoting the offending text (cut at 100 characters) and saying
/// what to do where that is known; the cause, if any, is [`source`](StdError::source).
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    file: Option<PathBuf>,
    line: Option<usize>,
    status: Option<u16>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// What kind of thing went wrong.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An engine answer, an inspect file or kubectl output is not JSON, or not JSON of the shape the Engine API (or
    /// the Kubernetes v1 API) describes (a missing `Id`, a string where an array belongs, a pod without a name).
    InvalidJson,
    /// A field has the right type but a value that cannot be right: an image ID that is no digest, a `RepoDigests`
    /// entry without a digest, an image reference that does not parse, a platform that is not `os/arch[/variant]`.
    InvalidField,
    /// A compose file is not YAML (the scanner's message, with the line).
    InvalidYaml,
    /// A compose file is YAML that compose refuses: `services` is not a mapping, an `image` is not a string, a
    /// service has neither `image` nor `build`, a key appears twice, an `extends` names a service that does not
    /// exist or loops.
    InvalidCompose,
    /// A compose variable could not be substituted: `${VAR:?message}` or `${VAR?message}` of an unset variable, or
    /// a `$` that starts no valid substitution (write `$$` for a literal `$`).
    Interpolation,
    /// A `.env` line is not `KEY=VALUE`, or a quoted value is not closed.
    InvalidDotenv,
    /// An engine address is not `unix:///path` or `tcp://host:port`, or asks for something not supported (TLS,
    /// ssh).
    InvalidAddress,
    /// No socket exists at the engine's path.
    SocketNotFound,
    /// The engine's socket exists but this user may not open it.
    PermissionDenied,
    /// Connecting failed otherwise: nothing listens, or the host is unreachable.
    Connect,
    /// The engine did not answer in time.
    Timeout,
    /// What answered is not an engine: no HTTP, a connection closed mid-answer, or headers the Engine API never
    /// sends.
    NotAnEngine,
    /// The engine answered with an error status; [`Error::status`] has it.
    Status,
    /// An answer's body was larger than the limit.
    BodyTooLarge,
    /// The engine's API version is missing, malformed or older than this crate supports.
    UnsupportedApiVersion,
    /// Reading a file failed.
    Io,
    /// An input passed one of this crate's limits, which the message names: the size of a compose, `.env` or
    /// inspect file or of kubectl output, how deep a compose file nests (aliases resolved), how long an `extends`
    /// chain is, how much text variable substitution makes.
    LimitExceeded,
    /// A file to read is not a regular file (a FIFO, a socket, a device, a directory), or for inspect and kubectl
    /// output not a regular file or a pipe: reading it could block or never end.
    NotRegularFile,
    /// A registries.conf file is not TOML, or not one containers-registries.conf(5) describes.
    InvalidRegistriesConf,
    /// A `.env` file is a symbolic link to a file outside the project directory, which a compose file from
    /// elsewhere could use to read any file of the user's into its variables.
    OutsideProject,
    /// A docker context (`DOCKER_CONTEXT` or `currentContext` in the docker `config.json`) does not exist in the
    /// context store, is not a valid name, or its `meta.json` names no docker endpoint.
    DockerContext,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                file: None,
                line: None,
                status: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_file(mut self, file: Option<&Path>) -> Self {
        self.inner.file = file.map(Path::to_path_buf);
        self
    }

    pub(crate) fn with_line(mut self, line: usize) -> Self {
        self.inner.line = Some(line);
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// Puts `prefix` (where, in a larger input) before the message.
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.inner.message.insert_str(0, prefix);
        self
    }

    /// What kind of thing went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The file the error is about: a compose file, a `.env` file, an inspect file.
    pub fn file(&self) -> Option<&Path> {
        self.inner.file.as_deref()
    }

    /// The line (from 1) of [`file`](Self::file), for errors in compose and `.env` files.
    pub fn line(&self) -> Option<usize> {
        self.inner.line
    }

    /// The HTTP status of an [`ErrorKind::Status`] error.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.inner.file, self.inner.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", crate::text::path(file))?,
            (Some(file), None) => write!(f, "{}: ", crate::text::path(file))?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Error");
        out.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(file) = &self.inner.file {
            out.field("file", file);
        }
        if let Some(line) = self.inner.line {
            out.field("line", &line);
        }
        if let Some(status) = self.inner.status {
            out.field("status", &status);
        }
        if let Some(source) = &self.inner.source {
            out.field("source", source);
        }
        out.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_and_line_but_not_the_source() {
        // One pointer wide, so that `Result<T, Error>` stays small.
        assert_eq!(
            (size_of::<Error>(), size_of::<Result<(), Error>>()),
            (size_of::<usize>(), size_of::<usize>())
        );
        let err = Error::new(ErrorKind::InvalidCompose, "bad")
            .with_file(Some(Path::new("compose.yaml")))
            .with_line(3)
            .with_source(std::io::Error::other("inner"));
        assert_eq!(err.to_string(), "compose.yaml:3: bad");
        assert_eq!(err.source().map(ToString::to_string).as_deref(), Some("inner"));
        assert_eq!(err.kind(), ErrorKind::InvalidCompose);
        assert_eq!(err.line(), Some(3));
    }
}
