//! When to retry a request and how long to wait: exponential backoff with full jitter, `Retry-After`, a cap.
//!
//! Pure functions of their inputs (the attempt number, what went wrong, the `Retry-After` value, the current time and
//! a seeded random source), so that the request loop stays simple and every decision can be tested without a clock.
//!
//! What is retried: only idempotent reads (`GET`, `HEAD`), after a connection could not be made, a `429 Too Many
//! Requests`, or a 5xx other than `501 Not Implemented` and `505 HTTP Version Not Supported` (which will not get
//! better). Other 4xx statuses are answers, never retried.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};

/// How often and how patiently a failed request is tried again.
///
/// The delay before retry `n` (counting from 1) is drawn uniformly from `[0, min(cap, base * 2^(n-1))]` ("full
/// jitter"), or is that upper bound itself when jitter is off. A `Retry-After` from the server replaces the drawn
/// delay when it asks for longer; when it asks for longer than the cap, the request is not retried at all, since
/// retrying earlier than the server asked would not be polite and waiting that long is not what the caller set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    cap: Duration,
    jitter: bool,
}

/// What went wrong with an attempt, as far as the retry decision cares.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The TCP connection (or the TLS handshake on it) could not be made, so the server never saw the request.
    Connect,
    /// The server answered with this status.
    Status(StatusCode),
}

/// A small, seeded pseudo-random source for jitter (xorshift64*): not for anything secret.
#[derive(Clone)]
pub struct Jitter {
    state: u64,
}

