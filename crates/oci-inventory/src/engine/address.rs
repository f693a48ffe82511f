//! Where an engine listens: [`EngineAddress`], found from an explicit `--host`, the environment, or the defaults.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, ErrorKind};
use crate::text::quote;

/// Docker's socket when nothing else is said.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Rootful podman's socket (`systemctl enable --now podman.socket`).
pub const PODMAN_ROOT_SOCKET: &str = "/run/podman/podman.sock";

/// Which engine to look for: it decides the environment variable and the default sockets.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// Docker: `DOCKER_HOST`, else `/var/run/docker.sock`.
    Docker,
    /// Podman: `CONTAINER_HOST`, else `$XDG_RUNTIME_DIR/podman/podman.sock` if it exists (rootless), else
    /// `/run/podman/podman.sock`.
    Podman,
}

/// An engine's address: a unix socket, or plain HTTP over TCP (as Docker without TLS flags).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EngineAddress {
    /// `unix:///path/to/engine.sock`.
    Unix(PathBuf),
    /// `tcp://host:port`: plain HTTP, no TLS.
    Tcp {
        /// A host name or IP address (IPv6 without brackets).
        host: String,
        /// The port; Docker's 2375 when the URL names none.
        port: u16,
    },
}

/// Where an address came from, for messages that say what to change.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Given by the caller (`--host`).
    Explicit,
    /// `DOCKER_HOST`.
    DockerHost,
    /// `CONTAINER_HOST`.
    ContainerHost,
    /// The engine's default socket.
    Default,
    /// A docker context: `DOCKER_CONTEXT`, else `currentContext` in the docker `config.json`.
    Context,
}

/// An address, where it came from, and which engine it is meant to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    address: EngineAddress,
    origin: Origin,
    kind: EngineKind,
}

/// The environment variables engine discovery depends on, captured explicitly so the library never reads the
/// process environment behind the caller's back: `DOCKER_HOST`, `CONTAINER_HOST`, `XDG_RUNTIME_DIR`,
/// `DOCKER_TLS_VERIFY`, and for docker contexts `DOCKER_CONTEXT`, `DOCKER_CONFIG` and `HOME`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    docker_host: Option<String>,
    container_host: Option<String>,
    xdg_runtime_dir: Option<PathBuf>,
    docker_tls_verify: bool,
    docker_context: Option<String>,
    docker_config: Option<PathBuf>,
    home: Option<PathBuf>,
}

impl Environment {
    /// None of the variables set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the variables from the process environment; the only place the crate does, and only when called.
    pub fn capture() -> Self {
        Self::from_vars(std::env::vars_os())
    }

    /// Takes the variables from `(name, value)` pairs and ignores the rest.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: Into<OsString>,
    {
        vars.into_iter()
            .fold(Self::new(), |env, (name, value)| env.with_var(name.as_ref(), value))
    }

    /// Sets one variable; other names are ignored, and so is an empty value.
    #[must_use]
    pub fn with_var(mut self, name: &OsStr, value: impl Into<OsString>) -> Self {
        let value: OsString = value.into();
        if value.is_empty() {
            return self;
        }
        match name.to_str() {
            Some("DOCKER_HOST") => self.docker_host = Some(value.to_string_lossy().into_owned()),
            Some("CONTAINER_HOST") => self.container_host = Some(value.to_string_lossy().into_owned()),
            Some("XDG_RUNTIME_DIR") => self.xdg_runtime_dir = Some(PathBuf::from(value)),
            Some("DOCKER_TLS_VERIFY") => self.docker_tls_verify = true,
            Some("DOCKER_CONTEXT") => self.docker_context = Some(value.to_string_lossy().into_owned()),
            Some("DOCKER_CONFIG") => self.docker_config = Some(PathBuf::from(value)),
            Some("HOME") => self.home = Some(PathBuf::from(value)),
            _ => {}
        }
        self
    }
}

