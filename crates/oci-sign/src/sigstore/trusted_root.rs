//! [`TrustedRoot`]: Sigstore's `trusted_root.json`, the keys and certificates a verifier trusts, each for a window
//! of time.

use serde::Deserialize;

use super::json::{self, RawBytes, RawLogId};
use crate::error::{Error, ErrorKind, quote};
use crate::key::PublicKey;
use crate::x509::{Certificate, MAX_CHAIN};

/// The largest trusted root read: the public-good one is about 7 KiB.
const MAX_TRUSTED_ROOT: usize = 1024 * 1024;

/// The most logs or authorities of one kind a trusted root may list.
const MAX_ENTRIES: usize = 64;

/// The media types read: v0.1 and v0.2 have the same fields (v0.2 only documents more of them).
const MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot+json;version=0.2",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// Sigstore's trusted root (`trusted_root.json`): the certificate authorities (Fulcio), transparency logs (Rekor),
/// certificate transparency logs and timestamp authorities a verifier trusts, each with the window of time it is
/// trusted for.
///
/// Only constructed from a well-formed file: every key a supported SubjectPublicKeyInfo, every certificate
/// well-formed DER, every window with its start. Timestamp authorities verify a bundle's RFC 3161 timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedRoot {
    pub(super) authorities: Vec<Authority>,
    pub(super) tlogs: Vec<Log>,
    pub(super) ctlogs: Vec<Log>,
    pub(super) timestamp_authorities: Vec<Authority>,
}

/// A certificate authority: its chain, leaf-most first and the root last, and its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Authority {
    pub(super) chain: Vec<Certificate>,
    pub(super) valid_for: TimeRange,
}

/// A (certificate) transparency log: its key, the id entries name it by, its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Log {
    pub(super) key: PublicKey,
    pub(super) id: Vec<u8>,
    pub(super) valid_for: TimeRange,
}

/// A closed window of time in seconds since 1970: from `start`, to `end` if there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimeRange {
    pub(super) start: i64,
    pub(super) end: Option<i64>,
}

impl TimeRange {
    /// Both ends included, as Sigstore's `TimeRange` is closed.
    pub(super) fn contains(self, time: i64) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTrustedRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    public_key: RawPublicKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPublicKey {
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    cert_chain: RawChain,
    valid_for: Option<RawRange>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
struct RawRange {
    start: Option<String>,
    end: Option<String>,
}

impl TrustedRoot {
    /// Reads a `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1` or
    /// `0.2`).
    ///
    /// Refused with [`ErrorKind::TrustedRoot`]: not JSON of that shape, another media type, a log or authority
    /// without `validFor.start` (a missing bound is not read as "forever"), a time that is not RFC 3339, base64
    /// that is not standard, an authority without certificates; with [`ErrorKind::TooLarge`]: over 1 MiB or more
    /// than 64 logs or authorities of a kind; and whatever [`PublicKey::from_spki_der`] and
    /// [`Certificate::from_der`] refuse. Fields this crate does not use (`baseUrl`, `subject`, ...) are ignored, as
    /// protobuf's JSON readers ignore them.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TRUSTED_ROOT {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "a trusted root of {} bytes is over the limit of {MAX_TRUSTED_ROOT}",
                    bytes.len()
                ),
            ));
        }
        let raw: RawTrustedRoot = serde_json::from_slice(bytes).map_err(|err| {
            Error::new(ErrorKind::TrustedRoot, format!("not a Sigstore trusted root: {err}")).with_source(err)
        })?;
        if !MEDIA_TYPES.contains(&raw.media_type.as_str()) {
            return Err(invalid(format!(
                "the media type {} is not a trusted root this crate reads (version 0.1 or 0.2)",
                quote(&raw.media_type)
            )));
        }
        for (what, len) in [
            ("tlogs", raw.tlogs.len()),
            ("ctlogs", raw.ctlogs.len()),
            ("certificateAuthorities", raw.certificate_authorities.len()),
            ("timestampAuthorities", raw.timestamp_authorities.len()),
        ] {
            if len > MAX_ENTRIES {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    format!("{len} {what} in a trusted root; the limit is {MAX_ENTRIES}"),
                ));
            }
        }
        Ok(Self {
            authorities: authorities(raw.certificate_authorities, "certificateAuthorities")?,
            tlogs: logs(raw.tlogs, "tlogs")?,
            ctlogs: logs(raw.ctlogs, "ctlogs")?,
            timestamp_authorities: authorities(raw.timestamp_authorities, "timestampAuthorities")?,
        })
    }

    /// How many certificate authorities, transparency logs, certificate transparency logs and timestamp
    /// authorities it lists, in that order.
    pub fn counts(&self) -> [usize; 4] {
        [
            self.authorities.len(),
            self.tlogs.len(),
            self.ctlogs.len(),
            self.timestamp_authorities.len(),
        ]
    }

    /// The transparency log whose id (SHA-256 of its key) is `id`.
    pub(super) fn tlog(&self, id: &[u8]) -> Option<&Log> {
        self.tlogs.iter().find(|log| log.id == id)
    }

    /// The certificate transparency log whose id is `id`.
    pub(super) fn ctlog(&self, id: &[u8]) -> Option<&Log> {
        self.ctlogs.iter().find(|log| log.id == id)
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::TrustedRoot, message)
}

