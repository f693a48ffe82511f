//! A real SMTP server, Debian's `python3-aiosmtpd`, on a free loopback port: one process per fixture, killed on
//! drop.
//!
//! aiosmtpd is an SMTP server library; a small program written into the server's directory runs it
//! with a handler that stores each accepted message as it came after DATA (`mail-NNNN.eml`, dot-unstuffed by
//! aiosmtpd) with its envelope, the user who authenticated and whether TLS was on (`mail-NNNN.json`), before it
//! answers `250`: a mail a client was told is accepted is on disk ([`SmtpServer::mails`]).
//!
//! A recipient whose local part is `refused` (`refused@example.test`) is refused with `550`.
//!
//! Variants: [`SmtpServerBuilder::user`] wants AUTH (PLAIN or LOGIN) with that user before MAIL and refuses other
//! credentials; [`SmtpServerBuilder::starttls`] offers STARTTLS with a certificate from a new [`TestCa`];
//! [`SmtpServerBuilder::implicit_tls`] speaks TLS from the first byte (port 465 style).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{apt, tool};
use crate::{TempDir, TestCa};

/// The Python that has Debian's aiosmtpd (the tests also honour `OCI_TEST_PYTHON`): the system's, not one that a
/// version manager put first on `PATH`.
pub const PYTHON: &str = "/usr/bin/python3";

/// How long the server may take to listen.
const WAIT: Duration = Duration::from_secs(30);

/// The server program: aiosmtpd's `SMTP` protocol on a port the system picks, written to `port` once listening.
const SERVER_PY: &str = r#"
import asyncio, json, os, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

config = json.load(open(sys.argv[1]))
directory = config["dir"]
count = 0

class Store:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        base = os.path.join(directory, "mail-%04d" % count)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "mail_options": envelope.mail_options,
                "auth": session.auth_data if session.authenticated else None, "tls": tls}
        with open(base + ".tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".tmp", base + ".json")
        return "250 OK stored as mail-%04d" % count

def authenticator(server, session, envelope, mechanism, auth_data):
    user = config.get("user")
    if (user and isinstance(auth_data, LoginPassword)
            and auth_data.login == user[0].encode() and auth_data.password == user[1].encode()):
        return AuthResult(success=True, auth_data=user[0])
    return AuthResult(success=False, handled=False)

context = None
if config.get("cert"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config["cert"], config["key"])

def factory():
    return SMTP(Store(), hostname="oci-testkit-smtp",
                tls_context=context if config["starttls"] else None,
                authenticator=authenticator,
                auth_required=bool(config.get("user")),
                auth_require_tls=False,
                auth_exclude_mechanism=config.get("exclude_auth") or [])

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0,
                                      ssl=context if config["implicit_tls"] else None)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(directory, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
    await server.serve_forever()

asyncio.run(main())
"#;

/// What [`SmtpServer`] is started with; [`SmtpServer::builder`] makes one.
#[derive(Default)]
pub struct SmtpServerBuilder {
    user: Option<(String, String)>,
    starttls: bool,
    implicit_tls: bool,
    login_only: bool,
}

/// aiosmtpd on a free port of 127.0.0.1 with a directory of its own; killed, and the directory removed, on drop. Its
/// `Debug` output shows `***` for the password.
pub struct SmtpServer {
    child: Child,
    port: u16,
    user: Option<(String, String)>,
    ca: Option<TestCa>,
    dir: TempDir,
}

/// One message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// The envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub rcpt_tos: Vec<String>,
    /// The `MAIL FROM` parameters (`BODY=8BITMIME`, `SMTPUTF8`).
    pub mail_options: Vec<String>,
    /// The user who authenticated, if one did.
    pub auth: Option<String>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
    /// The message as received after DATA, dot-stuffing undone, line ends as sent.
    pub content: Vec<u8>,
}

/// A stored message as Python's `email` package reads it (its modern policy): an independent reader of headers,
/// RFC 2047 encoded words and transfer encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// Every header as `(name, decoded value)`, in order.
    pub headers: Vec<(String, String)>,
    /// The body, decoded (transfer encoding and charset), with `\n` line ends.
    pub body: String,
    /// What the parser found wrong (`email`'s defects), empty for a well-formed message.
    pub defects: Vec<String>,
}

/// The program that parses a message on standard input and prints it as JSON.
const PARSE_PY: &str = r#"
import email, email.policy, json, sys
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
defects = [repr(d) for d in m.defects]
for name, value in m.items():
    defects += [repr(d) for d in getattr(value, "defects", [])]
print(json.dumps({"headers": [[k, str(v)] for k, v in m.items()], "body": m.get_content().replace("\r\n", "\n"), "defects": defects}))
"#;

impl StoredMail {
    /// The message read by Python's `email` package.
    ///
    /// # Panics
    ///
    /// When Python cannot parse it (the message quotes its error).
    pub fn parsed(&self) -> ParsedMail {
        use std::io::Write;
        let mut child = Command::new(python())
            .args(["-c", PARSE_PY])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&self.content).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "python's email could not read the message: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let strings = |value: &serde_json::Value| -> Vec<String> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect()
        };
        ParsedMail {
            headers: value["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_owned(),
                        pair[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            body: value["body"].as_str().unwrap().to_owned(),
            defects: strings(&value["defects"]),
        }
    }
}