impl EngineAddress {
    /// Parses `unix:///path` (an absolute path) or `tcp://host[:port]`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAddress`] for anything else; `ssh://` and `npipe://` are named as not supported.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| {
            Error::new(
                ErrorKind::InvalidAddress,
                format!("the engine address {} {reason}", quote(url)),
            )
        };
        if let Some(path) = url.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(invalid("needs an absolute path: unix:///path/to/engine.sock"));
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("tcp://") {
            let authority = rest.strip_suffix('/').unwrap_or(rest);
            if authority.contains(['/', '?', '#', '@']) || authority.is_empty() {
                return Err(invalid("must be tcp://host:port, without a path or user"));
            }
            let (host, port) = split_host_port(authority).ok_or_else(|| invalid("has no valid host and port"))?;
            return Ok(Self::Tcp { host, port });
        }
        for (scheme, why) in [
            (
                "ssh://",
                "is an ssh address, which is not supported; forward the socket with `ssh -L` and use unix://",
            ),
            ("npipe://", "is a Windows named pipe, which is not supported"),
            ("fd://", "is a systemd socket, which only the engine itself can use"),
            ("http://", "uses http://; write tcp://host:port"),
            (
                "https://",
                "asks for TLS, which is not supported; use a unix socket or tcp:// on a trusted host",
            ),
        ] {
            if url.starts_with(scheme) {
                return Err(invalid(why));
            }
        }
        Err(invalid("is not unix:///path or tcp://host:port"))
    }

    /// Finds the address of a `kind` engine: `explicit` (`--host`) if given, else the engine's variable
    /// (`DOCKER_HOST` or `CONTAINER_HOST`), else for Docker the docker context (`DOCKER_CONTEXT`, else
    /// `currentContext` in `$DOCKER_CONFIG/config.json`, `~/.docker` without it; `default` is the default socket),
    /// else the default socket (for podman the rootless one if it exists). The files are read here, and only
    /// when no address came before them: this is blocking file IO.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAddress`] when the address given does not parse, or when `DOCKER_TLS_VERIFY` or the
    /// context asks for TLS to a Docker engine; [`ErrorKind::DockerContext`] for a context that does not exist or
    /// is not one, and the errors of reading its files.
    pub fn locate(kind: EngineKind, explicit: Option<&str>, env: &Environment) -> Result<Located, Error> {
        let variable = match kind {
            EngineKind::Docker => env.docker_host.as_deref().map(|v| (v, Origin::DockerHost)),
            EngineKind::Podman => env.container_host.as_deref().map(|v| (v, Origin::ContainerHost)),
        };
        let (address, origin) = match (explicit, variable) {
            (Some(url), _) => (Self::parse(url)?, Origin::Explicit),
            (None, Some((url, origin))) => {
                let name = if origin == Origin::DockerHost {
                    "DOCKER_HOST"
                } else {
                    "CONTAINER_HOST"
                };
                let address = Self::parse(url).map_err(|err| err.prefixed(&format!("{name}: ")))?;
                (address, origin)
            }
            (None, None) if kind == EngineKind::Docker => {
                let dir = super::context::config_dir(env.docker_config.as_deref(), env.home.as_deref());
                match super::context::locate_context(env.docker_context.as_deref(), dir.as_deref())? {
                    Some((address, _)) => (address, Origin::Context),
                    None => (Self::default_for(kind, env), Origin::Default),
                }
            }
            (None, None) => (Self::default_for(kind, env), Origin::Default),
        };
        if kind == EngineKind::Docker && env.docker_tls_verify && matches!(address, Self::Tcp { .. }) {
            return Err(Error::new(
                ErrorKind::InvalidAddress,
                "DOCKER_TLS_VERIFY asks for TLS to the engine, which is not supported; use its unix socket",
            ));
        }
        Ok(Located { address, origin, kind })
    }

    fn default_for(kind: EngineKind, env: &Environment) -> Self {
        match kind {
            EngineKind::Docker => Self::Unix(PathBuf::from(DOCKER_SOCKET)),
            EngineKind::Podman => {
                let rootless = env
                    .xdg_runtime_dir
                    .as_ref()
                    .map(|dir| dir.join("podman").join("podman.sock"))
                    .filter(|path| path.exists());
                Self::Unix(rootless.unwrap_or_else(|| PathBuf::from(PODMAN_ROOT_SOCKET)))
            }
        }
    }

    /// The socket path, for unix addresses.
    pub fn socket(&self) -> Option<&Path> {
        match self {
            Self::Unix(path) => Some(path),
            Self::Tcp { .. } => None,
        }
    }
}

impl FromStr for EngineAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for EngineAddress {
    /// `unix:///path` or `tcp://host:port` (`tcp://[::1]:2375` for IPv6).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", crate::text::path(path)),
            Self::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "tcp://{}:{port}", crate::text::escape_short(host)),
        }
    }
}

