//! The crate's error type: what went wrong, where, and what the registry said.

use std::error::Error as StdError;
use std::fmt;

use http::StatusCode;

use crate::ratelimit::RateLimit;

/// An error from the client: its [`ErrorKind`], the registry and repository it concerns, the HTTP status and the
/// registry's own error codes when it answered, and the underlying cause when there is one.
///
/// One pointer wide, so `Result<T, Error>` stays small. `Display` says what went wrong at this layer only; the
/// cause is [`source()`](StdError::source), as error reporters expect (they print both, so `Display` never repeats
/// it). The alternate form `{:#}` appends the causes, for a one-line message.
///
/// Cloning is cheap enough for handing one failed check to every request that shares it: the cause is shared.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    registry: Option<String>,
    repository: Option<String>,
    status: Option<StatusCode>,
    server_errors: Vec<ServerError>,
    detail: Option<Box<str>>,
    scope: Option<String>,
    rate_limit: Option<RateLimit>,
    credentials: Option<CredentialsSent>,
    proxy: Option<String>,
    source: Option<std::sync::Arc<dyn StdError + Send + Sync>>,
}

/// Whether credentials went with a refused request, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialsSent {
    /// None were sent: the request was anonymous.
    None,
    /// Credentials from this source were sent (never the secret itself).
    From(String),
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
    /// The registry kept answering `401` with new challenges: the request gave up after a few rounds instead of
    /// sending credentials again and again.
    AuthLoop,
    /// A token realm or a redirect points to an address no registry should send a client to (link-local, cloud
    /// metadata, unspecified), by its text or by what its name resolves to.
    ForbiddenAddress,
    /// A manifest `GET` was not sent: the pull budget forbids it, or the rate-limit source already answered `429`
    /// in this run (see [`PullBudget`](crate::PullBudget)).
    PullBudget,
    /// The proxy failed the request: it could not be reached, refused the tunnel (`407` for missing or wrong proxy
    /// credentials, `403`, or anything but `200` to `CONNECT`), answered a plain-HTTP request with `407`, or spoke
    /// no HTTP. [`Error::proxy`] names it; the registry may never have been reached.
    Proxy,
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
        self.inner.kind
    }

    /// The registry host the failed request went to, when it concerns one.
    pub fn registry(&self) -> Option<&str> {
        self.inner.registry.as_deref()
    }

    /// The repository the failed request concerned, when there was one.
    pub fn repository(&self) -> Option<&str> {
        self.inner.repository.as_deref()
    }

    /// The HTTP status the registry answered with, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The errors the registry listed in its JSON error body (empty when it sent none).
    pub fn server_errors(&self) -> &[ServerError] {
        &self.inner.server_errors
    }

    /// The token scope an auth failure concerns (`repository:NAME:pull`), when it concerns one.
    pub fn scope(&self) -> Option<&str> {
        self.inner.scope.as_deref()
    }

    /// The rate-limit headers of the response, for [`ErrorKind::TooManyRequests`] (and any other answer that
    /// carried them).
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.inner.rate_limit.as_ref()
    }

    /// For a refused request ([`ErrorKind::Unauthorized`]): `Some(None)` when it went without credentials,
    /// `Some(Some(source))` when credentials went with it, `source` saying where they came from (`explicit`,
    /// `docker config.json`, `podman auth.json`, `credential helper docker-credential-NAME`), never the secret.
    /// `None` when the error is not about a refused request.
    pub fn credentials_sent(&self) -> Option<Option<&str>> {
        match self.inner.credentials.as_ref()? {
            CredentialsSent::None => Some(None),
            CredentialsSent::From(source) => Some(Some(source)),
        }
    }

    /// The proxy a [`ErrorKind::Proxy`] failure concerns, as `http://[USER[:***]@]HOST:PORT` (never the password).
    pub fn proxy(&self) -> Option<&str> {
        self.inner.proxy.as_deref()
    }

    /// The `oci-auth` error underneath, when this error comes from reading credentials, running a credential
    /// helper, or an auth rule (plain HTTP, a forbidden realm).
    pub fn auth_error(&self) -> Option<&oci_auth::Error> {
        self.inner.source.as_deref()?.downcast_ref::<oci_auth::Error>()
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                registry: None,
                repository: None,
                status: None,
                server_errors: Vec::new(),
                detail: None,
                scope: None,
                rate_limit: None,
                credentials: None,
                proxy: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_scope(mut self, scope: &impl fmt::Display) -> Self {
        let scope = scope.to_string();
        if !scope.is_empty() {
            self.inner.scope = Some(scope);
        }
        self
    }

    pub(crate) fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Self {
        if rate_limit.is_some() {
            self.inner.rate_limit = rate_limit;
        }
        self
    }

    pub(crate) fn with_proxy(mut self, proxy: &crate::proxy::ProxyUrl) -> Self {
        self.inner.proxy = Some(proxy.to_string());
        self
    }

    pub(crate) fn with_credentials_sent(mut self, sent: CredentialsSent) -> Self {
        self.inner.credentials = Some(sent);
        self
    }

    /// The detail given with [`Error::with_detail`], if any.
    pub(crate) fn detail(&self) -> Option<&str> {
        self.inner.detail.as_deref()
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.inner.detail = Some(detail.into().into_boxed_str());
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.inner.source = Some(std::sync::Arc::from(source.into()));
        self
    }

    pub(crate) fn with_registry(mut self, registry: &str) -> Self {
        self.inner.registry = Some(registry.to_owned());
        self
    }

    pub(crate) fn with_repository(mut self, repository: Option<&str>) -> Self {
        self.inner.repository = repository.map(str::to_owned);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode, server_errors: Vec<ServerError>) -> Self {
        self.inner.status = Some(status);
        self.inner.server_errors = server_errors;
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

    /// Parses a registry error body, `{"errors":[{"code","message","detail"}]}`; anything that is not the
    /// documented JSON gives an empty list. Codes and messages are kept as sent (they are escaped when displayed);
    /// `detail` is compact JSON cut at [`QUOTE_LIMIT`](crate::text::QUOTE_LIMIT) characters.
    pub fn parse_body(body: &[u8]) -> Vec<Self> {
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
                    .map(|value| cut(&value.to_string())),
            })
            .collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let what = match inner.kind {
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
            ErrorKind::AuthLoop => "authentication did not settle",
            ErrorKind::ForbiddenAddress => "forbidden address",
            ErrorKind::PullBudget => "pull withheld",
            ErrorKind::Proxy => "proxy failed",
        };
        match &inner.proxy {
            Some(proxy) if inner.kind == ErrorKind::Proxy => write!(f, "proxy `{}` failed", cut(proxy))?,
            Some(proxy) => write!(f, "{what} (through the proxy `{}`)", cut(proxy))?,
            None => f.write_str(what)?,
        }
        match (&inner.registry, &inner.repository) {
            (Some(registry), Some(repository)) => write!(f, " for `{}/{}`", cut(registry), cut(repository))?,
            (Some(registry), None) => write!(f, " for registry `{}`", cut(registry))?,
            _ => {}
        }
        if let Some(scope) = &inner.scope {
            write!(f, " (scope `{}`)", cut(scope))?;
        }
        if let Some(status) = inner.status {
            write!(f, ": HTTP {}", status.as_u16())?;
        }
        for (i, server) in inner.server_errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}{} ({})", cut(&server.code), cut(&server.message))?;
        }
        if let Some(detail) = &inner.detail {
            write!(f, ": {detail}")?;
        }
        if f.alternate() {
            let mut next = inner
                .source
                .as_deref()
                .map(|source| source as &(dyn StdError + 'static));
            while let Some(cause) = next {
                write!(
                    f,
                    ": {}",
                    crate::text::escape(&cause.to_string(), crate::text::QUOTE_LIMIT * 4)
                )?;
                next = cause.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("registry", &inner.registry)
            .field("repository", &inner.repository)
            .field("status", &inner.status)
            .field("server_errors", &inner.server_errors)
            .field("detail", &inner.detail)
            .field("scope", &inner.scope)
            .field("rate_limit", &inner.rate_limit)
            .field("credentials", &inner.credentials)
            .field("proxy", &inner.proxy)
            .field("source", &inner.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        let source = self.inner.source.as_deref()?;
        Some(source)
    }
}

/// Foreign text made safe to put into a message: control characters escaped, cut at
/// [`QUOTE_LIMIT`](crate::text::QUOTE_LIMIT) characters.
pub(crate) fn cut(text: &str) -> String {
    crate::text::cut(text).into_owned()
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
    fn quotes_long_text_on_char_boundaries() {
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(150);
        let short = cut(&long);
        assert!(
            short.starts_with(&"é".repeat(100)) && short.ends_with("...(+100 bytes)"),
            "{short}"
        );
    }

    #[test]
    fn is_one_pointer() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<(), Error>>(), size_of::<usize>());
    }

    #[test]
    fn display_never_repeats_the_source() {
        let cause = std::io::Error::other("the disk is on fire");
        let err = Error::new(ErrorKind::Connect)
            .with_registry("r.example")
            .with_source(cause);
        let shown = err.to_string();
        let source = StdError::source(&err).map(ToString::to_string).unwrap_or_default();
        assert_eq!(source, "the disk is on fire");
        assert!(!shown.contains(&source), "{shown}");
        assert_eq!(format!("{err:#}"), format!("{shown}: {source}"));
    }

    #[test]
    fn display_escapes_what_the_registry_said() {
        let err = Error::new(ErrorKind::Status).with_status(
            StatusCode::BAD_GATEWAY,
            ServerError::parse_body(br#"{"errors":[{"code":"X\u001b[2J","message":"line\nforged"}]}"#),
        );
        let shown = err.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.contains("X\\x1b[2J") && shown.contains("line\\nforged"),
            "{shown}"
        );
    }
}
