//! SMTP submission of one plain-text mail: EHLO, STARTTLS when offered (or required), AUTH PLAIN or LOGIN when the
//! target has credentials, MAIL FROM, one RCPT TO per recipient, DATA, QUIT.
//!
//! Every reply is read line by line within [`MAX_LINE`] bytes a line and [`MAX_LINES`] lines a reply, so a hostile
//! or broken server is an error, never an endless read. After `220` to STARTTLS nothing may have been sent yet in
//! clear (a server, or someone in the middle, that does is refused: the STARTTLS command injection of
//! CVE-2011-0411), and the extensions are asked for again over TLS.
//!
//! The message is built by [`message`], without IO: `Date`, `Message-ID`, a `Subject` in RFC 2047 encoded words
//! when it is not plain ASCII, a UTF-8 text body sent as 8bit when the server takes 8BITMIME (else base64), CRLF
//! line ends, and dot-stuffing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use oci_auth::internal::base64_encode;
use oci_notify::{Mail, Server, Tls};
use oci_registry::text::cut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Connection, Delivery, SendError, SendErrorKind};

/// The longest reply line read, CRLF included. RFC 5321 caps it at 512; some servers write longer texts.
const MAX_LINE: usize = 2048;

/// The most lines one reply may have (an EHLO reply lists one extension a line).
const MAX_LINES: usize = 64;

/// The longest line a message may carry (RFC 5322 section 2.1.1), CRLF excluded.
const MAX_MESSAGE_LINE: usize = 998;

/// Sends `mail` through the mail server `server`, greeting it as `hello_name` (the host's name: characters a
/// domain cannot hold become `-`); the whole delivery within `delivery`'s timeout.
///
/// STARTTLS is used when the server offers it, and required with `?tls=starttls`; `?tls=tls` starts with TLS. A
/// failed handshake is an error, never a fall back to clear text. Credentials are sent only over TLS, or in clear to
/// a loopback host.
pub(crate) async fn send_mail(
    server: &Server,
    mail: &Mail,
    hello_name: &str,
    delivery: &Delivery,
) -> Result<(), SendError> {
    let target = super::target_name("smtp", server);
    let hello = hello_domain(hello_name);
    for address in std::iter::once(&mail.from).chain(&mail.to) {
        check_address(&target, address)?;
    }
    if mail.to.is_empty() {
        return Err(SendError::new(
            SendErrorKind::Invalid,
            &target,
            "the mail has no recipient",
        ));
    }
    if server.tls() == Tls::None {
        super::check_plain_credentials(&target, server, "tls=no keeps the connection in clear")?;
    }
    let mut stage = "connecting";
    let exchange = async {
        let stream = match super::open(&target, server, delivery, super::implicit_tls(server), &mut stage).await? {
            Connection::Plain(stream) => stream,
            Connection::Tls(stream) => {
                let mut conn = Conn::new(&target, stream, &mut stage);
                conn.greeting().await?;
                let extensions = conn.ehlo(&hello).await?;
                return conn.deliver(server, mail, &hello, &extensions).await;
            }
        };
        let mut conn = Conn::new(&target, stream, &mut stage);
        conn.greeting().await?;
        let extensions = conn.ehlo(&hello).await?;
        let wants_tls = matches!(server.tls(), Tls::StartTls { .. });
        if wants_tls && extensions.starttls {
            conn.expect("STARTTLS", "STARTTLS", &[220], SendErrorKind::Tls).await?;
            if !conn.buffer.is_empty() {
                return Err(conn.protocol("the server sent more after its answer to STARTTLS".into()));
            }
            let Conn { stream, stage, .. } = conn;
            *stage = "in the TLS handshake";
            let stream = super::handshake(&target, server, delivery, stream).await?;
            let mut conn = Conn::new(&target, stream, stage);
            let extensions = conn.ehlo(&hello).await?;
            return conn.deliver(server, mail, &hello, &extensions).await;
        }
        if server.tls() == (Tls::StartTls { required: true }) {
            conn.quit().await;
            return Err(SendError::new(
                SendErrorKind::Insecure,
                &target,
                "the server does not offer STARTTLS, which tls=starttls requires",
            ));
        }
        if let Err(err) = super::check_plain_credentials(&target, server, "the server does not offer STARTTLS") {
            conn.quit().await;
            return Err(err);
        }
        conn.deliver(server, mail, &hello, &extensions).await
    };
    let timeout = delivery.timeout();
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(super::timed_out(&target, "mail server", timeout, stage)))
}

