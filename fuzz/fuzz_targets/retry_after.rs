//! `Retry-After` values and HTTP dates: never a panic, and a delay in seconds is the number written.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use oci_registry::internal::{parse_http_date, parse_retry_after};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, text)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(seed) * 86_400 * 365);
    let delay = parse_retry_after(text, now);
    // delay-seconds is 1*DIGIT (RFC 9110): `+0` is not one, though Rust's u64 parser takes it.
    // Whitespace around a field value is OWS (SP and HTAB only); a form feed is not whitespace here.
    let trimmed = text.trim_matches([' ', '\t']);
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(seconds) = trimmed.parse::<u64>() {
            assert_eq!(delay, Some(Duration::from_secs(seconds)));
        }
    }
    if let Some(date) = parse_http_date(text) {
        // A date after `now` is a delay to it; one before is no wait.
        if let (Ok(ahead), Some(delay)) = (date.duration_since(now), delay) {
            assert_eq!(delay, ahead);
        }
    }
});
