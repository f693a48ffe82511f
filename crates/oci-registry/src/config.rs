//! Client configuration: timeouts, limits and per-registry options.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use oci_auth::CredentialStore;

use crate::error::{Error, ErrorKind};
use crate::location::{api_host, host_of, is_loopback};
use crate::retry::RetryPolicy;

/// The default limit of requests in flight to one registry.
const DEFAULT_CONCURRENCY_PER_REGISTRY: usize = 32;

/// How the client talks to a registry.
///
/// Without a choice, a registry gets HTTPS, except that a loopback registry (`localhost`, 127.0.0.0/8, `::1`) whose
/// HTTPS port answers in plain HTTP is then spoken to in plain HTTP, as Docker treats its default insecure range;
/// that is decided once per registry and remembered.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// HTTPS with certificate verification against the web PKI roots and the registry's extra CA certificates,
    /// never plain HTTP.
    Https,
    /// Plain HTTP: allowed only for loopback registries and registries marked [`RegistryOptions::insecure`].
    Http,
}

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

/// Options for one registry host.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub(crate) scheme: Option<Scheme>,
    pub(crate) insecure: bool,
    pub(crate) check_addresses: bool,
    pub(crate) ca_certificates: Vec<CertificateDer<'static>>,
    pub(crate) credentials: Option<Credentials>,
}

/// Everything a [`Client`](crate::Client) is built from; made by [`ClientBuilder`].
///
/// Whatever the configuration, the addresses a host name resolves to are checked before connecting: no connection
/// to a link-local, cloud-metadata or unspecified address unless the host is a registry configured here (so a token
/// realm or a redirect cannot lead there by a DNS name), and plain HTTP to `localhost` only when it resolves to
/// loopback addresses. Through a proxy ([`ClientBuilder::proxy`]) the proxy resolves names, so only targets given as
/// IP addresses are checked.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) manifest_size_limit: u64,
    pub(crate) user_agent: String,
    pub(crate) registries: HashMap<String, RegistryOptions>,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) max_concurrency_per_registry: Option<usize>,
    pub(crate) credential_store: Option<CredentialStore>,
    /// Addresses used for host names instead of asking DNS, like curl's `--resolve`.
    pub(crate) resolve: HashMap<String, Vec<std::net::IpAddr>>,
    pub(crate) cache: Option<crate::cache::CacheSlot>,
    pub(crate) tags_max_age: Duration,
    pub(crate) pull_budget: crate::budget::PullBudget,
    pub(crate) proxy: crate::proxy::ProxyConfig,
    /// Mirrors per registry (API hosts), asked in order before it for manifests.
    pub(crate) mirrors: HashMap<String, Vec<String>>,
    /// Never fall back from the mirrors to the registry itself.
    pub(crate) mirror_only: bool,
    /// After a mirror answered a tag's `HEAD`, ask the registry itself too and compare.
    pub(crate) mirror_drift: bool,
}

/// Builds a [`Client`](crate::Client); start with [`Client::builder`](crate::Client::builder).
#[derive(Debug)]
pub struct ClientBuilder {
    config: ClientConfig,
    error: Option<Error>,
}

