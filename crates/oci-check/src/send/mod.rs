//! The senders of `oci-check watch` notifications that speak a protocol of their own: MQTT ([`mqtt::publish`]) and
//! SMTP ([`smtp::send_mail`]). They carry out what `oci_notify::Target::render` decided, on tokio and rustls.
//!
//! Both are written by hand on tokio and tokio-rustls rather than with rumqttc and lettre, for three reasons:
//! rumqttc's default feature turns on tokio-rustls's aws-lc-rs backend and its rustls feature always brings
//! rustls-native-certs and rustls-pemfile; lettre reads SMTP replies with unbounded `read_line`s, so a hostile
//! server could make it buffer without end; and each would compile a client, a pool or an event loop for what is
//! here one connection and a handful of packets or commands. MQTT 3.1.1's CONNECT/PUBLISH/PUBACK/DISCONNECT and
//! SMTP's EHLO/STARTTLS/AUTH/MAIL/RCPT/DATA are small, and every reply read here is bounded.
//!
//! The rules both follow:
//! - the whole delivery, connection and TLS handshake included, is bounded by [`Delivery::timeout`];
//! - TLS is rustls with the ring provider and the roots the registry client uses (webpki-roots) plus the CA
//!   certificates the caller adds ([`Delivery::new`]);
//! - credentials go over plain TCP only to a loopback host: to any other host they need TLS, or the delivery
//!   fails before a byte is sent;
//! - a [`SendError`] names the target as `SCHEME://[USER@]HOST:PORT`, never its password, and quotes what a server
//!   said through one escaping function.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use oci_notify::{Server, Tls};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub(crate) mod mqtt;
pub(crate) mod smtp;

/// A connection to a server: plain TCP, or TLS from the first byte.
#[allow(
    clippy::large_enum_variant,
    reason = "one a delivery, matched as soon as it is made: boxing would only add an indirection to every read"
)]
enum Connection {
    Plain(TcpStream),
    Tls(TlsStream<TcpStream>),
}

/// How deliveries are made: their deadline and the TLS client configuration. Build one per run and share it.
#[derive(Clone)]
pub(crate) struct Delivery {
    timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
}

/// A delivery that failed: what kind of failure, the target it concerns (without secrets), and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendError {
    kind: SendErrorKind,
    target: String,
    message: String,
}

/// What went wrong with a delivery.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendErrorKind {
    /// The server could not be reached (refused, unreachable, name not resolved).
    Connect,
    /// The delivery did not finish within [`Delivery::timeout`].
    Timeout,
    /// The TLS handshake failed (an untrusted certificate, no common protocol).
    Tls,
    /// The connection is not secure enough for what it would carry: STARTTLS required but not offered, or
    /// credentials that would cross plain TCP to a host that is not on loopback.
    Insecure,
    /// The server refused the credentials, or wants credentials and none were given.
    Auth,
    /// The server refused the message (a sender, a recipient, a topic, the content).
    Rejected,
    /// The server broke the protocol: a malformed or oversized reply, or one that does not fit the exchange.
    Protocol,
    /// What was to be sent cannot be said in the protocol (a topic or address it cannot carry).
    Invalid,
    /// The connection failed in the middle of the exchange.
    Io,
}

impl Delivery {
    /// Deliveries that give up after `timeout` and trust the web PKI plus `ca_certificates` (the CLI's `--ca-cert`).
    pub(crate) fn new(timeout: Duration, ca_certificates: &[CertificateDer<'static>]) -> Result<Self, SendError> {
        let fail = |message: String| SendError {
            kind: SendErrorKind::Tls,
            target: "tls".into(),
            message,
        };
        // The same roots and provider as oci-registry's connector: the web PKI of webpki-roots and ring.
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in ca_certificates {
            roots
                .add(cert.clone())
                .map_err(|err| fail(format!("a CA certificate cannot be used: {err}")))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|err| fail(err.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            timeout,
            tls: Arc::new(config),
        })
    }

    /// How long one delivery may take in all.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SendError {
    /// What went wrong (the tests tell failures apart by it; the watcher shows the message).
    #[cfg(test)]
    pub(crate) fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// The target, as `SCHEME://[USER@]HOST:PORT`.
    #[cfg(test)]
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    fn new(kind: SendErrorKind, target: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            target: target.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.target, self.message)
    }
}

impl std::error::Error for SendError {}

/// rustls's ring provider; rustls 0.23.48 deprecated `ring::default_provider` without a ring replacement (see
/// oci-registry's connector, which allows it for the same reason).
#[allow(deprecated, reason = "no ring provider without the deprecation exists")]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// `SCHEME://[USER@]HOST:PORT`: how errors name a server, without its password.
fn target_name(scheme: &str, server: &Server) -> String {
    let user = server
        .username()
        .map(|user| format!("{}@", oci_registry::text::cut(user)))
        .unwrap_or_default();
    let host = server.host();
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        oci_registry::text::cut(host).into_owned()
    };
    format!("{scheme}://{user}{host}:{}", server.port())
}

