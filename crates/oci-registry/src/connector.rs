//! The connector under hyper-util's pooled client: name resolution with address checks, TCP, a proxy when one
//! applies, then TLS through tokio-rustls with the ring provider, ALPN `h2` and `http/1.1`, and a TLS configuration
//! per registry.
//!
//! The addresses a name resolves to are checked before connecting, since a name can resolve anywhere:
//! - no connection to a link-local, cloud-metadata or unspecified address ([`oci_auth::is_forbidden_ip`]) unless
//!   the host is a registry the caller configured: a realm or a redirect cannot lead there by a DNS name;
//! - plain HTTP to a host allowed it only for being named `localhost` goes only to loopback addresses.
//!
//! Through a proxy ([`ProxyConfig::proxy_for`] decides, for every connection: registries, realms, redirects), the
//! proxy resolves the target's name, so these rules apply to a target given as an IP address only; the proxy's own
//! address is the caller's choice and is not checked. HTTPS goes through a `CONNECT` tunnel (the proxy's answer read
//! within [`MAX_CONNECT_REPLY`](crate::proxy::MAX_CONNECT_REPLY) bytes and the connect timeout), then TLS to the
//! target inside it, named by the target's host; plain HTTP goes to the proxy itself, and the connection tells
//! hyper-util so ([`Connected::proxy`]), which then sends requests in absolute form.

use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::ClientConfig;
use crate::error::{Error, ErrorKind};
use crate::location::host_of;
use crate::proxy::{ConnectReply, ProxyConfig, ProxyUrl, connect_request, read_connect_reply};

/// Opens plain or TLS connections; cloned by the pool for each new connection.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Arc<TlsConfigs>,
    timeout: Duration,
    hosts: Arc<Hosts>,
    proxy: Arc<ProxyConfig>,
    user_agent: Arc<str>,
}

/// What the configuration says about hosts, for the address checks.
struct Hosts {
    /// Hosts of the registries the caller configured: exempt from the forbidden-address check.
    configured: HashSet<String>,
    /// Hosts marked insecure: plain HTTP to them goes wherever they resolve.
    insecure: HashSet<String>,
    /// Addresses given for host names instead of DNS.
    resolve: HashMap<String, Vec<IpAddr>>,
}

/// The default TLS configuration and the ones for registries with extra CA certificates, keyed by authority.
struct TlsConfigs {
    default: Arc<rustls::ClientConfig>,
    by_authority: HashMap<String, Arc<rustls::ClientConfig>>,
}

/// A connection made by [`Connector`].
pub(crate) enum Stream {
    Plain(TokioIo<TcpStream>),
    /// Plain HTTP to a proxy: hyper-util sends requests on it in absolute form.
    Proxied(TokioIo<TcpStream>),
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
}

/// Why a connection could not be made; found again in hyper's error chain to classify the failure.
#[derive(Debug)]
pub(crate) struct ConnectError {
    pub(crate) kind: ErrorKind,
    /// The TLS handshake met a server that answered in plain HTTP (or hung up at once, as some do).
    pub(crate) plain_http_answer: bool,
    /// The proxy the connection went through (or was to), when one applied.
    pub(crate) proxy: Option<ProxyUrl>,
    source: Box<dyn StdError + Send + Sync>,
}

/// Why a proxy failed a connection: what happened, for the error's detail, and the IO error beneath, if any.
#[derive(Debug)]
pub(crate) struct ProxyFailure {
    what: String,
    cause: Option<io::Error>,
}

impl Connector {
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, Error> {
        let mut hosts = Hosts {
            configured: HashSet::new(),
            insecure: HashSet::new(),
            resolve: config.resolve.clone(),
        };
        for (authority, options) in &config.registries {
            let host = host_of(authority).to_ascii_lowercase();
            if options.insecure {
                hosts.insecure.insert(host.clone());
            }
            if !options.check_addresses {
                hosts.configured.insert(host);
            }
        }
        let default = Arc::new(tls_config(&[])?);
        let mut by_authority = HashMap::new();
        for (host, options) in &config.registries {
            if !options.ca_certificates.is_empty() {
                let authority = with_default_port(host);
                by_authority.insert(authority, Arc::new(tls_config(&options.ca_certificates)?));
            }
        }
        Ok(Self {
            tls: Arc::new(TlsConfigs { default, by_authority }),
            timeout: config.connect_timeout,
            hosts: Arc::new(hosts),
            proxy: Arc::new(config.proxy.clone()),
            user_agent: Arc::from(config.user_agent.as_str()),
        })
    }

