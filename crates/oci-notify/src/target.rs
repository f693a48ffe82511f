//! [`Target`]: a notification target URL, parsed, validated and shown redacted.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, ErrorKind};
use crate::kinds::KindSet;
use crate::text;
use crate::url::{self, Parts};

/// A secret (a password or token): `Debug` and `Display` show `***`; only [`Secret::expose`]
/// gives the text, for the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// A secret holding `text`.
    pub fn new(text: &str) -> Self {
        Self(text.into())
    }

    /// The secret's text: for an `Authorization` header or a login, never for a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which service a target is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// `ntfy://`: ntfy's JSON publish API.
    Ntfy,
    /// `mqtt://` or `mqtts://`: retained states and Home Assistant discovery.
    Mqtt,
    /// `smtp://`: a mail.
    Smtp,
    /// `webhook+https://` or `webhook+http://`: the [`Notification`](crate::Notification) as JSON.
    Webhook,
    /// `discord://`: a Discord webhook.
    Discord,
    /// `slack://`: a Slack incoming webhook.
    Slack,
    /// `gotify://`: Gotify's message API.
    Gotify,
    /// `telegram://`: the Telegram Bot API's `sendMessage`.
    Telegram,
    /// `matrix://`: a Matrix room message.
    Matrix,
    /// `pushover://`: Pushover's message API.
    Pushover,
    /// `script://`: a program run with the document on its standard input.
    Script,
}

impl ServiceKind {
    /// The scheme's name: `ntfy`, `mqtt`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ntfy => "ntfy",
            Self::Mqtt => "mqtt",
            Self::Smtp => "smtp",
            Self::Webhook => "webhook",
            Self::Discord => "discord",
            Self::Slack => "slack",
            Self::Gotify => "gotify",
            Self::Telegram => "telegram",
            Self::Matrix => "matrix",
            Self::Pushover => "pushover",
            Self::Script => "script",
        }
    }
}

/// How a connection to a mail server or MQTT broker is secured.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tls {
    /// Plain TCP (`?tls=no`, `mqtt://`). Senders should not send credentials this way to a host
    /// that is not on loopback.
    None,
    /// SMTP STARTTLS: `required` when asked for with `?tls=starttls`; otherwise used when the
    /// server offers it (the default), and credentials are then sent only if it did.
    StartTls {
        /// Whether a server without STARTTLS is an error.
        required: bool,
    },
    /// TLS from the first byte (`?tls=tls`, `mqtts://`).
    Implicit,
}

/// A mail server or MQTT broker to connect to.
#[derive(Clone, PartialEq, Eq)]
pub struct Server {
    host: String,
    port: u16,
    tls: Tls,
    username: Option<String>,
    password: Option<Secret>,
}

impl Server {
    /// The host name or address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the service's default when the URL has none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is secured.
    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// The user name to log in with.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password to log in with.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// A notification target, parsed from a shoutrrr-style URL (see the crate documentation for
/// every form). `Display` gives the URL with its secrets replaced by `***`
/// (`ntfy://alice:***@ntfy.example/updates`); `Debug` the same. The secrets reach only
/// [`render`](Target::render)'s requests and [`server`](Target::server).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub(crate) service: Service,
    pub(crate) on: KindSet,
    shown: String,
}

/// Credentials sent in an `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    Basic(String, Secret),
    Bearer(Secret),
}

/// An HTTP endpoint; `url` may hold secrets (a Discord token, a Telegram bot token).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) url: String,
    pub(crate) auth: Option<Auth>,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Service {
    Ntfy {
        endpoint: Endpoint,
        topic: String,
        title: Option<String>,
        tags: Vec<String>,
        priority: Option<u8>,
    },
    Mqtt {
        server: Server,
        prefix: String,
        retain: bool,
        discovery: Option<String>,
    },
    Smtp {
        server: Server,
        from: String,
        to: Vec<String>,
        subject: Option<String>,
    },
    Webhook(Endpoint),
    Discord {
        endpoint: Endpoint,
        username: Option<String>,
    },
    Slack {
        endpoint: Endpoint,
        username: Option<String>,
    },
    Gotify {
        endpoint: Endpoint,
        token: Option<Secret>,
        title: Option<String>,
        priority: Option<i64>,
    },
    Telegram {
        endpoint: Endpoint,
        chats: Vec<String>,
    },
    Matrix {
        base: String,
        login: Option<(String, Secret)>,
        token: Option<Secret>,
        rooms: Vec<String>,
    },
    Pushover {
        endpoint: Endpoint,
        token: Secret,
        user: Secret,
        devices: Vec<String>,
        title: Option<String>,
        priority: Option<i8>,
    },
    Script {
        path: PathBuf,
    },
}

