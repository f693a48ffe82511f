//! [`Timestamp`]: a moment in whole UTC seconds, read from RFC 3339 and written in two forms.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};

/// A moment, in whole seconds since 1970-01-01T00:00:00Z, between the years 1 and 9999.
///
/// Its text form is RFC 3339 in UTC without fractions (`2026-12-07T10:00:00Z`). Parsing also takes
/// fractions (cut, not rounded) and offsets, as image configs' `created` fields carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

/// 0001-01-01T00:00:00Z.
const MIN: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z.
const MAX: i64 = 253_402_300_799;

impl Timestamp {
    /// The moment `seconds` after the Unix epoch, or `None` outside the years 1 to 9999.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        (MIN..=MAX).contains(&seconds).then_some(Self(seconds))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2026-12-07T10:00:00.123Z`, `2026-12-07T11:00:00+01:00`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        parse_rfc3339(text).ok_or_else(|| Error::new(ErrorKind::InvalidTimestamp, text))
    }

    /// This moment plus `seconds`, or `None` past the year 9999.
    pub fn checked_add(self, seconds: u64) -> Option<Self> {
        i64::try_from(seconds)
            .ok()
            .and_then(|s| self.0.checked_add(s))
            .and_then(Self::from_unix)
    }

    /// For people: `2026-12-07 10:00 UTC`, rounded up to the minute, so that a "pending until" time
    /// shown is never before the real one.
    pub fn to_utc_minutes(self) -> String {
        let up = (self.0 + (60 - self.0.rem_euclid(60)) % 60).min(MAX - 59);
        let (y, mo, d, h, mi, _) = civil(up);
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl FromStr for Timestamp {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse(&text)
    }
}

impl From<Timestamp> for String {
    fn from(at: Timestamp) -> Self {
        at.to_string()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month, day, hour, minute, second of a Unix time (Hinnant's `civil_from_days`).
fn civil(seconds: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rest / 3600, rest % 3600 / 60, rest % 60)
}

fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20 || b.len() > 64 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, digit| Some(acc * 10 + i64::from(digit - b'0')))
    };
    let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let max_day = *month_days.get(usize::try_from(mo).ok()?.checked_sub(1)?)?;
    // A leap second (:60) is read as the last second of its minute.
    if y < 1 || d < 1 || d > max_day || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
    }
    let offset = match b.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && b[at + 3] == b':' => {
            let (oh, om) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let seconds = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s.min(59) - offset * 60;
    Timestamp::from_unix(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").map(Timestamp::unix), Ok(0));
        for text in ["0001-01-01T00:00:00Z", "2000-02-29T12:34:56Z", "9999-12-31T23:59:59Z"] {
            assert_eq!(Timestamp::parse(text).map(|t| t.to_string()).as_deref(), Ok(text));
        }
    }
}
