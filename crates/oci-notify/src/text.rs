//! Foreign text in human messages: escaped and cut in one place.
//!
//! This crate sits below the registry client and cannot reach its `text` module, so it keeps
//! a small one of its own: every control character, bidirectional control and line separator
//! becomes a visible escape, and a value longer than its limit is cut with a marker.

/// How many characters of one foreign value a message line carries.
pub(crate) const VALUE_LIMIT: usize = 200;

/// How many characters of a refused input an error message quotes.
pub(crate) const QUOTE_LIMIT: usize = 300;

/// `text` with characters a terminal or chat client would interpret escaped, cut after
/// `limit` characters of output (marked `...`).
pub(crate) fn escape(text: &str, limit: usize) -> String {
    let mut out = String::with_capacity(text.len().min(limit) + 3);
    let mut written = 0;
    for c in text.chars() {
        let piece: String = if needs_escape(c) {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        let width = piece.chars().count();
        if written + width > limit {
            out.push_str("...");
            return out;
        }
        out.push_str(&piece);
        written += width;
    }
    out
}

/// `text` in double quotes, escaped like [`escape`] with `"` and `\` escaped too, cut after
/// [`QUOTE_LIMIT`] characters and then followed by its whole length (`... (N bytes)`), as every crate quotes.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for (count, c) in text.chars().enumerate() {
        if count == QUOTE_LIMIT {
            out.push_str(&format!("\"... ({} bytes)", text.len()));
            return out;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `c` must not reach a terminal, a log or a chat message as itself.
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// FNV-1a, 64 bits: a stable short name for a value (MQTT discovery ids, Matrix transaction ids),
/// not a security measure.
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(escape("web", 10), "web");
        assert_eq!(escape("a\x1b[2Jb\nc", 100), "a\\u{1b}[2Jb\\nc");
        assert_eq!(escape("x\u{202e}y", 100), "x\\u{202e}y");
        assert_eq!(escape("abcdef", 3), "abc...");
        assert_eq!(quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(
            quote(&"x".repeat(400)),
            format!("\"{}\"... (400 bytes)", "x".repeat(QUOTE_LIMIT))
        );
    }
}