impl Target {
    /// Parses a target URL. Every error quotes the URL with its secrets redacted.
    pub fn parse(input: &str) -> Result<Self, Error> {
        Self::parse_with_default(input, KindSet::DEFAULT)
    }

    /// [`parse`](Self::parse), with `on` as the kinds told when the URL has no `?on=` (the
    /// CLI's `--notify-on`).
    pub fn parse_with_default(input: &str, on: KindSet) -> Result<Self, Error> {
        let parts = url::split(input)?;
        Parser {
            input,
            parts,
            default_on: on,
        }
        .parse()
    }

    /// Which service this is.
    pub fn service(&self) -> ServiceKind {
        match &self.service {
            Service::Ntfy { .. } => ServiceKind::Ntfy,
            Service::Mqtt { .. } => ServiceKind::Mqtt,
            Service::Smtp { .. } => ServiceKind::Smtp,
            Service::Webhook(_) => ServiceKind::Webhook,
            Service::Discord { .. } => ServiceKind::Discord,
            Service::Slack { .. } => ServiceKind::Slack,
            Service::Gotify { .. } => ServiceKind::Gotify,
            Service::Telegram { .. } => ServiceKind::Telegram,
            Service::Matrix { .. } => ServiceKind::Matrix,
            Service::Pushover { .. } => ServiceKind::Pushover,
            Service::Script { .. } => ServiceKind::Script,
        }
    }

    /// The kinds of events this target is told (`?on=`, default `update,newer,error`).
    pub fn on(&self) -> KindSet {
        self.on
    }

    /// The mail server or MQTT broker to connect to; `None` for other services.
    pub fn server(&self) -> Option<&Server> {
        match &self.service {
            Service::Mqtt { server, .. } | Service::Smtp { server, .. } => Some(server),
            _ => None,
        }
    }

    /// Every secret this target holds (for `internal::secrets`).
    pub(crate) fn secrets(&self) -> Vec<&str> {
        fn auth(auth: &Option<Auth>) -> Option<&str> {
            match auth {
                Some(Auth::Basic(_, password)) => Some(password.expose()),
                Some(Auth::Bearer(token)) => Some(token.expose()),
                None => None,
            }
        }
        let mut out = Vec::new();
        match &self.service {
            Service::Ntfy { endpoint, .. } | Service::Webhook(endpoint) => out.extend(auth(&endpoint.auth)),
            Service::Mqtt { server, .. } | Service::Smtp { server, .. } => {
                out.extend(server.password.as_ref().map(Secret::expose));
            }
            // The whole URL is secret where a token is in it; the explicit forms' path and query too.
            Service::Discord { endpoint, .. }
            | Service::Slack { endpoint, .. }
            | Service::Telegram { endpoint, .. } => {
                out.extend(auth(&endpoint.auth));
                out.push(&endpoint.url);
            }
            Service::Gotify { endpoint, token, .. } => {
                out.extend(auth(&endpoint.auth));
                out.extend(token.as_ref().map(Secret::expose));
            }
            Service::Matrix { login, token, .. } => {
                out.extend(login.as_ref().map(|(_, password)| password.expose()));
                out.extend(token.as_ref().map(Secret::expose));
            }
            Service::Pushover { token, user, .. } => out.extend([token.expose(), user.expose()]),
            Service::Script { .. } => {}
        }
        out
    }

    /// The program of a `script://` target.
    pub fn script(&self) -> Option<&Path> {
        match &self.service {
            Service::Script { path } => Some(path),
            _ => None,
        }
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        Self::parse(input)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("service", &self.service())
            .field("url", &self.shown)
            .field("on", &self.on)
            .finish()
    }
}

/// One URL being parsed.
struct Parser<'a> {
    input: &'a str,
    parts: Parts<'a>,
    default_on: KindSet,
}

/// The query options of a URL, decoded, taken one by one.
struct Options {
    pairs: Vec<(String, String)>,
    /// Raw pairs that belong to an explicit URL (`SERVICE+https://`), passed on as they are.
    forwarded: Vec<String>,
}

impl Options {
    /// The value of the first of `names` present (aliases), removed.
    fn take(&mut self, names: &[&str]) -> Option<String> {
        let at = self.pairs.iter().position(|(key, _)| names.contains(&key.as_str()))?;
        Some(self.pairs.remove(at).1)
    }
}

