//! The registry options every network subcommand shares, and the client built from them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Duration;

use oci_auth::{CredentialStore, DEFAULT_HELPER_TIMEOUT, Environment};
use oci_registry::text::cut as quote;
use oci_registry::{Client, Credentials, NoProxy, ProxyConfig, ProxyUrl, Reference, RegistryOptions, Scheme};

use crate::failure::Failure;
use crate::{Output, exit};

/// Registry options shared by `update`, `digest`, `manifest` and `tags`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryArgs {
    /// Log in as NAME (the password is read with --password-stdin): to REGISTRY when given, else to the one
    /// registry the command talks to.
    ///
    /// Without it, credentials come from docker's config.json ($DOCKER_CONFIG or ~/.docker), podman's auth.json
    /// ($REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers) and the credential helpers they name.
    #[arg(
        long,
        value_name = "[REGISTRY=]NAME",
        requires = "password_stdin",
        help_heading = "Registry options"
    )]
    username: Option<String>,
    /// Read the password (or token) for --username from standard input.
    #[arg(long, requires = "username", help_heading = "Registry options")]
    password_stdin: bool,
    /// Talk plain HTTP to HOST (every port) or HOST:PORT (repeatable). Loopback registries that serve plain HTTP
    /// need no flag: they are found out.
    #[arg(long, value_name = "HOST[:PORT]", help_heading = "Registry options")]
    insecure_registry: Vec<String>,
    /// Also trust the CA certificates in a PEM file (repeatable): `HOST[:PORT]=FILE` for one registry, or `FILE`
    /// alone for every registry the command talks to.
    #[arg(long, value_name = "[HOST=]PEM", help_heading = "Registry options")]
    ca_cert: Vec<String>,
    /// Seconds one image's check (or one request of the other subcommands) may take in all: retries, token
    /// requests, waits the registry asks for and credential helpers included.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT))]
    #[arg(help_heading = "Registry options")]
    timeout: u64,
    /// Send every request through the HTTP proxy at URL, `http://[USER:PASSWORD@]HOST[:PORT]` (HTTPS in a CONNECT
    /// tunnel, plain HTTP in absolute form); loopback registries are never proxied.
    ///
    /// Without it: $https_proxy/$HTTPS_PROXY, $http_proxy/$HTTP_PROXY, then $all_proxy/$ALL_PROXY (lower case
    /// first, as curl reads them). A password on the command line is visible to other users of this machine: give it
    /// in $HTTPS_PROXY instead.
    #[arg(long, value_name = "URL", help_heading = "Registry options")]
    proxy: Option<String>,
    /// Reach these hosts directly, not through the proxy: names (`example.com` covers its subdomains,
    /// `.example.com` only them), IP addresses, CIDR ranges, each with an optional :PORT, separated by commas or
    /// spaces; `*` for every host. Without it: $no_proxy/$NO_PROXY.
    #[arg(long, value_name = "LIST", help_heading = "Registry options")]
    no_proxy: Option<String>,
    /// Ask MIRROR (a URL, `https://mirror.example` or `http://10.0.0.5:5000`) before REGISTRY for manifests
    /// (repeatable, in order; `docker.io` for Docker Hub): a pull-through cache absorbs the pulls. A mirror that fails
    /// is followed by the next, then by the registry itself. `--json` says which one answered (`served_by`).
    #[arg(long, value_name = "REGISTRY=URL", help_heading = "Registry options")]
    mirror: Vec<String>,
    /// Never ask a registry that has mirrors itself (a network that reaches it only through them).
    #[arg(long, help_heading = "Registry options")]
    mirror_only: bool,
    /// When a mirror answered, ask the registry itself too, with one HEAD per image (free on Docker Hub): `--json`
    /// says `mirror_drift: true` (and the registry's `upstream_digest`) when the mirror names another image, a stale
    /// mirror. The verdict stays the mirror's.
    #[arg(long, help_heading = "Registry options")]
    mirror_drift: bool,
    /// Read Docker Hub's mirrors from `registry-mirrors` in this Docker daemon configuration (default
    /// /etc/docker/daemon.json, when it exists); `--daemon-json none` reads none.
    #[arg(long, value_name = "FILE", help_heading = "Registry options")]
    daemon_json: Option<std::path::PathBuf>,
    /// Read mirrors, insecure and blocked registries from this containers registries.conf (and the
    /// `registries.conf.d/*.conf` beside it); default $CONTAINERS_REGISTRIES_CONF, else
    /// /etc/containers/registries.conf; `none` reads none. Registry-wide entries only.
    #[arg(long, value_name = "FILE", help_heading = "Registry options")]
    registries_conf: Option<std::path::PathBuf>,
    #[command(flatten)]
    cache: crate::cache::CacheArgs,
}

