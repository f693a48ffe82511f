//! The crate's [`Error`] and its [`ErrorKind`].

use std::fmt;

/// The longest part of an input that an error message quotes.
const QUOTE_LIMIT: usize = 100;

/// Something this crate refused or could not do.
///
/// The [`kind`](Self::kind) says what went wrong; the message quotes the offending input (truncated when
/// long) and never includes a secret.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    input: Box<str>,
    detail: Option<Box<str>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What went wrong.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A `WWW-Authenticate` header does not follow RFC 7235.
    InvalidChallenge {
        /// The byte offset in the header where parsing stopped.
        position: usize,
    },
    /// A scope string is not `type[(class)]:name:action[,action...]`.
    InvalidScope,
    /// A URL (a realm, a server address) could not be parsed or has a scheme other than `http`/`https`.
    InvalidUrl,
    /// A credentials file (docker `config.json`, podman `auth.json`) is not valid JSON of the expected shape,
    /// or one of its entries is malformed (for example `auth` is not base64 of `user:password`).
    InvalidConfig,
    /// A credentials file could not be read.
    Io,
    /// A credentials file is not a regular file (a directory, FIFO, socket or device) and was refused without
    /// being read: a FIFO would block the reader forever and a device like `/dev/zero` never ends.
    NotRegularFile,
    /// A credentials file is larger than the limit ([`MAX_AUTH_FILE_SIZE`](crate::MAX_AUTH_FILE_SIZE)) and was
    /// refused.
    FileTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The credential helper program is not on the `PATH`.
    HelperNotFound {
        /// The helper's name, without the `docker-credential-` prefix.
        helper: String,
    },
    /// The credential helper exited unsuccessfully (for a reason other than "credentials not found").
    HelperFailed {
        /// The helper's name, without the `docker-credential-` prefix.
        helper: String,
        /// The exit code, when the helper exited normally.
        code: Option<i32>,
    },
    /// The credential helper printed something that is not the JSON of the `get` protocol.
    HelperOutput {
        /// The helper's name, without the `docker-credential-` prefix.
        helper: String,
    },
    /// The credential helper did not finish within the timeout and was killed.
    HelperTimeout {
        /// The helper's name, without the `docker-credential-` prefix.
        helper: String,
    },
    /// The credential helper could not be started or talked to.
    HelperIo {
        /// The helper's name, without the `docker-credential-` prefix.
        helper: String,
    },
    /// A token response is not JSON, or a field has the wrong type or format.
    InvalidTokenResponse,
    /// A token response has neither `token` nor `access_token`.
    MissingToken,
    /// Credentials would be sent in clear text over plain HTTP to a host that is neither loopback nor the host
    /// of a registry marked insecure.
    InsecureTransport,
    /// A Bearer realm uses plain HTTP although the registry uses HTTPS.
    InsecureRealm,
    /// A realm points at an address that a token request must never go to: link-local (which includes cloud
    /// metadata services), unspecified, or a numeric host in a form that hides such an address.
    ForbiddenRealmAddress,
    /// A challenge lacks something the operation needs (a Bearer challenge without `realm`).
    IncompleteChallenge,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, input: &str) -> Self {
        Self {
            kind,
            input: input.into(),
            detail: None,
            source: None,
        }
    }

    pub(crate) fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<Box<str>>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The input that was refused: a header, a scope, a URL, a file path, a helper's server URL.
    ///
    /// Never a secret: errors about tokens and credentials quote no token or password.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// For [`ErrorKind::InvalidChallenge`], the byte offset where the header stopped making sense.
    pub fn position(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::InvalidChallenge { position } => Some(position),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InvalidChallenge { position } => {
                f.write_str("invalid WWW-Authenticate header ")?;
                write_quoted(f, &self.input)?;
                write!(f, " at byte {position}")?;
            }
            ErrorKind::InvalidScope => {
                f.write_str("invalid scope ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::InvalidUrl => {
                f.write_str("invalid URL ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::InvalidConfig => {
                f.write_str("invalid credentials file ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::Io => {
                f.write_str("cannot read ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::NotRegularFile => {
                f.write_str("refusing credentials file ")?;
                write_quoted(f, &self.input)?;
                f.write_str(", which is not a regular file")?;
            }
            ErrorKind::FileTooLarge { limit } => {
                f.write_str("refusing credentials file ")?;
                write_quoted(f, &self.input)?;
                write!(
                    f,
                    " because it is larger than {limit} bytes, more than any credentials file holds (check what it is)"
                )?;
            }
            ErrorKind::HelperNotFound { helper } => {
                write!(f, "credential helper `docker-credential-{helper}` not found on PATH")?;
                f.write_str(" (install it, or remove it from the docker config) for ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::HelperFailed { helper, code } => {
                write!(f, "credential helper `docker-credential-{helper}` failed for ")?;
                write_quoted(f, &self.input)?;
                match code {
                    Some(code) => write!(f, " with exit status {code}")?,
                    None => f.write_str(" (killed by a signal)")?,
                }
            }
            ErrorKind::HelperOutput { helper } => {
                write!(
                    f,
                    "credential helper `docker-credential-{helper}` printed output that is not "
                )?;
                f.write_str("the JSON of the `get` protocol for ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::HelperTimeout { helper } => {
                write!(
                    f,
                    "credential helper `docker-credential-{helper}` did not answer in time for "
                )?;
                write_quoted(f, &self.input)?;
                f.write_str(" and was killed")?;
            }
            ErrorKind::HelperIo { helper } => {
                write!(f, "cannot run credential helper `docker-credential-{helper}` for ")?;
                write_quoted(f, &self.input)?;
            }
            ErrorKind::InvalidTokenResponse => f.write_str("invalid token response")?,
            ErrorKind::MissingToken => f.write_str("token response has neither `token` nor `access_token`")?,
            ErrorKind::InsecureTransport => {
                f.write_str("refusing to send credentials over plain HTTP to ")?;
                write_quoted(f, &self.input)?;
                f.write_str(" (clear text goes only to loopback, or to the registry's own host if you mark the registry insecure)")?;
            }
            ErrorKind::InsecureRealm => {
                f.write_str("refusing plain-HTTP token realm ")?;
                write_quoted(f, &self.input)?;
                f.write_str(" for an HTTPS registry")?;
            }
            ErrorKind::ForbiddenRealmAddress => {
                f.write_str("refusing token realm ")?;
                write_quoted(f, &self.input)?;
                f.write_str(" on a link-local, metadata or unspecified address")?;
            }
            ErrorKind::IncompleteChallenge => {
                f.write_str("incomplete challenge ")?;
                write_quoted(f, &self.input)?;
            }
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Writes `text` in double quotes with Rust escapes, cut to [`QUOTE_LIMIT`] characters and then followed by its
/// whole length (`... (N bytes)`), as every crate quotes.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    let mut chars = text.chars();
    for c in chars.by_ref().take(QUOTE_LIMIT) {
        write!(f, "{}", c.escape_debug())?;
    }
    f.write_str("\"")?;
    if chars.next().is_some() {
        write!(f, "... ({} bytes)", text.len())?;
    }
    Ok(())
}

/// `text` cut to at most `limit` characters, for excerpts in messages.
pub(crate) fn excerpt(text: &str, limit: usize) -> String {
    let mut out: String = text.trim().chars().take(limit).collect();
    if text.trim().chars().count() > limit {
        out.push_str("...");
    }
    out
}
