//! The real registry (`docker-registry serve CONFIG.yml`), one process per test, killed on drop.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oci_client::{ClientBuilder, Credentials, RegistryOptions, Transport};

use super::{TempDir, TestCa, TokenServer};

/// The registry binary; `cargo xtask test` installs Debian's `docker-registry` package when it is missing.
pub(crate) fn binary() -> String {
    let path = std::env::var("OCI_TEST_REGISTRY").unwrap_or_else(|_| "/usr/bin/docker-registry".to_owned());
    assert!(
        Path::new(&path).exists(),
        "the registry binary {path} is missing: run `cargo xtask test`, which installs it, or \
         `apt-get update && apt-get install -y docker-registry` (or set OCI_TEST_REGISTRY)"
    );
    path
}

/// How the registry authenticates.
pub(crate) enum Auth<'a> {
    /// No authentication.
    Open,
    /// htpasswd with one bcrypt entry.
    Htpasswd { username: &'a str, password: &'a str },
    /// Bearer tokens from the test token server.
    Token(&'a TokenServer),
}

pub(crate) struct Registry {
    child: Child,
    host: String,
    ca_pem: Option<String>,
    credentials: Option<Credentials>,
    dir: TempDir,
}

impl Registry {
    /// An open registry over plain HTTP.
    pub(crate) fn open() -> Self {
        Self::start(Auth::Open, None)
    }

    /// Starts a registry on 127.0.0.1.
    pub(crate) fn start(auth: Auth<'_>, tls: Option<&TestCa>) -> Self {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), auth, tls)
    }

    /// Starts a registry on the loopback address `ip`, retrying on another port when the chosen one was taken
    /// meanwhile.
    pub(crate) fn start_on(ip: IpAddr, auth: Auth<'_>, tls: Option<&TestCa>) -> Self {
        let binary = binary();
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = TempDir::new("oci-client-registry");
            let port = TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
            let addr = match ip {
                IpAddr::V4(v4) => format!("{v4}:{port}"),
                IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            };
            let config = config(dir.path(), &addr, &auth, tls);
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(&binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|err| panic!("could not start {binary}: {err}"));
            let credentials = match auth {
                Auth::Htpasswd { username, password } => Some(Credentials::new(username, password)),
                _ => None,
            };
            let mut registry = Self {
                child,
                host: addr,
                ca_pem: tls.map(|ca| ca.ca_pem.clone()),
                credentials,
                dir,
            };
            if registry.wait_until_listening(ip, port) {
                return registry;
            }
            last_log = std::fs::read_to_string(registry.dir.path().join("registry.log")).unwrap_or_default();
        }
        panic!("the registry did not start; its last log:\n{last_log}");
    }

    /// The registry process's id (the benchmark reads its CPU time).
    #[allow(dead_code, reason = "used by the check_many benchmark, not by the integration tests")]
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:PORT` or `[::1]:PORT`.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// A client builder set up for this registry: plain HTTP or its CA, and its htpasswd credentials.
    pub(crate) fn client_builder(&self) -> ClientBuilder {
        oci_client::Client::builder().registry(&self.host, self.options())
    }

    /// The registry options matching this registry.
    pub(crate) fn options(&self) -> RegistryOptions {
        let mut options = match &self.ca_pem {
            Some(pem) => RegistryOptions::new().ca_certificates_pem(pem.as_bytes()).unwrap(),
            None => RegistryOptions::new().transport(Transport::Http),
        };
        if let Some(credentials) = &self.credentials {
            options = options.credentials(credentials.clone());
        }
        options
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

/// A port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(dir: &Path, addr: &str, auth: &Auth<'_>, tls: Option<&TestCa>) -> String {
    let storage = dir.join("storage");
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: \"{addr}\"\n  secret: oci-client-test-secret\n",
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
                "auth:\n  htpasswd:\n    realm: oci-client-test\n    path: {}",
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
                super::token::SERVICE,
                super::token::ISSUER,
                bundle.display()
            )
            .unwrap();
        }
    }
    config
}