/// Where the Docker daemon keeps its configuration.
const DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// A mirror's URL as a host and its options: `https://HOST[:PORT]` or `http://HOST[:PORT]` (plain HTTP, which the
/// user chose by writing it), with nothing after the host but an optional `/`.
fn mirror_url(url: &str) -> Result<(String, RegistryOptions), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("a mirror is a URL, https://HOST[:PORT] or http://HOST[:PORT]")?;
    let host = rest.strip_suffix('/').unwrap_or(rest);
    if host.is_empty() || host.contains(['/', '?', '#', '@']) {
        return Err("a mirror URL is a scheme and a host, with no path, query or user".to_owned());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok((host.to_owned(), RegistryOptions::new().scheme(Scheme::Https))),
        "http" => Ok((host.to_owned(), RegistryOptions::new().scheme(Scheme::Http).insecure())),
        _ => Err(format!("`{}://` is not http:// or https://", quote(scheme))),
    }
}

/// The `registry-mirrors` of a Docker daemon configuration.
fn daemon_mirrors(bytes: &[u8]) -> Result<Vec<String>, String> {
    if bytes.len() > 1024 * 1024 {
        return Err("the file is larger than 1 MiB".to_owned());
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| format!("not JSON: {}", quote(&err.to_string())))?;
    match value.get("registry-mirrors") {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "`registry-mirrors` holds something that is not a string".to_owned())
            })
            .collect(),
        Some(_) => Err("`registry-mirrors` is not a list".to_owned()),
    }
}

/// The longest --timeout: a day.
const MAX_TIMEOUT: u64 = 24 * 3600;

impl RegistryArgs {
    /// `--timeout`: what one check, or one source of workloads, may take in all.
    pub(crate) fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// Whether the password is to be read from standard input.
    pub(crate) fn password_stdin(&self) -> bool {
        self.password_stdin
    }

    /// Builds the client for talking to the registries of `references`.
    ///
    /// Without --username, credentials are looked up in the credential store when a registry first asks for
    /// them: a helper that is missing or fails, or a credentials file that cannot be read, is reported for the
    /// images of the registries that need credentials only; every other image is still checked.
    pub(crate) fn prepare<'a>(
        &self,
        references: impl IntoIterator<Item = &'a Reference>,
        concurrency: Option<usize>,
        output: Output,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Client, Failure> {
        self.prepare_found(references, [], &[], concurrency, output, runtime)
    }

