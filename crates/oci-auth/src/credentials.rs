//! Credentials: explicit ones, docker `config.json`, podman `auth.json`, and credential helpers.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::encoding::base64_decode;
use crate::error::{Error, ErrorKind};
use crate::helper;
use crate::json::{from_object, parse_object};
use crate::secret::Secret;

/// The registry name that every spelling of Docker Hub normalizes to.
pub const DOCKER_HUB: &str = "docker.io";

/// Docker Hub's API host: where requests for any of [`DOCKER_HUB_NAMES`] go.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Every name of Docker Hub's registry (lowercase): the one table the client, the credentials files and the CLI
/// ask ([`is_docker_hub`]).
pub const DOCKER_HUB_NAMES: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// Whether `host` (lowercase, without a port) is one of Docker Hub's names.
pub fn is_docker_hub(host: &str) -> bool {
    DOCKER_HUB_NAMES.contains(&host)
}

/// The key docker writes Docker Hub's credentials under, and the server URL it gives credential helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The largest credentials file read (4 MiB); a larger one is refused with [`ErrorKind::FileTooLarge`].
pub const MAX_AUTH_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// How long a credential helper may take before it is killed, unless configured otherwise.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// A credential for one registry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password (or access token used as a password), sent as HTTP Basic to the token
    /// endpoint or to a registry that asks for Basic.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An OAuth2 refresh token (docker's `identitytoken`, or a credential helper's answer with user name
    /// `<token>`), exchanged for access tokens with the form POST `grant_type=refresh_token`.
    IdentityToken(Secret),
    /// A bearer token to send to the registry as is (docker's `registrytoken`); no token request is made.
    RegistryToken(Secret),
}

/// Where a credential was found.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Given by the caller with [`CredentialStore::with_credential`].
    Explicit,
    /// An `auths` entry of a docker `config.json`.
    DockerConfig,
    /// An `auths` entry of a podman `auth.json`.
    PodmanAuth,
    /// A credential helper (from `credHelpers` or `credsStore`), by name without `docker-credential-`.
    Helper(String),
}

/// The environment variables credential lookup depends on, captured explicitly so the library never reads
/// the process environment behind the caller's back.
///
/// Only these variables are held: `DOCKER_CONFIG`, `HOME`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR` and `PATH`
/// (to find credential helpers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    docker_config: Option<PathBuf>,
    home: Option<PathBuf>,
    registry_auth_file: Option<PathBuf>,
    xdg_runtime_dir: Option<PathBuf>,
    path: Option<OsString>,
}

/// A parsed docker `config.json` or podman `auth.json`.
#[derive(Clone, Debug, Default)]
pub struct AuthFile {
    entries: Vec<Entry>,
    cred_helpers: BTreeMap<String, String>,
    creds_store: Option<String>,
}

/// Looks credentials up in the order docker does, then podman's `auth.json`.
///
/// For a registry: an explicit credential from the caller; then the docker config: its `credHelpers` entry for
/// the registry, else its `credsStore`, and when the helper has nothing, the inline `auths` entry; then the
/// podman `auth.json` the same way, with its most specific `registry/namespace/repository` key.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    explicit: Vec<(String, Credential)>,
    docker: Option<AuthFile>,
    podman: Option<AuthFile>,
    path: Option<OsString>,
    helper_timeout: Duration,
    /// Credentials files that could not be read: the reason a lookup that finds nothing else fails with.
    unreadable: Vec<(ErrorKind, String, String)>,
}