impl RetryPolicy {
    /// A policy of at most `max_attempts` attempts in all (1 means no retry), delays starting at `base` and never
    /// above `cap`, with jitter.
    pub fn new(max_attempts: u32, base: Duration, cap: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            base,
            cap: cap.max(base),
            jitter: true,
        }
    }

    /// A policy that never retries.
    pub fn never() -> Self {
        Self::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// The same policy with jitter on or off; without it every delay is the upper bound of its range.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The number of attempts in all, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The upper bound of the first delay.
    pub fn base_delay(&self) -> Duration {
        self.base
    }

    /// The longest delay ever waited, `Retry-After` included.
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// Whether delays are drawn at random below their upper bound.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// Whether requests with this method may be sent again: `GET` and `HEAD` only.
    pub fn is_retryable_method(method: &Method) -> bool {
        *method == Method::GET || *method == Method::HEAD
    }

    /// Whether this outcome is worth another attempt: a connect failure, 429, or a 5xx other than 501 and 505.
    pub fn is_retryable(outcome: Outcome) -> bool {
        match outcome {
            Outcome::Connect => true,
            Outcome::Status(status) => {
                status == StatusCode::TOO_MANY_REQUESTS
                    || (status.is_server_error()
                        && status != StatusCode::NOT_IMPLEMENTED
                        && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
            }
        }
    }

    /// The backoff before retry number `retry` (1 for the first retry), before any `Retry-After`.
    pub fn backoff(&self, retry: u32, jitter: &mut Jitter) -> Duration {
        let exponent = retry.saturating_sub(1).min(63);
        let ceiling = self
            .base
            .checked_mul(1u32.checked_shl(exponent).unwrap_or(u32::MAX))
            .unwrap_or(Duration::MAX)
            .min(self.cap);
        if self.jitter { jitter.below(ceiling) } else { ceiling }
    }

    /// How long to wait before trying again after attempt number `attempt` (1 for the first) ended in `outcome`, or
    /// `None` when the request must not be retried: the method is not idempotent, the outcome is not retryable, the
    /// attempts are used up, or the server's `Retry-After` asks for longer than the cap.
    ///
    /// `retry_after` is the raw `Retry-After` header value, read relative to `now`; a value that cannot be read is
    /// ignored and the backoff applies.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use http::{Method, StatusCode};
    /// use oci_client::RetryPolicy;
    /// use oci_client::internal::{Jitter, Outcome};
    ///
    /// let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(5)).with_jitter(false);
    /// let mut jitter = Jitter::from_seed(1);
    /// let busy = Outcome::Status(StatusCode::SERVICE_UNAVAILABLE);
    /// let now = SystemTime::now();
    /// assert_eq!(policy.next_delay(1, &Method::GET, busy, None, now, &mut jitter), Some(Duration::from_millis(100)));
    /// assert_eq!(policy.next_delay(1, &Method::GET, busy, Some("2"), now, &mut jitter), Some(Duration::from_secs(2)));
    /// assert_eq!(policy.next_delay(3, &Method::GET, busy, None, now, &mut jitter), None);
    /// assert_eq!(policy.next_delay(1, &Method::POST, busy, None, now, &mut jitter), None);
    /// ```
    pub fn next_delay(
        &self,
        attempt: u32,
        method: &Method,
        outcome: Outcome,
        retry_after: Option<&str>,
        now: SystemTime,
        jitter: &mut Jitter,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !Self::is_retryable_method(method) || !Self::is_retryable(outcome) {
            return None;
        }
        let backoff = self.backoff(attempt, jitter);
        match retry_after.and_then(|value| parse_retry_after(value, now)) {
            Some(asked) if asked > self.cap => None,
            Some(asked) => Some(asked.max(backoff)),
            None => Some(backoff),
        }
    }
}

impl Default for RetryPolicy {
    /// Four attempts in all, delays from 250 ms, at most 30 s.
    fn default() -> Self {
        Self::new(4, Duration::from_millis(250), Duration::from_secs(30))
    }
}

impl Jitter {
    /// A source seeded from the operating system's randomness (through the standard library's hash seeds).
    pub fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x6f63_692d_636c_6965);
        Self::from_seed(hasher.finish())
    }

    /// A source with a fixed seed, for reproducible tests.
    pub fn from_seed(seed: u64) -> Self {
        // xorshift has a fixed point at zero: move a zero seed off it.
        Self {
            state: if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration drawn uniformly from `[0, max]`, at nanosecond resolution.
    pub fn below(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        let drawn = (u128::from(self.next_u64()) * (u128::from(nanos) + 1)) >> 64;
        Duration::from_nanos(u64::try_from(drawn).unwrap_or(nanos))
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jitter").finish_non_exhaustive()
    }
}

/// Reads a `Retry-After` value: delta-seconds (`120`), or an HTTP date in IMF-fixdate, RFC 850 or asctime form, as
/// the time left from `now` (zero for a date in the past). `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to count is still "a very long time".
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let date = parse_http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an HTTP date (RFC 9110 section 5.6.7) in any of its three forms, all in GMT:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
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

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// 1994-11-06T08:49:37Z, the date of RFC 9110's examples.
    const RFC_EXAMPLE: u64 = 784_111_777;

    fn check_date(input: &str, expected: Option<u64>) {
        let parsed = parse_http_date(input).map(|time| time.duration_since(UNIX_EPOCH).unwrap().as_secs());
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

    fn check_retry_after(input: &str, now: u64, expected: Option<Duration>) {
        assert_eq!(parse_retry_after(input, at(now)), expected, "{input:?}");
    }

    #[test]
    fn retry_after_values() {
        let secs = Duration::from_secs;
        check_retry_after("1", 0, Some(secs(1)));
        check_retry_after("0", 0, Some(secs(0)));
        check_retry_after(" 120 ", 0, Some(secs(120)));
        check_retry_after("99999999999999999999999", 0, Some(Duration::MAX));
        check_retry_after("-1", 0, None);
        check_retry_after("1.5", 0, None);
        check_retry_after("", 0, None);
        check_retry_after("soon", 0, None);
        check_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE - 30, Some(secs(30)));
        check_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE - 30, Some(secs(30)));
        check_retry_after("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE - 30, Some(secs(30)));
        check_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE, Some(secs(0)));
        check_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE + 3600, Some(secs(0)));
    }

    #[test]
    fn retryable_outcomes_and_methods() {
        let retryable = |code: u16| RetryPolicy::is_retryable(Outcome::Status(StatusCode::from_u16(code).unwrap()));
        for code in [429, 500, 502, 503, 504, 507, 599] {
            assert!(retryable(code), "{code}");
        }
        for code in [200, 301, 307, 400, 401, 403, 404, 405, 408, 413, 416, 501, 505] {
            assert!(!retryable(code), "{code}");
        }
        assert!(RetryPolicy::is_retryable(Outcome::Connect));
        assert!(RetryPolicy::is_retryable_method(&Method::GET));
        assert!(RetryPolicy::is_retryable_method(&Method::HEAD));
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(!RetryPolicy::is_retryable_method(&method), "{method}");
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::new(10, ms(100), ms(1000)).with_jitter(false);
        let mut jitter = Jitter::from_seed(7);
        let delays: Vec<_> = (1..=6).map(|n| policy.backoff(n, &mut jitter)).collect();
        assert_eq!(delays, [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]);
        assert_eq!(policy.backoff(u32::MAX, &mut jitter), ms(1000));
        let huge = RetryPolicy::new(100, Duration::from_secs(u64::MAX / 2), Duration::MAX).with_jitter(false);
        assert_eq!(huge.backoff(40, &mut jitter), Duration::MAX);
    }

    #[test]
    fn full_jitter_stays_within_bounds_and_spreads() {
        let policy = RetryPolicy::new(10, ms(100), ms(1000));
        for seed in [0, 1, 42, u64::MAX] {
            let mut jitter = Jitter::from_seed(seed);
            for retry in 1..=8 {
                let ceiling = ms(100 * (1 << (retry - 1))).min(ms(1000));
                let mut seen = Vec::new();
                for _ in 0..200 {
                    let delay = policy.backoff(retry, &mut jitter);
                    assert!(delay <= ceiling, "seed {seed} retry {retry}: {delay:?} > {ceiling:?}");
                    seen.push(delay);
                }
                // Full jitter covers the range: some draws in the lower and some in the upper quarter.
                assert!(seen.iter().any(|d| *d < ceiling / 4), "seed {seed} retry {retry}");
                assert!(seen.iter().any(|d| *d > ceiling * 3 / 4), "seed {seed} retry {retry}");
            }
        }
    }

    #[test]
    fn fixed_seeds_repeat_and_differ() {
        let draws = |seed| {
            let mut jitter = Jitter::from_seed(seed);
            (0..4).map(|_| jitter.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        assert_ne!(draws(0)[0], 0);
        assert_eq!(Jitter::from_seed(9).below(Duration::ZERO), Duration::ZERO);
        let mut jitter = Jitter::from_seed(9);
        assert!((0..100).all(|_| jitter.below(Duration::from_nanos(1)) <= Duration::from_nanos(1)));
    }

    #[test]
    fn next_delay_decisions() {
        let policy = RetryPolicy::new(4, ms(100), Duration::from_secs(10)).with_jitter(false);
        let now = at(RFC_EXAMPLE - 5);
        let next = |attempt, method: Method, code: u16, retry_after: Option<&str>| {
            let outcome = Outcome::Status(StatusCode::from_u16(code).unwrap());
            policy.next_delay(attempt, &method, outcome, retry_after, now, &mut Jitter::from_seed(3))
        };
        assert_eq!(next(1, Method::GET, 503, None), Some(ms(100)));
        assert_eq!(next(2, Method::HEAD, 503, None), Some(ms(200)));
        assert_eq!(next(3, Method::GET, 500, None), Some(ms(400)));
        assert_eq!(next(4, Method::GET, 503, None), None, "attempts used up");
        assert_eq!(next(1, Method::PUT, 503, None), None, "not idempotent here");
        assert_eq!(next(1, Method::GET, 404, None), None);
        assert_eq!(next(1, Method::GET, 501, None), None);
        // Retry-After wins when it asks for longer than the backoff.
        assert_eq!(next(1, Method::GET, 429, Some("1")), Some(Duration::from_secs(1)));
        assert_eq!(
            next(1, Method::GET, 429, Some("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::from_secs(5))
        );
        // ... and not when shorter, or in the past.
        assert_eq!(next(3, Method::GET, 429, Some("0")), Some(ms(400)));
        assert_eq!(
            next(1, Method::GET, 503, Some("Sun, 06 Nov 1994 08:49:00 GMT")),
            Some(ms(100))
        );
        // Garbage falls back to the backoff.
        assert_eq!(next(1, Method::GET, 429, Some("later, please")), Some(ms(100)));
        // Up to the cap it is honoured; beyond it the request is not retried.
        assert_eq!(next(1, Method::GET, 429, Some("10")), Some(Duration::from_secs(10)));
        assert_eq!(next(1, Method::GET, 429, Some("11")), None);
        assert_eq!(next(1, Method::GET, 503, Some("Mon, 07 Nov 1994 08:49:37 GMT")), None);
        let connect = policy.next_delay(1, &Method::GET, Outcome::Connect, None, now, &mut Jitter::from_seed(3));
        assert_eq!(connect, Some(ms(100)));
    }

    #[test]
    fn policies_are_normalized() {
        let policy = RetryPolicy::new(0, ms(500), ms(100));
        assert_eq!(policy.max_attempts(), 1);
        assert_eq!(policy.cap(), ms(500));
        assert_eq!(policy.base_delay(), ms(500));
        assert!(policy.jitter());
        let never = RetryPolicy::never();
        let outcome = Outcome::Status(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            never.next_delay(1, &Method::GET, outcome, None, at(0), &mut Jitter::new()),
            None
        );
        assert_eq!(RetryPolicy::default().max_attempts(), 4);
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
            let back = |text: &str| parse_http_date(text).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
            assert_eq!(back(&imf), Some(seconds), "{imf}");
            assert_eq!(back(&asctime), Some(seconds), "{asctime}");
            if seconds < 3_155_760_000 {
                assert_eq!(back(&rfc850), Some(seconds), "{rfc850}");
            }
        }
    }
}
