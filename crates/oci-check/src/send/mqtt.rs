//! MQTT 3.1.1 publishing: one connection per round (clean session), every publish at QoS 1 with its retain flag,
//! each PUBACK awaited, then DISCONNECT.
//!
//! Only what a publisher needs is spoken: CONNECT/CONNACK, PUBLISH/PUBACK, DISCONNECT. A broker sends a client
//! that subscribes to nothing no other packet, so any other is a protocol error; every packet read is bounded by
//! [`MAX_INCOMING`].

use oci_notify::{Publish, Server};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Connection, Delivery, SendError, SendErrorKind};

/// The largest packet accepted from the broker: CONNACK and PUBACK have 2 bytes, so this is generous.
const MAX_INCOMING: usize = 256;

/// How many publishes may await their PUBACK at once: enough to fill a round trip, few enough that a broker's
/// inflight limits are never in play.
const WINDOW: usize = 32;

/// The keep-alive interval announced in CONNECT, in seconds. A delivery is active the whole time it is connected,
/// so this only has to outlast the gaps between packets.
const KEEP_ALIVE: u16 = 60;

/// MQTT's largest remaining length (four bytes of variable-length integer).
const MAX_REMAINING: usize = 268_435_455;

/// Publishes `publishes` in order at QoS 1 to the broker `server` as `client_id`, and returns once the broker has
/// acknowledged each; the whole delivery, connection included, within `delivery`'s timeout.
///
/// `mqtts://` servers ([`oci_notify::Tls::Implicit`]) get TLS from the first byte; on plain `mqtt://`, credentials
/// go only to a loopback host.
pub(crate) async fn publish(
    server: &Server,
    publishes: &[Publish],
    client_id: &str,
    delivery: &Delivery,
) -> Result<(), SendError> {
    let tls = super::implicit_tls(server);
    let target = super::target_name(if tls { "mqtts" } else { "mqtt" }, server);
    let connect = connect_packet(&target, server, client_id)?;
    let packets = publishes
        .iter()
        .zip(packet_ids())
        .map(|(publish, id)| publish_packet(&target, publish, id))
        .collect::<Result<Vec<_>, _>>()?;
    if !tls {
        super::check_plain_credentials(&target, server, "mqtt:// is plain TCP")?;
    }
    let mut stage = "connecting";
    let exchange = async {
        match super::open(&target, server, delivery, tls, &mut stage).await? {
            Connection::Plain(stream) => session(&target, stream, &connect, &packets, &mut stage).await,
            Connection::Tls(stream) => session(&target, stream, &connect, &packets, &mut stage).await,
        }
    };
    let timeout = delivery.timeout();
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(super::timed_out(&target, "broker", timeout, stage)))
}

/// A client id for `host`: `oci`, up to 12 of its letters and digits, and 8 hex digits of a hash of the whole name,
/// so 23 characters at most from `[0-9a-zA-Z]`, what MQTT 3.1.1 says every broker must accept. Two hosts must not
/// share an id (a broker drops the older connection), hence the hash; the prefix is for a person reading the
/// broker's log.
pub(crate) fn client_id(host: &str) -> String {
    let readable: String = host.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    // FNV-1a, 32 bits: stable across runs and builds, unlike std's hasher.
    let hash = host.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    format!("oci{readable}{hash:08x}")
}

/// One connection's exchange: CONNECT, the publishes with a window of unacknowledged ones, DISCONNECT.
async fn session<S>(
    target: &str,
    mut stream: S,
    connect: &[u8],
    publishes: &[(u16, Vec<u8>)],
    stage: &mut &'static str,
) -> Result<(), SendError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    *stage = "waiting for CONNACK";
    write(target, &mut stream, connect).await?;
    let (header, body) = read_packet(target, &mut stream).await?;
    if header >> 4 != 2 || body.len() != 2 {
        return Err(protocol(
            target,
            format!("expected CONNACK, got packet type {}", header >> 4),
        ));
    }
    connack(target, body[1])?;
    *stage = "waiting for PUBACKs";
    let mut inflight: Vec<u16> = Vec::with_capacity(WINDOW);
    for (id, packet) in publishes {
        if inflight.len() >= WINDOW {
            await_puback(target, &mut stream, &mut inflight).await?;
        }
        write(target, &mut stream, packet).await?;
        inflight.push(*id);
    }
    while !inflight.is_empty() {
        await_puback(target, &mut stream, &mut inflight).await?;
    }
    *stage = "disconnecting";
    // Every publish is acknowledged: a failed goodbye loses nothing, so it is not an error.
    let _ = stream.write_all(&[0xE0, 0x00]).await;
    let _ = stream.shutdown().await;
    Ok(())
}

