//! Rendering: one round's [`Notification`] as what a target's sender does, decided without IO.

use std::fmt;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::document::{Event, EventKind, Notification};
use crate::error::{Error, ErrorKind};
use crate::target::{Auth, Endpoint, Secret, Service, Target};
use crate::text::{self, VALUE_LIMIT};
use crate::url;

/// What a sender does for one target and one round.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// HTTP requests, sent in order (one per Telegram chat or Matrix room, else one).
    Http {
        /// For a Matrix password login: this request first; its answer gives the access token
        /// ([`matrix_access_token`]), which each of `requests` then carries
        /// ([`HttpRequest::set_bearer`]).
        login: Option<HttpRequest>,
        /// The requests.
        requests: Vec<HttpRequest>,
    },
    /// MQTT publishes to the target's broker ([`Target::server`]), in order.
    Mqtt {
        /// The publishes.
        publishes: Vec<Publish>,
    },
    /// One mail through the target's server ([`Target::server`]).
    Smtp(Mail),
    /// Run `path` (no shell, no arguments) with `stdin` on its standard input.
    Script {
        /// The program.
        path: PathBuf,
        /// The [`Notification`] as JSON.
        stdin: Vec<u8>,
    },
}

/// One HTTP request. It holds secrets (a token in the URL, an `Authorization` header, a form
/// field), so its `Debug` shows the target's redacted URL, header names and the body's size only.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    method: &'static str,
    url: String,
    shown: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    /// `POST` or `PUT`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The full URL, secrets included: for the request line only, never for a log.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The target's URL with secrets redacted: for logs and messages.
    pub fn redacted_url(&self) -> &str {
        &self.shown
    }

    /// The headers, secrets included (`Authorization`, `X-Gotify-Key`).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Adds `Authorization: Bearer TOKEN` (after a Matrix login).
    pub fn set_bearer(&mut self, token: &Secret) {
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
        self.headers
            .push(("Authorization".into(), format!("Bearer {}", token.expose())));
    }

    fn new(method: &'static str, url: String, shown: &Target, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            method,
            url,
            shown: shown.to_string(),
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    fn json(url: String, shown: &Target, body: &Value) -> Self {
        Self::new("POST", url, shown, "application/json", body.to_string().into_bytes())
    }

    fn with_auth(mut self, auth: Option<&Auth>) -> Self {
        match auth {
            None => {}
            Some(Auth::Basic(user, password)) => {
                self.headers.push((
                    "Authorization".into(),
                    oci_auth::internal::basic_header(user, password.expose()),
                ));
            }
            Some(Auth::Bearer(token)) => self.set_bearer(token),
        }
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("content-type") {
                    format!("{name}: {value}")
                } else {
                    format!("{name}: ***")
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.shown)
            .field("headers", &headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

/// One MQTT publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// The topic.
    pub topic: String,
    /// The payload (JSON).
    pub payload: Vec<u8>,
    /// Whether the broker keeps it for later subscribers.
    pub retain: bool,
}

/// One plain-text mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The sender's address.
    pub from: String,
    /// The recipients' addresses.
    pub to: Vec<String>,
    /// The subject: one line, escaped.
    pub subject: String,
    /// The body: plain text, grouped by kind.
    pub body: String,
}

/// The access token in a Matrix login's answer (`{"access_token": "..."}`).
pub fn matrix_access_token(answer: &[u8]) -> Result<Secret, Error> {
    let token = serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|value| value.get("access_token").and_then(Value::as_str).map(Secret::new));
    token.ok_or_else(|| {
        Error::about(
            "answer to a",
            ErrorKind::InvalidResponse,
            "matrix login".into(),
            Some("the login answer has no access_token".into()),
        )
    })
}

/// Longest message per service, in characters, below each service's documented limit.
const DISCORD_LIMIT: usize = 2000;
const TELEGRAM_LIMIT: usize = 4000;
const PUSHOVER_LIMIT: usize = 1000;
const CHAT_LIMIT: usize = 3500;
const MAIL_LIMIT: usize = 100_000;