impl Credentials {
    /// A username and password (or token) sent with HTTP Basic auth or to a token server.
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl RegistryOptions {
    /// Default options: HTTPS, web PKI roots, no credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses HTTPS or plain HTTP, instead of HTTPS with the plain-HTTP fallback for loopback registries.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// Marks the registry insecure, which permits [`Scheme::Http`] for a host that is not on loopback.
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// Keeps the address check for this registry although it is configured here: its host must not resolve to a
    /// link-local, cloud-metadata or unspecified address. For a registry the user did not name but a file or an
    /// engine did (a compose file's `image:`, a container's image, inspect output), which a hostile file could
    /// point at a metadata address.
    #[must_use]
    pub fn check_addresses(mut self) -> Self {
        self.check_addresses = true;
        self
    }

    /// Trusts the CA certificates in `pem` (one or more `CERTIFICATE` blocks) for this registry, besides the web PKI.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidCertificate`] when `pem` holds no certificate or a malformed one.
    pub fn ca_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|err| Error::new(ErrorKind::InvalidCertificate).with_source(err.to_string()))?;
            self.ca_certificates.push(cert);
            found += 1;
        }
        if found == 0 {
            return Err(Error::new(ErrorKind::InvalidCertificate).with_detail("no PEM CERTIFICATE block found"));
        }
        Ok(self)
    }

    /// Trusts one DER-encoded CA certificate for this registry, besides the web PKI.
    pub fn ca_certificate_der(mut self, der: &[u8]) -> Self {
        self.ca_certificates.push(CertificateDer::from(der.to_vec()));
        self
    }

    /// Uses `credentials` when the registry asks for them.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            manifest_size_limit: 4 * 1024 * 1024,
            user_agent: concat!("oci-registry/", env!("CARGO_PKG_VERSION")).to_owned(),
            registries: HashMap::new(),
            retry_policy: RetryPolicy::default(),
            max_concurrency_per_registry: Some(DEFAULT_CONCURRENCY_PER_REGISTRY),
            credential_store: None,
            resolve: HashMap::new(),
            cache: None,
            tags_max_age: DEFAULT_TAGS_MAX_AGE,
            pull_budget: crate::budget::PullBudget::new(),
            proxy: crate::proxy::ProxyConfig::new(),
            mirrors: HashMap::new(),
            mirror_only: false,
            mirror_drift: false,
        }
    }
}

/// How long a cached tag list is used, by default.
pub const DEFAULT_TAGS_MAX_AGE: Duration = Duration::from_secs(5 * 60);

impl ClientConfig {
    /// The mirrors of `registry` (an API host), in the order they are asked.
    pub(crate) fn mirrors_of(&self, registry: &str) -> &[String] {
        self.mirrors.get(registry).map_or(&[], Vec::as_slice)
    }

    /// The options for `registry` (already normalized): those given for its `host:port`, else those given for its
    /// host alone (which cover every port).
    pub(crate) fn registry(&self, registry: &str) -> Option<&RegistryOptions> {
        self.registries
            .get(registry)
            .or_else(|| self.registries.get(host_of(registry)))
    }

    /// The cache's location, when the client has one.
    pub fn cache_location(&self) -> Option<String> {
        self.cache.as_ref().map(|slot| slot.backend().location())
    }

    /// How long a cached tag list is used.
    pub fn tags_max_age(&self) -> Duration {
        self.tags_max_age
    }

    /// The pull budget.
    pub fn pull_budget(&self) -> &crate::budget::PullBudget {
        &self.pull_budget
    }

    /// The proxies connections go through (none by default).
    pub fn proxy(&self) -> &crate::proxy::ProxyConfig {
        &self.proxy
    }

    /// The connect timeout (TCP, a proxy's `CONNECT` and the TLS handshake).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The time one operation may take (a manifest request, a tag list page, one update check), from its first
    /// request to the end of its last body, retries, token requests and `Retry-After` waits included.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// The largest manifest accepted, in bytes.
    pub fn manifest_size_limit(&self) -> u64 {
        self.manifest_size_limit
    }

    /// When and how failed idempotent requests are tried again.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    /// The most requests in flight to one registry, when limited.
    pub fn max_concurrency_per_registry(&self) -> Option<usize> {
        self.max_concurrency_per_registry
    }
}

impl ClientBuilder {
    pub(crate) fn new() -> Self {
        Self {
            config: ClientConfig::default(),
            error: None,
        }
    }

    /// Sets the connect timeout, covering the TCP connection, a proxy's answer to `CONNECT` and the TLS handshake
    /// (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets the time one operation may take, retries, token requests and `Retry-After` waits included (default
    /// 30 s); see [`ClientConfig::request_timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Sets the largest manifest accepted, in bytes (default 4 MiB).
    pub fn manifest_size_limit(mut self, bytes: u64) -> Self {
        self.config.manifest_size_limit = bytes;
        self
    }