/// What the server's EHLO reply offers, of what this client uses.
#[derive(Debug, Default, PartialEq, Eq)]
struct Extensions {
    starttls: bool,
    /// The AUTH mechanisms, upper case.
    auth: Vec<String>,
    eight_bit_mime: bool,
    smtp_utf8: bool,
}

/// One reply: its code and the text of each line.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    code: u16,
    lines: Vec<String>,
}

/// A connection: the stream, what was read past the last reply, and where the delivery stands.
struct Conn<'a, S> {
    target: &'a str,
    stream: S,
    buffer: Vec<u8>,
    stage: &'a mut &'static str,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Conn<'a, S> {
    fn new(target: &'a str, stream: S, stage: &'a mut &'static str) -> Self {
        Self {
            target,
            stream,
            buffer: Vec::new(),
            stage,
        }
    }

    async fn greeting(&mut self) -> Result<(), SendError> {
        *self.stage = "waiting for the greeting";
        let reply = self.reply().await?;
        if reply.code != 220 {
            return Err(self.refused(SendErrorKind::Rejected, "greeted with", &reply));
        }
        Ok(())
    }

    /// EHLO, or HELO when the server does not know EHLO (then no extension is offered).
    async fn ehlo(&mut self, hello: &str) -> Result<Extensions, SendError> {
        *self.stage = "at EHLO";
        let reply = self.command(&format!("EHLO {hello}")).await?;
        if reply.code == 250 {
            return Ok(extensions(&reply));
        }
        if (500..600).contains(&reply.code) {
            self.expect(&format!("HELO {hello}"), "HELO", &[250], SendErrorKind::Rejected)
                .await?;
            return Ok(Extensions::default());
        }
        Err(self.refused(SendErrorKind::Rejected, "answered EHLO with", &reply))
    }

    /// AUTH when there are credentials, then the envelope, the message and QUIT.
    async fn deliver(
        &mut self,
        server: &Server,
        mail: &Mail,
        hello: &str,
        extensions: &Extensions,
    ) -> Result<(), SendError> {
        if server.username().is_some() || server.password().is_some() {
            *self.stage = "at AUTH";
            self.auth(server, extensions).await?;
        }
        *self.stage = "sending the envelope";
        let utf8 = std::iter::once(&mail.from)
            .chain(&mail.to)
            .any(|address| !address.is_ascii());
        if utf8 && !extensions.smtp_utf8 {
            return Err(SendError::new(
                SendErrorKind::Invalid,
                self.target,
                "an address is not ASCII and the server does not offer SMTPUTF8",
            ));
        }
        let (message, eight_bit) = message(mail, hello, SystemTime::now(), extensions.eight_bit_mime);
        let mut mail_from = format!("MAIL FROM:<{}>", mail.from);
        if eight_bit {
            mail_from.push_str(" BODY=8BITMIME");
        }
        if utf8 {
            mail_from.push_str(" SMTPUTF8");
        }
        self.expect(&mail_from, "the sender", &[250], SendErrorKind::Rejected)
            .await?;
        for to in &mail.to {
            let what = format!("the recipient {}", cut(to));
            self.expect(&format!("RCPT TO:<{to}>"), &what, &[250, 251], SendErrorKind::Rejected)
                .await?;
        }
        *self.stage = "sending the message";
        self.expect("DATA", "DATA", &[354], SendErrorKind::Rejected).await?;
        self.write(&message).await?;
        let reply = self.reply().await?;
        if reply.code != 250 {
            return Err(self.refused(SendErrorKind::Rejected, "refused the message:", &reply));
        }
        self.quit().await;
        Ok(())
    }

    async fn auth(&mut self, server: &Server, extensions: &Extensions) -> Result<(), SendError> {
        let user = server.username().unwrap_or("");
        let password = server.password().map_or("", |password| password.expose());
        let offers = |name: &str| extensions.auth.iter().any(|offered| offered == name);
        let reply = if offers("PLAIN") {
            let response = base64_encode(format!("\0{user}\0{password}").as_bytes());
            self.command(&format!("AUTH PLAIN {response}")).await?
        } else if offers("LOGIN") {
            let reply = self.command("AUTH LOGIN").await?;
            if reply.code != 334 {
                return Err(self.refused(SendErrorKind::Auth, "answered AUTH LOGIN with", &reply));
            }
            let reply = self.command(&base64_encode(user.as_bytes())).await?;
            if reply.code != 334 {
                return Err(self.refused(SendErrorKind::Auth, "refused the user name:", &reply));
            }
            self.command(&base64_encode(password.as_bytes())).await?
        } else {
            let offered = if extensions.auth.is_empty() {
                "no AUTH".to_owned()
            } else {
                format!("AUTH {}", extensions.auth.join(" "))
            };
            return Err(SendError::new(
                SendErrorKind::Auth,
                self.target,
                format!("the server offers {offered}, not PLAIN or LOGIN, so the credentials cannot be used"),
            ));
        };
        if reply.code != 235 {
            return Err(self.refused(SendErrorKind::Auth, "refused the credentials:", &reply));
        }
        Ok(())
    }

    /// QUIT, once there is nothing left to lose: its failure is not the delivery's.
    async fn quit(&mut self) {
        *self.stage = "at QUIT";
        let _ = self.command("QUIT").await;
        let _ = self.stream.shutdown().await;
    }

    /// Sends `line` and fails with `kind` unless the reply's code is one of `codes`. `what` names the command in
    /// the error (never the line itself, which may hold credentials).
    async fn expect(&mut self, line: &str, what: &str, codes: &[u16], kind: SendErrorKind) -> Result<Reply, SendError> {
        let reply = self.command(line).await?;
        if !codes.contains(&reply.code) {
            let kind = if reply.code == 530 { SendErrorKind::Auth } else { kind };
            return Err(self.refused(kind, &format!("refused {what}:"), &reply));
        }
        Ok(reply)
    }

    async fn command(&mut self, line: &str) -> Result<Reply, SendError> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        let io = |err: std::io::Error| {
            SendError::new(
                SendErrorKind::Io,
                self.target,
                format!("cannot write to the mail server: {err}"),
            )
        };
        self.stream.write_all(bytes).await.map_err(io)?;
        self.stream.flush().await.map_err(io)
    }

    /// Reads one reply: lines `CODE-text` then `CODE text`, all with the same code.
    async fn reply(&mut self) -> Result<Reply, SendError> {
        let mut code = None;
        let mut lines = Vec::new();
        loop {
            if lines.len() == MAX_LINES {
                return Err(self.protocol(format!("a reply of more than {MAX_LINES} lines")));
            }
            let line = self.line().await?;
            let (this, more, text) = parse_line(&line)
                .ok_or_else(|| self.protocol(format!("a reply line that is not `CODE text`: `{}`", cut(&line))))?;
            if *code.get_or_insert(this) != this {
                return Err(self.protocol(format!("a reply whose lines have different codes: `{}`", cut(&line))));
            }
            lines.push(text.to_owned());
            if !more {
                return Ok(Reply { code: this, lines });
            }
        }
    }

    /// One line, without its line end, within [`MAX_LINE`] bytes.
    async fn line(&mut self) -> Result<String, SendError> {
        loop {
            if let Some(end) = self.buffer.iter().take(MAX_LINE).position(|&byte| byte == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
            }
            if self.buffer.len() >= MAX_LINE {
                return Err(self.protocol(format!("a reply line longer than {MAX_LINE} bytes")));
            }
            let mut chunk = [0; 1024];
            let read = self.stream.read(&mut chunk).await.map_err(|err| {
                SendError::new(
                    SendErrorKind::Io,
                    self.target,
                    format!("cannot read from the mail server: {err}"),
                )
            })?;
            if read == 0 {
                return Err(SendError::new(
                    SendErrorKind::Io,
                    self.target,
                    "the mail server closed the connection",
                ));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    fn refused(&self, kind: SendErrorKind, what: &str, reply: &Reply) -> SendError {
        let text = reply.lines.join(" ");
        SendError::new(
            kind,
            self.target,
            format!("the server {what} {} {}", reply.code, cut(&text)),
        )
    }

    fn protocol(&self, message: String) -> SendError {
        SendError::new(
            SendErrorKind::Protocol,
            self.target,
            format!("the mail server sent {message}"),
        )
    }
}

/// `CODE[-| ]text` as the code, whether more lines follow, and the text.
fn parse_line(line: &str) -> Option<(u16, bool, &str)> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) || !matches!(digits.as_bytes()[0], b'2'..=b'5') {
        return None;
    }
    let code = digits.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b' ') => Some((code, false, &line[4..])),
        Some(b'-') => Some((code, true, &line[4..])),
        Some(_) => None,
    }
}