impl Target {
    /// What to send for this round: the events this target's `on` set takes, as one message
    /// grouped by kind with the host name; `None` when none is left.
    pub fn render(&self, notification: &Notification) -> Option<Rendered> {
        let events: Vec<&Event> = notification
            .events
            .iter()
            .filter(|event| self.on.matches(event.kind))
            .collect();
        if events.is_empty() {
            return None;
        }
        let filtered = Notification {
            host: notification.host.clone(),
            events: events.into_iter().cloned().collect(),
        };
        Some(self.render_all(&filtered, false))
    }

    /// A test message for `oci-check notify --test`, whatever the `on` set: the same request
    /// shapes with a text that says it is a test, and a document with no events.
    pub fn test_notification(&self, host: &str) -> Rendered {
        let notification = Notification {
            host: host.to_owned(),
            events: Vec::new(),
        };
        self.render_all(&notification, true)
    }

    fn render_all(&self, notification: &Notification, test: bool) -> Rendered {
        let message = Message::new(notification, test);
        let http = |request: HttpRequest| Rendered::Http {
            login: None,
            requests: vec![request],
        };
        match &self.service {
            Service::Ntfy {
                endpoint,
                topic,
                title,
                tags,
                priority,
            } => {
                let mut body = json!({
                    "topic": topic,
                    "title": title.as_deref().unwrap_or(&message.title),
                    "message": message.body(CHAT_LIMIT),
                });
                if !tags.is_empty() {
                    body["tags"] = json!(tags);
                }
                if let Some(priority) = priority {
                    body["priority"] = json!(priority);
                }
                http(HttpRequest::json(endpoint.url.clone(), self, &body).with_auth(endpoint.auth.as_ref()))
            }
            Service::Webhook(endpoint) => http(
                HttpRequest::new(
                    "POST",
                    endpoint.url.clone(),
                    self,
                    "application/json",
                    notification.to_json(),
                )
                .with_auth(endpoint.auth.as_ref()),
            ),
            Service::Discord { endpoint, username } => {
                let mut body = json!({ "content": message.full(DISCORD_LIMIT) });
                if let Some(username) = username {
                    body["username"] = json!(username);
                }
                http(post(endpoint, self, &body))
            }
            Service::Slack { endpoint, username } => {
                let mut body = json!({ "text": message.full(CHAT_LIMIT) });
                if let Some(username) = username {
                    body["username"] = json!(username);
                }
                http(post(endpoint, self, &body))
            }
            Service::Gotify {
                endpoint,
                token,
                title,
                priority,
            } => {
                let mut body = json!({
                    "title": title.as_deref().unwrap_or(&message.title),
                    "message": message.body(CHAT_LIMIT),
                });
                if let Some(priority) = priority {
                    body["priority"] = json!(priority);
                }
                let mut request = post(endpoint, self, &body);
                if let Some(token) = token {
                    request.headers.push(("X-Gotify-Key".into(), token.expose().to_owned()));
                }
                http(request)
            }
            Service::Telegram { endpoint, chats } => Rendered::Http {
                login: None,
                requests: chats
                    .iter()
                    .map(|chat| {
                        let chat_id = chat.parse::<i64>().map_or_else(|_| json!(chat), |id| json!(id));
                        post(
                            endpoint,
                            self,
                            &json!({ "chat_id": chat_id, "text": message.full(TELEGRAM_LIMIT) }),
                        )
                    })
                    .collect(),
            },
            Service::Matrix {
                base,
                login,
                token,
                rooms,
            } => {
                let content = json!({ "msgtype": "m.text", "body": message.full(CHAT_LIMIT) }).to_string();
                let requests = rooms
                    .iter()
                    .map(|room| {
                        // The transaction id is stable for one message to one room, so a retry
                        // after a lost answer is not shown twice.
                        let txn = format!("oci-check-{:016x}", text::fnv(&[room, &content]));
                        let url = format!(
                            "{base}/_matrix/client/v3/rooms/{}/send/m.room.message/{txn}",
                            url::encode(room)
                        );
                        let mut request =
                            HttpRequest::new("PUT", url, self, "application/json", content.clone().into_bytes());
                        if let Some(token) = token {
                            request.set_bearer(token);
                        }
                        request
                    })
                    .collect();
                let login = login.as_ref().map(|(user, password)| {
                    let body = json!({
                        "type": "m.login.password",
                        "identifier": { "type": "m.id.user", "user": user },
                        "password": password.expose(),
                        "device_id": "oci-check",
                        "initial_device_display_name": "oci-check",
                    });
                    HttpRequest::json(format!("{base}/_matrix/client/v3/login"), self, &body)
                });
                Rendered::Http { login, requests }
            }
            Service::Pushover {
                endpoint,
                token,
                user,
                devices,
                title,
                priority,
            } => {
                let mut fields = vec![
                    ("token", token.expose().to_owned()),
                    ("user", user.expose().to_owned()),
                    ("title", bound(title.as_deref().unwrap_or(&message.title), 250)),
                    ("message", message.body(PUSHOVER_LIMIT)),
                ];
                if !devices.is_empty() {
                    fields.push(("device", devices.join(",")));
                }
                if let Some(priority) = priority {
                    fields.push(("priority", priority.to_string()));
                }
                let form: Vec<String> = fields
                    .iter()
                    .map(|(key, value)| format!("{key}={}", url::encode(value)))
                    .collect();
                http(HttpRequest::new(
                    "POST",
                    endpoint.url.clone(),
                    self,
                    "application/x-www-form-urlencoded",
                    form.join("&").into_bytes(),
                ))
            }
            Service::Smtp { from, to, subject, .. } => Rendered::Smtp(Mail {
                from: from.clone(),
                to: to.clone(),
                subject: subject.clone().unwrap_or_else(|| message.title.clone()),
                body: message.full(MAIL_LIMIT),
            }),
            Service::Script { path } => Rendered::Script {
                path: path.clone(),
                stdin: notification.to_json(),
            },
            Service::Mqtt {
                prefix,
                retain,
                discovery,
                ..
            } => Rendered::Mqtt {
                publishes: mqtt(notification, prefix, *retain, discovery.as_deref(), test),
            },
        }
    }
}

