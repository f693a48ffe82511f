//! What one round says about one workload: [`WorkloadKey`], [`Observation`] and its parts, and
//! the opaque names the caller gives: [`HostName`] and [`TargetId`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// One workload: the host, the source that found it (`docker`, `compose:/srv/app.yml`, `file`),
/// the container or service name, the image reference and the platform (`linux/amd64`).
///
/// A workload is named, not identified by a container id: a container re-created from the same
/// image keeps its key, and with it the events it was already told.
///
/// Its string form joins the five fields with `|`, each with `%`, `|` and control characters
/// written as `%XX`; it is stable (the state file and event keys use it) and parses back exactly.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkloadKey {
    host: String,
    source: String,
    name: String,
    image: String,
    platform: String,
}

impl WorkloadKey {
    /// A key from its five fields; any text is allowed.
    pub fn new(host: &str, source: &str, name: &str, image: &str, platform: &str) -> Self {
        Self {
            host: host.to_owned(),
            source: source.to_owned(),
            name: name.to_owned(),
            image: image.to_owned(),
            platform: platform.to_owned(),
        }
    }

    /// The host the workload runs on.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The source that found it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The container or service name (empty for an image given on the command line).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The image reference as the workload names it.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// The platform checked (`linux/amd64`).
    pub fn platform(&self) -> &str {
        &self.platform
    }
}

impl fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [&self.host, &self.source, &self.name, &self.image, &self.platform];
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                f.write_str("|")?;
            }
            escape(f, field)?;
        }
        Ok(())
    }
}

impl FromStr for WorkloadKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = || Error::new(ErrorKind::InvalidWorkloadKey, text);
        let fields: Vec<String> = text
            .split('|')
            .map(unescape)
            .collect::<Option<_>>()
            .ok_or_else(invalid)?;
        let [host, source, name, image, platform] = <[String; 5]>::try_from(fields).map_err(|_| invalid())?;
        let key = Self {
            host,
            source,
            name,
            image,
            platform,
        };
        // One key, one string: `%41` for `A` would make a second name for the same workload.
        if key.to_string() != text {
            return Err(invalid());
        }
        Ok(key)
    }
}

impl TryFrom<String> for WorkloadKey {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<WorkloadKey> for String {
    fn from(key: WorkloadKey) -> Self {
        key.to_string()
    }
}

/// Writes `field` with `%`, `|` and control characters as `%XX`, so `|` can separate fields.
pub(crate) fn escape(f: &mut impl fmt::Write, field: &str) -> fmt::Result {
    for c in field.chars() {
        if c == '%' || c == '|' || c.is_control() {
            let mut buf = [0; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                write!(f, "%{byte:02X}")?;
            }
        } else {
            f.write_char(c)?;
        }
    }
    Ok(())
}

/// Reverses [`escape`]; `None` for a bad escape or bytes that are not UTF-8.
pub(crate) fn unescape(field: &str) -> Option<String> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A notification target as the state knows it: an opaque id the caller derives (a hash of the
/// target URL, say), never the URL itself, so the state holds no secret.
///
/// 1 to 128 bytes of ASCII letters, digits, `-`, `_`, `.` and `:`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TargetId(String);

impl TargetId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TargetId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let ok = !text.is_empty()
            && text.len() <= 128
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        ok.then(|| Self(text.to_owned()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidTargetId, text))
    }
}

impl TryFrom<String> for TargetId {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<TargetId> for String {
    fn from(id: TargetId) -> Self {
        id.0
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a watcher's state is kept under: 1 to 253 bytes without control characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostName(String);

impl HostName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for HostName {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let ok = !text.is_empty() && text.len() <= 253 && !text.chars().any(char::is_control);
        ok.then(|| Self(text.to_owned()))
            .ok_or_else(|| Error::new(ErrorKind::InvalidHostName, text))
    }
}

impl TryFrom<String> for HostName {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<HostName> for String {
    fn from(name: HostName) -> Self {
        name.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The verdict of one check, as `update --json` words it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The tag still names the image the workload runs.
    UpToDate,
    /// The tag names a new image for the platform.
    UpdateAvailable,
    /// The tag is current, and a newer version tag exists.
    NewerAvailable,
    /// An update or newer version whose signature is not verified (`--require-signed`): refused, not proposed.
    Untrusted,
    /// The workload's digest is unknown, so nothing can be compared.
    NoDigest,
    /// A locally built image that no registry holds.
    Local,
    /// The check failed.
    Error,
}

impl Status {
    /// Every status, in the order a summary lists them.
    pub const ALL: [Self; 7] = [
        Self::UpToDate,
        Self::UpdateAvailable,
        Self::NewerAvailable,
        Self::Untrusted,
        Self::NoDigest,
        Self::Local,
        Self::Error,
    ];

