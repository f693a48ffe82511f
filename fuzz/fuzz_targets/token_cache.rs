//! A token response read at any time, cached on a manual clock that then moves by any amounts: nothing panics,
//! lifetimes stay within bounds, and the cache never hands out a token at or after its expiry.
//!
//! Input: 40 bytes of header (missing bytes read as zero), then the response body. Header: `now` as i64
//! seconds from the epoch (8, little-endian), the cache margin in seconds (4), its percent (1), three unused,
//! then three clock advances (8 each; seconds, with the nanoseconds taken from the same bits).
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use oci_auth::{
    BatchConfig, CacheConfig, Clock, ErrorKind, MAXIMUM_LIFETIME, MINIMUM_LIFETIME, ManualClock, ScopeSet, Token,
    TokenCache,
};

const HEADER: usize = 40;

fuzz_target!(|data: &[u8]| {
    let mut header = [0u8; HEADER];
    let split = data.len().min(HEADER);
    header[..split].copy_from_slice(&data[..split]);
    let body = &data[split..];
    let u64_at = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
    let secs = i64::from_le_bytes(header[0..8].try_into().expect("8 bytes"));
    let now = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
    .unwrap_or(UNIX_EPOCH);
    let margin = Duration::from_secs(u64::from(u32::from_le_bytes(
        header[8..12].try_into().expect("4 bytes"),
    )));
    let config = CacheConfig::new(margin, u32::from(header[12]));
    let advances = [16, 24, 32].map(|i| {
        let x = u64_at(i);
        Duration::new(x, (x % 1_000_000_000) as u32)
    });

    let clock = ManualClock::new(now);
    let mut cache = TokenCache::with_clock(clock.clone(), config);
    let scopes: ScopeSet = "repository:a:pull repository:b:pull,push"
        .parse()
        .expect("valid scopes");
    let one: ScopeSet = "repository:a:pull".parse().expect("valid scope");
    match Token::parse(body, now) {
        Ok(token) => {
            assert!(token.expires_in() >= MINIMUM_LIFETIME && token.expires_in() <= MAXIMUM_LIFETIME);
            assert!(token.expires_at() >= now);
            assert!(config.margin_for(token.expires_in()) <= margin);
            cache.insert("registry.example", Some("svc"), &scopes, token);
        }
        Err(err) => assert!(matches!(
            err.kind(),
            ErrorKind::InvalidTokenResponse | ErrorKind::MissingToken
        )),
    }
    // A caller-made token with an arbitrary lifetime goes through the same arithmetic.
    let made = Token::from_parts("made".into(), advances[0], now);
    assert!(made.expires_in() <= MAXIMUM_LIFETIME);
    cache.insert("registry.example", None, &one, made);
    for by in advances {
        let now = clock.now();
        for service in [Some("svc"), None] {
            if let Some(token) = cache.get("registry.example", service, &one) {
                assert!(now < token.expires_at());
            }
            let _ = cache.plan("registry.example", service, &scopes, &BatchConfig::default());
        }
        clock.advance(by);
        assert!(clock.now() >= now);
    }
    let before = cache.len();
    assert!(cache.purge_expired() <= before);
});