fn post(endpoint: &Endpoint, target: &Target, body: &Value) -> HttpRequest {
    HttpRequest::json(endpoint.url.clone(), target, body).with_auth(endpoint.auth.as_ref())
}

/// The publishes of one round: per workload a JSON state at `PREFIX/HOST/WORKLOAD` that Home
/// Assistant's MQTT update entity reads (`installed_version`, `latest_version`, `title`,
/// `release_summary`), and its discovery config.
fn mqtt(notification: &Notification, prefix: &str, retain: bool, discovery: Option<&str>, test: bool) -> Vec<Publish> {
    let host = topic_level(&notification.host, false);
    if test {
        let payload =
            json!({ "host": notification.host, "test": true, "message": Message::new(notification, true).title });
        return vec![Publish {
            topic: format!("{prefix}/{host}/test"),
            payload: payload.to_string().into_bytes(),
            retain: false,
        }];
    }
    // One state per workload, in the order the workloads first appear.
    let mut workloads: Vec<(&str, Vec<&Event>)> = Vec::new();
    for event in &notification.events {
        match workloads.iter_mut().find(|(workload, _)| *workload == event.workload) {
            Some((_, events)) => events.push(event),
            None => workloads.push((&event.workload, vec![event])),
        }
    }
    let mut publishes = Vec::new();
    for (workload, events) in workloads {
        let topic = format!("{prefix}/{host}/{}", topic_level(workload, true));
        let first = events[0];
        // Home Assistant compares the two versions as text, so both come from one kind of event:
        // digests for an update (the tag's image changed), tags for a newer version.
        let update = events.iter().find(|event| event.kind == EventKind::Update);
        let newer = events
            .iter()
            .find(|event| matches!(event.kind, EventKind::Newer { .. }));
        let running_tag = image_tag(&first.image).map(|tag| bound(tag, VALUE_LIMIT));
        let running_digest = events.iter().find_map(|event| event.current.as_deref()).map(short);
        let (installed, latest) = match (update, newer) {
            (Some(update), _) => (running_digest, update.latest.as_deref().map(short)),
            (None, Some(newer)) => (running_tag, newer.tag.as_deref().map(|tag| bound(tag, VALUE_LIMIT))),
            // An error or a recovery: nothing newer is known, so the entity shows up to date.
            (None, None) => {
                let installed = running_tag.or(running_digest);
                (installed.clone(), installed)
            }
        };
        let summary: Vec<String> = events.iter().map(|event| line(event)).collect();
        let kinds: Vec<&str> = events.iter().map(|event| kind_word(event.kind)).collect();
        let state = json!({
            "installed_version": installed,
            "latest_version": latest,
            "title": bound(&first.image, VALUE_LIMIT),
            "release_summary": bound(&summary.join("; "), 255),
            "host": notification.host,
            "workload": workload,
            "image": first.image,
            "events": kinds,
        });
        publishes.push(Publish {
            topic: topic.clone(),
            payload: state.to_string().into_bytes(),
            retain,
        });
        if let Some(discovery) = discovery {
            let id = format!(
                "oci-check_{}_{:08x}",
                object_id(&format!("{}_{workload}", notification.host)),
                text::fnv(&[&notification.host, workload]) as u32
            );
            let config = json!({
                "name": bound(workload, VALUE_LIMIT),
                "unique_id": id,
                "state_topic": topic,
                "json_attributes_topic": topic,
                "device": {
                    "identifiers": [format!("oci-check_{}", object_id(&notification.host))],
                    "name": format!("oci-check on {}", bound(&notification.host, VALUE_LIMIT)),
                    "manufacturer": "oci-check",
                },
            });
            // Discovery configs are always retained: Home Assistant reads them again after it
            // restarts.
            publishes.push(Publish {
                topic: format!("{discovery}/update/{id}/config"),
                payload: config.to_string().into_bytes(),
                retain: true,
            });
        }
    }
    publishes
}

