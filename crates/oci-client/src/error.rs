//! The crate's error type: what went wrong, where, and what the registry said.

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use crate::ratelimit::RateLimit;

/// An error from the client: its [`ErrorKind`], the registry and repository it concerns, the HTTP status and the
/// registry's own error codes when it answered, and the underlying cause when there is one.
pub struct Error {
    kind: ErrorKind,
    registry: Option<String>,
    repository: Option<String>,
    status: Option<StatusCode>,
    server_errors: Vec<ServerError>,
    detail: Option<Box<str>>,
    /// Rarely present, so boxed to keep `Result<T, Error>` small.
    extra: Option<Box<Extra>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

#[derive(Debug, Default)]
struct Extra {
    scope: Option<String>,
    rate_limit: Option<RateLimit>,
}

/// What kind of failure an [`Error`] is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument was not valid: a registry host, repository name or tag that cannot be used in a request.
    InvalidInput,
    /// The configuration asks for plain HTTP to a registry that is neither on loopback nor marked insecure.
    InsecureTransport,
    /// A CA certificate given in the configuration could not be read.
    InvalidCertificate,
    /// The TCP connection could not be made.
    Connect,
    /// The TLS handshake failed, for example because the server's certificate is not trusted.
    Tls,
    /// The connect or request timeout passed.
    Timeout,
    /// The connection broke or the server spoke malformed HTTP.
    Http,
    /// The registry answered 401: credentials are missing or were refused.
    Unauthorized,
    /// The registry answered 403: the credentials are valid but lack access.
    Denied,
    /// The registry answered 404: the repository, tag, manifest or blob is unknown.
    NotFound,
    /// The registry answered 429: too many requests.
    TooManyRequests,
    /// The registry answered with another unexpected status.
    Status,
    /// The response is larger than the configured limit.
    TooLarge,
    /// The content's digest is not the digest that was asked for or announced.
    DigestMismatch,
    /// The response was well-formed HTTP but not what the registry API promises (a bad header, a bad token answer).
    Protocol,
    /// A manifest's bytes are not a manifest of a known kind (see `oci_manifest::Manifest::parse`).
    InvalidManifest,
    /// An image index has no image for the platform asked for.
    PlatformNotFound,
    /// Credentials could not be read: a credentials file is malformed, or a credential helper is missing, failed,
    /// timed out or answered nonsense.
    Credentials,
    /// A redirect chain was longer than the client follows, or looped.
    TooManyRedirects,
}

/// One entry of the registry's JSON error body, `{"errors":[{"code","message","detail"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    code: String,
    message: String,
    detail: Option<String>,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The registry host the failed request went to, when it concerns one.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository the failed request concerned, when there was one.
    pub fn repository(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    /// The HTTP status the registry answered with, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The errors the registry listed in its JSON error body (empty when it sent none).
    pub fn server_errors(&self) -> &[ServerError] {
        &self.server_errors
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            registry: None,
            repository: None,
            status: None,
            server_errors: Vec::new(),
            detail: None,
            extra: None,
            source: None,
        }
    }

    /// The token scope an auth failure concerns (`repository:NAME:pull`), when it concerns one.
    pub fn scope(&self) -> Option<&str> {
        self.extra.as_ref()?.scope.as_deref()
    }

    /// The rate-limit headers of the response, for [`ErrorKind::TooManyRequests`] (and any other answer that
    /// carried them).
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.extra.as_ref()?.rate_limit.as_ref()
    }

    pub(crate) fn with_scope(mut self, scope: &impl fmt::Display) -> Self {
        let scope = scope.to_string();
        if !scope.is_empty() {
            self.extra.get_or_insert_default().scope = Some(scope);
        }
        self
    }

    pub(crate) fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Self {
        if rate_limit.is_some() {
            self.extra.get_or_insert_default().rate_limit = rate_limit;
        }
        self
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into().into_boxed_str());
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn with_registry(mut self, registry: &str) -> Self {
        self.registry = Some(registry.to_owned());
        self
    }

    pub(crate) fn with_repository(mut self, repository: Option<&str>) -> Self {
        self.repository = repository.map(str::to_owned);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode, server_errors: Vec<ServerError>) -> Self {
        self.status = Some(status);
        self.server_errors = server_errors;
        self
    }
}