    /// [`RegistryArgs::prepare`] for the references the user named and those `found` in what runs here (compose
    /// files, engines, inspect output): a registry only found there keeps the client's address check (no
    /// link-local or metadata address), since a hostile file could name any host; only what the user named, in
    /// arguments, lists and options, is trusted with an address the check would refuse. `engine_mirrors` are the
    /// Docker engine's Docker Hub mirrors (`--docker`), used after --mirror and daemon.json's, with the check too.
    pub(crate) fn prepare_found<'a>(
        &self,
        named: impl IntoIterator<Item = &'a Reference>,
        found: impl IntoIterator<Item = &'a Reference>,
        engine_mirrors: &[String],
        concurrency: Option<usize>,
        output: Output,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Client, Failure> {
        let named: BTreeSet<String> = named
            .into_iter()
            .map(|reference| reference.registry().to_owned())
            .collect();
        let found: BTreeSet<String> = found
            .into_iter()
            .map(|reference| reference.registry().to_owned())
            .filter(|registry| !named.contains(registry))
            .collect();
        let registries: BTreeSet<String> = named.iter().chain(&found).cloned().collect();
        let explicit = self.explicit_credentials(&registries)?;
        let mut shared_pem = Vec::new();
        let mut host_pem: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for spec in &self.ca_cert {
            let (host, path) = match spec.split_once('=') {
                Some((host, path)) => (Some(host), path),
                None => (None, spec.as_str()),
            };
            let pem = std::fs::read(path).map_err(|err| {
                Failure::usage(format!(
                    "could not read the CA certificate file `{}`: {err}",
                    quote(path)
                ))
            })?;
            match host {
                Some(host) => host_pem.entry(host.to_owned()).or_default().push(pem),
                None => shared_pem.push(pem),
            }
        }
        let conf_insecure: Vec<String> = self
            .registries_conf()?
            .map(|conf| {
                conf.registries()
                    .filter(|(_, entry)| entry.insecure)
                    .map(|(host, _)| host.to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mut insecure = BTreeSet::new();
        for host in &conf_insecure {
            insecure.insert(host.as_str());
        }
        for host in &self.insecure_registry {
            if let Some((scheme, rest)) = host.split_once("://") {
                return Err(Failure::usage(format!(
                    "--insecure-registry takes HOST or HOST:PORT, not a URL: drop the scheme and write \
                     --insecure-registry {} (`{}://` is not needed)",
                    quote(rest.trim_end_matches('/')),
                    quote(scheme)
                )));
            }
            insecure.insert(host.as_str());
        }
        let timeout = Duration::from_secs(self.timeout);
        let store = if explicit.is_some() {
            None
        } else {
            Some(credential_store(timeout, output))
        };
        let mut builder = Client::builder()
            .request_timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)));
        let all: BTreeSet<&str> = registries
            .iter()
            .map(String::as_str)
            .chain(insecure.iter().copied())
            .chain(host_pem.keys().map(String::as_str))
            .chain(explicit.as_ref().map(|(host, _)| host.as_str()))
            .collect();
        for registry in all {
            let mut options = RegistryOptions::new();
            if insecure.contains(registry) {
                options = options.scheme(Scheme::Http).insecure();
            }
            let user_named = insecure.contains(registry)
                || host_pem.contains_key(registry)
                || explicit.as_ref().is_some_and(|(host, _)| host == registry);
            if found.contains(registry) && !user_named {
                options = options.check_addresses();
            }
            for pem in shared_pem.iter().chain(host_pem.get(registry).into_iter().flatten()) {
                options = options.ca_certificates_pem(pem).map_err(|err| {
                    Failure::usage(format!("a --ca-cert file holds no usable PEM certificate: {err}"))
                })?;
            }
            if let Some((host, credentials)) = &explicit {
                if host == registry {
                    options = options.credentials(credentials.clone());
                }
            }
            builder = builder.registry(registry, options);
        }
        if let Some(concurrency) = concurrency {
            builder = builder.max_concurrency_per_registry(concurrency);
        }
        if let Some(store) = store {
            builder = builder.credential_store(store);
        }
        if let Some(cache) = self.cache.open(runtime)? {
            builder = builder.cache(cache);
        }
        builder = builder.proxy(self.proxy_config(output)?);
        for (registry, mirror, options) in self.mirrors(engine_mirrors, output)? {
            builder = builder.mirror(&registry, &mirror, options);
        }
        if self.mirror_only {
            builder = builder.mirror_only();
        }
        if self.mirror_drift {
            builder = builder.mirror_drift();
        }
        builder
            .tags_max_age(self.cache.tags_max_age())
            .pull_budget(self.cache.budget())
            .build()
            .map_err(|err| Failure::usage(format!("the registry options are not usable: {err:#}")))
    }