/// Reads one PUBACK and takes its packet id off `inflight`.
async fn await_puback<S>(target: &str, stream: &mut S, inflight: &mut Vec<u16>) -> Result<(), SendError>
where
    S: AsyncRead + Unpin,
{
    loop {
        let (header, body) = read_packet(target, stream).await?;
        match header >> 4 {
            4 if body.len() == 2 => {
                let id = u16::from_be_bytes([body[0], body[1]]);
                let Some(at) = inflight.iter().position(|pending| *pending == id) else {
                    return Err(protocol(
                        target,
                        format!("PUBACK for packet id {id}, which was not sent"),
                    ));
                };
                inflight.remove(at);
                return Ok(());
            }
            // PINGRESP: harmless, though never asked for.
            13 => {}
            kind => return Err(protocol(target, format!("expected PUBACK, got packet type {kind}"))),
        }
    }
}

/// The CONNACK return code as a result.
fn connack(target: &str, code: u8) -> Result<(), SendError> {
    let (kind, message) = match code {
        0 => return Ok(()),
        1 => (
            SendErrorKind::Protocol,
            "the broker does not accept MQTT 3.1.1".to_owned(),
        ),
        2 => (SendErrorKind::Invalid, "the broker refused the client id".to_owned()),
        3 => (
            SendErrorKind::Rejected,
            "the broker says its service is unavailable".to_owned(),
        ),
        4 => (
            SendErrorKind::Auth,
            "the broker refused the user name or password".to_owned(),
        ),
        5 => (
            SendErrorKind::Auth,
            "the broker did not authorize this client (does it need a user name and password?)".to_owned(),
        ),
        other => (
            SendErrorKind::Protocol,
            format!("CONNACK with unknown return code {other}"),
        ),
    };
    Err(SendError::new(kind, target, message))
}

/// Packet ids 1, 2, ..., 65535, 1, ...: 0 is not a valid id, and the window keeps reused ids apart.
fn packet_ids() -> impl Iterator<Item = u16> {
    (1..=u16::MAX).cycle()
}

fn connect_packet(target: &str, server: &Server, client_id: &str) -> Result<Vec<u8>, SendError> {
    let mut body = Vec::new();
    put_string(target, &mut body, "MQTT", "protocol name")?;
    body.push(4); // protocol level 3.1.1
    let mut flags = 0x02; // clean session: nothing is left behind between rounds
    if server.username().is_some() {
        flags |= 0x80;
    }
    if server.password().is_some() {
        // MQTT 3.1.1 allows a password only with a user name: an empty one stands in (`mqtt://:TOKEN@`).
        flags |= 0x80 | 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&KEEP_ALIVE.to_be_bytes());
    put_string(target, &mut body, client_id, "client id")?;
    if flags & 0x80 != 0 {
        put_string(target, &mut body, server.username().unwrap_or(""), "user name")?;
    }
    if let Some(password) = server.password() {
        put_string(target, &mut body, password.expose(), "password")?;
    }
    Ok(packet(0x10, &body))
}

fn publish_packet(target: &str, publish: &Publish, id: u16) -> Result<(u16, Vec<u8>), SendError> {
    if publish.topic.is_empty() || publish.topic.contains(['+', '#', '\0']) {
        return Err(SendError::new(
            SendErrorKind::Invalid,
            target,
            format!(
                "{} is not a topic to publish to (empty, or with `+`, `#` or NUL)",
                oci_registry::text::quote(&publish.topic)
            ),
        ));
    }
    let mut body = Vec::with_capacity(publish.topic.len() + publish.payload.len() + 4);
    put_string(target, &mut body, &publish.topic, "topic")?;
    body.extend_from_slice(&id.to_be_bytes());
    body.extend_from_slice(&publish.payload);
    if body.len() > MAX_REMAINING {
        return Err(SendError::new(
            SendErrorKind::Invalid,
            target,
            format!(
                "a payload of {} bytes is more than MQTT can carry",
                publish.payload.len()
            ),
        ));
    }
    // QoS 1 (0x02), and the retain flag as rendered.
    let header = 0x30 | 0x02 | u8::from(publish.retain);
    Ok((id, packet(header, &body)))
}

