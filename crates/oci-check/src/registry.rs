//! The registry options every network subcommand shares, and the client built from them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Duration;

use oci_auth::{CredentialStore, Environment};
use oci_client::{Client, Credentials, RegistryOptions, Transport};

use oci_ref::Reference;

use crate::failure::Failure;
use crate::{Output, exit};

/// Registry options shared by `update`, `digest`, `manifest` and `tags`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryArgs {
    /// User name for every registry the command talks to (the password is read with --password-stdin).
    ///
    /// Without it, credentials come from docker's config.json ($DOCKER_CONFIG or ~/.docker), podman's auth.json
    /// ($REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR/containers) and the credential helpers they name.
    #[arg(
        long,
        value_name = "NAME",
        requires = "password_stdin",
        help_heading = "Registry options"
    )]
    username: Option<String>,
    /// Read the password (or token) for --username from standard input.
    #[arg(long, requires = "username", help_heading = "Registry options")]
    password_stdin: bool,
    /// Talk plain HTTP to `HOST[:PORT]` (repeatable). Loopback registries need it too when they serve no TLS.
    #[arg(long, value_name = "HOST[:PORT]", help_heading = "Registry options")]
    insecure_registry: Vec<String>,
    /// Also trust the CA certificates in a PEM file (repeatable): `HOST[:PORT]=FILE` for one registry, or `FILE`
    /// alone for every registry the command talks to.
    #[arg(long, value_name = "[HOST=]PEM", help_heading = "Registry options")]
    ca_cert: Vec<String>,
    /// Seconds one request may take, from sending it to the end of the answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    #[arg(help_heading = "Registry options")]
    timeout: u64,
}

impl RegistryArgs {
    /// Whether the password is to be read from standard input.
    pub(crate) fn password_stdin(&self) -> bool {
        self.password_stdin
    }

    /// Builds the client for talking to `registries` (as references name them, `docker.io` included).
    ///
    /// Without --username, credentials are looked up in the credential store when a registry first asks for
    /// them, once per registry: a credential helper that is missing or fails is reported for the images of that
    /// registry only.
    pub(crate) fn prepare(&self, registries: &BTreeSet<String>, concurrency: Option<usize>) -> Result<Client, Failure> {
        let explicit = match &self.username {
            Some(username) if self.password_stdin => {
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
                Some(Credentials::new(username, password))
            }
            _ => None,
        };
        let mut shared_pem = Vec::new();
        let mut host_pem: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for spec in &self.ca_cert {
            let (host, path) = match spec.split_once('=') {
                Some((host, path)) => (Some(host), path),
                None => (None, spec.as_str()),
            };
            let pem = std::fs::read(path)
                .map_err(|err| Failure::usage(format!("could not read the CA certificate file `{path}`: {err}")))?;
            match host {
                Some(host) => host_pem.entry(host.to_owned()).or_default().push(pem),
                None => shared_pem.push(pem),
            }
        }
        let insecure: BTreeSet<&str> = self.insecure_registry.iter().map(String::as_str).collect();
        let store = if explicit.is_some() {
            None
        } else {
            Some(
                CredentialStore::from_environment(&Environment::capture()).map_err(|err| {
                    Failure::new(
                        "credentials",
                        format!("could not read the credentials files: {err}; fix or move the file"),
                    )
                })?,
            )
        };
        let timeout = Duration::from_secs(self.timeout);
        let mut builder = Client::builder()
            .request_timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)));
        let all: BTreeSet<&str> = registries
            .iter()
            .map(String::as_str)
            .chain(insecure.iter().copied())
            .chain(host_pem.keys().map(String::as_str))
            .collect();
        for registry in all {
            let mut options = RegistryOptions::new();
            if insecure.contains(registry) {
                options = options.transport(Transport::Http).insecure();
            }
            for pem in shared_pem.iter().chain(host_pem.get(registry).into_iter().flatten()) {
                options = options.ca_certificates_pem(pem).map_err(|err| {
                    Failure::usage(format!("a --ca-cert file holds no usable PEM certificate: {err}"))
                })?;
            }
            if let Some(credentials) = &explicit {
                options = options.credentials(credentials.clone());
            }
            builder = builder.registry(registry, options);
        }
        if let Some(concurrency) = concurrency {
            builder = builder.max_concurrency_per_registry(concurrency);
        }
        if let Some(store) = store {
            builder = builder.credential_store(store);
        }
        builder
            .build()
            .map_err(|err| Failure::usage(format!("the registry options are not usable: {err}")))
    }
}

/// What a one-image subcommand (`manifest`, `tags`) works with.
pub(crate) struct Session {
    pub(crate) reference: Reference,
    pub(crate) client: Client,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl RegistryArgs {
    /// Parses `image`, then prepares a client for its registry and a runtime; on failure, says why and gives the
    /// exit code to return.
    pub(crate) fn session(&self, image: &str, output: Output) -> Result<Session, ExitCode> {
        let reference = Reference::parse_normalized(image).map_err(|err| {
            output.error(&Failure::bad_reference(image, &err));
            ExitCode::from(exit::FAILED)
        })?;
        let client = self
            .prepare(&BTreeSet::from([reference.registry().to_owned()]), None)
            .map_err(|failure| exit::failure(&failure))?;
        let runtime = crate::runtime()?;
        Ok(Session {
            reference,
            client,
            runtime,
        })
    }
}
