//! [`Interval`]: how long between rounds, or how old an image must be.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// A whole number of seconds from 1 s to 365 days, written `30s`, `15m`, `6h`, `1d` or `1h30m`.
///
/// Units go from the largest to the smallest, each once (`1d6h`, not `6h1d` or `1h1h`). `Display`
/// writes the shortest such form (`90m` is shown as `1h30m`), and parses back to the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval(u64);

const UNITS: [(u8, u64); 4] = [(b'd', 86_400), (b'h', 3600), (b'm', 60), (b's', 1)];

impl Interval {
    /// The shortest interval: one second.
    pub const MIN: Self = Self(1);
    /// The longest interval: 365 days.
    pub const MAX: Self = Self(365 * 86_400);

    /// An interval of `seconds`, or `None` outside 1 s to 365 days.
    pub fn from_secs(seconds: u64) -> Option<Self> {
        (Self::MIN.0..=Self::MAX.0).contains(&seconds).then_some(Self(seconds))
    }

    /// Whole seconds.
    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// As a [`Duration`], for timers.
    pub fn as_duration(self) -> Duration {
        Duration::from_secs(self.0)
    }
}

/// Parses a duration such as `30s`, `15m`, `6h`, `1d` or `1h30m`; see [`Interval`].
pub fn parse_duration(text: &str) -> Result<Interval, Error> {
    let invalid = || Error::new(ErrorKind::InvalidDuration, text);
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    let mut next_unit = 0;
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        // Twenty digits overflow u64; far fewer already exceed the maximum.
        if at == start || at - start > 12 {
            return Err(if at == start {
                invalid()
            } else {
                Error::new(ErrorKind::DurationOutOfRange, text)
            });
        }
        let number: u64 = text[start..at].parse().map_err(|_| invalid())?;
        let unit = bytes.get(at).copied().ok_or_else(invalid)?;
        at += 1;
        let index = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(invalid)?
            + next_unit;
        next_unit = index + 1;
        total = number
            .checked_mul(UNITS[index].1)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| Error::new(ErrorKind::DurationOutOfRange, text))?;
    }
    Interval::from_secs(total).ok_or_else(|| Error::new(ErrorKind::DurationOutOfRange, text))
}

impl FromStr for Interval {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        parse_duration(text)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        for (unit, size) in UNITS {
            if rest >= size {
                write!(f, "{}{}", rest / size, char::from(unit))?;
                rest %= size;
            }
        }
        Ok(())
    }
}
