//! HTTP dates (RFC 9110 section 5.6.7), as `Retry-After` may carry them: the three forms, all in GMT.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_auth::internal::{days_from_civil, days_in_month};

/// Parses an HTTP date (RFC 9110 section 5.6.7) in any of its three forms, all in GMT:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`.
pub fn parse(value: &str) -> Option<SystemTime> {
    let value = value.trim_matches([' ', '\t']);
    if !value.is_ascii() {
        return None;
    }
    let (year, month, day, time) = if let Some((weekday, rest)) = value.split_once(", ") {
        if let Some(rest) = rest.strip_suffix(" GMT") {
            if WEEKDAYS.contains(&weekday) {
                // IMF-fixdate: `06 Nov 1994 08:49:37`.
                let mut parts = rest.split(' ');
                let (day, month, year, time) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
                if parts.next().is_some() || day.len() != 2 || year.len() != 4 {
                    return None;
                }
                (number(year)?, month_number(month)?, number(day)?, time)
            } else if LONG_WEEKDAYS.contains(&weekday) {
                // RFC 850: `06-Nov-94 08:49:37`.
                let (date, time) = rest.split_once(' ')?;
                let mut parts = date.split('-');
                let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
                if parts.next().is_some() || day.len() != 2 || year.len() != 2 {
                    return None;
                }
                let year = number(year)?;
                (
                    year + if year < 70 { 2000 } else { 1900 },
                    month_number(month)?,
                    number(day)?,
                    time,
                )
            } else {
                return None;
            }
        } else {
            return None;
        }
    } else {
        // asctime: `Sun Nov  6 08:49:37 1994`, the day padded with a space.
        let weekday = value.get(..4)?.strip_suffix(' ')?;
        let month = value.get(4..8)?.strip_suffix(' ')?;
        let day = value.get(8..11)?.strip_suffix(' ')?;
        let (time, year) = value.get(11..)?.split_once(' ')?;
        if !WEEKDAYS.contains(&weekday) || year.len() != 4 {
            return None;
        }
        (number(year)?, month_number(month)?, number(day.trim_start())?, time)
    };
    let (hour, minute, second) = clock(time)?;
    if !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(seconds).ok()?))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A run of one to four ASCII digits.
fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn month_number(name: &str) -> Option<i64> {
    let index = MONTHS.iter().position(|month| *month == name)?;
    i64::try_from(index).ok().map(|i| i + 1)
}

/// `HH:MM:SS`; a leap second reads as the last second of its minute.
fn clock(time: &str) -> Option<(i64, i64, i64)> {
    let mut parts = time.split(':');
    let (hour, minute, second) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [hour, minute, second].iter().any(|part| part.len() != 2) {
        return None;
    }
    let (hour, minute, second) = (number(hour)?, number(minute)?, number(second)?);
    (hour < 24 && minute < 60 && second <= 60).then_some((hour, minute, second.min(59)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::Jitter;

    /// 1994-11-06T08:49:37Z, the date of RFC 9110's examples.
    const RFC_EXAMPLE: u64 = 784_111_777;

    fn check_date(input: &str, expected: Option<u64>) {
        let parsed = parse(input).map(|time| time.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(parsed, expected, "{input:?}");
    }

    #[test]
    fn http_dates() {
        check_date("Sun, 06 Nov 1994 08:49:37 GMT", Some(RFC_EXAMPLE));
        check_date("Sunday, 06-Nov-94 08:49:37 GMT", Some(RFC_EXAMPLE));
        check_date("Sun Nov  6 08:49:37 1994", Some(RFC_EXAMPLE));
        check_date(" Sun, 06 Nov 1994 08:49:37 GMT ", Some(RFC_EXAMPLE));
        check_date("Thu, 01 Jan 1970 00:00:00 GMT", Some(0));
        check_date("Sat, 28 Nov 2026 04:30:00 GMT", Some(1_795_840_200));
        check_date("Tue, 29 Feb 2028 23:59:59 GMT", Some(1_835_481_599));
        check_date("Thursday, 01-Jan-70 00:00:00 GMT", Some(0));
        check_date("Tuesday, 01-Jan-69 00:00:00 GMT", Some(3_124_224_000));
        check_date("Wed Dec 31 23:59:60 2036", Some(2_114_380_799));
        check_date("Sun Nov 16 08:49:37 1994", Some(RFC_EXAMPLE + 10 * 86_400));
        // Weekday names are not checked against the date, as RFC 9110 allows.
        check_date("Mon, 06 Nov 1994 08:49:37 GMT", Some(RFC_EXAMPLE));
    }

    #[test]
    fn not_http_dates() {
        for input in [
            "",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 2100 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Dim, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTé",
            "Sun, 06 Nov +994 08:49:37 GMT",
        ] {
            check_date(input, None);
        }
    }

    /// Formats `seconds` since the epoch in the three HTTP date forms, from a civil-date algorithm independent of
    /// the parser's.
    fn format_dates(seconds: u64) -> [String; 3] {
        const LONG: [&str; 7] = [
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
        ];
        let days = seconds / 86_400;
        let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
        // Walk years and months: slow but obviously right.
        let (mut year, mut left) = (1970u64, days);
        loop {
            let length = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                366
            } else {
                365
            };
            if left < length {
                break;
            }
            left -= length;
            year += 1;
        }
        let mut month = 0usize;
        loop {
            let length = u64::try_from(days_in_month(
                i64::try_from(year).unwrap(),
                i64::try_from(month + 1).unwrap(),
            ))
            .unwrap();
            if left < length {
                break;
            }
            left -= length;
            month += 1;
        }
        let day = left + 1;
        let weekday = LONG[usize::try_from(days % 7).unwrap()];
        let short = &weekday[..3];
        let mon = MONTHS[month];
        [
            format!("{short}, {day:02} {mon} {year} {hour:02}:{minute:02}:{second:02} GMT"),
            format!(
                "{weekday}, {day:02}-{mon}-{:02} {hour:02}:{minute:02}:{second:02} GMT",
                year % 100
            ),
            format!("{short} {mon} {day:>2} {hour:02}:{minute:02}:{second:02} {year}"),
        ]
    }

    /// Randomized round-trip over 1970..=9999 (the RFC 850 form only where its two-digit year is unambiguous).
    #[test]
    fn generated_dates_round_trip() {
        let mut rng = Jitter::from_seed(0x4461_7465);
        for _ in 0..3000 {
            let seconds = rng.next_u64() % 253_402_300_800;
            let [imf, rfc850, asctime] = format_dates(seconds);
            let back = |text: &str| parse(text).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
            assert_eq!(back(&imf), Some(seconds), "{imf}");
            assert_eq!(back(&asctime), Some(seconds), "{asctime}");
            if seconds < 3_155_760_000 {
                assert_eq!(back(&rfc850), Some(seconds), "{rfc850}");
            }
        }
    }
}