    /// The word: `up_to_date`, `update_available`, `newer_available`, `untrusted`, `no_digest`, `local`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpToDate => "up_to_date",
            Self::UpdateAvailable => "update_available",
            Self::NewerAvailable => "newer_available",
            Self::Untrusted => "untrusted",
            Self::NoDigest => "no_digest",
            Self::Local => "local",
            Self::Error => "error",
        }
    }

    /// Whether this is a registry's definite answer (up to date, an update, a newer version), after
    /// which events no longer current are forgotten; other statuses keep what was told, so a
    /// failing round in between does not make an update be told twice. `untrusted` is not definite either: a
    /// signature that could not be read for a round (the registry did not answer) must not make an update already
    /// told be told again once it verifies.
    pub fn is_definite(self) -> bool {
        matches!(self, Self::UpToDate | Self::UpdateAvailable | Self::NewerAvailable)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| Error::new(ErrorKind::UnknownWord, text))
    }
}

/// How far a newer version is: the first number of the tag that differs.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jump {
    /// A later number than the third.
    Build,
    /// The third number.
    Patch,
    /// The second number.
    Minor,
    /// The first number.
    Major,
}

impl Jump {
    /// `major`, `minor`, `patch` or `build`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Build => "build",
        }
    }
}

impl fmt::Display for Jump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Jump {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        [Self::Major, Self::Minor, Self::Patch, Self::Build]
            .into_iter()
            .find(|jump| jump.as_str() == text)
            .ok_or_else(|| Error::new(ErrorKind::UnknownWord, text))
    }
}

/// A newer version tag found for a workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewerVersion {
    /// The newer tag (`1.28.0`).
    pub tag: String,
    /// How far it is.
    pub jump: Jump,
    /// Its digest for the platform, when known; it is part of the event key, so a re-pushed tag
    /// is told again.
    #[serde(default)]
    pub digest: Option<String>,
    /// Its image's config `created` (RFC 3339 text as the registry gave it), for the cooldown.
    #[serde(default)]
    pub created: Option<String>,
}

/// Why a check failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckError {
    /// A short stable word (`auth`, `not_found`, `rate_limited`, `network`, ...).
    pub kind: String,
    /// The message, already made safe to show by the caller.
    pub message: String,
}

/// What one round found for one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Which workload.
    pub key: WorkloadKey,
    /// The verdict.
    pub status: Status,
    /// The digest the workload runs.
    #[serde(default)]
    pub current_digest: Option<String>,
    /// The digest the tag names now: the platform image's digest when known.
    #[serde(default)]
    pub latest_digest: Option<String>,
    /// The latest image's config `created` (RFC 3339 text), for the cooldown of an update.
    #[serde(default)]
    pub latest_created: Option<String>,
    /// A newer version, when the check looked for one and found it.
    #[serde(default)]
    pub newer: Option<NewerVersion>,
    /// Why the check failed, with [`Status::Error`].
    #[serde(default)]
    pub error: Option<CheckError>,
    /// The `update --json` record, passed through untouched to targets and the page.
    #[serde(default)]
    pub record: serde_json::Value,
}

impl Observation {
    /// An observation with `status` and nothing else known yet.
    pub fn new(key: WorkloadKey, status: Status) -> Self {
        Self {
            key,
            status,
            current_digest: None,
            latest_digest: None,
            latest_created: None,
            newer: None,
            error: None,
            record: serde_json::Value::Null,
        }
    }

    /// The observation an `update --json` record makes, kept whole as [`record`](Self::record): its `status`
    /// (an unknown word is [`Status::Error`]), `current_digest`, the platform's digest as `latest_digest` (else
    /// `latest_digest`), `newer` (`tag`, `kind` as the jump, `digest`, `created`) and `error` (`kind`,
    /// `message`). What is missing or of the wrong type is left unknown. The latest image's `created` is not in
    /// the record: the caller sets [`latest_created`](Self::latest_created) when it knows it.
    pub fn from_record(key: WorkloadKey, record: serde_json::Value) -> Self {
        let text = |value: &serde_json::Value, name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let status = text(&record, "status")
            .and_then(|word| word.parse().ok())
            .unwrap_or(Status::Error);
        let newer = record.get("newer").filter(|newer| newer.is_object()).and_then(|newer| {
            Some(NewerVersion {
                tag: text(newer, "tag")?,
                jump: text(newer, "kind")?.parse().ok()?,
                digest: text(newer, "digest"),
                created: text(newer, "created"),
            })
        });
        let error = record
            .get("error")
            .filter(|error| error.is_object())
            .map(|error| CheckError {
                kind: text(error, "kind").unwrap_or_else(|| "error".to_owned()),
                message: text(error, "message").unwrap_or_default(),
            });
        Self {
            key,
            status,
            current_digest: text(&record, "current_digest"),
            latest_digest: text(&record, "platform_digest").or_else(|| text(&record, "latest_digest")),
            latest_created: None,
            newer,
            error,
            record,
        }
    }
}