/// The extensions of an EHLO reply (its first line is the greeting).
fn extensions(reply: &Reply) -> Extensions {
    let mut out = Extensions::default();
    for line in reply.lines.iter().skip(1) {
        let mut words = line.split_ascii_whitespace();
        let Some(keyword) = words.next() else { continue };
        match keyword.to_ascii_uppercase().as_str() {
            "STARTTLS" => out.starttls = true,
            "8BITMIME" => out.eight_bit_mime = true,
            "SMTPUTF8" => out.smtp_utf8 = true,
            "AUTH" => out.auth.extend(words.map(str::to_ascii_uppercase)),
            _ => {}
        }
    }
    out
}

/// The name to greet with: the host's name with what a domain cannot hold turned into `-`, `localhost` if empty.
fn hello_domain(name: &str) -> String {
    let name: String = name
        .chars()
        .take(255)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('.');
    if name.is_empty() {
        "localhost".to_owned()
    } else {
        name.to_owned()
    }
}

/// Refuses an address that would break out of `MAIL FROM:<...>` or a header.
fn check_address(target: &str, address: &str) -> Result<(), SendError> {
    let bad = address.is_empty()
        || address.len() > 254
        || address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ','))
        || !address.contains('@');
    if bad {
        return Err(SendError::new(
            SendErrorKind::Invalid,
            target,
            format!("`{}` is not a mail address to send to", cut(address)),
        ));
    }
    Ok(())
}