    /// The proxies: --proxy and --no-proxy, else the environment's variables. A NO_PROXY entry that can match no
    /// host is a warning, not an error: other programs read the same variable and skip such entries.
    /// The mirrors from `--mirror`, the Docker daemon configuration, the Docker engine (`engine_mirrors`, for
    /// Docker Hub) and registries.conf, in that order, as (registry, mirror host, its options); a mirror named
    /// again for the same registry (the engine reports what daemon.json says) is kept once, where first named.
    fn mirrors(
        &self,
        engine_mirrors: &[String],
        output: Output,
    ) -> Result<Vec<(String, String, RegistryOptions)>, Failure> {
        let mut mirrors = Vec::new();
        for spec in &self.mirror {
            let Some((registry, url)) = spec.split_once('=') else {
                return Err(Failure::usage(format!(
                    "--mirror takes REGISTRY=URL (docker.io=https://mirror.example), not `{}`",
                    quote(spec)
                )));
            };
            let (host, options) =
                mirror_url(url).map_err(|reason| Failure::usage(format!("--mirror {}: {reason}", quote(spec))))?;
            mirrors.push((registry.to_owned(), host, options));
        }
        let daemon_json = match &self.daemon_json {
            Some(path) if path.as_os_str() == "none" => None,
            Some(path) => Some((path.clone(), true)),
            None => Some((std::path::PathBuf::from(DAEMON_JSON), false)),
        };
        if let Some((path, named)) = daemon_json {
            match std::fs::read(&path) {
                Ok(bytes) => match daemon_mirrors(&bytes) {
                    Ok(urls) => {
                        for url in urls {
                            match mirror_url(&url) {
                                Ok((host, options)) => mirrors.push(("docker.io".to_owned(), host, options)),
                                Err(reason) => tracing::warn!(
                                    "{}: the registry mirror `{}` is not used: {reason}",
                                    path.display(),
                                    quote(&url)
                                ),
                            }
                        }
                    }
                    Err(reason) if named => {
                        return Err(Failure::usage(format!("--daemon-json {}: {reason}", path.display())));
                    }
                    Err(reason) => tracing::warn!("{}: its mirrors are not used: {reason}", path.display()),
                },
                Err(err) if named => {
                    return Err(Failure::usage(format!("--daemon-json {}: {err}", path.display())));
                }
                // No daemon configuration is the usual case.
                Err(_) => {}
            }
        }
        for url in engine_mirrors {
            // An engine, possibly another machine's, named this host: it keeps the address check.
            match mirror_url(url) {
                Ok((host, options)) => mirrors.push(("docker.io".to_owned(), host, options.check_addresses())),
                Err(reason) => tracing::warn!(
                    "the Docker engine's registry mirror `{}` is not used: {reason}",
                    quote(url)
                ),
            }
        }
        if let Some(conf) = self.registries_conf()? {
            for (registry, entry) in conf.registries() {
                for mirror in &entry.mirrors {
                    if mirror.pull_from_mirror == oci_inventory::PullFromMirror::DigestOnly {
                        tracing::info!(
                            "registries.conf: {} mirrors {registry} for digests only; tags are asked of {registry}",
                            quote(&mirror.location)
                        );
                        continue;
                    }
                    let options = if mirror.insecure {
                        RegistryOptions::new().scheme(Scheme::Http).insecure()
                    } else {
                        RegistryOptions::new()
                    };
                    mirrors.push((registry.to_owned(), mirror.location.clone(), options));
                }
            }
        }
        let mut seen = BTreeSet::new();
        mirrors.retain(|(registry, host, _)| seen.insert((registry.clone(), host.to_ascii_lowercase())));
        if !mirrors.is_empty() {
            let _ = output;
            tracing::info!(
                "mirrors: {}",
                mirrors
                    .iter()
                    .map(|(registry, host, _)| format!("{registry} -> {host}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(mirrors)
    }

    /// The registries.conf in force: `--registries-conf` (whose errors are usage errors), else the default one
    /// when it exists (whose errors are a warning, and the file is not used).
    pub(crate) fn registries_conf(&self) -> Result<Option<oci_inventory::RegistriesConf>, Failure> {
        let (path, named) = match &self.registries_conf {
            Some(path) if path.as_os_str() == "none" => return Ok(None),
            Some(path) => (path.clone(), true),
            None => (
                oci_inventory::registries_conf_path(std::env::var_os("CONTAINERS_REGISTRIES_CONF").as_deref()),
                false,
            ),
        };
        if named && !path.exists() {
            return Err(Failure::usage(format!(
                "--registries-conf {}: no such file",
                quote(&path.display().to_string())
            )));
        }
        match oci_inventory::load_registries_conf(&path) {
            Ok(conf) => {
                for (prefix, why) in conf.unused() {
                    tracing::info!("registries.conf: the entry for {} is not used: {why}", quote(prefix));
                }
                Ok(Some(conf))
            }
            Err(err) if named => Err(Failure::usage(format!("--registries-conf: {err}"))),
            Err(err) => {
                tracing::warn!("{err}; it is not used");
                Ok(None)
            }
        }
    }

    /// The registries registries.conf blocks.
    pub(crate) fn blocked(&self) -> Result<BTreeSet<String>, Failure> {
        Ok(self
            .registries_conf()?
            .map(|conf| {
                conf.registries()
                    .filter(|(_, entry)| entry.blocked)
                    .map(|(host, _)| host.to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn proxy_config(&self, output: Output) -> Result<ProxyConfig, Failure> {
        const NAMES: [&str; 9] = [
            "https_proxy",
            "HTTPS_PROXY",
            "http_proxy",
            "HTTP_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
            "REQUEST_METHOD",
        ];
        let env = std::env::vars_os().filter(|(name, _)| NAMES.iter().any(|known| name == *known));
        let from_env = ProxyConfig::from_env(env).map_err(|err| {
            Failure::usage(format!(
                "{err}; fix or unset {}",
                err.variable().unwrap_or("the proxy variable")
            ))
        })?;
        let mut config = match &self.proxy {
            Some(url) => {
                let url = ProxyUrl::parse(url).map_err(|err| Failure::usage(format!("--proxy: {err}")))?;
                ProxyConfig::new()
                    .with_https(url.clone())
                    .with_http(url)
                    .with_no_proxy(from_env.no_proxy().clone())
            }
            None => from_env,
        };
        let (list, name) = match &self.no_proxy {
            Some(list) => {
                config = config.with_no_proxy(NoProxy::parse(list));
                (config.no_proxy(), "--no-proxy")
            }
            None => (config.no_proxy(), "NO_PROXY"),
        };
        if !output.quiet {
            for (entry, why) in list.ignored() {
                tracing::warn!("{name}: the entry `{}` is ignored: {why}", quote(entry));
            }
        }
        match (config.https(), config.http(), config.all()) {
            (None, None, None) => tracing::info!("proxy: none"),
            (https, http, all) => tracing::info!(
                "proxy: HTTPS through {}, plain HTTP through {}; loopback hosts{} directly",
                https.or(all).map_or_else(|| "none".to_owned(), ToString::to_string),
                http.or(all).map_or_else(|| "none".to_owned(), ToString::to_string),
                if list.is_empty() {
                    String::new()
                } else {
                    format!(" and those {name} names")
                }
            ),
        }
        Ok(config)
    }

    /// The --username credentials and the one registry they are for.
    fn explicit_credentials(&self, registries: &BTreeSet<String>) -> Result<Option<(String, Credentials)>, Failure> {
        let Some(username) = &self.username else {
            return Ok(None);
        };
        if !self.password_stdin {
            return Ok(None);
        }
        let (registry, username) = match username.split_once('=') {
            Some((registry, username)) => (registry.to_owned(), username),
            None if registries.len() == 1 => (registries.iter().next().cloned().unwrap_or_default(), username.as_str()),
            None => {
                return Err(Failure::usage(format!(
                    "--username is for one registry, and these images are on {}: write --username REGISTRY=NAME",
                    registries.iter().map(|r| quote(r)).collect::<Vec<_>>().join(", ")
                )));
            }
        };
        let mut password = String::new();
        io::stdin()
            .read_to_string(&mut password)
            .map_err(|err| Failure::usage(format!("could not read the password from standard input: {err}")))?;
        let password = password.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err(Failure::usage(
                "--password-stdin read an empty password: pipe it in, e.g. `echo \"$TOKEN\" | oci-check ...`",
            ));
        }
        let registry = if oci_auth::is_docker_hub(&registry) {
            oci_auth::DOCKER_HUB.to_owned()
        } else {
            registry
        };
        Ok(Some((registry, Credentials::new(username, password))))
    }
}

/// The credential store of this environment. A credentials file that cannot be read is a warning naming it;
/// the registries that need credentials then fail with that reason, the others are checked as usual.
fn credential_store(timeout: Duration, output: Output) -> CredentialStore {
    let env = Environment::capture();
    // -v says where credentials are looked for, so "no credentials were found" can be traced to a file or helper.
    for (what, path) in [
        ("docker config", env.docker_config_path()),
        ("podman auth file", env.podman_auth_path()),
    ] {
        match path {
            Some(path) if path.is_file() => tracing::info!(
                "credentials: reading the {what} {}",
                crate::line(&path.display().to_string())
            ),
            Some(path) => tracing::info!("credentials: no {what} at {}", crate::line(&path.display().to_string())),
            None => tracing::info!("credentials: no {what} to look at (its location is not set)"),
        }
    }
    let (store, errors) = CredentialStore::from_environment_lenient(&env);
    if !output.quiet {
        for err in errors {
            tracing::warn!(
                "{}; images on registries that ask for credentials fail for that reason, the others are checked",
                crate::line(&err.to_string())
            );
        }
    }
    store.with_helper_timeout(timeout.min(DEFAULT_HELPER_TIMEOUT))
}

/// What a one-image subcommand (`manifest`, `tags`) works with.
pub(crate) struct Session {
    pub(crate) reference: Reference,
    pub(crate) client: Client,
    pub(crate) runtime: tokio::runtime::Runtime,
}

/// What a subcommand of many images (`digest`, `ratelimit`) works with: each image parsed (or why not), a client
/// for their registries, and a runtime.
pub(crate) struct Batch {
    pub(crate) parsed: Vec<Result<Reference, Failure>>,
    pub(crate) client: Client,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl Batch {
    /// Runs `each(runtime, client, position, reference)` for every image in order; an image that did not parse, or
    /// whose `each` fails, is told on stderr and the others go on. `each` gives `Ok(false)` to stop (standard output
    /// closed). Exits with 1 when any image failed.
    pub(crate) fn each(
        self,
        output: Output,
        mut each: impl FnMut(&tokio::runtime::Runtime, &Client, usize, Reference) -> Result<bool, Failure>,
    ) -> ExitCode {
        let mut failed = false;
        for (position, reference) in self.parsed.into_iter().enumerate() {
            match reference.and_then(|reference| each(&self.runtime, &self.client, position, reference)) {
                Ok(true) => {}
                Ok(false) => break,
                Err(failure) => {
                    failed = true;
                    output.error(&failure);
                }
            }
        }
        if failed {
            ExitCode::from(exit::FAILED)
        } else {
            ExitCode::SUCCESS
        }
    }
}

impl RegistryArgs {
    /// Runs `work` with a [`Batch`] of `images`, or says why there is none and gives the exit code.
    pub(crate) fn with_batch(
        &self,
        images: &[String],
        output: Output,
        work: impl FnOnce(Batch) -> ExitCode,
    ) -> ExitCode {
        let parsed: Vec<Result<Reference, Failure>> = images
            .iter()
            .map(|image| Reference::parse_normalized(image).map_err(|err| Failure::bad_reference(image, &err)))
            .collect();
        let runtime = match crate::runtime() {
            Ok(runtime) => runtime,
            Err(code) => return code,
        };
        match self.prepare(parsed.iter().flatten(), None, output, &runtime) {
            Ok(client) => work(Batch {
                parsed,
                client,
                runtime,
            }),
            Err(failure) => exit::failure(&failure),
        }
    }
}

impl RegistryArgs {
    /// Runs `work` with a [`Session`] for `image`, or says why there is none and gives the exit code.
    pub(crate) fn with_session(&self, image: &str, output: Output, work: impl FnOnce(Session) -> ExitCode) -> ExitCode {
        match self.session(image, output) {
            Ok(session) => work(session),
            Err(code) => code,
        }
    }

    /// Parses `image`, then prepares a client for its registry and a runtime; on failure, says why and gives the
    /// exit code to return.
    fn session(&self, image: &str, output: Output) -> Result<Session, ExitCode> {
        let reference = Reference::parse_normalized(image).map_err(|err| {
            output.error(&Failure::bad_reference(image, &err));
            ExitCode::from(exit::FAILED)
        })?;
        let runtime = crate::runtime()?;
        let client = self
            .prepare([&reference], None, output, &runtime)
            .map_err(|failure| exit::failure(&failure))?;
        Ok(Session {
            reference,
            client,
            runtime,
        })
    }
}
