//! The one [`Error`] of this crate and its [`ErrorKind`].

use std::fmt;

use crate::text;

/// A target URL, an `on` list or a service's answer that was refused.
///
/// Its `Display` quotes the input with every secret replaced by `***`: an error is logged, and a
/// log is no place for a password.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    /// What the input was meant to be: "notification target", ...
    what: &'static str,
    /// The input, redacted.
    input: String,
    /// What exactly is wrong, from non-secret parts only.
    detail: Option<String>,
}

/// What is wrong.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Not `SCHEME://...` at all, or a character no URL has (a space, a control character).
    Syntax,
    /// A scheme this crate does not know.
    UnknownScheme,
    /// A `%` escape that is not two hex digits, or escapes that do not decode to UTF-8.
    Encoding,
    /// A host that is missing or not a host name or address.
    InvalidHost,
    /// A port that is not a number from 1 to 65535.
    InvalidPort,
    /// A path the service does not have: a missing or malformed topic, token or webhook id.
    InvalidPath,
    /// A user name or password where the service takes none, or none where it needs one.
    InvalidCredentials,
    /// A query option the service does not know.
    UnknownOption,
    /// A query option given twice.
    DuplicateOption,
    /// An option whose value is not one the service accepts.
    InvalidOption,
    /// An option the service needs is missing (`from` and `to` for smtp, `chats` for telegram).
    MissingOption,
    /// A kind in an `on` list that is not `update`, `newer`, `major`, `minor`, `patch`, `error`
    /// or `recovered`, or an empty list.
    UnknownKind,
    /// A mail address that is not one (or that would break the mail's headers).
    InvalidAddress,
    /// A script path that is not absolute.
    RelativePath,
    /// A service's answer that does not say what it should (a Matrix login without a token).
    InvalidResponse,
}

impl Error {
    /// An error about `input`, which the caller has redacted already.
    pub(crate) fn new(kind: ErrorKind, input: String, detail: Option<String>) -> Self {
        Self::about("notification target", kind, input, detail)
    }

    /// An error about something other than a target URL.
    pub(crate) fn about(what: &'static str, kind: ErrorKind, input: String, detail: Option<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                what,
                input,
                detail,
            }),
        }
    }

    /// What exactly is wrong, when more is known than the kind says.
    pub(crate) fn detail(&self) -> Option<&str> {
        self.inner.detail.as_deref()
    }

    /// What is wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The refused input with its secrets replaced by `***`.
    pub fn redacted_input(&self) -> &str {
        &self.inner.input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {}", self.inner.what, text::quote(&self.inner.input))?;
        let default = match self.inner.kind {
            ErrorKind::Syntax => "expected SERVICE://... as in the README's list of targets",
            ErrorKind::UnknownScheme => {
                "unknown service; expected ntfy, mqtt, mqtts, smtp, webhook+https, webhook+http, discord, slack, \
                 gotify, telegram, matrix, pushover or script"
            }
            ErrorKind::Encoding => "a `%` escape is not two hex digits or does not decode to UTF-8",
            ErrorKind::InvalidHost => "the host is missing or not a host name",
            ErrorKind::InvalidPort => "the port is not a number from 1 to 65535",
            ErrorKind::InvalidPath => "the path is not what this service takes",
            ErrorKind::InvalidCredentials => "the user name or password is not what this service takes",
            ErrorKind::UnknownOption => "unknown option",
            ErrorKind::DuplicateOption => "an option is given twice",
            ErrorKind::InvalidOption => "an option has a value this service does not take",
            ErrorKind::MissingOption => "a required option is missing",
            ErrorKind::UnknownKind => {
                "expected a comma list of update, newer, major, minor, patch, error, recovered and untrusted"
            }
            ErrorKind::InvalidAddress => "not a mail address",
            ErrorKind::RelativePath => "a script path must be absolute (script:///usr/local/bin/notify)",
            ErrorKind::InvalidResponse => "the answer does not say what it should",
        };
        f.write_str(": ")?;
        match &self.inner.detail {
            Some(detail) => f.write_str(detail),
            None => f.write_str(default),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("input", &self.inner.input)
            .field("detail", &self.inner.detail)
            .finish()
    }
}

impl std::error::Error for Error {}