/// Whether `host` is on loopback (`localhost`, `127.0.0.0/8`, `::1`): the only hosts credentials may reach over
/// plain TCP.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// Connects to the server, with TLS from the first byte when `tls`; `stage` says how far it got, for
/// [`timed_out`].
async fn open(
    target: &str,
    server: &Server,
    delivery: &Delivery,
    tls: bool,
    stage: &mut &'static str,
) -> Result<Connection, SendError> {
    *stage = "connecting";
    let stream = connect(target, server).await?;
    if !tls {
        return Ok(Connection::Plain(stream));
    }
    *stage = "in the TLS handshake";
    Ok(Connection::Tls(handshake(target, server, delivery, stream).await?))
}

/// The error of a delivery that did not finish within `timeout`: it names the `peer` and the `stage` reached.
fn timed_out(target: &str, peer: &str, timeout: Duration, stage: &str) -> SendError {
    SendError::new(
        SendErrorKind::Timeout,
        target,
        format!("the {peer} did not finish within {} s ({stage})", timeout.as_secs_f32()),
    )
}

/// Opens a TCP connection to the server.
async fn connect(target: &str, server: &Server) -> Result<TcpStream, SendError> {
    let stream = TcpStream::connect((server.host(), server.port()))
        .await
        .map_err(|err| SendError::new(SendErrorKind::Connect, target, format!("cannot connect: {err}")))?;
    // Small commands and packets, each awaited: Nagle's delay would only slow the exchange down.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// The TLS handshake on `stream`, verifying the certificate for the server's host name or address.
async fn handshake(
    target: &str,
    server: &Server,
    delivery: &Delivery,
    stream: TcpStream,
) -> Result<TlsStream<TcpStream>, SendError> {
    let name = ServerName::try_from(server.host().to_owned()).map_err(|_| {
        SendError::new(
            SendErrorKind::Invalid,
            target,
            "the host is not a name or address a certificate can be checked for",
        )
    })?;
    TlsConnector::from(Arc::clone(&delivery.tls))
        .connect(name, stream)
        .await
        .map_err(|err| SendError::new(SendErrorKind::Tls, target, format!("TLS handshake failed: {err}")))
}

/// Fails when credentials would cross plain TCP to a host that is not on loopback.
fn check_plain_credentials(target: &str, server: &Server, why: &str) -> Result<(), SendError> {
    let has_credentials = server.username().is_some() || server.password().is_some();
    if has_credentials && !is_loopback(server.host()) {
        return Err(SendError::new(
            SendErrorKind::Insecure,
            target,
            format!("{why}, and credentials are sent in clear only to a loopback host; use TLS"),
        ));
    }
    Ok(())
}

/// Whether a connection starts with TLS.
fn implicit_tls(server: &Server) -> bool {
    server.tls() == Tls::Implicit
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The watch loop may run deliveries on spawned tasks: their futures must be `Send`.
    #[test]
    fn deliveries_are_send() {
        fn send<T: Send>(_: T) {}
        let target = oci_notify::Target::parse("smtp://127.0.0.1:1/?from=a@b.test&to=c@d.test").unwrap();
        let server = target.server().unwrap();
        let delivery = Delivery::new(Duration::from_secs(1), &[]).unwrap();
        let mail = oci_notify::Mail {
            from: "a@b.test".into(),
            to: vec!["c@d.test".into()],
            subject: "s".into(),
            body: "b".into(),
        };
        send(mqtt::publish(server, &[], "id", &delivery));
        send(smtp::send_mail(server, &mail, "host", &delivery));
    }

    #[test]
    fn loopback_hosts() {
        for (host, expected) in [
            ("localhost", true),
            ("LocalHost", true),
            ("127.0.0.1", true),
            ("127.8.9.10", true),
            ("::1", true),
            ("10.0.0.1", false),
            ("localhost.example", false),
            ("mail.example", false),
            ("::2", false),
        ] {
            assert_eq!(is_loopback(host), expected, "{host}");
        }
    }

    #[test]
    fn target_names_leave_the_password_out() {
        let target = oci_notify::Target::parse("mqtt://alice:s3cret@[::1]:1884/p").unwrap();
        let name = target_name("mqtt", target.server().unwrap());
        assert_eq!(name, "mqtt://alice@[::1]:1884");
        let target = oci_notify::Target::parse("smtp://bob:pw@mail.example/?from=a@b.c&to=d@e.f").unwrap();
        assert_eq!(
            target_name("smtp", target.server().unwrap()),
            "smtp://bob@mail.example:587"
        );
    }

    #[test]
    fn credentials_in_clear_only_to_loopback() {
        let cases = [
            ("mqtt://u:p@127.0.0.1/x", true),
            ("mqtt://u:p@broker.example/x", false),
            ("mqtt://broker.example/x", true),
        ];
        for (url, ok) in cases {
            let target = oci_notify::Target::parse(url).unwrap();
            let result = check_plain_credentials("t", target.server().unwrap(), "plain TCP");
            assert_eq!(result.is_ok(), ok, "{url}");
            if let Err(err) = result {
                assert_eq!(err.kind(), SendErrorKind::Insecure);
                assert!(!err.to_string().contains(":p@"), "{err}");
            }
        }
    }
}
