//! Rate-limit headers: `ratelimit-limit`, `ratelimit-remaining` and `docker-ratelimit-source`.
//!
//! Docker Hub sends `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600`, where `w` is the window in
//! seconds, and `docker-ratelimit-source` naming what the quota is counted against (an IP address or an account
//! UUID). The headers are sometimes absent and sometimes carry an empty number (`ratelimit-remaining: ;w=21600`).
//! Nothing here fails: what cannot be understood is unknown, because a rate-limit header is advice, not content.

use std::fmt;
use std::time::Duration;

use http::HeaderMap;

/// The longest `docker-ratelimit-source` kept; longer values are not what registries send and are dropped.
const MAX_SOURCE_LEN: usize = 256;

/// The rate limit a registry announced with a response.
///
/// Every part is optional: registries send some, all or none of the headers, and a value that cannot be read is
/// treated as unknown rather than as an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimit {
    limit: Option<u64>,
    remaining: Option<u64>,
    window: Option<u64>,
    source: Option<String>,
}

impl RateLimit {
    /// Reads the rate-limit headers of a response.
    ///
    /// Returns `None` when the response carries none of the three headers, or only values from which nothing can
    /// be learned. The first value of each header is used; in a list (`100, 100;w=21600`) the first item is the
    /// quota and the window comes from the first item that has one.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use oci_registry::RateLimit;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("ratelimit-limit", "100;w=21600".parse().unwrap());
    /// headers.insert("ratelimit-remaining", "76;w=21600".parse().unwrap());
    /// let limit = RateLimit::from_headers(&headers).unwrap();
    /// assert_eq!(limit.remaining(), Some(76));
    /// assert_eq!(limit.to_string(), "76/100 per 21600s");
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let limit = first_quota(headers, "ratelimit-limit");
        let remaining = first_quota(headers, "ratelimit-remaining");
        let source = headers
            .get_all("docker-ratelimit-source")
            .iter()
            .find_map(|value| parse_source(value.as_bytes()));
        let window = limit.window.or(remaining.window);
        let parsed = Self {
            limit: limit.count,
            remaining: remaining.count,
            window,
            source,
        };
        let known =
            parsed.limit.is_some() || parsed.remaining.is_some() || parsed.window.is_some() || parsed.source.is_some();
        known.then_some(parsed)
    }

    /// The number of requests the window allows, from `ratelimit-limit`.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The number of requests left in the current window, from `ratelimit-remaining`.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// The length of the window (the `;w=` parameter), from `ratelimit-limit` or else `ratelimit-remaining`.
    pub fn window(&self) -> Option<Duration> {
        self.window.map(Duration::from_secs)
    }

    /// What the quota is counted against (`docker-ratelimit-source`): an IP address or an account's UUID.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Whether the registry said no requests are left in the window.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// `76/100 per 21600s`, with `?` for an unknown number, the window left out when unknown, and the source in
/// parentheses when there is one: `?/100 per 21600s (192.0.2.1)`.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
        write!(f, "{}/{}", number(self.remaining), number(self.limit))?;
        if let Some(window) = self.window {
            write!(f, " per {window}s")?;
        }
        if let Some(source) = &self.source {
            write!(f, " ({source})")?;
        }
        Ok(())
    }
}

/// One header's number and window, either of which may be unknown.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Quota {
    count: Option<u64>,
    window: Option<u64>,
}

/// The quota of the first value of `name` that says anything.
fn first_quota(headers: &HeaderMap, name: &str) -> Quota {
    headers
        .get_all(name)
        .iter()
        .map(|value| parse_quota(value.as_bytes()))
        .find(|quota| *quota != Quota::default())
        .unwrap_or_default()
}

/// Parses `100;w=21600`, `;w=21600`, `100`, or a list `100, 100;w=21600, 1000;w=86400`.
fn parse_quota(value: &[u8]) -> Quota {
    let Ok(value) = std::str::from_utf8(value) else {
        return Quota::default();
    };
    let mut items = value.split(',');
    let first = items.next().map(parse_item).unwrap_or_default();
    let window = first.1.or_else(|| items.find_map(|item| parse_item(item).1));
    Quota { count: first.0, window }
}

/// One list item: a number (possibly empty) and `;name=value` parameters, of which only `w` is used.
fn parse_item(item: &str) -> (Option<u64>, Option<u64>) {
    let mut parts = item.split(';');
    let count = parts.next().and_then(parse_number);
    let window = parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("w") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        parse_number(value)
    });
    (count, window)
}