/// A packet: its first byte, the remaining length as MQTT's variable-length integer, the body.
fn packet(header: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(header);
    let mut length = body.len();
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if length == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A UTF-8 string with its two-byte length.
fn put_string(target: &str, out: &mut Vec<u8>, text: &str, what: &str) -> Result<(), SendError> {
    let length = u16::try_from(text.len()).map_err(|_| {
        SendError::new(
            SendErrorKind::Invalid,
            target,
            format!("the {what} has {} bytes, more than MQTT's 65535", text.len()),
        )
    })?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Reads one packet: its first byte and its body, refusing a body longer than [`MAX_INCOMING`].
async fn read_packet<S>(target: &str, stream: &mut S) -> Result<(u8, Vec<u8>), SendError>
where
    S: AsyncRead + Unpin,
{
    let header = read_byte(target, stream).await?;
    let mut length = 0usize;
    let mut shift = 0;
    loop {
        let byte = read_byte(target, stream).await?;
        length |= usize::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(protocol(target, "a packet length longer than four bytes".into()));
        }
    }
    if length > MAX_INCOMING {
        return Err(protocol(
            target,
            format!("a packet of {length} bytes, more than the {MAX_INCOMING} a publisher expects"),
        ));
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.map_err(|err| closed(target, &err))?;
    Ok((header, body))
}

async fn read_byte<S>(target: &str, stream: &mut S) -> Result<u8, SendError>
where
    S: AsyncRead + Unpin,
{
    stream.read_u8().await.map_err(|err| closed(target, &err))
}

async fn write<S>(target: &str, stream: &mut S, bytes: &[u8]) -> Result<(), SendError>
where
    S: AsyncWrite + Unpin,
{
    stream
        .write_all(bytes)
        .await
        .map_err(|err| SendError::new(SendErrorKind::Io, target, format!("cannot write to the broker: {err}")))?;
    stream
        .flush()
        .await
        .map_err(|err| SendError::new(SendErrorKind::Io, target, format!("cannot write to the broker: {err}")))
}

fn closed(target: &str, err: &std::io::Error) -> SendError {
    let message = if err.kind() == std::io::ErrorKind::UnexpectedEof {
        "the broker closed the connection".to_owned()
    } else {
        format!("cannot read from the broker: {err}")
    };
    SendError::new(SendErrorKind::Io, target, message)
}

fn protocol(target: &str, message: String) -> SendError {
    SendError::new(SendErrorKind::Protocol, target, message)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use oci_notify::{Event, EventKind, Jump, Notification, Rendered, Target};
    use oci_testkit::{Mosquitto, free_port};
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use serde_json::{Value, json};
    use tokio::io::AsyncWriteExt;

    use super::*;

    fn round() -> Notification {
        Notification {
            host: "nas".into(),
            events: vec![
                Event {
                    kind: EventKind::Update,
                    workload: "docker/web".into(),
                    image: "nginx:1.27".into(),
                    current: Some(format!("sha256:{}", "1".repeat(64))),
                    latest: Some(format!("sha256:{}", "2".repeat(64))),
                    tag: None,
                    note: None,
                    record: json!({}),
                },
                Event {
                    kind: EventKind::Newer { jump: Jump::Minor },
                    workload: "docker/db".into(),
                    image: "postgres:16.3".into(),
                    current: None,
                    latest: None,
                    tag: Some("16.4".into()),
                    note: None,
                    record: json!({}),
                },
            ],
        }
    }

    fn render(url: &str) -> (Target, Vec<Publish>) {
        let target = Target::parse(url).unwrap();
        let Some(Rendered::Mqtt { publishes }) = target.render(&round()) else {
            panic!("{url} renders MQTT publishes");
        };
        (target, publishes)
    }

    fn delivery(ca_pem: Option<&str>) -> Delivery {
        let roots: Vec<CertificateDer<'static>> = ca_pem
            .map(|pem| {
                CertificateDer::pem_slice_iter(pem.as_bytes())
                    .map(Result::unwrap)
                    .collect()
            })
            .unwrap_or_default();
        Delivery::new(Duration::from_secs(10), &roots).unwrap()
    }

    fn payload(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn mosquitto_retains_each_workload_state_and_its_discovery_config() {
        let broker = Mosquitto::start();
        let (target, publishes) = render(&format!("mqtt://127.0.0.1:{}/oci-check", broker.port()));
        assert_eq!(publishes.len(), 4, "a state and a discovery config per workload");
        publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap();

        let retained: BTreeMap<String, String> = broker
            .retained("#")
            .into_iter()
            .map(|message| (message.topic, message.payload))
            .collect();
        let sent: BTreeMap<String, String> = publishes
            .iter()
            .map(|publish| {
                (
                    publish.topic.clone(),
                    String::from_utf8(publish.payload.clone()).unwrap(),
                )
            })
            .collect();
        assert_eq!(retained, sent);

        let web = payload(&retained["oci-check/nas/docker/web"]);
        assert_eq!(web["installed_version"], "sha256:111111111111");
        assert_eq!(web["latest_version"], "sha256:222222222222");
        let db = payload(&retained["oci-check/nas/docker/db"]);
        assert_eq!(
            (db["installed_version"].as_str(), db["latest_version"].as_str()),
            (Some("16.3"), Some("16.4"))
        );
        let configs: Vec<Value> = retained
            .iter()
            .filter(|(topic, _)| topic.starts_with("homeassistant/update/") && topic.ends_with("/config"))
            .map(|(_, text)| payload(text))
            .collect();
        let mut state_topics: Vec<&str> = configs
            .iter()
            .map(|config| config["state_topic"].as_str().unwrap())
            .collect();
        state_topics.sort_unstable();
        assert_eq!(state_topics, ["oci-check/nas/docker/db", "oci-check/nas/docker/web"]);
    }

    #[tokio::test]
    async fn a_round_larger_than_the_window_is_acknowledged_in_full() {
        let broker = Mosquitto::start();
        let target = Target::parse(&format!("mqtt://127.0.0.1:{}/fleet", broker.port())).unwrap();
        let events = (0..150)
            .map(|n| Event {
                kind: EventKind::Newer { jump: Jump::Patch },
                workload: format!("docker/app-{n:03}"),
                image: format!("app:1.0.{n}"),
                current: None,
                latest: None,
                tag: Some(format!("1.0.{}", n + 1)),
                note: None,
                record: json!({}),
            })
            .collect();
        let round = Notification {
            host: "nas".into(),
            events,
        };
        let Some(Rendered::Mqtt { publishes }) = target.render(&round) else {
            panic!("MQTT publishes");
        };
        assert!(publishes.len() > 4 * WINDOW, "{}", publishes.len());
        publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap();
        let retained: BTreeMap<String, String> = broker
            .retained("#")
            .into_iter()
            .map(|message| (message.topic, message.payload))
            .collect();
        assert_eq!(retained.len(), publishes.len());
        let app_149 = payload(&retained["fleet/nas/docker/app-149"]);
        assert_eq!(app_149["latest_version"], "1.0.150");
    }

    #[tokio::test]
    async fn without_retain_only_the_discovery_configs_stay() {
        let broker = Mosquitto::start();
        let (target, publishes) = render(&format!("mqtt://127.0.0.1:{}/oci-check?retain=no", broker.port()));
        publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap();
        let mut topics: Vec<String> = broker.retained("#").into_iter().map(|message| message.topic).collect();
        topics.sort_unstable();
        let mut configs: Vec<&str> = publishes
            .iter()
            .filter(|publish| publish.topic.starts_with("homeassistant/"))
            .map(|publish| publish.topic.as_str())
            .collect();
        configs.sort_unstable();
        assert_eq!(topics, configs);
    }

    #[tokio::test]
    async fn credentials_are_accepted_or_refused_with_a_typed_error_without_the_password() {
        let broker = Mosquitto::builder().user("alice", "s3cret").start();
        let port = broker.port();
        let (target, publishes) = render(&format!("mqtt://alice:s3cret@127.0.0.1:{port}/oci-check"));
        publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap();
        assert_eq!(broker.retained("#").len(), publishes.len());

        for (url, user) in [
            (format!("mqtt://alice:wr0ng-pass@127.0.0.1:{port}/oci-check"), "alice@"),
            (format!("mqtt://127.0.0.1:{port}/oci-check"), ""),
        ] {
            let (target, publishes) = render(&url);
            let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), SendErrorKind::Auth, "{err}");
            assert_eq!(err.target(), format!("mqtt://{user}127.0.0.1:{port}"));
            assert!(!format!("{err} {err:?}").contains("wr0ng-pass"), "{err:?}");
        }
    }

    #[tokio::test]
    async fn mqtts_verifies_the_broker_certificate() {
        let broker = Mosquitto::builder().tls().start();
        let ca = broker.ca().unwrap().ca_pem().to_owned();
        let (target, publishes) = render(&format!("mqtts://127.0.0.1:{}/oci-check", broker.port()));
        let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Tls, "{err}");
        publish(
            target.server().unwrap(),
            &publishes,
            "oci-check-test",
            &delivery(Some(&ca)),
        )
        .await
        .unwrap();
        assert_eq!(broker.retained("#").len(), publishes.len());
    }

    #[tokio::test]
    async fn a_broker_that_is_down_or_silent_fails_within_the_timeout() {
        let (target, publishes) = render(&format!("mqtt://127.0.0.1:{}/oci-check", free_port()));
        let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Connect, "{err}");

        // Accepted by the kernel's backlog, never answered.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let (target, publishes) = render(&format!("mqtt://127.0.0.1:{port}/oci-check"));
        let short = Delivery::new(Duration::from_millis(300), &[]).unwrap();
        let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &short)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Timeout, "{err}");
        assert!(err.to_string().contains("waiting for CONNACK"), "{err}");
    }

    #[tokio::test]
    async fn credentials_never_cross_plain_tcp_to_another_host() {
        // 192.0.2.1 is TEST-NET-1: were a connection tried, this would be a connect error or a timeout.
        let (target, publishes) = render("mqtt://alice:s3cret@192.0.2.1/oci-check");
        let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Insecure, "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn a_hostile_broker_is_a_protocol_error() {
        let cases: [(&[u8], &str); 3] = [
            // CONNACK announcing 256 MiB.
            (&[0x20, 0xFF, 0xFF, 0xFF, 0x7F], "more than the 256"),
            // A length of five bytes.
            (&[0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "longer than four bytes"),
            // A PUBLISH where CONNACK belongs.
            (&[0x30, 0x02, 0x00, 0x00], "expected CONNACK"),
        ];
        for (answer, expected) in cases {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                stream.write_all(answer).await.unwrap();
                // Keep the connection open: the error must come from the bytes, not from a close.
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
            let (target, publishes) = render(&format!("mqtt://127.0.0.1:{port}/oci-check"));
            let err = publish(target.server().unwrap(), &publishes, "oci-check-test", &delivery(None))
                .await
                .unwrap_err();
            server.abort();
            assert_eq!(err.kind(), SendErrorKind::Protocol, "{err}");
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn client_ids_fit_every_broker_and_differ_per_host() {
        let cases = [
            ("nas", "ocinas"),
            ("web-01.example.com", "ociweb01example"),
            ("", "oci"),
            ("höst", "ocihst"),
        ];
        for (host, prefix) in cases {
            let id = client_id(host);
            assert!(id.starts_with(prefix) && id.len() == prefix.len() + 8, "{host}: {id}");
            assert!(id.len() <= 23 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert_ne!(client_id("web-01.example.com"), client_id("web-01.example.org"));
        assert_eq!(client_id("nas"), client_id("nas"));
    }

    #[test]
    fn remaining_lengths_follow_the_spec_examples() {
        // MQTT 3.1.1 section 2.2.3's table: the boundaries of one to four bytes.
        let cases: [(usize, &[u8]); 8] = [
            (0, &[0x00]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xFF, 0xFF, 0x7F]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ];
        for (length, expected) in cases {
            let encoded = packet(0x30, &vec![0; length]);
            assert_eq!(&encoded[1..=expected.len()], expected, "{length}");
            assert_eq!(encoded.len(), 1 + expected.len() + length);
        }
    }

    #[test]
    fn packets_byte_for_byte() {
        let target = Target::parse("mqtt://u:p@127.0.0.1/x").unwrap();
        let connect = connect_packet("t", target.server().unwrap(), "id").unwrap();
        assert_eq!(
            connect,
            [
                &[0x10, 20, 0, 4][..],
                b"MQTT",
                &[4, 0xC2, 0, 60, 0, 2],
                b"id",
                &[0, 1],
                b"u",
                &[0, 1],
                b"p"
            ]
            .concat()
        );
        let publish = Publish {
            topic: "a/b".into(),
            payload: b"{}".to_vec(),
            retain: true,
        };
        let (id, bytes) = publish_packet("t", &publish, 7).unwrap();
        assert_eq!(id, 7);
        assert_eq!(bytes, [&[0x33, 9, 0, 3][..], b"a/b", &[0, 7], b"{}"].concat());
        for topic in ["", "a/+", "a/#", "a\0b"] {
            let bad = Publish {
                topic: topic.into(),
                ..publish.clone()
            };
            assert_eq!(
                publish_packet("t", &bad, 1).unwrap_err().kind(),
                SendErrorKind::Invalid,
                "{topic:?}"
            );
        }
    }
}