/// Home Assistant's object ids take `[a-zA-Z0-9_-]`; everything else becomes `_`, cut at 64.
fn object_id(text: &str) -> String {
    text.chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect()
}

/// A topic level from foreign text: no wildcard, NUL or control character; `/` kept only where
/// it may make levels (a workload's path).
fn topic_level(text: &str, keep_slash: bool) -> String {
    let mut out: String = text
        .chars()
        .take(VALUE_LIMIT)
        .map(|c| match c {
            '+' | '#' => '_',
            '/' if !keep_slash => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// The tag of an image reference (`postgres:16.3` -> `16.3`), if it has one.
fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let (before, tag) = name.rsplit_once(':')?;
    // A `:` before the last `/` is a registry's port, not a tag.
    (!tag.contains('/') && !tag.is_empty() && !before.is_empty()).then_some(tag)
}

/// A digest in a short form (`sha256:0123456789ab`); anything else escaped and bounded.
fn short(value: &str) -> String {
    match value.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{}:{}", text::escape(algorithm, 16), &hex[..12])
        }
        _ => text::escape(value, VALUE_LIMIT),
    }
}

/// `text` cut at `limit` characters, not escaped (for JSON values that a serializer escapes).
fn bound(value: &str, limit: usize) -> String {
    match value.char_indices().nth(limit) {
        None => value.to_owned(),
        Some((at, _)) => format!("{}...", &value[..at]),
    }
}

fn kind_word(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Update => "update",
        EventKind::Newer { .. } => "newer",
        EventKind::Error => "error",
        EventKind::Recovered => "recovered",
        EventKind::Untrusted => "untrusted",
    }
}

/// One event as one line of a message: foreign text escaped and bounded.
fn line(event: &Event) -> String {
    let workload = text::escape(&event.workload, VALUE_LIMIT);
    let image = text::escape(&event.image, VALUE_LIMIT);
    let mut line = match event.kind {
        EventKind::Update | EventKind::Untrusted => {
            let mut line = match (&event.current, &event.latest) {
                (Some(current), Some(latest)) => {
                    format!("{workload}: {image} {} -> {}", short(current), short(latest))
                }
                (None, Some(latest)) => format!("{workload}: {image} -> {}", short(latest)),
                _ => format!("{workload}: {image}"),
            };
            // A refused newer version: its tag is what was refused along with (or instead of) the digest.
            if let (EventKind::Untrusted, Some(tag)) = (event.kind, &event.tag) {
                line.push_str(&format!(" (newer {})", text::escape(tag, VALUE_LIMIT)));
            }
            line
        }
        EventKind::Newer { jump } => match &event.tag {
            Some(tag) => format!(
                "{workload}: {image} -> {} ({})",
                text::escape(tag, VALUE_LIMIT),
                jump.as_str()
            ),
            None => format!("{workload}: {image} ({})", jump.as_str()),
        },
        EventKind::Error | EventKind::Recovered => format!("{workload}: {image}"),
    };
    let mut notes: Vec<String> = event.note.iter().map(|note| text::escape(note, VALUE_LIMIT)).collect();
    // `update --verify-key` found the proposal signed, but by another key or identity than the image in use: a project that
    // changed its key, or someone else's image. Worth a look before the update.
    let proposes = matches!(event.kind, EventKind::Update | EventKind::Newer { .. });
    if proposes && event.record.get("same_signer") == Some(&Value::Bool(false)) {
        notes.push(SIGNER_CHANGED.to_owned());
    }
    if !notes.is_empty() {
        line.push_str(": ");
        line.push_str(&notes.join("; "));
    }
    line
}

