//! The real registry (`docker-registry serve CONFIG.yml`), one process per fixture, killed on drop.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oci_registry::{Client, ClientBuilder, Credentials, RegistryOptions, Scheme};

use crate::tools::{apt, tool};
use crate::{Images, TempDir, TestCa, TokenServer};

/// How a [`Registry`] authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// No authentication.
    Open,
    /// HTTP Basic against an htpasswd file with one bcrypt entry.
    Htpasswd {
        /// The one user.
        username: &'a str,
        /// Their password.
        password: &'a str,
    },
    /// Bearer tokens from a [`TokenServer`]; the registry keeps the server running as long as it runs.
    Token(&'a TokenServer),
}

/// The CNCF registry on a free loopback port, with its own directory (configuration, storage, log). The process is
/// killed and the directory removed on drop.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    host: String,
    ca_pem: Option<String>,
    ca_file: Option<PathBuf>,
    credentials: Option<(String, String)>,
    tokens: Option<TokenServer>,
    dir: TempDir,
}

impl Registry {
    /// An open registry over plain HTTP on 127.0.0.1.
    pub fn open() -> Self {
        Self::start(Auth::Open, None)
    }

    /// A registry over plain HTTP on 127.0.0.1 that wants HTTP Basic as `username`; its [`credentials`] are
    /// theirs.
    ///
    /// [`credentials`]: Self::credentials
    pub fn htpasswd(username: &str, password: &str) -> Self {
        Self::start(Auth::Htpasswd { username, password }, None)
    }

    /// A registry over plain HTTP on 127.0.0.1 that wants Bearer tokens from a token server of its own, which
    /// knows one user and no public repository; its [`credentials`] are that user's, and [`token_requests`]
    /// counts the tokens the server gave out.
    ///
    /// [`credentials`]: Self::credentials
    /// [`token_requests`]: Self::token_requests
    pub fn bearer(username: &str, password: &str) -> Self {
        let tokens = TokenServer::start(&[(username, password)], &[]);
        let mut registry = Self::start(Auth::Token(&tokens), None);
        registry.credentials = Some((username.to_owned(), password.to_owned()));
        registry
    }

    /// Starts a registry on 127.0.0.1 with `auth`, over TLS with a certificate from `tls` when given.
    pub fn start(auth: Auth<'_>, tls: Option<&TestCa>) -> Self {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), auth, tls)
    }

    /// Starts a registry on the loopback address `ip` (`::1` works too), retrying on another port when the chosen
    /// one was taken meanwhile.
    ///
    /// # Panics
    ///
    /// When the registry binary is missing, or the registry does not start (the message quotes its log).
    pub fn start_on(ip: IpAddr, auth: Auth<'_>, tls: Option<&TestCa>) -> Self {
        Self::start_with(ip, auth, tls, None)
    }

    /// An open registry on 127.0.0.1 in proxy mode: a pull-through cache of the registry at `remote_url`
    /// (`http://HOST:PORT`), as a registry mirror is run. It fetches from the remote what it does not hold, and
    /// keeps it.
    pub fn pull_through(remote_url: &str) -> Self {
        Self::start_with(IpAddr::V4(Ipv4Addr::LOCALHOST), Auth::Open, None, Some(remote_url))
    }

    fn start_with(ip: IpAddr, auth: Auth<'_>, tls: Option<&TestCa>, remote: Option<&str>) -> Self {
        let binary = tool("OCI_TEST_REGISTRY", REGISTRY, &apt("docker-registry"));
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("oci-testkit-registry");
            let port = TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
            let host = match ip {
                IpAddr::V4(v4) => format!("{v4}:{port}"),
                IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            };
            let config_path = dir.path().join("config.yml");
            let mut text = config(dir.path(), &host, &auth, tls);
            if let Some(remote) = remote {
                writeln!(text, "proxy:\n  remoteurl: {remote}").unwrap();
            }
            std::fs::write(&config_path, text).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(&binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {}: {err}", binary.display()));
            let credentials = match auth {
                Auth::Htpasswd { username, password } => Some((username.to_owned(), password.to_owned())),
                Auth::Open | Auth::Token(_) => None,
            };
            let mut registry = Self {
                child,
                host,
                ca_pem: tls.map(|ca| ca.ca_pem().to_owned()),
                ca_file: tls.map(|ca| ca.write_ca_file(dir.path())),
                credentials,
                tokens: match auth {
                    Auth::Token(tokens) => Some(tokens.handle()),
                    Auth::Open | Auth::Htpasswd { .. } => None,
                },
                dir,
            };
            if registry.wait_until_listening(ip, port) {
                return registry;
            }
            last_log = std::fs::read_to_string(registry.dir.path().join("registry.log")).unwrap_or_default();
        }
        panic!("the registry did not start; its last log:\n{last_log}");
    }