impl ServerError {
    /// The error code, such as `MANIFEST_UNKNOWN` or `UNAUTHORIZED`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `detail` value as compact JSON, when the registry sent one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Parses a registry error body; anything that is not the documented JSON gives an empty list.
    pub(crate) fn parse_body(body: &[u8]) -> Vec<Self> {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default)]
            errors: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            detail: Option<serde_json::Value>,
        }
        let Ok(body) = serde_json::from_slice::<Body>(body) else {
            return Vec::new();
        };
        body.errors
            .into_iter()
            .map(|entry| Self {
                code: entry.code,
                message: entry.message,
                detail: entry
                    .detail
                    .filter(|value| !value.is_null())
                    .map(|value| truncate(&value.to_string())),
            })
            .collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::InsecureTransport => "plain HTTP refused",
            ErrorKind::InvalidCertificate => "invalid CA certificate",
            ErrorKind::Connect => "could not connect",
            ErrorKind::Tls => "TLS handshake failed",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Http => "HTTP error",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Denied => "access denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::TooManyRequests => "too many requests",
            ErrorKind::Status => "unexpected status",
            ErrorKind::TooLarge => "response too large",
            ErrorKind::DigestMismatch => "digest mismatch",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::InvalidManifest => "invalid manifest",
            ErrorKind::PlatformNotFound => "no image for the platform",
            ErrorKind::Credentials => "credentials unavailable",
            ErrorKind::TooManyRedirects => "too many redirects",
        };
        f.write_str(what)?;
        match (&self.registry, &self.repository) {
            (Some(registry), Some(repository)) => write!(f, " for `{registry}/{repository}`")?,
            (Some(registry), None) => write!(f, " for registry `{registry}`")?,
            _ => {}
        }
        if let Some(scope) = self.scope() {
            write!(f, " (scope `{scope}`)")?;
        }
        if let Some(status) = self.status {
            write!(f, ": HTTP {}", status.as_u16())?;
        }
        for (i, server) in self.server_errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{} ({})", server.code, server.message)?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
            let mut next = source.source();
            while let Some(cause) = next {
                write!(f, ": {cause}")?;
                next = cause.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("registry", &self.registry)
            .field("repository", &self.repository)
            .field("status", &self.status)
            .field("server_errors", &self.server_errors)
            .field("detail", &self.detail)
            .field("scope", &self.scope())
            .field("rate_limit", &self.rate_limit())
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn StdError + 'static))
    }
}

/// Shortens text from the network before it goes into a message.
pub(crate) fn truncate(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registry_error_bodies() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        let errors = ServerError::parse_body(body);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code(), "MANIFEST_UNKNOWN");
        assert_eq!(errors[0].message(), "manifest unknown");
        assert_eq!(errors[0].detail(), Some(r#"{"Tag":"x"}"#));
        assert!(ServerError::parse_body(b"<html>").is_empty());
        assert!(ServerError::parse_body(b"{}").is_empty());
        let no_detail = ServerError::parse_body(br#"{"errors":[{"code":"DENIED","message":"no","detail":null}]}"#);
        assert_eq!(no_detail[0].detail(), None);
    }

    #[test]
    fn display_names_registry_repository_and_server_errors() {
        let err = Error::new(ErrorKind::NotFound)
            .with_registry("127.0.0.1:5000")
            .with_repository(Some("a/b"))
            .with_status(
                StatusCode::NOT_FOUND,
                ServerError::parse_body(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#),
            );
        assert_eq!(
            err.to_string(),
            "not found for `127.0.0.1:5000/a/b`: HTTP 404: MANIFEST_UNKNOWN (manifest unknown)"
        );
    }

    #[test]
    fn truncates_long_text_on_char_boundaries() {
        assert_eq!(truncate("short"), "short");
        let long = "é".repeat(150);
        let short = truncate(&long);
        assert!(short.ends_with("...") && short.len() <= 203);
    }
}