    /// A connection for `uri`: direct, or through the proxy that applies to it.
    async fn open(self, uri: Uri) -> Result<Stream, ConnectError> {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        match self.proxy.proxy_for(https, &host, port) {
            Some(proxy) => {
                let proxy = proxy.clone();
                self.through(&proxy, host, port, https)
                    .await
                    .map_err(|err| err.through(&proxy))
            }
            None => {
                if !self.proxy.is_empty() {
                    tracing::debug!(host, port, "connecting directly: a loopback host or one NO_PROXY names");
                }
                self.direct(host, port, https).await
            }
        }
    }

    /// Resolves `host` (checking the addresses), connects, and speaks TLS when `https`.
    async fn direct(&self, host: String, port: u16, https: bool) -> Result<Stream, ConnectError> {
        let addresses = match self.hosts.resolve.get(&host.to_ascii_lowercase()) {
            Some(given) => given.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
            None => resolve(&host, port, self.timeout).await?,
        };
        self.hosts.check(&host, https, &addresses)?;
        let tcp = TokioIo::new(connect(&addresses, self.timeout).await?);
        tracing::debug!(
            host,
            port,
            https,
            "connected to {}",
            tcp.inner()
                .peer_addr()
                .map_or_else(|_| "?".to_owned(), |a| a.to_string())
        );
        if !https {
            return Ok(Stream::Plain(tcp));
        }
        self.tls(tcp.into_inner(), host, port).await
    }

    /// Connects to `proxy`; for HTTPS opens a `CONNECT` tunnel to `host:port` and speaks TLS inside it.
    async fn through(&self, proxy: &ProxyUrl, host: String, port: u16, https: bool) -> Result<Stream, ConnectError> {
        // The proxy resolves names; an address is known here, and is checked as if connecting to it directly.
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.hosts.check(&host, https, &[SocketAddr::new(ip, port)])?;
        }
        let addresses = match self.hosts.resolve.get(proxy.host()) {
            Some(given) => given.iter().map(|ip| SocketAddr::new(*ip, proxy.port())).collect(),
            None => resolve(proxy.host(), proxy.port(), self.timeout)
                .await
                .map_err(|err| err.at_proxy("could not resolve the proxy's host"))?,
        };
        let mut tcp = connect(&addresses, self.timeout)
            .await
            .map_err(|err| err.at_proxy("could not connect to the proxy"))?;
        let target = join_host_port(&host, port);
        tracing::info!(
            "connecting to {target} through the proxy {proxy} ({})",
            if https {
                "CONNECT tunnel"
            } else {
                "plain HTTP, absolute-form requests"
            }
        );
        if !https {
            return Ok(Stream::Proxied(TokioIo::new(tcp)));
        }
        tokio::time::timeout(self.timeout, tunnel(&mut tcp, proxy, &target, &self.user_agent))
            .await
            .map_err(|_| {
                ConnectError::new(
                    ErrorKind::Timeout,
                    format!("the proxy did not answer CONNECT {target} within the connect timeout"),
                )
            })??;
        tracing::debug!("the proxy opened a tunnel to {target}");
        self.tls(tcp, host, port).await
    }

    /// TLS to `host` over `tcp` (direct, or a tunnel), with the registry's TLS configuration.
    async fn tls(&self, tcp: TcpStream, host: String, port: u16) -> Result<Stream, ConnectError> {
        let authority = join_host_port(&host, port);
        let config = self.tls.by_authority.get(&authority).unwrap_or(&self.tls.default);
        let name = ServerName::try_from(host).map_err(|err| ConnectError::new(ErrorKind::Tls, err))?;
        let handshake = TlsConnector::from(Arc::clone(config)).connect(name, tcp);
        let tls_stream = tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| ConnectError::new(ErrorKind::Timeout, "TLS handshake timed out"))?
            .map_err(|err| {
                let plain_http_answer = answered_in_plain_http(&err);
                let mut err = ConnectError::new(ErrorKind::Tls, err);
                err.plain_http_answer = plain_http_answer;
                err
            })?;
        Ok(Stream::Tls(Box::new(TokioIo::new(tls_stream))))
    }
}