#[derive(Clone, Debug)]
struct Entry {
    host: String,
    /// `namespace/repository` below the host, for podman's path-scoped keys; `None` for a host-wide key.
    path: Option<String>,
    credential: Option<Credential>,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    auths: Option<BTreeMap<String, Option<serde_json::Value>>>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl Credential {
    /// A user name and password.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl Environment {
    /// An environment with none of the variables set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the variables this crate uses from the process environment. This is the only place the crate
    /// reads the environment, and only when called.
    pub fn capture() -> Self {
        Self::from_vars(std::env::vars_os())
    }

    /// Takes the variables this crate uses from `(name, value)` pairs and ignores the rest.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: Into<OsString>,
    {
        let mut env = Self::new();
        for (key, value) in vars {
            env = env.with_var(key.as_ref(), value);
        }
        env
    }

    /// Sets one variable; names other than the five this crate uses are ignored. An empty value counts as unset.
    #[must_use]
    pub fn with_var(mut self, name: &OsStr, value: impl Into<OsString>) -> Self {
        let value: OsString = value.into();
        let value = (!value.is_empty()).then_some(value);
        match name.to_str() {
            Some("DOCKER_CONFIG") => self.docker_config = value.map(PathBuf::from),
            Some("HOME") => self.home = value.map(PathBuf::from),
            Some("REGISTRY_AUTH_FILE") => self.registry_auth_file = value.map(PathBuf::from),
            Some("XDG_RUNTIME_DIR") => self.xdg_runtime_dir = value.map(PathBuf::from),
            Some("PATH") => self.path = value,
            _ => {}
        }
        self
    }

    /// The docker config file: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    pub fn docker_config_path(&self) -> Option<PathBuf> {
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        }
    }

    /// The podman auth file: `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`.
    pub fn podman_auth_path(&self) -> Option<PathBuf> {
        match (&self.registry_auth_file, &self.xdg_runtime_dir) {
            (Some(file), _) => Some(file.clone()),
            (None, Some(dir)) => Some(dir.join("containers").join("auth.json")),
            (None, None) => None,
        }
    }

    /// The `PATH` credential helpers are looked up in (and run with).
    pub fn path(&self) -> Option<&OsStr> {
        self.path.as_deref()
    }
}

impl AuthFile {
    /// Parses the JSON of a docker `config.json` or podman `auth.json`. Fields other than `auths`,
    /// `credHelpers` and `credsStore` are ignored.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when the text is not JSON of that shape, an `auth` field is not base64 of
    /// `user:password`, or a helper name has characters other than letters, digits, `.`, `_` and `-` (a name
    /// with `/` would run a program outside `PATH`).
    pub fn parse(json: &str) -> Result<Self, Error> {
        Self::parse_named(json, "<memory>")
    }

    /// Reads and parses a file; a file that does not exist gives `Ok(None)`.
    ///
    /// The file (after following symlinks) must be a regular file of at most [`MAX_AUTH_FILE_SIZE`] bytes. It is
    /// checked before it is opened, since opening a FIFO blocks until someone writes to it, and checked again
    /// once open, since the path may have changed in between; at most the limit plus one byte is read, since a
    /// file can grow too.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotRegularFile`] for a directory, FIFO, socket or device; [`ErrorKind::FileTooLarge`] for a
    /// file over the limit; [`ErrorKind::Io`] when the file exists but cannot be read; and the errors of
    /// [`parse`](Self::parse).
    pub fn load(path: &Path) -> Result<Option<Self>, Error> {
        let shown = path.to_string_lossy();
        let io = |e: std::io::Error| Error::new(ErrorKind::Io, &shown).with_source(e);
        match std::fs::metadata(path) {
            Ok(metadata) => check_file(&metadata, &shown)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        }
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        check_file(&file.metadata().map_err(io)?, &shown)?;
        let mut bytes = Vec::new();
        file.take(MAX_AUTH_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > MAX_AUTH_FILE_SIZE {
            return Err(too_large(&shown));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::new(ErrorKind::InvalidConfig, &shown)
                .with_detail("not UTF-8")
                .with_source(e)
        })?;
        Self::parse_named(&text, &shown).map(Some)
    }

    fn parse_named(json: &str, name: &str) -> Result<Self, Error> {
        let invalid = |why: String| Error::new(ErrorKind::InvalidConfig, name).with_detail(why);
        let raw: RawFile = parse_object(json.as_bytes()).map_err(invalid)?;
        let mut file = Self::default();
        for (key, entry) in raw.auths.unwrap_or_default() {
            let (host, path) = split_key(&key);
            if host.is_empty() {
                continue;
            }
            let entry: RawEntry = match entry {
                Some(value) => from_object(value).map_err(|why| invalid(format!("auths {key:?}: {why}")))?,
                None => RawEntry::default(),
            };
            let credential = entry_credential(&entry).map_err(|why| invalid(format!("auths {key:?}: {why}")))?;
            file.entries.push(Entry { host, path, credential });
        }
        for (key, helper) in raw.cred_helpers.unwrap_or_default() {
            check_helper_name(&helper, name)?;
            file.cred_helpers.insert(normalize_registry(&key), helper);
        }
        if let Some(store) = raw.creds_store.filter(|s| !s.is_empty()) {
            check_helper_name(&store, name)?;
            file.creds_store = Some(store);
        }
        Ok(file)
    }

