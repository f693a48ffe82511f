//! Any body gives a token or a typed error; a token lives at least 60 s; its JWT access claim, if any, reads
//! without panicking and round-trips as a scope set.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use oci_auth::{ErrorKind, ScopeSet, Token};

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    match Token::parse(data, now) {
        Ok(token) => {
            assert!(!token.token().is_empty());
            assert!(token.expires_in() >= Duration::from_secs(60));
            assert!(token.expires_at() > now);
            assert!(format!("{token:?}").contains("<redacted>"));
            if let Some(granted) = token.granted_scopes() {
                assert_eq!(ScopeSet::parse(&granted.to_string()).expect("a displayed set parses"), granted);
            }
        }
        Err(err) => assert!(matches!(err.kind(), ErrorKind::InvalidTokenResponse | ErrorKind::MissingToken)),
    }
    // The input as a token itself: the unverified JWT reader must never panic.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Token::from_parts(text.into(), Duration::from_secs(60), now).granted_scopes();
    }
});