impl Located {
    /// An address given by the caller, for a `kind` engine.
    pub fn explicit(kind: EngineKind, address: EngineAddress) -> Self {
        Self {
            address,
            origin: Origin::Explicit,
            kind,
        }
    }

    /// The address.
    pub fn address(&self) -> &EngineAddress {
        &self.address
    }

    /// Where it came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The engine it is meant to reach.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// What to do when nothing is at the address: how to name another one, and how to start the engine.
    pub(crate) fn advice(&self) -> &'static str {
        match (self.kind, self.origin) {
            (EngineKind::Docker, Origin::Default) => {
                "is the docker daemon running? name another engine with --host or DOCKER_HOST"
            }
            (EngineKind::Podman, Origin::Default) => {
                "start podman's API with `systemctl --user enable --now podman.socket` (rootless) or `sudo systemctl \
                 enable --now podman.socket`, or name it with --host or CONTAINER_HOST"
            }
            (_, Origin::DockerHost) => "DOCKER_HOST names it; is the engine running there?",
            (_, Origin::ContainerHost) => "CONTAINER_HOST names it; is the engine running there?",
            (_, Origin::Explicit) => "--host names it; is the engine running there?",
            (_, Origin::Context) => {
                "the docker context names it (DOCKER_CONTEXT, or currentContext in config.json); is the engine \
                 running there? `docker context use default` goes back to the default socket"
            }
        }
    }
}