/// The warning for a proposal whose signer is not the signer of the image in use.
const SIGNER_CHANGED: &str = "warning: signed by another key or identity than the image in use";

/// A group of a message: its name for one event and for many, and which events it holds.
type Group = (&'static str, &'static str, fn(EventKind) -> bool);

/// The human message of a round: a title and lines grouped by kind.
struct Message {
    title: String,
    /// Group headings with their lines.
    groups: Vec<(String, Vec<String>)>,
    test: bool,
}

impl Message {
    fn new(notification: &Notification, test: bool) -> Self {
        let host = text::escape(&notification.host, VALUE_LIMIT);
        if test {
            return Self {
                title: format!("oci-check on {host}: test message"),
                groups: Vec::new(),
                test,
            };
        }
        let order: [Group; 5] = [
            ("update", "updates", |kind| kind == EventKind::Update),
            ("newer version", "newer versions", |kind| {
                matches!(kind, EventKind::Newer { .. })
            }),
            ("untrusted update", "untrusted updates", |kind| {
                kind == EventKind::Untrusted
            }),
            ("error", "errors", |kind| kind == EventKind::Error),
            ("recovered", "recovered", |kind| kind == EventKind::Recovered),
        ];
        let mut counts = Vec::new();
        let mut groups = Vec::new();
        for (one, many, is) in order {
            let lines: Vec<String> = notification
                .events
                .iter()
                .filter(|event| is(event.kind))
                .map(line)
                .collect();
            if lines.is_empty() {
                continue;
            }
            let name = if lines.len() == 1 { one } else { many };
            counts.push(format!("{} {name}", lines.len()));
            let mut heading = many.to_owned();
            heading[..1].make_ascii_uppercase();
            groups.push((format!("{heading} ({}):", lines.len()), lines));
        }
        Self {
            title: format!("oci-check on {host}: {}", counts.join(", ")),
            groups,
            test,
        }
    }

    /// The lines grouped by kind, cut at `limit` characters with `... and N more`.
    fn body(&self, limit: usize) -> String {
        if self.test {
            return "This is a test message from oci-check: this target works.".to_owned();
        }
        let total: usize = self.groups.iter().map(|(_, lines)| lines.len()).sum();
        let mut out = String::new();
        let mut told = 0;
        for (heading, lines) in &self.groups {
            let mut piece = format!("{heading}\n");
            if !fits(&out, &piece, limit) {
                break;
            }
            for line in lines {
                let text = format!("- {line}\n");
                if !fits(&out, &format!("{piece}{text}"), limit) {
                    break;
                }
                piece.push_str(&text);
                told += 1;
            }
            out.push_str(&piece);
        }
        if told < total {
            out.push_str(&format!("... and {} more", total - told));
        }
        out.trim_end().to_owned()
    }

    /// The title, a blank line and the body, within `limit` characters.
    fn full(&self, limit: usize) -> String {
        let body = self.body(limit.saturating_sub(self.title.chars().count() + 2));
        format!("{}\n\n{body}", self.title)
    }
}

/// Whether `more` fits after `out` within `limit` characters, leaving room for the "... and N
/// more" line.
fn fits(out: &str, more: &str, limit: usize) -> bool {
    out.chars().count() + more.chars().count() + 30 <= limit
}