    /// The inline credential for a whole registry (docker's lookup: keys compared by normalized host, so a key's
    /// path is ignored when no host-wide key exists). For a podman `auth.json`, whose paths are namespaces, use
    /// [`credential_for_repository`](Self::credential_for_repository).
    pub fn credential(&self, registry: &str) -> Option<&Credential> {
        let host = normalize_registry(registry);
        let mut found = None;
        for entry in self.entries.iter().filter(|e| e.host == host) {
            // A host-wide key wins over a path-scoped one (docker ignores paths in keys entirely).
            if entry.path.is_none() {
                return entry.credential.as_ref();
            }
            found = found.or(entry.credential.as_ref());
        }
        found
    }

    /// The inline credential for a repository, podman's way: the most specific key among
    /// `registry/namespace/repository`, `registry/namespace`, ..., `registry`.
    pub fn credential_for_repository(&self, registry: &str, repository: &str) -> Option<&Credential> {
        let host = normalize_registry(registry);
        let mut best: Option<(usize, &Entry)> = None;
        for entry in self.entries.iter().filter(|e| e.host == host) {
            let depth = match &entry.path {
                None => 0,
                Some(path) if repository == path || repository.starts_with(&format!("{path}/")) => {
                    path.split('/').count()
                }
                Some(_) => continue,
            };
            if best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, entry));
            }
        }
        best.and_then(|(_, e)| e.credential.as_ref())
    }

    /// The credential of the host-wide key for `host` (normalized), ignoring path-scoped keys.
    fn host_credential(&self, host: &str) -> Option<&Credential> {
        self.entries
            .iter()
            .find(|e| e.host == host && e.path.is_none())
            .and_then(|e| e.credential.as_ref())
    }

    /// Whether `host` (normalized) has a path-scoped key.
    fn has_scoped(&self, host: &str) -> bool {
        self.entries.iter().any(|e| e.host == host && e.path.is_some())
    }

    /// The credential helper for a registry: its `credHelpers` entry, else `credsStore`.
    pub fn helper(&self, registry: &str) -> Option<&str> {
        self.cred_helpers
            .get(&normalize_registry(registry))
            .or(self.creds_store.as_ref())
            .map(String::as_str)
    }

    /// The `credsStore` helper, if set.
    pub fn creds_store(&self) -> Option<&str> {
        self.creds_store.as_deref()
    }

    /// The normalized registries that have an `auths` entry.
    pub fn registries(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.host.as_str())
    }
}

impl CredentialStore {
    /// A store with no sources: every lookup is anonymous until sources are added.
    pub fn new() -> Self {
        Self {
            explicit: Vec::new(),
            docker: None,
            podman: None,
            path: None,
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
            unreadable: Vec::new(),
        }
    }

    /// Loads the docker config and podman auth file that `env` points at (missing files are fine) and uses
    /// its `PATH` for credential helpers.
    ///
    /// # Errors
    ///
    /// The errors of [`AuthFile::load`] for a file that exists but is unreadable or invalid.
    pub fn from_environment(env: &Environment) -> Result<Self, Error> {
        let mut store = Self::new();
        store.path = env.path.clone();
        if let Some(path) = env.docker_config_path() {
            store.docker = AuthFile::load(&path)?;
        }
        if let Some(path) = env.podman_auth_path() {
            store.podman = AuthFile::load(&path)?;
        }
        Ok(store)
    }