/// `HOST:PORT`, an IPv6 address in brackets.
fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Asks the proxy on `tcp` for a tunnel to `target` and reads its answer: `Ok` once it answered 200 and nothing else.
async fn tunnel(tcp: &mut TcpStream, proxy: &ProxyUrl, target: &str, user_agent: &str) -> Result<(), ConnectError> {
    tcp.write_all(&connect_request(target, proxy, user_agent))
        .await
        .map_err(|err| ConnectError::proxy(format!("could not send CONNECT {target} to the proxy"), Some(err)))?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        let n = tcp.read(&mut chunk).await.map_err(|err| {
            ConnectError::proxy(
                format!("could not read the proxy's answer to CONNECT {target}"),
                Some(err),
            )
        })?;
        if n == 0 {
            return Err(ConnectError::proxy(
                format!("the proxy closed the connection without answering CONNECT {target}"),
                None,
            ));
        }
        received.extend_from_slice(&chunk[..n]);
        match read_connect_reply(&received) {
            Ok(None) => {}
            Err(err) => return Err(ConnectError::proxy(format!("{err} (CONNECT {target})"), None)),
            Ok(Some(reply)) if reply.status == 200 && received.len() == reply.head_len => return Ok(()),
            Ok(Some(reply)) if reply.status == 200 => {
                // The target speaks only after the client's TLS hello: bytes now are the proxy's, and not TLS.
                return Err(ConnectError::proxy(
                    format!("the proxy sent more than its answer to CONNECT {target} before TLS began"),
                    None,
                ));
            }
            Ok(Some(reply)) => return Err(ConnectError::proxy(refusal(proxy, target, &reply), None)),
        }
    }
}

/// What a proxy's refusal of `CONNECT target` means, for the error's detail.
fn refusal(proxy: &ProxyUrl, target: &str, reply: &ConnectReply) -> String {
    let answer = format!(
        "the proxy answered CONNECT {target} with {} {}",
        reply.status,
        crate::text::cut(&reply.reason)
    );
    match reply.status {
        407 => match proxy.username() {
            None => format!(
                "{answer}: it wants credentials{}, and the proxy URL has none (write http://USER:PASSWORD@HOST:PORT)",
                reply
                    .challenge
                    .as_deref()
                    .map(|scheme| format!(" ({})", crate::text::cut(scheme)))
                    .unwrap_or_default()
            ),
            Some(user) => format!(
                "{answer}: it refused the credentials of `{}` from the proxy URL",
                crate::text::cut(user)
            ),
        },
        403 => format!("{answer}: its rules do not let this client reach that host and port"),
        _ => answer,
    }
}

fn tls_config(extra_roots: &[rustls::pki_types::CertificateDer<'static>]) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots {
        roots
            .add(cert.clone())
            .map_err(|err| Error::new(ErrorKind::InvalidCertificate).with_source(err))?;
    }
    let provider = Arc::new(ring_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::new(ErrorKind::Tls).with_source(err))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// rustls's ring provider. rustls 0.23.48 deprecated `ring::default_provider` (ring has no post-quantum key
/// exchange) without a ring replacement: its others are aws-lc-rs, which needs a C toolchain this workspace avoids,
/// and the process default (`ClientConfig::builder`), which panics when a program enables both backends. Until the
/// workspace moves to aws-lc-rs, ring stays, and the deprecation is allowed here only: without this, every crate
/// that depends on the library and resolves rustls 0.23.48 or later warns (`cargo xtask ci` builds it so).
#[allow(deprecated, reason = "no ring provider without the deprecation exists; see above")]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// `host:port` with the HTTPS default port filled in, matching what the connector sees in a URI.
fn with_default_port(authority: &str) -> String {
    let has_port = match authority.rfind(']') {
        Some(end) => authority[end..].contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:443")
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = Stream;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().open(uri))
    }
}