    /// `127.0.0.1:PORT` or `[::1]:PORT`, the registry's name in references.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The registry process's id (the benchmark reads its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The registry's directory: `config.yml`, `registry.log`, `storage/`, and the TLS and auth files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The user the registry was started for, `(username, password)`: the htpasswd user, or the user of the token
    /// server started by [`Registry::bearer`]. `None` for open registries and for [`Auth::Token`], whose server
    /// may know several users.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(username, password)| (username.as_str(), password.as_str()))
    }

    /// The token server of a Bearer registry.
    pub fn token_server(&self) -> Option<&TokenServer> {
        self.tokens.as_ref()
    }

    /// How many token requests the registry's token server answered with a token so far.
    ///
    /// # Panics
    ///
    /// When the registry does not use Bearer tokens.
    pub fn token_requests(&self) -> usize {
        self.token_server()
            .expect("token_requests: this registry does not use Bearer tokens")
            .requests()
    }

    /// The PEM of the CA that signed the registry's certificate, when it serves TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The file holding [`ca_pem`](Self::ca_pem) (in [`dir`](Self::dir)), for `--ca-cert` options.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Client options for this registry: plain HTTP or its CA, and its [`credentials`](Self::credentials) if any.
    pub fn options(&self) -> RegistryOptions {
        let mut options = match &self.ca_pem {
            Some(pem) => RegistryOptions::new()
                .ca_certificates_pem(pem.as_bytes())
                .expect("the test CA's PEM is valid"),
            None => RegistryOptions::new().scheme(Scheme::Http),
        };
        if let Some((username, password)) = &self.credentials {
            options = options.credentials(Credentials::new(username, password));
        }
        options
    }

    /// A client builder with [`options`](Self::options) for this registry.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder().registry(&self.host, self.options())
    }

    /// A client with [`options`](Self::options) for this registry.
    pub fn client(&self) -> Client {
        self.client_builder().build().expect("a client for the test registry")
    }

    /// Pushes into the repository `name` with a [`client`](Self::client) of its own.
    pub fn images(&self, name: &str) -> Result<Images, oci_registry::Error> {
        Images::new(&self.client(), &self.host, name)
    }

    fn wait_until_listening(&mut self, ip: IpAddr, port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect((ip, port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry binary: Debian's, which `cargo xtask test` installs when it is missing (the tests also honour
/// `OCI_TEST_REGISTRY`).
const REGISTRY: &str = "/usr/bin/docker-registry";

fn config(dir: &Path, host: &str, auth: &Auth<'_>, tls: Option<&TestCa>) -> String {
    let storage = dir.join("storage");
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: \"{host}\"\n  secret: oci-testkit-secret\n",
        storage.display()
    );
    if let Some(ca) = tls {
        let (cert, key) = ca.write_server_files(dir);
        writeln!(
            config,
            "  tls:\n    certificate: {}\n    key: {}",
            cert.display(),
            key.display()
        )
        .unwrap();
    }
    match auth {
        Auth::Open => {}
        Auth::Htpasswd { username, password } => {
            let hash = bcrypt::hash_with_result(password, 4)
                .unwrap()
                .format_for_version(bcrypt::Version::TwoY);
            let path = dir.join("htpasswd");
            std::fs::write(&path, format!("{username}:{hash}\n")).unwrap();
            writeln!(
                config,
                "auth:\n  htpasswd:\n    realm: oci-testkit\n    path: {}",
                path.display()
            )
            .unwrap();
        }
        Auth::Token(server) => {
            let bundle = dir.join("token-signer.pem");
            std::fs::write(&bundle, server.certificate_pem()).unwrap();
            writeln!(
                config,
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}",
                server.realm(),
                crate::token::SERVICE,
                crate::token::ISSUER,
                bundle.display()
            )
            .unwrap();
        }
    }
    config
}