    /// Loads the files as [`CredentialStore::from_environment`] does, but a file that cannot be read does not stop
    /// the others: it is returned as an error (to warn about), and a later [`lookup`](Self::lookup) that finds no
    /// credential elsewhere fails with that error instead of answering "anonymous", since the file might have held
    /// one. Registries that never ask for credentials are not affected.
    pub fn from_environment_lenient(env: &Environment) -> (Self, Vec<Error>) {
        let mut store = Self::new();
        store.path = env.path.clone();
        let mut errors = Vec::new();
        for (path, podman) in [(env.docker_config_path(), false), (env.podman_auth_path(), true)] {
            let Some(path) = path else { continue };
            match AuthFile::load(&path) {
                Ok(file) if podman => store.podman = file,
                Ok(file) => store.docker = file,
                Err(err) => {
                    store.unreadable.push((
                        err.kind().clone(),
                        err.input().to_owned(),
                        err.detail().unwrap_or_default().to_owned(),
                    ));
                    errors.push(err);
                }
            }
        }
        (store, errors)
    }

    /// Adds an explicit credential for a registry; it is found before any file or helper.
    #[must_use]
    pub fn with_credential(mut self, registry: &str, credential: Credential) -> Self {
        self.explicit.push((normalize_registry(registry), credential));
        self
    }

    /// Uses `file` as the docker config.
    #[must_use]
    pub fn with_docker_config(mut self, file: AuthFile) -> Self {
        self.docker = Some(file);
        self
    }

    /// Uses `file` as the podman auth file.
    #[must_use]
    pub fn with_podman_auth(mut self, file: AuthFile) -> Self {
        self.podman = Some(file);
        self
    }

    /// The `PATH` to find and run credential helpers with.
    #[must_use]
    pub fn with_path(mut self, path: impl Into<OsString>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// How long a credential helper may run before it is killed (default [`DEFAULT_HELPER_TIMEOUT`]).
    #[must_use]
    pub fn with_helper_timeout(mut self, timeout: Duration) -> Self {
        self.helper_timeout = timeout;
        self
    }

    /// Whether the credential [`lookup`](Self::lookup) finds for `registry` may depend on the repository: true
    /// when the podman auth file has keys for the registry narrower than the whole registry
    /// (`registry/namespace`, `registry/namespace/repository`) and no explicit credential overrides them.
    ///
    /// A client that caches credentials should cache them per registry and repository when this is true, and
    /// per registry otherwise; caching one per registry would send one namespace's credential to another's
    /// repositories. Docker config keys never make it true: docker ignores the path of a key (`host/v2/`).
    pub fn varies_by_repository(&self, registry: &str) -> bool {
        let host = normalize_registry(registry);
        !self.explicit.iter().any(|(h, _)| *h == host) && self.podman.as_ref().is_some_and(|f| f.has_scoped(&host))
    }

    /// Finds the credential for `repository` on `registry` (the repository matters only for podman's
    /// path-scoped keys), and where it came from. `Ok(None)` means anonymous.
    ///
    /// A podman key for a namespace serves the repositories in it (`team-a` serves `team-a/x` and
    /// `team-a/sub/y`, not `team-ab/x`), the most specific key winning; without a repository only host-wide
    /// podman keys count. See [`varies_by_repository`](Self::varies_by_repository) for caching the answer.
    ///
    /// # Errors
    ///
    /// The errors of a credential helper: [`ErrorKind::HelperNotFound`], [`ErrorKind::HelperFailed`],
    /// [`ErrorKind::HelperOutput`], [`ErrorKind::HelperTimeout`], [`ErrorKind::HelperIo`]. A helper that
    /// answers "credentials not found" is not an error.
    pub fn lookup(&self, registry: &str, repository: Option<&str>) -> Result<Option<(Credential, Source)>, Error> {
        let host = normalize_registry(registry);
        if let Some((_, credential)) = self.explicit.iter().rev().find(|(h, _)| *h == host) {
            return Ok(Some((credential.clone(), Source::Explicit)));
        }
        for (file, source) in [(&self.docker, Source::DockerConfig), (&self.podman, Source::PodmanAuth)] {
            let Some(file) = file else { continue };
            if let Some(name) = file.helper(&host) {
                let found = helper::get(
                    name,
                    &helper_server_url(&host),
                    self.path.as_deref(),
                    self.helper_timeout,
                )?;
                if let Some(credential) = found {
                    return Ok(Some((credential, Source::Helper(name.to_owned()))));
                }
            }
            let inline = match (&source, repository) {
                (Source::PodmanAuth, Some(repository)) => file.credential_for_repository(&host, repository),
                // A namespace's credential must not serve the registry as a whole.
                (Source::PodmanAuth, None) => file.host_credential(&host),
                _ => file.credential(&host),
            };
            if let Some(credential) = inline {
                return Ok(Some((credential.clone(), source)));
            }
        }
        if let Some((kind, input, detail)) = self.unreadable.first() {
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!("{detail}; ")
            };
            return Err(Error::new(kind.clone(), input).with_detail(format!(
                "{detail}it may hold the credentials for {host}: fix or move the file"
            )));
        }
        Ok(None)
    }
}

