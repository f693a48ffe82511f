//! Three lines as `ratelimit-limit`, `ratelimit-remaining` and `docker-ratelimit-source`: never a panic, and what
//! is understood is consistent with what was sent.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use oci_registry::RateLimit;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    let names = ["ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source"];
    for (name, value) in names.iter().cycle().zip(data.split(|b| *b == b'\n')) {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(*name, value);
        }
    }
    let Some(limit) = RateLimit::from_headers(&headers) else { return };
    let shown = limit.to_string();
    assert!(shown.contains('/'));
    if let Some(remaining) = limit.remaining() {
        assert!(shown.starts_with(&remaining.to_string()));
    }
    if let Some(source) = limit.source() {
        assert!(!source.is_empty() && !source.contains(' '));
    }
});