    /// Sets when and how failed `GET` and `HEAD` requests are tried again (connect errors, 5xx, 429, with
    /// `Retry-After` honoured within the policy's cap); default [`RetryPolicy::default`]. [`RetryPolicy::never`]
    /// turns retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry_policy = policy;
        self
    }

    /// Limits the requests in flight to one registry to `n` (default 32; at least 1). Each request holds its
    /// permit until its response headers arrive.
    pub fn max_concurrency_per_registry(mut self, n: usize) -> Self {
        self.config.max_concurrency_per_registry = Some(n.max(1));
        self
    }

    /// Removes the per-registry concurrency limit.
    pub fn unlimited_concurrency(mut self) -> Self {
        self.config.max_concurrency_per_registry = None;
        self
    }

    /// Looks credentials up in `store` (docker `config.json`, podman `auth.json`, credential helpers) for registries
    /// without explicit [`Credentials`], once per registry; helpers run on tokio's blocking pool. Build one with
    /// [`CredentialStore::from_environment`](oci_auth::CredentialStore::from_environment).
    pub fn credential_store(mut self, store: CredentialStore) -> Self {
        self.config.credential_store = Some(store);
        self
    }

    /// Uses `username` and `password_or_token` for `registry` (`host`, `host:port`, or `docker.io`) when it asks
    /// for credentials, keeping the registry's other options. A shorthand for [`ClientBuilder::registry`] with
    /// [`RegistryOptions::credentials`].
    ///
    /// ```
    /// let client = oci_registry::Client::builder()
    ///     .add_auth("ghcr.io", "octocat", "ghp_token")
    ///     .build()?;
    /// # Ok::<(), oci_registry::Error>(())
    /// ```
    pub fn add_auth(mut self, registry: &str, username: &str, password_or_token: &str) -> Self {
        match api_host(registry) {
            Ok(host) => {
                let options = self.config.registries.entry(host).or_default();
                options.credentials = Some(Credentials::new(username, password_or_token));
            }
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// Connects to `address` whenever `host` is to be reached, instead of asking DNS (repeatable: each call adds an
    /// address), like curl's `--resolve`. The address checks still apply: see [`ClientConfig`].
    pub fn resolve(mut self, host: &str, address: std::net::IpAddr) -> Self {
        self.config
            .resolve
            .entry(host.to_ascii_lowercase())
            .or_default()
            .push(address);
        self
    }

    /// Sends every connection through the proxies of `proxy` (registries, token realms, blob redirects alike),
    /// except to loopback hosts and the hosts its [`NoProxy`](crate::NoProxy) list names. HTTPS goes through a
    /// `CONNECT` tunnel to the proxy, with TLS to the target inside it; plain HTTP goes to the proxy in absolute form.
    /// The proxy URL's user and password go only to the proxy, as `Proxy-Authorization: Basic`.
    ///
    /// The address checks (see [`ClientConfig`]) apply to what the client resolves itself: through a proxy, the
    /// proxy resolves the target's name, so only a target that is an IP address is still checked, and the proxy's
    /// own address is not (it is configured by the caller).
    ///
    /// ```
    /// use oci_registry::{Client, ProxyConfig};
    ///
    /// let proxy = ProxyConfig::from_env([("HTTPS_PROXY", "http://proxy.corp.example:3128"), ("NO_PROXY", ".corp.example")])?;
    /// let client = Client::builder().proxy(proxy).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn proxy(mut self, proxy: crate::proxy::ProxyConfig) -> Self {
        self.config.proxy = proxy;
        self
    }

    /// Sets the `User-Agent` header.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        user_agent.clone_into(&mut self.config.user_agent);
        self
    }

    /// Remembers manifests and image configs by digest, and tag lists for [`ClientBuilder::tags_max_age`], in
    /// `cache` (see [`Cache`](crate::cache::Cache)), shared as an `Arc<dyn Cache>`. Every entry is verified when read; the
    /// tag's digest for a verdict is never read from it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use oci_registry::Client;
    /// use oci_registry::cache::{Cache, FsCache};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("oci-registry-doc-{}", std::process::id()));
    /// let cache: Arc<dyn Cache> = Arc::new(FsCache::open(&dir, 256 * 1024 * 1024)?);
    /// let client = Client::builder().cache(cache).build()?;
    /// # drop(client);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cache(mut self, cache: std::sync::Arc<dyn crate::cache::Cache>) -> Self {
        self.config.cache = Some(crate::cache::CacheSlot::new(cache));
        self
    }

    /// Uses a cached tag list for at most `age` (zero: never cached). The default is 5 minutes.
    pub fn tags_max_age(mut self, age: Duration) -> Self {
        self.config.tags_max_age = age;
        self
    }

    /// Spends manifest `GET`s (pulls, on Docker Hub) within `budget`; a check that needs a `GET` the budget forbids
    /// finishes on its `HEAD` (see [`Answer::Withheld`](crate::Answer::Withheld)).
    pub fn pull_budget(mut self, budget: crate::budget::PullBudget) -> Self {
        self.config.pull_budget = budget;
        self
    }

    /// Sets the options for `registry`: `host:port` for one port, or `host` alone for every port of the host
    /// (`docker.io` means Docker Hub).
    pub fn registry(mut self, registry: &str, options: RegistryOptions) -> Self {
        match api_host(registry) {
            Ok(host) => {
                self.config.registries.insert(host, options);
            }
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// Asks `mirror` (`host[:port]`, a pull-through cache such as the CNCF registry in proxy mode) before
    /// `registry` for its manifests, with containerd's `?ns=REGISTRY` parameter; mirrors are asked in the order
    /// given, and a mirror that fails (or does not have the manifest) is followed by the next and then by the
    /// registry itself, unless [`mirror_only`](Self::mirror_only). Each mirror gets at most half the time left.
    /// `options` are the mirror's own (scheme, CA certificates, credentials). Tag lists and blobs still come
    /// from the registry. [`UpdateCheck::served_by`](crate::UpdateCheck::served_by) says who answered.
    pub fn mirror(mut self, registry: &str, mirror: &str, options: RegistryOptions) -> Self {
        match (api_host(registry), api_host(mirror)) {
            (Ok(registry), Ok(mirror)) => {
                self.config.registries.entry(mirror.clone()).or_insert(options);
                let list = self.config.mirrors.entry(registry).or_default();
                if !list.contains(&mirror) {
                    list.push(mirror);
                }
            }
            (Err(err), _) | (_, Err(err)) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    /// Never asks a registry that has mirrors itself: when every mirror fails, the check fails (for a network
    /// that reaches the registry only through its mirrors).
    pub fn mirror_only(mut self) -> Self {
        self.config.mirror_only = true;
        self
    }

    /// When a mirror answered a tag's `HEAD`, also asks the registry itself with one `HEAD` (free on Docker Hub)
    /// and compares: [`UpdateCheck::mirror_drift`](crate::UpdateCheck::mirror_drift) says whether the mirror
    /// names another image than the registry does (a stale mirror), and the verdict stays the mirror's.
    pub fn mirror_drift(mut self) -> Self {
        self.config.mirror_drift = true;
        self
    }

    /// The configuration as built so far, validated.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for an invalid registry host, [`ErrorKind::InsecureTransport`] for plain HTTP to a
    /// registry that is neither on loopback nor marked insecure.
    pub fn config(self) -> Result<ClientConfig, Error> {
        if let Some(err) = self.error {
            return Err(err);
        }
        for (host, options) in &self.config.registries {
            if options.scheme == Some(Scheme::Http) && !options.insecure && !is_loopback(host) {
                return Err(Error::new(ErrorKind::InsecureTransport)
                    .with_registry(host)
                    .with_detail(
                        "plain HTTP is only used for loopback registries and registries marked insecure; \
                     use RegistryOptions::insecure() if this registry really has no TLS",
                    ));
            }
        }
        Ok(self.config)
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::config`], and [`ErrorKind::InvalidCertificate`] when a CA certificate cannot be used.
    pub fn build(self) -> Result<crate::Client, Error> {
        crate::Client::from_config(self.config()?)
    }
}