impl Parser<'_> {
    fn fail(&self, kind: ErrorKind, detail: Option<String>) -> Error {
        Error::new(kind, url::redact(self.input), detail)
    }

    fn parse(self) -> Result<Target, Error> {
        let scheme = self.parts.scheme.clone();
        let (service, explicit) = match scheme.split_once('+') {
            Some((service, transport @ ("https" | "http"))) => (service.to_owned(), Some(transport)),
            Some(_) => return Err(self.fail(ErrorKind::UnknownScheme, None)),
            None => (scheme.clone(), None),
        };
        let ours = explicit.map(|_| ours_explicit(&service));
        let mut options = self.options(ours)?;
        let on = match options.take(&["on"]) {
            Some(list) => KindSet::parse(&list)
                .map_err(|err| self.fail(ErrorKind::UnknownKind, err.detail().map(str::to_owned)))?,
            None => self.default_on,
        };
        let name = service.clone();
        let service = match (service.as_str(), explicit) {
            ("ntfy", None) => self.ntfy(&mut options)?,
            ("mqtt" | "mqtts", None) => self.mqtt(&mut options, service == "mqtts")?,
            ("smtp", None) => self.smtp(&mut options)?,
            ("discord", None) => self.discord(&mut options)?,
            ("slack", None) => self.slack(&mut options)?,
            ("gotify", None) => self.gotify(&mut options)?,
            ("telegram", None) => self.telegram(&mut options)?,
            ("matrix", None) => self.matrix(&mut options)?,
            ("pushover", None) => self.pushover(&mut options)?,
            ("script", None) => self.script()?,
            ("webhook", Some(transport)) => Service::Webhook(self.explicit(transport, &options)?),
            ("discord", Some(transport)) => Service::Discord {
                username: options.take(&["username", "botname"]),
                endpoint: self.explicit(transport, &options)?,
            },
            ("slack", Some(transport)) => Service::Slack {
                username: options.take(&["botname", "username"]),
                endpoint: self.explicit(transport, &options)?,
            },
            ("gotify", Some(transport)) => Service::Gotify {
                title: options.take(&["title"]),
                priority: self.gotify_priority(&mut options)?,
                token: None,
                endpoint: self.explicit(transport, &options)?,
            },
            ("telegram", Some(transport)) => Service::Telegram {
                chats: self.chats(&mut options)?,
                endpoint: self.explicit(transport, &options)?,
            },
            _ => return Err(self.fail(ErrorKind::UnknownScheme, None)),
        };
        if let Some((key, _)) = options.pairs.first() {
            let detail = format!("unknown option {} for {name}", text::quote(key));
            return Err(self.fail(ErrorKind::UnknownOption, Some(detail)));
        }
        let shown = self.shown(ours, on);
        Ok(Target { service, on, shown })
    }

    /// The query as options: keys lowercased (shoutrrr's keys are case-insensitive), values
    /// decoded; for an explicit URL every key that is not one of ours is forwarded raw.
    fn options(&self, ours: Option<&[&str]>) -> Result<Options, Error> {
        let explicit = ours.is_some();
        let mut options = Options {
            pairs: Vec::new(),
            forwarded: Vec::new(),
        };
        let Some(query) = self.parts.query else {
            return Ok(options);
        };
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let Some((raw_key, raw_value)) = pair.split_once('=') else {
                if explicit {
                    options.forwarded.push(pair.to_owned());
                    continue;
                }
                // Not quoted: a part without `=` is no option name, and may be a misplaced secret.
                return Err(self.fail(
                    ErrorKind::InvalidOption,
                    Some("a query part has no `=`; options are KEY=VALUE".into()),
                ));
            };
            let key = url::decode(raw_key, true)
                .map_err(|()| self.fail(ErrorKind::Encoding, None))?
                .to_ascii_lowercase();
            if ours.is_some_and(|ours| !ours.contains(&key.as_str())) {
                options.forwarded.push(pair.to_owned());
                continue;
            }
            let value = url::decode(raw_value, true).map_err(|()| self.fail(ErrorKind::Encoding, None))?;
            if options.pairs.iter().any(|(seen, _)| *seen == key) {
                let detail = format!("option {} is given twice", text::quote(&key));
                return Err(self.fail(ErrorKind::DuplicateOption, Some(detail)));
            }
            options.pairs.push((key, value));
        }
        Ok(options)
    }

    fn decoded(&self, raw: &str) -> Result<String, Error> {
        url::decode(raw, false).map_err(|()| self.fail(ErrorKind::Encoding, None))
    }

    fn host(&self) -> Result<String, Error> {
        if !url::valid_host(self.parts.host) {
            return Err(self.fail(ErrorKind::InvalidHost, None));
        }
        Ok(self.parts.host.to_ascii_lowercase())
    }

    /// `host[:port]` for a URL.
    fn authority(&self, host: &str) -> String {
        match self.parts.port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    fn no_credentials(&self) -> Result<(), Error> {
        if self.parts.user.is_some() || self.parts.password.is_some() {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("this service takes no user name or password".into()),
            ));
        }
        Ok(())
    }

    /// The path's segments, decoded, without empty ones at the ends.
    fn segments(&self) -> Result<Vec<String>, Error> {
        self.parts
            .path
            .trim_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| self.decoded(segment))
            .collect()
    }

    /// `user:password` as HTTP credentials: both given means Basic; an empty user with a password
    /// means a Bearer token.
    fn http_auth(&self) -> Result<Option<Auth>, Error> {
        let user = self.parts.user.map(|user| self.decoded(user)).transpose()?;
        let password = self.parts.password.map(|password| self.decoded(password)).transpose()?;
        let bearer = user.as_deref().is_none_or(str::is_empty);
        if bearer && password.as_deref().is_some_and(|token| !header_token(token)) {
            // A token goes into a header as it is; Basic credentials are base64 and may hold anything.
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("an access token has only visible ASCII characters".into()),
            ));
        }
        Ok(match (user, password) {
            (None, None) => None,
            (Some(user), None) if user.is_empty() => None,
            (Some(user), None) => Some(Auth::Basic(user, Secret::new(""))),
            (None, Some(password)) => Some(Auth::Bearer(Secret::new(&password))),
            (Some(user), Some(password)) if user.is_empty() => Some(Auth::Bearer(Secret::new(&password))),
            (Some(user), Some(password)) => Some(Auth::Basic(user, Secret::new(&password))),
        })
    }

    fn yes_no(&self, options: &mut Options, names: &[&str], default: bool) -> Result<bool, Error> {
        match options.take(names).as_deref() {
            None => Ok(default),
            Some("yes" | "true" | "1") => Ok(true),
            Some("no" | "false" | "0") => Ok(false),
            Some(other) => Err(self.fail(
                ErrorKind::InvalidOption,
                Some(format!("{} must be yes or no, not {}", names[0], text::quote(other))),
            )),
        }
    }

    fn list(value: &str) -> Vec<String> {
        value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn ntfy(&self, options: &mut Options) -> Result<Service, Error> {
        let host = self.host()?;
        let scheme = match options.take(&["scheme"]).as_deref() {
            None | Some("https") => "https",
            Some("http") => "http",
            Some(other) => {
                return Err(self.fail(
                    ErrorKind::InvalidOption,
                    Some(format!("scheme must be https or http, not {}", text::quote(other))),
                ));
            }
        };
        let segments = self.segments()?;
        let [topic] = segments.as_slice() else {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("expected one topic: ntfy://HOST/TOPIC".into()),
            ));
        };
        if topic.len() > 64 || !topic.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("an ntfy topic has 1 to 64 letters, digits, `-` and `_`".into()),
            ));
        }
        let priority = match options.take(&["priority"]) {
            None => None,
            Some(priority) => Some(match priority.to_ascii_lowercase().as_str() {
                "1" | "min" => 1,
                "2" | "low" => 2,
                "3" | "default" => 3,
                "4" | "high" => 4,
                "5" | "max" | "urgent" => 5,
                _ => {
                    return Err(self.fail(
                        ErrorKind::InvalidOption,
                        Some(format!(
                            "priority {} is not 1 to 5 or min, low, default, high, max, urgent",
                            text::quote(&priority)
                        )),
                    ));
                }
            }),
        };
        Ok(Service::Ntfy {
            endpoint: Endpoint {
                url: format!("{scheme}://{}/", self.authority(&host)),
                auth: self.http_auth()?,
            },
            topic: topic.clone(),
            title: options.take(&["title"]),
            tags: options
                .take(&["tags"])
                .map(|tags| Self::list(&tags))
                .unwrap_or_default(),
            priority,
        })
    }

    fn server(&self, default_port: u16, tls: Tls) -> Result<Server, Error> {
        let host = self.host()?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .map_or(host.clone(), str::to_owned);
        let username = self.parts.user.map(|user| self.decoded(user)).transpose()?;
        let password = self.parts.password.map(|password| self.decoded(password)).transpose()?;
        Ok(Server {
            host,
            port: self.parts.port.unwrap_or(default_port),
            tls,
            username: username.filter(|user| !user.is_empty()),
            password: password.map(|password| Secret::new(&password)),
        })
    }

    fn mqtt(&self, options: &mut Options, tls: bool) -> Result<Service, Error> {
        let (port, tls) = if tls { (8883, Tls::Implicit) } else { (1883, Tls::None) };
        let server = self.server(port, tls)?;
        let segments = self.segments()?;
        let prefix = if segments.is_empty() {
            "oci-check".to_owned()
        } else {
            segments.join("/")
        };
        if prefix.contains(['+', '#', '\0']) {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("an MQTT topic prefix has no `+`, `#` or NUL".into()),
            ));
        }
        let retain = self.yes_no(options, &["retain"], true)?;
        let discovery = match options.take(&["discovery"]) {
            None => Some("homeassistant".to_owned()),
            Some(value) if matches!(value.as_str(), "no" | "false" | "0") => None,
            Some(value) if matches!(value.as_str(), "yes" | "true" | "1") => Some("homeassistant".to_owned()),
            Some(value) if !value.is_empty() && !value.contains(['+', '#', '\0']) => Some(value),
            Some(value) => {
                return Err(self.fail(
                    ErrorKind::InvalidOption,
                    Some(format!(
                        "discovery must be yes, no or a topic prefix, not {}",
                        text::quote(&value)
                    )),
                ));
            }
        };
        Ok(Service::Mqtt {
            server,
            prefix,
            retain,
            discovery,
        })
    }

    fn smtp(&self, options: &mut Options) -> Result<Service, Error> {
        // shoutrrr's `encryption` and `usestarttls` too, so that watchtower URLs carry over.
        let tls = match (options.take(&["tls"]), options.take(&["encryption"])) {
            (Some(_), Some(_)) => {
                return Err(self.fail(
                    ErrorKind::DuplicateOption,
                    Some("give tls or encryption, not both".into()),
                ));
            }
            (Some(value), None) | (None, Some(value)) => match value.to_ascii_lowercase().as_str() {
                "no" | "none" => Tls::None,
                "starttls" | "explicittls" => Tls::StartTls { required: true },
                "tls" | "implicittls" => Tls::Implicit,
                "auto" => Tls::StartTls { required: false },
                _ => {
                    return Err(self.fail(
                        ErrorKind::InvalidOption,
                        Some(format!("tls must be no, starttls or tls, not {}", text::quote(&value))),
                    ));
                }
            },
            (None, None) => {
                if self.yes_no(options, &["usestarttls"], true)? {
                    Tls::StartTls { required: false }
                } else {
                    Tls::None
                }
            }
        };
        let port = if tls == Tls::Implicit { 465 } else { 587 };
        let server = self.server(port, tls)?;
        if !self.segments()?.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("smtp takes no path: smtp://HOST/?from=...&to=...".into()),
            ));
        }
        let Some(from) = options.take(&["from", "fromaddress"]) else {
            return Err(self.fail(ErrorKind::MissingOption, Some("smtp needs from=ADDRESS".into())));
        };
        let Some(to) = options.take(&["to", "toaddresses"]) else {
            return Err(self.fail(ErrorKind::MissingOption, Some("smtp needs to=ADDRESS[,ADDRESS]".into())));
        };
        let to = Self::list(&to);
        for address in std::iter::once(&from).chain(&to) {
            if !valid_address(address) {
                return Err(self.fail(
                    ErrorKind::InvalidAddress,
                    Some(format!("{} is not a mail address", text::quote(address))),
                ));
            }
        }
        if to.is_empty() {
            return Err(self.fail(ErrorKind::MissingOption, Some("smtp needs to=ADDRESS[,ADDRESS]".into())));
        }
        let subject = options.take(&["subject"]);
        if subject
            .as_deref()
            .is_some_and(|subject| subject.chars().any(char::is_control))
        {
            return Err(self.fail(
                ErrorKind::InvalidOption,
                Some("a subject has no control characters".into()),
            ));
        }
        Ok(Service::Smtp {
            server,
            from,
            to,
            subject,
        })
    }

    /// An explicit URL (`SERVICE+https://...`): the URL itself minus our options; user info
    /// becomes Basic credentials, never part of the URL.
    fn explicit(&self, transport: &str, options: &Options) -> Result<Endpoint, Error> {
        let host = self.host()?;
        let mut url = format!("{transport}://{}{}", self.authority(&host), self.parts.path);
        if self.parts.path.is_empty() {
            url.push('/');
        }
        if !options.forwarded.is_empty() {
            url.push('?');
            url.push_str(&options.forwarded.join("&"));
        }
        Ok(Endpoint {
            url,
            auth: self.http_auth()?,
        })
    }

    fn discord(&self, options: &mut Options) -> Result<Service, Error> {
        let token = self
            .parts
            .user
            .map(|token| self.decoded(token))
            .transpose()?
            .unwrap_or_default();
        let id = self.parts.host;
        if self.parts.password.is_some() || token.is_empty() || !token_chars(&token) {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("expected discord://TOKEN@WEBHOOKID".into()),
            ));
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || self.parts.port.is_some() {
            return Err(self.fail(ErrorKind::InvalidHost, Some("a Discord webhook id is a number".into())));
        }
        if !self.segments()?.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("expected discord://TOKEN@WEBHOOKID".into()),
            ));
        }
        Ok(Service::Discord {
            endpoint: Endpoint {
                url: format!("https://discord.com/api/webhooks/{id}/{}", url::encode(&token)),
                auth: None,
            },
            username: options.take(&["username", "botname"]),
        })
    }

    fn slack(&self, options: &mut Options) -> Result<Service, Error> {
        if self.parts.password.is_some() || self.parts.port.is_some() {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("expected slack://[BOTNAME@]TOKEN-A/TOKEN-B/TOKEN-C".into()),
            ));
        }
        let botname = self.parts.user.map(|user| self.decoded(user)).transpose()?;
        let mut tokens = vec![self.decoded(self.parts.host)?];
        tokens.extend(self.segments()?);
        if tokens.len() != 3 || !tokens.iter().all(|token| !token.is_empty() && token_chars(token)) {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("expected three tokens: slack://[BOTNAME@]TOKEN-A/TOKEN-B/TOKEN-C".into()),
            ));
        }
        let username = match (
            botname.filter(|name| !name.is_empty()),
            options.take(&["botname", "username"]),
        ) {
            (Some(_), Some(_)) => {
                return Err(self.fail(ErrorKind::DuplicateOption, Some("give the bot name once".into())));
            }
            (name, option) => name.or(option),
        };
        Ok(Service::Slack {
            endpoint: Endpoint {
                url: format!("https://hooks.slack.com/services/{}", tokens.join("/")),
                auth: None,
            },
            username,
        })
    }

    fn gotify_priority(&self, options: &mut Options) -> Result<Option<i64>, Error> {
        options
            .take(&["priority"])
            .map(|priority| {
                priority.parse::<i64>().map_err(|_| {
                    self.fail(
                        ErrorKind::InvalidOption,
                        Some(format!("priority {} is not a whole number", text::quote(&priority))),
                    )
                })
            })
            .transpose()
    }

    fn gotify(&self, options: &mut Options) -> Result<Service, Error> {
        self.no_credentials()?;
        let host = self.host()?;
        let mut segments = self.segments()?;
        let Some(token) = segments.pop().filter(|token| token_chars(token)) else {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("expected gotify://HOST[:PORT][/PATH]/TOKEN".into()),
            ));
        };
        let scheme = if self.yes_no(options, &["disabletls"], false)? {
            "http"
        } else {
            "https"
        };
        let path: String = segments
            .iter()
            .map(|segment| format!("/{}", url::encode(segment)))
            .collect();
        Ok(Service::Gotify {
            endpoint: Endpoint {
                url: format!("{scheme}://{}{path}/message", self.authority(&host)),
                auth: None,
            },
            token: Some(Secret::new(&token)),
            title: options.take(&["title"]),
            priority: self.gotify_priority(options)?,
        })
    }

    fn chats(&self, options: &mut Options) -> Result<Vec<String>, Error> {
        let chats = options
            .take(&["chats", "channels"])
            .map(|chats| Self::list(&chats))
            .unwrap_or_default();
        if chats.is_empty() {
            return Err(self.fail(ErrorKind::MissingOption, Some("telegram needs chats=ID[,ID]".into())));
        }
        for chat in &chats {
            let id = chat.strip_prefix('-').unwrap_or(chat);
            let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
            let channel = chat
                .strip_prefix('@')
                .is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !numeric && !channel {
                return Err(self.fail(
                    ErrorKind::InvalidOption,
                    Some(format!("chat {} is not a chat id or @channel", text::quote(chat))),
                ));
            }
        }
        Ok(chats)
    }

    fn telegram(&self, options: &mut Options) -> Result<Service, Error> {
        let (Some(user), Some(password)) = (self.parts.user, self.parts.password) else {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("expected telegram://BOTID:TOKEN@telegram?chats=ID".into()),
            ));
        };
        let token = format!("{}:{}", self.decoded(user)?, self.decoded(password)?);
        if !token_chars(&token.replace(':', "")) || user.is_empty() || password.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("a bot token is BOTID:TOKEN, from BotFather".into()),
            ));
        }
        if !self.parts.host.eq_ignore_ascii_case("telegram")
            || self.parts.port.is_some()
            || !self.segments()?.is_empty()
        {
            return Err(self.fail(
                ErrorKind::InvalidHost,
                Some("expected telegram://TOKEN@telegram?chats=ID".into()),
            ));
        }
        Ok(Service::Telegram {
            endpoint: Endpoint {
                url: format!("https://api.telegram.org/bot{token}/sendMessage"),
                auth: None,
            },
            chats: self.chats(options)?,
        })
    }

    fn matrix(&self, options: &mut Options) -> Result<Service, Error> {
        let host = self.host()?;
        let scheme = if self.yes_no(options, &["disabletls"], false)? {
            "http"
        } else {
            "https"
        };
        if !self.segments()?.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidPath,
                Some("expected matrix://USER:PASS@HOST[:PORT]/?rooms=!ID:HOST".into()),
            ));
        }
        let user = self
            .parts
            .user
            .map(|user| self.decoded(user))
            .transpose()?
            .unwrap_or_default();
        let Some(password) = self.parts.password.map(|password| self.decoded(password)).transpose()? else {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("matrix needs USER:PASSWORD@ or an access token as :TOKEN@".into()),
            ));
        };
        if password.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("the password or token is empty".into()),
            ));
        }
        if user.is_empty() && !header_token(&password) {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("an access token has only visible ASCII characters".into()),
            ));
        }
        let (login, token) = if user.is_empty() {
            (None, Some(Secret::new(&password)))
        } else {
            (Some((user, Secret::new(&password))), None)
        };
        let rooms = options
            .take(&["rooms", "room"])
            .map(|rooms| Self::list(&rooms))
            .unwrap_or_default();
        if rooms.is_empty() {
            return Err(self.fail(
                ErrorKind::MissingOption,
                Some("matrix needs rooms=!ID:HOST[,!ID:HOST]".into()),
            ));
        }
        if let Some(room) = rooms.iter().find(|room| !room.starts_with('!') || !room.contains(':')) {
            return Err(self.fail(
                ErrorKind::InvalidOption,
                Some(format!(
                    "room {} is not a room id (`!ID:HOST`); aliases are not resolved, copy the id from the room's settings",
                    text::quote(room)
                )),
            ));
        }
        Ok(Service::Matrix {
            base: format!("{scheme}://{}", self.authority(&host)),
            login,
            token,
            rooms,
        })
    }

    fn pushover(&self, options: &mut Options) -> Result<Service, Error> {
        let token = self
            .parts
            .password
            .map(|token| self.decoded(token))
            .transpose()?
            .unwrap_or_default();
        let user = self.decoded(self.parts.host)?;
        if token.is_empty() || !token_chars(&token) {
            return Err(self.fail(
                ErrorKind::InvalidCredentials,
                Some("expected pushover://shoutrrr:APITOKEN@USERKEY".into()),
            ));
        }
        if user.is_empty() || !token_chars(&user) || self.parts.port.is_some() || !self.segments()?.is_empty() {
            return Err(self.fail(
                ErrorKind::InvalidHost,
                Some("expected pushover://shoutrrr:APITOKEN@USERKEY".into()),
            ));
        }
        let priority = match options.take(&["priority"]) {
            None => None,
            Some(priority) => match priority.parse::<i8>() {
                Ok(priority @ -2..=1) => Some(priority),
                _ => {
                    return Err(self.fail(
                        ErrorKind::InvalidOption,
                        Some(format!(
                            "priority {} is not -2, -1, 0 or 1 (2 needs retry and expire, which this does not send)",
                            text::quote(&priority)
                        )),
                    ));
                }
            },
        };
        Ok(Service::Pushover {
            endpoint: Endpoint {
                url: "https://api.pushover.net/1/messages.json".to_owned(),
                auth: None,
            },
            token: Secret::new(&token),
            user: Secret::new(&user),
            devices: options
                .take(&["devices"])
                .map(|devices| Self::list(&devices))
                .unwrap_or_default(),
            title: options.take(&["title"]),
            priority,
        })
    }

    fn script(&self) -> Result<Service, Error> {
        self.no_credentials()?;
        if !self.parts.host.is_empty() || self.parts.port.is_some() {
            return Err(self.fail(
                ErrorKind::InvalidHost,
                Some("a script has no host: script:///ABSOLUTE/PATH (three slashes)".into()),
            ));
        }
        let path = self.decoded(self.parts.path)?;
        if !path.starts_with('/') || path.len() < 2 || path.contains('\0') {
            return Err(self.fail(ErrorKind::RelativePath, None));
        }
        Ok(Service::Script {
            path: PathBuf::from(path),
        })
    }

    /// The URL with its secrets replaced by `***`, keeping its shape so that it parses again
    /// into a target that shows the same.
    fn shown(&self, ours: Option<&[&str]>, on: KindSet) -> String {
        let explicit = ours.is_some();
        let parts = &self.parts;
        let scheme = &parts.scheme;
        let service = scheme.split('+').next().unwrap_or_default();
        let mut out = format!("{scheme}://");
        // Whose user part is a secret too: a token where a user name goes.
        let user_secret = matches!(service, "discord" | "telegram") && !explicit;
        match (parts.user, parts.password) {
            (None, None) => {}
            (Some(_), _) if service == "telegram" && !explicit => out.push_str("***:***@"),
            (Some(_), _) if user_secret => out.push_str("***@"),
            (Some(user), None) => {
                out.push_str(user);
                out.push('@');
            }
            (user, Some(_)) => {
                out.push_str(user.unwrap_or_default());
                out.push_str(":***@");
            }
        }
        let host_secret = matches!(service, "slack" | "pushover") && !explicit;
        out.push_str(if host_secret { "***" } else { parts.host });
        if let Some(port) = parts.port {
            out.push_str(&format!(":{port}"));
        }
        if url::secret_path(scheme) {
            for _ in parts.path.split('/').filter(|segment| !segment.is_empty()) {
                out.push_str("/***");
            }
            if parts.path.ends_with('/') {
                out.push('/');
            }
        } else {
            out.push_str(parts.path);
        }
        if let Some(query) = parts.query {
            let mut shown: Vec<String> = Vec::new();
            for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                // Only an explicit URL has pairs without `=` (its own, passed on).
                let Some((key, value)) = pair.split_once('=') else {
                    shown.push("***".to_owned());
                    continue;
                };
                let lower = key.to_ascii_lowercase();
                let ours = url::is_plain_key(key) && ours.is_none_or(|ours| ours.contains(&lower.as_str()));
                if key.eq_ignore_ascii_case("on") {
                    shown.push(format!("on={on}"));
                } else if ours {
                    shown.push(format!("{key}={value}"));
                } else {
                    // An explicit URL's own query pair, key and all: some services put the secret in
                    // the key (`?SECRET`).
                    shown.push("***".to_owned());
                }
            }
            if !shown.is_empty() {
                out.push('?');
                out.push_str(&shown.join("&"));
            }
        }
        out
    }
}

/// The options an explicit URL (`SERVICE+https://`) of `service` keeps for itself; every other
/// query pair is the URL's own, passed on.
fn ours_explicit(service: &str) -> &'static [&'static str] {
    match service {
        "discord" | "slack" => &["on", "username", "botname"],
        "gotify" => &["on", "title", "priority"],
        "telegram" => &["on", "chats", "channels"],
        _ => &["on"],
    }
}

/// Whether a token has only the characters tokens are made of (so it cannot smuggle a path).
fn token_chars(token: &str) -> bool {
    token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '*'))
}

/// Whether a token can stand in an HTTP header as it is.
fn header_token(token: &str) -> bool {
    token.bytes().all(|b| b.is_ascii_graphic())
}

/// A plain mail address: one `@`, something on both sides, nothing that would break a header.
fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && url::valid_host(domain)
        && !domain.contains('@')
        && address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"' | '(' | ')' | ';' | '\\'))
}
