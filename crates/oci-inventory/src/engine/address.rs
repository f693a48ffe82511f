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
}

/// An address, where it came from, and which engine it is meant to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    address: EngineAddress,
    origin: Origin,
    kind: EngineKind,
}

/// The environment variables engine discovery depends on, captured explicitly so the library never reads the
/// process environment behind the caller's back: `DOCKER_HOST`, `CONTAINER_HOST`, `XDG_RUNTIME_DIR` and
/// `DOCKER_TLS_VERIFY`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    docker_host: Option<String>,
    container_host: Option<String>,
    xdg_runtime_dir: Option<PathBuf>,
    docker_tls_verify: bool,
}

impl Environment {
    /// None of the variables set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the four variables from the process environment; the only place the crate does, and only when called.
    pub fn capture() -> Self {
        Self::from_vars(std::env::vars_os())
    }

    /// Takes the four variables from `(name, value)` pairs and ignores the rest.
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
    /// (`DOCKER_HOST` or `CONTAINER_HOST`), else the default socket (for podman the rootless one if it exists,
    /// which is the only filesystem access here).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidAddress`] when the address given does not parse, or when `DOCKER_TLS_VERIFY` asks
    /// for TLS to a Docker engine.
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
}