/// `host:port`, `[v6]:port`, `host` (port 2375).
fn split_host_port(authority: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['[', ']', ' ']) {
        return None;
    }
    let port = match port {
        None => 2375,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => port.parse().ok()?,
        Some(_) => return None,
    };
    Some((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            EngineAddress::parse("unix:///var/run/docker.sock").unwrap(),
            EngineAddress::Unix(PathBuf::from("/var/run/docker.sock"))
        );
        for (url, host, port) in [
            ("tcp://127.0.0.1:2375", "127.0.0.1", 2375),
            ("tcp://engine.local", "engine.local", 2375),
            ("tcp://[::1]:12345/", "::1", 12345),
            ("tcp://[::1]", "::1", 2375),
        ] {
            assert_eq!(
                EngineAddress::parse(url).unwrap(),
                EngineAddress::Tcp {
                    host: host.to_owned(),
                    port
                },
                "{url}"
            );
        }
        assert_eq!(
            EngineAddress::parse("tcp://[::1]:1").unwrap().to_string(),
            "tcp://[::1]:1"
        );
        assert_eq!(
            EngineAddress::parse("unix:///run/x.sock").unwrap().to_string(),
            "unix:///run/x.sock"
        );
        for bad in [
            "",
            "/var/run/docker.sock",
            "unix://relative.sock",
            "tcp://",
            "tcp://host:port",
            "tcp://host:99999",
            "tcp://user@host:1",
            "tcp://host:1/path",
            "tcp://[::1",
            "ssh://me@host",
            "npipe:////./pipe/docker_engine",
            "https://host:2376",
        ] {
            let err = EngineAddress::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidAddress, "{bad:?}");
        }
        let err = EngineAddress::parse("ssh://me@host").unwrap_err();
        assert!(err.to_string().contains("ssh -L"), "{err}");
    }

    #[test]
    fn where_engines_are_looked_for() {
        let env = Environment::from_vars([
            ("DOCKER_HOST", "tcp://10.0.0.1:2375"),
            ("CONTAINER_HOST", "unix:///tmp/podman.sock"),
            ("HOME", "/home/me"),
        ]);
        let docker = EngineAddress::locate(EngineKind::Docker, None, &env).unwrap();
        assert_eq!(docker.origin(), Origin::DockerHost);
        assert_eq!(docker.address().to_string(), "tcp://10.0.0.1:2375");
        let podman = EngineAddress::locate(EngineKind::Podman, None, &env).unwrap();
        assert_eq!(podman.origin(), Origin::ContainerHost);
        let explicit = EngineAddress::locate(EngineKind::Docker, Some("unix:///x.sock"), &env).unwrap();
        assert_eq!(explicit.origin(), Origin::Explicit);
        assert_eq!(explicit.address().socket(), Some(Path::new("/x.sock")));

        let empty = Environment::new();
        let docker = EngineAddress::locate(EngineKind::Docker, None, &empty).unwrap();
        assert_eq!(docker.address().socket(), Some(Path::new(DOCKER_SOCKET)));
        assert_eq!(docker.origin(), Origin::Default);
        // A rootless socket that does not exist falls back to the rootful one.
        let env = Environment::new().with_var(OsStr::new("XDG_RUNTIME_DIR"), "/nonexistent/run");
        let podman = EngineAddress::locate(EngineKind::Podman, None, &env).unwrap();
        assert_eq!(podman.address().socket(), Some(Path::new(PODMAN_ROOT_SOCKET)));

        let bad = Environment::new().with_var(OsStr::new("DOCKER_HOST"), "bogus");
        let err = EngineAddress::locate(EngineKind::Docker, None, &bad).unwrap_err();
        assert!(err.to_string().starts_with("DOCKER_HOST: "), "{err}");
        let tls = Environment::from_vars([("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]);
        assert!(EngineAddress::locate(EngineKind::Docker, None, &tls).is_err());
    }

    #[test]
    fn docker_contexts_from_the_store() {
        let dir = oci_testkit::TempDir::new("docker-contexts");
        let config = dir.path();
        let store = |name: &str, meta: &str| {
            let at = config
                .join("contexts/meta")
                .join(super::super::context::context_hash(name));
            std::fs::create_dir_all(&at).unwrap();
            std::fs::write(at.join("meta.json"), meta).unwrap();
        };
        store(
            "here",
            r#"{"Name":"here","Endpoints":{"docker":{"Host":"unix:///run/here.sock"}}}"#,
        );
        store(
            "there",
            r#"{"Name":"there","Endpoints":{"docker":{"Host":"tcp://10.0.0.9:2376"}}}"#,
        );
        std::fs::create_dir_all(
            config
                .join("contexts/tls")
                .join(super::super::context::context_hash("there"))
                .join("docker"),
        )
        .unwrap();
        std::fs::write(config.join("config.json"), r#"{"currentContext":"here"}"#).unwrap();
        let env = |vars: &[(&str, &str)]| {
            Environment::from_vars(
                vars.iter()
                    .copied()
                    .chain([("DOCKER_CONFIG", config.to_str().unwrap())]),
            )
        };
        let located = EngineAddress::locate(EngineKind::Docker, None, &env(&[])).unwrap();
        assert_eq!(located.origin(), Origin::Context);
        assert_eq!(located.address().socket(), Some(Path::new("/run/here.sock")));
        // DOCKER_HOST and --host come first; DOCKER_CONTEXT before currentContext; `default` is the default socket.
        let located =
            EngineAddress::locate(EngineKind::Docker, None, &env(&[("DOCKER_HOST", "unix:///h.sock")])).unwrap();
        assert_eq!(located.origin(), Origin::DockerHost);
        let located = EngineAddress::locate(EngineKind::Docker, Some("unix:///e.sock"), &env(&[])).unwrap();
        assert_eq!(located.origin(), Origin::Explicit);
        let located = EngineAddress::locate(EngineKind::Docker, None, &env(&[("DOCKER_CONTEXT", "default")])).unwrap();
        assert_eq!(
            (located.origin(), located.address().socket()),
            (Origin::Default, Some(Path::new(DOCKER_SOCKET)))
        );
        // Podman has no contexts.
        let podman = EngineAddress::locate(EngineKind::Podman, None, &env(&[])).unwrap();
        assert_eq!(podman.origin(), Origin::Default);
        // A context with TLS material for tcp, and one the store does not have.
        let err = EngineAddress::locate(EngineKind::Docker, None, &env(&[("DOCKER_CONTEXT", "there")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidAddress, "{err}");
        let err = EngineAddress::locate(EngineKind::Docker, None, &env(&[("DOCKER_CONTEXT", "gone")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DockerContext);
        assert!(
            err.to_string()
                .starts_with("the docker context \"gone\" (DOCKER_CONTEXT) does not exist"),
            "{err}"
        );
        // Without DOCKER_CONFIG, ~/.docker.
        let home = Environment::from_vars([("HOME", dir.path().to_str().unwrap())]);
        let moved = dir.path().join(".docker");
        std::fs::create_dir_all(&moved).unwrap();
        std::fs::write(moved.join("config.json"), r#"{"currentContext":"nowhere"}"#).unwrap();
        let err = EngineAddress::locate(EngineKind::Docker, None, &home).unwrap_err();
        assert!(err.to_string().contains("currentContext in config.json"), "{err}");
    }
}