/// The message as sent after DATA, through the final `.` line, and whether it is 8bit (`BODY=8BITMIME`).
fn message(mail: &Mail, hello: &str, now: SystemTime, eight_bit_mime: bool) -> (Vec<u8>, bool) {
    let body = crlf(&mail.body);
    let long_line = body.split("\r\n").any(|line| line.len() > MAX_MESSAGE_LINE);
    let (encoding, eight_bit) = if body.is_ascii() && !long_line {
        ("7bit", false)
    } else if eight_bit_mime && !long_line {
        ("8bit", true)
    } else {
        ("base64", false)
    };
    let mut out = String::new();
    out.push_str(&format!("Date: {}\r\n", date(now)));
    out.push_str(&format!("From: {}\r\n", mail.from));
    out.push_str(&format!("To: {}\r\n", mail.to.join(",\r\n ")));
    out.push_str(&format!("Subject: {}\r\n", subject(&mail.subject)));
    out.push_str(&format!("Message-ID: {}\r\n", message_id(hello, now)));
    out.push_str("MIME-Version: 1.0\r\n");
    out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    out.push_str(&format!("Content-Transfer-Encoding: {encoding}\r\n"));
    // RFC 3834: a machine wrote this, so vacation replies and the like stay away.
    out.push_str("Auto-Submitted: auto-generated\r\n");
    out.push_str("\r\n");
    if encoding == "base64" {
        let encoded = base64_encode(body.as_bytes());
        for chunk in encoded.as_bytes().chunks(76) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push_str("\r\n");
        }
    } else {
        for line in body.split_terminator("\r\n") {
            // Dot-stuffing (RFC 5321 section 4.5.2): the server takes one leading dot off again.
            if line.starts_with('.') {
                out.push('.');
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(".\r\n");
    (out.into_bytes(), eight_bit)
}

/// `text` with every line end (LF, CR or CRLF) as CRLF, ending with one.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32 + 2);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out
}

/// The Subject header's value: as it is when printable ASCII that fits a line, else RFC 2047 encoded words
/// (`=?UTF-8?B?...?=`, each at most 75 characters, one per folded line). Control characters become spaces.
fn subject(text: &str) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.is_ascii() && text.len() <= 900 && !text.contains("=?") {
        return text;
    }
    // 45 bytes make 60 base64 characters: with `=?UTF-8?B?` and `?=`, 72.
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        if at + c.len_utf8() - start > 45 {
            words.push(&text[start..end]);
            start = at;
        }
        end = at + c.len_utf8();
    }
    words.push(&text[start..end]);
    words
        .iter()
        .map(|word| format!("=?UTF-8?B?{}?=", base64_encode(word.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// `<SECONDS.NANOS.PID.N@HELLO>`: unique for this host, which the hello name stands for.
fn message_id(hello: &str, now: SystemTime) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!(
        "<{}.{:09}.{}.{}@{hello}>",
        since.as_secs(),
        since.subsec_nanos(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// RFC 5322's date, in UTC: `Sat, 05 Dec 2026 07:33:44 +0000`.
fn date(now: SystemTime) -> String {
    let seconds = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = (seconds / 86_400) as i64;
    let (year, month, day) = civil_from_days(days);
    let time = seconds % 86_400;
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm; the inverse of oci-auth's
/// `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use oci_notify::{Event, EventKind, Jump, Notification, Rendered, Target};
    use oci_testkit::SmtpServer;
    use oci_testkit::smtp::StoredMail;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use serde_json::json;
    use tokio::io::AsyncWriteExt;

    use super::*;

    const QUERY: &str = "from=oci-check@nas.test&to=ops@example.test,dev@example.test";

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
                    kind: EventKind::Newer { jump: Jump::Major },
                    workload: "docker/db".into(),
                    image: "postgres:16.3".into(),
                    current: None,
                    latest: None,
                    tag: Some("17.0".into()),
                    note: None,
                    record: json!({}),
                },
            ],
        }
    }

    fn render(url: &str) -> (Target, Mail) {
        let target = Target::parse(url).unwrap();
        let Some(Rendered::Smtp(mail)) = target.render(&round()) else {
            panic!("{url} renders a mail");
        };
        (target, mail)
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

    async fn send(url: &str, mail: &Mail, ca_pem: Option<&str>) -> Result<(), SendError> {
        let target = Target::parse(url).unwrap();
        send_mail(target.server().unwrap(), mail, "nas", &delivery(ca_pem)).await
    }

    fn only(server: &SmtpServer) -> StoredMail {
        let mut mails = server.mails();
        assert_eq!(
            mails.len(),
            1,
            "one mail stored; the server's output:\n{}",
            server.logs()
        );
        mails.remove(0)
    }

    #[tokio::test]
    async fn aiosmtpd_stores_a_rendered_round_as_sent() {
        let server = SmtpServer::start();
        let url = format!("smtp://127.0.0.1:{}/?{QUERY}", server.port());
        let (_, mail) = render(&url);
        send(&url, &mail, None).await.unwrap();

        let stored = only(&server);
        assert_eq!(stored.mail_from, "oci-check@nas.test");
        assert_eq!(stored.rcpt_tos, ["ops@example.test", "dev@example.test"]);
        assert!(!stored.tls);
        let parsed = stored.parsed();
        assert_eq!(parsed.defects, Vec::<String>::new());
        assert_eq!(parsed.header("Subject"), Some(mail.subject.as_str()));
        assert_eq!(parsed.header("From"), Some("oci-check@nas.test"));
        assert_eq!(parsed.header("To"), Some("ops@example.test, dev@example.test"));
        assert!(parsed.header("Date").is_some_and(|date| date.ends_with("+0000")));
        assert!(parsed.header("Message-ID").is_some_and(|id| id.ends_with("@nas>")));
        assert_eq!(parsed.body, format!("{}\n", mail.body));
        assert!(
            mail.body.contains("docker/db: postgres:16.3 -> 17.0 (major)"),
            "{}",
            mail.body
        );
        // Every line end on the wire is CRLF.
        let content = String::from_utf8(stored.content).unwrap();
        assert!(!content.replace("\r\n", "").contains(['\r', '\n']), "{content:?}");
    }

    #[tokio::test]
    async fn dot_stuffed_lines_and_utf8_arrive_intact() {
        let server = SmtpServer::start();
        let url = format!("smtp://127.0.0.1:{}/?{QUERY}", server.port());
        let body = ".hidden\n..two dots\n.\nMises à jour ✓\r\nlast line without an end";
        let mail = Mail {
            from: "oci-check@nas.test".into(),
            to: vec!["ops@example.test".into()],
            subject: "oci-check sur nas : 2 mises à jour ✓, ".repeat(4),
            body: body.into(),
        };
        send(&url, &mail, None).await.unwrap();

        let stored = only(&server);
        // aiosmtpd offers 8BITMIME: the UTF-8 body goes as it is.
        assert_eq!(stored.mail_options, ["BODY=8BITMIME"]);
        let parsed = stored.parsed();
        assert_eq!(parsed.defects, Vec::<String>::new());
        assert_eq!(parsed.header("Subject"), Some(mail.subject.as_str()));
        assert_eq!(
            parsed.body,
            ".hidden\n..two dots\n.\nMises à jour ✓\nlast line without an end\n"
        );
        let content = String::from_utf8(stored.content).unwrap();
        assert!(
            content.contains("\r\n\r\n.hidden\r\n..two dots\r\n.\r\n"),
            "{content:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_recipient_fails_the_delivery_before_data() {
        let server = SmtpServer::start();
        let url = format!(
            "smtp://127.0.0.1:{}/?from=oci-check@nas.test&to=ops@example.test,refused@example.test",
            server.port()
        );
        let (_, mail) = render(&url);
        let err = send(&url, &mail, None).await.unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Rejected, "{err}");
        assert!(
            err.to_string()
                .contains("refused the recipient refused@example.test: 550 5.1.1 no such mailbox here"),
            "{err}"
        );
        // Nobody got it, so the next round's retry is no repeat.
        assert_eq!(server.mails(), []);
    }

    #[tokio::test]
    async fn auth_plain_and_login_when_configured_and_refusals_are_typed() {
        let server = SmtpServer::builder().user("alice", "s3cret").start();
        let port = server.port();
        let url = format!("smtp://alice:s3cret@127.0.0.1:{port}/?{QUERY}");
        let (_, mail) = render(&url);
        send(&url, &mail, None).await.unwrap();
        assert_eq!(only(&server).auth.as_deref(), Some("alice"));

        for (url, kind) in [
            (
                format!("smtp://alice:wr0ng-pass@127.0.0.1:{port}/?{QUERY}"),
                "refused the credentials",
            ),
            (format!("smtp://127.0.0.1:{port}/?{QUERY}"), "refused the sender: 530"),
        ] {
            let err = send(&url, &mail, None).await.unwrap_err();
            assert_eq!(err.kind(), SendErrorKind::Auth, "{err}");
            assert!(err.to_string().contains(kind), "{err}");
            assert!(!format!("{err} {err:?}").contains("wr0ng-pass"), "{err:?}");
        }
        assert_eq!(server.mails().len(), 1);

        let login_only = SmtpServer::builder().user("bob", "pa55").login_only().start();
        let url = format!("smtp://bob:pa55@127.0.0.1:{}/?{QUERY}", login_only.port());
        send(&url, &mail, None).await.unwrap();
        assert_eq!(only(&login_only).auth.as_deref(), Some("bob"));
    }

    #[tokio::test]
    async fn starttls_is_used_when_offered_and_required_when_asked_for() {
        let plain = SmtpServer::start();
        let url = format!("smtp://127.0.0.1:{}/?{QUERY}&tls=starttls", plain.port());
        let (_, mail) = render(&url);
        let err = send(&url, &mail, None).await.unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Insecure, "{err}");
        assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");
        assert_eq!(plain.mails(), []);

        let server = SmtpServer::builder().starttls().user("alice", "s3cret").start();
        let ca = server.ca().unwrap().ca_pem().to_owned();
        let url = format!("smtp://alice:s3cret@127.0.0.1:{}/?{QUERY}", server.port());
        let err = send(&url, &mail, None).await.unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Tls, "an untrusted certificate: {err}");
        send(&url, &mail, Some(&ca)).await.unwrap();
        let stored = only(&server);
        assert!(stored.tls);
        assert_eq!(stored.auth.as_deref(), Some("alice"));
    }

    #[tokio::test]
    async fn implicit_tls_from_the_first_byte() {
        let server = SmtpServer::builder().implicit_tls().start();
        let ca = server.ca().unwrap().ca_pem().to_owned();
        let url = format!("smtp://127.0.0.1:{}/?{QUERY}&tls=tls", server.port());
        let (_, mail) = render(&url);
        send(&url, &mail, Some(&ca)).await.unwrap();
        assert!(only(&server).tls);
    }

    #[tokio::test]
    async fn credentials_never_cross_plain_tcp_to_another_host() {
        // 192.0.2.1 is TEST-NET-1: were a connection tried, this would be a connect error or a timeout.
        let url = format!("smtp://alice:s3cret@192.0.2.1/?{QUERY}&tls=no");
        let (_, mail) = render(&url);
        let err = send(&url, &mail, None).await.unwrap_err();
        assert_eq!(err.kind(), SendErrorKind::Insecure, "{err}");
    }

    #[tokio::test]
    async fn a_hostile_or_silent_server_is_an_error_not_a_hang() {
        // Each answers the client with `greeting` and then `then` repeated without end.
        let cases: [(&[u8], &[u8], SendErrorKind, &str); 4] = [
            (b"220 ", b"x", SendErrorKind::Protocol, "longer than 2048"),
            (
                b"220 hi\r\n",
                b"250-x\r\n",
                SendErrorKind::Protocol,
                "more than 64 lines",
            ),
            (b"2", b"", SendErrorKind::Timeout, "waiting for the greeting"),
            (b"220-a\r\n", b"", SendErrorKind::Timeout, "waiting for the greeting"),
        ];
        for (greeting, then, kind, expected) in cases {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                stream.write_all(greeting).await.unwrap();
                loop {
                    if then.is_empty() || stream.write_all(then).await.is_err() {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
            let url = format!("smtp://127.0.0.1:{port}/?{QUERY}");
            let (target, mail) = render(&url);
            let short = Delivery::new(Duration::from_millis(500), &[]).unwrap();
            let err = send_mail(target.server().unwrap(), &mail, "nas", &short)
                .await
                .unwrap_err();
            server.abort();
            assert_eq!(err.kind(), kind, "{err}");
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn reply_lines() {
        let cases = [
            ("250 OK", Some((250, false, "OK"))),
            ("250-SIZE 100", Some((250, true, "SIZE 100"))),
            ("354", Some((354, false, ""))),
            ("250", Some((250, false, ""))),
            ("25", None),
            ("abc def", None),
            ("250_x", None),
            ("650 nope", None),
            ("", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_line(line), expected, "{line:?}");
        }
    }

    #[test]
    fn ehlo_extensions() {
        let reply = Reply {
            code: 250,
            lines: ["mail.test", "starttls", "AUTH login PLAIN", "8BITMIME", "SIZE 1000"]
                .map(str::to_owned)
                .to_vec(),
        };
        assert_eq!(
            extensions(&reply),
            Extensions {
                starttls: true,
                auth: vec!["LOGIN".into(), "PLAIN".into()],
                eight_bit_mime: true,
                smtp_utf8: false,
            }
        );
    }

    #[test]
    fn dates_as_rfc_5322_says() {
        // Python's email.utils.format_datetime for the same instants.
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 +0000"),
            (1_796_024_024, "Mon, 30 Nov 2026 07:33:44 +0000"),
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 +0000"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(date(UNIX_EPOCH + Duration::from_secs(seconds)), expected);
        }
    }

    #[test]
    fn subjects() {
        assert_eq!(subject("oci-check on nas: 1 update"), "oci-check on nas: 1 update");
        assert_eq!(subject("a\r\nBcc: x@y"), "a  Bcc: x@y");
        let encoded = subject(&"é".repeat(40));
        let words: Vec<&str> = encoded.split("\r\n ").collect();
        assert_eq!(words.len(), 2, "{encoded}");
        for word in &words {
            assert!(
                word.starts_with("=?UTF-8?B?") && word.ends_with("?=") && word.len() <= 75,
                "{word}"
            );
        }
    }

    #[test]
    fn messages_stuff_dots_and_pick_their_encoding() {
        let mail = Mail {
            from: "a@b.test".into(),
            to: vec!["c@d.test".into()],
            subject: "s".into(),
            body: ".x\n.".into(),
        };
        let cases = [
            (".x\n.", true, "7bit", false, "\r\n\r\n..x\r\n..\r\n.\r\n"),
            ("é\r.", true, "8bit", true, "\r\n\r\né\r\n..\r\n.\r\n"),
            ("é\n.", false, "base64", false, "\r\n\r\nw6kNCi4NCg==\r\n.\r\n"),
        ];
        for (body, eight_bit_mime, encoding, eight_bit, end) in cases {
            let mail = Mail {
                body: body.into(),
                ..mail.clone()
            };
            let (bytes, used) = message(&mail, "nas", UNIX_EPOCH, eight_bit_mime);
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(used, eight_bit, "{body:?}");
            assert!(
                text.contains(&format!("Content-Transfer-Encoding: {encoding}\r\n")),
                "{text:?}"
            );
            assert!(text.ends_with(end), "{text:?}");
        }
    }

    #[test]
    fn hello_names_and_addresses() {
        assert_eq!(hello_domain("nas.local"), "nas.local");
        assert_eq!(hello_domain("my host_01"), "my-host-01");
        assert_eq!(hello_domain(""), "localhost");
        for address in ["a@b.test", "ü@b.test"] {
            assert!(check_address("t", address).is_ok(), "{address}");
        }
        for address in ["", "nobody", "a@b.test>\r\nRCPT TO:<x@y", "a b@c", "<a@b>"] {
            assert_eq!(
                check_address("t", address).unwrap_err().kind(),
                SendErrorKind::Invalid,
                "{address:?}"
            );
        }
    }
}