fn logs(raw: Vec<RawLog>, what: &str) -> Result<Vec<Log>, Error> {
    raw.into_iter()
        .enumerate()
        .map(|(index, log)| {
            let der = json::base64(
                &log.public_key.raw_bytes,
                ErrorKind::TrustedRoot,
                "a log's publicKey.rawBytes",
            )?;
            // `PKCS1_RSA_*` keys are a bare PKCS #1 RSAPublicKey; every other kind is a SubjectPublicKeyInfo.
            let der = if log.public_key.key_details.starts_with("PKCS1_RSA_") {
                rsa_spki(&der)
            } else {
                der
            };
            let key = PublicKey::from_spki_der(&der)?;
            let id = json::base64(&log.log_id.key_id, ErrorKind::TrustedRoot, "a log's logId.keyId")?;
            let range = log.public_key.valid_for.ok_or_else(|| {
                invalid(format!(
                    "{what}[{index}] has no publicKey.validFor; a log is trusted for a window that starts somewhere"
                ))
            })?;
            Ok(Log {
                key,
                id,
                valid_for: time_range(range, &format!("{what}[{index}].publicKey.validFor"))?,
            })
        })
        .collect()
}

/// Wraps a PKCS #1 `RSAPublicKey` in a SubjectPublicKeyInfo (`rsaEncryption`, NULL parameters), which
/// [`PublicKey::from_spki_der`] then checks as it checks any RSA key.
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    const ALGORITHM: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bit_string = vec![0];
    bit_string.extend_from_slice(pkcs1);
    let mut spki = ALGORITHM.to_vec();
    spki.extend_from_slice(&der_value(0x03, &bit_string));
    der_value(0x30, &spki)
}

/// One DER value (tag, definite length, contents).
pub(super) fn der_value(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn authorities(raw: Vec<RawAuthority>, what: &str) -> Result<Vec<Authority>, Error> {
    raw.into_iter()
        .enumerate()
        .map(|(index, authority)| {
            let certificates = authority.cert_chain.certificates;
            if certificates.is_empty() || certificates.len() > MAX_CHAIN {
                return Err(invalid(format!(
                    "{what}[{index}] has {} certificates; a chain has 1 to {MAX_CHAIN}",
                    certificates.len()
                )));
            }
            let chain = certificates
                .iter()
                .map(|raw| {
                    let der = json::base64(&raw.raw_bytes, ErrorKind::TrustedRoot, "a certificate's rawBytes")?;
                    Certificate::from_der(&der)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let range = authority.valid_for.ok_or_else(|| {
                invalid(format!(
                    "{what}[{index}] has no validFor; an authority is trusted for a window that starts somewhere"
                ))
            })?;
            Ok(Authority {
                chain,
                valid_for: time_range(range, &format!("{what}[{index}].validFor"))?,
            })
        })
        .collect()
}

fn time_range(raw: RawRange, what: &str) -> Result<TimeRange, Error> {
    let start = raw.start.ok_or_else(|| {
        invalid(format!(
            "{what} has no start; a missing start is not read as the beginning of time"
        ))
    })?;
    let start = rfc3339(&start).ok_or_else(|| invalid(format!("{what}.start {} is not RFC 3339", quote(&start))))?;
    let end = match raw.end {
        None => None,
        Some(end) => Some(rfc3339(&end).ok_or_else(|| invalid(format!("{what}.end {} is not RFC 3339", quote(&end))))?),
    };
    Ok(TimeRange { start, end })
}

/// Reads an RFC 3339 time (`2021-03-07T03:20:29Z`, `2022-12-31T23:59:59.999Z`, `...+01:00`) as whole seconds since
/// 1970, the fraction dropped: the times compared with it are whole seconds, so `t <= end` holds exactly when it
/// holds for the full precision.
pub(crate) fn rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &b[19..];
    if let [b'.', fraction @ ..] = rest {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = |hi: u8, lo: u8| i64::from(hi - b'0') * 10 + i64::from(lo - b'0');
            let (hours, minutes) = (value(*h1, *h2), value(*m1, *m2));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (`:60`) is read as the last second of its minute.
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let second = second.min(59);
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_read_as_seconds_and_malformed_ones_are_refused() {
        let cases: &[(&str, Option<i64>)] = &[
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2021-03-07T03:20:29Z", Some(1_615_087_229)),
            ("2023-07-12T15:56:36Z", Some(1_689_177_396)),
            ("2022-12-31T23:59:59.999Z", Some(1_672_531_199)),
            ("2023-01-01T00:00:00.000Z", Some(1_672_531_200)),
            ("2023-01-01T01:00:00+01:00", Some(1_672_531_200)),
            ("2022-12-31T23:00:00-01:00", Some(1_672_531_200)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800)),
            ("2023-02-29T00:00:00Z", None),
            ("2023-13-01T00:00:00Z", None),
            ("2023-01-01 00:00:00Z", None),
            ("2023-01-01T00:00:00", None),
            ("2023-01-01T00:00:00.Z", None),
            ("2023-01-01T24:00:00Z", None),
            ("2023-01-01T00:00:00+1:00", None),
            ("+023-01-01T00:00:00Z", None),
            ("", None),
        ];
        for (text, seconds) in cases {
            assert_eq!(rfc3339(text), *seconds, "{text}");
        }
    }

    #[test]
    fn windows_are_closed() {
        let range = TimeRange {
            start: 10,
            end: Some(20),
        };
        assert!(!range.contains(9) && range.contains(10) && range.contains(20) && !range.contains(21));
        assert!(TimeRange { start: 10, end: None }.contains(i64::MAX));
    }
}
