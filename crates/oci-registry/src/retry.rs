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
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use crate::http_date;

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
    /// A `429` whose rate-limit headers say nothing is left (Docker Hub's `toomanyrequests`): the quota lasts its
    /// window, hours, so no retry helps.
    QuotaSpent,
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
            Outcome::QuotaSpent => false,
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
    /// use oci_registry::RetryPolicy;
    /// use oci_registry::internal::{Jitter, Outcome};
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
    let date = http_date::parse(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    /// 1994-11-06T08:49:37Z, the date of RFC 9110's examples.
    const RFC_EXAMPLE: u64 = 784_111_777;

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
        let spent = policy.next_delay(
            1,
            &Method::GET,
            Outcome::QuotaSpent,
            None,
            now,
            &mut Jitter::from_seed(3),
        );
        assert_eq!(spent, None, "a spent quota is not tried again");
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
}