impl Default for CredentialStore {
    fn default() -> Self {
        Self::new()
    }
}

/// Normalizes a registry as credentials files key it: strips a scheme and any path, lower-cases the host,
/// and maps every spelling of Docker Hub (`https://index.docker.io/v1/`, `index.docker.io`,
/// `registry-1.docker.io`, `docker.io`, ...) to [`DOCKER_HUB`].
pub fn normalize_registry(key: &str) -> String {
    split_key(key).0
}

/// The server URL a credential helper is asked about: [`DOCKER_HUB_KEY`] for Docker Hub, the host otherwise.
pub fn helper_server_url(registry: &str) -> String {
    let host = normalize_registry(registry);
    if host == DOCKER_HUB {
        DOCKER_HUB_KEY.to_owned()
    } else {
        host
    }
}

/// `(normalized host, path)`; a key with a scheme is a legacy docker key whose path is not a repository.
fn split_key(key: &str) -> (String, Option<String>) {
    let key = key.trim();
    let lower = key.to_ascii_lowercase();
    let (had_scheme, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(_), _) => (true, &key["https://".len()..]),
        (None, Some(_)) => (true, &key["http://".len()..]),
        (None, None) => (false, key),
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    // Trimmed again: whitespace before a `/` would otherwise survive one pass and not the next.
    let host = host.trim().to_ascii_lowercase();
    let host = if is_docker_hub(&host) {
        DOCKER_HUB.to_owned()
    } else {
        host
    };
    let path = path.trim_matches('/');
    let path = (!had_scheme && !path.is_empty()).then(|| path.to_owned());
    (host, path)
}

fn entry_credential(entry: &RawEntry) -> Result<Option<Credential>, String> {
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(token) = nonempty(&entry.registrytoken) {
        return Ok(Some(Credential::RegistryToken(token.into())));
    }
    if let Some(token) = nonempty(&entry.identitytoken) {
        return Ok(Some(Credential::IdentityToken(token.into())));
    }
    if let Some(auth) = nonempty(&entry.auth) {
        let bytes = base64_decode(auth.trim()).ok_or("`auth` is not base64")?;
        let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8 once decoded")?;
        let (user, pass) = text
            .split_once(':')
            .ok_or("`auth` is not `user:password` once decoded")?;
        return Ok(Some(Credential::basic(user, pass.trim_matches('\0'))));
    }
    match (nonempty(&entry.username), &entry.password) {
        (Some(user), Some(pass)) => Ok(Some(Credential::basic(user, pass.as_str()))),
        _ => Ok(None),
    }
}

/// Refuses what is not a regular file, or is one over the size limit.
fn check_file(metadata: &std::fs::Metadata, shown: &str) -> Result<(), Error> {
    if !metadata.is_file() {
        return Err(Error::new(ErrorKind::NotRegularFile, shown).with_detail(format!(
            "it is {}; replace it with a regular file or remove it",
            file_type(metadata)
        )));
    }
    if metadata.len() > MAX_AUTH_FILE_SIZE {
        return Err(too_large(shown));
    }
    Ok(())
}

fn too_large(shown: &str) -> Error {
    Error::new(
        ErrorKind::FileTooLarge {
            limit: MAX_AUTH_FILE_SIZE,
        },
        shown,
    )
}

/// What a file that is not a regular file is, for messages.
fn file_type(metadata: &std::fs::Metadata) -> &'static str {
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

fn check_helper_name(helper: &str, file: &str) -> Result<(), Error> {
    let ok = !helper.is_empty()
        && helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !helper.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::InvalidConfig, file).with_detail(format!(
            "credential helper name {:?} must be letters, digits, `.`, `_` and `-`",
            crate::error::excerpt(helper, 60)
        )))
    }
}