/// A decimal number that fits in a `u64`, surrounded by optional whitespace.
fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim_matches([' ', '\t']);
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A source is visible ASCII without spaces, as IP addresses and UUIDs are; anything else is dropped.
fn parse_source(value: &[u8]) -> Option<String> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let plausible = !value.is_empty() && value.len() <= MAX_SOURCE_LEN && value.bytes().all(|b| b.is_ascii_graphic());
    plausible.then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    /// Parses `(name, value)` headers and compares the display form (`None` for no rate limit at all).
    fn check(headers: &[(&str, &[u8])], expected: Option<&str>) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            map.append(name, HeaderValue::from_bytes(value).unwrap());
        }
        let parsed = RateLimit::from_headers(&map);
        assert_eq!(
            parsed.as_ref().map(ToString::to_string).as_deref(),
            expected,
            "{headers:?}"
        );
    }

    const L: &str = "ratelimit-limit";
    const R: &str = "ratelimit-remaining";
    const S: &str = "docker-ratelimit-source";

    #[test]
    fn docker_hub_forms() {
        check(&[(L, b"100;w=21600"), (R, b"76;w=21600")], Some("76/100 per 21600s"));
        check(
            &[(L, b"100;w=21600"), (R, b"76;w=21600"), (S, b"192.0.2.1")],
            Some("76/100 per 21600s (192.0.2.1)"),
        );
        check(
            &[
                (L, b"200;w=21600"),
                (R, b"0;w=21600"),
                (S, b"3f0a1b2c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"),
            ],
            Some("0/200 per 21600s (3f0a1b2c-1d2e-4f5a-8b9c-0d1e2f3a4b5c)"),
        );
        check(&[(L, b"100;w=21600"), (R, b";w=21600")], Some("?/100 per 21600s"));
        check(&[(L, b"100;w=21600"), (R, b"")], Some("?/100 per 21600s"));
        check(&[(R, b";w=21600")], Some("?/? per 21600s"));
    }

    #[test]
    fn absent_or_useless_headers_give_none() {
        check(&[], None);
        check(&[("content-type", b"application/json")], None);
        check(&[(L, b""), (R, b"")], None);
        check(&[(L, b"lots"), (R, b"some;w=soon")], None);
        check(&[(S, b"")], None);
        check(&[(S, b"two words")], None);
        check(&[(L, b"\xff\xfe;w=60")], None);
    }

    #[test]
    fn partial_and_odd_forms() {
        check(&[(L, b"100")], Some("?/100"));
        check(&[(R, b"5")], Some("5/?"));
        check(&[(L, b" 100 ; w = 60 ")], Some("?/100 per 60s"));
        check(&[(L, b"100;W=60")], Some("?/100 per 60s"));
        check(&[(L, b"100;w=\"60\"")], Some("?/100 per 60s"));
        check(&[(L, b"100;q=5;w=60")], Some("?/100 per 60s"));
        check(&[(L, b"100, 100;w=21600, 1000;w=86400")], Some("?/100 per 21600s"));
        check(&[(L, b"100;w=60"), (R, b"7;w=3600")], Some("7/100 per 60s"));
        check(&[(L, b"100"), (R, b"7;w=3600")], Some("7/100 per 3600s"));
        check(&[(L, b"-100;w=60")], Some("?/? per 60s"));
        check(&[(L, b"1e3;w=60")], Some("?/? per 60s"));
        check(&[(L, b"99999999999999999999;w=60")], Some("?/? per 60s"));
        check(&[(L, b"18446744073709551615")], Some("?/18446744073709551615"));
        check(&[(L, b"100;w=")], Some("?/100"));
        check(&[(L, b"100;w")], Some("?/100"));
        check(&[(L, b";;;,,,")], None);
    }

    #[test]
    fn the_first_useful_value_of_a_repeated_header_wins() {
        check(&[(L, b"garbage"), (L, b"50;w=60")], Some("?/50 per 60s"));
        check(&[(L, b"10;w=1"), (L, b"50;w=60")], Some("?/10 per 1s"));
        check(&[(S, b"not valid"), (S, b"10.0.0.1")], Some("?/? (10.0.0.1)"));
    }

    #[test]
    fn getters() {
        let mut map = HeaderMap::new();
        map.insert(L, HeaderValue::from_static("100;w=21600"));
        map.insert(R, HeaderValue::from_static("0;w=21600"));
        map.insert(S, HeaderValue::from_static(" 192.0.2.1 "));
        let limit = RateLimit::from_headers(&map).unwrap();
        assert_eq!(limit.limit(), Some(100));
        assert_eq!(limit.remaining(), Some(0));
        assert_eq!(limit.window(), Some(Duration::from_secs(21600)));
        assert_eq!(limit.source(), Some("192.0.2.1"));
        assert!(limit.is_exhausted());
        map.insert(R, HeaderValue::from_static(";w=21600"));
        assert!(!RateLimit::from_headers(&map).unwrap().is_exhausted());
    }

    #[test]
    fn long_sources_are_dropped() {
        let long = "a".repeat(MAX_SOURCE_LEN + 1);
        check(&[(S, long.as_bytes())], None);
        let just = "a".repeat(MAX_SOURCE_LEN);
        check(
            &[(L, b"1"), (S, just.as_bytes())],
            Some(format!("?/1 ({just})").as_str()),
        );
    }
}
