//! Failures told to people: one line saying what happened and what to try, and a stable kind for `--json`.

use oci_registry::ErrorKind;
use oci_registry::text::cut as quote;

/// One failure: a machine-readable kind, a message for people, and the registry it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    kind: &'static str,
    message: String,
    registry: Option<String>,
}

impl Failure {
    pub(crate) fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            registry: None,
        }
    }

    /// The registry the failure concerns, when it concerns one (repeated failures of one registry are told once).
    pub(crate) fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// A usage error: the command cannot run at all (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new("usage", message)
    }

    /// The stable kind (`not_found`, `unauthorized`, ...), the `error.kind` of `--json`.
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// An image built or loaded locally: reported with status `local`, neither a failure nor an update.
    pub(crate) fn is_local(&self) -> bool {
        self.kind == "local"
    }

    pub(crate) fn is_usage(&self) -> bool {
        self.kind == "usage"
    }

    /// A reference that does not parse.
    pub(crate) fn bad_reference(input: &str, err: &dyn std::fmt::Display) -> Self {
        Self::new(
            "invalid_reference",
            format!(
                "`{}` is not an image reference ({err}); write it as [REGISTRY/]REPOSITORY[:TAG][@DIGEST]",
                quote(input)
            ),
        )
    }

    /// A credential helper or credentials file that failed for `registry`.
    pub(crate) fn from_auth(registry: &str, err: &oci_auth::Error) -> Self {
        let registry = &quote(registry);
        let message = match err.kind() {
            oci_auth::ErrorKind::HelperNotFound { helper: name } => format!(
                "the credential helper `docker-credential-{name}` for {registry} is not on PATH: install it, or remove \
                 it from credHelpers/credsStore in your docker config.json"
            ),
            oci_auth::ErrorKind::HelperTimeout { helper: name, .. } => format!(
                "the credential helper `docker-credential-{name}` for {registry} did not answer in time: run \
                 `echo {registry} | docker-credential-{name} get` to see why"
            ),
            _ => format!("could not get the credentials for {registry}: {err}"),
        };
        Self::new("credentials", message)
    }

    /// A client error for `image`, with what to try; the message ends with the error and its causes.
    pub(crate) fn from_client(image: &str, err: &oci_registry::Error) -> Self {
        let mut failure = Self::describe(image, err);
        failure.registry = err.registry().map(str::to_owned);
        failure
    }

    fn describe(image: &str, err: &oci_registry::Error) -> Self {
        let image = &quote(image);
        let registry = err.registry().map_or(std::borrow::Cow::Borrowed("the registry"), quote);
        let (kind, message) = match err.kind() {
            ErrorKind::NotFound => (
                "not_found",
                format!(
                    "{image} was not found on {registry}: check the name and tag (`oci-check tags` lists the tags)"
                ),
            ),
            ErrorKind::Unauthorized => (
                "unauthorized",
                match err.credentials_sent() {
                    Some(None) => format!(
                        "{registry} wants credentials for {image} and none were found: log in with `docker login \
                     {registry}` (or `podman login`), or pass --username NAME --password-stdin ({err:#})"
                    ),
                    Some(Some(source)) => format!(
                        "{registry} refused the login from {} for {image}: check them with `docker login {registry}` \
                     ({err:#})",
                        quote(source)
                    ),
                    None => format!(
                        "{registry} refused the login for {image}: check `docker login {registry}`, or pass --username \
                     with --password-stdin ({err:#})"
                    ),
                },
            ),
            ErrorKind::AuthLoop => (
                "auth_loop",
                format!(
                    "{registry} kept asking for other credentials for {image}; gave up rather than send them again: \
                     check the registry's auth setup ({err:#})"
                ),
            ),
            ErrorKind::ForbiddenAddress => (
                "forbidden_address",
                format!(
                    "{registry} sent oci-check to an address no registry should use (link-local or cloud metadata) \
                     for {image}; nothing was sent there ({err:#})"
                ),
            ),
            ErrorKind::Denied => (
                "denied",
                format!("{registry} denied access to {image}: the credentials lack pull rights for it ({err:#})"),
            ),
            ErrorKind::Connect => (
                "unreachable",
                format!("could not reach {registry} for {image}: check the host and port and your network ({err:#})"),
            ),
            ErrorKind::Timeout => (
                "timeout",
                format!("{registry} did not answer in time for {image}: try again or raise --timeout ({err:#})"),
            ),
            ErrorKind::Tls => (
                "tls",
                format!(
                    "the TLS handshake with {registry} failed for {image}: for a private CA pass --ca-cert \
                     {registry}=CA.pem, for a plain-HTTP registry --insecure-registry {registry} ({err:#})"
                ),
            ),
            ErrorKind::Http => (
                "http",
                format!(
                    "the connection to {registry} broke for {image}; if it serves plain HTTP pass --insecure-registry \
                     {registry} ({err:#})"
                ),
            ),
            ErrorKind::InsecureTransport => (
                "insecure_transport",
                format!("{err:#}; pass --insecure-registry {registry} to allow plain HTTP"),
            ),
            ErrorKind::TooManyRequests => (
                "rate_limited",
                format!("{registry} is rate limiting {image}: wait, or log in for a higher limit ({err:#})"),
            ),
            ErrorKind::DigestMismatch => (
                "digest_mismatch",
                format!(
                    "{registry} served content for {image} that does not match its digest: do not trust it ({err:#})"
                ),
            ),
            ErrorKind::Credentials => {
                let registry = err.registry().unwrap_or("the registry");
                return match err.auth_error() {
                    Some(auth) => Self::from_auth(registry, auth),
                    None => Self::new(
                        "credentials",
                        format!("could not get the credentials for {}: {err:#}", quote(registry)),
                    ),
                };
            }
            ErrorKind::PlatformNotFound => (
                "no_platform",
                format!("{image} has no image for the platform asked for: pass another with --platform ({err:#})"),
            ),
            ErrorKind::InvalidManifest => (
                "bad_manifest",
                format!("{registry} served a manifest for {image} that oci-check cannot read ({err:#})"),
            ),
            ErrorKind::PullBudget => (
                "pull_budget",
                format!("{image}: no manifest GET was sent: {err:#}; raise --max-pulls or lower --reserve"),
            ),
            ErrorKind::Proxy => (
                "proxy",
                format!(
                    "the proxy {} did not carry the request for {image} to {registry}: check the proxy URL and its \
                     credentials (--proxy, HTTPS_PROXY, HTTP_PROXY), or list {registry} in --no-proxy or NO_PROXY if \
                     it is to be reached directly ({err:#})",
                    err.proxy()
                        .map_or_else(|| "in use".to_owned(), |proxy| format!("`{}`", quote(proxy)))
                ),
            ),
            ErrorKind::InvalidInput => ("invalid_input", format!("{image}: {err:#}")),
            _ => ("registry", format!("{image}: {err:#}")),
        };
        Self::new(kind, message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
