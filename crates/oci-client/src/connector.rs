//! The connector under hyper-util's pooled client: TCP through hyper-util's `HttpConnector`, then TLS through
//! tokio-rustls with the ring provider, ALPN `h2` and `http/1.1`, and a TLS configuration per registry.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::ClientConfig;
use crate::error::{Error, ErrorKind};

/// Opens plain or TLS connections; cloned by the pool for each new connection.
#[derive(Clone)]
pub(crate) struct Connector {
    http: HttpConnector,
    tls: Arc<TlsConfigs>,
    timeout: Duration,
}

/// The default TLS configuration and the ones for registries with extra CA certificates, keyed by authority.
struct TlsConfigs {
    default: Arc<rustls::ClientConfig>,
    by_authority: HashMap<String, Arc<rustls::ClientConfig>>,
}

/// A connection made by [`Connector`].
pub(crate) enum Stream {
    Plain(TokioIo<TcpStream>),
    Tls(Box<TokioIo<TlsStream<TcpStream>>>),
}

/// Why a connection could not be made; found again in hyper's error chain to classify the failure.
#[derive(Debug)]
pub(crate) struct ConnectError {
    pub(crate) kind: ErrorKind,
    /// The TLS handshake met a server that answered in plain HTTP (or hung up at once, as some do).
    pub(crate) plain_http_answer: bool,
    source: Box<dyn StdError + Send + Sync>,
}

impl Connector {
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let default = Arc::new(tls_config(&[])?);
        let mut by_authority = HashMap::new();
        for (host, options) in &config.registries {
            if !options.ca_certificates.is_empty() {
                let authority = with_default_port(host);
                by_authority.insert(authority, Arc::new(tls_config(&options.ca_certificates)?));
            }
        }
        Ok(Self {
            http,
            tls: Arc::new(TlsConfigs { default, by_authority }),
            timeout: config.connect_timeout,
        })
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
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::new(ErrorKind::Tls).with_source(err))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http
            .poll_ready(cx)
            .map_err(|err| ConnectError::new(ErrorKind::Connect, err))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let tls = Arc::clone(&self.tls);
        let timeout = self.timeout;
        Box::pin(async move {
            let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
            let host = uri
                .host()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let tcp = tower_service::Service::call(&mut http, uri).await.map_err(|err| {
                let kind = if err.to_string().contains("timed out") {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Connect
                };
                ConnectError::new(kind, err)
            })?;
            if !https {
                return Ok(Stream::Plain(tcp));
            }
            let authority = if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            let config = tls.by_authority.get(&authority).unwrap_or(&tls.default);
            let name = ServerName::try_from(host).map_err(|err| ConnectError::new(ErrorKind::Tls, err))?;
            let handshake = TlsConnector::from(Arc::clone(config)).connect(name, tcp.into_inner());
            let tls_stream = tokio::time::timeout(timeout, handshake)
                .await
                .map_err(|_| ConnectError::new(ErrorKind::Timeout, "TLS handshake timed out"))?
                .map_err(|err| {
                    let plain_http_answer = answered_in_plain_http(&err);
                    let mut err = ConnectError::new(ErrorKind::Tls, err);
                    err.plain_http_answer = plain_http_answer;
                    err
                })?;
            Ok(Stream::Tls(Box::new(TokioIo::new(tls_stream))))
        })
    }
}

impl ConnectError {
    fn new(kind: ErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            kind,
            plain_http_answer: false,
            source: source.into(),
        }
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
            Self::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_flush(cx),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(io) => io.is_write_vectored(),
            Self::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Self::Tls(io) => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_port() {
        assert_eq!(super::with_default_port("ghcr.io"), "ghcr.io:443");
        assert_eq!(super::with_default_port("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(super::with_default_port("[::1]"), "[::1]:443");
        assert_eq!(super::with_default_port("[::1]:8443"), "[::1]:8443");
    }
}