impl ParsedMail {
    /// The first header called `name` (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl SmtpServerBuilder {
    /// Wants AUTH as `username` with `password` before MAIL (refusing a mail from anyone else with `530`).
    pub fn user(mut self, username: &str, password: &str) -> Self {
        self.user = Some((username.to_owned(), password.to_owned()));
        self
    }

    /// Offers only AUTH LOGIN, not PLAIN (for a client's fallback).
    pub fn login_only(mut self) -> Self {
        self.login_only = true;
        self
    }

    /// Offers STARTTLS with a server certificate from a new [`TestCa`] ([`SmtpServer::ca`]).
    pub fn starttls(mut self) -> Self {
        self.starttls = true;
        self
    }

    /// Speaks TLS from the first byte with a server certificate from a new [`TestCa`].
    pub fn implicit_tls(mut self) -> Self {
        self.implicit_tls = true;
        self
    }

    /// Starts the server.
    ///
    /// # Panics
    ///
    /// When Python or aiosmtpd is missing (the message says how to install them), or the server does not listen
    /// within 30 s (the message quotes its output).
    pub fn start(self) -> SmtpServer {
        let python = python();
        let dir = TempDir::new("oci-testkit-smtp");
        let ca = (self.starttls || self.implicit_tls).then(TestCa::new);
        let mut config = serde_json::json!({
            "dir": dir.path(),
            "starttls": self.starttls,
            "implicit_tls": self.implicit_tls,
            "user": self.user.as_ref().map(|(username, password)| [username, password]),
            "exclude_auth": if self.login_only { vec!["PLAIN"] } else { Vec::new() },
        });
        if let Some(ca) = &ca {
            let (cert, key) = ca.write_server_files(dir.path());
            config["cert"] = serde_json::json!(cert);
            config["key"] = serde_json::json!(key);
        }
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        std::fs::write(dir.path().join("server.py"), SERVER_PY).unwrap();
        let out = std::fs::File::create(dir.path().join("server.out")).unwrap();
        let child = Command::new(&python)
            .arg(dir.path().join("server.py"))
            .arg(dir.path().join("config.json"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|err| panic!("could not start {}: {err}", python.display()));
        let mut server = SmtpServer {
            child,
            port: 0,
            user: self.user,
            ca,
            dir,
        };
        server.port = server.wait_for_port();
        server
    }
}

impl SmtpServer {
    /// What to start: no AUTH and no TLS until the builder's methods say otherwise.
    pub fn builder() -> SmtpServerBuilder {
        SmtpServerBuilder::default()
    }

    /// A server on plain TCP that takes mail from anyone.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA whose certificate the server serves, with STARTTLS or implicit TLS.
    pub fn ca(&self) -> Option<&TestCa> {
        self.ca.as_ref()
    }

    /// The messages accepted so far, in the order they came.
    pub fn mails(&self) -> Vec<StoredMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.extension().is_some_and(|ext| ext == "json")
                    && path
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with("mail-"))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|meta| {
                let value: serde_json::Value = serde_json::from_slice(&std::fs::read(meta).unwrap()).unwrap();
                let strings = |key: &str| -> Vec<String> {
                    value[key]
                        .as_array()
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|item| item.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                StoredMail {
                    mail_from: value["mail_from"].as_str().unwrap_or_default().to_owned(),
                    rcpt_tos: strings("rcpt_tos"),
                    mail_options: strings("mail_options"),
                    auth: value["auth"].as_str().map(str::to_owned),
                    tls: value["tls"].as_bool().unwrap_or(false),
                    content: std::fs::read(meta.with_extension("eml")).unwrap(),
                }
            })
            .collect()
    }

    /// The server's output, for failure messages.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default()
    }

    /// The server's directory: `server.py`, `config.json`, the stored mails, `server.out`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn wait_for_port(&mut self) -> u16 {
        let deadline = Instant::now() + WAIT;
        let file = self.dir.path().join("port");
        loop {
            if let Ok(port) = std::fs::read_to_string(&file) {
                return port.trim().parse().unwrap();
            }
            let exited = self.child.try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "the aiosmtpd server did not start ({}); its output:\n{}\n\
                 install it with `cargo xtask test` or `apt-get update && apt-get install -y python3-aiosmtpd`",
                exited.map_or_else(|| "no port within 30 s".to_owned(), |status| status.to_string()),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// [`PYTHON`], or the one `OCI_TEST_PYTHON` names.
fn python() -> PathBuf {
    tool("OCI_TEST_PYTHON", PYTHON, &apt("python3-aiosmtpd"))
}

impl fmt::Debug for SmtpServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServerBuilder")
            .field("user", &self.user.as_ref().map(|(username, _)| (username, "***")))
            .field("starttls", &self.starttls)
            .field("implicit_tls", &self.implicit_tls)
            .field("login_only", &self.login_only)
            .finish()
    }
}

impl fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServer")
            .field("port", &self.port)
            .field("pid", &self.child.id())
            .field("user", &self.user.as_ref().map(|(username, _)| (username, "***")))
            .field("tls", &self.ca.is_some())
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