impl Hosts {
    /// The address rules of the module documentation.
    fn check(&self, host: &str, https: bool, addresses: &[SocketAddr]) -> Result<(), ConnectError> {
        let host = host.to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        if !self.configured.contains(host) {
            if let Some(bad) = addresses.iter().find(|a| oci_auth::is_forbidden_ip(a.ip())) {
                return Err(ConnectError::new(
                    ErrorKind::ForbiddenAddress,
                    format!(
                        "`{}` resolves to {}, which no registry should send a client to",
                        crate::text::quote(host),
                        bad.ip()
                    ),
                ));
            }
        }
        let named_loopback = host.parse::<IpAddr>().is_err() && oci_auth::is_loopback_host(host);
        if !https && named_loopback && !self.insecure.contains(host) {
            if let Some(remote) = addresses.iter().find(|a| !a.ip().is_loopback()) {
                return Err(ConnectError::new(
                    ErrorKind::InsecureTransport,
                    format!(
                        "`{}` resolves to {}, not a loopback address: no plain HTTP to it",
                        crate::text::quote(host),
                        remote.ip()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The addresses of `host` (an IP literal is its own), within `timeout`.
async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ConnectError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| ConnectError::new(ErrorKind::Timeout, "name resolution timed out"))?
        .map_err(|err| ConnectError::new(ErrorKind::Connect, err))?;
    let addresses: Vec<SocketAddr> = found.collect();
    if addresses.is_empty() {
        return Err(ConnectError::new(
            ErrorKind::Connect,
            format!("`{}` has no address", crate::text::quote(host)),
        ));
    }
    Ok(addresses)
}

/// A TCP connection to the first of `addresses` that accepts one, each tried within `timeout`.
async fn connect(addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream, ConnectError> {
    let mut last = ConnectError::new(ErrorKind::Connect, "no address to connect to");
    for address in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(err)) => last = ConnectError::new(ErrorKind::Connect, err),
            Err(_) => last = ConnectError::new(ErrorKind::Timeout, format!("connecting to {address} timed out")),
        }
    }
    Err(last)
}

impl ConnectError {
    fn new(kind: ErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            kind,
            plain_http_answer: false,
            proxy: None,
            source: source.into(),
        }
    }

    /// A failure of the proxy itself.
    fn proxy(what: String, cause: Option<io::Error>) -> Self {
        Self::new(ErrorKind::Proxy, ProxyFailure { what, cause })
    }

    /// This failure to resolve or reach the proxy's host, as a failure of the proxy: `what`, then why.
    fn at_proxy(self, what: &str) -> Self {
        Self::new(
            ErrorKind::Proxy,
            ProxyFailure {
                what: format!("{what}: {}", self.source),
                cause: None,
            },
        )
    }

    /// Notes the proxy the connection went through.
    fn through(mut self, proxy: &ProxyUrl) -> Self {
        self.proxy = Some(proxy.clone());
        self
    }

    /// What the proxy did, for an [`ErrorKind::Proxy`] failure, and the IO error beneath it.
    pub(crate) fn proxy_failure(&self) -> Option<(&str, Option<&io::Error>)> {
        let failure = self.source.downcast_ref::<ProxyFailure>()?;
        Some((&failure.what, failure.cause.as_ref()))
    }
}

impl fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl StdError for ProxyFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause.as_ref().map(|cause| cause as &(dyn StdError + 'static))
    }
}

/// Whether a failed handshake looks like a server speaking plain HTTP: its first bytes (`HTTP/1.1 400`) are no TLS
/// record, or it closed the connection at once.
fn answered_in_plain_http(err: &io::Error) -> bool {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        return true;
    }
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|tls| matches!(tls, rustls::Error::InvalidMessage(_)))
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl StdError for ConnectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.source()
    }
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Self::Plain(tcp) => tcp.connected(),
            Self::Proxied(tcp) => tcp.connected().proxy(true),
            Self::Tls(tls) => {
                let (tcp, session) = tls.inner().get_ref();
                let connected = tcp.connected();
                if session.alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl Read for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) | Self::Proxied(io) => Pin::new(io).poll_read(cx, buf),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) | Self::Proxied(io) => Pin::new(io).poll_write(cx, buf),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) | Self::Proxied(io) => Pin::new(io).poll_flush(cx),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) | Self::Proxied(io) => Pin::new(io).poll_shutdown(cx),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(io) | Self::Proxied(io) => io.is_write_vectored(),
            Self::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) | Self::Proxied(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::{Connector, Hosts};
    use crate::error::ErrorKind;
    use crate::{Client, RegistryOptions, Scheme};

    fn hosts(builder: crate::ClientBuilder) -> std::sync::Arc<Hosts> {
        Connector::new(&builder.config().unwrap()).unwrap().hosts
    }

    fn at(ip: &str) -> Vec<SocketAddr> {
        vec![SocketAddr::new(ip.parse().unwrap(), 443)]
    }

    #[test]
    fn names_that_resolve_to_metadata_addresses_are_refused_unless_configured() {
        let default = hosts(Client::builder());
        for ip in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
        ] {
            let err = default.check("realm.example", true, &at(ip)).unwrap_err();
            assert_eq!(err.kind, ErrorKind::ForbiddenAddress, "{ip}");
        }
        assert!(default.check("realm.example", true, &at("192.0.2.7")).is_ok());
        let configured = hosts(Client::builder().registry("metadata.internal:5000", RegistryOptions::new()));
        assert!(
            configured
                .check("metadata.internal", true, &at("169.254.169.254"))
                .is_ok()
        );
        // Configured for its options, but found in a file the user did not write: checked all the same.
        let found =
            hosts(Client::builder().registry("metadata.internal:5000", RegistryOptions::new().check_addresses()));
        let err = found
            .check("metadata.internal", true, &at("169.254.169.254"))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ForbiddenAddress);
    }

    #[test]
    fn plain_http_to_localhost_goes_only_to_loopback_addresses() {
        let default = hosts(Client::builder());
        assert!(default.check("localhost", false, &at("127.0.0.1")).is_ok());
        assert!(default.check("localhost", false, &at("::1")).is_ok());
        let err = default.check("localhost", false, &at("192.0.2.7")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InsecureTransport);
        // HTTPS is verified by its certificate; an insecure host was chosen to be reached in plain HTTP.
        assert!(default.check("localhost", true, &at("192.0.2.7")).is_ok());
        let insecure =
            hosts(Client::builder().registry("localhost", RegistryOptions::new().scheme(Scheme::Http).insecure()));
        assert!(insecure.check("localhost", false, &at("192.0.2.7")).is_ok());
    }

    /// Through a real proxy (squid, which alone knows the name `registry.test`), and around it for a host NO_PROXY
    /// names: the same registry, the same client code, and the proxy's log says which requests it carried.
    #[tokio::test(flavor = "multi_thread")]
    async fn no_proxy_hosts_go_direct_and_the_others_through_the_proxy() {
        use std::net::{IpAddr, Ipv4Addr};

        use crate::{NoProxy, ProxyConfig, ProxyUrl};

        let registry = oci_testkit::Registry::open();
        let port = registry.host().rsplit(':').next().unwrap().to_owned();
        let named = format!("registry.test:{port}");
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let squid = oci_testkit::Squid::builder()
            .basic_auth("alice", "s3cret")
            .host("registry.test", loopback)
            .start();
        let proxy = ProxyUrl::parse(&squid.url()).unwrap();
        let client = |no_proxy: &str| {
            Client::builder()
                .registry(&named, RegistryOptions::new().scheme(Scheme::Http).insecure())
                // Only for a direct connection: through the proxy, squid resolves the name.
                .resolve("registry.test", loopback)
                .proxy(
                    ProxyConfig::new()
                        .with_http(proxy.clone())
                        .with_no_proxy(NoProxy::parse(no_proxy)),
                )
                .build()
                .unwrap()
        };
        let carried = |entries: Vec<oci_testkit::squid::AccessEntry>| -> Vec<(String, String, u16, Option<String>)> {
            entries
                .into_iter()
                .map(|entry| (entry.method, entry.url, entry.status, entry.user))
                .collect()
        };

        client("other.test, 10.0.0.0/8").ping(&named).await.unwrap();
        let seen = tokio::task::block_in_place(|| squid.mark());
        assert_eq!(
            carried(seen),
            [(
                "GET".to_owned(),
                format!("http://{named}/v2/"),
                200,
                Some("alice".to_owned())
            )]
        );

        for bypass in [
            "registry.test",
            ".test",
            "*.test",
            &format!("registry.test:{port}"),
            "*",
        ] {
            client(bypass).ping(&named).await.unwrap();
            let seen = tokio::task::block_in_place(|| squid.mark());
            assert_eq!(carried(seen), [], "NO_PROXY={bypass}");
        }
        // A port NO_PROXY does not name goes through the proxy.
        client("registry.test:1").ping(&named).await.unwrap();
        assert_eq!(tokio::task::block_in_place(|| squid.mark()).len(), 1);
    }

    /// A proxy that reads one `CONNECT` head, answers `reply` (then keeps the connection open until the client
    /// closes it, unless `close`), and hands back the head it read: for the faults a real proxy will not show.
    async fn broken_proxy(reply: Vec<u8>, close: bool) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://alice:s3cret@{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return Vec::new();
            };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = stream.write_all(&reply).await;
            if !close {
                let _ = stream.read_to_end(&mut Vec::new()).await;
            }
            head
        });
        (url, task)
    }

    fn through(url: &str, connect_timeout: std::time::Duration) -> Client {
        let proxy = crate::ProxyUrl::parse(url).unwrap();
        Client::builder()
            .connect_timeout(connect_timeout)
            .retry_policy(crate::RetryPolicy::never())
            .proxy(crate::ProxyConfig::new().with_https(proxy))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn proxies_that_fail_the_tunnel_are_proxy_errors_naming_them() {
        let long = std::time::Duration::from_secs(30);
        let mut oversized = b"HTTP/1.1 200 OK\r\n".to_vec();
        oversized.extend(std::iter::repeat_n(b'x', crate::proxy::MAX_CONNECT_REPLY));
        for (reply, close, says) in [
            (
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_vec(),
                false,
                "the proxy answered CONNECT registry.example:443 with 403 Forbidden: its rules do not let",
            ),
            (
                b"HTTP/1.0 502 Bad\x1b[2J Gateway\r\n\r\n".to_vec(),
                false,
                "with 502 Bad\\x1b[2J Gateway",
            ),
            (
                b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n".to_vec(),
                false,
                "the proxy sent more than its answer to CONNECT registry.example:443 before TLS began",
            ),
            (b"SSH-2.0-OpenSSH_9.2\r\n".to_vec(), false, "is not HTTP/1.x"),
            (oversized, false, "larger than 16 KiB"),
            (
                b"HTTP/1.1 200".to_vec(),
                true,
                "closed the connection without answering",
            ),
        ] {
            let (url, task) = broken_proxy(reply, close).await;
            let err = through(&url, long).ping("registry.example").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Proxy, "{err:#}");
            let proxy = url.replace(":s3cret@", ":***@");
            assert_eq!(err.proxy(), Some(proxy.as_str()));
            let shown = format!("{err:#}");
            assert!(
                shown.contains(says) && shown.contains(&format!("proxy `{proxy}` failed")),
                "{shown}"
            );
            assert!(
                !shown.contains("s3cret") && !format!("{err:?}").contains("s3cret"),
                "{err:?}"
            );
            // The proxy got the CONNECT with its own credentials.
            let head = String::from_utf8(task.await.unwrap()).unwrap();
            assert!(
                head.starts_with("CONNECT registry.example:443 HTTP/1.1\r\nHost: registry.example:443\r\n")
                    && head.contains("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"),
                "{head}"
            );
        }
    }

    #[tokio::test]
    async fn a_proxy_that_never_answers_connect_times_out() {
        let (url, task) = broken_proxy(Vec::new(), false).await;
        let err = through(&url, std::time::Duration::from_millis(300))
            .ping("registry.example")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err:#}");
        assert!(
            format!("{err:#}").contains("the proxy did not answer CONNECT"),
            "{err:#}"
        );
        assert!(err.proxy().is_some());
        task.abort();
    }

    #[tokio::test]
    async fn addresses_given_as_such_are_checked_even_through_a_proxy() {
        let (url, task) = broken_proxy(b"HTTP/1.1 200 OK\r\n\r\n".to_vec(), false).await;
        let client = through(&url, std::time::Duration::from_secs(30));
        for target in ["169.254.169.254", "[fe80::1]:5000"] {
            let err = client.ping(target).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ForbiddenAddress, "{target}: {err:#}");
        }
        task.abort();
        // An unreachable proxy is the proxy's failure, not the registry's.
        let port = oci_testkit::free_port();
        let err = through(&format!("http://127.0.0.1:{port}"), std::time::Duration::from_secs(5))
            .ping("registry.example")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Proxy, "{err:#}");
        assert!(format!("{err}").contains("could not connect to the proxy"), "{err}");
    }

    #[test]
    fn default_port() {
        assert_eq!(super::with_default_port("ghcr.io"), "ghcr.io:443");
        assert_eq!(super::with_default_port("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(super::with_default_port("[::1]"), "[::1]:443");
        assert_eq!(super::with_default_port("[::1]:8443"), "[::1]:8443");
    }
}
