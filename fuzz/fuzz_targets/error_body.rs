//! Registry error bodies: never a panic, and what is shown of them never carries a control character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_registry::ServerError;
use oci_registry::text::QUOTE_LIMIT;

fuzz_target!(|data: &[u8]| {
    for error in ServerError::parse_body(data) {
        if let Some(detail) = error.detail() {
            assert!(detail.chars().count() <= QUOTE_LIMIT + 32, "{detail}");
            assert!(!detail.chars().any(char::is_control), "{detail:?}");
        }
        let shown = oci_registry::text::quote(error.message());
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
    }
});
