//! Two bytes of limit, then any bytes as (lossy) text: `escape` and `quote` leave no character a
//! terminal interprets, stay within their length bounds, borrow exactly when nothing changes, and
//! a cut output is the full escape of a prefix of the text plus a marker counting the rest.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use oci_registry::text::{MAX_MARKER_LEN, QUOTE_LIMIT, escape, quote};

/// Written out here rather than taken from the crate, so that the target checks the crate's list.
fn interpreted(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

fuzz_target!(|data: &[u8]| {
    let (limit, rest) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])) % 1024, rest),
        _ => (0, data),
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.as_ref();
    let plain = !text.chars().any(interpreted);

    let out = escape(text, limit);
    assert!(!out.chars().any(interpreted), "{out:?}");
    assert!(out.chars().count() <= limit + MAX_MARKER_LEN, "{out:?}");
    let fits = text.chars().count() <= limit;
    assert_eq!(matches!(out, Cow::Borrowed(_)), plain && fits, "{out:?}");
    let full = escape(text, usize::MAX);
    if full.chars().count() <= limit {
        assert_eq!(out, full);
    } else {
        let (kept, marker) = out.rsplit_once("...(+").expect("a cut output has a marker");
        let cut: usize = marker.strip_suffix(" bytes)").and_then(|n| n.parse().ok()).expect("a byte count");
        assert!(cut > 0 && cut <= text.len(), "{out:?}");
        let end = text.len() - cut;
        assert!(text.is_char_boundary(end));
        assert_eq!(escape(&text[..end], usize::MAX), kept);
        assert!(kept.chars().count() <= limit);
    }

    let quoted = quote(text);
    assert!(!quoted.chars().any(interpreted), "{quoted:?}");
    // The marker `... (N bytes)` has at most 20 digits.
    assert!(quoted.chars().count() <= QUOTE_LIMIT * 8 + 2 + "... ( bytes)".len() + 20, "{quoted:?}");
    assert!(quoted.starts_with('"'));
    if text.chars().count() <= QUOTE_LIMIT {
        assert!(quoted.ends_with('"') && quoted.len() >= 2);
    } else {
        assert!(quoted.ends_with(&format!("\"... ({} bytes)", text.len())), "{quoted:?}");
    }
});
